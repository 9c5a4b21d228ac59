// Redis refuses duplicate set members, hash fields and sorted set members (and NaN scores)
// when it loads an RDB; check must too, in its validate-only reading (hashes of bytes, no
// Buffers) as in full decoding.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/codec/crc64.js';
import { encodeListpack } from '../../src/codec/listpack.js';
import { writeLength, writeString } from '../../src/codec/rdb-writer.js';
import { FormatError } from '../../src/model/errors.js';
import { checkInput } from '../../src/commands/check.js';
import { readRdbItems } from '../helpers/rdb.js';

function rdb(type: number, key: string, payload: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('REDIS0011', 'latin1'), Buffer.from([0xfe, 0x00, type]), writeString(Buffer.from(key)), ...payload, Buffer.from([0xff])]);
  const crc = new Crc64();
  crc.update(body);
  const tail = Buffer.alloc(8);
  crc.writeLE(tail, 0);
  return Buffer.concat([body, tail]);
}

const str = (s: string) => writeString(Buffer.from(s, 'latin1'), { compress: false });

const cases: [string, Buffer, Buffer][] = [];
{
  const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
  cases.push(['plain set, small', rdb(2, 's', [writeLength(2), str('a'), str('a')]), rdb(2, 's', [writeLength(2), str('a'), str('b')])]);
  cases.push(['plain set, 20 members', rdb(2, 's', [writeLength(21), ...members.map(str), str('m7')]), rdb(2, 's', [writeLength(20), ...members.map(str)])]);
  cases.push(['plain set, int-encoded and raw "12"', rdb(2, 's', [writeLength(2), writeString(Buffer.from('12')), str('12')].map((b, i) => (i === 2 ? Buffer.from([0x02, 0x31, 0x32]) : b))), rdb(2, 's', [writeLength(2), writeString(Buffer.from('12')), str('13')])]);
  cases.push(['plain hash', rdb(4, 'h', [writeLength(2), str('f'), str('1'), str('f'), str('2')]), rdb(4, 'h', [writeLength(2), str('f'), str('1'), str('g'), str('1')])]);
  cases.push(['listpack hash', rdb(16, 'h', [writeString(encodeListpack([Buffer.from('f'), 1, Buffer.from('f'), 2]), { compress: false })]), rdb(16, 'h', [writeString(encodeListpack([Buffer.from('f'), 1, Buffer.from('g'), 1]), { compress: false })])]);
  // sorted sets: type 5 (binary scores) and type 3 (scores as text, 253 = NaN)
  const f64 = (d: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(d);
    return b;
  };
  const txt = (t: string) => Buffer.concat([Buffer.from([t.length]), Buffer.from(t, 'latin1')]);
  const zmembers = members.flatMap((m, i) => [str(m), f64(i / 3)]);
  cases.push(['zset2, 21 members', rdb(5, 's', [writeLength(21), ...zmembers, str('m7'), f64(1)]), rdb(5, 's', [writeLength(20), ...zmembers])]);
  cases.push(['zset2, small', rdb(5, 's', [writeLength(2), str('a'), f64(1), str('a'), f64(2)]), rdb(5, 's', [writeLength(2), str('a'), f64(1), str('b'), f64(1)])]);
  cases.push(['zset (text scores)', rdb(3, 's', [writeLength(2), str('a'), txt('1.5'), str('a'), txt('2')]), rdb(3, 's', [writeLength(2), str('a'), txt('1.5'), str('b'), txt('2')])]);
  const lpz = (els: (string | number)[]) => writeString(encodeListpack(els.map((e) => (typeof e === 'number' ? e : Buffer.from(e)))), { compress: false });
  cases.push(['zset listpack', rdb(17, 's', [lpz(['a', 1, 'b', '2.5', 'a', 3])]), rdb(17, 's', [lpz(['a', 1, 'b', '2.5', 'c', 3])])]);
  cases.push(['zset listpack, int-encoded and raw "12"', rdb(17, 's', [lpz([12, 1, '12', 2])]), rdb(17, 's', [lpz([12, 1, '13', 2])])]);
  cases.push(['listpack set', rdb(20, 's', [writeString(encodeListpack([7, Buffer.from('x'), Buffer.from('x')]), { compress: false })]), rdb(20, 's', [writeString(encodeListpack([7, Buffer.from('x')]), { compress: false })])]);
}

describe('a sorted set score that is NaN', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-nan-'));
  const f64 = Buffer.alloc(8);
  f64.writeDoubleLE(NaN);
  const files: [string, Buffer][] = [
    ['binary', rdb(5, 'z', [writeLength(2), str('a'), Buffer.from(Buffer.alloc(8)), str('b'), f64])],
    ['text', rdb(3, 'z', [writeLength(2), str('a'), Buffer.from([1, 0x31]), str('b'), Buffer.from([253])])],
    ['listpack', rdb(17, 'z', [writeString(encodeListpack([Buffer.from('a'), 1, Buffer.from('b'), Buffer.from('nan')]), { compress: false })])],
  ];
  for (const [label, bytes] of files) {
    it(`${label}: refused both ways, as Redis refuses it`, async () => {
      expect(() => readRdbItems(bytes)).toThrow(/NAN score|not a number/);
      const f = path.join(tmp, `${label}.rdb`);
      fs.writeFileSync(f, bytes);
      const rep = await checkInput(f, { progress: false });
      expect(rep.exitCode).toBe(1);
      expect(rep.problems.some((p) => p.severity === 'error' && /NAN score|not a number/.test(p.message))).toBe(true);
    });
  }
});

describe('an intset out of order', () => {
  it('is refused by check (validate-only) as by a full read', async () => {
    const blob = Buffer.alloc(8 + 3 * 2);
    blob.writeUInt32LE(2, 0);
    blob.writeUInt32LE(3, 4);
    [1, 5, 3].forEach((v, i) => blob.writeInt16LE(v, 8 + 2 * i));
    const bytes = rdb(11, 'i', [writeString(blob, { compress: false })]);
    expect(() => readRdbItems(bytes)).toThrow(/not greater than the previous/);
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-intset-')), 'i.rdb');
    fs.writeFileSync(f, bytes);
    const rep = await checkInput(f, { progress: false });
    expect(rep.exitCode).toBe(1);
    expect(rep.problems.some((p) => p.severity === 'error' && /not greater than the previous/.test(p.message))).toBe(true);
  });
});

describe('duplicate members and fields', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-dups-'));
  for (const [label, bad, good] of cases) {
    it(`${label}: the good file passes, the duplicate is caught both ways`, async () => {
      const g = path.join(tmp, `good-${label.replace(/\W+/g, '_')}.rdb`);
      fs.writeFileSync(g, good);
      expect(readRdbItems(good).length).toBe(4);
      expect((await checkInput(g, { progress: false })).exitCode).toBe(0);
      const b = path.join(tmp, `bad-${label.replace(/\W+/g, '_')}.rdb`);
      fs.writeFileSync(b, bad);
      expect(() => readRdbItems(bad)).toThrow(FormatError);
      const rep = await checkInput(b, { progress: false });
      expect(rep.exitCode).toBe(1);
      expect(rep.problems.some((p) => p.severity === 'error' && /duplicate/.test(p.message))).toBe(true);
      // the validate-only reading keeps keys as byte ranges, but messages still name them
      expect(rep.problems.some((p) => /while reading key '[sh]'/.test(p.message))).toBe(true);
    });
  }
});
