import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony } from '../src/colony/colony.js';
import { makeConfig } from '../src/core/config.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import type { Engine } from '../src/engine/engine.js';
import { LocalEngine } from '../src/engine/local.js';
import { evalPaths, sampleOrder, splitOf } from '../src/eval/collections.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { expandQuery } from '../src/search/bm25.js';
import { centralConcepts } from '../src/search/structure.js';
import { STDLIB_STOPWORDS } from '../src/text/stopwords.js';
import { documentTerms, stem } from '../src/text/tokenizer.js';
import { manpagesFrom, parseManPage, splitGloss, wordnetExamplesFrom, writeEvalSet } from '../scripts/eval-collections.js';
import { CORPUS, LONG, ROOT, runCli, within } from './helpers.js';

const MAN = `.\\" Copyright notice
.TH PRINTF 3 2023-02-05 "Linux man-pages 6.03"
.SH NAME
printf, fprintf \\- formatted output conversion
.SH SYNOPSIS
.B #include <stdio.h>
.PP
.BI "int printf(const char *" format ", ...);"
.SH DESCRIPTION
The functions in the
.BR printf ()
family produce output according to a
.I format
as described below.
`;

describe('evaluation collections', () => {
  it('a man page: the NAME description is the query, the rest of the page the document', () => {
    const p = parseManPage(MAN);
    assert.ok(p);
    assert.equal(p.names, 'printf, fprintf');
    assert.equal(p.description, 'formatted output conversion');
    assert.match(p.body, /produce output according to a\nformat/);
    assert.doesNotMatch(p.body, /formatted output conversion|Copyright|NAME/);
    assert.equal(parseManPage('.so man3/printf.3\n'), null, 'a .so redirect is no page');
    const set = manpagesFrom(['/usr/share/man/man3/printf.3.gz', '/usr/share/man/man3/fprintf.3.gz'], (f) => (f.includes('/fprintf') ? '.so man3/printf.3\n' : MAN));
    assert.deepEqual(
      set.docs.map((d) => [d.id, d.title]),
      [['man:3:printf', 'printf(3)']],
    );
    assert.deepEqual(set.queries, [{ qid: 'man:3:printf', text: 'formatted output conversion' }]);
    assert.equal(set.relevant.get('man:3:printf'), 'man:3:printf');
  });

  it('WordNet examples: the example is the query and is not in any document', () => {
    assert.deepEqual(splitGloss('travel on foot; "we walked to the store"; "he walks home"'), { definition: 'travel on foot', examples: ['we walked to the store', 'he walks home'] });
    const lines = [
      { line: '01904930 38 v 01 walk 0 000 | use one\'s feet to advance; "we walked to the store"', pos: 'v' as const },
      { line: '00001740 03 n 01 entity 0 000 | that which is perceived to have its own distinct existence', pos: 'n' as const },
    ];
    const set = wordnetExamplesFrom(lines);
    assert.equal(set.docs.length, 2);
    assert.deepEqual(set.docs[0], { id: 'wn:v:01904930', title: 'walk', text: "use one's feet to advance" });
    assert.deepEqual(set.queries, [{ qid: 'qwn:v:01904930', text: 'we walked to the store' }]);
    assert.equal(set.relevant.get('qwn:v:01904930'), 'wn:v:01904930');
    for (const d of set.docs) assert.doesNotMatch(d.text, /walked to the store/);
  });

  it('the dev/test split is a stable hash of the query id, about half each', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `q${i}`);
    const dev = ids.filter((q) => splitOf(q) === 'dev').length;
    assert.ok(dev > 900 && dev < 1100, `dev ${dev} of 2000`);
    assert.equal(splitOf('man:3:printf'), splitOf('man:3:printf'));
    const order = sampleOrder(ids.map((qid) => ({ qid })));
    assert.deepEqual(sampleOrder([...order].reverse()), order, 'the sample order does not depend on the input order');
  });

  const cache = mkdtempSync(join(tmpdir(), 'phago-eval-'));
  after(() => rmSync(cache, { recursive: true, force: true }));

  it('phago eval --collection NAME --split S runs the split of a built collection', async () => {
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).map((d, i) => ({ id: d.id ?? `d${i}`, title: d.title ?? '', text: d.text }));
    // queries: each document's first 12 words find it (known-item), split by the query id's hash
    const queries = docs.map((d) => ({ qid: `q-${d.id}`, text: d.text.split(/\s+/).slice(0, 12).join(' ') }));
    writeEvalSet(evalPaths('manpages', join(cache, 'root')), 'manpages', { docs, queries, relevant: new Map(docs.map((d) => [`q-${d.id}`, d.id])) }, { test: true });
    process.env.PHAGO_CACHE = join(cache, 'root');
    try {
      const runs = await Promise.all(['dev', 'test'].map((split) => runCli(['eval', '--collection', 'manpages', '--split', split, '--json'])));
      const counts = runs.map((r) => {
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { queries: number; 'MRR@10': number };
        assert.ok(out['MRR@10'] > 0.5, `a document's first words find it: MRR@10 ${out['MRR@10']}`);
        return out.queries;
      });
      assert.equal(counts[0] + counts[1], docs.length);
      assert.equal(counts[0], queries.filter((q) => splitOf(q.qid) === 'dev').length);
      const missing = await runCli(['eval', '--collection', 'wordnet-examples']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /not built.*collections\.js wordnet-examples/);
    } finally {
      delete process.env.PHAGO_CACHE;
    }
  });
});

