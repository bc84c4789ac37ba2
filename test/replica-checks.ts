// Checks shared by the replication tests (replication.test.ts, rereplicate.test.ts): every replica of
// a shard holds the same graph, and an engine's answers to a fixed set of queries (no shard missing).
import assert from 'node:assert/strict';
import type { Engine } from '../src/engine/engine.js';
import { RpcClient } from '../src/rpc/client.js';
import { ShardServiceClient } from '../src/rpc/proto.js';
import { decodeGraphPart } from '../src/protocol/graph-packed.js';
import type { SecurityConfig } from '../src/rpc/security.js';

/** A row of list_shards. */
export type Entry = { id: number; address: string; identity: string; role: string; in_sync: boolean; status: string };

const QUERIES = ['cell membrane transport', 'neural network learning', 'quantum entanglement', 'protein folding', 'climate'];

/** Every replica of each group exports the same graph (rows sorted). */
export async function replicasIdentical(entries: Entry[], security: SecurityConfig): Promise<void> {
  const byGroup = new Map<number, string[]>();
  for (const e of entries) byGroup.set(e.id, [...(byGroup.get(e.id) ?? []), e.address]);
  for (const [group, addresses] of byGroup) {
    const exports = await Promise.all(
      addresses.map(async (a) => {
        const c = new RpcClient(ShardServiceClient, a, security, 10_000);
        try {
          const g = decodeGraphPart((await c.call<{ packed: Uint8Array }>('export_graph', {})).packed);
          const nodes = [...g.nodeLabel].map((l, i) => `${g.labels[l]}:${g.nodeAccess[i]}`);
          const edges = [...g.edgeA].map((a, i) => `${g.labels[a]}:${g.labels[g.edgeB[i]]}:${g.weight[i]}:${g.coActivations[i]}:${g.edgeCreated[i]}:${g.lastActivated[i]}`);
          return JSON.stringify([nodes.sort(), edges.sort()]);
        } finally {
          c.close();
        }
      }),
    );
    for (const x of exports.slice(1)) assert.equal(x, exports[0], `the replicas of shard ${group} hold the same graph`);
  }
}

/** Documents and concepts answered to the fixed queries, with scores; no shard may be missing. */
export async function answers(engine: Engine): Promise<string[]> {
  const out: string[] = [];
  for (const q of QUERIES) {
    const d = await engine.searchDocuments(q, 10);
    assert.deepEqual(d.missingShards, [], `no shard missing for "${q}"`);
    out.push(d.hits.map((h) => `${h.id}:${h.score.toFixed(9)}`).join(' '));
    out.push((await engine.searchConcepts(q, 10)).hits.map((h) => `${h.id}:${h.score.toFixed(9)}`).join(' '));
  }
  return out;
}
