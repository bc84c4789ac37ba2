import type * as grpc from '@grpc/grpc-js';
import { coordinatorService, shardService } from '../src/rpc/proto.js';
import { addService, listen, newServer, shutdown, type Handler } from '../src/rpc/server.js';

export interface FakeServer {
  address: string;
  /** Every call received, in order. */
  calls: { method: string; req: any }[];
  stop(): Promise<void>;
}

/**
 * A stand-in for a coordinator or a shard over real gRPC: every method answers from `handlers`, else
 * with `{}`; every call is recorded. Lets a test drive a real process-side peer step by step.
 */
export async function fakeServer(service: grpc.ServiceDefinition, token: string, handlers: Record<string, Handler>): Promise<FakeServer> {
  const server = newServer();
  const calls: { method: string; req: any }[] = [];
  const all: Record<string, Handler> = {};
  for (const name of Object.keys(service)) {
    all[name] = (req, md) => {
      calls.push({ method: name, req });
      return handlers[name] ? handlers[name](req, md) : {};
    };
  }
  addService(server, service, all, { token });
  const port = await listen(server, '127.0.0.1', 0, { token });
  return { address: `127.0.0.1:${port}`, calls, stop: () => shutdown(server, 500) };
}

/** A coordinator that registers every shard as shard 1, says every barrier is ready and no tick runs. */
export function fakeCoordinator(token: string, handlers: Record<string, Handler> = {}): Promise<FakeServer> {
  return fakeServer(coordinatorService, token, {
    register: () => ({ id: 1 }),
    barrier_ready: () => ({ ready: true }),
    tick_status: () => ({ tick: 0, current_tick: 0, in_progress: false }),
    ...handlers,
  });
}

export function fakeShard(token: string, handlers: Record<string, Handler> = {}): Promise<FakeServer> {
  return fakeServer(shardService, token, handlers);
}

/**
 * Make the next df report of an in-process shard fail: 'reply-lost' delivers it to the coordinator and
 * then fails as if its reply never came back; 'not-delivered' fails without sending it (the coordinator
 * was unreachable).
 */
export function failNextDfReport(shard: object, mode: 'reply-lost' | 'not-delivered'): void {
  const c = (shard as { coordinator: { call: (method: string, req: unknown, deadlineMs?: number) => Promise<unknown> } }).coordinator;
  const real = c.call.bind(c);
  let armed = true;
  c.call = (method, req, deadlineMs) => {
    if (method !== 'report_df' || !armed) return real(method, req, deadlineMs);
    armed = false;
    const err = Object.assign(new Error(`injected: df report ${mode}`), { code: 14, details: `injected: df report ${mode}` });
    return mode === 'reply-lost' ? real(method, req, deadlineMs).then(() => Promise.reject(err)) : Promise.reject(err);
  };
}
