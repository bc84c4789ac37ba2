import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { serveMetrics } from '../metrics/metrics.js';
import { DEFAULT_LIMITS } from '../core/limits.js';
import { Coordinator, type CoordinatorOptions } from '../coordinator/coordinator.js';
import { addEtcdOptions, runOnEtcd, type EtcdCliOptions } from './etcd-commands.js';
import { ClusterEngine } from '../engine/cluster.js';
import { InputError, readDocsFromPath } from '../io/files.js';
import { describeError } from '../rpc/client.js';
import type { SecurityConfig } from '../rpc/security.js';
import { ShardNode } from '../shard/shard.js';
import { progress } from '../util/progress.js';
import { addColonyOptions, colonyConfigFrom, intArg, printHits } from './common.js';
import { clock } from '../util/clock.js';

export const DEFAULT_COORDINATOR = '127.0.0.1:7070';

interface SecOpts {
  token?: string;
  clusterToken?: string;
  adminToken?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
}

/** Who runs the command: its credential options (docs/security.md). */
type Who = 'client' | 'admin' | 'coordinator' | 'shard';

function addSecurityOptions(cmd: Command, who: Who): Command {
  // a shard is told the client and admin tokens (optional) only to tell them from wrong ones: it refuses
  // them with PERMISSION_DENIED rather than UNAUTHENTICATED
  const known = who === 'shard' ? ' (optional: a shard refuses it with PERMISSION_DENIED instead of UNAUTHENTICATED)' : '';
  if (who !== 'admin') cmd.option('--token <token>', `client token${known} (default: $PHAGO_TOKEN)`);
  if (who === 'shard' || who === 'coordinator') cmd.option('--cluster-token <token>', "the members' token, shards and coordinators (default: $PHAGO_CLUSTER_TOKEN)");
  if (who !== 'client') cmd.option('--admin-token <token>', `admin token, for membership operations${known} (default: $PHAGO_ADMIN_TOKEN)`);
  cmd.option('--tls-ca <file>', 'CA certificate to trust (enables TLS to the cluster)');
  if (who === 'shard' || who === 'coordinator') cmd.option('--tls-cert <file>', 'serve TLS with this certificate').option('--tls-key <file>', 'private key of --tls-cert');
  return cmd;
}

const TOKEN_ENV = { client: 'PHAGO_TOKEN', member: 'PHAGO_CLUSTER_TOKEN', admin: 'PHAGO_ADMIN_TOKEN' } as const;
const TOKEN_FLAG = { client: '--token', member: '--cluster-token', admin: '--admin-token' } as const;

function tokenOf(o: SecOpts, role: 'client' | 'member' | 'admin'): string | undefined {
  return (role === 'client' ? o.token : role === 'member' ? o.clusterToken : o.adminToken) ?? process.env[TOKEN_ENV[role]];
}

function tls(o: SecOpts) {
  if ((o.tlsCert && !o.tlsKey) || (o.tlsKey && !o.tlsCert)) throw new InputError('--tls-cert and --tls-key go together');
  for (const f of [o.tlsCert, o.tlsKey, o.tlsCa]) if (f && !existsSync(f)) throw new InputError(`TLS file not found: ${f}`);
  return { cert: o.tlsCert, key: o.tlsKey, ca: o.tlsCa };
}

/** A process that sends one role's token (a client, an operator, a shard). */
function security(o: SecOpts, role: 'client' | 'member' | 'admin' = 'client'): SecurityConfig {
  const token = tokenOf(o, role);
  if (!token) throw new InputError(`no ${role === 'member' ? 'cluster' : role} token: pass ${TOKEN_FLAG[role]} or set ${TOKEN_ENV[role]} (the coordinator prints the tokens it generated when it starts without)`);
  // a shard's server accepts the cluster token only (it knows the others, when given, to refuse them)
  return { token, ...(role === 'member' ? { roles: { member: token, client: tokenOf(o, 'client'), admin: tokenOf(o, 'admin') } } : {}), tls: tls(o) };
}

