// Listpack (Redis 7 compact list; RDB types 16, 17, 18, 20, 25 and stream nodes).
//
//   u32le total_bytes | u16le num_elements (65535 = unknown) | element* | 0xFF
//   element = encoding [+ data] + backlen, backlen = size of encoding+data, 7 bits per byte,
//   most significant group first, bit 7 set on every byte but the first (read right to left).
//
// Encoding byte:
//   0xxxxxxx            7-bit unsigned int 0..127
//   10LLLLLL            string, 6-bit length
//   110xxxxx yyyyyyyy   13-bit signed int -4096..4095
//   1110LLLL LLLLLLLL   string, 12-bit length (low nibble = high bits)
//   F0 u32le            string, 32-bit length
//   F1 / F2 / F3 / F4   int16 / int24 / int32 / int64, little endian
//   F5..FE invalid, FF end
// Validation mirrors Redis's lpValidateIntegrity + lpValidateNext (deep).

import { FormatError } from '../model/errors.js';
import { SeenHashes, fnvBytes, fnvInt, fnvText } from './seen-hashes.js';

/** A compact-blob element: string bytes, or an integer (number when it is a safe integer,
 * else bigint). */
export type LpEntry = Buffer | number | bigint;

const LP_HDR_SIZE = 6;
const LP_HDR_NUMELE_UNKNOWN = 0xffff;
const LP_EOF = 0xff;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const TWO32 = 4294967296;

/** Bytes as they are; integers as decimal ASCII. */
export function entryToBuffer(e: LpEntry): Buffer {
  if (typeof e === 'number') return intText(e);
  if (typeof e === 'bigint') return Buffer.from(e.toString(), 'latin1');
  return e;
}

const SMALL_INT_MIN = -128;
const SMALL_INT_MAX = 1023;
const SMALL_INTS: Buffer[] = [];
for (let i = SMALL_INT_MIN; i <= SMALL_INT_MAX; i++) SMALL_INTS.push(Buffer.from(String(i), 'latin1'));

/**
 * Decimal text of an integer. Small values share one cached Buffer each (measured: a third
 * of the allocations when checking a typical RDB), so treat the result as read-only.
 */
export function intText(v: number): Buffer {
  if (v >= SMALL_INT_MIN && v <= SMALL_INT_MAX && Number.isInteger(v)) return SMALL_INTS[v - SMALL_INT_MIN]!;
  return Buffer.from(String(v), 'latin1');
}

/**
 * Redis's strict string-to-int64 test (string2ll / lpStringToInt64): optional '-', no leading
 * zeros (except "0" itself), no '+', no spaces, no "-0", 1..20 chars, fits int64.
 * Returns the value (number when safe, else bigint) or undefined when not canonical.
 */
