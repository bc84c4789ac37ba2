import { Colony } from '../colony/colony.js';
import { makeConfig, type ColonyConfig } from '../core/config.js';
import type { DocumentInput } from '../core/input.js';
import { canonicalLines, hashCanonical } from '../core/hash.js';
import { Placement } from '../cluster/placement.js';
import { Registry } from '../cluster/registry.js';
import { documentIdOf } from '../ids/ids.js';
import { Prng } from '../util/prng.js';
import { SimCoordinator, type CoordinatorDurable, type Workload } from './coordinator.js';
import { NO_FAULTS, SimNetwork, type Faults } from './network.js';
import { COORDINATOR, SimShard } from './shard.js';
import { SimShardStorage } from './storage.js';

export interface ScheduleOptions {
  seed: number;
  /** Shards (2 or 3 by default: chosen by the seed). */
  shards?: number;
  /** Ticks the client runs. */
  ticks?: number;
  /** Documents, ingested in a few batches at times chosen by the seed. */
  docs?: number;
  faults?: Faults;
  /** Documents per ingest batch: 1 to batchMax (3 by default). */
  batchMax?: number;
  /** Faults stop at this time; members restart, then the run must complete. */
  faultsUntil?: number;
  /** False: the stale-attempt fix is reverted on the shards (a test hook; see SimShardOptions). */
  attemptIds?: boolean;
  /** A test hook: the shards' follower replicas replay ticks without their degree-cap drops. */
  breakReplicas?: boolean;
  /**
   * How often a crashed shard is replaced by its follower (a failover: the member restarts over the
   * follower's durable store, its own is gone) rather than restarted over its own; default 0.5.
   */
  failover?: number;
  /** A test hook: followers keep a prepared tick in memory only, so a failover after a commit loses it. */
  volatilePrepare?: boolean;
  /** Each time unit, the chance that a shard loses its follower (then resynced by snapshot); default: the crash rate. */
  followerLoss?: number;
  /**
   * Membership changes during the fault window (the `membership` profile): this many times, chosen by
   * the seed, a new shard joins or a member leaves (docs/simulation.md); default none.
   */
  changes?: number;
  /** A test hook: migrate_out drops what it sends before the change is decided (see SimShardOptions.earlyDrop). */
  earlyDrop?: boolean;
  /** A test hook: a membership change starts without first pushing the decided membership to every member. */
  skipConverge?: boolean;
  /** Receives the coordinator's abort reasons and each crash and restart (replaying a seed). */
  trace?: (msg: string) => void;
}

export interface ScheduleResult {
  seed: number;
  violations: string[];
  ticks: number;
  aborts: number;
  crashes: number;
  /** Crashed shards replaced by their follower. */
  failovers: number;
  messages: number;
  time: number;
  /** Membership changes decided: shards joined and left. */
  joins: number;
  leaves: number;
  /** Membership change attempts that failed before their decision (then tried again). */
  failedChanges: number;
}

/** The colony settings of the simulation: small, with pruning and the degree cap reached in a few ticks. */
export const SIM_CONFIG: Partial<ColonyConfig> = { digestPerTick: 3, wiringLimit: 6, maxEdgeDegree: 4, edgeDecayRate: 0.3, edgePruneThreshold: 0.08, maturationTicks: 2 };

/** Faults that make most schedules abort some attempts and crash some members. */
export const DEFAULT_FAULTS: Faults = { drop: 0.03, duplicate: 0.05, duplicatePhases: false, minDelay: 1, maxDelay: 6, slow: 0.03, slowDelay: 60, crash: 0.004, restartAfter: 15, cut: 0.002, cutFor: 20 };

/**
 * Where a message of an aborted attempt is most likely to arrive in the next attempt: slow links (many
 * messages overtaken), two shards, one document per ingest (an ingest between two attempts changes
 * what the retry digests), no crashes. Used to show the simulator finds the stale-attempt defect.
 */
export const STALE_HUNT: Omit<ScheduleOptions, 'seed'> = { shards: 2, batchMax: 1, faults: { ...DEFAULT_FAULTS, slow: 0.3, slowDelay: 80, crash: 0, drop: 0.01 } };

/** Membership changes under the default faults: 1-3 joins or leaves per schedule, crashes mid-change included. */
export const MEMBERSHIP: Omit<ScheduleOptions, 'seed'> = { changes: 3 };

