import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { documentIdOf } from '../src/ids/ids.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { CORPUS, LONG, runCli, within } from './helpers.js';

test('phago forget ID... --coordinator: the documents leave, queries no longer return them; unknown ids forget nothing', LONG, async () => {
  // the servers in this process (loopback gRPC), the CLI as a separate process
  const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 60_000, 'the cluster did not start');
  const e = cluster.engine();
  const common = ['--coordinator', cluster.address, '--token', cluster.security.roles!.client!];
  try {
    await within(e.ingest(readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 20)), 30_000, 'ingest did not finish');
    await within(e.tick('digest'), 30_000, 'digestion did not finish');
    const q = readQueriesJsonl(join(CORPUS, 'queries.jsonl'))[0].text;
    const hits = async () => (await within(e.searchDocuments(q, 20), 30_000, 'a query did not finish')).hits.map((h) => h.key);
    const before = await hits();
    assert.ok(before.length >= 2, 'the query has hits to forget');
    const [top, second] = before as [string, string];

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
    assert.equal((await e.stats()).documents, 18);
  } finally {
    await within(e.close(), 20_000, 'the cluster did not stop');
  }
});
