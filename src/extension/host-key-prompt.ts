import * as vscode from 'vscode';
import type { HostKeyQuestion } from '../core/ssh/host-key-verifier';

/**
 * The extension's answer to an unknown host key: show the fingerprint and let the user decide.
 * A changed key never reaches this prompt (core refuses it outright).
 */
export async function askHostKey(question: HostKeyQuestion): Promise<boolean> {
  const trust = vscode.l10n.t('Trust and Connect');
  const where = question.port === 22 ? question.host : `${question.host}:${question.port}`;
  const detail = [
    vscode.l10n.t('{0} key fingerprint: {1}', question.keyType, question.fingerprint),
    question.knownKeyTypes.length ? vscode.l10n.t('Keys of other types are already known for this host: {0}.', question.knownKeyTypes.join(', ')) : '',
    vscode.l10n.t(
      'Compare it with the fingerprint on the machine itself (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before you trust it. It is stored in the OpenClaw Manager trust store, not in your known_hosts.',
    ),
  ]
    .filter(Boolean)
    .join('\n\n');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('The host key of node "{0}" ({1}) is not known yet.', question.nodeId, where),
    { modal: true, detail },
    trust,
  );
  return answer === trust;
}
