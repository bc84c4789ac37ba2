import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColonyConfig } from '../core/config.js';
import { Coordinator } from '../coordinator/coordinator.js';
import { ClusterEngine } from './cluster.js';
import type { SecurityConfig } from '../rpc/security.js';
import { ShardNode, type ShardOptions } from '../shard/shard.js';

export interface EmbeddedOptions {
  shards: number;
  config?: Partial<ColonyConfig>;
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
    this.security = { token: opts.token ?? (opts.dataDir ? persistedToken(opts.dataDir) : randomBytes(24).toString('hex')) };
  }

  static async start(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
    const c = new EmbeddedCluster(opts);
    await c.boot();
    return c;
  }

  private async boot(): Promise<void> {
    if (!Number.isInteger(this.opts.shards) || this.opts.shards < 1) throw new RangeError(`shards must be a positive integer, got ${this.opts.shards}`);
    this.coordinator = new Coordinator({ security: this.security, config: this.opts.config, expansion: this.opts.expansion, coordination: this.opts.coordination, log: this.opts.log, phaseTimeoutMs: this.opts.phaseTimeoutMs, dataDir: this.dir('coordinator') });
    const port = await this.coordinator.start();
    this.address = `127.0.0.1:${port}`;
    for (let i = 0; i < this.opts.shards; i++) {
      const s = new ShardNode({ join: this.address, identity: `embedded-shard-${i + 1}`, security: this.security, dataDir: this.dir(`shard-${i + 1}`), log: this.opts.log, ...this.opts.shardOptions?.(i) });
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

  engine(): ClusterEngine {
    return new ClusterEngine(this.address, this.security, () => this.stop());
  }

  async stop(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.stop()));
    await this.coordinator.stop();
  }
}
