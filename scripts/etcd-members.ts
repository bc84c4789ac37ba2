/**
 * Real etcd members on loopback ports in a temporary directory, for the tests and the chaos run: one
 * member, or a cluster of N (started together). `/usr/bin/etcd` (Debian `etcd-server`), or $PHAGO_ETCD.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.PHAGO_ETCD ?? '/usr/bin/etcd';

/** Why etcd members cannot be started here, or null when they can. */
export function etcdMissing(): string | null {
  return existsSync(ETCD_BIN) ? null : `${ETCD_BIN} is not installed (Debian: apt-get install etcd-server; or set PHAGO_ETCD)`;
}

export interface EtcdMembers {
  /** Client URLs, one per member. */
  endpoints: string[];
  members: ChildProcess[];
  /** SIGKILL every member, wait for them (bounded) and remove the data. */
  stop(): Promise<void>;
}

/** `n` distinct free ports (all bound at once, then released). */
async function ports(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push(s);
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Start an etcd cluster of `n` members and wait (at most `timeoutMs`) until it answers. */
export async function startEtcd(n: number, timeoutMs = 20_000): Promise<EtcdMembers> {
  const missing = etcdMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'phago-etcd-'));
  const p = await ports(2 * n);
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);
  const client = (i: number) => `http://127.0.0.1:${p[2 * i]}`;
  const peer = (i: number) => `http://127.0.0.1:${p[2 * i + 1]}`;
  const initial = names.map((m, i) => `${m}=${peer(i)}`).join(',');
  const logs: string[] = names.map(() => '');
  const members = names.map((name, i) => {
    const child = spawn(
      ETCD_BIN,
      [
        '--name', name,
        '--data-dir', join(dir, name),
        '--listen-client-urls', client(i),
        '--advertise-client-urls', client(i),
        '--listen-peer-urls', peer(i),
        '--initial-advertise-peer-urls', peer(i),
        '--initial-cluster', initial,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `phago-${process.pid}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d) => (logs[i] = (logs[i] + d).slice(-4000)));
    return child;
  });
  const endpoints = names.map((_, i) => client(i));
  const stop = async () => {
    await Promise.all(
      members.map((m) => {
        if (m.exitCode !== null || m.signalCode !== null) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000); // (an unkillable member is left behind, not waited for forever)
          m.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          m.kill('SIGKILL');
        });
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  // ready when every member reports itself healthy (it has a leader), over plain HTTP: an etcd client
  // that failed against a member still starting would keep a breaker timer alive for seconds
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < n; i++) {
    for (;;) {
      const dead = members.find((m) => m.exitCode !== null);
      if (dead) {
        await stop();
        throw new Error(`etcd member exited with ${dead.exitCode}:\n${logs[members.indexOf(dead)].slice(-1500)}`);
      }
      const healthy = await fetch(`${endpoints[i]}/health`, { signal: AbortSignal.timeout(1000) }).then(
        async (r) => r.ok && ((await r.json()) as { health?: string }).health === 'true',
        () => false,
      );
      if (healthy) break;
      if (Date.now() > end) {
        await stop();
        throw new Error(`etcd member ${names[i]} was not healthy within ${timeoutMs} ms:\n${logs[i].slice(-1500)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { endpoints, members, stop };
}
