/**
 * One WordNet build, to compare builds or flags side by side (docs/performance.md):
 *   node dist/bench/cluster-build.js [--shards N] [--docs M] [--shard-node-args "--cpu-prof ..."] [--shard-output DIR]
 * --shards 0 runs one process (LocalEngine); N ≥ 1 a coordinator in this process and N shard processes;
 * --warm M first ingests and digests the first M man pages (not timed) on the same engine, so that the
 * timed build runs on processes whose code is already compiled (a long-running cluster's steady state);
 * --empty-ticks K (shard processes) then runs K empty ticks on the built graph (they only prune what
 * decay makes due) and prints their p50 and p90 after the first third (a tick's fixed cost with a
 * large graph in place); --small-ticks K (one process or shard processes) then K times ingests 10 man
 * pages and runs one tick, and prints the p50 and mean of each and the CPU per round of every process;
 * --shard-output DIR appends each shard process's standard output to DIR/shard-I.log (V8's --trace-opt
 * lines, say); with --embedded, the coordinator and N shards all in this process (EmbeddedCluster: one thread, so its
 * CPU is the whole cluster's work, without other processes competing for the cores).
 * Prints the ingest and digest wall time, the CPU seconds of this process and of each shard process
 * (/proc, Linux; for a shard also its main thread's, the rest being V8's compiler and collector threads) for each part, the ticks, the median time of each phase and the graph hash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Coordinator } from '../src/coordinator/coordinator.js';
import type { DocumentInput } from '../src/core/input.js';
import { ClusterEngine } from '../src/engine/cluster.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { LocalEngine } from '../src/engine/local.js';
import { ensureCollection } from '../scripts/collections.js';
import { ensureEvalCollection } from '../scripts/eval-collections.js';
import { median } from './colony-bench.js';
import { arg, cpuSeconds, mainThreadSeconds } from './script-args.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const shards = Number(arg('--shards', '3'));
const n = Number(arg('--docs', '117659'));
const nodeArgs = arg('--shard-node-args', '').split(' ').filter(Boolean);
const embedded = process.argv.includes('--embedded');
const warm = Number(arg('--warm', '0'));
const emptyTicks = Number(arg('--empty-ticks', '0'));
const smallTicks = Number(arg('--small-ticks', '0'));
const shardOutput = arg('--shard-output', '');
const readDocs = (path: string, limit: number) => readFileSync(path, 'utf8').trim().split('\n').slice(0, limit).map((l) => JSON.parse(l) as DocumentInput);
const docs = readDocs(await ensureCollection('wordnet'), n);
if (shardOutput) mkdirSync(shardOutput, { recursive: true });
const warmDocs = warm > 0 ? readDocs(ensureEvalCollection('manpages').docs, warm) : [];

/** The untimed warm-up build (--warm). */
async function warmUp(e: Pick<LocalEngine, 'ingest' | 'tick'>): Promise<void> {
  if (warmDocs.length === 0) return;
  await e.ingest(warmDocs);
  await e.tick('digest');
}

const PHASES = ['SENSE', 'ACT', 'DECAY', 'ADVANCE'] as const;
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const s1 = (x: number) => x.toFixed(1);

/**
 * --small-ticks: rounds of a small ingest (10 man pages not in the build) and one tick on the built
 * graph; `pids` are the other processes whose CPU counts (shard processes).
 */
async function smallRounds(e: Pick<LocalEngine, 'ingest' | 'tick'>, pids: number[], phaseMs?: Coordinator['phaseMs']): Promise<void> {
  if (smallTicks === 0) return;
  if (phaseMs) for (const times of Object.values(phaseMs)) times.length = 0;
  const pages = readDocs(ensureEvalCollection('manpages').docs, 10 * smallTicks);
  const ingest: number[] = [];
  const tick: number[] = [];
  const c0 = ownCpu();
  const p0 = pids.map(cpuSeconds);
  for (let i = 0; i < smallTicks; i++) {
    let t0 = performance.now();
    await e.ingest(pages.slice(10 * i, 10 * i + 10).map((d, j) => ({ ...d, id: `small-${i}-${j}` })));
    ingest.push(performance.now() - t0);
    t0 = performance.now();
    await e.tick(1);
    tick.push(performance.now() - t0);
  }
  const ms = (x: number[]) => `p50 ${median(x).toFixed(2)} ms, mean ${(x.reduce((a, b) => a + b, 0) / x.length).toFixed(2)} ms`;
  const per = (sec: number) => ((sec * 1000) / smallTicks).toFixed(1);
  const others = pids.length ? `, shards ${pids.map((p, i) => per(cpuSeconds(p) - p0[i])).join(' / ')}` : '';
  const phases = phaseMs ? `; phase p50 ms SENSE / ACT / DECAY / ADVANCE ${PHASES.map((p) => median(phaseMs[p]).toFixed(2)).join(' / ')}` : '';
  console.log(`${smallTicks} rounds of 10 documents and one tick: ingest ${ms(ingest)}; tick ${ms(tick)}; CPU ms per round: this process ${per(ownCpu() - c0)}${others}${phases}`);
}

