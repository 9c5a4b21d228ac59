// Robustness: seeded mutations of real AOFs (bit flips, truncations, huge declared lengths,
// random bytes) fed to the RESP reader, in check mode and in salvage mode, split at random:
// it must always finish with a result (never throw, never hang), and never hand out a command
// whose arguments run past the input.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RespStreamReader } from '../../src/codec/resp.js';
import { chunksOf, rng } from '../helpers/feed.js';

const FIX = path.resolve(__dirname, '../../fixtures');
const SOURCES = [
  'redis-7.0/aof-plain/appendonlydir/appendonly.aof.1.incr.aof',
  'redis-7.0/aof-timestamp/appendonlydir/appendonly.aof.2.incr.aof',
  'shared/servers/redis-6.2.16/aof-preamble-no/appendonly.aof',
];

function mutate(src: Buffer, r: () => number, i: number): Buffer {
  const d = Buffer.from(src);
  switch (i % 4) {
    case 0:
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) d[Math.floor(r() * d.length)]! ^= 1 << Math.floor(r() * 8);
      return d;
    case 1:
      return d.subarray(0, Math.floor(r() * d.length));
    case 2: {
      // a huge declared length or count where a header starts
      const at = d.indexOf(r() < 0.5 ? 0x24 : 0x2a, Math.floor(r() * d.length));
      if (at < 0) return d;
      return Buffer.concat([d.subarray(0, at + 1), Buffer.from(r() < 0.5 ? '999999999999' : '2147483648'), d.subarray(at + 2)]);
    }
    default: {
      const at = Math.floor(r() * d.length);
      for (let k = 0; k < 16 && at + k < d.length; k++) d[at + k] = Math.floor(r() * 256);
      return d;
    }
  }
}

describe('RESP reader robustness (seeded mutations of real AOFs)', () => {
  for (const rel of SOURCES) {
    it(`check and salvage modes always finish, with sane results: ${rel}`, () => {
      const src = fs.readFileSync(path.join(FIX, rel));
      const r = rng(src.length);
      let problems = 0;
      for (let i = 0; i < 160; i++) {
        const data = mutate(src, r, i);
        for (const salvage of [false, true]) {
          let damaged = 0;
          let insane = '';
          const reader = new RespStreamReader(
            {
              command(rec) {
                if (rec.end > data.length) insane = `command ends at ${rec.end} past ${data.length}`;
                for (let a = 0; a < rec.argc; a++) if (rec.starts[a]! + rec.lens[a]! > rec.buf.length) insane = `argument ${a} runs past its buffer`;
              },
              damage(start, end) {
                if (end <= start) insane = `empty damaged range [${start}, ${end})`;
                damaged++;
              },
            },
            { salvage },
          );
          for (const c of chunksOf(data, i % 3 === 0 ? 'random' : 'whole', i)) reader.push(c);
          const res = reader.finish();
          expect(insane).toBe('');
          expect(res.okUpTo).toBeLessThanOrEqual(data.length);
          expect(res.size).toBe(data.length);
          if (res.problem) problems++;
          if (salvage) expect(res.problem === undefined || res.openMulti).toBe(true);
          if (!salvage && damaged) throw new Error('damage reported outside salvage mode');
        }
      }
      expect(problems).toBeGreaterThan(60);
    });
  }
});
