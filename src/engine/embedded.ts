import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColonyConfig } from '../core/config.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { ClusterEngine } from './cluster.js';
import type { SecurityConfig } from '../rpc/security.js';
import { withRole } from '../rpc/roles.js';
import { ShardNode, type ShardOptions } from '../shard/shard.js';

export interface EmbeddedOptions {
  /** Shard processes (servers); with `replicas` r they form groups of a primary and r − 1 followers. */
  shards: number;
  /** Copies of every shard's data (docs/replication.md); default 1. */
  replicas?: number;
  /** How long a group left short by a removal waits before the survivors restore its copies (ms). */
  rereplicateAfterMs?: number;
  /** The coordinator's heartbeat lease (ms). */
  leaseMs?: number;
  /** How long run_ticks retries an aborted tick (ms; default 0: not at all). */
  retryWindowMs?: number;
  config?: Partial<ColonyConfig>;
  /** The client token (default: generated; the cluster and admin tokens are always generated). */
  token?: string;
  expansion?: number;
  coordination?: boolean;
  log?: (msg: string) => void;
  /** Options for shard i (0-based), e.g. test hooks. */
  shardOptions?: (i: number) => Partial<ShardOptions>;
  phaseTimeoutMs?: number;
  /**
   * Durable: the coordinator keeps its state under dataDir/coordinator, shard i under dataDir/shard-i,
   * and the cluster token in dataDir/token, so a restart (even after a kill -9) recovers the colony.
   */
  dataDir?: string;
}

/** The token kept in a data directory (created once, readable by its owner only). */
function persistedToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const f = join(dataDir, 'token');
  if (!existsSync(f)) writeFileSync(f, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  return readFileSync(f, 'utf8').trim();
}

/**
 * A whole cluster in one process: a coordinator and N shards, each with its own gRPC server on an
 * ephemeral 127.0.0.1 port, talking through real sockets exactly as separate processes would.
 */
export class EmbeddedCluster {
  readonly security: SecurityConfig;
  coordinator!: Coordinator;
  readonly shards: ShardNode[] = [];
  address = '';

  constructor(private readonly opts: EmbeddedOptions) {
    // separate credentials per role (src/rpc/roles.ts): `security` sends the cluster token (what the
    // coordinator and shards use); engine() is a client; withRole(security, 'admin') an operator. With a
    // data directory the client token is kept there, so that a client of the restarted cluster keeps working.
    const member = randomBytes(24).toString('hex');
    const client = opts.token ?? (opts.dataDir ? persistedToken(opts.dataDir) : randomBytes(24).toString('hex'));
    this.security = { token: member, roles: { client, member, admin: randomBytes(24).toString('hex') } };
  }

  static async start(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
    const c = new EmbeddedCluster(opts);
    await c.boot();
    return c;
  }

  private async boot(): Promise<void> {
    if (!Number.isInteger(this.opts.shards) || this.opts.shards < 1) throw new RangeError(`shards must be a positive integer, got ${this.opts.shards}`);
    this.coordinator = new Coordinator({ security: this.security, config: this.opts.config, expansion: this.opts.expansion, coordination: this.opts.coordination, log: this.opts.log, phaseTimeoutMs: this.opts.phaseTimeoutMs, dataDir: this.dir('coordinator'), replicas: this.opts.replicas, rereplicateAfterMs: this.opts.rereplicateAfterMs, leaseMs: this.opts.leaseMs, retryWindowMs: this.opts.retryWindowMs });
    const port = await this.coordinator.start();
    this.address = `127.0.0.1:${port}`;
    for (let i = 0; i < this.opts.shards; i++) {
      const s = new ShardNode({ join: this.address, identity: `embedded-shard-${i + 1}`, security: this.shardSecurity, dataDir: this.dir(`shard-${i + 1}`), log: this.opts.log, ...this.opts.shardOptions?.(i) });
      await s.start();
      this.shards.push(s);
    }
  }

  private dir(name: string): string | undefined {
    if (!this.opts.dataDir) return undefined;
    const d = join(this.opts.dataDir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** What a shard holds: it sends the cluster token; its server accepts only that one (ShardService is members'
   * only) and knows the others to refuse them with PERMISSION_DENIED. */
  get shardSecurity(): SecurityConfig {
    return this.security;
  }

  /** A client of the cluster (the client token). */
  engine(): ClusterEngine {
    return new ClusterEngine(this.address, withRole(this.security, 'client'), () => this.stop());
  }

  async stop(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.stop()));
    await this.coordinator.stop();
  }
}
