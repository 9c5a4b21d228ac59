// String commands (Redis 7.0 t_string.c, bitops.c): SET and its variants, INCR*, INCRBYFLOAT,
// APPEND, SETRANGE, SETBIT, BITOP, BITFIELD. Also the x87 80-bit long double arithmetic that
// INCRBYFLOAT / HINCRBYFLOAT / blocking-command timeouts use on x86-64 Linux servers.

import { ERR, EngineError } from '../errors.js';
import {
  LLONG_MAX,
  PROTO_MAX_BULK_LEN,
  defineCommand,
  getLL,
  growString,
  isWord,
  keyOf,
  llBuf,
  parseLL,
  strBytes,
  stringValue,
  type CommandTable,
  type Engine,
  type StringValue,
} from '../engine.js';

// ---------------------------------------------------------------------------------------------
// Expiry arguments (getExpireMillisecondsOrReply, parseExtendedStringArgumentsOrReply)

function expireTimeError(cmd: string): EngineError {
  return new EngineError(`ERR invalid expire time in '${cmd.toLowerCase()}' command`);
}

/** The absolute ms an EX/PX/EXAT/PXAT argument means. */
export function expireArgMs(e: Engine, arg: Buffer, unitSeconds: boolean, relative: boolean, cmd: string): number {
  let ms = getLL(arg);
  if (ms <= 0n || (unitSeconds && ms > LLONG_MAX / 1000n)) throw expireTimeError(cmd);
  if (unitSeconds) ms *= 1000n;
  if (relative) ms += BigInt(e.now());
  // the C addition wraps past LLONG_MAX to a negative number, which the next check catches
  if (ms > LLONG_MAX || ms <= 0n) throw expireTimeError(cmd);
  return Number(ms);
}

interface ExtFlags {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepttl: boolean;
  persist: boolean;
  ex: boolean;
  px: boolean;
  exat: boolean;
  pxat: boolean;
  expire: Buffer | undefined;
}

function parseExtended(args: Buffer[], forSet: boolean): ExtFlags {
  const f: ExtFlags = { nx: false, xx: false, get: false, keepttl: false, persist: false, ex: false, px: false, exat: false, pxat: false, expire: undefined };
  for (let j = forSet ? 3 : 2; j < args.length; j++) {
    const opt = args[j]!;
    const next = j === args.length - 1 ? undefined : args[j + 1];
    const anyExpire = f.ex || f.px || f.exat || f.pxat;
    if (isWord(opt, 'NX') && !f.xx && forSet) f.nx = true;
    else if (isWord(opt, 'XX') && !f.nx && forSet) f.xx = true;
    else if (isWord(opt, 'GET') && forSet) f.get = true;
    else if (isWord(opt, 'KEEPTTL') && !f.persist && !anyExpire && forSet) f.keepttl = true;
    else if (isWord(opt, 'PERSIST') && !forSet && !anyExpire && !f.keepttl) f.persist = true;
    else if (isWord(opt, 'EX') && !f.keepttl && !f.persist && !f.exat && !f.px && !f.pxat && next) {
      f.ex = true;
      f.expire = next;
      j++;
    } else if (isWord(opt, 'PX') && !f.keepttl && !f.persist && !f.ex && !f.exat && !f.pxat && next) {
      f.px = true;
      f.expire = next;
      j++;
    } else if (isWord(opt, 'EXAT') && !f.keepttl && !f.persist && !f.ex && !f.px && !f.pxat && next) {
      f.exat = true;
      f.expire = next;
      j++;
    } else if (isWord(opt, 'PXAT') && !f.keepttl && !f.persist && !f.ex && !f.exat && !f.px && next) {
      f.pxat = true;
      f.expire = next;
      j++;
    } else {
      throw new EngineError(ERR.syntax);
    }
  }
  return f;
}

