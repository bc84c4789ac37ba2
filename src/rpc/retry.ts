import { backOff } from 'exponential-backoff';
import { describeError } from './client.js';
import { clock } from '../util/clock.js';

const UNAVAILABLE = 14;
const FAILED_PRECONDITION = 9;
const DEADLINE_EXCEEDED = 4;

/** gRPC failures worth retrying: the peer is down, busy with a tick, or slow. */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: number }).code;
  return code === UNAVAILABLE || code === FAILED_PRECONDITION || code === DEADLINE_EXCEEDED;
}

/**
 * Retry a call while it fails transiently, with exponential backoff and full jitter (25 ms doubling to
 * 1 s), for at most `attempts` tries; other errors and the last one are thrown.
 */
export function retrying<T>(what: string, f: () => Promise<T>, log: (m: string) => void = () => {}, attempts = 120): Promise<T> {
  let n = 0;
  return backOff(f, {
    numOfAttempts: attempts,
    startingDelay: 25,
    maxDelay: 1000,
    timeMultiple: 2,
    jitter: 'full',
    retry: (e) => {
      n++;
      if (!isTransient(e)) return false;
      if (n === 1 || n % 20 === 0) log(`${what}: ${describeError(e)}; retrying`);
      return true;
    },
  });
}

/**
 * Run `f` until it succeeds or `windowMs` has passed, sleeping between attempts with exponential
 * backoff and full jitter (from `startMs` doubling to `maxMs`): the number of attempts over a window
 * is bounded by about log2(maxMs / startMs) + window / (maxMs / 2). `onRetry` runs before each sleep
 * (e.g. a wait for the cluster to be whole); the last error is thrown when the window is over or
 * `stop` says so (e.g. a coordinator that stood down).
 */
export function retryWithin<T>(windowMs: number, f: () => Promise<T>, opts: { startMs?: number; maxMs?: number; onRetry?: (e: unknown, attempt: number) => Promise<void> | void; stop?: () => boolean } = {}): Promise<T> {
  const end = clock.nowMs() + windowMs;
  return backOff(f, {
    numOfAttempts: Number.MAX_SAFE_INTEGER, // bounded by the window
    startingDelay: opts.startMs ?? 100,
    maxDelay: opts.maxMs ?? 2000,
    timeMultiple: 2,
    jitter: 'full',
    retry: async (e, attempt) => {
      if (clock.nowMs() >= end || opts.stop?.()) return false;
      await opts.onRetry?.(e, attempt);
      return clock.nowMs() < end && !opts.stop?.();
    },
  });
}
