import { PhagoError } from '../core/errors.js';
import type { RefMessage, RefNaming } from '../protocol/label-refs.js';
import type { ShardId } from '../cluster/placement.js';

/**
 * Which labels a shard's peers already know, as sender and as receiver (protocol/label-refs.ts).
 *
 * Sender: per peer, the numbers (this shard's graph node numbers) whose label the peer has
 * acknowledged. A number counts as known only after the peer answered the message that named it;
 * any failed send forgets the peer (it may have restarted), so the next message names its labels again.
 *
 * Receiver: per sender, its incarnation and the node interned here for each of its numbers. A message
 * from another incarnation starts a new map; a number not in the map is refused (FAILED_PRECONDITION),
 * the sender forgets this shard and its retry names the labels. A number always stands for the same
 * label within an incarnation (a graph's node numbers are never reused), so resolving is exact.
 */
export class PeerLabels {
  private readonly known = new Map<ShardId, Uint8Array>();
  private readonly maps = new Map<ShardId, { inc: string; node: Int32Array }>();

  constructor(readonly incarnation: string) {}

  /** How to encode a message to `peer`; `name` should be one function for every call (V8 specializes its calls to it). */
  naming(peer: ShardId, name: (key: number) => string): RefNaming {
    return new Naming(this.incarnation, this.known.get(peer) ?? NONE_KNOWN, name);
  }

  /** `peer` answered a message that named `keys`. */
  acknowledge(peer: ShardId, keys: readonly number[]): void {
    if (keys.length === 0) return;
    let k = this.known.get(peer);
    let max = 0;
    for (const x of keys) if (x > max) max = x;
    if (!k || k.length <= max) {
      const grown = new Uint8Array(Math.max(max + 1, (k?.length ?? 512) * 2));
      if (k) grown.set(k);
      this.known.set(peer, (k = grown));
    }
    for (const x of keys) k[x] = 1;
  }

  /** A send to `peer` failed: name every label again. */
  forget(peer: ShardId): void {
    this.known.delete(peer);
  }

  /**
   * This shard's node for every key of a message from `from` (in the message's order), interning the
   * labels it names. Refuses a key the sender's incarnation has not named here.
   */
  resolve(from: ShardId, msg: RefMessage, intern: (label: string) => number): Int32Array {
    let m = this.maps.get(from);
    if (!m || m.inc !== msg.inc) this.maps.set(from, (m = { inc: msg.inc, node: new Int32Array(1024) }));
    for (let i = 0; i < msg.newKeys.length; i++) {
      const key = msg.newKeys[i];
      if (key >= m.node.length) {
        const grown = new Int32Array(Math.max(key + 1, m.node.length * 2));
        grown.set(m.node);
        m.node = grown;
      }
      m.node[key] = intern(msg.newLabels[i]) + 1;
    }
    const node = m.node;
    const out = new Int32Array(msg.keys.length);
    for (let j = 0; j < msg.keys.length; j++) {
      const key = msg.keys[j];
      const v = key < node.length ? node[key] : 0;
      if (v === 0) throw new PhagoError('FAILED_PRECONDITION', `shard ${from} referred to concept number ${key}, which it has not named to this shard (restarted?); it names its labels again on the next attempt`);
      out[j] = v - 1;
    }
    return out;
  }
}

/** What a peer that was told nothing knows. */
const NONE_KNOWN = new Uint8Array(0);

/** A RefNaming as a class: one `known` for every peer and message (a closure per message made V8 deoptimize its callers). */
class Naming implements RefNaming {
  constructor(
    readonly inc: string,
    private readonly acked: Uint8Array,
    readonly name: (key: number) => string,
  ) {}

  known(key: number): boolean {
    return key < this.acked.length && this.acked[key] === 1;
  }
}
