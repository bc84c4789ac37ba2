// The coordinator's durable state in etcd, write-through: the leader holds the state in memory (the
// CoordinatorStorage interface is synchronous) and every change is written to etcd in a transaction
// guarded by the leader's election key before anything depends on it (`flush`, awaited before any
// message to a shard and before a df report is acknowledged). A new leader loads it all (`load`).
// Keys (under the cluster prefix; docs/etcd.md):
//   state/core                         {meta, shards}: membership, epoch, tick counter, decisions, migration
//   state/df/<identity>/<batch>        one applied df report {df, documents, totalLength} (JSON, deflated)
//   state/df0/<fence>-<seq>            a df report applied without deduplication (batch 0)
//   state/dfsnap/<gen>/head, part-<i>  the df records folded into a snapshot (compaction)
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

/** A snapshot of the df records (compaction): its head; the df itself is in `parts` part keys. */
interface SnapHead {
  parts: number;
  documents: number;
  totalLength: number;
  digestedRemoved: number;
  /** The last batch applied per shard identity. */
  batches: Record<string, number>;
  /** The record keys it folds: a new leader skips (and deletes) those still in etcd. */
  folded: string[];
}

/** Terms per snapshot part (a part must fit in one etcd request, with room). */
const SNAP_TERMS = 40_000;
const snapKey = (gen: number, what: string) => `state/dfsnap/${String(gen).padStart(12, '0')}/${what}`;
const inflate = <T>(v: Buffer): T => JSON.parse(inflateRawSync(v).toString('utf8')) as T;

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
  /** df record keys in etcd (or pending) that no snapshot folds yet. */
  private readonly dfKeys = new Set<string>();
  /** Keys to delete once the snapshot that folds them is in etcd: folded records, older snapshots. */
  private readonly obsolete = new Set<string>();
  /** The current snapshot's generation (0: none) and part count; the next generation is above any seen. */
  private generation = 0;
  private snapParts = 0;
  private nextGeneration = 1;
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
    /** df records that fold into a snapshot (compaction) once there are this many. */
    private readonly compactAt: number,
  ) {}

  /** Load the state under `prefix` (a linearizable read, after this process was elected). */
  static async load(client: Etcd3, prefix: string, fence: Fence, retryMs: number, compactAt = 1024): Promise<EtcdCoordinatorStorage> {
    const s = new EtcdCoordinatorStorage(client, prefix, fence, retryMs, compactAt);
    const kvs = new Map(Object.entries(await client.getAll().prefix(`${prefix}state/`).buffers()).map(([k, v]) => [k.slice(prefix.length), v]));
    // the newest complete snapshot (its head and every part); any other snapshot key is obsolete
    let folded = new Set<string>();
    const snapKeys = [...kvs.keys()].filter((k) => k.startsWith('state/dfsnap/'));
    // (a generation a dead leader began and did not finish is never reused: its keys are deleted)
    s.nextGeneration = 1 + Math.max(0, ...snapKeys.map((k) => Number(k.split('/')[2])));
    const heads = snapKeys.filter((k) => k.endsWith('/head')).sort().reverse();
    for (const hk of heads) {
      const gen = Number(hk.split('/')[2]);
      const head = inflate<SnapHead>(kvs.get(hk)!);
      const parts = Array.from({ length: head.parts }, (_, i) => kvs.get(snapKey(gen, `part-${i}`)));
      if (parts.some((p) => p === undefined)) continue;
      for (const p of parts) s.count(new Map(Object.entries(inflate<{ df: Record<string, number> }>(p!).df)), 0, 0);
      s.count(new Map(), head.documents, head.totalLength);
      s.digestedRemoved += head.digestedRemoved;
      for (const [id, b] of Object.entries(head.batches)) s.batches.set(id, b);
      folded = new Set(head.folded);
      s.generation = gen;
      s.snapParts = head.parts;
      break;
    }
    for (const [key, value] of kvs) {
      if (key === 'state/core') {
        const core = JSON.parse(value.toString('utf8')) as { meta: Record<string, string>; shards: ShardRow[] };
        for (const [k, v] of Object.entries(core.meta)) s.metaMap.set(k, v);
        s.rows = core.shards;
      } else if (key.startsWith('state/dfsnap/')) {
        if (Number(key.split('/')[2]) !== s.generation) s.obsolete.add(key);
      } else if (key.startsWith('state/df/') || key.startsWith('state/df0/')) {
        // a record the snapshot folds is counted there (a leader died before deleting it)
        if (folded.has(key)) {
          s.obsolete.add(key);
          continue;
        }
        s.dfKeys.add(key);
        const rec = inflate<DfRecord>(value);
        s.count(new Map(Object.entries(rec.df)), rec.documents, rec.totalLength);
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

  /** How many df records no snapshot folds yet, and the snapshot generation (for tests and status). */
  dfRecords(): { records: number; generation: number; obsolete: number } {
    return { records: this.dfKeys.size, generation: this.generation, obsolete: this.obsolete.size };
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

  applyDf(identity: string, batch: number, df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved = 0): boolean {
    if (batch <= (this.batches.get(identity) ?? 0)) return false;
    this.batches.set(identity, batch);
    this.count(df, documents, totalLength);
    this.digestedRemoved += digestedRemoved;
    this.record(batchKey(identity, batch), dfValue({ df: Object.fromEntries(df), documents, totalLength, ...(digestedRemoved > 0 ? { digestedRemoved } : {}) }));
    return true;
  }

  lastDfBatch(identity: string): number {
    return this.batches.get(identity) ?? 0;
  }

  addDf(df: ReadonlyMap<string, number>, documents: number, totalLength: number, digestedRemoved = 0): void {
    this.count(df, documents, totalLength);
    this.digestedRemoved += digestedRemoved;
    this.record(`state/df0/${this.fence.createRevision}-${String(++this.unnumbered).padStart(12, '0')}`, dfValue({ df: Object.fromEntries(df), documents, totalLength, ...(digestedRemoved > 0 ? { digestedRemoved } : {}) }));
  }

  private record(key: string, value: Buffer): void {
    this.changed(key, value);
    this.dfKeys.add(key);
    if (this.dfKeys.size >= this.compactAt) this.compact();
  }

  /**
   * Fold every df record into a new snapshot (the totals now, in parts, then a head that lists the
   * records it folds). The head is written after its parts and after every folded record (pending
   * keys are written in the order of their first change); the folded records and the older snapshot
   * are deleted only once nothing is pending, so a crash at any point leaves either the old snapshot
   * with its records or the new one, and a record never counts twice.
   */
  private compact(): void {
    const gen = this.nextGeneration++;
    const terms = [...this.dfMap];
    const parts = Math.max(1, Math.ceil(terms.length / SNAP_TERMS));
    for (let i = 0; i < parts; i++) this.changed(snapKey(gen, `part-${i}`), deflateRawSync(JSON.stringify({ df: Object.fromEntries(terms.slice(i * SNAP_TERMS, (i + 1) * SNAP_TERMS)) })));
    const folded = [...this.obsolete].filter((k) => !k.startsWith('state/dfsnap/')).concat([...this.dfKeys]);
    const head: SnapHead = { parts, documents: this.documents, totalLength: this.totalLength, digestedRemoved: this.digestedRemoved, batches: Object.fromEntries(this.batches), folded };
    this.changed(snapKey(gen, 'head'), deflateRawSync(JSON.stringify(head)));
    if (this.generation > 0) {
      this.obsolete.add(snapKey(this.generation, 'head'));
      for (let i = 0; i < this.snapParts; i++) this.obsolete.add(snapKey(this.generation, `part-${i}`));
    }
    for (const k of this.dfKeys) this.obsolete.add(k);
    this.dfKeys.clear();
    this.generation = gen;
    this.snapParts = parts;
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

  private count(df: ReadonlyMap<string, number>, documents: number, totalLength: number): void {
    for (const [t, n] of df) {
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
    if (this.obsolete.size > 0) await this.deleteObsolete();
  }

  /**
   * Delete one chunk of the keys a written snapshot made obsolete (nothing is pending: the head that
   * folds them is in etcd), and schedule the next, so that a flush waits for one transaction at most.
   */
  private async deleteObsolete(): Promise<void> {
    const chunk = [...this.obsolete].slice(0, MAX_OPS);
    await this.write(chunk.map((k) => [k, null]));
    for (const k of chunk) this.obsolete.delete(k);
    if (this.obsolete.size > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush().catch(() => undefined);
      });
    }
  }

  /** One transaction: applied only while this process's election key is the one it was elected with. */
  private async write(chunk: [string, string | Buffer | null][]): Promise<void> {
    // null: a delete
    const ops: IOperation[] = chunk.map(([k, v]) => (v === null ? this.client.delete().key(this.prefix + k) : this.client.put(this.prefix + k).value(v)));
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
