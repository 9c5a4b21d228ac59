// SORT and SORT_RO (Redis 7.0 / 7.4 sort.c), written from the source's behaviour, not copied.
//
// Only SORT ... STORE changes data (the server logs nothing else); without STORE the engine
// still parses, type-checks and performs the lookups the server performs (a live engine
// expires keys and hash fields on those lookups), and fails where the server fails.
//
// - Options: ASC, DESC, ALPHA, LIMIT offset count, STORE dst (not SORT_RO), BY pattern,
//   GET pattern (repeatable); a BY pattern without '*' ("nosort") means no sorting, and stays
//   in force even if a later BY has a '*'.
// - Patterns (lookupKeyByPattern): "#" is the element itself; otherwise the first '*' is
//   replaced by the element, and "->field" after it (with at least one byte after the arrow)
//   reads a hash field; a pattern without '*' finds nothing. Missing keys, keys of the wrong
//   type, missing (or expired) hash fields find nothing: BY sorts them as score 0 / before
//   everything in ALPHA order, GET stores "" for them.
// - Numeric order: strtod over the value as a C string (leading white space allowed, the rest
//   up to a NUL must be consumed, "" is 0); ERANGE (overflow, underflow to 0, an inexact
//   subnormal) or NaN fail the command with "One or more scores can't be converted into
//   double". Equal scores order by the element's bytes. (sort.c does not clear errno before
//   strtod, so on a live server an ERANGE left by an earlier parse can fail a numeric SORT
//   whose values are all fine; such a SORT never reaches an AOF, and the engine accepts it.)
// - ALPHA with STORE compares bytes (memcmp, then length); strcoll is used only for replies
//   without STORE, which change nothing.
// - A set sorted with STORE under a constant BY is sorted ALPHA anyway (the result must not
//   depend on the set's internal order). A zset becomes skiplist-encoded (zsetConvert).
// - Ties: glibc's qsort (a merge sort) keeps the input order of equal elements; with BY and a
//   LIMIT that does not cover everything Redis uses its partial quicksort instead. Only ALPHA
//   with BY can tie distinct elements. The engine follows a list's order under the merge sort;
//   where the result depends on a set's or zset's internal order, or on the partial
//   quicksort's arrangement of ties inside the output range, it refuses the command.
// - The result list replaces dst (its TTL goes); an empty result deletes dst.

import { ERR, EngineError, UnsupportedCommandError } from '../errors.js';
import { Deque, defineCommand, getLL, isWord, keyOf, strBytes, type CommandTable, type Engine } from '../engine.js';
import { zsetEntries } from '../zset.js';
import { getField } from './hashes.js';
import { strtod } from './zsets.js';

const cstrLen = (b: Uint8Array): number => {
  const z = b.indexOf(0);
  return z < 0 ? b.length : z;
};

/** lookupKeyByPattern: the value a BY/GET pattern names for one element (a fresh copy) */
export function lookupByPattern(e: Engine, pattern: Buffer, subst: Buffer): Buffer | undefined {
  const clen = cstrLen(pattern);
  if (clen === 1 && pattern[0] === 0x23) return Buffer.from(subst);
  const star = pattern.subarray(0, clen).indexOf(0x2a);
  if (star < 0) return undefined;
  let arrow = -1;
  for (let i = star + 1; i + 1 < clen; i++) {
    if (pattern[i] === 0x2d && pattern[i + 1] === 0x3e) {
      arrow = i;
      break;
    }
  }
  const hasField = arrow >= 0 && arrow + 2 < clen;
  const fieldLen = hasField ? pattern.length - arrow - 2 : 0;
  const postEnd = pattern.length - (hasField ? fieldLen + 2 : 0);
  const k = keyOf(Buffer.concat([pattern.subarray(0, star), subst, pattern.subarray(star + 1, postEnd)]));
  const slot = e.lookup(k);
  if (slot === undefined) return undefined;
  if (hasField) {
    if (slot.value.type !== 'hash') return undefined;
    const r = getField(e, k, slot.value, keyOf(pattern.subarray(arrow + 2)));
    return r.res === 'ok' ? Buffer.from(r.value!) : undefined;
  }
  if (slot.value.type !== 'string') return undefined;
  return Buffer.from(strBytes(slot.value));
}

// ---------------------------------------------------------------------------------------------
// Scores: strtod with the errno check of sortCommandGeneric

const DBL_MIN = 2 ** -1022;

