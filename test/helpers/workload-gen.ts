// A seeded random workload for the engine's differential test: every command the engine
// implements, with valid and edge-case arguments (empty results, negative and huge indexes,
// float edge cases, binary data, several dbs, MULTI/EXEC, scripts and functions whose effects
// are known, expiries in the past and in the future as absolute times, long relative TTLs).
//
// Commands are meant to be accepted by the server most of the time; some are deliberately
// wrong (wrong type, bad numbers, syntax): the server replies with an error, does not log them,
// and the engine must refuse them too. Nothing here depends on the clock: absolute times are
// far in the past or the future, relative TTLs are at least 1000 s, so a key never expires
// while the test runs.

import { rng } from './feed.js';
import { FAMILIES } from './workload/index.js';

/** 2001-09-09: already expired */
export const PAST_MS = 1_000_000_000_000;
/** 2096-10-02: far future */
export const FUTURE_MS = 4_000_000_000_000;

export type Cmd = Buffer[];

/** How the differential test mirrors a step into an engine fed the client's commands. */
export type Mirror =
  /** apply the command; the engine must fail exactly when the server replied with an error */
  | { kind: 'same' }
  /** a random pop (SPOP, or a script calling SPOP): apply the SREM of what the reply names */
  | { kind: 'spop'; key: Buffer }
  /** a script with known effects: apply them in order, stopping at the first that fails
   * (the script stops there too); with onlyIfOk, none when the server replied with an error */
  | { kind: 'effects'; cmds: Cmd[]; onlyIfOk?: boolean }
  /** a command whose effect depends on the server's choice (an auto-generated stream ID, a
   * clock): when the server accepted it, apply what `build` derives from its reply (the
   * engine must accept every one); when it refused it, apply the command itself and the
   * engine must refuse it too */
  | { kind: 'fromReply'; build: (reply: unknown) => Cmd[] };

export type Step =
  | { kind: 'cmd'; args: Cmd; mirror: Mirror }
  /** MULTI, the commands, EXEC (each command valid in arity, so the block always runs) */
  | { kind: 'multi'; cmds: { args: Cmd; mirror: Mirror }[] }
  /** BGREWRITEAOF (the harness waits for it) */
  | { kind: 'rewrite' }
  /** DUMP src (nil for a missing key), then the RESTORE command built from the payload */
  | { kind: 'restore'; src: Buffer; build: (payload: Buffer | null) => Cmd };

const b = (x: string | Buffer | number | bigint): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cmd = (...a: (string | Buffer | number | bigint)[]): Cmd => a.map(b);

export interface WorkloadOptions {
  /** commands to generate (a MULTI block counts its commands) */
  commands: number;
  /** insert one BGREWRITEAOF at this fraction of the workload (default 0.5; none when null) */
  rewriteAt?: number | null;
}

/** What a command family's generators get from the workload (test/helpers/workload/*.ts). */
export interface GenContext {
  r: () => number;
  int: (n: number) => number;
  chance: (p: number) => boolean;
  pick: <T>(xs: readonly T[]) => T;
  /** a key of a pool (7% of the time a key of any pool, for WRONGTYPE cases) */
  key: (pool: string) => Buffer;
  /** add a pool of keys (its keys join the "any pool" draw) */
  addPool: (name: string, keys: (string | Buffer)[]) => void;
  /** a random value: short text, integers in edge forms, binary, long, empty */
  value: () => Buffer;
  bytes: (n: number) => Buffer;
  /** an index argument (negative, huge, small) */
  index: () => string;
  relTtl: () => string;
  absMs: () => string;
  absSec: () => string;
}

export type Gen = () => Cmd | Step;
/** A family of commands: weighted generators, made once per workload. */
export type Family = (ctx: GenContext) => [number, Gen][];


