import { promises as fs } from 'node:fs';
import { OcmError } from '../errors';
import { withFileLock } from '../file-lock';
import { writeFileAtomic } from '../fs-atomic';
import { registryPath } from '../home';
import { formatIssues, nodeSchema, registryFileSchema, type NodeEntry, type NodeInput, type RegistryFile } from './schema';

/**
 * The node registry: `nodes.json` in the ocm home, shared by the extension and the CLI.
 * Loads never write; a malformed file is reported (file, field, problem) and left as it is.
 * Changes hold the file's lock (file-lock.ts) and re-read it under the lock, so two writers
 * (the CLI and the extension, or two commands) never drop each other's changes.
 */
export class NodeRegistry {
  constructor(readonly file: string = registryPath()) {}

  async load(): Promise<RegistryFile> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, nodes: [] };
      throw new OcmError('failed', `Cannot read the node registry ${this.file}: ${(e as Error).message}`, { file: this.file });
    }
    return parseRegistryText(text, this.file);
  }

  async list(options: { includeRetired?: boolean } = {}): Promise<NodeEntry[]> {
    const { nodes } = await this.load();
    return options.includeRetired === false ? nodes.filter((n) => n.status === 'active') : nodes;
  }

  async get(id: string): Promise<NodeEntry> {
    const { nodes } = await this.load();
    const node = nodes.find((n) => n.id === id);
    if (!node) {
      const known = nodes.map((n) => n.id).join(', ') || 'none';
      throw new OcmError('notFound', `No node "${id}" in ${this.file} (known: ${known}). Add it with "ocm add ${id} <host>".`, { id });
    }
    return node;
  }

  async add(input: NodeInput): Promise<NodeEntry> {
    const node = validateNode(input);
    return this.update((file) => {
      if (file.nodes.some((n) => n.id === node.id)) {
        throw new OcmError('exists', `A node "${node.id}" already exists in ${this.file}. Choose another id or retire the old one first.`, { id: node.id });
      }
      file.nodes.push(node);
      return node;
    });
  }

  async setStatus(id: string, status: NodeEntry['status']): Promise<NodeEntry> {
    return this.update((file) => {
      const node = file.nodes.find((n) => n.id === id);
      if (!node) throw new OcmError('notFound', `No node "${id}" in ${this.file}.`, { id });
      node.status = status;
      return node;
    });
  }

  async patch(id: string, changes: Partial<Omit<NodeInput, 'id'>>): Promise<NodeEntry> {
    return this.update((file) => {
      const index = file.nodes.findIndex((n) => n.id === id);
      if (index < 0) throw new OcmError('notFound', `No node "${id}" in ${this.file}.`, { id });
      const next = validateNode({ ...file.nodes[index], ...changes, id });
      file.nodes[index] = next;
      return next;
    });
  }

  /** Adds many nodes at once (import); ids already present are reported back, not overwritten. */
  async addMany(inputs: NodeInput[]): Promise<{ added: NodeEntry[]; skipped: string[] }> {
    const nodes = inputs.map(validateNode);
    return this.update((file) => {
      const added: NodeEntry[] = [];
      const skipped: string[] = [];
      for (const node of nodes) {
        if (file.nodes.some((n) => n.id === node.id)) skipped.push(node.id);
        else {
          file.nodes.push(node);
          added.push(node);
        }
      }
      return { added, skipped };
    });
  }

  /** Read-modify-write under the registry's lock; the write is atomic and owner-only. */
  private async update<T>(change: (file: RegistryFile) => T): Promise<T> {
    return withFileLock(this.file, async () => {
      const file = await this.load();
      const result = change(file);
      await writeFileAtomic(this.file, JSON.stringify(file, null, 2) + '\n', 0o600);
      return result;
    });
  }
}

export function parseRegistryText(text: string, fileName: string): RegistryFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OcmError('invalidInput', `${fileName} is not valid JSON: ${(e as Error).message}. Fix the file by hand; it was left unchanged.`, {
      file: fileName,
    });
  }
  const parsed = registryFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues);
    throw new OcmError('invalidInput', `${fileName} is not a valid node registry:\n  ${problems.join('\n  ')}\nFix the file by hand; it was left unchanged.`, {
      file: fileName,
      problems,
    });
  }
  return parsed.data;
}

export function validateNode(input: NodeInput): NodeEntry {
  const parsed = nodeSchema.safeParse(input);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues);
    throw new OcmError('invalidInput', `Invalid node: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}
