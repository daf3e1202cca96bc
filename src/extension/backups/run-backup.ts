import type { BackupNodeResult, BackupProgress, BackupStore } from '../../core/backup';
import { backupNode } from '../../core/backup';
import { locateOpenclaw } from '../../core/openclaw/locate';
import { gatewayIsRunning } from '../../core/operations/gateway';
import type { NodeEntry } from '../../core/registry';
import type { Transport } from '../../core/transport/types';
import { backupSourcesFromLocation, openclawCommandFromLocation } from '../../core/backup';

/** How the backup UI reaches a node. `release` is called when done (close, or give back to a pool). */
export interface NodeConnector {
  connect(node: NodeEntry): Promise<Transport>;
  release(transport: Transport): Promise<void>;
}

export interface BackupOneNodeOptions {
  store: BackupStore;
  connector: NodeConnector;
  includeTranscripts?: boolean;
  configOnly?: boolean;
  onPhase?: (phase: 'connecting' | 'locating' | BackupProgress['phase'], progress?: BackupProgress) => void;
  signal?: AbortSignal;
}

/** Locate OpenClaw on the node (one round trip), then run the core backup with the paths it found. */
export async function backupOneNode(node: NodeEntry, options: BackupOneNodeOptions): Promise<BackupNodeResult> {
  options.onPhase?.('connecting');
  const transport = await options.connector.connect(node);
  try {
    options.onPhase?.('locating');
    const location = await locateOpenclaw(transport, node, { ...(options.signal ? { signal: options.signal } : {}) });
    const openclaw = openclawCommandFromLocation(location);
    return await backupNode({
      store: options.store,
      nodeId: node.id,
      transport,
      ...(openclaw ? { openclaw } : {}),
      sources: backupSourcesFromLocation(location),
      includeTranscripts: Boolean(options.includeTranscripts),
      configOnly: Boolean(options.configOnly),
      gatewayRunning: await gatewayIsRunning({ transport, location, node }),
      onProgress: (p) => options.onPhase?.(p.phase, p),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await options.connector.release(transport);
  }
}
