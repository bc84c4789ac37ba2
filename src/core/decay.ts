import type { ColonyConfig } from './config.js';

/**
 * Edge decay in closed form. An edge stores the weight it had right after its last co-activation
 * (tick L) and its co-activation count; its weight at any later tick T is a pure function of those:
 *
 *   s = T − L,  κ = stalenessFactor / 100 / (1 + 0.5·co)
 *   weight(T) = w_L · exp(−rate · s · (1 + κ·s/2))
 *
 * This is upstream's activity-based decay (a per-tick rate base·(1 + staleness·κ), growing with
 * staleness and damped by co-activations) integrated over the ticks since the last activation, so
 * decay costs nothing per tick: it is evaluated where a weight is read. A mature edge (age ≥
 * maturationTicks) is pruned at the first tick its weight is below the threshold; that tick is
 * computed once (`pruneTick`) and the edge is scheduled for it. A co-activation only raises the
 * weight curve, so a prune tick can only move later, never earlier.
 */
export function decayedWeight(w: number, lastTick: number, co: number, tick: number, cfg: ColonyConfig): number {
  const s = tick - lastTick;
  if (s <= 0) return w;
  return w * decayFactor(s, co, cfg);
}

/** exp(−rate · s · (1 + κ·s/2)) for s ticks since the last activation and co co-activations. */
function decayFactor(s: number, co: number, cfg: ColonyConfig): number {
  const k = cfg.stalenessFactor / 100 / (1 + 0.5 * co);
  return Math.exp(-cfg.edgeDecayRate * s * (1 + 0.5 * k * s));
}

const MEMO_S = 512;
const MEMO_CO = 32;

/**
 * `decayedWeight` with its factor memoized for small (s, co): the same bits (the same expression,
 * computed once), without an exp per read on the degree cap's hot path.
 */
export class DecayMemo {
  private readonly factors = new Float64Array(MEMO_S * MEMO_CO).fill(NaN);
  constructor(private readonly cfg: ColonyConfig) {}
  weight(w: number, lastTick: number, co: number, tick: number): number {
    const s = tick - lastTick;
    if (s <= 0) return w;
    if (s >= MEMO_S || co >= MEMO_CO || co < 0) return w * decayFactor(s, co, this.cfg);
    const i = s * MEMO_CO + co;
    let f = this.factors[i];
    if (f !== f) f = this.factors[i] = decayFactor(s, co, this.cfg);
    return w * f;
  }
}

/**
 * The first tick ≥ `from` at which an edge (weight w after its activation at `lastTick`, created at
 * `createdTick`) is mature and below the prune threshold; Infinity when it never decays.
 */
export function pruneTick(w: number, lastTick: number, co: number, createdTick: number, from: number, cfg: ColonyConfig): number {
  const lo = Math.max(lastTick, createdTick + cfg.maturationTicks, from);
  const thr = cfg.edgePruneThreshold;
  if (decayedWeight(w, lastTick, co, lo, cfg) < thr) return lo;
  const rate = cfg.edgeDecayRate;
  if (rate <= 0) return Infinity;
  // solve rate·s·(1 + κ s/2) = ln(w/thr) for s, then settle on the exact tick with the real function
  const r = Math.log(w / thr);
  const k = cfg.stalenessFactor / 100 / (1 + 0.5 * co);
  const s = k > 0 ? (-1 + Math.sqrt(1 + (2 * k * r) / rate)) / k : r / rate;
  let t = Math.max(lo + 1, lastTick + Math.ceil(s));
  while (t > lo + 1 && decayedWeight(w, lastTick, co, t - 1, cfg) < thr) t--;
  while (decayedWeight(w, lastTick, co, t, cfg) >= thr) t++;
  return t;
}
