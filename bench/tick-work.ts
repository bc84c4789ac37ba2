/**
 * The work of one tick on each shard, without the machine's noise: N shards' TickParticipants (the
 * production code of a shard's part in a tick, src/shard/participant.ts) in this one process,
 * exchanging the same binary messages the gRPC handlers send, run one after another, each call timed
 * alone. No sockets, no scheduler, no other process competing: on this 2-core machine shared with other
 * work, the CPU time of a shard process also counts its waits for the cores, this does not.
 *   node --expose-gc dist/bench/tick-work.js [--docs 40000] [--shards 1,2,3] [--digest-per-tick 4096]
 * Prints, per shard count: ms of work per tick per shard (mean over shards; max), split by phase, and
 * the one-process tick (Partition.runTick) for reference; the graph hash of the shards' union against
 * the one process.
 */
import { readFileSync } from 'node:fs';
import { Placement } from '../src/cluster/placement.js';
import { makeConfig } from '../src/core/config.js';
import { canonicalLines, hashCanonical } from '../src/core/hash.js';
import { validateBatch } from '../src/core/input.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import { Partition } from '../src/core/partition.js';
import { decodeCandidates, encodeCandidates, planCounts } from '../src/protocol/candidates.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { newTextIndex } from '../src/search/text-index.js';
import { TickParticipant, type Owners } from '../src/shard/participant.js';
import { ensureCollection } from '../scripts/collections.js';
import { arg } from './script-args.js';

const nDocs = Number(arg('--docs', '40000'));
const shardCounts = arg('--shards', '1,2,3').split(',').map(Number);
const config = makeConfig({ digestPerTick: Number(arg('--digest-per-tick', '4096')) });
const docs = readFileSync(await ensureCollection('wordnet'), 'utf8').trim().split('\n').slice(0, nDocs).map((l) => JSON.parse(l) as { id: string; title: string; text: string });
const valid = validateBatch(docs, DEFAULT_LIMITS);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

type Phase = 'ACT' | 'DECAY' | 'ADVANCE';

function oneProcess(): { msPerTick: number; ticks: number; hash: string } {
  const p = new Partition(config, newTextIndex());
  p.ingest(valid, 0);
  gc();
  let ms = 0;
  let tick = 0;
  while (p.docs.pendingCount > 0) {
    const t0 = performance.now();
    p.runTick(++tick, config.digestPerTick);
    ms += performance.now() - t0;
  }
  const l = canonicalLines(p.graph, tick, () => true);
  return { msPerTick: ms / tick, ticks: tick, hash: hashCanonical(l.nodes, l.edges) };
}

