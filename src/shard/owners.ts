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

/** Owner + 1 of each number looked up under the placement `key` (0: not looked up yet). */
export interface OwnerMemo {
  key: object | undefined;
  owner: Int32Array;
}

/** `compute` memoized per number while `owners.key` stays the same object (not at all without a key). */
export function memoized(owners: Owners, memo: OwnerMemo, replace: (m: OwnerMemo) => void, compute: (x: number) => ShardId): (x: number) => ShardId {
  const key = owners.key;
  if (key === undefined) return compute;
  if (memo.key !== key) replace((memo = { key, owner: new Int32Array(1024) }));
  const m = memo;
  return (x) => {
    if (x >= m.owner.length) {
      const grown = new Int32Array(Math.max(x + 1, m.owner.length * 2));
      grown.set(m.owner);
      m.owner = grown;
    }
    let o = m.owner[x];
    if (o === 0) m.owner[x] = o = compute(x) + 1;
    return o - 1;
  };
}

/**
 * `splitPresentation` (core/presentation.ts) over numbers (a shard's graph node numbers): every owner of a wired term gets all the
 * wired terms, every owner of another term that term. Returns each owner's parts in document order.
 */
export function splitTermLists(docs: Iterable<{ terms: number[]; wired: number }>, ownerOf: (t: number) => ShardId): Map<ShardId, { keys: number[]; wired: number }[]> {
  const per = new Map<ShardId, { keys: number[]; wired: number }[]>();
  for (const { terms, wired: w } of docs) {
    const parts = new Map<ShardId, { keys: number[]; wired: number }>();
    for (let i = 0; i < w; i++) {
      const o = ownerOf(terms[i]);
      if (!parts.has(o)) parts.set(o, { keys: terms.slice(0, w), wired: w });
    }
    for (let i = w; i < terms.length; i++) {
      const o = ownerOf(terms[i]);
      let part = parts.get(o);
      if (!part) parts.set(o, (part = { keys: [], wired: 0 }));
      part.keys.push(terms[i]);
    }
    for (const [o, part] of parts) {
      let list = per.get(o);
      if (!list) per.set(o, (list = []));
      list.push(part);
    }
  }
  return per;
}
