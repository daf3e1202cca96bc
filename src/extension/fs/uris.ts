import * as vscode from 'vscode';

export const LIVE_SCHEME = 'openclaw';

/** `openclaw://<nodeId>/<absolute path on the node>` */
export function liveUri(nodeId: string, remotePath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LIVE_SCHEME, authority: nodeId, path: remotePath });
}

export function parseLiveUri(uri: vscode.Uri): { nodeId: string; remotePath: string } {
  return { nodeId: uri.authority, remotePath: uri.path || '/' };
}
