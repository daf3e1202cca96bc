import { OcmError, isOcmError } from '../errors';
import { ocmHome } from '../home';
import { sha256Hex, storePreEditBackup, type HistoryEntry, type HistoryReason } from '../history/store';
import { isTooLarge, readFileBounded } from '../transport/read-bounded';
import type { Transport } from '../transport/types';
import { fileKindFor } from './file-kind';
import { checkJson5 } from './json5-check';
import { invalidConfigError, validateWithOpenclaw } from './openclaw-validate';
import { snapshotRemote, type RemoteSnapshot } from './remote-snapshot';
import type { ExpectedRemote, SafeWriteOptions, SafeWriteResult } from './types';

/** Above this size the last check before writing compares stat (mtime, size) instead of bytes. */
const RECHECK_BY_CONTENT_MAX_BYTES = 4 * 1024 * 1024;

export const COMMENTS_WARNING =
  "OpenClaw's own config writes (openclaw config set/patch, onboard, doctor --fix, the Control UI) rewrite openclaw.json without comments: keep notes you need elsewhere.";

/**
 * The one way both faces write a remote file. In order:
 *  a. pre-edit backup: the exact current remote bytes go to the local history (owner-only)
 *     before anything is written;
 *  b. conflict check: the current content hash must match what the editor read (`expected`),
 *     unless `overwrite` (explicit user choice);
 *  c. validation: JSON5 for config files, then the node's `openclaw config validate` on a
 *     candidate copy when a validator is given;
 *  d. a last re-read right before writing (narrows the race with agents that write their own
 *     files), then transport.writeFileAtomic (temp + fsync + rename, mode and owner kept);
 *  e. the written bytes are recorded in the history too (`saved`): an agent that overwrites the
 *     file a moment later cannot make the user's edit disappear.
 *
 * Remaining race, stated honestly: a write by someone else between the last re-read in (d) and the
 * rename inside writeFileAtomic (about one round trip over SSH, well under a millisecond locally)
 * is not detected and is replaced by ours. Its previous version is still in the history, and
 * OpenClaw has no lock we could take to close the window.
 */
export async function safeWrite(transport: Transport, options: SafeWriteOptions & { backupReason?: HistoryReason }): Promise<SafeWriteResult> {
  const nodeId = options.nodeId ?? transport.nodeId;
  const home = options.home ?? ocmHome();
  const { remotePath, content, signal } = options;
  const kind = options.kind ?? fileKindFor(remotePath);
  const opts = signal ? { signal } : {};
  if (!remotePath.startsWith('/')) {
    throw new OcmError('invalidInput', `"${remotePath}" is not an absolute path on ${nodeId}. Give the full path, e.g. /home/user/.openclaw/openclaw.json.`, {
      nodeId,
      remotePath,
    });
  }

  // a. pre-edit backup of exactly what is there now
  const current = await snapshotRemote(transport, remotePath, signal);
  let backup = current ? await backUp(home, nodeId, remotePath, current, options.backupReason ?? 'pre-edit') : undefined;

  // b. conflict check against what the editor read
  if (!options.overwrite) checkExpected(nodeId, remotePath, options.expected, current, backup);

  // b'. caller's content check (the mix-up guard): uses the bytes read in (a), no extra round trip
  if (options.beforeWrite) await options.beforeWrite(content, current?.content);

  // c. validation
  const warnings: string[] = [];
  let validatedBy: SafeWriteResult['validatedBy'] = 'none';
  if (kind === 'openclawConfig' || kind === 'json5') {
    checkJson5(content, remotePath, nodeId);
    validatedBy = 'json5';
  }
  if (kind === 'openclawConfig') {
    if (options.validator) {
      const verdict = await validateWithOpenclaw(transport, remotePath, content, options.validator, signal);
      if (verdict.outcome === 'invalid') throw invalidConfigError(nodeId, remotePath, verdict);
      if (verdict.outcome === 'valid') {
        validatedBy = 'openclaw';
        warnings.push(...verdict.warnings.map((w) => `OpenClaw: ${w}`));
      } else {
        warnings.push(
          `OpenClaw's own validation did not run (${verdict.reason}); only the JSON5 syntax was checked. Set the node's openclaw path to get the full check.`,
        );
      }
    } else {
      warnings.push(
        "Only the JSON5 syntax was checked: no usable openclaw CLI is known for this node. Set the node's openclaw path to have OpenClaw validate configs before they are saved.",
      );
    }
    warnings.push(COMMENTS_WARNING);
  }
  if (signal?.aborted) {
    throw new OcmError('cancelled', `Saving ${remotePath} on ${nodeId} was cancelled before anything was written.`, { nodeId, remotePath });
  }

  // d. last look, then the atomic write
  const latest = await lastLook(transport, remotePath, current, signal);
  if (latest.changed) {
    if (latest.snapshot) backup = await backUp(home, nodeId, remotePath, latest.snapshot, 'changed-during-save');
    if (!options.overwrite) {
      throw conflictError(nodeId, remotePath, latest.snapshot, backup, 'changed while this save was being checked');
    }
  }
  const existsNow = latest.changed ? latest.snapshot !== undefined : current !== undefined;
  try {
    await transport.writeFileAtomic(remotePath, content, {
      ...opts,
      ...(options.newFileMode !== undefined ? { mode: options.newFileMode } : {}),
      // A file we believe absent must still be absent when we create it: never clobber a newcomer.
      ...(!existsNow && !options.overwrite ? { exclusive: true } : {}),
    });
  } catch (e) {
    if (isOcmError(e, 'exists')) {
      const appeared = await snapshotRemote(transport, remotePath).catch(() => undefined);
      const b = appeared ? await backUp(home, nodeId, remotePath, appeared, 'changed-during-save') : undefined;
      throw conflictError(nodeId, remotePath, appeared, b, 'was created on the node while this save was running');
    }
    throw e;
  }

  const savedSha256 = sha256Hex(content);
  const written = await transport.stat(remotePath).catch(() => undefined);
  const previousSha = latest.changed ? latest.snapshot?.sha256 : current?.sha256;
  const result: SafeWriteResult = {
    savedSha256,
    mtimeMs: written?.mtimeMs ?? Date.now(),
    size: content.length,
    warnings,
    configChanged: kind === 'openclawConfig' && previousSha !== savedSha256,
    created: !existsNow,
    validatedBy,
  };
  if (backup) result.backupId = backup.id;
  try {
    const saved = await storePreEditBackup(home, {
      nodeId,
      remotePath,
      content,
      reason: 'saved',
      ...(options.via ? { via: options.via } : {}),
      ...(written ? { mode: written.mode, remoteMtimeMs: written.mtimeMs } : {}),
    });
    result.savedId = saved.id;
  } catch (e) {
    // The save itself succeeded; only our local copy of it is missing.
    warnings.push(`Saved, but the local copy of the saved version could not be recorded in the history: ${(e as Error).message}`);
  }
  return result;
}

