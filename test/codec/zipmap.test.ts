import { describe, it, expect } from 'vitest';
import { decodeZipmap } from '../../src/codec/zipmap.js';
import { FormatError } from '../../src/model/errors.js';
import { mulberry32, hex, formatError } from '../helpers/codec.js';

const text = (bs: Buffer[]) => bs.map((b) => b.toString('latin1'));

/** Test-side zipmap writer (as Redis 2.x laid them out). */
function zipmap(pairs: [Buffer, Buffer, number?][], zmlen = Math.min(pairs.length, 254)): Buffer {
  const len = (n: number) => {
    if (n < 254) return Buffer.from([n]);
    const b = Buffer.alloc(5);
    b[0] = 254;
    b.writeUInt32LE(n, 1);
    return b;
  };
  const parts: Buffer[] = [Buffer.from([zmlen])];
  for (const [f, v, free = 0] of pairs) parts.push(len(f.length), f, len(v.length), Buffer.from([free]), v, Buffer.alloc(free, 0xaa));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

// zipmap_big_len.rdb and zipmap_that_doesnt_compress.rdb (HDT3213/rdb) hold the same pairs;
// they differ only in zmlen (0xff vs 0x02). Redis 7.0.15 refuses the first one.
const BIG_LEN = hex('ff 06 4d4b44314736 01 00 32 05 594e4e584b 04 00 46375449 ff');
const GOOD = hex('02 06 4d4b44314736 01 00 32 05 594e4e584b 04 00 46375449 ff');

describe('zipmap', () => {
  it('decodes the FORMATS.md 4.3 example', () => {
    const blob = Buffer.concat([hex('02 03'), Buffer.from('foo'), hex('03 00'), Buffer.from('bar'), hex('05'), Buffer.from('hello'), hex('05 00'), Buffer.from('world'), hex('ff')]);
    expect(text(decodeZipmap(blob, 0, true))).toEqual(['foo', 'bar', 'hello', 'world']);
    expect(blob.equals(zipmap([[Buffer.from('foo'), Buffer.from('bar')], [Buffer.from('hello'), Buffer.from('world')]]))).toBe(true);
  });

  it('decodes zipmaps written by Redis 2.x (HDT3213/rdb fixtures)', () => {
    expect(text(decodeZipmap(GOOD, 0, true))).toEqual(['MKD1G6', '2', 'YNNXK', 'F7TI']);
    // zipmap_that_compresses_easily.rdb after LZF
    const easy = hex('030161020061610261610400616161610561616161610e006161616161616161616161616161ff');
    expect(text(decodeZipmap(easy, 0, true))).toEqual(['a', 'aa', 'aa', 'aaaa', 'aaaaa', 'aaaaaaaaaaaaaa']);
  });

  it('strict: rejects zipmap_big_len (zmlen 255 with 2 pairs) like Redis 7; lenient reads it', () => {
    const e = formatError(() => decodeZipmap(BIG_LEN, 59, true));
    expect(e.offset).toBe(59);
    expect(e.message).toBe('zipmap: header says 255 pairs but 2 found (only 254 means "unknown")');
    expect(text(decodeZipmap(BIG_LEN, 59, false))).toEqual(['MKD1G6', '2', 'YNNXK', 'F7TI']);
    // any other wrong count as well; 254 always passes
    expect(formatError(() => decodeZipmap(hex('fd 0161 0100 62 ff'), 0, true)).message).toMatch(/header says 253 pairs but 1 found/);
    expect(formatError(() => decodeZipmap(hex('00 0161 0100 62 ff'), 0, true)).message).toMatch(/header says 0 pairs but 1 found/);
    expect(text(decodeZipmap(hex('fe 0161 0100 62 ff'), 0, true))).toEqual(['a', 'b']);
    expect(text(decodeZipmap(hex('fd 0161 0100 62 ff'), 0, false))).toEqual(['a', 'b']);
  });

  it('skips free bytes after values', () => {
    const blob = zipmap([
      [Buffer.from('a'), Buffer.from('b'), 2],
      [Buffer.from('c'), Buffer.from(''), 4],
    ]);
    expect(text(decodeZipmap(blob, 0, true))).toEqual(['a', 'b', 'c', '']);
  });

  it('reads 5-byte lengths for fields and values of 254 bytes or more', () => {
    const f = Buffer.alloc(300, 0x6b);
    const v = Buffer.alloc(254, 0x76);
    const blob = zipmap([[f, v, 1], [Buffer.from('x'), Buffer.alloc(253, 0x79)]]);
    expect(blob[1]).toBe(0xfe);
    const got = decodeZipmap(blob, 0, true);
    expect(got.length).toBe(4);
    expect(got[0]!.equals(f)).toBe(true);
    expect(got[1]!.equals(v)).toBe(true);
    expect(got[3]!.equals(Buffer.alloc(253, 0x79))).toBe(true);
    // 0xFF also introduces a 5-byte value length (Redis's zipmapDecodeLength takes >= 254)
    const ff = Buffer.concat([hex('01 0161 ff 2c010000 00'), Buffer.alloc(300, 0x76), hex('ff')]);
    expect(decodeZipmap(ff, 0, true)[1]!.length).toBe(300);
  });

  it('strict: rejects a 5-byte length holding a value below 254 (Redis misreads it); lenient reads it', () => {
    const field = hex('01 fe 01000000 61 01 00 62 ff');
    expect(formatError(() => decodeZipmap(field, 0, true)).message).toBe(
      'zipmap: field length 1 at blob byte 1 uses the 5-byte form (Redis misreads it)',
    );
    expect(text(decodeZipmap(field, 0, false))).toEqual(['a', 'b']);
    const value = hex('01 01 61 fe 01000000 00 62 ff');
    expect(formatError(() => decodeZipmap(value, 0, true)).message).toBe(
      'zipmap: value length 1 at blob byte 3 uses the 5-byte form (Redis misreads it)',
    );
    expect(text(decodeZipmap(value, 0, false))).toEqual(['a', 'b']);
  });

  it('strict: rejects duplicate fields and empty maps; lenient keeps them', () => {
    const dup = hex('02 0161 0100 62 0161 0100 63 ff');
    expect(formatError(() => decodeZipmap(dup, 0, true)).message).toBe('zipmap: duplicate field at pair 1');
    expect(text(decodeZipmap(dup, 0, false))).toEqual(['a', 'b', 'a', 'c']);
    expect(formatError(() => decodeZipmap(hex('00 ff'), 0, true)).message).toBe('zipmap: no pairs (Redis rejects an empty zipmap)');
    expect(decodeZipmap(hex('00 ff'), 0, false)).toEqual([]);
  });

  it('stops at the first end marker like Redis; strict still needs 0xFF as the last byte', () => {
    expect(text(decodeZipmap(hex('01 0161 0100 62 ff 00 ff'), 0, true))).toEqual(['a', 'b']);
    const noEnd = hex('01 0161 0100 62 ff 00');
    expect(formatError(() => decodeZipmap(noEnd, 0, true)).message).toBe('zipmap: last byte is 0x00, not the 0xFF terminator');
    expect(text(decodeZipmap(noEnd, 0, false))).toEqual(['a', 'b']);
  });

  const bad: [string, string, RegExp][] = [
    ['too short', 'ff', /blob of 1 bytes is shorter than the 2-byte minimum/],
    ['field past the end', '01 05 61 ff', /field at blob byte 1 \(5 bytes\) runs past the end/],
    ['value past the end', '01 01 61 05 00 62 ff', /value at blob byte 3 \(5 bytes \+ 0 free\) runs past the end/],
    ['free bytes past the end', '01 01 61 01 09 62 ff', /value at blob byte 3 \(1 bytes \+ 9 free\) runs past the end/],
    ['5-byte length cut', '01 fe 01 00 ff', /field length at blob byte 1 runs past the end/],
    ['value length cut', '01 01 61 fe 00 ff', /value length at blob byte 3 runs past the end/],
    ['huge field length', '01 fe ff ff ff ff 61 ff', /field at blob byte 1 \(4294967295 bytes\) runs past the end/],
    ['huge value length', '01 01 61 fe ff ff ff ff 00 62 ff', /value at blob byte 3 \(4294967295 bytes/],
    ['value ends on the terminator', '01 01 61 01 00 ff', /value at blob byte 3 .* runs past the end/],
  ];
  for (const [name, blob, msg] of bad) {
    it(`rejects in both modes: ${name}`, () => {
      for (const strict of [true, false]) {
        const e = formatError(() => decodeZipmap(hex(blob), 1000, strict));
        expect(e.offset).toBe(1000);
        expect(e.message).toMatch(msg);
      }
    });
  }

  it('lenient: needs a terminator somewhere', () => {
    expect(formatError(() => decodeZipmap(hex('01 01 61 01 00 62'), 0, false)).message).toMatch(/value at blob byte 3 .* runs past the end/);
    expect(formatError(() => decodeZipmap(hex('01 01 61 01 00 62 63'), 0, false)).message).toMatch(/field length at blob byte 6 runs past the end/);
  });

  it('round-trips random maps', () => {
    const rand = mulberry32(4);
    for (let t = 0; t < 200; t++) {
      const n = 1 + ((rand() * 20) | 0);
      const pairs: [Buffer, Buffer, number][] = [];
      for (let i = 0; i < n; i++) {
        const f = Buffer.concat([Buffer.from(`f${i}:`), Buffer.alloc(rand() < 0.1 ? 300 : (rand() * 10) | 0, 0x41 + i)]);
        const v = Buffer.alloc(rand() < 0.1 ? 254 + ((rand() * 100) | 0) : (rand() * 20) | 0);
        for (let j = 0; j < v.length; j++) v[j] = (rand() * 256) | 0;
        pairs.push([f, v, rand() < 0.3 ? (rand() * 5) | 0 : 0]);
      }
      const blob = zipmap(pairs, rand() < 0.2 ? 254 : n);
      const want = pairs.flatMap(([f, v]) => [f.toString('hex'), v.toString('hex')]);
      expect(decodeZipmap(blob, 0, true).map((b) => b.toString('hex'))).toEqual(want);
      expect(decodeZipmap(blob, 0, false).map((b) => b.toString('hex'))).toEqual(want);
    }
  });

  it('decodes from a sub-array and never aliases the input', () => {
    const backing = Buffer.concat([Buffer.alloc(9, 0xee), GOOD, Buffer.alloc(2, 0xee)]);
    const got = decodeZipmap(backing.subarray(9, 9 + GOOD.length), 0, true);
    backing.fill(0);
    expect(text(got)).toEqual(['MKD1G6', '2', 'YNNXK', 'F7TI']);
  });

  it('only ever throws FormatError on mutated and random input (seeded)', () => {
    const rand = mulberry32(99);
    const seeds = [GOOD, BIG_LEN, zipmap([[Buffer.alloc(300, 1), Buffer.alloc(260, 2), 3], [Buffer.from('k'), Buffer.from('v'), 1]])];
    let rejected = 0;
    for (let t = 0; t < 4000; t++) {
      const s = seeds[t % seeds.length]!;
      let m = Buffer.from(s);
      const k = t % 5;
      if (k === 0) m[(rand() * m.length) | 0]! ^= 1 << ((rand() * 8) | 0);
      else if (k === 1) m = m.subarray(0, (rand() * m.length) | 0);
      else if (k === 2) m[(rand() * m.length) | 0] = [0xff, 0xfe, 0xfd, 0x00][(rand() * 4) | 0]!;
      else if (k === 3) {
        const i = 1 + ((rand() * (m.length - 1)) | 0);
        m = Buffer.concat([m.subarray(0, i), m.subarray(i + 1)]);
      } else {
        m = Buffer.alloc((rand() * 30) | 0);
        for (let i = 0; i < m.length; i++) m[i] = (rand() * 256) | 0;
        if (m.length > 0 && rand() < 0.5) m[m.length - 1] = 0xff;
      }
      for (const strict of [true, false]) {
        try {
          decodeZipmap(m, 3, strict);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          expect(e.offset).toBe(3);
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(2000);
  });
});
