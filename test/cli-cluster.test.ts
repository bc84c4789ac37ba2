import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { CORPUS, killStarted, LONG, runCli, startProcess, within } from './helpers.js';

after(killStarted);

test('a coordinator and 3 shards as separate processes answer like the embedded cluster', LONG, async () => {
  const token = 'cli-test-token';
  const coord = await startProcess(['coordinator', '--port', '0', '--token', token, '--cluster-token', `${token}-cluster`, '--metrics-port', '0'], /listening (\S+) metrics (\S+)\n/);
  const addr = coord.match[1];
  const metricsAddr = coord.match[2];
  for (let i = 1; i <= 3; i++) await startProcess(['shard', '--join', addr, '--port', '0', '--identity', `cli-shard-${i}`, '--cluster-token', `${token}-cluster`], /shard (\d+) (\S+)/);
  const common = ['--coordinator', addr, '--token', token];
  const ing = await runCli(['ingest', join(CORPUS, 'docs.jsonl'), '--quiet', ...common]);
  assert.equal(ing.code, 0, ing.stderr);
  assert.match(ing.stdout, /100 document\(s\) ingested/);
  const again = await runCli(['ingest', join(CORPUS, 'docs.jsonl'), '--quiet', ...common]);
  assert.match(again.stdout, /0 document\(s\) ingested, 100 already present/);
  const tick = await runCli(['tick', '--until-digested', '--quiet', ...common]);
  assert.equal(tick.code, 0, tick.stderr);
  assert.match(tick.stdout, /digested/);
  const more = await runCli(['tick', '3', '--quiet', ...common]);
  assert.equal(more.code, 0, more.stderr);
  const status = JSON.parse((await runCli(['status', '--json', ...common])).stdout);
  assert.equal(status.shards.length, 3);
  assert.deepEqual(status.shards.map((s: { status: string }) => s.status), ['ONLINE', 'ONLINE', 'ONLINE']);

  // the same through an embedded cluster
  const embedded = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'the embedded cluster did not start');
  const e = embedded.engine();
  try {
    await within(e.ingest(readDocsJsonl(join(CORPUS, 'docs.jsonl'))), 60_000, 'ingest did not finish');
    await within(e.tick('digest'), 120_000, 'digestion did not finish');
    await within(e.tick(3), 60_000, '3 ticks did not finish');
    assert.equal(status.tick.current_tick, (await within(e.stats(), 30_000, 'stats did not come')).tick);
    for (const q of readQueriesJsonl(join(CORPUS, 'queries.jsonl')).slice(0, 6)) {
      const docs = JSON.parse((await runCli(['query', q.text, '--json', ...common])).stdout);
      const concepts = JSON.parse((await runCli(['query', q.text, '--concepts', '--json', ...common])).stdout);
      assert.deepEqual(docs.hits, (await within(e.searchDocuments(q.text, 10), 30_000, 'a query did not finish')).hits, q.text);
      assert.deepEqual(concepts.hits, (await within(e.searchConcepts(q.text, 10), 30_000, 'a query did not finish')).hits, q.text);
    }
  } finally {
    await within(e.close(), 20_000, 'the embedded cluster did not stop');
  }
  const metrics = await (await fetch(`http://${metricsAddr}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  assert.match(metrics, /phago_ticks_committed_total \d+/);
  assert.match(metrics, /phago_shards\{status="ONLINE"\} 3/);
  assert.match(metrics, /phago_tick_phase_seconds_bucket\{le="[^"]+",phase="SENSE"\}/);
  const bad = await runCli(['status', '--coordinator', addr, '--token', 'wrong']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /UNAUTHENTICATED/);
});
