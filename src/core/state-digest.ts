import type { ConceptGraph } from './graph.js';
import type { Partition } from './partition.js';

/**
 * A digest of a holder's whole state that costs what a tick touches: the sum, modulo 2^64, of a
 * 64-bit hash of every row (concept, edge with its stored state, document with its digestion tick).
 * A tick adds the hash of each touched row's new state and subtracts that of its prior state (from
 * the undo journal), so rows a tick read but did not change cancel out. Two holders with the same
 * rows have the same digest however they reached them, which is what replicas prove to each other
 * at every commit (docs/replication.md). Not a cryptographic commitment: it detects divergence, it
 * does not resist an adversary.
 */
const MASK = (1n << 64n) - 1n;

/** 64-bit FNV-1a over a string's UTF-16 code units, as a BigInt. */
export function rowHash(s: string): bigint {
  // two 32-bit lanes with different offsets, mixed at the end (fast, no allocation per code unit)
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  h1 ^= h2 >>> 15;
  h2 ^= Math.imul(h1, 0x27d4eb2d);
  return (BigInt(h1 >>> 0) << 32n) | BigInt(h2 >>> 0);
}

const nodeLine = (id: string, access: number, created: number) => `N${id}|${access}|${created}`;
const edgeLine = (a: string, b: string, w: number, co: number, created: number, last: number) => `E${a}|${b}|${w}|${co}|${created}|${last}`;
const docLine = (id: string, ingestTick: number, digestedTick: number | null) => `D${id}|${ingestTick}|${digestedTick ?? '-'}`;

export class StateDigest {
  private sum = 0n;

  get value(): string {
    return this.sum.toString(16).padStart(16, '0');
  }

  private add(h: bigint): void {
    this.sum = (this.sum + h) & MASK;
  }
  private sub(h: bigint): void {
    this.sum = (this.sum - h) & MASK;
  }

  /** Recompute from every row (once, when replication starts or a snapshot is installed). */
  static of(part: Partition): StateDigest {
    const d = new StateDigest();
    const g = part.graph;
    for (const n of g.nodeNumbers()) {
      const r = g.node(n)!;
      d.add(rowHash(nodeLine(r.id, r.accessCount, r.createdTick)));
    }
    for (const e of g.edgeNumbers()) {
      const r = g.edgeRow(e);
      d.add(rowHash(edgeLine(r.a, r.b, r.weight, r.coActivations, r.createdTick, r.lastActivatedTick)));
    }
    const docs = part.docs;
    for (const n of docs.numbers()) {
      const r = docs.record(n);
      d.add(rowHash(docLine(r.id, r.ingestTick, r.digestedTick)));
    }
    return d;
  }

  /** A document enters (ingest, snapshot) or leaves (forget) with its current record. */
  document(part: Partition, id: string, sign: 1 | -1): void {
    const n = part.docs.numberOf(id);
    if (n === undefined) return;
    const r = part.docs.record(n);
    const h = rowHash(docLine(r.id, r.ingestTick, r.digestedTick));
    if (sign > 0) this.add(h);
    else this.sub(h);
  }

  /** This digest plus a delta (a tick's, from `openTickDelta`). */
  plus(delta: StateDigest): StateDigest {
    const d = new StateDigest();
    d.sum = (this.sum + delta.sum) & MASK;
    return d;
  }

  /** The digest with the open tick applied; this one is unchanged (the tick may still roll back). */
  withOpenTick(part: Partition, digested: readonly string[], tick: number): StateDigest {
    return this.plus(StateDigest.openTickDelta(part, digested, tick));
  }

  /**
   * What the open tick changes (it must be open and undoable): what its journal says changed, and the
   * documents it digested, as a delta to add to the digest when the tick commits (documents ingested
   * meanwhile are added to the digest on their own).
   */
  static openTickDelta(part: Partition, digested: readonly string[], tick: number): StateDigest {
    const g: ConceptGraph = part.graph;
    const tx = g.journal;
    if (!tx) throw new Error('the open tick has no journal: a replicated holder opens undoable ticks');
    const d = new StateDigest();
    const N = tx.nodes.data;
    for (let i = 0; i < tx.nodes.length; i += 4) {
      const n = N[i];
      const id = g.idOf(n);
      if (N[i + 1] === 1) d.sub(rowHash(nodeLine(id, N[i + 2], N[i + 3])));
      const now = g.node(n);
      if (now) d.add(rowHash(nodeLine(id, now.accessCount, now.createdTick)));
    }
    const E = tx.edges.data;
    for (let i = 0; i < tx.edges.length; i += 7) {
      const e = E[i];
      const [x, y] = g.endpoints(e);
      const a = g.idOf(x);
      const b = g.idOf(y);
      if (E[i + 1] === 1) d.sub(rowHash(edgeLine(a, b, E[i + 2], E[i + 3], E[i + 4], E[i + 5])));
      if (g.edgeAlive(e)) {
        const r = g.edgeRow(e);
        d.add(rowHash(edgeLine(a, b, r.weight, r.coActivations, r.createdTick, r.lastActivatedTick)));
      }
    }
    for (const id of digested) {
      const n = part.docs.numberOf(id);
      if (n === undefined) continue;
      const r = part.docs.record(n);
      d.sub(rowHash(docLine(id, r.ingestTick, null)));
      d.add(rowHash(docLine(id, r.ingestTick, tick)));
    }
    return d;
  }
}
