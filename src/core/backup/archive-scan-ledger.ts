import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { ReadEntry } from 'tar';
import { archiveRejected, checkArchivePath, FILE_TYPES, PAYLOAD_PREFIX, type ArchiveLimits, type ArchiveScan, type PendingLink } from './archive-rules';
import type { IndexEntry } from './types';

/**
 * What the archive scan has seen so far, and the named checks each entry goes through: its
 * header (safe path, one top-level folder, counts, duplicates, sizes), then by kind — the
 * manifest, the layout folders, the payload's folders, symbolic links, hard links and files —
 * and at the end the archive as a whole (one valid manifest, nothing beneath a symbolic link).
 * Every check throws the rejection (archiveRejected); the stream scanner turns it into a failure.
 */

interface Admitted {
  raw: string;
  key: string;
  /** The path below the archive's root folder. */
  relative: string;
  size: number;
}

export class ScanLedger {
  root: string | undefined;
  readonly entries: IndexEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly symlinkPaths = new Set<string>();
  private readonly pendingLinks: PendingLink[] = [];
  private readonly manifests: Buffer[] = [];
  totalBytes = 0;
  private entryCount = 0;

  constructor(
    private readonly archivePath: string,
    private readonly limits: ArchiveLimits,
  ) {}

  private reject(entry: string | undefined, reason: string, check: string): never {
    throw archiveRejected(this.archivePath, entry, reason, check);
  }

  /** One tar entry: checked, recorded, and its data consumed (hashed for files, kept for the manifest). */
  take(entry: ReadEntry): void {
    const admitted = this.admit(entry);
    const { raw, relative } = admitted;
    if (relative === 'manifest.json') return this.takeManifest(entry, admitted);
    if (relative === '' || relative === 'payload' || relative === PAYLOAD_PREFIX) {
      if (entry.type !== 'Directory') this.reject(raw, 'only a folder may have this name.', 'layout');
      return void entry.resume();
    }
    if (!relative.startsWith(PAYLOAD_PREFIX + '/')) {
      this.reject(raw, `it is outside ${this.root}/${PAYLOAD_PREFIX}/ (the only place for backed-up files).`, 'layout');
    }
    const sourcePath = '/' + relative.slice(PAYLOAD_PREFIX.length + 1);
    const mode = (entry.mode ?? 0) & 0o7777;
    if (entry.type === 'Directory') this.entries.push({ path: sourcePath, type: 'directory', size: 0, mode });
    else if (entry.type === 'SymbolicLink') this.takeSymlink(entry, admitted, sourcePath, mode);
    else if (entry.type === 'Link') this.takeHardlink(entry, admitted, sourcePath, mode);
    else if (FILE_TYPES.has(entry.type)) return this.takeFile(entry, admitted, sourcePath, mode);
    else this.reject(raw, `unsupported entry type ${entry.type}; backups contain only files, folders and links.`, 'type');
    entry.resume();
  }

  /** The header: a safe path under the archive's one top-level folder, within the limits, seen once. */
  private admit(entry: ReadEntry): Admitted {
    const raw = entry.path;
    const checked = checkArchivePath(raw);
    if (!checked.ok) this.reject(raw, checked.reason, 'path');
    const segments = checked.segments;
    if (this.root === undefined) this.root = segments[0];
    if (segments[0] !== this.root) this.reject(raw, `it is outside the archive's single top-level folder "${this.root}".`, 'root');
    if (++this.entryCount > this.limits.maxEntries) this.reject(raw, `the archive has more than ${this.limits.maxEntries} entries.`, 'limit');
    const key = segments.join('/');
    if (this.seen.has(key)) this.reject(raw, 'the path appears twice in the archive.', 'duplicate');
    this.seen.add(key);
    const size = entry.size ?? 0;
    if (size > this.limits.maxEntryBytes)
      this.reject(raw, `it declares ${size} bytes, more than the ${this.limits.maxEntryBytes}-byte limit per entry.`, 'limit');
    this.totalBytes += size;
    if (this.totalBytes > this.limits.maxTotalBytes) this.reject(raw, `the archive expands to more than ${this.limits.maxTotalBytes} bytes (limit).`, 'limit');
    return { raw, key, relative: segments.slice(1).join('/'), size };
  }

  private takeManifest(entry: ReadEntry, { raw, size }: Admitted): void {
    if (!FILE_TYPES.has(entry.type)) this.reject(raw, 'the manifest is not a regular file.', 'manifest');
    if (size > this.limits.maxManifestBytes) this.reject(raw, `the manifest is larger than ${this.limits.maxManifestBytes} bytes.`, 'limit');
    const parts: Buffer[] = [];
    entry.on('data', (c: Buffer) => parts.push(c));
    entry.on('end', () => this.manifests.push(Buffer.concat(parts)));
  }

  /** A relative target must stay inside the payload; absolute targets are listed as external at the end. */
  private takeSymlink(entry: ReadEntry, { raw, key, relative }: Admitted, sourcePath: string, mode: number): void {
    const linkpath = entry.linkpath ?? '';
    if (linkpath === '' || linkpath.includes('\0')) this.reject(raw, 'the symbolic link has no valid target.', 'link');
    if (!linkpath.startsWith('/')) {
      const target = posix.normalize(posix.join(posix.dirname(relative), linkpath));
      if (target === '..' || target.startsWith('../')) this.reject(raw, `the symbolic link target "${linkpath}" escapes the archive.`, 'link');
      if (!(target === PAYLOAD_PREFIX || target.startsWith(PAYLOAD_PREFIX + '/'))) {
        this.reject(raw, `the symbolic link target "${linkpath}" points outside the payload.`, 'link');
      }
    }
    this.symlinkPaths.add(key);
    this.pendingLinks.push({ rawPath: raw, relative, linkpath });
    this.entries.push({ path: sourcePath, type: 'symlink', size: 0, mode, linkTarget: linkpath });
  }

