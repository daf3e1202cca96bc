import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';
import { log } from '../log';

/** Every command's error toast: logged, and with a way to the log (remote commands are there). */
export async function showError(e: unknown): Promise<void> {
  const err = toOcmError(e);
  if (err.kind === 'cancelled') return;
  log().error(`${err.kind}: ${err.message}`);
  const showLogs = vscode.l10n.t('Show Logs');
  const answer = await vscode.window.showErrorMessage(err.message, showLogs);
  if (answer === showLogs) log().show(true);
}
