// FUNCTION RESTORE against a real Redis 7.0: payloads from its FUNCTION DUMP, the three
// policies, bad payloads, and the replay of an AOF that holds FUNCTION RESTORE. The oracle is
// FUNCTION LIST WITHCODE (library names and code) and which commands the server refuses.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { EngineError } from '../../src/engine/errors.js';
import { replayToMemory } from '../../src/commands/replay.js';
import { redisAvailable, startRedis, warnIfNoRedis, type RedisServer } from '../helpers/redis-server.js';
import type { Reply } from '../../src/io/redis-client.js';

warnIfNoRedis('test/engine/function-restore.test.ts');

const lib = (name: string, fn: string) => `#!lua name=${name}\nredis.register_function('${fn}', function(keys, args) return 1 end)`;

/** library name -> code, as FUNCTION LIST WITHCODE reports them */
async function serverLibraries(s: RedisServer): Promise<Record<string, string>> {
  const list = (await s.call('FUNCTION', 'LIST', 'WITHCODE')) as Reply[];
  const out: Record<string, string> = {};
  for (const l of list) {
    const f = l as Reply[];
    const get = (k: string) => f[f.findIndex((x) => Buffer.isBuffer(x) && x.toString() === k) + 1] as Buffer;
    out[get('library_name').toString()] = get('library_code').toString('latin1');
  }
  return out;
}

function engineLibraries(e: Engine): Record<string, string> {
  return Object.fromEntries([...e.functions].map(([n, c]) => [n, c.toString('latin1')]));
}

/** apply to both; both must accept or both refuse */
async function both(s: RedisServer, e: Engine, ...args: (string | Buffer)[]): Promise<'ok' | 'refused'> {
  let server: 'ok' | 'refused' = 'ok';
  try {
    await s.call(...args);
  } catch {
    server = 'refused';
  }
  let engine: 'ok' | 'refused' = 'ok';
  try {
    e.apply(args.map((a) => (Buffer.isBuffer(a) ? Buffer.from(a) : Buffer.from(a, 'latin1'))));
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    engine = 'refused';
  }
  expect(engine, `${args.slice(0, 2).join(' ')} ${args.slice(3).join(' ')}`).toBe(server);
  return server;
}

describe.skipIf(!redisAvailable())('FUNCTION RESTORE against Redis 7.0', () => {
  let s: RedisServer;
  let payload: Buffer;
  beforeAll(async () => {
    s = await startRedis({ config: { appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    await s.call('FUNCTION', 'LOAD', lib('liba', 'fa'));
    await s.call('FUNCTION', 'LOAD', lib('libb', 'fb'));
    payload = (await s.call('FUNCTION', 'DUMP')) as Buffer;
    await s.call('FUNCTION', 'FLUSH');
  });
  afterAll(async () => {
    await s.stop();
  });

  it('policies, bad payloads and arguments: the same libraries, the same refusals; then the AOF replays to them', async () => {
    const e = new Engine({ loading: false });
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload)).toBe('ok');
    expect(engineLibraries(e)).toEqual(await serverLibraries(s));
    expect(Object.keys(engineLibraries(e)).sort()).toEqual(['liba', 'libb']);
    // APPEND (the default, or named): a library that exists fails the whole restore
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload)).toBe('refused');
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'append')).toBe('refused');
    // REPLACE: existing libraries are replaced, others kept
    await both(s, e, 'FUNCTION', 'DELETE', 'libb');
    await both(s, e, 'FUNCTION', 'LOAD', lib('libc', 'fc'));
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'REPLACE')).toBe('ok');
    expect(engineLibraries(e)).toEqual(await serverLibraries(s));
    expect(Object.keys(engineLibraries(e)).sort()).toEqual(['liba', 'libb', 'libc']);
    // FLUSH: exactly the payload's libraries
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'FLUSH')).toBe('ok');
    expect(engineLibraries(e)).toEqual(await serverLibraries(s));
    expect(Object.keys(engineLibraries(e)).sort()).toEqual(['liba', 'libb']);
    // bad policy, bad checksum, cut payload, not a payload, too many arguments
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'MERGE')).toBe('refused');
    const flipped = Buffer.from(payload);
    flipped[3]! ^= 0x01;
    expect(await both(s, e, 'FUNCTION', 'RESTORE', flipped, 'FLUSH')).toBe('refused');
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload.subarray(0, 9), 'FLUSH')).toBe('refused');
    expect(await both(s, e, 'FUNCTION', 'RESTORE', 'junk', 'FLUSH')).toBe('refused');
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'FLUSH', 'extra')).toBe('refused');
    // an empty payload (FUNCTION DUMP of no libraries) with FLUSH empties the libraries
    await s.call('FUNCTION', 'FLUSH');
    const empty = (await s.call('FUNCTION', 'DUMP')) as Buffer;
    await s.call('FUNCTION', 'RESTORE', payload);
    e.functions.clear();
    e.apply([Buffer.from('FUNCTION'), Buffer.from('RESTORE'), Buffer.from(payload)]);
    expect(await both(s, e, 'FUNCTION', 'RESTORE', empty, 'FLUSH')).toBe('ok');
    expect(engineLibraries(e)).toEqual({});
    expect(await both(s, e, 'FUNCTION', 'RESTORE', payload, 'REPLACE')).toBe('ok');
    const want = await serverLibraries(s);
    expect(Object.keys(want).sort()).toEqual(['liba', 'libb']);

    // the server logged the restores it accepted: a replay of its AOF ends with its libraries
    await s.shutdown();
    const { report, engine } = await replayToMemory(s.aofDirPath, { digestCompat: '7.0' });
    expect(report.problems).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.commandsByName['FUNCTION']).toBeGreaterThanOrEqual(7);
    expect(engineLibraries(engine!)).toEqual(want);
  });
});
