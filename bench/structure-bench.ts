/**
 * Structural queries on a large graph (docs/search.md, "Structure"): the WordNet build in one process
 * and in an embedded cluster, then the gathered graph's hash, central and bridge concepts, a path and
 * neighbours, each timed twice (the second run is warm).
 *   node dist/bench/structure-bench.js [--docs N] [--shards 0,3]
 * One process answers from its own graph; a cluster's coordinator gathers the graph from the shards
 * for the hash, paths, central and bridges, and asks the owner for neighbours.
 */
import { readFileSync } from 'node:fs';
import type { DocumentInput } from '../src/core/input.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { ensureCollection } from '../scripts/collections.js';
import { arg } from './script-args.js';

const n = Number(arg('--docs', '117659'));
const shardCounts = arg('--shards', '0,3').split(',').map(Number);
const docs = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l) as DocumentInput);

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

for (const shards of shardCounts) {
  const cluster = shards > 0 ? await EmbeddedCluster.start({ shards }) : undefined;
  const e: Engine = cluster ? cluster.engine() : new LocalEngine();
  try {
    for (let i = 0; i < docs.length; i += 4096) await e.ingest(docs.slice(i, i + 4096));
    await e.tick('digest');
    const st = await e.stats();
    const where = shards === 0 ? 'one process' : `embedded cluster of ${shards} shards`;
    console.log(`${where}: ${docs.length} documents, ${st.nodes} concepts, ${st.edges} edges`);
    const ops: [string, () => Promise<unknown>][] = [
      ['graph hash', () => e.graphHash()],
      ['central concepts (k 10)', () => e.central(10)],
      ['bridge concepts (k 10)', () => e.bridges(10)],
      ['path dog → cat', () => e.path('dog', 'cat')],
      ['neighbours of dog (k 10)', () => e.neighbours('dog', 10)],
    ];
    for (const [name, f] of ops) {
      const [a, r1] = await timed(f);
      const [b, r2] = await timed(f);
      if (JSON.stringify(r1) !== JSON.stringify(r2)) throw new Error(`${name}: two runs answered differently`);
      console.log(`  ${name.padEnd(26)} ${a.toFixed(0).padStart(7)} ms, again ${b.toFixed(0).padStart(7)} ms`);
    }
  } finally {
    await e.close();
    await cluster?.stop();
  }
}
