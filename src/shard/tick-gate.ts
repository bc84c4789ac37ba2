import { PhagoError } from '../core/errors.js';
import type { TickParticipant } from './participant.js';

/**
 * The shard's rules for the tick messages that open, abort and commit an attempt, over the little
 * they need of a shard (no I/O): the gRPC handlers and the simulated network (src/sim) both run them.
 */
export interface TickHost {
  id: number;
  participant: TickParticipant;
  committedTick: number;
  /** The newest aborted attempt (of the newest tick): a late SENSE of it or older is refused. */
  aborted: { tick: number; attempt: number };
  commitOpen(tick: number): void;
  abortOpen(reason: string): void;
}

const refuse = (msg: string) => new PhagoError('FAILED_PRECONDITION', msg);

/**
 * Open attempt `attempt` of tick `tick` (SENSE, or an empty tick's ADVANCE): a lost commit of the
 * previous tick is implied by it, an open older attempt of the same tick was aborted; a late message
 * of an attempt older than the open one, or than one already aborted, is refused.
 */
export function openTick(s: TickHost, tick: number, attempt: number): void {
  const p = s.participant;
  if ((p.openTick === tick && attempt < p.openAttempt!) || (s.aborted.tick === tick && attempt <= s.aborted.attempt))
    throw refuse(`attempt ${attempt} of tick ${tick} is stale on shard ${s.id} (attempt ${Math.max(p.openAttempt ?? 0, s.aborted.attempt)} came after it); ignored`);
  const open = p.openTick;
  if (open === tick - 1 && p.isPrepared) s.commitOpen(tick - 1);
  else if (open === tick && p.openAttempt !== attempt) s.abortOpen('superseded by a new attempt');
  if (p.openTick !== null && !(p.openTick === tick && p.openAttempt === attempt)) throw refuse(`tick ${p.openTick} is still open on shard ${s.id}; abort or commit it first`);
  if (tick !== s.committedTick + 1) throw refuse(`shard ${s.id} expected tick ${s.committedTick + 1}, got ${tick}`);
  if (p.openTick === null) p.openAttemptOf(tick, attempt);
}

/** abort_tick: remembered as the newest aborted attempt; a late abort of an older attempt is ignored. */
export function abortTick(s: TickHost, tick: number, attempt: number, reason: string): void {
  if (tick > s.aborted.tick || (tick === s.aborted.tick && attempt > s.aborted.attempt)) s.aborted = { tick, attempt };
  // nothing open (aborting is idempotent), or a late abort of an older attempt: ignored
  if (s.participant.openTick !== tick || attempt < s.participant.openAttempt!) return;
  s.abortOpen(reason);
}

/** commit_tick: idempotent for a committed tick; only the open, prepared attempt commits. */
export function commitTick(s: TickHost, tick: number, attempt: number): void {
  if (tick <= s.committedTick) return; // already committed: idempotent
  const p = s.participant;
  if (p.openTick !== tick || p.openAttempt !== attempt) throw refuse(`tick ${tick} attempt ${attempt} is not open on shard ${s.id}`);
  if (!p.isPrepared) throw refuse(`tick ${tick} is not prepared on shard ${s.id}`);
  s.commitOpen(tick);
}
