import { describe, it, expect } from 'vitest';
import { decodeZiplist, decodeZiplistEntries, encodeZiplist } from '../../src/codec/ziplist.js';
import { entryToBuffer, type LpEntry } from '../../src/codec/listpack.js';
import { FormatError } from '../../src/model/errors.js';
import { mulberry32, hex, formatError } from '../helpers/codec.js';
import { expected, tag } from '../helpers/codec.js';

function randomEntry(rand: () => number): LpEntry {
  const k = rand();
  if (k < 0.2) return Math.floor((rand() - 0.5) * 2 ** (rand() * 54));
  if (k < 0.3) return BigInt.asIntN(64, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)));
  if (k < 0.45) return Buffer.from(String(Math.floor((rand() - 0.5) * 2 ** (rand() * 60))));
  if (k < 0.5) return Buffer.from(['', '0', '-0', '+1', '007', ' 1', '1 ', '-', '1.5', '0x10'][(rand() * 10) | 0]!);
  const n = rand() < 0.8 ? (rand() * 70) | 0 : rand() < 0.9 ? 240 + ((rand() * 30) | 0) : (rand() * 20000) | 0;
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

function mutate(rand: () => number, b: Buffer): Buffer {
  const k = rand();
  const m = Buffer.from(b);
  if (k < 0.35) {
    m[(rand() * m.length) | 0]! ^= 1 << ((rand() * 8) | 0);
    return m;
  }
  if (k < 0.5) {
    for (let j = 0; j < 3; j++) m[(rand() * m.length) | 0] = (rand() * 256) | 0;
    return m;
  }
  if (k < 0.65) return b.subarray(0, (rand() * b.length) | 0);
  if (k < 0.75) {
    m[(rand() * m.length) | 0] = [0xff, 0xfe, 0xf0, 0xc1, 0xe0, 0x80][(rand() * 6) | 0]!;
    return m;
  }
  if (k < 0.85) {
    const i = 10 + ((rand() * (m.length - 10)) | 0);
    const r = Buffer.concat([m.subarray(0, i), m.subarray(i + 1)]);
    if (r.length >= 4) r.writeUInt32LE(r.length, 0);
    return r;
  }
  if (k < 0.95) {
    const r = Buffer.alloc((rand() * 40) | 0);
    for (let i = 0; i < r.length; i++) r[i] = (rand() * 256) | 0;
    if (r.length >= 4) r.writeUInt32LE(r.length, 0);
    if (r.length >= 8 && rand() < 0.5) r.writeUInt32LE(10, 4);
    if (r.length >= 1 && rand() < 0.5) r[r.length - 1] = 0xff;
    return r;
  }
  // a huge 32-bit big-endian string length
  const r = Buffer.from(m);
  const i = 11 + ((rand() * Math.max(1, r.length - 17)) | 0);
  if (i + 5 <= r.length) {
    r[i] = 0x80;
    r.writeUInt32BE(0xfffffff0 - ((rand() * 100) | 0), i + 1);
  }
  return r;
}

describe('ziplist known vectors', () => {
  it('encodes and decodes ["2", "5"] (FORMATS.md 4.1)', () => {
    const blob = hex('0f 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 ff');
    expect(encodeZiplist([Buffer.from('2'), Buffer.from('5')]).equals(blob)).toBe(true);
    expect(encodeZiplist([2, 5]).equals(blob)).toBe(true);
    expect(decodeZiplistEntries(blob, 0)).toEqual([2, 5]);
    expect(decodeZiplist(blob, 0).map(String)).toEqual(['2', '5']);
  });

  it('encodes and decodes the empty ziplist', () => {
    const blob = hex('0b 00 00 00 0a 00 00 00 00 00 ff');
    expect(encodeZiplist([]).equals(blob)).toBe(true);
    expect(decodeZiplistEntries(blob, 0)).toEqual([]);
  });

  it('decodes a ziplist written by Redis (ziplist_with_integers.rdb, HDT3213/rdb)', () => {
    const blob = hex(
      '550000004a000000180000f102f202f302f402f502f602f702f802f902fa02fb02fc02fd02fefe03fe0d03fe1903fec303fe3f03c0fc3f04c080c104f0ffff0005f00d00ff05f000004005e0ffffffffffffff7fff',
    );
    const want = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -2, 13, 25, -61, 63, 16380, -16000, 65535, -65523, 4194304, 9223372036854775807n];
    expect(decodeZiplistEntries(blob, 0)).toEqual(want);
    expect(decodeZiplist(blob, 0).map(String)).toEqual(want.map(String));
    expect(encodeZiplist(want).equals(blob)).toBe(true);
  });

  it('decodes a hash ziplist written by Redis (hash_as_ziplist.rdb, HDT3213/rdb)', () => {
    const blob = hex(
      '33000000220000000600000161030261610402616104046161616106056161616161070e6161616161616161616161616161ff',
    );
    expect(decodeZiplist(blob, 0).map(String)).toEqual(['a', 'aa', 'aa', 'aaaa', 'aaaaa', 'aaaaaaaaaaaaaa']);
  });
});

