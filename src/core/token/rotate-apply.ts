import { OcmError } from '../errors';
import { sha256Hex } from '../history/store';
import { readOpenclawConfig } from '../openclaw/config';
import { restartGateway } from '../operations/restart';
import { runSteps, type Step } from '../operations/steps';
import type { ApplyProgress, ApplyResult } from '../operations/types';
import { withPartialUndo } from '../operations/operation';
import { safeWrite } from '../safe-write';
import { validatorFromLocation } from '../safe-write/validator-for-node';
import { probeGatewayToken, waitForTokenVerdict } from './auth-probe';
import { maskToken, scrubTokens } from './mask';
import { configTokens } from './places';
import { planSecrets, type RotationNode, type TokenPlace, type TokenRotationPlan } from './rotate-plan';

/**
 * Applies a token rotation plan as reversible steps (operations/steps.ts): the gateway node's
 * files (unit, .env, config — each through safe save: conflict-checked against the plan, the
 * config validated by the node's own `openclaw config validate`, the replaced bytes kept in the
 * pre-edit history), then the gateway is waited for until it accepts the new token (OpenClaw
 * 2026.9 hot-reloads a token change; otherwise it is restarted with restart.ts), then each
 * dependant's files, then each dependant is verified: the token now on its disk is accepted by the
 * gateway. Any failure undoes every completed step newest first — a file's undo writes the old
 * bytes back and, for the gateway's config, waits until the gateway accepts the OLD token again
 * (restarting it when it does not). The result never contains either token.
 *
 * Why no full safety backup as restore/migrate take: a rotation changes at most a handful of
 * small text files, each of whose exact previous bytes safe save puts into the local history
 * (`ocm history`), and the rollback writes them back itself.
 */

export interface ApplyTokenRotationParams {
  plan: TokenRotationPlan;
  /** Every node of the plan (gateway and dependants), by id. */
  nodes: ReadonlyMap<string, RotationNode>;
  /** Local ocm home (safe save's pre-edit history). */
  home?: string;
  /** How long the gateway may take to accept the new token by hot reload before it is restarted (default 20 s). */
  reloadTimeoutMs?: number;
  /** Budget of a restart (default 120 s). */
  restartTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: ApplyProgress) => void;
}

export interface TokenRotationResult extends ApplyResult {
  plan: TokenRotationPlan;
  /** Per dependant: accepted with the new token? */
  verified: Array<{ nodeId: string; ok: boolean; detail?: string }>;
  /** True when the gateway had to be restarted to take the new token. */
  restarted: boolean;
}

