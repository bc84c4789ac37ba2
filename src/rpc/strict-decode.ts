// A strict check of a request's protobuf bytes before the (lenient) protobufjs decoder reads them: what
// a conformant parser refuses is refused here, and the server answers INVALID_ARGUMENT instead of
// running the request. Checked: wire types (3, 4, 6, 7 are refused; a known field must carry its
// type's wire type, packed or not for repeated scalars), varints (at most 10 bytes), lengths within the
// message, nested messages recursively, UTF-8 of string fields (`isUtf8`), and nothing cut off.
// Unknown fields are skipped by their wire type, as protobuf says.

import { isUtf8 } from 'node:buffer';

/** The wire type each scalar field type is written with. */
const WIRE: Record<string, number> = {
  TYPE_INT32: 0, TYPE_INT64: 0, TYPE_UINT32: 0, TYPE_UINT64: 0, TYPE_SINT32: 0, TYPE_SINT64: 0, TYPE_BOOL: 0, TYPE_ENUM: 0,
  TYPE_FIXED64: 1, TYPE_SFIXED64: 1, TYPE_DOUBLE: 1,
  TYPE_FIXED32: 5, TYPE_SFIXED32: 5, TYPE_FLOAT: 5,
  TYPE_STRING: 2, TYPE_BYTES: 2, TYPE_MESSAGE: 2,
};

interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}
/** A message's descriptor as @grpc/proto-loader gives it (`requestType.type`). */
export interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
}

interface FieldShape {
  name: string;
  wire: number;
  repeated: boolean;
  string: boolean;
  message?: () => MessageShape | undefined;
}
export type MessageShape = Map<number, FieldShape>;

/**
 * The shape of a message: its fields by number. `lookup` finds a message of the package by its name
 * (field type names are relative: a nested type first, then the package's).
 */
export function shapeOf(desc: MessageDescriptor, lookup: (name: string) => MessageDescriptor | undefined): MessageShape {
  const shape: MessageShape = new Map();
  let cache: Map<string, MessageShape | undefined> | undefined;
  const resolve = (typeName: string): MessageShape | undefined => {
    cache ??= new Map();
    if (!cache.has(typeName)) {
      cache.set(typeName, undefined); // (a recursive type resolves to itself below)
      const d = desc.nestedType?.find((n) => n.name === typeName) ?? lookup(typeName);
      cache.set(typeName, d ? shapeOf(d, lookup) : undefined);
    }
    return cache.get(typeName);
  };
  for (const f of desc.field) {
    const wire = WIRE[f.type];
    if (wire === undefined) continue; // groups: no such field in phago's proto
    shape.set(f.number, { name: f.name, wire, repeated: f.label === 'LABEL_REPEATED', string: f.type === 'TYPE_STRING', message: f.type === 'TYPE_MESSAGE' ? () => resolve(f.typeName) : undefined });
  }
  return shape;
}

const MAX_DEPTH = 64;

class Malformed extends Error {}

/** Where `varint` stopped (the position after the value): a module variable, so a read allocates nothing. */
let next = 0;

/** Read a varint at `pos` (exact below 2^53, which is all a tag or length needs); the next position is left in `next`. */
function varint(buf: Uint8Array, pos: number, end: number, what: () => string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Malformed(`${what()}: truncated varint`);
    const b = buf[pos++];
    if (i === 9 && b > 1) throw new Malformed(`${what()}: varint longer than 64 bits`);
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      next = pos;
      return value;
    }
  }
  throw new Malformed(`${what()}: varint longer than 10 bytes`);
}

/** Strings up to this many bytes are checked for ASCII here; longer ones go to isUtf8 at once (vectorized). */
const SHORT_STRING = 64;

/**
 * Whether bytes pos..to are UTF-8, without making the string (the decoder makes it once, after this
 * check): a short ASCII string here (no view allocated for ids and titles), anything else by node's isUtf8.
 */
function validUtf8(buf: Uint8Array, pos: number, to: number): boolean {
  if (to - pos <= SHORT_STRING) {
    let i = pos;
    while (i < to && buf[i] < 0x80) i++;
    if (i === to) return true;
  }
  return isUtf8(buf.subarray(pos, to));
}

// a field's path is built only for an error message and as the prefix of a nested message's (a request
// holds thousands of scalar fields)
function checkMessage(buf: Uint8Array, start: number, end: number, shape: MessageShape | undefined, depth: number, path: string): void {
  if (depth > MAX_DEPTH) throw new Malformed(`${path || 'message'}: nested more than ${MAX_DEPTH} deep`);
  let pos = start;
  let number = 0;
  let field: FieldShape | undefined;
  const where = () => `${path ? `${path}.` : ''}${field?.name ?? `field ${number}`}`;
  const here = () => path || 'message';
  while (pos < end) {
    const tag = varint(buf, pos, end, here);
    pos = next;
    number = Math.floor(tag / 8);
    const wire = tag % 8;
    field = shape?.get(number);
    if (number === 0) throw new Malformed(`${where()}: field number 0`);
    if (wire === 3 || wire === 4 || wire > 5) throw new Malformed(`${where()}: invalid wire type ${wire}`);
    if (field && wire !== field.wire && !(field.repeated && wire === 2 && field.wire !== 2)) throw new Malformed(`${where()}: wire type ${wire}, expected ${field.wire}`);
    if (wire === 0) {
      varint(buf, pos, end, where);
      pos = next;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > end) throw new Malformed(`${where()}: truncated ${wire === 1 ? '64' : '32'}-bit value`);
    } else {
      const len = varint(buf, pos, end, where);
      pos = next;
      if (len > end - pos) throw new Malformed(`${where()}: length ${len} runs past the end of the message (${end - pos} bytes left)`);
      const to = pos + len;
      if (field?.string) {
        if (!validUtf8(buf, pos, to)) throw new Malformed(`${where()}: not valid UTF-8`);
      } else if (field?.message) checkMessage(buf, pos, to, field.message(), depth + 1, where());
      else if (field && field.wire !== 2) checkPacked(buf, pos, to, field.wire, where());
      pos = to;
    }
  }
}

/** A packed run of scalars: whole values only. */
function checkPacked(buf: Uint8Array, pos: number, end: number, wire: number, where: string): void {
  if (wire === 0)
    while (pos < end) {
      varint(buf, pos, end, () => where);
      pos = next;
    }
  else if ((end - pos) % (wire === 1 ? 8 : 4) !== 0) throw new Malformed(`${where}: packed values cut off`);
}

/** Why these bytes are not a well-formed message of `shape`, or null when they are. */
export function wireProblem(buf: Uint8Array, shape: MessageShape): string | null {
  try {
    checkMessage(buf, 0, buf.length, shape, 0, '');
    return null;
  } catch (e) {
    if (e instanceof Malformed) return e.message;
    throw e;
  }
}
