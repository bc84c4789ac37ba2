import { PhagoError } from '../core/errors.js';
import { splitPresentation } from '../core/documents.js';
import type { Presentation, Verdicts } from '../core/graph.js';
import type { LabelPair, Partition, TickBody } from '../core/partition.js';
import type { DocumentId } from '../ids/ids.js';
import { decodePairs, decodePresentations, encodePairs, encodePresentations } from '../protocol/codec.js';
import type { LoggedTick } from '../storage/shard-storage.js';

export type ShardId = number;

/** A message this shard must send to a peer (the driver sends it; this class does no I/O). */
export interface Outgoing {
  to: ShardId;
  payload: Buffer;
}

/** Who owns what, as of the open tick's epoch. */
export interface Owners {
  self: ShardId;
  members: readonly ShardId[];
  ownerOfLabel(label: string): ShardId;
}

const EMPTY_LOG: LoggedTick = Object.freeze({ presentations: [], drops: '', digested: [] }) as LoggedTick;

const refuse = (msg: string) => new PhagoError('FAILED_PRECONDITION', msg);

/**
 * A shard's part in one tick, as a state machine over its Partition (like raft's Step: inputs in,
 * messages out, no sockets or disk). Every input names its tick and attempt; an input of another
 * attempt than the open one is refused, so nothing of an aborted attempt is counted in its retry.
 *
 *   openAttemptOf(t, a) opens attempt a of tick t (SENSE; the shard then offers its candidates)
 *   act(t, a, ids)     → digest own documents; presentations per owner (one message each)
 *   deliver(...)       ← presentations from a peer (deduplicated per sender and batch)
 *   decay(t, a)        → apply presentations, prune, verdicts; verdicts for other owners
 *   receiveDrops(...)  ← verdicts from a peer
 *   advance(t, a)      → apply verdicts, make new edges; the tick's log entry (the driver persists it)
 *   commit / abort
 */
export class TickParticipant {
  private open: { tick: number; attempt: number } | null = null;
  private staged = new Map<string, Buffer>();
  /** This shard's own part of its digested documents' presentations (never encoded unless logged). */
  private local: Presentation[] = [];
  private drops: LabelPair[] = [];
  private dropBatches = new Set<ShardId>();
  private verdicts: Verdicts | null = null;
  private prepared: LoggedTick | null = null;

  constructor(private readonly part: Partition) {}

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
   * ACT: digest the chosen documents. Returns one encoded presentations message per other owner that
   * needs any; this shard's own part is staged directly (no encoding).
   */
  act(tick: number, attempt: number, ids: readonly DocumentId[], owners: Owners): Outgoing[] {
    this.check(tick, attempt, 'ACT');
    const per = new Map<ShardId, Presentation[]>();
    // forgotten documents' withdrawals travel with the presentations (docs/forget.md)
    for (const p of [...this.part.withdraw(), ...this.part.digest(tick, ids)]) {
      for (const [s, part] of splitPresentation(p, owners.ownerOfLabel)) {
        let list = per.get(s);
        if (!list) per.set(s, (list = []));
        list.push(part);
      }
    }
    const out: Outgoing[] = [];
    for (const [to, list] of [...per].sort((a, b) => a[0] - b[0])) {
      if (to === owners.self) this.local = list;
      else out.push({ to, payload: encodePresentations(list) });
    }
    return out;
  }

  /** Presentations from a peer (or self) for the open attempt; a re-sent batch is kept once. */
  deliver(tick: number, attempt: number, from: ShardId, batch: number, payload: Buffer): void {
    this.check(tick, attempt, 'deliver_deltas');
    decodePresentations(payload); // refuse a malformed batch now, not at DECAY
    const key = `${from}:${batch}`;
    if (!this.staged.has(key)) this.staged.set(key, payload);
  }

  /** DECAY: apply every presentation, prune, and rank; returns verdicts for the other endpoints' owners. */
  decay(tick: number, attempt: number, owners: Owners): Outgoing[] {
    this.check(tick, attempt, 'DECAY');
    const keys = [...this.staged.keys()].sort();
    this.part.present(tick, [...this.local, ...keys.flatMap((k) => decodePresentations(this.staged.get(k)!))]);
    this.part.prune(tick);
    this.verdicts = this.part.verdicts(tick);
    // only verdicts on edges with an endpoint owned elsewhere travel
    const g = this.part.graph;
    const remote = new Map<ShardId, LabelPair[]>();
    const send = (x: number, y: number, pair: LabelPair) => {
      for (const n of [x, y]) {
        if (g.isOwned(n)) continue;
        const o = owners.ownerOfLabel(g.labelOf(n));
        let list = remote.get(o);
        if (!list) remote.set(o, (list = []));
        list.push(pair);
      }
    };
    for (const e of this.verdicts.edges) {
      const [x, y] = g.endpoints(e);
      if (!g.isOwned(x) || !g.isOwned(y)) send(x, y, g.edgeLabels(e));
    }
    for (const c of this.verdicts.fresh) {
      const [x, y] = g.freshEndpoints(c);
      if (!g.isOwned(x) || !g.isOwned(y)) send(x, y, g.freshLabels(c));
    }
    return [...remote.entries()].sort((a, b) => a[0] - b[0]).map(([to, pairs]) => ({ to, payload: encodePairs(pairs) }));
  }

  /** Verdicts from a peer for the open attempt (one message per peer and attempt). */
  receiveDrops(tick: number, attempt: number, from: ShardId, payload: Buffer): void {
    this.check(tick, attempt, 'receive_signals');
    const pairs = decodePairs(payload);
    if (this.dropBatches.has(from)) return;
    this.dropBatches.add(from);
    this.drops.push(...pairs);
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
      this.part.drop(tick, this.verdicts, this.drops);
      this.prepared = log
        ? {
            presentations: [...(this.local.length > 0 ? [encodePresentations(this.local)] : []), ...[...this.staged.keys()].sort().map((k) => this.staged.get(k)!)].map((b) => b.toString('base64')),
            drops: encodePairs([...ownPairs, ...this.drops]).toString('base64'),
            digested: this.part.digestedIds(),
            ...(this.part.withdrawnIds().length > 0 ? { withdrawn: this.part.withdrawnIds() } : {}),
          }
        : EMPTY_LOG;
    }
    return log ? this.prepared : null;
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
