// HyperLogLog values as Redis 7.0 holds them (src/hyperloglog.c): a string starting with a
// 16-byte header ("HYLL", encoding byte, 3 unused bytes, 8-byte little-endian cached
// cardinality whose top bit marks it invalid) followed by 16384 6-bit registers, either dense
// (12288 bytes, register i at bit 6*i, least significant bits first) or sparse (run-length
// opcodes: 00xxxxxx ZERO run of 1-64, 01xxxxxx yyyyyyyy XZERO run of 1-16384, 1vvvvvxx VAL
// run of 1-4 registers holding 1-32). Written from the format's description and the behaviour
// of the server, not copied.
//
// The engine must end with the very bytes the server holds, so the sparse update follows the
// server's in-place algorithm step by step (split the covering opcode, then merge adjacent
// VAL runs in a window of five opcodes starting at the previous one), including what it does
// with strings that merely look like HLLs (a SET of arbitrary bytes starting with "HYLL"):
// it reads them as C memory, so the byte just past the end (the sds terminator, 0 unless an
// earlier update of a truncated opcode spilled onto it) can be read, and is kept in the
// buffer's spare capacity.

import type { StringValue } from './engine.js';
import { UnsupportedCommandError } from './errors.js';

export const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_Q = 64 - HLL_P;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.floor((HLL_REGISTERS * 6 + 7) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** hll-sparse-max-bytes (the server's default) */
export const HLL_SPARSE_MAX_BYTES = 3000;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;

// ---------------------------------------------------------------------------------------------
// MurmurHash64A (64-bit arithmetic on 32-bit halves)

/** (ah:al) * (bh:bl) mod 2^64, as [hi, lo] unsigned 32-bit halves */
function mul64(ah: number, al: number, bh: number, bl: number): [number, number] {
  const a48 = ah >>> 16;
  const a32 = ah & 0xffff;
  const a16 = al >>> 16;
  const a00 = al & 0xffff;
  const b48 = bh >>> 16;
  const b32 = bh & 0xffff;
  const b16 = bl >>> 16;
  const b00 = bl & 0xffff;
  let c00 = a00 * b00;
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * b00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * b16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * b00;
  let c48 = c32 >>> 16;
  c32 &= 0xffff;
  c32 += a16 * b16;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c32 += a00 * b32;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c48 += a48 * b00 + a32 * b16 + a16 * b32 + a00 * b48;
  c48 &= 0xffff;
  return [((c48 << 16) | c32) >>> 0, ((c16 << 16) | c00) >>> 0];
}

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/** MurmurHash64A(key, seed) as [hi, lo]; `seed` is a 32-bit unsigned int */
export function murmurHash64A(key: Uint8Array, seed: number): [number, number] {
  const len = key.length;
  // h = seed ^ (len * m)
  let [hh, hl] = mul64(0, len >>> 0, M_HI, M_LO);
  hl = (hl ^ seed) >>> 0;
  const nblocks = len - (len & 7);
  for (let i = 0; i < nblocks; i += 8) {
    let kl = (key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24)) >>> 0;
    let kh = (key[i + 4]! | (key[i + 5]! << 8) | (key[i + 6]! << 16) | (key[i + 7]! << 24)) >>> 0;
    [kh, kl] = mul64(kh, kl, M_HI, M_LO);
    // k ^= k >> 47
    kl = (kl ^ (kh >>> 15)) >>> 0;
    [kh, kl] = mul64(kh, kl, M_HI, M_LO);
    hh = (hh ^ kh) >>> 0;
    hl = (hl ^ kl) >>> 0;
    [hh, hl] = mul64(hh, hl, M_HI, M_LO);
  }
  const rem = len & 7;
  if (rem > 0) {
    const t = nblocks;
    // bytes 0-3 of the tail go to the low half, 4-6 to the high half
    for (let j = rem - 1; j >= 0; j--) {
      const byte = key[t + j]!;
      if (j >= 4) hh = (hh ^ (byte << ((j - 4) * 8))) >>> 0;
      else hl = (hl ^ (byte << (j * 8))) >>> 0;
    }
    [hh, hl] = mul64(hh, hl, M_HI, M_LO);
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  [hh, hl] = mul64(hh, hl, M_HI, M_LO);
  hl = (hl ^ (hh >>> 15)) >>> 0;
  return [hh, hl];
}

const HLL_SEED = 0xadc83b19;

/** The register an element goes to and the length of its "000..1" pattern (1..51). */
export function hllPatLen(ele: Uint8Array): { index: number; count: number } {
  const [hh, hl] = murmurHash64A(ele, HLL_SEED);
  const index = hl & (HLL_REGISTERS - 1);
  // the 50 bits above the index, with bit 50 set so that the count stops at 51
  const lo = ((hl >>> HLL_P) | (hh << (32 - HLL_P))) >>> 0;
  const hi = ((hh >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0;
  const tz = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + (31 - Math.clz32(hi & -hi));
  return { index, count: tz + 1 };
}

// ---------------------------------------------------------------------------------------------
// Bytes as C memory: reading at the length reads the terminator

function at(v: StringValue, i: number): number {
  return i < v.buf.length ? v.buf[i]! : 0;
}

/** sdsMakeRoomFor(s, n): room for n more bytes and the terminator (old bytes all kept) */
function makeRoom(v: StringValue, n: number): void {
  const need = v.len + n + 1;
  if (v.buf.length >= need) return;
  const nb = Buffer.alloc(need * 2);
  v.buf.copy(nb, 0, 0, v.buf.length);
  v.buf = nb;
}

/** sdsIncrLen: move the length, write the terminator */
function incrLen(v: StringValue, d: number): void {
  v.len += d;
  v.buf[v.len] = 0;
}

// ---------------------------------------------------------------------------------------------
// Validity, creation

/** isHLLObjectOrReply without the type check: "HYLL", a known encoding, exact dense size */
export function isHllString(v: StringValue): boolean {
  if (v.len < HLL_HDR_SIZE) return false;
  const b = v.buf;
  if (b[0] !== 0x48 || b[1] !== 0x59 || b[2] !== 0x4c || b[3] !== 0x4c) return false;
  if (b[4]! > HLL_SPARSE) return false;
  if (b[4] === HLL_DENSE && v.len !== HLL_DENSE_SIZE) return false;
  return true;
}

export function hllEncoding(v: StringValue): number {
  return v.buf[4]!;
}

/** createHLLObject: an empty sparse HLL (one XZERO run covering every register); the cached
 * cardinality is 0 and valid */
export function createHll(): StringValue {
  const len = HLL_HDR_SIZE + 2;
  const buf = Buffer.alloc(len + 4);
  buf.write('HYLL', 0, 'latin1');
  buf[4] = HLL_SPARSE;
  const l = HLL_REGISTERS - 1;
  buf[HLL_HDR_SIZE] = (l >> 8) | 0x40;
  buf[HLL_HDR_SIZE + 1] = l & 0xff;
  return { type: 'string', buf, len };
}

export function invalidateCache(v: StringValue): void {
  v.buf[15]! |= 0x80;
}

export function cacheValid(v: StringValue): boolean {
  return (v.buf[15]! & 0x80) === 0;
}

export function cachedCard(v: StringValue): bigint {
  return v.buf.readBigUInt64LE(8);
}

export function setCachedCard(v: StringValue, card: bigint): void {
  v.buf.writeBigUInt64LE(card, 8);
}

// ---------------------------------------------------------------------------------------------
// Dense registers

function denseGet(b: Buffer, regs: number, i: number): number {
  const bit = i * 6;
  const byte = regs + (bit >> 3);
  const fb = bit & 7;
  const b0 = b[byte]!;
  const b1 = byte + 1 < b.length ? b[byte + 1]! : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & 63;
}

function denseSetRaw(b: Buffer, regs: number, i: number, val: number): void {
  const bit = i * 6;
  const byte = regs + (bit >> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte]! & ~(63 << fb)) | ((val << fb) & 0xff);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(63 >> fb8)) | (val >> fb8);
}

/** hllDenseSet: 1 if the register grew */
function denseSet(b: Buffer, i: number, count: number): number {
  if (count > denseGet(b, HLL_HDR_SIZE, i)) {
    denseSetRaw(b, HLL_HDR_SIZE, i, count);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Sparse opcodes

const isZero = (c: number) => (c & 0xc0) === 0;
const isXZero = (c: number) => (c & 0xc0) === 0x40;
const isVal = (c: number) => (c & 0x80) !== 0;
const zeroLen = (c: number) => (c & 0x3f) + 1;
const xzeroLen = (c: number, c2: number) => (((c & 0x3f) << 8) | c2) + 1;
const valValue = (c: number) => ((c >> 2) & 0x1f) + 1;
const valLen = (c: number) => (c & 3) + 1;
const valByte = (val: number, len: number) => (((val - 1) << 2) | (len - 1) | 0x80) & 0xff;

/** hllSparseToDense; false if the sparse data does not cover exactly 16384 registers (the
 * value is then unchanged). A dense value is left as it is. */
export function sparseToDense(v: StringValue): boolean {
  if (v.buf[4] === HLL_DENSE) return true;
  const d = Buffer.alloc(HLL_DENSE_SIZE + 1);
  v.buf.copy(d, 0, 0, HLL_HDR_SIZE);
  d[4] = HLL_DENSE;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = v.len;
  while (p < end) {
    const c = v.buf[p]!;
    if (isZero(c)) {
      idx += zeroLen(c);
      p++;
    } else if (isXZero(c)) {
      idx += xzeroLen(c, at(v, p + 1));
      p += 2;
    } else {
      let run = valLen(c);
      const val = valValue(c);
      if (run + idx > HLL_REGISTERS) break;
      while (run--) denseSetRaw(d, HLL_HDR_SIZE, idx++, val);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  v.buf = d;
  v.len = HLL_DENSE_SIZE;
  return true;
}

/** hllSparseSet: 1 if updated, 0 if not needed, -1 for corrupted data. May promote the value
 * to dense (a register above 32, or past hll-sparse-max-bytes). */
export function sparseSet(v: StringValue, index: number, count: number): number {
  if (count <= SPARSE_VAL_MAX_VALUE) {
    const r = sparseSetInPlace(v, index, count);
    if (r !== 2) return r;
  }
  // promote
  if (!sparseToDense(v)) return -1;
  if (denseSet(v.buf, index, count) !== 1) throw new UnsupportedCommandError('this HLL update makes the server abort (a promoted register that does not grow)');
  return 1;
}

/** the in-place part of hllSparseSet; 2 means "promote" */
function sparseSetInPlace(v: StringValue, index: number, count: number): number {
  makeRoom(v, 3);
  let b = v.buf;
  const sparse = HLL_HDR_SIZE;
  let p = sparse;
  let end = v.len;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const c = b[p]!;
    let oplen = 1;
    if (isZero(c)) span = zeroLen(c);
    else if (isVal(c)) span = valLen(c);
    else {
      span = xzeroLen(c, b[p + 1]!);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;

  const op = b[p]!;
  let next = isXZero(op) ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const zero = isZero(op);
  const xzero = isXZero(op);
  const val = !zero && !xzero;
  const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(op, b[p + 1]!) : valLen(op);

  let merge = false;
  if (val) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) {
      b[p] = valByte(count, 1);
      merge = true;
    }
  }
  if (!merge && zero && runlen === 1) {
    b[p] = valByte(count, 1);
    merge = true;
  }
  if (!merge) {
    // split the opcode around the register
    const seq: number[] = [];
    const last = first + span - 1;
    const zeros = (len: number) => {
      if (len > SPARSE_ZERO_MAX_LEN) seq.push(((len - 1) >> 8) | 0x40, (len - 1) & 0xff);
      else seq.push(len - 1);
    };
    if (zero || xzero) {
      if (index !== first) zeros(index - first);
      seq.push(valByte(count, 1));
      if (index !== last) zeros(last - index);
    } else {
      const cur = valValue(op);
      if (index !== first) seq.push(valByte(cur, index - first));
      seq.push(valByte(count, 1));
      if (index !== last) seq.push(valByte(cur, last - index));
    }
    const oldlen = xzero ? 2 : 1;
    const delta = seq.length - oldlen;
    if (delta > 0 && v.len + delta > HLL_SPARSE_MAX_BYTES) return 2;
    if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
    incrLen(v, delta);
    for (let i = 0; i < seq.length; i++) b[p + i] = seq[i]!;
    end += delta;
  }

  // merge adjacent VAL runs of the same value, up to five opcodes from the previous one
  b = v.buf;
  p = prev !== -1 ? prev : sparse;
  let scan = 5;
  while (p < end) {
    if (scan-- === 0) break;
    const c = b[p]!;
    if (isXZero(c)) {
      p += 2;
      continue;
    }
    if (isZero(c)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1]!)) {
      const v1 = valValue(c);
      const v2 = valValue(b[p + 1]!);
      if (v1 === v2) {
        const len = valLen(c) + valLen(b[p + 1]!);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valByte(v1, len);
          b.copyWithin(p, p + 1, end + 1);
          incrLen(v, -1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(v);
  return 1;
}

/** hllAdd: 1 if a register changed, 0 if not, -1 for a corrupted (or unknown) encoding */
export function hllAdd(v: StringValue, ele: Uint8Array): number {
  const { index, count } = hllPatLen(ele);
  const enc = v.buf[4];
  if (enc === HLL_DENSE) return denseSet(v.buf, index, count);
  if (enc === HLL_SPARSE) return sparseSet(v, index, count);
  return -1;
}

/** hllMerge: max[i] = max(max[i], register i); false for corrupted sparse data */
export function hllMerge(max: Uint8Array, v: StringValue): boolean {
  const b = v.buf;
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = denseGet(b, HLL_HDR_SIZE, i);
      if (r > max[i]!) max[i] = r;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HDR_SIZE;
  const end = v.len;
  while (p < end) {
    const c = b[p]!;
    if (isZero(c)) {
      i += zeroLen(c);
      p++;
    } else if (isXZero(c)) {
      i += xzeroLen(c, at(v, p + 1));
      p += 2;
    } else {
      let run = valLen(c);
      const val = valValue(c);
      if (run + i > HLL_REGISTERS) break;
      while (run--) {
        if (val > max[i]!) max[i] = val;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** Write merged registers into a destination HLL (PFMERGE): dense or sparse set for each
 * non-zero register; a failing sparse update is ignored, as the server ignores it. */
export function hllStoreRegisters(v: StringValue, max: Uint8Array): void {
  for (let j = 0; j < HLL_REGISTERS; j++) {
    const m = max[j]!;
    if (m === 0) continue;
    const enc = v.buf[4];
    if (enc === HLL_DENSE) denseSet(v.buf, j, m);
    else if (enc === HLL_SPARSE) sparseSet(v, j, m);
  }
}

// ---------------------------------------------------------------------------------------------
// Cardinality

/** register histogram of a stored HLL; `invalid` when a sparse one does not cover 16384
 * registers exactly */
export function hllHistogram(v: StringValue): { histo: Float64Array; invalid: boolean } {
  const histo = new Float64Array(64);
  const b = v.buf;
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histo[denseGet(b, HLL_HDR_SIZE, i)]!++;
    return { histo, invalid: false };
  }
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = v.len;
  while (p < end) {
    const c = b[p]!;
    if (isZero(c)) {
      const r = zeroLen(c);
      idx += r;
      histo[0]! += r;
      p++;
    } else if (isXZero(c)) {
      const r = xzeroLen(c, at(v, p + 1));
      idx += r;
      histo[0]! += r;
      p += 2;
    } else {
      const r = valLen(c);
      idx += r;
      histo[valValue(c)]! += r;
      p++;
    }
  }
  return { histo, invalid: idx !== HLL_REGISTERS };
}

/** histogram of raw 8-bit registers (PFCOUNT of several keys) */
export function rawHistogram(max: Uint8Array): Float64Array {
  const histo = new Float64Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]! & 63]!++;
  return histo;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zp: number;
  do {
    x *= x;
    zp = z;
    z += x * y;
    y += y;
  } while (zp !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1.0;
  let z = 1 - x;
  let zp: number;
  do {
    x = Math.sqrt(x);
    zp = z;
    y *= 0.5;
    const t = 1 - x;
    // pow(t, 2) is t*t correctly rounded: glibc's pow is exact to well under half an ulp there
    z -= t * t * y;
  } while (zp !== z);
  return z / 3;
}

const HLL_ALPHA_INF = 0.72134752044448170368;

/** hllCount's estimate (Ertl's improved estimator) as the uint64 the server stores. */
export function hllEstimate(histo: Float64Array): bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  const e = (HLL_ALPHA_INF * m * m) / z;
  // llroundl (halves away from zero); beyond the long long range the x87 conversion gives
  // LLONG_MIN, which the cast to uint64_t makes 2^63
  if (!(e < 9223372036854775807)) return 1n << 63n;
  const f = Math.floor(e);
  const r = e - f >= 0.5 ? f + 1 : f;
  if (r >= 9223372036854775807) return 1n << 63n;
  return BigInt(r);
}