export async function applyTokenRotation(p: ApplyTokenRotationParams): Promise<TokenRotationResult> {
  const started = Date.now();
  const { plan } = p;
  const secrets = planSecrets(plan);
  const gateway = nodeOf(p, plan.nodeId);
  const reloadTimeoutMs = p.reloadTimeoutMs ?? 20_000;
  const verified: TokenRotationResult['verified'] = [];
  let restarted = false;

  /** Makes the gateway accept `token` (after its config changed): hot reload first, restart otherwise. */
  const settleGateway = async (token: string, what: string, signal?: AbortSignal): Promise<void> => {
    const port = gateway.location.gatewayPort;
    const sig = signal ? { signal } : {};
    let probe = await waitForTokenVerdict(gateway.transport, port, token, 'accepted', { timeoutMs: reloadTimeoutMs, ...sig });
    if (probe.verdict === 'accepted') return;
    const r = await restartGateway({
      transport: gateway.transport,
      location: gateway.location,
      node: gateway.node,
      timeoutMs: p.restartTimeoutMs ?? 120_000,
      ...sig,
    });
    restarted = true;
    if (!r.ok)
      throw new OcmError('failed', `${plan.nodeId}'s gateway did not come back after a restart (${r.lastError ?? (r.failing.join(', ') || 'not ready')}).`, {
        nodeId: plan.nodeId,
      });
    probe = await waitForTokenVerdict(gateway.transport, port, token, 'accepted', { timeoutMs: reloadTimeoutMs, ...sig });
    if (probe.verdict !== 'accepted') {
      throw new OcmError(
        'failed',
        `${plan.nodeId}'s gateway does not accept the ${what} token (${probe.verdict}${probe.status ? `, HTTP ${probe.status}` : ''}${probe.error ? `: ${probe.error}` : ''}), also after a restart.`,
        { nodeId: plan.nodeId },
      );
    }
  };

  const writeStep = (place: TokenPlace): Step => {
    const target = nodeOf(p, place.nodeId);
    const t = target.transport;
    const text = secrets.texts.get(place)!;
    const isGatewayConfig = place.role === 'gateway' && place.kind === 'config';
    return {
      id: `write:${place.nodeId}:${place.path}`,
      description: `${place.nodeId}: write the new token into ${place.path}`,
      run: async (signal) => {
        const undo = async (): Promise<void> => {
          const now = await t.readFile(place.path).catch(() => undefined);
          if (!now || sha256Hex(now) !== place.before.sha256) await t.writeFileAtomic(place.path, Buffer.from(text.before, 'utf8'));
          if (place.kind === 'systemd') await daemonReload(target).catch(() => undefined);
          if (isGatewayConfig && plan.gateway.running) await settleGateway(secrets.oldToken, 'old');
        };
        try {
          await safeWrite(t, {
            remotePath: place.path,
            content: Buffer.from(text.after, 'utf8'),
            expected: { sha256: place.before.sha256 },
            nodeId: place.nodeId,
            kind: place.kind === 'config' ? (place.path === target.location.configPath ? 'openclawConfig' : 'json5') : 'text',
            ...(place.kind === 'config' ? { validator: validatorFromLocation(target.location) } : {}),
            ...(p.home ? { home: p.home } : {}),
            ...(signal ? { signal } : {}),
            backupReason: 'pre-edit',
          });
        } catch (e) {
          throw withPartialUndo(e, undo);
        }
        // The running gateway takes the token from openclaw.json (config first); the unit's copy
        // matters at its next start, so a daemon-reload that cannot run is a note, not a failure.
        if (place.kind === 'systemd') {
          const reloaded = await daemonReload(target).then(
            () => undefined,
            (e: unknown) => (e instanceof Error ? e.message : String(e)),
          );
          if (reloaded) return { undo, note: reloaded };
        }
        return { undo };
      },
    };
  };

  const steps: Step[] = [];
  for (const place of plan.places.filter((pl) => pl.role === 'gateway')) steps.push(writeStep(place));
  if (plan.gateway.running) {
    steps.push({
      id: `reload:${plan.nodeId}`,
      description: `${plan.nodeId}: wait until the gateway accepts the new token`,
      run: async (signal) => {
        await settleGateway(secrets.newToken, 'new', signal);
        const old = await probeGatewayToken(gateway.transport, gateway.location.gatewayPort, secrets.oldToken, signal ? { signal } : {});
        return old.verdict === 'accepted'
          ? { note: `${plan.nodeId}'s gateway still accepts the old token too (another source of it, e.g. its environment?).` }
          : {};
      },
    });
  }
  for (const place of plan.places.filter((pl) => pl.role === 'dependant')) steps.push(writeStep(place));
  if (plan.gateway.running) {
    for (const d of plan.dependants.filter((x) => plan.places.some((pl) => pl.nodeId === x.nodeId))) {
      steps.push({
        id: `verify:${d.nodeId}`,
        description: `${d.nodeId}: its configured token is accepted by ${plan.nodeId}'s gateway`,
        run: async (signal) => {
          const dep = nodeOf(p, d.nodeId);
          const config = await readOpenclawConfig(dep.transport, dep.location.configPath, signal ? { signal } : {});
          const token = configTokens(config.resolved).remoteToken;
          if (token !== secrets.newToken) {
            verified.push({ nodeId: d.nodeId, ok: false, detail: 'its config does not hold the new token' });
            throw new OcmError(
              'conflict',
              `${d.nodeId}'s gateway.remote.token on disk is ${maskToken(token)}, not the new token: something changed its config meanwhile.`,
              { nodeId: d.nodeId },
            );
          }
          const probe = await probeGatewayToken(gateway.transport, gateway.location.gatewayPort, token, signal ? { signal } : {});
          verified.push({
            nodeId: d.nodeId,
            ok: probe.verdict === 'accepted',
            ...(probe.verdict !== 'accepted' ? { detail: probe.error ?? probe.verdict } : {}),
          });
          if (probe.verdict !== 'accepted')
            throw new OcmError('failed', `${plan.nodeId}'s gateway refuses ${d.nodeId}'s new token (${probe.verdict}).`, { nodeId: d.nodeId });
        },
      });
    }
  }

  const run = await runSteps(steps, { ...(p.signal ? { signal: p.signal } : {}), ...(p.onProgress ? { onProgress: p.onProgress } : {}) });
  const notes = [...run.notes];
  if (!run.ok && run.rollbackErrors.length > 0) {
    notes.push(
      `Not everything could be put back. The replaced files' previous bytes are in the local history (ocm history <node> <path>); the old token is ${maskToken(secrets.oldToken)}.`,
    );
  }
  p.onProgress?.({ phase: 'done', ok: run.ok });
  const result: TokenRotationResult = {
    ok: run.ok,
    plan,
    steps: run.reports,
    ...(run.error ? { error: { kind: run.error.kind, message: run.error.message, ...(run.failedStep ? { step: run.failedStep } : {}) } } : {}),
    rolledBack: !run.ok && run.rolledBack,
    rollbackErrors: run.rollbackErrors,
    notes,
    durationMs: Date.now() - started,
    verified,
    restarted,
  };
  return scrubTokens(result, [secrets.oldToken, secrets.newToken]);
}

function nodeOf(p: ApplyTokenRotationParams, nodeId: string): RotationNode {
  const n = p.nodes.get(nodeId);
  if (!n) throw new OcmError('invalidInput', `Node ${nodeId} of the token rotation plan was not given to apply.`, { nodeId });
  return n;
}

async function daemonReload(n: RotationNode): Promise<void> {
  if (n.location.supervisor !== 'systemd') return;
  const system = /^\/(etc|usr\/lib|lib)\/systemd\/system\//.test(n.location.supervisorUnit ?? '');
  const r = await n.transport.exec(
    `export XDG_RUNTIME_DIR="\${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"; ${system ? 'systemctl' : 'systemctl --user'} daemon-reload`,
    { timeoutMs: 60_000 },
  );
  if (r.exitCode !== 0)
    throw new OcmError(
      'failed',
      `systemctl daemon-reload failed on ${n.node.id}: ${r.stderr.trim().slice(0, 300)} The unit file was written; run "systemctl --user daemon-reload" there.`,
      { nodeId: n.node.id },
    );
}