export function parseInt64Strict(buf: Uint8Array, start = 0, end = buf.length): number | bigint | undefined {
  const len = end - start;
  if (len <= 0 || len > 20) return undefined;
  let i = start;
  const neg = buf[i] === 0x2d;
  if (neg) {
    i++;
    if (i === end) return undefined;
  } else if (len === 1 && buf[i] === 0x30) {
    return 0;
  }
  const first = buf[i]!;
  if (first < 0x31 || first > 0x39) return undefined;
  const digits = end - i;
  if (digits <= 15) {
    let v = 0;
    for (; i < end; i++) {
      const d = buf[i]! - 0x30;
      if (d < 0 || d > 9) return undefined;
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
  let s = '';
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) return undefined;
    s += String.fromCharCode(c);
  }
  let b = BigInt(s);
  if (neg) b = -b;
  if (b < INT64_MIN || b > INT64_MAX) return undefined;
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

/** Reads a signed little-endian int64 at `p`: number when safe, else bigint. */
export function readInt64LE(buf: Uint8Array, p: number): number | bigint {
  const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
  const hi = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24);
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * TWO32 + lo;
    if (Number.isSafeInteger(v)) return v;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Writes a signed int64 (any safe integer or bigint within int64) little endian at `p`. */
export function writeInt64LE(out: Uint8Array, p: number, v: number | bigint): void {
  let lo: number;
  let hi: number;
  if (typeof v === 'number') {
    hi = Math.floor(v / TWO32);
    lo = v - hi * TWO32;
  } else {
    const u = BigInt.asUintN(64, v);
    lo = Number(u & 0xffffffffn);
    hi = Number(u >> 32n);
  }
  out[p] = lo & 0xff;
  out[p + 1] = (lo >>> 8) & 0xff;
  out[p + 2] = (lo >>> 16) & 0xff;
  out[p + 3] = (lo >>> 24) & 0xff;
  out[p + 4] = hi & 0xff;
  out[p + 5] = (hi >>> 8) & 0xff;
  out[p + 6] = (hi >>> 16) & 0xff;
  out[p + 7] = (hi >>> 24) & 0xff;
}

/** Normalises an integer entry for encoding: a safe number, an out-of-safe-range int64 bigint,
 * or undefined when the value is outside int64 (it is then stored as decimal text). */
export function int64Value(e: number | bigint): number | bigint | undefined {
  if (typeof e === 'number') {
    if (Number.isSafeInteger(e)) return e === 0 ? 0 : e; // folds -0
    if (!Number.isInteger(e)) throw new RangeError(`not an integer: ${e}`);
    e = BigInt(e);
  }
  if (e < INT64_MIN || e > INT64_MAX) return undefined;
  const n = Number(e);
  return Number.isSafeInteger(n) ? n : e;
}

/** Size in bytes of the backlen field for an element of `l` bytes (Redis's lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function fail(msg: string, errOffset: number): never {
  throw new FormatError(`listpack: ${msg}`, errOffset);
}

function hex2(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/**
 * Walks and validates a whole listpack. `asText` turns integers into decimal Buffers. With
 * `into`, the elements go there (after it is emptied) and every string is STRING_SHAPE.
 */
function walkListpack(buf: Uint8Array, errOffset: number, asText: boolean, share: boolean, collect = true, uniqueStride = 0, into?: LpEntry[]): LpEntry[] {
  const n = buf.length;
  if (n < LP_HDR_SIZE + 1) fail(`blob of ${n} bytes is shorter than the 7-byte minimum`, errOffset);
  const total = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  if (total !== n) fail(`header says ${total} bytes but the blob has ${n}`, errOffset);
  const last = n - 1;
  if (buf[last] !== LP_EOF) fail(`last byte is ${hex2(buf[last]!)}, not the 0xFF terminator`, errOffset);
  const numele = buf[4]! | (buf[5]! << 8);

  const out: LpEntry[] = into ?? [];
  if (into) into.length = 0;
  let count = 0;
  const unique = uniqueStride > 0;
  if (unique) seenHashes.reset();
  lastCollision = false;
  let p = LP_HDR_SIZE;
  for (;;) {
    const b = buf[p]!;
    if (b === LP_EOF) break;
    // l = bytes of encoding + data (what backlen must say); strings copy their data bytes,
    // integers are decoded after the backlen check.
    let l: number;
    let isStr = false;
    let v: number | bigint = 0;
    if (b < 0x80) {
      l = 1;
      v = b;
    } else if (b < 0xc0) {
      l = 1 + (b & 0x3f);
      isStr = true;
    } else if (b < 0xe0) {
      l = 2;
    } else if (b < 0xf0) {
      if (p + 2 > last) fail(`element header at blob byte ${p} runs past the end`, errOffset);
      l = 2 + (((b & 0x0f) << 8) | buf[p + 1]!);
      isStr = true;
    } else if (b === 0xf0) {
      if (p + 5 > last) fail(`element header at blob byte ${p} runs past the end`, errOffset);
      l = 5 + ((buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24)) >>> 0);
      isStr = true;
    } else if (b === 0xf1) {
      l = 3;
    } else if (b === 0xf2) {
      l = 4;
    } else if (b === 0xf3) {
      l = 5;
    } else if (b === 0xf4) {
      l = 9;
    } else {
      fail(`invalid element encoding ${hex2(b)} at blob byte ${p}`, errOffset);
    }
    const bl = backlenSize(l);
    const next = p + l + bl;
    if (next > last) {
      fail(`element at blob byte ${p} (${l} bytes + ${bl}-byte backlen) runs past the end`, errOffset);
    }
    // Decode the backlen right to left exactly as lpDecodeBacklen does and compare.
    let q = next - 1;
    let back = 0;
    let mul = 1;
    for (let k = 0; ; k++) {
      const c = buf[q]!;
      back += (c & 0x7f) * mul;
      if ((c & 0x80) === 0) break;
      if (k === 4) fail(`backlen longer than 5 bytes at blob byte ${q}`, errOffset);
      mul *= 128;
      q--;
    }
    if (back !== l) {
      fail(`backlen mismatch at blob byte ${p + l}: says ${back}, element is ${l} bytes`, errOffset);
    }

    if (isStr) {
      const ds = p + (b < 0xc0 ? 1 : b < 0xf0 ? 2 : 5);
      if (unique && count % uniqueStride === 0 && seenHashes.add(fnvBytes(buf, ds, p + l))) lastCollision = true;
      count++;
      if (collect) out.push(into ? STRING_SHAPE : share ? (buf as Buffer).subarray(ds, p + l) : Buffer.from(buf.subarray(ds, p + l)));
    } else {
      if (b >= 0xc0) {
        if (b < 0xe0) {
          const u = ((b & 0x1f) << 8) | buf[p + 1]!;
          v = u >= 4096 ? u - 8192 : u;
        } else if (b === 0xf1) {
          v = ((buf[p + 1]! | (buf[p + 2]! << 8)) << 16) >> 16;
        } else if (b === 0xf2) {
          v = ((buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16)) << 8) >> 8;
        } else if (b === 0xf3) {
          v = buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24);
        } else {
          v = readInt64LE(buf, p + 1);
        }
      }
      if (unique && count % uniqueStride === 0 && seenHashes.add(typeof v === 'number' ? fnvInt(v) : fnvText(String(v)))) lastCollision = true;
      count++;
      if (collect) out.push(asText ? (typeof v === 'number' ? intText(v) : Buffer.from(v.toString(), 'latin1')) : v);
    }
    p = next;
  }
  if (p !== last) fail(`0xFF terminator at blob byte ${p} before the end (byte ${last})`, errOffset);
  if (numele !== LP_HDR_NUMELE_UNKNOWN && numele !== count) {
    fail(`header says ${numele} elements but ${count} found`, errOffset);
  }
  lastCount = count;
  return out;
}