/** The coordinator: every role's token, each generated (and returned in `generated`) when not given. */
function coordinatorSecurity(o: SecOpts): { sec: SecurityConfig; generated: string[] } {
  const generated: string[] = [];
  const get = (role: 'client' | 'member' | 'admin') => {
    const t = tokenOf(o, role);
    if (t) return t;
    const made = randomBytes(24).toString('hex');
    generated.push(`${TOKEN_FLAG[role]} ${made}`);
    return made;
  };
  const roles = { client: get('client'), member: get('member'), admin: get('admin') };
  if (new Set(Object.values(roles)).size < 3) throw new InputError('--token, --cluster-token and --admin-token must be three different tokens (each is a role)');
  return { sec: { token: roles.member, roles, tls: tls(o) }, generated };
}

function addClientOptions(cmd: Command): Command {
  cmd.option('--coordinator <host:port>', 'coordinator address, or several comma-separated (on etcd: calls follow the leader) (default: $PHAGO_COORDINATOR or 127.0.0.1:7070)');
  return addSecurityOptions(cmd, 'client');
}

function connect(o: SecOpts & { coordinator?: string }): ClusterEngine {
  return new ClusterEngine(o.coordinator ?? process.env.PHAGO_COORDINATOR ?? DEFAULT_COORDINATOR, security(o));
}

/** Structured logs (pino, JSON lines on stderr). */
function makeLogger(level: string, bindings: Record<string, unknown>) {
  const logger = pino({ level, base: { pid: process.pid, ...bindings } }, pino.destination(2));
  return { logger, log: (msg: string) => logger.info(msg) };
}

let log: (msg: string) => void = (msg) => process.stderr.write(`${msg}\n`);

function addServerOptions(cmd: Command): Command {
  return cmd
    .option('--max-document-bytes <n>', 'largest document text accepted (INVALID_ARGUMENT past it)', intArg('--max-document-bytes', 1), DEFAULT_LIMITS.maxDocumentBytes)
    .option('--max-query-terms <n>', 'most distinct terms in a query', intArg('--max-query-terms', 1), DEFAULT_LIMITS.maxQueryTerms)
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://host:port/metrics', intArg('--metrics-port', 0))
    .option('--log-level <level>', 'log level: fatal, error, warn, info, debug', 'info');
}

