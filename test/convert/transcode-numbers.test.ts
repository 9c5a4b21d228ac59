// The transcoder writes numbers itself (integers, scores as short decimals) instead of making
// strings: its bytes must be what the generic path (decode, entryToCommands) writes, at every
// digit-count boundary and for scores the short-decimal path takes or leaves to String(d).

import { describe, expect, it } from 'vitest';
import { writeLength, writeString } from '../../src/codec/rdb-writer.js';
import { RespWriter } from '../../src/codec/resp-writer.js';
import { RdbType } from '../../src/codec/rdb-types.js';
import { RecordTranscoder, decodeRecord, shortDecimalBulk } from '../../src/convert/transcode.js';
import { entryToCommands, formatScore } from '../../src/convert/entry-to-commands.js';
import { mulberry32 } from '../helpers/codec.js';

function f64(d: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return b;
}

function zsetRecord(scores: number[]): Buffer {
  const parts = [Buffer.from([RdbType.Zset2]), writeString(Buffer.from('z'))];
  parts.push(writeLength(scores.length));
  scores.forEach((s, i) => parts.push(writeString(Buffer.from(`m${i}`), { compress: false }), f64(s)));
  return Buffer.concat(parts);
}

function both(raw: Buffer): { fast: Buffer; generic: Buffer; fellBack: number } {
  const t = new RecordTranscoder(10, 'REDIS', true);
  t.record(raw, 0, raw.length, 0, false, 100);
  const fast = Buffer.from(t.take());
  const w = new RespWriter(1 << 16);
  entryToCommands(decodeRecord(raw, 10, 'REDIS', true, 0, 100), (a) => w.push(a));
  return { fast, generic: Buffer.from(w.take()), fellBack: t.generic };
}

describe('numbers written by the transcoder', () => {
  it('integer scores at every digit-count boundary, both signs', () => {
    const scores: number[] = [];
    for (let p = 1; p <= 2 ** 53; p *= 10) scores.push(p - 1, p, p + 1);
    scores.push(2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 0);
    const all = [...scores, ...scores.filter((s) => s > 0).map((s) => -s)];
    const { fast, generic, fellBack } = both(zsetRecord(all));
    expect(fellBack).toBe(0);
    expect(fast.latin1Slice()).toBe(generic.latin1Slice());
  });

  it('decimal scores: short ones, long ones, tiny and huge, -0, infinities', () => {
    const rand = mulberry32(5150);
    const scores = [0.1, -0.1, 0.5, 1e-4, 9.99e-5, 1.5e-7, 123456789.5, 999999999.999999, 1e9 + 0.5, 0.30000000000000004, -0, Infinity, -Infinity, 2.5e21, 1 / 3];
    for (let i = 0; i < 3000; i++) {
      const k = (rand() * 8) | 0;
      scores.push(Number(((rand() - 0.5) * 10 ** ((rand() * 12) | 0)).toFixed(k)));
      scores.push((rand() - 0.5) * 10 ** (((rand() * 30) | 0) - 10));
    }
    const { fast, generic, fellBack } = both(zsetRecord(scores.filter((s) => !Number.isNaN(s))));
    expect(fellBack).toBe(0);
    expect(fast.latin1Slice()).toBe(generic.latin1Slice());
  });

  it('shortDecimalBulk is String(d) whenever it takes a number (seeded, 300k doubles)', () => {
    const rand = mulberry32(777);
    const out = Buffer.alloc(64);
    const bits = new DataView(new ArrayBuffer(8));
    let taken = 0;
    for (let i = 0; i < 300_000; i++) {
      let d: number;
      const g = i % 4;
      if (g === 0) d = Math.floor(rand() * 1e5) + Math.floor(rand() * 100) / 100;
      else if (g === 1) d = Number(((rand() - 0.5) * 10 ** ((rand() * 10) | 0)).toFixed((rand() * 8) | 0));
      else if (g === 2) d = (rand() - 0.5) * 10 ** (((rand() * 20) | 0) - 8);
      else {
        bits.setUint32(0, (rand() * 2 ** 32) >>> 0);
        bits.setUint32(4, (rand() * 2 ** 32) >>> 0);
        d = bits.getFloat64(0);
      }
      if (!Number.isFinite(d) || Number.isSafeInteger(d)) continue;
      const q = shortDecimalBulk(out, 0, d);
      if (q < 0) continue;
      taken++;
      const t = formatScore(d);
      expect(out.latin1Slice(0, q)).toBe(`$${t.length}\r\n${t}\r\n`);
    }
    expect(taken).toBeGreaterThan(100_000);
  });
});