const WORDS = 'cell membrane protein enzyme gene virus signal receptor neuron synapse channel ion pump kinase lipid ribosome nucleus cortex axon dendrite hormone insulin glucose plasma antibody antigen'.split(' ');

/** Documents from a small vocabulary, chosen by the PRNG (ids d0, d1, ...). */
export function makeDocs(rng: Prng, n: number): DocumentInput[] {
  return Array.from({ length: n }, (_, i) => ({ id: `d${i}`, text: Array.from({ length: 3 + rng.int(6) }, () => WORDS[rng.int(WORDS.length)]).join(' ') }));
}

/**
 * One schedule: a coordinator and 2-3 shards running the production tick protocol over the simulated
 * network under `faults`, ingesting documents and running ticks; then faults stop, every member is
 * up, and the invariants are checked (see docs/simulation.md). Deterministic in `seed`.
 */
export function runSchedule(o: ScheduleOptions): ScheduleResult {
  const rng = new Prng(o.seed ^ 0x5eed);
  const nShards = o.shards ?? 2 + rng.int(2);
  const docs = makeDocs(rng, o.docs ?? 4 + rng.int(8));
  const faults = o.faults ?? DEFAULT_FAULTS;
  const faultsUntil = o.faultsUntil ?? 250;
  const config = makeConfig(SIM_CONFIG);
  const violations: string[] = [];
  const violation = (m: string) => violations.push(`t=${net.now}: ${m}`);

  const net = new SimNetwork(o.seed, faults);
  // the initial membership, as registering the shards one by one leaves it (each told by a push)
  const registry = new Registry();
  for (let i = 1; i <= nShards; i++) registry.register(`sim:${i}`, `sim-shard-${i}`, 0);
  const initial = registry.ids();
  // batches of 1-3 documents sent while ticks run (the first at once), and enough ticks to digest them
  const batches: { at: number; docs: DocumentInput[] }[] = [];
  for (let i = 0; i < docs.length; ) {
    const n = 1 + rng.int(o.batchMax ?? 3);
    batches.push({ at: i === 0 ? 0 : rng.int(faultsUntil), docs: docs.slice(i, i + n) });
    i += n;
  }
  batches.sort((x, y) => x.at - y.at);
  const ticks = o.ticks ?? Math.ceil(docs.length / config.digestPerTick) + 1 + rng.int(3);
  const tickAt = Array.from({ length: ticks }, (_, i) => (i === 0 ? 0 : rng.int(faultsUntil))).sort((x, y) => x - y);
  // membership changes from their own stream (the other schedules are the same with or without them)
  const crng = new Prng(o.seed ^ 0xc4a9e);
  const changes = Array.from({ length: o.changes ?? 0 }, () => ({ at: 1 + crng.int(faultsUntil), kind: crng.next() < 0.5 ? ('join' as const) : ('leave' as const), pick: crng.int(1000) })).sort((x, y) => x.at - y.at);
  const work: Workload = { batches, next: 0, acked: new Set(), ticks, tickAt, changes };
  const durable: CoordinatorDurable = {
    ...{ current: 0, attempts: 0, tickInProgress: 0, committedAttempt: 0, digested: 0, known: new Set<string>() },
    ...{ shards: registry.list().map((s) => ({ id: s.id, address: s.address, identity: s.identity })), epoch: registry.epoch, nextId: registry.nextShardId, migration: '', changes: 0, joins: 0, leaves: 0, failedChanges: 0 },
  };
  const storages = new Map<number, SimShardStorage>();
  const membersMeta = JSON.stringify(initial.map((id) => ({ id, address: `sim:${id}` })));
  for (const id of initial) {
    const st = new SimShardStorage();
    st.setMeta({ epoch: registry.epoch, shard_id: id, members: membersMeta });
    storages.set(id, st);
  }
  // epoch never goes back: per shard process (a launch is a new one), and never beyond the coordinator's record
  const epochs = new Map<number, number>();
  const onEpoch = (id: number, epoch: number) => {
    if (epoch < (epochs.get(id) ?? 0)) violation(`shard ${id}'s epoch goes back from ${epochs.get(id)} to ${epoch}`);
    if (epoch > durable.epoch) violation(`shard ${id} is at epoch ${epoch}, beyond the coordinator's ${durable.epoch}`);
    epochs.set(id, epoch);
  };
  const shardOpts = { attemptIds: o.attemptIds ?? true, checkpointEvery: 3, deadline: 20, violation, trace: o.trace, replica: true, breakReplica: o.breakReplicas ?? false, volatilePrepare: o.volatilePrepare ?? false, earlyDrop: o.earlyDrop ?? false, onEpoch };

  const shards = new Map<number, SimShard>();
  let coordinator: SimCoordinator;
  // every process ever started (a shard that left, or whose join failed, stays up, out of the membership)
  const members = [COORDINATOR, ...initial];
  const launch = (id: number) => {
    // a new process with an empty data directory (an id can come again after a coordinator crash mid-join)
    if (net.isUp(id)) {
      shards.get(id)!.dead = true;
      net.detach(id);
    }
    storages.set(id, new SimShardStorage());
    epochs.delete(id);
    if (!members.includes(id)) members.push(id);
    start(id);
  };
  const coordOpts = { digestPerTick: config.digestPerTick, deadline: 40, backoff: 5, violation, trace: o.trace, launch, skipConverge: o.skipConverge ?? false };
  const start = (id: number) => {
    if (id === COORDINATOR) net.attach(id, (coordinator = new SimCoordinator(net, durable, work, coordOpts, coordinator !== undefined)));
    else {
      const s = new SimShard(id, config, storages.get(id)!, net, shardOpts);
      shards.set(id, s);
      net.attach(id, s);
    }
  };
  for (const s of initial) start(s);
  start(COORDINATOR);

  // faults: each time unit, a member may crash (restarting later), a link may be cut
  let crashes = 0;
  let failovers = 0;
  const followerLoss = o.followerLoss ?? faults.crash;
  const chaos = () => {
    if (net.now >= faultsUntil) return;
    for (const m of members) {
      if (m !== COORDINATOR && followerLoss > 0 && net.isUp(m) && net.rng.next() < followerLoss) {
        o.trace?.(`t=${net.now}: shard ${m} loses its follower`);
        shards.get(m)!.loseFollower();
      }
      if (net.isUp(m) && net.rng.next() < faults.crash) {
        crashes++;
        net.detach(m);
        if (m === COORDINATOR) coordinator.dead = true;
        else {
          const s = shards.get(m)!;
          s.dead = true;
          // a failover: the follower's store is the member's from now on (the old primary is gone)
          const follower = s.promotable();
          if (follower && net.rng.next() < (o.failover ?? 0.5)) {
            failovers++;
            storages.set(m, follower);
            o.trace?.(`t=${net.now}: shard ${m} crashes; its follower will take over`);
          } else o.trace?.(`t=${net.now}: shard ${m} crashes`);
        }
        if (m === COORDINATOR) o.trace?.(`t=${net.now}: the coordinator crashes`);
        shards.delete(m);
        net.at(faults.restartAfter, () => {
          if (net.now >= faultsUntil) return;
          o.trace?.(`t=${net.now}: ${m === COORDINATOR ? 'the coordinator' : `shard ${m}`} restarts`);
          start(m);
        });
      }
    }
    if (net.rng.next() < faults.cut) {
      const a = members[net.rng.int(members.length)];
      const b = members[net.rng.int(members.length)];
      if (a !== b) net.cut(a, b, faults.cutFor);
    }
    net.at(1, chaos);
  };
  net.at(1, chaos);
  net.at(faultsUntil, () => {
    net.faults = { ...NO_FAULTS, minDelay: faults.minDelay, maxDelay: faults.maxDelay };
    for (const m of members) if (!net.isUp(m)) start(m);
  });

  const limit = faultsUntil + 20_000;
  const done = () => net.now >= faultsUntil && work.next === batches.length && durable.current >= ticks && durable.changes >= changes.length && coordinator.idle;
  if (!net.run(done, limit)) violation(`no progress: ${durable.current} of ${ticks} ticks committed, ${work.next} of ${batches.length} batches acknowledged, ${durable.changes} of ${changes.length} membership changes`);
  // the last decisions reach every shard (as the next tick's SENSE, and its retry after a stale epoch, would bring them)
  const final = coordinator!.members;
  coordinator!.push([], () => {});
  coordinator!.toAll('commit_tick', () => ({ tick: durable.current, attempt: durable.committedAttempt }));
  const settled = (s: SimShard | undefined) => s !== undefined && s.ready && s.committedTick === durable.current && s.participant.openTick === null && s.epoch === durable.epoch;
  net.run(() => final.every((id) => settled(shards.get(id))), net.now + 200);

  const placement = new Placement(final);
  const finalShards = final.flatMap((id) => shards.get(id) ?? []);
  if (finalShards.length !== final.length) violation(`members ${final.filter((id) => !shards.has(id)).join(', ')} are down at the end`);
  for (const s of finalShards) if (s.epoch !== durable.epoch) violation(`shard ${s.id} is at epoch ${s.epoch}, the coordinator at ${durable.epoch}`);
  checkFinal(violations, config, placement, finalShards, durable, work, storages, net);
  return { seed: o.seed, violations, ticks: durable.current, aborts: coordinator!.aborts, crashes, failovers, messages: net.sent, time: net.now, joins: durable.joins, leaves: durable.leaves, failedChanges: durable.failedChanges };
}

