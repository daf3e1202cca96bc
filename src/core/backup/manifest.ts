import { posix } from 'node:path';
import type { BackupSources } from './types';

/** OpenClaw's backup manifest (schemaVersion 1), as its `backup verify` reads it. */
export interface OpenClawManifest {
  schemaVersion: 1;
  createdAt: string;
  archiveRoot: string;
  runtimeVersion: string;
  platform: string;
  nodeVersion: string;
  options: Record<string, unknown>;
  paths: {
    stateDir?: string;
    configPath: string;
    oauthDir?: string;
    workspaceDirs: string[];
    agentRoots: Array<{ agentId: string; sourcePath: string }>;
  };
  assets: Array<{ kind: string; sourcePath: string; archivePath: string }>;
  skipped: Array<{ kind: string; sourcePath: string; reason: string; coveredBy?: string }>;
  externalSymbolicLinks: Array<{ entryPath: string; linkpath: string }>;
}

/** `2026-11-22T04-22-53.192+00-00-openclaw-backup`, OpenClaw's root name format (UTC). */
export function archiveRootName(date: Date): string {
  return `${date.toISOString().replace(/:/g, '-').replace(/Z$/, '+00-00')}-openclaw-backup`;
}

export function archivePathFor(archiveRoot: string, sourcePath: string): string {
  return posix.join(archiveRoot, 'payload', 'posix', sourcePath.replace(/^\/+/, ''));
}

/** An absolute path with no `//`, `.` or `..` segment and no trailing `/`: prefix checks are exact. */
const PLAIN_ABSOLUTE = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$|^\/$/;

/** `child` relative to the folder `parent` ('' for the folder itself), or undefined when it is
 * outside (lexically). Plain absolute paths — every path a listing or a snapshot holds — take a
 * prefix check; anything else goes through `posix.relative`. */
export function relativeWithin(child: string, parent: string): string | undefined {
  if (PLAIN_ABSOLUTE.test(child) && PLAIN_ABSOLUTE.test(parent)) {
    if (child === parent) return '';
    if (parent === '/') return child.slice(1);
    return child.startsWith(parent) && child.charCodeAt(parent.length) === 47 ? child.slice(parent.length + 1) : undefined;
  }
  const rel = posix.relative(parent, child);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !posix.isAbsolute(rel)) ? rel : undefined;
}

export function isWithin(child: string, parent: string): boolean {
  return relativeWithin(child, parent) !== undefined;
}

export interface PlannedAsset {
  kind: 'state' | 'config' | 'workspace' | 'agent';
  sourcePath: string;
}

/**
 * Which roots to archive: like OpenClaw, a root inside another included root is not archived
 * twice but listed as skipped with reason `covered`. Roots missing on the node are skipped too.
 */
export function planAssets(
  sources: BackupSources,
  options: { configOnly: boolean; exists: (path: string) => boolean },
): { assets: PlannedAsset[]; skipped: OpenClawManifest['skipped'] } {
  const candidates: PlannedAsset[] = options.configOnly
    ? [{ kind: 'config', sourcePath: sources.configPath }]
    : [
        { kind: 'state', sourcePath: sources.stateDir },
        { kind: 'config', sourcePath: sources.configPath },
        ...sources.workspaceDirs.map((p) => ({ kind: 'workspace' as const, sourcePath: p })),
        ...sources.agentDirs.map((a) => ({ kind: 'agent' as const, sourcePath: a.path })),
      ];
  const assets: PlannedAsset[] = [];
  const skipped: OpenClawManifest['skipped'] = [];
  for (const c of candidates) {
    const sourcePath = posix.normalize(c.sourcePath).replace(/(.)\/+$/, '$1');
    if (!options.exists(sourcePath)) {
      skipped.push({ kind: c.kind, sourcePath, reason: 'missing' });
      continue;
    }
    const cover = [...assets, ...candidates.filter((o) => o !== c && options.exists(o.sourcePath) && o.sourcePath !== sourcePath)].find(
      (a) => isWithin(sourcePath, posix.normalize(a.sourcePath)) && posix.normalize(a.sourcePath) !== sourcePath,
    );
    if (cover) {
      skipped.push({ kind: c.kind, sourcePath, reason: 'covered', coveredBy: cover.sourcePath });
      continue;
    }
    if (assets.some((a) => a.sourcePath === sourcePath)) continue;
    assets.push({ kind: c.kind, sourcePath });
  }
  return { assets, skipped };
}
