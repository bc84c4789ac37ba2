import * as grpc from '@grpc/grpc-js';
import { channelOptions } from './proto.js';
import { authMetadata, channelCredentials, type SecurityConfig } from './security.js';
import { clock } from '../util/clock.js';
import { CallStreamClient, NoCallStream, statusError } from './call-stream.js';

/**
 * Methods never sent over the call stream: their replies carry bulk data (a whole graph, migrated
 * rows), which would hold up the small calls behind them on the one stream.
 */
const BULK_REPLIES = new Set(['export_graph', 'migrate_out']);
/** Requests larger than this go as their own unary call, for the same reason. */
export const MAX_STREAMED_REQUEST_BYTES = 256 * 1024;

/** A request already serialized (protocol/ingest-bytes.ts): `RpcClient.call` sends these bytes as they are. */
export class EncodedRequest {
  constructor(readonly bytes: Buffer) {}
}

/**
 * A promise-based unary client for one service at one address. Every call carries the token and a
 * deadline. Errors are grpc ServiceErrors (with `.code` and `.details`). Small calls travel as
 * frames of one stream to the server (src/rpc/call-stream.ts), the rest as gRPC unary calls; the
 * server answers both the same way.
 */
export class RpcClient {
  private readonly client: grpc.Client;
  private readonly md: grpc.Metadata;
  private readonly methods: grpc.ServiceDefinition;
  private readonly stream: CallStreamClient;

  constructor(
    Ctor: grpc.ServiceClientConstructor,
    readonly address: string,
    sec: SecurityConfig,
    private readonly defaultDeadlineMs = 30_000,
    extraOptions: grpc.ChannelOptions = {},
  ) {
    this.client = new Ctor(address, channelCredentials(sec), { ...channelOptions, ...extraOptions });
    this.md = authMetadata(sec.token);
    this.methods = Ctor.service;
    this.stream = new CallStreamClient(this.client, this.md);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<Res = any>(method: string, req: unknown, deadlineMs = this.defaultDeadlineMs): Promise<Res> {
    const def = this.methods[method];
    if (!def || def.requestStream || def.responseStream) {
      if (req instanceof EncodedRequest) return Promise.reject(new Error(`${method} does not take an encoded request`));
      return this.unary<Res>(method, req, deadlineMs);
    }
    let bytes: Buffer;
    try {
      bytes = req instanceof EncodedRequest ? req.bytes : def.requestSerialize(req);
    } catch {
      // not a valid request object: the unary call reports it as grpc-js does
      return this.unary<Res>(method, req, deadlineMs);
    }
    if (BULK_REPLIES.has(method) || this.stream.unsupported || bytes.length > MAX_STREAMED_REQUEST_BYTES) return this.unaryBytes<Res>(def, bytes, deadlineMs);
    return this.stream.call(method, bytes, deadlineMs).then(
      (reply) => {
        try {
          return def.responseDeserialize(reply) as Res;
        } catch (e) {
          throw statusError(grpc.status.INTERNAL, `reply of ${method} does not parse: ${(e as Error).message}`);
        }
      },
      (e: unknown) => {
        if (e instanceof NoCallStream) return this.unaryBytes<Res>(def, bytes, deadlineMs);
        throw e;
      },
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private unary<Res = any>(method: string, req: unknown, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const fn = (this.client as any)[method];
      if (typeof fn !== 'function') return reject(new Error(`unknown method ${method}`));
      fn.call(this.client, req, this.md, { deadline: clock.nowMs() + deadlineMs }, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
    });
  }

  /** A unary call with the request already serialized (a large request is encoded once, not twice). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private unaryBytes<Res = any>(def: grpc.MethodDefinition<unknown, unknown>, bytes: Buffer, deadlineMs: number): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest<Buffer, Res>(def.path, (b) => b, def.responseDeserialize as (b: Buffer) => Res, bytes, this.md, { deadline: clock.nowMs() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as Res)));
    });
  }

  close(): void {
    this.stream.close();
    this.client.close();
  }
}

export function isGrpcError(e: unknown): e is grpc.ServiceError {
  return typeof e === 'object' && e !== null && 'code' in e && 'details' in e;
}

/** A short description of an RPC failure for messages and logs. */
export function describeError(e: unknown): string {
  if (isGrpcError(e)) return `${grpc.status[e.code] ?? e.code}: ${e.details}`;
  return (e as Error)?.message ?? String(e);
}
