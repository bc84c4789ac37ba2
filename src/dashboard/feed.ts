import { clusterView, type ClusterView } from '../engine/cluster-status.js';
import type { Engine } from '../engine/engine.js';
import { describeError } from '../rpc/client.js';
import { clock } from '../util/clock.js';

/** What the page receives: the cluster view and the server's clock (heartbeat ages), or why not. */
export type FeedEvent = (ClusterView & { now: number; error?: undefined }) | { now: number; error: string };

/** Everything but heartbeat times: a change here is pushed at once. */
function signature(e: FeedEvent): string {
  if (e.error !== undefined) return `error ${e.error}`;
  return JSON.stringify({ ...e, now: 0, shards: e.shards.map((s) => ({ ...s, lastHeartbeatMs: 0 })) });
}

/**
 * One poller for every open page: while anyone listens, it reads the cluster every `intervalMs` and
 * pushes the view when it changed (a tick committed, a phase moved, a shard's status or counts), and
 * at least every `refreshMs` (heartbeat ages). Nobody listening, no polling.
 */
export class ClusterFeed {
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  private timer: NodeJS.Timeout | undefined;
  private last: FeedEvent | undefined;
  private lastSig = '';
  private lastPush = 0;
  private polling = false;

  constructor(
    private readonly engine: Engine,
    private readonly intervalMs = 500,
    private readonly refreshMs = 2000,
  ) {}

  /** Read the cluster now. */
  async read(): Promise<FeedEvent> {
    try {
      return { ...(await clusterView(this.engine)), now: clock.nowMs() };
    } catch (e) {
      return { now: clock.nowMs(), error: describeError(e) };
    }
  }

  /** Listen: the latest view at once (when there is one), then every change. Returns the unsubscribe. */
  subscribe(fn: (e: FeedEvent) => void): () => void {
    this.listeners.add(fn);
    if (this.last) fn(this.last);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.intervalMs);
      void this.poll();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.lastSig = '';
  }

  private async poll(): Promise<void> {
    if (this.polling) return; // a slow coordinator: skip a beat rather than pile calls up
    this.polling = true;
    try {
      const e = await this.read();
      const sig = signature(e);
      if (sig !== this.lastSig || e.now - this.lastPush >= this.refreshMs) {
        this.last = e;
        this.lastSig = sig;
        this.lastPush = e.now;
        for (const fn of this.listeners) fn(e);
      }
    } finally {
      this.polling = false;
    }
  }
}
