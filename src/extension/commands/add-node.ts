import * as vscode from 'vscode';
import { NODE_ID_PATTERN, type NodeInput } from '../../core/registry';
import { parseTarget } from '../../core/registry/target';
import { describeSshHost, findNodeCandidates, suggestNodeId, type CandidateSources } from '../walkthrough/node-candidates';
import type { CommandDeps } from './deps';
import { showError } from './show-error';

/** The questions "Add node…" asks; the command uses VS Code's quick input, tests script the answers. */
export interface AddNodeUi {
  pick<T extends AddNodeChoice>(title: string, items: T[]): Promise<T | undefined>;
  input(options: {
    title: string;
    prompt: string;
    value?: string;
    placeHolder?: string;
    validate: (value: string) => string | undefined;
  }): Promise<string | undefined>;
  /** After the node is added: true to check the connection now (host key prompt, agents). */
  offerCheck(nodeId: string): Promise<boolean>;
}

export type AddNodeChoice = vscode.QuickPickItem & { target?: Pick<NodeInput, 'host' | 'user' | 'port'>; action?: 'enter' | 'import' };

export interface AddNodeResult {
  outcome: 'added' | 'imported' | 'cancelled';
  nodeId?: string;
}

/**
 * "Add node…": ssh config hosts, this machine, import, or a typed target → id → optional state
 * dir → added; then an offer to connect right away (the host key prompt appears then, not later in
 * the middle of something else).
 */
export async function runAddNode(deps: CommandDeps, ui: AddNodeUi, sources: CandidateSources = {}): Promise<AddNodeResult> {
  const { registry, tree } = deps;
  const existing = await registry.list({ includeRetired: true });
  const candidates = await findNodeCandidates(existing, sources);
  const items: AddNodeChoice[] = [];
  const fresh = candidates.sshHosts.filter((h) => !h.alreadyAdded);
  if (fresh.length) items.push({ label: vscode.l10n.t('Hosts in ~/.ssh/config'), kind: vscode.QuickPickItemKind.Separator });
  for (const host of fresh) items.push({ label: `$(remote) ${host.alias}`, description: describeSshHost(host), target: { host: host.alias } });
  items.push({ label: vscode.l10n.t('Other'), kind: vscode.QuickPickItemKind.Separator });
  if (candidates.localAvailable) {
    items.push({
      label: `$(device-desktop) ${vscode.l10n.t('This machine')}`,
      description: vscode.l10n.t('~/.openclaw found here; no SSH needed'),
      target: { host: 'local' },
    });
  }
  items.push({ label: `$(edit) ${vscode.l10n.t('Enter [user@]host[:port]…')}`, action: 'enter' });
  items.push({
    label: `$(cloud-download) ${vscode.l10n.t('Import nodes-registry.json…')}`,
    description: vscode.l10n.t('nodes from an existing registry file'),
    action: 'import',
  });

  const choice = await ui.pick(vscode.l10n.t('Add node: which machine runs the OpenClaw gateway?'), items);
  if (!choice) return { outcome: 'cancelled' };
  if (choice.action === 'import') {
    await vscode.commands.executeCommand('openclaw.importRegistry');
    return { outcome: 'imported' };
  }
  let target = choice.target;
  if (choice.action === 'enter') {
    const typed = await ui.input({
      title: vscode.l10n.t('Add node: SSH target'),
      prompt: vscode.l10n.t('SSH target: [user@]host[:port] or a Host alias from ~/.ssh/config'),
      placeHolder: 'claw@gateway-1.example.com:22',
      validate: (value) => {
        try {
          parseTarget(value);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (!typed) return { outcome: 'cancelled' };
    target = parseTarget(typed);
  }
  if (!target) return { outcome: 'cancelled' };

  const taken = existing.map((n) => n.id);
  const id = await ui.input({
    title: vscode.l10n.t('Add node: id'),
    prompt: vscode.l10n.t('A short id for this node (used in the tree, in openclaw:// paths and by the ocm CLI)'),
    value: suggestNodeId(target.host, taken),
    validate: (value) => {
      if (!NODE_ID_PATTERN.test(value)) return vscode.l10n.t('Use letters, digits, ".", "_" or "-"');
      return taken.includes(value) ? vscode.l10n.t('A node with the id "{0}" exists already.', value) : undefined;
    },
  });
  if (!id) return { outcome: 'cancelled' };
  const stateDir = await ui.input({
    title: vscode.l10n.t('Add node: state dir (optional)'),
    prompt: vscode.l10n.t('OpenClaw state dir on the node. Leave empty to discover it (OPENCLAW_STATE_DIR, else ~/.openclaw).'),
    placeHolder: '~/.openclaw',
    validate: () => undefined,
  });
  if (stateDir === undefined) return { outcome: 'cancelled' };

  await registry.add({ id, ...target, ...(stateDir.trim() ? { stateDir: stateDir.trim() } : {}) });
  tree.refresh();
  if (await ui.offerCheck(id)) await vscode.commands.executeCommand('openclaw.checkConnection', id);
  return { outcome: 'added', nodeId: id };
}

/** The real questions: quick pick and input boxes that stay open when focus moves. */
export const vscodeAddNodeUi: AddNodeUi = {
  pick: (title, items) => Promise.resolve(vscode.window.showQuickPick(items, { title, ignoreFocusOut: true, matchOnDescription: true })),
  input: ({ title, prompt, value, placeHolder, validate }) =>
    Promise.resolve(
      vscode.window.showInputBox({
        title,
        prompt,
        ignoreFocusOut: true,
        validateInput: validate,
        ...(value !== undefined ? { value } : {}),
        ...(placeHolder ? { placeHolder } : {}),
      }),
    ),
  offerCheck: async (nodeId) => {
    const check = vscode.l10n.t('Check Connection Now');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t('Node "{0}" added. Connect now to confirm its host key and list its agents?', nodeId),
      check,
    );
    return answer === check;
  },
};

export function registerAddNode(context: vscode.ExtensionContext, deps: CommandDeps): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('openclaw.addNode', async (): Promise<AddNodeResult | undefined> => {
      try {
        return await runAddNode(deps, vscodeAddNodeUi);
      } catch (e) {
        await showError(e);
        return undefined;
      }
    }),
  );
}
