import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { readDocsJsonl } from '../src/io/files.js';
import { CORPUS, ROOT } from './helpers.js';

const golden = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'golden.json'), 'utf8')) as { sampleCorpusDigest: { ticks: number; nodes: number; edges: number; graphHash: string } };

function sampleRun(order: 'file' | 'reversed' = 'file') {
  const c = new Colony();
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
  for (const d of order === 'file' ? docs : [...docs].reverse()) c.ingest(d);
  const ticks = c.runUntilDigested().length;
  return { ticks, nodes: c.graph.nodeCount, edges: c.graph.edgeCount, graphHash: c.graphHash() };
}

test('the sample corpus gives the committed graph hash', () => {
  assert.deepEqual(sampleRun(), golden.sampleCorpusDigest);
});

test('ingestion order within a tick does not change the graph', () => {
  assert.equal(sampleRun('reversed').graphHash, golden.sampleCorpusDigest.graphHash);
});

test('another process computes the same hash', () => {
  const script = `
    import { Colony } from ${JSON.stringify(join(ROOT, 'dist/src/colony/colony.js'))};
    import { readDocsJsonl } from ${JSON.stringify(join(ROOT, 'dist/src/io/files.js'))};
    const c = new Colony();
    for (const d of readDocsJsonl(${JSON.stringify(join(CORPUS, 'docs.jsonl'))})) c.ingest(d);
    c.runUntilDigested();
    c.run(30);
    process.stdout.write(c.graphHash());`;
  const other = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const here = new Colony();
  for (const d of readDocsJsonl(join(CORPUS, 'docs.jsonl'))) here.ingest(d);
  here.runUntilDigested();
  here.run(30);
  assert.equal(other, here.graphHash());
});
