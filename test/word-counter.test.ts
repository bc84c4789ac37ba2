import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Vocabulary } from '../src/core/vocabulary.js';
import { WordCounter } from '../src/core/word-counter.js';
import { readDocsJsonl } from '../src/io/files.js';
import { DEFAULT_TEXT, documentWords, type TextOptions } from '../src/text/tokenizer.js';
import { Prng } from '../src/util/prng.js';
import { CORPUS } from './helpers.js';

const EDGE: { title: string; text: string }[] = [
  { title: '', text: '' },
  { title: 'Cell membrane', text: '' },
  { title: '', text: 'cell membrane cell membrane cell membrane' },
  { title: 'Cell Membrane', text: 'The CELL membrane; cell-membrane, cell-\nmembrane, cell\n\nmembrane, cell  membrane.' },
  { title: 'İstanbul Straße', text: 'İSTANBUL istanbul straße STRASSE Ǆemal e\u0301te ét\u00e9 東京 東京 東京 🐙🐙 x1 a2b 123 1234' },
  { title: 'the of and', text: 'the the the of of and is was a an' },
  { title: 'gene gene', text: 'gene expression gene regulation gene expression gene expression of genes' },
];

/** Random texts over a small vocabulary with case variants, stopwords, short words and odd separators. */
function randomDocs(n: number): { title: string; text: string }[] {
  const rng = new Prng(5);
  const words = ['Cell', 'cell', 'CELL', 'membrane', 'the', 'of', 'ab', 'Protein', 'channel', 'gene', 'Gene', 'é', 'über', 'x'];
  const seps = [' ', ' ', ' ', '-', ', ', '\n', '\n\n', ' - ', '. '];
  const text = (len: number) => Array.from({ length: len }, () => words[rng.int(words.length)] + seps[rng.int(seps.length)]).join('');
  return Array.from({ length: n }, () => ({ title: text(rng.int(4)), text: text(rng.int(60)) }));
}

test('WordCounter gives documentWords exactly, and each word its vocabulary number, under every text option', () => {
  const docs = [...EDGE, ...readDocsJsonl(join(CORPUS, 'docs.jsonl')).map((d) => ({ title: d.title ?? '', text: d.text })), ...randomDocs(300)];
  const options: TextOptions[] = [
    DEFAULT_TEXT,
    { ...DEFAULT_TEXT, phrases: 2 },
    { ...DEFAULT_TEXT, phrases: 0 },
    { ...DEFAULT_TEXT, titleWeight: 1 },
    { ...DEFAULT_TEXT, stopwords: 'base', phrases: 1 },
    { ...DEFAULT_TEXT, stem: false },
  ];
  for (const opts of options) {
    const vocab = new Vocabulary();
    const counter = new WordCounter(vocab, opts);
    for (const [i, d] of docs.entries()) {
      // twice: the second time every piece comes from the memo
      for (const round of [1, 2]) {
        const { words, nums } = counter.count(d.title, d.text);
        const label = `${JSON.stringify(opts)} document ${i} round ${round}`;
        assert.deepEqual(words, documentWords(d.title, d.text, opts), label);
        assert.equal(nums.length, words.words, label);
        for (let k = 0; k < nums.length; k++) assert.equal(vocab.name(nums[k]), words.concepts[k].term, label);
      }
    }
  }
});
