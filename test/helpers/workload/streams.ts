// Stream commands for the differential workload: XADD (explicit, <ms>-*, and * mirrored from
// the ID the server chose), XTRIM, XDEL, XSETID, XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM,
// with valid and invalid arguments.
//
// Time: the server and the engine each use their own clock for delivery times, so idle-time
// arguments are kept far from the boundary: delivery times are either "now" (idle of a few
// seconds at most) or at least 2e11 ms in the past (IDLE 2e11, TIME 1 / 2001), and the
// min-idle-times are 0 or 1e11 (or absurdly large), so both sides claim the same entries.
//
// Approximate trims (`~`) go only to the keys xb0/xb1, which are not in a key pool: no RESTORE,
// COPY or RENAME of the main workload lands on them, so their listpack node layout is always the
// one the engine built (a restored stream's layout is unknown and the engine would refuse).
// Their entries are sometimes long, so nodes end on the 4096-byte limit as well as on the
// 100-entry one.

import type { Cmd, Family, GenContext, Step } from '../workload-gen.js';

const b = (x: string | Buffer | number | bigint): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cmd = (...a: (string | Buffer | number | bigint)[]): Cmd => a.map(b);

export const streamFamily: Family = (ctx: GenContext) => {
  const { int, chance, pick, key } = ctx;
  ctx.addPool('stream', ['x0', 'x1', 'x2', 'x3', Buffer.from('x\x00\xff', 'latin1')]);
  const BIG = ['xb0', 'xb0', 'xb1'];
  // `*` IDs (the server's clock, ~1.7e12) only go to xa: explicit IDs would fail after them
  const AUTO = 'xa';
  /** a stream key for the group commands: the pool, the big keys, the auto-ID key */
  const anyStream = (): Buffer | string => (chance(0.7) ? key('stream') : chance(0.6) ? pick(BIG) : AUTO);

  // explicit IDs rise with the workload, so most XADDs are accepted on every key
  let tick = 1;
  const nextId = (): string => {
    tick += int(3);
    const k = int(20);
    if (k < 8) return `${tick}-${int(3)}`;
    if (k < 14) return `${tick}-*`;
    if (k < 16) return String(tick);
    if (k === 16) return pick(['0-0', '0', '0-*', '1-0', '-', '+', 'x', '1-x', '5-*-1', '', ' 7', '1-18446744073709551616']);
    return `${Math.max(1, tick - int(30))}-${int(3)}`;
  };
  const recentId = (): string => {
    const k = int(25);
    if (k === 0) return pick(['x', '-', '+', '1-2-3', '', '(5']);
    if (k === 1) return pick(['0-0', '0', '18446744073709551615', '1-18446744073709551615']);
    return `${Math.max(1, tick - int(25))}-${int(3)}`;
  };
  const ids = (n: number): string[] => Array.from({ length: n }, recentId);
  const fieldName = (): Buffer => (chance(0.85) ? b(`f${int(3)}`) : chance(0.5) ? b(int(5)) : ctx.bytes(int(4)));
  const fields = (big: boolean): Buffer[] => {
    const n = chance(0.1) ? 4 + int(3) : 1 + int(2);
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      out.push(fieldName());
      if (big && chance(0.4)) out.push(b('v'.repeat(60 + int(200))));
      else out.push(chance(0.3) ? b(pick(['0', '1', '-1', '127', '128', '4096', '-4097', '65536', '16777216', '4294967296', '9223372036854775807', '007', '-0', '1.5'])) : ctx.value());
    }
    return out;
  };
  const group = (): string | Buffer => (chance(0.93) ? `g${int(2)}` : pick(['g2', 'gx', Buffer.from('g\x00b', 'latin1')]));
  const consumer = (): string | Buffer => (chance(0.92) ? `c${int(4)}` : pick(['', Buffer.from('c\x00\xff', 'latin1')]));
  const trimOpts = (approx: boolean): string[] => {
    const o: string[] = [];
    const k = int(100);
    const which = chance(0.6) ? 'MAXLEN' : 'MINID';
    const mark = approx ? pick(['~', '~', '~', '~', '=', '']) : pick(['=', '', '']);
    const bigMinId = (): string => `${Math.max(1, tick - 30 - int(150))}-${int(3)}`;
    const arg =
      which === 'MAXLEN'
        ? k < 3
          ? pick(['-1', 'x', '9223372036854775808'])
          : String(approx ? 20 + int(100) : int(12))
        : k < 3
          ? pick(['-', '+', 'x', '5-*'])
          : approx
            ? bigMinId()
            : recentId();
    o.push(chance(0.05) ? which.toLowerCase() : which);
    if (mark) o.push(mark);
    o.push(arg);
    if (chance(approx ? 0.3 : 0.04)) o.push('LIMIT', pick(['0', '1', '50', '100', '150', '500', '-1', 'x']));
    return o;
  };

  const xadd = (k: Buffer | string, big: boolean): Cmd | Step => {
    const o: string[] = [];
    if (chance(0.08)) o.push(pick(['NOMKSTREAM', 'nomkstream']));
    if (chance(big ? 0.2 : 0.15)) o.push(...trimOpts(big));
    if (chance(0.01)) o.push('LIMIT', '5');
    if (chance(0.01)) o.push('MAXLEN', '5', 'MINID', '1');
    const auto = k === AUTO;
    const id = auto ? '*' : nextId();
    // an odd number of field/value arguments (enough for the command's arity: MULTI queues it)
    const fv = chance(0.02) ? cmd('f', 'v', 'g') : fields(big);
    const args = cmd('XADD', k, ...o, id, ...fv);
    if (!auto) return args;
    const at = 2 + o.length;
    return {
      kind: 'cmd',
      args,
      mirror: {
        kind: 'fromReply',
        build: (reply) => (reply === null ? [] : [[...args.slice(0, at), reply as Buffer, ...args.slice(at + 1)]]),
      },
    };
  };

  const minIdle = (): string => pick(['0', '0', '0', '100000000000', '-5', '9223372036854775807', 'x']);

  // weights are halved below so streams do not crowd out the other families in the difftest
  const gens: [number, () => Cmd | Step][] = [
    [6, () => xadd(key('stream'), false)],
    [1, () => xadd(AUTO, false)],
    [8, () => xadd(pick(BIG), true)],
    [2, () => {
      const big = chance(0.3);
      const k = big ? pick(BIG) : key('stream');
      if (chance(0.03)) return cmd('XTRIM', k, pick(['LIMIT', 'bogus', 'MAXLEN']), '5');
      return cmd('XTRIM', k, ...trimOpts(big));
    }],
    [2, () => cmd('XDEL', chance(0.8) ? key('stream') : pick(BIG), ...ids(1 + int(3)))],
    [1, () => {
      const o: string[] = [];
      if (chance(0.4)) o.push('ENTRIESADDED', pick(['0', '5', '100', '1000', '-1', 'x']));
      if (chance(0.4)) o.push('MAXDELETEDID', chance(0.8) ? recentId() : `${tick + 100}-0`);
      if (chance(0.03)) o.push('bogus');
      const id = chance(0.8) ? `${tick + int(5)}-${int(3)}` : recentId();
      return cmd('XSETID', chance(0.85) ? key('stream') : pick(BIG), id, ...o);
    }],
    [4, () => {
      const k = anyStream();
      const sub = pick(['CREATE', 'CREATE', 'CREATE', 'CREATE', 'SETID', 'SETID', 'CREATECONSUMER', 'CREATECONSUMER', 'DELCONSUMER', 'DESTROY']);
      const startId = (): string => pick(['$', '0', '0-0', recentId(), recentId(), `${tick}-0`, '-', '+'].slice(0, sub === 'SETID' ? 8 : 6));
      if (sub === 'CREATE') {
        const o: string[] = [];
        if (chance(0.4)) o.push(pick(['MKSTREAM', 'mkstream']));
        if (chance(0.3)) o.push('ENTRIESREAD', pick(['0', '1', '3', '-1', '-2', 'x', '1000']));
        if (chance(0.02)) o.push('bogus');
        return cmd('XGROUP', 'CREATE', k, group(), startId(), ...o);
      }
      if (sub === 'SETID') {
        const o = chance(0.4) ? ['ENTRIESREAD', pick(['0', '2', '-1', '-3', '10'])] : [];
        return cmd('XGROUP', 'SETID', k, group(), startId(), ...o);
      }
      if (sub === 'DESTROY') return cmd('XGROUP', 'DESTROY', k, group());
      return cmd('XGROUP', sub, k, group(), consumer());
    }],
    [5, () => {
      const o: string[] = [];
      if (chance(0.4)) o.push('COUNT', pick(['1', '2', '3', '10', '0', '-1']));
      if (chance(0.15)) o.push('NOACK');
      const n = chance(0.15) ? 2 : 1;
      const keys = Array.from({ length: n }, anyStream);
      const which = (): string => (chance(0.75) ? '>' : chance(0.9) ? pick(['0', '0-0', recentId()]) : pick(['$', 'x']));
      if (chance(0.02)) return cmd('XREADGROUP', 'GROUP', group(), consumer(), 'STREAMS', ...keys, ...keys.map(which), 'extra');
      if (chance(0.02)) return cmd('XREADGROUP', 'STREAMS', ...keys, ...keys.map(which), 'GROUP', 'g0', 'c0');
      return cmd('XREADGROUP', 'GROUP', group(), consumer(), ...o, 'STREAMS', ...keys, ...keys.map(which));
    }],
    [2, () => cmd('XACK', anyStream(), group(), ...Array.from({ length: 1 + int(6) }, () => (chance(0.5) ? `${1 + int(tick)}-0` : chance(0.8) ? `${Math.max(1, tick - int(12))}-${int(2)}` : recentId())))],
    [2, () => {
      const o: string[] = [];
      if (chance(0.3)) o.push(pick(['IDLE', 'IDLE', 'TIME', 'TIME']), pick(['0', '200000000000', '1', '1000000000000', '4000000000000', '-5', 'x']));
      if (chance(0.3)) o.push('RETRYCOUNT', pick(['0', '3', '7', '-1', 'x']));
      if (chance(0.3)) o.push('FORCE');
      if (chance(0.3)) o.push('JUSTID');
      if (chance(0.15)) o.push('LASTID', chance(0.9) ? recentId() : `${tick + 3}-0`);
      if (chance(0.02)) o.push('bogus');
      const list = Array.from({ length: 1 + int(3) }, () => (chance(0.4) ? `${1 + int(tick)}-0` : `${Math.max(1, tick - int(25))}-${int(3)}`));
      return cmd('XCLAIM', anyStream(), group(), consumer(), minIdle(), ...list, ...o);
    }],
    [1.5, () => {
      const o: string[] = [];
      if (chance(0.5)) o.push('COUNT', pick(['1', '2', '5', '100', '0', '-1', 'x']));
      if (chance(0.3)) o.push('JUSTID');
      if (chance(0.02)) o.push('bogus');
      const start = pick(['0', '0-0', '-', recentId(), `(${Math.max(1, tick - int(20))}-1`, '(18446744073709551615-18446744073709551615', '+']);
      return cmd('XAUTOCLAIM', anyStream(), group(), consumer(), minIdle(), start, ...o);
    }],
  ];
  return gens.map(([w, g]) => [w / 2, g]);
};
