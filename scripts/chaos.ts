/**
 * Fault injection: a cluster of separate processes (a coordinator and shards, each with a data
 * directory), a workload of ingest batches and ticks, and SIGKILLs of a random shard or of the
 * coordinator at random moments (inside tick phases, during ingestion), each followed by a restart.
 * At the end the committed graph hash and the answers to the sample queries are compared with a
 * failure-free run of the same workload; documents are counted for losses and duplicates.
 *
 *   node dist/scripts/chaos.js [--faults N] [--seed S] [--shards N] [--replicas R] [--permanent] [--coordinators C] [--docs FILE.jsonl] [--forgets N] [--keep]
 *
 * With --forgets N the workload also forgets N documents it ingested earlier (docs/forget.md), spread
 * over the ingest batches; faults land in forgets like in any other step.
 * With --coordinators C (C ≥ 1), C coordinators keep the state in a real 3-member etcd cluster that the
 * run starts (scripts/etcd-members.ts) and elect a leader; coordinators are among the victims, and the
 * time from killing the leader until a coordinator serves again is reported (failover). Their df records
 * fold into a snapshot every 8 (`--etcd-compact-at 8`), so compactions meet the faults too.
 *
 * With --replicas R (docs/replication.md) each of the N shards has R copies: N × R shard processes, a
 * primary and R − 1 followers each. With --permanent (R ≥ 2) every third shard victim is never restarted:
 * once its shard has failed over, the operator removes it (`phago shard remove ID --identity X`) and a
 * new shard process (a fresh identity and data directory) joins and becomes the follower that restores
 * the copies. With --no-replace (implies --permanent) no new process comes: the coordinators run with
 * `--rereplicate-after 0`, so the survivors restore the copies (a surplus follower moves, or the short
 * shard folds into the others); the run waits for it after each removal and reports "restoredMs" (the
 * longest wait) and "folds". The joining and leaving shard of the workload is left out then.
 *
 * Documents are counted by distinct DocumentId (a corpus may repeat a document). After every step a
 * document query is asked: `partial` counts answers with missing shards; `unavailableMs` is the longest
 * time a step (ingest, tick, forget, membership change) kept failing before it went through.
 *
 * Prints one line per fault and, last, one JSON object {"faults","differences","lost","duplicated",
 * "partial","unavailableMs","seed"} (with --replicas also "replicas", "permanent" and "removed"; with
 * --coordinators also "coordinators", "failovers" and "maxFailoverMs").
 * Exit code 0 when nothing differed, 1 otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateDocument, type DocumentInput } from '../src/core/input.js';
import { DEFAULT_LIMITS } from '../src/core/limits.js';
import { LocalEngine } from '../src/engine/local.js';
import { readDocsJsonl, readQueriesJsonl } from '../src/io/files.js';
import { Etcd3 } from 'etcd3';
import { describeError } from '../src/rpc/client.js';
import { LeaderClient } from '../src/rpc/leader-client.js';
import { startEtcd, type EtcdMembers } from './etcd-members.js';
import { CoordinatorServiceClient } from '../src/rpc/proto.js';
import { freePort } from '../src/util/net.js';
import { Prng } from '../src/util/prng.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli', 'main.js');
const CORPUS = join(HERE, '..', '..', 'data', 'phago-corpus');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`chaos: --${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return v;
}

const FAULTS = arg('faults', 50);
const SEED = arg('seed', 1);
const SHARDS = arg('shards', 3);
const FORGETS = arg('forgets', 0);
const COORDINATORS = arg('coordinators', 0);
const REPLICAS = Math.max(1, arg('replicas', 1));
const NO_REPLACE = process.argv.includes('--no-replace');
const PERMANENT = process.argv.includes('--permanent') || NO_REPLACE;
if (PERMANENT && REPLICAS < 2) {
  process.stderr.write('chaos: --permanent needs --replicas 2 or more (a shard with one copy loses its data)\n');
  process.exit(2);
}
const LEASE_TTL_S = 2;
const KEEP = process.argv.includes('--keep');
const DOCS = process.argv.includes('--docs') ? process.argv[process.argv.indexOf('--docs') + 1] : join(CORPUS, 'docs.jsonl');
const rng = new Prng(SEED);
const log = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One cluster member as a process that can be killed and started again with the same data. */
class Member {
  child: ChildProcess | null = null;
  output = '';
  constructor(
    readonly name: string,
    readonly args: string[],
    private readonly ready: RegExp,
    private readonly logFile?: string,
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // never two processes on one data directory
        reject(new Error(`${this.name} did not start:\n${err.slice(-2000)}`));
      }, 60_000);
      child.stdout!.on('data', (d) => {
        out += d;
        this.output = out;
        if (this.ready.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr!.on('data', (d) => {
        if (this.logFile) appendFileSync(this.logFile, d);
        err += d;
        if (err.length > 100_000) err = err.slice(-50_000);
      });
      child.on('exit', (code, sig) => {
        clearTimeout(timer);
        if (!this.ready.test(out)) reject(new Error(`${this.name} exited (${code ?? sig}) before it was ready:\n${err.slice(-2000)}`));
      });
    });
  }

  kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  }
}

