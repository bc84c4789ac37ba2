import { PhagoError } from '../colony/errors.js';
import { restrictPresentation, type Candidate } from '../core/documents.js';
import type { Presentation, Verdicts } from '../core/graph.js';
import type { LabelPair, Partition } from '../core/partition.js';
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

const refuse = (msg: string) => new PhagoError('FAILED_PRECONDITION', msg);

/**
 * A shard's part in one tick, as a state machine over its Partition (like raft's Step: inputs in,
 * messages out, no sockets or disk). Every input names its tick and attempt; an input of another
 * attempt than the open one is refused, so nothing of an aborted attempt is counted in its retry.
 *
 *   sense(t, a)        → this shard's candidates; opens attempt a of tick t
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
  private drops: LabelPair[] = [];
  private dropBatches = new Set<ShardId>();
  private verdicts: Verdicts | null = null;
  private ownPairs: LabelPair[] = [];
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

  /** SENSE: open the attempt and offer this shard's first eligible documents. */
  sense(tick: number, attempt: number, perTick: number): Candidate[] {
    if (this.open) throw refuse(`tick ${this.open.tick} attempt ${this.open.attempt} is still open`);
    this.part.begin(tick, true);
    this.open = { tick, attempt };
    return this.part.candidates(tick, perTick);
  }

  /** ACT: digest the chosen documents; one presentations message per owner that needs any (self included). */
  act(tick: number, attempt: number, ids: readonly DocumentId[], owners: Owners): Outgoing[] {
    this.check(tick, attempt, 'ACT');
    const per = new Map<ShardId, Presentation[]>(owners.members.map((s) => [s, []]));
    const memo = new Map<string, ShardId>();
    const ownerOf = (l: string) => {
      let o = memo.get(l);
      if (o === undefined) memo.set(l, (o = owners.ownerOfLabel(l)));
      return o;
    };
    for (const p of this.part.digest(tick, ids)) {
      for (const s of owners.members) {
        const r = restrictPresentation(p, (l) => ownerOf(l) === s);
        if (r) per.get(s)!.push(r);
      }
    }
    const out: Outgoing[] = [];
    for (const [to, list] of per) if (list.length > 0) out.push({ to, payload: encodePresentations(list) });
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
    this.part.present(
      tick,
      keys.flatMap((k) => decodePresentations(this.staged.get(k)!)),
    );
    this.part.prune(tick);
    this.verdicts = this.part.verdicts(tick);
    this.ownPairs = this.part.verdictPairs(this.verdicts);
    const remote = new Map<ShardId, LabelPair[]>();
    for (const pair of this.ownPairs) {
      for (const l of pair) {
        const o = owners.ownerOfLabel(l);
        if (o === owners.self) continue;
        let list = remote.get(o);
        if (!list) remote.set(o, (list = []));
        list.push(pair);
      }
    }
    return [...remote.entries()].map(([to, pairs]) => ({ to, payload: encodePairs(pairs) }));
  }

  /** Verdicts from a peer for the open attempt (one message per peer and attempt). */
  receiveDrops(tick: number, attempt: number, from: ShardId, payload: Buffer): void {
    this.check(tick, attempt, 'receive_signals');
    const pairs = decodePairs(payload);
    if (this.dropBatches.has(from)) return;
    this.dropBatches.add(from);
    this.drops.push(...pairs);
  }

  /** ADVANCE: apply own and received verdicts; the tick's log entry, to be made durable before replying. */
  advance(tick: number, attempt: number): LoggedTick {
    this.check(tick, attempt, 'ADVANCE');
    if (!this.verdicts) throw refuse(`ADVANCE of tick ${tick} before its DECAY`);
    if (!this.prepared) {
      this.part.drop(tick, this.verdicts, this.drops);
      const all = [...this.ownPairs, ...this.drops];
      this.prepared = {
        presentations: [...this.staged.keys()].sort().map((k) => this.staged.get(k)!.toString('base64')),
        drops: encodePairs(all).toString('base64'),
        digested: this.part.digestedIds(),
      };
    }
    return this.prepared;
  }

  /** An empty tick (nothing digested anywhere): prune only, and the (empty) log entry. */
  advanceEmpty(tick: number, attempt: number): LoggedTick {
    this.check(tick, attempt, 'ADVANCE');
    if (!this.prepared) {
      if (this.staged.size > 0) throw refuse(`tick ${tick} received presentations but was advanced as empty`);
      this.part.prune(tick);
      this.verdicts = this.part.verdicts(tick);
      this.part.drop(tick, this.verdicts, []);
      this.prepared = { presentations: [], drops: '', digested: [] };
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
    this.staged = new Map();
    this.drops = [];
    this.dropBatches = new Set();
    this.verdicts = null;
    this.ownPairs = [];
    this.prepared = null;
  }
}

/** Replay a logged tick (recovery, or a prepared tick found committed): the same rules, from the log. */
export function replayLogged(part: Partition, tick: number, body: LoggedTick): void {
  part.replay(tick, {
    presentations: body.presentations.flatMap((b) => decodePresentations(Buffer.from(b, 'base64'))),
    drops: body.drops ? decodePairs(Buffer.from(body.drops, 'base64')) : [],
    digested: body.digested,
  });
}
