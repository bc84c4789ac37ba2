import type { ValidDocument } from './input.js';
import type { DocumentId } from '../ids/ids.js';
import { DEFAULT_TEXT, documentWords, indexCounts, indexTerms, stem, type DocumentWords, type TermStat, type TextOptions } from '../text/tokenizer.js';
import { isPhrase } from '../text/phrases.js';
import { Int32Column } from './growable.js';
import { TermLists } from './term-lists.js';
import { Vocabulary } from './vocabulary.js';
import { WindowStore } from './windows.js';
import type { Presentation } from './graph.js';
import { presentationOf } from './presentation.js';
import { DEFAULT_RANK, type RankOptions, type TextIndex } from './ranking.js';

/** A document as seen from outside. */
export interface DocRecord {
  id: DocumentId;
  /** The client's id when it gave one that is not a UUID, else the id. */
  key: string;
  title: string;
  text: string;
  /** Token count (the BM25 document length). */
  length: number;
  /** The last committed tick when it was ingested; it can be digested from ingestTick + 1. */
  ingestTick: number;
  /** Tick at which it was digested, or null while pending. */
  digestedTick: number | null;
}

/** A pending document that may be digested: what the digestion plan orders by. */
export interface Candidate {
  ingestTick: number;
  id: DocumentId;
}

/** Salience: term frequency in the document, descending; ties by first occurrence, then list order. Indices into `terms`. */
function salienceOrder(terms: readonly TermStat[]): number[] {
  return terms.map((_, i) => i).sort((x, y) => terms[y].tf - terms[x].tf || terms[x].first - terms[y].first);
}

export const PENDING = -1;

/**
 * The documents one holder keeps (all of them in one process, its share on a shard): a dense
 * document number per document, columns for the numbers, the text where it is needed anyway, and
 * the inverted index. Pending documents keep their terms in salience order until digested; the
 * digestion order is (ingestTick, DocumentId), served from per-tick queues sorted once.
 */
export class DocumentTable {
  private readonly byId = new Map<DocumentId, number>();
  private readonly ids: (DocumentId | undefined)[] = [];
  private readonly keys: (string | undefined)[] = [];
  private readonly titles: string[] = [];
  private readonly texts: string[] = [];
  private readonly lengths = new Int32Column(1024);
  private readonly ingestTicks = new Int32Column(1024);
  private readonly digestedTicks = new Int32Column(1024);
  /**
   * Concept terms as numbers: the index's own term numbers when it numbers its terms and indexes the
   * concept terms themselves (no stemming, no phrases; one dictionary, one lookup per term), else a
   * vocabulary of the table's own.
   */
  private readonly vocab: Vocabulary | null;
  /** Terms (term numbers) in salience order, kept while pending. */
  private readonly salient = new TermLists();
  /** Pending queues per ingestion tick, in tick order; each sorted by DocumentId when read. */
  private readonly queues = new Map<number, { nums: number[]; head: number; sorted: boolean }>();
  private queueTicks: number[] = [];
  private pending = 0;
  private digested = 0;
  /** Index term number + 2 of each concept term number (1: none, a phrase; 0: not looked up yet): `statsOf`. */
  private readonly indexOfConcept = new Int32Column(1024);
  /** `statsOf`'s scratch: a count per index term number, and the last document that counted it. */
  private readonly dfScratch = new Int32Column(1024);
  private readonly dfSeen = new Int32Column(1024);
  private dfStamp = 0;
  /** `indexCounts`' scratch: −1 per index term number. */
  private slot = new Int32Array(0);
  /** Each document's second-stage window as concept term numbers (search/rescore.ts). */
  readonly windows = new WindowStore();

  /** `text`: how documents become terms (concepts and index terms; the colony's config). */
  constructor(
    readonly index: TextIndex,
    readonly text: Readonly<TextOptions> = DEFAULT_TEXT,
    readonly rank: Readonly<RankOptions> = DEFAULT_RANK,
  ) {
    // phrase concepts are not index terms, so the index's numbers cannot name them
    this.vocab = !text.stem && !(text.phrases ?? 0) && index.termName && index.termNumber ? null : new Vocabulary();
    this.rescores = (rank.exact > 0 && text.stem) || rank.proximity > 0;
  }