/** setGenericCommand */
function setGeneric(e: Engine, cmd: string, key: Buffer, val: Buffer, f: Pick<ExtFlags, 'nx' | 'xx' | 'get' | 'keepttl'>, expire: Buffer | undefined, unitSeconds: boolean, relative: boolean): void {
  let ms: number | undefined;
  if (expire) ms = expireArgMs(e, expire, unitSeconds, relative, cmd);
  const k = keyOf(key);
  if (f.get) e.lookupTyped(k, 'string');
  const found = e.lookup(k) !== undefined;
  if ((f.nx && found) || (f.xx && !found)) return;
  e.setKey(k, stringValue(val), f.keepttl);
  if (ms !== undefined) e.db.get(k)!.expire = ms;
}

function setCommand(e: Engine, a: Buffer[]): void {
  const f = parseExtended(a, true);
  setGeneric(e, 'set', a[1]!, a[2]!, f, f.expire, f.ex || f.exat, f.ex || f.px);
}

function getexCommand(e: Engine, a: Buffer[]): void {
  const f = parseExtended(a, false);
  const k = keyOf(a[1]!);
  if (e.lookupTyped(k, 'string') === undefined) return;
  let ms: number | undefined;
  if (f.expire) ms = expireArgMs(e, f.expire, f.ex || f.exat, f.ex || f.px, 'getex');
  const slot = e.db.get(k)!;
  if ((f.pxat || f.exat) && e.alreadyExpired(ms!)) e.del(k);
  else if (ms !== undefined) slot.expire = ms;
  else if (f.persist) slot.expire = undefined;
}

// ---------------------------------------------------------------------------------------------
// Integers

function incrDecr(e: Engine, key: Buffer, incr: bigint): void {
  const k = keyOf(key);
  const s = e.lookupTyped(k, 'string');
  const old = s === undefined ? 0n : getLL(strBytes(s));
  if ((incr < 0n && old < 0n && incr < -(1n << 63n) - old) || (incr > 0n && old > 0n && incr > LLONG_MAX - old)) {
    throw new EngineError(ERR.overflow);
  }
  const v = stringValue(llBuf(old + incr));
  if (s) e.db.get(k)!.value = v; // dbOverwrite keeps the TTL
  else e.add(k, v);
}

// ---------------------------------------------------------------------------------------------
// x87 extended precision (long double on x86-64): 64-bit significand, 15-bit exponent.
// Values are exact binary numbers (-1)^neg * m * 2^e; every operation rounds to nearest even.

export type LongDouble = { kind: 'fin'; neg: boolean; m: bigint; e: number } | { kind: 'inf'; neg: boolean } | { kind: 'nan' };

const LD_PRECISION = 64;
const LD_EMAX = 16383;
/** exponent of the smallest subnormal's unit: 2^(1 - 16383 - 63) */
const LD_QMIN = -16445;

function bitLength(m: bigint): number {
  return m === 0n ? 0 : m.toString(2).length;
}

function roundShift(m: bigint, s: number): bigint {
  const sh = BigInt(s);
  const q = m >> sh;
  const r = m - (q << sh);
  const half = 1n << (sh - 1n);
  return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
}

/** round the exact value (-1)^neg * m * 2^e to a long double */
function roundLd(neg: boolean, m: bigint, e: number): LongDouble {
  if (m === 0n) return { kind: 'fin', neg, m: 0n, e: 0 };
  const top = bitLength(m) - 1 + e;
  const q = Math.max(top - (LD_PRECISION - 1), LD_QMIN);
  if (e < q) {
    m = roundShift(m, q - e);
    e = q;
    if (m === 0n) return { kind: 'fin', neg, m: 0n, e: 0 };
  }
  if (bitLength(m) - 1 + e > LD_EMAX) return { kind: 'inf', neg };
  return { kind: 'fin', neg, m, e };
}

