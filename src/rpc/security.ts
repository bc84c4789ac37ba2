import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * Cluster security: every RPC carries `authorization: Bearer <token>`; TLS is optional for both
 * services (server certificate and key; clients trust a CA file). Roles (src/rpc/roles.ts): a server
 * accepts the tokens of `roles`, each for its role's methods; `token` is what this process sends.
 */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

/** The token each role holds (a server accepts only the roles it lists: a shard lists `member`). */
export interface RoleTokens {
  client?: string;
  member?: string;
  admin?: string;
}

export interface SecurityConfig {
  /** The credential this process sends on its calls. */
  token: string;
  /** Servers: the tokens accepted, per role. Absent: `token` holds every role (tests, one-user setups). */
  roles?: RoleTokens;
  tls?: TlsFiles;
}

export function serverCredentials(sec: SecurityConfig): grpc.ServerCredentials {
  if (!sec.tls?.cert || !sec.tls.key) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(sec.tls.ca ? readFileSync(sec.tls.ca) : null, [
    { cert_chain: readFileSync(sec.tls.cert), private_key: readFileSync(sec.tls.key) },
  ]);
}

export function channelCredentials(sec: SecurityConfig): grpc.ChannelCredentials {
  if (!sec.tls?.ca && !sec.tls?.cert) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(sec.tls?.ca ? readFileSync(sec.tls.ca) : null);
}

/** Metadata with the bearer token, attached to every outgoing call. */
export function authMetadata(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}
