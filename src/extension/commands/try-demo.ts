import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEMO_DOWNLOAD, DEMO_OPENCLAW_VERSION, defaultToolsDir, demoLayout, startDemo, type DemoLayout } from '../../core/demo';
import { stopRecordedNow } from '../../core/demo/processes';
import { log } from '../log';
import { withCancellableProgress } from '../progress';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/**
 * "Try a Demo Node…" (welcome view and Command Palette): two OpenClaw nodes on this machine, built
 * by the same core builder as `npm start` (src/core/demo), added to the registry next to any other
 * node. OpenClaw comes from the developer tools cache when it is there, else from the npm registry
 * into the extension's global storage, after a confirmation that names the download. The gateways
 * it starts are stopped when the extension shuts down.
 */

/** The tools cache to use: the developer one when it already has OpenClaw, else global storage. */
export function demoLayoutFor(context: vscode.ExtensionContext): { layout: DemoLayout; haveOpenclaw: boolean } {
  const shared = defaultToolsDir();
  const sharedHas = existsSync(join(shared, `openclaw-${DEMO_OPENCLAW_VERSION}`, '.installed'));
  const toolsDir = sharedHas ? shared : join(context.globalStorageUri.fsPath, 'tools');
  const haveOpenclaw = sharedHas || existsSync(join(toolsDir, `openclaw-${DEMO_OPENCLAW_VERSION}`, '.installed'));
  return { layout: demoLayout({ toolsDir, root: join(context.globalStorageUri.fsPath, 'demo') }), haveOpenclaw };
}

export function registerTryDemo(context: vscode.ExtensionContext, deps: CommandDeps): void {
  let started: DemoLayout | undefined;
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.tryDemo', async (options?: { confirmed?: boolean; memoryAgent?: boolean }) => {
      try {
        const { layout, haveOpenclaw } = demoLayoutFor(context);
        if (!options?.confirmed) {
          const build = vscode.l10n.t('Build Demo');
          const detail = haveOpenclaw
            ? vscode.l10n.t(
                'OpenClaw {0} is already installed in {1}: nothing is downloaded. Two gateways start on 127.0.0.1 (about 1 GB of memory each). About 2 minutes the first time.',
                DEMO_OPENCLAW_VERSION,
                layout.toolsDir,
              )
            : vscode.l10n.t(
                'This downloads Node.js 24 and OpenClaw {0} from the npm registry (about {1} MB, {2} MB on disk) into {3}, then starts two gateways on 127.0.0.1 (about 1 GB of memory each). About 4 minutes the first time.',
                DEMO_OPENCLAW_VERSION,
                DEMO_DOWNLOAD.downloadMb,
                DEMO_DOWNLOAD.diskMb,
                layout.toolsDir,
              );
          const answer = await vscode.window.showInformationMessage(
            vscode.l10n.t('Try OpenClaw Manager on two demo nodes (demo-a, demo-b) on this machine?'),
            { modal: true, detail },
            build,
          );
          if (answer !== build) return undefined;
        }
        const result = await withCancellableProgress(vscode.l10n.t('Building the demo nodes'), (report, signal) =>
          startDemo({
            layout,
            registry: { path: deps.registry.file, mode: 'merge' },
            backupStore: deps.backupStore,
            memoryAgent: options?.memoryAgent !== false,
            signal,
            onProgress: (m) => {
              log().info(`demo: ${m}`);
              report(m.split('\n')[0]!);
            },
          }),
        );
        started = layout;
        deps.tree.refresh();
        const failed = result.nodes.filter((n) => !n.ready);
        if (failed.length > 0) {
          void vscode.window.showWarningMessage(
            vscode.l10n.t('Demo nodes built, but not every gateway is ready: {0}', failed.map((n) => `${n.id}: ${n.error ?? '?'}`).join('; ')),
          );
        } else {
          void vscode.window.showInformationMessage(
            vscode.l10n.t('The demo nodes demo-a and demo-b are ready. A demo agent appends to the MEMORY.md of demo-a now and then.'),
          );
        }
        return result;
      } catch (e) {
        void showError(e);
        return undefined;
      }
    }),
    // The extension host may be stopped right after deactivation: signal at once, without waiting.
    { dispose: () => started && stopRecordedNow(started.pidFile) },
  );
}
