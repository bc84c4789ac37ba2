import type { EdgeRow, NodeRow } from '../core/graph.js';
import type { Withdrawal } from '../core/partition.js';

/**
 * What a shard keeps durable, behind one interface with a memory and a SQLite implementation, so the
 * shard's code has one path. The graph is a checkpoint plus a log of each later tick's inputs (the
 * presentations it applied, the degree-cap drops, its documents digested): the rules are
 * deterministic, so replaying the log over the checkpoint gives back the exact graph. A tick is
 * `prepared` at ADVANCE (durable before the shard answers) and `committed` when the coordinator says.
 */
export const SHARD_SCHEMA_VERSION = 3; // 3: forgotten documents' withdrawals and df reports

export interface StoredDoc {
  id: string;
  key: string;
  title: string;
  text: string;
  ingestTick: number;
  digestedTick: number | null;
  /** Batch whose df contribution goes to the coordinator; null once acknowledged. */
  unreportedBatch: number | null;
}

/** An edge with its endpoints' labels (a node's id derives from its label, not the other way). */
export interface StoredEdge extends EdgeRow {
  la: string;
  lb: string;
}

/** One tick's inputs, as logged: encoded presentation batches and verdict pairs (base64), digested ids. */
export interface LoggedTick {
  presentations: string[];
  drops: string;
  digested: string[];
  /** Forgotten documents whose withdrawals this tick sent (their outbox rows go at commit). */
  withdrawn?: string[];
}

/** The df decrements of forgotten documents, reported to the coordinator as one df batch. */
export interface ForgetReport {
  df: Record<string, number>;
  documents: number;
  length: number;
  digested: number;
}

export interface IncomingRow {
  kind: 'doc' | 'node' | 'edge' | 'withdrawal';
  id: string;
  body: unknown;
}

export interface LoadedShard {
  meta: Map<string, string>;
  docs: StoredDoc[];
  checkpointTick: number;
  nodes: NodeRow[];
  edges: StoredEdge[];
  log: { tick: number; status: 'prepared' | 'committed'; body: LoggedTick }[];
  /** Withdrawals of forgotten documents not committed by a tick yet, in forget order. */
  withdrawals: Withdrawal[];
}

export interface ShardStorage {
  /** False for the memory implementation: nothing survives the process. */
  readonly durable: boolean;
  load(): LoadedShard;
  meta(k: string): string | undefined;
  setMeta(entries: Record<string, string | number>): void;
  /** Documents, durable before they are acknowledged; `batch` marks their df report as pending. */
  addDocs(docs: StoredDoc[], batch: number): void;
  markReported(batch: number): void;
  unreported(): { batch: number; ids: string[] }[];
  /**
   * Forget documents in one transaction (docs/forget.md): their rows go, their withdrawals wait for
   * a tick, their df decrements wait as df batch `batch` until the coordinator acknowledges it.
   */
  forgetDocs(ids: readonly string[], withdrawals: readonly Withdrawal[], batch: number, report: ForgetReport): void;
  /** Forget df batches not acknowledged yet. */
  unreportedForgets(): { batch: number; report: ForgetReport }[];
  prepareTick(tick: number, body: LoggedTick): void;
  /** The coordinator decided commit: the log entry is final and the digested flags are written. */
  commitTick(tick: number): void;
  discardTick(tick: number): void;
  /** The graph at committed tick `tick` replaces the checkpoint; the log up to it goes. */
  checkpoint(tick: number, nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>): void;
  /** Rows received for a pending membership epoch (rebalancing), kept until the flip. */
  putIncoming(epoch: number, rows: IncomingRow[]): void;
  incoming(epoch: number): IncomingRow[];
  clearIncoming(beforeOrAt?: number): void;
  /** After a flip: the documents now held and the graph checkpoint, in one transaction. */
  replaceAfterFlip(epoch: number, tick: number, add: StoredDoc[], drop: string[], nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>, meta: Record<string, string | number>, withdrawals?: readonly Withdrawal[]): void;
  /** Drop everything (a follower about to install its primary's snapshot). */
  reset(): void;
  close(): void;
}

/** In memory: what the protocol needs while the process lives (pending df batches, incoming rows). */
export class MemoryShardStorage implements ShardStorage {
  readonly durable = false;
  private readonly metaMap = new Map<string, string>();
  private readonly batches = new Map<number, string[]>();
  private readonly rows = new Map<number, IncomingRow[]>();
  private readonly forgets = new Map<number, ForgetReport>();

  load(): LoadedShard {
    return { meta: new Map(this.metaMap), docs: [], checkpointTick: 0, nodes: [], edges: [], log: [], withdrawals: [] };
  }
  forgetDocs(ids: readonly string[], _w: readonly Withdrawal[], batch: number, report: ForgetReport): void {
    const gone = new Set(ids);
    for (const [b, list] of this.batches) this.batches.set(b, list.filter((id) => !gone.has(id)));
    this.forgets.set(batch, report);
  }
  unreportedForgets(): { batch: number; report: ForgetReport }[] {
    return [...this.forgets.entries()].sort((a, b) => a[0] - b[0]).map(([batch, report]) => ({ batch, report }));
  }
  meta(k: string): string | undefined {
    return this.metaMap.get(k);
  }
  setMeta(entries: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(entries)) this.metaMap.set(k, String(v));
  }
  addDocs(docs: StoredDoc[], batch: number): void {
    this.batches.set(batch, docs.map((d) => d.id));
  }
  markReported(batch: number): void {
    this.batches.delete(batch);
    this.forgets.delete(batch);
  }
  unreported(): { batch: number; ids: string[] }[] {
    return [...this.batches.entries()].sort((a, b) => a[0] - b[0]).map(([batch, ids]) => ({ batch, ids }));
  }
  prepareTick(): void {}
  commitTick(tick: number): void {
    this.metaMap.set('committed_tick', String(tick));
  }
  discardTick(): void {}
  checkpoint(): void {}
  putIncoming(epoch: number, rows: IncomingRow[]): void {
    let l = this.rows.get(epoch);
    if (!l) this.rows.set(epoch, (l = []));
    l.push(...rows);
  }
  incoming(epoch: number): IncomingRow[] {
    return this.rows.get(epoch) ?? [];
  }
  clearIncoming(beforeOrAt?: number): void {
    for (const e of [...this.rows.keys()]) if (beforeOrAt === undefined || e <= beforeOrAt) this.rows.delete(e);
  }
  replaceAfterFlip(epoch: number, _tick: number, _add: StoredDoc[], drop: string[], _n: Iterable<NodeRow>, _e: Iterable<StoredEdge>, meta: Record<string, string | number>): void {
    const gone = new Set(drop);
    for (const [b, ids] of this.batches) this.batches.set(b, ids.filter((id) => !gone.has(id)));
    this.clearIncoming(epoch);
    this.setMeta(meta);
  }
  reset(): void {
    this.metaMap.clear();
    this.batches.clear();
    this.rows.clear();
    this.forgets.clear();
  }
  close(): void {}
}
