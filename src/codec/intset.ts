// Intset (RDB type 11): a sorted set of integers of one width.
//
//   u32le encoding (2, 4 or 8 = bytes per member) | u32le length | length × signed LE ints
//
// Members are strictly ascending; the width is the smallest that holds every member.
// Validation mirrors Redis's intsetValidateIntegrity (deep).

import { FormatError } from '../model/errors.js';
import { intText, writeInt64LE } from './listpack.js';

const INTSET_ENC_INT16 = 2;
const INTSET_ENC_INT32 = 4;
const INTSET_ENC_INT64 = 8;
const HEADER = 8;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const TWO32 = 4294967296;

function fail(msg: string, errOffset: number): never {
  throw new FormatError(`intset: ${msg}`, errOffset);
}

/** Decodes and deep-validates an intset; members come back as decimal text, ascending
 * (none with `collect` false: validation only). */
export function decodeIntset(buf: Uint8Array, errOffset: number, collect = true): Buffer[] {
  const n = buf.length;
  if (n < HEADER) fail(`blob of ${n} bytes is shorter than the 8-byte header`, errOffset);
  const enc = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  if (enc !== INTSET_ENC_INT16 && enc !== INTSET_ENC_INT32 && enc !== INTSET_ENC_INT64) {
    fail(`invalid encoding ${enc} (expected 2, 4 or 8)`, errOffset);
  }
  const count = (buf[4]! | (buf[5]! << 8) | (buf[6]! << 16) | (buf[7]! << 24)) >>> 0;
  if (HEADER + count * enc !== n) {
    fail(`header says ${count} members of ${enc} bytes (${HEADER + count * enc} bytes) but the blob has ${n}`, errOffset);
  }
  if (count === 0) fail('empty intset', errOffset);

  const out: Buffer[] = [];
  if (enc === INTSET_ENC_INT16) {
    let prev = -Infinity;
    for (let i = 0, p = HEADER; i < count; i++, p += 2) {
      const v = ((buf[p]! | (buf[p + 1]! << 8)) << 16) >> 16;
      if (v <= prev) fail(`member ${i} (${v}) at blob byte ${p} is not greater than the previous one (${prev})`, errOffset);
      prev = v;
      if (collect) out.push(intText(v));
    }
  } else if (enc === INTSET_ENC_INT32) {
    let prev = -Infinity;
    for (let i = 0, p = HEADER; i < count; i++, p += 4) {
      const v = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
      if (v <= prev) fail(`member ${i} (${v}) at blob byte ${p} is not greater than the previous one (${prev})`, errOffset);
      prev = v;
      if (collect) out.push(intText(v));
    }
  } else {
    let prevHi = 0;
    let prevLo = 0;
    for (let i = 0, p = HEADER; i < count; i++, p += 8) {
      const lo = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
      const hi = buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24);
      if (i > 0 && (hi < prevHi || (hi === prevHi && lo <= prevLo))) {
        fail(
          `member ${i} (${int64Text(hi, lo)}) at blob byte ${p} is not greater than the previous one (${int64Text(prevHi, prevLo)})`,
          errOffset,
        );
      }
      prevHi = hi;
      prevLo = lo;
      if (collect) out.push(Buffer.from(int64Text(hi, lo), 'latin1'));
    }
  }
  return out;
}

/** Decimal text of the int64 hi:lo (hi signed, lo unsigned). */
function int64Text(hi: number, lo: number): string {
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * TWO32 + lo;
    if (Number.isSafeInteger(v)) return String(v);
  }
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/**
 * Encodes a set of int64 values as an intset: sorted ascending, duplicates dropped, with the
 * smallest width that holds every member. Throws RangeError for an empty set (Redis never
 * writes one and decodeIntset rejects it) or a value outside int64.
 */
export function encodeIntset(values: readonly bigint[]): Buffer {
  if (values.length === 0) throw new RangeError('intset: cannot encode an empty set');
  const sorted = values.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  if (lo < INT64_MIN || hi > INT64_MAX) throw new RangeError('intset: value outside int64');
  const uniq: bigint[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]!);
  }
  const enc =
    lo >= -32768n && hi <= 32767n ? INTSET_ENC_INT16 : lo >= -2147483648n && hi <= 2147483647n ? INTSET_ENC_INT32 : INTSET_ENC_INT64;
  const out = Buffer.allocUnsafe(HEADER + uniq.length * enc);
  out.writeUInt32LE(enc, 0);
  out.writeUInt32LE(uniq.length, 4);
  let p = HEADER;
  for (const v of uniq) {
    if (enc === INTSET_ENC_INT16) out.writeInt16LE(Number(v), p);
    else if (enc === INTSET_ENC_INT32) out.writeInt32LE(Number(v), p);
    else writeInt64LE(out, p, v);
    p += enc;
  }
  return out;
}
