import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl } from '../src/io/files.js';
import { CORPUS, LONG, within } from './helpers.js';

/** Structural answers of an engine: central and bridge concepts, and a path between two concepts. */
async function structure(e: Engine, from: string, to: string) {
  return { central: await e.central(8), bridges: await e.bridges(8), path: await e.path(from, to) };
}

it('structural queries on 3 shards answer as one process; the gathered graph is kept until a tick changes it', LONG, async () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  const local = new LocalEngine();
  const cluster = await within(EmbeddedCluster.start({ shards: 3 }), 60_000, 'a cluster of 3 shards did not start');
  try {
    const e = cluster.engine();
    const gathers = async () => (await cluster.coordinator.metrics.graphGathers.get()).values[0]?.value ?? 0;
    for (const part of [docs.slice(0, 60), docs.slice(60)]) {
      await local.ingest(part);
      await local.tick('digest');
      await within(e.ingest(part), 60_000, 'the ingest on 3 shards did not finish');
      await within(e.tick('digest'), 60_000, 'the digestion on 3 shards did not finish');
      const before = await gathers();
      // a path between the most central concept and the eighth
      const top = await local.central(8);
      const ends = [top[0].label, top.at(-1)!.label];
      const want = await structure(local, ends[0], ends[1]);
      assert.ok(want.central.length > 0 && want.path.found, 'the sample has central concepts and a path');
      assert.deepEqual(await within(structure(e, ends[0], ends[1]), 60_000, 'structural queries on 3 shards did not answer'), want);
      // the three queries and the same again gathered the graph once: nothing changed in between
      assert.deepEqual(await within(structure(e, ends[0], ends[1]), 60_000, 'structural queries on 3 shards did not answer'), want);
      assert.equal((await gathers()) - before, 1, 'one gather for six structural queries at one state version');
    }
  } finally {
    await cluster.stop();
  }
});
