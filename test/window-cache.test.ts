import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { DocumentTable } from '../src/core/documents.js';
import { RESCORE_CHARS, WindowCache } from '../src/search/window-cache.js';
import { tokenize } from '../src/text/tokenizer.js';
import { Prng } from '../src/util/prng.js';

/** A table with what the cache reads: each document's title and text, and the text options. */
function tableOf(docs: { title: string; text: string }[]): DocumentTable {
  return { record: (n: number) => docs[n], text: { stopwords: 'extended', stem: true } } as unknown as DocumentTable;
}

/** The window's tokens as words again, through the cache's own dictionary. */
function wordsOf(c: WindowCache): string[] {
  const names: string[] = [];
  for (const [w, x] of c.dict) names[x] = w;
  return Array.from(c.tokens.subarray(c.start, c.start + c.length), (x) => names[x]);
}

it('a window from a ring that wraps, evicts and copies windows to the front is always the document\'s own tokens', () => {
  const rng = new Prng(7);
  const vocabulary = Array.from({ length: 300 }, (_, i) => `word${i}x`);
  // 40 documents of 0 to 120 words: windows of many sizes, so the ring's end is skipped at different places
  const docs = Array.from({ length: 40 }, (_, i) => ({
    title: i % 5 === 0 ? '' : `title${i} ${vocabulary[i]}`,
    text: Array.from({ length: rng.int(121) }, () => vocabulary[rng.int(vocabulary.length)]).join(' '),
  }));
  const table = tableOf(docs);
  for (const [tokens, windows] of [[200, 64], [301, 64], [500, 6], [1000, 64]]) {
    const c = new WindowCache(tokens, windows);
    let hits = 0;
    for (let step = 0; step < 3000; step++) {
      // a skewed choice: some documents come back often (copied to the front), others rarely (evicted)
      const doc = rng.int(2) === 0 ? rng.int(6) : rng.int(docs.length);
      if (step % 997 === 0) docs[doc] = { ...docs[doc], text: `${docs[doc].text} changed${step}` }; // a document number reused for another text
      const cachedBefore = c.cached;
      c.window(table, doc);
      const d = docs[doc];
      const want = [...tokenize(d.title, 'extended'), ...tokenize(d.text.slice(0, RESCORE_CHARS), 'extended')];
      assert.deepEqual(wordsOf(c), want, `ring of ${tokens} tokens, ${windows} windows, step ${step}, document ${doc}`);
      assert.equal(c.headLength, tokenize(d.title, 'extended').length);
      if (c.cached === cachedBefore) hits++;
      assert.ok(c.cached <= windows, `${c.cached} windows cached, at most ${windows}`);
    }
    assert.ok(hits > 100, `windows were found in the ring (${hits} of 3000)`);
  }
});
