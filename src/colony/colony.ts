import { type DocumentId } from '../ids/ids.js';
import { makeConfig, type ColonyConfig } from '../core/config.js';
import { Partition, type ForgetResult } from '../core/partition.js';
import { canonicalHash } from '../core/hash.js';
import type { TextIndex } from '../core/ranking.js';
import { forgetIds, validateBatch, type DocumentInput } from '../core/input.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { newTextIndex } from '../search/text-index.js';

export interface IngestResult {
  id: DocumentId;
  key: string;
  /** False when the same document was already there (a no-op). */
  created: boolean;
}

export interface TickReport {
  tick: number;
  digested: number;
  nodesCreated: number;
  edgesPruned: number;
  edgesCapped: number;
  nodes: number;
  edges: number;
  pending: number;
}

export interface ColonyStats {
  tick: number;
  documents: number;
  digested: number;
  pending: number;
  nodes: number;
  edges: number;
}

/**
 * A single-process colony: one Partition that owns every key, driven tick by tick. The rules of a
 * tick live in the Partition (src/core), the same code a shard runs on its share.
 */
export class Colony {
  readonly config: ColonyConfig;
  readonly limits: Limits;
  readonly part: Partition;
  private tickNo = 0;

  constructor(config: Partial<ColonyConfig> = {}, limits: Partial<Limits> = {}, index: TextIndex = newTextIndex()) {
    this.config = makeConfig(config);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.part = new Partition(this.config, index);
  }

  get docs() {
    return this.part.docs;
  }
  get graph() {
    return this.part.graph;
  }
  get currentTick(): number {
    return this.tickNo;
  }

  /** Add a document. The same document (same id, same content) again is a no-op. */
  ingest(input: DocumentInput): IngestResult {
    return this.ingestBatch([input])[0];
  }

  /** Add documents, all or none (see Partition.ingest). */
  ingestBatch(inputs: readonly DocumentInput[]): IngestResult[] {
    const vs = validateBatch(inputs, this.limits);
    return this.part.ingest(vs, this.tickNo).map((r, i) => ({ id: vs[i].id, key: vs[i].key, created: r.created }));
  }

  /**
   * Forget documents by id or key, all or none (NOT_FOUND when one is unknown): they leave at once;
   * what digested ones contributed to the graph is withdrawn at the next tick (docs/forget.md).
   */
  forget(ids: readonly string[]): ForgetResult[] {
    return this.part.forget(forgetIds(ids, this.limits));
  }

  /** Run one whole tick. */
  tick(): TickReport {
    const t = this.tickNo + 1;
    const r = this.part.runTick(t, this.config.digestPerTick);
    this.tickNo = t;
    return {
      tick: t,
      digested: r.digested,
      nodesCreated: r.nodesCreated,
      edgesPruned: r.pruned,
      edgesCapped: r.capped,
      nodes: this.graph.nodeCount,
      edges: this.graph.edgeCount,
      pending: this.docs.pendingCount,
    };
  }

  run(ticks: number, onTick?: (r: TickReport) => void): TickReport[] {
    const out: TickReport[] = [];
    for (let i = 0; i < ticks; i++) {
      const r = this.tick();
      out.push(r);
      onTick?.(r);
    }
    return out;
  }

  /** Ticks until no document is pending. */
  runUntilDigested(onTick?: (r: TickReport) => void, maxTicks = 1_000_000): TickReport[] {
    const out: TickReport[] = [];
    while (this.docs.pendingCount > 0 && out.length < maxTicks) {
      const r = this.tick();
      out.push(r);
      onTick?.(r);
    }
    return out;
  }

  /** Ticks needed to digest every pending document (all are eligible from the next tick). */
  ticksToDigestAll(): number {
    return Math.ceil(this.docs.pendingCount / this.config.digestPerTick);
  }

  stats(): ColonyStats {
    return {
      tick: this.tickNo,
      documents: this.docs.size,
      digested: this.docs.digestedCount,
      pending: this.docs.pendingCount,
      nodes: this.graph.nodeCount,
      edges: this.graph.edgeCount,
    };
  }

  /** Give back spare capacity (scratch space, columns' slack, posting lists' room) after a bulk load. */
  trim(): void {
    this.graph.trim();
    this.docs.trim();
  }

  graphHash(): string {
    return canonicalHash(this.graph, this.tickNo, () => true);
  }
}