/** The workload: ingest batches with ticks in between, then ticks until well past digestion. */
interface Step {
  kind: 'ingest' | 'tick' | 'join' | 'leave' | 'forget';
  docs?: DocumentInput[];
  /** forget: DocumentIds of documents ingested by earlier steps. */
  ids?: string[];
  tick?: number;
}

function workload(docs: DocumentInput[]): Step[] {
  const steps: Step[] = [];
  let tick = 0;
  // forgets: after each ingest batch but the first, some documents of the earlier batches (distinct ids)
  const ids = docs.map((d) => validateDocument(d, DEFAULT_LIMITS).id);
  const batches = Math.ceil(docs.length / 10);
  const perBatch = batches > 1 ? Math.ceil(FORGETS / (batches - 1)) : 0;
  const gone = new Set<string>();
  let left = FORGETS;
  for (let i = 0; i < docs.length; i += 10) {
    const pool = [...new Set(ids.slice(0, i))].filter((id) => !gone.has(id));
    const pickNow: string[] = [];
    for (let k = 0; k < Math.min(perBatch, left, pool.length); k++) pickNow.push(pool.splice(rng.int(pool.length), 1)[0]);
    if (pickNow.length > 0) {
      for (const id of pickNow) gone.add(id);
      left -= pickNow.length;
      steps.push({ kind: 'forget', ids: pickNow });
    }
    steps.push({ kind: 'ingest', docs: docs.slice(i, i + 10) });
    if (!NO_REPLACE && (i === 20 || i === 60)) steps.push({ kind: 'join' });
    if (!NO_REPLACE && (i === 40 || i === 80)) steps.push({ kind: 'leave' });
    for (let k = 0; k < 3; k++) steps.push({ kind: 'tick', tick: ++tick });
  }
  for (let k = 0; k < 40; k++) steps.push({ kind: 'tick', tick: ++tick });
  return steps;
}

type Hit = { id: string; score: number; key?: string; label?: string };

async function answers(query: (text: string, concepts: boolean) => Promise<Hit[]>, texts: string[]): Promise<string[]> {
  const out: string[] = [];
  const flat = (hits: Hit[]) => hits.map((h) => [h.id, h.key ?? h.label, h.score]);
  for (const t of texts) out.push(JSON.stringify([flat(await query(t, false)), flat(await query(t, true))]));
  return out;
}