/** Keep the process up until SIGINT/SIGTERM, then run `stop`. */
function untilSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    stop().then(
      () => process.exit(0),
      (e) => {
        log(`error while stopping: ${describeError(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export function coordinatorCommand(): Command {
  const cmd = new Command('coordinator')
    .description('run a coordinator (CoordinatorService over gRPC)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0), 7070)
    .option('--phase-timeout <ms>', 'how long one tick phase may take before the tick aborts', intArg('--phase-timeout', 1), 30_000)
    .option('--lease <ms>', 'heartbeat lease: silent shards become suspect after it, offline after twice it', intArg('--lease', 1), 3000)
    .option('--data-dir <dir>', 'keep the coordinator state in SQLite here (without it: memory only)')
    .option('--retry-window <ms>', 'run_ticks re-runs an aborted tick once every shard answers, for up to this long', intArg('--retry-window', 0), 60_000)
    .option('--max-query-deadline <ms>', 'the largest per-shard deadline a query may ask for (deadline_ms; INVALID_ARGUMENT above it)', intArg('--max-query-deadline', 1), 30_000)
    .option('--replicas <r>', 'copies of every shard: a shard process that registers becomes a follower of a shard with fewer than r copies (docs/replication.md)', intArg('--replicas', 1), 1)
    .option('--rereplicate-after <ms>', 'a shard left short of copies by `phago shard remove` waits this long for a new process; then the survivors restore its copies (its keys move to the other shards, its processes follow them)', intArg('--rereplicate-after', 0), 60_000);
  addColonyOptions(cmd);
  addSecurityOptions(cmd, 'coordinator');
  addServerOptions(cmd);
  addEtcdOptions(cmd);
  return cmd.action(async (o: SecOpts & EtcdCliOptions & { host: string; port: number; phaseTimeout: number; lease: number; dataDir?: string; retryWindow: number; maxQueryDeadline: number; replicas: number; rereplicateAfter: number; seed: number; digestPerTick: number; wiringLimit: number; metricsPort?: number; logLevel: string; maxDocumentBytes: number; maxQueryTerms: number }) => {
    log = makeLogger(o.logLevel, { role: 'coordinator' }).log;
    const { sec, generated } = coordinatorSecurity(o);
    const explicit = cmd.getOptionValueSource('seed') === 'cli' || cmd.getOptionValueSource('digestPerTick') === 'cli' || cmd.getOptionValueSource('wiringLimit') === 'cli';
    const copts: CoordinatorOptions = { host: o.host, port: o.port, security: sec, config: explicit || (!o.dataDir && !o.etcd) ? colonyConfigFrom(o) : undefined, phaseTimeoutMs: o.phaseTimeout, leaseMs: o.lease, dataDir: o.dataDir, retryWindowMs: o.retryWindow, maxQueryDeadlineMs: o.maxQueryDeadline, queryDeadlineMs: Math.min(5000, o.maxQueryDeadline), limits: { maxDocumentBytes: o.maxDocumentBytes, maxQueryTerms: o.maxQueryTerms }, replicas: o.replicas, rereplicateAfterMs: o.rereplicateAfter, log };
    if (o.etcd) return runOnEtcd(copts, o, generated, untilSignal);
    const c = new Coordinator(copts);
    const port = await c.start();
    log(`coordinator listening on ${o.host}:${port}`);
    // generated tokens: the client one for clients, the cluster one for shards, the admin one for operators
    if (generated.length > 0) log(`generated credentials (pass them on; docs/security.md): ${generated.join(', ')}`);
    const metrics = o.metricsPort !== undefined ? await serveMetrics(c.metrics.registry, o.host, o.metricsPort) : undefined;
    if (metrics) log(`metrics on http://${o.host}:${(metrics.address() as { port: number }).port}/metrics`);
    process.stdout.write(`listening ${o.host}:${port}${metrics ? ` metrics ${o.host}:${(metrics.address() as { port: number }).port}` : ''}\n`);
    untilSignal(async () => {
      metrics?.close();
      await c.stop();
    });
  });
}

/** A shard's persistent identity: --identity, else a file in its data directory (created once). */
function shardIdentity(o: { identity?: string; dataDir?: string }): string {
  if (o.identity) return o.identity;
  if (!o.dataDir) throw new InputError('a shard needs --data-dir (where it keeps its identity) or --identity');
  mkdirSync(o.dataDir, { recursive: true });
  const f = join(o.dataDir, 'identity');
  if (!existsSync(f)) writeFileSync(f, `${randomUUID()}\n`);
  return readFileSync(f, 'utf8').trim();
}

