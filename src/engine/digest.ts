// The dataset digest that `DEBUG DIGEST` prints, and `DEBUG DIGEST-VALUE` for one key,
// computed from key entries (what the RDB reader or the engine produces).
//
// The algorithm is Redis's (src/debug.c: computeDatasetDigest, xorObjectDigest, mixDigest,
// xorDigest, mixStringObjectDigest), written from its description, not copied:
//   xor(d, data):  d ^= SHA1(data)                       (order-independent)
//   mix(d, data):  d = SHA1(d ^ SHA1(data))              (order-dependent)
//   key digest k:  k = 0; mix(k, key); mix(k, htonl(type)); <value>; if it has a TTL xor(k, "!!expire!!")
//     string  mix(k, bytes)                              (int-encoded: its decimal text)
//     list    mix(k, item) for each item, head to tail
//     set     xor(k, member) for each member
//     zset    e = 0; mix(e, member); mix(e, score text); xor(k, e) for each member
//     hash    e = 0; mix(e, field); mix(e, value); [7.4+: xor(e, "!!hexpire!!") when the field
//             has a TTL]; xor(k, e) for each field
//     stream  for each live entry in ID order: mix(k, "<ms>.<seq>"), then mix(k, field),
//             mix(k, value) for each pair; consumer groups, PEL and metadata are not folded
//     module  the module's own digest callback (which we cannot run): UnsupportedError
//   dataset:  F = 0; for each non-empty db in ascending order: mix(F, htonl(db)); xor(F, k)
//             for each key k of that db.  An empty dataset is 40 zeros.
//   Note that xor() hashes its argument even when it is itself a digest (e, k above).
//   DEBUG DIGEST-VALUE key: the key digest without the mix of the key name.
//
// What changed between versions (checked in the redis/redis tags 5.0, 6.0, 6.2.16, 7.0.0,
// 7.0.15, 7.2-rc1, 7.2.0, 7.2.6, 7.4.1, 8.0-m01 and the 8.0 / unstable branches of Oct 2024):
// - Zset score text. Up to 7.0.x: snprintf("%.17g") (debug.c, xorObjectDigest, both the
//   listpack/ziplist and the skiplist branch). From 7.2.0 (commit 29380ff77, "optimizing
//   d2string() and addReplyDouble() with grisu2", #10587): fpconv_dtoa() from deps/fpconv, a
//   Grisu2 conversion ("1e+300" where 7.0 prints "1.0000000000000001e+300").
// - Negative zero scores. Since 7.0.0 (commit 0c4733c8d, #10486) zzlInsertAt() stores a score
//   for which double2ll() succeeds as a listpack integer, and double2ll(-0.0) succeeds, so a
//   -0 score held in a listpack becomes 0. A zset saved as a skiplist (RDB ZSET / ZSET_2) is
//   turned into a listpack at load when it has at most zset-max-listpack-entries (128) members
//   of at most zset-max-listpack-value (64) bytes (rdb.c, rdbLoadObject), which goes through
//   zzlInsertAt: its -0 scores then digest as "0". Listpack/ziplist zsets in the file keep the
//   score text they hold ("-0" written by 6.2 stays a string: string2ll rejects "-0"). 6.2 and
//   older store d2string() text, which keeps "-0". Defaults are assumed for the two limits.
// - Hash field TTLs (7.4.0+, hashTypeNext now reports expire_time): a field with a TTL also
//   xors "!!hexpire!!" into its element digest. Versions before 7.4 cannot hold field TTLs.
// - 8.0 (as far as the snapshot goes) is identical to 7.4 in these functions. Valkey 7.2/8
//   forked from Redis 7.2 and follow its rules (per our spec; not checked against Valkey
//   sources, which are not in the snapshot). Valkey 9 is refused: not verified.
//
// Loading rules a digest of a file has to honour (rdb.c, rdbLoadObject / rdbLoadRioWithLoadingCtx):
// empty lists/sets/zsets/hashes are discarded as "empty keys"; keys whose TTL has passed are
// dropped by a primary (the command layer filters them; `now` here does it too); hash fields
// whose TTL has passed are removed by the active expiry cycle right after loading (7.4.1 loads
// them, then hashTypeDbActiveExpire deletes them; a hash left empty is deleted).

import { sha1, sha1Self, sha1Xor } from './sha1.js';
import { grisu2 } from './grisu.js';
import { UnsupportedError, UsageError, printableKey } from '../model/errors.js';
import type { HashEntry, KeyEntry, RedisValue, ZsetEntry } from '../model/value.js';

