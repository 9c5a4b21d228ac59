import { describe, it, expect } from 'vitest';
import {
  decodeListpack,
  decodeListpackEntries,
  encodeListpack,
  entryToBuffer,
  parseInt64Strict,
  type LpEntry,
} from '../../src/codec/listpack.js';
import { FormatError } from '../../src/model/errors.js';
import { mulberry32, hex, formatError } from '../helpers/codec.js';
import { expected, tag } from '../helpers/codec.js';

function randomEntry(rand: () => number): LpEntry {
  const k = rand();
  if (k < 0.2) return Math.floor((rand() - 0.5) * 2 ** (rand() * 54));
  if (k < 0.3) return BigInt.asIntN(64, (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32)));
  if (k < 0.45) return Buffer.from(String(Math.floor((rand() - 0.5) * 2 ** (rand() * 60))));
  if (k < 0.5) return Buffer.from(['', '0', '-0', '+1', '007', ' 1', '1 ', '-', '1.5', '0x10'][(rand() * 10) | 0]!);
  const n = rand() < 0.9 ? (rand() * 70) | 0 : (rand() * 5000) | 0;
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
    m[(rand() * m.length) | 0] = [0xff, 0xfe, 0xf0, 0xf4, 0xe0, 0x80][(rand() * 6) | 0]!;
    return m;
  }
  if (k < 0.85) {
    // keep total_bytes consistent so the walk goes deeper
    const i = 6 + ((rand() * (m.length - 6)) | 0);
    const r = Buffer.concat([m.subarray(0, i), m.subarray(i + 1)]);
    r.writeUInt32LE(r.length, 0);
    return r;
  }
  if (k < 0.95) {
    const r = Buffer.alloc((rand() * 40) | 0);
    for (let i = 0; i < r.length; i++) r[i] = (rand() * 256) | 0;
    if (r.length >= 4) r.writeUInt32LE(r.length, 0);
    if (r.length >= 1 && rand() < 0.5) r[r.length - 1] = 0xff;
    return r;
  }
  // a huge 32-bit string length
  const r = Buffer.from(m);
  const i = 6 + ((rand() * Math.max(1, r.length - 12)) | 0);
  if (i + 5 <= r.length) {
    r[i] = 0xf0;
    r.writeUInt32LE(0xfffffff0 - ((rand() * 100) | 0), i + 1);
  }
  return r;
}

describe('listpack known vectors', () => {
  it('encodes and decodes ["a", 1024] (FORMATS.md 4.2)', () => {
    const blob = hex('0d 00 00 00 02 00 81 61 02 c4 00 02 ff');
    expect(encodeListpack([Buffer.from('a'), 1024]).equals(blob)).toBe(true);
    expect(encodeListpack([Buffer.from('a'), Buffer.from('1024')]).equals(blob)).toBe(true);
    expect(decodeListpackEntries(blob, 0)).toEqual([Buffer.from('a'), 1024]);
    expect(decodeListpack(blob, 0).map(String)).toEqual(['a', '1024']);
  });

  it('encodes and decodes the empty listpack', () => {
    const blob = hex('07 00 00 00 00 00 ff');
    expect(encodeListpack([]).equals(blob)).toBe(true);
    expect(decodeListpackEntries(blob, 0)).toEqual([]);
    expect(decodeListpack(blob, 0)).toEqual([]);
  });

  it('decodes a listpack written by Redis 7 (set_listpack.rdb, HDT3213/rdb)', () => {
    const blob = hex('130000000400816102816202816302816402ff');
    expect(decodeListpack(blob, 0).map(String)).toEqual(['a', 'b', 'c', 'd']);
    expect(encodeListpack(['a', 'b', 'c', 'd'].map((s) => Buffer.from(s))).equals(blob)).toBe(true);
  });
});

