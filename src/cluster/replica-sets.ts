import type { ShardId } from './placement.js';

/**
 * Replica sets (docs/replication.md), pure state: every shard of the placement (a group) has a primary
 * process, whose address the registry holds, and up to r − 1 follower processes that replicate it.
 * A follower is `inSync` once it holds the primary's snapshot and every operation shipped since;
 * only an in-sync follower may be promoted, and a promotion makes every other follower resync.
 */
export interface Follower {
  identity: string;
  address: string;
  inSync: boolean;
  /** Reports of a failed operation so far: a sync that saw one arrive meanwhile does not count. */
  failures?: number;
}

export interface ReplicaSet {
  /** The identity of the process that is the primary now (the registry's identity stays the group's df identity). */
  primary: string;
  followers: Follower[];
  /** When an operator removed a member and left the group short of copies (ms; cleared once it has r again). */
  degradedSince?: number;
}

/**
 * One step that restores r copies of every key without a new process (docs/replication.md, "Restoring
 * copies"): move a surplus follower (of a group with more than r copies) to a group short of copies,
 * or, when no group has a surplus, fold a short group into the others (its keys move to groups that
 * hold r copies; its processes become their followers).
 */
export type Repair = { kind: 'move'; identity: string; from: ShardId; to: ShardId } | { kind: 'fold'; group: ShardId };

export class ReplicaSets {
  private readonly sets = new Map<ShardId, ReplicaSet>();

  constructor(readonly replicas = 1) {
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) throw new RangeError(`replicas must be an integer from 1 to 9, got ${replicas}`);
  }

  /** The set of a group (created with `primary` as its primary when new). */
  of(group: ShardId, primary: string): ReplicaSet {
    let s = this.sets.get(group);
    if (!s) this.sets.set(group, (s = { primary, followers: [] }));
    return s;
  }

  get(group: ShardId): ReplicaSet | undefined {
    return this.sets.get(group);
  }

  /** Every group's set, in group order. */
  entries(): [ShardId, ReplicaSet][] {
    return [...this.sets].sort((a, b) => a[0] - b[0]);
  }

  delete(group: ShardId): void {
    this.sets.delete(group);
  }

  /** The group a process identity follows, if any. */
  followerOf(identity: string): { group: ShardId; follower: Follower } | undefined {
    for (const [group, s] of this.sets) {
      const follower = s.followers.find((f) => f.identity === identity);
      if (follower) return { group, follower };
    }
    return undefined;
  }

  /** The group whose primary is this identity, if any. */
  primaryOf(identity: string): ShardId | undefined {
    for (const [group, s] of this.sets) if (s.primary === identity) return group;
    return undefined;
  }

  /**
   * Where a new process goes: the lowest group with fewer than r copies gets it as a follower; none
   * (every group full, or r = 1) means it becomes a new group.
   */
  placeNew(groups: readonly ShardId[]): ShardId | undefined {
    if (this.replicas <= 1) return undefined;
    for (const g of [...groups].sort((a, b) => a - b)) {
      const s = this.sets.get(g);
      if (1 + (s?.followers.length ?? 0) < this.replicas) return g;
    }
    return undefined;
  }

  /** The copies of a group: its primary and every follower (in sync or syncing). */
  copies(group: ShardId): number {
    return 1 + (this.sets.get(group)?.followers.length ?? 0);
  }

  /** Where a process freed by a fold goes: the group with the fewest copies (the lowest id first). */
  placeSpare(groups: readonly ShardId[]): ShardId | undefined {
    let best: ShardId | undefined;
    for (const g of [...groups].sort((a, b) => a - b)) if (best === undefined || this.copies(g) < this.copies(best)) best = g;
    return best;
  }

  /**
   * The next repair, if any: a move whenever a group is short and another has a surplus (the
   * follower moved is one out of sync if there is one, else the last in identity order); otherwise a
   * fold of the short group with the fewest copies (the highest id first), only when `foldable` says
   * it may go (degraded by a removal long enough ago; a new group waiting for followers is not) and
   * another group remains.
   */
  repair(groups: readonly ShardId[], foldable: (group: ShardId) => boolean): Repair | undefined {
    if (this.replicas <= 1) return undefined;
    const sorted = [...groups].sort((a, b) => a - b);
    const short = sorted.filter((g) => this.copies(g) < this.replicas);
    if (short.length === 0) return undefined;
    const to = short[0];
    const surplus = sorted.filter((g) => this.copies(g) > this.replicas).sort((a, b) => this.copies(b) - this.copies(a) || a - b)[0];
    if (surplus !== undefined) {
      const fs = [...this.sets.get(surplus)!.followers].sort((a, b) => Number(a.inSync) - Number(b.inSync) || (a.identity < b.identity ? 1 : a.identity > b.identity ? -1 : 0));
      return { kind: 'move', identity: fs[0].identity, from: surplus, to };
    }
    if (sorted.length < 2) return undefined;
    const victim = [...short].sort((a, b) => this.copies(a) - this.copies(b) || b - a).find(foldable);
    return victim === undefined ? undefined : { kind: 'fold', group: victim };
  }

  addFollower(group: ShardId, primary: string, f: Follower): void {
    const s = this.of(group, primary);
    s.followers = [...s.followers.filter((x) => x.identity !== f.identity), f];
    if (this.copies(group) >= this.replicas) delete s.degradedSince;
  }

  /** An operator removed a member of `group`: from now (`nowMs`) it may be folded if it stays short. */
  markDegraded(group: ShardId, nowMs: number): void {
    const s = this.sets.get(group);
    if (s && this.copies(group) < this.replicas) s.degradedSince ??= nowMs;
  }

  setInSync(group: ShardId, identity: string, inSync: boolean): boolean {
    const f = this.sets.get(group)?.followers.find((x) => x.identity === identity);
    if (!f) return false;
    f.inSync = inSync;
    if (!inSync) f.failures = (f.failures ?? 0) + 1;
    return true;
  }

  /**
   * Promote an in-sync follower: it becomes the primary, the old primary a follower out of sync (at
   * `oldAddress`), and every other follower out of sync (they resync from the new primary).
   */
  promote(group: ShardId, identity: string, oldAddress: string): Follower {
    const s = this.sets.get(group);
    const f = s?.followers.find((x) => x.identity === identity);
    if (!s || !f) throw new RangeError(`${identity} does not follow shard ${group}`);
    if (!f.inSync) throw new RangeError(`${identity} is not in sync with shard ${group}`);
    const old = s.primary;
    s.primary = f.identity;
    s.followers = [...s.followers.filter((x) => x !== f).map((x) => ({ ...x, inSync: false })), { identity: old, address: oldAddress, inSync: false }];
    return f;
  }

  /** Drop a follower (removed by an operator). */
  removeFollower(group: ShardId, identity: string): boolean {
    const s = this.sets.get(group);
    if (!s) return false;
    const before = s.followers.length;
    s.followers = s.followers.filter((x) => x.identity !== identity);
    return s.followers.length < before;
  }

  inSyncFollowers(group: ShardId): Follower[] {
    return (this.sets.get(group)?.followers ?? []).filter((f) => f.inSync);
  }

  toJSON(): Record<string, ReplicaSet> {
    return Object.fromEntries(this.entries().map(([g, s]) => [String(g), s]));
  }

  restore(json: string | undefined): void {
    this.sets.clear();
    if (!json) return;
    for (const [g, s] of Object.entries(JSON.parse(json) as Record<string, ReplicaSet>)) this.sets.set(Number(g), { ...s, followers: s.followers.map((f) => ({ ...f })) });
  }
}
