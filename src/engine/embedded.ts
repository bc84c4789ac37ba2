import { randomBytes } from 'node:crypto';
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
    this.security = { token: opts.token ?? randomBytes(24).toString('hex') };
  }

  static async start(opts: EmbeddedOptions): Promise<EmbeddedCluster> {
    const c = new EmbeddedCluster(opts);
    await c.boot();
    return c;
  }

  private async boot(): Promise<void> {
    if (!Number.isInteger(this.opts.shards) || this.opts.shards < 1) throw new RangeError(`shards must be a positive integer, got ${this.opts.shards}`);
    this.coordinator = new Coordinator({ security: this.security, config: this.opts.config, expansion: this.opts.expansion, coordination: this.opts.coordination, log: this.opts.log, phaseTimeoutMs: this.opts.phaseTimeoutMs });
    const port = await this.coordinator.start();
    this.address = `127.0.0.1:${port}`;
    for (let i = 0; i < this.opts.shards; i++) {
      const s = new ShardNode({ join: this.address, identity: `embedded-shard-${i + 1}`, security: this.security, log: this.opts.log, ...this.opts.shardOptions?.(i) });
      await s.start();
      this.shards.push(s);
    }
  }

  engine(): ClusterEngine {
    return new ClusterEngine(this.address, this.security, () => this.stop());
  }

  async stop(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.stop()));
    await this.coordinator.stop();
  }
}
