// Several coordinators on etcd: each serves at once as a standby (every call is refused UNAVAILABLE
// naming the leader, so clients and shards go there) and campaigns in an etcd election whose key lives
// on a lease of --lease-ttl seconds. The one elected loads the state from etcd, replaces its standby
// server by a Coordinator on the same port, converges the shards (recovery.ts) and serves. Its writes
// compare its election key (fencing): when the lease is lost, a write fails and it steps down. See
// docs/etcd.md.
import { Etcd3, type Campaign, type Election } from 'etcd3';
import { describeError } from '../rpc/client.js';
import { NOT_LEADER } from '../rpc/leader-client.js';
import { coordinatorService } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../rpc/server.js';
import { EtcdCoordinatorStorage } from '../storage/etcd-coordinator-storage.js';
import { clock } from '../util/clock.js';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';

export interface EtcdOptions {
  /** etcd client URLs (http://host:port). */
  endpoints: string[];
  /** Seconds: the leader's lease; a standby takes over at most this long after the leader stops. */
  leaseTtlS?: number;
  /** Key prefix of this cluster in etcd (several clusters may share one etcd). */
  prefix?: string;
  /** The address clients and shards use to reach this coordinator (default host:port). */
  advertise?: string;
  /** Called when this coordinator, leader, lost the leadership (default: it stops serving). */
  onDeposed?: (reason: string) => void;
  /** Called when this coordinator became the leader and serves. */
  onElected?: (c: Coordinator) => void;
}

const ELECTION = 'coordinator';

/** One coordinator process of a group on etcd: a standby until elected, then the leader. */
export class CoordinatorCandidate {
  /** The Coordinator, once elected and serving. */
  coordinator: Coordinator | null = null;
  port = 0;
  address = '';
  /** Wall-clock ms when this candidate was elected (0: not yet). */
  electedAtMs = 0;
  private readonly etcd: Etcd3;
  private readonly election: Election;
  private campaign: Campaign | null = null;
  private standby = newServer();
  private standbyUp = false;
  private stopped = false;
  private takingOver = false;
  private leaderCache = { value: undefined as string | undefined, atMs: 0 };
  private readonly log: (m: string) => void;
  private readonly ttl: number;
  readonly prefix: string;

  constructor(
    private readonly opts: CoordinatorOptions,
    private readonly etcdOpts: EtcdOptions,
  ) {
    if (etcdOpts.endpoints.length === 0) throw new RangeError('no etcd endpoint given');
    this.ttl = etcdOpts.leaseTtlS ?? 3;
    if (!(Number.isInteger(this.ttl) && this.ttl >= 1 && this.ttl <= 3600)) throw new RangeError(`the lease TTL ${this.ttl} must be a whole number of seconds in [1, 3600]`);
    this.prefix = etcdOpts.prefix ?? '/phago/';
    this.etcd = new Etcd3({ hosts: etcdOpts.endpoints, dialTimeout: 2000 });
    this.election = this.etcd.namespace(this.prefix).election(ELECTION, this.ttl);
    this.log = opts.log ?? (() => {});
  }

  /** Serve as a standby and campaign; resolves with the port (the leader, once elected, serves on it). */
  async start(): Promise<number> {
    const handlers: Record<string, Handler> = {};
    for (const name of Object.keys(coordinatorService)) handlers[name] = () => this.refuse();
    addService(this.standby, coordinatorService, handlers, this.opts.security);
    this.port = await listen(this.standby, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0, this.opts.security);
    this.standbyUp = true;
    this.address = this.etcdOpts.advertise ?? `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
    this.runCampaign();
    return this.port;
  }

  get isLeader(): boolean {
    return this.coordinator !== null;
  }

  /** Stop serving; a leader resigns (a standby takes over at once rather than after the lease). */
  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.coordinator;
    this.coordinator = null;
    if (c) await c.stop();
    await this.campaign?.resign().catch(() => undefined);
    if (this.standbyUp) await shutdown(this.standby, 500);
    this.etcd.close();
  }

  /** The leader as etcd names it (the value its candidate campaigned with), cached briefly. */
  async leader(): Promise<string | undefined> {
    const now = clock.nowMs();
    if (now - this.leaderCache.atMs > 200) this.leaderCache = { value: await this.election.leader(), atMs: now };
    return this.leaderCache.value;
  }

  /** A standby's answer to every call: UNAVAILABLE, naming the leader when there is one. */
  private async refuse(): Promise<never> {
    const leader = await this.leader().catch(() => undefined);
    if (leader && leader !== this.address) throw rpcError.unavailable(`${NOT_LEADER}; the leader is at ${leader}`);
    throw rpcError.unavailable(`${NOT_LEADER}; ${leader ? 'this coordinator is taking over as the leader' : 'no leader is elected yet'}, try again`);
  }

  private runCampaign(): void {
    if (this.stopped) return;
    const campaign = this.election.campaign(this.address);
    this.campaign = campaign;
    campaign.on('elected', () => {
      this.takeOver(campaign).catch((e) => this.deposed(`taking over failed: ${describeError(e)}`));
    });
    campaign.on('error', (e: Error) => {
      if (this.coordinator || this.takingOver) this.deposed(`the election lease was lost: ${e.message}`);
      else if (!this.stopped) {
        // a standby whose lease was lost (etcd unreachable): campaign again after a pause
        this.log(`campaign failed (${e.message}); campaigning again`);
        setTimeout(() => this.runCampaign(), 1000).unref();
      }
    });
  }

  /** Elected: load the state from etcd, replace the standby server by the Coordinator, converge. */
  private async takeOver(campaign: Campaign): Promise<void> {
    if (this.stopped) return;
    this.takingOver = true;
    const t0 = clock.nowMs();
    const key = await campaign.getCampaignKey();
    const kv = (await this.etcd.get(key).exec()).kvs[0];
    if (!kv) throw new Error(`the election key ${key} vanished right after the election`);
    const store = await EtcdCoordinatorStorage.load(this.etcd, this.prefix, { key, createRevision: String(kv.create_revision) }, this.ttl * 1000);
    store.onFenced = (e) => this.deposed(e.message);
    await shutdown(this.standby, 0);
    this.standbyUp = false;
    const c = new Coordinator({ ...this.opts, port: this.port, store });
    // the standby's port was just released: bind again (briefly retried)
    for (let i = 0; ; i++) {
      try {
        await c.start();
        break;
      } catch (e) {
        if (i >= 20) throw e;
        await new Promise((r) => setTimeout(r, 50 * (i + 1)));
      }
    }
    if (this.stopped) return void (await c.stop());
    this.coordinator = c;
    this.takingOver = false;
    this.electedAtMs = clock.nowMs();
    this.log(`elected leader at ${this.address}: state loaded from etcd in ${clock.nowMs() - t0} ms (tick ${c.currentTick}, epoch ${c.registry.epoch}, ${c.registry.size} shard(s), ${c.stats.documents} documents)`);
    this.etcdOpts.onElected?.(c);
  }

  private deposed(reason: string): void {
    if (this.stopped) return;
    this.log(`lost the leadership: ${reason}`);
    if (this.etcdOpts.onDeposed) return this.etcdOpts.onDeposed(reason);
    void this.stop().catch(() => undefined);
  }
}