/** Ingest and digest in this process (one process, or an embedded cluster): its wall time and CPU for each part. */
async function inProcess(what: string, e: Pick<LocalEngine, 'ingest' | 'tick' | 'graphHash'>): Promise<void> {
  await warmUp(e);
  const c0 = ownCpu();
  const h0 = mainThreadSeconds(process.pid);
  const t0 = performance.now();
  await e.ingest(docs);
  const ti = performance.now() - t0;
  const ci = ownCpu() - c0;
  const hi = mainThreadSeconds(process.pid) - h0;
  const t = await e.tick('digest');
  const tt = performance.now() - t0;
  const cd = ownCpu() - c0 - ci;
  const hd = mainThreadSeconds(process.pid) - h0 - hi;
  console.log(`${what}: ingest ${s1(ti / 1000)} s (CPU ${s1(ci)}, main thread ${s1(hi)}), digest ${s1((tt - ti) / 1000)} s (CPU ${s1(cd)}, main thread ${s1(hd)}), ${t.ticks} ticks, hash ${(await e.graphHash()).slice(0, 16)}`);
  await smallRounds(e, []);
}

if (shards === 0) await inProcess('one process', new LocalEngine());
else if (embedded) {
  const cluster = await EmbeddedCluster.start({ shards, log: () => {} });
  const e = cluster.engine();
  try {
    await inProcess(`${shards} embedded shard${shards > 1 ? 's' : ''} (one process)`, e);
  } finally {
    await e.close();
    await cluster.stop();
  }
} else {
  const security = { token: randomBytes(16).toString('hex') };
  const co = new Coordinator({ security });
  const addr = `127.0.0.1:${await co.start()}`;
  const kids: ChildProcess[] = await Promise.all(
    Array.from(
      { length: shards },
      (_, i) =>
        new Promise<ChildProcess>((resolve, reject) => {
          const ch = spawn(process.execPath, [...nodeArgs, CLI, 'shard', '--join', addr, '--port', '0', '--identity', `build-${i}`, '--cluster-token', security.token], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          ch.stdout!.on('data', (d) => {
            if (shardOutput) appendFileSync(join(shardOutput, `shard-${i}.log`), d);
            out += d;
            if (/shard \d+ \S+/.test(out)) resolve(ch);
          });
          ch.on('exit', (code) => reject(new Error(`shard ${i} exited with ${code}`)));
        }),
    ),
  );
  while (co.registry.size < shards) await new Promise((r) => setTimeout(r, 20));
  const e = new ClusterEngine(addr, security);
  try {
    await warmUp(e);
    for (const times of Object.values(co.phaseMs)) times.length = 0; // the phases of the timed build only
    const m0 = ownCpu();
    const c0 = kids.map((k) => cpuSeconds(k.pid!));
    const h0 = kids.map((k) => mainThreadSeconds(k.pid!));
    const t0 = performance.now();
    await e.ingest(docs);
    const ti = performance.now() - t0;
    const mi = ownCpu() - m0;
    const ci = kids.map((k, i) => cpuSeconds(k.pid!) - c0[i]);
    const hi = kids.map((k, i) => mainThreadSeconds(k.pid!) - h0[i]);
    const t = await e.tick('digest');
    const tt = performance.now() - t0;
    const md = ownCpu() - m0 - mi;
    const cd = kids.map((k, i) => cpuSeconds(k.pid!) - c0[i] - ci[i]);
    const hd = kids.map((k, i) => mainThreadSeconds(k.pid!) - h0[i] - hi[i]);
    const phases = PHASES.map((p) => median(co.phaseMs[p]).toFixed(1)).join(' / ');
    // each shard's CPU, and in brackets its main thread's (the rest: compiles and the collector's threads)
    const shardCpu = (all: number[], main: number[]) => `shards ${all.map(s1).join(' / ')} (main threads ${main.map(s1).join(' / ')})`;
    console.log(
      `${shards} shard process${shards > 1 ? 'es' : ''}: ingest ${s1(ti / 1000)} s (CPU: coordinator and client ${s1(mi)}, ${shardCpu(ci, hi)}), digest ${s1((tt - ti) / 1000)} s (CPU: coordinator ${s1(md)}, ${shardCpu(cd, hd)}), ${t.ticks} ticks, phase p50 ms SENSE / ACT / DECAY / ADVANCE ${phases}, hash ${(await e.graphHash()).slice(0, 16)}`,
    );
    await smallRounds(e, kids.map((k) => k.pid!), co.phaseMs);
    if (emptyTicks > 0) {
      const edges = (await e.stats()).edges;
      const times: number[] = [];
      for (let i = 0; i < emptyTicks; i++) {
        await co.commitRound;
        const t0 = performance.now();
        await co.runTick();
        if (i >= Math.floor(emptyTicks / 3)) times.push(performance.now() - t0);
      }
      times.sort((x, y) => x - y);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))].toFixed(2);
      // nothing is pending, so each tick only prunes the edges that decay makes due
      console.log(`${times.length} empty ticks after the first ${emptyTicks - times.length} on the built graph (${edges} edges before, ${(await e.stats()).edges} after): p50 ${at(0.5)} ms, p90 ${at(0.9)} ms`);
    }
  } finally {
    e.close();
    // SIGINT lets a shard write a profile asked for with --shard-node-args
    for (const k of kids) {
      k.removeAllListeners('exit');
      k.kill(nodeArgs.length > 0 ? 'SIGINT' : 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, nodeArgs.length > 0 ? 1500 : 0));
    await co.stop();
  }
}
