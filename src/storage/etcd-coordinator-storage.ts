// The coordinator's durable state in etcd, write-through: the leader holds the state in memory (the
// CoordinatorStorage interface is synchronous) and every change is written to etcd in a transaction
// guarded by the leader's election key before anything depends on it (`flush`, awaited before any
// message to a shard and before a df report is acknowledged). A new leader loads it all (`load`).
// Keys (under the cluster prefix; docs/etcd.md):
//   state/core                         {meta, shards}: membership, epoch, tick counter, decisions, migration
//   state/df/<identity>/<batch>        one applied df report {df, documents, totalLength} (JSON, deflated)
//   state/df0/<fence>-<seq>            a df report applied without deduplication (batch 0)
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { backOff } from 'exponential-backoff';
import type { Etcd3, IOperation } from 'etcd3';
import { clock } from '../util/clock.js';
import type { CoordinatorStorage, ShardRow } from './coordinator-storage.js';

/** The leader's election key and its create revision: every write compares them (fencing). */
export interface Fence {
  key: string;
  createRevision: string;
}

interface DfRecord {
  df: Record<string, number>;
  documents: number;
  totalLength: number;
  /** Digested documents forgotten (docs/forget.md): they leave the `digested` count. */
  digestedRemoved?: number;
}

/** Thrown by flush once this process is no longer the leader (or etcd stayed unreachable). */
export class FencedError extends Error {}

/** Most keys and bytes per transaction (etcd's defaults: 128 operations, 1.5 MiB per request). */
const MAX_OPS = 64;
const MAX_BYTES = 1 << 20;

/** A df record as stored: deflated JSON (term counts compress several times: more fits in one etcd request). */
const dfValue = (rec: DfRecord): Buffer => deflateRawSync(JSON.stringify(rec));

const batchKey = (identity: string, batch: number) => `state/df/${encodeURIComponent(identity)}/${String(batch).padStart(12, '0')}`;

export class EtcdCoordinatorStorage implements CoordinatorStorage {
  readonly durable = true;
  private readonly metaMap = new Map<string, string>();
  private rows: ShardRow[] = [];
  private readonly dfMap = new Map<string, number>();
  private readonly batches = new Map<string, number>();
  private documents = 0;
  private totalLength = 0;
  /**
   * Digested documents forgotten, summed over the df records. `state/core` keeps the digested count
   * before them, so that a df record and the core value stay consistent in any write order.
   */
  private digestedRemoved = 0;
  private unnumbered = 0;
  /** Keys changed and not yet written, in the order of their first change. */
  private readonly pending = new Map<string, string | Buffer>();
  private tail: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failure: FencedError | null = null;
  /** Called once when a write is refused (leadership lost) or etcd stayed unreachable. */
  onFenced: (e: FencedError) => void = () => {};

