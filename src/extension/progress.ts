import * as vscode from 'vscode';

/**
 * Runs long work in a cancellable notification and threads cancellation down to the core as an
 * AbortSignal (the transport closes its channel when it fires).
 */
export async function withCancellableProgress<T>(
  title: string,
  work: (report: (message: string, increment?: number) => void, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    try {
      return await work((message, increment) => progress.report({ message, ...(increment !== undefined ? { increment } : {}) }), controller.signal);
    } finally {
      subscription.dispose();
    }
  });
}
