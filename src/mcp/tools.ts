import type { ClusterView } from '../engine/cluster-status.js';
import { clusterView } from '../engine/cluster-status.js';
import type { Engine } from '../engine/engine.js';
import { describeError } from '../rpc/client.js';
import { queryTerms } from '../text/tokenizer.js';
import type { DocumentLog } from '../storage/document-log.js';
import { Mutex } from '../util/mutex.js';
import { snippet } from './snippet.js';

export type RecallTarget = 'documents' | 'concepts' | 'both';
export type ExploreKind = 'neighbours' | 'path' | 'central' | 'bridges';

export interface RememberResult {
  id: string;
  /** false: the same document was already remembered (nothing changed). */
  created: boolean;
  tick: number;
  ticks: number;
  digested: number;
  nodes: { before: number; after: number };
  edges: { before: number; after: number };
}

export interface RecallResult {
  query: string;
  documents?: { id: string; key: string; title: string; score: number; snippet: string | null }[];
  concepts?: { label: string; score: number }[];
  /** Shards that did not answer in time: the ranking is partial. */
  missingShards?: number[];
}

export interface ForgetResult {
  id: string;
  forgotten: true;
  /** The tick that withdrew its graph contributions (null: it was not digested yet, nothing to withdraw). */
  withdrawnAtTick: number | null;
  nodes: { before: number; after: number };
  edges: { before: number; after: number };
}

/** A tool's refusal: the message is shown to the agent as a tool error. */
export class ToolError extends Error {}

/**
 * What the MCP tools do, over any Engine and the log of the texts remembered here. Plain results,
 * no MCP types: server.ts turns them into tool results. Remembering runs one call at a time, so the
 * before → after counts of a call are its own.
 */
export class PhagoTools {
  private readonly writes = new Mutex();

  constructor(
    readonly engine: Engine,
    readonly log: DocumentLog,
  ) {}

  remember(input: { title?: string; content: string; id?: string }): Promise<RememberResult> {
    return this.writes.run(async () => {
      if (input.content.trim() === '') throw new ToolError('content is empty: pass the text to remember');
      const before = await this.engine.stats();
      const doc = { ...(input.id === undefined ? {} : { id: input.id }), title: input.title ?? '', text: input.content };
      const ing = await this.engine.ingest([doc]).catch((e) => {
        const conflict = (e as { code?: unknown }).code === 'ALREADY_EXISTS' || /ALREADY_EXISTS/.test(describeError(e));
        throw new ToolError(`${describeError(e)}${conflict ? ' (an id names one content: pass another id, or none to use the content id)' : ''}`);
      });
      const id = ing.ids[0];
      this.log.add({ id, key: input.id ?? '', title: input.title ?? '', text: input.content });
      const t = await this.engine.tick('digest');
      const after = await this.engine.stats();
      return { id, created: ing.created === 1, tick: t.tick, ticks: t.ticks, digested: t.digested, nodes: { before: before.nodes, after: after.nodes }, edges: { before: before.edges, after: after.edges } };
    });
  }

  /**
   * Forget a document: its text, postings and document frequencies leave before the engine answers; if it
   * had been digested, one tick runs at once so that its graph contributions are withdrawn too
   * (docs/forget.md) and the answer says what changed.
   */
  forget(input: { id: string }): Promise<ForgetResult> {
    return this.writes.run(async () => {
      const before = await this.engine.stats();
      const r = await this.engine.forget([input.id]).catch((e) => {
        const unknown = (e as { code?: unknown }).code === 'NOT_FOUND' || (e as { code?: unknown }).code === 5 || /NOT_FOUND/.test(describeError(e));
        throw new ToolError(`${describeError(e)}${unknown ? ' (pass the id phago_remember answered, or your own id given to it)' : ''}`);
      });
      for (const id of r.forgotten) this.log.delete(id);
      const t = r.digested > 0 ? await this.engine.tick(1) : null;
      const after = await this.engine.stats();
      return { id: r.forgotten[0], forgotten: true, withdrawnAtTick: t?.tick ?? null, nodes: { before: before.nodes, after: after.nodes }, edges: { before: before.edges, after: after.edges } };
    });
  }

  async recall(input: { query: string; k?: number; target?: RecallTarget }): Promise<RecallResult> {
    const k = input.k ?? 5;
    const target = input.target ?? 'both';
    if (queryTerms(input.query).length === 0) throw new ToolError('the query has no searchable words: use words of 3 letters or more that are not stopwords (the, and, of…)');
    const out: RecallResult = { query: input.query };
    const missing = new Set<number>();
    try {
      if (target !== 'concepts') {
        const r = await this.engine.searchDocuments(input.query, k);
        r.missingShards.forEach((s) => missing.add(s));
        out.documents = r.hits.map((h) => {
          const logged = this.log.get(h.id);
          return { id: h.id, key: h.key, title: h.title, score: h.score, snippet: logged ? snippet(logged.text, input.query) : null };
        });
      }
      if (target !== 'documents') {
        const r = await this.engine.searchConcepts(input.query, k);
        r.missingShards.forEach((s) => missing.add(s));
        out.concepts = r.hits.map((h) => ({ label: h.label, score: h.score }));
      }
    } catch (e) {
      throw new ToolError(describeError(e));
    }
    if (missing.size > 0) out.missingShards = [...missing].sort((a, b) => a - b);
    return out;
  }

  async explore(input: { kind: ExploreKind; label?: string; from?: string; to?: string; k?: number }): Promise<unknown> {
    const k = input.k ?? 10;
    try {
      switch (input.kind) {
        case 'neighbours':
          if (!input.label) throw new ToolError('kind "neighbours" needs label: the concept whose neighbours you want (find labels with phago_recall target "concepts")');
          return { kind: 'neighbours', label: input.label, neighbours: await this.engine.neighbours(input.label, k) };
        case 'path':
          if (!input.from || !input.to) throw new ToolError('kind "path" needs from and to: two concept labels');
          return { kind: 'path', from: input.from, to: input.to, ...(await this.engine.path(input.from, input.to)) };
        case 'central':
          return { kind: 'central', concepts: await this.engine.central(k) };
        case 'bridges':
          return { kind: 'bridges', concepts: await this.engine.bridges(k) };
      }
    } catch (e) {
      if (e instanceof ToolError) throw e;
      const msg = describeError(e);
      throw new ToolError(/NOT_FOUND|no concept labelled/.test(msg) ? `${msg}: labels are concepts of the graph; find them with phago_recall (target "concepts")` : msg);
    }
  }

  status(): Promise<ClusterView> {
    return clusterView(this.engine).catch((e) => {
      throw new ToolError(describeError(e));
    });
  }

  /** The n most recent documents remembered here. */
  recent(n: number) {
    return this.log.recent(n);
  }

  document(id: string) {
    return this.log.get(id);
  }
}
