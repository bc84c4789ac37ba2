// Replication, the primary's side (docs/replication.md): a shard that is the primary of its group
// ships every change of its state to its followers, in order, and waits for each in-sync follower's
// acknowledgement before it acknowledges the change itself (ingest, forget, a tick's ADVANCE and
// commit, a membership flip). A follower that fails an operation is reported to the coordinator,
// which marks it out of sync before the primary goes on without it: an acknowledged change is on
// every in-sync follower, so the coordinator may promote any of them.
import type { NodeRow } from '../core/graph.js';
import { StateDigest } from '../core/state-digest.js';
import { describeError, RpcClient } from '../rpc/client.js';
import { ShardServiceClient } from '../rpc/proto.js';
import { rpcError } from '../rpc/server.js';
import { isTransient, retryWithin } from '../rpc/retry.js';
import type { IncomingRow, LoggedTick, StoredDoc, StoredEdge } from '../storage/shard-storage.js';
import type { WithdrawalWire } from './migration-rows.js';
import { checkpointRows } from './recovery.js';
import type { ShardNode } from './shard.js';

/** One change of a primary's state, as its followers apply it (src/shard/follower.ts). */
export type ReplicaOp =
  | { k: 'docs'; tick: number; batch: number; docs: { id: string; key: string; title: string; text: string }[] }
  | { k: 'reported'; batch: number }
  | { k: 'forget'; ids: string[]; batch: number }
  | { k: 'prepare'; tick: number; body: LoggedTick }
  | { k: 'commit'; tick: number }
  | { k: 'abort'; tick: number }
  | { k: 'membership'; req: Record<string, unknown> }
  | { k: 'incoming'; epoch: number; rows: IncomingRow[] }
  | { k: 'clear-incoming'; epoch: number }
  | { k: 'snap-begin'; config: string; meta: Record<string, string>; committedTick: number; dfBatch: number; withdrawals: WithdrawalWire[]; digest: string }
  | { k: 'snap-docs'; docs: StoredDoc[] }
  | { k: 'snap-graph'; nodes: NodeRow[]; edges: StoredEdge[] }
  | { k: 'snap-end'; digest: string };

/** A follower as its primary sees it: the operations go through `chain`, one at a time, in order. */
class Link {
  seq = 0;
  chain: Promise<unknown> = Promise.resolve();
  constructor(
    readonly identity: string,
    readonly client: RpcClient,
    readonly stream: string,
  ) {}

  /** Queue an operation after every earlier one; resolves with the follower's reply. */
  send(s: ShardNode, op: ReplicaOp): Promise<{ digest: string }> {
    const seq = ++this.seq;
    const json = JSON.stringify(op);
    const p = this.chain.then(() => this.client.call<{ digest: string }>('replicate', { shard_id: s.id, epoch: s.epoch, seq, op: json, stream: this.stream }));
    // a failed link fails every later operation too (it is dropped by then)
    this.chain = p;
    return p;
  }
}

let streams = 0;

export class Replicator {
  private links: Link[] = [];
  /** The state digest, kept from the first follower on (replicas compare it at every ADVANCE). */
  digest: StateDigest | null = null;
  /** What the open tick changes, until it commits or aborts. */
  private preparedDelta: StateDigest | null = null;

  constructor(private readonly s: ShardNode) {}

  /** Ticks are logged and digested (a primary with followers, or that had some). */
  get active(): boolean {
    return this.links.length > 0 || this.digest !== null;
  }

  get followers(): string[] {
    return this.links.map((l) => l.identity);
  }

  /** Ship an operation to every in-sync follower; a follower that fails it is reported and dropped. */
  async ship(op: ReplicaOp): Promise<{ identity: string; digest: string }[]> {
    if (this.links.length === 0) return [];
    const links = [...this.links];
    const settled = await Promise.allSettled(links.map((l) => l.send(this.s, op)));
    const out: { identity: string; digest: string }[] = [];
    for (let i = 0; i < links.length; i++) {
      const r = settled[i];
      if (r.status === 'fulfilled') out.push({ identity: links[i].identity, digest: r.value.digest });
      else await this.dropFailed(links[i], `${op.k}: ${describeError(r.reason)}`);
    }
    return out;
  }

  /** The coordinator marks a failed follower out of sync (durably) before this primary goes on without it. */
  private async dropFailed(link: Link, reason: string): Promise<void> {
    if (!this.links.includes(link)) return;
    this.s.log(`follower ${link.identity} failed (${reason}); reporting it out of sync`);
    try {
      // a refusal (this shard is no longer the group's primary, say) is final: no retry
      let final = false;
      const report = () =>
        this.s.coordinator.call('follower_failed', { shard_id: this.s.id, identity: link.identity, reason: reason.slice(0, 200) }, 3000).catch((e) => {
          final ||= !isTransient(e);
          throw e;
        });
      await retryWithin(10_000, report, { startMs: 50, maxMs: 1000, stop: () => final });
    } catch (e) {
      throw rpcError.unavailable(`follower ${link.identity} missed an operation and the coordinator could not be told (${describeError(e)}); try again`);
    }
    this.links = this.links.filter((l) => l !== link);
    link.client.close();
  }

  // ---- state digests (compared at every ADVANCE) -------------------------------------------------

  /** The digest after a document entered or left (ingest, forget); nothing without followers yet. */
  documents(ids: readonly string[], sign: 1 | -1): void {
    if (this.digest) for (const id of ids) this.digest.document(this.s.part, id, sign);
  }