/** The invariants of a finished schedule (docs/simulation.md). */
function checkFinal(v: string[], config: ColonyConfig, placement: Placement, shards: SimShard[], d: CoordinatorDurable, work: Workload, storages: Map<number, SimShardStorage>, net: SimNetwork): void {
  for (const s of shards) if (s.committedTick !== d.current) v.push(`shard ${s.id} is at tick ${s.committedTick}, the coordinator at ${d.current}`);
  // every acknowledged document is held exactly once, by its owner; nothing else is held
  const held = new Map<string, { shard: number; ingestTick: number; digestedTick: number | null; text: string; key: string }[]>();
  for (const s of shards) {
    for (const n of s.part.docs.numbers()) {
      const r = s.part.docs.record(n);
      const list = held.get(r.id) ?? [];
      list.push({ shard: s.id, ingestTick: r.ingestTick, digestedTick: r.digestedTick, text: r.text, key: r.key });
      held.set(r.id, list);
    }
  }
  for (const id of work.acked) {
    const h = held.get(id) ?? [];
    if (h.length === 0) v.push(`acknowledged document ${id} is lost`);
    else if (h.length > 1) v.push(`document ${id} is held ${h.length} times`);
    else if (h[0].shard !== placement.owner(id)) v.push(`document ${id} is on shard ${h[0].shard}, not its owner`);
  }
  // the committed graph equals one process's on the same documents (at their ingestion ticks) after the same ticks
  const colony = new Colony(config);
  const all = [...held.values()].map((h) => h[0]).sort((a, b) => a.ingestTick - b.ingestTick || (a.key < b.key ? -1 : 1));
  let i = 0;
  for (let t = 0; t <= d.current; t++) {
    const now: DocumentInput[] = [];
    for (; i < all.length && all[i].ingestTick <= t; i++) now.push({ id: all[i].key, text: all[i].text });
    if (now.length > 0) colony.ingestBatch(now);
    if (t < d.current) colony.tick();
  }
  const want = colony.graphHash();
  const got = clusterHash(shards, d.current);
  if (got !== want) v.push(`graph hash ${got.slice(0, 12)} differs from one process's ${want.slice(0, 12)} at tick ${d.current}`);
  for (const [id, h] of held) {
    const n = colony.part.docs.numberOf(documentIdOf(h[0].key));
    const ref = n === undefined ? undefined : colony.part.docs.record(n).digestedTick;
    if (ref !== h[0].digestedTick) v.push(`document ${id} digested at tick ${h[0].digestedTick}, one process digests it at ${ref}`);
  }
  // durability: every shard restarted from its durable state holds the same graph
  const restarted = shards.map((s) => new SimShard(s.id, config, storages.get(s.id)!, net, { attemptIds: true, checkpointEvery: 1 << 30, deadline: 20, violation: (m) => v.push(m) }));
  const again = clusterHash(restarted, d.current);
  if (again !== got) v.push(`shards restarted from their durable state hash ${again.slice(0, 12)}, live ones ${got.slice(0, 12)}`);
}

function clusterHash(shards: SimShard[], tick: number): string {
  const nodes: string[] = [];
  const edges: string[] = [];
  for (const s of shards) {
    const l = canonicalLines(s.part.graph, tick, (e) => s.part.ownsKey(e.a));
    nodes.push(...l.nodes);
    edges.push(...l.edges);
  }
  return hashCanonical(nodes, edges);
}
