import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { EXPANSION_WEIGHT } from '../src/search/bm25.js';
import { planQuery } from '../src/search/expansion.js';
import { CORPUS, ingestAndAnswer, LONG, within } from './helpers.js';

const seed = (label: string, graph: number) => ({ label, lexical: 1, graph });
const other = (label: string, graph: number) => ({ label, lexical: 0, graph });

describe('expansion weight: pure', () => {
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

  it('config: expansionWeight in [0, 16], default 0.25', () => {
    assert.equal(makeConfig().expansionWeight, 0.25);
    assert.equal(makeConfig().expansionWeight, EXPANSION_WEIGHT);
    assert.throws(() => makeConfig({ expansionWeight: 17 }), /expansionWeight must be in \[0, 16\]/);
    assert.throws(() => makeConfig({ expansionWeight: -1 }), /expansionWeight must be a finite number >= 0/);
  });
});

describe('expansion weight: engines', () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  // queries of the sample whose gate is open (their concepts are wired together), so expansion applies
  const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).filter((q) => ['phq01', 'phq10', 'phq17', 'phq20'].includes(q.qid));
  const answers = (e: Engine) => ingestAndAnswer(e, docs, queries);

  it('the weight changes the answers of one process, and 2 shards answer as one process', LONG, async () => {
    const config = { expansionWeight: 1 };
    const expected = await answers(new LocalEngine(config));
    assert.notDeepEqual(expected, await answers(new LocalEngine()), 'expansionWeight 1 and 0.25 gave the same answers');
    const cluster = await within(EmbeddedCluster.start({ shards: 2, config }), 60_000, 'a cluster of 2 shards did not start');
    try {
      assert.deepEqual(await within(answers(cluster.engine()), 60_000, 'the run on 2 shards did not finish'), expected);
    } finally {
      await cluster.stop();
    }
  });
});
