import type { z } from 'zod';
import { lazyObject, once, zod } from '../vendor';

/** Node ids appear in URIs (`openclaw://<id>/...`), file names and CLI arguments: keep them plain. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The schemas, built on first use: zod is loaded only when something is validated (activation
 * reads no registry and loads no zod).
 */
function buildSchemas() {
  const z = zod();
  const port = z.number().int().min(1).max(65535);

  const nodeSchema = z.strictObject({
    id: z.string().regex(NODE_ID_PATTERN, 'must start with a letter or digit and contain only letters, digits, ".", "_" or "-" (at most 63)'),
    /** Hostname, IP address or a Host alias from ~/.ssh/config. `local` means this machine (no SSH). */
    host: z.string().min(1, 'must not be empty'),
    /** SSH port. */
    port: port.optional(),
    user: z.string().min(1).optional(),
    identityFile: z.string().min(1).optional(),
    /** OpenClaw state dir on the node (default: discovered, usually ~/.openclaw). */
    stateDir: z.string().min(1).optional(),
    /** The gateway's HTTP/WebSocket port on the node (default: discovered, usually 18789). */
    gatewayPort: port.optional(),
    /** Absolute path of the `openclaw` binary on the node, when it is not on the non-login PATH. */
    openclawPath: z.string().min(1).optional(),
    /** Command that starts an unmanaged gateway on this node (restart uses it). */
    startCommand: z.string().min(1).optional(),
    status: z.enum(['active', 'retired']).default('active'),
    labels: z.array(z.string().min(1)).default([]),
  });

  const registryFileSchema = z
    .strictObject({
      version: z.literal(1).default(1),
      nodes: z.array(nodeSchema).default([]),
    })
    .superRefine((file, ctx) => {
      const seen = new Map<string, number>();
      file.nodes.forEach((node, index) => {
        const first = seen.get(node.id);
        if (first !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['nodes', index, 'id'], message: `duplicate id "${node.id}" (also nodes[${first}])` });
        } else {
          seen.set(node.id, index);
        }
      });
    });

  /** The older `nodes-registry.json` shape some operators keep: there `port` is the gateway port. */
  const legacyRegistrySchema = z.object({
    nodes: z.array(
      z.looseObject({
        id: z.string().min(1),
        host: z.string().min(1),
        port: port.optional(),
        agents: z.array(z.unknown()).optional(),
        status: z.string().optional(),
      }),
    ),
  });
  return { nodeSchema, registryFileSchema, legacyRegistrySchema };
}

const schemas = once(buildSchemas);
type Schemas = ReturnType<typeof buildSchemas>;

export const nodeSchema: Schemas['nodeSchema'] = lazyObject(() => schemas().nodeSchema);
export type NodeEntry = z.infer<typeof nodeSchema>;
export type NodeInput = z.input<typeof nodeSchema>;

export const registryFileSchema: Schemas['registryFileSchema'] = lazyObject(() => schemas().registryFileSchema);
export type RegistryFile = z.infer<typeof registryFileSchema>;

/** The older `nodes-registry.json` shape some operators keep: there `port` is the gateway port. */
export const legacyRegistrySchema: Schemas['legacyRegistrySchema'] = lazyObject(() => schemas().legacyRegistrySchema);

export type LegacyRegistry = z.infer<typeof legacyRegistrySchema>;

/** Formats zod issues as `field: problem` lines, fields written the way a person reads JSON. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
