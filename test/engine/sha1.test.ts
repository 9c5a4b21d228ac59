// The plain-JS SHA-1 behind DEBUG DIGEST against Node's (OpenSSL's) SHA-1: every length across
// the one-block / two-block / native boundaries, random and patterned bytes, in-place use.

import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha1, sha1Self, sha1Xor } from '../../src/engine/sha1.js';
import { rng } from '../helpers/feed.js';

const ref = (b: Uint8Array) => crypto.createHash('sha1').update(b).digest();

describe('sha1', () => {
  it('equals OpenSSL for every length 0..1100 (random bytes) and the FIPS examples', () => {
    const r = rng(7);
    for (let n = 0; n <= 1100; n++) {
      const b = Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
      expect(sha1(b).toString('hex'), `length ${n}`).toBe(ref(b).toString('hex'));
    }
    expect(sha1(Buffer.from('abc')).toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(sha1(Buffer.alloc(0)).toString('hex')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    const two = Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(sha1(two).toString('hex')).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
  });

  it('all-0xff and all-zero blocks (sign bits of the words), and a 1 MiB input', () => {
    for (const n of [55, 56, 63, 64, 119, 120, 128, 191, 192, 193]) {
      for (const fill of [0, 0xff, 0x80]) {
        const b = Buffer.alloc(n, fill);
        expect(sha1(b).equals(ref(b)), `${n} x ${fill}`).toBe(true);
      }
    }
    const big = Buffer.alloc(1 << 20, 0x5a);
    expect(sha1(big).equals(ref(big))).toBe(true);
  });

  it('sha1Xor xors the hash in; sha1Self hashes a 20-byte digest in place', () => {
    const d = Buffer.from(ref(Buffer.from('seed')));
    const want = Buffer.from(d);
    const h = ref(Buffer.from('data'));
    for (let i = 0; i < 20; i++) want[i]! ^= h[i]!;
    sha1Xor(Buffer.from('data'), d);
    expect(d.equals(want)).toBe(true);
    const again = ref(d);
    sha1Self(d);
    expect(d.equals(again)).toBe(true);
  });
});
