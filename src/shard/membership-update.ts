import { Placement } from '../cluster/placement.js';
import type { MembershipMsg } from '../rpc/schemas.js';
import { rpcError } from '../rpc/server.js';
import { flip } from './migration.js';
import type { ShardNode } from './shard.js';

/**
 * A new membership (update_membership, also the flip of a rebalancing), applied the same way by a
 * primary and, from its replication stream, by its followers. Idempotent for the epoch it is at.
 */
export function applyMembership(s: ShardNode, req: MembershipMsg): void {
  const cfg = req.config;
  if (cfg) {
    if (JSON.stringify(cfg) !== JSON.stringify(s.config)) {
      if (s.part.docs.size > 0 || s.part.graph.nodeCount > 0) throw rpcError.precondition('the colony config cannot change on a shard that holds data');
      s.resetPartition(cfg);
    }
  }
  if (req.epoch === s.epoch && s.placement.size > 0) return; // already there: idempotent
  if (req.tick !== s.committedTick) {
    const empty = s.part.docs.size === 0 && s.part.graph.nodeCount === 0 && s.part.graph.edgeCount === 0;
    if (!empty) throw rpcError.precondition(`shard ${s.id} is at tick ${s.committedTick}, the cluster at tick ${req.tick}`);
    s.committedTick = req.tick; // a new (or emptied) shard starts at the cluster's tick
    s.storage.setMeta({ committed_tick: req.tick });
  }
  if (req.you) s.id = req.you;
  s.setMembership(req.epoch, req.members);
  const member = req.members.some((m) => m.id === s.id);
  const meta = { epoch: s.epoch, shard_id: member ? s.id : 0, members: JSON.stringify(req.members.map((m) => ({ id: m.id, address: m.address }))), config: JSON.stringify(s.config) };
  flip(s, req.epoch, meta);
}

/** The placement and addresses of a membership (no data moves here). */
export function placementOf(members: readonly { id: number; address: string }[]): { placement: Placement; addresses: Map<number, string> } {
  return { placement: new Placement(members.map((m) => m.id)), addresses: new Map(members.map((m) => [m.id, m.address])) };
}
