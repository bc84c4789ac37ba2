import { eachPiece } from '../text/phrases.js';
import { keptToken, MIN_TOKEN_BYTES, stopwordSet } from '../text/token-rule.js';
import { finishWords, type DocumentWords, type TermStat, type TextOptions } from '../text/tokenizer.js';
import { Int32Column } from './growable.js';
import type { Vocabulary } from './vocabulary.js';

const MAX_MEMO = 1 << 20;

/**
 * `documentWords` for a document table that keeps a vocabulary, by numbers: each raw piece of text (as
 * split, before lower case) is looked up once in a memo that gives the vocabulary number of its token,
 * or −1 when the token rule drops it (a stopword, too short); the document's words are then counted by
 * vocabulary number. One map lookup per piece instead of a lower-casing, a stopword lookup, a
 * per-document map and a vocabulary lookup. The same `DocumentWords` as the string path
 * (`test/word-counter.test.ts`), and the vocabulary number of each word.
 */
export class WordCounter {
  private readonly memo = new Map<string, number>();
  private readonly stop: ReadonlySet<string>;
  /** Per vocabulary number: the document that last counted it (a stamp), and its index in that document. */
  private readonly seen = new Int32Column(1024);
  private readonly slot = new Int32Column(1024);
  private stamp = 0;

  constructor(
    private readonly vocab: Vocabulary,
    private readonly opts: Readonly<TextOptions>,
  ) {
    this.stop = stopwordSet(opts.stopwords);
  }

  /** The vocabulary number of a raw piece's token, or −1 when the token rule drops the piece. */
  private numberOf(raw: string): number {
    let w = this.memo.get(raw);
    if (w === undefined) {
      const tok = keptToken(raw, this.stop, MIN_TOKEN_BYTES);
      w = tok === null ? -1 : this.vocab.intern(tok);
      if (this.memo.size >= MAX_MEMO) this.memo.clear(); // bound the memo's memory
      this.memo.set(raw, w);
    }
    return w;
  }

  /** A document's words (`DocumentWords`, exactly `documentWords`'s) and the vocabulary number of each word. */
  count(title: string, text: string): { words: DocumentWords; nums: number[] } {
    const ws: number[] = [];
    const joined: number[] = [];
    const visit = (raw: string, adjacent: boolean): boolean => {
      const w = this.numberOf(raw);
      if (w < 0) return false;
      ws.push(w);
      joined.push(adjacent ? 1 : 0);
      return true;
    };
    eachPiece(title, visit);
    const H = ws.length;
    eachPiece(text, visit); // a run starts unjoined: no phrase across title and text
    return this.tally(ws, joined, H);
  }

  /** Count the tokens `ws` (vocabulary numbers) by word, in first-occurrence order. */
  private tally(ws: readonly number[], joined: readonly number[], H: number): { words: DocumentWords; nums: number[] } {
    if (++this.stamp === 0x7fffffff) {
      this.seen.data.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    this.seen.ensure(this.vocab.size);
    this.slot.ensure(this.vocab.size);
    const seen = this.seen.data;
    const slot = this.slot.data;
    const words: TermStat[] = [];
    const titleTf: number[] = [];
    const nums: number[] = [];
    const ids = new Int32Array(ws.length);
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i];
      let k: number;
      if (seen[w] === stamp) k = slot[w];
      else {
        seen[w] = stamp;
        k = slot[w] = words.length;
        words.push({ term: this.vocab.name(w), tf: 0, first: i });
        titleTf.push(0);
        nums.push(w);
      }
      words[k].tf++;
      if (i < H) titleTf[k]++;
      ids[i] = k;
    }
    const runs = { ids, joined, tokens: () => ws.map((w) => this.vocab.name(w)) };
    return { words: finishWords(words, titleTf, H, ws.length, runs, this.opts), nums };
  }
}
