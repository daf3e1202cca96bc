import * as vscode from 'vscode';

export const PLAN_SCHEME = 'openclaw-plan';

/**
 * Read-only, in-memory documents for previews of planned changes (the "after" side of a restore
 * or a migrated openclaw.json): virtual URIs, never temp files. Cleared when a preview is replaced.
 */
export class PlanContentProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  /** Stores text under `openclaw-plan://<planKey>/<path>` and returns that URI. */
  put(planKey: string, path: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, authority: planKey, path: path.startsWith('/') ? path : `/${path}` });
    this.contents.set(uri.toString(), text);
    this.emitter.fire(uri);
    return uri;
  }

  clear(planKey: string): void {
    for (const key of [...this.contents.keys()]) if (vscode.Uri.parse(key).authority === planKey) this.contents.delete(key);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }
}