describe('stemming', () => {
  it('the index holds stems and the concepts stay words', () => {
    assert.equal(stem('membranes'), stem('membrane'));
    const t = documentTerms('Cell', 'membranes and the membrane', { stem: true, stopwords: 'extended', titleWeight: 1 });
    assert.deepEqual(
      t.concepts.map((x) => [x.term, x.tf]),
      [['cell', 1], ['membranes', 1], ['membrane', 1]],
    );
    assert.deepEqual(
      t.index.map((x) => [x.term, x.tf]),
      [['cell', 1], [stem('membrane'), 2]],
    );
    assert.equal(t.length, 3);
    // BM25F by repetition: a title token counts titleWeight times in the index, not in the concepts
    const f = documentTerms('Cell', 'membranes and the cell', { stem: false, stopwords: 'extended', titleWeight: 3 });
    assert.deepEqual(
      f.index.map((x) => [x.term, x.tf]),
      [['cell', 4], ['membranes', 1]],
    );
    assert.deepEqual(
      f.concepts.map((x) => [x.term, x.tf]),
      [['cell', 2], ['membranes', 1]],
    );
    assert.equal(f.length, 5);
  });

  it('a query word finds the other forms of it with stemming on, not with it off', async () => {
    const docs = [
      { id: 'a', title: 'membrane', text: 'a thin layer around the cell' },
      { id: 'b', title: 'wall', text: 'a rigid layer' },
    ];
    for (const stemming of [1, 0]) {
      const e = new LocalEngine({ stemming, titleWeight: 1 });
      await e.ingest(docs);
      await e.tick('digest');
      const hits = (await e.searchDocuments('membranes', 10)).hits.map((h) => h.key);
      assert.deepEqual(hits, stemming ? ['a'] : []);
    }
    assert.throws(() => makeConfig({ stemming: 2 }), /stemming must be 0 or 1/);
  });

  it('expansion terms become stems, and one with a query term\'s stem adds nothing', () => {
    const concepts = [
      { label: 'membrane', lexical: 0, graph: 0.5 },
      { label: 'cells', lexical: 0, graph: 0.4 },
    ];
    assert.deepEqual(expandQuery(['cell'], concepts, 2, true), [
      { term: 'cell', weight: 1, original: true },
      { term: stem('membrane'), weight: 0.125, original: false },
      { term: '=cell', weight: 1, original: false },
    ]);
    assert.deepEqual(
      expandQuery(['cell'], concepts, 2, false).map((t) => t.term),
      ['cell', 'membrane', 'cells'],
    );
  });
});

describe('text options on a cluster', () => {
  it('stemming and title weight: 3 shards answer as one process (shards report the df of stems)', LONG, async () => {
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl'));
    const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).slice(0, 8);
    const config = { stemming: 1, titleWeight: 2 };
    const answers = async (e: Engine) => {
      await e.ingest(docs);
      await e.tick('digest');
      const out: string[] = [];
      for (const q of queries) out.push(JSON.stringify((await e.searchDocuments(q.text, 10)).hits.map((h) => [h.key, h.score])));
      return { out, hash: await e.graphHash() };
    };
    const single = await answers(new LocalEngine(config));
    const cluster = await within(EmbeddedCluster.start({ shards: 3, config }), 60_000, 'a cluster of 3 shards did not start');
    try {
      const r = await within(answers(cluster.engine()), 120_000, 'the run on 3 shards did not finish');
      assert.equal(r.hash, single.hash);
      assert.deepEqual(r.out, single.out);
    } finally {
      await cluster.stop();
    }
  });
});

describe('central concepts carry a topic', () => {
  const central = (docs: { id?: string; title?: string; text: string }[]) => {
    const c = new Colony();
    for (const d of docs) c.ingest({ id: d.id, title: d.title ?? '', text: d.text });
    c.runUntilDigested();
    return centralConcepts(c.graph.view(c.currentTick), 20, 64, c.config.seed).map((h) => h.label);
  };
  for (const [name, path] of [
    ['the sample corpus', join(CORPUS, 'docs.jsonl')],
    ['981 WordNet synsets (test/fixtures/wordnet-sample.jsonl)', join(ROOT, 'test', 'fixtures', 'wordnet-sample.jsonl')],
  ] as const) {
    it(`no general English stopword among the 20 most central concepts of ${name}`, () => {
      const top = central(readDocsJsonl(path));
      assert.equal(top.length, 20);
      assert.deepEqual(
        top.filter((l) => STDLIB_STOPWORDS.has(l)),
        [],
        `central: ${top.join(', ')}`,
      );
    });
  }
});
