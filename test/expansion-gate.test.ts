import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { conceptSearch, DEFAULT_ALPHA } from '../src/search/concepts.js';
import { ownTermCount, rankDocuments } from '../src/search/bm25.js';
import { needsConcepts, planQuery, queryDensity } from '../src/search/expansion.js';
import { CORPUS, ingestAndAnswer, LONG, within } from './helpers.js';

const seed = (label: string, graph: number) => ({ label, lexical: 1, graph });
const other = (label: string, graph: number) => ({ label, lexical: 0, graph });

describe('expansion gate: pure', () => {
  it('density is the mean graph score of the seeds, 0 with fewer than two', () => {
    assert.equal(queryDensity([seed('a', 0.2), seed('b', 0.4), other('c', 0.9)]), (0.2 + 0.4) / 2);
    assert.equal(queryDensity([seed('a', 0.2), other('c', 0.9)]), 0);
    assert.equal(queryDensity([]), 0);
  });

  it('a closed gate drops the expansion terms and coordination; gate 0 is always open', () => {
    const concepts = [seed('cell', 0.04), seed('death', 0.02), other('apoptosis', 0.3)];
    const opts = { expansion: 2, coordination: true, stem: false };
    const closed = planQuery(['cell', 'death'], concepts, { ...opts, gate: 0.05 });
    assert.equal(closed.open, false);
    assert.equal(closed.coordination, false);
    assert.deepEqual(closed.weighted.map((t) => t.term), ['cell', 'death']);
    const open = planQuery(['cell', 'death'], concepts, { ...opts, gate: 0 });
    assert.equal(open.coordination, true);
    assert.deepEqual(open.weighted.map((t) => [t.term, t.original]), [['cell', true], ['death', true], ['apoptosis', false]]);
    const wired = planQuery(['cell', 'death'], [seed('cell', 0.5), seed('death', 0.3), other('apoptosis', 0.3)], { ...opts, gate: 0.05 });
    assert.equal(wired.open, true);
    assert.equal(wired.weighted.length, 3);
    // coordination off stays off with the gate open
    assert.equal(planQuery(['cell', 'death'], [seed('cell', 0.5), seed('death', 0.3)], { ...opts, coordination: false, gate: 0.05 }).coordination, false);
  });

  it('a query longer than shortQuery needs no concept ranking; distinct index terms count', () => {
    const opts = { expansion: 5, coordination: true, gate: 0.05, stem: true, shortQuery: 4 };
    assert.equal(needsConcepts(opts, ['cell', 'membrane', 'transport', 'protein']), true);
    assert.equal(needsConcepts(opts, ['cell', 'membrane', 'transport', 'protein', 'channel']), false);
    // "cells" and "cell" are one index term (stems): four of their own
    assert.equal(ownTermCount(['cell', 'cells', 'membrane', 'transport', 'protein'], true), 4);
    assert.equal(needsConcepts(opts, ['cell', 'cells', 'membrane', 'transport', 'protein']), true);
    assert.equal(needsConcepts({ ...opts, shortQuery: 0 }, ['a1', 'b1', 'c1', 'd1', 'e1', 'f1']), true);
    assert.equal(needsConcepts({ ...opts, expansion: 0, coordination: false }, ['cell']), false);
    assert.equal(needsConcepts(opts, []), false);
  });

  it('skipping the concept ranking of a long query changes no answer', async () => {
    const e = new LocalEngine();
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
    await e.ingest(docs);
    await e.tick('digest');
    const { colony } = e as unknown as { colony: { docs: Parameters<typeof rankDocuments>[0]; graph: Parameters<typeof conceptSearch>[0]; currentTick: number } };
    const stats = { documents: colony.docs.index.documents, totalLength: colony.docs.index.totalLength, df: (t: string) => colony.docs.index.df(t) };
    const opts = { expansion: 5, coordination: true, gate: 0, stem: true, shortQuery: 4 };
    let compared = 0;
    for (const q of ['cell membrane transport proteins channels', 'quantum error correction surface codes qubits', 'gene regulation expression transcription factors']) {
      const terms = q.split(' ');
      assert.equal(needsConcepts(opts, terms), false, q);
      // with the ranking (gate 0: expansion terms and coordination are in the plan) and without it
      const concepts = conceptSearch(colony.graph, colony.currentTick, terms, { alpha: DEFAULT_ALPHA, k: terms.length + 5, wordsOnly: true, documents: true });
      const full = planQuery(terms, concepts, opts);
      assert.ok(full.weighted.some((t) => !t.original && !t.term.startsWith('=')), `${q}: the full plan has expansion terms`);
      const skipped = planQuery(terms, [], opts);
      assert.deepEqual(rankDocuments(colony.docs, stats, skipped.weighted, 10, { coordination: skipped.coordination }), rankDocuments(colony.docs, stats, full.weighted, 10, { coordination: full.coordination }), q);
      compared++;
    }
    assert.equal(compared, 3);
  });

  it('config: expansionGate in [0, 1]', () => {
    assert.throws(() => makeConfig({ expansionGate: 1.5 }), /expansionGate must be in \[0, 1\]/);
    assert.throws(() => makeConfig({ expansionGate: -0.1 }), /expansionGate must be a finite number >= 0/);
    assert.equal(makeConfig().expansionGate, 0.05);
  });
});

