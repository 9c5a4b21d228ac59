// HyperLogLog commands for the engine's differential workload: PFADD (small and bulk adds, so
// keys go sparse -> dense through both promotions' paths), PFCOUNT of one key (rewrites the
// cached cardinality, propagated) and of several (read only), PFMERGE across encodings,
// PFDEBUG TODENSE/ENCODING, binary elements, wrong types, and corrupted HLL strings set with
// SET (only ever given one PFADD element at a time: a PFADD that fails half way keeps the
// registers it changed on the server but is not propagated, so the server's own AOF then
// loads to different bytes; seen with a SETRANGE-damaged HLL, and checked: a server started
// on that AOF holds what the engine's replay holds).

import type { Family, Gen } from '../workload-gen.js';

const b = (x: string | Buffer | number): Buffer => (Buffer.isBuffer(x) ? x : Buffer.from(String(x), 'latin1'));
const cmd = (...a: (string | Buffer | number)[]): Buffer[] => a.map(b);

export const hllFamily: Family = (ctx) => {
  const { int, chance, pick, key: anyKey, bytes } = ctx;
  // The HLL keys are not a shared pool: string commands of other families (SETRANGE, APPEND,
  // BITOP) drawing "a key of any pool" would turn them into corrupted HLLs, on which a PFADD
  // of several elements can fail half way (see above). 5% of the time a key of another pool.
  const HKEYS = ['H0', 'H1', 'H2', 'H3', Buffer.from('H\x00\xff', 'latin1')];
  const key = (_pool: 'hll'): Buffer => (chance(0.95) ? b(pick(HKEYS)) : anyKey(pick(['str', 'list', 'zset', 'num'])));
  // corrupted or odd HLL strings live apart from the pools (see the header)
  const BAD = ['Hc0', 'Hc1', 'Hc2'];
  const elem = (): Buffer => {
    const k = int(20);
    if (k < 12) return b(`e${int(600)}`);
    if (k < 16) return bytes(int(10));
    if (k < 18) return b(int(100000));
    return k === 18 ? b('') : b('x'.repeat(50 + int(50)));
  };
  const hdr = (enc: number, card: number[], rest: number[]): Buffer => Buffer.concat([Buffer.from('HYLL', 'latin1'), Buffer.from([enc, 0, 0, 0, ...card]), Buffer.from(rest)]);
  const corrupted = (): Buffer => {
    const card = chance(0.5) ? [0, 0, 0, 0, 0, 0, 0, 0x80] : [5, 0, 0, 0, 0, 0, 0, 0];
    const k = int(8);
    if (k === 0) return hdr(2, card, [0x7f, 0xff]); // unknown encoding
    if (k === 1) return hdr(0, card, [1, 2, 3]); // dense of the wrong size
    if (k === 2) return hdr(1, card, [0x7f, 0xfe]); // one register short
    if (k === 3) return hdr(1, card, [0x7f, 0xff, 0x00]); // one too many
    if (k === 4) return hdr(1, card, [0x80 | int(128), 0x7f, 0xfe]); // valid: a VAL then zeros
    if (k === 5) return b('HYLL');
    // random opcodes
    const out: number[] = [];
    for (let i = 0, n = 1 + int(6); i < n; i++) {
      const c = int(3);
      out.push(c === 0 ? 0x80 | int(128) : c === 1 ? int(64) : 0x40 | int(64));
      if ((out[out.length - 1]! & 0xc0) === 0x40 && chance(0.8)) out.push(int(256));
    }
    return hdr(1, card, out);
  };
  const gens: [number, Gen][] = [
    [5, () => cmd('PFADD', key('hll'), ...Array.from({ length: int(6) }, elem))],
    // bulk: hundreds of elements push a key past the 3000-byte sparse limit
    [1, () => cmd('PFADD', key('hll'), ...Array.from({ length: 100 + int(400) }, () => b(`bulk${int(100000)}`)))],
    [3, () => cmd('PFCOUNT', key('hll'))],
    [1, () => cmd('PFCOUNT', key('hll'), ...Array.from({ length: 1 + int(3) }, () => key('hll')))],
    [2, () => cmd('PFMERGE', key('hll'), ...Array.from({ length: int(4) }, () => key('hll')))],
    [0.5, () => cmd('PFDEBUG', pick(['TODENSE', 'ENCODING', 'todense', 'DECODE', 'BOGUS']), key('hll'))],
    [0.5, () => cmd('SET', pick(BAD), corrupted())],
    [1, () => cmd('PFADD', pick(BAD), elem())],
    [1, () => cmd('PFCOUNT', pick(BAD))],
    [0.5, () => cmd('PFCOUNT', pick(BAD), key('hll'))],
    [0.5, () => cmd('PFMERGE', chance(0.5) ? pick(BAD) : key('hll'), pick(BAD))],
    [0.3, () => cmd('PFDEBUG', 'TODENSE', pick(BAD))],
  ];
  // half weight: the family shares the workload with every other command
  return gens.map(([w, g]) => [w / 2, g]);
};
