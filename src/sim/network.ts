import { Prng } from '../util/prng.js';

/** A member of the simulated cluster: 0 is the coordinator, 1..n the shards. */
export type NodeId = number;

/** How the network and the members misbehave, as probabilities per message or per time unit. */
export interface Faults {
  /** A message is lost. */
  drop: number;
  /** A message is delivered twice (each copy with its own delay, so copies are reordered too). */
  duplicate: number;
  /**
   * Whether a tick_phase request may be duplicated too. gRPC runs a call at most once and the
   * coordinator never sends a phase twice, so this is off by default; on, it models a caller that
   * retries a phase with the same attempt (ACT and DECAY are not idempotent: see docs/simulation.md).
   */
  duplicatePhases: boolean;
  /** Delivery delay, uniform in [minDelay, maxDelay] time units: messages overtake each other. */
  minDelay: number;
  maxDelay: number;
  /** A message is slow: up to `slowDelay` more time units (a congested link), overtaken by later ones. */
  slow: number;
  slowDelay: number;
  /** Per time unit: a member crashes (it restarts `restartAfter` later from its durable state). */
  crash: number;
  restartAfter: number;
  /** Per time unit: the link between two members is cut in both directions for `cutFor` units. */
  cut: number;
  cutFor: number;
}

export const NO_FAULTS: Faults = { drop: 0, duplicate: 0, duplicatePhases: false, minDelay: 1, maxDelay: 1, slow: 0, slowDelay: 0, crash: 0, restartAfter: 1, cut: 0, cutFor: 1 };

/** An error reply, with the status a gRPC call would end with. */
export interface RpcError {
  code: 'FAILED_PRECONDITION' | 'DEADLINE_EXCEEDED' | 'UNAVAILABLE' | 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'INTERNAL';
  message: string;
}
export type RpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: RpcError };
export type Reply = (r: RpcResult) => void;

/** What a member serves: a request in, one reply out (now or later; at most one is sent). */
export interface Server {
  handle(method: string, body: unknown, from: NodeId, reply: Reply): void;
}

type Message = { kind: 'req'; id: number; from: NodeId; to: NodeId; method: string; body: unknown } | { kind: 'rep'; id: number; from: NodeId; to: NodeId; result: RpcResult };

/**
 * A discrete-event scheduler and an in-memory network, both driven by one seed: events run in (time,
 * sequence) order, every random choice (delay, loss, duplication, crash) comes from the seeded PRNG,
 * so a seed replays the same schedule exactly. Calls are request/reply with a deadline, as gRPC's.
 */
export class SimNetwork {
  now = 0;
  readonly rng: Prng;
  faults: Faults;
  /** Messages sent and delivered (for statistics). */
  sent = 0;
  private seq = 0;
  private heap: { t: number; s: number; f: () => void }[] = [];
  private servers = new Map<NodeId, Server>();
  /** A member's incarnation: bumped by a crash, so replies and deadlines of a dead one are dropped. */
  private incarnation = new Map<NodeId, number>();
  private pending = new Map<number, { from: NodeId; inc: number; cb: Reply }>();
  private cuts = new Map<string, number>();
  private nextId = 0;

  constructor(seed: number, faults: Faults) {
    this.rng = new Prng(seed);
    this.faults = faults;
  }

  // ---- scheduler ------------------------------------------------------------------------------------

