import type { CoordinatorStorage, ShardRow } from './coordinator-storage.js';
import type Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.js';

/**
 * The coordinator's durable state in SQLite (WAL): membership and epoch, the tick counter,
 * the state of a tick in progress and its decision, a membership change in progress, and the global
 * document statistics. Everything is written before the change is acknowledged.
 */
/** Version 2: the digestion plan needs no lanes (digestPerTick). */
export const COORDINATOR_SCHEMA_VERSION = 2;

export class CoordinatorStore extends SqliteStore implements CoordinatorStorage {
  readonly durable = true;
  private readonly st: Record<string, Database.Statement>;

  constructor(readonly dir: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL') {
    super(
      dir,
      'coordinator.db',
      `
      CREATE TABLE IF NOT EXISTS shards (id INTEGER PRIMARY KEY, address TEXT NOT NULL, identity TEXT NOT NULL UNIQUE);
      CREATE TABLE IF NOT EXISTS df (term TEXT PRIMARY KEY, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS df_batches (identity TEXT PRIMARY KEY, batch INTEGER NOT NULL);`,
      synchronous,
      COORDINATOR_SCHEMA_VERSION,
    );
    this.st = {
      addDf: this.db.prepare('INSERT INTO df (term, n) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET n = n + excluded.n'),
      getBatch: this.db.prepare('SELECT batch FROM df_batches WHERE identity = ?'),
      setBatch: this.db.prepare('INSERT INTO df_batches (identity, batch) VALUES (?, ?) ON CONFLICT(identity) DO UPDATE SET batch = excluded.batch'),
    };
  }

  shards(): ShardRow[] {
    return this.db.prepare('SELECT id, address, identity FROM shards ORDER BY id').all() as ShardRow[];
  }

  saveMembership(rows: ShardRow[], meta: Record<string, string | number>): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM shards');
      const put = this.db.prepare('INSERT INTO shards (id, address, identity) VALUES (?, ?, ?)');
      for (const r of rows) put.run(r.id, r.address, r.identity);
      for (const [k, v] of Object.entries(meta)) this.setMetaSt.run(k, String(v));
    })();
  }

  /**
   * Apply a shard's df report exactly once: batches of one shard identity are numbered in order, and a
   * batch at or below the last applied one is a re-send. Returns false for a re-send.
   */
  applyDf(identity: string, batch: number, df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved = 0): boolean {
    return this.db.transaction(() => {
      const last = (this.st.getBatch.get(identity) as { batch: number } | undefined)?.batch ?? -1;
      if (batch <= last) return false;
      this.addCounts(df, digestedRemoved);
      this.st.setBatch.run(identity, batch);
      const docs = Number(this.meta('documents') ?? 0) + documents;
      const len = Number(this.meta('total_length') ?? 0) + totalLength;
      this.setMetaSt.run('documents', String(docs));
      this.setMetaSt.run('total_length', String(len));
      return true;
    })();
  }

  /** The last df batch applied for a shard identity (0: none). */
  lastDfBatch(identity: string): number {
    return (this.st.getBatch.get(identity) as { batch: number } | undefined)?.batch ?? 0;
  }

  /** Apply a report without deduplication (shards without a data directory). */
  addDf(df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved = 0): void {
    this.db.transaction(() => {
      this.addCounts(df, digestedRemoved);
      this.setMetaSt.run('documents', String(Number(this.meta('documents') ?? 0) + documents));
      this.setMetaSt.run('total_length', String(Number(this.meta('total_length') ?? 0) + totalLength));
    })();
  }

  /** df increments (a forgotten document's are negative: a term at 0 goes) and digested documents forgotten. */
  private addCounts(df: ReadonlyMap<string, number>, digestedRemoved: number): void {
    let negative = false;
    for (const [t, n] of df) {
      this.st.addDf.run(t, n);
      negative ||= n < 0;
    }
    if (negative) this.db.exec('DELETE FROM df WHERE n <= 0');
    if (digestedRemoved > 0) this.setMetaSt.run('digested', String(Number(this.meta('digested') ?? 0) - digestedRemoved));
  }

  df(): Map<string, number> {
    return new Map((this.db.prepare('SELECT term, n FROM df').all() as { term: string; n: number }[]).map((r) => [r.term, r.n]));
  }
}
