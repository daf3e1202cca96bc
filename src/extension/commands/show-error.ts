import * as vscode from 'vscode';
import { toOcmError } from '../../core/errors';

export async function showError(e: unknown): Promise<void> {
  const err = toOcmError(e);
  if (err.kind === 'cancelled') return;
  await vscode.window.showErrorMessage(err.message);
}
