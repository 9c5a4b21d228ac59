import { describe, it, expect } from 'vitest';
import { decodeIntset, encodeIntset } from '../../src/codec/intset.js';
import { FormatError } from '../../src/model/errors.js';
import { mulberry32, hex, formatError } from '../helpers/codec.js';

const text = (bs: Buffer[]) => bs.map((b) => b.toString());

describe('intset', () => {
  it('decodes intsets written by Redis (intset_16/32/64.rdb, HDT3213/rdb)', () => {
    const i16 = hex('0200000003000000fc7ffd7ffe7f');
    const i32 = hex('0400000003000000fcfffe7ffdfffe7ffefffe7f');
    const i64 = hex('0800000003000000fcfffefffefffe7ffdfffefffefffe7ffefffefffefffe7f');
    expect(text(decodeIntset(i16, 0))).toEqual(['32764', '32765', '32766']);
    expect(text(decodeIntset(i32, 0))).toEqual(['2147418108', '2147418109', '2147418110']);
    expect(text(decodeIntset(i64, 0))).toEqual(['9223090557583032316', '9223090557583032317', '9223090557583032318']);
    expect(encodeIntset([32766n, 32764n, 32765n]).equals(i16)).toBe(true);
    expect(encodeIntset([2147418108n, 2147418109n, 2147418110n]).equals(i32)).toBe(true);
    expect(encodeIntset([9223090557583032318n, 9223090557583032316n, 9223090557583032317n]).equals(i64)).toBe(true);
  });

  it('picks the smallest width at every boundary', () => {
    const cases: [bigint[], number][] = [
      [[0n], 2],
      [[-32768n, 32767n], 2],
      [[32768n], 4],
      [[-32769n], 4],
      [[-2147483648n, 2147483647n], 4],
      [[2147483648n], 8],
      [[-2147483649n], 8],
      [[-(2n ** 63n), 2n ** 63n - 1n], 8],
      [[1n, 2n ** 53n, -(2n ** 53n) - 1n], 8],
    ];
    for (const [vals, enc] of cases) {
      const blob = encodeIntset(vals);
      expect(blob.readUInt32LE(0)).toBe(enc);
      expect(blob.readUInt32LE(4)).toBe(vals.length);
      expect(blob.length).toBe(8 + enc * vals.length);
      const sorted = vals.slice().sort((a, b) => (a < b ? -1 : 1));
      expect(text(decodeIntset(blob, 0))).toEqual(sorted.map(String));
    }
  });

  it('sorts and drops duplicates when encoding', () => {
    const blob = encodeIntset([5n, -3n, 5n, 100000n, -3n]);
    expect(blob.toString('hex')).toBe('04000000' + '03000000' + 'fdffffff' + '05000000' + 'a0860100');
  });

  it('refuses to encode an empty set or values outside int64', () => {
    expect(() => encodeIntset([])).toThrow(RangeError);
    expect(() => encodeIntset([2n ** 63n])).toThrow(RangeError);
    expect(() => encodeIntset([-(2n ** 63n) - 1n])).toThrow(RangeError);
  });

  it('round-trips random sets of each width', () => {
    const rand = mulberry32(3);
    for (let t = 0; t < 200; t++) {
      const bits = [15, 31, 63][t % 3]!;
      const vals = Array.from({ length: 1 + ((rand() * 50) | 0) }, () =>
        BigInt.asIntN(bits + 1, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32))),
      );
      const uniq = [...new Set(vals)].sort((a, b) => (a < b ? -1 : 1));
      expect(text(decodeIntset(encodeIntset(vals), 0))).toEqual(uniq.map(String));
    }
  });

  it('decodes from a sub-array and never aliases the input', () => {
    const blob = encodeIntset([1n, 2n, 3n]);
    const backing = Buffer.concat([Buffer.alloc(3, 0xee), blob, Buffer.alloc(1, 0xee)]);
    const got = decodeIntset(backing.subarray(3, 3 + blob.length), 0);
    backing.fill(0);
    expect(text(got)).toEqual(['1', '2', '3']);
  });

  const bad: [string, string, RegExp | string][] = [
    ['too short', '02 00 00 00 01 00 00', 'intset: blob of 7 bytes is shorter than the 8-byte header'],
    ['encoding 3', '03 00 00 00 01 00 00 00 01 00 00', 'intset: invalid encoding 3 (expected 2, 4 or 8)'],
    ['encoding 0', '00 00 00 00 00 00 00 00', 'intset: invalid encoding 0 (expected 2, 4 or 8)'],
    ['encoding 16', '10 00 00 00 01 00 00 00' + ' 00'.repeat(16), 'intset: invalid encoding 16 (expected 2, 4 or 8)'],
    ['size mismatch', '02 00 00 00 02 00 00 00 01 00', /header says 2 members of 2 bytes \(12 bytes\) but the blob has 10/],
    ['trailing byte', '02 00 00 00 01 00 00 00 01 00 00', /header says 1 members .* but the blob has 11/],
    ['huge length', '08 00 00 00 ff ff ff ff 01 00 00 00 00 00 00 00', /header says 4294967295 members/],
    ['empty', '02 00 00 00 00 00 00 00', 'intset: empty intset'],
    ['duplicate int16', '02 00 00 00 02 00 00 00 05 00 05 00', 'intset: member 1 (5) at blob byte 10 is not greater than the previous one (5)'],
    ['descending int32', '04 00 00 00 02 00 00 00 05 00 00 00 ff ff ff ff', 'intset: member 1 (-1) at blob byte 12 is not greater than the previous one (5)'],
    [
      'descending int64 (high words equal)',
      '08 00 00 00 02 00 00 00 02 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00',
      'intset: member 1 (4294967297) at blob byte 16 is not greater than the previous one (4294967298)',
    ],
    [
      'descending int64 (sign)',
      '08 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff ff ff ff ff',
      'intset: member 1 (-1) at blob byte 16 is not greater than the previous one (0)',
    ],
  ];
  for (const [name, blob, msg] of bad) {
    it(`rejects: ${name}`, () => {
      const e = formatError(() => decodeIntset(hex(blob), 31337));
      expect(e.offset).toBe(31337);
      if (typeof msg === 'string') expect(e.message).toBe(msg);
      else expect(e.message).toMatch(msg);
    });
  }

  it('orders int64 members across the unsigned low word correctly', () => {
    // 0x00000000_7fffffff < 0x00000000_80000000 < 0x00000001_00000000
    const blob = hex('08000000 03000000 ffffff7f00000000 0000008000000000 0000000001000000');
    expect(text(decodeIntset(blob, 0))).toEqual(['2147483647', '2147483648', '4294967296']);
  });

  it('only ever throws FormatError on mutated and random input (seeded)', () => {
    const rand = mulberry32(77);
    const seeds = [encodeIntset([1n, 2n, 3n]), encodeIntset([-70000n, 5n, 70000n]), encodeIntset([-(2n ** 40n), 0n, 2n ** 62n])];
    let rejected = 0;
    for (let t = 0; t < 3000; t++) {
      const s = seeds[t % seeds.length]!;
      let m = Buffer.from(s);
      const k = t % 4;
      if (k === 0) m[(rand() * m.length) | 0]! ^= 1 << ((rand() * 8) | 0);
      else if (k === 1) m = m.subarray(0, (rand() * m.length) | 0);
      else if (k === 2) m.writeUInt32LE((rand() * 2 ** 32) >>> 0, rand() < 0.5 ? 0 : 4);
      else {
        m = Buffer.alloc((rand() * 40) | 0);
        for (let i = 0; i < m.length; i++) m[i] = (rand() * 256) | 0;
        if (m.length >= 4) m.writeUInt32LE([2, 4, 8][(rand() * 3) | 0]!, 0);
      }
      try {
        decodeIntset(m, 9);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e.offset).toBe(9);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1500);
  });
});