/** the digits of a text number as an exact rational m * 2^p2 * 10^p10 (positive m) */
function exactParts(s: Uint8Array): { m: bigint; p2: number; p10: number; digits: number } | undefined {
  let i = 0;
  while (i < s.length && (s[i] === 0x20 || (s[i]! >= 0x09 && s[i]! <= 0x0d))) i++;
  if (s[i] === 0x2b || s[i] === 0x2d) i++;
  const text = Buffer.from(s.subarray(i)).toString('latin1');
  const hex = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(text);
  if (hex) {
    const digits = (hex[1] ?? '') + (hex[2] ?? '');
    return { m: BigInt(`0x${digits || '0'}`), p2: Number(hex[3] ?? 0) - 4 * (hex[2] ?? '').length, p10: 0, digits: digits.length };
  }
  const dec = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!dec) return undefined;
  const digits = (dec[1] ?? '') + (dec[2] ?? '');
  return { m: BigInt(digits || '0'), p2: 0, p10: Number(dec[3] ?? 0) - (dec[2] ?? '').length, digits: digits.length };
}

/** true when a subnormal result v is exactly the text's value (glibc sets ERANGE otherwise) */
function subnormalExact(s: Uint8Array, v: number): boolean {
  const p = exactParts(s);
  if (p === undefined) return false;
  const k = BigInt(Math.abs(v) / Number.MIN_VALUE); // v = k * 2^-1074 exactly (MIN_VALUE = 2^-1074)
  // compare m * 2^(p2+1074) * 10^p10 with k
  let lhsNum = p.m;
  let rhs = k;
  const e2 = p.p2 + 1074;
  if (e2 >= 0) {
    if (e2 > 4000) return false;
    lhsNum <<= BigInt(e2);
  } else {
    if (-e2 > 4000) return false;
    rhs <<= BigInt(-e2);
  }
  if (p.p10 >= 0) {
    if (p.p10 > 400) return false;
    lhsNum *= 10n ** BigInt(p.p10);
  } else {
    if (-p.p10 > p.digits + 1200) return false;
    rhs *= 10n ** BigInt(-p.p10);
  }
  return lhsNum === rhs;
}

