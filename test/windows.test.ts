import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentTable } from '../src/core/documents.js';
import { DEFAULT_RANK } from '../src/core/ranking.js';
import { WindowStore } from '../src/core/windows.js';
import { newTextIndex } from '../src/search/text-index.js';
import { DEFAULT_TEXT, RESCORE_CHARS, type TextOptions } from '../src/text/tokenizer.js';
import { keptToken, stopwordSet } from '../src/text/token-rule.js';
import { Prng } from '../src/util/prng.js';

describe('second-stage windows (core/windows.ts)', () => {
  it('a store of windows in small pages (freed, compacted) always answers what was written', () => {
    const rng = new Prng(11);
    // term numbers of every varint length, 1 to 5 bytes
    const value = () => [rng.int(128), rng.int(1 << 14), rng.int(1 << 21), rng.int(1 << 28), 2 ** 31 - 1 - rng.int(1000)][rng.int(5)];
    for (const page of [8, 64, 1000]) {
      const w = new WindowStore(page);
      const model = new Map<number, { terms: number[]; head: number }>();
      for (let step = 0; step < 4000; step++) {
        const doc = rng.int(300);
        const op = rng.int(10);
        if (op < 6) {
          const n = rng.int(3) === 0 ? rng.int(page) : rng.int(Math.max(1, page >> 3));
          const num = Array.from({ length: 1 + rng.int(8) }, value);
          const words = Int32Array.from({ length: n }, () => rng.int(num.length));
          const head = rng.int(n + 1);
          w.add(doc, words, num, n, head);
          model.set(doc, { terms: Array.from(words, (i) => num[i]), head });
        } else if (op < 9) {
          w.remove(doc);
          model.delete(doc);
        } else if (rng.int(20) === 0) w.trim();
        // every window still what was written, after whatever pages were freed or compacted
        if (step % 97 === 0 || step > 3900) {
          for (let d = 0; d < 300; d++) {
            const m = model.get(d);
            const got = w.readWindow(d);
            assert.deepEqual(got.terms, m?.terms ?? [], `page ${page}, step ${step}, document ${d}`);
            assert.equal(got.headLength, m && m.terms.length > 0 ? m.head : 0);
          }
        }
        const { live, garbage } = w.size;
        assert.ok(garbage <= Math.max(page, live), `page ${page}, step ${step}: ${garbage} bytes of removed windows against ${live} live`);
      }
    }
  });

  /** The window's model: title tokens, then the text's tokens whose whole run of letters and digits ends within RESCORE_CHARS. */
  function modelWindow(title: string, text: string, opts: Readonly<TextOptions>): string[] {
    const stop = stopwordSet(opts.stopwords);
    const kept = (s: string, limit: number) =>
      [...s.matchAll(/[\p{L}\p{N}]+/gu)].filter((m) => m.index! + m[0].length <= limit).map((m) => keptToken(m[0], stop)).filter((t): t is string => t !== null);
    return [...kept(title, Infinity), ...kept(text, RESCORE_CHARS)];
  }

  it('a table writes each document\'s window as its words: title, then the text within RESCORE_CHARS (pending and digested, with and without a vocabulary)', () => {
    const rng = new Prng(5);
    const words = ['cell', 'membrane', 'membranes', 'the', 'of', 'Ünïcode', 'straße', 'x', 'ab', 'abc', '𝒳𝒴𝒵', '日本語', '42', 'error-correction', 'a1b2'];
    const seps = [' ', '  ', ', ', '\n', '-', '. ', '—', '😀'];
    const textOf = (n: number) => Array.from({ length: n }, () => words[rng.int(words.length)] + seps[rng.int(seps.length)]).join('');
    for (const opts of [DEFAULT_TEXT, { ...DEFAULT_TEXT, stem: false, phrases: 0 }, { ...DEFAULT_TEXT, phrases: 0 }]) {
      const table = new DocumentTable(newTextIndex(), opts);
      for (let i = 0; i < 60; i++) {
        // short texts and long ones (cut at RESCORE_CHARS, often inside a word)
        const doc = { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, key: `k${i}`, title: i % 4 === 0 ? '' : textOf(rng.int(5)), text: textOf(i % 3 === 0 ? 300 + rng.int(600) : rng.int(40)) };
        const n = table.add(doc, 1, i % 2 === 0 ? null : 1);
        const w = table.windows.readWindow(n);
        assert.deepEqual(w.terms.map((t) => table.termName(t)), modelWindow(doc.title, doc.text, opts), `document ${i}, ${JSON.stringify(opts)}`);
        assert.equal(w.headLength, modelWindow(doc.title, '', opts).length);
      }
    }
    // without a second stage (no proximity, no exact forms) no window is written
    const plain = new DocumentTable(newTextIndex(), DEFAULT_TEXT, { ...DEFAULT_RANK, proximity: 0, exact: 0 });
    plain.add({ id: '00000000-0000-4000-8000-000000000001', key: 'k', title: 'cell membrane', text: 'proteins of the cell membrane' }, 1, null);
    assert.equal(plain.windows.size.live, 0);
  });
});
