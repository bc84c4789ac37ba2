import * as grpc from '@grpc/grpc-js';
import { channelOptions } from './proto.js';
import { authMetadata, channelCredentials, type SecurityConfig } from './security.js';
import { clock } from '../util/clock.js';

/**
 * A promise-based unary client for one service at one address. Every call carries the token and a
 * deadline. Errors are grpc ServiceErrors (with `.code` and `.details`).
 */
export class RpcClient {
  private readonly client: grpc.Client;
  private readonly md: grpc.Metadata;

  constructor(
    Ctor: grpc.ServiceClientConstructor,
    readonly address: string,
    sec: SecurityConfig,
    private readonly defaultDeadlineMs = 30_000,
    extraOptions: grpc.ChannelOptions = {},
  ) {
    this.client = new Ctor(address, channelCredentials(sec), { ...channelOptions, ...extraOptions });
    this.md = authMetadata(sec.token);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<Res = any>(method: string, req: unknown, deadlineMs = this.defaultDeadlineMs): Promise<Res> {
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const fn = (this.client as any)[method];
      if (typeof fn !== 'function') return reject(new Error(`unknown method ${method}`));
      fn.call(this.client, req, this.md, { deadline: clock.nowMs() + deadlineMs }, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
    });
  }

  close(): void {
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
