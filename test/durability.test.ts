import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readDocsJsonl } from '../src/io/files.js';
import { RpcClient } from '../src/rpc/client.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { ShardNode } from '../src/shard/shard.js';
import type { DocumentInput } from '../src/core/input.js';
import { LocalEngine } from '../src/engine/local.js';
import { freePort } from '../src/util/net.js';
import { CORPUS, exitOf, killProcess, killStarted, LONG, ROOT, startProcess, within, tempDir } from './helpers.js';

after(killStarted);

const start = startProcess;
const kill = killProcess;

/** The graph hash of a failure-free run: ingest, then `ticks` ticks, in one process. */
async function referenceHash(docs: DocumentInput[], ticks: number, digestPerTick?: number): Promise<string> {
  const ref = new LocalEngine(digestPerTick ? { digestPerTick } : {});
  await ref.ingest(docs);
  await ref.tick(ticks);
  return ref.graphHash();
}

/** Poll `f` until `ok`; calls that fail (a restarting server) count as not yet. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await f();
      if (ok(v) || Date.now() > end) return v;
    } catch (e) {
      if (Date.now() > end) throw e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a killed shard goes suspect then offline within the lease, comes back online with its id and its data', LONG, async () => {
  const dir = tempDir('phago-lease-');
  const token = 'lease-test';
  const lease = 600;
  const c = await start(['coordinator', '--port', '0', '--token', `${token}-client`, '--cluster-token', token, '--lease', String(lease), '--data-dir', join(dir, 'c'), '--retry-window', '0'], /listening (\S+)/);
  const addr = c.match[1];
  const shardArgs = (i: number) => ['shard', '--join', addr, '--port', '0', '--cluster-token', token, '--data-dir', join(dir, `s${i}`)];
  const shards = [];
  for (let i = 1; i <= 3; i++) shards.push(await start(shardArgs(i), /shard (\d+) /));
  const client = new RpcClient(CoordinatorServiceClient, addr, { token });
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 30);
  await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
  await client.call('run_ticks', { ticks: 10 });
  const hash = (await client.call('stats', { with_graph_hash: true })).graph_hash;
  const victim = shards[1];
  const id = Number(victim.match[1]);
  const killedAt = Date.now();
  await kill(victim.child);
  const status = async () => (await client.call('list_shards', {})).shards.find((s: { id: number }) => s.id === id).status as string;
  assert.equal(await until(status, (s) => s === 'SUSPECT'), 'SUSPECT');
  const suspectAfter = Date.now() - killedAt;
  assert.equal(await until(status, (s) => s === 'OFFLINE'), 'OFFLINE');
  const offlineAfter = Date.now() - killedAt;
  // heartbeats every second: suspect after at most lease + one heartbeat, offline after 2 × lease + one
  assert.ok(suspectAfter <= lease + 1000 + 500, `suspect after ${suspectAfter} ms`);
  assert.ok(offlineAfter <= 2 * lease + 1000 + 500, `offline after ${offlineAfter} ms`);
  // a tick cannot commit without it, and queries say they are partial
  await assert.rejects(client.call('run_ticks', { ticks: 1 }), /ABORTED|aborted/);
  const q = await client.call('query', { text: 'cell membrane', k: 5 });
  assert.equal(q.partial, true);
  assert.deepEqual(q.missing_shards, [id]);
  assert.equal((await client.call('current_tick', {})).tick, 10);
  // back, with the same id and its data
  const back = await start(shardArgs(2), /shard (\d+) /);
  assert.equal(Number(back.match[1]), id);
  assert.equal(await until(status, (s) => s === 'ONLINE'), 'ONLINE');
  assert.equal((await client.call('stats', { with_graph_hash: true })).graph_hash, hash);
  await client.call('run_ticks', { ticks: 1 });
  assert.equal((await client.call('current_tick', {})).tick, 11);
  client.close();
});

test('a coordinator killed mid-tick aborts the undecided tick on restart; current_tick never goes back or skips', LONG, async () => {
  const dir = tempDir('phago-coord-');
  const token = 'restart-test';
  const security = { token };
  const port = await freePort();
  // 5 documents a tick, so that tick 4 still has work (an empty tick skips DECAY)
  const coordArgs = ['coordinator', '--port', String(port), '--token', `${token}-client`, '--cluster-token', token, '--data-dir', join(dir, 'c'), '--retry-window', '0', '--digest-per-tick', '5'];
  let coord = await start(coordArgs, /listening/);
  let hold: Promise<void> | null = null;
  const shards = [0, 1].map((i) => new ShardNode({ join: `127.0.0.1:${port}`, identity: `s${i}`, security, dataDir: join(dir, `s${i}`), beforePhase: async (phase) => (i === 1 && phase === 'DECAY' && hold ? hold : undefined) }));
  const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, security, 10_000);
  try {
    for (const s of shards) await within(s.start(), 60_000, 'an in-process shard did not start and register');
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 20);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 3 });
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    await client.call('start_tick', {});
    await until(() => client.call('tick_status', {}), (s) => s.in_progress && s.phase === 'DECAY');
    await kill(coord.child); // dies in the middle of tick 4, its state on disk
    coord = await start(coordArgs, /listening/);
    hold = null;
    release();
    const st = await until(() => client.call('tick_status', {}), (s) => !s.in_progress && s.current_tick === 3, 30_000);
    assert.equal(st.current_tick, 3);
    // the shards rolled tick 4 back; it runs again and commits as tick 4
    await until(() => client.call('run_ticks', { ticks: 1 }).then(() => true, () => false), (ok) => ok);
    assert.equal((await client.call('current_tick', {})).tick, 4);
    await client.call('run_ticks', { ticks: 2 });
    assert.equal((await client.call('current_tick', {})).tick, 6);
    // the same graph as a run without the crash
    assert.equal((await client.call('stats', { with_graph_hash: true })).graph_hash, await referenceHash(docs, 6, 5));
  } finally {
    // in-process servers would keep this test file alive after a failure
    client.close();
    for (const s of shards) await within(s.stop(), 10_000, 'an in-process shard did not stop');
  }
});

test('a coordinator killed right after recording a commit decision completes the tick on restart', LONG, async () => {
  const dir = tempDir('phago-decision-');
  const token = 'decision-test';
  const security = { token };
  const port = await freePort();
  const coordArgs = ['coordinator', '--port', String(port), '--token', `${token}-client`, '--cluster-token', token, '--data-dir', join(dir, 'c'), '--retry-window', '0'];
  let coord = await start(coordArgs, /listening/);
  const shards = [0, 1, 2].map((i) => new ShardNode({ join: `127.0.0.1:${port}`, identity: `s${i}`, security, dataDir: join(dir, `s${i}`) }));
  const client = new RpcClient(CoordinatorServiceClient, `127.0.0.1:${port}`, security, 10_000);
  try {
    for (const s of shards) await within(s.start(), 60_000, 'an in-process shard did not start and register');
    const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 30);
    await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
    await client.call('run_ticks', { ticks: 2 });
    await kill(coord.child);
    // this coordinator dies after it records the commit of tick 3, before any shard hears of it
    coord = await start(coordArgs, /listening/, 20_000, { PHAGO_FAILPOINT: 'after-decision' });
    const died = exitOf(coord.child, 60_000, 'the coordinator did not reach its after-decision failpoint');
    // a tick that aborts (the restarted coordinator still converging) is run again until one decides
    const exited = () => coord.child.exitCode !== null || coord.child.signalCode !== null;
    for (const end = Date.now() + 60_000; !exited() && Date.now() < end; ) {
      await client.call('run_ticks', { ticks: 1 }).catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    await died;
    assert.deepEqual(shards.map((s) => s.committedTick), [2, 2, 2]); // prepared, not committed
    coord = await start(coordArgs, /listening/);
    await until(async () => shards.map((s) => s.committedTick), (t) => t.every((x) => x === 3));
    assert.equal((await until(() => client.call('current_tick', {}), () => true)).tick, 3);
    await client.call('run_ticks', { ticks: 2 });
    assert.equal((await client.call('current_tick', {})).tick, 5);
    assert.equal((await client.call('stats', { with_graph_hash: true })).graph_hash, await referenceHash(docs, 5));
  } finally {
    client.close();
    for (const s of shards) await within(s.stop(), 10_000, 'an in-process shard did not stop');
  }
});

/** Run scripts/chaos.js and return its last JSON line (and its exit code). */
async function chaos(args: string[]): Promise<{ code: number | null; last: Record<string, number>; out: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'chaos.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await exitOf(child, 400_000, 'the chaos run did not finish').catch((e) => {
    throw new Error(`${(e as Error).message}\n${out.slice(-3000)}`);
  });
  return { code, last: JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>, out };
}

