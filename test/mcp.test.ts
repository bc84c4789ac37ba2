import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { snippet } from '../src/mcp/snippet.js';
import { CLI, killStarted, ROOT, startProcess, until, within } from './helpers.js';

after(killStarted);

const CALL_MS = 30_000;
const DOCS = [
  { id: 'membrane', title: 'Cell membranes', content: 'The cell membrane controls the transport of ions and proteins. Membrane pumps move sodium ions across the lipid bilayer of the cell.' },
  { id: 'qubits', title: 'Quantum error correction', content: 'Quantum error correction protects a qubit from noise. Stabilizer codes spread one logical qubit over many physical qubits and detect errors.' },
  { id: 'genes', title: 'Gene regulation', content: 'Gene expression is regulated by transcription factors binding promoter regions. Regulation of expression shapes the cell.' },
];

async function call(c: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await within(c.callTool({ name, arguments: args }), CALL_MS, `${name} did not answer`)) as CallToolResult;
}
const text = (r: CallToolResult) => (r.content[0] as { text: string }).text;
async function json<T = any>(c: Client, name: string, args: Record<string, unknown>): Promise<T> {
  const r = await call(c, name, args);
  assert.ok(!r.isError, `${name} failed: ${text(r)}`);
  return JSON.parse(text(r)) as T;
}
async function toolError(c: Client, name: string, args: Record<string, unknown>, re: RegExp): Promise<void> {
  const r = await call(c, name, args);
  assert.equal(r.isError, true, `${name}(${JSON.stringify(args)}) should be a tool error, got ${text(r)}`);
  assert.match(text(r), re);
}