const POW10 = new Map<number, bigint>();
function pow10(n: number): bigint {
  let p = POW10.get(n);
  if (p === undefined) {
    p = 10n ** BigInt(n);
    if (POW10.size < 64) POW10.set(n, p);
  }
  return p;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const hexVal = (c: number) => (isDigit(c) ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);

/** MAX_LONG_DOUBLE_CHARS */
const MAX_LD_CHARS = 5 * 1024;

/**
 * string2ld: strtold over the whole argument (C locale), refusing leading space, trailing
 * bytes, NaN, and results that overflowed to infinity or underflowed to zero (ERANGE).
 * "inf"/"infinity" are accepted. undefined when Redis would refuse the text.
 */
export function parseLongDouble(b: Uint8Array): LongDouble | undefined {
  const n = b.length;
  if (n === 0 || n >= MAX_LD_CHARS) return undefined;
  let i = 0;
  let neg = false;
  if (b[0] === 0x2b || b[0] === 0x2d) {
    neg = b[0] === 0x2d;
    i = 1;
  }
  const rest = Buffer.from(b.buffer, b.byteOffset + i, n - i).latin1Slice(0, n - i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return { kind: 'inf', neg };
  if (rest.startsWith('nan')) return undefined; // NaN (or not fully consumed): refused either way
  // hexadecimal: 0x<hex>[.<hex>][p[+-]<dec>]
  if (n - i > 2 && b[i] === 0x30 && (b[i + 1] === 0x78 || b[i + 1] === 0x58)) {
    let j = i + 2;
    let m = 0n;
    let digits = 0;
    let frac = 0;
    let dot = false;
    for (; j < n; j++) {
      const c = b[j]!;
      if (c === 0x2e && !dot) {
        dot = true;
        continue;
      }
      const v = hexVal(c);
      if (v < 0) break;
      m = (m << 4n) | BigInt(v);
      digits++;
      if (dot) frac++;
    }
    if (digits === 0) return undefined; // strtold reads "0" and stops at 'x'
    let exp = 0;
    if (j < n && (b[j] === 0x70 || b[j] === 0x50)) {
      const r = readExponent(b, j + 1);
      if (r === undefined) return undefined; // 'p' not followed by an exponent: left unread
      exp = r.value;
      j = r.end;
    }
    if (j !== n) return undefined;
    if (m === 0n) return { kind: 'fin', neg, m: 0n, e: 0 };
    const e2 = exp - 4 * frac;
    const top = bitLength(m) - 1 + e2;
    if (top > LD_EMAX + 1) return undefined; // overflow (ERANGE)
    if (top < LD_QMIN - 2) return undefined; // underflow to zero (ERANGE)
    const r = roundLd(neg, m, e2);
    if (r.kind === 'inf' || (r.kind === 'fin' && r.m === 0n)) return undefined;
    return r;
  }
  // decimal: <dec>[.<dec>][e[+-]<dec>]
  let j = i;
  let digitText = '';
  let frac = 0;
  let dot = false;
  for (; j < n; j++) {
    const c = b[j]!;
    if (c === 0x2e && !dot) {
      dot = true;
      continue;
    }
    if (!isDigit(c)) break;
    digitText += String.fromCharCode(c);
    if (dot) frac++;
  }
  if (digitText.length === 0) return undefined;
  let exp = 0;
  if (j < n && (b[j] === 0x65 || b[j] === 0x45)) {
    const r = readExponent(b, j + 1);
    if (r === undefined) return undefined;
    exp = r.value;
    j = r.end;
  }
  if (j !== n) return undefined;
  const trimmed = digitText.replace(/^0+/, '');
  if (trimmed.length === 0) return { kind: 'fin', neg, m: 0n, e: 0 };
  const d = BigInt(trimmed);
  const e10 = exp - frac;
  const mag = trimmed.length - 1 + e10; // decimal exponent of the leading digit
  if (mag > 4933) return undefined; // overflow (the largest long double is 1.19e4932)
  if (mag < -4952) return undefined; // underflow to zero (the smallest subnormal is 3.6e-4951)
  let r: LongDouble;
  if (e10 >= 0) {
    r = roundLd(neg, d * pow10(e10), 0);
  } else {
    const den = pow10(-e10);
    const s = Math.max(0, bitLength(den) - bitLength(d) + 66);
    const num = d << BigInt(s);
    const q = num / den;
    const sticky = num % den === 0n ? 0n : 1n;
    r = roundLd(neg, (q << 1n) | sticky, -s - 1);
  }
  if (r.kind === 'inf' || (r.kind === 'fin' && r.m === 0n)) return undefined;
  return r;
}

/** [+-]digits after an exponent letter; the value saturates (any such exponent over/underflows) */
function readExponent(b: Uint8Array, j: number): { value: number; end: number } | undefined {
  let neg = false;
  if (j < b.length && (b[j] === 0x2b || b[j] === 0x2d)) {
    neg = b[j] === 0x2d;
    j++;
  }
  if (j >= b.length || !isDigit(b[j]!)) return undefined;
  let v = 0;
  for (; j < b.length && isDigit(b[j]!); j++) v = Math.min(v * 10 + (b[j]! - 0x30), 1e9);
  return { value: neg ? -v : v, end: j };
}

export function ldFromInt(v: bigint): LongDouble {
  return roundLd(v < 0n, v < 0n ? -v : v, 0);
}

export function ldAdd(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf' && a.neg !== b.neg) return { kind: 'nan' };
    return a.kind === 'inf' ? a : b;
  }
  if (a.m === 0n && b.m === 0n) return { kind: 'fin', neg: a.neg && b.neg, m: 0n, e: 0 };
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const av = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const bv = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const s = av + bv;
  if (s === 0n) return { kind: 'fin', neg: false, m: 0n, e: 0 }; // x + (-x) = +0 when rounding to nearest
  return roundLd(s < 0n, s < 0n ? -s : s, e);
}

export function ldIsFinite(v: LongDouble): boolean {
  return v.kind === 'fin';
}

/** ld2string(LD_STR_HUMAN): printf("%.17Lf") with trailing zeros (and a bare '.') removed,
 * and "-0" printed as "0". */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === 'inf') return v.neg ? '-inf' : 'inf';
  if (v.kind === 'nan') return 'nan';
  let s: string;
  if (v.m === 0n) s = '0.00000000000000000';
  else if (v.e >= 0) s = (v.m << BigInt(v.e)).toString() + '.00000000000000000';
  else {
    const k = BigInt(-v.e);
    const num = v.m * pow10(17);
    let q = num >> k;
    const r = num - (q << k);
    const half = 1n << (k - 1n);
    if (r > half || (r === half && (q & 1n) === 1n)) q += 1n;
    const p = pow10(17);
    s = `${q / p}.${(q % p).toString().padStart(17, '0')}`;
  }
  if (v.neg) s = '-' + s;
  let l = s.length;
  while (s.charCodeAt(l - 1) === 0x30) l--;
  if (s.charCodeAt(l - 1) === 0x2e) l--;
  s = s.slice(0, l);
  return s === '-0' ? '0' : s;
}