let lastCount = 0;
let lastCollision = false;

/** How many elements the last validate call walked. */
export function lastValidatedCount(): number {
  return lastCount;
}

/** the member hashes of the listpack being checked for duplicates (kept between calls) */
const seenHashes = new SeenHashes();

/**
 * Deep-validates a listpack without producing its elements and checks that every
 * `stride`-th element (set members: 1, hash fields: 2) is unique by hash. Returns false when
 * two hashes collide: the caller must then decide with the real bytes (decodeListpack).
 */
export function validateListpackUnique(buf: Uint8Array, errOffset: number, stride: number): boolean {
  walkListpack(buf, errOffset, false, false, false, stride);
  return !lastCollision;
}

/** Deep-validates a listpack without producing its elements; returns how many it holds. */
export function validateListpack(buf: Uint8Array, errOffset: number): number {
  walkListpack(buf, errOffset, false, false, false);
  return lastCount;
}

/** What listpackShape() gives for every string element (its bytes are not looked at). */
export const STRING_SHAPE: Buffer = Buffer.alloc(0);
const shape: LpEntry[] = [];

/**
 * Deep-validates a listpack and gives its elements' shape: integers as decodeListpackEntries
 * gives them, every string as STRING_SHAPE. The array is reused: valid until the next call.
 * For validate-only readers that only need which elements are integers, and their values (a
 * stream node's counts, flags and ID deltas): a view per string element was most of what
 * checking a stream allocated.
 */
export function listpackShape(buf: Uint8Array, errOffset: number): LpEntry[] {
  return walkListpack(buf, errOffset, false, false, true, 0, shape);
}

/** Decodes and deep-validates a listpack; integers stay integers. With `share`, string
 * elements are views into `buf` (which must be a Buffer the caller owns), not copies. */
export function decodeListpackEntries(buf: Uint8Array, errOffset: number, share = false): LpEntry[] {
  return walkListpack(buf, errOffset, false, share && Buffer.isBuffer(buf));
}

/** Decodes and deep-validates a listpack; integers become their decimal text. `share` as above. */
export function decodeListpack(buf: Uint8Array, errOffset: number, share = false): Buffer[] {
  return walkListpack(buf, errOffset, true, share && Buffer.isBuffer(buf)) as Buffer[];
}

