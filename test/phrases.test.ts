import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { DEFAULT_CONFIG, makeConfig, storedConfig, textOptionsOf } from '../src/core/config.js';
import { DocumentTable } from '../src/core/documents.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { newTextIndex } from '../src/search/text-index.js';
import { conceptQueryTerms } from '../src/search/query.js';
import { rankConcepts, topCandidates, type ConceptCandidate } from '../src/search/concepts.js';
import { phraseStats, queryPhrases, tokenRun } from '../src/text/phrases.js';
import { DEFAULT_TEXT, documentTerms, tokenize } from '../src/text/tokenizer.js';
import { CORPUS, LONG, within } from './helpers.js';
import { SimpleIndex } from './simple-index.js';
import { Prng } from '../src/util/prng.js';

const phrasesOf = (text: string, min = 1) => {
  const r = tokenRun(text, 'extended', 3);
  return phraseStats(r.tokens, r.joined, min).map((p) => `${p.term}:${p.tf}@${p.first}`);
};

describe('the phrase rule', () => {
  it('with the words counted by the caller, phraseStats skips only pairs that cannot be kept: the same phrases', () => {
    const rng = new Prng(11);
    const vocab = ['cell', 'membrane', 'protein', 'channel', 'gate', 'error', 'code'];
    for (let round = 0; round < 300; round++) {
      const tokens = Array.from({ length: rng.int(40) }, () => vocab[rng.int(1 + rng.int(vocab.length))]);
      const joined = tokens.map((_, i) => (i > 0 && rng.next() < 0.8 ? 1 : 0));
      const byWord = new Map<string, number>();
      const counts: { tf: number }[] = [];
      const ids = Int32Array.from(tokens, (t) => {
        let id = byWord.get(t);
        if (id === undefined) byWord.set(t, (id = counts.push({ tf: 0 }) - 1));
        counts[id].tf++;
        return id;
      });
      for (const min of [1, 2, 3, 5]) assert.deepEqual(phraseStats(tokens, joined, min, { ids, counts }), phraseStats(tokens, joined, min), `round ${round} min ${min}`);
    }
  });

  it('tokenRun gives exactly the tokens of tokenize', () => {
    for (const t of ["The CRISPR-Cas9 system's guide RNA, in 2012.", 'Él ß Straße μέσω', 'cell membrane\n\ncell membrane', '', '  ,;  ']) {
      assert.deepEqual(tokenRun(t, 'extended', 3).tokens, tokenize(t, 'extended'));
      assert.deepEqual(tokenRun(t, 'base', 3).tokens, tokenize(t, 'base'));
    }
  });

  it('pairs adjacent words only: punctuation, a blank line, a stopword or a short token in between break a pair', () => {
    assert.deepEqual(phrasesOf('cell membrane'), ['cell membrane:1@0']);
    assert.deepEqual(phrasesOf('cell, membrane'), []);
    assert.deepEqual(phrasesOf('cell. Membrane'), []);
    assert.deepEqual(phrasesOf('cell (membrane)'), []);
    assert.deepEqual(phrasesOf('cell\n\nmembrane'), []);
    assert.deepEqual(phrasesOf('cell of the membrane'), []); // stopwords removed: not adjacent
    assert.deepEqual(phrasesOf('cell 5 membrane'), []); // a short token removed: not adjacent
    assert.deepEqual(phrasesOf('cell\nmembrane'), ['cell membrane:1@0']); // a line break within a paragraph
    assert.deepEqual(phrasesOf('error-correction'), ['error correction:1@0']); // one hyphen
    assert.deepEqual(phrasesOf('error--correction'), []);
    assert.deepEqual(phrasesOf('Cell Membrane'), ['cell membrane:1@0']); // lowercased like words
    assert.deepEqual(phrasesOf('cell cell'), []); // the same word twice is not a phrase
  });

  it('counts a phrase in a document and keeps those repeated at least minCount times, in first-occurrence order', () => {
    const text = 'The cell membrane surrounds the cell. A cell membrane is a lipid bilayer; lipid bilayer, cell membrane.';
    assert.deepEqual(phrasesOf(text, 1), ['cell membrane:3@0', 'membrane surrounds:1@1', 'lipid bilayer:2@6']);
    assert.deepEqual(phrasesOf(text, 2), ['cell membrane:3@0', 'lipid bilayer:2@6']);
    assert.deepEqual(phrasesOf(text, 3), ['cell membrane:3@0']);
    assert.deepEqual(phrasesOf(text, 2), phrasesOf(text, 2), 'deterministic');
  });

  it('documentTerms: phrases are concepts after the words, never index terms; the title and the text are separate runs', () => {
    const title = 'Error correction';
    const text = 'Error correction protects qubits. Surface code error correction is one kind; the surface code.';
    const on = documentTerms(title, text, { ...DEFAULT_TEXT, phrases: 2 });
    const off = documentTerms(title, text, { ...DEFAULT_TEXT, phrases: 0 });
    assert.deepEqual(on.index, off.index);
    assert.equal(on.length, off.length);
    const words = off.concepts.map((c) => c.term);
    assert.deepEqual(on.concepts.slice(0, words.length), off.concepts);
    assert.deepEqual(on.concepts.slice(words.length), [
      { term: 'error correction', tf: 3, first: 0 },
      { term: 'surface code', tf: 2, first: 6 },
    ]);
    // a pair across the title | text boundary is not adjacent
    assert.equal(documentTerms('alpha beta', 'gamma alpha beta', { ...DEFAULT_TEXT, phrases: 2 }).concepts.at(-1)?.term, 'alpha beta');
    assert.equal(documentTerms('alpha', 'beta alpha beta', { ...DEFAULT_TEXT, phrases: 2 }).concepts.some((c) => c.term === 'alpha beta'), false);
  });

  it('a document table presents phrases in salience order and counts only words in its index terms', () => {
    for (const stem of [true, false]) {
      const t = new DocumentTable(newTextIndex(), { ...DEFAULT_TEXT, stem, phrases: 2 });
      const n = t.add({ id: 'doc' as never, key: 'doc', title: '', text: 'quantum error correction and error correction codes; quantum error correction' }, 0);
      const salient = t.salientTerms(n);
      // tf, then first position; a phrase after its first word when both tie
      assert.deepEqual(salient, ['error', 'error correction', 'correction', 'quantum', 'quantum error', 'codes']);
      assert.equal(t.indexTerms(n).some((x) => x.includes(' ')), false);
      assert.equal(t.df('error'), 1);
      assert.equal(t.df('error correction'), 0);
    }
  });

  it("a table's df report (statsOf) is the index's own df and indexTerms summed, under every text option", async () => {
    const docs = (await readDocsJsonl(join(CORPUS, 'docs.jsonl'))).slice(0, 40);
    // two indexes that number their terms: InvertedIndex, and the Map-based reference
    for (const makeIndex of [newTextIndex, () => new SimpleIndex()])
    for (const stem of [true, false])
      for (const phrases of [0, 2]) {
        const t = new DocumentTable(makeIndex(), { ...DEFAULT_TEXT, stem, phrases });
        const ns = docs.map((d, i) => t.add({ id: `d${i}` as never, key: `d${i}`, title: d.title ?? '', text: d.text }, 0));
        // words with one stem ("membrane", "membranes") count once per document
        t.add({ id: 'x' as never, key: 'x', title: 'membranes', text: 'membrane membranes membrane' }, 0);
        ns.push(ns.length);
        const expected = new Map<string, number>();
        for (const n of ns) for (const term of t.indexTerms(n)) expected.set(term, (expected.get(term) ?? 0) + 1);
        const got = t.statsOf(ns);
        assert.deepEqual([...got.df].sort(), [...expected].sort(), `stem ${stem}, phrases ${phrases}, ${makeIndex.name}`);
        for (const [term, n] of got.df) assert.equal(t.df(term), n, term);
        assert.equal(got.documents, ns.length);
        assert.equal(got.totalLength, ns.reduce((s, n) => s + t.lengthOf(n), 0));
        // a second report of a subset starts from zero
        assert.deepEqual([...t.statsOf([0]).df].sort(), t.indexTerms(0).map((x) => [x, 1]).sort());
      }
  });

  it('queries: adjacent pairs of the query seed phrase concepts, at most words − 1 of them', () => {
    assert.deepEqual(queryPhrases('error correction surface code', 'base', 3), ['error correction', 'correction surface', 'surface code']);
    assert.deepEqual(queryPhrases('error, correction', 'base', 3), []);
    assert.deepEqual(conceptQueryTerms('Error correction', ['error', 'correction']), ['error', 'correction', 'error correction']);
  });

  it('the config field is an integer in [0, 64], default 3', () => {
    assert.equal(DEFAULT_CONFIG.phrases, 3);
    assert.deepEqual(textOptionsOf(DEFAULT_CONFIG), DEFAULT_TEXT);
    // a config stored before the field existed keeps words only
    assert.equal(storedConfig(JSON.stringify({ seed: 7 })).phrases, 0);
    assert.equal(storedConfig(JSON.stringify(DEFAULT_CONFIG)).phrases, 3);
    assert.equal(makeConfig({ phrases: 0 }).phrases, 0);
    assert.throws(() => makeConfig({ phrases: 65 }), /phrases/);
    assert.throws(() => makeConfig({ phrases: 1.5 }), /phrases/);
  });
});

