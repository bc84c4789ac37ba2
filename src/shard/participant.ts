import { PhagoError } from '../core/errors.js';
import { Int32Column } from '../core/growable.js';
import { type Candidate } from '../core/documents.js';
import { splitPresentation } from '../core/presentation.js';
import type { NumPresentation, Presentation, Verdicts } from '../core/graph.js';
import type { LabelPair, Partition, TickBody } from '../core/partition.js';
import type { DocumentId } from '../ids/ids.js';
import { decodePairs, decodePresentations, encodePairs, encodePresentations } from '../protocol/codec.js';
import { encodePairRefs, encodePresentationRefs } from '../protocol/label-refs.js';
import type { LoggedTick } from '../storage/shard-storage.js';
import { OwnerMemo, splitTermLists, type Owners } from './owners.js';
import { PeerLabels } from './peer-labels.js';
import { Received, type Batch } from './received.js';

export type ShardId = number;

/** A message this shard must send to a peer (the driver sends it; this class does no I/O). */
export interface Outgoing {
  to: ShardId;
  payload: Buffer;
  /** Numbers whose labels the payload names: known to `to` once it has answered (`acknowledge`). */
  named?: number[];
}

export type { Owners } from './owners.js';

const EMPTY_LOG: LoggedTick = Object.freeze({ presentations: [], drops: '', digested: [] }) as LoggedTick;

const refuse = (msg: string) => new PhagoError('FAILED_PRECONDITION', msg);

/**
 * A shard's part in one tick, as a state machine over its Partition (like raft's Step: inputs in,
 * messages out, no sockets or disk). Every input names its tick and attempt; an input of another
 * attempt than the open one is refused, so nothing of an aborted attempt is counted in its retry.
 *
 *   openAttemptOf(t, a) opens attempt a of tick t (SENSE)
 *   offer(t, a, limit) → its first eligible documents (SENSE's candidates), kept for ACT
 *   act(t, a, count)   → digest the first `count` offered; presentations per owner (one message each)
 *   deliver(...)       ← presentations from a peer (deduplicated per sender and batch)
 *   decay(t, a)        → apply presentations, prune, verdicts; verdicts for other owners
 *   receiveDrops(...)  ← verdicts from a peer
 *   advance(t, a)      → apply verdicts, make new edges; the tick's log entry (the driver persists it)
 *   commit / abort
 */
export class TickParticipant {
  private open: { tick: number; attempt: number } | null = null;
  /** Received presentations by "sender:batch", resolved to node numbers when they arrive. */
  private staged = new Map<string, Batch>();
  /** This shard's own part of its digested documents' presentations, interned (encoded only to be logged). */
  private local: NumPresentation[] = [];
  /** Received verdicts as node-number pairs (x0, y0, x1, y1, …), one array per sender. */
  private drops: Int32Array[] = [];
  private dropBatches = new Set<ShardId>();
  /** Owners of graph node numbers under the current placement. */
  private readonly nodeOwners = new OwnerMemo();
  /** A node number's label: one function for every message (protocol/label-refs.ts names labels with it). */
  private readonly labelOf = (n: number): string => this.part.graph.labelOf(n);
  private verdicts: Verdicts | null = null;
  private prepared: LoggedTick | null = null;
  /**
   * The messages this attempt's ACT and DECAY produced: a phase request delivered again for the same
   * attempt (a caller's retry) answers the same messages instead of digesting or applying twice
   * (receivers keep a batch once per sender). ADVANCE keeps its log entry the same way.
   */
  private acted: { count: number; out: Outgoing[] } | null = null;
  /** What SENSE offered in this attempt: ACT digests a prefix of it. */
  private offered: Candidate[] | null = null;
  private decayed: Outgoing[] | null = null;

  /** Labels named to and by peers (protocol/label-refs.ts); `incarnation` tells this participant's numbers from another's. */
  readonly labels: PeerLabels;

  private readonly received: Received;

  constructor(
    private readonly part: Partition,
    incarnation: string,
  ) {
    this.labels = new PeerLabels(incarnation);
    this.received = new Received(part.graph, this.labels);
  }

  /** `to` answered a message this participant produced: the labels it named are known there. */
  acknowledge(o: Outgoing): void {
    if (o.named) this.labels.acknowledge(o.to, o.named);
  }

  /** A message to `to` failed: it may have restarted and lost what it was told. */
  sendFailed(to: ShardId): void {
    this.labels.forget(to);
  }

  get openTick(): number | null {
    return this.open?.tick ?? null;
  }
  get openAttempt(): number | null {
    return this.open?.attempt ?? null;
  }
  get isPrepared(): boolean {
    return this.prepared !== null;
  }

