import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../util/paths.js';
import type { MessageDescriptor } from './strict-decode.js';

/**
 * Loads proto/phago.proto. Fields keep their proto names (snake_case); 64-bit integers arrive as JS
 * numbers (ticks, counts and epochs stay far below 2^53); enums as their names.
 */
const definition = protoLoader.loadSync(join(packageRoot(), 'proto', 'phago.proto'), {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pkg = (grpc.loadPackageDefinition(definition) as any).phago.v1;

export const CoordinatorServiceClient: grpc.ServiceClientConstructor = pkg.CoordinatorService;
export const ShardServiceClient: grpc.ServiceClientConstructor = pkg.ShardService;
export const coordinatorService: grpc.ServiceDefinition = pkg.CoordinatorService.service;
export const shardService: grpc.ServiceDefinition = pkg.ShardService.service;
/** Unary calls as frames of one stream (src/rpc/call-stream.ts); every phago server hosts it. */
export const CallStreamServiceClient: grpc.ServiceClientConstructor = pkg.CallStream;
export const callStreamService: grpc.ServiceDefinition = pkg.CallStream.service;

/** A message of the package by its (unqualified) name, as the loader describes it (src/rpc/strict-decode.ts). */
export function messageDescriptor(name: string): MessageDescriptor | undefined {
  const d = definition[`phago.v1.${name}`] as { type?: MessageDescriptor } | undefined;
  return d?.type;
}

export type Phase = 'SENSE' | 'ACT' | 'DECAY' | 'ADVANCE';
export const PHASES: readonly Phase[] = ['SENSE', 'ACT', 'DECAY', 'ADVANCE'];
export type ShardStatusName = 'ONLINE' | 'SUSPECT' | 'OFFLINE' | 'DRAINING';

/** Message sizes: gRPC's own cap sits well above phago's limits so that oversized input is refused
 * by phago with INVALID_ARGUMENT and a reason, not by the transport. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
};