function backUp(home: string, nodeId: string, remotePath: string, snap: RemoteSnapshot, reason: HistoryReason): Promise<HistoryEntry> {
  return storePreEditBackup(home, { nodeId, remotePath, content: snap.content, mode: snap.stat.mode, remoteMtimeMs: snap.stat.mtimeMs, reason });
}

function checkExpected(
  nodeId: string,
  remotePath: string,
  expected: ExpectedRemote,
  current: RemoteSnapshot | undefined,
  backup: HistoryEntry | undefined,
): void {
  if (expected === 'absent') {
    if (current) throw conflictError(nodeId, remotePath, current, backup, 'already exists on the node (it was created since you started)');
    return;
  }
  if (!current) throw conflictError(nodeId, remotePath, undefined, undefined, 'was deleted on the node since you opened it');
  if (current.sha256 !== expected.sha256) throw conflictError(nodeId, remotePath, current, backup, 'changed on the node since you opened it');
}

/** Re-reads right before writing; `changed` when the content differs from the first read. */
async function lastLook(
  transport: Transport,
  remotePath: string,
  first: RemoteSnapshot | undefined,
  signal?: AbortSignal,
): Promise<{ changed: boolean; snapshot?: RemoteSnapshot }> {
  const opts = signal ? { signal } : {};
  if (first && first.content.length > RECHECK_BY_CONTENT_MAX_BYTES) {
    const st = await transport.statOrUndefined(remotePath, opts);
    if (st && st.mtimeMs === first.stat.mtimeMs && st.size === first.stat.size) return { changed: false, snapshot: first };
  } else if (first) {
    // Fast path (one round trip): the bytes alone tell whether anything changed.
    // Bounded: the file may have been swapped for something huge since (then it changed).
    const bytes = await readFileBounded(transport, remotePath, RECHECK_BY_CONTENT_MAX_BYTES, { ...opts, stat: 'skip' }).catch((e: unknown) => {
      if (isOcmError(e, 'notFound') || isTooLarge(e)) return undefined;
      throw e;
    });
    if (bytes && sha256Hex(bytes) === first.sha256) return { changed: false, snapshot: first };
  }
  const snap = await snapshotRemote(transport, remotePath, signal);
  const changed = snap?.sha256 !== first?.sha256;
  return snap ? { changed, snapshot: snap } : { changed };
}

function conflictError(nodeId: string, remotePath: string, remote: RemoteSnapshot | undefined, backup: HistoryEntry | undefined, what: string): OcmError {
  const kept = remote
    ? ` The node's version (${remote.content.length} bytes, modified ${new Date(remote.stat.mtimeMs).toISOString()}) is untouched${backup ? ` and also saved in history as ${backup.id}` : ''}.`
    : '';
  return new OcmError(
    'conflict',
    `${remotePath} on ${nodeId} ${what}; your version was NOT saved.${kept} Compare the node's version with yours and merge, then save again — or overwrite deliberately (Overwrite in VS Code, "ocm put --force" on the command line).`,
    {
      nodeId,
      remotePath,
      remoteSha256: remote?.sha256 ?? null,
      remoteMtimeMs: remote?.stat.mtimeMs ?? null,
      remoteSize: remote?.content.length ?? null,
      ...(backup ? { backupId: backup.id } : {}),
    },
  );
}
