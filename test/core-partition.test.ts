import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS } from './helpers.js';
import { Colony } from '../src/colony/colony.js';
import { makeConfig } from '../src/core/config.js';
import { validateDocument } from '../src/core/input.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import { type Candidate } from '../src/core/documents.js';
import { restrictPresentation } from '../src/core/presentation.js';
import type { Presentation } from '../src/core/graph.js';
import { canonicalLines, hashCanonical } from '../src/core/hash.js';
import { Partition, type LabelPair } from '../src/core/partition.js';
import { planDigestion } from './plan-reference.js';
import { Placement } from '../src/cluster/placement.js';
import { nodeIdOf } from '../src/ids/ids.js';
import { newTextIndex } from '../src/search/text-index.js';

const docs = readFileSync(join(CORPUS, 'docs.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { id: string; title: string; text: string });

/** Live edges whose first endpoint the partition owns, by a scan of every edge. */
function primaryByScan(p: Partition): number {
  let n = 0;
  for (const e of p.graph.edgeNumbers()) if (p.graph.isOwned(p.graph.endpointA(e))) n++;
  return n;
}

/** N partitions in one process exchanging exactly what shards exchange; no network. */
function runPartitioned(n: number, perTick: number, batches: number): string {
  const config = makeConfig({ digestPerTick: perTick });
  const placement = new Placement(Array.from({ length: n }, (_, i) => i + 1));
  const parts = placement.shards.map((s) => new Partition(config, newTextIndex(), (id) => placement.owner(id) === s));
  const ownerOfLabel = (l: string) => placement.owner(nodeIdOf(l));
  let tick = 0;
  const per = Math.ceil(docs.length / batches);
  for (let b = 0; b < batches; b++) {
    for (const d of docs.slice(b * per, (b + 1) * per)) {
      const v = validateDocument(d, DEFAULT_LIMITS);
      parts[placement.shards.indexOf(placement.owner(v.id))].ingest([v], tick);
    }
    for (let k = 0; k < 3; k++) {
      const t = ++tick;
      const cands: Candidate[] = [];
      for (const p of parts) {
        p.begin(t);
        cands.push(...p.candidates(t, perTick));
      }
      const chosen = new Set(planDigestion(cands, perTick).map((c) => c.id));
      const inbox = parts.map(() => [] as Presentation[]);
      parts.forEach((p) => {
        const mine = cands.filter((c) => chosen.has(c.id) && p.ownsKey(c.id)).map((c) => c.id);
        for (const pres of p.digest(t, mine)) {
          placement.shards.forEach((s, i) => {
            const r = restrictPresentation(pres, (l) => ownerOfLabel(l) === s);
            if (r) inbox[i].push(r);
          });
        }
      });
      const drops = parts.map(() => [] as LabelPair[]);
      const own = parts.map((p, i) => {
        p.present(t, inbox[i].reverse()); // arrival order must not matter
        p.prune(t);
        const v = p.verdicts(t);
        for (const [x, y] of p.verdictPairs(v)) {
          for (const l of [x, y]) {
            const o = placement.shards.indexOf(ownerOfLabel(l));
            if (o !== i) drops[o].push([x, y]);
          }
        }
        return v;
      });
      parts.forEach((p, i) => {
        p.drop(t, own[i], drops[i]);
        p.commit();
      });
    }
  }
  const nodes: string[] = [];
  const edges: string[] = [];
  for (const p of parts) {
    // the count each shard reports, kept as edges link and die, is what a scan finds
    assert.equal(p.graph.primaryEdgeCount(), primaryByScan(p), `${n} partitions: primary edges`);
    const l = canonicalLines(p.graph, tick, (e) => p.ownsKey(e.a));
    nodes.push(...l.nodes);
    edges.push(...l.edges);
  }
  return hashCanonical(nodes, edges);
}

function runColony(perTick: number, batches: number): string {
  const c = new Colony({ digestPerTick: perTick });
  const per = Math.ceil(docs.length / batches);
  for (let b = 0; b < batches; b++) {
    for (const d of docs.slice(b * per, (b + 1) * per)) c.ingest(d);
    c.run(3);
  }
  return c.graphHash();
}

test('partitions exchanging presentations and verdicts build the graph one process builds', () => {
  for (const perTick of [7, 64]) {
    const want = runColony(perTick, 4);
    for (const n of [1, 2, 3, 5]) assert.equal(runPartitioned(n, perTick, 4), want, `${n} partitions, ${perTick} per tick`);
  }
});

test('an aborted tick rolls back to the exact prior state', () => {
  const config = makeConfig({ digestPerTick: 16 });
  const a = new Partition(config, newTextIndex());
  const b = new Partition(config, newTextIndex());
  for (const d of docs) {
    a.ingest([validateDocument(d, DEFAULT_LIMITS)], 0);
    b.ingest([validateDocument(d, DEFAULT_LIMITS)], 0);
  }
  for (let t = 1; t <= 8; t++) {
    // a: every tick first runs once and is rolled back, then runs for real
    a.begin(t);
    const ids = planDigestion(a.candidates(t, 16), 16).map((c) => c.id);
    a.present(t, a.digest(t, ids));
    a.prune(t);
    a.drop(t, a.verdicts(t));
    a.rollback();
    assert.equal(a.graph.primaryEdgeCount(), primaryByScan(a), `tick ${t}: primary edges after the rollback`);
    a.runTick(t, 16);
    b.runTick(t, 16);
  }
  assert.equal(a.graph.primaryEdgeCount(), a.graph.edgeCount); // one holder owns every key
  const h = (p: Partition) => {
    const l = canonicalLines(p.graph, 8, () => true);
    return hashCanonical(l.nodes, l.edges);
  };
  assert.equal(h(a), h(b));
  assert.equal(a.docs.pendingCount, b.docs.pendingCount);
  // a membership change: the count follows the new ownership, and the edges the holder then drops
  const half = new Placement([1, 2]);
  a.setOwnership((id) => half.owner(id) === 1);
  assert.equal(a.graph.primaryEdgeCount(), primaryByScan(a));
  assert.ok(a.graph.primaryEdgeCount() > 0 && a.graph.primaryEdgeCount() < a.graph.edgeCount);
  a.graph.retainOwned();
  assert.equal(a.graph.primaryEdgeCount(), primaryByScan(a));
});
