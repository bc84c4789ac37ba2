import type { ClusterEngine } from './cluster.js';
import type { Engine, EngineStats } from './engine.js';

/** One shard as the coordinator sees it. */
export interface ShardView {
  id: number;
  address: string;
  status: string;
  documents: number;
  concepts: number;
  edges: number;
  /** Unix milliseconds of its last heartbeat; 0 when none yet. */
  lastHeartbeatMs: number;
}

/** The state of a colony: its counts, and for a cluster its shards, epoch and tick in progress. */
export interface ClusterView {
  mode: 'single-process' | 'cluster';
  stats: EngineStats;
  epoch: number;
  /** The last committed tick. */
  tick: number;
  /** The phase of the tick in progress, or "idle". */
  phase: string;
  inProgress: boolean;
  /** Why the last attempt of a tick was aborted, if it was. */
  failure: string;
  shards: ShardView[];
}

interface WireShard {
  id: number;
  address: string;
  status: string;
  document_count: number;
  node_count: number;
  edge_count: number;
  last_heartbeat_ms: number;
}
interface WireTickStatus {
  phase: string;
  in_progress: boolean;
  failure: string;
  current_tick: number;
}

/** A ClusterEngine (duck-typed so that this module needs no run-time import of the gRPC client). */
function isCluster(e: Engine): e is ClusterEngine {
  return typeof (e as Partial<ClusterEngine>).coordinator?.call === 'function';
}

/** Read the colony's state: stats, and for a cluster list_shards and tick_status (three calls at once). */
export async function clusterView(engine: Engine): Promise<ClusterView> {
  if (!isCluster(engine)) {
    const stats = await engine.stats();
    return { mode: 'single-process', stats, epoch: 0, tick: stats.tick, phase: 'idle', inProgress: false, failure: '', shards: [] };
  }
  const [list, status, stats] = await Promise.all([
    engine.coordinator.call<{ shards: WireShard[]; epoch: number }>('list_shards', {}),
    engine.coordinator.call<WireTickStatus>('tick_status', {}),
    engine.stats(),
  ]);
  return {
    mode: 'cluster',
    stats,
    epoch: list.epoch,
    tick: status.current_tick,
    phase: status.in_progress ? status.phase : 'idle',
    inProgress: status.in_progress,
    failure: status.failure,
    shards: list.shards.map((s) => ({ id: s.id, address: s.address, status: s.status, documents: s.document_count, concepts: s.node_count, edges: s.edge_count, lastHeartbeatMs: s.last_heartbeat_ms })),
  };
}
