import * as vscode from 'vscode';
import { log } from '../log';

/** "Show Logs": the OpenClaw Manager log (remote commands and timings at debug level). */
export function registerShowLogs(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('openclaw.showLogs', () => log().show(true)));
}
