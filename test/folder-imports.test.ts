import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

/** Every relative import of every .ts file under src/ (type-only imports included: they tie folders as much). */
function imports(): Array<{ from: string; to: string }> {
  const found: Array<{ from: string; to: string }> = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
          found.push({ from: relative(SRC, path), to: relative(SRC, normalize(join(dirname(path), match[1] as string))) });
        }
      }
    }
  };
  walk(SRC);
  return found;
}

/** The top folder of a path under src/, or undefined for a file at src/'s root (app.ts, errors.ts…). */
const folderOf = (path: string): string | undefined => (path.includes(sep) ? path.split(sep)[0] : undefined);

/** Folders of src/ that reach themselves through imports between folders, each with one loop that shows it. */
function folderCycles(edges: ReadonlyArray<{ from: string; to: string }>): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === undefined || b === undefined || a === b) continue;
    graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  const loops: string[][] = [];
  for (const start of graph.keys()) {
    // Breadth-first from start's neighbours back to start: the shortest loop through it.
    const previous = new Map<string, string>();
    const queue = [...(graph.get(start) ?? [])];
    for (const next of queue) previous.set(next, start);
    while (queue.length > 0) {
      const node = queue.shift() as string;
      if (node === start) {
        const path = [start];
        for (let at = previous.get(start) as string; at !== start; at = previous.get(at) as string) path.unshift(at);
        loops.push([start, ...path]);
        break;
      }
      for (const next of graph.get(node) ?? []) {
        if (!previous.has(next)) {
          previous.set(next, node);
          queue.push(next);
        }
      }
    }
  }
  return loops;
}

describe('folders of src/', () => {
  it('import each other without a circle (STYLE: no circular imports between folders)', () => {
    expect(folderCycles(imports())).toEqual([]);
  });

  it('the check sees a circle through a third folder', () => {
    const loops = folderCycles([
      { from: `engine${sep}a.ts`, to: `store${sep}b.ts` },
      { from: `store${sep}b.ts`, to: `telemetry${sep}c.ts` },
      { from: `telemetry${sep}c.ts`, to: `engine${sep}d.ts` },
      { from: 'app.ts', to: `engine${sep}a.ts` },
    ]);
    expect(loops.map((loop) => loop[0]).sort()).toEqual(['engine', 'store', 'telemetry']);
    expect(loops.every((loop) => loop.length === 4 && loop[0] === loop[3])).toBe(true);
  });
});
