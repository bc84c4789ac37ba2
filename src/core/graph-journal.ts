import { GraphStore, NEVER } from './graph-store.js';
import { Journal } from './journal.js';

/**
 * The open tick of a concept graph and its undo journal: what a tick touches (only that) is
 * recorded before its first change, so an aborted tick rolls back in time proportional to its
 * changes, and no copy of the graph is ever made. A single process opens ticks without a journal.
 */
export abstract class JournaledGraph extends GraphStore {
  /** Open a tick. With `undoable`, what it touches is journaled so that `rollback` can undo it. */
  begin(undoable = true): void {
    if (this.open) throw new Error('a tick is already open on this graph');
    this.open = true;
    this.fresh.clear();
    this.txId++;
    this.tx = undoable ? (this.spare?.reset() ?? new Journal()) : null;
    this.spare = null;
  }

  /** The last closed tick's journal, reused by the next (its buffers keep their size). */
  private spare: Journal | null = null;

  get inTick(): boolean {
    return this.open;
  }

  /** The open tick's undo journal (prior state of what it touched), or null (src/core/state-digest.ts reads it). */
  get journal(): Journal | null {
    return this.tx;
  }

  edgeAlive(e: number): boolean {
    return this.alive.data[e] === 1;
  }

  commit(): void {
    const tx = this.tx;
    this.tx = null;
    this.open = false;
    this.spare = tx;
    // the loop last, in a method of its own (see ConceptGraph.present: V8's per-loop code)
    if (tx) this.freeAll(tx.freed);
  }

  private freeAll(freed: readonly number[]): void {
    for (let i = 0; i < freed.length; i++) this.free.push(freed[i]);
  }

  /** Undo everything since begin(): O(what the tick touched). */
  rollback(): void {
    if (!this.open) return;
    const tx = this.tx;
    if (!tx) throw new Error('this tick was opened without an undo journal');
    this.tx = null;
    this.open = false;
    const N = tx.nodes.data;
    for (let i = tx.nodes.length - 4; i >= 0; i -= 4) {
      const n = N[i];
      const had = this.has.data[n] === 1;
      const has = N[i + 1] === 1;
      if (had && !has) this.nodes--;
      if (!had && has) this.nodes++;
      this.has.data[n] = has ? 1 : 0;
      this.access.data[n] = N[i + 2];
      this.created.data[n] = N[i + 3];
    }
    const E = tx.edges.data;
    for (let i = tx.edges.length - 7; i >= 0; i -= 7) {
      const e = E[i];
      const wasAlive = E[i + 1] === 1;
      const isAlive = this.alive.data[e] === 1;
      if (isAlive && !wasAlive) this.unlinkEdge(e);
      if (!isAlive && wasAlive) this.linkEdge(e, this.ea.data[e], this.eb.data[e]);
      this.ew.data[e] = E[i + 2];
      this.eco.data[e] = E[i + 3];
      this.ec.data[e] = E[i + 4];
      this.el.data[e] = E[i + 5];
      this.schedAt.data[e] = E[i + 6];
      if (wasAlive && E[i + 6] !== NEVER) this.bucket(E[i + 6]).push(e);
      if (!wasAlive) {
        this.pairs.delete(this.ea.data[e], this.eb.data[e]);
        this.free.push(e);
      }
    }
    this.fresh.clear();
    this.spare = tx;
  }

  protected saveNode(n: number): void {
    if (!this.tx) return;
    this.nodeMark.ensure(n);
    if (this.nodeMark.data[n] !== this.txId) {
      this.nodeMark.data[n] = this.txId;
      const l = this.tx.nodes;
      const at = l.reserve();
      l.data[at] = n;
      l.data[at + 1] = this.has.data[n];
      l.data[at + 2] = this.access.data[n];
      l.data[at + 3] = this.created.data[n];
    }
  }

  protected saveEdge(e: number): void {
    if (!this.tx) return;
    this.edgeMark.ensure(e);
    if (this.edgeMark.data[e] !== this.txId) {
      this.edgeMark.data[e] = this.txId;
      const l = this.tx.edges;
      const at = l.reserve();
      l.data[at] = e;
      l.data[at + 1] = this.alive.data[e];
      l.data[at + 2] = this.ew.data[e];
      l.data[at + 3] = this.eco.data[e];
      l.data[at + 4] = this.ec.data[e];
      l.data[at + 5] = this.el.data[e];
      l.data[at + 6] = this.schedAt.data[e];
    }
  }
}