  /** Whether the second stage can apply (search/rescore.ts): only then are windows written. */
  readonly rescores: boolean;

  /** The concept term of a term number (`digestTerms`). */
  termName(t: number): string {
    return this.vocab ? this.vocab.name(t) : this.index.termName!(t);
  }

  private termNumber(term: string): number {
    return this.vocab ? this.vocab.intern(term) : this.index.termNumber!(term);
  }

  get size(): number {
    return this.byId.size;
  }
  get pendingCount(): number {
    return this.pending;
  }
  get digestedCount(): number {
    return this.digested;
  }

  /** Give back spare capacity after a bulk load. */
  trim(): void {
    const n = this.ids.length;
    for (const c of [this.lengths, this.ingestTicks, this.digestedTicks]) c.trim(n);
    this.salient.trim();
    this.windows.trim();
    this.index.trim?.();
  }

  /** Document frequency of an indexed term among the documents held. */
  df(term: string): number {
    return this.index.df(term);
  }

  /** Ids of the documents held, in the order they were added. */
  allIds(): DocumentId[] {
    return [...this.numbers()].map(this.idOf);
  }

  numberOf(id: DocumentId): number | undefined {
    return this.byId.get(id);
  }

  idOf = (n: number): DocumentId => this.ids[n]!;

  get(id: DocumentId): DocRecord | undefined {
    const n = this.byId.get(id);
    return n === undefined ? undefined : this.record(n);
  }

  record(n: number): DocRecord {
    const id = this.ids[n]!;
    const d = this.digestedTicks.data[n];
    return { id, key: this.keys[n] ?? id, title: this.titles[n], text: this.texts[n], length: this.lengths.data[n], ingestTick: this.ingestTicks.data[n], digestedTick: d === PENDING ? null : d };
  }

  /** Live document numbers, in the order they were added. */
  *numbers(): IterableIterator<number> {
    for (let n = 0; n < this.ids.length; n++) if (this.ids[n] !== undefined) yield n;
  }

  /** Add a validated document the caller has checked is new. Returns its number. */
  add(v: ValidDocument, ingestTick: number, digestedTick: number | null = null): number {
    const n = this.ids.length;
    const d = documentWords(v.title, v.text, this.text);
    this.ids.push(v.id);
    this.keys.push(v.key === v.id ? undefined : v.key);
    this.titles.push(v.title);
    this.texts.push(v.text);
    this.lengths.ensure(n);
    this.ingestTicks.ensure(n);
    this.digestedTicks.ensure(n);
    this.lengths.data[n] = d.length;
    this.ingestTicks.data[n] = ingestTick;
    this.byId.set(v.id, n);
    if (digestedTick === null) {
      this.digestedTicks.data[n] = PENDING;
      this.salient.set(n, this.indexPending(n, d));
      this.enqueue(n);
    } else {
      this.index.add(n, indexTerms(d, this.text.stem), d.length);
      if (this.rescores) this.addWindow(n, d, Array.from({ length: d.words }, (_, i) => this.termNumber(d.concepts[i].term)));
      this.digestedTicks.data[n] = digestedTick;
      this.digested++;
    }
    return n;
  }

  /** Write document n's window (when the table re-scores): its first `d.window` tokens as the term numbers `num` of their words. */
  private addWindow(n: number, d: DocumentWords, num: ArrayLike<number>): void {
    if (this.rescores) this.windows.add(n, d.tokenWords, num, d.window, d.titleTokens);
  }

  /**
   * Index a pending document and return its concept term numbers in salience order. With a vocabulary
   * the words are interned anyway, so each word's index term is looked up once per table
   * (`indexNumberOf`) and the document is indexed by numbers: no stemming or dictionary lookup of the
   * index term per document.
   */
  private indexPending(n: number, d: DocumentWords): number[] {
    const c = d.concepts;
    const order = salienceOrder(c);
    const vocab = this.vocab;
    if (vocab && this.index.internTerm && this.index.addNumbered) {
      const num = new Int32Array(c.length);
      const salient = order.map((i) => (num[i] = vocab.intern(c[i].term)));
      const key = new Int32Array(d.words);
      let max = 0;
      for (let i = 0; i < d.words; i++) if ((key[i] = this.indexNumberOf(num[i], true)) > max) max = key[i];
      if (this.slot.length <= max) this.slot = new Int32Array(2 * max + 2).fill(-1);
      const { keys, tfs } = indexCounts(d, key, this.slot);
      this.index.addNumbered(n, keys, tfs, d.length);
      this.addWindow(n, d, num);
      return salient;
    }
    const numbers = this.index.add(n, indexTerms(d, this.text.stem), d.length);
    // without a vocabulary the table uses the index's numbers: its words are its index terms, in order
    const num = vocab || !numbers ? c.map((t) => this.termNumber(t.term)) : numbers;
    this.addWindow(n, d, num);
    return order.map((i) => num[i]);
  }

