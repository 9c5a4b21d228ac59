// convert RDB -> AOF against a real Redis on seeded random data: the engine's workload
// generator (every command family) runs on a redis-server whose encoding thresholds vary by
// seed (small ones force hashtables, skiplists, several quicklist and stream nodes), the
// server SAVEs, and then
//  - the fast path (in-process and on the worker thread) writes the generic path's bytes;
//  - `check` accepts the RDB;
//  - a fresh redis-server loads the AOF with the DEBUG DIGEST and keys per db of a
//    redis-server that loaded the RDB itself (Redis drops keys already expired at load, so
//    the state before SAVE is not the reference).
// REDKIT_CONVERT_WORKLOAD_SEEDS (default 2) scales it; 12 seeds passed when it was written.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, startWithFiles, warnIfNoRedis } from '../helpers/redis-server.js';
import { generateWorkload } from '../helpers/workload-gen.js';

const HAVE_REDIS = redisAvailable();
warnIfNoRedis('test/commands/convert-workload.test.ts (convert against a real Redis)');

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/redkit');
const SEEDS = Number(process.env['REDKIT_CONVERT_WORKLOAD_SEEDS'] ?? 2);

describe.skipIf(!HAVE_REDIS)('convert RDB -> AOF of seeded workloads: fast = generic, and Redis loads it as it loads the RDB', () => {
  for (let seed = 101; seed < 101 + SEEDS; seed++) {
    it(`seed ${seed}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-convert-workload-'));
      const small = seed % 2 === 1;
      const srv = await startRedis({
        config: {
          'list-max-listpack-size': small ? 4 : -2,
          'stream-node-max-entries': seed % 3 ? 100 : 7,
          'hash-max-listpack-entries': small ? 4 : 128,
          'zset-max-listpack-entries': small ? 4 : 128,
          'set-max-intset-entries': small ? 4 : 512,
        },
      });
      const rdb = path.join(dir, 'dump.rdb');
      let sent = 0;
      try {
        const c = await srv.connect();
        for (const s of generateWorkload(seed, { commands: 3000, rewriteAt: null })) {
          try {
            if (s.kind === 'cmd') await c.call(...s.args);
            else if (s.kind === 'multi') {
              await c.call('MULTI');
              for (const x of s.cmds) await c.call(...x.args).catch(() => undefined);
              await c.call('EXEC').catch(() => undefined);
            } else if (s.kind === 'restore') {
              await c.call(...s.build((await c.call('DUMP', s.src)) as Buffer | null));
            }
            sent++;
          } catch {
            // refused by the server: part of the workload
          }
        }
        fs.copyFileSync(await srv.save(), rdb);
      } finally {
        await srv.stop();
      }
      expect(sent).toBeGreaterThan(1000);

      const convert = (env: Record<string, string>, name: string) => {
        const out = path.join(dir, name);
        const r = spawnSync(process.execPath, [BIN, 'convert', '--no-progress', rdb, out], { env: { ...process.env, ...env }, encoding: 'utf8' });
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        return fs.readFileSync(out);
      };
      const fast = convert({}, 'fast.aof');
      expect(fast.equals(convert({ REDKIT_CONVERT_GENERIC: '1' }, 'generic.aof'))).toBe(true);
      expect(fast.equals(convert({ REDKIT_TRANSCODE_WORKER_MIN: '0' }, 'thread.aof'))).toBe(true);
      const check = spawnSync(process.execPath, [BIN, 'check', '--no-progress', rdb], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);

      const fromRdb = await startWithFiles({ rdb });
      let want: unknown;
      try {
        want = { digest: await fromRdb.digest(), keys: await fromRdb.keysPerDb() };
      } finally {
        await fromRdb.stop();
      }
      const fromAof = await startWithFiles({ aof: path.join(dir, 'fast.aof') });
      try {
        expect({ digest: await fromAof.digest(), keys: await fromAof.keysPerDb() }).toEqual(want);
      } finally {
        await fromAof.stop();
      }
    }, 120_000);
  }
});
