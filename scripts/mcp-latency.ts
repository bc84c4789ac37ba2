/**
 * Latency of `phago mcp` through the SDK's client over stdio: start + initialize, phago_remember (20
 * documents of the sample corpus, each digested before it answers) and phago_recall (the 20 sample
 * queries, documents and concepts), in memory and with --data-dir. Run: npm run build && node
 * dist/scripts/mcp-latency.js
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { sampleCorpus } from '../src/util/paths.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const docs = readDocsJsonl(sampleCorpus().docs).slice(0, 20);
const queries = readQueriesJsonl(sampleCorpus().queries).map((q) => q.text);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(1);

for (const durable of [false, true]) {
  const dir = durable ? mkdtempSync(join(tmpdir(), 'phago-mcp-latency-')) : '';
  try {
    let t = performance.now();
    const client = new Client({ name: 'mcp-latency', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', ...(durable ? ['--data-dir', dir] : [])], stderr: 'ignore' }));
    const start = performance.now() - t;
    const remember: number[] = [];
    const recall: number[] = [];
    for (const d of docs) {
      t = performance.now();
      await client.callTool({ name: 'phago_remember', arguments: { id: String(d.id), title: d.title ?? '', content: String(d.text) } });
      remember.push(performance.now() - t);
    }
    for (const q of queries) {
      t = performance.now();
      await client.callTool({ name: 'phago_recall', arguments: { query: q } });
      recall.push(performance.now() - t);
    }
    console.log(`${durable ? '--data-dir' : 'in memory '}: start + initialize ${start.toFixed(0)} ms, phago_remember median ${median(remember)} ms, phago_recall median ${median(recall)} ms`);
    await client.close();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
