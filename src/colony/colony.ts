import { type DocumentId } from '../ids/ids.js';
import { makeConfig, type ColonyConfig } from './config.js';
import { digestDocument } from './digestion.js';
import { DocumentStore, makeRecord, type DocRecord } from './documents.js';
import { PhagoError } from './errors.js';
import { Graph, graphHash, type EdgeIncrement, type NodeUpsert } from './graph.js';
import { validateDocument, type DocumentInput } from './input.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { laneOf, planDigestion, type DigestPlan, type LaneCandidate } from './schedule.js';

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

/** Deltas one tick's Act phase produces, addressed by NodeId. */
export interface ActOutput {
  upserts: NodeUpsert[];
  increments: EdgeIncrement[];
}

/**
 * A single-process colony. One tick is four explicit phases, each a method with explicit inputs and
 * outputs, so a cluster can run the same steps on many shards and exchange what they produce:
 *   sense(tick)              → DigestPlan       (read-only: which documents are digested now)
 *   act(plan)                → ActOutput        (concept upserts and edge increments by NodeId)
 *   applyAct(tick, output)                      (the owners apply them)
 *   decay(tick)              → degree-cap drops (edge decay, pruning, verdicts)
 *   advance(tick, drops)                        (apply verdicts, commit the tick)
 */
export class Colony {
  readonly config: ColonyConfig;
  readonly limits: Limits;
  readonly docs = new DocumentStore();
  readonly graph: Graph;
  private tickNo = 0;
  private busyUntil: number[];
  private digestedCount = 0;

  constructor(config: Partial<ColonyConfig> = {}, limits: Partial<Limits> = {}) {
    this.config = makeConfig(config);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.graph = new Graph(this.config);
    this.busyUntil = new Array(this.config.digesters).fill(0);
  }

  get currentTick(): number {
    return this.tickNo;
  }

  /** Add a document. The same document (same id, same content) again is a no-op. */
  ingest(input: DocumentInput): IngestResult {
    const v = validateDocument(input, this.limits);
    const have = this.docs.get(v.id);
    if (have) {
      if (have.text !== v.text || have.title !== v.title)
        throw new PhagoError('ALREADY_EXISTS', `document ${v.key} already exists with different content; ids are never re-used`);
      return { id: v.id, key: have.key, created: false };
    }
    const rec = makeRecord(v.id, v.key, v.title, v.text, this.tickNo, laneOf(this.config.seed, this.config.digesters, v.id));
    this.docs.add(rec);
    return { id: v.id, key: v.key, created: true };
  }

  // ---- the four phases -------------------------------------------------------------------------

  laneCandidates(tick: number): LaneCandidate[] {
    return this.docs.laneHeads(tick).map((r) => ({ lane: r.lane, ingestTick: r.ingestTick, id: r.id }));
  }

  sense(tick: number): DigestPlan {
    const { plan, busyUntil } = planDigestion(tick, this.busyUntil, this.laneCandidates(tick), this.config.digestCycleTicks);
    this.busyUntil = busyUntil;
    return plan;
  }

  act(plan: DigestPlan): ActOutput {
    const upserts: NodeUpsert[] = [];
    const increments: EdgeIncrement[] = [];
    for (const c of plan.chosen) {
      const rec = this.docs.markDigested(c.id, plan.tick);
      this.digestedCount++;
      const d = digestDocument(rec.terms, this.config.wiringLimit);
      upserts.push(...d.upserts);
      for (const inc of d.increments) increments.push(inc);
    }
    return { upserts, increments };
  }

  applyAct(tick: number, out: ActOutput): void {
    this.graph.applyUpserts(tick, out.upserts);
    this.graph.applyIncrements(tick, out.increments);
  }

  decay(tick: number): { pruned: number; drops: string[] } {
    const pruned = this.graph.decay(tick);
    return { pruned, drops: this.graph.degreeCapVerdicts() };
  }

  advance(tick: number, drops: string[]): number {
    const capped = this.graph.applyDrops(drops);
    this.tickNo = tick;
    return capped;
  }

  /** Run one whole tick. */
  tick(): TickReport {
    const t = this.tickNo + 1;
    const nodesBefore = this.graph.nodeCount;
    const plan = this.sense(t);
    this.applyAct(t, this.act(plan));
    const { pruned, drops } = this.decay(t);
    const capped = this.advance(t, drops);
    return {
      tick: t,
      digested: plan.chosen.length,
      nodesCreated: this.graph.nodeCount - nodesBefore,
      edgesPruned: pruned,
      edgesCapped: capped,
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

  /** Ticks until no document is pending (the least number of ticks that digests everything). */
  runUntilDigested(onTick?: (r: TickReport) => void, maxTicks = 1_000_000): TickReport[] {
    const out: TickReport[] = [];
    while (this.docs.pendingCount > 0 && out.length < maxTicks) {
      const r = this.tick();
      out.push(r);
      onTick?.(r);
    }
    return out;
  }

  /** Ticks needed to digest every pending document with the current lanes (exact, no side effects). */
  ticksToDigestAll(): number {
    const perLane = new Map<number, DocRecord[]>();
    for (const r of this.docs.byId.values()) {
      if (r.digestedTick !== null) continue;
      let l = perLane.get(r.lane);
      if (!l) perLane.set(r.lane, (l = []));
      l.push(r);
    }
    let last = this.tickNo;
    for (const [lane, list] of perLane) {
      list.sort((x, y) => x.ingestTick - y.ingestTick || (x.id < y.id ? -1 : 1));
      let free = Math.max(this.busyUntil[lane] ?? 0, this.tickNo + 1);
      for (const r of list) {
        const t = Math.max(free, r.ingestTick + 1);
        last = Math.max(last, t);
        free = t + this.config.digestCycleTicks;
      }
    }
    return last - this.tickNo;
  }

  stats(): ColonyStats {
    return {
      tick: this.tickNo,
      documents: this.docs.size,
      digested: this.digestedCount,
      pending: this.docs.pendingCount,
      nodes: this.graph.nodeCount,
      edges: this.graph.edgeCount,
    };
  }

  graphHash(): string {
    return graphHash(this.graph);
  }
}
