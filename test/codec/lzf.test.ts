import { describe, it, expect } from 'vitest';
import { lzfCompress, lzfDecompress, lzfDecompressInto, lzfValidate } from '../../src/codec/lzf.js';
import { FormatError } from '../../src/model/errors.js';
import { mulberry32, hex, formatError } from '../helpers/codec.js';

function randomBytes(rand: () => number, n: number, alphabet = 256): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * alphabet) | 0;
  return b;
}

/** Text-like data with repeats at many distances. */
function repetitive(rand: () => number, n: number): Buffer {
  const words = ['redis', 'key:', 'user:1000', 'value', '0000', 'aaaaaaaa', ' ', '\n', 'listpack'];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[(rand() * words.length) | 0]!;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('').slice(0, n), 'latin1');
}

function roundTrip(src: Buffer): Buffer | undefined {
  const c = lzfCompress(src, src.length + Math.ceil(src.length / 32) + 1);
  expect(c).toBeDefined();
  expect(lzfDecompress(c!, src.length, 0).equals(src)).toBe(true);
  return c;
}

describe('lzfDecompress', () => {
  it('decodes streams written by Redis (HDT3213/rdb fixtures)', () => {
    // ziplist_that_compresses_easily.rdb: C3 clen=60 ulen=149
    const zl = lzfDecompress(
      hex(
        '04950000006e2003000620020061600001080c6006a000010e12a008e00200011418e0020ce00400011a1ee0040ee00800012024e00812e00a0000ff',
      ),
      149,
      0,
    );
    expect(zl.length).toBe(149);
    expect(zl.subarray(0, 10).toString('hex')).toBe('950000006e0000000600');
    expect(zl.subarray(10, 18).toString('latin1')).toBe('\x00\x06aaaaaa');
    expect(zl[148]).toBe(0xff);
    // zipmap_that_compresses_easily.rdb: C3 clen=32 ulen=39
    const zm = lzfDecompress(hex('0a030161020061610261610420060261610520030261610e600be000000161ff'), 39, 0);
    expect(zm.toString('hex')).toBe(
      '030161020061610261610400616161610561616161610e006161616161616161616161616161ff',
    );
  });

  it('handles literal runs, short and long back references, and overlap', () => {
    // literal "ab", then back reference distance 2 length 6 -> "ababab" (overlapping copy)
    expect(lzfDecompress(hex('01 61 62 80 01'), 8, 0).toString()).toBe('abababab');
    // distance 1 repeats the last byte: long ref (len byte) of 7+2+10 = 19
    expect(lzfDecompress(hex('00 78 e0 0a 00'), 20, 0).toString()).toBe('x'.repeat(20));
    // maximum length reference: 7 + 255 + 2 = 264
    expect(lzfDecompress(hex('00 7a e0 ff 00'), 265, 0).toString()).toBe('z'.repeat(265));
    // 32-byte literal (ctrl 0x1f)
    const lit = Buffer.from('0123456789abcdef0123456789ABCDEF');
    expect(lzfDecompress(Buffer.concat([hex('1f'), lit]), 32, 0).equals(lit)).toBe(true);
  });

  it('returns an empty buffer for an empty stream', () => {
    expect(lzfDecompress(new Uint8Array(0), 0, 0).length).toBe(0);
  });

  it('works on a sub-array and never aliases the input', () => {
    const backing = Buffer.concat([hex('ee ee ee'), hex('01 61 62 80 01'), hex('ee')]);
    const src = backing.subarray(3, 8);
    const out = lzfDecompress(src, 8, 0);
    expect(out.toString()).toBe('abababab');
    backing.fill(0);
    expect(out.toString()).toBe('abababab');
  });

  it('rejects a back reference before the start of the output', () => {
    const e = formatError(() => lzfDecompress(hex('00 61 20 05'), 4, 1234));
    expect(e.offset).toBe(1234);
    expect(e.message).toMatch(/back reference at compressed byte 2 .*before the start/);
    // a reference as the very first op
    expect(formatError(() => lzfDecompress(hex('20 00'), 3, 0)).message).toMatch(/before the start/);
  });

  it('rejects output overruns', () => {
    expect(formatError(() => lzfDecompress(hex('02 61 62 63'), 2, 7)).message).toMatch(/literal run .*overruns/);
    expect(formatError(() => lzfDecompress(hex('00 61 e0 ff 00'), 100, 7)).message).toMatch(
      /back reference .*overruns/,
    );
  });

  it('rejects short output', () => {
    const e = formatError(() => lzfDecompress(hex('01 61 62'), 3, 99));
    expect(e.message).toBe('lzf: decompressed to 2 bytes, expected 3');
    expect(e.offset).toBe(99);
  });

  it('rejects truncated literals and references', () => {
    expect(formatError(() => lzfDecompress(hex('05 61 62'), 6, 0)).message).toMatch(/literal run .*truncated/);
    expect(formatError(() => lzfDecompress(hex('00 61 20'), 4, 0)).message).toMatch(/back reference .*truncated/);
    expect(formatError(() => lzfDecompress(hex('00 61 e0 05'), 20, 0)).message).toMatch(/back reference .*truncated/);
  });

  it('rejects an impossible uncompressed length before allocating', () => {
    expect(formatError(() => lzfDecompress(hex('00 61'), 2 ** 40, 0)).message).toMatch(/impossible/);
    expect(formatError(() => lzfDecompress(hex('00 61'), 177, 0)).message).toMatch(/impossible/);
    expect(formatError(() => lzfDecompress(hex('00 61'), -1, 0)).message).toMatch(/invalid/);
    expect(formatError(() => lzfDecompress(hex('00 61'), 1.5, 0)).message).toMatch(/invalid/);
    // a non-empty stream cannot produce 0 bytes
    expect(formatError(() => lzfDecompress(hex('00 61'), 0, 0)).message).toMatch(/impossible|overruns/);
  });

  it('only ever throws FormatError on mutated and random streams (seeded)', () => {
    const rand = mulberry32(20240601);
    const valid: [Buffer, number][] = [];
    for (let i = 0; i < 20; i++) {
      const src = i % 2 ? repetitive(rand, 20 + ((rand() * 2000) | 0)) : randomBytes(rand, 1 + ((rand() * 300) | 0), 4);
      valid.push([lzfCompress(src, src.length * 2 + 8)!, src.length]);
    }
    let failures = 0;
    for (let t = 0; t < 4000; t++) {
      const [c, ulen] = valid[t % valid.length]!;
      let m: Buffer;
      let u = ulen;
      const kind = t % 5;
      if (kind === 0) {
        m = Buffer.from(c);
        m[(rand() * m.length) | 0]! ^= 1 << ((rand() * 8) | 0);
      } else if (kind === 1) {
        m = c.subarray(0, (rand() * c.length) | 0);
      } else if (kind === 2) {
        m = Buffer.from(c);
        for (let k = 0; k < 3; k++) m[(rand() * m.length) | 0] = (rand() * 256) | 0;
      } else if (kind === 3) {
        m = randomBytes(rand, (rand() * 64) | 0);
        u = (rand() * 2000) | 0;
      } else {
        m = c;
        u = ulen + ((rand() * 20) | 0) - 10;
      }
      try {
        lzfDecompress(m, u, 5);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e.offset).toBe(5);
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(2000);
  });
});

/** The format, decoded one byte at a time: the oracle for the word-at-a-time decoder. */
function referenceDecompress(src: Uint8Array, ulen: number): Buffer | 'error' {
  const out = Buffer.alloc(ulen);
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      if (op + ctrl + 1 > ulen || ip + ctrl + 1 > src.length) return 'error';
      for (let k = 0; k <= ctrl; k++) out[op++] = src[ip++]!;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= src.length) return 'error';
        len += src[ip++]!;
      }
      if (ip >= src.length) return 'error';
      const ref = op - ((ctrl & 31) << 8) - src[ip++]! - 1;
      len += 2;
      if (op + len > ulen || ref < 0) return 'error';
      for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
    }
  }
  return op === ulen ? out : 'error';
}