  /** A hard link must name an earlier regular file of the payload. */
  private takeHardlink(entry: ReadEntry, { raw }: Admitted, sourcePath: string, mode: number): void {
    const root = this.root!;
    const linkpath = entry.linkpath ?? '';
    const checkedTarget = checkArchivePath(linkpath);
    if (!checkedTarget.ok) this.reject(raw, `the hard link target "${linkpath}" is unsafe: ${checkedTarget.reason}`, 'link');
    const targetKey = checkedTarget.segments[0] === root ? checkedTarget.segments.join('/') : [root, ...checkedTarget.segments].join('/');
    const targetRelative = targetKey.slice(root.length + 1);
    if (!targetRelative.startsWith(PAYLOAD_PREFIX + '/') || !this.seen.has(targetKey)) {
      this.reject(raw, `the hard link target "${linkpath}" is not an earlier file in the archive's payload.`, 'link');
    }
    const target = this.entries.find((e) => e.path === '/' + targetRelative.slice(PAYLOAD_PREFIX.length + 1));
    if (!target || target.type !== 'file') this.reject(raw, `the hard link target "${linkpath}" is not a regular file.`, 'link');
    this.entries.push({ path: sourcePath, type: 'hardlink', size: target.size, mode, sha256: target.sha256!, linkTarget: target.path });
  }

  private takeFile(entry: ReadEntry, { size }: Admitted, sourcePath: string, mode: number): void {
    const record: IndexEntry = { path: sourcePath, type: 'file', size, mode };
    this.entries.push(record);
    const hash = createHash('sha256');
    entry.on('data', (c: Buffer) => hash.update(c));
    entry.on('end', () => {
      record.sha256 = hash.digest('hex');
    });
  }

  /** The archive as a whole, once every entry is in: exactly one valid manifest, nothing beneath a symbolic link. */
  finish(archiveSha256: string, archiveSize: number): ArchiveScan {
    const root = this.root;
    if (root === undefined) this.reject(undefined, 'It contains no entries.', 'format');
    const where = `${root}/manifest.json`;
    if (this.manifests.length !== 1) {
      this.reject(
        where,
        this.manifests.length === 0
          ? 'the archive has no manifest.json at its top level.'
          : `the archive has ${this.manifests.length} manifests; exactly one is allowed.`,
        'manifest',
      );
    }
    const manifestBytes = this.manifests[0]!;
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch {
      this.reject(where, 'the manifest is not valid JSON.', 'manifest');
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) this.reject(where, 'the manifest is not a JSON object.', 'manifest');
    const m = manifest as Record<string, unknown>;
    if (m.schemaVersion !== 1) this.reject(where, `unsupported manifest schemaVersion ${String(m.schemaVersion)} (expected 1).`, 'manifest');
    if (m.archiveRoot !== root) this.reject(where, `the manifest names archiveRoot "${String(m.archiveRoot)}", not "${root}".`, 'manifest');
    // No entry may live beneath a symbolic link: extracting it would write through the link.
    for (const key of this.seen) {
      for (let parent = posix.dirname(key); parent !== '.' && parent !== root; parent = posix.dirname(parent)) {
        if (this.symlinkPaths.has(parent)) this.reject(key, `it lies beneath the symbolic link "${parent}".`, 'link');
      }
    }
    const stateDir = manifestStateDir(m);
    const externalSymbolicLinks = this.pendingLinks
      .filter((link) => isExternalLink(link, stateDir))
      .map((link) => ({ entryPath: link.rawPath, linkpath: link.linkpath }));
    return {
      archivePath: this.archivePath,
      archiveSha256,
      archiveSize,
      archiveRoot: root,
      manifest: m,
      manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
      entries: this.entries,
      externalSymbolicLinks,
      totalBytes: this.totalBytes,
    };
  }
}

function manifestStateDir(manifest: Record<string, unknown>): string | undefined {
  const paths = manifest.paths as Record<string, unknown> | undefined;
  if (paths && typeof paths.stateDir === 'string') return paths.stateDir;
  const assets = Array.isArray(manifest.assets) ? (manifest.assets as Array<Record<string, unknown>>) : [];
  const state = assets.find((a) => a && a.kind === 'state' && typeof a.sourcePath === 'string');
  return state ? (state.sourcePath as string) : undefined;
}

/** OpenClaw's rule: a link is external when its target lies outside the state dir. */
function isExternalLink(link: PendingLink, stateDir: string | undefined): boolean {
  if (stateDir === undefined) return link.linkpath.startsWith('/');
  const target = link.linkpath.startsWith('/')
    ? posix.normalize(link.linkpath)
    : '/' + posix.normalize(posix.join(posix.dirname(link.relative), link.linkpath)).slice(PAYLOAD_PREFIX.length + 1);
  const rel = posix.relative(stateDir, target);
  return rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel);
}