test('a short chaos run: kills of shards and the coordinator change nothing', { timeout: 420_000 }, async () => {
  const r = await chaos(['--faults', '8', '--seed', '11']);
  const { unavailableMs, ...rest } = r.last;
  assert.deepEqual(rest, { faults: 8, differences: 0, lost: 0, duplicated: 0, partial: 0, seed: 11 }, r.out);
  assert.ok(unavailableMs >= 0, r.out);
  assert.equal(r.code, 0);
});

test('a short chaos run with replicated shards: kill -9 of primaries and followers, some never restarted and removed, changes nothing', { timeout: 420_000 }, async () => {
  const r = await chaos(['--faults', '9', '--seed', '4', '--shards', '2', '--replicas', '2', '--permanent']);
  const { unavailableMs, permanent, removed, ...rest } = r.last;
  assert.deepEqual(rest, { faults: 9, differences: 0, lost: 0, duplicated: 0, partial: 0, seed: 4, replicas: 2 }, r.out);
  assert.ok(permanent >= 1 && removed === permanent, `some victims stayed down and were removed:\n${r.out}`);
  assert.ok(unavailableMs >= 0, r.out);
  assert.equal(r.code, 0);
});

test('phago shard --leave: SIGTERM drains the shard (its data moves) before it stops', LONG, async () => {
  const dir = tempDir('phago-leave-');
  const token = 'leave-test';
  const c = await start(['coordinator', '--port', '0', '--token', `${token}-client`, '--cluster-token', token, '--data-dir', join(dir, 'c')], /listening (\S+)/);
  const addr = c.match[1];
  for (let i = 1; i <= 2; i++) await start(['shard', '--join', addr, '--port', '0', '--cluster-token', token, '--data-dir', join(dir, `s${i}`)], /shard \d+ /);
  const client = new RpcClient(CoordinatorServiceClient, addr, { token });
  const docs = readDocsJsonl(join(CORPUS, 'docs.jsonl')).slice(0, 40);
  await client.call('ingest', { docs: docs.map((d) => ({ id: d.id, title: d.title, text: d.text })) });
  await client.call('run_ticks', { ticks: 8 });
  const hash = (await client.call('stats', { with_graph_hash: true })).graph_hash;
  const third = await start(['shard', '--join', addr, '--port', '0', '--cluster-token', token, '--data-dir', join(dir, 's3'), '--leave'], /shard (\d+) /);
  const st = await client.call('stats', {});
  assert.ok(st.last_rebalance.documents > 0, 'the joining shard received documents');
  assert.equal(st.held_documents, 40);
  const exited = exitOf(third.child, 60_000, 'the leaving shard did not drain and stop after SIGTERM');
  third.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  const list = await client.call('list_shards', {});
  assert.equal(list.shards.length, 2);
  const after = await client.call('stats', { with_graph_hash: true });
  assert.equal(after.held_documents, 40);
  assert.equal(after.graph_hash, hash);
  client.close();
});