describe('lzfDecompressInto (runs copied 8 bytes at a time) and lzfValidate', () => {
  it('equals a byte-at-a-time decoder on valid and damaged streams, and never writes outside its range', () => {
    const rand = mulberry32(77001);
    let ok = 0;
    let bad = 0;
    for (let t = 0; t < 3000; t++) {
      const n = t % 3 === 0 ? 1 + ((rand() * 40) | 0) : 1 + ((rand() * 3000) | 0);
      const plain = t % 4 === 0 ? randomBytes(rand, n, 3) : repetitive(rand, n);
      let c = lzfCompress(plain, plain.length * 2 + 8)!;
      let ulen = plain.length;
      if (t % 2 === 1) {
        // damage: a flipped bit, a cut, or a wrong length
        c = Buffer.from(c);
        const kind = t % 6;
        if (kind === 1) c[(rand() * c.length) | 0]! ^= 1 << ((rand() * 8) | 0);
        else if (kind === 3) c = c.subarray(0, (rand() * c.length) | 0);
        else ulen += ((rand() * 17) | 0) - 8;
        if (ulen < 0) ulen = 0;
      }
      const want = referenceDecompress(c, ulen);
      // the compressed bytes and the output sit inside bigger buffers, with guard bytes around
      const inBuf = Buffer.alloc(c.length + 64, 0x5a);
      c.copy(inBuf, 7);
      const o = 13;
      const outBuf = Buffer.alloc(o + ulen + 64, 0xa5);
      let got: Buffer | 'error';
      try {
        lzfDecompressInto(inBuf, 7, 7 + c.length, outBuf, o, ulen, 99);
        got = Buffer.from(outBuf.subarray(o, o + ulen));
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as FormatError).offset).toBe(99);
        got = 'error';
      }
      // validating without output gives the same verdict and message
      let validated = 'ok';
      try {
        lzfValidate(c, ulen, 99);
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        validated = (e as Error).message;
      }
      let decompressedMsg = 'ok';
      try {
        lzfDecompress(c, ulen, 99);
      } catch (e) {
        decompressedMsg = (e as Error).message;
      }
      expect(validated, `t=${t}`).toBe(decompressedMsg);
      for (let k = 0; k < o; k++) expect(outBuf[k]).toBe(0xa5);
      for (let k = o + ulen; k < outBuf.length; k++) expect(outBuf[k], `t=${t}: byte ${k - o - ulen} after the output`).toBe(0xa5);
      if (want === 'error') {
        expect(got, `t=${t}`).toBe('error');
        bad++;
      } else {
        expect(got === 'error' ? 'error' : got.equals(want), `t=${t}`).toBe(true);
        ok++;
      }
    }
    expect(ok).toBeGreaterThan(1500);
    expect(bad).toBeGreaterThan(300);
  });
});

