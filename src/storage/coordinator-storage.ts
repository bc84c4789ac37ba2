/** A registered shard as the coordinator keeps it. */
export interface ShardRow {
  id: number;
  address: string;
  identity: string;
}

/**
 * What the coordinator keeps durable, behind one interface with a memory and a SQLite implementation
 * (`CoordinatorStore`), so the coordinator has one code path: membership and epoch, the tick counter,
 * attempts and decisions, a membership change in progress, and the global df with the last batch
 * applied per shard identity.
 */
export interface CoordinatorStorage {
  /** False for the memory implementation: nothing survives the process. */
  readonly durable: boolean;
  meta(k: string): string | undefined;
  setMeta(entries: Record<string, string | number>): void;
  shards(): ShardRow[];
  saveMembership(rows: ShardRow[], meta: Record<string, string | number>): void;
  /**
   * Apply a shard's df report exactly once per (identity, batch); false for a re-send. Increments may
   * be negative (forgotten documents); `digestedRemoved` forgotten digested documents leave the
   * durable `digested` count in the same transaction.
   */
  applyDf(identity: string, batch: number, df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved?: number): boolean;
  lastDfBatch(identity: string): number;
  /** Apply a report without deduplication (batch 0). */
  addDf(df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved?: number): void;
  df(): Map<string, number>;
  /**
   * Only for a store written behind the coordinator's back (etcd): resolves when every change made so
   * far is durable, rejects once this coordinator may no longer write (it lost the leadership).
   */
  flush?(): Promise<void>;
  close(): void;
}

/** In memory: the df batches applied per identity (the counts themselves live in GlobalStats). */
export class MemoryCoordinatorStorage implements CoordinatorStorage {
  readonly durable = false;
  private readonly metaMap = new Map<string, string>();
  private readonly batches = new Map<string, number>();
  private rows: ShardRow[] = [];
  meta(k: string): string | undefined {
    return this.metaMap.get(k);
  }
  setMeta(entries: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(entries)) this.metaMap.set(k, String(v));
  }
  shards(): ShardRow[] {
    return [...this.rows];
  }
  saveMembership(rows: ShardRow[], meta: Record<string, string | number>): void {
    this.rows = [...rows];
    this.setMeta(meta);
  }
  applyDf(identity: string, batch: number): boolean {
    if (batch <= (this.batches.get(identity) ?? 0)) return false;
    this.batches.set(identity, batch);
    return true;
  }
  lastDfBatch(identity: string): number {
    return this.batches.get(identity) ?? 0;
  }
  addDf(): void {}
  df(): Map<string, number> {
    return new Map();
  }
  close(): void {}
}
