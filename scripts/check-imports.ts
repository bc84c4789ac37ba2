/**
 * Checks the layering of src/: no import cycles between modules, and no import from a lower layer into
 * a higher one (docs/architecture.md). Run by the tests; prints each violation.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** Folders from the bottom layer up; a folder may import only from its own layer or below. */
export const LAYERS: readonly string[][] = [['util', 'ids', 'text'], ['core'], ['search', 'protocol', 'colony', 'storage', 'io', 'metrics', 'viz'], ['cluster', 'rpc'], ['shard', 'coordinator'], ['engine', 'eval', 'mcp', 'dashboard'], ['cli'], ['index.ts']];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

export function checkImports(src: string): string[] {
  const layerOf = (file: string) => {
    const top = relative(src, file).split('/')[0];
    return LAYERS.findIndex((l) => l.includes(top));
  };
  const graph = new Map<string, string[]>();
  const problems: string[] = [];
  for (const f of files(src)) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)\.js['"]/gm)) {
      const target = normalize(join(dirname(f), m[2])) + '.ts';
      if (!m[1]) deps.push(target); // type-only imports vanish at run time
      const lf = layerOf(f);
      const lt = layerOf(target);
      if (lf < 0 || lt < 0) problems.push(`${relative(src, f)}: folder not in a layer`);
      else if (lt > lf) problems.push(`${relative(src, f)} imports ${relative(src, target)} from a higher layer`);
    }
    graph.set(f, deps);
  }
  // cycles (run-time imports only)
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) problems.push(`import cycle: ${[...stack.slice(stack.indexOf(d)), d].map((x) => relative(src, x)).join(' → ')}`);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return [...new Set(problems)];
}

if (process.argv[1]?.endsWith('check-imports.js')) {
  const problems = checkImports(process.argv[2] ?? 'src');
  for (const p of problems) console.log(p);
  console.log(problems.length === 0 ? 'imports: layered, no cycles' : `${problems.length} problem(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