describe('ziplist integer encodings', () => {
  // value -> encoding + data bytes as Redis's zipTryEncoding/zipSaveInteger write them
  const cases: [number | bigint, string][] = [
    [0, 'f1'],
    [12, 'fd'],
    [13, 'fe 0d'],
    [-1, 'fe ff'],
    [127, 'fe 7f'],
    [-128, 'fe 80'],
    [128, 'c0 80 00'],
    [-129, 'c0 7f ff'],
    [4095, 'c0 ff 0f'],
    [-4096, 'c0 00 f0'],
    [32767, 'c0 ff 7f'],
    [-32768, 'c0 00 80'],
    [32768, 'f0 00 80 00'],
    [8388607, 'f0 ff ff 7f'],
    [-8388608, 'f0 00 00 80'],
    [8388608, 'd0 00 00 80 00'],
    [2147483647, 'd0 ff ff ff 7f'],
    [-2147483648, 'd0 00 00 00 80'],
    [2147483648, 'e0 00 00 00 80 00 00 00 00'],
    [-2147483649, 'e0 ff ff ff 7f ff ff ff ff'],
    [2n ** 53n + 1n, 'e0 01 00 00 00 00 00 20 00'],
    [2n ** 63n - 1n, 'e0 ff ff ff ff ff ff ff 7f'],
    [-(2n ** 63n), 'e0 00 00 00 00 00 00 00 80'],
  ];
  for (const [v, enc] of cases) {
    it(`${v} -> ${enc}`, () => {
      const e = hex(enc);
      for (const input of [v, Buffer.from(v.toString())] as LpEntry[]) {
        const blob = encodeZiplist([input]);
        expect(blob.length).toBe(10 + 1 + e.length + 1);
        expect(blob[10]).toBe(0); // prevlen
        expect(blob.subarray(11, 11 + e.length).toString('hex')).toBe(e.toString('hex'));
        const [got] = decodeZiplistEntries(blob, 0);
        expect(got).toBe(typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v);
        expect(decodeZiplist(blob, 0)[0]!.toString()).toBe(v.toString());
      }
    });
  }

  it('int-encodes only canonical decimal strings', () => {
    for (const s of ['', '-0', '+1', '007', ' 1', '1 ', '-', '1.5', '9223372036854775808', '00']) {
      const blob = encodeZiplist([Buffer.from(s)]);
      expect(blob[11], s).toBe(s.length);
      expect(decodeZiplistEntries(blob, 0)[0]).toEqual(Buffer.from(s));
    }
    expect(encodeZiplist([2n ** 64n]).subarray(11, 12)[0]).toBe(20);
    expect(() => encodeZiplist([0.5])).toThrow(RangeError);
  });
});

