// Grisu2 as Redis's fpconv (deps/fpconv, 7.2+) runs it, on unsigned 64-bit integers with
// wrap-around, computed here with pairs of 32-bit halves in plain numbers (no BigInt: the
// BigInt version cost a third of the zset digest). The digits and exponent are the same as
// fpconv's, including where Grisu2 is not the shortest; a test compares this with a BigInt
// transcription on millions of doubles, and with vectors from the C code.

// A 64-bit value is (hi, lo), both in [0, 2^32). The helpers return the high half and leave
// the low half in RLO, so that nothing is allocated on the way.
let RLO = 0;
const TWO32 = 4294967296;

/** (ah,al) + (bh,bl) mod 2^64 */
function add(ah: number, al: number, bh: number, bl: number): number {
  const lo = al + bl;
  RLO = lo >>> 0;
  return (ah + bh + (lo >= TWO32 ? 1 : 0)) >>> 0;
}

/** (ah,al) - (bh,bl) mod 2^64 */
function sub(ah: number, al: number, bh: number, bl: number): number {
  const lo = al - bl;
  RLO = lo >>> 0;
  return (ah - bh - (lo < 0 ? 1 : 0)) >>> 0;
}

/** a < b */
function lt(ah: number, al: number, bh: number, bl: number): boolean {
  return ah < bh || (ah === bh && al < bl);
}

/** x * y for 32-bit x, y: the exact 64-bit product */
function mul32(x: number, y: number): number {
  const xh = x >>> 16;
  const xl = x & 0xffff;
  const yh = y >>> 16;
  const yl = y & 0xffff;
  const mid = xh * yl + xl * yh; // < 2^33
  const low = xl * yl + (mid % 65536) * 65536; // < 2^33
  RLO = low >>> 0;
  return (xh * yh + Math.floor(mid / 65536) + Math.floor(low / TWO32)) >>> 0;
}

