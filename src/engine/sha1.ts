// SHA-1 (FIPS 180-4) in plain JavaScript, for the many short messages DEBUG DIGEST hashes: a
// key digest mixes every element and then the 20-byte running digest, so a dataset digest is
// millions of one-block hashes. Node's crypto costs about 1 µs a call however short the input;
// this costs a fraction of that for one block. Long inputs go to Node's native SHA-1, which is
// faster per byte.

import crypto from 'node:crypto';
import { compress } from './sha1-rounds.js';

const H = new Int32Array(5);
/** the final block(s): at most two 64-byte blocks after the last full one */
const TAIL = new Uint8Array(128);

/** above this many bytes, Node's native SHA-1 is faster than this one (measured) */
const NATIVE_FROM = 192;

const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;

function nativeSha1(data: Uint8Array): Buffer {
  if (oneShot) return oneShot('sha1', data, 'buffer');
  return crypto.createHash('sha1').update(data).digest();
}

/** the block being hashed, as 16 big-endian words */
const W = new Int32Array(16);

/** load the 64-byte block at b[o..o+64) into W[0..16) */
function load(b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) W[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** compress the block in W[0..16) into H (the unrolled rounds: sha1-rounds.ts) */
function compressBlock(): void {
  compress(W, H);
}

function init(): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
}

/** H as 20 bytes at out[at..]: set, or xored in */
function emit(out: Uint8Array, at: number, xor: boolean): void {
  for (let i = 0; i < 5; i++) {
    const w = H[i]!;
    const o = at + i * 4;
    if (xor) {
      out[o]! ^= w >>> 24;
      out[o + 1]! ^= (w >>> 16) & 0xff;
      out[o + 2]! ^= (w >>> 8) & 0xff;
      out[o + 3]! ^= w & 0xff;
    } else {
      out[o] = w >>> 24;
      out[o + 1] = (w >>> 16) & 0xff;
      out[o + 2] = (w >>> 8) & 0xff;
      out[o + 3] = w & 0xff;
    }
  }
}

/** a message of at most 55 bytes: one padded block, its words built straight from the bytes */
function oneBlock(data: Uint8Array, n: number): void {
  const full = n >> 2;
  for (let i = 0, o = 0; i < full; i++, o += 4) W[i] = (data[o]! << 24) | (data[o + 1]! << 16) | (data[o + 2]! << 8) | data[o + 3]!;
  // the word holding the last bytes and the 0x80 marker
  let w = 0;
  let shift = 24;
  for (let j = full * 4; j < n; j++, shift -= 8) w |= data[j]! << shift;
  W[full] = w | (0x80 << shift);
  for (let i = full + 1; i < 15; i++) W[i] = 0;
  W[15] = n * 8;
  init();
  compressBlock();
}

/**
 * SHA-1 of `data`; mode 'set' writes the 20 bytes to out[at..], 'xor' xors them in. `data`
 * may be (or overlap) `out`: it is read completely before anything is written.
 */
function run(data: Uint8Array, out: Uint8Array, at: number, xor: boolean): void {
  const n = data.length;
  if (n <= 55) {
    oneBlock(data, n);
    emit(out, at, xor);
    return;
  }
  if (n > NATIVE_FROM) {
    const h = nativeSha1(data);
    if (xor) for (let i = 0; i < 20; i++) out[at + i]! ^= h[i]!;
    else for (let i = 0; i < 20; i++) out[at + i] = h[i]!;
    return;
  }
  init();
  const full = n & ~63;
  for (let o = 0; o < full; o += 64) {
    load(data, o);
    compressBlock();
  }
  const rest = n - full;
  for (let i = 0; i < rest; i++) TAIL[i] = data[full + i]!;
  TAIL[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  TAIL.fill(0, rest + 1, end - 4);
  // message length in bits, 64-bit big-endian (n <= NATIVE_FROM here: only the low word)
  const bits = n * 8;
  TAIL[end - 4] = bits >>> 24;
  TAIL[end - 3] = (bits >>> 16) & 0xff;
  TAIL[end - 2] = (bits >>> 8) & 0xff;
  TAIL[end - 1] = bits & 0xff;
  load(TAIL, 0);
  compressBlock();
  if (end === 128) {
    load(TAIL, 64);
    compressBlock();
  }
  emit(out, at, xor);
}

/** SHA-1 of data as a new 20-byte Buffer */
export function sha1(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(20);
  run(data, out, 0, false);
  return out;
}

/** out[0..20) ^= SHA1(data) */
export function sha1Xor(data: Uint8Array, out: Uint8Array): void {
  run(data, out, 0, true);
}

/** d = SHA1(d) for a 20-byte d, in place */
export function sha1Self(d: Uint8Array): void {
  run(d, d, 0, false);
}