test('ranking: a phrase seed is related by the rest of the query; shard cuts keep every seed and the best words apart from phrases', () => {
  const cand = (label: string, seed: boolean, affinity: number, accessCount: number): ConceptCandidate => ({ id: `id-${label}` as never, label, seed, affinity, accessCount });
  // the query "surface code": seeds surface, code and the phrase; the words' edges to each other are strong
  const exact = [cand('surface', true, 0.9, 9), cand('code', true, 0.9, 12), cand('surface code', true, 0, 2), cand('qubits', false, 0.4, 30)];
  const hits = rankConcepts(exact, 3, { alpha: 0.5, k: 4, specificFirst: true }, ['surface', 'code', 'surface code']);
  assert.deepEqual(hits.map((h) => [h.label, h.graph]), [['surface code', 1], ['surface', 0.45], ['code', 0.45], ['qubits', 0.4 / 3]]);
  // "surface code error": the phrase's graph is its edge to "error" alone
  const longer = [cand('surface', true, 1.2, 9), cand('code', true, 1.2, 12), cand('error', true, 0.6, 20), cand('surface code', true, 0.2, 2)];
  const h2 = rankConcepts(longer, 4, { alpha: 0.5, k: 4, specificFirst: true }, ['surface', 'code', 'error', 'surface code']);
  assert.equal(h2.find((h) => h.label === 'surface code')?.graph, 0.2);
  assert.ok(h2.every((h) => h.graph <= 1));
  // a holder's cut at k = 1 keeps all three seeds, the best word and the best phrase
  const many = [...exact, cand('physical qubits', false, 0.5, 3), cand('lattice', false, 0.3, 4), cand('logical qubits', false, 0.45, 2)];
  const cut = topCandidates([...many], 1).map((c) => c.label).sort();
  assert.deepEqual(cut, ['code', 'physical qubits', 'qubits', 'surface', 'surface code']);
  // phrases outnumber words among the neighbours: each holder's cut still keeps its best k words
  const crowd = [cand('surface', true, 0, 9)];
  for (let i = 0; i < 8; i++) crowd.push(cand(`surface p${i}`, false, 0.9 - i * 0.01, 2));
  for (let i = 0; i < 4; i++) crowd.push(cand(`w${i}`, false, 0.5 - i * 0.1, 3));
  for (const wordsOnly of [false, true]) {
    const opts = { alpha: 0.5, k: 3, specificFirst: true, wordsOnly };
    const union = [...topCandidates(crowd.filter((_, i) => i % 2 === 0), 3), ...topCandidates(crowd.filter((_, i) => i % 2 === 1), 3)];
    assert.deepEqual(rankConcepts(union, 1, opts, ['surface']), rankConcepts(crowd, 1, opts, ['surface']));
  }
  assert.deepEqual(rankConcepts(crowd, 1, { alpha: 0.5, k: 3, wordsOnly: true }, ['surface']).map((h) => h.label), ['surface', 'w0', 'w1']);
  assert.equal(rankConcepts(many, 3, { alpha: 0.5, k: 10, wordsOnly: true }, ['surface', 'code', 'surface code']).some((h) => h.label.includes(' ')), false);
});

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
const PHRASE_QUERIES = ['error correction', 'surface code', 'quantum error correction', 'plasma membrane', 'cell membrane transport', 'gene regulation expression'];