/** the score SORT computes for a value, or undefined for a conversion error */
export function sortScore(b: Buffer): number | undefined {
  const s = b.subarray(0, cstrLen(b));
  const r = strtod(s);
  if (r.end !== s.length) return undefined;
  if (r.overflow || r.underflow || Number.isNaN(r.value)) return undefined;
  const a = Math.abs(r.value);
  if (a !== 0 && a < DBL_MIN && !subnormalExact(s, r.value)) return undefined;
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// The command

interface Item {
  obj: Buffer;
  score: number;
  cmp: Buffer | undefined;
}

function sortGeneric(e: Engine, a: Buffer[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0n;
  let limitCount = -1n;
  let dontsort = false;
  let sortby: Buffer | undefined;
  let store: Buffer | undefined;
  const gets: Buffer[] = [];
  for (let j = 2; j < a.length; j++) {
    const left = a.length - j - 1;
    const o = a[j]!;
    if (isWord(o, 'ASC')) desc = false;
    else if (isWord(o, 'DESC')) desc = true;
    else if (isWord(o, 'ALPHA')) alpha = true;
    else if (isWord(o, 'LIMIT') && left >= 2) {
      limitStart = getLL(a[j + 1]!);
      limitCount = getLL(a[j + 2]!);
      j += 2;
    } else if (!readonly && isWord(o, 'STORE') && left >= 1) {
      store = a[++j]!;
    } else if (isWord(o, 'BY') && left >= 1) {
      sortby = a[++j]!;
      if (sortby.subarray(0, cstrLen(sortby)).indexOf(0x2a) < 0) dontsort = true;
    } else if (isWord(o, 'GET') && left >= 1) {
      gets.push(a[++j]!);
    } else throw new EngineError(ERR.syntax);
  }

  const slot = e.lookup(keyOf(a[1]!));
  const v = slot?.value;
  if (v !== undefined && v.type !== 'list' && v.type !== 'set' && v.type !== 'zset') throw new EngineError(ERR.wrongType);
  const type = v?.type ?? 'list';

  if (dontsort && type === 'set' && store !== undefined) {
    dontsort = false;
    alpha = true;
    sortby = undefined;
  }
  if (v?.type === 'zset') v.listpack = false;

  const n = v === undefined ? 0 : v.type === 'list' ? v.items.length : v.type === 'set' ? v.members.size : v.type === 'zset' ? v.dict.size : 0;
  const N = BigInt(n);
  const minB = (x: bigint, y: bigint) => (x < y ? x : y);
  const maxB = (x: bigint, y: bigint) => (x > y ? x : y);
  let start = Number(minB(maxB(limitStart, 0n), N));
  const count = Number(minB(maxB(limitCount, -1n), N));
  let end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;

  // the vector to sort
  let vector: Item[];
  const item = (obj: Buffer): Item => ({ obj: Buffer.from(obj), score: 0, cmp: undefined });
  if (v?.type === 'list' && dontsort) {
    vector = [];
    if (end >= start) {
      const len = end - start + 1;
      const all = v.items;
      for (let i = 0; i < len; i++) vector.push(item(all.at(desc ? n - start - 1 - i : start + i)));
      end -= start;
      start = 0;
    }
  } else if (v?.type === 'list') {
    vector = v.items.toArray().map(item);
  } else if (v?.type === 'set') {
    vector = [...v.members].map((m) => item(Buffer.from(m, 'latin1')));
  } else if (v?.type === 'zset' && dontsort) {
    const ents = zsetEntries(v);
    const len = start !== 0 || end !== n - 1 ? end - start + 1 : n;
    vector = [];
    for (let i = 0; i < len; i++) vector.push(item(ents[desc ? n - 1 - start - i : start + i]!.member));
    end -= start;
    start = 0;
  } else if (v?.type === 'zset') {
    vector = zsetEntries(v).map((x) => item(x.member));
  } else {
    vector = [];
    if (end >= start) {
      end -= start;
      start = 0;
    }
  }

  let conversionError = false;
  if (!dontsort) {
    for (const it of vector) {
      let byval: Buffer | undefined;
      if (sortby !== undefined) {
        byval = lookupByPattern(e, sortby, it.obj);
        if (byval === undefined) continue;
      } else byval = it.obj;
      if (alpha) {
        if (sortby !== undefined) it.cmp = byval;
      } else {
        const s = sortScore(byval);
        if (s === undefined) conversionError = true;
        else it.score = s;
      }
    }
    const byPattern = sortby !== undefined;
    const base = (x: Item, y: Item): number => {
      if (!alpha) {
        if (x.score > y.score) return 1;
        if (x.score < y.score) return -1;
        return Buffer.compare(x.obj, y.obj);
      }
      if (byPattern) {
        if (x.cmp === undefined || y.cmp === undefined) return x.cmp === y.cmp ? 0 : x.cmp === undefined ? -1 : 1;
        return Buffer.compare(x.cmp, y.cmp);
      }
      return Buffer.compare(x.obj, y.obj);
    };
    const cmp = (x: Item, y: Item) => (desc ? -base(x, y) : base(x, y));
    vector.sort(cmp); // stable, as glibc's merge sort
    const partial = byPattern && (start !== 0 || end !== vector.length - 1);
    if (alpha && byPattern && (partial || type !== 'list')) checkTies(vector, cmp, start, end, partial, type);
  }

  if (conversionError) throw new EngineError("ERR One or more scores can't be converted into double");

  const out: Buffer[] = [];
  for (let j = start; j <= end; j++) {
    const it = vector[j]!;
    if (gets.length === 0) out.push(it.obj);
    for (const g of gets) out.push(lookupByPattern(e, g, it.obj) ?? Buffer.alloc(0));
  }
  if (store === undefined) return;
  const dst = keyOf(store);
  if (out.length > 0) e.setKey(dst, { type: 'list', items: new Deque(out) }, false);
  else e.del(dst);
}

/** Refuse when equal, distinct elements within the output range could be in another order
 * on the server (a set's or zset's internal order, or the partial quicksort). */
function checkTies(vector: Item[], cmp: (x: Item, y: Item) => number, start: number, end: number, partial: boolean, type: string): void {
  let gs = 0;
  for (let i = 1; i <= vector.length; i++) {
    if (i < vector.length && cmp(vector[i - 1]!, vector[i]!) === 0) continue;
    const ge = i - 1;
    if (ge > gs && ge >= start && gs <= end) {
      const first = vector[gs]!.obj;
      let distinct = false;
      for (let j = gs + 1; j <= ge && !distinct; j++) distinct = !vector[j]!.obj.equals(first);
      if (distinct) {
        const why = partial
          ? 'Redis sorts a LIMIT range with BY by a partial quicksort'
          : `the server's order of equal elements follows the ${type}'s internal order`;
        throw new UnsupportedCommandError(
          `SORT ... BY ... ALPHA: elements with equal sort values fall inside the result and ${why}, which the engine cannot reproduce`,
        );
      }
    }
    gs = i;
  }
}

export function registerSortCommands(t: CommandTable): void {
  defineCommand(t, 'SORT', -2, (e, a) => sortGeneric(e, a, false));
  defineCommand(t, 'SORT_RO', -2, (e, a) => sortGeneric(e, a, true));
}
