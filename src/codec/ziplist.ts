// Ziplist (Redis 2.6-6.2 compact list; RDB types 10, 12, 13 and quicklist v1 nodes).
//
//   u32le zlbytes | u32le zltail (offset of the last entry) | u16le zllen (65535 = unknown)
//   entry* | 0xFF
//   entry = prevlen (1 byte 0..253, or FE + u32le) | encoding [+ length] | data
//
// Encoding byte:
//   00LLLLLL            string, 6-bit length
//   01LLLLLL LLLLLLLL   string, 14-bit length, big endian
//   10xxxxxx + u32be    string, 32-bit length, big endian (low bits of the first byte ignored)
//   C0 / D0 / E0        int16 / int32 / int64, little endian
//   F0                  int24, little endian     FE  int8
//   F1..FD              immediate 0..12 (low nibble - 1), no data
//   other 11xxxxxx      invalid
// Validation mirrors Redis's ziplistValidateIntegrity (deep) + zipEntrySafe.

import { FormatError } from '../model/errors.js';
import { intText,
  ByteSink,
  type LpEntry,
  int64Value,
  parseInt64Strict,
  readInt64LE,
  writeInt64LE,
} from './listpack.js';

const ZIPLIST_HEADER_SIZE = 10;
const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 254;
const ZIPLIST_LEN_UNKNOWN = 0xffff;

const ZIP_INT_16B = 0xc0;
const ZIP_INT_32B = 0xd0;
const ZIP_INT_64B = 0xe0;
const ZIP_INT_24B = 0xf0;
const ZIP_INT_8B = 0xfe;
const ZIP_INT_IMM_MIN = 0xf1;
const ZIP_INT_IMM_MAX = 0xfd;

function fail(msg: string, errOffset: number): never {
  throw new FormatError(`ziplist: ${msg}`, errOffset);
}

