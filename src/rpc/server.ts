import * as grpc from '@grpc/grpc-js';
import { PhagoError } from '../core/errors.js';
import { isGrpcError } from './client.js';
import { channelOptions, messageDescriptor } from './proto.js';
import { authorize, memberOnly, type Access } from './roles.js';
import { serverCredentials, type SecurityConfig } from './security.js';
import { shapeOf, wireProblem, type MessageDescriptor, type MessageShape } from './strict-decode.js';

/** A gRPC error with a status code and a message a person can act on. */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export const rpcError = {
  invalid: (m: string) => new RpcError(grpc.status.INVALID_ARGUMENT, m),
  notFound: (m: string) => new RpcError(grpc.status.NOT_FOUND, m),
  precondition: (m: string) => new RpcError(grpc.status.FAILED_PRECONDITION, m),
  unavailable: (m: string) => new RpcError(grpc.status.UNAVAILABLE, m),
  aborted: (m: string) => new RpcError(grpc.status.ABORTED, m),
  deadline: (m: string) => new RpcError(grpc.status.DEADLINE_EXCEEDED, m),
};

const PHAGO_CODES: Record<PhagoError['code'], grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
};

const MALFORMED = Symbol('malformed');

/** A method's handler: the request as the proto loader decoded it, to be parsed (src/rpc/schemas.ts). */
export type Handler = (req: unknown, md: grpc.Metadata) => unknown;

/**
 * The longest status message sent: gRPC carries it in a trailer, and a stock client refuses trailers
 * past its metadata limit (8 KB) with RESOURCE_EXHAUSTED instead of the status. Messages quote at most
 * MAX_QUOTE characters of input (parse-request.ts); this is the net under every other message.
 */
export const MAX_DETAILS = 1024;

function capDetails(details: string): string {
  return details.length <= MAX_DETAILS ? details : `${details.slice(0, MAX_DETAILS - 40)}… (message cut, ${details.length} characters)`;
}

/** The strict wire check of a method's request type (none when the definition does not describe it). */
function requestShape(method: grpc.MethodDefinition<unknown, unknown>): MessageShape | undefined {
  const type = (method as { requestType?: { type?: MessageDescriptor } }).requestType?.type;
  return type ? shapeOf(type, messageDescriptor) : undefined;
}

/**
 * Serve a service with phago's rules around every handler:
 *   - the credential is checked first: UNAUTHENTICATED without a known one, PERMISSION_DENIED when
 *     its role may not call the method (`access`, src/rpc/roles.ts; default: members only);
 *   - a request whose bytes a conformant protobuf parser refuses (strict-decode.ts), or that does not
 *     decode, is answered INVALID_ARGUMENT (not INTERNAL) and never runs;
 *   - handler errors become typed statuses; an unexpected exception becomes INTERNAL with its
 *     message and is logged, and never takes the process down.
 */
export function addService(server: grpc.Server, def: grpc.ServiceDefinition, handlers: Record<string, Handler>, sec: SecurityConfig, onError?: (method: string, e: unknown) => void, access: Access = memberOnly(Object.keys(def))): void {
  const wrappedDef: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(def)) {
    const handler = handlers[name];
    if (!handler) throw new Error(`no handler for ${name}`);
    const shape = requestShape(method);
    wrappedDef[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        const problem = shape ? wireProblem(buf, shape) : null;
        if (problem) return { [MALFORMED]: `not a valid ${name} request (${problem.slice(0, 200)})` };
        try {
          return method.requestDeserialize(buf);
        } catch (e) {
          return { [MALFORMED]: (e as Error).message };
        }
      },
    };
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, reply: grpc.sendUnaryData<unknown>) => {
      const callback: grpc.sendUnaryData<unknown> = (err, res) => (err ? reply({ ...err, details: capDetails(err.details ?? '') }) : reply(null, res));
      const denied = authorize(name, access, call.metadata, sec);
      if (denied) {
        callback({ code: grpc.status[denied.code], details: denied.details });
        return;
      }
      const req = call.request as Record<symbol, unknown>;
      if (req && typeof req === 'object' && MALFORMED in req) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `malformed request: ${String(req[MALFORMED])}` });
        return;
      }
      Promise.resolve()
        .then(() => handler(call.request, call.metadata))
        .then(
          (res) => callback(null, res ?? {}),
          (e: unknown) => {
            if (e instanceof RpcError) callback({ code: e.code, details: e.message });
            else if (e instanceof PhagoError) callback({ code: PHAGO_CODES[e.code], details: e.message });
            else if (isGrpcError(e)) callback({ code: e.code, details: e.details }); // a downstream call's status, passed on
            else {
              onError?.(name, e);
              callback({ code: grpc.status.INTERNAL, details: `internal error in ${name}: ${(e as Error)?.message ?? String(e)}` });
            }
          },
        );
    };
  }
  server.addService(wrappedDef, impl);
}

export function newServer(): grpc.Server {
  return new grpc.Server(channelOptions);
}

/** Bind and start; returns the bound port (use port 0 for an ephemeral one). */
export function listen(server: grpc.Server, host: string, port: number, sec: SecurityConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, serverCredentials(sec), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

export function shutdown(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
