/**
 * The local end of SFTP transfers: writing downloaded chunks into the caller's stream with
 * backpressure (and a clear error when it fails or closes early), and ending it.
 */
import type { Writable } from 'node:stream';
import { OcmError } from '../errors';
import type { GuardContext } from './sftp-guard';

export function writeWithBackpressure(destination: Writable, chunk: Buffer, ctx: GuardContext): Promise<void> | void {
  if (destination.destroyed) throw new OcmError('cancelled', `The destination of ${ctx.path} was closed before the download finished.`, { nodeId: ctx.nodeId });
  if (destination.write(chunk)) return;
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      destination.off('drain', onDrain);
      destination.off('error', onError);
      destination.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(
        new OcmError('failed', `Writing the download of ${ctx.path} failed here: ${e.message}. Check the local disk.`, { nodeId: ctx.nodeId }, { cause: e }),
      );
    };
    const onClose = (): void => {
      cleanup();
      reject(new OcmError('cancelled', `The destination of ${ctx.path} was closed before the download finished.`, { nodeId: ctx.nodeId }));
    };
    destination.on('drain', onDrain);
    destination.on('error', onError);
    destination.on('close', onClose);
  });
}

export function endWritable(destination: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.once('error', reject);
    destination.end(() => {
      destination.off('error', reject);
      resolve();
    });
  });
}
