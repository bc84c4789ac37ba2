import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

/**
 * Identifiers. Every id is 128 bits written as a lowercase, hyphenated UUID string, so ids
 * compare the same way as strings and as bytes (hex preserves byte order).
 *
 * Byte layout (reproducible in any language):
 *   NodeId(label)     = first 16 bytes of SHA-256("phago/node/v1\0" || UTF-8(label))
 *   DocumentId(key)   = first 16 bytes of SHA-256("phago/doc/v1\0"  || UTF-8(key))
 *     where key is the client's id when it is not already a UUID, else
 *     "content\0" || title || "\0" || text when the client gives no id.
 * A client id that is already a UUID is used as it is (lowercased).
 * No version bits are set: these are name-derived identifiers, not RFC 4122 UUIDs.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NodeId = string;
export type DocumentId = string;

/** Node's one-shot hash (Node ≥ 20.12): several times faster than createHash for short inputs. */
const oneShot = (crypto as unknown as { hash?: ((alg: string, data: string, enc: 'buffer') => Buffer) & ((alg: string, data: string, enc: 'hex') => string) }).hash;

export function sha256(...parts: (string | Uint8Array)[]): Buffer {
  // well-formed strings: the UTF-8 of their concatenation is the concatenation of their UTF-8
  if (oneShot !== undefined && parts.every((p) => typeof p === 'string' && p.isWellFormed())) return oneShot('sha256', parts.join(''), 'buffer');
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function bytesToUuid(b: Uint8Array): string {
  return hexToUuid(Buffer.from(b.subarray(0, 16)).toString('hex'));
}

/**
 * The first 16 bytes of a hex digest as a hyphenated UUID. Joined, not concatenated: `join` makes one flat
 * 36-character string (about 64 bytes with its slot), where `+` or a template makes a tree of four
 * concatenations over five pieces (about 300 bytes, kept for as long as the id is), and every node and
 * document keeps its id.
 */
function hexToUuid(hex: string): string {
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
}

/** The UUID of SHA-256(prefix || s): straight from the hex digest when it can (4× faster: no buffers). */
function uuidOf(prefix: string, s: string): string {
  if (oneShot === undefined || !s.isWellFormed()) return bytesToUuid(sha256(prefix, s));
  return hexToUuid(oneShot('sha256', prefix + s, 'hex'));
}

export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Hex digit values by character code (-1: not a hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = HEX[65 + i] = 10 + i;

/**
 * The value of the `count` hex digits of s from `at` on, passing over position `skip` (a UUID's hyphen;
 * -1: none), read through a digit table (no string made); -1 if one of them is not a hex digit.
 * Placement reads a key's words with it, a concept graph an id's leading bits.
 */
export function hexValue(s: string, at: number, count: number, skip = -1): number {
  let v = 0;
  for (let i = at, n = 0; n < count; i++) {
    if (i === skip) continue;
    const c = s.charCodeAt(i);
    const d = c < 128 ? HEX[c] : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
    n++;
  }
  return v;
}

/**
 * The leading 48 bits of an id the library derived (a lowercase UUID) as a number: ids compare like
 * these first (a concept graph's tie-breaks in NodeId order).
 */
export function leading48(id: string): number {
  return hexValue(id, 0, 12, 8);
}

/** NodeId of a label, computed (no memo: the concept graph interns labels itself). */
export function deriveNodeId(label: string): NodeId {
  return uuidOf('phago/node/v1\0', label);
}

const nodeIdCache = new Map<string, NodeId>();
export function nodeIdOf(label: string): NodeId {
  let id = nodeIdCache.get(label);
  if (id === undefined) {
    id = uuidOf('phago/node/v1\0', label);
    if (nodeIdCache.size >= 1 << 20) nodeIdCache.clear(); // a memo, bounded
    nodeIdCache.set(label, id);
  }
  return id;
}

/** What a stored document's content is compared by when only a digest travels (hex SHA-256). */
export function contentDigest(title: string, text: string): string {
  return sha256('phago/content/v1\0', title, '\0', text).toString('hex');
}

export function documentIdOf(key: string): DocumentId {
  return isUuid(key) ? key.toLowerCase() : uuidOf('phago/doc/v1\0', key);
}

export function contentKey(title: string, text: string): string {
  return `content\0${title}\0${text}`;
}

/** An unsigned 32-bit integer derived from a string and a seed (used for digester lanes). */
export function hash32(seed: number, s: string): number {
  return sha256(`phago/h32/v1\0${seed}\0`, s).readUInt32BE(0);
}
