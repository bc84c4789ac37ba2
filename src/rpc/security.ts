import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual } from 'node:crypto';

/**
 * Cluster security: every RPC carries `authorization: Bearer <token>`; TLS is optional for both
 * services (server certificate and key; clients trust a CA file).
 */
export interface TlsFiles {
  cert?: string;
  key?: string;
  ca?: string;
}

export interface SecurityConfig {
  token: string;
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

export function checkToken(md: grpc.Metadata, token: string): boolean {
  const got = md.get('authorization')[0];
  if (typeof got !== 'string' || !got.startsWith('Bearer ')) return false;
  const a = Buffer.from(got.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