const TWO63 = 1n << 63n;

/** getTimeoutFromObjectOrReply (seconds): (long long)ceill(t * 1000.0), which on x86-64 is
 * LLONG_MIN when out of range. Throws the server's errors; returns the relative ms. */
export function timeoutArgMs(arg: Uint8Array): bigint {
  const t = parseLongDouble(arg);
  if (t === undefined) throw new EngineError('ERR timeout is not a float or out of range');
  let tval: bigint;
  if (t.kind !== 'fin') tval = -TWO63;
  else {
    const p = roundLd(t.neg, t.m * 1000n, t.e);
    if (p.kind !== 'fin') tval = -TWO63;
    else {
      let c: bigint;
      if (p.e >= 0) c = p.m << BigInt(p.e);
      else {
        const k = BigInt(-p.e);
        const q = p.m >> k;
        const exact = q << k === p.m;
        c = p.neg ? q : exact ? q : q + 1n; // magnitude; ceil toward +inf
      }
      c = p.neg ? -c : c;
      tval = c >= TWO63 || c < -TWO63 ? -TWO63 : c;
    }
  }
  if (tval < 0n) throw new EngineError('ERR timeout is negative');
  return tval;
}

function incrbyfloatCommand(e: Engine, a: Buffer[]): void {
  const k = keyOf(a[1]!);
  const s = e.lookupTyped(k, 'string');
  const cur = s === undefined ? ldFromInt(0n) : parseLongDouble(strBytes(s));
  if (cur === undefined) throw new EngineError(ERR.notFloat);
  const incr = parseLongDouble(a[2]!);
  if (incr === undefined) throw new EngineError(ERR.notFloat);
  const v = ldAdd(cur, incr);
  if (!ldIsFinite(v)) throw new EngineError('ERR increment would produce NaN or Infinity');
  const nv = stringValue(Buffer.from(formatLongDoubleHuman(v), 'latin1'));
  if (s) e.db.get(k)!.value = nv;
  else e.add(k, nv);
}

