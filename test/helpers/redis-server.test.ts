import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRedisUrl, RedisClient, RedisConnectionError, RedisReplyError, type Reply } from '../../src/io/redis-client.js';
import { redisAvailable, redisVersion, repoRoot, startRedis, startWithFiles, warnIfNoRedis, type RedisServer } from './redis-server.js';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/helpers/redis-server.test.ts (the real-Redis harness)');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with a server, stopping it however `fn` ends. */
async function withServer<T>(start: Promise<RedisServer>, fn: (s: RedisServer) => Promise<T>): Promise<T> {
  const s = await start;
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

/** Every string in a reply, flattened. */
function flatText(r: Reply): string[] {
  if (Array.isArray(r)) return r.flatMap(flatText);
  if (Buffer.isBuffer(r)) return [r.toString('latin1')];
  return typeof r === 'string' ? [r] : [];
}

interface Expected {
  server: string;
  digest: string;
  dbsize: Record<string, number>;
  keys: Record<string, Record<string, { type: string; encoding: string; expireMs: number }>>;
}

describe.skipIf(!HAVE_REDIS)('redis-server harness', () => {
  it('loads the dataset, digests it, and a fresh server on its dump.rdb reproduces the digest', async () => {
    let firstDir = '';
    let firstPid = 0;
    await withServer(startRedis(), async (s) => {
      firstDir = s.dir;
      firstPid = s.pid;
      expect(s.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(await s.digest()).toBe('0'.repeat(40));
      await s.loadDataset('dataset');
      const digest = await s.digest();
      expect(digest).toMatch(/^[0-9a-f]{40}$/);
      expect(digest).not.toBe('0'.repeat(40));
      const keys = await s.keysPerDb();
      for (const db of ['0', '1', '2', '5', '15']) expect(keys[db], `db ${db}`).toBeGreaterThan(0);
      expect(Object.keys(keys).sort()).toEqual(['0', '1', '15', '2', '5']);

      const rdb = await s.save();
      expect(fs.statSync(rdb).size).toBeGreaterThan(1000);
      await withServer(startWithFiles({ rdb }), async (s2) => {
        expect(s2.dir).not.toBe(s.dir);
        expect(await s2.digest()).toBe(digest);
        expect(await s2.keysPerDb()).toEqual(keys);
        const fl = await s2.call('FUNCTION', 'LIST');
        expect(flatText(fl)).toContain('mylib');
      });
    });
    expect(fs.existsSync(firstDir)).toBe(false);
    expect(isAlive(firstPid)).toBe(false);
  });

  it('frozenExpiry: a key whose expiry passed after SAVE is kept (RDB and AOF), and is gone without it', async () => {
    await withServer(startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } }), async (s) => {
      await s.call('SET', 'keep', 'v');
      await s.call('SET', 'brief', 'v', 'PX', '400');
      const rdb = await s.save();
      const aofDir = s.aofDirPath;
      // shut down before the key expires: a running master would log a DEL for it
      await s.shutdown();
      await new Promise((r) => setTimeout(r, 600));
      await withServer(startWithFiles({ rdb }), async (m) => expect(await m.keysPerDb()).toEqual({ '0': 1 }));
      await withServer(startWithFiles({ aofDir }), async (m) => {
        await new Promise((r) => setTimeout(r, 300));
        expect(await m.keysPerDb()).toEqual({ '0': 1 });
      });
      for (const files of [{ rdb }, { aofDir }]) {
        await withServer(startWithFiles(files, { frozenExpiry: true }), async (f) => {
          expect(await f.keysPerDb()).toEqual({ '0': 2 });
          // still there after the server's own expire cycles (10 a second) had their chance
          await new Promise((r) => setTimeout(r, 300));
          expect(await f.keysPerDb()).toEqual({ '0': 2 });
        });
      }
    });
  });

  it('passes extra config, writes a multi-part AOF, and a server on a copy of it agrees', async () => {
    await withServer(
      startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no', rdbcompression: false } }),
      async (s) => {
        expect(await s.call('CONFIG', 'GET', 'rdbcompression')).toEqual([Buffer.from('rdbcompression'), Buffer.from('no')]);
        await s.call('SET', 'a', '1');
        await s.call('RPUSH', 'l', 'x', 'y');
        const dir = await s.rewriteAof();
        await s.call('SELECT', '3');
        await s.call('HSET', 'h', 'f', 'v');
        await s.call('SELECT', '0');
        expect(fs.readdirSync(dir).some((f) => f.endsWith('.base.aof'))).toBe(true);
        const digest = await s.digest();
        await s.shutdown(); // flushes the AOF; the dir stays until stop()
        expect(fs.existsSync(path.join(dir, 'appendonly.aof.manifest'))).toBe(true);
        await withServer(startWithFiles({ aofDir: dir }), async (s2) => {
          expect(await s2.digest()).toBe(digest);
          expect(await s2.keysPerDb()).toEqual({ '0': 2, '3': 1 });
        });
      },
    );
  });

  it('shuts down with SAVE when asked', async () => {
    const s = await startRedis();
    try {
      await s.call('SET', 'k', 'v');
      await s.shutdown({ save: true });
      expect(isAlive(s.pid)).toBe(false);
      expect(fs.existsSync(s.rdbPath)).toBe(true);
    } finally {
      await s.stop();
    }
    expect(fs.existsSync(s.dir)).toBe(false);
  });

  it('reports dataset errors instead of ignoring them', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-ds-'));
    try {
      const file = path.join(tmp, 'bad.redis');
      fs.writeFileSync(file, 'SET a 1\nNOSUCHCOMMAND x\nSET b 2\n');
      await withServer(startRedis(), async (s) => {
        await expect(s.loadDataset(file)).rejects.toThrow(/unknown command/);
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('reports why a server refused a file', async () => {
    const file = path.join(repoRoot, 'fixtures', 'shared', 'peers', 'hdt3213', 'zipmap_big_len.rdb');
    await expect(startWithFiles({ rdb: file })).rejects.toThrow(/Zipmap integrity check failed/);
  });

  it('fails clearly on a bad option and leaves nothing behind', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('redkit-redis-')).length;
    await expect(startRedis({ config: { 'no-such-option': 'x' } })).rejects.toThrow(/exited/);
    const after = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('redkit-redis-')).length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it('gives the client pipelining, error replies and binary values', async () => {
    await withServer(startRedis(), async (s) => {
      const c = await s.connect(2);
      try {
        // 2000 calls in flight at once resolve in order
        const replies = await Promise.all(Array.from({ length: 2000 }, () => c.call('INCR', 'n')));
        expect(replies).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));

        // an error reply rejects only its own call
        await c.call('SET', 's', 'text');
        const [a, bad, after] = await Promise.allSettled([c.call('GET', 's'), c.call('INCR', 's'), c.call('GET', 'n')]);
        expect(a).toEqual({ status: 'fulfilled', value: Buffer.from('text') });
        expect(bad.status).toBe('rejected');
        const err = (bad as PromiseRejectedResult).reason as RedisReplyError;
        expect(err).toBeInstanceOf(RedisReplyError);
        expect(err.code).toBe('ERR');
        expect(err.message).toMatch(/not an integer/);
        expect(after).toEqual({ status: 'fulfilled', value: Buffer.from('2000') });

        // binary keys and a 2 MiB value survive the round trip
        const key = Buffer.from([0, 0xff, 13, 10]);
        const big = Buffer.alloc(2 << 20);
        for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
        expect(await c.call('SET', key, big)).toBe('OK');
        expect((await c.call('GET', key) as Buffer).equals(big)).toBe(true);
        expect(await c.call('GET', 'missing')).toBeNull();
        expect(await c.call('DBSIZE')).toBe(3);
        expect(await c.call('INCRBY', 'huge', 9007199254740993n)).toBe(9007199254740993n);
        expect(await s.digestValue(key, 2)).toMatch(/^[0-9a-f]{40}$/);
      } finally {
        await c.close();
      }
      expect(c.closed).toBe(true);
      await expect(c.call('PING')).rejects.toThrow(/closed/);
      // the db option selected db 2
      expect(await s.keysPerDb()).toEqual({ '2': 4 });
    });
  });

  it('gives the client unix sockets and redis:// / unix:// URLs', async () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(parseRedisUrl('redis://:p%40ss@[::1]')).toEqual({ host: '::1', port: 6379, password: 'p@ss' });
    expect(parseRedisUrl('redis://me:pw@localhost:1/')).toEqual({ host: 'localhost', port: 1, username: 'me', password: 'pw' });
    expect(parseRedisUrl('unix:///tmp/x%20y.sock?db=3')).toEqual({ path: '/tmp/x y.sock', db: 3 });
    expect(() => parseRedisUrl('rediss://h')).toThrow(/unsupported/);
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/database/);
    // relative to the server's dir, which it chdirs into
    await withServer(startRedis({ config: { unixsocket: 'redis.sock', requirepass: 'sekret' } }), async (s) => {
      const sock = path.join(s.dir, 'redis.sock');
      const c = await RedisClient.connect({ path: sock, password: 'sekret', db: 4 });
      try {
        expect(await c.call('SET', 'via', 'unix')).toBe('OK');
      } finally {
        await c.close();
      }
      const c2 = await RedisClient.connect({ ...parseRedisUrl(`unix://${sock}?db=4`), password: 'sekret' });
      try {
        expect(await c2.call('GET', 'via')).toEqual(Buffer.from('unix'));
      } finally {
        await c2.close();
      }
      await expect(RedisClient.connect({ path: sock, password: 'wrong' })).rejects.toThrow(/WRONGPASS|invalid/);
    });
  });

  it('rejects in-flight calls when the server goes away', async () => {
    const s = await startRedis();
    let c: RedisClient | undefined;
    try {
      c = await s.connect();
      const blocked = c.call('BLPOP', 'nothing', '0').then(
        () => undefined,
        (e: unknown) => e,
      );
      await s.shutdown();
      expect(await blocked).toBeInstanceOf(RedisConnectionError); // "connection closed" or ECONNRESET
      await expect(c.call('PING')).rejects.toBeInstanceOf(RedisConnectionError);
    } finally {
      c?.destroy();
      await s.stop();
    }
  });

  describe('committed fixtures reload to their expected digest', () => {
    const base = path.join(repoRoot, 'fixtures', 'redis-7.0');
    const variants = fs.existsSync(base) ? fs.readdirSync(base).sort() : [];
    // digests are only comparable within a server family: decided when tests are collected
    // (CI's Debian server is 7.0, so these always run there)
    const family70 = /^7\.0\./.test(redisVersion() ?? '');

    it('has fixtures to check', () => {
      expect(variants.length).toBeGreaterThanOrEqual(9);
    });

    for (const variant of variants) {
      it.skipIf(!family70)(`fixtures/redis-7.0/${variant}`, async () => {
        const dir = path.join(base, variant);
        const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
        const files = fs.existsSync(path.join(dir, 'dump.rdb'))
          ? { rdb: path.join(dir, 'dump.rdb') }
          : { aofDir: path.join(dir, 'appendonlydir') };
        await withServer(startWithFiles(files), async (s) => {
          expect(await s.digest()).toBe(expected.digest);
          expect(await s.keysPerDb()).toEqual(expected.dbsize);
          // spot-check per-key metadata through the latin1 key scheme
          for (const [db, keys] of Object.entries(expected.keys)) {
            const c = await s.connect(Number(db));
            try {
              for (const [k, meta] of Object.entries(keys)) {
                const key = Buffer.from(k, 'latin1');
                expect(await c.call('TYPE', key), `${db}/${k}`).toBe(meta.type);
                expect(await c.call('PEXPIRETIME', key), `${db}/${k}`).toBe(meta.expireMs);
              }
            } finally {
              await c.close();
            }
          }
        });
      });
    }
  });

  describe('shared Redis 6.2 fixtures load in this server with their recorded digest', () => {
    const base = path.join(repoRoot, 'fixtures', 'shared', 'servers', 'redis-6.2.16');
    const cases = [
      { name: 'rdb/dump.rdb', files: { rdb: path.join(base, 'rdb', 'dump.rdb') } },
      { name: 'aof-preamble-yes/appendonly.aof', files: { aof: path.join(base, 'aof-preamble-yes', 'appendonly.aof') } },
      { name: 'aof-preamble-no/appendonly.aof', files: { aof: path.join(base, 'aof-preamble-no', 'appendonly.aof') } },
    ];
    for (const c of cases) {
      it.skipIf(!/^(6\.2|7\.0)\./.test(redisVersion() ?? ''))(c.name, async () => {
        const expected = JSON.parse(fs.readFileSync(`${Object.values(c.files)[0]!}.expected.json`, 'utf8')) as {
          expected: { digest: string; dbsize: Record<string, number> };
        };
        await withServer(startWithFiles(c.files, { frozenExpiry: true }), async (s) => {
          expect(await s.digest()).toBe(expected.expected.digest);
          expect(await s.keysPerDb()).toEqual(expected.expected.dbsize);
        });
      });
    }
  });
});
