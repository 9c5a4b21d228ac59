// Validate-only reading checks stream nodes without building their entries (no BigInt IDs,
// no field Buffers). It must refuse exactly what the full read refuses: damaged streams of
// real files, read both ways, give the same verdict and the same message.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RdbStreamReader } from '../../src/codec/rdb-reader.js';
import { mulberry32 } from '../helpers/codec.js';
import { encodeListpack } from '../../src/codec/listpack.js';
import { writeLength, writeString } from '../../src/codec/rdb-writer.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const FILES = ['redis-7.0/rdb/dump.rdb', 'shared/servers/redis-7.4.1/rdb/dump.rdb', 'shared/servers/redis-6.2.16/rdb/dump.rdb'];

function verdict(data: Buffer, validateOnly: boolean): string {
  try {
    const r = new RdbStreamReader(() => undefined, { totalSize: data.length, validateOnly, borrow: validateOnly });
    r.push(data);
    r.finish();
    return 'ok';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function streamRanges(data: Buffer): [number, number][] {
  const out: [number, number][] = [];
  const r = new RdbStreamReader((it) => {
    if (it.kind === 'key' && it.entry.value.type === 'stream') out.push([it.entry.offset, it.entry.offset + it.entry.size]);
  }, { totalSize: data.length });
  r.push(data);
  r.finish();
  return out;
}

describe('validate-only stream reading', () => {
  it('refuses what the full read refuses (seeded damage inside stream records of three servers\' files)', () => {
    const rand = mulberry32(190);
    let refused = 0;
    let tried = 0;
    for (const f of FILES) {
      const src = fs.readFileSync(path.join(FIX, f));
      const ranges = streamRanges(src);
      expect(ranges.length, f).toBeGreaterThan(0);
      for (let k = 0; k < 150; k++) {
        const d = Buffer.from(src);
        d.fill(0, d.length - 8); // a zero checksum is not checked: the structure decides
        const [s, e] = ranges[k % ranges.length]!;
        for (let i = 1 + ((rand() * 2) | 0); i > 0; i--) {
          const at = s + ((rand() * (e - s)) | 0);
          if (rand() < 0.5) d[at]! ^= 1 << ((rand() * 8) | 0);
          else d[at] = (rand() * 256) | 0;
        }
        const full = verdict(d, false);
        expect(verdict(d, true), `${f} mutation ${k}`).toBe(full);
        tried++;
        if (full !== 'ok') refused++;
      }
    }
    expect(tried).toBe(450);
    expect(refused).toBeGreaterThan(100);
  });

  it('an ID delta that is not an integer is refused both ways', () => {
    const stream = (msDelta: number | string) => {
      const lp = encodeListpack([1, 0, 1, Buffer.from('f'), 0, 2, typeof msDelta === 'string' ? Buffer.from(msDelta) : msDelta, 0, Buffer.from('v'), 4]);
      const body = Buffer.concat([
        Buffer.from('REDIS0009', 'latin1'),
        Buffer.from([0xfe, 0x00, 15]),
        writeString(Buffer.from('s')),
        writeLength(1),
        writeString(Buffer.alloc(16), { compress: false }),
        writeString(lp, { compress: false }),
        writeLength(1), // length
        writeLength(5), writeLength(0), // last ID
        writeLength(0), // groups
        Buffer.from([0xff]),
        Buffer.alloc(8), // no checksum
      ]);
      return body;
    };
    expect(verdict(stream(5), false)).toBe('ok');
    expect(verdict(stream(5), true)).toBe('ok');
    expect(verdict(stream('x'), false)).toMatch(/ms delta is not an integer/);
    expect(verdict(stream('x'), true)).toBe(verdict(stream('x'), false));
  });
});
