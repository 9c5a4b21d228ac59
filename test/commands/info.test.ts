// info: what a file holds. For an AOF, key counts are what a server loading it holds
// (a replay in the engine); the oracle is the server that wrote the AOF.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';

warnIfNoRedis('info');
const FIX = path.resolve(__dirname, '../../fixtures');

describe('info', () => {
  it('an RDB: keys per db and type, encodings, aux fields, the largest keys', async () => {
    const r = await runCli(['--json', 'info', '--top', '3', path.join(FIX, 'redis-7.0/rdb/dump.rdb')]);
    expect(r.code).toBe(0);
    const want = JSON.parse(fs.readFileSync(path.join(FIX, 'redis-7.0/rdb/expected.json'), 'utf8')) as { dbsize: Record<string, number> };
    const s = (r.json() as { stats: { keysFrom: string; keysPerDb: Record<string, number>; largest: unknown[]; aux: Record<string, string>; typesPerDb: Record<string, Record<string, number>> } }).stats;
    expect(s.keysFrom).toBe('rdb');
    expect(s.keysPerDb).toEqual(want.dbsize);
    expect(s.largest.length).toBe(3);
    expect(s.aux['redis-ver']).toBe('7.0.15');
    expect(Object.values(s.typesPerDb['0']!).reduce((a, b) => a + b, 0)).toBe(want.dbsize['0']);
  });

  it('an AOF holding a command the engine cannot apply: RDB keys only, and a warning that says why', async () => {
    // the 7.0 preamble fixture, plus a verbatim EVAL in a copy of its incr file
    const src = path.join(FIX, 'redis-7.0/aof-preamble-yes/appendonlydir');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-info-'));
    try {
      const copy = path.join(dir, 'appendonlydir');
      fs.cpSync(src, copy, { recursive: true });
      const incr = fs.readdirSync(copy).find((f) => f.endsWith('.incr.aof'))!;
      fs.appendFileSync(path.join(copy, incr), '*3\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n');
      const r = await runCli(['--json', 'info', copy]);
      expect(r.code).toBe(0);
      const doc = r.json() as { stats: { keysFrom: string }; problems: { severity: string; message: string }[] };
      expect(doc.stats.keysFrom).toBe('rdb-only');
      expect(doc.problems.some((p) => p.severity === 'warning' && /needs a replay/.test(p.message) && /not supported: EVAL/.test(p.message))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every AOF fixture of Redis 7.0: the keys per db its server held (a replay)', async () => {
    for (const v of ['aof-plain', 'aof-preamble-no', 'aof-preamble-yes', 'aof-timestamp']) {
      const want = JSON.parse(fs.readFileSync(path.join(FIX, `redis-7.0/${v}/expected.json`), 'utf8')) as { dbsize: Record<string, number> };
      const r = await runCli(['--json', 'info', path.join(FIX, `redis-7.0/${v}/appendonlydir`)]);
      expect(r.code, v).toBe(0);
      const s = (r.json() as { stats: { keysFrom: string; keysPerDb: Record<string, number> } }).stats;
      expect(s.keysFrom, v).toBe('replay');
      expect(s.keysPerDb, v).toEqual(want.dbsize);
    }
  });
});

describe.skipIf(!redisAvailable())('info on an AOF written by Redis 7.0', () => {
  it('keys per db and type are those of the server that wrote it', async () => {
    const server = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let want: Record<string, number>;
    let dir: string;
    try {
      for (let db = 0; db < 3; db++) {
        const c = await server.connect(db);
        for (let i = 0; i < 40; i++) {
          await c.call('SET', `s${i}`, `v${i}`);
          await c.call('RPUSH', `l${i % 7}`, `x${i}`);
          await c.call('SADD', `t${i % 5}`, String(i));
          await c.call('HSET', `h${i % 3}`, `f${i}`, `v${i}`);
          if (i % 10 === 0) await c.call('DEL', `s${i}`);
        }
        await c.close();
      }
      await server.rewriteAof();
      await server.call('SET', 'after', 'rewrite');
      want = await server.keysPerDb();
      await server.shutdown();
      dir = server.aofDirPath;
      const r = await runCli(['--json', 'info', dir]);
      expect(r.code).toBe(0);
      const s = (r.json() as { stats: { keysFrom: string; keysPerDb: Record<string, number>; typesPerDb: Record<string, Record<string, number>> } }).stats;
      expect(s.keysFrom).toBe('replay');
      expect(s.keysPerDb).toEqual(want);
      expect(s.typesPerDb['1']).toEqual({ string: 36, list: 7, set: 5, hash: 3 });
    } finally {
      await server.stop();
    }
  });

  it('an AOF: the largest keys are ranked by the bytes of their data (there is no record size to go by)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-info-top-'));
    try {
      const cmd = (...a: string[]) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('');
      const f = path.join(dir, 'top.aof');
      fs.writeFileSync(f, cmd('SET', 'small', '1') + cmd('SET', 'big', 'x'.repeat(5000)) + cmd('RPUSH', 'lst', 'abc', 'de') + cmd('HSET', 'h', 'f', 'vv'));
      const r = await runCli(['--json', 'info', '--top', '3', f]);
      expect(r.code).toBe(0);
      const s = (r.json() as { stats: { keysFrom: string; largest: { key: string; bytes: number }[] } }).stats;
      expect(s.keysFrom).toBe('replay');
      expect(s.largest).toEqual([
        expect.objectContaining({ key: 'big', bytes: 5000 }),
        expect.objectContaining({ key: 'lst', bytes: 5 }),
        expect.objectContaining({ key: 'h', bytes: 3 }),
      ]);
      const text = await runCli(['info', '--top', '1', f]);
      expect(text.stdout).toMatch(/largest keys \(bytes of data: keys replayed from the AOF\)\n\s+5000\s+db0 string\s+big/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
