// The BigInt transcription of fpconv's Grisu2 that engine/digest.ts used before engine/grisu.ts
// (plain numbers): kept as the oracle the new one is compared with.

import { cachedPowers } from '../../src/engine/grisu.js';

const M64 = (1n << 64n) - 1n;
const FRAC_MASK = 0xfffffffffffffn;
const HIDDEN = 1n << 52n;
const EXP_BIAS = 1023 + 52;
const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
function bitsOf(d: number): bigint {
  F64[0] = d;
  return U64[0]!;
}

interface Fp {
  frac: bigint;
  exp: number;
}

/** the table of cached powers of ten (shared with engine/grisu.ts; checked by the C vectors) */
const CACHED_POWERS: Fp[] = cachedPowers();

const TENS: bigint[] = Array.from({ length: 20 }, (_, i) => 10n ** BigInt(19 - i));

function cachedPow10(exp: number): { p: Fp; k: number } {
  const approx = Math.trunc(-(exp + 87) * 0.30102999566398114);
  let idx = Math.trunc((approx + 348) / 8);
  for (;;) {
    const current = exp + CACHED_POWERS[idx]!.exp + 64;
    if (current < -60) idx++;
    else if (current > -32) idx--;
    else return { p: CACHED_POWERS[idx]!, k: -348 + idx * 8 };
  }
}

function mul(a: Fp, b: Fp): Fp {
  const lo = 0xffffffffn;
  const ahBl = (a.frac >> 32n) * (b.frac & lo);
  const alBh = (a.frac & lo) * (b.frac >> 32n);
  const alBl = (a.frac & lo) * (b.frac & lo);
  const ahBh = (a.frac >> 32n) * (b.frac >> 32n);
  let tmp = (ahBl & lo) + (alBh & lo) + (alBl >> 32n);
  tmp += 1n << 31n;
  return { frac: (ahBh + (ahBl >> 32n) + (alBh >> 32n) + (tmp >> 32n)) & M64, exp: a.exp + b.exp + 64 };
}

function roundDigit(digits: number[], n: number, delta: bigint, rem: bigint, kappa: bigint, frac: bigint): void {
  while (
    rem < frac &&
    ((delta - rem) & M64) >= kappa &&
    (((rem + kappa) & M64) < frac || ((frac - rem) & M64) > ((rem + kappa - frac) & M64))
  ) {
    digits[n - 1]!--;
    rem = (rem + kappa) & M64;
  }
}

export function grisu2BigInt(d: number): { digits: number[]; K: number } {
  const bits = bitsOf(d);
  const w: Fp = { frac: bits & FRAC_MASK, exp: Number((bits >> 52n) & 0x7ffn) };
  if (w.exp) {
    w.frac += HIDDEN;
    w.exp -= EXP_BIAS;
  } else {
    w.exp = -EXP_BIAS + 1;
  }
  // boundaries m+ and m-, on the raw (not yet normalised) value
  const upper: Fp = { frac: (w.frac << 1n) + 1n, exp: w.exp - 1 };
  while ((upper.frac & (HIDDEN << 1n)) === 0n) {
    upper.frac <<= 1n;
    upper.exp--;
  }
  upper.frac = (upper.frac << 10n) & M64;
  upper.exp -= 10;
  const lShift = w.frac === HIDDEN ? 2 : 1;
  const lower: Fp = { frac: ((w.frac << BigInt(lShift)) - 1n) & M64, exp: w.exp - lShift };
  lower.frac = (lower.frac << BigInt(lower.exp - upper.exp)) & M64;
  lower.exp = upper.exp;
  // normalise w
  while ((w.frac & HIDDEN) === 0n) {
    w.frac <<= 1n;
    w.exp--;
  }
  w.frac = (w.frac << 11n) & M64;
  w.exp -= 11;

  const { p, k } = cachedPow10(upper.exp);
  const sw = mul(w, p);
  const su = mul(upper, p);
  const sl = mul(lower, p);
  sl.frac = (sl.frac + 1n) & M64;
  su.frac = (su.frac - 1n) & M64;
  let K = -k;

  // digit generation
  const digits: number[] = [];
  const wfrac = (su.frac - sw.frac) & M64;
  let delta = (su.frac - sl.frac) & M64;
  const shift = BigInt(-su.exp);
  const oneFrac = 1n << shift;
  let part1 = su.frac >> shift;
  let part2 = su.frac & (oneFrac - 1n);
  let kappa = 10;
  for (let di = 10; kappa > 0; di++) {
    const div = TENS[di]!;
    const digit = part1 / div;
    if (digit !== 0n || digits.length > 0) digits.push(Number(digit));
    part1 -= digit * div;
    kappa--;
    const tmp = ((part1 << shift) + part2) & M64;
    if (tmp <= delta) {
      K += kappa;
      roundDigit(digits, digits.length, delta, tmp, (div << shift) & M64, wfrac);
      return { digits, K };
    }
  }
  let unit = 18;
  for (;;) {
    part2 = (part2 * 10n) & M64;
    delta = (delta * 10n) & M64;
    kappa--;
    const digit = part2 >> shift;
    if (digit !== 0n || digits.length > 0) digits.push(Number(digit));
    part2 &= oneFrac - 1n;
    if (part2 < delta) {
      K += kappa;
      roundDigit(digits, digits.length, delta, part2, oneFrac, (wfrac * TENS[unit]!) & M64);
      return { digits, K };
    }
    unit--;
  }
}

