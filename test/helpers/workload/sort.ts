// SORT for the engine's differential workload: SORT ... STORE over lists, sets and a zset with
// BY (weight strings, hash fields, constant "nosort", patterns that find nothing), GET (#, keys,
// hash fields, constants), LIMIT, ASC/DESC, ALPHA; SORT without STORE and SORT_RO (they change
// nothing, but must fail exactly where the server fails); the keys they read and write.
//
// The family keeps its own keys (srt:*), not in any shared pool: SORT converts a zset to a
// skiplist, which the server's own AOF replay does not repeat for a SORT it did not log (a
// later -0 score would then differ legitimately), so only these generators touch srt:z0 and
// none of them writes a -0 score. ALPHA with a BY pattern is generated for lists only and
// without LIMIT: elsewhere equal sort values leave the order to the set's internal order or to
// Redis's partial quicksort, which the engine refuses to guess (test/engine/hfe-sort.test.ts).
//
// sort.c checks `errno == ERANGE` after strtod without clearing errno first: an ERANGE left by
// an earlier parse (even of another command) fails a later numeric SORT on a live server. An
// AOF never holds a SORT that failed, so the engine does not model that. Here a SORT that
// parses scores runs in a script right after a ZADD XX that changes nothing but clears errno
// (string2d sets it to 0), mirrored as those two commands; ALPHA and BY-constant SORTs (no
// strtod) are sent as they are, so the engine must fail exactly where the server fails.

import type { Cmd, Family, GenContext, Step } from '../workload-gen.js';

const b = (x: string | Buffer | number): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cmd = (...a: (string | Buffer | number)[]): Cmd => a.map(b);

/** elements: numbers in several forms, text, bytes >= 0x80, an embedded NUL, empty */
const MIXED = ['1', '2', '10', '-3', '1.5', '007', ' 4', 'abc', 'abd', 'B', '', '\x80', '\xff\x00z', 'a b', '0x10', 'inf', '1e-320', 'nan', '\xe9t\xe9'];
/** elements that always parse as scores */
const NUMERIC = ['1', '2', '10', '-3', '1.5', '007', ' 4', '0x10', 'inf', '-inf', '1e3', '2.0', '', '3\x00x', '0x1p-1074', '1e-300'];
/** weights: mostly valid scores, some that are not */
const WEIGHTS = ['1', '2', '-1', '3.5', '1e3', '0x1p-1074', '  7', '', 'inf', '-inf', '10', '2', 'b', 'a', '\x90', '1.0'];
const BAD_WEIGHTS = ['abc', '1e-320', 'nan', '1 ', '1e400', '4.9e-324'];

const LISTS = ['srt:l0', 'srt:ln'];
const SETS = ['srt:s0', 'srt:sn'];
const ZSET = 'srt:z0';
const DESTS = ['srt:d0', 'srt:d1'];

