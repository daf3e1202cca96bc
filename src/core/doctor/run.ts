import type { BackupStore } from '../backup/store';
import type { NodeEntry } from '../registry';
import type { StatusDeps } from '../status/node-status';
import { doctorReport } from './aggregate';
import { gatherFleet, type GatherOptions } from './gather';
import type { DoctorOptions, DoctorReport } from './types';

/** Both faces' entry: gather the fleet's facts, then the report. Never throws for a node's problem (it becomes a finding). */
export interface RunDoctorParams extends Omit<GatherOptions, 'store'>, DoctorOptions {
  nodes: readonly NodeEntry[];
  deps: StatusDeps;
  store?: BackupStore;
}

export async function runDoctor(p: RunDoctorParams): Promise<DoctorReport> {
  const startedAt = Date.now();
  const { nodes, deps, backupMaxAgeMs, now, ...gather } = p;
  const facts = await gatherFleet(nodes, deps, gather);
  return doctorReport(facts, { startedAt, ...(backupMaxAgeMs !== undefined ? { backupMaxAgeMs } : {}), ...(now !== undefined ? { now } : {}) });
}
