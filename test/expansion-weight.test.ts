import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { EXPANSION_WEIGHT, expansionWeightOf } from '../src/search/bm25.js';
import { planQuery } from '../src/search/expansion.js';
import { CORPUS, ingestAndAnswer, LONG, within } from './helpers.js';

const seed = (label: string, graph: number) => ({ label, lexical: 1, graph });
const other = (label: string, graph: number) => ({ label, lexical: 0, graph });

describe('expansion weight: pure', () => {
  it('predictive weighting: weight × min(1, graph / (edgeUnit × documents)); graph weighting without a unit or a count', () => {
    const near = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} != ${y}`);
    // wired with the query's concepts in 3 of its 4 documents (mean edge weight 0.3 = 3 co-activations of 0.1)
    near(expansionWeightOf({ label: 'a', lexical: 0, graph: 0.3, documents: 4 }, 1, 0.1), 0.75);
    // a hub: seen in 30 documents, wired with them in 3
    near(expansionWeightOf({ label: 'b', lexical: 0, graph: 0.3, documents: 30 }, 1, 0.1), 0.1);
    // at most the weight
    near(expansionWeightOf({ label: 'c', lexical: 0, graph: 0.5, documents: 2 }, 0.5, 0.1), 0.5);
    near(expansionWeightOf({ label: 'd', lexical: 0, graph: 0.3, documents: 4 }, 0.5, 0), 0.15);
    near(expansionWeightOf({ label: 'e', lexical: 0, graph: 0.3 }, 0.5, 0.1), 0.15);
    const plan = planQuery(['cell', 'death'], [seed('cell', 0.5), seed('death', 0.3), { label: 'apoptosis', lexical: 0, graph: 0.2, documents: 4 }], { expansion: 2, coordination: true, stem: false, gate: 0.05, weight: 1, edgeUnit: 0.1 });
    assert.deepEqual(plan.weighted.map((t) => [t.term, t.weight]), [['cell', 1], ['death', 1], ['apoptosis', 0.5]]);
  });

  const concepts = [seed('cell', 0.5), seed('death', 0.3), other('apoptosis', 0.4), other('caspase', 0.2)];
  const opts = { expansion: 2, coordination: true, stem: false, gate: 0.05 };
  const weights = (weight?: number) => planQuery(['cell', 'death'], concepts, { ...opts, weight }).weighted.map((t) => [t.term, t.weight]);

  it('an expansion concept weighs expansionWeight × its graph score; the query terms weigh 1', () => {
    assert.deepEqual(weights(1), [['cell', 1], ['death', 1], ['apoptosis', 0.4], ['caspase', 0.2]]);
    assert.deepEqual(weights(0.5), [['cell', 1], ['death', 1], ['apoptosis', 0.2], ['caspase', 0.1]]);
    // without a weight, the default of before the field
    assert.deepEqual(weights(undefined), weights(EXPANSION_WEIGHT));
    assert.deepEqual(weights(undefined), [['cell', 1], ['death', 1], ['apoptosis', 0.4 * EXPANSION_WEIGHT], ['caspase', 0.2 * EXPANSION_WEIGHT]]);
  });

  it('config: expansionWeight in [0, 16], default 1; expansionPredict 0 or 1, default 1', () => {
    assert.equal(makeConfig().expansionWeight, 1);
    assert.equal(makeConfig().expansionPredict, 1);
    assert.throws(() => makeConfig({ expansionPredict: 2 }), /expansionPredict must be 0 or 1/);
    assert.throws(() => makeConfig({ expansionWeight: 17 }), /expansionWeight must be in \[0, 16\]/);
    assert.throws(() => makeConfig({ expansionWeight: -1 }), /expansionWeight must be a finite number >= 0/);
  });
});

describe('expansion weight: engines', () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  // queries of the sample whose gate is open (their concepts are wired together), so expansion applies
  const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).filter((q) => ['phq01', 'phq10', 'phq17', 'phq20'].includes(q.qid));
  const answers = (e: Engine) => ingestAndAnswer(e, docs, queries);

  it('predictive weighting changes the answers of one process, and 2 shards answer as one process', LONG, async () => {
    const expected = await answers(new LocalEngine());
    // graph weighting (the default before) answers otherwise, so a coordinator without the concepts'
    // document counts (which falls back to it) could not give the expected answers
    assert.notDeepEqual(expected, await answers(new LocalEngine({ expansionPredict: 0, expansionWeight: EXPANSION_WEIGHT })), 'predictive and graph weighting gave the same answers');
    assert.notDeepEqual(expected, await answers(new LocalEngine({ expansionWeight: 0.5 })), 'expansionWeight 1 and 0.5 gave the same answers');
    const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 60_000, 'a cluster of 2 shards did not start');
    try {
      assert.deepEqual(await within(answers(cluster.engine()), 60_000, 'the run on 2 shards did not finish'), expected);
    } finally {
      await cluster.stop();
    }
  });
});