async function answers(e: Engine, k: number) {
  const out: string[] = [];
  for (const q of PHRASE_QUERIES) out.push(JSON.stringify((await e.searchConcepts(q, k)).hits.map((h) => [h.label, h.score])));
  return out;
}

test('sample corpus: a query naming a phrase concept finds it first; a longer query finds it among its seeds', async () => {
  const e = new LocalEngine();
  await e.ingest(docs);
  await e.tick('digest');
  for (const q of ['error correction', 'surface code', 'plasma membrane']) {
    const hits = (await e.searchConcepts(q, 5)).hits;
    assert.equal(hits[0]?.label, q, `${q}: ${hits.map((h) => h.label).join(', ')}`);
    assert.equal(hits[0].score, 1);
  }
  const long = (await e.searchConcepts('quantum error correction', 10)).hits.map((h) => h.label);
  assert.ok(long.includes('error correction') && long.includes('quantum error'), long.join(', '));
  assert.notEqual(long[0], 'error correction', 'a phrase is not first when the query names more than it');
  // phrases are part of the graph: wired to other concepts, and never an index term
  assert.ok((await e.neighbours('error correction', 5)).length > 0);
  assert.equal(e.colony.docs.df('error correction'), 0);
  assert.ok((await e.central(200)).some((h) => h.label === 'plasma membrane'), 'phrases take part in centrality');
  // words only: no phrase concept
  const off = new LocalEngine({ phrases: 0 });
  await off.ingest(docs);
  await off.tick('digest');
  assert.equal((await off.searchConcepts('error correction', 10)).hits.some((h) => h.label.includes(' ')), false);
});

test('partition invariance of phrase concept queries at small k (every seed survives a shard cut)', LONG, async () => {
  const single = new LocalEngine();
  await single.ingest(docs);
  await single.tick('digest');
  const cluster = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'a cluster of 3 shards did not start');
  try {
    const engine = cluster.engine();
    await within(engine.ingest(docs), 60_000, 'ingest on 3 shards did not finish');
    await within(engine.tick('digest'), 60_000, 'digestion on 3 shards did not finish');
    assert.equal(await engine.graphHash(), await single.graphHash());
    for (const k of [1, 3, 10]) assert.deepEqual(await within(answers(engine, k), 30_000, 'queries on 3 shards'), await answers(single, k), `k = ${k}`);
  } finally {
    await within(cluster.stop(), 30_000, 'the cluster did not stop');
  }
});
