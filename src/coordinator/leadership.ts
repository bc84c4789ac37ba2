// Several coordinators on etcd: each serves at once as a standby (every call is refused UNAVAILABLE
// naming the leader, so clients and shards go there) and campaigns in an etcd election whose key lives
// on a lease of --lease-ttl seconds. The one elected loads the state from etcd, hands its server's
// calls to a Coordinator built on that state, converges the shards (recovery.ts) and serves. Its writes
// compare its election key (fencing): when the lease is lost, a write fails, it steps down to a standby
// and campaigns again. See docs/etcd.md.
import { Etcd3, type Campaign, type Election } from 'etcd3';
import { describeError } from '../rpc/client.js';
import { NOT_LEADER } from '../rpc/leader-client.js';
import { coordinatorService } from '../rpc/proto.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../rpc/server.js';
import { COORDINATOR_ACCESS } from '../rpc/roles.js';
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
  /** df records that fold into a snapshot once there are this many (default 1024; docs/etcd.md). */
  dfCompactAt?: number;
  /** The address clients and shards use to reach this coordinator (default host:port). */
  advertise?: string;
  /** Called when this coordinator, leader, lost the leadership (it is a standby again and campaigns). */
  onDeposed?: (reason: string) => void;
  /** Called when this coordinator was elected but can never take over (its colony options differ from the stored ones; default: it campaigns again). */
  onTakeoverFailed?: (reason: string) => void;
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
  /** Wall-clock ms when this candidate was last elected (0: never). */
  electedAtMs = 0;
  private readonly etcd: Etcd3;
  private readonly election: Election;
  private campaign: Campaign | null = null;
  private readonly server = newServer();
  private listening = false;
  /** The leader's handlers; null while a standby (every call is refused with the leader's address). */
  private active: Record<string, Handler> | null = null;
  private store: EtcdCoordinatorStorage | null = null;
  private stopped = false;
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

  /** Serve as a standby and campaign; resolves with the port (the leader serves on the same server). */
  async start(): Promise<number> {
    const handlers: Record<string, Handler> = {};
    for (const name of Object.keys(coordinatorService)) handlers[name] = (req, md) => (this.active ? this.active[name](req, md) : this.refuse());
    addService(this.server, coordinatorService, handlers, this.opts.security, (m, e) => this.log(`error in ${m}: ${describeError(e)}`), COORDINATOR_ACCESS);
    this.port = await listen(this.server, this.opts.host ?? '127.0.0.1', this.opts.port ?? 0, this.opts.security);
    this.listening = true;
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
    await this.standDown();
    await this.campaign?.resign().catch(() => undefined);
    if (this.listening) await shutdown(this.server, 1000);
    this.listening = false;
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
    let elected = false;
    campaign.on('elected', () => {
      elected = true;
      // a RangeError is a candidate that can never take over (its colony options differ from the stored
      // ones); anything else (etcd unreachable meanwhile) is tried again
      this.takeOver(campaign).catch((e) => this.lost(campaign, `taking over failed: ${describeError(e)}`, e instanceof RangeError));
    });
    campaign.on('error', (e: Error) => {
      // the lease was lost (etcd unreachable for longer than the TTL): a leader steps down; either way
      // this candidate campaigns again
      if (elected) this.lost(campaign, `the election lease was lost: ${e.message}`, false);
      else if (campaign === this.campaign && !this.stopped) {
        this.log(`campaign failed (${e.message}); campaigning again`);
        this.campaign = null;
        setTimeout(() => this.runCampaign(), 1000).unref();
      }
    });
  }

  /** Elected: load the state from etcd and hand the server's calls to a Coordinator built on it. */
  private async takeOver(campaign: Campaign): Promise<void> {
    if (this.stopped || campaign !== this.campaign) return;
    const t0 = clock.nowMs();
    const key = await campaign.getCampaignKey();
    const kv = (await this.etcd.get(key).exec()).kvs[0];
    if (!kv) throw new Error(`the election key ${key} vanished right after the election`);
    const store = await EtcdCoordinatorStorage.load(this.etcd, this.prefix, { key, createRevision: String(kv.create_revision) }, this.ttl * 1000, this.etcdOpts.dfCompactAt);
    store.onFenced = (e) => this.lost(campaign, e.message, false);
    // (the config check against the stored colony may refuse here: a misconfigured candidate never serves)
    const c = new Coordinator({ ...this.opts, port: this.port, store, serve: async (h) => ((this.active = h), this.port) });
    this.store = store;
    this.coordinator = c;
    await c.start();
    if (this.stopped || campaign !== this.campaign) return;
    this.electedAtMs = clock.nowMs();
    this.log(`elected leader at ${this.address}: state loaded from etcd in ${this.electedAtMs - t0} ms (tick ${c.currentTick}, epoch ${c.registry.epoch}, ${c.registry.size} shard(s), ${c.stats.documents} documents)`);
    this.etcdOpts.onElected?.(c);
  }

  /** Back to a standby: calls are refused again, the Coordinator stops, pending writes are flushed. */
  private async standDown(): Promise<void> {
    this.active = null;
    const c = this.coordinator;
    const store = this.store;
    this.coordinator = null;
    this.store = null;
    if (c) await c.stop().catch((e) => this.log(`stopping the coordinator: ${describeError(e)}`));
    await store?.flush().catch(() => undefined);
  }

  /** Leadership lost (or never taken): stand down, resign, campaign again (or report a fatal failure). */
  private lost(campaign: Campaign, reason: string, fatal: boolean): void {
    if (this.stopped || campaign !== this.campaign) return;
    this.campaign = null;
    this.log(`lost the leadership: ${reason}`);
    void (async () => {
      await this.standDown();
      await campaign.resign().catch(() => undefined);
      const notify = fatal ? this.etcdOpts.onTakeoverFailed : this.etcdOpts.onDeposed;
      notify?.(reason);
      if (!this.stopped && !fatal) setTimeout(() => this.runCampaign(), 1000).unref();
    })();
  }
}
