import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/**
 * No import circles in src/ (house rule; issue 14 found three). Every static `import`/`export ...
 * from` of a relative module counts, `import type` included: a type-only circle still ties two
 * modules together (and turns into a runtime one the day a value is imported). Lazy loads
 * (`import()`, `require`) do not count. The circles are the strongly connected components of the
 * graph (Tarjan), printed with the files that form them.
 */
const src = join(__dirname, '..', '..', 'src');
const IMPORT = /(?:^|\n)[ \t]*(?:import|export)[ \t]+(?:type[ \t]+)?(?:[^'";]*?[ \t\n]from[ \t]*)?['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(c) && statSync(c).isFile());
}

export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const deps = [...text.matchAll(IMPORT)].map((m) => resolveImport(f, m[1]!)).filter((d): d is string => d !== undefined);
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components with more than one module (or a module importing itself). */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import circles', () => {
  it('the detector finds a circle, also one made only of type imports', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(circles(g), [['a', 'b', 'c']]);
    const files = [join(src, 'core', 'ssh', 'connection.ts')];
    assert.ok(
      importGraph(files)
        .get(files[0]!)!
        .some((d) => d.endsWith('connect-target.ts')),
      'import type lines are edges',
    );
  });

  it('src/ has none', () => {
    const found = circles(importGraph(sourceFiles(src)));
    assert.deepEqual(
      found.map((c) => c.map((f) => relative(src, f)).join(' <-> ')),
      [],
      'Break each circle with a narrow interface in the imported module or a small types module (see src/extension/commands/deps.ts, ConnectionSource in ssh-transport.ts, GuardedConnection in sftp-guard.ts).',
    );
  });
});
