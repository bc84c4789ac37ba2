import { Placement, type ShardId } from './placement.js';

/** Membership: the registered shards, their identities and the epoch. Pure state, no I/O. */
export type ShardStatus = 'ONLINE' | 'SUSPECT' | 'OFFLINE' | 'DRAINING';

export interface ShardCounts {
  nodes: number;
  edges: number;
  documents: number;
  digested: number;
  pending: number;
}

export interface ShardRecord {
  id: ShardId;
  address: string;
  identity: string;
  counts: ShardCounts;
  /** Wall-clock milliseconds of the last heartbeat (or registration). */
  lastHeartbeatMs: number;
  draining: boolean;
}

export const ZERO_COUNTS: Readonly<ShardCounts> = Object.freeze({ nodes: 0, edges: 0, documents: 0, digested: 0, pending: 0 });

export class Registry {
  private readonly shards = new Map<ShardId, ShardRecord>();
  private nextId = 1;
  epoch = 0;

  /** Lease: a shard silent for longer than leaseMs is suspect, for longer than 2 × leaseMs offline. */
  constructor(readonly leaseMs = 3000) {}

  /**
   * Register a shard. A shard presenting an identity the registry knows gets its old id back (its
   * address may have changed). Bumps the epoch when membership or an address changes.
   */
  register(address: string, identity: string, nowMs: number): { id: ShardId; returning: boolean; changed: boolean } {
    for (const s of this.shards.values()) {
      if (s.identity === identity) {
        const changed = s.address !== address || s.draining;
        s.address = address;
        s.draining = false;
        s.lastHeartbeatMs = nowMs;
        if (changed) this.epoch++;
        return { id: s.id, returning: true, changed };
      }
    }
    const id = this.nextId++;
    this.shards.set(id, { id, address, identity, counts: { ...ZERO_COUNTS }, lastHeartbeatMs: nowMs, draining: false });
    this.epoch++;
    return { id, returning: false, changed: true };
  }

  /** A shard's process moved (a returning or promoted primary): a new address bumps the epoch. */
  setAddress(id: ShardId, address: string, nowMs: number): boolean {
    const s = this.shards.get(id);
    if (!s) return false;
    s.lastHeartbeatMs = nowMs;
    if (s.address === address) return false;
    s.address = address;
    this.epoch++;
    return true;
  }

  remove(id: ShardId): ShardRecord | undefined {
    const s = this.shards.get(id);
    if (!s) return undefined;
    this.shards.delete(id);
    this.epoch++;
    return s;
  }

  get(id: ShardId): ShardRecord | undefined {
    return this.shards.get(id);
  }

  has(id: ShardId): boolean {
    return this.shards.has(id);
  }

  /** All shards ordered by id. */
  list(): ShardRecord[] {
    return [...this.shards.values()].sort((a, b) => a.id - b.id);
  }

  ids(): ShardId[] {
    return this.list().map((s) => s.id);
  }

  get size(): number {
    return this.shards.size;
  }

  placement(): Placement {
    return new Placement(this.ids());
  }

  heartbeat(id: ShardId, counts: ShardCounts | undefined, nowMs: number): void {
    const s = this.shards.get(id);
    if (!s) return;
    s.lastHeartbeatMs = nowMs;
    if (counts) s.counts = { ...counts };
  }

  setCounts(id: ShardId, counts: ShardCounts): void {
    const s = this.shards.get(id);
    if (s) s.counts = { ...counts };
  }

  status(s: ShardRecord, nowMs: number): ShardStatus {
    if (s.draining) return 'DRAINING';
    const silent = nowMs - s.lastHeartbeatMs;
    if (silent > 2 * this.leaseMs) return 'OFFLINE';
    if (silent > this.leaseMs) return 'SUSPECT';
    return 'ONLINE';
  }

  get nextShardId(): number {
    return this.nextId;
  }

  /** Rebuild from persisted rows; every shard starts a fresh lease at `nowMs`. */
  restore(rows: { id: number; address: string; identity: string }[], epoch: number, nextId: number, nowMs: number): void {
    this.shards.clear();
    for (const r of rows) this.shards.set(r.id, { id: r.id, address: r.address, identity: r.identity, counts: { ...ZERO_COUNTS }, lastHeartbeatMs: nowMs, draining: false });
    this.epoch = epoch;
    this.nextId = Math.max(nextId, ...rows.map((r) => r.id + 1), 1);
  }
}
