import { rankOptionsOf, textOptionsOf, type ColonyConfig } from './config.js';
import { PhagoError } from './errors.js';
import type { ValidDocument } from './input.js';
import type { DocumentId, NodeId } from '../ids/ids.js';
import { DocumentTable, type Candidate } from './documents.js';
import { type TextIndex } from './ranking.js';
import { presentationOf, wiredCount } from './presentation.js';
import { Int32Column } from './growable.js';
import { ConceptGraph, type NumPresentation, type Presentation, type Verdicts } from './graph.js';

const NO_VERDICTS: Verdicts = { edges: new Int32Array(0), fresh: new Int32Array(0) };

/** Which keys a holder owns: every key ('all', one process) or a predicate over ids (a shard). */
export type Ownership = ((id: string) => boolean) | 'all';

/** An edge named by its endpoints' labels (how verdicts and logs name edges across processes). */
export type LabelPair = readonly [string, string];

/** What a holder logs for a committed tick, enough to replay it (the rules are deterministic). */
export interface TickBody {
  /** Presentations applied in this tick (received from every digesting holder). */
  presentations: Presentation[];
  /** Edges removed by degree-cap verdicts, own and received. */
  drops: LabelPair[];
  /** This holder's documents digested in this tick. */
  digested: DocumentId[];
  /** This holder's forgotten documents whose withdrawals this tick sent (docs/forget.md). */
  withdrawn?: DocumentId[];
}

/** A forgotten digested document's presentation, waiting for the next tick to be withdrawn. */
export interface Withdrawal {
  id: DocumentId;
  presentation: Presentation;
}

export interface ForgetResult {
  id: DocumentId;
  /** It had been digested: its presentation is withdrawn at the next tick. */
  digested: boolean;
  /** What its df report subtracts: its distinct index terms (stems when stemming) and length. */
  terms: string[];
  length: number;
}

export interface TickCounts {
  nodesCreated: number;
  pruned: number;
  capped: number;
}

/**
 * The rules of one tick applied to the keys one holder owns: one process owns every key, a shard its
 * share. Colony (one process) and the shard are drivers around this class; neither reimplements a
 * rule. A tick is begin → digest (own documents) → present (everyone's presentations) → prune →
 * verdicts → drop → commit, or rollback at any point before commit.
 */
export class Partition {
  readonly docs: DocumentTable;
  readonly graph: ConceptGraph;
  private open: number | null = null;
  private digestedNow: number[] = [];
  /** Withdrawals of forgotten documents not sent by a tick yet, in forget order. */
  private outbox: Withdrawal[] = [];
  private withdrawingNow: Withdrawal[] = [];
  private owns: Ownership;

  constructor(
    readonly config: ColonyConfig,
    index: TextIndex,
    owns: Ownership = 'all',
  ) {
    this.owns = owns;
    this.docs = new DocumentTable(index, textOptionsOf(config), rankOptionsOf(config));
    this.graph = new ConceptGraph(config, owns);
  }

  get openTick(): number | null {
    return this.open;
  }

  ownsKey(id: NodeId | DocumentId): boolean {
    return this.owns === 'all' || this.owns(id);
  }

  /** Change ownership (a membership change). Rows no longer owned stay until `retainOwned`. */
  setOwnership(owns: Ownership): void {
    this.owns = owns;
    this.graph.setOwnership(owns);
  }

  // ---- documents -------------------------------------------------------------------------------

  /**
   * Add documents, all or none. The same id with the same content again (already held, or twice in
   * the batch) is a no-op (created false); the same id with other content is ALREADY_EXISTS for the
   * whole batch, before anything is added: ids are never re-used for other content.
   */
  ingest(batch: readonly ValidDocument[], ingestTick: number): { created: boolean }[] {
    const inBatch = new Map<DocumentId, ValidDocument>();
    const out: { created: boolean }[] = [];
    for (const v of batch) {
      const n = this.docs.numberOf(v.id);
      const have = n !== undefined ? this.docs.record(n) : inBatch.get(v.id);
      if (have && (have.text !== v.text || have.title !== v.title)) throw new PhagoError('ALREADY_EXISTS', `document ${v.key} already exists with different content; ids are never re-used`);
      out.push({ created: !have });
      if (!have) inBatch.set(v.id, v);
    }
    for (const v of inBatch.values()) this.docs.add(v, ingestTick);
    return out;
  }

