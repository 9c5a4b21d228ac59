// Sorted-set commands (Redis 7.0 t_zset.c): ZADD (NX/XX/GT/LT/CH/INCR), ZINCRBY, ZREM,
// ZREMRANGEBYSCORE/BYLEX/BYRANK, ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE, ZRANGESTORE, ZPOPMIN/
// ZPOPMAX, ZMPOP, and the blocking forms (BZPOPMIN/BZPOPMAX/BZMPOP) as the AOF client runs
// them: it may not block (CLIENT_DENY_BLOCKING), so on empty keys they do nothing.
// Written from the source's behaviour, not copied.
//
// Scores are C doubles parsed with strtod (inf/infinity, hex floats; NaN refused). Two parsers
// as in Redis: string2d for scores, increments and weights (the whole argument, no leading
// space, no overflow or underflow to zero), and zslParseRange's bare strtod for score ranges
// (leading space and overflow allowed, trailing bytes only from a NUL on, "" is 0).
//
// Encodings (zset.ts): a -0 score written into a listpack-encoded zset becomes 0. Lex ranges
// follow the listpack algorithm (first member >= min in (score, member) order, then
// consecutive members <= max): with equal scores that is the usual lex range; with mixed
// scores it is what a listpack-encoded zset does (a skiplist's answer then depends on its
// random levels, which nothing can reproduce).

import { ERR, EngineError } from '../errors.js';
import { LLONG_MAX, defineCommand, getLL, getPositiveLong, getRangeLong, isWord, keyOf, mpopCount, type CommandTable, type Engine, type SetValue } from '../engine.js';
import {
  ZSET_MAX_LISTPACK_ENTRIES,
  ZSET_MAX_LISTPACK_VALUE,
  newZset,
  zsetInsertNew,
  zsetLength,
  zsetMaybeListpack,
  zsetRemove,
  zsetUpdate,
  type ZNode,
  type ZsetValue,
} from '../zset.js';
import { timeoutArgMs } from './strings.js';

// ---------------------------------------------------------------------------------------------
// strtod

const isSpace = (c: number | undefined): boolean => c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const hexVal = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
};

interface StrtodResult {
  value: number;
  /** bytes consumed (0 when nothing converted) */
  end: number;
  /** errno == ERANGE: overflow to ±HUGE_VAL or a nonzero number rounded to 0 */
  overflow: boolean;
  underflow: boolean;
}

function matchWord(b: Uint8Array, i: number, w: string): boolean {
  if (i + w.length > b.length) return false;
  for (let k = 0; k < w.length; k++) if ((b[i + k]! | 0x20) !== w.charCodeAt(k)) return false;
  return true;
}

/** exponent digits -> a number clamped far beyond any double's range */
/** where the exponent exponentAt read ends (j itself when there is none) */
let exponentEnd = 0;

/** An optional exponent at j: the letter (lower-case `marker`: 'e', or 'p' for hex floats, in
 * either case), a sign, digits. Its value, 0 when there is none; sets exponentEnd. */
function exponentAt(b: Uint8Array, j: number, n: number, marker: number): number {
  exponentEnd = j;
  if ((b[j]! | 0x20) !== marker) return 0;
  let k = j + 1;
  let eneg = false;
  if (b[k] === 0x2b || b[k] === 0x2d) {
    eneg = b[k] === 0x2d;
    k++;
  }
  if (!isDigit(b[k])) return 0;
  const s = k;
  while (k < n && isDigit(b[k])) k++;
  exponentEnd = k;
  return expValue(b, s, k, eneg);
}

function expValue(b: Uint8Array, from: number, to: number, neg: boolean): number {
  let v = 0;
  for (let k = from; k < to; k++) v = Math.min(v * 10 + (b[k]! - 0x30), 1e7);
  return neg ? -v : v;
}

const bitLen = (m: bigint): number => m.toString(2).length;

