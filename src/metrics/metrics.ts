import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Each coordinator or shard has its own registry (an embedded cluster holds
 * several in one process); `serveMetrics` exposes one on http://host:port/metrics.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly ticksCommitted = new Counter({ name: 'phago_ticks_committed_total', help: 'Ticks committed', registers: [this.registry] });
  readonly ticksAborted = new Counter({ name: 'phago_ticks_aborted_total', help: 'Ticks aborted', registers: [this.registry] });
  readonly phaseSeconds = new Histogram({
    name: 'phago_tick_phase_seconds',
    help: 'Wall time of one tick phase on every shard (push to barrier complete)',
    labelNames: ['phase'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly querySeconds = new Histogram({
    name: 'phago_query_seconds',
    help: 'Query latency at the coordinator',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly partialQueries = new Counter({ name: 'phago_partial_queries_total', help: 'Queries answered without every shard', registers: [this.registry] });
  readonly documentsIngested = new Counter({ name: 'phago_documents_ingested_total', help: 'New documents acknowledged', registers: [this.registry] });
  readonly graphGathers = new Counter({ name: 'phago_graph_gathers_total', help: 'Whole-graph gathers from the shards (structural queries, graph hashes)', registers: [this.registry] });

  constructor(gauges: { tick: () => number; epoch: () => number; documents: () => number; pending: () => number; shards: () => Record<string, number> }) {
    new Gauge({ name: 'phago_current_tick', help: 'Last committed tick', registers: [this.registry], collect() { this.set(gauges.tick()); } });
    new Gauge({ name: 'phago_epoch', help: 'Membership epoch', registers: [this.registry], collect() { this.set(gauges.epoch()); } });
    new Gauge({ name: 'phago_documents', help: 'Documents in the cluster', registers: [this.registry], collect() { this.set(gauges.documents()); } });
    new Gauge({ name: 'phago_pending_documents', help: 'Documents not yet digested', registers: [this.registry], collect() { this.set(gauges.pending()); } });
    new Gauge({
      name: 'phago_shards',
      help: 'Registered shards by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect() {
        for (const [status, n] of Object.entries(gauges.shards())) this.set({ status }, n);
      },
    });
  }
}

export class ShardMetrics {
  readonly registry = new Registry();
  constructor(gauges: { documents: () => number; nodes: () => number; edges: () => number; tick: () => number }) {
    new Gauge({ name: 'phago_shard_documents', help: 'Documents held by this shard', registers: [this.registry], collect() { this.set(gauges.documents()); } });
    new Gauge({ name: 'phago_shard_concepts', help: 'Concepts owned by this shard', registers: [this.registry], collect() { this.set(gauges.nodes()); } });
    new Gauge({ name: 'phago_shard_edges', help: 'Edges held by this shard (replicas included)', registers: [this.registry], collect() { this.set(gauges.edges()); } });
    new Gauge({ name: 'phago_shard_tick', help: 'Last tick this shard committed', registers: [this.registry], collect() { this.set(gauges.tick()); } });
  }
}

/** Serve a registry (plus the process's default metrics) on /metrics. */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  collectDefaultMetrics({ register: registry });
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found; metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
