// The module graph of ts/ and workers/: no import cycles between files or between top-level folders of
// ts/, and ts/io/ independent of ts/config/ (errors and result types live in neutral modules).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** File -> the files it imports or re-exports from (relative specifiers only). */
function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const file of [...sources('ts'), ...sources('workers')]) {
    const text = readFileSync(join(root, file), 'utf8');
    const targets = [...text.matchAll(/(?:import|export)[^'"]*?from '(\.[^']+)'/g)]
      .map((m) => normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'))
      .filter((path) => existsSync(join(root, path)));
    edges.set(file, targets);
  }
  return edges;
}

/** The strongly connected components of more than one node (Tarjan). */
function cycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** `ts/<folder>` for files in a folder of ts/, else the file itself. */
const folder = (file: string) => {
  const parts = relative(root, join(root, file)).split('/');
  return parts[0] === 'ts' && parts.length > 2 ? `ts/${parts[1]}` : file;
};

describe('the module graph', () => {
  const files = graph();

  it('has no import cycle between files', () => {
    expect(files.size).toBeGreaterThan(40);
    expect(cycles(files)).toEqual([]);
  });

  it('has no import cycle between the folders of ts/', () => {
    const folders = new Map<string, string[]>();
    for (const [file, targets] of files) {
      const from = folder(file);
      const to = targets.map(folder).filter((t) => t !== from);
      folders.set(from, [...new Set([...(folders.get(from) ?? []), ...to])]);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('keeps ts/io/ free of ts/config/', () => {
    const io = [...files].filter(([file]) => file.startsWith('ts/io/'));
    expect(io.length).toBeGreaterThan(0);
    expect(io.flatMap(([file, targets]) => targets.filter((t) => t.startsWith('ts/config/')).map((t) => `${file} -> ${t}`))).toEqual([]);
  });
});
