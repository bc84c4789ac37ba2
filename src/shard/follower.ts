// Replication, the follower's side (docs/replication.md): a follower applies its primary's
// operations in order, to its own partition and storage, with the same rules the primary ran (a
// prepared tick is replayed from its log entry, undoably, and answered with the follower's state
// digest; it commits or rolls back when the primary says). It serves reads of its committed state
// and refuses writes: ingest, ticks and forgets go to the primary.
import { makeConfig, type ColonyConfig } from '../core/config.js';
import type { ValidDocument } from '../core/input.js';
import { StateDigest } from '../core/state-digest.js';
import { Membership, parse, type ReplicateRequestMsg } from '../rpc/schemas.js';
import { rpcError } from '../rpc/server.js';
import type { NodeRow } from '../core/graph.js';
import type { StoredDoc, StoredEdge } from '../storage/shard-storage.js';
import { forgetReport } from './forget.js';
import { applyMembership } from './membership-update.js';
import { replayLogged } from './participant.js';
import type { ReplicaOp } from './replication.js';
import type { ShardNode } from './shard.js';

/** Where a follower stands in its primary's stream of operations. */
export interface FollowerState {
  stream: string;
  seq: number;
  /** The state digest (from the snapshot on, kept like the primary's). */
  digest: StateDigest | null;
  prepared: { tick: number; delta: StateDigest } | null;
  /** A snapshot being received: its rows go to storage in one transaction at its end. */
  snap: { docs: StoredDoc[]; nodes: NodeRow[]; edges: StoredEdge[]; meta: Record<string, string> } | null;
}

/** replicate: apply the next operation of the primary's stream (a gap or another stream is refused). */
export function applyReplicated(s: ShardNode, req: ReplicateRequestMsg): { digest: string } {
  let op: ReplicaOp;
  try {
    op = JSON.parse(req.op) as ReplicaOp;
  } catch {
    throw rpcError.invalid('op is not JSON');
  }
  if (s.role !== 'follower') {
    // the coordinator promoted a follower while this primary was alive but did not answer it: the
    // new primary's snapshot (it sends one only to a process the coordinator lists as its follower)
    // demotes this one, which then replicates it
    if (op.k !== 'snap-begin') throw rpcError.precondition(`shard ${s.id} is a primary, not a follower; replicate is refused`);
    s.demote(`the primary of shard ${req.shard_id} is another process now`);
  }
  if (req.shard_id !== s.id && op.k !== 'snap-begin') throw rpcError.precondition(`this follower replicates shard ${s.id}, not ${req.shard_id}`);
  if (op.k === 'snap-begin') s.id = req.shard_id;
  const f = s.follower;
  if (op.k === 'snap-begin') {
    if (req.seq !== 1) throw rpcError.invalid('a snapshot starts a stream at seq 1');
    s.follower = { stream: req.stream, seq: 1, digest: null, prepared: null, snap: { docs: [], nodes: [], edges: [], meta: { ...op.meta } } };
    beginSnapshot(s, op);
    return { digest: '' };
  }
  if (!f || f.stream !== req.stream) throw rpcError.precondition(`operation of stream ${req.stream.slice(0, 100)} refused: this follower follows ${f ? f.stream : 'no stream'} (it needs a snapshot)`);
  if (req.seq !== f.seq + 1) throw rpcError.precondition(`operation ${req.seq} refused: the follower applied ${f.seq} (a gap means it is out of sync)`);
  const digest = apply(s, f, op);
  f.seq = req.seq;
  return { digest };
}

