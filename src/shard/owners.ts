import type { ShardId } from '../cluster/placement.js';

/** Who owns what, as of the open tick's epoch. */
export interface Owners {
  self: ShardId;
  members: readonly ShardId[];
  ownerOfLabel(label: string): ShardId;
  /** The owner of a concept by its NodeId (what ownerOfLabel computes after hashing the label), if offered. */
  ownerOfNode?(id: string): ShardId;
  /**
   * The placement behind ownerOfLabel: while it is the same object, the participant keeps the owner of
   * each term number it has looked up (absent: nothing is kept).
   */
  key?: object;
}

/**
 * The owner of each number looked up, kept while the placement (`Owners.key`) stays the same object;
 * without a key nothing is kept. One object for a participant's life, asked through a method: a
 * closure made per tick was a new call target for V8 every tick (it deoptimized its callers).
 */
export class OwnerMemo {
  private key: object | undefined = undefined;
  private owner = new Int32Array(0);
  private compute: (x: number) => ShardId = () => {
    throw new Error('OwnerMemo used before use()');
  };

  /** Answer for `owners`' placement from now on; `compute` gives an owner not kept yet. */
  use(owners: Owners, compute: (x: number) => ShardId): this {
    if (owners.key === undefined || owners.key !== this.key) {
      this.key = owners.key;
      this.owner = new Int32Array(owners.key === undefined ? 0 : 1024);
      this.compute = compute;
    }
    return this;
  }

  of(x: number): ShardId {
    if (this.key === undefined) return this.compute(x);
    if (x >= this.owner.length) {
      const grown = new Int32Array(Math.max(x + 1, this.owner.length * 2));
      grown.set(this.owner);
      this.owner = grown;
    }
    let o = this.owner[x];
    if (o === 0) this.owner[x] = o = this.compute(x) + 1;
    return o - 1;
  }
}

/**
 * `splitPresentation` (core/presentation.ts) over numbers (a shard's graph node numbers): every owner of a wired term gets all the
 * wired terms, every owner of another term that term. Returns each owner's parts in document order, as
 * typed arrays: what a shard receives is typed too, so the rules see one element kind (V8 deoptimized
 * the presentation count every few ticks when it met the other).
 */
export function splitTermLists(docs: Iterable<{ terms: number[]; wired: number }>, owners: { of(t: number): ShardId }): Map<ShardId, { keys: Int32Array; wired: number }[]> {
  const per = new Map<ShardId, { keys: Int32Array; wired: number }[]>();
  for (const { terms, wired: w } of docs) {
    const parts = new Map<ShardId, { keys: number[]; wired: number }>();
    for (let i = 0; i < w; i++) {
      const o = owners.of(terms[i]);
      if (!parts.has(o)) parts.set(o, { keys: terms.slice(0, w), wired: w });
    }
    for (let i = w; i < terms.length; i++) {
      const o = owners.of(terms[i]);
      let part = parts.get(o);
      if (!part) parts.set(o, (part = { keys: [], wired: 0 }));
      part.keys.push(terms[i]);
    }
    for (const [o, part] of parts) {
      let list = per.get(o);
      if (!list) per.set(o, (list = []));
      list.push({ keys: new Int32Array(part.keys), wired: part.wired });
    }
  }
  return per;
}
