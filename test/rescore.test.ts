import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { mergeRanked } from '../src/search/bm25.js';
import { cachedWindows, dropWindows, minDistance, setMaxWindowDictionary, setWindowRing, windowDictionarySize } from '../src/search/rescore.js';
import { CORPUS, ingestAndAnswer, LONG, within } from './helpers.js';

const keys = async (e: LocalEngine, q: string) => (await e.searchDocuments(q, 10)).hits.map((h) => h.key);
/** The two hits of a query score the same (a tie, broken by DocumentId). */
const tied = async (e: LocalEngine, q: string) => {
  const hits = (await e.searchDocuments(q, 10)).hits;
  assert.equal(hits.length, 2);
  assert.equal(hits[0].score, hits[1].score);
};

async function engine(config: Parameters<typeof makeConfig>[0], docs: { id: string; title: string; text: string }[]): Promise<LocalEngine> {
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

/** A colony of the sample's first `n` documents, digested, and its answers (ids and scores) to `queries`. */
async function sampleColony(n: number, queries: readonly string[]) {
  const e = new LocalEngine();
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  await e.ingest(docs.slice(0, n));
  await e.tick('digest');
  const ask = async () => {
    const out: string[] = [];
    for (const q of queries) out.push((await e.searchDocuments(q, 10)).hits.map((h) => `${h.id}:${h.score.toFixed(12)}`).join(' '));
    return out;
  };
  return { e, docs, table: e.colony.part.docs, ask };
}

it('the second stage gives the same scores from its cached windows as from a cold cache, also after a forget and an ingest', async () => {
  const { e, docs, table, ask } = await sampleColony(40, ['cell membrane transport proteins', 'quantum error correction codes', 'neural networks learning']);
  const warm1 = await ask();
  const warm2 = await ask(); // every window cached now
  dropWindows(table);
  assert.deepEqual(warm2, warm1);
  assert.deepEqual(await ask(), warm1, 'a cold cache gives the same scores');
  // forgotten documents leave, others come (document numbers may be reused): cached windows of the
  // old texts must not be used for the new ones
  await e.forget(docs.slice(0, 20).map((d) => d.id!));
  await e.ingest(docs.slice(40, 70));
  await e.tick('digest');
  const after = await ask();
  dropWindows(table);
  assert.deepEqual(await ask(), after, 'after a forget and an ingest, the same scores as from a cold cache');
  // a dictionary past its bound starts again with the windows: the same scores, bounded memory
  const big = windowDictionarySize(table);
  assert.ok(big > 100, `${big} tokens in the dictionary`);
  const was = setMaxWindowDictionary(100);
  try {
    assert.deepEqual(await ask(), after, 'the same scores while the dictionary starts again');
    assert.ok(windowDictionarySize(table) < big, `the dictionary started again (${windowDictionarySize(table)} tokens)`);
    assert.deepEqual(await ask(), after);
  } finally {
    setMaxWindowDictionary(was);
  }
});

it('cached windows in a small ring (evicted, wrapped, copied to the front, too large to cache) give the scores of a cold cache', async () => {
  const { table, ask } = await sampleColony(60, ['cell membrane transport proteins', 'quantum error correction codes', 'neural networks learning', 'gene expression regulation', 'membrane proteins']);
  dropWindows(table);
  const reference = await ask();
  // the sample's windows are 200-400 tokens: a ring of 64 caches none; 1,200 and 2,500 tokens hold a few
  // (bound by tokens: wrapping and overlaps), 4,000 tokens with 5 records is bound by records
  for (const [tokens, windowCount] of [[64, 4], [1200, 50], [2500, 50], [4000, 5]]) {
    const was = setWindowRing(tokens, windowCount);
    try {
      dropWindows(table);
      for (let round = 0; round < 3; round++) assert.deepEqual(await ask(), reference, `ring of ${tokens} tokens, ${windowCount} windows, round ${round}`);
      const n = cachedWindows(table);
      assert.ok(n <= windowCount, `${n} windows cached in a ring of ${windowCount}`);
      if (tokens >= 1200) assert.ok(n > 0, `windows are cached in a ring of ${tokens} tokens`);
      else assert.equal(n, 0, 'a window over half the ring is not cached');
    } finally {
      setWindowRing(was.tokens, was.windows);
    }
  }
});
