import type Database from 'better-sqlite3';
import { SqliteStore } from './sqlite.js';
import type { DocRecord } from '../colony/documents.js';
import type { ConceptNode, Edge, EdgeIncrement, NodeUpsert } from '../colony/graph.js';

/**
 * A shard's durable state in SQLite (WAL), in its data directory.
 *
 * The graph is stored as a checkpoint (all nodes and edges at some committed tick) plus a log of the
 * inputs of every later tick: its concept upserts, edge increments, degree-cap drops and digested
 * documents. The colony is deterministic, so replaying the log over the checkpoint gives back the exact
 * graph; this avoids rewriting every edge on every tick (decay touches them all).
 *
 * A tick goes `prepared` at ADVANCE (durable before the shard answers), then `committed` when the
 * coordinator says so; a shard restarting with a prepared tick asks the coordinator for the outcome.
 */
export interface TickBody {
  upserts: NodeUpsert[];
  increments: EdgeIncrement[];
  drops: string[];
  digested: string[];
}

export interface StoredDoc {
  id: string;
  key: string;
  title: string;
  text: string;
  ingestTick: number;
  lane: number;
  digestedTick: number | null;
  /** Batch whose df contribution went (or goes) to the coordinator; null once acknowledged. */
  unreportedBatch: number | null;
}

export interface LoadedState {
  meta: Map<string, string>;
  docs: StoredDoc[];
  checkpointTick: number;
  nodes: ConceptNode[];
  edges: Edge[];
  log: { tick: number; status: 'prepared' | 'committed'; body: TickBody }[];
}

export class ShardStore extends SqliteStore {
  private readonly st: Record<string, Database.Statement>;

