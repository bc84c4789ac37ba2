import type * as grpc from '@grpc/grpc-js';
import { RpcClient } from '../rpc/client.js';
import type { SecurityConfig } from '../rpc/security.js';

/**
 * A client of a shard that first waits until the coordinator's store is durable (etcd, written
 * behind): whatever a shard hears (a tick, a decision, a membership) was recorded before, so a new
 * leader loads every fact a shard may have acted on. A deposed leader's flush fails: it tells no shard.
 */
export class FlushingClient extends RpcClient {
  constructor(
    Ctor: grpc.ServiceClientConstructor,
    address: string,
    sec: SecurityConfig,
    deadlineMs: number,
    private readonly flush: () => Promise<void>,
  ) {
    super(Ctor, address, sec, deadlineMs);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async call<Res = any>(method: string, req: unknown, deadlineMs?: number): Promise<Res> {
    await this.flush();
    return super.call<Res>(method, req, deadlineMs);
  }
}
