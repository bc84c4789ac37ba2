import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { documentIdOf } from '../src/ids/ids.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { CORPUS, killStarted, LONG, runCli, startProcess } from './helpers.js';

after(killStarted);

test('phago forget ID... --coordinator: the documents leave, queries no longer return them; unknown ids forget nothing', LONG, async () => {
  const token = 'cli-forget-token';
  const coord = await startProcess(['coordinator', '--port', '0', '--token', token], /listening (\S+)/);
  const addr = coord.match[1];
  for (let i = 1; i <= 2; i++) await startProcess(['shard', '--join', addr, '--port', '0', '--identity', `cli-forget-${i}`, '--token', token], /shard (\d+) (\S+)/);
  const common = ['--coordinator', addr, '--token', token];
  const client = new RpcClient(CoordinatorServiceClient, addr, { token }, 20_000);
  try {
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 20);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { until_digested: true });
    const q = readQueriesJsonl(join(CORPUS, 'queries.jsonl'))[0].text;
    const hits = async () => ((await client.call('query', { text: q, k: 20 })).documents as { key: string }[]).map((h) => h.key);
    const before = await hits();
    assert.ok(before.length >= 2, 'the query has hits to forget');
    const [top, second] = before;

    const bad = await runCli(['forget', top, 'no-such-document', ...common]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /NOT_FOUND.*nothing was forgotten/);
    assert.deepEqual(await hits(), before);

    const r = await runCli(['forget', top, ...common]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1 document\(s\) forgotten; 1 of them digested/);
    const j = await runCli(['forget', second, '--json', ...common]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { forgotten: [documentIdOf(second)], digested: 1 });
    const after = await hits();
    assert.ok(!after.includes(top) && !after.includes(second), 'forgotten documents are not returned');
    assert.equal(Number((await client.call('stats', {})).documents), 18);
  } finally {
    client.close();
  }
});
