import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ensureCollection,
  inBatches,
  parseWordnetData,
  parseWordnetLine,
  pseudoWord,
  readJsonlBatches,
  scramble21,
  synthetic,
  type CollectionDoc,
} from '../scripts/collections.js';
import { BASE_STOPWORDS } from '../src/text/stopwords.js';

// A few lines of WordNet 3.0 data files (wndb(5)): the licence header starts with spaces.
const NOUN_SAMPLE = [
  '  1 This software and database is being provided to you, the LICENSEE, by  ',
  '  2 Princeton University under the following license.  ',
  '00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 ~ 00002137 n 0000 ~ 04424418 n 0000 | that which is perceived or known or inferred to have its own distinct existence (living or nonliving)  ',
  '00001930 03 n 01 physical_entity 0 007 @ 00001740 n 0000 ~ 00002452 n 0000 ~ 00002684 n 0000 ~ 00007347 n 0000 ~ 00020827 n 0000 ~ 00029677 n 0000 ~ 14580597 n 0000 | an entity that has physical existence  ',
  '00002137 03 n 02 abstraction 0 abstract_entity 0 010 @ 00001740 n 0000 ~ 00023280 n 0000 | a general concept formed by extracting common features from specific examples  ',
  '',
].join('\n');
const ADJ_SAMPLE = '00014358 00 s 02 abounding 0 galore(ip) 0 001 & 00013887 a 0000 | existing in abundance; "abounding confidence"; "whiskey galore"  \n';
const VERB_SAMPLE =
  '00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 021 * 00005041 v 0000 * 00004227 v 0000 + 03110323 a 0301 02 + 02 00 + 08 00 | draw air into, and expel out of, the lungs; "I can breathe better when the air is clean"  \n';

test('wordnet parser: one document per synset, words as title, gloss as text', () => {
  const docs = parseWordnetData(NOUN_SAMPLE, 'n');
  assert.deepEqual(docs, [
    { id: 'wn:n:00001740', title: 'entity', text: 'that which is perceived or known or inferred to have its own distinct existence (living or nonliving)' },
    { id: 'wn:n:00001930', title: 'physical entity', text: 'an entity that has physical existence' },
    { id: 'wn:n:00002137', title: 'abstraction, abstract entity', text: 'a general concept formed by extracting common features from specific examples' },
  ]);
});

test('wordnet parser: adjective markers, verb frames, hex word counts, bad lines', () => {
  assert.deepEqual(parseWordnetLine(ADJ_SAMPLE.trimEnd(), 'a'), {
    id: 'wn:a:00014358',
    title: 'abounding, galore',
    text: 'existing in abundance; "abounding confidence"; "whiskey galore"',
  });
  const verb = parseWordnetLine(VERB_SAMPLE, 'v');
  assert.equal(verb?.title, 'breathe, take a breath, respire, suspire');
  assert.equal(verb?.text, 'draw air into, and expel out of, the lungs; "I can breathe better when the air is clean"');
  // w_cnt is hexadecimal: 0a = 10 words
  const many = `00000001 03 n 0a ${Array.from({ length: 10 }, (_, i) => `w${i} 0`).join(' ')} 000 | ten words`;
  assert.equal(parseWordnetLine(many, 'n')?.title.split(', ').length, 10);
  assert.equal(parseWordnetLine('  29 licence line', 'n'), null);
  assert.equal(parseWordnetLine('', 'n'), null);
  assert.throws(() => parseWordnetLine('not a synset | gloss', 'n'), /malformed/);
});

test('ensureCollection writes docs.jsonl and meta.json from given data files, once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-coll-'));
  try {
    const wn = join(dir, 'wordnet-data');
    const cache = join(dir, 'cache');
    // a custom data folder with missing files is an error naming the package (never installs)
    await assert.rejects(ensureCollection('wordnet', { cacheDir: cache, wordnetDir: wn }), /wordnet-base/);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(wn);
    writeFileSync(join(wn, 'data.noun'), NOUN_SAMPLE);
    writeFileSync(join(wn, 'data.verb'), VERB_SAMPLE);
    writeFileSync(join(wn, 'data.adj'), ADJ_SAMPLE);
    writeFileSync(join(wn, 'data.adv'), '');
    const path = await ensureCollection('wordnet', { cacheDir: cache, wordnetDir: wn });
    assert.equal(path, join(cache, 'wordnet', 'docs.jsonl'));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as CollectionDoc).id),
      ['wn:n:00001740', 'wn:n:00001930', 'wn:n:00002137', 'wn:v:00001740', 'wn:a:00014358'],
    );
    const meta = JSON.parse(readFileSync(join(cache, 'wordnet', 'meta.json'), 'utf8')) as { count: number; bytes: number; source: { package: string } };
    assert.equal(meta.count, 5);
    assert.equal(meta.bytes, readFileSync(path).length);
    assert.equal(meta.source.package, 'wordnet-base');
    // cached: a second call returns the same file even without the sources
    rmSync(wn, { recursive: true });
    assert.equal(await ensureCollection('wordnet', { cacheDir: cache, wordnetDir: wn }), path);
    // streaming in batches, with a limit
    const batches: number[] = [];
    for await (const b of readJsonlBatches(path, 2, 5)) batches.push(b.length);
    assert.deepEqual(batches, [2, 2, 1]);
    const limited: number[] = [];
    for await (const b of readJsonlBatches(path, 2, 3)) limited.push(b.length);
    assert.deepEqual(limited, [2, 1]);
    assert.ok(!existsSync(`${path}.tmp-${process.pid}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('synthetic collection is deterministic, streams, and has ~60 words a document', () => {
  const a = [...synthetic(2000, 7)];
  const b = [...synthetic(2000, 7)];
  assert.equal(a.length, 2000);
  assert.deepEqual(a, b);
  // a smaller n is a prefix; another seed differs
  assert.deepEqual([...synthetic(10, 7)], a.slice(0, 10));
  assert.notDeepEqual([...synthetic(10, 8)], a.slice(0, 10));
  assert.deepEqual(
    a.slice(0, 3).map((d) => d.id),
    ['syn-0', 'syn-1', 'syn-2'],
  );
  const counts = a.map((d) => d.text.split(' ').length);
  const avg = counts.reduce((x, y) => x + y, 0) / counts.length;
  assert.ok(avg > 57 && avg < 63, `average ${avg}`);
  assert.ok(Math.min(...counts) >= 30 && Math.max(...counts) <= 90);
  for (const d of a.slice(0, 50)) assert.ok(d.title.split(' ').length >= 2 && d.title.split(' ').length <= 5);
  // Zipfian: the most frequent word is far more frequent than the 100th
  const freq = new Map<string, number>();
  for (const d of a) for (const w of d.text.split(' ')) freq.set(w, (freq.get(w) ?? 0) + 1);
  const sorted = [...freq.values()].sort((x, y) => y - x);
  assert.ok(sorted[0] > 20 * sorted[99], `top ${sorted[0]} vs 100th ${sorted[99]}`);
  // batches of a generator
  assert.deepEqual([...inBatches(synthetic(25, 1), 10)].map((x) => x.length), [10, 10, 5]);
});

test('pseudo-words: distinct for the whole vocabulary, never in upstream\'s stopword list', () => {
  const seen = new Set<string>();
  for (let r = 0; r < 200_000; r++) {
    const w = pseudoWord(scramble21(r));
    // a handful ("never", "seven", "later") are in the larger stdlib list and are then not indexed
    assert.ok(w.length >= 5 && !BASE_STOPWORDS.has(w));
    seen.add(w);
  }
  assert.equal(seen.size, 200_000);
});