/** Growable output used by the encoders. */
export class ByteSink {
  buf: Buffer;
  len = 0;
  constructor(cap: number) {
    this.buf = Buffer.allocUnsafe(Math.max(16, cap));
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  /** The written bytes, copied to an exact-size Buffer when the slack is large. */
  result(): Buffer {
    if (this.len === this.buf.length) return this.buf;
    if (this.buf.length - this.len <= 64) return this.buf.subarray(0, this.len);
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

function writeBacklen(s: ByteSink, l: number): void {
  const o = s.buf;
  let p = s.len;
  if (l <= 127) {
    o[p++] = l;
  } else if (l < 16383) {
    o[p++] = l >>> 7;
    o[p++] = (l & 127) | 128;
  } else if (l < 2097151) {
    o[p++] = l >>> 14;
    o[p++] = ((l >>> 7) & 127) | 128;
    o[p++] = (l & 127) | 128;
  } else if (l < 268435455) {
    o[p++] = l >>> 21;
    o[p++] = ((l >>> 14) & 127) | 128;
    o[p++] = ((l >>> 7) & 127) | 128;
    o[p++] = (l & 127) | 128;
  } else {
    o[p++] = Math.floor(l / 268435456) & 0xff;
    o[p++] = ((l >>> 21) & 127) | 128;
    o[p++] = ((l >>> 14) & 127) | 128;
    o[p++] = ((l >>> 7) & 127) | 128;
    o[p++] = (l & 127) | 128;
  }
  s.len = p;
}

function lpAppendInt(s: ByteSink, v: number | bigint): void {
  s.ensure(9 + 1);
  const o = s.buf;
  let p = s.len;
  let l: number;
  if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
    if (v >= 0 && v <= 127) {
      o[p] = v;
      l = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      o[p] = 0xc0 | (u >>> 8);
      o[p + 1] = u & 0xff;
      l = 2;
    } else if (v >= -32768 && v <= 32767) {
      o[p] = 0xf1;
      o[p + 1] = v & 0xff;
      o[p + 2] = (v >>> 8) & 0xff;
      l = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      o[p] = 0xf2;
      o[p + 1] = v & 0xff;
      o[p + 2] = (v >>> 8) & 0xff;
      o[p + 3] = (v >>> 16) & 0xff;
      l = 4;
    } else {
      o[p] = 0xf3;
      o[p + 1] = v & 0xff;
      o[p + 2] = (v >>> 8) & 0xff;
      o[p + 3] = (v >>> 16) & 0xff;
      o[p + 4] = (v >>> 24) & 0xff;
      l = 5;
    }
  } else {
    o[p] = 0xf4;
    writeInt64LE(o, p + 1, v);
    l = 9;
  }
  p += l;
  s.len = p;
  writeBacklen(s, l);
}

function lpAppendString(s: ByteSink, src: Uint8Array): void {
  const len = src.length;
  const l = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  s.ensure(l + 5);
  const o = s.buf;
  let p = s.len;
  if (len < 64) {
    o[p++] = 0x80 | len;
  } else if (len < 4096) {
    o[p++] = 0xe0 | (len >>> 8);
    o[p++] = len & 0xff;
  } else {
    o[p++] = 0xf0;
    o[p++] = len & 0xff;
    o[p++] = (len >>> 8) & 0xff;
    o[p++] = (len >>> 16) & 0xff;
    o[p++] = (len >>> 24) & 0xff;
  }
  o.set(src, p);
  s.len = p + len;
  writeBacklen(s, l);
}

/**
 * Encodes elements as a listpack, choosing encodings like Redis's lpEncodeGetType: Buffers
 * holding a canonical int64 and all integer entries are int-encoded with the smallest form;
 * integers outside int64 are stored as decimal text.
 */
export function encodeListpack(items: readonly LpEntry[]): Buffer {
  const s = new ByteSink(LP_HDR_SIZE + 1 + items.length * 4);
  s.len = LP_HDR_SIZE;
  for (let i = 0; i < items.length; i++) {
    const e = items[i]!;
    if (typeof e === 'number' || typeof e === 'bigint') {
      const v = int64Value(e);
      if (v === undefined) lpAppendString(s, Buffer.from(e.toString(), 'latin1'));
      else lpAppendInt(s, v);
    } else {
      const v = e.length <= 20 ? parseInt64Strict(e) : undefined;
      if (v === undefined) lpAppendString(s, e);
      else lpAppendInt(s, v);
    }
  }
  s.ensure(1);
  s.buf[s.len++] = LP_EOF;
  const total = s.len;
  if (total > 0xffffffff) throw new RangeError(`listpack: ${total} bytes exceed the 32-bit size field`);
  const o = s.buf;
  o[0] = total & 0xff;
  o[1] = (total >>> 8) & 0xff;
  o[2] = (total >>> 16) & 0xff;
  o[3] = (total >>> 24) & 0xff;
  const count = items.length < LP_HDR_NUMELE_UNKNOWN ? items.length : LP_HDR_NUMELE_UNKNOWN;
  o[4] = count & 0xff;
  o[5] = count >>> 8;
  return s.result();
}

export { fnvBytes, fnvText };