describe('ziplist string encodings and prevlen', () => {
  // [string length, encoding header hex]
  const cases: [number, string][] = [
    [0, '00'],
    [63, '3f'],
    [64, '40 40'],
    [4095, '4f ff'],
    [4096, '50 00'],
    [16383, '7f ff'],
    [16384, '80 00 00 40 00'],
    [70000, '80 00 01 11 70'],
  ];
  for (const [n, hdr] of cases) {
    it(`length ${n}`, () => {
      const s = Buffer.alloc(n, 0x78);
      const blob = encodeZiplist([s, 7]);
      const h = hex(hdr);
      expect(blob.subarray(11, 11 + h.length).toString('hex')).toBe(h.toString('hex'));
      const second = 11 + h.length + n;
      const size = 1 + h.length + n;
      expect(blob.readUInt32LE(4)).toBe(second); // zltail
      if (size < 254) {
        expect(blob[second]).toBe(size);
      } else {
        expect(blob[second]).toBe(0xfe);
        expect(blob.readUInt32LE(second + 1)).toBe(size);
      }
      const got = decodeZiplistEntries(blob, 0);
      expect((got[0] as Buffer).equals(s)).toBe(true);
      expect(got[1]).toBe(7);
    });
  }

  it('switches prevlen to 5 bytes at 254', () => {
    // entry of 253 bytes (1 prevlen + 2 header + 250 data) and of 254 bytes
    for (const [n, big] of [
      [250, false],
      [251, true],
    ] as const) {
      const blob = encodeZiplist([Buffer.alloc(n, 0x61), 1]);
      const second = 10 + 1 + 2 + n;
      expect(blob[second]).toBe(big ? 0xfe : 253);
      expect(decodeZiplistEntries(blob, 0)[1]).toBe(1);
    }
  });

  it('accepts a 5-byte prevlen holding a small value (cascade update "forcelarge")', () => {
    const blob = hex('15 00 00 00 0d 00 00 00 02 00 00 01 61 fe 03 00 00 00 01 62 ff');
    expect(decodeZiplist(blob, 0).map(String)).toEqual(['a', 'b']);
  });

  it('accepts a 32-bit string header with stray low bits like Redis (0x81)', () => {
    expect(decodeZiplist(hex('12 00 00 00 0a 00 00 00 01 00 00 81 00 00 00 01 61 ff'), 0).map(String)).toEqual(['a']);
  });

  it('accepts a header count of 65535 and writes it from 65535 entries on', () => {
    expect(decodeZiplistEntries(hex('0d 00 00 00 0a 00 00 00 ff ff 00 f2 ff'), 0)).toEqual([1]);
    for (const n of [65534, 65535, 70000]) {
      const blob = encodeZiplist(Array.from({ length: n }, (_, i) => i % 300));
      expect(blob.readUInt16LE(8)).toBe(Math.min(n, 65535));
      const got = decodeZiplistEntries(blob, 0);
      expect(got.length).toBe(n);
      expect(got[n - 1]).toBe((n - 1) % 300);
    }
  });
});

describe('ziplist round trips', () => {
  it('round-trips random entries', () => {
    const rand = mulberry32(2);
    for (let t = 0; t < 300; t++) {
      const items = Array.from({ length: (rand() * 30) | 0 }, () => randomEntry(rand));
      const blob = encodeZiplist(items);
      expect(blob.readUInt32LE(0)).toBe(blob.length);
      expect(decodeZiplistEntries(blob, 0).map(tag)).toEqual(items.map(expected).map(tag));
      expect(decodeZiplist(blob, 0).map(tag)).toEqual(items.map((e) => tag(entryToBuffer(expected(e)))));
    }
  });

  it('decodes from a sub-array (byteOffset != 0) and never aliases the input', () => {
    const blob = encodeZiplist([Buffer.from('hello'), 5, Buffer.alloc(300, 0x41)]);
    const backing = Buffer.concat([Buffer.alloc(7, 0xee), blob, Buffer.alloc(2, 0xee)]);
    const view = backing.subarray(7, 7 + blob.length);
    const got = decodeZiplistEntries(view, 0);
    const text = decodeZiplist(new Uint8Array(view.buffer, view.byteOffset, view.length), 0);
    backing.fill(0);
    expect(got).toEqual([Buffer.from('hello'), 5, Buffer.alloc(300, 0x41)]);
    expect(text.map(String)).toEqual(['hello', '5', 'A'.repeat(300)]);
  });
});