/** (ah,al) * (bh,bl) mod 2^64 */
function mulLow(ah: number, al: number, bh: number, bl: number): number {
  const hi = mul32(al, bl);
  const lo = RLO;
  RLO = lo;
  return (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** (ah,al) << s mod 2^64, 0 <= s < 64 */
function shl(ah: number, al: number, s: number): number {
  if (s === 0) {
    RLO = al;
    return ah;
  }
  if (s >= 32) {
    RLO = 0;
    return s === 32 ? al : (al << (s - 32)) >>> 0;
  }
  RLO = (al << s) >>> 0;
  return ((ah << s) | (al >>> (32 - s))) >>> 0;
}

/** fpconv's multiply: the high 64 bits of the 128-bit product, rounded as fpconv rounds */
function fpMul(ah: number, al: number, bh: number, bl: number): number {
  const ahBlH = mul32(ah, bl);
  const ahBlL = RLO;
  const alBhH = mul32(al, bh);
  const alBhL = RLO;
  const alBlH = mul32(al, bl);
  const ahBhH = mul32(ah, bh);
  const ahBhL = RLO;
  const tmp = ahBlL + alBhL + alBlH + 2147483648; // < 2^34
  const carry = Math.floor(tmp / TWO32);
  const lo = ahBhL + ahBlH + alBhH + carry; // < 2^35
  RLO = lo >>> 0;
  return (ahBhH + Math.floor(lo / TWO32)) >>> 0;
}

/** 10^k for k = -348, -340, ..., 340 as a 64-bit normalised significand and binary exponent,
 * rounded to nearest: the table of fpconv_powers.h, computed exactly */
export function cachedPowers(): { frac: bigint; exp: number }[] {
  const M64 = (1n << 64n) - 1n;
  const out: { frac: bigint; exp: number }[] = [];
  for (let i = 0; i < 87; i++) {
    const k = -348 + 8 * i;
    let frac: bigint;
    let exp: number;
    if (k >= 0) {
      const n = 10n ** BigInt(k);
      const len = n.toString(2).length;
      if (len > 64) {
        const sh = BigInt(len - 64);
        frac = (n + (1n << (sh - 1n))) >> sh;
        exp = len - 64;
      } else {
        frac = n << BigInt(64 - len);
        exp = -(64 - len);
      }
    } else {
      const den = 10n ** BigInt(-k);
      let s = 63 + den.toString(2).length;
      if ((1n << BigInt(s)) / den > M64) s--;
      frac = ((1n << BigInt(s + 1)) + den) / (2n * den);
      exp = -s;
    }
    if (frac > M64) {
      frac >>= 1n;
      exp++;
    }
    out.push({ frac, exp });
  }
  return out;
}

const POWERS = cachedPowers();
const POW_HI = POWERS.map((p) => Number(p.frac >> 32n));
const POW_LO = POWERS.map((p) => Number(p.frac & 0xffffffffn));
const POW_EXP = POWERS.map((p) => p.exp);

const POW10 = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** fpconv's round_weed: step the last digit down while that stays closer to w */
function roundDigit(digits: number[], dh: number, dl: number, rh: number, rl: number, kh: number, kl: number, fh: number, fl: number): void {
  for (;;) {
    if (!lt(rh, rl, fh, fl)) return; // rem < frac
    const dmrH = sub(dh, dl, rh, rl);
    const dmrL = RLO;
    if (lt(dmrH, dmrL, kh, kl)) return; // delta - rem >= kappa
    const rkH = add(rh, rl, kh, kl);
    const rkL = RLO;
    if (!lt(rkH, rkL, fh, fl)) {
      // frac - rem > rem + kappa - frac
      const fmrH = sub(fh, fl, rh, rl);
      const fmrL = RLO;
      const rkfH = sub(rkH, rkL, fh, fl);
      const rkfL = RLO;
      if (!lt(rkfH, rkfL, fmrH, fmrL)) return;
    }
    digits[digits.length - 1]!--;
    rh = rkH;
    rl = rkL;
  }
}

/** fpconv's grisu2 for a finite, non-zero d: its digits and decimal exponent K (value =
 * digits * 10^K, sign apart) */
export function grisu2(d: number): { digits: number[]; K: number } {
  F64[0] = d;
  const bh = U32[LE ? 1 : 0]!;
  const bl = U32[LE ? 0 : 1]!;
  const be = (bh >>> 20) & 0x7ff;
  // w = frac * 2^exp, frac below 2^53
  let wh = bh & 0xfffff;
  let wl = bl;
  let we: number;
  if (be) {
    wh += 0x100000;
    we = be - 1075;
  } else we = -1074;
  const isHidden = wh === 0x100000 && wl === 0;

  // the upper boundary m+ = (2 frac + 1) * 2^(exp - 1), normalised to bit 63
  let uh = shl(wh, wl, 1);
  let ul = RLO + 1; // the low bit was 0: no carry
  let ue = we - 1;
  while ((uh & 0x200000) === 0) {
    uh = shl(uh, ul, 1);
    ul = RLO;
    ue--;
  }
  uh = shl(uh, ul, 10);
  ul = RLO;
  ue -= 10;
  // the lower boundary m- = (frac << lShift) - 1, brought to the upper one's exponent
  const lShift = isHidden ? 2 : 1;
  let lh = shl(wh, wl, lShift);
  let ll = RLO;
  lh = sub(lh, ll, 0, 1);
  ll = RLO;
  const le = we - lShift;
  lh = shl(lh, ll, le - ue);
  ll = RLO;
  // normalise w to bit 63
  while ((wh & 0x100000) === 0) {
    wh = shl(wh, wl, 1);
    wl = RLO;
    we--;
  }
  wh = shl(wh, wl, 11);
  wl = RLO;
  we -= 11;

  // the cached power of ten that brings the upper boundary's exponent to [-60, -32]
  let idx = Math.trunc((Math.trunc(-(ue + 87) * 0.30102999566398114) + 348) / 8);
  for (;;) {
    const current = ue + POW_EXP[idx]! + 64;
    if (current < -60) idx++;
    else if (current > -32) idx--;
    else break;
  }
  const ph = POW_HI[idx]!;
  const pl = POW_LO[idx]!;
  let K = -(-348 + idx * 8);

  const swH = fpMul(wh, wl, ph, pl);
  const swL = RLO;
  let suH = fpMul(uh, ul, ph, pl);
  let suL = RLO;
  let slH = fpMul(lh, ll, ph, pl);
  let slL = RLO;
  const suE = ue + POW_EXP[idx]! + 64;
  slH = add(slH, slL, 0, 1);
  slL = RLO;
  suH = sub(suH, suL, 0, 1);
  suL = RLO;

  // digit generation
  const digits: number[] = [];
  const wfH = sub(suH, suL, swH, swL);
  const wfL = RLO;
  let dH = sub(suH, suL, slH, slL);
  let dL = RLO;
  const shift = -suE; // 32..60
  const s32 = shift - 32; // 0..28
  // part1 = su >> shift (below 2^32), part2 = su mod 2^shift (as hi, lo)
  const pow2 = 2 ** s32;
  let part1 = Math.floor(suH / pow2);
  let p2H = suH % pow2;
  let p2L = suL;
  for (let kappa = 10, i = 0; kappa > 0; i++) {
    const div = POW10[i]!;
    const digit = Math.floor(part1 / div);
    if (digit !== 0 || digits.length > 0) digits.push(digit);
    part1 -= digit * div;
    kappa--;
    // tmp = (part1 << shift) + part2 (below 2^64: it is what is left of su)
    const tH = part1 * pow2 + p2H;
    const tL = p2L;
    if (!lt(dH, dL, tH, tL)) {
      // tmp <= delta
      K += kappa;
      // kappa = (div << shift) mod 2^64
      const kH = (div % (TWO32 / pow2)) * pow2;
      roundDigit(digits, dH, dL, tH, tL, kH, 0, wfH, wfL);
      return { digits, K };
    }
  }
  // one = 2^shift as (hi, lo)
  const oneH = pow2;
  let kappa = 0;
  let unit = 1; // 10^k multiplier of wfrac: 10, 100, ...
  for (;;) {
    // part2 *= 10, delta *= 10 (mod 2^64)
    p2H = mulLow(p2H, p2L, 0, 10);
    p2L = RLO;
    dH = mulLow(dH, dL, 0, 10);
    dL = RLO;
    unit *= 10;
    kappa--;
    const digit = Math.floor(p2H / oneH);
    if (digit !== 0 || digits.length > 0) digits.push(digit);
    p2H = p2H % oneH;
    if (lt(p2H, p2L, dH, dL)) {
      K += kappa;
      const fH = mulLow(wfH, wfL, Math.floor(unit / TWO32), unit % TWO32);
      roundDigit(digits, dH, dL, p2H, p2L, oneH, 0, fH, RLO);
      return { digits, K };
    }
  }
}
