import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readDocsJsonl } from '../src/io/files.js';
import { CORPUS, exitOf, LONG, ROOT, tempDir } from './helpers.js';

test('chaos counts distinct documents: a corpus that repeats an id reports no loss', LONG, async () => {
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 12);
  // the fourth document again, in the second ingest batch: the same document, stored once
  const lines = [...docs, docs[3]].map((d) => JSON.stringify(d));
  const dir = tempDir('phago-chaos-docs-');
  const file = join(dir, 'docs.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'chaos.js'), '--faults', '0', '--seed', '4', '--docs', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await exitOf(child, 200_000, 'the chaos run did not finish').catch((e) => {
    throw new Error(`${(e as Error).message}\n${out.slice(-3000)}`);
  });
  const last = JSON.parse(out.trim().split('\n').pop()!);
  assert.deepEqual(last, { faults: 0, differences: 0, lost: 0, duplicated: 0, partial: 0, unavailableMs: 0, seed: 4 }, out);
  assert.equal(code, 0, out);
});
