import type Database from 'better-sqlite3';
import type { NodeRow, Presentation } from '../core/graph.js';
import type { Withdrawal } from '../core/partition.js';
import { SqliteStore } from './sqlite.js';
import { SHARD_SCHEMA_VERSION, type ForgetReport, type IncomingRow, type LoadedShard, type LoggedTick, type ShardStorage, type StoredDoc, type StoredEdge } from './shard-storage.js';

/** A shard's durable state in SQLite (WAL), in its data directory. See shard-storage.ts. */
export class SqliteShardStorage extends SqliteStore implements ShardStorage {
  readonly durable = true;
  private readonly st: Record<string, Database.Statement>;

  constructor(readonly dir: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL') {
    super(
      dir,
      'shard.db',
      `
      CREATE TABLE IF NOT EXISTS documents (
        id TEXT PRIMARY KEY, key TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
        ingest_tick INTEGER NOT NULL, digested_tick INTEGER, unreported_batch INTEGER);
      CREATE TABLE IF NOT EXISTS nodes (label TEXT PRIMARY KEY, access_count INTEGER NOT NULL, created_tick INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS edges (la TEXT NOT NULL, lb TEXT NOT NULL, weight REAL NOT NULL, co INTEGER NOT NULL,
        created_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL, PRIMARY KEY (la, lb));
      CREATE TABLE IF NOT EXISTS ticks (tick INTEGER PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS incoming (epoch INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (epoch, kind, id));
      CREATE TABLE IF NOT EXISTS withdrawals (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS forget_reports (batch INTEGER PRIMARY KEY, body TEXT NOT NULL);`,
      synchronous,
      SHARD_SCHEMA_VERSION,
    );
    this.st = {
      addDoc: this.db.prepare('INSERT OR IGNORE INTO documents (id, key, title, text, ingest_tick, digested_tick, unreported_batch) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      reported: this.db.prepare('UPDATE documents SET unreported_batch = NULL WHERE unreported_batch = ?'),
      digested: this.db.prepare('UPDATE documents SET digested_tick = ? WHERE id = ?'),
      delDoc: this.db.prepare('DELETE FROM documents WHERE id = ?'),
      putTick: this.db.prepare('INSERT INTO ticks (tick, status, body) VALUES (?, ?, ?) ON CONFLICT(tick) DO UPDATE SET status = excluded.status, body = excluded.body'),
      commitTick: this.db.prepare("UPDATE ticks SET status = 'committed' WHERE tick = ?"),
      getTick: this.db.prepare('SELECT status, body FROM ticks WHERE tick = ?'),
      delTick: this.db.prepare('DELETE FROM ticks WHERE tick = ?'),
      putNode: this.db.prepare('INSERT INTO nodes (label, access_count, created_tick) VALUES (?, ?, ?)'),
      putEdge: this.db.prepare('INSERT INTO edges (la, lb, weight, co, created_tick, last_tick) VALUES (?, ?, ?, ?, ?, ?)'),
      putWithdrawal: this.db.prepare('INSERT INTO withdrawals (id, body) VALUES (?, ?)'),
      delWithdrawal: this.db.prepare('DELETE FROM withdrawals WHERE id = ?'),
      putForget: this.db.prepare('INSERT OR REPLACE INTO forget_reports (batch, body) VALUES (?, ?)'),
      delForget: this.db.prepare('DELETE FROM forget_reports WHERE batch = ?'),
      putIncoming: this.db.prepare('INSERT OR REPLACE INTO incoming (epoch, kind, id, body) VALUES (?, ?, ?, ?)'),
    };
  }

  addDocs(docs: StoredDoc[], batch: number): void {
    this.db.transaction(() => {
      for (const d of docs) this.st.addDoc.run(d.id, d.key, d.title, d.text, d.ingestTick, d.digestedTick, batch);
      this.setMetaSt.run('df_batch', String(batch));
    })();
  }

  markReported(batch: number): void {
    this.db.transaction(() => {
      this.st.reported.run(batch);
      this.st.delForget.run(batch);
    })();
  }

  forgetDocs(ids: readonly string[], withdrawals: readonly Withdrawal[], batch: number, report: ForgetReport): void {
    this.db.transaction(() => {
      for (const id of ids) this.st.delDoc.run(id);
      for (const w of withdrawals) this.st.putWithdrawal.run(w.id, JSON.stringify(w.presentation));
      this.st.putForget.run(batch, JSON.stringify(report));
      this.setMetaSt.run('df_batch', String(batch));
    })();
  }

  unreportedForgets(): { batch: number; report: ForgetReport }[] {
    return (this.db.prepare('SELECT batch, body FROM forget_reports ORDER BY batch').all() as { batch: number; body: string }[]).map((r) => ({ batch: r.batch, report: JSON.parse(r.body) as ForgetReport }));
  }

  unreported(): { batch: number; ids: string[] }[] {
    const rows = this.db.prepare('SELECT id, unreported_batch AS b FROM documents WHERE unreported_batch IS NOT NULL ORDER BY b, id').all() as { id: string; b: number }[];
    const out = new Map<number, string[]>();
    for (const r of rows) {
      let l = out.get(r.b);
      if (!l) out.set(r.b, (l = []));
      l.push(r.id);
    }
    return [...out.entries()].map(([batch, ids]) => ({ batch, ids }));
  }

  prepareTick(tick: number, body: LoggedTick): void {
    this.st.putTick.run(tick, 'prepared', JSON.stringify(body));
  }

  commitTick(tick: number): void {
    this.db.transaction(() => {
      const row = this.st.getTick.get(tick) as { status: string; body: string } | undefined;
      if (row) {
        this.st.commitTick.run(tick);
        const body = JSON.parse(row.body) as LoggedTick;
        for (const id of body.digested) this.st.digested.run(tick, id);
        // the withdrawals this tick sent are applied: they leave the outbox with the commit
        for (const id of body.withdrawn ?? []) this.st.delWithdrawal.run(id);
      }
      this.setMetaSt.run('committed_tick', String(tick));
    })();
  }

  discardTick(tick: number): void {
    this.db.transaction(() => {
      const row = this.st.getTick.get(tick) as { status: string } | undefined;
      if (row && row.status === 'prepared') this.st.delTick.run(tick);
    })();
  }

  checkpoint(tick: number, nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>): void {
    this.db.transaction(() => this.writeCheckpoint(tick, nodes, edges))();
  }

  private writeCheckpoint(tick: number, nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>): void {
    this.db.exec('DELETE FROM nodes; DELETE FROM edges;');
    for (const n of nodes) this.st.putNode.run(n.label, n.accessCount, n.createdTick);
    for (const e of edges) this.st.putEdge.run(e.la, e.lb, e.weight, e.coActivations, e.createdTick, e.lastActivatedTick);
    this.db.prepare('DELETE FROM ticks WHERE tick <= ?').run(tick);
    this.setMetaSt.run('checkpoint_tick', String(tick));
  }

  load(): LoadedShard {
    const meta = new Map((this.db.prepare('SELECT k, v FROM meta').all() as { k: string; v: string }[]).map((r) => [r.k, r.v]));
    const docs = (this.db.prepare('SELECT * FROM documents ORDER BY rowid').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      key: r.key as string,
      title: r.title as string,
      text: r.text as string,
      ingestTick: r.ingest_tick as number,
      digestedTick: (r.digested_tick as number | null) ?? null,
      unreportedBatch: (r.unreported_batch as number | null) ?? null,
    }));
    const nodes = (this.db.prepare('SELECT * FROM nodes').all() as Record<string, unknown>[]).map((r) => ({ id: '', label: r.label as string, accessCount: r.access_count as number, createdTick: r.created_tick as number }));
    const edges = (this.db.prepare('SELECT * FROM edges').all() as Record<string, unknown>[]).map((r) => ({
      a: '',
      b: '',
      la: r.la as string,
      lb: r.lb as string,
      weight: r.weight as number,
      coActivations: r.co as number,
      createdTick: r.created_tick as number,
      lastActivatedTick: r.last_tick as number,
    }));
    const log = (this.db.prepare('SELECT tick, status, body FROM ticks ORDER BY tick').all() as { tick: number; status: 'prepared' | 'committed'; body: string }[]).map((r) => ({ tick: r.tick, status: r.status, body: JSON.parse(r.body) as LoggedTick }));
    const withdrawals = (this.db.prepare('SELECT id, body FROM withdrawals ORDER BY seq').all() as { id: string; body: string }[]).map((r) => ({ id: r.id, presentation: JSON.parse(r.body) as Presentation }));
    return { meta, docs, checkpointTick: Number(meta.get('checkpoint_tick') ?? 0), nodes, edges, log, withdrawals };
  }

  putIncoming(epoch: number, rows: IncomingRow[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.st.putIncoming.run(epoch, r.kind, r.id, JSON.stringify(r.body));
    })();
  }

  incoming(epoch: number): IncomingRow[] {
    return (this.db.prepare('SELECT kind, id, body FROM incoming WHERE epoch = ? ORDER BY kind, id').all(epoch) as { kind: IncomingRow['kind']; id: string; body: string }[]).map((r) => ({ kind: r.kind, id: r.id, body: JSON.parse(r.body) }));
  }

  clearIncoming(beforeOrAt?: number): void {
    if (beforeOrAt === undefined) this.db.exec('DELETE FROM incoming');
    else this.db.prepare('DELETE FROM incoming WHERE epoch <= ?').run(beforeOrAt);
  }

  reset(): void {
    this.db.exec(`DELETE FROM documents; DELETE FROM nodes; DELETE FROM edges; DELETE FROM ticks; DELETE FROM incoming; DELETE FROM withdrawals; DELETE FROM forget_reports;
      DELETE FROM meta WHERE k IN ('committed_tick', 'checkpoint_tick', 'df_batch', 'epoch', 'members', 'shard_id', 'config');`);
  }

  replaceAfterFlip(epoch: number, tick: number, add: StoredDoc[], drop: string[], nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>, meta: Record<string, string | number>, withdrawals?: readonly Withdrawal[]): void {
    this.db.transaction(() => {
      if (withdrawals) {
        this.db.exec('DELETE FROM withdrawals');
        for (const w of withdrawals) this.st.putWithdrawal.run(w.id, JSON.stringify(w.presentation));
      }
      for (const d of add) this.st.addDoc.run(d.id, d.key, d.title, d.text, d.ingestTick, d.digestedTick, d.unreportedBatch);
      for (const id of drop) this.st.delDoc.run(id);
      this.writeCheckpoint(tick, nodes, edges);
      this.db.prepare('DELETE FROM incoming WHERE epoch <= ?').run(epoch);
      this.setMetaSt.run('epoch', String(epoch));
      for (const [k, v] of Object.entries(meta)) this.setMetaSt.run(k, String(v));
    })();
  }
}
