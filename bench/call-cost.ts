/**
 * What one small call costs through phago's RPC layer, as a gRPC unary call and as a frame of the
 * call stream (src/rpc/call-stream.ts), side by side on one server in this process (CPU counts both
 * sides). The server is phago's (`addService`: credentials, strict decoding, the handler's rules).
 *
 *   node dist/bench/call-cost.js [--calls 4000] [--rounds 3]
 */
import * as grpc from '@grpc/grpc-js';
import { RpcClient } from '../src/rpc/client.js';
import { shardService, ShardServiceClient } from '../src/rpc/proto.js';
import { authMetadata } from '../src/rpc/security.js';
import { addService, listen, newServer, rpcError, shutdown, type Handler } from '../src/rpc/server.js';
import { arg } from './script-args.js';

const calls = Number(arg('--calls', '4000'));
const rounds = Number(arg('--rounds', '3'));
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

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function measure(call: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await call();
  return { wall: (performance.now() - t0) / calls, cpu: (cpuMs() - c0) / calls };
}

await measure(unary); // warm-up: both paths compiled before anything is timed
await measure(framed);
console.log(`health_check, ${calls} sequential calls per run, client and server in this process (ms per call):`);
for (let r = 0; r < rounds; r++) {
  const u = await measure(unary);
  const f = await measure(framed);
  console.log(`  round ${r + 1}: unary wall ${u.wall.toFixed(3)} CPU ${u.cpu.toFixed(3)}; call stream wall ${f.wall.toFixed(3)} CPU ${f.cpu.toFixed(3)}; CPU ratio ${(u.cpu / f.cpu).toFixed(1)}×`);
}
streamClient.close();
unaryClient.close();
await shutdown(server);
