// The coordinator's decisions in one membership change, without I/O (docs/cluster.md "Membership
// changes"): which epoch the change takes, who sends and who receives, what a failure before the
// decision leaves, what the decision changes, and what a restarted coordinator does with a change it
// finds in its durable record. The gRPC coordinator (coordinator/membership.ts, removal of a group,
// recovery.ts) and the simulated coordinator (src/sim) both run them. The steps, in order:
//   0. every member is at the decided membership (pushed again; any failure refuses the change, nothing
//      spent): a shard that missed the last flip would otherwise send from its old state and lose at
//      the next flip what it received for the missed epoch (the simulator found it: docs/simulation.md)
//   1. the epoch is spent: record {epoch, phase 'copy'} durably (a failed or crashed attempt never reuses it)
//   2. copy: every shard of the old membership sends what the new placement gives another
//      (migrate_out → migrate_in, durable on the receiver); any failure → abort_migration to all, failChange
//   3. decide: decideChange, the new membership recorded durably with phase 'flip'
//   4. push update_membership (the flip: receivers install, senders drop); the record is cleared
import type { ShardId } from './placement.js';
import type { Registry } from './registry.js';

export type MigrationPhase = 'copy' | 'flip';

/** The durable record of a change under way (the coordinator's meta `migration`). */
export interface MigrationRecord {
  epoch: number;
  what: string;
  phase: MigrationPhase;
}

export interface ChangePlan {
  what: string;
  /** The epoch of the new membership. */
  epoch: number;
  /** The old membership: every shard of it sends what it no longer owns. */
  prev: ShardId[];
  /** The new membership. */
  next: ShardId[];
  /** > 0: a joining shard (already registered: registering bumped the epoch); < 0: a leaving one. */
  change: number;
}

/** The plan of a change: `change` > 0 is a shard the registry has just registered, < 0 one that leaves. */
export function planChange(registry: Registry, prev: readonly ShardId[], change: number, what: string): ChangePlan {
  const next = change > 0 ? registry.ids() : registry.ids().filter((s) => s !== -change);
  const epoch = change > 0 ? registry.epoch : registry.epoch + 1;
  return { what, epoch, prev: [...prev], next, change };
}

/** Who is told to drop what it received for the epoch when the copy fails: every shard of either membership. */
export function abortTargets(p: ChangePlan): ShardId[] {
  return [...new Set([...p.prev, ...p.next])].sort((a, b) => a - b);
}

/** The record written before the copy (step 1). */
export function copyRecord(p: ChangePlan): string {
  return JSON.stringify({ epoch: p.epoch, what: p.what, phase: 'copy' } satisfies MigrationRecord);
}

/** The record written with the new membership (step 3, the decision); '' stays '' (no change under way). */
export function decidedRecord(record: string | undefined): string {
  return record ? JSON.stringify({ ...(JSON.parse(record) as MigrationRecord), phase: 'flip' }) : '';
}

/**
 * A change that failed before its decision: the old membership stays in force and the epoch moves
 * past the attempt's (a joining shard leaves the registry again, which bumps it).
 */
export function failChange(registry: Registry, p: ChangePlan): void {
  if (p.change > 0) registry.remove(p.change);
  else registry.epoch++;
}

/** The decision: the registry takes the new membership (a leaving shard goes); its epoch is the plan's. */
export function decideChange(registry: Registry, p: ChangePlan): void {
  if (p.change < 0) registry.remove(-p.change);
}

/**
 * What a restarted coordinator does with the change its durable record shows: none; one still
 * copying is abandoned (abort_migration everywhere, the old membership stays); one decided is
 * completed by pushing the membership again.
 */
export function recoveryOf(record: string | undefined): { action: 'none' } | { action: 'abandon' | 'complete'; epoch: number } {
  if (!record) return { action: 'none' };
  const r = JSON.parse(record) as MigrationRecord;
  return { action: r.phase === 'copy' ? 'abandon' : 'complete', epoch: r.epoch };
}
