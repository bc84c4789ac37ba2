import type { NodeRow } from '../core/graph.js';
import type { Withdrawal } from '../core/partition.js';
import type { ForgetReport, IncomingRow, LoadedShard, LoggedTick, ShardStorage, StoredDoc, StoredEdge } from '../storage/shard-storage.js';

/**
 * A shard's durable state in the simulation: what SqliteShardStorage keeps on disk (documents, the
 * graph checkpoint, the log of prepared and committed ticks, meta), kept in memory across the
 * member's crashes. The same semantics as the SQLite store, call for call; no disk.
 */
export class SimShardStorage implements ShardStorage {
  readonly durable = true;
  private metaMap = new Map<string, string>();
  private docs = new Map<string, StoredDoc>();
  private ticks = new Map<number, { status: 'prepared' | 'committed'; body: LoggedTick }>();
  private cp: { tick: number; nodes: NodeRow[]; edges: StoredEdge[] } = { tick: 0, nodes: [], edges: [] };
  /** Forgotten documents' withdrawals not committed by a tick yet, in forget order. */
  private withdrawals: Withdrawal[] = [];

  load(): LoadedShard {
    return {
      meta: new Map(this.metaMap),
      docs: [...this.docs.values()].map((d) => ({ ...d })),
      checkpointTick: this.cp.tick,
      nodes: this.cp.nodes.map((n) => ({ ...n })),
      edges: this.cp.edges.map((e) => ({ ...e })),
      log: [...this.ticks.entries()].sort((a, b) => a[0] - b[0]).map(([tick, l]) => ({ tick, status: l.status, body: l.body })),
      withdrawals: this.withdrawals.slice(),
    };
  }
  reset(): void {
    this.metaMap.clear();
    this.docs.clear();
    this.ticks.clear();
    this.cp = { tick: 0, nodes: [], edges: [] };
    this.withdrawals = [];
  }
  meta(k: string): string | undefined {
    return this.metaMap.get(k);
  }
  setMeta(entries: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(entries)) this.metaMap.set(k, String(v));
  }
  addDocs(docs: StoredDoc[]): void {
    for (const d of docs) this.docs.set(d.id, { ...d, unreportedBatch: null });
  }
  markReported(): void {}
  // df reports are not simulated (as for ingests): a forget's decrements need no outbox here
  forgetDocs(ids: readonly string[], withdrawals: readonly Withdrawal[], _batch: number, _report: ForgetReport): void {
    for (const id of ids) this.docs.delete(id);
    this.withdrawals.push(...withdrawals);
  }
  unreportedForgets(): { batch: number; report: ForgetReport }[] {
    return [];
  }
  unreported(): { batch: number; ids: string[] }[] {
    return [];
  }
  prepareTick(tick: number, body: LoggedTick): void {
    this.ticks.set(tick, { status: 'prepared', body });
  }
  commitTick(tick: number): void {
    const row = this.ticks.get(tick);
    if (row) {
      row.status = 'committed';
      for (const id of row.body.digested) {
        const d = this.docs.get(id);
        if (d) d.digestedTick = tick;
      }
      const sent = new Set(row.body.withdrawn ?? []);
      this.withdrawals = this.withdrawals.filter((w) => !sent.has(w.id));
    }
    this.metaMap.set('committed_tick', String(tick));
  }
  discardTick(tick: number): void {
    if (this.ticks.get(tick)?.status === 'prepared') this.ticks.delete(tick);
  }
  checkpoint(tick: number, nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>): void {
    this.cp = { tick, nodes: [...nodes].map((n) => ({ ...n })), edges: [...edges].map((e) => ({ ...e })) };
    for (const t of [...this.ticks.keys()]) if (t <= tick) this.ticks.delete(t);
    this.metaMap.set('checkpoint_tick', String(tick));
  }
  // membership changes are not simulated yet
  putIncoming(_epoch: number, _rows: IncomingRow[]): void {}
  incoming(): IncomingRow[] {
    return [];
  }
  clearIncoming(): void {}
  replaceAfterFlip(): void {
    throw new Error('membership changes are not simulated');
  }
  close(): void {}

  /** A copy of the committed state (a prepared tick left out): what a primary's snapshot gives a follower. */
  copyCommitted(): SimShardStorage {
    const c = new SimShardStorage();
    const l = this.load();
    c.metaMap = l.meta;
    for (const d of l.docs) c.docs.set(d.id, d);
    for (const t of l.log) if (t.status === 'committed') c.ticks.set(t.tick, { status: 'committed', body: t.body });
    c.cp = { tick: l.checkpointTick, nodes: l.nodes, edges: l.edges };
    c.withdrawals = l.withdrawals;
    return c;
  }
}
