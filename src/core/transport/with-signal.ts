import type { OpOptions, Transport } from './types';

/**
 * A transport whose every operation also stops when `signal` aborts. The connection keeper runs
 * CLI commands for clients that can go away (Ctrl-C, a `timeout` wrapper, a closed terminal): with
 * this, the work of a command whose caller is gone is cancelled on the node instead of running —
 * and reading — on in the keeper. Closing the wrapper closes the transport.
 */
export function withSignal(transport: Transport, signal: AbortSignal): Transport {
  const op = <O extends OpOptions>(options: O | undefined): O => {
    const own = options?.signal;
    return { ...(options ?? ({} as O)), signal: own ? AbortSignal.any([own, signal]) : signal };
  };
  return {
    nodeId: transport.nodeId,
    kind: transport.kind,
    exec: (command, options) => transport.exec(command, op(options)),
    execStream: (command, options) => transport.execStream(command, op(options)),
    stat: (path, options) => transport.stat(path, op(options)),
    statOrUndefined: (path, options) => transport.statOrUndefined(path, op(options)),
    readdir: (path, options) => transport.readdir(path, op(options)),
    readFile: (path, options) => transport.readFile(path, op(options)),
    writeFileAtomic: (path, data, options) => transport.writeFileAtomic(path, data, op(options)),
    rename: (from, to, options) => transport.rename(from, to, op(options)),
    remove: (path, options) => transport.remove(path, op(options)),
    mkdir: (path, options) => transport.mkdir(path, op(options)),
    download: (remotePath, destination, options) => transport.download(remotePath, destination, op(options)),
    upload: (source, remotePath, options) => transport.upload(source, remotePath, op(options)),
    connectTcp: (port, options) => transport.connectTcp(port, op(options)),
    close: () => transport.close(),
  };
}
