/**
 * Ctrl-C (or SIGTERM) cancels the running backup or operation through an AbortSignal — which
 * removes a partial archive or rolls an operation back — instead of killing the CLI mid-change.
 */
/** Runs `work` with an interrupt signal and always removes the signal handlers afterwards. */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, dispose } = interruptSignal();
  try {
    return await work(signal);
  } finally {
    dispose();
  }
}

export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const onInt = (): void => ac.abort();
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onInt);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onInt);
    },
  };
}
