import type * as grpc from '@grpc/grpc-js';
import { backOff } from 'exponential-backoff';
import { clock } from '../util/clock.js';
import { isGrpcError, RpcClient } from './client.js';
import type { SecurityConfig } from './security.js';

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** A coordinator that restarts or takes over comes back on the same port soon: reconnect quickly. */
const RECONNECT: grpc.ChannelOptions = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 };

/** The message of a standby coordinator: it names the leader (or says none is elected yet). */
export const NOT_LEADER = 'not the leader';
const LEADER_AT = /the leader is at (\S+?)(?:[;,]|\s|$)/;

/** The leader's address named in a standby's refusal, if any. */
export function leaderIn(details: string): string | undefined {
  return details.includes(NOT_LEADER) ? LEADER_AT.exec(details)?.[1] : undefined;
}

/**
 * A client of "the coordinator" when there may be several (a leader and standbys on etcd): calls go to
 * the coordinator it last reached; a standby's refusal (UNAVAILABLE, "not the leader; the leader is at
 * ADDRESS") sends the call there, and with several addresses a coordinator that cannot be reached is
 * skipped for the next one. Only calls that were certainly not executed are sent again (a standby
 * executes nothing; a connection never established carried nothing), with exponential backoff and
 * jitter, until the call's deadline. With one address and no standby it is a plain RpcClient.
 */
export class LeaderClient {
  private readonly addresses: string[];
  private readonly clients = new Map<string, RpcClient>();
  private current: string;

  constructor(
    private readonly Ctor: grpc.ServiceClientConstructor,
    addresses: string | string[],
    private readonly sec: SecurityConfig,
    private readonly defaultDeadlineMs = 30_000,
  ) {
    this.addresses = (typeof addresses === 'string' ? addresses.split(',') : addresses).map((a) => a.trim()).filter((a) => a.length > 0);
    if (this.addresses.length === 0) throw new RangeError('no coordinator address given');
    this.current = this.addresses[0];
  }

  /** The coordinator calls go to now. */
  get address(): string {
    return this.current;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<Res = any>(method: string, req: unknown, deadlineMs = this.defaultDeadlineMs): Promise<Res> {
    const end = clock.nowMs() + deadlineMs;
    return backOff(() => this.at(this.current).call<Res>(method, req, Math.max(1, end - clock.nowMs())), {
      numOfAttempts: 10_000,
      startingDelay: 25,
      maxDelay: 500,
      jitter: 'full',
      retry: (e) => this.redirect(e) && clock.nowMs() < end - 25,
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** Whether a failed call may go again (to the leader it names, or to the next address). */
  private redirect(e: unknown): boolean {
    if (!isGrpcError(e)) return false;
    if (e.code !== UNAVAILABLE || /ECONNRESET|read ECONNRESET|Connection dropped/i.test(e.details ?? '')) {
      // the call may have run, so it is not sent again; but with several coordinators the next calls
      // start from another one (a standby redirects them), rather than waiting on one that is gone
      if (this.addresses.length > 1 && (e.code === DEADLINE_EXCEEDED || e.code === UNAVAILABLE)) this.next();
      return false;
    }
    const details = e.details ?? '';
    if (details.includes(NOT_LEADER)) {
      const leader = leaderIn(details);
      if (leader) this.current = leader;
      else this.next(); // no leader elected yet (or it is taking over): try around
      return true;
    }
    // a coordinator that cannot be reached: the next one, when there are several
    if (this.addresses.length > 1 && /No connection established|ECONNREFUSED|connection refused/i.test(details)) {
      this.next();
      return true;
    }
    return false;
  }

  private next(): void {
    const i = this.addresses.indexOf(this.current);
    this.current = this.addresses[(i + 1) % this.addresses.length];
  }

  private at(address: string): RpcClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = new RpcClient(this.Ctor, address, this.sec, this.defaultDeadlineMs, RECONNECT)));
    return c;
  }
}
