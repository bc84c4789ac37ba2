import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeConfig } from '../src/core/config.js';
import { LocalEngine } from '../src/engine/local.js';
import { rankConcepts, topCandidates, type ConceptCandidate } from '../src/search/concepts.js';

const cand = (id: string, seed: boolean, affinity: number, accessCount: number): ConceptCandidate => ({ id, label: id, seed, affinity, accessCount });

describe('concept ties: the more specific concept first (specificFirst)', () => {
  it('rankConcepts breaks a tie of score by fewer documents with specificFirst, by more without', () => {
    const cands = [cand('structure', true, 0, 40), cand('cytoskeleton', true, 0, 3), cand('actin', false, 0.1, 5), cand('cell', false, 0.1, 90)];
    const on = rankConcepts(cands, 2, { alpha: 0.5, k: 10, specificFirst: true }).map((h) => h.label);
    const off = rankConcepts(cands, 2, { alpha: 0.5, k: 10, specificFirst: false }).map((h) => h.label);
    assert.deepEqual(on, ['cytoskeleton', 'structure', 'actin', 'cell']);
    assert.deepEqual(off, ['structure', 'cytoskeleton', 'cell', 'actin']);
  });

  it("a shard's cut keeps every candidate tied with its k-th, so either tie order gives the answer of one holder", () => {
    const cands = [cand('a', false, 0.3, 9), cand('b', false, 0.1, 50), cand('c', false, 0.1, 2), cand('d', false, 0.1, 7), cand('e', false, 0.05, 1), cand('s', true, 0, 4)];
    const cut = topCandidates([...cands], 2);
    assert.deepEqual(cut.map((c) => c.id).sort(), ['a', 'b', 'c', 'd', 's']);
    for (const specificFirst of [true, false]) {
      const opts = { alpha: 0.5, k: 2, specificFirst };
      // two holders, each cutting its own: the union ranks as all candidates together
      const union = [...topCandidates(cands.filter((_, i) => i % 2 === 0), 2), ...topCandidates(cands.filter((_, i) => i % 2 === 1), 2)];
      assert.deepEqual(rankConcepts(union, 1, opts), rankConcepts(cands, 1, opts));
    }
  });

  it('the engine reads the switch from the config; it is 0 or 1', async () => {
    const docs = [
      { id: 'd1', title: 't', text: 'cytoskeleton structure' },
      { id: 'd2', title: 't', text: 'structure bridge' },
      { id: 'd3', title: 't', text: 'structure building' },
    ];
    const first = async (specificFirst: number) => {
      const e = new LocalEngine({ specificFirst });
      await e.ingest(docs);
      await e.tick('digest');
      return (await e.searchConcepts('structure cytoskeleton', 2)).hits.map((h) => h.label);
    };
    assert.deepEqual(await first(1), ['cytoskeleton', 'structure']);
    assert.deepEqual(await first(0), ['structure', 'cytoskeleton']);
    assert.throws(() => makeConfig({ specificFirst: 2 }), /specificFirst must be 0 or 1/);
  });
});
