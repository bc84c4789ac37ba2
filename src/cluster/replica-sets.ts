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
}

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

  addFollower(group: ShardId, primary: string, f: Follower): void {
    const s = this.of(group, primary);
    s.followers = [...s.followers.filter((x) => x.identity !== f.identity), f];
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
    return Object.fromEntries([...this.sets].sort((a, b) => a[0] - b[0]).map(([g, s]) => [String(g), s]));
  }

  restore(json: string | undefined): void {
    this.sets.clear();
    if (!json) return;
    for (const [g, s] of Object.entries(JSON.parse(json) as Record<string, ReplicaSet>)) this.sets.set(Number(g), { primary: s.primary, followers: s.followers.map((f) => ({ ...f })) });
  }
}