function apply(s: ShardNode, f: FollowerState, op: ReplicaOp): string {
  const part = s.part;
  switch (op.k) {
    case 'docs': {
      const vs: ValidDocument[] = op.docs.map((d) => ({ id: d.id, key: d.key, title: d.title, text: d.text }));
      const created = part.ingest(vs, op.tick);
      const fresh = vs.filter((_, i) => created[i].created);
      const stored: StoredDoc[] = fresh.map((v) => ({ id: v.id, key: v.key, title: v.title, text: v.text, ingestTick: op.tick, digestedTick: null, unreportedBatch: op.batch }));
      s.storage.addDocs(stored, op.batch);
      s.dfBatch = Math.max(s.dfBatch, op.batch);
      if (f.digest) for (const v of fresh) f.digest.document(part, v.id, 1);
      return '';
    }
    case 'reported':
      s.storage.markReported(op.batch);
      return '';
    case 'forget': {
      part.forget(op.ids, (res, withdrawals) => {
        if (f.digest) for (const r of res) f.digest.document(part, r.id, -1);
        s.storage.forgetDocs(
          res.map((r) => r.id),
          withdrawals,
          op.batch,
          forgetReport(res),
        );
      });
      s.dfBatch = Math.max(s.dfBatch, op.batch);
      return '';
    }
    case 'prepare': {
      if (part.openTick !== null) rollback(s, f);
      if (op.tick !== s.committedTick + 1) throw rpcError.precondition(`prepare of tick ${op.tick}: the follower committed ${s.committedTick}`);
      const body = op.body;
      replayLogged(part, op.tick, body, true);
      s.storage.prepareTick(op.tick, body);
      f.digest ??= StateDigest.of(part);
      const delta = StateDigest.openTickDelta(part, body.digested, op.tick);
      f.prepared = { tick: op.tick, delta };
      return f.digest.plus(delta).value;
    }
    case 'commit':
      if (op.tick <= s.committedTick) return ''; // the snapshot held it already
      if (!f.prepared || f.prepared.tick !== op.tick || part.openTick !== op.tick) throw rpcError.precondition(`commit of tick ${op.tick}, which is not prepared on this follower`);
      commitPrepared(s, f);
      return '';
    case 'abort':
      if (part.openTick === op.tick) rollback(s, f);
      return '';
    case 'membership':
      applyMembership(s, parse(Membership, op.req, 'replicate (membership)'));
      if (f.digest) f.digest = StateDigest.of(part);
      return '';
    case 'incoming':
      s.storage.putIncoming(op.epoch, op.rows);
      return '';
    case 'clear-incoming':
      s.storage.clearIncoming(op.epoch);
      return '';
    case 'snap-docs':
      for (const d of op.docs) part.docs.add({ id: d.id, key: d.key, title: d.title, text: d.text }, d.ingestTick, d.digestedTick);
      snapOf(f).docs.push(...op.docs);
      return '';
    case 'snap-graph':
      for (const n of op.nodes) part.graph.installNode(n);
      for (const e of op.edges) part.graph.installEdge(e.la, e.lb, e, s.committedTick);
      snapOf(f).nodes.push(...op.nodes);
      snapOf(f).edges.push(...op.edges);
      return '';
    case 'snap-end': {
      f.digest = StateDigest.of(part);
      if (f.digest.value !== op.digest) throw rpcError.precondition(`snapshot digest mismatch: primary ${op.digest}, follower ${f.digest.value}`);
      const snap = snapOf(f);
      const meta = { ...snap.meta, committed_tick: s.committedTick, df_batch: s.dfBatch };
      s.storage.replaceAfterFlip(s.epoch, s.committedTick, snap.docs, [], snap.nodes, snap.edges, meta, part.pendingWithdrawals);
      s.checkpointTick = s.committedTick;
      f.snap = null;
      s.ready = true;
      s.log(`follower of shard ${s.id}: snapshot installed at tick ${s.committedTick} (${part.docs.size} documents, ${part.graph.nodeCount} concepts, ${part.graph.edgeCount} edges)`);
      return f.digest.value;
    }
    default:
      throw rpcError.invalid(`unknown replication operation ${String((op as { k: unknown }).k).slice(0, 40)}`);
  }
}

function snapOf(f: FollowerState): NonNullable<FollowerState['snap']> {
  if (!f.snap) throw rpcError.precondition('no snapshot is being received');
  return f.snap;
}

function beginSnapshot(s: ShardNode, op: Extract<ReplicaOp, { k: 'snap-begin' }>): void {
  s.ready = false;
  if (s.part.openTick !== null) s.part.rollback();
  s.storage.reset();
  s.resetPartition(makeConfig(JSON.parse(op.config) as Partial<ColonyConfig>));
  const members = JSON.parse(op.meta.members ?? '[]') as { id: number; address: string }[];
  s.setMembership(Number(op.meta.epoch ?? 0), members);
  s.committedTick = op.committedTick;
  s.dfBatch = op.dfBatch;
  s.part.restoreWithdrawals(op.withdrawals.map((w) => ({ id: w.id, presentation: { labels: w.labels, wired: w.wired, withdrawn: true } })));
}

function commitPrepared(s: ShardNode, f: FollowerState): void {
  const tick = f.prepared!.tick;
  s.part.commit();
  s.storage.commitTick(tick);
  s.committedTick = tick;
  f.digest = f.digest ? f.digest.plus(f.prepared!.delta) : StateDigest.of(s.part);
  f.prepared = null;
  s.maybeCheckpoint();
}

function rollback(s: ShardNode, f: FollowerState): void {
  const tick = s.part.openTick;
  s.part.rollback();
  if (tick !== null) s.storage.discardTick(tick);
  f.prepared = null;
}

/**
 * promote: this in-sync follower becomes its group's primary. A tick it holds prepared is committed
 * when the cluster committed it (`tick` is the cluster's committed tick), rolled back otherwise.
 */
export function promoteFollower(s: ShardNode, clusterTick: number): StateDigest | null {
  if (s.role !== 'follower') throw rpcError.precondition(`shard ${s.id} is already a primary`);
  const f = s.follower;
  if (!f || !s.ready) throw rpcError.precondition(`this follower of shard ${s.id} has no complete snapshot; it cannot be promoted`);
  if (f.prepared) {
    if (f.prepared.tick <= clusterTick) commitPrepared(s, f);
    else rollback(s, f);
  }
  if (s.committedTick !== clusterTick) throw rpcError.precondition(`this follower of shard ${s.id} is at tick ${s.committedTick}, the cluster at ${clusterTick}; it cannot be promoted`);
  s.role = 'primary';
  s.follower = null;
  return f.digest;
}
