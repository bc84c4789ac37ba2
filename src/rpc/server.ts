import * as grpc from '@grpc/grpc-js';
import { PhagoError } from '../core/errors.js';
import { isGrpcError } from './client.js';
import { channelOptions } from './proto.js';
import { checkToken, serverCredentials, type SecurityConfig } from './security.js';

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
 * Serve a service with phago's rules around every handler:
 *   - the bearer token is checked first (UNAUTHENTICATED without it);
 *   - a request whose bytes do not decode is answered INVALID_ARGUMENT (not INTERNAL);
 *   - handler errors become typed statuses; an unexpected exception becomes INTERNAL with its
 *     message and is logged, and never takes the process down.
 */
export function addService(server: grpc.Server, def: grpc.ServiceDefinition, handlers: Record<string, Handler>, sec: SecurityConfig, onError?: (method: string, e: unknown) => void): void {
  const wrappedDef: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(def)) {
    const handler = handlers[name];
    if (!handler) throw new Error(`no handler for ${name}`);
    wrappedDef[name] = {
      ...method,
      requestDeserialize: (buf: Buffer) => {
        try {
          return method.requestDeserialize(buf);
        } catch (e) {
          return { [MALFORMED]: (e as Error).message };
        }
      },
    };
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      if (!checkToken(call.metadata, sec.token)) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong cluster token (send "authorization: Bearer <token>")' });
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