  constructor(readonly dir: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL') {
    super(
      dir,
      'shard.db',
      `
      CREATE TABLE IF NOT EXISTS documents (
        id TEXT PRIMARY KEY, key TEXT NOT NULL, title TEXT NOT NULL, text TEXT NOT NULL,
        ingest_tick INTEGER NOT NULL, lane INTEGER NOT NULL, digested_tick INTEGER, unreported_batch INTEGER);
      CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, label TEXT NOT NULL, access_count INTEGER NOT NULL, created_tick INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS edges (a TEXT NOT NULL, b TEXT NOT NULL, weight REAL NOT NULL, co INTEGER NOT NULL,
        created_tick INTEGER NOT NULL, last_tick INTEGER NOT NULL, PRIMARY KEY (a, b));
      CREATE TABLE IF NOT EXISTS ticks (tick INTEGER PRIMARY KEY, status TEXT NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS incoming (epoch INTEGER NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (epoch, kind, id));`,
      synchronous,
    );
    this.st = {
      addDoc: this.db.prepare('INSERT OR IGNORE INTO documents (id, key, title, text, ingest_tick, lane, digested_tick, unreported_batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      reported: this.db.prepare('UPDATE documents SET unreported_batch = NULL WHERE unreported_batch = ?'),
      digested: this.db.prepare('UPDATE documents SET digested_tick = ? WHERE id = ?'),
      delDoc: this.db.prepare('DELETE FROM documents WHERE id = ?'),
      putTick: this.db.prepare('INSERT INTO ticks (tick, status, body) VALUES (?, ?, ?) ON CONFLICT(tick) DO UPDATE SET status = excluded.status, body = excluded.body'),
      commitTick: this.db.prepare("UPDATE ticks SET status = 'committed' WHERE tick = ?"),
      getTick: this.db.prepare('SELECT status, body FROM ticks WHERE tick = ?'),
      delTick: this.db.prepare('DELETE FROM ticks WHERE tick = ?'),
      putNode: this.db.prepare('INSERT INTO nodes (id, label, access_count, created_tick) VALUES (?, ?, ?, ?)'),
      putEdge: this.db.prepare('INSERT INTO edges (a, b, weight, co, created_tick, last_tick) VALUES (?, ?, ?, ?, ?, ?)'),
      putIncoming: this.db.prepare('INSERT OR REPLACE INTO incoming (epoch, kind, id, body) VALUES (?, ?, ?, ?)'),
    };
  }

  /** Documents, durable before they are acknowledged; `batch` marks their df report as pending. */
  addDocs(docs: DocRecord[], batch: number): void {
    this.db.transaction(() => {
      for (const d of docs) this.st.addDoc.run(d.id, d.key, d.title, d.text, d.ingestTick, d.lane, d.digestedTick, batch);
      this.setMetaSt.run('df_batch', String(batch));
    })();
  }

  markReported(batch: number): void {
    this.st.reported.run(batch);
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

  /** ADVANCE: the tick's inputs, durable before the shard reports the phase done. */
  prepareTick(tick: number, body: TickBody): void {
    this.st.putTick.run(tick, 'prepared', JSON.stringify(body));
  }

  /** The coordinator decided commit: the log entry is final and the digested flags are written. */
  commitTick(tick: number, extraMeta: Record<string, string | number> = {}): void {
    this.db.transaction(() => {
      const row = this.st.getTick.get(tick) as { status: string; body: string } | undefined;
      if (!row) throw new Error(`tick ${tick} was never prepared on this shard`);
      this.st.commitTick.run(tick);
      const body = JSON.parse(row.body) as TickBody;
      for (const id of body.digested) this.st.digested.run(tick, id);
      this.setMetaSt.run('committed_tick', String(tick));
      for (const [k, v] of Object.entries(extraMeta)) this.setMetaSt.run(k, String(v));
    })();
  }

  discardTick(tick: number): void {
    this.db.transaction(() => {
      const row = this.st.getTick.get(tick) as { status: string } | undefined;
      if (row && row.status === 'prepared') this.st.delTick.run(tick);
    })();
  }

  /** Replace the checkpoint with the graph at committed tick `tick` and drop the log up to it. */
  checkpoint(tick: number, nodes: Iterable<ConceptNode>, edges: Iterable<Edge>): void {
    this.db.transaction(() => this.writeCheckpoint(tick, nodes, edges))();
  }

  /** Inside a transaction: the graph at `tick` replaces the checkpoint, and the log up to it goes. */
  private writeCheckpoint(tick: number, nodes: Iterable<ConceptNode>, edges: Iterable<Edge>): void {
    this.db.exec('DELETE FROM nodes; DELETE FROM edges;');
    for (const n of nodes) this.st.putNode.run(n.id, n.label, n.accessCount, n.createdTick);
    for (const e of edges) this.st.putEdge.run(e.a, e.b, e.weight, e.coActivations, e.createdTick, e.lastActivatedTick);
    this.db.prepare('DELETE FROM ticks WHERE tick <= ?').run(tick);
    this.setMetaSt.run('checkpoint_tick', String(tick));
  }

  load(): LoadedState {
    const meta = new Map((this.db.prepare('SELECT k, v FROM meta').all() as { k: string; v: string }[]).map((r) => [r.k, r.v]));
    const docs = (this.db.prepare('SELECT * FROM documents ORDER BY rowid').all() as Record<string, unknown>[]).map((r) => ({
      id: r.id as string,
      key: r.key as string,
      title: r.title as string,
      text: r.text as string,
      ingestTick: r.ingest_tick as number,
      lane: r.lane as number,
      digestedTick: (r.digested_tick as number | null) ?? null,
      unreportedBatch: (r.unreported_batch as number | null) ?? null,
    }));
    const nodes = (this.db.prepare('SELECT * FROM nodes').all() as Record<string, unknown>[]).map((r) => ({ id: r.id as string, label: r.label as string, accessCount: r.access_count as number, createdTick: r.created_tick as number }));
    const edges = (this.db.prepare('SELECT * FROM edges').all() as Record<string, unknown>[]).map((r) => ({
      a: r.a as string,
      b: r.b as string,
      weight: r.weight as number,
      coActivations: r.co as number,
      createdTick: r.created_tick as number,
      lastActivatedTick: r.last_tick as number,
    }));
    const log = (this.db.prepare('SELECT tick, status, body FROM ticks ORDER BY tick').all() as { tick: number; status: 'prepared' | 'committed'; body: string }[]).map((r) => ({ tick: r.tick, status: r.status, body: JSON.parse(r.body) as TickBody }));
    return { meta, docs, checkpointTick: Number(meta.get('checkpoint_tick') ?? 0), nodes, edges, log };
  }

  /** Rows received for a pending membership epoch (rebalancing), kept until the flip. */
  putIncoming(epoch: number, rows: { kind: 'doc' | 'node' | 'edge'; id: string; body: unknown }[]): void {
    this.db.transaction(() => {
      for (const r of rows) this.st.putIncoming.run(epoch, r.kind, r.id, JSON.stringify(r.body));
    })();
  }

  incoming(epoch: number): { kind: 'doc' | 'node' | 'edge'; id: string; body: unknown }[] {
    return (this.db.prepare('SELECT kind, id, body FROM incoming WHERE epoch = ? ORDER BY kind, id').all(epoch) as { kind: 'doc' | 'node' | 'edge'; id: string; body: string }[]).map((r) => ({ kind: r.kind, id: r.id, body: JSON.parse(r.body) }));
  }

  clearIncoming(beforeOrAt?: number): void {
    if (beforeOrAt === undefined) this.db.exec('DELETE FROM incoming');
    else this.db.prepare('DELETE FROM incoming WHERE epoch <= ?').run(beforeOrAt);
  }

  /** After a flip: the documents now held and the graph checkpoint, in one transaction. */
  replaceAfterFlip(epoch: number, tick: number, docsAdd: StoredDoc[], docsDrop: string[], nodes: Iterable<ConceptNode>, edges: Iterable<Edge>, extraMeta: Record<string, string | number>): void {
    this.db.transaction(() => {
      for (const d of docsAdd) this.st.addDoc.run(d.id, d.key, d.title, d.text, d.ingestTick, d.lane, d.digestedTick, null);
      for (const id of docsDrop) this.st.delDoc.run(id);
      this.writeCheckpoint(tick, nodes, edges);
      this.db.prepare('DELETE FROM incoming WHERE epoch <= ?').run(epoch);
      this.setMetaSt.run('epoch', String(epoch));
      for (const [k, v] of Object.entries(extraMeta)) this.setMetaSt.run(k, String(v));
    })();
  }
}
