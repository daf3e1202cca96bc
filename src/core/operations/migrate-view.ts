import { redactSecrets } from '../redact';
import { diff } from '../vendor';
import type { MigrationPlan } from './migrate-plan';

/**
 * How faces show a migration plan without leaking secrets: the plan with `secrets` dropped and
 * every config text passed through redactSecrets (tokens, apiKeys), and unified diffs of the
 * adapted config against the source's (and against the target's current one).
 */

/** The last segment of a dotted config key names a secret (`gateway.auth.token`, `...apiKey`). */
const SECRET_KEY = /(token|secret|password|passwd|passphrase|api[_-]?key|apikey|private[_-]?key|access[_-]?key|credential)s?$/i;

/** A rewritten value as a preview may show it: a secret key's value never; other values with secrets masked. */
function shownValue(key: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '<redacted>') return value;
  const last =
    key
      .replace(/\[\d+\]$/, '')
      .split('.')
      .pop() ?? '';
  return SECRET_KEY.test(last) ? '<redacted>' : redactSecrets(value);
}

/** The plan for printing / sending to a webview: no secret values anywhere. */
export function redactedPlan(plan: MigrationPlan): Omit<MigrationPlan, 'secrets'> {
  const { secrets: _secrets, ...rest } = plan;
  return {
    ...rest,
    configRewrites: rest.configRewrites.map((r) => {
      const before = shownValue(r.key, r.before);
      const after = shownValue(r.key, r.after);
      return { ...r, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
    }),
    to: {
      ...rest.to,
      current: { ...rest.to.current, ...(rest.to.current.configText !== undefined ? { configText: redactSecrets(rest.to.current.configText) } : {}) },
    },
    config: {
      ...rest.config,
      files: rest.config.files.map((f) => ({
        ...f,
        before: redactSecrets(f.before),
        after: redactSecrets(f.after),
        ...(f.targetCurrent !== undefined ? { targetCurrent: redactSecrets(f.targetCurrent) } : {}),
      })),
    },
  };
}

/**
 * Unified diff (secrets redacted) of every config file: `source` = the source's text → adapted;
 * `target` = what is at that place on the target today → adapted (files the target has).
 */
export function migrationConfigDiff(plan: MigrationPlan, against: 'source' | 'target' = 'source'): string {
  const out: string[] = [];
  for (const f of plan.config.files) {
    if (against === 'target' && f.targetCurrent === undefined) continue;
    const before = against === 'source' ? f.before : f.targetCurrent!;
    const label = against === 'source' ? `${plan.from.nodeId}:${f.sourcePath}` : `${plan.to.nodeId}:${f.targetPath} (now)`;
    out.push(
      diff().createTwoFilesPatch(label, `${plan.to.nodeId}:${f.targetPath}`, redactSecrets(before), redactSecrets(f.after), undefined, undefined, {
        context: 2,
      }),
    );
  }
  return out.join('');
}
