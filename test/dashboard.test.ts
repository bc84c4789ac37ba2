import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { fan, line, ring, separate } from '../src/dashboard/client/layout.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { ClusterEngine } from '../src/engine/cluster.js';
import { readDocsJsonl } from '../src/io/files.js';
import { CORPUS, killStarted, startProcess, within } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
/** A third of the sample corpus, across its topics. */
const some = docs.filter((_, i) => i % 3 === 0);

let cluster: EmbeddedCluster;
let engine: ClusterEngine;
let url = '';

before(async () => {
  cluster = await within(EmbeddedCluster.start({ shards: 2 }), 30_000, 'the embedded cluster did not start');
  engine = cluster.engine();
  await within(engine.ingest(some), 30_000, 'ingest did not finish');
  await within(engine.tick('digest'), 60_000, 'digestion did not finish');
  const { match } = await startProcess(['dashboard', '--coordinator', cluster.address, '--http-port', '0'], /dashboard (http:\/\/127\.0\.0\.1:\d+\/)/, 20_000, { PHAGO_TOKEN: cluster.security.token! });
  url = match[1];
});

after(async () => {
  killStarted();
  await engine?.close();
});

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await within(fetch(url + path.replace(/^\//, '')), 10_000, `GET ${path} did not answer`);
  return { status: res.status, body: await res.json() };
}

test('dashboard JSON endpoints: cluster, query, neighbours, path, central; bad parameters are 400 JSON errors', { timeout: 60_000 }, async () => {
  const c = await get('/api/cluster');
  assert.equal(c.status, 200);
  assert.equal(c.body.mode, 'cluster');
  assert.equal(c.body.shards.length, 2);
  assert.ok(c.body.shards.every((s: { status: string; lastHeartbeatMs: number }) => s.status === 'ONLINE' && s.lastHeartbeatMs > 0));
  assert.equal(c.body.stats.documents, some.length);
  assert.equal(c.body.tick, (await engine.stats()).tick);

  const q = await get('/api/query?q=cell%20membrane%20transport&k=3');
  assert.equal(q.status, 200);
  assert.deepEqual(q.body.documents.map((d: { key: string }) => d.key), (await engine.searchDocuments('cell membrane transport', 3)).hits.map((h) => h.key), 'the same ranking as the engine');
  assert.ok(q.body.concepts.length > 0);
  const nb = await get(`/api/neighbours?label=${encodeURIComponent(q.body.concepts[0].label)}&k=4`);
  assert.equal(nb.status, 200);
  assert.ok(nb.body.neighbours.length > 0 && nb.body.neighbours.length <= 4);
  const p = await get(`/api/path?from=${encodeURIComponent(q.body.concepts[0].label)}&to=${encodeURIComponent(nb.body.neighbours[0].label)}`);
  assert.equal(p.body.found, true);
  assert.equal((await get('/api/central?k=5')).body.concepts.length, 5);

  for (const [path, re] of [
    ['/api/query?k=3', /^q: the query text is required/],
    ['/api/query?q=x&k=abc', /^k: must be an integer from 1 to 50, got "abc"/],
    ['/api/query?q=x&k=51', /^k: must be at most 50/],
    ['/api/query?q=x&target=all', /^target: must be documents, concepts or both/],
    ['/api/neighbours', /^label: a concept label is required/],
    ['/api/path?from=qubit', /^to: /],
  ] as const) {
    const r = await get(path);
    assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error, re);
  }
  const unknown = await get('/api/neighbours?label=no-such-concept');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /no concept labelled "no-such-concept"/);
  assert.equal((await get('/api/nothing')).status, 404);
});

