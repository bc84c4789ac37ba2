import assert from 'node:assert/strict';
import { test } from 'node:test';
import { queryTerms, termStats, tokenize } from '../src/text/tokenizer.js';

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
