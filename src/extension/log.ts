import * as vscode from 'vscode';

/** One leveled log for the whole extension (LogOutputChannel); callers pass already-redacted text. */
let channel: vscode.LogOutputChannel | undefined;

export function log(): vscode.LogOutputChannel {
  channel ??= vscode.window.createOutputChannel('OpenClaw Manager', { log: true });
  return channel;
}
