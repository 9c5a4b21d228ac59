// The engine's tricky semantics, with exact expected values (each checked once against
// redis-server 7.0.15; the differential test re-proves them on random workloads), and the
// `redkit replay` / `redkit digest` commands on hand-written AOFs.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, supportedCommands } from '../../src/engine/engine.js';
import { EngineError, UnknownCommandError, UnsupportedCommandError } from '../../src/engine/errors.js';
import { formatLongDoubleHuman, parseLongDouble, timeoutArgMs } from '../../src/engine/handlers/strings.js';
import { parseScore } from '../../src/engine/handlers/zsets.js';
import { encodeDump } from '../../src/codec/dump.js';
import { Crc64 } from '../../src/codec/crc64.js';
import { runReplay, type ReplayCommandOptions } from '../../src/commands/replay.js';
import type { CommandIO } from '../../src/commands/output.js';
import { DatasetDigest } from '../../src/engine/digest.js';
import type { KeyEntry, RedisValue } from '../../src/model/value.js';
import { runCli } from '../helpers/cli.js';

const NOW = 1_700_000_000_000;
const B = (...a: (string | Buffer | number)[]): Buffer[] => a.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1')));

function engine(opts: ConstructorParameters<typeof Engine>[0] = {}): Engine & { run: (...a: (string | Buffer | number)[]) => void } {
  const e = new Engine({ now: NOW, ...opts }) as Engine & { run: (...a: (string | Buffer | number)[]) => void };
  e.run = (...a) => e.apply(B(...a));
  return e;
}

function get(e: Engine, key: string, db = e.selectedDb): KeyEntry | undefined {
  return e.entry(db, Buffer.from(key, 'latin1'));
}
function str(e: Engine, key: string, db?: number): string | undefined {
  const v = get(e, key, db)?.value;
  if (v === undefined) return undefined;
  if (v.type !== 'string') throw new Error(`${key} is a ${v.type}`);
  return v.value.toString('latin1');
}
function list(e: Engine, key: string): string[] | undefined {
  const v = get(e, key)?.value;
  if (v === undefined) return undefined;
  if (v.type !== 'list') throw new Error(`${key} is a ${v.type}`);
  return v.items.map((x) => x.toString('latin1'));
}
function members(e: Engine, key: string): string[] | undefined {
  const v = get(e, key)?.value;
  if (v === undefined) return undefined;
  if (v.type !== 'set') throw new Error(`${key} is a ${v.type}`);
  return v.members.map((x) => x.toString('latin1')).sort();
}
function hash(e: Engine, key: string): Record<string, string> | undefined {
  const v = get(e, key)?.value;
  if (v === undefined) return undefined;
  if (v.type !== 'hash') throw new Error(`${key} is a ${v.type}`);
  return Object.fromEntries(v.entries.map((x) => [x.field.toString('latin1'), x.value.toString('latin1')]));
}
const ttl = (e: Engine, key: string): number | undefined => get(e, key)?.expireMs;

function engineError(f: () => void, message?: string | RegExp): EngineError {
  let err: unknown;
  try {
    f();
  } catch (x) {
    err = x;
  }
  expect(err, 'an EngineError').toBeInstanceOf(EngineError);
  if (message !== undefined) expect((err as Error).message).toMatch(message);
  return err as EngineError;
}

