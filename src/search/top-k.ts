// Exact top-k BM25 over an InvertedIndex's postings: MaxScore dynamic pruning with block-max bounds.
import { BM25_B as DEFAULT_B, BM25_K1 as DEFAULT_K1, idf } from './bm25.js';
import { BLOCK_DOCS, BLOCK_SHIFT, BLOCK_TF_CAP, MAX_INT32, TF_BIG, type BlockBounds, type PostingLists, type ScoredDoc, type TopKOptions, type TopKQueryTerm, type TopKStats } from './postings.js';

/** Largest allowed |weight × idf|: keeps w·tf·(k1+1) and sums of such far from overflow. */
const MAX_WEIGHT = 1e290;
/** Absolute slack added to upper bounds: covers rounding in the subnormal range. */
const TINY = 2 ** -960;
const EPS = 2 ** -52;
/** Threshold seeding scores up to this many postings' documents first (and ≤ 1/8 of the query's postings). */
const SEED_BUDGET = 128;

/** Array.prototype.slice's treatment of its end argument (what bm25Search does with k). */
function sliceCount(k: number): number {
  return Number.isNaN(k) ? 0 : Math.trunc(k);
}

/**
 * The best k documents by BM25, exactly as `bm25Search` ranks and scores them (same floats):
 * k1 1.2, b 0.75, idf ln(1 + (N − df + 0.5)/(df + 0.5)) with N, avgdl = totalLength/N (1 when
 * that is 0) and df from `stats`; per term w·idf·tf(k1+1)/(tf + k1(1 − b + b·dl/avgdl)), summed in
 * query-term order (each occurrence of a repeated term counts); with `coordination` and at least
 * one original term, × (original occurrences matched)/(original terms in the query). Sorted by
 * score descending, then `idOf(doc)` ascending; documents matching no term are not returned.
 * k is truncated like Array.prototype.slice's end; k ≤ 0, an empty query or stats.documents 0
 * give []. Negative weights (and negative idf, from a df above N) are handled exactly.
 *
 * Refused with RangeError (where bm25Search would produce NaN or overflowing scores): a
 * non-finite weight; non-finite or negative stats.documents or stats.totalLength; a df that is
 * not a finite number ≥ 0 for a term present here; |weight × idf| above 1e290.
 *
 * MaxScore: each query term has an upper bound on its contribution, w·idf·bound(max tf,
 * min length) (0 for w ≤ 0). Terms sorted by bound (with coordination: expansion terms first),
 * the longest prefix whose bounds sum — × the originals among them / originals, with
 * coordination — is below the current k-th score is "non-essential": only documents in the other
 * (essential) lists are candidates, and for each the non-essential lists are probed (galloping
 * nextGEQ) from the largest bound down while the candidate's partial score plus the remaining
 * bounds (× the originals it can still match / originals) could still reach the k-th score. A
 * document is skipped only when its bound is strictly below it (an equal score may still enter by
 * the id tie-break); bounds carry a relative slack that covers every float rounding, so skipping
 * never changes the result.
 *
 * Block-max: for long lists, the bound in the current block of 256 document numbers replaces
 * the global one; and at each candidate d, when the block bounds of long lists plus the bounds
 * of short lists that have a posting at d are below the k-th score, every document up to the
 * next posting of another short list (or the block's end) is skipped at once. Threshold
 * seeding: the documents of the highest-bound short lists (≤ 128 postings) are scored exactly
 * first, so the k-th score starts high.
 */
