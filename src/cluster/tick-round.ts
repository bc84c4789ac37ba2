import { decodeCandidates, planCounts } from '../protocol/candidates.js';
import type { ShardId } from './placement.js';
import type { Phase, TickMachine } from './tick-machine.js';

/** What the coordinator pushes to one shard in a phase (besides tick, attempt and epoch). */
export interface PhaseBody {
  /** ACT: how many of the candidates it offered at SENSE the shard digests. */
  digest_count?: number;
  empty?: boolean;
}

/** A shard's reply to a phase, as far as the round reads it (SENSE's candidates). */
export interface RoundReply {
  /** SENSE: the shard's candidates (protocol/candidates.ts). */
  candidates?: Uint8Array;
  /** Forgotten documents' withdrawals the shard has to send (they travel at ACT, docs/forget.md). */
  withdrawals?: unknown;
}

export type RoundStep = { kind: 'phase'; phase: Phase; body: (s: ShardId) => PhaseBody } | { kind: 'decide'; digested: number };

/**
 * The coordinator's decisions in one attempt of a tick, without I/O: which phase to push next and
 * with what, from the replies of the last one. The gRPC tick driver and the simulated network
 * (src/sim) both run it around the same TickMachine; the caller records each reply in the machine
 * (`complete`) and passes the replies of a phase once its barrier is complete.
 */
export class TickRound {
  /** An empty tick in one round: nothing is counted pending and no SENSE is owed. */
  readonly fast: boolean;
  private chosen = 0;

  constructor(
    private readonly machine: TickMachine,
    readonly members: ShardId[],
    private readonly digestPerTick: number,
    pending: number,
    senseNextTick: boolean,
  ) {
    this.fast = pending === 0 && !senseNextTick;
  }

  /** Fix the membership in the machine and give the first phase. */
  first(): RoundStep {
    this.machine.setMembers(this.members);
    if (this.fast) {
      // nothing counted pending: an empty tick in one round (a shard holding a document the coordinator
      // does not count yet refuses it, and the tick runs again in full)
      this.machine.skipToAdvance(true);
      return { kind: 'phase', phase: 'ADVANCE', body: () => ({ empty: true }) };
    }
    return { kind: 'phase', phase: 'SENSE', body: () => ({}) };
  }

  /** The step after `phase`, given its replies (in the order of `members`). */
  next(phase: Phase, replies: readonly RoundReply[]): RoundStep {
    if (!this.machine.barrierComplete) throw new Error(`the ${phase} barrier did not complete`);
    if (phase === 'SENSE') {
      // each shard's first candidates in (ingest tick, id) order; the tick digests the first digestPerTick
      // of them merged, which is a prefix of each shard's: ACT tells each shard how many
      const lists = replies.map((r) => decodeCandidates(r.candidates ?? new Uint8Array(0), this.digestPerTick));
      const counts = planCounts(lists, this.digestPerTick);
      this.chosen = counts.reduce((a, b) => a + b, 0);
      const withdrawals = replies.reduce((n, r) => n + Number(r.withdrawals ?? 0), 0);
      if (this.chosen === 0 && withdrawals === 0) {
        // nothing to digest or withdraw anywhere: no presentations, no new edges, no verdicts; ADVANCE prunes and prepares
        this.machine.skipToAdvance();
        return { kind: 'phase', phase: 'ADVANCE', body: () => ({ empty: true }) };
      }
      this.machine.nextPhase();
      return { kind: 'phase', phase: 'ACT', body: (s) => ({ digest_count: counts[this.members.indexOf(s)] }) };
    }
    if (phase === 'ADVANCE') return { kind: 'decide', digested: this.chosen };
    this.machine.nextPhase();
    return { kind: 'phase', phase: phase === 'ACT' ? 'DECAY' : 'ADVANCE', body: () => ({}) };
  }
}
