/**
 * phago's public TypeScript API: `import { LocalEngine, EmbeddedCluster, ClusterEngine, Colony } from 'phago'`.
 *
 * - LocalEngine: the Engine in one process (a Colony plus search).
 * - EmbeddedCluster: a coordinator and N shards in this process, over real loopback gRPC.
 * - ClusterEngine: a client of any coordinator (the same Engine interface).
 * - Colony: the single-process colony itself (ingest, tick, graph, hash).
 */
export { Colony, type ColonyStats, type IngestResult, type TickReport } from './colony/colony.js';
export { DEFAULT_CONFIG, makeConfig, type ColonyConfig } from './core/config.js';
export { DEFAULT_LIMITS, type Limits } from './core/limits.js';
export { PhagoError, type PhagoErrorCode } from './core/errors.js';
export type { DocumentInput } from './core/input.js';
export { LocalEngine, DEFAULT_SEARCH, type SearchOptions } from './engine/local.js';
export { ClusterEngine } from './engine/cluster.js';
export { EmbeddedCluster, type EmbeddedOptions } from './engine/embedded.js';
export type { Engine, EngineStats, ForgetSummary, IngestSummary, TickSummary, DocQueryResult, ConceptQueryResult } from './engine/engine.js';
export type { DocHit } from './search/bm25.js';
export type { ConceptHit } from './search/concepts.js';
export type { NeighbourHit, PathResult, CentralHit, BridgeHit } from './search/structure.js';
export { Coordinator, type CoordinatorOptions } from './coordinator/coordinator.js';
export { ShardNode, type ShardOptions } from './shard/shard.js';
export type { SecurityConfig } from './rpc/security.js';