// ---------------------------------------------------------------------------------------------
// Bits

/** getBitOffsetFromArgument: a bit offset, "#n" (n * bits) when `bits` is given */
function bitOffsetArg(e: Engine, arg: Buffer, bits: number): bigint {
  const usehash = bits > 0 && arg.length > 0 && arg[0] === 0x23 ? 1 : 0;
  let off = parseLL(arg.subarray(usehash));
  if (off === undefined) throw new EngineError(ERR.bitOffset);
  if (usehash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || (!e.loading && off >> 3n >= BigInt(PROTO_MAX_BULK_LEN))) throw new EngineError(ERR.bitOffset);
  return off;
}

/** lookupStringForBitCommand: the string, created or zero-padded to hold bit `maxbit` */
function stringForBits(e: Engine, key: Buffer, maxbit: bigint): StringValue {
  const k = keyOf(key);
  const bytes = maxbit / 8n + 1n;
  const s = e.lookupTyped(k, 'string');
  e.checkStringLength(Number(bytes));
  const need = Number(bytes);
  if (s === undefined) {
    const v = stringValue(Buffer.alloc(need));
    e.add(k, v);
    return v;
  }
  growString(s, need);
  return s;
}

function setbitCommand(e: Engine, a: Buffer[]): void {
  const off = bitOffsetArg(e, a[2]!, 0);
  const on = getLL(a[3]!, 'bit is not an integer or out of range');
  if (on !== 0n && on !== 1n) throw new EngineError('ERR bit is not an integer or out of range');
  const s = stringForBits(e, a[1]!, off);
  const o = Number(off);
  const byte = Math.floor(o / 8);
  const bit = 7 - (o % 8);
  if (on === 1n) s.buf[byte]! |= 1 << bit;
  else s.buf[byte]! &= ~(1 << bit) & 0xff;
}

