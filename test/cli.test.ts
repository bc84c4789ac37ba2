import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import MiniSearch from 'minisearch';
import { meanMetrics, scoreQuery } from '../src/eval/metrics.js';
import { readDocsJsonl, readQrels, readQueriesJsonl } from '../src/io/files.js';
import { CORPUS, LONG, runCli, tempDir } from './helpers.js';

const docs = join(CORPUS, 'docs.jsonl');
const queries = join(CORPUS, 'queries.jsonl');
const qrelsDocs = join(CORPUS, 'qrels-documents.txt');
const qrelsConcepts = join(CORPUS, 'qrels-concepts.txt');

/** minisearch's BM25 on the same documents and queries, scored the same way. */
function minisearchMetrics() {
  const ms = new MiniSearch<{ id: string; title: string; text: string }>({ fields: ['title', 'text'], idField: 'id' });
  ms.addAll(readDocsJsonl(docs).map((d) => ({ id: d.id!, title: d.title ?? '', text: d.text })));
  const qrels = readQrels(qrelsDocs);
  return meanMetrics(readQueriesJsonl(queries).map((q) => scoreQuery(ms.search(q.text).slice(0, 100).map((r) => String(r.id)), qrels.get(q.qid)!)));
}

test('eval --target documents --json: metrics, at least minisearch on NDCG@10 and MRR@10', LONG, async () => {
  const r = await runCli(['eval', '--docs', docs, '--queries', queries, '--qrels', qrelsDocs, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const m = JSON.parse(lines[0]);
  for (const k of ['P@5', 'P@10', 'MRR@10', 'NDCG@10', 'R@10', 'R@100', 'queries', 'graphHash']) assert.ok(k in m, k);
  for (const k of ['ingestSeconds', 'digestSeconds', 'queryP50Ms', 'queryP99Ms', 'peakRssMB']) assert.ok(typeof m[k] === 'number' && m[k] >= 0 && Number.isFinite(m[k]), `${k}: ${m[k]}`);
  assert.ok(m.queryP99Ms >= m.queryP50Ms && m.peakRssMB > 10);
  assert.equal(m.queries, 20);
  const base = minisearchMetrics();
  assert.ok(m['NDCG@10'] >= base['NDCG@10'], `NDCG@10 ${m['NDCG@10']} < minisearch ${base['NDCG@10']}`);
  assert.ok(m['MRR@10'] >= base['MRR@10'], `MRR@10 ${m['MRR@10']} < minisearch ${base['MRR@10']}`);
});

test('eval --target concepts reaches MRR@10 >= 0.85 on the upstream judgments', LONG, async () => {
  const r = await runCli(['eval', '--docs', docs, '--queries', queries, '--qrels', qrelsConcepts, '--target', 'concepts', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.ok(m['MRR@10'] >= 0.85, `MRR@10 ${m['MRR@10']}`);
});

test('bad input: clear message and non-zero exit', LONG, async (t) => {
  const dir = tempDir('phago-cli-');
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['eval', '--docs', join(dir, 'nope.jsonl'), '--queries', queries, '--qrels', qrelsDocs], /documents file not found: .*nope\.jsonl/],
    ['malformed JSONL', ['eval', '--docs', file('bad.jsonl', '{"id":"a","text":"ok"}\n\n{"id": "b", "text": \n'), '--queries', queries, '--qrels', qrelsDocs], /bad\.jsonl:3: malformed JSON/],
    ['empty document', ['eval', '--docs', file('empty.jsonl', '{"id":"a","text":"fine"}\n{"id":"b","text":"   "}\n'), '--queries', queries, '--qrels', qrelsDocs], /empty\.jsonl:2: empty document/],
    ['bad qrels line', ['eval', '--docs', docs, '--queries', queries, '--qrels', file('bad.qrels', 'phq01 0 d1 1\nphq01 0 d2\n')], /bad\.qrels:2: cannot parse qrels line/],
    ['bad --ticks', ['eval', '--docs', docs, '--queries', queries, '--qrels', qrelsDocs, '--ticks', 'soon'], /--ticks must be an integer/],
  ];
  for (const [name, args, re] of cases) {
    await t.test(name, async () => {
      const r = await runCli(args);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
    });
  }
});

test('query: one-shot local answer', LONG, async () => {
  const r = await runCli(['query', '--docs', docs, '--json', 'quantum error correction']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.ok(res.hits.length > 0);
  assert.match(res.hits[0].key, /^quantum_computing_/);
});

test('eval --shards N --json: the same graphHash and metrics on 1, 2, 3 and 5 shards as in one process', LONG, async () => {
  const base = ['eval', '--docs', docs, '--queries', queries, '--qrels', qrelsDocs, '--json', '--ticks', '40'];
  // everything but the timings and the memory must be equal
  const answers = (stdout: string) => {
    const { ingestSeconds: _i, digestSeconds: _d, queryP50Ms: _p, queryP99Ms: _q, peakRssMB: _r, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
    return rest;
  };
  const single = answers((await runCli(base)).stdout);
  const runs = await Promise.all([1, 2, 3, 5].map((n) => runCli([...base, '--shards', String(n)], { timeoutMs: 120_000 })));
  runs.forEach((r, i) => {
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(answers(r.stdout), single, `shards ${[1, 2, 3, 5][i]}`);
  });
});