  at(delay: number, f: () => void): void {
    const e = { t: this.now + delay, s: this.seq++, f };
    const h = this.heap;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (before(h[p], h[i])) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  /** Run events until `done()` holds, nothing is left, or time passes `until`; returns done(). */
  run(done: () => boolean, until: number): boolean {
    while (!done()) {
      const h = this.heap;
      if (h.length === 0 || h[0].t > until) return done();
      const top = h[0];
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && before(h[l], h[m])) m = l;
          if (r < h.length && before(h[r], h[m])) m = r;
          if (m === i) break;
          [h[m], h[i]] = [h[i], h[m]];
          i = m;
        }
      }
      this.now = top.t;
      top.f();
    }
    return true;
  }

  // ---- members --------------------------------------------------------------------------------------

  attach(id: NodeId, server: Server): void {
    this.servers.set(id, server);
    this.incarnation.set(id, (this.incarnation.get(id) ?? 0) + 1);
  }

  /** The member stops: its volatile state is gone, messages to it are lost, its calls never complete. */
  detach(id: NodeId): void {
    this.servers.delete(id);
    this.incarnation.set(id, (this.incarnation.get(id) ?? 0) + 1);
  }

  isUp(id: NodeId): boolean {
    return this.servers.has(id);
  }

  /** Cut the link between a and b (both directions) for `span` time units. */
  cut(a: NodeId, b: NodeId, span: number): void {
    this.cuts.set(linkKey(a, b), this.now + span);
  }

  // ---- messages -------------------------------------------------------------------------------------

  /** Call `method` on `to`; `cb` gets its reply or DEADLINE_EXCEEDED after `deadline` time units. */
  call(from: NodeId, to: NodeId, method: string, body: unknown, deadline: number, cb: Reply): void {
    const id = ++this.nextId;
    const inc = this.incarnation.get(from) ?? 0;
    this.pending.set(id, { from, inc, cb });
    this.send({ kind: 'req', id, from, to, method, body });
    this.at(deadline, () => this.complete(id, { ok: false, error: { code: 'DEADLINE_EXCEEDED', message: `${method} to ${to}: deadline exceeded` } }));
  }

  private complete(id: number, r: RpcResult): void {
    const p = this.pending.get(id);
    if (!p) return; // answered already (a duplicate reply, or the deadline passed)
    this.pending.delete(id);
    if (this.incarnation.get(p.from) !== p.inc) return; // the caller crashed meanwhile
    p.cb(r);
  }

  private send(m: Message): void {
    this.sent++;
    const f = this.faults;
    const cutUntil = this.cuts.get(linkKey(m.from, m.to));
    if (cutUntil !== undefined && cutUntil > this.now) return;
    if (this.rng.next() < f.drop) return;
    const dup = this.rng.next() < f.duplicate && (f.duplicatePhases || m.kind === 'rep' || m.method !== 'tick_phase');
    const copies = dup ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay = f.minDelay + this.rng.int(f.maxDelay - f.minDelay + 1) + (this.rng.next() < f.slow ? this.rng.int(f.slowDelay + 1) : 0);
      this.at(delay, () => this.deliver(m));
    }
  }

  private deliver(m: Message): void {
    if (m.kind === 'rep') {
      if (this.isUp(m.to)) this.complete(m.id, m.result);
      return;
    }
    const server = this.servers.get(m.to);
    if (!server) return; // down: the caller's deadline tells it
    const inc = this.incarnation.get(m.to);
    let replied = false;
    server.handle(m.method, m.body, m.from, (result) => {
      // one reply per delivery, and none from an incarnation that crashed meanwhile
      if (replied || this.incarnation.get(m.to) !== inc) return;
      replied = true;
      this.send({ kind: 'rep', id: m.id, from: m.to, to: m.from, result });
    });
  }
}

const before = (a: { t: number; s: number }, b: { t: number; s: number }) => a.t < b.t || (a.t === b.t && a.s < b.s);
const linkKey = (a: NodeId, b: NodeId) => (a < b ? `${a}-${b}` : `${b}-${a}`);

/** Turn a thrown error into an RPC error reply (a protocol refusal keeps its status). */
export function errorOf(e: unknown): RpcError {
  const code = (e as { code?: unknown })?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'FAILED_PRECONDITION' || code === 'NOT_FOUND' || code === 'INVALID_ARGUMENT') return { code, message };
  return { code: 'INTERNAL', message };
}