function bitopCommand(e: Engine, a: Buffer[]): void {
  const op = a[1]!;
  let kind: 'AND' | 'OR' | 'XOR' | 'NOT';
  if (isWord(op, 'AND')) kind = 'AND';
  else if (isWord(op, 'OR')) kind = 'OR';
  else if (isWord(op, 'XOR')) kind = 'XOR';
  else if (isWord(op, 'NOT')) kind = 'NOT';
  else throw new EngineError(ERR.syntax);
  if (kind === 'NOT' && a.length !== 4) throw new EngineError('ERR BITOP NOT must be called with a single source key.');
  const srcs: Buffer[] = [];
  let maxlen = 0;
  for (let j = 3; j < a.length; j++) {
    const s = e.lookupTyped(keyOf(a[j]!), 'string');
    const b = s === undefined ? Buffer.alloc(0) : strBytes(s);
    srcs.push(b);
    if (b.length > maxlen) maxlen = b.length;
  }
  const dest = keyOf(a[2]!);
  if (maxlen === 0) {
    e.del(dest);
    return;
  }
  const res = Buffer.alloc(maxlen);
  const first = srcs[0]!;
  for (let i = 0; i < maxlen; i++) {
    let out = i < first.length ? first[i]! : 0;
    if (kind === 'NOT') out = ~out & 0xff;
    for (let j = 1; j < srcs.length; j++) {
      const s = srcs[j]!;
      const byte = i < s.length ? s[i]! : 0;
      if (kind === 'AND') out &= byte;
      else if (kind === 'OR') out |= byte;
      else out ^= byte;
    }
    res[i] = out;
  }
  e.setKey(dest, stringValue(res), false);
}

// BITFIELD

const BF_WRAP = 0;
const BF_SAT = 1;
const BF_FAIL = 2;
const U64 = (1n << 64n) - 1n;

interface BitfieldOp {
  op: 'get' | 'set' | 'incrby';
  offset: bigint;
  i64: bigint;
  owtype: number;
  bits: number;
  sign: boolean;
}

function bitfieldType(arg: Buffer): { sign: boolean; bits: number } {
  const err = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';
  let sign: boolean;
  if (arg[0] === 0x69) sign = true;
  else if (arg[0] === 0x75) sign = false;
  else throw new EngineError(err);
  const rest = arg.subarray(1);
  const z = rest.indexOf(0);
  const bits = parseLL(z < 0 ? rest : rest.subarray(0, z)); // string2ll(p+1, strlen(p+1))
  if (bits === undefined || bits < 1n || (sign && bits > 64n) || (!sign && bits > 63n)) throw new EngineError(err);
  return { sign, bits: Number(bits) };
}

function getUnsignedBits(p: Buffer, offset: number, bits: number): bigint {
  let v = 0n;
  for (let j = 0; j < bits; j++) {
    const o = offset + j;
    const byte = Math.floor(o / 8);
    const bitval = byte < p.length ? (p[byte]! >> (7 - (o % 8))) & 1 : 0;
    v = (v << 1n) | BigInt(bitval);
  }
  return v;
}

function getSignedBits(p: Buffer, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsignedBits(p, offset, bits));
}

function setUnsignedBits(p: Buffer, offset: number, bits: number, value: bigint): void {
  for (let j = 0; j < bits; j++) {
    const bitval = Number((value >> BigInt(bits - 1 - j)) & 1n);
    const o = offset + j;
    const byte = Math.floor(o / 8);
    const bit = 7 - (o % 8);
    if (bitval) p[byte]! |= 1 << bit;
    else p[byte]! &= ~(1 << bit) & 0xff;
  }
}

/** checkUnsignedBitfieldOverflow: [overflow, limit] (limit undefined when not set) */
function checkUnsigned(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint | undefined] {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  const wrap = (): bigint => BigInt.asUintN(64, value + incr) & max;
  if (value > max || (incr > 0n && incr > maxincr)) {
    return [1, owtype === BF_WRAP ? wrap() : owtype === BF_SAT ? max : undefined];
  } else if (incr < 0n && incr < minincr) {
    return [-1, owtype === BF_WRAP ? wrap() : owtype === BF_SAT ? 0n : undefined];
  }
  return [0, undefined];
}

