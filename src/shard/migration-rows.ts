// The data rules of a membership change, without I/O (docs/cluster.md "Membership changes"): which
// rows a shard sends to which new owner (migrate_out), and the flip that installs what arrived and
// drops what moved away. The gRPC handlers (migration.ts, membership-update.ts) and the simulated
// network (src/sim) both run them.
import type { ValidDocument } from '../core/input.js';
import type { Partition, Withdrawal } from '../core/partition.js';
import type { Placement, ShardId } from '../cluster/placement.js';
import { nodeIdOf } from '../ids/ids.js';
import type { IncomingRow, ShardStorage, StoredDoc } from '../storage/shard-storage.js';
import { checkpointRows } from './recovery.js';

export interface StoredDocWire {
  id: string;
  key: string;
  title: string;
  text: string;
  ingest_tick: number;
  digested: boolean;
  digested_tick: number;
}

export interface NodeWire {
  id: string;
  label: string;
  access_count: number;
  created_tick: number;
}

export interface WithdrawalWire {
  id: string;
  labels: string[];
  wired: number;
}

export interface EdgeWire {
  a: string;
  b: string;
  label_a: string;
  label_b: string;
  weight: number;
  co_activations: number;
  created_tick: number;
  last_activated_tick: number;
}

/** What one shard sends one new owner. */
export interface MigrationBatch {
  docs: StoredDocWire[];
  nodes: NodeWire[];
  edges: EdgeWire[];
  withdrawals: WithdrawalWire[];
}

/**
 * The rows shard `self` holds that another shard owns under the placement `next`, by target (in
 * ascending target order): documents (with their ingestion and digestion ticks), owned concepts,
 * every edge copy a new owner of either endpoint needs, forgotten documents' pending withdrawals.
 */
export function selectMigration(part: Partition, self: ShardId, next: Placement): { out: Map<ShardId, MigrationBatch>; documents: number; nodes: number; edges: number } {
  const out = new Map<ShardId, MigrationBatch>();
  const to = (t: ShardId) => {
    let o = out.get(t);
    if (!o) out.set(t, (o = { docs: [], nodes: [], edges: [], withdrawals: [] }));
    return o;
  };
  // forgotten documents' withdrawals waiting for a tick move with their document id (docs/forget.md)
  for (const w of part.pendingWithdrawals) {
    const o = next.owner(w.id);
    if (o !== self) to(o).withdrawals.push({ id: w.id, labels: [...w.presentation.labels], wired: w.presentation.wired });
  }
  let documents = 0;
  let nodes = 0;
  let edges = 0;
  const table = part.docs;
  for (const n of table.numbers()) {
    const d = table.record(n);
    const o = next.owner(d.id);
    if (o === self) continue;
    to(o).docs.push({ id: d.id, key: d.key, title: d.title, text: d.text, ingest_tick: d.ingestTick, digested: d.digestedTick !== null, digested_tick: d.digestedTick ?? 0 });
    documents++;
  }
  const g = part.graph;
  for (const num of g.nodeNumbers()) {
    const n = g.node(num)!;
    const o = next.owner(n.id);
    if (o === self) continue;
    to(o).nodes.push({ id: n.id, label: n.label, access_count: n.accessCount, created_tick: n.createdTick });
    nodes++;
  }
  for (const e of g.edgeNumbers()) {
    const [la, lb] = g.edgeLabels(e);
    const row = g.edgeRow(e);
    const targets = new Set([next.owner(row.a), next.owner(row.b)]);
    targets.delete(self);
    for (const t of targets) {
      to(t).edges.push({ a: row.a, b: row.b, label_a: la, label_b: lb, weight: row.weight, co_activations: row.coActivations, created_tick: row.createdTick, last_activated_tick: row.lastActivatedTick });
      edges++;
    }
  }
  return { out: new Map([...out].sort((x, y) => x[0] - y[0])), documents, nodes, edges };
}

