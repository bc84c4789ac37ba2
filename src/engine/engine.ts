import type { DocumentInput } from '../core/input.js';
import type { DocHit } from '../search/bm25.js';
import type { ConceptHit } from '../search/concepts.js';
import type { BridgeHit, CentralHit, NeighbourHit, PathResult } from '../search/structure.js';

/**
 * What every way of running phago offers (a single-process colony, an embedded cluster, a remote
 * cluster): the CLI, the demo and the evaluation are written against this.
 */
export interface EngineStats {
  tick: number;
  documents: number;
  digested: number;
  pending: number;
  nodes: number;
  edges: number;
  shards?: number;
}

export interface IngestSummary {
  created: number;
  unchanged: number;
  /** The DocumentId of each input, in input order. */
  ids: string[];
}

export interface TickSummary {
  ticks: number;
  tick: number;
  digested: number;
}

export interface DocQueryResult {
  hits: DocHit[];
  /** Shards that did not answer in time (a partial answer); empty when complete. */
  missingShards: number[];
}

export interface ConceptQueryResult {
  hits: ConceptHit[];
  missingShards: number[];
}

export interface ForgetSummary {
  /** The documents forgotten (their DocumentIds, in request order, each once). */
  forgotten: string[];
  /** Of those, how many had been digested (their graph contributions go at the next tick). */
  digested: number;
}

export interface Engine {
  ingest(docs: DocumentInput[], onProgress?: (done: number) => void): Promise<IngestSummary>;
  /**
   * Forget documents by id or key, all or none (NOT_FOUND when one is unknown): text, postings and
   * df leave before this resolves; graph contributions are withdrawn at the next tick (docs/forget.md).
   */
  forget(ids: string[]): Promise<ForgetSummary>;
  /**
   * Run n ticks, or, with 'digest', exactly as many as it takes to digest every pending document.
   * `onProgress(done, total)` counts ticks, or with 'digest' documents digested.
   */
  tick(n: number | 'digest', onProgress?: (done: number, total: number) => void): Promise<TickSummary>;
  searchDocuments(query: string, k: number): Promise<DocQueryResult>;
  searchConcepts(query: string, k: number, alpha?: number): Promise<ConceptQueryResult>;
  neighbours(label: string, k: number): Promise<NeighbourHit[]>;
  path(from: string, to: string): Promise<PathResult>;
  central(k: number): Promise<CentralHit[]>;
  bridges(k: number): Promise<BridgeHit[]>;
  stats(): Promise<EngineStats>;
  graphHash(): Promise<string>;
  close(): Promise<void>;
}
