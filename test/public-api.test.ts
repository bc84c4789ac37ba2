import assert from 'node:assert/strict';
import { test } from 'node:test';
// the package's own name: resolved through package.json "exports", as an installed package is
import { Colony, EmbeddedCluster, LocalEngine, ClusterEngine, type Engine } from 'phago';

test('the public API: import { LocalEngine, EmbeddedCluster, ClusterEngine, Colony } from "phago"', async () => {
  assert.equal(typeof ClusterEngine, 'function');
  const c = new Colony({ digestPerTick: 8 });
  c.ingest({ id: 'a', text: 'cell membrane proteins' });
  c.runUntilDigested();
  assert.equal(c.stats().digested, 1);
  const local: Engine = new LocalEngine();
  await local.ingest([{ id: 'x', text: 'quantum error correction codes' }]);
  await local.tick('digest');
  const cluster = await EmbeddedCluster.start({ shards: 2 });
  try {
    const remote: Engine = cluster.engine();
    await remote.ingest([{ id: 'x', text: 'quantum error correction codes' }]);
    await remote.tick('digest');
    assert.equal(await remote.graphHash(), await local.graphHash());
    assert.deepEqual(
      (await remote.searchDocuments('quantum codes', 5)).hits.map((h) => h.key),
      (await local.searchDocuments('quantum codes', 5)).hits.map((h) => h.key),
    );
  } finally {
    await cluster.stop();
  }
});
