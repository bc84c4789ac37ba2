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
  /** Rows received for a membership change, by epoch, keyed (kind, id) as the SQLite table's primary key. */
  private rows = new Map<number, Map<string, IncomingRow>>();
  putIncoming(epoch: number, rows: IncomingRow[]): void {
    let m = this.rows.get(epoch);
    if (!m) this.rows.set(epoch, (m = new Map()));
    for (const r of rows) m.set(`${r.kind}\u0000${r.id}`, { kind: r.kind, id: r.id, body: JSON.parse(JSON.stringify(r.body)) as unknown });
  }
  /** In (kind, id) order, as the SQLite store reads them. */
  incoming(epoch: number): IncomingRow[] {
    const m = this.rows.get(epoch);
    if (!m) return [];
    return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, r]) => ({ ...r, body: JSON.parse(JSON.stringify(r.body)) as unknown }));
  }
  clearIncoming(beforeOrAt?: number): void {
    for (const e of [...this.rows.keys()]) if (beforeOrAt === undefined || e <= beforeOrAt) this.rows.delete(e);
  }
  /** One transaction in SQLite: here every write happens before anything else runs. */
  replaceAfterFlip(epoch: number, tick: number, add: StoredDoc[], drop: string[], nodes: Iterable<NodeRow>, edges: Iterable<StoredEdge>, meta: Record<string, string | number>, withdrawals?: readonly Withdrawal[]): void {
    if (withdrawals) this.withdrawals = withdrawals.map((w) => ({ ...w }));
    for (const d of add) this.docs.set(d.id, { ...d });
    for (const id of drop) this.docs.delete(id);
    this.checkpoint(tick, nodes, edges);
    this.clearIncoming(epoch);
    this.metaMap.set('epoch', String(epoch));
    for (const [k, v] of Object.entries(meta)) this.metaMap.set(k, String(v));
  }
  /** Drop the documents a broken rule drops early (a test hook: see SimShardOptions.earlyDrop). */
  dropDocs(ids: readonly string[]): void {
    for (const id of ids) this.docs.delete(id);
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
    for (const [e, m] of this.rows) c.rows.set(e, new Map(m));
    return c;
  }
}
