// Removing a dead member (issue 8 part 3, r = 1): `phago shard remove ID` reports what is lost and
// refuses without --confirm-loss; with it the member is gone, the survivors own its keys (empty), ticks,
// ingest and queries go on, and the global statistics are the survivors'.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient, ShardServiceClient } from '../src/rpc/proto.js';
import { withRole } from '../src/rpc/roles.js';
import { CORPUS, LONG, rejects, runCli, within } from './helpers.js';

const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
let cluster: EmbeddedCluster;
let coord: RpcClient;
let admin: RpcClient;
let client: RpcClient;

before(async () => {
  cluster = await within(EmbeddedCluster.start({ shards: 3 }), 30_000, 'the embedded cluster did not start');
  coord = new RpcClient(CoordinatorServiceClient, cluster.address, cluster.security, 20_000);
  admin = new RpcClient(CoordinatorServiceClient, cluster.address, withRole(cluster.security, 'admin'), 20_000);
  client = new RpcClient(CoordinatorServiceClient, cluster.address, withRole(cluster.security, 'client'), 20_000);
});

after(async () => {
  for (const c of [coord, admin, client]) c.close();
  // shard 3 is stopped already (stopping twice is harmless)
  await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
});

test('a dead shard is removed with --confirm-loss; ticks, ingest and queries go on with the survivors', LONG, async () => {
  const engine = cluster.engine();
  await within(engine.ingest(docs.slice(0, 60)), 30_000, 'ingest did not finish');
  await within(engine.tick('digest'), 60_000, 'digestion did not finish');
  const before = await coord.call('list_shards', {});
  const dead = before.shards.find((s: { id: number }) => s.id === 3);
  assert.ok(dead.document_count > 0, 'shard 3 holds documents');

  // a live member is not removed this way (unregister moves its data)
  await rejects(admin.call('remove_shard', { id: 2, confirm_loss: true }), grpc.status.FAILED_PRECONDITION, /answers: unregister it instead/);
  // shard 3 dies
  await within(cluster.shards[2].stop(), 10_000, 'shard 3 did not stop');

  // the client token may not; the admin without confirmation gets the loss report, nothing changes
  await rejects(client.call('remove_shard', { id: 3, confirm_loss: true }), grpc.status.PERMISSION_DENIED, /admin token/);
  const cli = ['shard', 'remove', '3', '--coordinator', cluster.address, '--admin-token', cluster.security.roles!.admin!];
  const refused = await runCli(cli, { timeoutMs: 30_000 });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, new RegExp(`FAILED_PRECONDITION: removing shard 3 .* loses what only it held .*: ${dead.document_count} document\\(s\\).*${dead.node_count} concept\\(s\\).*--confirm-loss`));
  assert.equal((await coord.call('list_shards', {})).shards.length, 3);

  const removed = await runCli([...cli, '--confirm-loss', '--json'], { timeoutMs: 30_000 });
  assert.equal(removed.code, 0, removed.stderr);
  const report = JSON.parse(removed.stdout);
  assert.equal(report.removed, true);
  assert.equal(report.documents, dead.document_count);
  assert.equal(report.epoch, before.epoch + 1);
  const after = await coord.call('list_shards', {});
  assert.deepEqual(after.shards.map((s: { id: number }) => s.id), [1, 2]);

  // the statistics are the survivors': documents, pending and df of every term
  const stats = await coord.call('stats', {});
  assert.equal(stats.documents, stats.held_documents);
  assert.equal(stats.pending, 0);
  const terms = ['cell', 'memory', 'graph', 'protein', 'network'];
  const global = (await coord.call('get_global_df', { terms })).df;
  const survivors = cluster.shards.slice(0, 2).map((s) => new RpcClient(ShardServiceClient, s.address, cluster.security));
  const held = await Promise.all(survivors.map((s) => s.call('get_term_frequencies', { terms })));
  for (const s of survivors) s.close();
  for (const t of terms) assert.equal(global[t], held[0].df[t] + held[1].df[t], `df of "${t}"`);

  // ticks go on; new documents land on the survivors (also those placed where shard 3 was) and digest
  await within(engine.ingest(docs.slice(60, 90)), 30_000, 'ingest after the removal did not finish');
  const r = await within(engine.tick('digest'), 60_000, 'digestion after the removal did not finish');
  assert.ok(r.digested >= 30, `digested ${r.digested}`);
  const q = await engine.searchDocuments('cell memory', 5);
  assert.deepEqual(q.missingShards, []);
  assert.ok(q.hits.length > 0);
  await rejects(admin.call('remove_shard', { id: 3, confirm_loss: true }), grpc.status.NOT_FOUND, /unknown shard 3/);
});
