/**
 * The README's dashboard screenshots: the sample corpus on an embedded 3-shard cluster, the dashboard
 * served in this process, and headless Chromium (/usr/bin/chromium, or $CHROMIUM) capturing
 * docs/dashboard-cluster.png (cluster view and a query) and docs/dashboard-explorer.png (the graph
 * explorer after expanding two concepts). Run: npm run build && node dist/scripts/screenshots.js
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { dashboardApp } from '../src/dashboard/app.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { listenHttp } from '../src/util/http.js';
import { sampleCorpus } from '../src/util/paths.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = (f: string) => join(root, 'docs', f);

const cluster = await EmbeddedCluster.start({ shards: 3 });
const engine = cluster.engine();
await engine.ingest(readDocsJsonl(sampleCorpus().docs));
await engine.tick('digest');
const { app, feed } = dashboardApp(engine, { title: 'sample corpus, embedded cluster: coordinator + 3 shards' });
const http = await listenHttp(app.fetch, '127.0.0.1', 0);
const url = `http://127.0.0.1:${http.port}/`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page.setDefaultTimeout(30_000);

  // the cluster view and a query
  await page.goto(`${url}?q=${encodeURIComponent('cell membrane transport')}&k=5&concept=membrane`);
  await page.waitForSelector('#shards tr[data-shard]');
  await page.waitForSelector('#doc-hits li .title');
  await page.waitForTimeout(1500); // heartbeat ages tick, the live dot settles
  const search = await page.$('#search');
  const box = await search!.boundingBox();
  await page.screenshot({ path: out('dashboard-cluster.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(box!.y + box!.height + 20) } });

  // the explorer: a concept's neighbourhood, two expansions, the side list
  await page.waitForFunction(() => document.querySelector('#side h3')?.textContent === 'membrane');
  for (const l of ['transport', 'proteins']) {
    const li = await page.$(`#side li[data-label="${l}"]`);
    if (!li) continue;
    await li.click();
    await page.waitForFunction((x) => document.querySelector('#side h3')?.textContent === x, l);
  }
  await page.waitForTimeout(800); // the camera animation
  await (await page.$('#explorer'))!.screenshot({ path: out('dashboard-explorer.png') });
  console.log(`wrote ${out('dashboard-cluster.png')} and ${out('dashboard-explorer.png')}`);
} finally {
  await browser.close();
  feed.stop();
  await http.close();
  await engine.close();
}