  /**
   * Forget documents, all or none (docs/forget.md): an unknown id is NOT_FOUND for the whole request.
   * Each leaves the table, the index (postings, df, length) and the pending queue now; a digested
   * one's presentation (recomputed from its text, as it was presented) waits in the outbox for the
   * next tick, which withdraws it from the graph. Not during an open tick.
   */
  forget(ids: readonly DocumentId[], persist?: (results: ForgetResult[], withdrawals: Withdrawal[]) => void): ForgetResult[] {
    if (this.open !== null) throw new PhagoError('FAILED_PRECONDITION', `tick ${this.open} is open; forget between ticks`);
    const unique = [...new Set(ids)];
    const missing = unique.filter((id) => this.docs.numberOf(id) === undefined);
    if (missing.length > 0) throw new PhagoError('NOT_FOUND', `${missing.length} document(s) not found (${missing.slice(0, 3).join(', ')}); nothing was forgotten`);
    const withdrawals: Withdrawal[] = [];
    const results = unique.map((id) => {
      const n = this.docs.numberOf(id)!;
      const rec = this.docs.record(n);
      const terms = this.docs.salientTerms(n);
      const digested = rec.digestedTick !== null;
      if (digested) withdrawals.push({ id, presentation: { ...presentationOf(terms, this.config.wiringLimit), withdrawn: true } });
      // the df report counts index terms (stems when stemming), what ingest's df counted
      return { id, digested, terms: this.docs.indexTerms(n), length: rec.length };
    });
    // durable (a shard's storage) before anything changes here: all or none
    persist?.(results, withdrawals);
    for (const id of unique) this.docs.remove(id);
    this.outbox.push(...withdrawals);
    return results;
  }

  /** Withdrawals waiting for a tick. */
  get pendingWithdrawals(): readonly Withdrawal[] {
    return this.outbox;
  }

  /** Put back withdrawals loaded from storage (recovery). */
  restoreWithdrawals(list: readonly Withdrawal[]): void {
    this.outbox.push(...list);
  }

  /** Keep only the waiting withdrawals `keep` accepts (a membership change: the others moved); returns those dropped. */
  retainWithdrawals(keep: (w: Withdrawal) => boolean): number {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter(keep);
    return before - this.outbox.length;
  }

  /** The open tick takes every waiting withdrawal (given back if it rolls back). */
  withdraw(): Presentation[] {
    this.withdrawingNow = this.outbox;
    this.outbox = [];
    return this.withdrawingNow.map((w) => w.presentation);
  }

  /** Forgotten documents whose withdrawals the open tick sends. */
  withdrawnIds(): DocumentId[] {
    return this.withdrawingNow.map((w) => w.id);
  }

  candidates(tick: number, limit: number): Candidate[] {
    return this.docs.candidates(tick, limit);
  }

  // ---- one tick --------------------------------------------------------------------------------

  /** Open a tick; `undoable` journals what it touches so that it can be rolled back (a shard's ticks). */
  begin(tick: number, undoable = true): void {
    if (this.open !== null) throw new Error(`tick ${this.open} is still open`);
    this.open = tick;
    this.graph.begin(undoable);
  }

  /** Digest this holder's chosen documents; returns what they present (to be applied by every owner). */
  digest(tick: number, ids: readonly DocumentId[]): Presentation[] {
    const out: Presentation[] = [];
    for (const id of ids) {
      const n = this.docs.numberOf(id);
      if (n === undefined) throw new PhagoError('NOT_FOUND', `document ${id} is not held here`);
      out.push(this.docs.digest(n, tick, this.config.wiringLimit));
      this.digestedNow.push(n);
    }
    return out;
  }

  /**
   * `digest` with each presentation's terms as this holder's term numbers (`termName`, `nodeOfTerm`),
   * in salience order: what a shard splits among the owners without a string per term.
   */
  digestTermLists(tick: number, ids: readonly DocumentId[]): { terms: number[]; wired: number }[] {
    const out: { terms: number[]; wired: number }[] = [];
    for (const id of ids) {
      const n = this.docs.numberOf(id);
      if (n === undefined) throw new PhagoError('NOT_FOUND', `document ${id} is not held here`);
      const terms = this.docs.digestTerms(n, tick);
      this.digestedNow.push(n);
      out.push({ terms, wired: wiredCount(terms.length, this.config.wiringLimit) });
    }
    return out;
  }

  /** `digest` with the presentations already interned in the graph (one process: nothing travels). */
  private digestNums(tick: number, ids: readonly DocumentId[]): NumPresentation[] {
    return this.digestTermLists(tick, ids).map(({ terms, wired }) => ({ nums: terms.map((t) => this.nodeOfTerm(t)), wired }));
  }

