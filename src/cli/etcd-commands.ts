// `phago coordinator --etcd URL[,URL...]`: one coordinator of a group on etcd (a standby until it is
// elected leader; docs/etcd.md).
import type { Command } from 'commander';
import type { CoordinatorOptions } from '../coordinator/coordinator.js';
import { CoordinatorCandidate } from '../coordinator/leadership.js';
import { InputError } from '../io/files.js';
import { serveMetrics } from '../metrics/metrics.js';
import { intArg } from './common.js';

export interface EtcdCliOptions {
  etcd?: string;
  leaseTtl: number;
  etcdPrefix: string;
  etcdCompactAt: number;
  advertise?: string;
  metricsPort?: number;
}

export function addEtcdOptions(cmd: Command): Command {
  return cmd
    .option('--etcd <urls>', 'keep the state in etcd (comma-separated client URLs, e.g. http://127.0.0.1:2379); several coordinators elect a leader')
    .option('--lease-ttl <s>', 'with --etcd: seconds of the leader lease (a standby takes over at most this long after the leader stops)', intArg('--lease-ttl', 1), 3)
    .option('--etcd-prefix <prefix>', 'with --etcd: key prefix of this cluster', '/phago/')
    .option('--etcd-compact-at <n>', 'with --etcd: fold the df records into a snapshot once there are this many (docs/etcd.md)', intArg('--etcd-compact-at', 2), 1024)
    .option('--advertise <host:port>', 'with --etcd: the address shards and clients use to reach this coordinator (default host:port)');
}

/**
 * Run a coordinator candidate: prints `listening HOST:PORT` once it serves as a standby and
 * `leader HOST:PORT` once elected. A leader that loses its lease becomes a standby again; a candidate
 * that cannot take over (its --seed or other colony options differ from the stored colony's) exits with
 * status 3.
 */
export async function runOnEtcd(copts: CoordinatorOptions, o: EtcdCliOptions, generated: readonly string[], untilSignal: (stop: () => Promise<void>) => void): Promise<void> {
  const endpoints = o.etcd!.split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  for (const u of endpoints) if (!/^https?:\/\/[^/\s]+$/.test(u)) throw new InputError(`--etcd takes client URLs like http://127.0.0.1:2379; got "${u.slice(0, 200)}"`);
  if (copts.dataDir) throw new InputError('--etcd and --data-dir exclude each other: with --etcd the state lives in etcd');
  // every coordinator of the group must hold the same credentials: none may be made up by one of them
  if (generated.length > 0) throw new InputError(`--etcd needs every credential given (--token, --cluster-token and --admin-token, or their PHAGO_ variables): each coordinator of the group, shard, client and operator shares them; missing: ${generated.map((g) => g.split(' ')[0]).join(', ')}`);
  const log = copts.log ?? (() => {});
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  const cand = new CoordinatorCandidate(copts, {
    endpoints,
    leaseTtlS: o.leaseTtl,
    prefix: o.etcdPrefix,
    dfCompactAt: o.etcdCompactAt,
    advertise: o.advertise,
    onDeposed: (reason) => log(`a standby again, campaigning: ${reason}`),
    onTakeoverFailed: (reason) => {
      log(`exiting: ${reason}`);
      process.exit(3);
    },
    onElected: (c) => {
      process.stdout.write(`leader ${cand.address}\n`);
      if (o.metricsPort !== undefined && !metrics)
        void serveMetrics(c.metrics.registry, copts.host ?? '127.0.0.1', o.metricsPort).then((m) => {
          metrics = m;
          log(`metrics on http://${copts.host}:${(m.address() as { port: number }).port}/metrics`);
        });
    },
  });
  const port = await cand.start();
  log(`coordinator listening on ${copts.host}:${port} as a standby; campaigning on etcd ${endpoints.join(',')} (lease ${o.leaseTtl} s)`);
  process.stdout.write(`listening ${copts.host}:${port}\n`);
  untilSignal(async () => {
    metrics?.close();
    await cand.stop();
  });
}