/** checkSignedBitfieldOverflow */
function checkSigned(value: bigint, incr: bigint, bits: number, owtype: number): [number, bigint | undefined] {
  const max = bits === 64 ? LLONG_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, BigInt.asUintN(64, max) - BigInt.asUintN(64, value));
  const minincr = BigInt.asIntN(64, min - value);
  const wrap = (): bigint => {
    let c = BigInt.asUintN(64, value + incr);
    if (bits < 64) {
      const msb = 1n << BigInt(bits - 1);
      const mask = U64 ^ ((1n << BigInt(bits)) - 1n);
      c = c & msb ? c | mask : c & ~mask & U64;
    }
    return BigInt.asIntN(64, c);
  };
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    return [1, owtype === BF_WRAP ? wrap() : owtype === BF_SAT ? max : undefined];
  } else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    return [-1, owtype === BF_WRAP ? wrap() : owtype === BF_SAT ? min : undefined];
  }
  return [0, undefined];
}

function bitfieldCommand(e: Engine, a: Buffer[]): void {
  const ops: BitfieldOp[] = [];
  let owtype = BF_WRAP;
  let readonly = true;
  let highest = 0n;
  for (let j = 2; j < a.length; j++) {
    const remargs = a.length - j - 1;
    const sub = a[j]!;
    let op: BitfieldOp['op'];
    if (isWord(sub, 'GET') && remargs >= 2) op = 'get';
    else if (isWord(sub, 'SET') && remargs >= 3) op = 'set';
    else if (isWord(sub, 'INCRBY') && remargs >= 3) op = 'incrby';
    else if (isWord(sub, 'OVERFLOW') && remargs >= 1) {
      const t = a[++j]!;
      if (isWord(t, 'WRAP')) owtype = BF_WRAP;
      else if (isWord(t, 'SAT')) owtype = BF_SAT;
      else if (isWord(t, 'FAIL')) owtype = BF_FAIL;
      else throw new EngineError('ERR Invalid OVERFLOW type specified');
      continue;
    } else throw new EngineError(ERR.syntax);
    const { sign, bits } = bitfieldType(a[j + 1]!);
    const offset = bitOffsetArg(e, a[j + 2]!, bits);
    let i64 = 0n;
    if (op !== 'get') {
      readonly = false;
      const top = offset + BigInt(bits) - 1n;
      if (highest < top) highest = top;
      i64 = getLL(a[j + 3]!);
    }
    ops.push({ op, offset, i64, owtype, bits, sign });
    j += op === 'get' ? 2 : 3;
  }
  if (readonly) {
    e.lookupTyped(keyOf(a[1]!), 'string');
    return;
  }
  const s = stringForBits(e, a[1]!, highest);
  for (const op of ops) {
    if (op.op === 'get') continue;
    const off = Number(op.offset);
    if (op.sign) {
      const oldval = getSignedBits(s.buf, off, op.bits);
      let newval: bigint;
      let overflow: number;
      let limit: bigint | undefined;
      if (op.op === 'incrby') {
        [overflow, limit] = checkSigned(oldval, op.i64, op.bits, op.owtype);
        newval = overflow ? (limit ?? 0n) : oldval + op.i64;
      } else {
        newval = op.i64;
        [overflow, limit] = checkSigned(newval, 0n, op.bits, op.owtype);
        if (overflow) newval = limit ?? 0n;
      }
      if (!(overflow && op.owtype === BF_FAIL)) setUnsignedBits(s.buf, off, op.bits, BigInt.asUintN(64, newval));
    } else {
      const oldval = getUnsignedBits(s.buf, off, op.bits);
      let newval: bigint;
      let overflow: number;
      let limit: bigint | undefined;
      if (op.op === 'incrby') {
        newval = BigInt.asUintN(64, oldval + op.i64);
        [overflow, limit] = checkUnsigned(oldval, op.i64, op.bits, op.owtype);
        if (overflow) newval = limit ?? 0n;
      } else {
        newval = BigInt.asUintN(64, op.i64);
        [overflow, limit] = checkUnsigned(newval, 0n, op.bits, op.owtype);
        if (overflow) newval = limit ?? 0n;
      }
      if (!(overflow && op.owtype === BF_FAIL)) setUnsignedBits(s.buf, off, op.bits, newval);
    }
  }
}

