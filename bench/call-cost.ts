/**
 * What one small call costs through phago's RPC layer, as a gRPC unary call (the baseline) and as a
 * frame of the call stream (src/rpc/call-stream.ts), side by side on one server in this process (CPU
 * counts both sides). The server is phago's (`addService`: credentials, strict decoding, the
 * handler's rules). Part `calls` of `npm run bench -- --only cluster`, or alone:
 *
 *   node dist/bench/call-cost.js [--calls 4000] [--rounds 3]
 */
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { RpcClient } from '../src/rpc/client.js';
import { shardService, ShardServiceClient } from '../src/rpc/proto.js';
import { authMetadata } from '../src/rpc/security.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../src/rpc/server.js';
import { arg } from './script-args.js';

export interface CallCostRound {
  unaryCpuMs: number;
  unaryWallMs: number;
  streamCpuMs: number;
  streamWallMs: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** `rounds` rounds of `calls` sequential `health_check` calls each way, after one untimed round. */
export async function callCost(calls: number, rounds: number, log: (line: string) => void): Promise<CallCostRound[]> {
  const sec = { token: 'call-cost' };
  const handlers: Record<string, Handler> = {};
  for (const m of Object.keys(shardService)) handlers[m] = () => Promise.reject(rpcError.precondition('not served here'));
  handlers.health_check = () => ({ serving: true, role: 'bench', detail: 'call cost' });
  const server = newServer();
  addService(server, shardService, handlers, sec);
  const address = `127.0.0.1:${await listen(server, '127.0.0.1', 0, sec)}`;
  const unaryClient = new ShardServiceClient(address, grpc.credentials.createInsecure());
  const md = authMetadata(sec.token);
  const streamClient = new RpcClient(ShardServiceClient, address, sec);
  const unary = () =>
    new Promise<unknown>((resolve, reject) =>
      unaryClient.health_check({}, md, { deadline: Date.now() + 10_000 }, (e: grpc.ServiceError | null, r: unknown) => (e ? reject(e) : resolve(r))),
    );
  const framed = () => streamClient.call('health_check', {}, 10_000);
  const measure = async (call: () => Promise<unknown>) => {
    const c0 = cpuMs();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await call();
    return { wall: (performance.now() - t0) / calls, cpu: (cpuMs() - c0) / calls };
  };
  try {
    await measure(unary); // warm-up: both paths compiled before anything is timed
    await measure(framed);
    log(`one small call (health_check), ${calls} sequential calls per run, client and server in this process (ms per call):`);
    const out: CallCostRound[] = [];
    for (let r = 0; r < rounds; r++) {
      const u = await measure(unary);
      const f = await measure(framed);
      out.push({ unaryCpuMs: u.cpu, unaryWallMs: u.wall, streamCpuMs: f.cpu, streamWallMs: f.wall });
      log(`  round ${r + 1}: unary (baseline) wall ${u.wall.toFixed(3)} CPU ${u.cpu.toFixed(3)}; call stream wall ${f.wall.toFixed(3)} CPU ${f.cpu.toFixed(3)}; CPU ratio ${(u.cpu / f.cpu).toFixed(1)}×`);
    }
    return out;
  } finally {
    streamClient.close();
    unaryClient.close();
    await shutdown(server);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await callCost(Number(arg('--calls', '4000')), Number(arg('--rounds', '3')), (l) => console.log(l));
}