// ---------------------------------------------------------------------------------------------
// Version rules

export interface DigestRules {
  /** the version the rules were chosen for, as given (normalised) */
  compat: string;
  /** the server release whose rules apply: '6.2' | '7.0' | '7.2' | '7.4' */
  rules: '6.2' | '7.0' | '7.2' | '7.4';
  /** zset score text: printf "%.17g" (≤ 7.0) or fpconv_dtoa / Grisu2 (7.2+) */
  scoreFormat: '%.17g' | 'grisu2';
  /** a zset the server holds as a listpack turns -0 scores into 0 (7.0+) */
  listpackIntegerScores: boolean;
  /** hash fields with a TTL fold "!!hexpire!!" (7.4+); false: field TTLs cannot exist */
  hashFieldTtl: boolean;
  /** the newest RDB version the release loads (rdb.h RDB_VERSION), in files and DUMP payloads */
  rdbVersion: number;
}

/** The default: the newest rules known (Redis 7.4 / 8.0). */
export const DEFAULT_COMPAT = '8.0';

const RULES: Record<DigestRules['rules'], Omit<DigestRules, 'compat'>> = {
  '6.2': { rules: '6.2', scoreFormat: '%.17g', listpackIntegerScores: false, hashFieldTtl: false, rdbVersion: 9 },
  '7.0': { rules: '7.0', scoreFormat: '%.17g', listpackIntegerScores: true, hashFieldTtl: false, rdbVersion: 10 },
  '7.2': { rules: '7.2', scoreFormat: 'grisu2', listpackIntegerScores: true, hashFieldTtl: false, rdbVersion: 11 },
  '7.4': { rules: '7.4', scoreFormat: 'grisu2', listpackIntegerScores: true, hashFieldTtl: true, rdbVersion: 12 },
};

/**
 * The digest rules of a server version: "6.2", "7.0.15", "7.4", "8.0", "redis-7.2",
 * "valkey-8", "valkey-7.2.5". Throws UsageError for anything else.
 */
export function resolveCompat(version: string = DEFAULT_COMPAT): DigestRules {
  const v = version.trim().toLowerCase();
  const m = /^(?:(redis|valkey)[-:]?)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v);
  if (!m) {
    throw new UsageError(`--digest-compat expects a server version like 6.2, 7.0, 7.2, 7.4, 8.0 or valkey-8, got '${version}'`);
  }
  const flavour = m[1] ?? 'redis';
  const major = Number(m[2]);
  const minor = m[3] === undefined ? 0 : Number(m[3]);
  if (flavour === 'valkey') {
    // Valkey 7.2 and 8.x: Redis 7.2's digest. Valkey 9 added hash field TTLs with its own
    // encoding and possibly its own digest rule: not verified, so refused.
    if (major === 7 || major === 8) return { compat: v, ...RULES['7.2'] };
    throw new UsageError(`--digest-compat ${version}: only valkey-7.2 and valkey-8 digest rules are known`);
  }
  if (major < 2) throw new UsageError(`--digest-compat ${version}: not a Redis version`);
  // a release newer than any whose debug.c was read may fold values differently: saying
  // which rules it follows would be a guess
  if (major > 8) throw new UsageError(`--digest-compat ${version}: the digest rules are known up to Redis 8.x (and Valkey 8); choose one of those`);
  let rules: DigestRules['rules'];
  if (major < 7) rules = '6.2';
  else if (major === 7 && minor < 2) rules = '7.0';
  else if (major === 7 && minor < 4) rules = '7.2';
  else rules = '7.4';
  return { compat: v, ...RULES[rules] };
}

// ---------------------------------------------------------------------------------------------
// SHA-1 helpers

type Digest = Buffer; // 20 bytes

/** d ^= h (a precomputed hash, or an already hashed digest) */
function xorRaw(d: Digest, h: Uint8Array): void {
  for (let i = 0; i < 20; i++) d[i]! ^= h[i]!;
}

/** d ^= SHA1(data) */
function xorInto(d: Digest, data: Uint8Array): void {
  sha1Xor(data, d);
}

/** d = SHA1(d ^ SHA1(data)) */
function mixInto(d: Digest, data: Uint8Array): void {
  sha1Xor(data, d);
  sha1Self(d);
}

/** mix with a precomputed SHA1(data) */
function mixHashed(d: Digest, hash: Uint8Array): void {
  xorRaw(d, hash);
  sha1Self(d);
}

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

const EXPIRE_MARK_HASH = sha1(Buffer.from('!!expire!!', 'latin1'));
const HEXPIRE_MARK_HASH = sha1(Buffer.from('!!hexpire!!', 'latin1'));

