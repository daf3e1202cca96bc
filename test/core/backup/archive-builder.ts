import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

/** Test helper: writes a .tar.gz with exactly the headers given, hostile ones included. */
export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'FIFO' | 'CharacterDevice';
  data?: string | Buffer;
  linkpath?: string;
  mode?: number;
  /** Declared size when it should differ from data (no data written then). */
  declaredSize?: number;
}

export function tarBytes(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'File';
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const size = type === 'File' ? (e.declaredSize ?? data.length) : 0;
    const h = new Header({
      path: e.path,
      type,
      size,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...(e.linkpath ? { linkpath: e.linkpath } : {}),
    });
    h.encode();
    blocks.push(h.block!);
    if (type === 'File' && e.declaredSize === undefined && data.length > 0) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export const ROOT = '2026-01-01T00-00-00.000+00-00-openclaw-backup';
export const STATE = '/home/u/.openclaw';
export const P = `${ROOT}/payload/posix`;

export function manifestFor(root = ROOT, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    schemaVersion: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    archiveRoot: root,
    runtimeVersion: '2026.9.6',
    platform: 'linux',
    nodeVersion: 'v24',
    options: {},
    paths: { stateDir: STATE, configPath: `${STATE}/openclaw.json`, workspaceDirs: [`${STATE}/workspace`], agentRoots: [] },
    assets: [{ kind: 'state', sourcePath: STATE, archivePath: `${root}/payload/posix${STATE}` }],
    skipped: [],
    externalSymbolicLinks: [],
    ...extra,
  });
}

/** A well-formed small backup's entries (OpenClaw layout); tests add or swap entries. */
export function goodEntries(files: Record<string, string> = {}): RawEntry[] {
  const base: Record<string, string> = {
    'openclaw.json': '{ gateway: { port: 18789 } }\n',
    'workspace/MEMORY.md': '# Memory\n\n- likes tea\n',
    'workspace/AGENTS.md': '# Agents\nrules\n',
    ...files,
  };
  return [
    { path: `${P}${STATE}/`, type: 'Directory' },
    { path: `${P}${STATE}/workspace/`, type: 'Directory' },
    ...Object.entries(base).map(([rel, data]) => ({ path: `${P}${STATE}/${rel}`, data, mode: 0o600 })),
    { path: `${ROOT}/manifest.json`, data: manifestFor() },
  ];
}

export async function writeArchive(path: string, entries: RawEntry[]): Promise<void> {
  await pipeline(Readable.from([gzipSync(tarBytes(entries))]), createWriteStream(path, { mode: 0o600 }));
}
