import type { ShardCounts } from '../cluster/registry.js';

/** A Heartbeat / counts message. */
export interface CountsMsg {
  shard_id?: number;
  node_count: number;
  edge_count: number;
  document_count: number;
  digested_count: number;
  pending_count: number;
}

/** A shard's counts as they arrive (heartbeat, health_check, ADVANCE). */
export function countsOf(c: CountsMsg): ShardCounts {
  return { nodes: c.node_count, edges: c.edge_count, documents: c.document_count, digested: c.digested_count, pending: c.pending_count };
}