/** What every transport must do: tools, remembering, recall, exploring, status, resources, bad arguments. */
async function exercise(c: Client): Promise<void> {
  const { tools } = await within(c.listTools(), CALL_MS, 'tools/list did not answer');
  assert.deepEqual(tools.map((t) => t.name).sort(), ['phago_explore', 'phago_forget', 'phago_recall', 'phago_remember', 'phago_status']);
  for (const t of tools) assert.ok((t.description ?? '').length > 80, `${t.name} has a description an agent can act on`);
  assert.deepEqual((tools.find((t) => t.name === 'phago_remember')!.inputSchema as { required?: string[] }).required, ['content']);

  let nodes = 0;
  for (const d of DOCS) {
    const r = await json(c, 'phago_remember', d);
    assert.equal(r.created, true);
    assert.match(r.id, /^[0-9a-f-]{36}$/);
    assert.equal(r.nodes.before, nodes, 'nodes before are the previous call\'s after');
    assert.ok(r.nodes.after > r.nodes.before && r.edges.after > r.edges.before, 'digesting a document adds concepts and edges');
    assert.ok(r.tick >= 1 && r.digested === 1, `digested in the call: ${JSON.stringify(r)}`);
    nodes = r.nodes.after;
  }
  const again = await json(c, 'phago_remember', DOCS[0]);
  assert.equal(again.created, false, 'the same document again changes nothing');
  assert.equal(again.nodes.after, nodes);

  const rec = await json(c, 'phago_recall', { query: 'qubit error correction', k: 3 });
  assert.equal(rec.documents[0].key, 'qubits', `the qubit document first: ${JSON.stringify(rec.documents)}`);
  assert.equal(rec.documents[0].title, 'Quantum error correction');
  assert.match(rec.documents[0].snippet, /qubit/i);
  assert.ok(rec.documents[0].score > 0);
  assert.ok(rec.concepts.some((x: { label: string }) => x.label === 'qubit'), 'the concept qubit is recalled');
  const onlyConcepts = await json(c, 'phago_recall', { query: 'membrane', target: 'concepts' });
  assert.equal(onlyConcepts.documents, undefined);
  assert.equal(onlyConcepts.concepts[0].label, 'membrane');

  const nb = await json(c, 'phago_explore', { kind: 'neighbours', label: 'qubit', k: 5 });
  assert.ok(nb.neighbours.length > 0 && nb.neighbours.length <= 5);
  assert.ok(nb.neighbours.every((n: { weight: number }) => n.weight > 0));
  const path = await json(c, 'phago_explore', { kind: 'path', from: 'membrane', to: 'ions' });
  assert.equal(path.found, true);
  assert.equal(path.path[0].label, 'membrane');
  assert.equal(path.path.at(-1).label, 'ions');
  assert.ok((await json(c, 'phago_explore', { kind: 'central', k: 3 })).concepts.length === 3);
  assert.ok(Array.isArray((await json(c, 'phago_explore', { kind: 'bridges' })).concepts));

  const st = await json(c, 'phago_status', {});
  assert.equal(st.stats.documents, 3);
  assert.equal(st.stats.pending, 0);
  assert.equal(st.stats.nodes, nodes);

  const { resources } = await within(c.listResources(), CALL_MS, 'resources/list did not answer');
  assert.deepEqual(resources.map((r) => r.name), ['Gene regulation', 'Quantum error correction', 'Cell membranes'], 'newest first');
  const read = await within(c.readResource({ uri: resources[1].uri }), CALL_MS, 'resources/read did not answer');
  assert.match((read.contents[0] as { text: string }).text, /^Quantum error correction\n\nQuantum error correction protects/);
  await assert.rejects(within(c.readResource({ uri: 'phago://documents/nope' }), CALL_MS, 'resources/read did not answer'), /no document nope/);

  // bad arguments: tool errors an agent can act on, and the server keeps answering
  await toolError(c, 'phago_recall', { query: 'qubit', k: 0 }, /k/);
  await toolError(c, 'phago_recall', { k: 3 }, /query/);
  await toolError(c, 'phago_recall', { query: 'qubit', target: 'everything' }, /target/);
  await toolError(c, 'phago_explore', { kind: 'neighbours' }, /needs label/);
  await toolError(c, 'phago_explore', { kind: 'path', from: 'qubit' }, /needs from and to/);
  await toolError(c, 'phago_explore', { kind: 'neighbours', label: 'no-such-concept' }, /no concept labelled "no-such-concept".*phago_recall/);
  await toolError(c, 'phago_explore', { kind: 'sideways' }, /kind/);
  await toolError(c, 'phago_remember', { content: '' }, /content/);
  await toolError(c, 'phago_remember', { id: 'qubits', content: 'other content under the same id' }, /ALREADY_EXISTS|already/i);
  await toolError(c, 'phago_recall', { query: 'the and of' }, /no searchable words/);
  assert.equal((await json(c, 'phago_status', {})).stats.documents, 3, 'still answering, nothing half stored');

  // forgetting: the document leaves, recall no longer returns it, its graph contributions are withdrawn
  const f = await json(c, 'phago_forget', { id: 'qubits' });
  assert.equal(f.forgotten, true);
  assert.equal(f.id, rec.documents[0].id);
  assert.ok(f.withdrawnAtTick > 0 && f.nodes.after < f.nodes.before, `its concepts leave the graph: ${JSON.stringify(f)}`);
  const gone = await json(c, 'phago_recall', { query: 'qubit error correction', k: 3, target: 'documents' });
  assert.ok(gone.documents.every((d: { key: string }) => d.key !== 'qubits'), `no recall returns it: ${JSON.stringify(gone.documents)}`);
  assert.ok(!(await json(c, 'phago_recall', { query: 'qubit', target: 'concepts' })).concepts.some((x: { label: string }) => x.label === 'qubit'), 'the concept only it held is gone');
  await toolError(c, 'phago_forget', { id: 'qubits' }, /not found.*nothing was forgotten/i);
  await toolError(c, 'phago_forget', {}, /id/);
  assert.equal((await json(c, 'phago_status', {})).stats.documents, 2);
  assert.deepEqual((await within(c.listResources(), CALL_MS, 'resources/list did not answer')).resources.map((r) => r.name), ['Gene regulation', 'Cell membranes']);
  // remembered again (an update is forget then remember): back, first for its query
  await json(c, 'phago_remember', DOCS[1]);
  assert.equal((await json(c, 'phago_recall', { query: 'qubit error correction', k: 3 })).documents[0].key, 'qubits');
}

/** POST an initialize request with a chosen Host header (fetch does not let a caller set it). */
function postWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function stdioClient(args: string[]): { client: Client; transport: StdioClientTransport } {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', ...args], cwd: ROOT, stderr: 'pipe' });
  return { client: new Client({ name: 'phago-test', version: '1' }), transport };
}

test('phago mcp over stdio: tools, resources, bad arguments', { timeout: 90_000 }, async () => {
  const { client, transport } = stdioClient([]);
  await within(client.connect(transport), 20_000, 'phago mcp (stdio) did not initialize');
  try {
    await exercise(client);
  } finally {
    await within(client.close(), 10_000, 'closing the stdio client');
  }
});

