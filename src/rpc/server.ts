import * as grpc from '@grpc/grpc-js';
import { PhagoError } from '../core/errors.js';
import { isGrpcError } from './client.js';
import { channelOptions, messageDescriptor } from './proto.js';
import { authorize, memberOnly, type Access } from './roles.js';
import { serverCredentials, type SecurityConfig } from './security.js';
import { shapeOf, wireProblem, type MessageDescriptor, type MessageShape } from './strict-decode.js';
import { closeCallStreams, serveCallStream, type Outcome, type StreamedMethod } from './call-stream.js';

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
const REQUEST_BYTES = Symbol('request bytes');

/**
 * The bytes a request was decoded from (a handler that forwards part of them as they are: the
 * coordinator's ingest, protocol/ingest-bytes.ts); undefined for a request that was not decoded here.
 */
export function requestBytes(req: unknown): Buffer | undefined {
  return req !== null && typeof req === 'object' ? ((req as Record<symbol, unknown>)[REQUEST_BYTES] as Buffer | undefined) : undefined;
}

/** A reply a handler has already serialized (protocol/ingest-bytes.ts): sent as these bytes. */
export class EncodedReply {
  constructor(readonly bytes: Buffer) {}
}

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

/** One unary method with phago's rules around its handler; the unary call and a CallStream frame both run it. */
function serve(name: string, method: grpc.MethodDefinition<unknown, unknown>, handler: Handler, sec: SecurityConfig, access: Access, onError?: (method: string, e: unknown) => void): StreamedMethod {
  const shape = requestShape(method);
  const fail = (code: grpc.status, details: string): Outcome => ({ code, details: capDetails(details) });
  return {
    deserialize(buf) {
      const problem = shape ? wireProblem(buf, shape) : null;
      if (problem) return { [MALFORMED]: `not a valid ${name} request (${problem.slice(0, 200)})` };
      try {
        const req = method.requestDeserialize(buf);
        if (req !== null && typeof req === 'object') Object.defineProperty(req, REQUEST_BYTES, { value: buf });
        return req;
      } catch (e) {
        return { [MALFORMED]: (e as Error).message };
      }
    },
    serializeReply: (res) => (res instanceof EncodedReply ? res.bytes : method.responseSerialize(res)),
    async run(req, md) {
      const denied = authorize(name, access, md, sec);
      if (denied) return fail(grpc.status[denied.code], denied.details);
      const r = req as Record<symbol, unknown>;
      if (r && typeof r === 'object' && MALFORMED in r) return fail(grpc.status.INVALID_ARGUMENT, `malformed request: ${String(r[MALFORMED])}`);
      try {
        return { code: grpc.status.OK, res: (await handler(req, md)) ?? {} };
      } catch (e) {
        if (e instanceof RpcError) return fail(e.code, e.message);
        if (e instanceof PhagoError) return fail(PHAGO_CODES[e.code], e.message);
        if (isGrpcError(e)) return fail(e.code, e.details); // a downstream call's status, passed on
        onError?.(name, e);
        return fail(grpc.status.INTERNAL, `internal error in ${name}: ${(e as Error)?.message ?? String(e)}`);
      }
    },
  };
}

/**
 * Serve a service with phago's rules around every handler:
 *   - the credential is checked first: UNAUTHENTICATED without a known one, PERMISSION_DENIED when
 *     its role may not call the method (`access`, src/rpc/roles.ts; default: members only);
 *   - a request whose bytes a conformant protobuf parser refuses (strict-decode.ts), or that does not
 *     decode, is answered INVALID_ARGUMENT (not INTERNAL) and never runs;
 *   - handler errors become typed statuses; an unexpected exception becomes INTERNAL with its
 *     message and is logged, and never takes the process down.
 * The same methods are also served as frames of the server's CallStream (src/rpc/call-stream.ts),
 * under the same rules; a server hosts one such service.
 */
export function addService(server: grpc.Server, def: grpc.ServiceDefinition, handlers: Record<string, Handler>, sec: SecurityConfig, onError?: (method: string, e: unknown) => void, access: Access = memberOnly(Object.keys(def))): void {
  const wrappedDef: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  const methods = new Map<string, StreamedMethod>();
  for (const [name, method] of Object.entries(def)) {
    const handler = handlers[name];
    if (!handler) throw new Error(`no handler for ${name}`);
    const served = serve(name, method, handler, sec, access, onError);
    methods.set(name, served);
    wrappedDef[name] = { ...method, requestDeserialize: served.deserialize, responseSerialize: served.serializeReply };
    impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, reply: grpc.sendUnaryData<unknown>) => {
      void served.run(call.request, call.metadata).then((o) => ('res' in o ? reply(null, o.res) : reply({ code: o.code, details: o.details })));
    };
  }
  server.addService(wrappedDef, impl);
  serveCallStream(server, methods);
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
  closeCallStreams(server); // open streams would hold a graceful shutdown until the grace ends
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
