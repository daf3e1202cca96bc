import * as vscode from 'vscode';
import { isOcmError, toOcmError, type OcmError } from '../../core/errors';
import { isMixupError } from '../../core/guard';
import type { NodeAccess } from '../../core/node-access';
import { readForEdit, safeWrite, type ExpectedRemote, type OpenclawValidator, type SafeWriteResult } from '../../core/safe-write';
import { DEFAULT_MAX_READ_BYTES, formatLimit, isTooLarge } from '../../core/transport/read-bounded';
import type { FileStat as RemoteStat } from '../../core/transport/types';
import { deleteWithHistory, renameWithHistory, whatBreaks, type Consequence, type NodeLayout } from '../../core/deletes';
import { askBeforeBreaking } from '../deleted/consequence-text';
import { log } from '../log';
import { parseLiveUri } from './uris';

/** What the editor read, per URI: the `expected` of the next safe save. */
interface ReadState {
  sha256: string;
  mtimeMs: number;
  size: number;
}

export interface LiveFsDeps {
  access: NodeAccess;
  home: string;
  /** True when the path is inside the node's OpenClaw folders (state dir, workspaces, config). */
  isManagedPath(nodeId: string, remotePath: string): Promise<boolean>;
  /** How to validate a config on this node (its located openclaw binary), if known. */
  validatorFor(nodeId: string): Promise<OpenclawValidator | undefined>;
  /** Called after a successful save of an OpenClaw config (offer a gateway restart). */
  onConfigSaved?(nodeId: string, remotePath: string, result: SafeWriteResult): void;
  /** Shows the conflict choice; returns what the user picked. */
  askConflict?(uri: vscode.Uri, error: OcmError): Promise<'overwrite' | 'compare' | 'cancel'>;
  /** The mix-up guard's safe-save hook for this file (undefined when the file is not guarded). */
  guardFor?(nodeId: string, remotePath: string): Promise<((content: Uint8Array, current: Buffer | undefined) => void) | undefined>;
  /** Shows what the mix-up guard found; returns what the user picked. */
  askMixup?(uri: vscode.Uri, error: OcmError): Promise<'save' | 'compare' | 'cancel'>;
  /**
   * Called after every successful save (the guard learns the text and refreshes its fingerprints);
   * `content` is what was saved, unless the save went past the mix-up guard's warning.
   */
  onSaved?(nodeId: string, remotePath: string, content: Uint8Array | undefined): void;
}

/**
 * `openclaw://<nodeId>/<path>`: live files on a node, read/write. Every write goes through the core
 * safe save (pre-edit backup → conflict check by content hash → validation → atomic write).
 * Stats carry mtime in milliseconds so VS Code's own "file is newer" check works too.
 */
