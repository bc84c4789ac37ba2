import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { PhagoError } from '../core/errors.js';
import { clusterView } from '../engine/cluster-status.js';
import type { Engine } from '../engine/engine.js';
import { describeError, isGrpcError } from '../rpc/client.js';
import { clock } from '../util/clock.js';
import { ClusterFeed, type FeedEvent } from './feed.js';
import { dashboardPage } from './page.js';
import { BadRequest, CentralParams, NeighboursParams, parseParams, PathParams, QueryParams } from './params.js';

/** The page's script: bundled by esbuild at build time (scripts/bundle-dashboard.ts) next to this file. */
export const BUNDLE = join(dirname(fileURLToPath(import.meta.url)), 'public', 'dashboard.js');

export interface DashboardOptions {
  /** Shown in the page's header, e.g. "embedded cluster, sample corpus". */
  title?: string;
  /** How often the event stream reads the cluster while a page is open. */
  pollMs?: number;
}

/** HTTP status of an engine failure: bad input 400, unknown label 404, cluster unreachable 503. */
function statusOf(e: unknown): 400 | 404 | 503 | 500 {
  if (e instanceof BadRequest) return 400;
  if (e instanceof PhagoError) return e.code === 'NOT_FOUND' ? 404 : 400;
  if (isGrpcError(e)) return e.code === 3 ? 400 : e.code === 5 ? 404 : e.code === 14 || e.code === 4 ? 503 : 500;
  return 500;
}

async function answer(c: Context, fn: () => Promise<unknown>) {
  try {
    return c.json(await fn());
  } catch (e) {
    return c.json({ error: describeError(e) }, statusOf(e));
  }
}

/**
 * The dashboard: one HTML page, its bundled script, and the JSON endpoints it reads (docs/dashboard.md).
 * Only reads: it never ingests or ticks.
 */
export function dashboardApp(engine: Engine, opts: DashboardOptions = {}): { app: Hono; feed: ClusterFeed } {
  const feed = new ClusterFeed(engine, opts.pollMs);
  const app = new Hono();
  const page = dashboardPage(opts.title ?? 'phago');

  app.get('/', (c) => c.html(page));
  app.get('/assets/dashboard.js', (c) => {
    if (!existsSync(BUNDLE)) return c.json({ error: `the page script is not built (${BUNDLE}): run npm run build` }, 500);
    return c.body(readFileSync(BUNDLE), 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/api/cluster', (c) => answer(c, async () => ({ ...(await clusterView(engine)), now: clock.nowMs() })));

  app.get('/api/query', (c) => answer(c, async () => {
    const p = parseParams(QueryParams, c.req.query());
    const [docs, concepts] = await Promise.all([
      p.target === 'concepts' ? undefined : engine.searchDocuments(p.q, p.k),
      p.target === 'documents' ? undefined : engine.searchConcepts(p.q, p.k),
    ]);
    const missing = [...new Set([...(docs?.missingShards ?? []), ...(concepts?.missingShards ?? [])])].sort((a, b) => a - b);
    return {
      query: p.q,
      documents: docs?.hits.map((h) => ({ id: h.id, key: h.key, title: h.title, score: h.score })),
      concepts: concepts?.hits.map((h) => ({ label: h.label, score: h.score, lexical: h.lexical, graph: h.graph })),
      missingShards: missing,
    };
  }));

  app.get('/api/neighbours', (c) => answer(c, async () => {
    const p = parseParams(NeighboursParams, c.req.query());
    return { label: p.label, neighbours: await engine.neighbours(p.label, p.k) };
  }));

  app.get('/api/path', (c) => answer(c, async () => {
    const p = parseParams(PathParams, c.req.query());
    return { from: p.from, to: p.to, ...(await engine.path(p.from, p.to)) };
  }));

  app.get('/api/central', (c) => answer(c, async () => ({ concepts: await engine.central(parseParams(CentralParams, c.req.query()).k) })));

  // server-sent events: "cluster" with a FeedEvent whenever the cluster changes
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let id = 0;
      let wake: () => void = () => undefined;
      const queue: FeedEvent[] = [];
      const unsubscribe = feed.subscribe((e) => {
        queue.push(e);
        wake();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake();
      });
      try {
        while (open) {
          while (queue.length > 0 && open) await stream.writeSSE({ event: 'cluster', id: String(++id), data: JSON.stringify(queue.shift()) });
          if (open) await new Promise<void>((r) => (wake = r));
        }
      } finally {
        unsubscribe();
      }
    }),
  );

  app.notFound((c) => c.json({ error: `no such endpoint: ${c.req.path.slice(0, 200)} (see docs/dashboard.md)` }, 404));
  app.onError((e, c) => c.json({ error: describeError(e) }, 500));
  return { app, feed };
}