  /** The label of a term number (`digestTermLists`). */
  termName(t: number): string {
    return this.docs.termName(t);
  }

  /** Graph node number + 1 of a term number (0: not looked up yet); a label's node number never changes. */
  private readonly termNodes = new Int32Column(1024);
  /** The graph's node number of a term number (interning its label). */
  nodeOfTerm(t: number): number {
    this.termNodes.ensure(t);
    const v = this.termNodes.data[t];
    if (v > 0) return v - 1;
    const n = this.graph.intern(this.docs.termName(t));
    this.termNodes.data[t] = n + 1;
    return n;
  }

  /**
   * Apply presentations (labels, or already interned) to the owned keys: withdrawn ones first (in
   * one batch), then the others; returns concepts created.
   */
  present(tick: number, presentations: Iterable<Presentation | NumPresentation>): number {
    const g = this.graph;
    const all = [...presentations];
    const num = (p: Presentation | NumPresentation) => ('nums' in p ? p : g.internPresentation(p));
    const out = all.filter((p) => p.withdrawn === true);
    if (out.length === 0) return g.present(tick, all.map(num)).nodesCreated;
    g.withdraw(tick, out.map(num));
    return g.present(tick, all.filter((p) => p.withdrawn !== true).map(num)).nodesCreated;
  }

  prune(tick: number): number {
    return this.graph.prune(tick);
  }

  /** Degree-cap verdicts of the owned concepts. */
  verdicts(tick: number): Verdicts {
    return this.graph.capVerdicts(tick);
  }

  /** Verdicts as label pairs (how they travel to the other endpoint's owner and into the log). */
  verdictPairs(v: Verdicts): LabelPair[] {
    return [...Array.from(v.edges, (e) => this.graph.edgeLabels(e)), ...Array.from(v.fresh, (c) => this.graph.freshLabels(c))];
  }

  /**
   * Apply own and received verdicts and make the surviving new edges; returns existing edges removed.
   * Received verdicts come as label pairs, or (`receivedNums`) as node-number pairs, -1 for a label
   * this holder does not know.
   */
  drop(tick: number, own: Verdicts, received: readonly LabelPair[] = [], receivedNums?: ArrayLike<number>): number {
    return this.graph.settle(tick, own, received, receivedNums);
  }

  /** Documents digested in the open tick. */
  digestedIds(): DocumentId[] {
    return this.digestedNow.map((n) => this.docs.idOf(n));
  }

  commit(): void {
    this.graph.commit();
    this.open = null;
    this.digestedNow = [];
    this.withdrawingNow = [];
  }

  rollback(): void {
    this.graph.rollback();
    for (const n of this.digestedNow) this.docs.undigest(n);
    this.digestedNow = [];
    this.outbox = [...this.withdrawingNow, ...this.outbox];
    this.withdrawingNow = [];
    this.open = null;
  }

  /**
   * Re-apply a tick from its log (recovery). With `hold` the tick stays open and undoable, to be
   * committed or rolled back like a live one (a follower replica applying its primary's prepared tick).
   */
  replay(tick: number, body: TickBody, hold = false): void {
    this.begin(tick, hold);
    for (const id of body.digested) {
      const n = this.docs.numberOf(id);
      if (n !== undefined && this.docs.record(n).digestedTick === null) {
        this.docs.digest(n, tick, this.config.wiringLimit);
        if (hold) this.digestedNow.push(n);
      }
    }
    // withdrawals this tick sent leave the outbox (they were restored from storage before the commit)
    for (const id of body.withdrawn ?? []) {
      const i = this.outbox.findIndex((w) => w.id === id);
      if (i >= 0) this.withdrawingNow.push(...this.outbox.splice(i, 1));
    }
    this.present(tick, body.presentations);
    this.prune(tick);
    this.drop(tick, NO_VERDICTS, body.drops);
    if (!hold) this.commit();
  }

  /** Run a whole tick when this holder owns every key (one process). */
  runTick(tick: number, perTick: number): TickCounts & { digested: number } {
    this.begin(tick, false);
    // which documents a tick digests: the first perTick eligible in (ingestTick, DocumentId) order, as
    // the table serves them; a cluster merges its shards' offers to the same choice (planCounts,
    // protocol/candidates.ts)
    const chosen = this.candidates(tick, perTick);
    const nodesCreated = this.present(tick, [...this.withdraw(), ...this.digestNums(tick, chosen.map((c) => c.id))]);
    const pruned = this.prune(tick);
    const capped = this.drop(tick, this.verdicts(tick));
    this.commit();
    return { nodesCreated, pruned, capped, digested: chosen.length };
  }
}