test('phago mcp over Streamable HTTP: the same, on 127.0.0.1', { timeout: 90_000 }, async () => {
  const { child, match } = await startProcess(['mcp', '--http-port', '0'], /mcp (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
  const client = new Client({ name: 'phago-test', version: '1' });
  await within(client.connect(new StreamableHTTPClientTransport(new URL(match[1]))), 20_000, 'phago mcp (http) did not initialize');
  try {
    await exercise(client);
    // plain HTTP mistakes get HTTP errors, and the server stays up
    assert.equal((await within(fetch(match[1].replace('/mcp', '/other')), 5000, 'GET /other')).status, 404);
    assert.equal((await within(fetch(match[1], { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{not json' }), 5000, 'bad JSON')).status, 400);
    // DNS rebinding: a page on another host name that resolves to 127.0.0.1 is refused
    const foreign = await within(postWithHost(match[1], 'evil.example'), 5000, 'POST with a foreign Host');
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /Invalid Host header/);
    assert.equal((await json(client, 'phago_status', {})).stats.documents, 3);
  } finally {
    await within(client.close(), 10_000, 'closing the http client');
    child.kill('SIGTERM');
  }
});

test('phago mcp --data-dir: killed with SIGKILL and restarted, it still recalls what it acknowledged', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'phago-mcp-'));
  try {
    const first = stdioClient(['--data-dir', dir]);
    await within(first.client.connect(first.transport), 30_000, 'phago mcp --data-dir did not initialize');
    for (const d of DOCS.slice(0, 2)) await json(first.client, 'phago_remember', d);
    const pid = first.transport.pid!;
    process.kill(pid, 'SIGKILL');
    await until(async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, (gone) => gone, 'the killed server is gone', 10_000);
    await first.client.close().catch(() => undefined);

    const second = stdioClient(['--data-dir', dir]);
    await within(second.client.connect(second.transport), 30_000, 'phago mcp --data-dir did not restart');
    try {
      const st = await json(second.client, 'phago_status', {});
      assert.equal(st.stats.documents, 2);
      assert.equal(st.mode, 'cluster');
      assert.equal(st.shards.length, 1);
      const rec = await json(second.client, 'phago_recall', { query: 'qubit noise', target: 'documents' });
      assert.equal(rec.documents[0].key, 'qubits');
      assert.match(rec.documents[0].snippet, /qubit/);
      const { resources } = await within(second.client.listResources(), CALL_MS, 'resources/list did not answer');
      assert.equal(resources.length, 2);
      // and it goes on learning
      const r = await json(second.client, 'phago_remember', DOCS[2]);
      assert.equal(r.created, true);
      assert.ok(r.nodes.after > r.nodes.before);
    } finally {
      await within(second.client.close(), 10_000, 'closing the restarted client');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('phago mcp --coordinator: the tools on a running cluster', { timeout: 90_000 }, async () => {
  const cluster = await within(EmbeddedCluster.start({ shards: 2 }), 30_000, 'the embedded cluster did not start');
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--coordinator', cluster.address], cwd: ROOT, stderr: 'pipe', env: { ...(process.env as Record<string, string>), PHAGO_TOKEN: cluster.security.token! } });
  const client = new Client({ name: 'phago-test', version: '1' });
  const engine = cluster.engine();
  try {
    await within(client.connect(transport), 20_000, 'phago mcp --coordinator did not initialize');
    for (const d of DOCS) assert.equal((await json(client, 'phago_remember', d)).created, true);
    const st = await json(client, 'phago_status', {});
    assert.equal(st.mode, 'cluster');
    assert.deepEqual(st.shards.map((x: { status: string }) => x.status), ['ONLINE', 'ONLINE']);
    assert.equal(st.stats.documents, 3);
    assert.equal((await engine.stats()).documents, 3, 'the documents are in the cluster');
    assert.equal((await json(client, 'phago_recall', { query: 'gene expression', k: 1 })).documents[0].key, 'genes');
  } finally {
    await within(client.close(), 10_000, 'closing the client');
    await engine.close(); // and the cluster
  }
});

test('phago mcp refuses --data-dir with --coordinator', { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, [CLI, 'mcp', '--data-dir', '/tmp/x', '--coordinator', '127.0.0.1:1', '--token', 't'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await within(new Promise((r) => child.on('exit', r)), 20_000, 'phago mcp did not exit');
  assert.equal(code, 1);
  assert.match(err, /exclude each other/);
});

test('snippet: a window around the first query term, whole words only', () => {
  const long = `${'filler words here. '.repeat(30)}The qubit decoheres quickly. ${'more filler text. '.repeat(30)}`;
  const s = snippet(long, 'Qubit');
  assert.match(s, /^….*The qubit decoheres.*…$/);
  assert.ok(s.length <= 242);
  assert.equal(snippet('short text', 'qubit'), 'short text');
  assert.match(snippet(`qubits ${'x '.repeat(200)} qubit`, 'qubit'), /^….*qubit$/, 'whole words: qubits is not qubit');
  assert.match(snippet(long, 'nothing matches'), /^filler words here\./);
});