  private check(tick: number, attempt: number, what: string): void {
    if (!this.open || this.open.tick !== tick || this.open.attempt !== attempt)
      throw refuse(`${what} of attempt ${attempt} of tick ${tick} is refused: ${this.open ? `attempt ${this.open.attempt} of tick ${this.open.tick} is open` : 'no tick is open'}`);
  }

  /** SENSE (or an empty tick's ADVANCE): open the attempt. */
  openAttemptOf(tick: number, attempt: number): void {
    if (this.open) throw refuse(`tick ${this.open.tick} attempt ${this.open.attempt} is still open`);
    this.part.begin(tick, true);
    this.open = { tick, attempt };
  }

  /**
   * SENSE: this shard's first `limit` eligible documents in (ingestTick, DocumentId) order. The plan
   * takes the first digestPerTick of every shard's offers merged, so each shard digests a prefix of its
   * own: ACT says only how many. The same request again answers the same offer.
   */
  offer(tick: number, attempt: number, limit: number): Candidate[] {
    this.check(tick, attempt, 'SENSE');
    this.offered ??= this.part.candidates(tick, limit);
    return this.offered;
  }

  /**
   * ACT: digest the first `count` documents SENSE offered. Returns one encoded presentations message
   * per other owner that needs any; this shard's own part stays as node numbers (no encoding). Terms
   * become this shard's node numbers once per document, their owners are kept per node number while
   * the placement stays, and a message names only the labels its receiver has not acknowledged
   * (protocol/label-refs.ts).
   */
  act(tick: number, attempt: number, count: number, owners: Owners): Outgoing[] {
    this.check(tick, attempt, 'ACT');
    if (this.acted) {
      if (this.acted.count !== count) throw refuse(`ACT of attempt ${attempt} of tick ${tick} again with ${count} documents instead of ${this.acted.count}`);
      return this.acted.out;
    }
    const offered = this.offered ?? [];
    if (!Number.isSafeInteger(count) || count < 0 || count > offered.length) throw refuse(`ACT of attempt ${attempt} of tick ${tick} asks for ${count} documents; this shard offered ${offered.length} at SENSE`);
    const out = this.actOnce(
      tick,
      offered.slice(0, count).map((c) => c.id),
      owners,
    );
    this.acted = { count, out };
    return out;
  }

  private actOnce(tick: number, ids: readonly DocumentId[], owners: Owners): Outgoing[] {
    const withdrawals = this.part.withdraw();
    if (withdrawals.length > 0) return this.actByLabel(withdrawals, ids, owners);
    // concepts as this shard's node numbers, each looked up once per document; a peer that knows a
    // number gets the number only
    const docs = this.part.digestTermLists(tick, ids).map(({ terms, wired }) => ({ terms: terms.map((t) => this.part.nodeOfTerm(t)), wired }));
    const per = splitTermLists(docs, this.nodeOwnerOf(owners));
    const out: Outgoing[] = [];
    for (const [to, list] of [...per].sort((a, b) => a[0] - b[0])) {
      if (to === owners.self) this.local = list.map((p) => ({ nums: p.keys, wired: p.wired }));
      else {
        const { payload, named } = encodePresentationRefs(
          list,
          this.labels.naming(to, this.labelOf),
        );
        out.push({ to, payload, named });
      }
    }
    return out;
  }

  /** ACT when forgotten documents' withdrawals travel too (docs/forget.md): presentations by label. */
  private actByLabel(withdrawals: Presentation[], ids: readonly DocumentId[], owners: Owners): Outgoing[] {
    const per = new Map<ShardId, Presentation[]>();
    for (const p of [...withdrawals, ...this.part.digest(this.open!.tick, ids)]) {
      for (const [s, part] of splitPresentation(p, owners.ownerOfLabel)) {
        let list = per.get(s);
        if (!list) per.set(s, (list = []));
        list.push(part);
      }
    }
    const g = this.part.graph;
    const out: Outgoing[] = [];
    for (const [to, list] of [...per].sort((a, b) => a[0] - b[0])) {
      if (to === owners.self) this.local = list.map((p) => (p.withdrawn ? { ...g.internPresentation(p), withdrawn: true } : g.internPresentation(p)));
      else out.push({ to, payload: encodePresentations(list) });
    }
    return out;
  }

  /** Presentations from a peer (or self) for the open attempt; a re-sent batch is kept once. */
  deliver(tick: number, attempt: number, from: ShardId, batch: number, payload: Buffer): void {
    this.check(tick, attempt, 'deliver_deltas');
    // resolved now (a malformed batch is refused now, not at DECAY); a batch by reference also
    // teaches this shard the labels it names, even when it is a re-sent one kept once below
    const b = this.received.presentations(from, payload);
    const key = `${from}:${batch}`;
    if (!this.staged.has(key)) this.staged.set(key, b);
  }

