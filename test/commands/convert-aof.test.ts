// convert with an AOF input: the engine replays it, its keyspace is written as RDB, AOF or JSON.
// Every output must load in a fresh Redis 7.0 with the DEBUG DIGEST and key counts the server
// that wrote the AOF had (recorded in the fixtures' expected.json); bad input writes nothing.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, loadedState, warnIfNoRedis } from '../helpers/redis-server.js';
import { runCli } from '../helpers/cli.js';
import { readRdbItems } from '../helpers/rdb.js';

warnIfNoRedis('convert (AOF input)');
const FIX = path.resolve(__dirname, '../../fixtures');

interface Want {
  digest: string;
  dbsize: Record<string, number>;
}
const AOFS: { label: string; path: string; want: Want }[] = [
  ...['aof-plain', 'aof-preamble-no', 'aof-preamble-yes', 'aof-timestamp'].map((v) => {
    const w = JSON.parse(fs.readFileSync(path.join(FIX, `redis-7.0/${v}/expected.json`), 'utf8')) as Want;
    return { label: `redis-7.0/${v}`, path: path.join(FIX, `redis-7.0/${v}/appendonlydir`), want: { digest: w.digest, dbsize: w.dbsize } };
  }),
  ...['aof-preamble-yes', 'aof-preamble-no'].map((v) => {
    const p = path.join(FIX, `shared/servers/redis-6.2.16/${v}/appendonly.aof`);
    const w = (JSON.parse(fs.readFileSync(p + '.expected.json', 'utf8')) as { expected: Want }).expected;
    return { label: `redis-6.2.16/${v}`, path: p, want: { digest: w.digest, dbsize: w.dbsize } };
  }),
];
/** before every TTL in the fixtures */
const NOW = '1700000000000';

let tmp: string;
let n = 0;
const out = (name: string) => path.join(tmp, `${n++}-${name}`);
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-convert-aof-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const loaded = loadedState;

const resp = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

describe.skipIf(!redisAvailable())('convert AOF -> RDB / AOF, loaded by a real Redis 7.0', () => {
  for (const a of AOFS) {
    it(`${a.label} -> RDB 10 (the default): the server's digest and key counts`, async () => {
      const o = out('from-aof.rdb');
      const run = await runCli(['convert', '--now', NOW, a.path, o]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/from AOF to RDB 10/);
      const items = await readRdbItems(fs.readFileSync(o));
      expect(items.find((i) => i.kind === 'header')).toMatchObject({ version: 10 });
      expect(await loaded({ rdb: o })).toEqual(a.want);
    });

    it(`${a.label} -> plain AOF and multi-part dir: the server's digest`, async () => {
      const o = out('from-aof.aof');
      expect((await runCli(['convert', '--now', NOW, a.path, o])).code).toBe(0);
      expect(await loaded({ aof: o })).toEqual(a.want);
      const d = path.join(fs.mkdtempSync(path.join(tmp, 'mp-')), 'appendonlydir');
      expect((await runCli(['convert', '--now', NOW, '--multipart', a.path, d])).code).toBe(0);
      expect(await loaded({ aofDir: d })).toEqual(a.want);
    });
  }

  it('JSON Lines from an AOF: one line per key the server held', async () => {
    const a = AOFS[0]!;
    const o = out('from-aof.jsonl');
    expect((await runCli(['convert', '--now', NOW, a.path, o])).code).toBe(0);
    const lines = fs
      .readFileSync(o, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { db?: number; key?: unknown });
    const keys = lines.filter((l) => l.key !== undefined);
    const total = Object.values(a.want.dbsize).reduce((x, y) => x + y, 0);
    expect(keys.length).toBe(total);
  });
});

describe('convert AOF: bad input writes nothing', () => {
  it('a verbatim EVAL: exit 3 naming command and offset, no output file', async () => {
    const head = resp(['SET', 'a', '1']);
    const p = out('script.aof');
    fs.writeFileSync(p, head + resp(['EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'b']));
    const o = out('never.rdb');
    const run = await runCli(['convert', p, o]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`offset ${head.length}\\b.*EVAL|EVAL.*offset ${head.length}\\b`));
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(fs.existsSync(o)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('never'))).toEqual([]);
  });

  it('damage in the middle of an AOF: exit 1, no output file', async () => {
    const p = out('damaged.aof');
    fs.writeFileSync(p, resp(['SET', 'a', '1']) + '*2\r\n$3\r\nDEL\r\nXYZ\r\n' + resp(['SET', 'b', '2']));
    const o = out('never2.rdb');
    const run = await runCli(['convert', p, o]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Nothing was written/);
    expect(fs.existsSync(o)).toBe(false);
  });

  it('a command a server would have refused: exit 1 (the AOF is inconsistent)', async () => {
    const p = out('wrongtype.aof');
    fs.writeFileSync(p, resp(['SET', 'a', '1']) + resp(['LPUSH', 'a', 'x']));
    const o = out('never3.rdb');
    const run = await runCli(['convert', p, o]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/WRONGTYPE/);
    expect(fs.existsSync(o)).toBe(false);
  });
});
