// convert --key follows Redis's glob matching exactly: the engine of KEYS in a real server is
// the oracle, on keys and patterns chosen for its corners (ranges ending in ']', unclosed
// brackets, escapes, '^', empty keys, '**') plus seeded random ones.

import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/convert/glob.js';
import { redisAvailable, startRedis, warnIfNoRedis } from '../helpers/redis-server.js';
import { rng } from '../helpers/feed.js';

warnIfNoRedis('glob');

const KEYS = ['', 'a', 'b', 'A', ']', '-', '[', '\\', '^', '*', '?', 'ab', 'a]', 'a-', 'a-b', 'str:int:1', 'str:int:a', 'str:int:]', 'str:int:_x', 'x[y', 'x\\y', 'hello', 'hallo', 'hxllo', 'heeeello', 'h*llo', '\xff\x00k'];
const PATTERNS = ['*', '**', '', '?', 'a', '[a-]*', 'str:int:[a-]*', '[]a]', '[a-b]', '[b-a]', '[^a]', '[^]', '[', '[a', 'a[', '\\', '\\*', '\\[', 'h?llo', 'h*llo', 'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h\\*llo', '*[', '*\\', 'x[\\]y', 'x\\[y', '*-*', '[\\-]', '[a-]', '[-a]', 'str:*', '*:*:*', 'hel*lo*', '[\xff]*'];

describe.skipIf(!redisAvailable())('globMatch = KEYS of Redis 7.0', () => {
  it('on corner-case patterns and 300 random ones', async () => {
    const r = await startRedis();
    try {
      for (const k of KEYS) await r.call('SET', Buffer.from(k, 'latin1'), '1');
      const keys = KEYS.map((k) => Buffer.from(k, 'latin1'));
      const rnd = rng(11);
      const alphabet = ['a', 'b', ']', '[', '-', '^', '\\', '*', '?', 'h', 'l', 'o', ':'];
      const random = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
      for (const pat of [...PATTERNS, ...random]) {
        const reply = (await r.call('KEYS', Buffer.from(pat, 'latin1'))) as Buffer[];
        const want = reply.map((b) => b.toString('latin1')).sort();
        const got = keys.filter((k) => globMatch(Buffer.from(pat, 'latin1'), k)).map((k) => k.toString('latin1')).sort();
        expect(got, JSON.stringify(pat)).toEqual(want);
      }
    } finally {
      await r.stop();
    }
  });
});
