import { Placement } from '../cluster/placement.js';
import { PhagoError } from '../core/errors.js';
import type { MembershipMsg } from '../rpc/schemas.js';
import { flip, type FlipHost } from './migration-rows.js';
import type { ShardNode } from './shard.js';
import type { TickHost } from './tick-gate.js';

/**
 * A new membership (update_membership, also the flip of a rebalancing), applied the same way by a
 * primary and, from its replication stream, by its followers. Idempotent for the epoch it is at.
 */
export function applyMembership(s: ShardNode, req: MembershipMsg): void {
  const cfg = req.config;
  if (cfg) {
    if (JSON.stringify(cfg) !== JSON.stringify(s.config)) {
      if (s.part.docs.size > 0 || s.part.graph.nodeCount > 0) throw new PhagoError('FAILED_PRECONDITION', 'the colony config cannot change on a shard that holds data');
      s.resetPartition(cfg);
    }
  }
  applyEpoch(s, req);
}

/** What a membership needs of a shard beyond the flip (a ShardNode, or a simulated shard). */
export interface MembershipHost extends FlipHost {
  id: number;
  epoch: number;
  placement: Placement;
  config: object;
  setMembership(epoch: number, members: readonly { id: number; address: string }[]): void;
}

/**
 * Move a shard to membership `req.epoch` (no config change): an empty shard starts at the cluster's
 * tick, any other must be at it; then the flip (install what arrived for the epoch, drop what moved
 * away), durable with the membership. Idempotent for the epoch it is at.
 */
export function applyEpoch(s: MembershipHost, req: { epoch: number; members: readonly { id: number; address: string }[]; you?: number; tick: number }): void {
  if (req.epoch === s.epoch && s.placement.size > 0) return; // already there: idempotent
  if (req.tick !== s.committedTick) {
    const empty = s.part.docs.size === 0 && s.part.graph.nodeCount === 0 && s.part.graph.edgeCount === 0;
    if (!empty) throw new PhagoError('FAILED_PRECONDITION', `shard ${s.id} is at tick ${s.committedTick}, the cluster at tick ${req.tick}`);
    s.committedTick = req.tick; // a new (or emptied) shard starts at the cluster's tick
    s.storage.setMeta({ committed_tick: req.tick });
  }
  if (req.you) s.id = req.you;
  s.setMembership(req.epoch, req.members);
  const member = req.members.some((m) => m.id === s.id);
  const meta = { epoch: s.epoch, shard_id: member ? s.id : 0, members: JSON.stringify(req.members.map((m) => ({ id: m.id, address: m.address }))), config: JSON.stringify(s.config) };
  flip(s, req.epoch, meta);
}

/**
 * Before a new membership: the coordinator changes membership only between ticks, so a tick open
 * here is one whose outcome did not reach this shard; the cluster's tick says which (committed when
 * it is that tick and prepared, else aborted). A repeated push of the epoch the shard is at (late,
 * duplicated, or a restarted coordinator's) leaves an open tick alone: it may be the next tick,
 * running (aborting it after ADVANCE lost a committed tick in the simulator: docs/simulation.md).
 */
export function settleOpenTick(s: TickHost & { epoch: number; placement: Placement }, req: { epoch: number; tick: number }): void {
  if (req.epoch === s.epoch && s.placement.size > 0) return;
  const clusterTick = req.tick;
  const open = s.participant.openTick;
  if (open === null) return;
  if (open === clusterTick && s.participant.isPrepared) s.commitOpen(open);
  else s.abortOpen('superseded by a membership change');
}

/** The placement and addresses of a membership (no data moves here). */
export function placementOf(members: readonly { id: number; address: string }[]): { placement: Placement; addresses: Map<number, string> } {
  return { placement: new Placement(members.map((m) => m.id)), addresses: new Map(members.map((m) => [m.id, m.address])) };
}