  /** Remove a document entirely (ownership moved, or forgotten). */
  remove(id: DocumentId): DocRecord | undefined {
    const n = this.byId.get(id);
    if (n === undefined) return undefined;
    const rec = this.record(n);
    this.byId.delete(id);
    this.index.remove(n);
    if (rec.digestedTick === null) this.pending--; // its queue entry is skipped when reached
    else this.digested--;
    this.ids[n] = undefined;
    this.keys[n] = undefined;
    this.titles[n] = '';
    this.texts[n] = '';
    this.salient.drop(n);
    this.windows.remove(n);
    return rec;
  }

  private enqueue(n: number): void {
    this.queue(n);
    this.pending++;
  }

  private queue(n: number): void {
    const t = this.ingestTicks.data[n];
    let q = this.queues.get(t);
    if (!q) {
      this.queues.set(t, (q = { nums: [], head: 0, sorted: true }));
      this.queueTicks.push(t);
      if (this.queueTicks.length > 1 && this.queueTicks[this.queueTicks.length - 2] > t) this.queueTicks.sort((x, y) => x - y);
    }
    q.nums.push(n);
    q.sorted = false;
  }

  private isPending(n: number): boolean {
    return this.ids[n] !== undefined && this.digestedTicks.data[n] === PENDING;
  }

  /**
   * The first `limit` pending documents eligible at `tick` (ingested before it) in (ingestTick,
   * DocumentId) order. Queues only advance past documents no longer pending, so a rolled-back
   * digestion puts its documents back in place.
   */
  candidates(tick: number, limit: number): Candidate[] {
    const out: Candidate[] = [];
    for (let qi = 0; qi < this.queueTicks.length && out.length < limit; qi++) {
      const t = this.queueTicks[qi];
      if (t >= tick) break;
      const q = this.queues.get(t)!;
      if (!q.sorted) {
        const rest = [...new Set(q.nums.slice(q.head))].filter((n) => this.isPending(n)); // undigest may re-add one
        rest.sort((x, y) => (this.ids[x]! < this.ids[y]! ? -1 : 1));
        q.nums = rest;
        q.head = 0;
        q.sorted = true;
      }
      while (q.head < q.nums.length && !this.isPending(q.nums[q.head])) q.head++;
      for (let i = q.head; i < q.nums.length && out.length < limit; i++) {
        const n = q.nums[i];
        if (this.isPending(n)) out.push({ ingestTick: t, id: this.ids[n]! });
      }
      if (q.head === q.nums.length) {
        this.queues.delete(t);
        this.queueTicks.splice(qi, 1);
        qi--;
      }
    }
    return out;
  }

  /** Mark a pending document digested at `tick` and return what it presents. */
  digest(n: number, tick: number, wiringLimit: number): Presentation {
    return presentationOf(this.digestTerms(n, tick).map((t) => this.termName(t)), wiringLimit);
  }

  /** `digest`, with the presented terms as term numbers in salience order (`termName`). */
  digestTerms(n: number, tick: number): number[] {
    if (!this.isPending(n)) throw new Error(`document ${this.ids[n] ?? n} is not pending`);
    const salient = this.salient.take(n) ?? this.salientIds(n);
    this.digestedTicks.data[n] = tick;
    this.pending--;
    this.digested++;
    return salient;
  }

  private salientIds(n: number): number[] {
    const kept = this.salient.get(n);
    if (kept) return kept;
    const c = documentWords(this.titles[n], this.texts[n], this.text).concepts;
    return salienceOrder(c).map((i) => this.termNumber(c[i].term));
  }