describe('strings', () => {
  it('SET options: NX/XX/GET/KEEPTTL and the expiry forms', () => {
    const e = engine();
    e.run('SET', 'k', 'a', 'EX', 100);
    expect(ttl(e, 'k')).toBe(NOW + 100_000);
    e.run('SET', 'k', 'b', 'KEEPTTL');
    expect([str(e, 'k'), ttl(e, 'k')]).toEqual(['b', NOW + 100_000]);
    e.run('SET', 'k', 'c');
    expect(ttl(e, 'k')).toBe(-1);
    e.run('SET', 'k', 'd', 'NX');
    expect(str(e, 'k')).toBe('c');
    e.run('SET', 'k2', 'd', 'XX');
    expect(get(e, 'k2')).toBeUndefined();
    e.run('SET', 'k', 'e', 'PXAT', 4_000_000_000_000, 'GET', 'XX');
    expect([str(e, 'k'), ttl(e, 'k')]).toEqual(['e', 4_000_000_000_000]);
    e.run('SET', 'k', 'f', 'ex', 5, 'EX', 7); // the same option twice: the last one counts
    expect(ttl(e, 'k')).toBe(NOW + 7000);
  });

  it('SET refuses what the server refuses', () => {
    const e = engine();
    engineError(() => e.run('SET', 'k', 'v', 'NX', 'XX'), 'ERR syntax error');
    engineError(() => e.run('SET', 'k', 'v', 'EX', 1, 'PX', 1), 'ERR syntax error');
    engineError(() => e.run('SET', 'k', 'v', 'KEEPTTL', 'EX', 1), 'ERR syntax error');
    engineError(() => e.run('SET', 'k', 'v', 'EX'), 'ERR syntax error');
    engineError(() => e.run('SET', 'k', 'v', 'EX', 0), "ERR invalid expire time in 'set' command");
    engineError(() => e.run('SET', 'k', 'v', 'EX', '9223372036854775807'), 'invalid expire time');
    engineError(() => e.run('SET', 'k', 'v', 'PX', '9223372036854775807'), 'invalid expire time'); // overflows when added to now
    engineError(() => e.run('SET', 'k', 'v', 'EX', 'x'), 'ERR value is not an integer or out of range');
    engineError(() => e.run('SET', 'k'), "ERR wrong number of arguments for 'set' command");
    e.run('RPUSH', 'l', 'x');
    engineError(() => e.run('SET', 'l', 'v', 'GET'), /^WRONGTYPE/);
    e.run('SET', 'l', 'v'); // without GET, any type is overwritten
    expect(str(e, 'l')).toBe('v');
    // an option with a NUL is read as the C string before it
    e.run('SET', 'k', 'v', Buffer.from('NX\0junk', 'latin1'));
    expect(str(e, 'k')).toBe('v');
  });

  it('SETEX/PSETEX/SETNX/GETSET/GETDEL/MSET/MSETNX', () => {
    const e = engine();
    e.run('SETEX', 'a', 10, 'x');
    e.run('PSETEX', 'b', 10, 'y');
    expect([ttl(e, 'a'), ttl(e, 'b')]).toEqual([NOW + 10_000, NOW + 10]);
    engineError(() => e.run('SETEX', 'a', 0, 'x'), "invalid expire time in 'setex'");
    e.run('GETSET', 'a', 'z');
    expect([str(e, 'a'), ttl(e, 'a')]).toEqual(['z', -1]);
    e.run('SETNX', 'a', 'no');
    expect(str(e, 'a')).toBe('z');
    e.run('GETDEL', 'a');
    expect(get(e, 'a')).toBeUndefined();
    e.run('MSET', 'a', 1, 'b', 2);
    expect([str(e, 'a'), ttl(e, 'b')]).toEqual(['1', -1]); // MSET clears the TTL
    e.run('MSETNX', 'c', 3, 'a', 4);
    expect([get(e, 'c'), str(e, 'a')]).toEqual([undefined, '1']);
    engineError(() => e.run('MSET', 'a', 1, 'b'), "wrong number of arguments for 'mset'");
  });

  it('GETEX: relative, absolute (past deletes only outside loading), PERSIST', () => {
    const e = engine();
    e.run('SET', 'k', 'v');
    e.run('GETEX', 'k', 'PX', 5);
    expect(ttl(e, 'k')).toBe(NOW + 5);
    e.run('GETEX', 'k', 'PERSIST');
    expect(ttl(e, 'k')).toBe(-1);
    e.run('GETEX', 'missing', 'EX', 'garbage'); // the expiry is checked only for an existing key
    engineError(() => e.run('GETEX', 'k', 'EX', 'garbage'), 'not an integer');
    engineError(() => e.run('GETEX', 'k', 'KEEPTTL'), 'syntax error');
    e.run('GETEX', 'k', 'PXAT', 1);
    expect(ttl(e, 'k')).toBe(1); // loading: kept with its past time
    const live = engine({ loading: false, now: () => NOW });
    live.run('SET', 'k', 'v');
    live.run('GETEX', 'k', 'PXAT', 1);
    expect(get(live, 'k')).toBeUndefined();
  });

  it('INCR family: canonical integers only, overflow checks, TTL kept', () => {
    const e = engine();
    e.run('SET', 'n', 10, 'EX', 100);
    e.run('INCRBY', 'n', -15);
    expect([str(e, 'n'), ttl(e, 'n')]).toEqual(['-5', NOW + 100_000]);
    e.run('DECR', 'new');
    expect(str(e, 'new')).toBe('-1');
    for (const bad of ['007', '+1', '-0', ' 1', '1.0', '9223372036854775808', '']) {
      e.run('SET', 'x', bad);
      engineError(() => e.run('INCR', 'x'), 'ERR value is not an integer or out of range');
    }
    e.run('SET', 'x', '9223372036854775807');
    engineError(() => e.run('INCR', 'x'), 'ERR increment or decrement would overflow');
    e.run('SET', 'x', '-9223372036854775808');
    engineError(() => e.run('DECRBY', 'x', 1), 'would overflow');
    engineError(() => e.run('DECRBY', 'y', '-9223372036854775808'), 'ERR decrement would overflow');
    e.run('INCRBY', 'y', '-9223372036854775808');
    expect(str(e, 'y')).toBe('-9223372036854775808');
  });

  it('INCRBYFLOAT: x87 long double, printed with %.17Lf and trailing zeros cut', () => {
    const cases: [string, string, string][] = [
      ['0.1', '0.2', '0.3'], // long double sum 0.30000000000000000001...
      ['0', '0.000003814697265625', '0.00000381469726562'], // an exact tie, to even
      ['100000000000000000000', '1', '100000000000000000000'], // 1e20 + 1 needs 67 bits
      ['0', '-0', '0'],
      ['0', '3.0000000000000000001', '3'],
      ['0', '5.0e3', '5000'],
      ['0', '0x1.8p1', '3'],
      ['0', '-1e-18', '0'], // "-0.00000000000000000" prints as 0
      ['0', '1e-17', '0.00000000000000001'],
      ['1.5', '1', '2.5'],
    ];
    for (const [base, incr, want] of cases) {
      const e = engine();
      e.run('SET', 'f', base, 'PX', 1000);
      e.run('INCRBYFLOAT', 'f', incr);
      expect(str(e, 'f'), `${base} + ${incr}`).toBe(want);
      expect(ttl(e, 'f')).toBe(NOW + 1000);
    }
    const big = engine();
    // parsed as a long double, not as the double it names
    big.run('INCRBYFLOAT', 'max', '1.7976931348623157e308');
    expect(str(big, 'max')).toMatch(/^179769313486231569995921046774104434048386446944329178485314\d{249}$/);
    big.run('INCRBYFLOAT', 'f', '1e400');
    expect(str(big, 'f')).toMatch(/^10000000000000000000281880683947586514586453433629052038625910693539685534008629\d{321}$/);
    const e = engine();
    for (const bad of ['', ' 1', '1 ', 'nan', '1e5000', '1e-5000', '0x', '1e', 'x', '1e1\0']) {
      engineError(() => e.run('INCRBYFLOAT', 'f', bad), 'ERR value is not a valid float');
    }
    engineError(() => e.run('INCRBYFLOAT', 'f', 'inf'), 'ERR increment would produce NaN or Infinity');
    e.run('SET', 'f', '1e4932');
    engineError(() => e.run('INCRBYFLOAT', 'f', '1e4932'), 'NaN or Infinity');
    e.run('SET', 'f', 'abc');
    engineError(() => e.run('INCRBYFLOAT', 'f', '1'), 'not a valid float');
  });

  it('long double helpers', () => {
    expect(formatLongDoubleHuman(parseLongDouble(Buffer.from('5e-4951'))!)).toBe('0');
    expect(parseLongDouble(Buffer.from('5e-4952'))).toBeUndefined(); // underflows to 0: ERANGE
    expect(parseLongDouble(Buffer.from('INFINITY'))).toEqual({ kind: 'inf', neg: false });
    expect(parseLongDouble(Buffer.from('infinit'))).toBeUndefined();
    expect(formatLongDoubleHuman(parseLongDouble(Buffer.from('-0xA.8p-2'))!)).toBe('-2.625');
    expect(timeoutArgMs(Buffer.from('0.0001'))).toBe(1n); // ceil(0.1)
    expect(timeoutArgMs(Buffer.from('-0.0001'))).toBe(0n); // ceil(-0.1) = -0: not negative
    expect(() => timeoutArgMs(Buffer.from('1e30'))).toThrow('timeout is negative'); // (long long) of an out-of-range value
    expect(() => timeoutArgMs(Buffer.from('inf'))).toThrow('timeout is negative');
    expect(() => timeoutArgMs(Buffer.from('x'))).toThrow('timeout is not a float or out of range');
  });

  it('APPEND, SETRANGE, SETBIT', () => {
    const e = engine();
    e.run('APPEND', 'a', '');
    expect(str(e, 'a')).toBe(''); // an empty string key is created
    e.run('APPEND', 'a', 'xy');
    e.run('APPEND', 'a', 'z');
    expect(str(e, 'a')).toBe('xyz');
    e.run('SETRANGE', 'nokey', 5, '');
    expect(get(e, 'nokey')).toBeUndefined();
    e.run('SETRANGE', 'r', 3, 'ab');
    expect(str(e, 'r')).toBe('\0\0\0ab');
    e.run('SETRANGE', 'r', 1, 'Z');
    expect(str(e, 'r')).toBe('\0Z\0ab');
    engineError(() => e.run('SETRANGE', 'r', -1, 'x'), 'ERR offset is out of range');
    const live = engine({ loading: false });
    engineError(() => live.run('SETRANGE', 'r', 536870912, 'x'), 'proto-max-bulk-len');
    e.run('SETBIT', 'b', 9, 1);
    expect(str(e, 'b')).toBe('\x00\x40');
    e.run('SETBIT', 'b', 1, 1);
    e.run('SETBIT', 'b', 9, 0);
    expect(str(e, 'b')).toBe('\x40\x00');
    engineError(() => e.run('SETBIT', 'b', 1, 2), 'ERR bit is not an integer or out of range');
    engineError(() => live.run('SETBIT', 'b', 4294967296, 1), 'ERR bit offset is not an integer or out of range');
  });

  it('BITOP', () => {
    const e = engine();
    e.run('SET', 'x', '\x0f\xf0');
    e.run('SET', 'y', '\xff');
    e.run('SET', 'dest', 'old', 'EX', 10);
    e.run('BITOP', 'AND', 'dest', 'x', 'y');
    expect([str(e, 'dest'), ttl(e, 'dest')]).toEqual(['\x0f\x00', -1]);
    e.run('BITOP', 'or', 'dest', 'x', 'y', 'missing');
    expect(str(e, 'dest')).toBe('\xff\xf0');
    e.run('BITOP', 'NOT', 'dest', 'x');
    expect(str(e, 'dest')).toBe('\xf0\x0f');
    e.run('BITOP', 'XOR', 'dest', 'nothing', 'missing');
    expect(get(e, 'dest')).toBeUndefined(); // all sources empty: the destination goes
    engineError(() => e.run('BITOP', 'NOT', 'dest', 'x', 'y'), 'single source key');
    engineError(() => e.run('BITOP', 'NAND', 'dest', 'x'), 'syntax error');
    e.run('RPUSH', 'l', 'a');
    engineError(() => e.run('BITOP', 'AND', 'dest', 'x', 'l'), /^WRONGTYPE/);
  });

  it('BITFIELD: overflow modes, signed values, #offsets, padding', () => {
    const e = engine();
    e.run('BITFIELD', 'b', 'INCRBY', 'u8', 0, 300);
    expect(str(e, 'b')).toBe('\x2c'); // WRAP: 300 & 255 = 44
    e.run('BITFIELD', 'b', 'OVERFLOW', 'SAT', 'INCRBY', 'u8', 0, 300);
    expect(str(e, 'b')).toBe('\xff');
    // FAIL: nothing written, but the string is still padded to hold the field
    e.run('BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', 8, 300);
    expect(str(e, 'b')).toBe('\xff\x00');
    e.run('BITFIELD', 'b', 'SET', 'i8', '#1', -1);
    expect(str(e, 'b')).toBe('\xff\xff');
    e.run('BITFIELD', 'b', 'OVERFLOW', 'SAT', 'INCRBY', 'i4', 0, -100);
    expect(str(e, 'b')).toBe('\x8f\xff'); // i4 at 0 saturates at -8
    e.run('BITFIELD', 'c', 'SET', 'i64', 0, '-9223372036854775808', 'INCRBY', 'i64', 0, -1);
    expect(str(e, 'c')).toBe('\x7f\xff\xff\xff\xff\xff\xff\xff'); // wraps to INT64_MAX
    e.run('BITFIELD', 'ro', 'GET', 'u8', 100);
    expect(get(e, 'ro')).toBeUndefined(); // GET only: nothing created
    engineError(() => e.run('BITFIELD', 'b', 'GET', 'u64', 0), 'Invalid bitfield type');
    engineError(() => e.run('BITFIELD', 'b', 'OVERFLOW', 'NOPE'), 'Invalid OVERFLOW type');
    engineError(() => e.run('BITFIELD', 'b', 'SET', 'u8', -1, 1), 'bit offset');
    engineError(() => e.run('BITFIELD', 'b', 'INCRBY', 'u8', 0), 'syntax error');
  });
});