function shards(n: number): { perShard: Record<Phase, number>[]; inbound: Record<Phase, number>[]; ticks: number; hash: string } {
  const placement = new Placement(Array.from({ length: n }, (_, i) => i + 1));
  const ids = placement.shards;
  const parts = ids.map((s) => new Partition(config, newTextIndex(), (id) => placement.owner(id) === s));
  for (const v of valid) parts[ids.indexOf(placement.owner(v.id))].ingest([v], 0);
  const labelOwners = new Map<string, number>();
  const owners = (self: number): Owners => ({
    self,
    members: ids,
    key: placement,
    ownerOfLabel: (l) => {
      let o = labelOwners.get(l);
      if (o === undefined) labelOwners.set(l, (o = placement.owner(nodeIdOf(l))));
      return o;
    },
    ownerOfNode: (id) => placement.owner(id),
  });
  const who = ids.map((s) => owners(s));
  const ps = parts.map((p, i) => new TickParticipant(p, `bench-${i}`));
  const perShard = ids.map(() => ({ ACT: 0, DECAY: 0, ADVANCE: 0 }));
  /** Of each phase, the time spent taking in peers' messages (deliver, receiveDrops). */
  const inbound = ids.map(() => ({ ACT: 0, DECAY: 0, ADVANCE: 0 }));
  const timed = <T>(i: number, phase: Phase, f: () => T, fromPeer = false): T => {
    const t0 = performance.now();
    const r = f();
    const dt = performance.now() - t0;
    perShard[i][phase] += dt;
    if (fromPeer) inbound[i][phase] += dt;
    return r;
  };
  gc();
  let tick = 0;
  const attempt = 1;
  while (parts.some((p) => p.docs.pendingCount > 0)) {
    const t = ++tick;
    // SENSE as on the wire: each shard's offer packed, the plan as counts (protocol/candidates.ts)
    const offers = ps.map((p) => {
      p.openAttemptOf(t, attempt);
      return decodeCandidates(encodeCandidates(p.offer(t, attempt, config.digestPerTick)), config.digestPerTick);
    });
    const counts = planCounts(offers, config.digestPerTick);
    const acts = ps.map((p, i) => timed(i, 'ACT', () => p.act(t, attempt, counts[i], who[i])));
    acts.forEach((outs, from) =>
      outs.forEach((o) => {
        timed(ids.indexOf(o.to), 'ACT', () => ps[ids.indexOf(o.to)].deliver(t, attempt, ids[from], 0, o.payload), true);
        ps[from].acknowledge(o);
      }),
    );
    const decays = ps.map((p, i) => timed(i, 'DECAY', () => p.decay(t, attempt, who[i])));
    decays.forEach((outs, from) =>
      outs.forEach((o) => {
        timed(ids.indexOf(o.to), 'DECAY', () => ps[ids.indexOf(o.to)].receiveDrops(t, attempt, ids[from], o.payload), true);
        ps[from].acknowledge(o);
      }),
    );
    ps.forEach((p, i) => timed(i, 'ADVANCE', () => p.advance(t, attempt, false)));
    ps.forEach((p, i) => timed(i, 'ADVANCE', () => p.commit(t)));
  }
  const nodes: string[] = [];
  const edges: string[] = [];
  for (const p of parts) {
    const l = canonicalLines(p.graph, tick, (e) => p.ownsKey(e.a));
    for (const x of l.nodes) nodes.push(x);
    for (const x of l.edges) edges.push(x);
  }
  const per = (x: Record<Phase, number>) => ({ ACT: x.ACT / tick, DECAY: x.DECAY / tick, ADVANCE: x.ADVANCE / tick });
  return { perShard: perShard.map(per), inbound: inbound.map(per), ticks: tick, hash: hashCanonical(nodes, edges) };
}

const fmt = (x: number) => x.toFixed(0);
const ref = oneProcess();
console.log(`tick work per shard, in one process, ${valid.length} WordNet glosses, ${config.digestPerTick} per tick (${ref.ticks} ticks), ms per tick:`);
console.log(`  one process (Partition.runTick): ${fmt(ref.msPerTick)}`);
for (const n of shardCounts) {
  const r = shards(n);
  const total = r.perShard.map((x) => x.ACT + x.DECAY + x.ADVANCE);
  const mean = (f: (x: Record<Phase, number>) => number, of = r.perShard) => of.reduce((s, x) => s + f(x), 0) / n;
  console.log(
    `  ${n} shard${n > 1 ? 's' : ' '}: per shard mean ${fmt(mean((x) => x.ACT + x.DECAY + x.ADVANCE))} (max ${fmt(Math.max(...total))}; ACT ${fmt(mean((x) => x.ACT))} (peers' messages ${fmt(mean((x) => x.ACT, r.inbound))}), DECAY ${fmt(mean((x) => x.DECAY))} (peers' ${fmt(mean((x) => x.DECAY, r.inbound))}), ADVANCE ${fmt(mean((x) => x.ADVANCE))}); all shards ${fmt(total.reduce((a, b) => a + b, 0))}; graph ${r.hash === ref.hash ? 'same' : 'DIFFERENT'} (${r.ticks} ticks)`,
  );
}