async function main(): Promise<number> {
  const docs = readDocsJsonl(DOCS);
  // what the cluster must hold: each distinct document once (a repeated line is the same document)
  const queries = readQueriesJsonl(join(CORPUS, 'queries.jsonl')).map((q) => q.text);
  const steps = workload(docs);
  const forgotten = new Set(steps.flatMap((s) => s.ids ?? []));
  const expected = new Set(docs.map((d) => validateDocument(d, DEFAULT_LIMITS).id)).size - forgotten.size;

  // the failure-free run (one process; the tests prove it equals any partition)
  const ref = new LocalEngine();
  for (const s of steps) {
    if (s.kind === 'ingest') await ref.ingest(s.docs!);
    else if (s.kind === 'tick') await ref.tick(1);
    else if (s.kind === 'forget') await ref.forget(s.ids!);
  }
  const refHash = await ref.graphHash();
  const refAnswers = await answers(async (t, c) => (c ? (await ref.searchConcepts(t, 10)).hits : (await ref.searchDocuments(t, 10)).hits), queries);
  log(`failure-free run: ${steps.length} steps, tick ${(await ref.stats()).tick}, graph ${refHash.slice(0, 16)}…`);

  const dir = mkdtempSync(join(tmpdir(), 'phago-chaos-'));
  const token = randomBytes(16).toString('hex');
  const common = ['--cluster-token', token, '--log-level', KEEP ? 'info' : 'warn'];
  const coordArgs = ['coordinator', '--phase-timeout', '5000', '--lease', '1000', '--retry-window', '0', '--replicas', String(REPLICAS), ...(NO_REPLACE ? ['--rereplicate-after', '0'] : []), '--token', `${token}-client`, '--admin-token', `${token}-admin`, ...common];
  // one coordinator with a data directory, or several on a 3-member etcd cluster (each on its own port,
  // below the ephemeral range, so that it restarts on it)
  let etcd: EtcdMembers | null = null;
  const coordinators: Member[] = [];
  const addresses: string[] = [];
  try {
    if (COORDINATORS > 0) {
      etcd = await startEtcd(3);
      log(`etcd: 3 members at ${etcd.endpoints.join(',')}`);
    }
    for (let i = 0; i < Math.max(1, COORDINATORS); i++) {
      const port = await freePort();
      const name = COORDINATORS > 0 ? `coordinator ${i + 1}` : 'coordinator';
      const where = etcd ? ['--etcd', etcd.endpoints.join(','), '--lease-ttl', String(LEASE_TTL_S), '--etcd-compact-at', '8'] : ['--data-dir', join(dir, 'coordinator')];
      const m = new Member(name, [...coordArgs, '--port', String(port), ...where], /listening/, join(dir, `${name.replace(' ', '-')}.log`));
      coordinators.push(m);
      await m.start(); // (bound before the next free port is looked for)
      addresses.push(`127.0.0.1:${port}`);
    }
  } catch (e) {
    await Promise.all(coordinators.map((m) => m.kill()));
    await etcd?.stop();
    throw e;
  }
  const addr = addresses.join(',');
  const etcdClient = etcd ? new Etcd3({ hosts: etcd.endpoints, dialTimeout: 2000 }) : null;
  const leaderOf = async () => (etcdClient ? await etcdClient.namespace('/phago/').election('coordinator').leader() : addresses[0]);
  const failovers: number[] = [];
  const shardProcess = (i: number) => new Member(`shard process ${i}`, ['shard', '--join', addr, '--port', '0', '--data-dir', join(dir, `shard-${i}`), '--identity', `chaos-shard-${i}`, '--checkpoint-every', '7', ...common], /shard \d+ /, join(dir, `shard-${i}.log`));
  const shards = Array.from({ length: SHARDS * REPLICAS }, (_, i) => shardProcess(i + 1));
  let nextProcess = SHARDS * REPLICAS + 2;
  let permanent = 0;
  let removed = 0;
  let restoredMs = 0;
  let folds = 0;
  let shardVictims = 0;
  let partial = 0;
  let unavailableMs = 0;
  const joiner = new Member(`shard process ${SHARDS * REPLICAS + 1} (joining)`, ['shard', '--join', addr, '--port', '0', '--data-dir', join(dir, `shard-joiner`), '--checkpoint-every', '7', ...common], /shard \d+ /, join(dir, `shard-joiner.log`));
  const members = [...coordinators, ...shards];
  const client = new LeaderClient(CoordinatorServiceClient, addr, { token }, 20_000);

  let faults = 0;
  const where = new Map<string, number>();
  try {
    for (const s of shards) await s.start();

    /** Kill a random member at a random moment while `op` runs, note where it landed, restart it. */
    const injectDuring = async (op: () => Promise<unknown>, label: string, exclude?: Member) => {
      const candidates = members.filter((m) => m !== exclude);
      const victim = candidates[rng.int(candidates.length)];
      const delay = rng.int(40);
      const running = op().then(
        () => 'ok',
        (e) => `failed: ${describeError(e)}`,
      );
      await sleep(delay);
      let at = label;
      try {
        const st = await client.call('tick_status', {}, 300);
          if (st.in_progress) at = `tick ${st.tick} phase ${st.phase}`;
        else if (label === 'tick') at = 'between phases (tick done or not started)';
      } catch {
        at = `${label} (coordinator unreachable)`;
      }
      // a shard process may stay down only when its shard keeps another copy in sync
      let mayRetire = false;
      if (PERMANENT && shards.includes(victim) && (shardVictims + 1) % 3 === 0) {
        const identity = victim.args[victim.args.indexOf('--identity') + 1];
        const l = ((await client.call('list_shards', {}, 2000).catch(() => ({ shards: [] }))).shards ?? []) as { id: number; identity: string; in_sync: boolean }[];
        const me = l.find((x) => x.identity === identity);
        mayRetire = !!me && l.some((x) => x.id === me.id && x.identity !== identity && x.in_sync);
      }
      const wasLeader = COORDINATORS > 0 && coordinators.includes(victim) && (await leaderOf().catch(() => undefined)) === addresses[coordinators.indexOf(victim)];
      const killedAt = Date.now();
      await victim.kill();
      faults++;
      // a killed leader: how long until a coordinator serves again (another is elected, or it comes back)
      const failover = wasLeader ? serving(killedAt) : null;
      const key = at.replace(/tick \d+ /, '');
      where.set(key, (where.get(key) ?? 0) + 1);
      log(`fault ${faults}: SIGKILL ${victim.name} during ${at}`);
      const isShard = shards.includes(victim);
      if (isShard) shardVictims++;
      if (mayRetire) {
        await running;
        await retire(victim);
        return;
      }
      // restart at once: an operation such as a join can only finish once the victim is back
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          await victim.start();
          break;
        } catch (e) {
          log(`restart of ${victim.name} failed (attempt ${attempt}): ${(e as Error).message.split('\n')[0]}`);
          await sleep(500);
        }
      }
      if (failover) {
        const ms = await failover;
        failovers.push(ms);
        log(`failover: a coordinator serves again ${ms} ms after the leader was killed (lease ${LEASE_TTL_S} s)`);
      }
      await running;
    };

    /**
     * A shard process that never comes back: wait until its shard failed over (no member of the cluster
     * lists it as a primary), remove it with the operator command, and start a new process that becomes
     * a follower and restores the copies.
     */
    const retire = async (victim: Member) => {
      const identity = victim.args[victim.args.indexOf('--identity') + 1];
      permanent++;
      const list = async () => (await client.call('list_shards', {})).shards as { id: number; identity: string; role: string; in_sync: boolean }[];
      const t0 = Date.now();
      for (;;) {
        // the watchdog promotes a follower once the dead primary's lease runs out; a tick retry does too
        const mine = (await list().catch(() => [])).find((x) => x.identity === identity);
        if (mine && mine.role === 'follower') {
          const r = await removeMember(mine.id, identity);
          if (r) break;
        }
        if (Date.now() - t0 > 60_000) throw new Error(`${victim.name} (${identity}) was not failed over within 60 s`);
        await sleep(200);
      }
      removed++;
      shards.splice(shards.indexOf(victim), 1);
      members.splice(members.indexOf(victim), 1);
      if (NO_REPLACE) {
        // the survivors restore the copies: every shard back to R copies in sync, or one shard left
        const groups = (l: { id: number }[]) => new Set(l.map((x) => x.id)).size;
        const before = groups(await list());
        const t1 = Date.now();
        for (;;) {
          const l = await list().catch(() => []);
          const ids = [...new Set(l.map((x) => x.id))];
          const whole = ids.every((g) => l.filter((x) => x.id === g && (x.role === 'primary' || x.in_sync)).length >= REPLICAS);
          if (l.length > 0 && (whole || ids.length === 1)) {
            restoredMs = Math.max(restoredMs, Date.now() - t1);
            folds += Math.max(0, before - ids.length);
            log(`${victim.name} (${identity}) stays down: removed with phago shard remove; the survivors hold ${ids.length === 1 && !whole ? 'what they can (one shard left)' : `${REPLICAS} copies of every shard`} after ${Date.now() - t1} ms (${ids.length} shard(s))`);
            return;
          }
          if (Date.now() - t1 > 120_000) throw new Error(`the survivors did not restore ${REPLICAS} copies within 120 s of removing ${identity}`);
          await sleep(200);
        }
      }
      const fresh = shardProcess(nextProcess++);
      shards.push(fresh);
      members.push(fresh);
      await fresh.start();
      log(`${victim.name} (${identity}) stays down: removed with phago shard remove; ${fresh.name} joined in its place`);
    };

    /** `phago shard remove ID --identity X` as an operator runs it; true when it removed the member. */
    const removeMember = (id: number, identity: string): Promise<boolean> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [CLI, 'shard', 'remove', String(id), '--identity', identity, '--coordinator', addresses.join(','), '--admin-token', `${token}-admin`], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (out += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          if (code !== 0) log(`phago shard remove ${id} --identity ${identity}: ${out.trim().split('\n').pop()}`);
          resolve(code === 0);
        });
      });

    /** Ms from `since` until a coordinator answers current_tick (only the leader does). */
    const serving = async (since: number): Promise<number> => {
      const probe = new LeaderClient(CoordinatorServiceClient, addr, { token }, 1000);
      try {
        for (;;) {
          if (await probe.call('current_tick', {}, 1000).then(() => true, () => false)) return Date.now() - since;
          if (Date.now() - since > 60_000) throw new Error('no coordinator served within 60 s of the leader being killed');
          await sleep(20);
        }
      } finally {
        probe.close();
      }
    };

    /** A coordinator that stepped down (it lost its lease) exits: start it again as a standby. */
    const revive = async () => {
      for (const m of coordinators) if (m.child && (m.child.exitCode !== null || m.child.signalCode !== null)) await m.start().catch((e: Error) => log(`restart of ${m.name} failed: ${e.message.split('\n')[0]}`));
    };

    const planned = new Set<number>();
    // spread the faults over the steps; the membership changes always get one
    // the membership changes always get a fault, sometimes two
    for (let i = 0; i < steps.length; i++) if (steps[i].kind === 'join' || steps[i].kind === 'leave') planned.add(i);
    while (planned.size < Math.min(FAULTS, steps.length)) planned.add(rng.int(steps.length));
    let extra = FAULTS - planned.size; // more faults than steps: some steps get two
    let joinerId = 0;
    const shardIds = async () => ((await client.call('list_shards', {})).shards as { id: number; role: string }[]).filter((x) => x.role !== 'follower').map((x) => x.id);
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      let op: () => Promise<unknown>;
      let done: () => Promise<boolean>;
      if (s.kind === 'ingest') {
        op = () => client.call('ingest', { docs: s.docs!.map((d) => ({ ...(d.id === undefined ? {} : { id: d.id }), title: d.title ?? '', text: d.text })) });
        done = async () => false;
      } else if (s.kind === 'forget') {
        // the ids were ingested by earlier steps: NOT_FOUND means an earlier try forgot them (a try cut
        // short by a fault is rolled forward by the coordinator before anything else)
        let forgot = false;
        op = () =>
          client.call('forget', { ids: s.ids }).then(
            () => (forgot = true),
            (e) => {
              if (/NOT_FOUND/.test(describeError(e))) forgot = true;
              else throw e;
            },
          );
        done = async () => forgot;
      } else if (s.kind === 'tick') {
        op = () => client.call('run_ticks', { ticks: 1 });
        done = async () => (await client.call('current_tick', {})).tick >= s.tick!;
      } else if (s.kind === 'join') {
        // the new shard registers (and the cluster rebalances) inside its start-up; it retries until whole
        op = async () => {
          if (joiner.child && joiner.child.exitCode === null && joiner.child.signalCode === null) return;
          await joiner.start();
        };
        done = async () => {
          const m = joiner.output.match(/shard (\d+) /);
          if (!m || !joiner.child || joiner.child.exitCode !== null || joiner.child.signalCode !== null) return false;
          joinerId = Number(m[1]);
          return (await shardIds()).includes(joinerId) && (await shardIds()).length === SHARDS + 1;
        };
        if (!members.includes(joiner)) members.push(joiner);
      } else {
        op = () => client.call('unregister', { id: joinerId });
        done = async () => !(await shardIds()).includes(joinerId);
      }
      let fault = planned.has(i) ? 1 + (extra > 0 && rng.next() < 0.5 ? (extra--, 1) : 0) : 0;
      const giveUp = Date.now() + 180_000; // a slow machine gets time; a stuck cluster does not hang the run
      let failingSince = 0;
      for (;;) {
        await revive();
        if (Date.now() > giveUp) throw new Error(`step ${i} (${s.kind}) did not complete in 180 s`);
        try {
          if (await done()) break;
        } catch {
          await sleep(100);
          continue;
        }
        if (fault > 0) {
          fault--;
          failingSince ||= Date.now();
          // (the leaving shard itself is not killed: restarted, it would register as a new shard)
          await injectDuring(op, s.kind === 'ingest' ? 'ingestion' : s.kind === 'forget' ? 'forget' : s.kind === 'tick' ? 'tick' : s.kind === 'join' ? 'rebalancing (join)' : 'rebalancing (leave)', s.kind === 'leave' ? joiner : undefined);
          continue; // re-check and re-run the step
        }
        try {
          await op();
          if (s.kind === 'ingest') break;
        } catch {
          failingSince ||= Date.now();
          await sleep(100 + rng.int(200));
        }
      }
      if (failingSince) unavailableMs = Math.max(unavailableMs, Date.now() - failingSince);
      // a query after every step: does every shard (or a replica of it) answer?
      const q = await client.call('query', { text: queries[i % queries.length], k: 10 }).catch(() => null);
      if (q && (q.missing_shards as number[]).length > 0) {
        partial++;
        log(`partial answer after step ${i}: shard(s) ${(q.missing_shards as number[]).join(', ')} missing`);
      }
      if (s.kind === 'leave') {
        members.splice(members.indexOf(joiner), 1);
        await joiner.kill();
        log(`shard ${joinerId} left the cluster`);
      } else if (s.kind === 'join') log(`shard ${joinerId} joined the cluster`);
    }

    // every shard answers and every df report has landed
    for (let i = 0; i < 100; i++) {
      const ok = await client.call('stats', {}).then((st) => st.documents === expected, () => false);
      if (ok) break;
      await sleep(200);
    }
    const st = await client.call('stats', { with_graph_hash: true });
    const held: number = st.held_documents;
    const engineAnswers = await answers(async (t, c) => {
      const r = await client.call('query', { text: t, k: 10, concepts: c });
      return c ? r.concepts : r.documents;
    }, queries);
    let differences = 0;
    if (st.graph_hash !== refHash) {
      differences++;
      log(`DIFFERENCE: graph hash ${st.graph_hash} != ${refHash}`);
    }
    engineAnswers.forEach((a, i) => {
      if (a !== refAnswers[i]) {
        differences++;
        log(`DIFFERENCE: answers to "${queries[i]}"`);
      }
    });
    const lost = Math.max(0, expected - held);
    const duplicated = Math.max(0, held - expected) + Math.max(0, st.documents - expected);
    if (st.documents !== expected) log(`coordinator counts ${st.documents} documents, expected ${expected}`);
    log(`faults by moment: ${[...where.entries()].sort().map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    log(`final: tick ${st.tick}, ${st.documents} documents (${held} held by shards), ${st.nodes} concepts, ${st.edges} edges, ${differences} difference(s)`);
    const failover = COORDINATORS > 0 ? { coordinators: COORDINATORS, failovers: failovers.length, maxFailoverMs: Math.max(0, ...failovers) } : {};
    if (failovers.length > 0) log(`failovers: ${failovers.length}, ${failovers.join(', ')} ms (lease ${LEASE_TTL_S} s)`);
    const replication = REPLICAS > 1 ? { replicas: REPLICAS, permanent, removed, ...(NO_REPLACE ? { noReplace: true, restoredMs, folds } : {}) } : {};
    log(JSON.stringify({ faults, differences, lost, duplicated, partial, unavailableMs, seed: SEED, ...replication, ...failover }));
    return differences === 0 && lost === 0 && duplicated === 0 ? 0 : 1;
  } finally {
    client.close();
    await Promise.all([...coordinators, ...members].map((m) => m.kill()));
    etcdClient?.close();
    await etcd?.stop();
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
    else log(`data kept in ${dir}`);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`chaos: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