export function shardCommand(): Command {
  const cmd = new Command('shard')
    .description('run a shard and join a coordinator')
    .option('--join <host:port>', 'coordinator address, or several comma-separated (coordinators on etcd: the shard follows the leader); required (not a required option so that `phago shard remove` parses)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', intArg('--port', 0), 0)
    .option('--advertise <host:port>', 'address the coordinator and other shards use to reach this shard (default host:port)')
    .option('--data-dir <dir>', 'data directory: the shard identity and its durable state (SQLite)')
    .option('--identity <id>', 'persistent identity (instead of one kept in --data-dir)')
    .option('--checkpoint-every <ticks>', 'committed ticks between graph checkpoints', intArg('--checkpoint-every', 1), 50)
    .option('--leave', 'on SIGINT/SIGTERM, unregister from the cluster before stopping');
  addSecurityOptions(cmd, 'shard');
  addServerOptions(cmd);
  return cmd.action(async (o: SecOpts & { join: string; host: string; port: number; advertise?: string; dataDir?: string; identity?: string; leave?: boolean; checkpointEvery: number; metricsPort?: number; logLevel: string; maxDocumentBytes: number; maxQueryTerms: number }) => {
    if (!o.join) throw new InputError("required option '--join <host:port>' not specified");
    log = makeLogger(o.logLevel, { role: 'shard' }).log;
    const s = new ShardNode({ join: o.join, host: o.host, port: o.port, advertise: o.advertise, identity: shardIdentity(o), dataDir: o.dataDir, checkpointEvery: o.checkpointEvery, limits: { maxDocumentBytes: o.maxDocumentBytes, maxQueryTerms: o.maxQueryTerms }, security: security(o, 'member'), log });
    const id = await s.start().catch((e) => {
      throw new InputError(`could not join ${o.join}: ${describeError(e)}`);
    });
    log(s.role === 'follower' ? `follower of shard ${id} on ${s.address}, joined ${o.join} (docs/replication.md)` : `shard ${id} serving on ${s.address}, joined ${o.join}`);
    const metrics = o.metricsPort !== undefined ? await serveMetrics(s.metrics.registry, o.host, o.metricsPort) : undefined;
    if (metrics) log(`metrics on http://${o.host}:${(metrics.address() as { port: number }).port}/metrics`);
    process.stdout.write(`shard ${id} ${s.address}${s.role === 'follower' ? ' follower' : ''}\n`);
    untilSignal(async () => {
      metrics?.close();
      if (o.leave) await s.leave();
      await s.stop();
    });
  });
}

export function ingestCommand(): Command {
  const cmd = new Command('ingest')
    .description('ingest files, folders or JSONL into a cluster (routed through the coordinator)')
    .argument('<paths...>', '.jsonl files, text files, or folders of .txt/.md/.jsonl files')
    .option('--quiet', 'no progress bar');
  addClientOptions(cmd);
  return cmd.action(async (paths: string[], o: SecOpts & { coordinator?: string; quiet?: boolean }) => {
    const docs = paths.flatMap((p) => readDocsFromPath(p));
    if (docs.length === 0) throw new InputError('no documents found');
    const e = connect(o);
    try {
      const bar = progress('ingest', docs.length, !!o.quiet);
      const r = await e.ingest(docs, (d) => bar.update(d));
      bar.stop();
      console.log(`${r.created} document(s) ingested, ${r.unchanged} already present`);
    } finally {
      await e.close();
    }
  });
}

export function tickCommand(): Command {
  const cmd = new Command('tick')
    .description('run ticks on a cluster and wait for them to commit')
    .argument('[n]', 'number of ticks', intArg('n', 0), 1)
    .option('--until-digested', 'run as many ticks as digesting every pending document takes')
    .option('--quiet', 'no progress bar');
  addClientOptions(cmd);
  return cmd.action(async (n: number, o: SecOpts & { coordinator?: string; untilDigested?: boolean; quiet?: boolean }) => {
    const e = connect(o);
    try {
      let bar: ReturnType<typeof progress> | undefined;
      const r = await e.tick(o.untilDigested ? 'digest' : n, (done, total) => {
        bar ??= progress(o.untilDigested ? 'digest' : 'ticks', total, !!o.quiet);
        bar.update(done);
      });
      bar?.stop();
      console.log(`${r.ticks} tick(s) run, now at tick ${r.tick}; ${r.digested} document(s) digested`);
    } finally {
      await e.close();
    }
  });
}