/** m * 2^e2, correctly rounded to a double (m > 0) */
function scaleBinary(m: bigint, e2: number): number {
  let bl = bitLen(m);
  if (bl > 64) {
    const sh = bl - 64;
    const sticky = (m & ((1n << BigInt(sh)) - 1n)) !== 0n ? 1n : 0n;
    m = (m >> BigInt(sh)) | sticky;
    e2 += sh;
    bl = 64;
  }
  const top = bl - 1 + e2;
  if (top > 1100) return Infinity;
  if (top < -1100) return 0;
  if (e2 >= 0) return Number(m << BigInt(e2));
  const k = -e2;
  return Number(`${m * 5n ** BigInt(k)}e-${k}`);
}

/** glibc strtod over the bytes (a NUL stops it like any other unexpected byte) */
export function strtod(b: Uint8Array): StrtodResult {
  const n = b.length;
  const none: StrtodResult = { value: 0, end: 0, overflow: false, underflow: false };
  let i = 0;
  while (i < n && isSpace(b[i])) i++;
  let neg = false;
  if (i < n && (b[i] === 0x2b || b[i] === 0x2d)) {
    neg = b[i] === 0x2d;
    i++;
  }
  const sign = neg ? -1 : 1;
  if (matchWord(b, i, 'inf')) {
    const end = matchWord(b, i + 3, 'inity') ? i + 8 : i + 3;
    return { value: sign * Infinity, end, overflow: false, underflow: false };
  }
  if (matchWord(b, i, 'nan')) {
    let end = i + 3;
    if (b[end] === 0x28) {
      let j = end + 1;
      while (j < n && (isDigit(b[j]) || ((b[j]! | 0x20) >= 0x61 && (b[j]! | 0x20) <= 0x7a) || b[j] === 0x5f)) j++;
      if (b[j] === 0x29) end = j + 1;
    }
    return { value: NaN, end, overflow: false, underflow: false };
  }
  if (b[i] === 0x30 && (b[i + 1]! | 0x20) === 0x78) {
    let j = i + 2;
    let m = 0n;
    let digits = 0;
    let frac = 0;
    let dot = false;
    for (; j < n; j++) {
      if (b[j] === 0x2e && !dot) {
        dot = true;
        continue;
      }
      const v = hexVal(b[j]);
      if (v < 0) break;
      m = (m << 4n) | BigInt(v);
      digits++;
      if (dot) frac++;
    }
    if (digits === 0) return { value: sign * 0, end: i + 1, overflow: false, underflow: false };
    const exp = exponentAt(b, j, n, 0x70);
    j = exponentEnd;
    if (m === 0n) return { value: sign * 0, end: j, overflow: false, underflow: false };
    const v = scaleBinary(m, exp - 4 * frac);
    return { value: sign * v, end: j, overflow: v === Infinity, underflow: v === 0 };
  }
  let j = i;
  const intStart = j;
  while (j < n && isDigit(b[j])) j++;
  const intEnd = j;
  let fracStart = j;
  let fracEnd = j;
  if (b[j] === 0x2e) {
    fracStart = j + 1;
    fracEnd = fracStart;
    while (fracEnd < n && isDigit(b[fracEnd])) fracEnd++;
  }
  if (intEnd === intStart && fracEnd === fracStart) return none;
  j = b[j] === 0x2e ? fracEnd : intEnd;
  const exp = exponentAt(b, j, n, 0x65);
  j = exponentEnd;
  const ascii = (s: number, e: number) => Buffer.from(b.buffer, b.byteOffset + s, e - s).latin1Slice(0, e - s);
  const intText = ascii(intStart, intEnd);
  const fracText = ascii(fracStart, fracEnd);
  const v = Number(`${intText || '0'}.${fracText || '0'}e${exp}`);
  const nonzero = /[1-9]/.test(intText) || /[1-9]/.test(fracText);
  return { value: sign * v, end: j, overflow: v === Infinity, underflow: nonzero && v === 0 };
}

/** string2d (getDoubleFromObject): undefined where Redis refuses the text */
export function parseScore(b: Uint8Array): number | undefined {
  if (b.length === 0 || isSpace(b[0])) return undefined;
  const r = strtod(b);
  if (r.end !== b.length || r.overflow || r.underflow || Number.isNaN(r.value)) return undefined;
  return r.value;
}