describe('keys, expiry and the loading rule', () => {
  it('loading (the default): nothing expires, past times are set, not deleted', () => {
    const e = engine();
    e.run('SET', 'k', 'v', 'PXAT', 1);
    e.run('APPEND', 'k', 'x');
    expect([str(e, 'k'), ttl(e, 'k')]).toEqual(['vx', 1]);
    e.run('SET', 'p', 'v');
    e.run('EXPIRE', 'p', -10);
    expect(ttl(e, 'p')).toBe(NOW - 10_000);
    e.run('PEXPIREAT', 'p', -1);
    expect(ttl(e, 'p')).toBe(-2); // an expiry of -1 ms: reported as "already expired", not as "none"
    expect([...e.entries({ now: NOW })].map((x) => x.key.toString())).toEqual([]);
    expect(e.keysPerDb()).toEqual({ '0': 2 });
    expect(e.keysPerDb(NOW)).toEqual({});
  });

  it('live mode: a key whose TTL has passed is absent, and past times delete', () => {
    let now = NOW;
    const e = engine({ loading: false, now: () => now });
    e.run('SET', 'k', 'v', 'PX', 10);
    now += 11;
    e.run('APPEND', 'k', 'x');
    expect([str(e, 'k'), ttl(e, 'k')]).toEqual(['x', -1]);
    e.run('EXPIRE', 'k', 0);
    expect(get(e, 'k')).toBeUndefined();
    e.run('SET', 'k', 'v');
    e.run('EXPIREAT', 'k', 1);
    expect(get(e, 'k')).toBeUndefined();
  });

  it('EXPIRE options NX/XX/GT/LT', () => {
    const e = engine();
    e.run('SET', 'k', 'v');
    e.run('EXPIRE', 'k', 100, 'XX');
    expect(ttl(e, 'k')).toBe(-1);
    e.run('EXPIRE', 'k', 100, 'GT'); // no TTL counts as infinite: GT never applies
    expect(ttl(e, 'k')).toBe(-1);
    e.run('EXPIRE', 'k', 100, 'LT');
    expect(ttl(e, 'k')).toBe(NOW + 100_000);
    e.run('EXPIRE', 'k', 50, 'NX');
    expect(ttl(e, 'k')).toBe(NOW + 100_000);
    e.run('PEXPIRE', 'k', 200_000, 'gt', 'xx');
    expect(ttl(e, 'k')).toBe(NOW + 200_000);
    engineError(() => e.run('EXPIRE', 'k', 1, 'NX', 'GT'), 'NX and XX, GT or LT');
    engineError(() => e.run('EXPIRE', 'k', 1, 'GT', 'LT'), 'GT and LT');
    engineError(() => e.run('EXPIRE', 'k', 1, 'ZZ'), 'ERR Unsupported option ZZ');
    engineError(() => e.run('EXPIRE', 'k', '9223372036854775807'), "invalid expire time in 'expire'");
    e.run('EXPIRE', 'missing', 5);
    expect(get(e, 'missing')).toBeUndefined();
    e.run('PERSIST', 'k');
    expect(ttl(e, 'k')).toBe(-1);
  });

  it('RENAME, RENAMENX, MOVE, COPY keep the TTL; errors as the server', () => {
    const e = engine();
    e.run('SET', 'a', '1', 'EX', 5);
    e.run('RENAME', 'a', 'a'); // same key: nothing, but it must exist
    engineError(() => e.run('RENAME', 'nope', 'x'), 'ERR no such key');
    engineError(() => e.run('RENAMENX', 'nope', 'nope'), 'ERR no such key');
    e.run('SET', 'b', '2');
    e.run('RENAMENX', 'a', 'b');
    expect(str(e, 'a')).toBe('1');
    e.run('RENAME', 'a', 'b');
    expect([get(e, 'a'), str(e, 'b'), ttl(e, 'b')]).toEqual([undefined, '1', NOW + 5000]);
    e.run('MOVE', 'b', 3);
    expect([get(e, 'b'), str(e, 'b', 3), ttl(e, 'b')]).toEqual([undefined, '1', undefined]);
    expect(get(e, 'b', 3)?.expireMs).toBe(NOW + 5000);
    engineError(() => e.run('MOVE', 'b', 0), 'same');
    engineError(() => e.run('MOVE', 'b', 16), 'DB index is out of range');
    e.run('RPUSH', 'l', 'x', 'y');
    e.run('COPY', 'l', 'l2');
    e.run('RPUSH', 'l', 'z'); // a deep copy
    expect([list(e, 'l'), list(e, 'l2')]).toEqual([['x', 'y', 'z'], ['x', 'y']]);
    e.run('COPY', 'l', 'l2');
    expect(list(e, 'l2')).toEqual(['x', 'y']);
    e.run('COPY', 'l', 'l2', 'REPLACE', 'DB', 0);
    expect(list(e, 'l2')).toEqual(['x', 'y', 'z']);
    engineError(() => e.run('COPY', 'l', 'l'), 'same');
    engineError(() => e.run('COPY', 'l', 'x', 'DB'), 'syntax error');
    e.run('SELECT', 3);
    e.run('COPY', 'b', 'b', 'DB', 0);
    expect(get(e, 'b', 0)?.expireMs).toBe(NOW + 5000);
  });

  it('RESTORE: payloads of every engine type, ABSTTL, REPLACE, BUSYKEY, bad payloads', () => {
    const e = engine();
    const dump = (v: RedisValue) => encodeDump(v, { version: 10 });
    e.apply([...B('RESTORE', 's', 0), dump({ type: 'string', value: Buffer.from('hi') })]);
    e.apply([...B('RESTORE', 'l', 5000), dump({ type: 'list', items: [Buffer.from('a'), Buffer.from('1')] })]);
    e.apply([...B('RESTORE', 'h', 4_000_000_000_000), dump({ type: 'hash', entries: [{ field: Buffer.from('f'), value: Buffer.from('v') }] }), ...B('ABSTTL', 'IDLETIME', 5)]);
    e.apply([...B('RESTORE', 'S', 0), dump({ type: 'set', members: [Buffer.from('1'), Buffer.from('2')] }), ...B('FREQ', 3)]);
    e.apply([...B('RESTORE', 'z', 0), dump({ type: 'zset', entries: [{ member: Buffer.from('m'), score: 1.5 }] })]);
    expect([str(e, 's'), list(e, 'l'), ttl(e, 'l'), hash(e, 'h'), ttl(e, 'h'), members(e, 'S'), get(e, 'z')?.value.type]).toEqual([
      'hi',
      ['a', '1'],
      NOW + 5000,
      { f: 'v' },
      4_000_000_000_000,
      ['1', '2'],
      'zset',
    ]);
    const p = dump({ type: 'string', value: Buffer.from('x') });
    engineError(() => e.apply([...B('RESTORE', 's', 0), p]), /^BUSYKEY/);
    e.apply([...B('RESTORE', 's', 0), p, ...B('REPLACE')]);
    expect(str(e, 's')).toBe('x');
    const bad = Buffer.from(p);
    bad[bad.length - 1]! ^= 1;
    engineError(() => e.apply([...B('RESTORE', 'n', 0), bad]), 'ERR DUMP payload version or checksum are wrong');
    // an empty set (RDB_TYPE_SET, length 0): Redis's loader calls it an empty key
    const empty = Buffer.alloc(12);
    empty.set([2, 0, 10, 0]);
    new Crc64().update(empty, 0, 4).writeLE(empty, 4);
    engineError(() => e.apply([...B('RESTORE', 'n', 0), empty]), 'ERR Bad data format');
    engineError(() => e.apply([...B('RESTORE', 'n', -1), p]), 'Invalid TTL');
    engineError(() => e.apply([...B('RESTORE', 'n', 0), p, ...B('IDLETIME', 1, 'FREQ', 1)]), 'syntax error');
    engineError(() => e.apply([...B('RESTORE', 'n', 0), p, ...B('FREQ', 256)]), 'Invalid FREQ');
    const live = engine({ loading: false });
    live.apply([...B('RESTORE', 'old', 1), p, ...B('ABSTTL')]); // already expired: not added
    expect(get(live, 'old')).toBeUndefined();
  });
});

