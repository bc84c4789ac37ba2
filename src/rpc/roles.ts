// Roles: which credential may call which method. Three roles hold separate bearer tokens:
//   client  — the cluster's users (ingest, query, ticks, statistics);
//   member  — shards and coordinators (the cluster token): every shard-side method, every ShardService method;
//   admin   — operators: membership operations (unregister, remove_shard), plus what a client may do.
// A credential that authenticates but lacks the method's role gets PERMISSION_DENIED; no or an
// unknown credential gets UNAUTHENTICATED (src/rpc/server.ts checks both before a request is parsed).
import { timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { SecurityConfig } from './security.js';

export type Role = 'client' | 'member' | 'admin';
export const ROLES: readonly Role[] = ['client', 'member', 'admin'];

/** Who may call a method. */
export type Access = Record<string, readonly Role[]>;

const USER: readonly Role[] = ['client', 'member', 'admin'];
const MEMBER: readonly Role[] = ['member'];
/** A member leaving on its own (shard --leave) or an operator. */
const MEMBERSHIP: readonly Role[] = ['member', 'admin'];
const ADMIN: readonly Role[] = ['admin'];

/** CoordinatorService: shard-side methods are members' only; membership operations need admin (or the leaving member). */
export const COORDINATOR_ACCESS: Access = {
  register: MEMBER,
  unregister: MEMBERSHIP,
  remove_shard: ADMIN,
  phase_complete: MEMBER,
  barrier_ready: MEMBER,
  report_df: MEMBER,
  heartbeat: MEMBER,
  follower_failed: MEMBER,
  route_document: USER,
  route_node: USER,
  get_global_df: USER,
  current_tick: USER,
  list_shards: USER,
  start_tick: USER,
  tick_status: USER,
  ingest: USER,
  forget: USER,
  query: USER,
  explore: USER,
  run_ticks: USER,
  stats: USER,
  health: USER,
};

/** Every ShardService method is a member's (the coordinator and peer shards); `methods` lists them. */
export function memberOnly(methods: Iterable<string>): Access {
  return Object.fromEntries([...methods].map((m) => [m, MEMBER]));
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The roles the bearer credential of a call holds: null when it carries none or an unknown one.
 * Without `roles` in the config the one token holds every role (tests and one-user setups; the CLI
 * always separates them).
 */
export function rolesOf(md: grpc.Metadata, sec: SecurityConfig): Set<Role> | null {
  const got = md.get('authorization')[0];
  if (typeof got !== 'string' || !got.startsWith('Bearer ')) return null;
  const token = got.slice(7);
  if (token === '') return null;
  const tokens = sec.roles ?? { client: sec.token, member: sec.token, admin: sec.token };
  const held = new Set<Role>();
  for (const r of ROLES) {
    const t = tokens[r];
    if (t && same(token, t)) held.add(r);
  }
  return held.size > 0 ? held : null;
}

/** Why a call may not go on, as a gRPC status and message; null when it may. */
export function authorize(method: string, access: Access, md: grpc.Metadata, sec: SecurityConfig): { code: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; details: string } | null {
  const held = rolesOf(md, sec);
  if (!held) return { code: 'UNAUTHENTICATED', details: 'missing or unknown credential (send "authorization: Bearer <token>" with a client, cluster or admin token)' };
  const allowed = access[method] ?? MEMBER;
  if (allowed.some((r) => held.has(r))) return null;
  const need = allowed.map((r) => (r === 'member' ? 'the cluster token (shards and coordinators)' : `the ${r} token`)).join(' or ');
  return { code: 'PERMISSION_DENIED', details: `${method} needs ${need}; this call carries the ${[...held].join('/')} token` };
}

/** The same config sending another of its role tokens (e.g. the embedded cluster's client). */
export function withRole(sec: SecurityConfig, role: Role): SecurityConfig {
  const token = sec.roles?.[role];
  if (!token) throw new RangeError(`no ${role} token in this security config`);
  return { ...sec, token };
}