/** OBJ_* type numbers (server.h) */
const OBJ_TYPE: Record<RedisValue['type'], number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, module: 5, stream: 6 };
/** SHA1(htonl(type)) for each type: what mixDigest(type) xors in */
const TYPE_HASH = Object.fromEntries(Object.entries(OBJ_TYPE).map(([t, n]) => [t, sha1(be32(n))])) as Record<RedisValue['type'], Buffer>;

/** RDB object types a zset is stored as a skiplist with (RDB_TYPE_ZSET, RDB_TYPE_ZSET_2). */
const RDB_ZSET_SKIPLIST_TYPES = new Set([3, 5]);
/** Redis's compiled-in defaults for zset-max-listpack-entries / -value. */
const ZSET_MAX_LISTPACK_ENTRIES = 128;
const ZSET_MAX_LISTPACK_VALUE = 64;

// ---------------------------------------------------------------------------------------------
// Score text

/** Score text as DEBUG DIGEST formats it under the given rules. */
export function formatScore(score: number, rules: Pick<DigestRules, 'scoreFormat'>): string {
  return rules.scoreFormat === 'grisu2' ? fpconvDtoa(score) : formatG17(score);
}

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
function bitsOf(d: number): bigint {
  F64[0] = d;
  return U64[0]!;
}

/**
 * C's printf("%.17g", d) as glibc prints it: exactly rounded to 17 significant digits (ties
 * to even on the exact binary value), trailing zeros removed, exponent form when the decimal
 * exponent is below -4 or at least 17, with a sign and at least two exponent digits.
 */