describe('ziplist validation', () => {
  const cases: [string, string, RegExp | string][] = [
    ['too short', '0a 00 00 00 0a 00 00 00 00 00', 'ziplist: blob of 10 bytes is shorter than the 11-byte minimum'],
    ['zlbytes mismatch', '10 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 ff', 'ziplist: header says 16 bytes but the blob has 15'],
    ['no terminator', '0f 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 fe', 'ziplist: last byte is 0xfe, not the 0xFF terminator'],
    ['zltail outside', '0f 00 00 00 0f 00 00 00 02 00 00 f3 02 f6 ff', 'ziplist: tail offset 15 is outside the 15-byte blob'],
    ['zltail not last entry', '0f 00 00 00 0a 00 00 00 02 00 00 f3 02 f6 ff', 'ziplist: tail offset 10 does not point at the last entry (blob byte 12)'],
    ['prevlen mismatch', '0f 00 00 00 0c 00 00 00 02 00 00 f3 03 f6 ff', 'ziplist: prevlen mismatch at blob byte 12: says 3, previous entry is 2 bytes'],
    ['first prevlen not 0', '0f 00 00 00 0c 00 00 00 02 00 01 f3 02 f6 ff', 'ziplist: prevlen mismatch at blob byte 10: says 1, previous entry is 0 bytes'],
    ['count mismatch', '0f 00 00 00 0c 00 00 00 03 00 00 f3 02 f6 ff', 'ziplist: header says 3 entries but 2 found'],
    ['invalid encoding', '0f 00 00 00 0c 00 00 00 02 00 00 c1 02 f6 ff', 'ziplist: invalid entry encoding 0xc1 at blob byte 11'],
    ['0xFF as encoding', '0f 00 00 00 0c 00 00 00 02 00 00 ff 02 f6 ff', 'ziplist: invalid entry encoding 0xff at blob byte 11'],
    ['early terminator', '0e 00 00 00 0a 00 00 00 01 00 00 f3 ff ff', 'ziplist: 0xFF terminator at blob byte 12 before the end (byte 13)'],
    ['string past the end', '0f 00 00 00 0c 00 00 00 02 00 00 05 02 f6 ff', /entry at blob byte 10 .* runs past the end/],
    ['int past the end', '0e 00 00 00 0a 00 00 00 01 00 00 e0 00 ff', /entry at blob byte 10 .* runs past the end/],
    ['huge 32-bit length', '12 00 00 00 0a 00 00 00 01 00 00 80 ff ff ff ff 61 ff', /entry at blob byte 10 \(4294967301 bytes\)/],
    ['5-byte prevlen cut', '0e 00 00 00 0a 00 00 00 01 00 fe 00 00 ff', /prevlen at blob byte 10 runs past the end/],
    ['14-bit header cut', '0d 00 00 00 0a 00 00 00 01 00 00 40 ff', /header at blob byte 10 runs past the end/],
  ];
  for (const [name, blob, msg] of cases) {
    it(`rejects: ${name}`, () => {
      const e = formatError(() => decodeZiplistEntries(hex(blob), 777));
      expect(e.offset).toBe(777);
      if (typeof msg === 'string') expect(e.message).toBe(msg);
      else expect(e.message).toMatch(msg);
      expect(() => decodeZiplist(hex(blob), 1)).toThrow(FormatError);
    });
  }

  it('only ever throws FormatError on mutated and random input (seeded)', () => {
    const rand = mulberry32(0xbadc0de);
    const seeds: Buffer[] = [
      hex('0f 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 ff'),
      hex('0b 00 00 00 0a 00 00 00 00 00 ff'),
      hex('15 00 00 00 0d 00 00 00 02 00 00 01 61 fe 03 00 00 00 01 62 ff'),
    ];
    for (let i = 0; i < 30; i++) {
      seeds.push(encodeZiplist(Array.from({ length: 1 + ((rand() * 10) | 0) }, () => randomEntry(rand))));
    }
    let rejected = 0;
    let accepted = 0;
    for (let t = 0; t < 5000; t++) {
      const m = mutate(rand, seeds[t % seeds.length]!);
      const at = (rand() * 1e6) | 0;
      try {
        decodeZiplistEntries(m, at);
        decodeZiplist(m, at);
        accepted++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e.offset).toBe(at);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(2500);
    expect(accepted).toBeGreaterThan(100);
  });
});