describe('listpack integer encodings', () => {
  // value -> encoding + data bytes as Redis's lpEncodeIntegerGetType writes them
  const cases: [number | bigint, string][] = [
    [0, '00'],
    [12, '0c'],
    [13, '0d'],
    [127, '7f'],
    [128, 'c0 80'],
    [-1, 'df ff'],
    [4095, 'cf ff'],
    [-4096, 'd0 00'],
    [4096, 'f1 00 10'],
    [-4097, 'f1 ff ef'],
    [32767, 'f1 ff 7f'],
    [-32768, 'f1 00 80'],
    [32768, 'f2 00 80 00'],
    [-32769, 'f2 ff 7f ff'],
    [8388607, 'f2 ff ff 7f'],
    [-8388608, 'f2 00 00 80'],
    [8388608, 'f3 00 00 80 00'],
    [-8388609, 'f3 ff ff 7f ff'],
    [2147483647, 'f3 ff ff ff 7f'],
    [-2147483648, 'f3 00 00 00 80'],
    [2147483648, 'f4 00 00 00 80 00 00 00 00'],
    [-2147483649, 'f4 ff ff ff 7f ff ff ff ff'],
    [Number.MAX_SAFE_INTEGER, 'f4 ff ff ff ff ff ff 1f 00'],
    [Number.MIN_SAFE_INTEGER, 'f4 01 00 00 00 00 00 e0 ff'],
    [2n ** 53n, 'f4 00 00 00 00 00 00 20 00'],
    [2n ** 63n - 1n, 'f4 ff ff ff ff ff ff ff 7f'],
    [-(2n ** 63n), 'f4 00 00 00 00 00 00 00 80'],
  ];
  for (const [v, enc] of cases) {
    it(`${v} -> ${enc}`, () => {
      const e = hex(enc);
      for (const input of [v, Buffer.from(v.toString())] as LpEntry[]) {
        const blob = encodeListpack([input]);
        expect(blob.length).toBe(6 + e.length + 1 + 1);
        expect(blob.subarray(6, 6 + e.length).toString('hex')).toBe(e.toString('hex'));
        expect(blob[6 + e.length]).toBe(e.length); // backlen
        const [got] = decodeListpackEntries(blob, 0);
        expect(got).toBe(typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v);
        expect(decodeListpack(blob, 0)[0]!.toString()).toBe(v.toString());
      }
    });
  }

  it('treats bigints in safe range as numbers and -0 as 0', () => {
    expect(encodeListpack([5n]).equals(encodeListpack([5]))).toBe(true);
    expect(encodeListpack([-0]).equals(encodeListpack([0]))).toBe(true);
    expect(decodeListpackEntries(encodeListpack([2n ** 40n]), 0)).toEqual([2 ** 40]);
  });

  it('stores integers outside int64 as decimal text', () => {
    const big = 2n ** 64n;
    const blob = encodeListpack([big, -(2n ** 63n) - 1n]);
    expect(blob[6]).toBe(0x80 | 20);
    expect(decodeListpackEntries(blob, 0).map((e) => entryToBuffer(e).toString())).toEqual([
      '18446744073709551616',
      '-9223372036854775809',
    ]);
    expect(() => encodeListpack([1.5])).toThrow(RangeError);
    expect(() => encodeListpack([Number.NaN])).toThrow(RangeError);
  });

  it('int-encodes only canonical decimal strings', () => {
    const asInt = ['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '12345678901234567'];
    const asStr = ['', '-0', '+1', '007', ' 1', '1 ', '-', '1.5', '0x10', '9223372036854775808', '-9223372036854775809', '00', '1e3', '123456789012345678901'];
    for (const s of asInt) {
      const blob = encodeListpack([Buffer.from(s)]);
      expect(blob[6]! < 0x80 || blob[6]! >= 0xc0 && blob[6]! < 0xe0 || blob[6]! >= 0xf1, s).toBe(true);
      expect(decodeListpack(blob, 0)[0]!.toString()).toBe(s);
      expect(parseInt64Strict(Buffer.from(s))?.toString()).toBe(s);
    }
    for (const s of asStr) {
      const blob = encodeListpack([Buffer.from(s)]);
      expect(blob[6], s).toBe(0x80 | s.length);
      expect(decodeListpackEntries(blob, 0)[0]).toEqual(Buffer.from(s));
      expect(parseInt64Strict(Buffer.from(s))).toBeUndefined();
    }
  });
});

describe('listpack string encodings and backlen widths', () => {
  // [string length, encoding header hex, backlen hex]
  const cases: [number, string, string][] = [
    [0, '80', '01'],
    [1, '81', '02'],
    [63, 'bf', '40'],
    [64, 'e0 40', '42'],
    [125, 'e0 7d', '7f'], // L = 127: last 1-byte backlen
    [126, 'e0 7e', '01 80'], // L = 128: first 2-byte backlen
    [4095, 'ef ff', '20 81'], // L = 4097
    [4096, 'f0 00 10 00 00', '20 85'], // L = 4101
    [16377, 'f0 f9 3f 00 00', '7f fe'], // L = 16382: last 2-byte backlen
    [16378, 'f0 fa 3f 00 00', '00 ff ff'], // L = 16383: 3 bytes (Redis uses "<")
    [2097145, 'f0 f9 ff 1f 00', '7f ff fe'], // L = 2097150
    [2097146, 'f0 fa ff 1f 00', '00 ff ff ff'], // L = 2097151: 4 bytes
  ];
  for (const [n, hdr, back] of cases) {
    it(`length ${n}`, () => {
      const s = Buffer.alloc(n, 0x78);
      const blob = encodeListpack([s, 7]);
      const h = hex(hdr);
      const b = hex(back);
      expect(blob.subarray(6, 6 + h.length).toString('hex')).toBe(h.toString('hex'));
      const backAt = 6 + h.length + n;
      expect(blob.subarray(backAt, backAt + b.length).toString('hex')).toBe(b.toString('hex'));
      expect(blob.length).toBe(backAt + b.length + 2 + 1);
      const got = decodeListpackEntries(blob, 0);
      expect(got.length).toBe(2);
      expect((got[0] as Buffer).equals(s)).toBe(true);
      expect(got[1]).toBe(7);
    });
  }
});

describe('listpack element counts', () => {
  it('writes 65535 ("unknown") from 65535 elements on and still decodes them', () => {
    for (const n of [65534, 65535, 70000]) {
      const items = Array.from({ length: n }, (_, i) => i % 200);
      const blob = encodeListpack(items);
      expect(blob.readUInt16LE(4)).toBe(Math.min(n, 65535));
      const got = decodeListpackEntries(blob, 0);
      expect(got.length).toBe(n);
      expect(got[n - 1]).toBe((n - 1) % 200);
    }
  });

  it('accepts a header count of 65535 whatever the real count', () => {
    expect(decodeListpackEntries(hex('09 00 00 00 ff ff 01 01 ff'), 0)).toEqual([1]);
  });
});

describe('listpack round trips', () => {
  it('round-trips random entries', () => {
    const rand = mulberry32(1);
    for (let t = 0; t < 300; t++) {
      const items = Array.from({ length: (rand() * 30) | 0 }, () => randomEntry(rand));
      const blob = encodeListpack(items);
      expect(blob.readUInt32LE(0)).toBe(blob.length);
      expect(decodeListpackEntries(blob, 0).map(tag)).toEqual(items.map(expected).map(tag));
      expect(decodeListpack(blob, 0).map(tag)).toEqual(items.map((e) => tag(entryToBuffer(expected(e)))));
    }
  });

  it('decodes from a sub-array (byteOffset != 0) and never aliases the input', () => {
    const blob = encodeListpack([Buffer.from('hello'), 5, Buffer.alloc(100, 0x41)]);
    const backing = Buffer.concat([Buffer.alloc(5, 0xee), blob, Buffer.alloc(3, 0xee)]);
    const view = backing.subarray(5, 5 + blob.length);
    expect(view.byteOffset).not.toBe(0);
    const got = decodeListpackEntries(view, 0);
    const text = decodeListpack(new Uint8Array(view.buffer, view.byteOffset, view.length), 0);
    backing.fill(0);
    expect(got).toEqual([Buffer.from('hello'), 5, Buffer.alloc(100, 0x41)]);
    expect(text.map(String)).toEqual(['hello', '5', 'A'.repeat(100)]);
  });
});

describe('listpack validation', () => {
  const good = '0d 00 00 00 02 00 81 61 02 c4 00 02 ff';
  const cases: [string, string, RegExp | string][] = [
    ['too short', '07 00 00 00 00 00', 'listpack: blob of 6 bytes is shorter than the 7-byte minimum'],
    ['total_bytes mismatch', '0e 00 00 00 02 00 81 61 02 c4 00 02 ff', 'listpack: header says 14 bytes but the blob has 13'],
    ['no terminator', '0d 00 00 00 02 00 81 61 02 c4 00 02 00', 'listpack: last byte is 0x00, not the 0xFF terminator'],
    ['backlen mismatch', '0d 00 00 00 02 00 81 61 03 c4 00 02 ff', 'listpack: backlen mismatch at blob byte 8: says 3, element is 2 bytes'],
    ['invalid encoding', '0d 00 00 00 02 00 81 61 02 f5 00 02 ff', 'listpack: invalid element encoding 0xf5 at blob byte 9'],
    ['count mismatch', '0d 00 00 00 03 00 81 61 02 c4 00 02 ff', 'listpack: header says 3 elements but 2 found'],
    ['early terminator', '0c 00 00 00 01 00 81 61 02 ff 00 ff', 'listpack: 0xFF terminator at blob byte 9 before the end (byte 11)'],
    ['string past the end', '0d 00 00 00 02 00 8a 61 02 c4 00 02 ff', /element at blob byte 6 .* runs past the end/],
    ['int past the end', '0a 00 00 00 01 00 f4 00 00 ff', /element at blob byte 6 .* runs past the end/],
    ['huge 32-bit length', '10 00 00 00 01 00 f0 ff ff ff ff 61 61 61 61 ff', /element at blob byte 6 \(4294967300 bytes/],
    ['12-bit header cut', '08 00 00 00 01 00 e0 ff', /element header at blob byte 6 runs past the end/],
    ['backlen over 5 bytes', '0e 00 00 00 01 00 85 80 80 80 80 80 86 ff', /backlen longer than 5 bytes/],
  ];
  for (const [name, blob, msg] of cases) {
    it(`rejects: ${name}`, () => {
      const e = formatError(() => decodeListpackEntries(hex(blob), 4242));
      expect(e.offset).toBe(4242);
      if (typeof msg === 'string') expect(e.message).toBe(msg);
      else expect(e.message).toMatch(msg);
      expect(() => decodeListpack(hex(blob), 1)).toThrow(FormatError);
    });
  }

  it('accepts the unmodified blob used above', () => {
    expect(decodeListpack(hex(good), 0).map(String)).toEqual(['a', '1024']);
  });

  it('accepts a backlen that Redis accepts although it reaches into the element data', () => {
    // 12-bit string of 126 bytes whose last data byte is 0: L = 128, canonical backlen 01 80.
    // 81 80 decodes right to left as 0 + (1 << 7) and stops on the data byte 0x00: also 128.
    const data = Buffer.alloc(126, 0x61);
    data[125] = 0;
    for (const back of ['01 80', '81 80']) {
      const body = Buffer.concat([hex('e0 7e'), data, hex(back)]);
      const blob = Buffer.concat([hex('00 00 00 00 01 00'), body, hex('ff')]);
      blob.writeUInt32LE(blob.length, 0);
      expect(decodeListpackEntries(blob, 0)).toEqual([data]);
    }
  });

  it('only ever throws FormatError on mutated and random input (seeded)', () => {
    const rand = mulberry32(0xc0ffee);
    const seeds: Buffer[] = [hex(good), hex('07 00 00 00 00 00 ff'), hex('130000000400816102816202816302816402ff')];
    for (let i = 0; i < 30; i++) {
      seeds.push(encodeListpack(Array.from({ length: 1 + ((rand() * 12) | 0) }, () => randomEntry(rand))));
    }
    let rejected = 0;
    let accepted = 0;
    for (let t = 0; t < 5000; t++) {
      const m = mutate(rand, seeds[t % seeds.length]!);
      const at = (rand() * 1e6) | 0;
      try {
        decodeListpackEntries(m, at);
        decodeListpack(m, at);
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