  private constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly fence: Fence,
    /** How long a write retries an unreachable etcd before giving up leadership. */
    private readonly retryMs: number,
  ) {}

  /** Load the state under `prefix` (a linearizable read, after this process was elected). */
  static async load(client: Etcd3, prefix: string, fence: Fence, retryMs: number): Promise<EtcdCoordinatorStorage> {
    const s = new EtcdCoordinatorStorage(client, prefix, fence, retryMs);
    const kvs = await client.getAll().prefix(`${prefix}state/`).buffers();
    for (const [fullKey, value] of Object.entries(kvs)) {
      const key = fullKey.slice(prefix.length);
      if (key === 'state/core') {
        const core = JSON.parse(value.toString('utf8')) as { meta: Record<string, string>; shards: ShardRow[] };
        for (const [k, v] of Object.entries(core.meta)) s.metaMap.set(k, v);
        s.rows = core.shards;
      } else if (key.startsWith('state/df/') || key.startsWith('state/df0/')) {
        const rec = JSON.parse(inflateRawSync(value).toString('utf8')) as DfRecord;
        s.count(rec.df, rec.documents, rec.totalLength);
        s.digestedRemoved += rec.digestedRemoved ?? 0;
        if (key.startsWith('state/df/')) {
          const [identity, batch] = key.slice('state/df/'.length).split('/');
          const id = decodeURIComponent(identity);
          s.batches.set(id, Math.max(s.batches.get(id) ?? 0, Number(batch)));
        }
      }
    }
    return s;
  }

  meta(k: string): string | undefined {
    // the totals are sums over the df records (each record is self-contained, so any write order is safe)
    if (k === 'documents') return String(this.documents);
    if (k === 'total_length') return String(this.totalLength);
    if (k === 'digested') {
      const gross = this.metaMap.get(k);
      return gross === undefined && this.digestedRemoved === 0 ? undefined : String(Number(gross ?? 0) - this.digestedRemoved);
    }
    return this.metaMap.get(k);
  }

  setMeta(entries: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(entries)) {
      if (k === 'documents' || k === 'total_length') continue;
      this.metaMap.set(k, k === 'digested' ? String(Number(v) + this.digestedRemoved) : String(v));
    }
    this.changed('state/core', this.coreValue());
  }

  shards(): ShardRow[] {
    return [...this.rows];
  }

  saveMembership(rows: ShardRow[], meta: Record<string, string | number>): void {
    this.rows = rows.map((r) => ({ id: r.id, address: r.address, identity: r.identity }));
    this.setMeta(meta);
  }

  applyDf(identity: string, batch: number, df: Record<string, number>, documents: number, totalLength: number, digestedRemoved = 0): boolean {
    if (batch <= (this.batches.get(identity) ?? 0)) return false;
    this.batches.set(identity, batch);
    this.count(df, documents, totalLength);
    this.digestedRemoved += digestedRemoved;
    this.changed(batchKey(identity, batch), dfValue({ df, documents, totalLength, ...(digestedRemoved > 0 ? { digestedRemoved } : {}) }));
    return true;
  }

  lastDfBatch(identity: string): number {
    return this.batches.get(identity) ?? 0;
  }

  addDf(df: Record<string, number>, documents: number, totalLength: number, digestedRemoved = 0): void {
    this.count(df, documents, totalLength);
    this.digestedRemoved += digestedRemoved;
    this.changed(`state/df0/${this.fence.createRevision}-${String(++this.unnumbered).padStart(12, '0')}`, dfValue({ df, documents, totalLength, ...(digestedRemoved > 0 ? { digestedRemoved } : {}) }));
  }

  df(): Map<string, number> {
    return new Map(this.dfMap);
  }

  /**
   * Resolves when every change made before the call is in etcd; rejects (FencedError) once a write
   * was refused because this process is no longer the leader.
   */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const p = this.tail.then(() => this.writePending());
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Nothing to release (the etcd client is the caller's); changes still pending are flushed by `flush`. */
  close(): void {}

  private count(df: Record<string, number>, documents: number, totalLength: number): void {
    for (const [t, n] of Object.entries(df)) {
      const v = (this.dfMap.get(t) ?? 0) + n;
      if (v === 0) this.dfMap.delete(t);
      else this.dfMap.set(t, v);
    }
    this.documents += documents;
    this.totalLength += totalLength;
  }

  private coreValue(): string {
    return JSON.stringify({ meta: Object.fromEntries(this.metaMap), shards: this.rows });
  }

  /** Record a change and make sure a write follows soon even if nothing awaits it. */
  private changed(key: string, value: string | Buffer): void {
    this.pending.set(key, value);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush().catch(() => undefined);
    });
  }

  private async writePending(): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.pending.size > 0) {
      // a chunk of keys; each key is self-contained, so a crash between chunks leaves a consistent state
      const chunk: [string, string | Buffer][] = [];
      let bytes = 0;
      for (const kv of this.pending) {
        const size = Buffer.byteLength(kv[1]) + kv[0].length;
        if (chunk.length > 0 && (chunk.length >= MAX_OPS || bytes + size > MAX_BYTES)) break;
        chunk.push(kv);
        bytes += size;
      }
      await this.write(chunk);
      // a key changed again while it was written stays pending with its newer value
      for (const [k, v] of chunk) if (this.pending.get(k) === v) this.pending.delete(k);
    }
  }

  /** One transaction: applied only while this process's election key is the one it was elected with. */
  private async write(chunk: [string, string | Buffer][]): Promise<void> {
    const ops: IOperation[] = chunk.map(([k, v]) => this.client.put(this.prefix + k).value(v));
    const end = clock.nowMs() + this.retryMs;
    let result;
    try {
      result = await backOff(() => this.client.if(this.fence.key, 'Create', '==', this.fence.createRevision).then(...ops).commit(), {
        numOfAttempts: 1000,
        startingDelay: 25,
        maxDelay: 500,
        jitter: 'full',
        retry: () => clock.nowMs() < end,
      });
    } catch (e) {
      throw this.fail(`etcd did not take a write for ${this.retryMs} ms (${(e as Error).message}); giving up leadership`);
    }
    if (!result.succeeded) throw this.fail(`no longer the leader: the election key ${this.fence.key} (revision ${this.fence.createRevision}) is gone`);
  }

  private fail(message: string): FencedError {
    if (!this.failure) {
      this.failure = new FencedError(message);
      this.onFenced(this.failure);
    }
    return this.failure;
  }
}
