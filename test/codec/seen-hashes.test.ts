import { describe, expect, it } from 'vitest';
import { SeenHashes, fnvInt, fnvText } from '../../src/codec/seen-hashes.js';
import { mulberry32 } from '../helpers/codec.js';

describe('SeenHashes', () => {
  it('answers as a JS Set would, across resets, growth and the switch to a Set past 4M slots', () => {
    const rand = mulberry32(31337);
    const s = new SeenHashes();
    for (const n of [0, 1, 5, 600, 70_000, 10, 2_500_000, 3]) {
      s.reset();
      const ref = new Set<number>();
      let wrong = 0;
      let repeats = 0;
      for (let i = 0; i < n; i++) {
        // a small range makes repeats common
        const h = (rand() * (n < 100 ? 8 : 4 * n)) | 0 | (rand() < 0.5 ? 0x80000000 : 0);
        if (s.add(h) !== ref.has(h)) wrong++;
        if (ref.has(h)) repeats++;
        ref.add(h);
      }
      expect(wrong, `n=${n}`).toBe(0);
      if (n >= 600) expect(repeats).toBeGreaterThan(n / 20);
      // what the last collection added is gone after the next reset
      s.reset();
      for (const h of [...ref].slice(0, 50)) expect(s.add(h)).toBe(false);
    }
  });
});

describe('fnvInt', () => {
  it('equals fnvText of the decimal text', () => {
    const values = [0, -0, 1, -1, 9, 10, -10, 127, -128, 32767, -32768, 2 ** 31 - 1, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21];
    const rand = mulberry32(9);
    for (let i = 0; i < 2000; i++) values.push(Math.floor((rand() - 0.5) * 10 ** ((rand() * 17) | 0)));
    for (const v of values) expect(fnvInt(v), String(v)).toBe(fnvText(String(v)));
  });
});
