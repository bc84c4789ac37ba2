import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import type { DocumentInput } from '../src/core/input.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { mergeRanked } from '../src/search/bm25.js';
import { minDistance, rescoreBonus } from '../src/search/rescore.js';
import { stem, tokenize } from '../src/text/tokenizer.js';
import { CORPUS, ingestAndAnswer, LONG, within } from './helpers.js';

const keys = async (e: LocalEngine, q: string) => (await e.searchDocuments(q, 10)).hits.map((h) => h.key);
/** The two hits of a query score the same (a tie, broken by DocumentId). */
const tied = async (e: LocalEngine, q: string) => {
  const hits = (await e.searchDocuments(q, 10)).hits;
  assert.equal(hits.length, 2);
  assert.equal(hits[0].score, hits[1].score);
};

async function engine(config: Parameters<typeof makeConfig>[0], docs: DocumentInput[]): Promise<LocalEngine> {
  const e = new LocalEngine(config, {}, { expansion: 0, coordination: false });
  await e.ingest(docs);
  return e;
}

describe('second stage: proximity, exact word forms, b', () => {
  it('minDistance: the closest occurrences of two different query terms, title then text', () => {
    const q = [{ term: 'cell', weight: 1 }, { term: 'membran', weight: 1 }];
    assert.equal(minDistance([], ['cell', 'x', 'y', 'membranes', 'cell'], q, true), 1);
    assert.equal(minDistance(['cell'], ['x', 'membrane'], q, true), 2);
    assert.equal(minDistance([], ['cell', 'cell', 'cells'], q, true), Infinity);
    assert.equal(minDistance([], ['cell', 'membranes'], q, false), Infinity); // without stemming "membranes" is not "membran"
  });

  it('proximity puts the document where the query words are together first; 0 turns it off', async () => {
    // same words, same counts, same length: only the distance between "error" and "correction" differs
    const docs = [
      { id: 'apart', title: 'a', text: 'error alpha beta gamma delta epsilon correction' },
      { id: 'near', title: 'b', text: 'alpha beta gamma delta epsilon error correction' },
    ];
    assert.deepEqual(await keys(await engine({ proximity: 1 }, docs), 'error correction'), ['near', 'apart']);
    await tied(await engine({ proximity: 0 }, docs), 'error correction');
  });

  it('with stemming, the exact word form of the query ranks first; exactWeight 0 turns it off', async () => {
    const docs = [
      { id: 'a-forms', title: 't', text: 'the connected devices' },
      { id: 'b-exact', title: 't', text: 'the connection devices' },
    ];
    const q = 'connection';
    assert.deepEqual(await keys(await engine({ stemming: 1, exactWeight: 0.4, proximity: 0 }, docs), q), ['b-exact', 'a-forms']);
    await tied(await engine({ stemming: 1, exactWeight: 0, proximity: 0 }, docs), q);
    // without stemming only the exact form matches at all
    assert.deepEqual(await keys(await engine({ stemming: 0, exactWeight: 0.4, proximity: 0 }, docs), q), ['b-exact']);
  });

  it('b = 1 normalizes length fully, b = 0 not at all', async () => {
    const docs = [
      { id: 'long', title: 't', text: `cache cache ${'filler '.repeat(40)}` },
      { id: 'short', title: 't', text: 'cache other' },
    ];
    assert.deepEqual(await keys(await engine({ bm25B: 1, proximity: 0 }, docs), 'cache'), ['short', 'long']);
    assert.deepEqual(await keys(await engine({ bm25B: 0, proximity: 0 }, docs), 'cache'), ['long', 'short']);
  });

  it('coordination applies to short queries only (shortQueryTerms; 0 = every query)', async () => {
    const docs = [
      { id: 'all', title: 't', text: 'red green blue yellow purple' },
      { id: 'few', title: 't', text: 'red red red red green green green' },
    ];
    const scores = async (shortQueryTerms: number, q: string) => {
      const e = new LocalEngine({ shortQueryTerms, proximity: 0, stemming: 0, expansionGate: 0 }, {}, { expansion: 0, coordination: true });
      await e.ingest(docs);
      return (await e.searchDocuments(q, 10)).hits.map((h) => [h.key, h.score]);
    };
    const long = 'red green blue yellow purple';
    // 5 terms > 4: no coordination, as if it were off
    const plain = new LocalEngine({ proximity: 0, stemming: 0 }, {}, { expansion: 0, coordination: false });
    await plain.ingest(docs);
    assert.deepEqual(await scores(4, long), (await plain.searchDocuments(long, 10)).hits.map((h) => [h.key, h.score]));
    // 0: coordination for every query: "few" matches 2 of 5 terms and is scaled by 2/5
    const coord = await scores(0, long);
    const unscaled = (await plain.searchDocuments(long, 10)).hits.find((h) => h.key === 'few')!.score;
    assert.ok(Math.abs((coord.find(([k]) => k === 'few')![1] as number) - (unscaled * 2) / 5) < 1e-12);
    assert.throws(() => makeConfig({ shortQueryTerms: 1.5 }), /shortQueryTerms must be an integer/);
  });

  it('config checks the new fields', () => {
    assert.throws(() => makeConfig({ bm25B: 1.5 }), /bm25B must be in \[0, 1\]/);
    assert.throws(() => makeConfig({ proximity: -1 }), /proximity must be a finite number >= 0/);
    assert.throws(() => makeConfig({ exactWeight: 17 }), /exactWeight must be in \[0, 16\]/);
  });

  it('mergeRanked picks the re-scored set by base score, then ranks it by score', () => {
    const h = (id: string, base: number, score: number) => ({ id, base, score });
    // 31 documents by base over two holders; the one with the lowest base is outside the re-scored set
    const a = Array.from({ length: 16 }, (_, i) => h(`a${String(i).padStart(2, '0')}`, 100 - i, 100 - i));
    const b = Array.from({ length: 15 }, (_, i) => h(`b${String(i).padStart(2, '0')}`, 50 - i, 50 - i));
    b.push(h('b-low', 1, 1000)); // a big second-stage score, but base 1 is not among the best 30
    const merged = mergeRanked([a, b], 10);
    assert.equal(merged[0].id, 'a00');
    assert.ok(!merged.some((x) => x.id === 'b-low'));
  });
});