describe('lzfCompress', () => {
  it('round-trips random, repetitive, short and empty inputs', () => {
    const rand = mulberry32(42);
    expect(lzfCompress(new Uint8Array(0), 0)!.length).toBe(0);
    expect(lzfDecompress(lzfCompress(new Uint8Array(0), 10)!, 0, 0).length).toBe(0);
    for (let n = 1; n < 80; n++) roundTrip(randomBytes(rand, n, n % 3 === 0 ? 2 : 256));
    for (let t = 0; t < 60; t++) {
      const n = (rand() * 70000) | 0;
      roundTrip(t % 3 === 0 ? randomBytes(rand, n) : t % 3 === 1 ? repetitive(rand, n) : randomBytes(rand, n, 3));
    }
  });

  it('uses long references and distances up to 8192', () => {
    const a = Buffer.alloc(100000, 0x61);
    const c = roundTrip(a)!;
    expect(c.length).toBeLessThan(100000 / 264 * 3 + 10);
    // a block repeated at distance exactly 8192 and beyond
    const rand = mulberry32(3);
    const block = randomBytes(rand, 8192);
    const twice = Buffer.concat([block, block]);
    expect(roundTrip(twice)!.length).toBeLessThan(8192 + 8192 / 32 + 200);
    const far = Buffer.concat([block, randomBytes(rand, 10), block]);
    roundTrip(far);
  });

  it('honours maxOut like Redis (len - 4)', () => {
    const rand = mulberry32(9);
    const incompressible = randomBytes(rand, 100);
    expect(lzfCompress(incompressible, incompressible.length - 4)).toBeUndefined();
    const text = Buffer.from('hello hello hello hello hello hello');
    const c = lzfCompress(text, text.length - 4)!;
    expect(c.length).toBeLessThanOrEqual(text.length - 4);
    expect(lzfDecompress(c, text.length, 0).equals(text)).toBe(true);
    // exact fit succeeds, one byte less fails
    expect(lzfCompress(text, c.length)!.equals(c)).toBe(true);
    expect(lzfCompress(text, c.length - 1)).toBeUndefined();
    expect(lzfCompress(text, 0)).toBeUndefined();
  });

  it('is deterministic regardless of earlier calls', () => {
    const rand = mulberry32(5);
    const data = repetitive(rand, 5000);
    const first = lzfCompress(data, 10000)!;
    for (let i = 0; i < 20; i++) lzfCompress(repetitive(rand, 3000), 6000);
    expect(lzfCompress(data, 10000)!.equals(first)).toBe(true);
  });

  it('compresses a sub-array and returns a fresh buffer', () => {
    const backing = Buffer.from('xxxxabcabcabcabcabcabcabcabcabcabcxxxx');
    const src = backing.subarray(4, backing.length - 4);
    const c = lzfCompress(src, src.length)!;
    const copy = Buffer.from(c);
    lzfCompress(Buffer.from('something else entirely, something else'), 100);
    expect(c.equals(copy)).toBe(true);
    expect(lzfDecompress(c, src.length, 0).toString()).toBe('abcabcabcabcabcabcabcabcabcabc');
  });
});