/** The durable rows of one migrate_in (what the receiver keeps until the flip; keyed (kind, id), so a repeat replaces). */
export function incomingRows(req: MigrationBatch & { from: number }): IncomingRow[] {
  return [
    ...req.docs.map((d) => ({ kind: 'doc' as const, id: d.id, body: d })),
    ...req.nodes.map((n) => ({ kind: 'node' as const, id: n.label, body: n })),
    ...req.edges.map((e) => ({ kind: 'edge' as const, id: `${e.label_a}\u0000${e.label_b}`, body: e })),
    ...req.withdrawals.map((w, i) => ({ kind: 'withdrawal' as const, id: `${req.from}:${w.id}:${i}`, body: w })),
  ];
}

/** What the flip needs of a shard (a ShardNode, or a simulated shard). */
export interface FlipHost {
  part: Partition;
  storage: ShardStorage;
  committedTick: number;
  checkpointTick: number;
  /** Whether this shard owns a key under its (new) membership. */
  owns: (id: string) => boolean;
}

/**
 * The flip of a membership change: ownership moves to the new placement, what was received for this
 * epoch is installed, what this shard no longer owns is dropped, durably in one transaction. A no-op
 * when nothing moves, so it is safe to repeat.
 */
export function flip(s: FlipHost, epoch: number, meta: Record<string, string | number>): void {
  s.part.setOwnership(s.owns);
  const rows = s.storage.incoming(epoch);
  const added: StoredDoc[] = [];
  const received: Withdrawal[] = [];
  const g = s.part.graph;
  for (const r of rows) {
    if (r.kind === 'doc') {
      const d = r.body as StoredDocWire;
      if (s.part.docs.numberOf(d.id) !== undefined || !s.owns(d.id)) continue;
      const v: ValidDocument = { id: d.id, key: d.key, title: d.title, text: d.text };
      const digestedTick = d.digested ? d.digested_tick : null;
      s.part.docs.add(v, d.ingest_tick, digestedTick);
      // a document that arrives is counted by the coordinator already (its df came with the sender's report)
      added.push({ id: d.id, key: d.key, title: d.title, text: d.text, ingestTick: d.ingest_tick, digestedTick, unreportedBatch: null });
    } else if (r.kind === 'withdrawal') {
      const w = r.body as WithdrawalWire;
      if (s.owns(w.id)) received.push({ id: w.id, presentation: { labels: w.labels, wired: w.wired, withdrawn: true } });
    } else if (r.kind === 'node') {
      const n = r.body as NodeWire;
      if (s.owns(nodeIdOf(n.label)) && g.node(g.intern(n.label)) === undefined) g.installNode({ id: n.id, label: n.label, accessCount: n.access_count, createdTick: n.created_tick });
    } else {
      const e = r.body as EdgeWire;
      if (g.edgeBetween(e.label_a, e.label_b) < 0 && (s.owns(nodeIdOf(e.label_a)) || s.owns(nodeIdOf(e.label_b))))
        g.installEdge(e.label_a, e.label_b, { weight: e.weight, coActivations: e.co_activations, createdTick: e.created_tick, lastActivatedTick: e.last_activated_tick }, s.committedTick);
    }
  }
  const dropped: string[] = [];
  for (const n of [...s.part.docs.numbers()]) {
    const id = s.part.docs.idOf(n);
    if (s.owns(id)) continue;
    s.part.docs.remove(id);
    dropped.push(id);
  }
  const retained = g.retainOwned();
  const moved = s.part.retainWithdrawals((w) => s.owns(w.id));
  s.part.restoreWithdrawals(received);
  const changed = added.length > 0 || dropped.length > 0 || rows.length > 0 || retained.nodes > 0 || retained.edges > 0 || moved > 0;
  if (changed) {
    const { nodes, edges } = checkpointRows(s.part);
    s.storage.replaceAfterFlip(epoch, s.committedTick, added, dropped, nodes, edges, meta, moved > 0 || received.length > 0 ? s.part.pendingWithdrawals : undefined);
    s.checkpointTick = s.committedTick;
  } else s.storage.setMeta({ ...meta, epoch });
}
