import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { newStemmer } from 'snowball-stemmers';
import { readDocsJsonl } from '../src/io/files.js';
import { documentTerms, queryTerms, stem, termStats, tokenize } from '../src/text/tokenizer.js';
import { Prng } from '../src/util/prng.js';
import { CORPUS } from './helpers.js';

test('splits on non-alphanumerics, lowercases, drops short tokens and stopwords', () => {
  assert.deepEqual(tokenize("The CRISPR-Cas9 system's guide RNA, in 2012."), ['crispr', 'cas9', 'system', 'guide', 'rna', '2012']);
});

test('keeps distinct words distinct (no stemming)', () => {
  assert.deepEqual(tokenize('cell cells cellular'), ['cell', 'cells', 'cellular']);
});

test('is Unicode-aware and counts UTF-8 bytes', () => {
  // "él" is 3 bytes in UTF-8 and kept; "ß" alone is 2 bytes and dropped; Greek letters are letters
  assert.deepEqual(tokenize('Él ß Straße μέσω'), ['él', 'straße', 'μέσω']);
});

test('termStats counts terms in first-occurrence order', () => {
  const s = termStats('gene expression gene regulation of gene');
  assert.equal(s.length, 5);
  assert.deepEqual(s.terms, [
    { term: 'gene', tf: 3, first: 0 },
    { term: 'expression', tf: 1, first: 1 },
    { term: 'regulation', tf: 1, first: 3 },
  ]);
});

test('queryTerms removes duplicates, keeps order', () => {
  assert.deepEqual(queryTerms('Quantum gates, quantum circuits'), ['quantum', 'gates', 'circuits']);
});

test('documentTerms with stemming: each distinct word stemmed once gives the statistics of the weighted token sequence', () => {
  const statsOf = (tokens: string[]) => {
    const by = new Map<string, { term: string; tf: number; first: number }>();
    const out: { term: string; tf: number; first: number }[] = [];
    tokens.forEach((term, i) => {
      const s = by.get(term);
      if (s) s.tf++;
      else {
        const t = { term, tf: 1, first: i };
        by.set(term, t);
        out.push(t);
      }
    });
    return out;
  };
  const cases = [
    { title: 'Running runs run', text: 'the runner runs; running run RUN ran' },
    { title: '', text: 'cells cell cellular cells' },
    { title: 'Cell', text: 'cells divide; a cell membrane surrounds every cell' },
    { title: 'errors correcting', text: 'error correction corrects errors in quantum codes' },
  ];
  for (const w of [1, 2, 3, 5])
    for (const d of cases) {
      const r = documentTerms(d.title, d.text, { stopwords: 'extended', stem: true, titleWeight: w });
      const head = tokenize(d.title, 'extended');
      const tokens = head.concat(tokenize(d.text, 'extended'));
      const ww = head.length === 0 ? 1 : w;
      const words = [...Array.from({ length: ww - 1 }, () => head).flat(), ...tokens];
      assert.deepEqual(r.index, statsOf(words.map(stem)), `title weight ${w}: ${d.title} / ${d.text}`);
    }
});

test("stems are Snowball English (Porter2): porter2 gives what Snowball's own generated code gives", () => {
  const snowball = newStemmer('english');
  const words = new Set<string>();
  for (const d of readDocsJsonl(join(CORPUS, 'docs.jsonl'))) for (const w of tokenize(`${d.title ?? ''} ${d.text}`)) words.add(w);
  // edge cases of the algorithm (exceptions, y, double consonants, -eed/-ing/-ly) and non-ASCII letters
  for (const w of ['news', 'skies', 'dying', 'lying', 'tying', 'idly', 'gently', 'ugly', 'early', 'only', 'singly', 'andes', 'atlas', 'cosmos', 'bias', 'howe', 'succeed', 'proceed', 'exceed', 'canning', 'inning', 'outing', 'earring', 'herring', 'generate', 'generically', 'communism', 'arsenal', 'commune', 'yes', 'sky', 'cry', 'say', 'yearly', 'café', 'naïve', 'résumé', 'straße', 'über', 'œuvre', 'énergie', 'h2o', '3rd', 'cas9']) words.add(w);
  // seeded random words built to hit the suffix rules
  const rng = new Prng(2026);
  const letters = [...'abcdefghijklmnopqrstuvwxyzaeiouyaeiouy0123456789éüßñж'];
  const suffixes = ['ing', 'ed', 'ly', 'ness', 'ational', 'tional', 'ization', 'ies', 'ied', 'ss', 'us', 'eed', 'eedly', 'ingly', 'edly', 'ement', 'ful', 'ous', 'ive', 'ize', 'iviti', 'biliti', 'alism', 'fulness', 'logi', 'ence', 'ance', 'able', 'ible', 'ism', 'ate', 'iti', 'ion', 'al', 's', 'y'];
  for (let i = 0; i < 20_000; i++) {
    let w = '';
    for (let k = 0, n = 1 + rng.int(9); k < n; k++) w += letters[rng.int(letters.length)];
    words.add(rng.int(2) === 0 ? w : w + suffixes[rng.int(suffixes.length)]);
  }
  for (const w of words) assert.equal(stem(w), /[a-z]/.test(w) ? snowball.stem(w) : w, `the stem of "${w}"`);
});