export function generateWorkload(seed: number, opts: WorkloadOptions): Step[] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const chance = (p: number) => r() < p;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

  // ---- keys: small pools per type, so commands meet each other; sometimes any pool
  type Pool = 'str' | 'num' | 'flt' | 'bit' | 'list' | 'set' | 'hash' | 'zset';
  const pools: Record<Pool, (string | Buffer)[]> & Record<string, (string | Buffer)[]> = {
    str: ['s0', 's1', 's2', 's3', 's4', Buffer.from([0, 0xff, 0x0d, 0x0a]), ''],
    num: ['n0', 'n1', 'n2', 'n3'],
    flt: ['f0', 'f1', 'f2'],
    bit: ['b0', 'b1', 'b2'],
    list: ['l0', 'l1', 'l2', 'l3', 'l4', Buffer.from('l\x00bin', 'latin1')],
    set: ['S0', 'S1', 'S2', 'S3', 'S4'],
    hash: ['h0', 'h1', 'h2', 'h3'],
    zset: ['z0', 'z1', 'z2', 'z3', 'z4', Buffer.from('z\x00\xffbin', 'latin1')],
  };
  let all = Object.values(pools).flat();
  const key = (pool: string): Buffer => {
    const p = pools[pool];
    if (p === undefined) throw new Error(`no key pool ${pool}`);
    return b(chance(0.93) ? pick(p) : pick(all));
  };
  const addPool = (name: string, keys: (string | Buffer)[]): void => {
    pools[name] = keys;
    all = Object.values(pools).flat();
  };

  // ---- values
  const INTS = ['0', '1', '-1', '127', '128', '-32768', '2147483648', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '007', '+1', '-0', '1e3', ' 1', '12345678901234567890'];
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const value = (): Buffer => {
    const k = int(10);
    if (k < 4) return b(`v${int(50)}`);
    if (k < 6) return b(pick(INTS));
    if (k === 6) return bytes(int(20));
    if (k === 7) return b('x'.repeat(60 + int(80)));
    if (k === 8) return b('');
    return b(int(1000));
  };
  // lists draw from a small vocabulary, so LINSERT pivots and LREM elements often match
  const elem = (): Buffer => (chance(0.6) ? b(`e${int(6)}`) : value());
  const member = (): Buffer => (chance(0.5) ? b(int(20) - 5) : chance(0.85) ? b(`m${int(15)}`) : value());
  const field = (): Buffer => (chance(0.9) ? b(`f${int(12)}`) : chance(0.5) ? b('g'.repeat(70)) : bytes(int(6)));
  const index = (): string => pick(['0', '1', '2', '-1', '-2', '-100', '100', '5', '-5', '9223372036854775807', '-9223372036854775808', String(int(8) - 4)]);
  const INCRS = ['1', '-1', '0', '5', '-100', '9223372036854775807', '-9223372036854775808', '1000000000000', 'abc', '1.5', '-0'];
  const FLOATS = ['0.1', '-0.1', '1.5', '3', '-0', '1e10', '-2.5e-3', '1e400', '0x1p3', '0x1.8p-1', '0xA.Fp2', '-0x.fP+1', '0.000003814697265625', '1e-20', '3.0000000000000000001', '123456789.123456789', '5e-4951', 'inf', '-inf', 'nan', '1e5000', 'x', '.5', '7.', '1e', ' 1'];
  const relTtl = (): string => pick(['1000', '5000', '86400', '100000']);
  const absSec = (): string => pick([String(PAST_MS / 1000), String(FUTURE_MS / 1000), '1', String(FUTURE_MS / 1000 + int(1000))]);
  const absMs = (): string => pick([String(PAST_MS), String(FUTURE_MS), '1', String(FUTURE_MS + int(100000)), String(PAST_MS + int(1000))]);
  const db = (): string => pick(['0', '1', '2', '3', '0', '1', '15', chance(0.2) ? '16' : '2', chance(0.1) ? '-1' : '3']);

  // SET options: any combination, some invalid
  const setOpts = (): string[] => {
    const o: string[] = [];
    if (chance(0.2)) o.push(pick(['NX', 'XX']));
    if (chance(0.15)) o.push('GET');
    const e = int(9);
    if (e === 0) o.push('EX', relTtl());
    else if (e === 1) o.push('PX', relTtl() + '000');
    else if (e === 2) o.push('EXAT', absSec());
    else if (e === 3) o.push('PXAT', absMs());
    else if (e === 4) o.push('KEEPTTL');
    else if (e === 5 && chance(0.2)) o.push(pick(['EX', 'PX']), pick(['0', '-5', 'x', '9223372036854775807']));
    if (chance(0.03)) o.push(pick(['NX', 'KEEPTTL', 'EX', 'bogus']));
    return o;
  };
  const expireOpts = (): string[] => {
    if (!chance(0.35)) return [];
    const o = [pick(['NX', 'XX', 'GT', 'LT'])];
    if (chance(0.1)) o.push(pick(['NX', 'XX', 'GT', 'LT', 'zz']));
    return o;
  };

  // libraries lib0 and lib1 hold a function that writes (SET keys[1] args[1]), lib2 and lib3
  // one that does not; function names are unique per library, so loads never collide
  const libWrites = (name: string) => name === 'lib0' || name === 'lib1';
  const lib = (name: string) =>
    `#!lua name=${name}\nredis.register_function('fn_${name}', function(keys, args) ${libWrites(name) ? "return redis.call('SET', keys[1], args[1])" : 'return 1'} end)`;

  const bitfieldArgs = (): (string | Buffer)[] => {
    const out: (string | Buffer)[] = [];
    let fail = false;
    const ops = 1 + int(3);
    for (let i = 0; i < ops; i++) {
      if (chance(0.3)) {
        const t = pick(['WRAP', 'SAT', 'FAIL']);
        if (t === 'FAIL') fail = true;
        out.push('OVERFLOW', t);
      }
      const sign = chance(0.5) ? 'i' : 'u';
      const bits = sign === 'i' ? 1 + int(64) : 1 + int(63);
      const type = chance(0.02) ? pick(['u64', 'i65', 'x8', 'i0']) : `${sign}${bits}`;
      const off = chance(0.3) ? `#${int(10)}` : String(int(120));
      const v = pick(['0', '1', '-1', '100', '-100', '255', '256', '9223372036854775807', '-9223372036854775808', String(int(1 << 20) - (1 << 19))]);
      const op = pick(['GET', 'SET', 'INCRBY', 'INCRBY']);
      if (op === 'GET') out.push('GET', type, off);
      else out.push(op, type, off, v);
    }
    // Redis pads the string even when every write fails under OVERFLOW FAIL, but then logs
    // nothing: a live server and its AOF disagree. One write that cannot fail keeps them equal.
    if (fail) out.push('OVERFLOW', 'WRAP', 'INCRBY', 'u8', '0', '0');
    return out;
  };

  // ---- sorted sets
  // The pool keys stay small (a vocabulary of ~40 members of at most 64 bytes): Redis keeps
  // them as listpacks, where a -0 score becomes 0. The big keys (Zb: >128 members, Zl: members
  // over 64 bytes) are skiplists; they never get a -0 score, and store commands reading them
  // write only to Zd: a skiplist that shrinks stays a skiplist on the server, but becomes a
  // listpack when an AOF rewrite or reload rebuilds it, so a -0 there would (legitimately)
  // make the server's own AOF disagree with it.
  const zmember = (): Buffer => {
    const k = int(20);
    if (k < 14) return b(`m${int(18)}`);
    if (k < 17) return b(int(10) - 3);
    if (k === 17) return pick([Buffer.from([0, 0xff, 0x80]), Buffer.from('a\x00b', 'latin1'), Buffer.from('m1\x00', 'latin1'), b('')]);
    if (k === 18) return b('M'.repeat(64));
    return bytes(int(3));
  };
  const ZSCORES = ['0', '1', '2', '2', '3', '-1', '1.5', '-2.5', '1e308', '-1e308', 'inf', '-inf', '+inf', 'Infinity', '-INF', '0x10', '0x1.8p1', '.5', '5.', '1e-320', '5e-324', '123456789.123456789', '3.0000000000000000001'];
  const ZNEGZERO = ['-0', '-0.0', '-0e5', '-0x0p0'];
  const ZBADSCORES = ['nan', 'x', '1e400', '-1e400', '1e-400', '', ' 1', '1 ', '1e', '0x', 'inf ', '1\x002'];
  const zscore = (big = false): string => {
    const k = int(100);
    if (k < 3) return pick(ZBADSCORES);
    if (!big && k < 12) return pick(ZNEGZERO);
    if (k < 50) return pick(['1', '2', '2', '3', '0']);
    return pick(ZSCORES);
  };
  const zrangeItem = (): string => {
    const k = int(30);
    if (k === 0) return pick(['x', 'nan', '(nan', '((1', '1e', '(x']);
    if (k === 1) return pick(['', '(', ' 2', '1e400', '(-1e400', '1\x00junk']);
    return pick(['-inf', '+inf', 'inf', '(-inf', '(inf', '0', '(0', '-0', '(-0', '1', '(1', '2', '(2', '2.5', '3', '(3', '-1', '1e308', '(1.5', '0x1p1']);
  };
  const zlexItem = (): string | Buffer => {
    const k = int(30);
    if (k === 0) return pick(['m1', '', '+x', '-x', 'x', '{m1']);
    return pick(['-', '+', '-', '+', '[m1', '(m1', '[m5', '(m5', '[m17', '(m9', '[', '(', '[m', '(z', Buffer.from('[\x00', 'latin1'), '[0', '(3', '[-1']);
  };
  // sources of the pool's store commands: pool zsets and two sets of short members (ZS0/1), so
  // that results stay listpacks; now and then a key of another type (WRONGTYPE)
  const zsrc = (): Buffer => {
    const k = int(100);
    if (k < 75) return b(pick(pools.zset));
    if (k < 97) return b(pick(['ZS0', 'ZS1']));
    return key(pick(['list', 'hash', 'str']));
  };
  const zkeys = (n: number): Buffer[] => Array.from({ length: n }, zsrc);
  const zaddFlags = (): string[] => {
    const o: string[] = [];
    if (chance(0.12)) o.push(pick(['NX', 'XX', 'nx', 'xx']));
    if (chance(0.12)) o.push(pick(['GT', 'LT', 'gt', 'lt']));
    if (chance(0.15)) o.push(pick(['CH', 'ch']));
    if (chance(0.02)) o.push(pick(['NX', 'GT', 'LT', 'XX']));
    return o;
  };
  const bigMembers = (n: number): (string | Buffer)[] => Array.from({ length: n }, () => [zscore(true), b(int(400))]).flat();
  const longMember = (): Buffer => b('L'.repeat(64 + int(4)) + String(int(6)));
  const bigKey = (): string => pick(['Zb', 'Zl', 'Zd']);
  const zcount = (): string => pick(['1', '2', '3', '10', '200', '0']);

  const gens: [number, Gen][] = [
    // sorted sets
    [6, () => {
      const incr = chance(0.1);
      const pairs = incr ? (chance(0.9) ? 1 : 2) : 1 + int(4);
      return cmd('ZADD', key('zset'), ...zaddFlags(), ...(incr ? ['INCR'] : []), ...Array.from({ length: pairs }, () => [zscore(), zmember()]).flat());
    }],
    [1, () => cmd('SADD', pick(['ZS0', 'ZS1']), ...Array.from({ length: 1 + int(4) }, zmember))],
    [0.3, () => cmd('SREM', pick(['ZS0', 'ZS1']), zmember())],
    [2, () => cmd('ZINCRBY', key('zset'), chance(0.3) ? pick(['inf', '-inf', '1e308', '-1e308']) : zscore(), zmember())],
    [2, () => cmd('ZREM', key('zset'), ...Array.from({ length: 1 + int(3) }, zmember))],
    [1.5, () => cmd('ZREMRANGEBYSCORE', key('zset'), zrangeItem(), zrangeItem())],
    [1.5, () => cmd('ZREMRANGEBYLEX', key('zset'), zlexItem(), zlexItem())],
    [1.5, () => cmd('ZREMRANGEBYRANK', key('zset'), index(), index())],
    [3, () => {
      const op = pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      const n = 1 + int(3);
      const numkeys = chance(0.95) ? String(n) : pick(['0', '-1', String(n + 2), 'x']);
      const o: (string | Buffer)[] = [];
      if (op !== 'ZDIFFSTORE' || chance(0.03)) {
        if (chance(0.4)) o.push('WEIGHTS', ...Array.from({ length: chance(0.95) ? n : n + 1 }, () => pick(['1', '2', '-1', '0', '0.5', 'inf', '-inf', '-0', chance(0.1) ? 'x' : '3'])));
        if (chance(0.4)) o.push('AGGREGATE', chance(0.97) ? pick(['SUM', 'MIN', 'MAX', 'min', 'max']) : 'AVG');
      }
      return cmd(op, key('zset'), numkeys, ...zkeys(n), ...o);
    }],
    [3, () => {
      const k = int(3);
      const o: string[] = [];
      let min: string | Buffer;
      let max: string | Buffer;
      if (k === 0) {
        min = index();
        max = index();
      } else if (k === 1) {
        o.push('BYSCORE');
        min = zrangeItem();
        max = zrangeItem();
      } else {
        o.push('BYLEX');
        min = zlexItem();
        max = zlexItem();
      }
      if (chance(0.3)) o.push('REV');
      if (chance(0.3) && (k !== 0 || chance(0.2))) o.push('LIMIT', pick(['0', '1', '2', '-1']), pick(['1', '2', '3', '0', '-1', '-5', '100']));
      if (chance(0.02)) o.push(pick(['WITHSCORES', 'REV', 'BYSCORE', 'LIMIT']));
      return cmd('ZRANGESTORE', key('zset'), chance(0.97) ? b(pick(pools.zset)) : key('list'), min, max, ...o);
    }],
    [2, () => cmd(pick(['ZPOPMIN', 'ZPOPMAX']), key('zset'), ...(chance(0.4) ? [pick(['0', '1', '2', '5', '100', chance(0.3) ? '-1' : '3'])] : []))],
    [1, () => cmd(pick(['BZPOPMIN', 'BZPOPMAX']), key('zset'), ...(chance(0.5) ? [key('zset')] : []), chance(0.85) ? pick(['0.01', '0.001']) : pick(['-1', 'x', 'inf']))],
    [1, () => {
      const n = 1 + int(3);
      return cmd('ZMPOP', chance(0.95) ? n : pick(['0', '-1', '5']), ...Array.from({ length: n }, () => key('zset')), chance(0.97) ? pick(['MIN', 'MAX', 'min']) : 'MIDDLE', ...(chance(0.5) ? ['COUNT', pick(['1', '2', '10', '0'])] : []));
    }],
    [0.5, () => cmd('BZMPOP', '0.01', '2', key('zset'), key('zset'), pick(['MIN', 'MAX']), 'COUNT', pick(['1', '3']))],
    // the big (skiplist) zsets
    [0.6, () => cmd('ZADD', chance(0.5) ? 'Zb' : 'Zd', ...(chance(0.2) ? [pick(['NX', 'XX', 'GT', 'LT'])] : []), ...bigMembers(chance(0.3) ? 130 + int(20) : 1 + int(5)))],
    [0.5, () => cmd('ZADD', 'Zl', ...Array.from({ length: 1 + int(3) }, () => [zscore(true), chance(0.5) ? longMember() : b(`m${int(18)}`)]).flat())],
    [0.4, () => cmd('ZINCRBY', bigKey(), pick(['1', '-1', '2.5', 'inf', '-inf']), chance(0.5) ? b(int(400)) : longMember())],
    [0.4, () => cmd('ZREM', bigKey(), ...Array.from({ length: 1 + int(3) }, () => (chance(0.5) ? b(int(400)) : longMember())))],
    [0.4, () => cmd(pick(['ZPOPMIN', 'ZPOPMAX']), bigKey(), zcount())],
    [0.3, () => cmd('ZREMRANGEBYRANK', bigKey(), pick(['0', '5', '-10', '100']), pick(['3', '-1', '-100', '20']))],
    [0.3, () => cmd('ZREMRANGEBYSCORE', bigKey(), zrangeItem(), zrangeItem())],
    [0.4, () => {
      const op = pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
      const srcs = [b(bigKey()), chance(0.5) ? b(bigKey()) : key(chance(0.7) ? 'zset' : 'set')];
      const o = op !== 'ZDIFFSTORE' && chance(0.5) ? ['WEIGHTS', pick(['1', '2', '0.5', 'inf']), pick(['1', '2', '0.5'])] : [];
      if (op !== 'ZDIFFSTORE' && chance(0.4)) o.push('AGGREGATE', pick(['SUM', 'MIN', 'MAX']));
      return cmd(op, 'Zd', 2, ...(chance(0.5) ? srcs : srcs.reverse()), ...o);
    }],
    [0.4, () => {
      const k = int(2);
      return k === 0
        ? cmd('ZRANGESTORE', 'Zd', bigKey(), pick(['0', '10', '-140']), pick(['-1', '140', '5']), ...(chance(0.3) ? ['REV'] : []))
        : cmd('ZRANGESTORE', 'Zd', bigKey(), zrangeItem(), zrangeItem(), 'BYSCORE', ...(chance(0.3) ? ['LIMIT', pick(['0', '3']), pick(['-1', '150', '2'])] : []));
    }],

    // strings
    [6, () => cmd('SET', key('str'), value(), ...setOpts())],
    [1, () => cmd('SETNX', key('str'), value())],
    [1, () => cmd('SETEX', key('str'), chance(0.9) ? relTtl() : pick(['0', '-1', 'x']), value())],
    [1, () => cmd('PSETEX', key('str'), chance(0.9) ? relTtl() + '000' : pick(['0', '-1']), value())],
    [1, () => cmd('MSET', key('str'), value(), key('num'), pick(INTS), ...(chance(0.5) ? [key('str'), value()] : []))],
    [1, () => cmd('MSETNX', key('str'), value(), key('str'), value())],
    [2, () => cmd('APPEND', key('str'), value())],
    [3, () => cmd(pick(['INCR', 'DECR']), key('num'))],
    [3, () => cmd(pick(['INCRBY', 'DECRBY']), key('num'), pick(INCRS))],
    [3, () => cmd('INCRBYFLOAT', key(chance(0.7) ? 'flt' : 'num'), pick(FLOATS))],
    [1, () => cmd('GETSET', key('str'), value())],
    [1, () => cmd('GETDEL', key('str'))],
    [2, () => {
      const o = int(7);
      const extra = o === 0 ? ['EX', relTtl()] : o === 1 ? ['PX', relTtl() + '000'] : o === 2 ? ['EXAT', absSec()] : o === 3 ? ['PXAT', absMs()] : o === 4 ? ['PERSIST'] : o === 5 ? [] : [pick(['KEEPTTL', 'EX', 'NX'])];
      return cmd('GETEX', key('str'), ...extra);
    }],
    [2, () => cmd('SETRANGE', key('str'), chance(0.95) ? String(int(40)) : pick(['-1', '536870912', 'x']), chance(0.9) ? value() : '')],
    [3, () => cmd('SETBIT', key('bit'), chance(0.95) ? String(int(300)) : pick(['-1', '4294967296', 'x']), chance(0.95) ? pick(['0', '1']) : pick(['2', '-1']))],
    [2, () => {
      const op = pick(['AND', 'OR', 'XOR', 'NOT', 'NOT', 'and', 'bad']);
      const n = op.toUpperCase() === 'NOT' ? (chance(0.9) ? 1 : 2) : 1 + int(3);
      return cmd('BITOP', op, key('bit'), ...Array.from({ length: n }, () => key(chance(0.8) ? 'bit' : 'str')));
    }],
    [3, () => cmd('BITFIELD', key('bit'), ...bitfieldArgs())],
    // keys
    [2, () => cmd(pick(['DEL', 'UNLINK']), key(pick(['str', 'list', 'set', 'hash', 'num', 'zset'])), ...(chance(0.3) ? [key('str')] : []))],
    [3, () => {
      // PEXPIRE counts milliseconds: its TTLs get three more zeros, so none passes during the run
      const ms = chance(0.5);
      return cmd(ms ? 'PEXPIRE' : 'EXPIRE', key(pick(['str', 'list', 'set', 'hash', 'num', 'zset'])), chance(0.85) ? relTtl() + (ms ? '000' : '') : pick(['0', '-1', '-100', '9223372036854775807', 'x']), ...expireOpts());
    }],
    [3, () => {
      const ms = chance(0.5);
      return cmd(ms ? 'PEXPIREAT' : 'EXPIREAT', key(pick(['str', 'list', 'set', 'hash', 'num', 'zset'])), ms ? absMs() : absSec(), ...expireOpts());
    }],
    [2, () => cmd('PERSIST', key(pick(['str', 'list', 'set', 'hash', 'zset'])))],
    [2, () => {
      const t = pick(['str', 'list', 'set', 'hash', 'zset'] as const);
      return cmd(pick(['RENAME', 'RENAMENX']), key(t), key(t));
    }],
    [1, () => cmd('MOVE', key(pick(['str', 'list', 'set', 'hash', 'zset'])), db())],
    [2, () => {
      const t = pick(['str', 'list', 'set', 'hash', 'zset'] as const);
      const o: string[] = [];
      if (chance(0.5)) o.push('DB', db());
      if (chance(0.4)) o.push('REPLACE');
      if (chance(0.03)) o.push('bogus');
      return cmd('COPY', key(t), key(t), ...o);
    }],
    // server
    [3, () => cmd('SELECT', chance(0.97) ? pick(['0', '1', '2', '3']) : pick(['16', '-1', 'x']))],
    [0.4, () => cmd('SWAPDB', pick(['0', '1', '2', '3']), chance(0.95) ? pick(['0', '1', '2', '3']) : '16')],
    [0.3, () => cmd('FLUSHDB', ...(chance(0.5) ? [pick(['ASYNC', 'SYNC', 'sync'])] : []))],
    [0.12, () => cmd('FLUSHALL', ...(chance(0.5) ? [pick(['ASYNC', 'SYNC'])] : []))],
    [0.7, () => {
      const name = `lib${int(4)}`;
      return cmd('FUNCTION', 'LOAD', ...(chance(0.5) ? ['REPLACE'] : []), lib(name));
    }],
    [0.5, () => cmd('FUNCTION', 'DELETE', `lib${int(5)}`)],
    [0.05, () => cmd('FUNCTION', 'FLUSH', ...(chance(0.5) ? ['SYNC'] : []))],
    [0.2, () => cmd('SCRIPT', 'LOAD', "return redis.call('GET', KEYS[1])")],
    // lists
    [8, () => cmd(pick(['LPUSH', 'RPUSH']), key('list'), ...Array.from({ length: 1 + int(6) }, elem))],
    [1, () => cmd(pick(['LPUSHX', 'RPUSHX']), key('list'), elem())],
    [3, () => cmd('LINSERT', key('list'), chance(0.95) ? pick(['BEFORE', 'AFTER', 'after']) : 'MIDDLE', elem(), value())],
    [1, () => cmd('LSET', key('list'), index(), value())],
    [2, () => cmd('LREM', key('list'), pick(['0', '1', '-1', '2', '-2', '100']), elem())],
    [1, () => cmd('LTRIM', key('list'), index(), index())],
    [2, () => cmd(pick(['LPOP', 'RPOP']), key('list'), ...(chance(0.4) ? [pick(['0', '1', '2', '5', '100', '-1'])] : []))],
    [1, () => cmd('RPOPLPUSH', key('list'), key('list'))],
    [2, () => cmd('LMOVE', key('list'), key('list'), pick(['LEFT', 'RIGHT', 'left']), chance(0.97) ? pick(['LEFT', 'RIGHT']) : 'UP')],
    [1, () => {
      const n = 1 + int(3);
      return cmd('LMPOP', chance(0.95) ? n : pick(['0', '-1', '5']), ...Array.from({ length: n }, () => key('list')), pick(['LEFT', 'RIGHT']), ...(chance(0.5) ? ['COUNT', pick(['1', '2', '10', '0'])] : []));
    }],
    [1, () => cmd(pick(['BLPOP', 'BRPOP']), key('list'), ...(chance(0.5) ? [key('list')] : []), chance(0.95) ? pick(['0.01', '0.001']) : pick(['-1', 'x', '1e30', 'inf']))],
    [0.5, () => cmd('BRPOPLPUSH', key('list'), key('list'), '0.01')],
    [0.5, () => cmd('BLMOVE', key('list'), key('list'), pick(['LEFT', 'RIGHT']), pick(['LEFT', 'RIGHT']), '0.01')],
    [0.5, () => cmd('BLMPOP', '0.01', '2', key('list'), key('list'), pick(['LEFT', 'RIGHT']), 'COUNT', pick(['1', '3']))],
    // sets
    [5, () => cmd('SADD', key('set'), ...Array.from({ length: 1 + int(5) }, member))],
    [2, () => cmd('SREM', key('set'), ...Array.from({ length: 1 + int(3) }, member))],
    [3, () => cmd('SMOVE', key('set'), key('set'), chance(0.6) ? b(pick(['m0', 'm1', 'm2', '0', '1', '2'])) : member())],
    [1, () => ({ kind: 'cmd', args: cmd('SPOP', key('set'), ...(chance(0.5) ? [pick(['0', '1', '2', '100'])] : [])), mirror: { kind: 'spop', key: Buffer.alloc(0) } })],
    [2, () => cmd(pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), key('set'), ...Array.from({ length: 1 + int(3) }, () => key('set')))],
    // hashes
    [5, () => cmd(pick(['HSET', 'HMSET']), key('hash'), ...Array.from({ length: 1 + int(3) }, () => [field(), value()]).flat())],
    [1, () => cmd('HSETNX', key('hash'), field(), value())],
    [2, () => cmd('HDEL', key('hash'), ...Array.from({ length: 1 + int(3) }, field))],
    [2, () => cmd('HINCRBY', key('hash'), chance(0.7) ? `c${int(3)}` : field(), pick(INCRS))],
    [2, () => cmd('HINCRBYFLOAT', key('hash'), chance(0.7) ? `d${int(3)}` : field(), pick(FLOATS))],
  ];

  const ctx: GenContext = { r, int, chance, pick, key, addPool, value, bytes, index, relTtl, absMs, absSec };
  for (const f of FAMILIES) gens.push(...f(ctx));

  // scripts and functions with known effects
  const scripts: [number, Gen][] = [
    [0.5, () => {
      const k1 = key('str');
      const k2 = key('list');
      const v = value();
      return { kind: 'cmd', args: cmd('EVAL', "redis.call('SET', KEYS[1], ARGV[1]); redis.call('RPUSH', KEYS[2], ARGV[1]); return 1", 2, k1, k2, v), mirror: { kind: 'effects', cmds: [cmd('SET', k1, v), cmd('RPUSH', k2, v)] } };
    }],
    [0.3, () => {
      const k = key('flt');
      const f = pick(FLOATS.slice(0, 12));
      return { kind: 'cmd', args: cmd('EVAL', "return redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])", 1, k, f), mirror: { kind: 'effects', cmds: [cmd('INCRBYFLOAT', k, f)] } };
    }],
    [0.3, () => {
      const k = key('set');
      return { kind: 'cmd', args: cmd('EVAL', "return redis.call('SPOP', KEYS[1])", 1, k), mirror: { kind: 'spop', key: k } };
    }],
    [0.5, () => {
      const k = key('str');
      const v = value();
      const name = `lib${int(4)}`;
      // FCALL of a missing function is an error and does nothing
      return { kind: 'cmd', args: cmd('FCALL', `fn_${name}`, 1, k, v), mirror: { kind: 'effects', cmds: libWrites(name) ? [cmd('SET', k, v)] : [], onlyIfOk: true } };
    }],
  ];
  // wrong arity, outside MULTI only
  const broken: Gen[] = [
    () => cmd('SET', key('str')),
    () => cmd('LPOP', key('list'), '1', '2'),
    () => cmd('MSET', key('str'), 'v', key('str')),
    () => cmd('HSET', key('hash'), 'f'),
    () => cmd('SPOP', key('set'), '1', '2'),
    () => cmd('EXPIRE', key('str')),
    () => cmd('ZADD', key('zset'), '1'),
    () => cmd('ZRANGESTORE', key('zset'), key('zset'), '0'),
  ];

  const restore = (): Step => {
    const t = pick(['str', 'list', 'set', 'hash', 'num', 'zset'] as const);
    const src = key(t);
    const dst = key(t);
    const k = int(10);
    const ttl = k < 5 ? '0' : k < 7 ? relTtl() + '000' : k < 9 ? absMs() : pick(['-1', 'x']);
    const o: string[] = [];
    if (k === 7 || k === 8) o.push('ABSTTL');
    if (chance(0.5)) o.push('REPLACE');
    if (chance(0.15)) o.push('IDLETIME', pick(['10', '0', '-1']));
    else if (chance(0.15)) o.push('FREQ', pick(['5', '255', '256']));
    const corrupt = chance(0.05);
    return {
      kind: 'restore',
      src,
      build: (p) => {
        let payload = p ?? b('not a payload');
        if (corrupt && p) {
          payload = Buffer.from(p);
          payload[payload.length - 1]! ^= 0x55;
        }
        return cmd('RESTORE', dst, ttl, payload, ...o);
      },
    };
  };

  const total = gens.reduce((a, [w]) => a + w, 0);
  const one = (): { args: Cmd; mirror: Mirror } => {
    let x = r() * total;
    for (const [w, g] of gens) {
      x -= w;
      if (x <= 0) return wrap(g());
    }
    return wrap(gens[0]![1]());
  };
  const wrap = (s: Cmd | Step): { args: Cmd; mirror: Mirror } => {
    if (Array.isArray(s)) return { args: s, mirror: { kind: 'same' } };
    if (s.kind !== 'cmd') throw new Error('unexpected step');
    if (s.mirror.kind === 'spop' && s.mirror.key.length === 0) return { args: s.args, mirror: { kind: 'spop', key: s.args[1]! } };
    return { args: s.args, mirror: s.mirror };
  };

  const steps: Step[] = [];
  let count = 0;
  const rewriteAt = opts.rewriteAt === undefined ? 0.5 : opts.rewriteAt;
  let rewritten = rewriteAt === null;
  while (count < opts.commands) {
    if (!rewritten && count >= opts.commands * rewriteAt!) {
      steps.push({ kind: 'rewrite' });
      rewritten = true;
    }
    const k = r();
    if (k < 0.025) {
      steps.push(restore());
      count++;
    } else if (k < 0.075) {
      const cmds = Array.from({ length: 2 + int(4) }, one);
      steps.push({ kind: 'multi', cmds });
      count += cmds.length;
    } else if (k < 0.09) {
      let x = r() * scripts.reduce((a, [w]) => a + w, 0);
      let s: Step | undefined;
      for (const [w, g] of scripts) {
        x -= w;
        if (x <= 0) {
          s = g() as Step;
          break;
        }
      }
      steps.push(s ?? (scripts[0]![1]() as Step));
      count++;
    } else if (k < 0.095) {
      steps.push({ kind: 'cmd', args: pick(broken)(), mirror: { kind: 'same' } } as Step);
      count++;
    } else {
      const c = one();
      steps.push({ kind: 'cmd', ...c });
      count++;
    }
  }
  return steps;
}

/** The commands of a workload (MULTI blocks counted by their commands). */
export function workloadSize(steps: Step[]): number {
  let n = 0;
  for (const s of steps) n += s.kind === 'multi' ? s.cmds.length : s.kind === 'cmd' || s.kind === 'restore' ? 1 : 0;
  return n;
}