  /** This attempt's presentations as node numbers: own part first, then the received batches in key order. */
  private presentations(): NumPresentation[] {
    const all: NumPresentation[] = [...this.local];
    for (const k of [...this.staged.keys()].sort()) {
      const m = this.staged.get(k)!;
      for (let d = 0; d < m.wired.length; d++) {
        const p: NumPresentation = { nums: m.nums.subarray(m.start[d], m.start[d + 1]), wired: m.wired[d] };
        all.push(d >= m.withdrawnFrom ? { ...p, withdrawn: true } : p);
      }
    }
    return all;
  }

  /** DECAY: apply every presentation, prune, and rank; returns verdicts for the other endpoints' owners. */
  decay(tick: number, attempt: number, owners: Owners): Outgoing[] {
    this.check(tick, attempt, 'DECAY');
    if (this.decayed) return this.decayed;
    this.decayed = this.decayOnce(tick, owners);
    return this.decayed;
  }

  private decayOnce(tick: number, owners: Owners): Outgoing[] {
    this.part.present(tick, this.presentations());
    this.part.prune(tick);
    this.verdicts = this.part.verdicts(tick);
    // only verdicts on edges with an endpoint owned elsewhere travel, as node-number pairs in the
    // order edgeLabels/freshLabels name them, encoded by label once per target
    const ownerOf = this.nodeOwnerOf(owners);
    // per target: pairs flat in a growable typed column (hubs drop hundreds of thousands a tick); the
    // loops in methods of their own, without closures (see ConceptGraph.present: V8's per-loop code)
    const remote = new Map<ShardId, { pairs: Int32Column; n: number }>();
    this.routeVerdicts(this.verdicts, ownerOf, remote);
    return [...remote.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([to, r]) => {
        const { payload, named } = encodePairRefs(
          r.pairs.data.subarray(0, r.n),
          this.labels.naming(to, this.labelOf),
        );
        return { to, payload, named };
      });
  }

  /** Each verdict's pair goes to the owner of each endpoint not owned here (both, when they differ). */
  private routeVerdicts(v: Verdicts, ownerOf: OwnerMemo, remote: Map<ShardId, { pairs: Int32Column; n: number }>): void {
    const g = this.part.graph;
    for (let i = 0; i < v.edges.length; i++) {
      const x = g.endpointA(v.edges[i]);
      const y = g.endpointB(v.edges[i]);
      if (!g.isOwned(x)) addPair(remote, ownerOf.of(x), x, y);
      if (!g.isOwned(y)) addPair(remote, ownerOf.of(y), x, y);
    }
    for (let i = 0; i < v.fresh.length; i++) {
      const x = g.freshA(v.fresh[i]);
      const y = g.freshB(v.fresh[i]);
      if (!g.isOwned(x)) addPair(remote, ownerOf.of(x), x, y);
      if (!g.isOwned(y)) addPair(remote, ownerOf.of(y), x, y);
    }
  }

  /** The owner of a graph node number, kept while the placement (`owners.key`) stays. */
  private nodeOwnerOf(owners: Owners): OwnerMemo {
    const g = this.part.graph;
    return this.nodeOwners.use(owners, owners.ownerOfNode ? (n) => owners.ownerOfNode!(g.idOf(n)) : (n) => owners.ownerOfLabel(g.labelOf(n)));
  }

  /** Verdicts from a peer for the open attempt (one message per peer and attempt), resolved to node numbers. */
  receiveDrops(tick: number, attempt: number, from: ShardId, payload: Buffer): void {
    this.check(tick, attempt, 'receive_signals');
    const pairs = this.received.pairs(from, payload);
    if (this.dropBatches.has(from)) return;
    this.dropBatches.add(from);
    this.drops.push(pairs);
  }

  /** Received verdicts as node-number pairs, every sender's in arrival order. */
  private receivedNums(): Int32Array {
    const out = new Int32Array(this.drops.reduce((n, m) => n + m.length, 0));
    let k = 0;
    for (const m of this.drops) {
      out.set(m, k);
      k += m.length;
    }
    return out;
  }

  /**
   * ADVANCE: apply own and received verdicts. With `log`, returns the tick's log entry (to be made
   * durable before replying); without (a shard in memory) nothing is encoded.
   */
  advance(tick: number, attempt: number, log: boolean): LoggedTick | null {
    this.check(tick, attempt, 'ADVANCE');
    if (!this.verdicts) throw refuse(`ADVANCE of tick ${tick} before its DECAY`);
    if (!this.prepared) {
      const ownPairs = log ? this.part.verdictPairs(this.verdicts) : [];
      this.part.drop(tick, this.verdicts, [], this.receivedNums());
      this.prepared = log ? this.logEntry(ownPairs) : EMPTY_LOG;
    }
    return log ? this.prepared : null;
  }