test('dashboard events: a committed tick is pushed to an open stream', { timeout: 60_000 }, async () => {
  const ac = new AbortController();
  const res = await within(fetch(`${url}api/events`, { signal: ac.signal }), 10_000, 'GET /api/events did not answer');
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const nextEvent = async () => {
    for (;;) {
      const end = buf.indexOf('\n\n');
      if (end >= 0) {
        const raw = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = raw.split('\n').find((l) => l.startsWith('data: '));
        if (data) return JSON.parse(data.slice(6));
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buf += dec.decode(value, { stream: true });
    }
  };
  try {
    const first = await within(nextEvent(), 10_000, 'no first event');
    const tick = first.tick;
    await within(engine.ingest([{ id: 'late-news', text: 'a freshly arrived document about superconducting qubit calibration' }]), 20_000, 'ingest did not finish');
    await within(engine.tick('digest'), 30_000, 'the tick did not commit');
    let e = first;
    const end = Date.now() + 15_000;
    while (e.tick <= tick || e.stats.documents !== some.length + 1) {
      assert.ok(Date.now() < end, `no event for tick ${tick + 1} within 15 s (last: tick ${e.tick})`);
      e = await within(nextEvent(), 15_000, `no event for tick ${tick + 1}`);
    }
    assert.equal(e.stats.pending, 0);
  } finally {
    ac.abort();
  }
});

test('the dashboard in headless Chromium: shards, a query\'s hits, the graph explorer, live ticks', { timeout: 90_000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent (.ci/run installs Debian's chromium)`);
    return;
  }
  let browser: Browser | undefined;
  try {
    browser = await within(chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 30_000 }), 35_000, 'chromium did not start');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.setDefaultTimeout(20_000);
    await page.goto(`${url}?concept=membrane`); // a neighbourhood, not the central concepts (cheaper) on load
    // the cluster view: both shards, online, with counts
    await page.waitForFunction(() => document.querySelectorAll('#shards tr[data-shard]').length === 2);
    const rows = await page.$$eval('#shards tr[data-shard]', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(rows.map((r) => r[2]), ['ONLINE', 'ONLINE']);
    assert.equal(rows.reduce((s, r) => s + Number(r[3].replace(/,/g, '')), 0), (await engine.stats()).documents);
    assert.equal(await page.textContent('#live-text'), 'live');

    // a query: its hits, in the engine's order
    await page.fill('#q', 'cell membrane transport');
    await page.click('#query-form button[type=submit]');
    await page.waitForSelector('#doc-hits li .title');
    const shown = await page.$$eval('#doc-hits li .title', (els) => els.map((e) => e.firstChild?.textContent ?? ''));
    const expected = (await engine.searchDocuments('cell membrane transport', 10)).hits.map((h) => h.title || h.key);
    assert.deepEqual(shown, expected);
    assert.ok((await page.$$('#concept-hits li[data-label]')).length > 0, 'concept hits shown');

    // the explorer: a concept's neighbourhood, then expanding a neighbour from the side list
    const label = await page.getAttribute('#concept-hits li[data-label]', 'data-label');
    await page.click('#concept-hits li[data-label]');
    await page.waitForFunction((l) => document.querySelector('#side h3')?.textContent === l, label);
    const before = Number(await page.getAttribute('#graph', 'data-nodes'));
    assert.ok(before > 1, 'the neighbourhood is drawn');
    const side = await page.$$eval('#side li[data-label]', (lis) => lis.map((li) => (li as HTMLElement).dataset.label!));
    await page.click(`#side li[data-label="${side[0]}"]`);
    await page.waitForFunction((l) => document.querySelector('#side h3')?.textContent === l, side[0]);
    assert.ok(Number(await page.getAttribute('#graph', 'data-nodes')) >= before);
    // a path between two concepts
    await page.fill('#from', label!);
    await page.fill('#to', side[0]);
    await page.click('#path-btn');
    await page.waitForFunction(() => /^Path, cost/.test(document.querySelector('#side h3')?.textContent ?? ''));
    // a bad label: the page says so
    await page.fill('#concept', 'no-such-concept');
    await page.click('#explore-form button[type=submit]');
    await page.waitForFunction(() => /no concept labelled/.test(document.querySelector('#explore-error')?.textContent ?? ''));

    // live: a tick committed elsewhere shows up without reloading
    const tickBefore = Number((await page.textContent('#t-tick'))!.replace(/,/g, ''));
    await within(engine.ingest([{ id: 'browser-news', text: 'trapped ion qubit gates reach high fidelity' }]), 20_000, 'ingest did not finish');
    await within(engine.tick('digest'), 30_000, 'the tick did not commit');
    await page.waitForFunction((t) => Number(document.querySelector('#t-tick')!.textContent!.replace(/,/g, '')) > t, tickBefore);
    assert.deepEqual(errors, [], 'no script errors');
  } finally {
    await browser?.close();
  }
});

test('phago demo --serve: the sample corpus on an embedded cluster, and the dashboard\'s URL', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-demo-'));
  try {
    const { child, match } = await startProcess(['demo', '--serve', '--http-port', '0', '--shards', '2', '--out', join(dir, 'g.html')], /dashboard (http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
    const res = await within(fetch(`${match[1]}api/cluster`), 10_000, 'GET /api/cluster did not answer');
    const body = (await res.json()) as { stats: { documents: number; pending: number }; shards: unknown[] };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.stats.documents, docs.length);
    assert.equal(body.stats.pending, 0);
    assert.equal(body.shards.length, 2);
    assert.ok(existsSync(join(dir, 'g.html')), 'the static page is still written');
    const page = await within(fetch(match[1]), 10_000, 'GET / did not answer');
    assert.match(await page.text(), /<script src="\/assets\/dashboard.js">/);
    const js = await within(fetch(`${match[1]}assets/dashboard.js`), 10_000, 'GET the bundle did not answer');
    assert.equal(js.status, 200);
    assert.ok((await js.text()).length > 50_000, 'the bundle carries sigma and graphology');
    child.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('explorer layout: rings, fans away from the centre, paths, separation keeps pinned nodes', () => {
  const r = ring({ x: 0, y: 0 }, 1, 4);
  assert.deepEqual(r.map((p) => [Math.round(p.x), Math.round(p.y)]), [[0, -1], [1, 0], [0, 1], [-1, 0]]);
  const f = fan({ x: 1, y: 0 }, { x: 0, y: 0 }, 0.5, 3);
  assert.ok(f.every((p) => p.x > 1 - 1e-9 - 0.5 * Math.sin(0.6 * Math.PI - Math.PI / 2)), 'fans out to the right, away from the origin');
  assert.ok(Math.abs(f[1].x - 1.5) < 1e-9 && Math.abs(f[1].y) < 1e-9, 'the middle one points straight away');
  const l = line({ x: -1, y: 0 }, { x: 1, y: 0 }, 5);
  assert.deepEqual([l[0].x, l[4].x, l[0].y, l[4].y].map((v) => Math.round(v * 1e9) / 1e9), [-1, 1, 0, 0]);
  const s = separate([{ x: 0, y: 0 }, { x: 0, y: 0 }, { x: 0.05, y: 0 }], [true, false, false], 0.3);
  assert.deepEqual(s[0], { x: 0, y: 0 }, 'a pinned node stays');
  for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) assert.ok(Math.hypot(s[i].x - s[j].x, s[i].y - s[j].y) >= 0.3 - 1e-6, `points ${i} and ${j} are apart`);
  assert.deepEqual(separate([{ x: 0, y: 0 }, { x: 0, y: 0 }], [false, false], 0.3), separate([{ x: 0, y: 0 }, { x: 0, y: 0 }], [false, false], 0.3), 'deterministic');
});