function getScore(b: Uint8Array, msg = 'value is not a valid float'): number {
  const v = parseScore(b);
  if (v === undefined) throw new EngineError(`ERR ${msg}`);
  return v;
}

/** the argument as a C string: up to its first NUL */
function cstr(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

// ---------------------------------------------------------------------------------------------
// Ranges

interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

function parseRangeItem(b: Buffer): { v: number; ex: boolean } | undefined {
  const ex = b[0] === 0x28;
  const s = cstr(ex ? b.subarray(1) : b);
  const r = strtod(s);
  if (r.end !== s.length || Number.isNaN(r.value)) return undefined;
  return { v: r.value, ex };
}

/** zslParseRange */
function parseScoreRange(minArg: Buffer, maxArg: Buffer): ScoreRange {
  const min = parseRangeItem(minArg);
  const max = parseRangeItem(maxArg);
  if (!min || !max) throw new EngineError('ERR min or max is not a float');
  return { min: min.v, max: max.v, minex: min.ex, maxex: max.ex };
}

const gteMin = (s: number, r: ScoreRange) => (r.minex ? s > r.min : s >= r.min);
const lteMax = (s: number, r: ScoreRange) => (r.maxex ? s < r.max : s <= r.max);
const scoreRangeEmpty = (r: ScoreRange) => r.min > r.max || (r.min === r.max && (r.minex || r.maxex));

/** lex bound: '-' (MIN), '+' (MAX) or a member */
type LexBound = { kind: 'min' } | { kind: 'max' } | { kind: 'v'; m: Buffer };
interface LexRange {
  min: LexBound;
  max: LexBound;
  minex: boolean;
  maxex: boolean;
}

function parseLexItem(b: Buffer): { b: LexBound; ex: boolean } | undefined {
  const c = b.length > 0 ? b[0]! : 0;
  const alone = b.length < 2 || b[1] === 0;
  if (c === 0x2b) return alone ? { b: { kind: 'max' }, ex: true } : undefined;
  if (c === 0x2d) return alone ? { b: { kind: 'min' }, ex: true } : undefined;
  if (c === 0x28) return { b: { kind: 'v', m: b.subarray(1) }, ex: true };
  if (c === 0x5b) return { b: { kind: 'v', m: b.subarray(1) }, ex: false };
  return undefined;
}

function parseLexRange(minArg: Buffer, maxArg: Buffer): LexRange {
  const min = parseLexItem(minArg);
  const max = parseLexItem(maxArg);
  if (!min || !max) throw new EngineError('ERR min or max not valid string range item');
  return { min: min.b, max: max.b, minex: min.ex, maxex: max.ex };
}

/** sdscmplex */
function cmpLex(a: LexBound, b: LexBound): number {
  if (a.kind === b.kind && a.kind !== 'v') return 0;
  if (a.kind === 'min' || b.kind === 'max') return -1;
  if (a.kind === 'max' || b.kind === 'min') return 1;
  return Buffer.compare(a.m, (b as { m: Buffer }).m);
}
const lexGteMin = (m: Buffer, r: LexRange) => {
  const c = cmpLex({ kind: 'v', m }, r.min);
  return r.minex ? c > 0 : c >= 0;
};
const lexLteMax = (m: Buffer, r: LexRange) => {
  const c = cmpLex({ kind: 'v', m }, r.max);
  return r.maxex ? c < 0 : c <= 0;
};

/** zzlIsInLexRange / zslIsInLexRange */
function lexInRange(z: ZsetValue, r: LexRange): boolean {
  const c = cmpLex(r.min, r.max);
  if (c > 0 || (c === 0 && (r.minex || r.maxex))) return false;
  const first = z.zsl.first();
  const last = z.zsl.tail;
  if (!first || !last) return false;
  return lexGteMin(last.member, r) && lexLteMax(first.member, r);
}

/** first node of a lex range (zzlFirstInLexRange: the first member >= min, if it is <= max) */
function firstInLex(z: ZsetValue, r: LexRange): ZNode | null {
  if (!lexInRange(z, r)) return null;
  let n: ZNode | null;
  if (z.listpack) {
    n = z.zsl.first();
    while (n && !lexGteMin(n.member, r)) n = n.fwd[0] ?? null;
  } else {
    n = z.zsl.firstWhere((x) => lexGteMin(x.member, r));
  }
  return n && lexLteMax(n.member, r) ? n : null;
}

/** last node of a lex range (zzlLastInLexRange: the last member <= max, if it is >= min) */
function lastInLex(z: ZsetValue, r: LexRange): ZNode | null {
  if (!lexInRange(z, r)) return null;
  let n: ZNode | null;
  if (z.listpack) {
    n = z.zsl.tail;
    while (n && !lexLteMax(n.member, r)) n = n.back;
  } else {
    n = z.zsl.lastWhere((x) => lexLteMax(x.member, r));
  }
  return n && lexGteMin(n.member, r) ? n : null;
}

function firstInScore(z: ZsetValue, r: ScoreRange): ZNode | null {
  if (scoreRangeEmpty(r)) return null;
  const n = z.zsl.firstWhere((x) => gteMin(x.score, r));
  return n && lteMax(n.score, r) ? n : null;
}

function lastInScore(z: ZsetValue, r: ScoreRange): ZNode | null {
  if (scoreRangeEmpty(r)) return null;
  const n = z.zsl.lastWhere((x) => lteMax(x.score, r));
  return n && gteMin(n.score, r) ? n : null;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function lookupZset(e: Engine, key: Buffer): ZsetValue | undefined {
  return e.lookupTyped(keyOf(key), 'zset');
}

/** delete the key when the zset is empty */
function dropIfEmpty(e: Engine, k: string, z: ZsetValue): void {
  if (zsetLength(z) === 0) e.del(k);
}

function removeNodes(e: Engine, k: string, z: ZsetValue, nodes: ZNode[]): void {
  for (const n of nodes) zsetRemove(z, n.member);
  dropIfEmpty(e, k, z);
}

// ---------------------------------------------------------------------------------------------
// ZADD / ZINCRBY

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;
const INCR = 16;

/** zsetAdd; false for a NaN result */
function zsetAdd(z: ZsetValue, score: number, member: Buffer, flags: number): boolean {
  if (Number.isNaN(score)) return false;
  const k = member.latin1Slice(0, member.length);
  const cur = z.dict.get(k);
  if (cur !== undefined) {
    if (flags & NX) return true;
    if (flags & INCR) {
      score += cur;
      if (Number.isNaN(score)) return false;
    }
    if ((flags & LT && score >= cur) || (flags & GT && score <= cur)) return true;
    if (score !== cur) zsetUpdate(z, member, k, cur, score);
    return true;
  }
  if (!(flags & XX)) zsetInsertNew(z, member, score);
  return true;
}

function zaddGeneric(e: Engine, a: Buffer[], base: number): void {
  let flags = base;
  let j = 2;
  for (; j < a.length; j++) {
    const o = a[j]!;
    if (isWord(o, 'nx')) flags |= NX;
    else if (isWord(o, 'xx')) flags |= XX;
    else if (isWord(o, 'ch')) {
      /* reply only */
    } else if (isWord(o, 'incr')) flags |= INCR;
    else if (isWord(o, 'gt')) flags |= GT;
    else if (isWord(o, 'lt')) flags |= LT;
    else break;
  }
  const elements = a.length - j;
  if (elements % 2 !== 0 || elements === 0) throw new EngineError(ERR.syntax);
  const pairs = elements / 2;
  if (flags & NX && flags & XX) throw new EngineError('ERR XX and NX options at the same time are not compatible');
  if ((flags & GT && flags & NX) || (flags & LT && flags & NX) || (flags & GT && flags & LT)) {
    throw new EngineError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (flags & INCR && pairs > 1) throw new EngineError('ERR INCR option supports a single increment-element pair');
  const scores: number[] = [];
  for (let p = 0; p < pairs; p++) scores.push(getScore(a[j + p * 2]!));
  const k = keyOf(a[1]!);
  let z = e.lookupTyped(k, 'zset');
  if (z === undefined) {
    if (flags & XX) return;
    z = newZset(a[j + 1]!.length <= ZSET_MAX_LISTPACK_VALUE);
    e.add(k, z);
  }
  for (let p = 0; p < pairs; p++) {
    // only INCR can make NaN (inf + -inf), and INCR takes one pair: nothing was changed
    if (!zsetAdd(z, scores[p]!, a[j + p * 2 + 1]!, flags)) throw new EngineError('ERR resulting score is not a number (NaN)');
  }
}

// ---------------------------------------------------------------------------------------------
// ZREM, ZREMRANGEBY*

function zremCommand(e: Engine, a: Buffer[]): void {
  const k = keyOf(a[1]!);
  const z = e.lookupTyped(k, 'zset');
  if (z === undefined) return;
  for (let j = 2; j < a.length; j++) {
    if (zsetRemove(z, a[j]!) && zsetLength(z) === 0) {
      e.del(k);
      break;
    }
  }
}

type RangeKind = 'rank' | 'score' | 'lex';

function zremrangeGeneric(e: Engine, a: Buffer[], kind: RangeKind): void {
  let start = 0n;
  let end = 0n;
  let sr: ScoreRange | undefined;
  let lr: LexRange | undefined;
  if (kind === 'rank') {
    start = getLL(a[2]!);
    end = getLL(a[3]!);
  } else if (kind === 'score') sr = parseScoreRange(a[2]!, a[3]!);
  else lr = parseLexRange(a[2]!, a[3]!);
  const k = keyOf(a[1]!);
  const z = e.lookupTyped(k, 'zset');
  if (z === undefined) return;
  const nodes: ZNode[] = [];
  if (kind === 'rank') {
    const llen = BigInt(zsetLength(z));
    if (start < 0n) start = llen + start;
    if (end < 0n) end = llen + end;
    if (start < 0n) start = 0n;
    if (start > end || start >= llen) return;
    if (end >= llen) end = llen - 1n;
    let n = z.zsl.byRank(Number(start));
    for (let i = start; i <= end && n; i++, n = n.fwd[0] ?? null) nodes.push(n);
  } else if (sr) {
    for (let n = firstInScore(z, sr); n && lteMax(n.score, sr); n = n.fwd[0] ?? null) nodes.push(n);
  } else if (lr) {
    for (let n = firstInLex(z, lr); n && lexLteMax(n.member, lr); n = n.fwd[0] ?? null) nodes.push(n);
  }
  removeNodes(e, k, z, nodes);
}

// ---------------------------------------------------------------------------------------------
// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE

type SetOp = 'union' | 'inter' | 'diff';
const SUM = 0;
const MIN = 1;
const MAX = 2;

interface Src {
  z: ZsetValue | undefined;
  s: SetValue | undefined;
  weight: number;
}

const srcLen = (x: Src): number => (x.z ? zsetLength(x.z) : x.s ? x.s.members.size : 0);

/** (latin1 member, score) pairs of a source, in its order */
function* srcItems(x: Src): Generator<[string, Buffer | undefined, number]> {
  if (x.z) for (let n = x.z.zsl.first(); n; n = n.fwd[0] ?? null) yield [n.member.latin1Slice(0, n.member.length), n.member, n.score];
  else if (x.s) for (const m of x.s.members) yield [m, undefined, 1];
}

function srcFind(x: Src, m: string): number | undefined {
  if (x.z) return x.z.dict.get(m);
  if (x.s) return x.s.members.has(m) ? 1 : undefined;
  return undefined;
}

function aggregate(target: number, val: number, agg: number): number {
  if (agg === SUM) {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  if (agg === MIN) return val < target ? val : target;
  return val > target ? val : target;
}

function zsetOpStore(e: Engine, a: Buffer[], op: SetOp): void {
  const name = op === 'union' ? 'zunionstore' : op === 'inter' ? 'zinterstore' : 'zdiffstore';
  const setnum = getLL(a[2]!);
  if (setnum < 1n) throw new EngineError(`ERR at least 1 input key is needed for '${name}' command`);
  if (setnum > BigInt(a.length - 3)) throw new EngineError(ERR.syntax);
  const n = Number(setnum);
  const src: Src[] = [];
  for (let i = 0; i < n; i++) {
    const s = e.lookup(keyOf(a[3 + i]!));
    if (s === undefined) src.push({ z: undefined, s: undefined, weight: 1 });
    else if (s.value.type === 'zset') src.push({ z: s.value, s: undefined, weight: 1 });
    else if (s.value.type === 'set') src.push({ z: undefined, s: s.value, weight: 1 });
    else throw new EngineError(ERR.wrongType);
  }
  let agg = SUM;
  let j = 3 + n;
  let remaining = a.length - j;
  while (remaining > 0) {
    if (op !== 'diff' && remaining >= n + 1 && isWord(a[j]!, 'weights')) {
      j++;
      remaining--;
      for (let i = 0; i < n; i++, j++, remaining--) src[i]!.weight = getScore(a[j]!, 'weight value is not a float');
    } else if (op !== 'diff' && remaining >= 2 && isWord(a[j]!, 'aggregate')) {
      j++;
      remaining--;
      const w = a[j]!;
      if (isWord(w, 'sum')) agg = SUM;
      else if (isWord(w, 'min')) agg = MIN;
      else if (isWord(w, 'max')) agg = MAX;
      else throw new EngineError(ERR.syntax);
      j++;
      remaining--;
    } else throw new EngineError(ERR.syntax);
  }
  // qsort by cardinality (glibc's qsort is a stable merge sort for arrays this small)
  const order = op === 'diff' ? src : src.slice().sort((x, y) => srcLen(x) - srcLen(y));
  const result = new Map<string, { m: Buffer; s: number }>();
  const memberBuf = (k: string, b: Buffer | undefined) => b ?? Buffer.from(k, 'latin1');
  if (op === 'inter') {
    const first = order[0]!;
    if (srcLen(first) > 0) {
      for (const [k, b, sc] of srcItems(first)) {
        let score = first.weight * sc;
        if (Number.isNaN(score)) score = 0;
        let i = 1;
        for (; i < n; i++) {
          const o = order[i]!;
          const same = (o.z !== undefined && o.z === first.z) || (o.s !== undefined && o.s === first.s);
          const v = same ? sc : srcFind(o, k);
          if (v === undefined) break;
          score = aggregate(score, v * o.weight, agg);
        }
        if (i === n) result.set(k, { m: memberBuf(k, b), s: score });
      }
    }
  } else if (op === 'union') {
    for (const x of order) {
      if (srcLen(x) === 0) continue;
      for (const [k, b, sc] of srcItems(x)) {
        let score = x.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(k);
        if (cur === undefined) result.set(k, { m: memberBuf(k, b), s: score });
        else cur.s = aggregate(cur.s, score, agg);
      }
    }
  } else {
    const first = order[0]!;
    if (srcLen(first) > 0) {
      for (const [k, b, sc] of srcItems(first)) {
        let found = false;
        for (let i = 1; i < n && !found; i++) found = srcFind(order[i]!, k) !== undefined;
        if (!found) result.set(k, { m: memberBuf(k, b), s: sc });
      }
    }
  }
  const dst = keyOf(a[1]!);
  if (result.size === 0) {
    e.del(dst);
    return;
  }
  let z = newZset(false);
  for (const { m, s } of result.values()) zsetInsertNew(z, Buffer.from(m), s);
  z = zsetMaybeListpack(z);
  e.setKey(dst, z, false);
}

// ---------------------------------------------------------------------------------------------
// ZRANGESTORE

function zrangestoreCommand(e: Engine, a: Buffer[]): void {
  let rev = false;
  let kind: RangeKind | undefined;
  let offset = 0n;
  let limit = -1n;
  let hasLimit = false;
  for (let j = 5; j < a.length; j++) {
    const left = a.length - j - 1;
    if (isWord(a[j]!, 'limit') && left >= 2) {
      offset = getLL(a[j + 1]!);
      limit = getLL(a[j + 2]!);
      hasLimit = true;
      j += 2;
    } else if (!rev && isWord(a[j]!, 'rev')) rev = true;
    else if (kind === undefined && isWord(a[j]!, 'bylex')) kind = 'lex';
    else if (kind === undefined && isWord(a[j]!, 'byscore')) kind = 'score';
    else throw new EngineError(ERR.syntax);
  }
  kind ??= 'rank';
  // LIMIT -1 is "no limit", also when given (opt_limit != -1 is the check)
  if (hasLimit && limit !== -1n && kind === 'rank') {
    throw new EngineError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  let minArg = a[3]!;
  let maxArg = a[4]!;
  if (rev && kind !== 'rank') [minArg, maxArg] = [maxArg, minArg];
  let start = 0n;
  let end = 0n;
  let sr: ScoreRange | undefined;
  let lr: LexRange | undefined;
  if (kind === 'rank') {
    start = getLL(minArg);
    end = getLL(maxArg);
  } else if (kind === 'score') sr = parseScoreRange(minArg, maxArg);
  else lr = parseLexRange(minArg, maxArg);
  const dst = keyOf(a[1]!);
  const z = lookupZset(e, a[2]!);
  const out: ZNode[] = [];
  let skiplistHint = false;
  if (z !== undefined) {
    if (kind === 'rank') {
      const llen = BigInt(zsetLength(z));
      if (start < 0n) start = llen + start;
      if (end < 0n) end = llen + end;
      if (start < 0n) start = 0n;
      if (!(start > end || start >= llen)) {
        if (end >= llen) end = llen - 1n;
        const rangelen = Number(end - start + 1n);
        skiplistHint = rangelen > ZSET_MAX_LISTPACK_ENTRIES;
        let nd = z.zsl.byRank(rev ? Number(llen - 1n - start) : Number(start));
        for (let i = 0; i < rangelen && nd; i++) {
          out.push(nd);
          nd = rev ? nd.back : nd.fwd[0] ?? null;
        }
      }
    } else {
      const inRange = (nd: ZNode) => (sr ? (rev ? gteMin(nd.score, sr) : lteMax(nd.score, sr)) : rev ? lexGteMin(nd.member, lr!) : lexLteMax(nd.member, lr!));
      let nd = sr ? (rev ? lastInScore(z, sr) : firstInScore(z, sr)) : rev ? lastInLex(z, lr!) : firstInLex(z, lr!);
      const step = (x: ZNode): ZNode | null => (rev ? x.back : x.fwd[0] ?? null);
      // while (node && offset--): a negative offset skips everything
      let off = offset;
      while (nd && off !== 0n) {
        off--;
        nd = step(nd);
      }
      let lim = limit;
      while (nd && lim !== 0n) {
        lim--;
        if (!inRange(nd)) break;
        out.push(nd);
        nd = step(nd);
      }
    }
  }
  if (out.length === 0) {
    e.del(dst);
    return;
  }
  const res = newZset(!skiplistHint);
  for (const nd of out) zsetInsertNew(res, Buffer.from(nd.member), nd.score);
  e.setKey(dst, res, false);
}

// ---------------------------------------------------------------------------------------------
// ZPOPMIN / ZPOPMAX / ZMPOP and the blocking forms

const ZMIN = 0;
const ZMAX = 1;

/** genericZpopCommand: the first existing key among `keys` (WRONGTYPE stops the search) */
function zpopGeneric(e: Engine, keys: Buffer[], where: number, count: bigint): void {
  for (const key of keys) {
    const k = keyOf(key);
    const z = e.lookupTyped(k, 'zset');
    if (z === undefined) continue;
    if (count === 0n) return;
    const llen = zsetLength(z);
    const n = count > BigInt(llen) ? llen : Number(count);
    const nodes: ZNode[] = [];
    let nd = where === ZMIN ? z.zsl.first() : z.zsl.tail;
    for (let i = 0; i < n && nd; i++) {
      nodes.push(nd);
      nd = where === ZMIN ? nd.fwd[0] ?? null : nd.back;
    }
    removeNodes(e, k, z, nodes);
    return;
  }
}

function zpopMinMax(e: Engine, a: Buffer[], where: number): void {
  if (a.length > 3) throw new EngineError(ERR.syntax);
  const count = a.length === 3 ? getPositiveLong(a[2]!) : 1n;
  zpopGeneric(e, [a[1]!], where, count);
}

/** blockingGenericZpopCommand for a client that may not block */
function blockingZpop(e: Engine, keys: Buffer[], where: number, timeout: Buffer, count: bigint): void {
  timeoutArgMs(timeout);
  for (const key of keys) {
    const z = lookupZset(e, key);
    if (z === undefined || zsetLength(z) === 0) continue;
    zpopGeneric(e, [key], where, count);
    return;
  }
}

function zmpopGeneric(e: Engine, a: Buffer[], numkeysIdx: number, block: boolean): void {
  const numkeys = getRangeLong(a[numkeysIdx]!, 1n, LLONG_MAX, 'numkeys should be greater than 0');
  const whereIdx = BigInt(numkeysIdx) + numkeys + 1n;
  if (whereIdx >= BigInt(a.length)) throw new EngineError(ERR.syntax);
  const wi = Number(whereIdx);
  let where: number;
  if (isWord(a[wi]!, 'MIN')) where = ZMIN;
  else if (isWord(a[wi]!, 'MAX')) where = ZMAX;
  else throw new EngineError(ERR.syntax);
  const count = mpopCount(a, wi + 1);
  const keys = a.slice(numkeysIdx + 1, wi);
  if (block) blockingZpop(e, keys, where, a[1]!, count);
  else zpopGeneric(e, keys, where, count);
}

// ---------------------------------------------------------------------------------------------

export function registerZsetCommands(t: CommandTable): void {
  defineCommand(t, 'ZADD', -4, (e, a) => zaddGeneric(e, a, 0));
  defineCommand(t, 'ZINCRBY', 4, (e, a) => zaddGeneric(e, a, INCR));
  defineCommand(t, 'ZREM', -3, zremCommand);
  defineCommand(t, 'ZREMRANGEBYSCORE', 4, (e, a) => zremrangeGeneric(e, a, 'score'));
  defineCommand(t, 'ZREMRANGEBYLEX', 4, (e, a) => zremrangeGeneric(e, a, 'lex'));
  defineCommand(t, 'ZREMRANGEBYRANK', 4, (e, a) => zremrangeGeneric(e, a, 'rank'));
  defineCommand(t, 'ZUNIONSTORE', -4, (e, a) => zsetOpStore(e, a, 'union'));
  defineCommand(t, 'ZINTERSTORE', -4, (e, a) => zsetOpStore(e, a, 'inter'));
  defineCommand(t, 'ZDIFFSTORE', -4, (e, a) => zsetOpStore(e, a, 'diff'));
  defineCommand(t, 'ZRANGESTORE', -5, zrangestoreCommand);
  defineCommand(t, 'ZPOPMIN', -2, (e, a) => zpopMinMax(e, a, ZMIN));
  defineCommand(t, 'ZPOPMAX', -2, (e, a) => zpopMinMax(e, a, ZMAX));
  defineCommand(t, 'BZPOPMIN', -3, (e, a) => blockingZpop(e, a.slice(1, a.length - 1), ZMIN, a[a.length - 1]!, 1n));
  defineCommand(t, 'BZPOPMAX', -3, (e, a) => blockingZpop(e, a.slice(1, a.length - 1), ZMAX, a[a.length - 1]!, 1n));
  defineCommand(t, 'ZMPOP', -4, (e, a) => zmpopGeneric(e, a, 1, false));
  defineCommand(t, 'BZMPOP', -5, (e, a) => zmpopGeneric(e, a, 2, true));
}