  /** The open tick is prepared: its digest, compared with each follower's. */
  prepared(tick: number, digested: readonly string[]): string {
    if (!this.digest) return '';
    this.preparedDelta = StateDigest.openTickDelta(this.s.part, digested, tick);
    return this.digest.plus(this.preparedDelta).value;
  }

  committed(): void {
    if (this.digest && this.preparedDelta) this.digest = this.digest.plus(this.preparedDelta);
    this.preparedDelta = null;
  }

  aborted(): void {
    this.preparedDelta = null;
  }

  /** Recompute the digest from every row (after a membership flip moved rows in or out). */
  recompute(): void {
    if (this.digest) this.digest = StateDigest.of(this.s.part);
  }

  /**
   * ADVANCE with followers: ship the prepared tick; each follower applies it (undoably) and answers
   * its digest, which must equal this primary's. A mismatch stops the tick (FAILED_PRECONDITION,
   * logged): the coordinator aborts it and no replica commits it.
   */
  async shipPrepared(tick: number, body: LoggedTick, digested: readonly string[]): Promise<void> {
    const mine = this.prepared(tick, digested);
    if (this.links.length === 0) return;
    const replies = await this.ship({ k: 'prepare', tick, body });
    const bad = replies.filter((r) => r.digest !== mine);
    if (bad.length > 0) {
      const msg = `replica digest mismatch at tick ${tick} on shard ${this.s.id}: primary ${mine}, ${bad.map((b) => `follower ${b.identity} ${b.digest}`).join(', ')}; the tick is not committed`;
      this.s.log(msg);
      // the primary's state is the group's (it ran the protocol); a diverged follower is out of sync
      // from now on and catches up from a new snapshot, and this attempt of the tick aborts everywhere
      for (const b of bad) {
        const link = this.links.find((l) => l.identity === b.identity);
        if (link) await this.dropFailed(link, `state digest ${b.digest} differs from the primary's ${mine} at tick ${tick}`);
      }
      throw rpcError.precondition(msg);
    }
  }

  // ---- a new follower --------------------------------------------------------------------------

  /**
   * add_follower: snapshot this primary's committed state, between ticks and ingests, and start a
   * link whose first operations install it; later operations queue behind it. Resolves when the
   * follower holds the snapshot and every operation shipped since (it is then in sync).
   */
  async add(identity: string, address: string): Promise<void> {
    const s = this.s;
    if (s.role !== 'primary' || !s.ready) throw rpcError.precondition(`shard ${s.id} is not a serving primary`);
    const old = this.links.find((l) => l.identity === identity);
    if (old) {
      this.links = this.links.filter((l) => l !== old);
      old.client.close();
    }
    const link = await s.ingestLock.run(async () => {
      await s.flushDfReports();
      if (s.dfDirty) throw rpcError.unavailable('df reports are waiting for the coordinator; add the follower later');
      // no tick open: the snapshot is the committed state (a tick opening later ships to the new link)
      await s.tickClosed();
      if (!this.digest) this.digest = StateDigest.of(s.part);
      const ops = snapshotOps(s, this.digest.value);
      const l = new Link(identity, new RpcClient(ShardServiceClient, address, s.opts.security, s.opts.rpcDeadlineMs ?? 30_000), `${s.opts.identity}/${++streams}`);
      for (const op of ops) void l.send(s, op).catch(() => undefined);
      this.links.push(l);
      return l;
    });
    try {
      await link.chain;
    } catch (e) {
      this.links = this.links.filter((l) => l !== link);
      link.client.close();
      throw rpcError.unavailable(`follower ${identity} at ${address} did not take the snapshot: ${describeError(e)}`);
    }
  }

  /** Forget every follower (this shard is no longer a primary, or stops). */
  clear(): void {
    for (const l of this.links) l.client.close();
    this.links = [];
  }
}

/** The committed state as operations, in chunks a message can carry. */
function snapshotOps(s: ShardNode, digest: string): ReplicaOp[] {
  const meta: Record<string, string> = {};
  for (const k of ['epoch', 'members', 'config', 'shard_id']) {
    const v = s.storage.meta(k);
    if (v !== undefined) meta[k] = v;
  }
  meta.epoch = String(s.epoch);
  meta.shard_id = String(s.id);
  meta.members = JSON.stringify([...s.addresses].map(([id, address]) => ({ id, address })));
  meta.config = JSON.stringify(s.config);
  const withdrawals = s.part.pendingWithdrawals.map((w) => ({ id: w.id, labels: [...w.presentation.labels], wired: w.presentation.wired }));
  const ops: ReplicaOp[] = [{ k: 'snap-begin', config: JSON.stringify(s.config), meta, committedTick: s.committedTick, dfBatch: s.dfBatch, withdrawals, digest }];
  const table = s.part.docs;
  let docs: StoredDoc[] = [];
  for (const n of table.numbers()) {
    const d = table.record(n);
    docs.push({ id: d.id, key: d.key, title: d.title, text: d.text, ingestTick: d.ingestTick, digestedTick: d.digestedTick, unreportedBatch: null });
    if (docs.length >= 500) {
      ops.push({ k: 'snap-docs', docs });
      docs = [];
    }
  }
  if (docs.length > 0) ops.push({ k: 'snap-docs', docs });
  const { nodes, edges } = checkpointRows(s.part);
  for (let i = 0, j = 0; i < nodes.length || j < edges.length; i += 5000, j += 20000) ops.push({ k: 'snap-graph', nodes: nodes.slice(i, i + 5000), edges: edges.slice(j, j + 20000) });
  ops.push({ k: 'snap-end', digest });
  return ops;
}
