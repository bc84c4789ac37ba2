import { PhagoError } from '../core/errors.js';
import type { ConceptGraph } from '../core/graph.js';
import { decodePairsIndexed, decodePresentationsIndexed } from '../protocol/codec.js';
import { decodeRefs, messageKind, PAIR_REFS, PRESENTATION_REFS } from '../protocol/label-refs.js';
import type { ShardId } from '../cluster/placement.js';
import type { PeerLabels } from './peer-labels.js';

/** A received presentations batch with its concepts resolved to this shard's node numbers. */
export interface Batch {
  nums: Int32Array;
  /** Document d's concepts: nums[start[d] .. start[d+1]). */
  start: ArrayLike<number>;
  wired: ArrayLike<number>;
  /** Documents from this one on are withdrawals (forgotten documents, docs/forget.md). */
  withdrawnFrom: number;
}

/**
 * Received tick messages resolved to this shard's node numbers, in either layout: by the sender's
 * numbers (protocol/label-refs.ts, live ticks) or by label (protocol/codec.ts, withdrawals). Labels
 * are interned as they arrive. Checks what the label layout's decoders check: a concept named twice
 * in one document, a pair of one concept with itself (INVALID_ARGUMENT).
 */
export class Received {
  private mark = new Int32Array(0);
  private stamp = 0;

  constructor(
    private readonly graph: ConceptGraph,
    private readonly labels: PeerLabels,
  ) {}

  private readonly intern = (l: string) => this.graph.intern(l);

  presentations(from: ShardId, payload: Buffer): Batch {
    if (messageKind(payload) === PRESENTATION_REFS) {
      const m = decodeRefs(payload);
      const nums = this.labels.resolve(from, m, this.intern);
      this.checkDistinct(nums, m.start);
      return { nums, start: m.start, wired: m.wired, withdrawnFrom: m.wired.length };
    }
    // each dictionary label interned once
    const m = decodePresentationsIndexed(payload);
    const node = new Int32Array(m.dict.length);
    for (let i = 0; i < m.dict.length; i++) node[i] = this.intern(m.dict[i]);
    const nums = new Int32Array(m.idx.length);
    for (let j = 0; j < m.idx.length; j++) nums[j] = node[m.idx[j]];
    return { nums, start: m.start, wired: m.wired, withdrawnFrom: m.withdrawnFrom };
  }

  /** Verdicts as node-number pairs (x0, y0, x1, y1, …). */
  pairs(from: ShardId, payload: Buffer): Int32Array {
    if (messageKind(payload) === PAIR_REFS) {
      const pairs = this.labels.resolve(from, decodeRefs(payload), this.intern);
      for (let k = 0; k + 1 < pairs.length; k += 2) if (pairs[k] === pairs[k + 1]) throw new PhagoError('INVALID_ARGUMENT', `pair ${k >> 1}: an edge needs two different concepts`);
      return pairs;
    }
    const m = decodePairsIndexed(payload);
    const node = m.dict.map(this.intern);
    return Int32Array.from(m.pairs, (i) => node[i]);
  }

  /** Refuse a document that names one concept twice. */
  private checkDistinct(nums: Int32Array, start: ArrayLike<number>): void {
    const n = this.graph.labelCount;
    if (this.mark.length < n) {
      const grown = new Int32Array(n * 2);
      grown.set(this.mark);
      this.mark = grown;
    }
    for (let d = 0; d + 1 < start.length; d++) {
      const s = ++this.stamp;
      for (let j = start[d]; j < start[d + 1]; j++) {
        if (this.mark[nums[j]] === s) throw new PhagoError('INVALID_ARGUMENT', `document ${d}: concept "${this.graph.labelOf(nums[j]).slice(0, 40)}" repeated`);
        this.mark[nums[j]] = s;
      }
    }
  }
}