describe('expansion gate: an engine', () => {
  // "red" and "green" occur together (an edge of the graph); "blue" and "sun" never do
  const docs = [
    { id: 'rg1', title: 't', text: 'red green apple' },
    { id: 'rg2', title: 't', text: 'red green grass' },
    { id: 'r', title: 't', text: 'red red red red red' },
    { id: 'b', title: 't', text: 'blue blue blue blue blue sky' },
    { id: 'y', title: 't', text: 'yellow sun' },
    { id: 'by', title: 't', text: 'blue yellow' },
  ];
  const scores = async (gate: number, coordination: boolean, q: string) => {
    const e = new LocalEngine({ expansionGate: gate, proximity: 0, stemming: 0 }, {}, { expansion: 0, coordination });
    await e.ingest(docs);
    await e.tick('digest');
    return (await e.searchDocuments(q, 10)).hits.map((h) => [h.key, h.score]);
  };

  it('coordination only for a query whose concepts are wired together', async () => {
    const e = new LocalEngine({ proximity: 0, stemming: 0 });
    await e.ingest(docs);
    await e.tick('digest');
    const density = (q: string) => queryDensity(conceptSearch(e.colony.graph, e.colony.currentTick, q.split(' '), { alpha: DEFAULT_ALPHA, k: 4 }));
    assert.ok(density('red green') >= 0.05, `red green: density ${density('red green')}`);
    assert.ok(density('blue sun') < 0.05, `blue sun: density ${density('blue sun')}`);
    // wired: coordinated as with the gate off
    assert.deepEqual(await scores(0.05, true, 'red green'), await scores(0, true, 'red green'));
    assert.notDeepEqual(await scores(0.05, true, 'red green'), await scores(0.05, false, 'red green'));
    // not wired: as if coordination were off
    assert.deepEqual(await scores(0.05, true, 'blue sun'), await scores(0.05, false, 'blue sun'));
    assert.notDeepEqual(await scores(0, true, 'blue sun'), await scores(0, false, 'blue sun'));
  });
});

describe('expansion gate on a cluster', () => {
  it('3 shards answer as one process, for queries with the gate open and closed', LONG, async () => {
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
    const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).slice(0, 8);
    const config = { expansionGate: 0.05 };
    const single = new LocalEngine(config);
    const answers = (e: Engine) => ingestAndAnswer(e, docs, queries);
    const expected = await answers(single);
    // the sample holds both kinds of query
    const density = queries.map((q) => queryDensity(conceptSearch(single.colony.graph, single.colony.currentTick, q.text.toLowerCase().split(' '), { alpha: DEFAULT_ALPHA, k: 8 })));
    assert.ok(density.some((d) => d >= 0.05) && density.some((d) => d < 0.05), `densities ${density.join(', ')}`);
    // every local_query a shard answers is counted: a short document query takes two rounds (concepts,
    // then documents), a long one needs no concepts
    let asked = 0;
    const cluster = await within(EmbeddedCluster.start({ shards: 3, config, shardOptions: () => ({ beforeQuery: async () => void asked++ }) }), 60_000, 'a cluster of 3 shards did not start');
    try {
      const e = cluster.engine();
      assert.deepEqual(await within(answers(e), 120_000, 'the run on 3 shards did not finish'), expected);
      const rounds = async (q: string) => {
        const before = asked;
        const got = await within(e.searchDocuments(q, 10), 30_000, `the query "${q}" did not finish`);
        const brief = (hits: { id: string; score: number }[]) => hits.map((h) => [h.id, h.score]);
        assert.deepEqual(brief(got.hits), brief((await single.searchDocuments(q, 10)).hits), q);
        return (asked - before) / 3;
      };
      const open = queries[density.findIndex((d) => d >= 0.05)].text;
      const closed = queries[density.findIndex((d) => d < 0.05)].text;
      assert.equal(await rounds(open), 2, `"${open}": gate open, concepts then documents`);
      assert.equal(await rounds(closed), 2, `"${closed}": gate closed, concepts then documents`);
      assert.equal(await rounds('cell membrane transport proteins channels pumps'), 1, 'a long query: no concept round');
    } finally {
      await cluster.stop();
    }
  });
});
