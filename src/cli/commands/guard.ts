import type { Command } from 'commander';
import { backupStoreFor } from '../../core/backup/store';
import { guardIndexPath, MixupGuard, type GuardRoster } from '../../core/guard';
import { ocmHome } from '../../core/home';
import { agentsFromLocation, locateOpenclaw } from '../../core/openclaw';
import { readFileBounded } from '../../core/transport/read-bounded';
import { registryFor } from './registry';
import { printJson, type CliContext } from '../context';
import { l10n } from '../l10n';
import { withNodeAccess } from '../node-connection';
import { acceptNewOption, jsonOption } from '../options';

/**
 * `ocm guard refresh [ids...]`: rebuilds the mix-up guard's fingerprints of every agent's memory
 * from local backups and history — each node is asked for its agent list, and for the guarded
 * files (MEMORY/SOUL/IDENTITY/USER.md) that neither holds yet — e.g. from cron after the nightly backup. `ocm guard status`: what the index knows.
 */
export function registerGuardCommands(program: Command, ctx: CliContext): void {
  const guard = program.command('guard').description(l10n.t("the mix-up guard: fingerprints of every agent's memory, kept locally, checked before each save"));
  guard
    .command('refresh')
    .description(l10n.t('rebuild the fingerprints from backups and history (asks each node for its agents)'))
    .argument('[ids...]', l10n.t('node ids (default: every active node)'))
    .addOption(jsonOption())
    .addOption(acceptNewOption())
    .action(async (ids: string[], opts: { json?: boolean; acceptNew?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const nodes = (await registryFor(ctx).list()).filter((n) => (ids.length ? ids.includes(n.id) : n.status === 'active'));
      const rosters: GuardRoster[] = [];
      const report: { id: string; ok: boolean; error?: string }[] = [];
      const guard = new MixupGuard(ocmHome(ctx.env), backupStoreFor(ctx.env));
      let index: Awaited<ReturnType<MixupGuard['refresh']>> | undefined;
      await withNodeAccess(ctx, opts, async (access) => {
        await Promise.all(
          nodes.map(async (n) => {
            try {
              rosters.push({ nodeId: n.id, agents: agentsFromLocation(await locateOpenclaw(await access.transport(n.id), n)) });
              report.push({ id: n.id, ok: true });
            } catch (e) {
              report.push({ id: n.id, ok: false, error: (e as Error).message });
            }
          }),
        );
        // Guarded files that no backup or history holds yet are read from the node once.
        index = await guard.refresh(rosters, {
          readLive: async (nodeId, path) => readFileBounded(await access.transport(nodeId), path, 4 * 1024 * 1024).catch(() => undefined),
        });
      });
      if (!index) return;
      if (report.some((r) => !r.ok)) ctx.exitCode = 1;
      if (opts.json) return printJson(ctx, { agents: index.agents.length, files: index.files.length, phrases: index.hashes.length, nodes: report });
      for (const r of report) if (!r.ok) ctx.err(l10n.t('{0}: {1} (its fingerprints were kept as they were)', r.id, r.error ?? '') + '\n');
      ctx.out(
        l10n.t('Fingerprints of {0} agent(s), {1} file(s) are ready in {2}.', index.agents.length, index.files.length, guardIndexPath(ocmHome(ctx.env))) + '\n',
      );
    });
  guard
    .command('status')
    .description(l10n.t('show what the mix-up guard knows'))
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => {
      ctx.json = Boolean(opts.json);
      const index = await new MixupGuard(ocmHome(ctx.env)).ready();
      const agents = index.agents.map((a, i) => ({
        nodeId: a.nodeId,
        agentId: a.agentId,
        names: a.names,
        files: index.files.filter((f) => f.agent === i).length,
      }));
      if (opts.json) return printJson(ctx, { builtAt: index.builtAt ? new Date(index.builtAt).toISOString() : null, agents });
      if (!index.builtAt) {
        ctx.out(l10n.t('No fingerprints yet: run "ocm guard refresh" (saves build them for the node they go to).') + '\n');
        return;
      }
      ctx.out(l10n.t('Built {0}: {1} agent(s).', new Date(index.builtAt).toISOString(), agents.length) + '\n');
      for (const a of agents) ctx.out(`  ${a.nodeId}/${a.agentId}${a.names.length ? ` (${a.names.join(', ')})` : ''}: ${l10n.t('{0} file(s)', a.files)}\n`);
    });
}