// ---------------------------------------------------------------------------------------------

export function registerStringCommands(t: CommandTable): void {
  defineCommand(t, 'SET', -3, setCommand);
  defineCommand(t, 'SETNX', 3, (e, a) => setGeneric(e, 'setnx', a[1]!, a[2]!, { nx: true, xx: false, get: false, keepttl: false }, undefined, false, false));
  defineCommand(t, 'SETEX', 4, (e, a) => setGeneric(e, 'setex', a[1]!, a[3]!, { nx: false, xx: false, get: false, keepttl: false }, a[2]!, true, true));
  defineCommand(t, 'PSETEX', 4, (e, a) => setGeneric(e, 'psetex', a[1]!, a[3]!, { nx: false, xx: false, get: false, keepttl: false }, a[2]!, false, true));
  defineCommand(t, 'GETEX', -2, getexCommand);
  defineCommand(t, 'GETDEL', 2, (e, a) => {
    const k = keyOf(a[1]!);
    if (e.lookupTyped(k, 'string') !== undefined) e.del(k);
  });
  defineCommand(t, 'GETSET', 3, (e, a) => {
    const k = keyOf(a[1]!);
    e.lookupTyped(k, 'string');
    e.setKey(k, stringValue(a[2]!), false);
  });
  const mset = (nx: boolean) => (e: Engine, a: Buffer[]) => {
    if (a.length % 2 === 0) throw new EngineError(`ERR wrong number of arguments for '${nx ? 'msetnx' : 'mset'}' command`);
    if (nx) for (let j = 1; j < a.length; j += 2) if (e.lookup(keyOf(a[j]!)) !== undefined) return;
    for (let j = 1; j < a.length; j += 2) e.setKey(keyOf(a[j]!), stringValue(a[j + 1]!), false);
  };
  defineCommand(t, 'MSET', -3, mset(false));
  defineCommand(t, 'MSETNX', -3, mset(true));
  defineCommand(t, 'APPEND', 3, (e, a) => {
    const k = keyOf(a[1]!);
    const s = e.lookupTyped(k, 'string');
    if (s === undefined) {
      e.add(k, stringValue(a[2]!));
      return;
    }
    const add = a[2]!;
    e.checkStringLength(s.len + add.length);
    const at = s.len;
    growString(s, s.len + add.length);
    add.copy(s.buf, at);
  });
  defineCommand(t, 'INCR', 2, (e, a) => incrDecr(e, a[1]!, 1n));
  defineCommand(t, 'DECR', 2, (e, a) => incrDecr(e, a[1]!, -1n));
  defineCommand(t, 'INCRBY', 3, (e, a) => incrDecr(e, a[1]!, getLL(a[2]!)));
  defineCommand(t, 'DECRBY', 3, (e, a) => {
    const incr = getLL(a[2]!);
    if (incr === -(1n << 63n)) throw new EngineError('ERR decrement would overflow');
    incrDecr(e, a[1]!, -incr);
  });
  defineCommand(t, 'INCRBYFLOAT', 3, incrbyfloatCommand);
  defineCommand(t, 'SETRANGE', 4, (e, a) => {
    const off = getLL(a[2]!);
    if (off < 0n) throw new EngineError('ERR offset is out of range');
    const value = a[3]!;
    const k = keyOf(a[1]!);
    const s = e.lookupTyped(k, 'string');
    if (value.length === 0) return;
    const total = Number(off) + value.length;
    e.checkStringLength(total);
    if (s === undefined) {
      const b = Buffer.alloc(total);
      value.copy(b, Number(off));
      e.add(k, stringValue(b));
      return;
    }
    growString(s, total);
    value.copy(s.buf, Number(off));
  });
  defineCommand(t, 'SETBIT', 4, setbitCommand);
  defineCommand(t, 'BITOP', -4, bitopCommand);
  defineCommand(t, 'BITFIELD', -2, bitfieldCommand);
}
