// The layout an InvertedIndex keeps its postings in, shared by the index (inverted-index.ts, which
// writes it) and the top-k search (top-k.ts, which reads it), and the types of both.

/** A distinct term of a document with its frequency. */
export interface IndexedTerm {
  readonly term: string;
  readonly tf: number;
}

/** A weighted query term (the shape of bm25.ts's WeightedTerm). */
export interface TopKQueryTerm {
  readonly term: string;
  readonly weight: number;
  readonly original?: boolean;
}

/** Collection statistics used for scoring (the shape of core/ranking.ts's CorpusStats). */
export interface TopKStats {
  readonly documents: number;
  readonly totalLength: number;
  df(term: string): number;
}

/** Counters a caller may pass in `TopKOptions.trace` to see how much work a query did. */
export interface TopKTrace {
  /** Documents taken from an essential posting list (candidates). */
  candidates: number;
  /** Candidates whose full score was computed (not rejected by the upper bound). */
  scored: number;
  /** Ranges of documents (up to a block of 256 numbers) skipped whole by their bound. */
  skips: number;
}

export interface TopKOptions {
  /** Multiply the score by matched original terms / original terms (as bm25Search). */
  coordination?: boolean;
  /** BM25 b (length normalization); BM25_B when absent. */
  b?: number;
  /** BM25 k1 (tf saturation); BM25_K1 when absent. */
  k1?: number;
  /** When given, its counters are incremented. */
  trace?: TopKTrace;
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

/** A tf at or above this is stored as TF_BIG in the Uint8Array, the real value in an overflow map. */
export const TF_BIG = 255;
export const MAX_INT32 = 0x7fffffff;
/** Block-max: document numbers are grouped in aligned blocks of 2^BLOCK_SHIFT. */
export const BLOCK_SHIFT = 8;
export const BLOCK_DOCS = 1 << BLOCK_SHIFT;
/** Per-block bounds store max tf capped at 255 (255: use the list's max tf) and min length capped at 65535 (a lower bound). */
export const BLOCK_TF_CAP = 255;
export const BLOCK_LEN_CAP = 65535;

/** Per-block bounds of one long posting list: for block i, documents [i·256, (i+1)·256). */
export interface BlockBounds {
  /** Max tf in the block, capped at 255; 0: no posting in the block. */
  maxTf: Uint8Array;
  /** Min document length in the block, capped at 65535 (so never above the real minimum). */
  minLen: Uint16Array;
}

/**
 * What the top-k search reads of an index (InvertedIndex implements it): term ids, per-term arrays
 * (offset, length, live df, max tf, min document length), the postings arena, document lengths
 * (−1: absent or removed), per-block bounds of long lists, and tf values of 255 or more.
 */
export interface PostingLists {
  readonly ids: ReadonlyMap<string, number>;
  readonly tOff: Int32Array;
  readonly tLen: Int32Array;
  readonly tDf: Int32Array;
  readonly tMaxTf: Int32Array;
  readonly tMinLen: Int32Array;
  readonly pDoc: Int32Array;
  readonly pTf: Uint8Array;
  readonly dLen: Int32Array;
  readonly bigTf: ReadonlyMap<number, ReadonlyMap<number, number>>;
  readonly blocks: readonly (BlockBounds | undefined)[];
  /** Live documents. */
  readonly live: number;
  /** The tf of term t's posting at arena slot i (of document doc). */
  tfAt(t: number, i: number, doc: number): number;
}
