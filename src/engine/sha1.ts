// SHA-1 (FIPS 180-4) in plain JavaScript, for the many short messages DEBUG DIGEST hashes: a
// key digest mixes every element and then the 20-byte running digest, so a dataset digest is
// millions of one-block hashes. Node's crypto costs about 1 µs a call however short the input;
// this costs a fraction of that for one block. Long inputs go to Node's native SHA-1, which is
// faster per byte.

import crypto from 'node:crypto';

const W = new Int32Array(80);
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

/** one 64-byte block at b[o..o+64) into H */
function block(b: Uint8Array, o: number): void {
  for (let i = 0; i < 16; i++, o += 4) W[i] = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = H[0]!;
  let bb = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  for (let i = 0; i < 20; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + W[i]! + 0x5a827999) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  for (let i = 20; i < 40; i++) {
    const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + W[i]! + 0x6ed9eba1) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  for (let i = 40; i < 60; i++) {
    const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e + W[i]! + 0x8f1bbcdc) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  for (let i = 60; i < 80; i++) {
    const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + W[i]! + 0xca62c1d6) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = t;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + bb) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
}

/**
 * SHA-1 of `data`; mode 'set' writes the 20 bytes to out[at..], 'xor' xors them in. `data`
 * may be (or overlap) `out`: it is read completely before anything is written.
 */
function run(data: Uint8Array, out: Uint8Array, at: number, xor: boolean): void {
  const n = data.length;
  if (n > NATIVE_FROM) {
    const h = nativeSha1(data);
    if (xor) for (let i = 0; i < 20; i++) out[at + i]! ^= h[i]!;
    else for (let i = 0; i < 20; i++) out[at + i] = h[i]!;
    return;
  }
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
  const full = n & ~63;
  for (let o = 0; o < full; o += 64) block(data, o);
  const rest = n - full;
  for (let i = 0; i < rest; i++) TAIL[i] = data[full + i]!;
  TAIL[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  TAIL.fill(0, rest + 1, end - 8);
  // message length in bits, 64-bit big-endian (n <= NATIVE_FROM here: the high word is 0)
  const bits = n * 8;
  TAIL[end - 8] = 0;
  TAIL[end - 7] = 0;
  TAIL[end - 6] = 0;
  TAIL[end - 5] = 0;
  TAIL[end - 4] = bits >>> 24;
  TAIL[end - 3] = (bits >>> 16) & 0xff;
  TAIL[end - 2] = (bits >>> 8) & 0xff;
  TAIL[end - 1] = bits & 0xff;
  block(TAIL, 0);
  if (end === 128) block(TAIL, 64);
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
