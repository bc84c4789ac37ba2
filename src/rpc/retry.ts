import { backOff } from 'exponential-backoff';
import { describeError } from './client.js';

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
