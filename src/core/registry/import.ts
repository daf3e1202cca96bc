import { promises as fs } from 'node:fs';
import { OcmError } from '../errors';
import { formatIssues, legacyRegistrySchema, registryFileSchema, type NodeInput } from './schema';

/**
 * Reads a registry to import: either our own `nodes.json` shape, or the older
 * `nodes-registry.json` shape `{"nodes":[{"id","host","port","agents":[...],"status"}]}`,
 * where `port` is the OpenClaw gateway port (SSH used the default port).
 */
export async function readImportFile(file: string): Promise<NodeInput[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OcmError('notFound', `File to import not found: ${file}`, { file });
    throw new OcmError('invalidInput', `${file} is not valid JSON: ${(e as Error).message}`, { file });
  }
  return convertImport(raw, file);
}

export function convertImport(raw: unknown, file: string): NodeInput[] {
  const ours = registryFileSchema.safeParse(raw);
  if (ours.success && isOurShape(raw)) return ours.data.nodes;

  const legacy = legacyRegistrySchema.safeParse(raw);
  if (!legacy.success) {
    const problems = formatIssues(legacy.error.issues);
    throw new OcmError('invalidInput', `${file} is neither a nodes.json nor a nodes-registry.json:\n  ${problems.join('\n  ')}`, { file, problems });
  }
  return legacy.data.nodes.map((n) => {
    const labels: string[] = [];
    const status = n.status === 'retired' || n.status === 'inactive' || n.status === 'disabled' ? 'retired' : 'active';
    return {
      id: n.id,
      host: n.host,
      ...(n.port !== undefined ? { gatewayPort: n.port } : {}),
      status,
      labels,
    } satisfies NodeInput;
  });
}

/** Our own files always carry `version` (we write it); the older shape never had one. */
function isOurShape(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && 'version' in raw;
}