export function formatG17(d: number): string {
  if (Number.isNaN(d)) return bitsOf(d) >> 63n ? '-nan' : 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // a safe integer (|d| <= 2^53) has at most 16 digits, which String() prints exactly (above
  // 2^53 String() gives the shortest round-trip digits, not %.17g's exact ones)
  if (Number.isSafeInteger(d)) return String(d);
  const neg = d < 0;
  let { digits, exp } = exact17(Math.abs(d));
  // digits: 17 significant digits; exp: decimal exponent of the first one
  digits = digits.replace(/0+$/, '');
  let s: string;
  if (exp < -4 || exp >= 17) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    s = `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    s = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? '-' + s : s;
}

/** 17 significant digits of a positive finite double, correctly rounded, ties to even. */
function exact17(x: number): { digits: string; exp: number } {
  const bits = bitsOf(x);
  const be = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  let e2: number;
  if (be === 0) e2 = -1074;
  else {
    m += 1n << 52n;
    e2 = be - 1075;
  }
  // reduce to an odd mantissa: x = m * 2^e2
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e2++;
  }
  // The exact expansion of m * 2^e2 (e2 < 0) is m * 5^-e2 shifted by -e2 decimal places, an
  // odd number without trailing zeros: a tie at the 18th digit needs exactly 18 digits, which
  // needs 5^-e2 < 10^18, so -e2 <= 25. Integers (e2 >= 0) below 2^53 have at most 16 digits
  // and larger ones are even: no tie. Elsewhere V8's correctly rounded conversion is exact.
  if (e2 >= 0 || -e2 > 25) {
    const t = x.toExponential(16); // d.dddddddddddddddde±X
    const ei = t.indexOf('e');
    return { digits: t[0]! + t.slice(2, ei), exp: Number(t.slice(ei + 1)) };
  }
  const n = m * 5n ** BigInt(-e2);
  let str = n.toString();
  let exp = str.length - 1 + e2; // value = n * 10^e2
  if (str.length > 17) {
    const head = str.slice(0, 17);
    const rest = str.slice(17);
    let up: boolean;
    if (rest[0]! > '5') up = true;
    else if (rest[0]! < '5') up = false;
    else if (/[1-9]/.test(rest.slice(1))) up = true;
    else up = (head.charCodeAt(16) - 48) % 2 === 1;
    let hv = BigInt(head);
    if (up) hv += 1n;
    str = hv.toString();
    if (str.length > 17) {
      str = str.slice(0, 17);
      exp++;
    }
  } else {
    str = str.padEnd(17, '0');
  }
  return { digits: str, exp };
}

// fpconv_dtoa (deps/fpconv, Redis 7.2+): Grisu2 (engine/grisu.ts) and fpconv's layout of its
// digits.

const FRAC_MASK = 0xfffffffffffffn;

function emitDigits(digits: number[], K: number, neg: boolean): string {
  let nd = digits.length;
  const ds = digits.join('');
  let exp = Math.abs(K + nd - 1);
  if (K >= 0 && exp < nd + 7) return ds + '0'.repeat(K); // plain integer
  if (K < 0 && (K > -7 || exp < 4)) {
    const offset = nd - Math.abs(K);
    if (offset <= 0) return '0.' + '0'.repeat(-offset) + ds; // below 1
    return ds.slice(0, offset) + '.' + ds.slice(offset);
  }
  // scientific notation
  nd = Math.min(nd, 18 - (neg ? 1 : 0));
  let s = ds[0]!;
  if (nd > 1) s += '.' + ds.slice(1, nd);
  s += 'e' + (K + nd - 1 < 0 ? '-' : '+');
  let cent = 0;
  if (exp > 99) {
    cent = Math.trunc(exp / 100);
    s += String(cent);
    exp -= cent * 100;
  }
  if (exp > 9) {
    const dec = Math.trunc(exp / 10);
    s += String(dec);
    exp -= dec * 10;
  } else if (cent) {
    s += '0';
  }
  return s + String(exp % 10);
}

const grisuCache = new Map<number, string>();

/** Redis 7.2+'s fpconv_dtoa(): the score text of DEBUG DIGEST (and of d2string / replies). */
export function fpconvDtoa(d: number): string {
  if (!Number.isFinite(d)) {
    const bits = bitsOf(d);
    return ((bits >> 63n) === 1n ? '-' : '') + ((bits & FRAC_MASK) !== 0n ? 'nan' : 'inf');
  }
  const neg = d < 0 || Object.is(d, -0);
  const sign = neg ? '-' : '';
  if (d === 0) return sign + '0';
  const cached = grisuCache.get(d);
  if (cached !== undefined) return cached;
  const { digits, K } = grisu2(d);
  const s = sign + emitDigits(digits, K, neg);
  if (grisuCache.size >= 4096) grisuCache.clear();
  grisuCache.set(d, s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Digests

export interface DigestOptions {
  /** server version whose rules to follow (see resolveCompat); default the newest */
  compat?: string;
  /** when set (Unix ms): keys and hash fields whose TTL has passed at this time are left out,
   * as on a primary that loaded the data and ran its expiry cycle */
  now?: number;
}

/** Why add() left a key out, or undefined when it was folded. */
export type SkipReason = 'expired' | 'empty' | 'fields-expired';

/**
 * The DEBUG DIGEST of a dataset, fed one key at a time in any order.
 * Keys of the same db must be distinct (a server refuses an RDB with duplicate keys).
 */
export class DatasetDigest {
  readonly rules: DigestRules;
  private readonly now: number | undefined;
  /** per db: the xor of SHA1(key digest) over its keys (what xorDigest(final, digest) adds) */
  private readonly perDb = new Map<number, Buffer>();
  private readonly counts = new Map<number, number>();
  /** keys left out because their TTL had passed at `now` */
  expiredKeys = 0;
  /** keys left out because they were empty (or every hash field had expired) */
  emptyKeys = 0;

  constructor(opts: DigestOptions = {}) {
    this.rules = resolveCompat(opts.compat);
    this.now = opts.now;
  }

  /** Fold one key; returns why it was left out, if it was. Throws UnsupportedError for a
   * module value (its digest comes from the module's own callback) and for values the chosen
   * server version cannot hold. */
  add(entry: KeyEntry): SkipReason | undefined {
    if (this.now !== undefined && entry.expireMs !== -1 && entry.expireMs < this.now) {
      this.expiredKeys++;
      return 'expired';
    }
    const d = Buffer.alloc(20);
    mixInto(d, entry.key);
    const r = objectDigest(d, entry, this.rules, this.now);
    if (r !== undefined) {
      this.emptyKeys++;
      return r;
    }
    let acc = this.perDb.get(entry.db);
    if (!acc) {
      acc = Buffer.alloc(20);
      this.perDb.set(entry.db, acc);
    }
    sha1Xor(d, acc);
    this.counts.set(entry.db, (this.counts.get(entry.db) ?? 0) + 1);
    return undefined;
  }

  /** Keys folded, per db ({"0": n, ...}; dbs without keys absent). */
  keysPerDb(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const db of [...this.counts.keys()].sort((a, b) => a - b)) out[String(db)] = this.counts.get(db)!;
    return out;
  }

  /** Keys folded in all. */
  get keys(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  /** 40 lowercase hex digits, as DEBUG DIGEST prints them. */
  hex(): string {
    const final = Buffer.alloc(20);
    for (const db of [...this.perDb.keys()].sort((a, b) => a - b)) {
      if (!this.counts.get(db)) continue;
      mixInto(final, be32(db));
      xorRaw(final, this.perDb.get(db)!);
    }
    return final.toString('hex');
  }
}

/** What `DEBUG DIGEST-VALUE key` prints for this key (40 hex digits). With `now`, hash fields
 * already expired are left out; an empty value digests as 40 zeros (no such key). */
export function digestValue(entry: KeyEntry, opts: DigestOptions = {}): string {
  const rules = resolveCompat(opts.compat);
  const d = Buffer.alloc(20);
  if (opts.now !== undefined && entry.expireMs !== -1 && entry.expireMs < opts.now) return d.toString('hex');
  const r = objectDigest(d, entry, rules, opts.now);
  return r === undefined ? d.toString('hex') : Buffer.alloc(20).toString('hex');
}

/** xorObjectDigest: mixes type, value and TTL marker into d. Returns a reason when the key
 * would not exist on the server (an empty collection). */
function objectDigest(d: Digest, entry: KeyEntry, rules: DigestRules, now: number | undefined): SkipReason | undefined {
  const v = entry.value;
  switch (v.type) {
    case 'string':
      mixHashed(d, TYPE_HASH.string);
      mixInto(d, v.value);
      break;
    case 'list':
      if (v.items.length === 0) return 'empty';
      mixHashed(d, TYPE_HASH.list);
      for (const it of v.items) mixInto(d, it);
      break;
    case 'set':
      if (v.members.length === 0) return 'empty';
      mixHashed(d, TYPE_HASH.set);
      for (const m of v.members) xorInto(d, m);
      break;
    case 'zset':
      if (v.entries.length === 0) return 'empty';
      mixHashed(d, TYPE_HASH.zset);
      zsetDigest(d, v.entries, entry.rdbType, rules);
      break;
    case 'hash': {
      if (v.entries.length === 0) return 'empty';
      let fields: HashEntry[] = v.entries;
      if (now !== undefined && fields.some((f) => f.expireMs !== undefined && f.expireMs < now)) {
        fields = fields.filter((f) => f.expireMs === undefined || f.expireMs >= now);
        if (fields.length === 0) return 'fields-expired';
      }
      if (!rules.hashFieldTtl && fields.some((f) => f.expireMs !== undefined)) {
        throw new UnsupportedError(
          `key '${printableKey(entry.key)}' has hash fields with a TTL, which Redis ${rules.rules} cannot hold (hash field expiration arrived in Redis 7.4); choose --digest-compat 7.4 or newer`,
          entry.offset,
          'digest',
          entry.key,
        );
      }
      mixHashed(d, TYPE_HASH.hash);
      const e = Buffer.alloc(20);
      for (const f of fields) {
        e.fill(0);
        mixInto(e, f.field);
        mixInto(e, f.value);
        if (f.expireMs !== undefined) xorRaw(e, HEXPIRE_MARK_HASH);
        xorInto(d, e);
      }
      break;
    }
    case 'stream':
      mixHashed(d, TYPE_HASH.stream);
      for (const en of v.entries) {
        mixInto(d, Buffer.from(`${en.id.ms}.${en.id.seq}`, 'latin1'));
        for (const f of en.fields) mixInto(d, f);
      }
      break;
    case 'module':
      throw new UnsupportedError(
        `cannot compute the digest of key '${printableKey(entry.key)}': it holds a value of module type ${v.moduleName}, which Redis digests with the module's own callback`,
        entry.offset,
        'digest',
        entry.key,
      );
  }
  if (entry.expireMs !== -1) xorRaw(d, EXPIRE_MARK_HASH);
  return undefined;
}

function zsetDigest(d: Digest, entries: ZsetEntry[], rdbType: number, rules: DigestRules): void {
  // A skiplist-stored zset small enough becomes a listpack at load (7.0+: -0 becomes 0).
  let zeroNegZero = false;
  if (rules.listpackIntegerScores && RDB_ZSET_SKIPLIST_TYPES.has(rdbType) && entries.length <= ZSET_MAX_LISTPACK_ENTRIES) {
    zeroNegZero = entries.every((e) => e.member.length <= ZSET_MAX_LISTPACK_VALUE);
  }
  const e = Buffer.alloc(20);
  for (const en of entries) {
    e.fill(0);
    mixInto(e, en.member);
    const score = zeroNegZero && Object.is(en.score, -0) ? 0 : en.score;
    mixInto(e, Buffer.from(formatScore(score, rules), 'latin1'));
    xorInto(d, e);
  }
}