describe('server commands, MULTI/EXEC, refusals', () => {
  it('SELECT, SWAPDB (clients stay on their index), FLUSHDB, FLUSHALL', () => {
    const e = engine();
    e.run('SET', 'a', 0);
    e.run('SELECT', 1);
    e.run('SET', 'b', 1);
    e.run('SWAPDB', 0, 1);
    expect([str(e, 'a'), str(e, 'b', 0)]).toEqual(['0', '1']); // db 1 now holds 'a'
    e.run('FLUSHDB', 'ASYNC');
    expect(e.keysPerDb()).toEqual({ '0': 1 });
    e.run('FLUSHALL');
    expect(e.keysPerDb()).toEqual({});
    engineError(() => e.run('SELECT', 16), 'DB index is out of range');
    engineError(() => e.run('SWAPDB', 0, 'x'), 'invalid second DB index');
    engineError(() => e.run('FLUSHALL', 'NOW'), 'syntax error');
    const small = engine({ databases: 2 });
    engineError(() => small.run('SELECT', 2), 'DB index is out of range');
  });

  it('MULTI/EXEC: applied at EXEC; an open MULTI at the end is discarded', () => {
    const e = engine();
    e.apply(B('MULTI'), 10);
    e.apply(B('SET', 'k', 'v'), 20);
    e.apply(B('SELECT', 2), 30);
    expect(get(e, 'k')).toBeUndefined();
    e.apply(B('EXEC'), 40);
    expect([str(e, 'k', 0), e.selectedDb]).toEqual(['v', 2]);
    e.run('MULTI');
    e.run('SET', 'x', 'y');
    expect(e.endFile()).toBe(true);
    expect(get(e, 'x')).toBeUndefined();
    engineError(() => e.run('EXEC'), 'EXEC without MULTI');
    e.run('MULTI');
    engineError(() => e.run('MULTI'), 'can not be nested');
    e.beginFile();
    expect([e.inMulti, e.selectedDb]).toEqual([false, 0]);
    // an error inside EXEC names the queued command and its offset
    e.apply(B('MULTI'), 100);
    e.apply(B('RPUSH', 'l', 'a'), 110);
    e.apply(B('INCR', 'l'), 120);
    const err = engineError(() => e.apply(B('EXEC'), 130), /^WRONGTYPE/);
    expect([err.command, err.offset]).toEqual(['INCR', 120]);
  });

  it('unknown and unsupported commands are refused, never skipped', () => {
    const e = engine();
    const refuse = (args: (string | number)[], re: RegExp) => {
      let err: unknown;
      try {
        e.apply(B(...args), 77);
      } catch (x) {
        err = x;
      }
      expect(err, args.join(' ')).toBeInstanceOf(UnsupportedCommandError);
      expect((err as Error).message).toMatch(re);
      expect((err as UnsupportedCommandError).offset).toBe(77);
    };
    refuse(['EVAL', 'return 1', 0], /verbatim script/);
    refuse(['EVALSHA', 'abc', 0], /verbatim script/);
    refuse(['FCALL', 'f', 0], /verbatim script/);
    refuse(['ZSCORE', 'z', 'm'], /sorted-set command/);
    refuse(['XRANGE', 's', '-', '+'], /stream command \(read-only/);
    refuse(['PFSELFTEST'], /read-only HyperLogLog\/geo/);
    refuse(['GEOPOS', 'g', 'm'], /read-only HyperLogLog\/geo/);
    refuse(['FOO'], /unknown command 'FOO'/);
    refuse(['FUNCTION', 'DUMP'], /FUNCTION DUMP/);
    e.run('SADD', 's', 'a', 'b');
    refuse(['SPOP', 's'], /random/);
    refuse(['SPOP', 's', 1], /random/);
    expect(e.inMulti).toBe(false);
    // deterministic SPOPs are applied
    e.run('SPOP', 's', 0);
    e.run('SPOP', 'missing');
    e.run('SPOP', 's', 2);
    expect(get(e, 's')).toBeUndefined();
    e.run('SADD', 's', 'only');
    e.run('SPOP', 's');
    expect(get(e, 's')).toBeUndefined();
    // unknown inside MULTI: refused when queued (Redis looks commands up as it reads them)
    e.run('MULTI');
    expect(() => e.run('XLEN', 's')).toThrow(UnknownCommandError);
  });

  it('FUNCTION LOAD/DELETE/FLUSH keep libraries as source; SCRIPT changes nothing', () => {
    const e = engine();
    const lib = (name: string) => `#!lua name=${name}\nredis.register_function('f_${name}', function() return 1 end)`;
    e.run('FUNCTION', 'LOAD', lib('one'));
    engineError(() => e.run('FUNCTION', 'LOAD', lib('one')), "Library 'one' already exists");
    e.run('function', 'load', 'REPLACE', lib('one'));
    e.run('FUNCTION', 'LOAD', lib('two'));
    expect([...e.functions.keys()]).toEqual(['one', 'two']);
    e.run('FUNCTION', 'DELETE', 'one');
    engineError(() => e.run('FUNCTION', 'DELETE', 'one'), 'Library not found');
    engineError(() => e.run('FUNCTION', 'LOAD', 'return 1'), 'Missing library metadata');
    engineError(() => e.run('FUNCTION', 'LOAD', '#!lua\nreturn 1'), 'Library name was not given');
    engineError(() => e.run('FUNCTION', 'LOAD', '#!js name=x\nreturn 1'), "Engine 'js' not found");
    engineError(() => e.run('FUNCTION', 'LOAD', '#!lua name=a-b\nreturn 1'), 'Library names can only contain');
    e.run('FUNCTION', 'FLUSH', 'SYNC');
    expect(e.functions.size).toBe(0);
    e.run('SCRIPT', 'LOAD', 'return 1');
    e.run('SCRIPT', 'FLUSH');
    expect(e.keysPerDb()).toEqual({});
  });
});

describe('lists', () => {
  it('push, insert, set, remove, trim, pop with counts, empty lists deleted', () => {
    const e = engine();
    e.run('RPUSH', 'l', 'a', 'b', 'c');
    e.run('LPUSH', 'l', 'z', 'y'); // y z a b c
    e.run('LPUSHX', 'none', 'x');
    expect([list(e, 'l'), get(e, 'none')]).toEqual([['y', 'z', 'a', 'b', 'c'], undefined]);
    e.run('LINSERT', 'l', 'BEFORE', 'a', 'A');
    e.run('LINSERT', 'l', 'after', 'c', 'C');
    e.run('LINSERT', 'l', 'AFTER', 'nope', 'X');
    expect(list(e, 'l')).toEqual(['y', 'z', 'A', 'a', 'b', 'c', 'C']);
    engineError(() => e.run('LINSERT', 'l', 'MIDDLE', 'a', 'x'), 'syntax error');
    e.run('LSET', 'l', -1, 'last');
    engineError(() => e.run('LSET', 'l', 7, 'x'), 'ERR index out of range');
    engineError(() => e.run('LSET', 'none', 0, 'x'), 'ERR no such key');
    e.run('RPUSH', 'l', 'a', 'a');
    e.run('LREM', 'l', -2, 'a'); // the last two
    expect(list(e, 'l')).toEqual(['y', 'z', 'A', 'a', 'b', 'c', 'last']);
    e.run('LTRIM', 'l', 1, -2);
    expect(list(e, 'l')).toEqual(['z', 'A', 'a', 'b', 'c']);
    e.run('LTRIM', 'l', '-9223372036854775808', '9223372036854775807');
    expect(list(e, 'l')).toHaveLength(5);
    e.run('LPOP', 'l', 2);
    e.run('RPOP', 'l');
    expect(list(e, 'l')).toEqual(['a', 'b']);
    e.run('LPOP', 'l', 0);
    engineError(() => e.run('LPOP', 'l', -1), 'must be positive');
    engineError(() => e.run('LPOP', 'l', 1, 2), 'wrong number of arguments');
    e.run('RPOP', 'l', 100);
    expect(get(e, 'l')).toBeUndefined();
    e.run('SET', 's', 'x');
    engineError(() => e.run('LPOP', 's', 0), /^WRONGTYPE/); // the type is checked before count 0 returns
    e.run('RPUSH', 'l', 'a');
    e.run('LTRIM', 'l', 1, 0);
    expect(get(e, 'l')).toBeUndefined();
  });

  it('LMOVE/RPOPLPUSH (also on one key), LMPOP, blocking forms as the AOF client runs them', () => {
    const e = engine();
    e.run('RPUSH', 'l', 'a', 'b', 'c');
    e.run('LMOVE', 'l', 'l', 'LEFT', 'RIGHT');
    expect(list(e, 'l')).toEqual(['b', 'c', 'a']);
    e.run('RPOPLPUSH', 'l', 'm');
    expect([list(e, 'l'), list(e, 'm')]).toEqual([['b', 'c'], ['a']]);
    e.run('SET', 'str', 'x');
    engineError(() => e.run('LMOVE', 'l', 'str', 'LEFT', 'LEFT'), /^WRONGTYPE/);
    expect(list(e, 'l')).toEqual(['b', 'c']); // nothing popped
    e.run('LMOVE', 'm', 'n', 'RIGHT', 'LEFT');
    expect([get(e, 'm'), list(e, 'n')]).toEqual([undefined, ['a']]);
    e.run('LMPOP', 3, 'none', 'l', 'n', 'RIGHT', 'COUNT', 5);
    expect([get(e, 'l'), list(e, 'n')]).toEqual([undefined, ['a']]);
    engineError(() => e.run('LMPOP', 2, 'none', 'str', 'LEFT'), /^WRONGTYPE/);
    engineError(() => e.run('LMPOP', 0, 'n', 'LEFT'), 'numkeys should be greater than 0');
    engineError(() => e.run('LMPOP', 2, 'n', 'LEFT'), 'syntax error');
    engineError(() => e.run('LMPOP', 1, 'n', 'LEFT', 'COUNT', 1, 'COUNT', 1), 'syntax error');
    e.run('BLPOP', 'none', 'n', 0);
    expect(get(e, 'n')).toBeUndefined();
    e.run('BRPOP', 'none', 0); // would block: the AOF client may not, so nothing happens
    e.run('BLMOVE', 'none', 'x', 'LEFT', 'LEFT', 0);
    e.run('BRPOPLPUSH', 'none', 'x', 1);
    e.run('BLMPOP', 0, 1, 'none', 'LEFT');
    engineError(() => e.run('BLPOP', 'none', -1), 'timeout is negative');
    e.run('RPUSH', 'p', '1', '2', '3');
    e.run('BLMPOP', '0.5', 1, 'p', 'LEFT', 'COUNT', 2);
    expect(list(e, 'p')).toEqual(['3']);
  });
});

describe('sets and hashes', () => {
  it('SADD/SREM/SMOVE and the STORE commands (the TTL of the destination goes)', () => {
    const e = engine();
    e.run('SADD', 'a', 1, 2, 3, 'x');
    e.run('SADD', 'b', 2, 3, 4);
    e.run('SET', 'd', 'v', 'EX', 100);
    e.run('SINTERSTORE', 'd', 'a', 'b');
    expect([members(e, 'd'), ttl(e, 'd')]).toEqual([['2', '3'], -1]);
    e.run('SDIFFSTORE', 'd', 'a', 'b', 'missing');
    expect(members(e, 'd')).toEqual(['1', 'x']);
    e.run('SUNIONSTORE', 'd', 'a', 'missing', 'b');
    expect(members(e, 'd')).toHaveLength(5);
    e.run('SINTERSTORE', 'd', 'a', 'missing');
    expect(get(e, 'd')).toBeUndefined();
    e.run('SDIFFSTORE', 'd', 'a', 'a');
    expect(get(e, 'd')).toBeUndefined();
    e.run('SET', 'str', 'v');
    engineError(() => e.run('SINTERSTORE', 'd', 'missing', 'str'), /^WRONGTYPE/); // every key is type-checked
    e.run('SMOVE', 'a', 'c', 'x');
    e.run('SMOVE', 'a', 'a', '1');
    expect([members(e, 'a'), members(e, 'c')]).toEqual([['1', '2', '3'], ['x']]);
    e.run('SMOVE', 'c', 'b', 'x');
    expect(get(e, 'c')).toBeUndefined();
    e.run('SMOVE', 'missing', 'str', 'x'); // a missing source returns before any type check
    engineError(() => e.run('SMOVE', 'a', 'str', '1'), /^WRONGTYPE/);
    e.run('SREM', 'b', 2, 3, 4, 'x');
    expect(get(e, 'b')).toBeUndefined();
  });

  it('HSET/HMSET/HSETNX/HDEL/HINCRBY/HINCRBYFLOAT', () => {
    const e = engine();
    e.run('HSET', 'h', 'a', 1, 'b', 2, 'a', 3);
    e.run('HMSET', 'h', 'c', 'x');
    e.run('HSETNX', 'h', 'c', 'no');
    e.run('HSETNX', 'h2', 'f', 'v');
    expect([hash(e, 'h'), hash(e, 'h2')]).toEqual([{ a: '3', b: '2', c: 'x' }, { f: 'v' }]);
    engineError(() => e.run('HSET', 'h', 'a', 1, 'b'), "wrong number of arguments for 'hset'");
    e.run('HINCRBY', 'h', 'a', -10);
    e.run('HINCRBY', 'h', 'n', 5);
    engineError(() => e.run('HINCRBY', 'h', 'c', 1), 'hash value is not an integer');
    e.run('HSET', 'h', 'm', '9223372036854775807');
    engineError(() => e.run('HINCRBY', 'h', 'm', 1), 'would overflow');
    e.run('HINCRBYFLOAT', 'h', 'b', '0.5');
    e.run('HINCRBYFLOAT', 'h', 'z', '1e1');
    engineError(() => e.run('HINCRBYFLOAT', 'h', 'c', 1), 'hash value is not a float');
    engineError(() => e.run('HINCRBYFLOAT', 'h', 'b', 'inf'), 'ERR value is NaN or Infinity');
    expect(hash(e, 'h')).toEqual({ a: '-7', b: '2.5', c: 'x', n: '5', m: '9223372036854775807', z: '10' });
    e.run('HDEL', 'h', 'a', 'b', 'c', 'n', 'm', 'z', 'extra');
    expect(get(e, 'h')).toBeUndefined();
    e.run('SET', 's', 'v');
    engineError(() => e.run('HSETNX', 's', 'f', 'v'), /^WRONGTYPE/);
  });
});

describe('loading RDB entries and walking the keyspace', () => {
  const entry = (key: string, value: RedisValue, extra: Partial<KeyEntry> = {}): KeyEntry => ({
    db: 0,
    key: Buffer.from(key),
    value,
    expireMs: -1,
    rdbType: 0,
    offset: 0,
    size: 0,
    ...extra,
  });

  it('copies buffers, skips empty collections, refuses duplicates, keeps other types as loaded', () => {
    const e = engine();
    const buf = Buffer.from('value');
    expect(e.loadEntry(entry('s', { type: 'string', value: buf }, { expireMs: NOW + 5 }))).toBe(true);
    buf.write('XXXXX');
    expect([str(e, 's'), ttl(e, 's')]).toEqual(['value', NOW + 5]);
    expect(e.loadEntry(entry('empty', { type: 'list', items: [] }))).toBe(false);
    expect(() => e.loadEntry(entry('s', { type: 'string', value: Buffer.from('again') }))).toThrow(EngineError);
    expect(() => e.loadEntry(entry('far', { type: 'string', value: Buffer.from('x') }, { db: 16 }))).toThrow(/16 databases/);
    const z = entry('z', { type: 'zset', entries: [{ member: Buffer.from('m'), score: -0 }] }, { rdbType: 17 });
    e.loadEntry(z);
    e.run('COPY', 'z', 'z2');
    e.run('RENAME', 'z', 'z3');
    expect([get(e, 'z2')?.rdbType, get(e, 'z3')?.value]).toEqual([17, z.value]);
    engineError(() => e.run('SADD', 'z3', 'x'), /^WRONGTYPE/);
    // the digest of the walk equals the digest of the entries as loaded
    const d1 = new DatasetDigest({ compat: '7.0' });
    d1.add(entry('s', { type: 'string', value: Buffer.from('value') }, { expireMs: NOW + 5 }));
    d1.add({ ...z, key: Buffer.from('z2') });
    d1.add({ ...z, key: Buffer.from('z3') });
    const d2 = new DatasetDigest({ compat: '7.0' });
    for (const x of e.entries()) d2.add(x);
    expect(d2.hex()).toBe(d1.hex());
  });

  it('entries() picks the RDB type Redis would encode the value with', () => {
    const e = engine();
    e.run('SADD', 'ints', 1, 2, -3);
    e.run('SADD', 'strs', 1, 'a');
    e.run('HSET', 'small', 'f', 'v');
    e.run('HSET', 'wide', 'f', 'v'.repeat(65));
    e.run('RPUSH', 'l', 'x');
    e.run('SET', 's', 'x');
    const types = Object.fromEntries([...e.entries()].map((x) => [x.key.toString(), x.rdbType]));
    expect(types).toEqual({ ints: 11, strs: 2, small: 16, wide: 4, l: 18, s: 0 });
  });

  it('hashes with field TTLs (7.4 RDB) are kept with their TTLs, and hash commands apply to them', () => {
    const e = engine();
    e.loadEntry(entry('h', { type: 'hash', entries: [{ field: Buffer.from('f'), value: Buffer.from('v'), expireMs: NOW + 1 }] }, { rdbType: 24 }));
    e.run('HSET', 'h', 'g', 'w');
    const v = get(e, 'h')!.value;
    if (v.type !== 'hash') throw new Error('not a hash');
    expect(v.entries.map((x) => [x.field.toString(), x.value.toString(), x.expireMs])).toEqual([
      ['f', 'v', NOW + 1],
      ['g', 'w', undefined],
    ]);
    e.run('DEL', 'h');
    expect(get(e, 'h')).toBeUndefined();
  });

  it('covers the commands of the brief', () => {
    const cmds = supportedCommands();
    for (const c of ['SET', 'BITFIELD', 'RESTORE', 'COPY', 'SWAPDB', 'FUNCTION LOAD', 'SCRIPT FLUSH', 'LMPOP', 'BLMPOP', 'SDIFFSTORE', 'HINCRBYFLOAT']) expect(cmds).toContain(c);
    for (const c of ['XADD', 'XTRIM', 'XDEL', 'XSETID', 'XGROUP CREATE', 'XACK', 'XCLAIM', 'XAUTOCLAIM', 'XREADGROUP', 'PFADD', 'PFMERGE', 'PFCOUNT', 'GEOADD', 'GEOSEARCHSTORE', 'HEXPIRE', 'HPEXPIREAT', 'HPERSIST', 'HGETEX', 'HSETEX', 'HGETDEL', 'SORT']) expect(cmds).toContain(c);
    for (const c of ['ZADD', 'ZINCRBY', 'ZREM', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX', 'ZREMRANGEBYRANK', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZRANGESTORE', 'ZPOPMIN', 'ZPOPMAX', 'BZPOPMIN', 'BZPOPMAX', 'ZMPOP', 'BZMPOP']) expect(cmds).toContain(c);
  });
});

describe('sorted sets', () => {
  /** [member, score] pairs in order; scores as Object.is sees them (-0 stays -0) */
  function zset(e: Engine, key: string): [string, number][] | undefined {
    const v = get(e, key)?.value;
    if (v === undefined) return undefined;
    if (v.type !== 'zset') throw new Error(`${key} is a ${v.type}`);
    return v.entries.map((x) => [x.member.toString('latin1'), x.score]);
  }
  const isNegZero = (x: number | undefined) => Object.is(x, -0);
  const L65 = 'L'.repeat(65);

  it('ZADD: flags, score parsing like strtod, ordering by score then member bytes', () => {
    const e = engine();
    e.run('ZADD', 'z', '1', 'b', '1', 'a', '1', Buffer.from([0xff]), '1', Buffer.from([0]), '0x1p-1', 'h', '-INF', 'lo', '+infinity', 'hi', '1e-320', 'tiny');
    expect(zset(e, 'z')).toEqual([['lo', -Infinity], ['tiny', 1e-320], ['h', 0.5], ['\x00', 1], ['a', 1], ['b', 1], ['\xff', 1], ['hi', Infinity]]);
    for (const bad of ['nan', '1e400', '-1e400', '1e-400', '', ' 1', '1 ', '1e', '0x', 'inf ', '1\x002', 'infinit']) {
      engineError(() => e.run('ZADD', 'z', bad, 'x'), /^ERR value is not a valid float$/);
    }
    e.run('ZADD', 'z', 'XX', 'CH', '7', 'a', '8', 'new'); // XX: no new members
    e.run('ZADD', 'z', 'NX', '9', 'a', '9', 'n2'); // NX: no updates
    e.run('ZADD', 'z', 'GT', '5', 'a', '10', 'b'); // GT: only increases (a 7 -> kept)
    e.run('ZADD', 'z', 'LT', '-1', 'hi', '3', 'h'); // LT: only decreases
    expect(zset(e, 'z')!.filter(([m]) => ['a', 'b', 'n2', 'hi', 'h', 'new'].includes(m))).toEqual([['hi', -1], ['h', 0.5], ['a', 7], ['n2', 9], ['b', 10]]);
    engineError(() => e.run('ZADD', 'z', 'NX', 'XX', '1', 'a'), /XX and NX options at the same time are not compatible/);
    engineError(() => e.run('ZADD', 'z', 'GT', 'LT', '1', 'a'), /GT, LT, and\/or NX/);
    engineError(() => e.run('ZADD', 'z', 'NX', 'GT', '1', 'a'), /GT, LT, and\/or NX/);
    engineError(() => e.run('ZADD', 'z', 'INCR', '1', 'a', '2', 'b'), /INCR option supports a single increment-element pair/);
    engineError(() => e.run('ZADD', 'z', '1', 'a', '2'), /^ERR syntax error$/);
    engineError(() => e.run('ZADD', 'z', 'CH', '1'), /^ERR syntax error$/);
    e.run('ZADD', 'missing', 'XX', '1', 'a');
    expect(get(e, 'missing')).toBeUndefined();
    e.run('SET', 's', 'x');
    engineError(() => e.run('ZADD', 's', '1', 'a'), /^WRONGTYPE/);
    engineError(() => e.run('ZADD', 's', 'x', 'a'), /not a valid float/); // scores are parsed before the key is looked up
  });

  it('score parsing: strtod edge cases (checked against ZADD on redis-server 7.0.15)', () => {
    const ok: [string, number][] = [
      ['0x.8', 0.5], ['0x1.', 1], ['1.e5', 100000], ['+.5', 0.5], ['-.5e-2', -0.005], ['INFINITY', Infinity], ['-infinity', -Infinity],
      ['0x1P-1074', 5e-324], ['2.4703282292062328e-324', 5e-324], ['1.7976931348623158e308', 1.7976931348623157e308], ['0X1P+3', 8], ['00012', 12], ['-0x0', -0],
    ];
    for (const [t, v] of ok) expect([t, parseScore(Buffer.from(t, 'latin1'))]).toEqual([t, v]);
    for (const t of ['0x1p', '.e5', '-nan', 'nan(123)', '0x1p-1075', '0x1p1024', '0x1.fffffffffffff8p1023', '2.4703282292062327e-324', '1.7976931348623159e308', '0x', '1e+', '0xg']) {
      expect([t, parseScore(Buffer.from(t, 'latin1'))]).toEqual([t, undefined]);
    }
  });

  it('ZINCRBY / INCR: inf + -inf is a NaN error that changes nothing; GT/LT with INCR', () => {
    const e = engine();
    e.run('ZINCRBY', 'z', 'inf', 'm');
    engineError(() => e.run('ZINCRBY', 'z', '-inf', 'm'), /^ERR resulting score is not a number \(NaN\)$/);
    engineError(() => e.run('ZADD', 'z', 'INCR', '-inf', 'm'), /resulting score is not a number/);
    e.run('ZINCRBY', 'z', '2.5', 'n');
    e.run('ZINCRBY', 'z', '0.1', 'n');
    e.run('ZADD', 'z', 'GT', 'INCR', '-1', 'n'); // 2.6 - 1 is not greater: kept
    expect(zset(e, 'z')).toEqual([['n', 2.6], ['m', Infinity]]);
    engineError(() => e.run('ZINCRBY', 'z', 'nan', 'n'), /not a valid float/);
    engineError(() => e.run('ZINCRBY', 'z', 'nx', 'n'), /^ERR syntax error$/); // the flag parser reads argv[2]
  });

  it('-0: a listpack stores it as 0, a skiplist keeps it (and 0 does not update -0)', () => {
    const e = engine();
    e.run('ZADD', 'small', '-0', 'm');
    expect(isNegZero(zset(e, 'small')![0]![1])).toBe(false);
    expect(get(e, 'small')!.rdbType).toBe(17);
    e.run('ZADD', 'big', '1', L65, '-0', 'm'); // the first member is long: created as a skiplist
    e.run('ZREM', 'big', L65);
    e.run('ZADD', 'big', '0', 'm'); // 0 == -0: no update
    expect(isNegZero(zset(e, 'big')![0]![1])).toBe(true);
    // a small skiplist is reported as a listpack type, so the digest keeps the -0 the server prints
    expect(get(e, 'big')!.rdbType).toBe(17);
    e.run('ZUNIONSTORE', 'u', '1', 'big'); // store results small enough become listpacks
    expect(isNegZero(zset(e, 'u')![0]![1])).toBe(false);
    e.run('ZRANGESTORE', 'r', 'big', '0', '-1'); // a listpack destination
    expect(isNegZero(zset(e, 'r')![0]![1])).toBe(false);
    e.run('ZADD', 'long', '-0', L65);
    expect([isNegZero(zset(e, 'long')![0]![1]), get(e, 'long')!.rdbType]).toEqual([true, 5]);
    // 129 members: converted to a skiplist on the 129th insert
    e.run('ZADD', 'many', ...Array.from({ length: 129 }, (_, i) => ['-0', `m${i}`]).flat());
    const many = zset(e, 'many')!;
    expect([many.length, many.filter(([, s]) => isNegZero(s)).length, get(e, 'many')!.rdbType]).toEqual([129, 1, 5]);
  });

  it('ZREM and ZREMRANGEBYSCORE/BYLEX/BYRANK: bounds, exclusive ranges, empty keys deleted', () => {
    const e = engine();
    const fill = () => e.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', 'inf', 'e');
    fill();
    e.run('ZREMRANGEBYSCORE', 'z', '(1', '3');
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['a', 'd', 'e']);
    e.run('ZREMRANGEBYSCORE', 'z', '(inf', '+inf'); // empty range
    e.run('ZREMRANGEBYSCORE', 'z', '4', '(4'); // empty range
    e.run('ZREMRANGEBYSCORE', 'z', ' 4', '1e400'); // strtod: leading space and overflow are accepted in ranges
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['a']);
    e.run('ZREMRANGEBYSCORE', 'z', '(', '1\x00junk'); // "(" is 0, exclusive; bytes after a NUL are ignored
    expect(get(e, 'z')).toBeUndefined();
    for (const [min, max] of [['x', '1'], ['1', 'nan'], ['((1', '2'], [' ', '1']]) engineError(() => e.run('ZREMRANGEBYSCORE', 'z', min!, max!), /^ERR min or max is not a float$/);
    fill();
    e.run('ZREMRANGEBYRANK', 'z', '-2', '100');
    e.run('ZREMRANGEBYRANK', 'z', '5', '10'); // start past the end
    e.run('ZREMRANGEBYRANK', 'z', '2', '1'); // start > end
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['a', 'b', 'c']);
    engineError(() => e.run('ZREMRANGEBYRANK', 'z', '0', '1.5'), /not an integer/);
    e.run('ZREMRANGEBYRANK', 'z', '-9223372036854775808', '0');
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['b', 'c']);
    e.run('DEL', 'z');
    e.run('ZADD', 'z', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', Buffer.from([0xff]));
    e.run('ZREMRANGEBYLEX', 'z', '(a', '[c');
    e.run('ZREMRANGEBYLEX', 'z', '+', '-'); // empty
    e.run('ZREMRANGEBYLEX', 'z', '-', '-'); // empty
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['a', 'd', '\xff']);
    e.run('ZREMRANGEBYLEX', 'z', '(d', '+');
    expect(zset(e, 'z')!.map(([m]) => m)).toEqual(['a', 'd']);
    for (const [min, max] of [['a', '+'], ['-', 'b'], ['+x', '+'], ['', '+']]) engineError(() => e.run('ZREMRANGEBYLEX', 'z', min!, max!), /^ERR min or max not valid string range item$/);
    e.run('ZREMRANGEBYLEX', 'z', '-', '+');
    expect(get(e, 'z')).toBeUndefined();
  });

  it('ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE: weights, aggregates, sets as inputs, NaN -> 0, empty results delete', () => {
    const e = engine();
    e.run('ZADD', 'w', '-1', 'n', '2', 'p');
    e.run('ZADD', 's', '-0', 'a');
    e.run('SADD', 'set', 'a', 'p', 'x');
    e.run('ZUNIONSTORE', 'u', '2', 'w', 's', 'WEIGHTS', '0', 'inf'); // inf * 0 is NaN: 0
    expect(zset(e, 'u')).toEqual([['a', 0], ['n', 0], ['p', 0]]);
    e.run('ZUNIONSTORE', 'u', '3', 'w', 's', 'set');
    expect(zset(e, 'u')).toEqual([['n', -1], ['a', 1], ['x', 1], ['p', 3]]);
    e.run('ZUNIONSTORE', 'u', '3', 'w', 's', 'set', 'AGGREGATE', 'min');
    expect(zset(e, 'u')).toEqual([['n', -1], ['a', 0], ['p', 1], ['x', 1]]);
    e.run('ZADD', 'i1', 'inf', 'm');
    e.run('ZADD', 'i2', '-inf', 'm');
    e.run('ZUNIONSTORE', 'u', '2', 'i1', 'i2'); // inf + -inf is NaN: 0
    expect(zset(e, 'u')).toEqual([['m', 0]]);
    e.run('ZINTERSTORE', 'i', '2', 'w', 'w', 'WEIGHTS', '-0', '1', 'AGGREGATE', 'MAX');
    expect(zset(e, 'i')).toEqual([['n', 0], ['p', 2]]);
    e.run('ZINTERSTORE', 'i', '2', 'w', 'set', 'WEIGHTS', '2', '10');
    expect(zset(e, 'i')).toEqual([['p', 14]]);
    e.run('ZDIFFSTORE', 'd', '2', 'set', 'w');
    expect(zset(e, 'd')).toEqual([['a', 1], ['x', 1]]);
    e.run('PEXPIRE', 'd', '5000');
    e.run('ZDIFFSTORE', 'd', '2', 'set', 's');
    expect([zset(e, 'd'), ttl(e, 'd')]).toEqual([[['p', 1], ['x', 1]], -1]); // setKey: the TTL goes
    e.run('ZINTERSTORE', 'd', '2', 'w', 'missing');
    expect(get(e, 'd')).toBeUndefined();
    e.run('ZUNIONSTORE', 'w', '1', 'w', 'WEIGHTS', '-1'); // the destination may be a source
    expect(zset(e, 'w')).toEqual([['p', -2], ['n', 1]]);
    engineError(() => e.run('ZUNIONSTORE', 'u', '0', 'w'), /^ERR at least 1 input key is needed for 'zunionstore' command$/);
    engineError(() => e.run('ZUNIONSTORE', 'u', '3', 'w', 's'), /^ERR syntax error$/);
    engineError(() => e.run('ZUNIONSTORE', 'u', '2', 'w', 's', 'WEIGHTS', '1'), /^ERR syntax error$/);
    engineError(() => e.run('ZUNIONSTORE', 'u', '1', 'w', 'WEIGHTS', 'nan'), /^ERR weight value is not a float$/);
    engineError(() => e.run('ZUNIONSTORE', 'u', '1', 'w', 'AGGREGATE', 'avg'), /^ERR syntax error$/);
    engineError(() => e.run('ZDIFFSTORE', 'u', '1', 'w', 'WEIGHTS', '1'), /^ERR syntax error$/);
    e.run('RPUSH', 'l', 'x');
    engineError(() => e.run('ZINTERSTORE', 'u', '2', 'w', 'l'), /^WRONGTYPE/);
  });

  it('ZRANGESTORE: ranks, BYSCORE/BYLEX, REV, LIMIT (negative offset: nothing), a missing source deletes', () => {
    const e = engine();
    e.run('ZADD', 'q', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    const stored = (...a: (string | number)[]) => {
      e.run('ZRANGESTORE', 'dst', 'q', ...a);
      return zset(e, 'dst')?.map(([m]) => m);
    };
    expect(stored('(4', '2', 'BYSCORE', 'REV', 'LIMIT', '1', '5')).toEqual(['b']);
    expect(stored('-3', '-2')).toEqual(['b', 'c']);
    expect(stored('0', '1', 'REV')).toEqual(['c', 'd']);
    expect(stored('0', '-1', 'LIMIT', '0', '-1')).toEqual(['a', 'b', 'c', 'd']); // LIMIT x -1 is no limit
    expect(stored('-inf', '+inf', 'BYSCORE', 'LIMIT', '-1', '5')).toBeUndefined();
    expect(stored('-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '-5')).toEqual(['b', 'c', 'd']);
    expect(stored('-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '0')).toBeUndefined();
    e.run('ZADD', 'lx', '0', 'a', '0', 'b', '0', 'c', '0', 'd');
    e.run('ZRANGESTORE', 'dst', 'lx', '[c', '-', 'BYLEX', 'REV', 'LIMIT', '1', '-1');
    expect(zset(e, 'dst')).toEqual([['a', 0], ['b', 0]]);
    e.run('ZRANGESTORE', 'dst', 'missing', '0', '-1');
    expect(get(e, 'dst')).toBeUndefined();
    engineError(() => e.run('ZRANGESTORE', 'dst', 'q', '0', '-1', 'LIMIT', '0', '2'), /LIMIT is only supported in combination with either BYSCORE or BYLEX/);
    engineError(() => e.run('ZRANGESTORE', 'dst', 'q', '0', '-1', 'WITHSCORES'), /^ERR syntax error$/);
    engineError(() => e.run('ZRANGESTORE', 'dst', 'q', '0', '-1', 'REV', 'REV'), /^ERR syntax error$/);
    engineError(() => e.run('ZRANGESTORE', 'dst', 'q', 'a', 'b', 'BYSCORE'), /^ERR min or max is not a float$/);
    // a rank range longer than 128 is stored as a skiplist from the start (-0 kept)
    e.run('ZADD', 'big', ...Array.from({ length: 130 }, (_, i) => ['-0', `m${String(i).padStart(3, '0')}`]).flat());
    e.run('ZRANGESTORE', 'dst', 'big', '0', '128');
    // big holds -0 for its 129th and 130th members (inserted after the conversion); values as checked against redis-server 7.0.15
    expect(zset(e, 'big')!.filter(([, s]) => isNegZero(s)).length).toBe(2);
    expect(zset(e, 'dst')!.filter(([, s]) => isNegZero(s)).length).toBe(1);
    e.run('ZRANGESTORE', 'dst', 'big', '0', '-1');
    expect(zset(e, 'dst')!.filter(([, s]) => isNegZero(s)).length).toBe(2);
  });

  it('ZPOPMIN/ZPOPMAX, ZMPOP, and the blocking forms as the AOF client runs them', () => {
    const e = engine();
    e.run('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
    e.run('ZPOPMIN', 'z');
    e.run('ZPOPMAX', 'z', '2');
    e.run('ZPOPMIN', 'z', '0');
    expect(zset(e, 'z')).toEqual([['b', 2]]);
    engineError(() => e.run('ZPOPMIN', 'z', '-1'), /^ERR value is out of range, must be positive$/);
    engineError(() => e.run('ZPOPMIN', 'z', '1', '2'), /^ERR syntax error$/);
    e.run('ZPOPMAX', 'z', '100');
    expect(get(e, 'z')).toBeUndefined();
    e.run('ZADD', 'y', '1', 'a', '2', 'b');
    e.run('ZMPOP', '3', 'nokey', 'y', 'z', 'MAX', 'COUNT', '5');
    expect(get(e, 'y')).toBeUndefined();
    engineError(() => e.run('ZMPOP', '0', 'y', 'MIN'), /numkeys should be greater than 0/);
    engineError(() => e.run('ZMPOP', '1', 'y', 'MIN', 'COUNT', '0'), /count should be greater than 0/);
    engineError(() => e.run('ZMPOP', '1', 'y', 'MIDDLE'), /^ERR syntax error$/);
    engineError(() => e.run('ZMPOP', '2', 'y', 'MIN'), /^ERR syntax error$/);
    e.run('ZADD', 'x', '1', 'a', '2', 'b', '3', 'c');
    e.run('BZPOPMAX', 'nokey', 'x', '0');
    e.run('BZMPOP', '0.01', '1', 'x', 'MIN', 'COUNT', '1');
    e.run('BZPOPMIN', 'nokey', '0'); // would block: nothing
    expect(zset(e, 'x')).toEqual([['b', 2]]);
    engineError(() => e.run('BZPOPMIN', 'x', '-1'), /timeout is negative/);
    e.run('SET', 's', 'v');
    engineError(() => e.run('BZPOPMIN', 'nokey', 's', 'x', '0'), /^WRONGTYPE/);
    engineError(() => e.run('ZMPOP', '2', 's', 'x', 'MIN'), /^WRONGTYPE/);
    e.run('ZMPOP', '2', 'x', 's', 'MIN'); // the first existing key is popped; the rest is not looked at
    expect(get(e, 'x')).toBeUndefined();
  });

  it('a big zset (skiplist) keeps order, ranks and ranges', () => {
    const e = engine();
    const n = 2000;
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(String((i * 7919) % 1000), `m${i}`);
    e.run('ZADD', 'z', ...args);
    const want = Array.from({ length: n }, (_, i) => [`m${i}`, (i * 7919) % 1000] as [string, number]).sort((x, y) => x[1] - y[1] || Buffer.compare(Buffer.from(x[0]), Buffer.from(y[0])));
    expect(zset(e, 'z')).toEqual(want);
    e.run('ZREMRANGEBYRANK', 'z', '100', '199');
    e.run('ZREMRANGEBYSCORE', 'z', '(900', '+inf');
    e.run('ZPOPMIN', 'z', '10');
    e.run('ZRANGESTORE', 'r', 'z', '-5', '-1', 'REV'); // the last 5 of the reversed order: the 5 lowest
    const left = want.filter((_, i) => i < 100 || i >= 200).filter(([, s]) => s <= 900).slice(10);
    expect(zset(e, 'z')).toEqual(left);
    expect(zset(e, 'r')).toEqual(left.slice(0, 5));
  });
});

// ---------------------------------------------------------------------------------------------
// The commands: `redkit replay` and `redkit digest` on hand-written AOFs

/** `redkit replay` through runReplay (the same code the CLI runs once cli.ts wires it in) */
async function replay(target: string, opts: ReplayCommandOptions = {}): Promise<{ code: number; stdout: string; stderr: string; json: () => Record<string, unknown> }> {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: (x) => {
      stdout += x;
    },
    stderr: (x) => {
      stderr += x;
    },
    stdoutTTY: false,
    stderrTTY: false,
    stdinTTY: false,
    env: { NO_COLOR: '1' },
  };
  const code = await runReplay(target, { progress: false, ...opts }, io);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

const resp = (...cmds: (string | number)[][]): string =>
  cmds.map((c) => `*${c.length}\r\n` + c.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')).join('');

describe('redkit replay / digest', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-replay-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const write = (name: string, text: string): string => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text, 'latin1');
    return p;
  };

  const good = () =>
    resp(['SELECT', 0], ['SET', 'a', '1'], ['RPUSH', 'l', 'x', 'y'], ['MULTI'], ['INCR', 'a'], ['SADD', 's', 'm'], ['EXEC'], ['SELECT', 3], ['HSET', 'h', 'f', 'v'], ['PEXPIREAT', 'h', 4_000_000_000_000]);

  /** the digest of the same data, loaded directly */
  function expectedDigest(): string {
    const e = engine();
    e.run('SET', 'a', '2');
    e.run('RPUSH', 'l', 'x', 'y');
    e.run('SADD', 's', 'm');
    e.run('SELECT', 3);
    e.run('HSET', 'h', 'f', 'v');
    e.run('PEXPIREAT', 'h', 4_000_000_000_000);
    const d = new DatasetDigest({ compat: '7.0', now: NOW });
    for (const x of e.entries()) d.add(x);
    return d.hex();
  }

  it('prints the summary and the digest; --json; --expect-digest', async () => {
    const p = write('good.aof', good());
    const want = expectedDigest();
    const r = await replay(p, { now: NOW, digestCompat: '7.0' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`digest: ${want}`);
    expect(r.stdout).toMatch(/keys: 4 \(db0: 3, db3: 1\)/);
    expect(r.stdout).toMatch(/commands: 10 \(/);
    const j = await replay(p, { json: true, now: NOW, digestCompat: '7.0' });
    expect(j.json()).toMatchObject({
      command: 'replay',
      ok: true,
      exitCode: 0,
      problems: [],
      digest: want,
      keysPerDb: { '0': 3, '3': 1 },
      keysByType: { string: 1, list: 1, set: 1, hash: 1 },
      expires: 1,
      commands: 10,
      commandsByName: { SELECT: 2, SET: 1, RPUSH: 1, MULTI: 1, INCR: 1, SADD: 1, EXEC: 1, HSET: 1, PEXPIREAT: 1 },
    });
    const ok = await replay(p, { digestCompat: '7.0', now: NOW, expectDigest: want.toUpperCase() });
    expect(ok.code).toBe(0);
    const bad = await replay(p, { json: true, expectDigest: '0'.repeat(40) });
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ ok: false, exitCode: 1, digestMatches: false });
    const d = await runCli(['digest', '--now', String(NOW), '--digest-compat', '7.0', p]);
    expect([d.code, d.stdout]).toEqual([0, want + '\n']);
  });

  it('usage errors: another target, a bad --expect-digest', async () => {
    const p = write('usage.aof', good());
    await expect(replay(p, { to: 'redis://127.0.0.1:6379' })).rejects.toThrow(/replay --to redis:\/\/127.0.0.1:6379: not supported yet/);
    await expect(replay(p, { expectDigest: 'xyz' })).rejects.toThrow(/--expect-digest expects 40 hex digits/);
    expect((await replay(path.join(tmp, 'missing.aof'))).code).toBe(2);
  });

  it('exit 3 for an unknown command, naming file, offset and command', async () => {
    const head = resp(['SET', 'a', '1']);
    const p = write('unknown.aof', head + resp(['FROBNICATE', 'x', '*', 'f', 'v']));
    for (const cmd of ['replay', 'digest']) {
      const r = cmd === 'replay' ? await replay(p, { json: true }) : await runCli(['--json', 'digest', p]);
      expect(r.code).toBe(3);
      const doc = r.json() as { problems: { file: string; offset: number; message: string }[]; digest: unknown };
      expect(doc.digest).toBeNull();
      expect(doc.problems[0]).toMatchObject({ severity: 'error', file: p, offset: head.length });
      expect(doc.problems[0]!.message).toMatch(new RegExp(`FROBNICATE 'x' at offset ${head.length} of unknown.aof: unknown command 'FROBNICATE'`));
    }
    const t = await replay(write('eval.aof', resp(['EVAL', 'return 1', '0'])));
    expect(t.code).toBe(3);
    expect(t.stderr).toMatch(/EVAL.*verbatim script/);
  });

  it('exit 1 for a command no server would have logged (the AOF is inconsistent)', async () => {
    const head = resp(['RPUSH', 'l', 'x'], ['MULTI']);
    const p = write('inconsistent.aof', head + resp(['INCR', 'l'], ['EXEC']));
    const r = await replay(p, { json: true });
    expect(r.code).toBe(1);
    const doc = r.json() as { problems: { offset: number; message: string }[] };
    expect(doc.problems[0]!.offset).toBe(head.length); // the queued INCR, not the EXEC
    expect(doc.problems[0]!.message).toMatch(/WRONGTYPE.*the AOF is inconsistent/);
  });

  it('an unterminated MULTI at the end is dropped with a warning, as Redis does', async () => {
    const p = write('open-multi.aof', resp(['SET', 'a', '1'], ['MULTI'], ['SET', 'b', '2']));
    const r = await replay(p, { json: true, now: NOW });
    expect(r.code).toBe(0);
    const doc = r.json() as { keysPerDb: Record<string, number>; problems: { severity: string; message: string }[] };
    expect(doc.keysPerDb).toEqual({ '0': 1 });
    expect(doc.problems[0]).toMatchObject({ severity: 'warning' });
    expect(doc.problems[0]!.message).toMatch(/MULTI.*aof-load-truncated/);
  });

  it('a multi-part AOF: each file starts in db 0; RDB base keys then commands', async () => {
    const dir = path.join(tmp, 'appendonlydir');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.base.aof'), resp(['SELECT', 2], ['SET', 'base', 'b']));
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.incr.aof'), resp(['SET', 'incr', 'i'], ['APPEND', 'incr', 'x']));
    fs.writeFileSync(path.join(dir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    const r = await replay(dir, { json: true });
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ source: 'multipart', keysPerDb: { '0': 1, '2': 1 } });
  });
});
