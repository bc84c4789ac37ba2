import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConceptGraph } from '../src/core/graph.js';
import { graphOf } from './graph-fixture.js';
import { renderGraphHtml } from '../src/viz/html.js';

const EVIL = '</script><b>x';

/** A hub with spokes, a triangle, a concept with an evil label, and a lone concept. */
function smallGraph(): ConceptGraph {
  const labels = ['hub', 'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', EVIL, 'lonely'];
  return graphOf(
    labels.map((label, i) => [label, 1 + (i === 0 ? 9 : i % 3)]),
    [
      ['hub', 'alpha', 0.6, 6],
      ['hub', 'beta', 0.4, 4],
      ['hub', 'gamma', 0.3, 3],
      ['hub', 'delta', 0.2, 2],
      ['hub', EVIL, 0.2, 2],
      ['alpha', 'beta', 0.3, 3],
      ['beta', 'gamma', 0.1, 1],
      ['epsilon', 'zeta', 0.1, 1],
    ],
  );
}

/** The JSON embedded in the page. */
function embedded(html: string): { nodes: { label: string; access: number }[]; edges: number[][]; totalNodes: number; totalEdges: number } {
  const m = /<script type="application\/json" id="phago-graph-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'data script present');
  return JSON.parse(m[1]);
}

test('renders a self-contained page with the concepts', () => {
  const html = renderGraphHtml(smallGraph(), 1, { title: 'Test <graph> & co', subtitle: 'sub "title"' });
  assert.match(html, /^<!doctype html>/i);
  for (const l of ['hub', 'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'lonely']) assert.ok(html.includes(l), `label ${l} present`);
  assert.ok(html.includes('Test &lt;graph&gt; &amp; co'), 'title escaped');
  assert.ok(!html.includes('Test <graph>'), 'no raw title markup');
  assert.ok(html.includes('sub &quot;title&quot;'), 'subtitle escaped');
  // no external resources
  assert.ok(!/<script[^>]+src=/i.test(html), 'no external scripts');
  assert.ok(!/<link\b/i.test(html), 'no linked resources');
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(html), 'no network URLs');
  assert.ok(!html.includes('Math.random'), 'no randomness');
  const data = embedded(html);
  assert.equal(data.nodes.length, 9);
  assert.equal(data.totalNodes, 9);
  assert.equal(data.totalEdges, 8);
  assert.equal(data.nodes[0].label, 'hub', 'largest weighted degree first');
});

test('escapes a label that tries to break out of the script tag', () => {
  const html = renderGraphHtml(smallGraph(), 1);
  assert.ok(!html.includes('</script><b>'), 'no raw </script><b>');
  assert.ok(!html.includes('<b>x'), 'no raw <b>x');
  // exactly two script elements are closed: the data and the code
  assert.equal(html.split('</script>').length - 1, 2);
  const data = embedded(html);
  assert.ok(data.nodes.some((n) => n.label === EVIL), 'label round-trips through the JSON');
});

test('is deterministic', () => {
  const a = renderGraphHtml(smallGraph(), 1, { title: 't', maxNodes: 5 });
  const b = renderGraphHtml(smallGraph(), 1, { title: 't', maxNodes: 5 });
  assert.equal(a, b);
  assert.equal(renderGraphHtml(smallGraph(), 1), renderGraphHtml(smallGraph(), 1));
});

test('respects maxNodes and maxEdgesPerNode', () => {
  const g = smallGraph();
  const data = embedded(renderGraphHtml(g, 1, { maxNodes: 3 }));
  assert.deepEqual(
    data.nodes.map((n) => n.label),
    ['hub', 'alpha', 'beta'],
  );
  assert.equal(data.totalNodes, 9);
  for (const [i, j] of data.edges) assert.ok(i < 3 && j < 3 && i < j);
  assert.equal(data.edges.length, 3);

  const one = embedded(renderGraphHtml(g, 1, { maxEdgesPerNode: 1 }));
  // each concept keeps only its strongest edge: every spoke to the hub (the spoke's best) and
  // epsilon–zeta survive; alpha–beta and beta–gamma are nobody's strongest, so they go
  const names = (e: number[]) => [one.nodes[e[0]].label, one.nodes[e[1]].label].sort().join('–');
  assert.deepEqual(
    one.edges.map(names).sort(),
    [EVIL, 'alpha', 'beta', 'delta', 'gamma'].map((l) => [l, 'hub'].sort().join('–')).concat(['epsilon–zeta']).sort(),
  );

  const none = renderGraphHtml(g, 1, { maxNodes: 0 });
  assert.match(none, /^<!doctype html>/i);
  assert.equal(embedded(none).nodes.length, 0);
  assert.throws(() => renderGraphHtml(g, 1, { maxNodes: -1 }), RangeError);
});

test('an empty graph is still a valid page', () => {
  const html = renderGraphHtml(graphOf([], []), 1, { title: 'Nothing' });
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /graph is empty/i);
  assert.ok(html.includes('<title>Nothing</title>'));
  assert.ok(html.trimEnd().endsWith('</html>'));
  const data = embedded(html);
  assert.equal(data.nodes.length, 0);
  assert.equal(data.edges.length, 0);
});