  /** Undo `digest` (a tick that did not commit); the document is pending again, in its place. */
  undigest(n: number): void {
    if (this.ids[n] === undefined || this.digestedTicks.data[n] === PENDING) return;
    this.digestedTicks.data[n] = PENDING;
    this.pending++;
    this.digested--;
    this.queue(n);
  }

  /** Terms in salience order (recomputed from the text when no longer kept). */
  salientTerms(n: number): string[] {
    return this.salientIds(n).map((t) => this.termName(t));
  }

  /**
   * The distinct index terms of a document (what its df counts): its concept terms that are words
   * (not phrases), stemmed when stemming (the title weight changes counts, not which terms there are).
   */
  indexTerms(n: number): string[] {
    const out = new Set<string>();
    for (const label of this.salientTerms(n)) {
      const t = this.indexTermOf(label);
      if (t !== null) out.add(t);
    }
    return [...out];
  }

  /** The index term of a concept term: its stem when stemming; null for a phrase (not an index term). */
  private indexTermOf(label: string): string | null {
    if (this.text.phrases && isPhrase(label)) return null;
    return this.text.stem ? stem(label) : label;
  }

  lengthOf(n: number): number {
    return this.lengths.data[n];
  }

  /**
   * What documents `ns` add to the collection statistics (a shard's df report): their count, total
   * length and the df of each index term, exactly `indexTerms` summed, counted by term number (each
   * concept term's index term is looked up once per table, not stemmed again per document).
   */
  statsOf(ns: Iterable<number>): { documents: number; totalLength: number; df: Map<string, number> } {
    // every table a shard keeps numbers its terms (search/inverted-index.ts)
    if (!this.index.termNumber || !this.index.termName) throw new Error('statsOf needs an index that numbers its terms');
    const counts = this.dfScratch;
    const touched: number[] = [];
    let documents = 0;
    let totalLength = 0;
    const df = new Map<string, number>();
    try {
      for (const n of ns) {
        if (this.ids[n] === undefined) continue;
        documents++;
        totalLength += this.lengths.data[n];
        const stamp = ++this.dfStamp;
        for (const c of this.salientIds(n)) {
          const t = this.indexNumberOf(c);
          if (t < 0) continue;
          counts.ensure(t);
          this.dfSeen.ensure(t);
          if (this.dfSeen.data[t] === stamp) continue; // two words with one stem
          this.dfSeen.data[t] = stamp;
          if (counts.data[t]++ === 0) touched.push(t);
        }
      }
      for (const t of touched) df.set(this.index.termName!(t), counts.data[t]);
    } finally {
      for (const t of touched) counts.data[t] = 0; // the scratch is all zeros between calls
    }
    return { documents, totalLength, df };
  }

  /** The term number of a concept term (a word of a window), −1 when no document has had it. */
  conceptNumber(term: string): number {
    return this.vocab ? this.vocab.find(term) : this.index.termNumber!(term);
  }

  /**
   * For a scan over many concept term numbers: data[c] is the index term number of c + 2 (1: a phrase;
   * 0: not looked up yet, then ask `indexTermOfConcept`); null when concept term numbers are the
   * index's own (no vocabulary).
   */
  conceptIndexTerms(): Int32Array | null {
    return this.vocab ? this.indexOfConcept.data : null;
  }

  /** The index's number of the index term of concept term number c (a word); −1 for a phrase. */
  indexTermOfConcept(c: number): number {
    return this.indexNumberOf(c);
  }

  /**
   * The index's number of a concept term's index term (its stem when stemming), −1 for a phrase;
   * `intern`: a term not in the index yet is interned (a document being added has it).
   */
  private indexNumberOf(c: number, intern = false): number {
    if (!this.vocab) return c; // the index's own numbers: concept terms are index terms
    this.indexOfConcept.ensure(c);
    let v = this.indexOfConcept.data[c];
    if (v === 0) {
      const label = this.vocab.name(c);
      const term = this.indexTermOf(label);
      if (term === null) v = 1;
      else {
        // a document's index terms were added to the index, and a term keeps its number
        const t = intern ? this.index.internTerm!(term) : this.index.termNumber!(term);
        if (t < 0) throw new Error(`index term of "${label.slice(0, 40)}" is not in the index`);
        v = t + 2;
      }
      this.indexOfConcept.data[c] = v;
    }
    return v - 2;
  }
}
