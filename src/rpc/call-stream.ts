import * as grpc from '@grpc/grpc-js';
import { callStreamService, CallStreamServiceClient } from './proto.js';

/**
 * Unary calls carried as frames over one long-lived gRPC stream per client and server (proto:
 * `CallStream`). On this machine a small unary call costs 0.31–0.48 ms of CPU, client and server
 * together (an HTTP/2 stream, headers and trailers each), and a frame on an open stream 0.06–0.07 ms
 * (`node dist/bench/call-cost.js`). A tick of a cluster is
 * a few dozen small calls, so the tick, ingest and query paths send theirs this way (the same idea as
 * etcd's rafthttp, which keeps a stream per peer for its small messages). The server answers a frame
 * exactly as the unary call: same method, same checks and statuses (src/rpc/server.ts).
 */

interface CallFrame {
  id: number;
  method: string;
  request: Buffer;
}

interface CallResult {
  id: number;
  code: number;
  details: string;
  reply: Buffer;
}

/** What a unary call came to: its reply, or a status. */
export type Outcome = { code: grpc.status.OK; res: unknown } | { code: grpc.status; details: string };

/** A unary method of the hosted service as a frame runs it (built by src/rpc/server.ts). */
export interface StreamedMethod {
  deserialize(buf: Buffer): unknown;
  serializeReply(res: unknown): Buffer;
  run(req: unknown, md: grpc.Metadata): Promise<Outcome>;
}

/** A status as grpc-js gives it to a caller (code, details, metadata; the same message format). */
export function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
}

// ---- server ----

/** A served stream; `closed` once it ended either way (later replies are dropped). */
interface ServedStream {
  call: grpc.ServerDuplexStream<CallFrame, CallResult>;
  closed: boolean;
}

const openStreams = new WeakMap<grpc.Server, Set<ServedStream>>();

/** Serve `methods` (the unary methods of the server's one phago service) as CallStream frames too. */
export function serveCallStream(server: grpc.Server, methods: ReadonlyMap<string, StreamedMethod>): void {
  const streams = new Set<ServedStream>();
  openStreams.set(server, streams);
  server.addService(callStreamService, {
    calls(call: grpc.ServerDuplexStream<CallFrame, CallResult>) {
      const served: ServedStream = { call, closed: false };
      streams.add(served);
      const close = () => {
        served.closed = true;
        streams.delete(served);
      };
      const answer = (r: Partial<CallResult> & { id: number }) => {
        if (!served.closed) call.write({ code: 0, details: '', reply: Buffer.alloc(0), ...r });
      };
      call.on('data', (f: CallFrame) => {
        const m = methods.get(f.method);
        if (!m) {
          answer({ id: f.id, code: grpc.status.UNIMPLEMENTED, details: `no method ${JSON.stringify(f.method.slice(0, 80))} on this server` });
          return;
        }
        void m.run(m.deserialize(f.request), call.metadata).then((o) => {
          if (!('res' in o)) return answer({ id: f.id, code: o.code, details: o.details });
          let reply: Buffer;
          try {
            reply = m.serializeReply(o.res);
          } catch (e) {
            return answer({ id: f.id, code: grpc.status.INTERNAL, details: `reply of ${f.method} does not serialize: ${(e as Error).message}` });
          }
          answer({ id: f.id, code: 0, reply });
        });
      });
      call.on('end', () => {
        if (!served.closed) call.end();
        close();
      });
      call.on('error', close);
      call.on('cancelled', close);
    },
  });
}

/** How many call streams `server` has open. */
export function openCallStreams(server: grpc.Server): number {
  return openStreams.get(server)?.size ?? 0;
}

/** End every open call stream of `server` (before a shutdown: a graceful one waits for open calls). */
export function closeCallStreams(server: grpc.Server): void {
  const streams = openStreams.get(server);
  if (!streams) return;
  for (const s of streams) {
    s.closed = true;
    s.call.end();
  }
  streams.clear();
}

// ---- client ----

interface Pending {
  resolve(reply: Buffer): void;
  reject(e: grpc.ServiceError): void;
  timer: NodeJS.Timeout;
}

/** One open stream and the calls waiting on it; when it ends, they fail with its status. */
class Link {
  readonly pending = new Map<number, Pending>();
  closed = false;

  constructor(readonly stream: grpc.ClientDuplexStream<CallFrame, CallResult>) {}

  fail(e: grpc.ServiceError): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }
}

/** Thrown by `CallStreamClient.call` when the server has no CallStream: send the call unary. */
export class NoCallStream extends Error {}

/**
 * The client side: frames of one channel's calls over one stream, opened on first use and again
 * after it ends. A call fails like a unary call would: DEADLINE_EXCEEDED at its deadline (the server
 * may still run it), the stream's status (UNAVAILABLE, …) when the stream breaks before its reply.
 */
export class CallStreamClient {
  private readonly client: grpc.Client;
  private link: Link | null = null;
  private nextId = 1;
  /** The server has no CallStream (an older version): every call goes unary. */
  unsupported = false;

  constructor(
    channelOf: grpc.Client,
    private readonly md: grpc.Metadata,
  ) {
    this.client = new CallStreamServiceClient(channelOf.getChannel().getTarget(), grpc.credentials.createInsecure(), { channelOverride: channelOf.getChannel() });
  }

  call(method: string, request: Buffer, deadlineMs: number): Promise<Buffer> {
    const link = this.open();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.pending.delete(id);
        reject(statusError(grpc.status.DEADLINE_EXCEEDED, `Deadline exceeded: ${method} had no reply after ${deadlineMs} ms`));
      }, deadlineMs);
      link.pending.set(id, { resolve, reject, timer });
      try {
        link.stream.write({ id, method, request });
      } catch (e) {
        // the stream ended under us: fail now, not at the deadline
        clearTimeout(timer);
        link.pending.delete(id);
        reject(statusError(grpc.status.UNAVAILABLE, `the call stream failed: ${(e as Error).message}`));
      }
    });
  }

  close(): void {
    const link = this.link;
    this.link = null;
    if (link && !link.closed) {
      link.fail(statusError(grpc.status.CANCELLED, 'the client was closed'));
      link.stream.cancel();
    }
  }

  private open(): Link {
    if (this.link && !this.link.closed) return this.link;
    const stream = (this.client as unknown as { calls(md: grpc.Metadata): grpc.ClientDuplexStream<CallFrame, CallResult> }).calls(this.md);
    const link = new Link(stream);
    this.link = link;
    stream.on('data', (r: CallResult) => {
      const p = link.pending.get(r.id);
      if (!p) return; // its deadline passed
      link.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.code === grpc.status.OK) p.resolve(r.reply);
      else p.reject(statusError(r.code, r.details));
    });
    stream.on('error', (e: grpc.ServiceError) => {
      if (e.code === grpc.status.UNIMPLEMENTED) {
        this.unsupported = true;
        link.fail(Object.assign(new NoCallStream(e.details), { code: e.code, details: e.details, metadata: new grpc.Metadata() }));
      } else link.fail(statusError(e.code, e.details));
    });
    // the server ended the stream (it is shutting down): calls still waiting get no reply on it
    stream.on('end', () => link.fail(statusError(grpc.status.UNAVAILABLE, `${this.client.getChannel().getTarget().replace(/^dns:/, '')} closed the call stream`)));
    return link;
  }
}
