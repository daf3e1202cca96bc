import type { NodeRegistry } from '../../core/registry';
import type { BackupCatalog } from './catalog';
import type { NodeConnector } from './run-backup';
import type { BackupsTreeContributor } from './tree';

/** What the backup commands share. */
export interface BackupUiDeps {
  registry: NodeRegistry;
  catalog: BackupCatalog;
  backupsTree: BackupsTreeContributor;
  connector: NodeConnector;
  log?: (message: string) => void;
}