export class OpenclawFileSystemProvider implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changeEmitter.event;
  private readonly readStates = new Map<string, ReadState>();
  /** Last stat seen per watched URI, to notice writes made on the node (agents edit their own files). */
  private readonly watched = new Map<string, { mtimeMs: number; size: number } | undefined>();
  private pending: vscode.FileChangeEvent[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /** How a conflict is put to the user (replaceable: tests answer it without a modal dialog). */
  conflictHandler: NonNullable<LiveFsDeps['askConflict']> | undefined;
  /** How a mix-up finding is put to the user (replaceable like conflictHandler). */
  mixupHandler: NonNullable<LiveFsDeps['askMixup']> | undefined;

  constructor(private readonly deps: LiveFsDeps) {
    this.conflictHandler = deps.askConflict;
    this.mixupHandler = deps.askMixup;
  }

  watch(uri: vscode.Uri): vscode.Disposable {
    const key = uri.toString();
    if (!this.watched.has(key)) this.watched.set(key, undefined);
    return new vscode.Disposable(() => this.watched.delete(key));
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    const stat = await this.run(uri, async () => (await this.deps.access.transport(nodeId)).stat(remotePath));
    this.remember(uri, stat);
    return toVscodeStat(stat);
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    const entries = await this.run(uri, async () => (await this.deps.access.transport(nodeId)).readdir(remotePath));
    return entries.map((e) => [e.name, toFileType(e.type)]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    // Bounded (readForEdit: regular files up to 64 MiB): a log of gigabytes or /dev/zero must not exhaust the extension host.
    const read = await this.run(uri, async () =>
      readForEdit(await this.deps.access.transport(nodeId), remotePath).catch((e: unknown) => {
        if (!isTooLarge(e)) throw e;
        throw vscode.FileSystemError.Unavailable(
          vscode.l10n.t(
            '{0} on node "{1}" is larger than {2}, the most the editor opens from a node. Look at it on the node (less, tail).',
            remotePath,
            nodeId,
            formatLimit(DEFAULT_MAX_READ_BYTES),
          ),
        );
      }),
    );
    this.readStates.set(uri.toString(), { sha256: read.sha256, mtimeMs: read.mtimeMs, size: read.size });
    this.remember(uri, { mtimeMs: read.mtimeMs, size: read.size });
    return read.content;
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array, options: { readonly create: boolean; readonly overwrite: boolean }): Promise<void> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    const transport = await this.run(uri, () => this.deps.access.transport(nodeId));
    const existing = await this.run(uri, () => transport.statOrUndefined(remotePath));
    if (existing && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    if (!existing && !options.create) throw vscode.FileSystemError.FileNotFound(uri);
    if (existing?.type === 'directory') throw vscode.FileSystemError.FileIsADirectory(uri);

    if (!(await this.deps.isManagedPath(nodeId, remotePath))) {
      const save = vscode.l10n.t('Save');
      const answer = await vscode.window.showWarningMessage(
        vscode.l10n.t('{0} is outside the OpenClaw folders of node "{1}". Save it anyway?', remotePath, nodeId),
        { modal: true },
        save,
      );
      if (answer !== save) throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Save cancelled: the file is outside the OpenClaw folders.'));
    }

    const known = this.readStates.get(uri.toString());
    // A file we never read in this window (e.g. workspace.fs.writeFile on an existing file) has no
    // editor version to protect; the caller asked to overwrite explicitly. It is still backed up.
    const expected: ExpectedRemote = known ?? 'absent';
    const blindOverwrite = !known && existing !== undefined;
    const validator = await this.deps.validatorFor(nodeId).catch(() => undefined);
    // The mix-up guard: its check runs inside the safe save on the bytes it reads anyway.
    let guard = await this.deps.guardFor?.(nodeId, remotePath).catch((e: unknown) => void log().warn(`mix-up guard unavailable: ${String(e)}`));
    const write = (overwrite: boolean) =>
      safeWrite(transport, {
        home: this.deps.home,
        nodeId,
        remotePath,
        content,
        expected,
        overwrite,
        via: 'vscode',
        ...(validator ? { validator } : {}),
        ...(guard ? { beforeWrite: guard } : {}),
      });
    // A save past the guard's warning is not taught to the guard as this agent's own text.
    let overridden = false;
    const writeAskingGuard = async (overwrite: boolean): Promise<SafeWriteResult> => {
      try {
        return await write(overwrite);
      } catch (e) {
        if (!isMixupError(e)) throw e;
        const choice = this.mixupHandler ? await this.mixupHandler(uri, e) : 'cancel';
        if (choice !== 'save')
          throw vscode.FileSystemError.Unavailable(vscode.l10n.t("Not saved: the text looks like another agent's memory. Your edit is still in the editor."));
        log().info(`${nodeId}:${remotePath}: saved anyway after the mix-up guard's warning`);
        guard = undefined;
        overridden = true;
        return write(overwrite);
      }
    };

    let result: SafeWriteResult;
    try {
      result = await writeAskingGuard(blindOverwrite);
    } catch (e) {
      if (e instanceof vscode.FileSystemError) throw e;
      if (!isOcmError(e, 'conflict')) throw this.toFsError(uri, e);
      const choice = this.conflictHandler ? await this.conflictHandler(uri, e) : 'cancel';
      if (choice !== 'overwrite') {
        throw vscode.FileSystemError.Unavailable(
          vscode.l10n.t('Not saved: {0} changed on node "{1}" since you opened it. Your edit is still in the editor.', remotePath, nodeId),
        );
      }
      try {
        result = await writeAskingGuard(true);
      } catch (again) {
        throw this.toFsError(uri, again);
      }
    }
    this.deps.onSaved?.(nodeId, remotePath, overridden ? undefined : content);
    this.readStates.set(uri.toString(), { sha256: result.savedSha256, mtimeMs: result.mtimeMs, size: result.size });
    this.remember(uri, { mtimeMs: result.mtimeMs, size: result.size });
    log().info(`saved ${nodeId}:${remotePath} (${result.size} bytes, backup ${result.backupId ?? 'none'}, validated by ${result.validatedBy})`);
    for (const w of result.warnings) log().warn(`${nodeId}:${remotePath}: ${w}`);
    this.fire({ type: existing ? vscode.FileChangeType.Changed : vscode.FileChangeType.Created, uri });
    if (result.configChanged) this.deps.onConfigSaved?.(nodeId, remotePath, result);
  }

  /**
   * Deletes never destroy: the file (or folder, up to a size cap) goes to the history and to the
   * node's Recently Deleted first; deleting openclaw.json, a workspace or an agent's state asks
   * and says what breaks.
   */
  async delete(uri: vscode.Uri, options: { readonly recursive: boolean }): Promise<void> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    await this.confirmBreaking('delete', nodeId, remotePath);
    await this.run(uri, async () =>
      deleteWithHistory(await this.deps.access.transport(nodeId), remotePath, { home: this.deps.home, recursive: options.recursive }).catch((e: unknown) => {
        if (isOcmError(e) && e.details.code === 'folderTooLarge') {
          throw vscode.FileSystemError.NoPermissions(
            vscode.l10n.t(
              '{0} on node "{1}" is larger than OpenClaw Manager keeps in its history before a delete; nothing was deleted. Back up the node first, then delete the folder on the node yourself (or with "ocm rm -r --max-size").',
              remotePath,
              nodeId,
            ),
          );
        }
        throw e;
      }),
    );
    this.readStates.delete(uri.toString());
    this.fire({ type: vscode.FileChangeType.Deleted, uri });
    this.onDeleted?.(nodeId);
  }

  /** The node's config path, state dir and agents, to say what a delete or rename breaks (set by registerDeletedUi). */
  layoutFor: ((nodeId: string) => Promise<NodeLayout | undefined>) | undefined;
  /** Called after a delete kept its content (the tree's Recently Deleted group redraws). */
  onDeleted: ((nodeId: string) => void) | undefined;
  /** How a breaking delete or rename is put to the user (replaceable: tests answer without a modal dialog). */
  breakingHandler: (what: 'delete' | 'rename', path: string, nodeId: string, consequences: Consequence[]) => Promise<boolean> = askBeforeBreaking;

  private async confirmBreaking(what: 'delete' | 'rename', nodeId: string, remotePath: string): Promise<void> {
    const layout = await this.layoutFor?.(nodeId).catch(() => undefined);
    const consequences = layout ? whatBreaks(remotePath, layout) : [];
    if (consequences.length && !(await this.breakingHandler(what, remotePath, nodeId, consequences))) {
      throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Cancelled: nothing was changed on node "{0}".', nodeId));
    }
  }

  async rename(oldUri: vscode.Uri, newUri: vscode.Uri, options: { readonly overwrite: boolean }): Promise<void> {
    const from = parseLiveUri(oldUri);
    const to = parseLiveUri(newUri);
    if (from.nodeId !== to.nodeId) throw vscode.FileSystemError.NoPermissions(vscode.l10n.t('Moving files between nodes is not supported.'));
    await this.confirmBreaking('rename', from.nodeId, from.remotePath);
    // The old name's bytes (and a file the rename replaces) are kept in the history first. The
    // mix-up guard on the new name (another agent's MEMORY.md moved over this agent's) asks first.
    const guardFor = this.deps.guardFor ? (path: string) => this.deps.guardFor!(to.nodeId, path).catch(() => undefined) : undefined;
    const move = async (guarded: boolean) =>
      renameWithHistory(await this.deps.access.transport(from.nodeId), from.remotePath, to.remotePath, {
        home: this.deps.home,
        overwrite: options.overwrite,
        ...(guarded && guardFor ? { guardFor } : {}),
      });
    const { replaced } = await this.run(oldUri, async () => {
      try {
        return await move(true);
      } catch (e) {
        if (!isMixupError(e)) throw e;
        const choice = this.mixupHandler ? await this.mixupHandler(oldUri, e) : 'cancel'; // Compare shows the bytes being moved
        if (choice !== 'save') throw vscode.FileSystemError.NoPermissions(vscode.l10n.t("Not renamed: the file looks like another agent's memory."));
        return move(false);
      }
    });
    if (replaced) this.onDeleted?.(from.nodeId);
    this.readStates.delete(oldUri.toString());
    this.fire({ type: vscode.FileChangeType.Deleted, uri: oldUri }, { type: vscode.FileChangeType.Created, uri: newUri });
  }

  async createDirectory(uri: vscode.Uri): Promise<void> {
    const { nodeId, remotePath } = parseLiveUri(uri);
    await this.run(uri, async () => (await this.deps.access.transport(nodeId)).mkdir(remotePath));
    this.fire({ type: vscode.FileChangeType.Created, uri });
  }

  /**
   * Stats every watched (open) file and reports the ones that changed on the node, so an open,
   * unmodified editor picks up an agent's own writes. Called on window focus and on a timer.
   */
  async pollWatched(): Promise<number> {
    let changed = 0;
    await Promise.all(
      [...this.watched.entries()].map(async ([key, last]) => {
        const uri = vscode.Uri.parse(key);
        const { nodeId, remotePath } = parseLiveUri(uri);
        try {
          const stat = await (await this.deps.access.transport(nodeId)).statOrUndefined(remotePath, { timeoutMs: 5000 });
          const now = stat ? { mtimeMs: stat.mtimeMs, size: stat.size } : undefined;
          if (last && (!now || now.mtimeMs !== last.mtimeMs || now.size !== last.size)) {
            changed += 1;
            this.fire({ type: now ? vscode.FileChangeType.Changed : vscode.FileChangeType.Deleted, uri });
          }
          this.watched.set(key, now);
        } catch {
          // An unreachable node is reported when the user acts; polling stays quiet.
        }
      }),
    );
    return changed;
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.changeEmitter.dispose();
  }

  private remember(uri: vscode.Uri, stat: { mtimeMs: number; size: number }): void {
    const key = uri.toString();
    if (this.watched.has(key)) this.watched.set(key, { mtimeMs: stat.mtimeMs, size: stat.size });
  }

  /** Batches change events (many files changing at once become one event). */
  private fire(...events: vscode.FileChangeEvent[]): void {
    this.pending.push(...events);
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.pending;
      this.pending = [];
      this.changeEmitter.fire(batch);
    }, 5);
  }

  private async run<T>(uri: vscode.Uri, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw this.toFsError(uri, e);
    }
  }

  private toFsError(uri: vscode.Uri, e: unknown): Error {
    if (e instanceof vscode.FileSystemError) return e;
    const err = toOcmError(e);
    log().warn(`${uri.toString()}: ${err.kind}: ${err.message}`);
    switch (err.kind) {
      case 'notFound':
        return vscode.FileSystemError.FileNotFound(uri);
      case 'exists':
        return vscode.FileSystemError.FileExists(uri);
      case 'permission':
        return vscode.FileSystemError.NoPermissions(err.message);
      case 'unreachable':
      case 'disconnected':
      case 'timeout':
        return vscode.FileSystemError.Unavailable(err.message);
      default:
        return vscode.FileSystemError.Unavailable(err.message);
    }
  }
}

function toFileType(type: RemoteStat['type']): vscode.FileType {
  switch (type) {
    case 'file':
      return vscode.FileType.File;
    case 'directory':
      return vscode.FileType.Directory;
    case 'symlink':
      return vscode.FileType.SymbolicLink | vscode.FileType.File;
    default:
      return vscode.FileType.Unknown;
  }
}

function toVscodeStat(stat: RemoteStat): vscode.FileStat {
  return {
    type: toFileType(stat.type),
    ctime: stat.mtimeMs,
    mtime: stat.mtimeMs,
    size: stat.size,
    // Read-only for us when no write bit is set for anyone: VS Code then opens it read-only.
    ...((stat.mode & 0o222) === 0 ? { permissions: vscode.FilePermission.Readonly } : {}),
  };
}