export function topK(ix: PostingLists, query: readonly TopKQueryTerm[], stats: TopKStats, k: number, opts: TopKOptions, idOf: (doc: number) => string): ScoredDoc[] {
  const kk = sliceCount(k);
  if (stats.documents === 0 || query.length === 0 || kk <= 0) return [];
  const N = stats.documents;
  if (!(Number.isFinite(N) && N > 0)) throw new RangeError(`stats.documents ${N} must be a finite number ≥ 0`);
  if (!(Number.isFinite(stats.totalLength) && stats.totalLength >= 0)) throw new RangeError(`stats.totalLength ${stats.totalLength} must be a finite number ≥ 0`);
  const avgdl = stats.totalLength / N || 1;
  const coordination = !!opts.coordination;
  const BM25_B = opts.b ?? DEFAULT_B;
  const BM25_K1 = opts.k1 ?? DEFAULT_K1;
  const trace = opts.trace;

  // Query terms present here, in query order.
  const nq = query.length;
  let originals = 0;
  const tid = new Int32Array(nq);
  const w = new Float64Array(nq);
  const orig = new Uint8Array(nq);
  const ub = new Float64Array(nq);
  let m = 0;
  const K1P1 = BM25_K1 + 1;
  const ONE_MINUS_B = 1 - BM25_B;
  for (const { term, weight, original } of query) {
    if (!Number.isFinite(weight)) throw new RangeError(`weight ${weight} of "${term}" must be finite`);
    if (original) originals++;
    const t = ix.ids.get(term);
    if (t === undefined || ix.tDf[t] === 0) continue;
    const df = stats.df(term);
    if (!(Number.isFinite(df) && df >= 0)) throw new RangeError(`df ${df} of "${term}" must be a finite number ≥ 0`);
    const wt = weight * idf(N, df);
    if (!(Math.abs(wt) <= MAX_WEIGHT)) throw new RangeError(`weight × idf of "${term}" (${wt}) is out of range`);
    tid[m] = t;
    w[m] = wt;
    orig[m] = original ? 1 : 0;
    if (wt > 0) {
      const tf = ix.tMaxTf[t];
      const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * ix.tMinLen[t]) / avgdl);
      ub[m] = (wt * (tf * K1P1)) / (tf + kd);
    }
    m++;
  }
  if (m === 0) return [];

  // With coordination a document's score is at most (raw bound) × (original occurrences it can
  // still match) / originals, so expansion terms go first (a document matching only those scores
  // 0); then by bound ascending. prefix[i], origPrefix[i]: the bounds and originals of order[0..i).
  const coordN = coordination && originals > 0 ? originals : 0;
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  const before = (x: number, y: number) => (coordN && orig[x] !== orig[y] ? orig[x] < orig[y] : ub[x] < ub[y]);
  for (let i = 1; i < m; i++) {
    const x = order[i];
    let j = i - 1;
    while (j >= 0 && before(x, order[j])) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = x;
  }
  const prefix = new Float64Array(m + 1);
  const origPrefix = new Int32Array(m + 1);
  for (let i = 0; i < m; i++) {
    prefix[i + 1] = prefix[i] + ub[order[i]];
    origPrefix[i + 1] = origPrefix[i] + orig[order[i]];
  }
  // A document whose raw score is at most r and that matches at most mo original occurrences
  // scores at most r·mo/originals (r without coordination); factor[mo] is that multiplier times
  // a slack covering every rounding (of each contribution, of sums in any order, of the factor),
  // so "r·factor[mo] + TINY < thr" proves the document is below the k-th score.
  // with coordination only documents matching a term of the query itself can answer, so the
  // expansion terms (first in `order`) never produce candidates: they are non-essential from the start
  let p = 0; // order[0..p) are non-essential
  if (coordN) while (p < m && origPrefix[p + 1] === 0) p++;
  const slack = 1 + (8 * nq + 128) * EPS;
  const factor = new Float64Array(nq + 1);
  for (let i = 0; i <= nq; i++) factor[i] = (coordN ? i / coordN : 1) * slack;

  const cur = new Int32Array(m);
  const end = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    cur[i] = ix.tOff[tid[i]];
    end[i] = cur[i] + ix.tLen[tid[i]];
  }
  const contrib = new Float64Array(m);
  const mark = new Int32Array(m).fill(-1);
  // Block-max. At the first candidate of each block of document numbers: per term, a bound of its
  // contribution in the block (bub; 0 and bpres 0 when it has no posting there) and prefix sums
  // in `order` (bprefix, borigPrefix).
  const blk: (BlockBounds | undefined)[] = [];
  for (let i = 0; i < m; i++) blk.push(ix.blocks[tid[i]]);
  const bub = new Float64Array(m);
  const bpres = new Uint8Array(m);
  const bprefix = new Float64Array(m + 1);
  const borigPrefix = new Int32Array(m + 1);
  let blockEnd = 0; // the current block is [blockEnd − BLOCK_DOCS, blockEnd)
  let skips = 0;

  // Min-heap of the current best (root = worst: lowest score, then greatest id).
  const cap = Math.min(kk, ix.live);
  const hS = new Float64Array(cap);
  const hD = new Int32Array(cap);
  const hId: (string | undefined)[] = new Array<string | undefined>(cap).fill(undefined);
  let size = 0;
  const idAt = (i: number): string => (hId[i] ??= idOf(hD[i]));
  /** True when heap entry i ranks below heap entry j. */
  const worse = (i: number, j: number): boolean => hS[i] < hS[j] || (hS[i] === hS[j] && idAt(i) > idAt(j));
  const swap = (i: number, j: number): void => {
    const s = hS[i];
    hS[i] = hS[j];
    hS[j] = s;
    const d = hD[i];
    hD[i] = hD[j];
    hD[j] = d;
    const id = hId[i];
    hId[i] = hId[j];
    hId[j] = id;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      const r = l + 1;
      const c = r < size && worse(r, l) ? r : l;
      if (!worse(c, i)) return;
      swap(c, i);
      i = c;
    }
  };
  const siftUp = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(i, p)) return;
      swap(i, p);
      i = p;
    }
  };

  let thr = -Infinity;
  const pDoc = ix.pDoc;
  const pTf = ix.pTf;
  const dLen = ix.dLen;
  const tMaxTf = ix.tMaxTf;
  let cand = 0;
  let scored = 0;
  /** nextGEQ: move cursor j to its first posting ≥ target (gallop, then binary search). */
  const seek = (j: number, target: number): number => {
    let lo = cur[j];
    const hi = end[j];
    if (lo < hi && pDoc[lo] < target) {
      let step = 1;
      let prev = lo;
      let probe = lo + 1;
      while (probe < hi && pDoc[probe] < target) {
        prev = probe;
        step *= 2;
        probe = lo + step;
      }
      let a = prev + 1;
      let b = probe < hi ? probe : hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (pDoc[mid] < target) a = mid + 1;
        else b = mid;
      }
      cur[j] = lo = a;
    }
    return lo;
  };

  const insert = (d: number, score: number): void => {
    // with coordination, a document that scores 0 (it matched no term of the query itself) is no answer
    if (coordN && !(score > 0)) return;
    if (size < cap) {
      hS[size] = score;
      hD[size] = d;
      hId[size] = undefined;
      size++;
      siftUp(size - 1);
      if (size < cap) return;
    } else {
      if (score < hS[0] || (score === hS[0] && !(idOf(d) < idAt(0)))) return;
      hS[0] = score;
      hD[0] = d;
      hId[0] = undefined;
      siftDown(0);
    }
    thr = hS[0];
    while (p < m && prefix[p + 1] * factor[origPrefix[p + 1]] + TINY < thr) p++;
  };

  // Threshold seeding: the documents of the short lists with the largest bounds (rare terms,
  // usually the best documents) are scored first, each term found by binary search, so the k-th
  // score starts high instead of rising slowly as the merge meets them; the merge then passes
  // over them (`seeded`, sorted).
  let seeded: Int32Array = new Int32Array(0);
  {
    let total = 0;
    for (let i = 0; i < m; i++) total += ix.tLen[tid[i]];
    const budget = Math.min(SEED_BUDGET, total >> 3);
    const byUb = Array.from(order).reverse();
    const pick: number[] = [];
    let used = 0;
    for (const j of byUb) {
      const len = ix.tLen[tid[j]];
      if (ub[j] <= 0 || used + len > budget) continue;
      used += len;
      pick.push(j);
    }
    if (pick.length > 0) {
      const docs: number[] = [];
      for (const j of pick) for (let i = cur[j]; i < end[j]; i++) if (dLen[pDoc[i]] >= 0) docs.push(pDoc[i]);
      docs.sort((x, y) => x - y);
      let n = 0;
      for (let i = 0; i < docs.length; i++) if (i === 0 || docs[i] !== docs[i - 1]) docs[n++] = docs[i];
      seeded = Int32Array.from(docs.slice(0, n));
      for (const d of seeded) {
        const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * dLen[d]) / avgdl);
        let raw = 0;
        let matched = 0;
        for (let j = 0; j < m; j++) {
          // binary search d in list j
          let a = ix.tOff[tid[j]];
          let b = end[j];
          while (a < b) {
            const mid = (a + b) >>> 1;
            if (pDoc[mid] < d) a = mid + 1;
            else b = mid;
          }
          if (a === end[j] || pDoc[a] !== d) continue;
          let tf = pTf[a];
          if (tf === TF_BIG) tf = ix.bigTf.get(tid[j])!.get(d)!;
          raw += (w[j] * (tf * K1P1)) / (tf + kd);
          matched += orig[j];
        }
        scored++;
        insert(d, coordN ? (raw * matched) / coordN : raw);
      }
    }
  }
  let si = 0; // seeded[si] is the first seeded document ≥ the current candidate

  for (;;) {
    // Next candidate: the smallest document at an essential cursor.
    let d = MAX_INT32;
    for (let e = p; e < m; e++) {
      const j = order[e];
      const c = cur[j];
      if (c < end[j] && pDoc[c] < d) d = pDoc[c];
    }
    if (d === MAX_INT32) break;

    if (d >= blockEnd) {
      const blockNo = d >> BLOCK_SHIFT;
      blockEnd = (blockNo + 1) * BLOCK_DOCS;
      for (let e = 0; e < m; e++) {
        const j = order[e];
        const bb = blk[j];
        let u = 0;
        let present = 0;
        if (bb !== undefined) {
          const btf = blockNo < bb.maxTf.length ? bb.maxTf[blockNo] : 0;
          if (btf > 0) {
            present = 1;
            if (w[j] > 0) {
              const tf = btf === BLOCK_TF_CAP ? tMaxTf[tid[j]] : btf;
              const kb = BM25_K1 * (ONE_MINUS_B + (BM25_B * bb.minLen[blockNo]) / avgdl);
              u = (w[j] * (tf * K1P1)) / (tf + kb);
            }
          }
        } else {
          const c = e < p ? seek(j, d) : cur[j];
          if (c < end[j] && pDoc[c] < blockEnd) {
            present = 1;
            u = ub[j];
          }
        }
        bub[j] = u;
        bpres[j] = present;
        bprefix[e + 1] = bprefix[e] + u;
        borigPrefix[e + 1] = borigPrefix[e] + (present ? orig[j] : 0);
      }
    }

    if (thr > -Infinity) {
      // Range check: a term without block bounds counts only if it has a posting at d; none of
      // them has one in (d, r), so when the bound is too low, all of [d, r) is skipped.
      let r = blockEnd;
      let u = 0;
      let mo = 0;
      for (let e = 0; e < m; e++) {
        const j = order[e];
        if (blk[j] !== undefined) {
          u += bub[j];
          mo += bpres[j] ? orig[j] : 0;
        } else {
          const c = e < p ? seek(j, d) : cur[j];
          const nd = c < end[j] ? pDoc[c] : MAX_INT32;
          if (nd === d) {
            u += ub[j];
            mo += orig[j];
          } else if (nd < r) r = nd;
        }
      }
      if (u * factor[mo] + TINY < thr) {
        skips++;
        for (let e = p; e < m; e++) seek(order[e], r);
        continue;
      }
    }

    cand++;
    while (si < seeded.length && seeded[si] < d) si++;
    const dl = si < seeded.length && seeded[si] === d ? -1 : dLen[d]; // seeded: already scored
    if (dl < 0) {
      for (let e = p; e < m; e++) {
        const j = order[e];
        if (cur[j] < end[j] && pDoc[cur[j]] === d) cur[j]++;
      }
      continue;
    }
    const kd = BM25_K1 * (ONE_MINUS_B + (BM25_B * dl) / avgdl);
    let partial = 0; // positive contributions only: an upper bound however the rest adds up
    let mo = 0; // original occurrences matched so far
    for (let e = p; e < m; e++) {
      const j = order[e];
      const c = cur[j];
      if (c < end[j] && pDoc[c] === d) {
        const tf = ix.tfAt(tid[j], c, d);
        const s = (w[j] * (tf * K1P1)) / (tf + kd);
        contrib[j] = s;
        mark[j] = cand;
        if (s > 0) partial += s;
        mo += orig[j];
        cur[j] = c + 1;
      }
    }
    // Non-essential terms, largest bound first, while the candidate can still make it.
    let rejected = false;
    for (let e = p - 1; e >= 0; e--) {
      if ((partial + bprefix[e + 1]) * factor[mo + borigPrefix[e + 1]] + TINY < thr) {
        rejected = true;
        break;
      }
      const j = order[e];
      const at = seek(j, d);
      if (at < end[j] && pDoc[at] === d) {
        const tf = ix.tfAt(tid[j], at, d);
        const s = (w[j] * (tf * K1P1)) / (tf + kd);
        contrib[j] = s;
        mark[j] = cand;
        if (s > 0) partial += s;
        mo += orig[j];
        cur[j] = at + 1;
      }
    }
    if (rejected) continue;
    scored++;
    // The exact score, summed in query order as bm25Search does.
    let raw = 0;
    let matched = 0;
    for (let j = 0; j < m; j++) {
      if (mark[j] !== cand) continue;
      raw += contrib[j];
      if (orig[j]) matched++;
    }
    insert(d, coordN ? (raw * matched) / coordN : raw);
  }
  if (trace) {
    trace.candidates += cand;
    trace.scored += scored;
    trace.skips += skips;
  }

  const out: { doc: number; score: number; id: string }[] = [];
  for (let i = 0; i < size; i++) out.push({ doc: hD[i], score: hS[i], id: idAt(i) });
  out.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return out.map(({ doc, score }) => ({ doc, score }));
}