  /**
   * The tick's log entry: everything by label (replay interns again, in any process), so the
   * presentations and verdicts received by number are named here; only when the tick is logged.
   */
  private logEntry(ownPairs: LabelPair[]): LoggedTick {
    const g = this.part.graph;
    const labels = (nums: ArrayLike<number>) => Array.from(nums, (n) => g.labelOf(n));
    const received: Presentation[] = [];
    for (const k of [...this.staged.keys()].sort()) {
      const m = this.staged.get(k)!;
      for (let d = 0; d < m.wired.length; d++) {
        const p: Presentation = { labels: labels(m.nums.subarray(m.start[d], m.start[d + 1])), wired: m.wired[d] };
        received.push(d >= m.withdrawnFrom ? { ...p, withdrawn: true } : p);
      }
    }
    const own: Presentation[] = this.local.map((p) => ({ labels: labels(p.nums), wired: p.wired, ...(p.withdrawn ? { withdrawn: true } : {}) }));
    const drops: LabelPair[] = [...ownPairs];
    for (const m of this.drops) for (let k = 0; k + 1 < m.length; k += 2) drops.push([g.labelOf(m[k]), g.labelOf(m[k + 1])]);
    return {
      presentations: [...(own.length > 0 ? [encodePresentations(own)] : []), ...(received.length > 0 ? [encodePresentations(received)] : [])].map((b) => b.toString('base64')),
      drops: encodePairs(drops).toString('base64'),
      digested: this.part.digestedIds(),
      ...(this.part.withdrawnIds().length > 0 ? { withdrawn: this.part.withdrawnIds() } : {}),
    };
  }

  /** An empty tick (nothing digested anywhere): prune only, and the (empty) log entry. */
  advanceEmpty(tick: number, attempt: number): LoggedTick {
    this.check(tick, attempt, 'ADVANCE');
    if (!this.prepared) {
      if (this.staged.size > 0 || this.local.length > 0) throw refuse(`tick ${tick} received presentations but was advanced as empty`);
      // the coordinator skips SENSE when it counts nothing pending; a document it does not count yet
      // (its df report still on the way) must not be passed over: refuse, and the tick runs in full
      if (this.part.candidates(tick, 1).length > 0) throw refuse(`tick ${tick} was advanced as empty, but shard has pending documents; run it in full`);
      if (this.part.pendingWithdrawals.length > 0) throw refuse(`tick ${tick} was advanced as empty, but shard has withdrawals of forgotten documents to send; run it in full`);
      this.part.prune(tick);
      this.verdicts = this.part.verdicts(tick);
      this.part.drop(tick, this.verdicts, []);
      this.prepared = EMPTY_LOG;
    }
    return this.prepared;
  }

  commit(tick: number): void {
    if (!this.open || this.open.tick !== tick) throw refuse(`commit of tick ${tick}, which is not open`);
    if (!this.prepared) throw refuse(`tick ${tick} is not prepared`);
    this.part.commit();
    this.reset();
  }

  abort(): void {
    if (!this.open) return;
    this.part.rollback();
    this.reset();
  }

  private reset(): void {
    this.open = null;
    this.local = [];
    this.staged = new Map();
    this.drops = [];
    this.dropBatches = new Set();
    this.verdicts = null;
    this.prepared = null;
    this.acted = null;
    this.offered = null;
    this.decayed = null;
  }
}

/** A logged tick's inputs, decoded (the wire layouts of protocol/codec.ts). */
export function decodeLogged(body: LoggedTick): TickBody {
  return {
    presentations: body.presentations.flatMap((b) => decodePresentations(Buffer.from(b, 'base64'))),
    drops: body.drops ? decodePairs(Buffer.from(body.drops, 'base64')) : [],
    digested: body.digested,
    withdrawn: body.withdrawn,
  };
}

/**
 * Replay a logged tick (recovery, or a prepared tick found committed): the same rules, from the log.
 * With `hold` the tick stays open and undoable (a follower replica applying its primary's prepared tick).
 */
export function replayLogged(part: Partition, tick: number, body: LoggedTick, hold = false): void {
  part.replay(tick, decodeLogged(body), hold);
}

/** Append the pair (x, y) to target `o`'s list. */
function addPair(remote: Map<ShardId, { pairs: Int32Column; n: number }>, o: ShardId, x: number, y: number): void {
  let r = remote.get(o);
  if (!r) remote.set(o, (r = { pairs: new Int32Column(1024), n: 0 }));
  r.pairs.ensure(r.n + 1);
  r.pairs.data[r.n++] = x;
  r.pairs.data[r.n++] = y;
}
