import type { Writable } from 'node:stream';
import { tar } from '../vendor';

export interface TarHeaderFields {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  size: number;
  mode: number;
  mtime?: Date;
  linkpath?: string;
}

const BLOCK = 512;
const ZEROS = Buffer.alloc(BLOCK * 2);

/**
 * A minimal streaming tar writer (ustar + PAX for long names) with backpressure: `write` resolves
 * when the destination can take more, so memory stays bounded whatever the archive size.
 * Owner ids are written as 0 like OpenClaw's own archives (restore makes files the user's).
 */
export class TarWriter {
  private pendingPad = 0;

  constructor(private readonly out: Writable) {}

  async writeHeader(fields: TarHeaderFields): Promise<void> {
    const size = fields.type === 'File' ? fields.size : 0;
    const data = {
      path: fields.path,
      type: fields.type,
      size,
      mode: fields.mode & 0o7777,
      mtime: fields.mtime ?? new Date(0),
      uid: 0,
      gid: 0,
      ...(fields.linkpath !== undefined ? { linkpath: fields.linkpath } : {}),
    };
    const header = new (tar().Header)(data);
    if (header.encode()) {
      await this.write(
        new (tar().Pax)({ path: fields.path, ...(fields.linkpath !== undefined ? { linkpath: fields.linkpath } : {}), size, mtime: data.mtime }).encode(),
      );
    }
    await this.write(header.block!);
    this.pendingPad = (BLOCK - (size % BLOCK)) % BLOCK;
  }

  /** Content bytes of the current file entry. */
  async writeData(chunk: Buffer): Promise<void> {
    await this.write(chunk);
  }

  /** Pads the current file to a block boundary. */
  async endEntry(): Promise<void> {
    if (this.pendingPad > 0) await this.write(ZEROS.subarray(0, this.pendingPad));
    this.pendingPad = 0;
  }

  async writeFile(path: string, data: Buffer, mode = 0o600, mtime?: Date): Promise<void> {
    await this.writeHeader({ path, type: 'File', size: data.length, mode, ...(mtime ? { mtime } : {}) });
    await this.writeData(data);
    await this.endEntry();
  }

  /** Writes the end-of-archive marker (two zero blocks); the caller ends the stream. */
  async finish(): Promise<void> {
    await this.write(ZEROS);
  }

  private write(buf: Buffer): Promise<void> {
    if (this.out.destroyed) return Promise.reject(new Error('archive output was closed'));
    if (this.out.write(buf)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.out.off('error', onError);
        this.out.off('close', onClose);
        resolve();
      };
      const onError = (e: Error): void => {
        this.out.off('drain', onDrain);
        this.out.off('close', onClose);
        reject(e);
      };
      const onClose = (): void => {
        this.out.off('drain', onDrain);
        this.out.off('error', onError);
        reject(new Error('archive output was closed'));
      };
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
      this.out.once('close', onClose);
    });
  }
}
