// A small deterministic write workload for tests that need a real server to produce an AOF.

import type { RedisServer } from './redis-server.js';
import { rng } from './feed.js';

/** Writes across dbs 0-3: strings (incl. binary and large), lists, sets, hashes, zsets,
 * expiries, and MULTI/EXEC blocks. */
export async function writeWorkload(server: RedisServer, seed = 1, n = 300): Promise<void> {
  const r = rng(seed);
  const c = await server.connect();
  try {
    for (let i = 0; i < n; i++) {
      const db = Math.floor(r() * 4);
      await c.call('SELECT', db);
      const k = `k${Math.floor(r() * 50)}`;
      switch (Math.floor(r() * 9)) {
        case 0:
          await c.call('SET', `s:${k}`, `v${i}`);
          break;
        case 1:
          await c.call('SET', `b:${k}`, Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, i & 255]));
          break;
        case 2:
          await c.call('RPUSH', `l:${k}`, `a${i}`, `b${i}`, 'x'.repeat(Math.floor(r() * 300)));
          break;
        case 3:
          await c.call('SADD', `set:${k}`, String(i), `m${i}`);
          break;
        case 4:
          await c.call('HSET', `h:${k}`, `f${i % 7}`, `v${i}`);
          break;
        case 5:
          await c.call('ZADD', `z:${k}`, String(r() * 100), `m${i % 13}`);
          break;
        case 6:
          await c.call('SET', `t:${k}`, 'ttl', 'PX', String(1_000_000 + i));
          break;
        case 7:
          await c.call('MULTI');
          await c.call('INCR', `n:${k}`);
          await c.call('LPUSH', `l:${k}`, `tx${i}`);
          await c.call('EXEC');
          break;
        default:
          await c.call('SET', `big:${k}`, 'y'.repeat(2000 + Math.floor(r() * 5000)));
          break;
      }
    }
  } finally {
    await c.close();
  }
}
