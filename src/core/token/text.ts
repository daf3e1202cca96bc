import type { Translator } from '../doctor/text';
import type { PlannedStep } from '../operations/types';
import type { RotationNotice, TokenRotationPlan } from './rotate-plan';

/**
 * Localized text of a rotation plan's steps and warnings for both faces (each passes its own
 * l10n, sharing l10n/bundle.l10n.ja.json); the plan's own `steps[].description` and `warnings`
 * stay English for --json.
 */
export function rotationStepText(plan: TokenRotationPlan, step: PlannedStep, l10n: Translator): string {
  const [verb, nodeId = '', ...rest] = step.id.split(':');
  const path = rest.join(':');
  if (verb === 'write') {
    const place = plan.places.find((p) => p.nodeId === nodeId && p.path === path);
    return l10n.t('{0}: write the new token into {1} ({2})', nodeId, path, place?.keys.join(', ') ?? '');
  }
  if (verb === 'reload') return l10n.t('{0}: wait until the gateway accepts the new token (hot reload; restart if it does not)', nodeId);
  if (verb === 'verify') return l10n.t("{0}: check that its configured token is accepted by {1}'s gateway", nodeId, plan.nodeId);
  return step.description;
}

export function rotationNoticeText(n: RotationNotice, l10n: Translator): string {
  const p = (k: string): string => n.params[k] ?? '';
  switch (n.code) {
    case 'unitEmbedsToken':
      return l10n.t(
        'The service unit {0} embeds the token (OpenClaw #19410); it is updated too. "openclaw gateway install --force" would write a unit without it.',
        p('unit'),
      );
    case 'ownRemoteOther':
      return l10n.t("{0}'s own gateway.remote.token points at this gateway but holds another token; it is left as it is.", p('node'));
    case 'remoteNoToken':
      return l10n.t("{0}'s gateway.remote.url points at {1}, but it has no gateway.remote.token: it is not changed.", p('dependant'), p('node'));
    case 'remoteFromEnv':
      return l10n.t("{0}'s gateway.remote.token is {1} (from its environment): set it there by hand after the rotation.", p('dependant'), p('ref'));
    case 'remoteNotLocated':
      return l10n.t("{0}'s gateway.remote.token could not be located in its config files; set it by hand.", p('dependant'));
    case 'dependantStale':
      return l10n.t(
        '{0} pointed at {1} with a token the gateway no longer has (it was offline); the rotation gives it the new one.',
        p('dependant'),
        p('node'),
      );
    case 'gatewayNotRunning':
      return l10n.t(
        'The gateway of {0} is not running: the files are updated and it takes the new token when it starts; the dependants cannot be checked now (run ocm doctor once it runs).',
        p('node'),
      );
    case 'unchecked':
      return l10n.t(
        "{0} could not be checked ({1}); if it uses {2}'s gateway, update its gateway.remote.token by hand.",
        p('dependant'),
        p('reason'),
        p('node'),
      );
    default:
      return '';
  }
}