describe('second stage on a cluster', () => {
  it('stemming, exact forms, proximity and b: 3 shards answer as one process', LONG, async () => {
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
    const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).slice(0, 8);
    const config = { stemming: 1, exactWeight: 0.7, proximity: 2, bm25B: 0.9 };
    const answers = (e: Engine) => ingestAndAnswer(e, docs, queries);
    const single = await answers(new LocalEngine(config));
    const cluster = await within(EmbeddedCluster.start({ shards: 3, config }), 60_000, 'a cluster of 3 shards did not start');
    try {
      assert.deepEqual(await within(answers(cluster.engine()), 120_000, 'the run on 3 shards did not finish'), single);
    } finally {
      await cluster.stop();
    }
  });
});

it('after forgets and ingests, the second stage scores as a colony that only ever held the surviving documents', async () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const queries = ['cell membrane transport proteins', 'quantum error correction codes', 'neural networks learning', 'gene expression regulation', 'membrane proteins'];
  const ask = async (e: LocalEngine) => {
    const out: string[] = [];
    for (const q of queries) out.push((await e.searchDocuments(q, 10)).hits.map((h) => `${h.id}:${h.score.toFixed(12)}`).join(' '));
    return out;
  };
  // the graph differs between the two (other ticks); without expansion and coordination the scores
  // come from the documents' text and the collection statistics only
  const changed = await engine({}, docs.slice(0, 40));
  await changed.forget(docs.slice(0, 20).map((d) => d.id!));
  await changed.ingest(docs.slice(40, 70));
  await changed.forget(docs.slice(45, 50).map((d) => d.id!));
  const fresh = await engine({}, [...docs.slice(20, 45), ...docs.slice(50, 70)]);
  const want = await ask(fresh);
  assert.ok(want.every((line) => line.length > 0), 'every query finds documents');
  assert.deepEqual(await ask(changed), want);
});

it('the proximity bonus read from the windows is the model\'s: minDistance over the document\'s tokens', async () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const e = await engine({ exactWeight: 0, proximity: 1 }, docs.slice(0, 50));
  const table = e.colony.part.docs;
  const ix = table.index;
  const stats = { documents: ix.documents, totalLength: ix.totalLength, df: (t: string) => ix.df(t) };
  let near = 0;
  for (const q of ['cell membrane transport', 'quantum error correction', 'membrane proteins cell', 'energy production mitochondria']) {
    const originals = [...new Set(tokenize(q).map((w) => stem(w)))].map((term) => ({ term, weight: 1, original: true }));
    for (const n of table.numbers()) {
      const d = table.record(n);
      // the sample's texts are shorter than RESCORE_CHARS: the window is every token
      const dist = minDistance(tokenize(d.title), tokenize(d.text), originals, true);
      const want = dist < Infinity ? Math.log(1 + Math.exp(-dist) / 0.3) : 0;
      if (dist < Infinity) near++;
      assert.equal(rescoreBonus(table, stats, n, originals, []), want, `"${q}", document ${d.key}`);
    }
  }
  assert.ok(near > 20, `${near} documents with two query terms`);
});
