import { Colony } from '../colony/colony.js';
import type { ColonyConfig } from '../colony/config.js';
import { notFound } from '../colony/errors.js';
import { validateBatch, type DocumentInput } from '../colony/input.js';
import type { Limits } from '../colony/limits.js';
import { bm25Search, EXPANSION_TERMS, expandQuery } from '../search/bm25.js';
import { conceptSearch } from '../search/concepts.js';
import { checkAlpha, checkK, parseQuery } from '../search/query.js';
import { bridgeConcepts, centralConcepts, neighbours, resolveLabel, shortestPath } from '../search/structure.js';
import type { ConceptQueryResult, DocQueryResult, Engine, EngineStats, IngestSummary, TickSummary } from './engine.js';

export const DEFAULT_ALPHA = 0.5;

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

  async ingest(docs: DocumentInput[], onProgress?: (done: number) => void): Promise<IngestSummary> {
    // the whole request is checked before anything is stored (as on a cluster)
    validateBatch(docs, this.colony.limits, (id) => this.colony.docs.get(id));
    let created = 0;
    docs.forEach((d, i) => {
      if (this.colony.ingest(d).created) created++;
      if (onProgress && (i % 64 === 63 || i === docs.length - 1)) onProgress(i + 1);
    });
    return { created, unchanged: docs.length - created };
  }

  async tick(n: number | 'digest', onProgress?: (done: number, total: number) => void): Promise<TickSummary> {
    const total = n === 'digest' ? this.colony.ticksToDigestAll() : n;
    let digested = 0;
    for (let i = 0; i < total; i++) {
      digested += this.colony.tick().digested;
      onProgress?.(i + 1, total);
    }
    return { ticks: total, tick: this.colony.currentTick, digested };
  }

  async searchDocuments(query: string, k: number): Promise<DocQueryResult> {
    const terms = parseQuery(query, this.colony.limits);
    checkK(k, this.colony.limits);
    const { expansion, coordination } = this.search;
    const concepts = expansion > 0 ? conceptSearch(this.colony.graph, terms, { alpha: DEFAULT_ALPHA, k: terms.length + expansion }) : [];
    const hits = bm25Search(this.colony.docs, this.colony.docs.localStats(), expandQuery(terms, concepts, expansion), k, { coordination });
    return { hits, missingShards: [] };
  }

  async searchConcepts(query: string, k: number, alpha = DEFAULT_ALPHA): Promise<ConceptQueryResult> {
    const terms = parseQuery(query, this.colony.limits);
    checkK(k, this.colony.limits);
    return { hits: conceptSearch(this.colony.graph, terms, { alpha: checkAlpha(alpha), k }), missingShards: [] };
  }

  private node(label: string) {
    const id = resolveLabel(this.colony.graph, label);
    if (!id) throw notFound(`no concept labelled "${label}"`);
    return id;
  }

  async neighbours(label: string, k: number) {
    return neighbours(this.colony.graph, this.node(label), checkK(k, this.colony.limits));
  }
  async path(from: string, to: string) {
    return shortestPath(this.colony.graph, this.node(from), this.node(to));
  }
  async central(k: number) {
    return centralConcepts(this.colony.graph, checkK(k, this.colony.limits), 64, this.colony.config.seed);
  }
  async bridges(k: number) {
    return bridgeConcepts(this.colony.graph, checkK(k, this.colony.limits));
  }
  async stats(): Promise<EngineStats> {
    return this.colony.stats();
  }
  async graphHash() {
    return this.colony.graphHash();
  }
  async close() {}
}