function hex2(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

function u32le(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

function walkZiplist(buf: Uint8Array, errOffset: number, asText: boolean, share: boolean, collect = true): LpEntry[] {
  const n = buf.length;
  if (n < ZIPLIST_HEADER_SIZE + 1) fail(`blob of ${n} bytes is shorter than the 11-byte minimum`, errOffset);
  const zlbytes = u32le(buf, 0);
  if (zlbytes !== n) fail(`header says ${zlbytes} bytes but the blob has ${n}`, errOffset);
  const last = n - 1;
  if (buf[last] !== ZIP_END) fail(`last byte is ${hex2(buf[last]!)}, not the 0xFF terminator`, errOffset);
  const zltail = u32le(buf, 4);
  if (zltail > last) fail(`tail offset ${zltail} is outside the ${n}-byte blob`, errOffset);
  const zllen = buf[8]! | (buf[9]! << 8);

  const out: LpEntry[] = [];
  let count = 0;
  let p = ZIPLIST_HEADER_SIZE;
  let prevStart = -1;
  let prevSize = 0;
  for (;;) {
    let b = buf[p]!;
    if (b === ZIP_END) break;
    // prevlen
    let prevlen: number;
    let e: number; // encoding byte position
    if (b < ZIP_BIG_PREVLEN) {
      prevlen = b;
      e = p + 1;
    } else {
      e = p + 5;
      if (e > last) fail(`entry prevlen at blob byte ${p} runs past the end`, errOffset);
      prevlen = u32le(buf, p + 1);
    }
    // encoding
    b = buf[e]!;
    let ds: number; // data start
    let len: number; // data length
    let isStr = false;
    if (b < 0x40) {
      ds = e + 1;
      len = b;
      isStr = true;
    } else if (b < 0x80) {
      ds = e + 2;
      if (ds > last) fail(`entry header at blob byte ${p} runs past the end`, errOffset);
      len = ((b & 0x3f) << 8) | buf[e + 1]!;
      isStr = true;
    } else if (b < 0xc0) {
      ds = e + 5;
      if (ds > last) fail(`entry header at blob byte ${p} runs past the end`, errOffset);
      len = ((buf[e + 1]! << 24) | (buf[e + 2]! << 16) | (buf[e + 3]! << 8) | buf[e + 4]!) >>> 0;
      isStr = true;
    } else {
      ds = e + 1;
      if (b === ZIP_INT_8B) len = 1;
      else if (b === ZIP_INT_16B) len = 2;
      else if (b === ZIP_INT_24B) len = 3;
      else if (b === ZIP_INT_32B) len = 4;
      else if (b === ZIP_INT_64B) len = 8;
      else if (b >= ZIP_INT_IMM_MIN && b <= ZIP_INT_IMM_MAX) len = 0;
      else fail(`invalid entry encoding ${hex2(b)} at blob byte ${e}`, errOffset);
      if (ds > last) fail(`entry header at blob byte ${p} runs past the end`, errOffset);
    }
    const next = ds + len;
    if (next > last) fail(`entry at blob byte ${p} (${next - p} bytes) runs past the end`, errOffset);
    if (prevlen !== prevSize) {
      fail(`prevlen mismatch at blob byte ${p}: says ${prevlen}, previous entry is ${prevSize} bytes`, errOffset);
    }

    if (isStr) {
      count++;
      if (collect) out.push(share ? (buf as Buffer).subarray(ds, next) : Buffer.from(buf.subarray(ds, next)));
    } else {
      let v: number | bigint;
      if (b === ZIP_INT_8B) v = (buf[ds]! << 24) >> 24;
      else if (b === ZIP_INT_16B) v = ((buf[ds]! | (buf[ds + 1]! << 8)) << 16) >> 16;
      else if (b === ZIP_INT_24B) v = ((buf[ds]! | (buf[ds + 1]! << 8) | (buf[ds + 2]! << 16)) << 8) >> 8;
      else if (b === ZIP_INT_32B) v = buf[ds]! | (buf[ds + 1]! << 8) | (buf[ds + 2]! << 16) | (buf[ds + 3]! << 24);
      else if (b === ZIP_INT_64B) v = readInt64LE(buf, ds);
      else v = (b & 0x0f) - 1;
      count++;
      if (collect) out.push(asText ? (typeof v === 'number' ? intText(v) : Buffer.from(v.toString(), 'latin1')) : v);
    }
    prevStart = p;
    prevSize = next - p;
    p = next;
  }
  if (p !== last) fail(`0xFF terminator at blob byte ${p} before the end (byte ${last})`, errOffset);
  if (prevStart !== -1 && prevStart !== zltail) {
    fail(`tail offset ${zltail} does not point at the last entry (blob byte ${prevStart})`, errOffset);
  }
  if (zllen !== ZIPLIST_LEN_UNKNOWN && zllen !== count) {
    fail(`header says ${zllen} entries but ${count} found`, errOffset);
  }
  lastCount = count;
  return out;
}

let lastCount = 0;

/** Deep-validates a ziplist without producing its elements; returns how many it holds. */
export function validateZiplist(buf: Uint8Array, errOffset: number): number {
  walkZiplist(buf, errOffset, false, false, false);
  return lastCount;
}

/** Decodes and deep-validates a ziplist; integers stay integers. With `share`, string
 * elements are views into `buf` (a Buffer the caller owns), not copies. */
export function decodeZiplistEntries(buf: Uint8Array, errOffset: number, share = false): LpEntry[] {
  return walkZiplist(buf, errOffset, false, share && Buffer.isBuffer(buf));
}

/** Decodes and deep-validates a ziplist; integers become their decimal text. `share` as above. */
export function decodeZiplist(buf: Uint8Array, errOffset: number, share = false): Buffer[] {
  return walkZiplist(buf, errOffset, true, share && Buffer.isBuffer(buf)) as Buffer[];
}

/** Writes prevlen + integer entry; returns the entry size. */
function zlAppendInt(s: ByteSink, prevSize: number, v: number | bigint): number {
  s.ensure(5 + 1 + 8);
  const o = s.buf;
  const start = s.len;
  let p = writePrevlen(o, start, prevSize);
  if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
    if (v >= 0 && v <= 12) {
      o[p++] = ZIP_INT_IMM_MIN + v;
    } else if (v >= -128 && v <= 127) {
      o[p++] = ZIP_INT_8B;
      o[p++] = v & 0xff;
    } else if (v >= -32768 && v <= 32767) {
      o[p++] = ZIP_INT_16B;
      o[p++] = v & 0xff;
      o[p++] = (v >>> 8) & 0xff;
    } else if (v >= -8388608 && v <= 8388607) {
      o[p++] = ZIP_INT_24B;
      o[p++] = v & 0xff;
      o[p++] = (v >>> 8) & 0xff;
      o[p++] = (v >>> 16) & 0xff;
    } else {
      o[p++] = ZIP_INT_32B;
      o[p++] = v & 0xff;
      o[p++] = (v >>> 8) & 0xff;
      o[p++] = (v >>> 16) & 0xff;
      o[p++] = (v >>> 24) & 0xff;
    }
  } else {
    o[p++] = ZIP_INT_64B;
    writeInt64LE(o, p, v);
    p += 8;
  }
  s.len = p;
  return p - start;
}

function zlAppendString(s: ByteSink, prevSize: number, src: Uint8Array): number {
  const len = src.length;
  s.ensure(5 + 5 + len);
  const o = s.buf;
  const start = s.len;
  let p = writePrevlen(o, start, prevSize);
  if (len <= 0x3f) {
    o[p++] = len;
  } else if (len <= 0x3fff) {
    o[p++] = 0x40 | (len >>> 8);
    o[p++] = len & 0xff;
  } else {
    o[p++] = 0x80;
    o[p++] = (len >>> 24) & 0xff;
    o[p++] = (len >>> 16) & 0xff;
    o[p++] = (len >>> 8) & 0xff;
    o[p++] = len & 0xff;
  }
  o.set(src, p);
  p += len;
  s.len = p;
  return p - start;
}

function writePrevlen(o: Buffer, p: number, prevSize: number): number {
  if (prevSize < ZIP_BIG_PREVLEN) {
    o[p] = prevSize;
    return p + 1;
  }
  o[p] = ZIP_BIG_PREVLEN;
  o[p + 1] = prevSize & 0xff;
  o[p + 2] = (prevSize >>> 8) & 0xff;
  o[p + 3] = (prevSize >>> 16) & 0xff;
  o[p + 4] = (prevSize >>> 24) & 0xff;
  return p + 5;
}

/**
 * Encodes entries as a ziplist the way Redis's zipTryEncoding does: Buffers holding a canonical
 * int64 and all integer entries use the smallest integer form (immediate 0..12, int8, int16,
 * int24, int32, int64); other strings use the smallest length header. Integers outside int64
 * are stored as decimal text.
 */
export function encodeZiplist(items: readonly LpEntry[]): Buffer {
  const s = new ByteSink(ZIPLIST_HEADER_SIZE + 1 + items.length * 4);
  s.len = ZIPLIST_HEADER_SIZE;
  let prevSize = 0;
  let tail = ZIPLIST_HEADER_SIZE;
  for (let i = 0; i < items.length; i++) {
    const e = items[i]!;
    tail = s.len;
    if (typeof e === 'number' || typeof e === 'bigint') {
      const v = int64Value(e);
      prevSize = v === undefined ? zlAppendString(s, prevSize, Buffer.from(e.toString(), 'latin1')) : zlAppendInt(s, prevSize, v);
    } else {
      const v = e.length < 32 ? parseInt64Strict(e) : undefined;
      prevSize = v === undefined ? zlAppendString(s, prevSize, e) : zlAppendInt(s, prevSize, v);
    }
  }
  s.ensure(1);
  s.buf[s.len++] = ZIP_END;
  const total = s.len;
  if (total > 0xffffffff) throw new RangeError(`ziplist: ${total} bytes exceed the 32-bit size field`);
  const o = s.buf;
  o[0] = total & 0xff;
  o[1] = (total >>> 8) & 0xff;
  o[2] = (total >>> 16) & 0xff;
  o[3] = (total >>> 24) & 0xff;
  o[4] = tail & 0xff;
  o[5] = (tail >>> 8) & 0xff;
  o[6] = (tail >>> 16) & 0xff;
  o[7] = (tail >>> 24) & 0xff;
  const count = items.length < ZIPLIST_LEN_UNKNOWN ? items.length : ZIPLIST_LEN_UNKNOWN;
  o[8] = count & 0xff;
  o[9] = count >>> 8;
  return s.result();
}
