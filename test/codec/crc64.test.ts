import { describe, it, expect } from 'vitest';
import { Crc64, crc64 } from '../../src/codec/crc64.js';
import { mulberry32, hex } from '../helpers/codec.js';

/** Bit-at-a-time BigInt reference straight from the definition. */
function referenceCrc(buf: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const b of buf) {
    crc ^= BigInt(b);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (rand() * 256) | 0;
  return b;
}

describe('crc64', () => {
  it('matches the CRC-64/Jones check value', () => {
    const c = new Crc64().update(Buffer.from('123456789'));
    expect(c.hex()).toBe('e9c6d914c4b8d9ca');
    expect(c.value()).toBe(0xe9c6d914c4b8d9can);
    expect(c.lo).toBe(0xc4b8d9ca);
    expect(c.hi).toBe(0xe9c6d914);
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
  });

  it('is 0 for no input', () => {
    expect(crc64(new Uint8Array(0))).toBe(0n);
    expect(new Crc64().hex()).toBe('0000000000000000');
  });

  it('checks the DUMP example from FORMATS.md 6.1', () => {
    const payload = hex('00 03 62 61 72 0c 00');
    const c = new Crc64().update(payload);
    const out = Buffer.alloc(10, 0xaa);
    c.writeLE(out, 1);
    expect(out.toString('hex')).toBe('aa' + '2dc87da0144c635e' + 'aa');
    expect(c.value()).toBe(0x5e634c14a07dc82dn);
    expect(c.matchesLE(hex('2d c8 7d a0 14 4c 63 5e'), 0)).toBe(true);
    expect(c.matchesLE(hex('2d c8 7d a0 14 4c 63 5f'), 0)).toBe(false);
    expect(c.matchesLE(hex('2e c8 7d a0 14 4c 63 5e'), 0)).toBe(false);
    expect(c.matchesLE(hex('2d c8 7d a0 14 4c 63'), 0)).toBe(false); // too short: no throw
    expect(c.matchesLE(hex('2d c8 7d a0 14 4c 63 5e'), 1)).toBe(false);
  });

  it('checks the worked RDB example from FORMATS.md 1.5', () => {
    const rdb = hex(`52 45 44 49 53 30 30 31 32 fa 09 72 65 64 69 73 2d 76 65 72 05 37 2e 34 2e 30
      fe 00 fb 01 00 00 03 66 6f 6f 03 62 61 72 ff`);
    const c = new Crc64().update(rdb);
    expect(c.matchesLE(hex('c1 90 1b ae 78 2c 4c fc'), 0)).toBe(true);
  });

  it('checks a file written by Redis (rdb_version_5_with_checksum.rdb, HDT3213/rdb)', () => {
    const file = hex(
      '524544495330303035fe0000046162636404656667680003666f6f0362617200036261720362617a0006616263646566066162636465660' +
        '00c6c6f6e676572737472696e6728746869736973616c6f6e676572737472696e672e69646f6e746b6e6f777768617469746d65616e730003616263036465' +
        '66ff187280c630952e79',
    );
    const end = file.length - 8;
    const c = new Crc64().update(file, 0, end);
    expect(c.matchesLE(file, end)).toBe(true);
    expect(c.hex()).toBe('792e9530c6807218');
  });

  it('agrees with a bitwise reference on random data, lengths and alignments', () => {
    const rand = mulberry32(7);
    const backing = randomBytes(rand, 4096 + 16);
    for (let t = 0; t < 300; t++) {
      const len = t < 200 ? t : (rand() * 4096) | 0;
      const off = (rand() * 16) | 0;
      const view = backing.subarray(off, off + len);
      expect(crc64(view)).toBe(referenceCrc(view));
    }
  });

  it('chains across arbitrary splits exactly like one shot', () => {
    const rand = mulberry32(11);
    const data = randomBytes(rand, 3000);
    const whole = crc64(data);
    // every single split point on a prefix that crosses the slicing threshold
    const prefix = data.subarray(0, 200);
    const wholePrefix = crc64(prefix);
    for (let cut = 0; cut <= prefix.length; cut++) {
      const c = new Crc64().update(prefix, 0, cut).update(prefix, cut, prefix.length);
      expect(c.value()).toBe(wholePrefix);
    }
    // random multi-way splits, sometimes through sub-arrays, sometimes through start/end
    for (let t = 0; t < 100; t++) {
      const c = new Crc64();
      let pos = 0;
      while (pos < data.length) {
        const step = Math.min(data.length - pos, 1 + ((rand() * (rand() < 0.5 ? 8 : 700)) | 0));
        if (rand() < 0.5) c.update(data, pos, pos + step);
        else c.update(data.subarray(pos, pos + step));
        pos += step;
      }
      expect(c.value()).toBe(whole);
    }
  });

  it('resets', () => {
    const c = new Crc64().update(Buffer.from('hello'));
    expect(c.value()).not.toBe(0n);
    c.reset();
    expect(c.value()).toBe(0n);
    c.update(Buffer.from('123456789'));
    expect(c.hex()).toBe('e9c6d914c4b8d9ca');
  });

  it('rejects an out-of-range update window', () => {
    const c = new Crc64();
    expect(() => c.update(Buffer.alloc(4), 2, 5)).toThrow(RangeError);
    expect(() => c.update(Buffer.alloc(4), 3, 2)).toThrow(RangeError);
    expect(() => c.writeLE(Buffer.alloc(7), 0)).toThrow(RangeError);
  });

  it('reports throughput on 64 MiB', () => {
    const size = 64 << 20;
    const big = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i += 4) big.writeUInt32LE(Math.imul(i, 0x9e3779b1) >>> 0, i);
    const c = new Crc64();
    c.update(big.subarray(0, 1 << 20)); // warm up
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      c.reset();
      const t0 = performance.now();
      c.update(big);
      best = Math.min(best, performance.now() - t0);
    }
    const mbps = size / 1e6 / (best / 1000);
    console.log(`crc64: ${mbps.toFixed(0)} MB/s (${(size / 1048576 / (best / 1000)).toFixed(0)} MiB/s) on 64 MiB`);
    // Same result through the byte-at-a-time path (unaligned start, small steps).
    const d = new Crc64();
    const step = 63;
    for (let p = 0; p < 1 << 20; p += step) d.update(big, p, Math.min(p + step, 1 << 20));
    expect(d.value()).toBe(crc64(big.subarray(0, 1 << 20)));
  });
});