export function statusCommand(): Command {
  const cmd = new Command('status').description('show the cluster: shards, epoch, tick, phase').option('--json', 'print JSON');
  addClientOptions(cmd);
  return cmd.action(async (o: SecOpts & { coordinator?: string; json?: boolean }) => {
    const e = connect(o);
    try {
      const [list, status, stats] = await Promise.all([e.coordinator.call('list_shards', {}), e.coordinator.call('tick_status', {}), e.coordinator.call('stats', {})]);
      if (o.json) return void console.log(JSON.stringify({ shards: list.shards, epoch: list.epoch, tick: status, stats }));
      console.log(`epoch ${list.epoch}  tick ${status.current_tick}${status.in_progress ? `  (tick ${status.tick} in progress: ${status.phase}, pending shards ${status.pending.join(',') || '-'})` : ''}`);
      console.log(`${stats.documents} documents (${stats.pending} pending), ${stats.nodes} concepts, ${stats.edges} edges`);
      if (status.failure) console.log(`last failure: ${status.failure}`);
      // a follower (docs/replication.md) is listed after its primary, with its shard's id
      const role = (s: any) => (s.role === 'follower' ? (s.in_sync ? 'follower, in sync' : 'follower, catching up') : 'primary');
      const rows = list.shards.map((s: any) => [String(s.id), role(s), s.address, s.status, String(s.document_count), String(s.node_count), String(s.edge_count), s.last_heartbeat_ms ? `${((clock.nowMs() - s.last_heartbeat_ms) / 1000).toFixed(1)}s ago` : '-']);
      const head = ['id', 'role', 'address', 'status', 'documents', 'concepts', 'edges', 'heartbeat'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r: string[]) => r[i].length)));
      for (const r of [head, ...rows]) console.log(r.map((c: string, i: number) => c.padEnd(widths[i])).join('  '));
    } finally {
      await e.close();
    }
  });
}

export function clusterQueryAction() {
  return async (text: string, o: SecOpts & { coordinator?: string; concepts?: boolean; k: number; alpha: number; json?: boolean }) => {
    const e = connect(o);
    try {
      const res = o.concepts ? await e.searchConcepts(text, o.k, o.alpha) : await e.searchDocuments(text, o.k);
      if (o.json) return void process.stdout.write(JSON.stringify(res) + '\n');
      if (res.missingShards.length > 0) console.log(`partial answer: shard(s) ${res.missingShards.join(', ')} did not answer in time`);
      printHits(res.hits, !!o.concepts);
    } finally {
      await e.close();
    }
  };
}

export function exploreCommand(): Command {
  const cmd = new Command('explore')
    .description('structural queries on a cluster: neighbours <label>, path <from> <to>, central, bridges')
    .argument('<kind>', 'neighbours | path | central | bridges')
    .argument('[labels...]', 'concept labels')
    .option('-k <n>', 'number of results', intArg('-k', 1), 10)
    .option('--json', 'print JSON');
  addClientOptions(cmd);
  return cmd.action(async (kind: string, labels: string[], o: SecOpts & { coordinator?: string; k: number; json?: boolean }) => {
    const e = connect(o);
    try {
      let out: unknown;
      let lines: string[];
      if (kind === 'neighbours' || kind === 'neighbors') {
        if (labels.length !== 1) throw new InputError('neighbours takes one label');
        const r = await e.neighbours(labels[0], o.k);
        out = r;
        lines = r.map((n, i) => `${String(i + 1).padStart(3)}. ${n.label.padEnd(24)} weight ${n.weight.toFixed(4)}  co-activations ${n.coActivations}`);
      } else if (kind === 'path') {
        if (labels.length !== 2) throw new InputError('path takes two labels');
        const r = await e.path(labels[0], labels[1]);
        out = r;
        lines = [r.found ? `${r.path.map((p) => p.label).join(' → ')}  (cost ${r.cost.toFixed(3)})` : `no path between "${labels[0]}" and "${labels[1]}"`];
      } else if (kind === 'central') {
        const r = await e.central(o.k);
        out = r;
        lines = r.map((c, i) => `${String(i + 1).padStart(3)}. ${c.label.padEnd(24)} betweenness ${c.centrality.toFixed(2)}`);
      } else if (kind === 'bridges') {
        const r = await e.bridges(o.k);
        out = r;
        lines = r.map((c, i) => `${String(i + 1).padStart(3)}. ${c.label.padEnd(24)} fragility ${c.fragility.toFixed(3)}  separates ${c.separates}`);
      } else throw new InputError(`unknown kind "${kind}" (use neighbours, path, central or bridges)`);
      if (o.json) console.log(JSON.stringify(out));
      else console.log(lines.length > 0 ? lines.join('\n') : '  (none)');
    } finally {
      await e.close();
    }
  });
}

export { addClientOptions, addSecurityOptions, connect, security };