export const sortFamily: Family = (ctx: GenContext) => {
  const { int, chance, pick } = ctx;
  const vocab = (key: string) => (key.endsWith('n') ? NUMERIC : MIXED);
  const elem = () => pick(chance(0.5) ? NUMERIC : MIXED);
  const weight = () => (chance(0.08) ? pick(BAD_WEIGHTS) : pick(WEIGHTS));

  const RESET = "redis.call('ZADD', KEYS[1], 'XX', '1', 'm') return redis.call(ARGV[1], unpack(ARGV, 2))";
  const sortStep = (): Cmd | Step => {
    const { args, parses } = sortCmd();
    if (!parses) return args;
    const reset = cmd('ZADD', 'srt:zreset', 'XX', '1', 'm');
    return { kind: 'cmd', args: [b('EVAL'), b(RESET), b(1), b('srt:zreset'), ...args], mirror: { kind: 'effects', cmds: [reset, args] } };
  };

  /** a SORT; `parses`: it may run strtod (numeric, with a BY pattern or none) */
  const sortCmd = (): { args: Cmd; parses: boolean } => {
    const k = int(20);
    let src: string;
    let kind: 'list' | 'set' | 'zset' | 'other';
    if (k < 9) [src, kind] = [pick(LISTS), 'list'];
    else if (k < 14) [src, kind] = [pick(SETS), 'set'];
    else if (k < 17) [src, kind] = [ZSET, 'zset'];
    else if (k < 19) [src, kind] = ['srt:none', 'list'];
    else [src, kind] = ['srt:str', 'other'];
    const ro = chance(0.05);
    const store = !ro && chance(0.85);
    let alpha = chance(0.4);
    const byKind = int(10);
    let by: string | undefined;
    if (byKind < 3) by = 'srt:w_*';
    else if (byKind < 5) by = 'srt:h_*->f';
    else if (byKind === 5) by = 'nosort';
    else if (byKind === 6) by = pick(['srt:none_*', 'srt:w_*->', 'srt:w_*->f', 'srt:h_*']);
    let limit: [string, string] | undefined = chance(0.3) ? [pick(['0', '1', '2', '-1', '5', '100']), pick(['-1', '0', '1', '2', '3', '100'])] : undefined;
    if (alpha && by !== undefined && by.includes('*')) {
      // ties among equal sort values: reproducible for a list sorted whole (merge sort)
      if (kind !== 'list' && kind !== 'other') {
        if (chance(0.5)) alpha = false;
        else by = undefined;
      } else limit = undefined;
    }
    const opts: string[][] = [];
    if (by !== undefined) opts.push(['BY', by]);
    if (limit) opts.push(['LIMIT', ...limit]);
    if (chance(0.4)) opts.push([pick(['ASC', 'DESC', 'DESC'])]);
    if (alpha) opts.push(['ALPHA']);
    const ngets = chance(0.4) ? 1 + int(2) : 0;
    for (let i = 0; i < ngets; i++) opts.push(['GET', pick(['#', 'srt:w_*', 'srt:h_*->f', 'const', 'srt:h_*->', 'srt:w_*', 'srt:h_*->g'])]);
    if (store) opts.push(['STORE', chance(0.8) ? pick(DESTS) : chance(0.5) ? src : ctx.key('list').toString('latin1')]);
    // option order does not matter to SORT (except that the last BY/STORE wins)
    for (let i = opts.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [opts[i], opts[j]] = [opts[j]!, opts[i]!];
    }
    const args: (string | Buffer)[] = [ro ? 'SORT_RO' : 'SORT', src];
    for (const o of opts) args.push(...o);
    if (chance(0.02)) args.push(pick(['LIMIT', 'BY', 'bogus', 'STORE']));
    if (chance(0.02)) args.splice(2, 0, 'LIMIT', 'x', '1');
    const parses = !alpha && (by === undefined || by.includes('*')) && kind !== 'other';
    return { args: cmd(...args), parses };
  };

  return [
    [2.4, sortStep],
    [0.48, () => {
      const k = pick(LISTS);
      return cmd('RPUSH', k, ...Array.from({ length: 1 + int(4) }, () => pick(vocab(k))));
    }],
    [0.12, () => cmd(pick(['LPOP', 'RPOP']), pick(LISTS), String(1 + int(3)))],
    [0.4, () => {
      const k = pick(SETS);
      return cmd('SADD', k, ...Array.from({ length: 1 + int(4) }, () => pick(vocab(k))));
    }],
    [0.12, () => {
      const k = pick(SETS);
      return cmd('SREM', k, pick(vocab(k)));
    }],
    [0.32, () => cmd('ZADD', ZSET, String(int(7) - 2), pick(MIXED), String(int(5)), pick(MIXED))],
    [0.08, () => cmd('ZREM', ZSET, pick(MIXED))],
    [0.6, () => cmd('SET', `srt:w_${elem()}`, weight())],
    [0.12, () => cmd('DEL', `srt:w_${elem()}`)],
    [0.4, () => cmd('HSET', `srt:h_${elem()}`, chance(0.85) ? 'f' : 'g', weight())],
    [0.12, () => cmd('HDEL', `srt:h_${elem()}`, 'f')],
    [0.08, () => cmd('EXPIRE', pick(DESTS), '100000')],
    [0.04, () => cmd('SET', 'srt:str', 'x')],
    [0.04, () => cmd('RPUSH', pick(DESTS), 'old')],
  ];
};
