import { isUuid } from '../ids/ids.js';
import { rpcError } from './server.js';
import type { ShardCounts } from '../cluster/registry.js';
import type { Phase } from '../cluster/tick-machine.js';

/** Validation helpers for values that arrive over the wire. */
export function uuidArg(v: unknown, what: string): string {
  if (typeof v !== 'string' || !isUuid(v)) throw rpcError.invalid(`${what} must be a 128-bit id written as a UUID, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

export function phaseArg(v: unknown): Phase {
  if (v === 'SENSE' || v === 'ACT' || v === 'DECAY' || v === 'ADVANCE') return v;
  throw rpcError.invalid(`phase must be one of SENSE, ACT, DECAY, ADVANCE, got ${JSON.stringify(v)}`);
}

export function tickArg(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw rpcError.invalid(`tick must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function attemptArg(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw rpcError.invalid(`attempt must be a positive integer (the coordinator numbers every attempt of a tick), got ${JSON.stringify(v)}`);
  return v;
}

export function edgeKeyArg(v: unknown): [string, string] {
  if (typeof v !== 'string') throw rpcError.invalid('edge key must be a string "a|b"');
  const [a, b, extra] = v.split('|');
  if (extra !== undefined || !isUuid(a ?? '') || !isUuid(b ?? '') || !(a < b)) throw rpcError.invalid(`malformed edge key ${JSON.stringify(v)} (expected "a|b" with a < b)`);
  return [a, b];
}

/** A Heartbeat / counts message. */
export interface CountsMsg {
  shard_id?: number;
  node_count: number;
  edge_count: number;
  document_count: number;
  digested_count: number;
  pending_count: number;
}

/** A shard's counts as they arrive (heartbeat, health_check, ADVANCE). */
export function countsOf(c: CountsMsg): ShardCounts {
  return { nodes: c.node_count, edges: c.edge_count, documents: c.document_count, digested: c.digested_count, pending: c.pending_count };
}
