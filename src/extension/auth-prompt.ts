import * as vscode from 'vscode';
import { formatTarget } from '../core/registry/target';
import type { AuthPrompt } from '../core/ssh/connect-target';

/**
 * Asks for SSH secrets in VS Code. Nothing is stored unless the user opts in per node; opted-in
 * secrets go to SecretStorage (never settings), which can be unavailable on Linux without a
 * keyring — then we simply keep asking.
 */
export class VscodeAuthPrompt implements AuthPrompt {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async password(request: { nodeId: string; username: string; host: string; port?: number }): Promise<string | undefined> {
    const key = `password:${request.nodeId}:${request.username}@${request.host}`;
    const stored = await this.readSecret(key);
    if (stored) return stored;
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('SSH password for {0}', formatTarget({ user: request.username, host: request.host, port: request.port })),
      prompt: vscode.l10n.t('Node "{0}". The password is not stored unless you choose to.', request.nodeId),
      password: true,
      ignoreFocusOut: true,
    });
    if (value) await this.offerToRemember(key, value);
    return value;
  }

  async passphrase(request: { nodeId: string; keyPath: string }): Promise<string | undefined> {
    const key = `passphrase:${request.keyPath}`;
    const stored = await this.readSecret(key);
    if (stored) return stored;
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Passphrase for {0}', request.keyPath),
      prompt: vscode.l10n.t('Node "{0}". The passphrase is not stored unless you choose to.', request.nodeId),
      password: true,
      ignoreFocusOut: true,
    });
    if (value) await this.offerToRemember(key, value);
    return value;
  }

  async keyboardInteractive(request: {
    nodeId: string;
    name: string;
    instructions: string;
    prompts: { prompt: string; echo: boolean }[];
  }): Promise<string[] | undefined> {
    const answers: string[] = [];
    for (const p of request.prompts) {
      const value = await vscode.window.showInputBox({
        title: request.name || vscode.l10n.t('SSH login for node "{0}"', request.nodeId),
        prompt: [request.instructions, p.prompt].filter(Boolean).join(' — '),
        password: !p.echo,
        ignoreFocusOut: true,
      });
      if (value === undefined) return undefined;
      answers.push(value);
    }
    return answers;
  }

  private async readSecret(key: string): Promise<string | undefined> {
    try {
      return await this.secrets.get(`openclaw.${key}`);
    } catch {
      return undefined;
    }
  }

  private async offerToRemember(key: string, value: string): Promise<void> {
    const remember = vscode.l10n.t('Remember in Secret Storage');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Remember this secret for next time?'), remember, vscode.l10n.t('Not now'));
    if (choice !== remember) return;
    try {
      await this.secrets.store(`openclaw.${key}`, value);
    } catch (e) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Secret Storage is not available ({0}); you will be asked again next time.', (e as Error).message));
    }
  }
}
