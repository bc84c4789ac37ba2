import { Colony } from '../colony/colony.js';
import type { ColonyConfig } from '../core/config.js';
import { notFound } from '../core/errors.js';
import type { DocumentInput } from '../core/input.js';
import type { Limits } from '../core/limits.js';
import { EXPANSION_TERMS, rankDocuments } from '../search/bm25.js';
import { expansionPlanOf, needsConcepts, planQuery } from '../search/expansion.js';
import { conceptSearch, DEFAULT_ALPHA } from '../search/concepts.js';
import { checkAlpha, checkK, conceptQueryTerms, parseQuery } from '../search/query.js';
import { bridgeConcepts, centralConcepts, neighbours, resolveLabel, shortestPath } from '../search/structure.js';
import type { ConceptQueryResult, DocQueryResult, Engine, EngineStats, ForgetSummary, IngestSummary, TickSummary } from './engine.js';

export { DEFAULT_ALPHA };

/** How document queries use the graph and the query (see docs/search.md). */
export interface SearchOptions {
  /** Concepts added to a document query by graph expansion (0 = none). */
  expansion: number;
  /** Coordination factor on document scores. */
  coordination: boolean;
}

export const DEFAULT_SEARCH: Readonly<SearchOptions> = Object.freeze({ expansion: EXPANSION_TERMS, coordination: true });

/** The single-process engine: one Colony in this process. */
export class LocalEngine implements Engine {
  readonly colony: Colony;
  readonly search: SearchOptions;
  constructor(config: Partial<ColonyConfig> = {}, limits: Partial<Limits> = {}, search: Partial<SearchOptions> = {}) {
    this.colony = new Colony(config, limits);
    this.search = { ...DEFAULT_SEARCH, ...search };
  }

  /** All or none: a conflicting id anywhere refuses the whole call before anything is added. */
  async ingest(docs: DocumentInput[], onProgress?: (done: number) => void): Promise<IngestSummary> {
    const results = this.colony.ingestBatch(docs);
    const created = results.filter((r) => r.created).length;
    onProgress?.(docs.length);
    return { created, unchanged: docs.length - created, ids: results.map((r) => r.id) };
  }

  async forget(ids: string[]): Promise<ForgetSummary> {
    const r = this.colony.forget(ids);
    return { forgotten: r.map((x) => x.id), digested: r.filter((x) => x.digested).length };
  }

  async tick(n: number | 'digest', onProgress?: (done: number, total: number) => void): Promise<TickSummary> {
    const total = n === 'digest' ? this.colony.ticksToDigestAll() : n;
    // progress as ClusterEngine reports it: documents digested for 'digest', ticks run otherwise
    const docs = this.colony.docs.pendingCount;
    let digested = 0;
    for (let i = 0; i < total; i++) {
      digested += this.colony.tick().digested;
      if (n === 'digest') onProgress?.(digested, docs);
      else onProgress?.(i + 1, total);
    }
    // after a bulk load (at least half of what is held digested now), give spare capacity back
    if (digested * 2 >= this.colony.docs.size && digested > 0) this.colony.trim();
    return { ticks: total, tick: this.colony.currentTick, digested };
  }

  async searchDocuments(query: string, k: number): Promise<DocQueryResult> {
    const terms = parseQuery(query, this.colony.limits);
    checkK(k, this.colony.limits);
    const { config } = this.colony;
    const x = expansionPlanOf(config);
    const plan = { expansion: this.search.expansion, coordination: this.search.coordination, ...x };
    const concepts = needsConcepts(plan, terms) ? conceptSearch(this.colony.graph, this.colony.currentTick, terms, { alpha: DEFAULT_ALPHA, k: terms.length + plan.expansion, specificFirst: config.specificFirst === 1, wordsOnly: true, documents: true }) : [];
    const { weighted, coordination } = planQuery(terms, concepts, plan);
    const hits = rankDocuments(this.colony.docs, this.localStats(), weighted, k, { coordination });
    return { hits, missingShards: [] };
  }

  async searchConcepts(query: string, k: number, alpha = DEFAULT_ALPHA): Promise<ConceptQueryResult> {
    const terms = parseQuery(query, this.colony.limits);
    checkK(k, this.colony.limits);
    return { hits: conceptSearch(this.colony.graph, this.colony.currentTick, conceptQueryTerms(query, terms), { alpha: checkAlpha(alpha), k, specificFirst: this.colony.config.specificFirst === 1 }), missingShards: [] };
  }

  private localStats() {
    const ix = this.colony.docs.index;
    return { documents: ix.documents, totalLength: ix.totalLength, df: (t: string) => ix.df(t) };
  }

  private view() {
    return this.colony.graph.view(this.colony.currentTick);
  }

  private node(label: string) {
    const id = resolveLabel(this.view(), label);
    if (!id) throw notFound(`no concept labelled "${label}"`);
    return id;
  }

  async neighbours(label: string, k: number) {
    return neighbours(this.view(), this.node(label), checkK(k, this.colony.limits));
  }
  async path(from: string, to: string) {
    return shortestPath(this.view(), this.node(from), this.node(to));
  }
  async central(k: number) {
    const kk = checkK(k, this.colony.limits);
    // copies: a caller may change what it gets
    return this.kept(`central ${kk}`, () => centralConcepts(this.view(), kk, 64, this.colony.config.seed)).map((x) => ({ ...x }));
  }
  async bridges(k: number) {
    const kk = checkK(k, this.colony.limits);
    return this.kept(`bridges ${kk}`, () => bridgeConcepts(this.view(), kk)).map((x) => ({ ...x }));
  }

  /**
   * Central and bridge answers, kept until the graph changes: only a tick changes it (a forget's
   * withdrawal waits for the next one). Central concepts take seconds on a large graph.
   */
  private structure: { tick: number; answers: Map<string, unknown> } | null = null;
  private kept<T>(key: string, make: () => T): T {
    const tick = this.colony.currentTick;
    if (this.structure?.tick !== tick) this.structure = { tick, answers: new Map() };
    if (!this.structure.answers.has(key)) this.structure.answers.set(key, make());
    return this.structure.answers.get(key) as T;
  }
  async stats(): Promise<EngineStats> {
    return this.colony.stats();
  }
  async graphHash() {
    return this.colony.graphHash();
  }
  async close() {}
}
