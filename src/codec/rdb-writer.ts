// RDB writer (Redis RDB versions 6-12): the twin of rdb-reader.ts. Pure and synchronous; bytes
// go into a growable buffer the caller drains with `take()`, so memory stays bounded by the
// largest key.
//
//   "REDIS%04d" {AUX}* {FUNCTION2}* { SELECTDB RESIZEDB { [EXPIRETIME_MS] [IDLE] [FREQ] TYPE key value }* }*
//   EOF(FF) CRC64(8 bytes LE, over everything from the magic to FF)
//
// Strings follow rdbSaveRawString: a canonical decimal int32 is stored INT8/16/32 (C0/C1/C2),
// else with compression a string longer than 20 bytes is stored LZF (C3) when that saves at
// least 4 bytes, else raw. Value encodings are chosen per target version as that version's
// Redis would with its compiled-in defaults (see `chooseX` below and the table in FORMATS.md).

import { UnrepresentableError, printableKey } from '../model/errors.js';
import type { HashEntry, RedisValue, StreamGroup, StreamId, StreamValue, ZsetEntry } from '../model/value.js';
import { VERSION } from '../version.js';
import { Crc64 } from './crc64.js';
import { encodeIntset } from './intset.js';
import { ByteSink, encodeListpack, parseInt64Strict, writeInt64LE, type LpEntry } from './listpack.js';
import { lzfCompress } from './lzf.js';
import { QuicklistContainer, RdbOpcode, RdbType } from './rdb-types.js';
import { encodeZiplist } from './ziplist.js';

/** Oldest and newest RDB versions this writer produces. */
export const RDB_WRITE_VERSION_MIN = 6;
export const RDB_WRITE_VERSION_MAX = 12;

// Compiled-in defaults of redis-server (config.c), the same in 2.6 .. 7.4 where they exist.
// Note hash-max-listpack-entries is 512 in the binary (the sample redis.conf says 128).
const HASH_MAX_LISTPACK_ENTRIES = 512;
const HASH_MAX_LISTPACK_VALUE = 64;
const SET_MAX_INTSET_ENTRIES = 512;
const SET_MAX_LISTPACK_ENTRIES = 128; // 7.2+ (RDB 11)
const SET_MAX_LISTPACK_VALUE = 64;
const ZSET_MAX_LISTPACK_ENTRIES = 128;
const ZSET_MAX_LISTPACK_VALUE = 64;
const LIST_MAX_ZIPLIST_ENTRIES = 512; // 2.6 - 3.0 (RDB 6), before quicklists
const LIST_MAX_ZIPLIST_VALUE = 64;
/** list-max-listpack-size -2: quicklist nodes of at most 8 KiB */
const QUICKLIST_NODE_BYTES = 8192;
/** 7.0 / 7.2 store an element in a PLAIN node from 1 GiB on; 7.4 from above the node limit */
const PACKED_THRESHOLD_V10 = 1 << 30;
const STREAM_NODE_MAX_BYTES = 4096;
const STREAM_NODE_MAX_ENTRIES = 100;
/** EB_EXPIRE_TIME_MAX: hash field expiry times are 48-bit */
const HFE_EXPIRE_MAX = 0xffffffffffff;

const U64_MAX = (1n << 64n) - 1n;
const TWO32 = 4294967296;
const EMPTY = Buffer.alloc(0);

/** The server version each RDB version stands for, written as AUX redis-ver. */
const REDIS_VER_OF: Record<number, string> = {
  6: '3.0.7',
  7: '3.2.0',
  8: '4.0.0',
  9: '6.2.0',
  10: '7.0.0',
  11: '7.2.0',
  12: '7.4.0',
};

// ---------------------------------------------------------------------------------------------
// Lengths and strings

/** Appends an RDB length: 6-bit, 14-bit, 0x80 + u32be, or 0x81 + u64be (rdbSaveLen). */
export function appendLength(out: ByteSink, n: number | bigint): void {
  if (typeof n === 'number') {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`RDB length ${n} is not a non-negative integer`);
    if (n < 64) {
      out.ensure(1);
      out.buf[out.len++] = n;
    } else if (n < 16384) {
      out.ensure(2);
      out.buf[out.len++] = 0x40 | (n >>> 8);
      out.buf[out.len++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      out.ensure(5);
      out.buf[out.len++] = 0x80;
      out.buf.writeUInt32BE(n, out.len);
      out.len += 4;
    } else {
      out.ensure(9);
      out.buf[out.len++] = 0x81;
      out.buf.writeUInt32BE(Math.floor(n / TWO32), out.len);
      out.buf.writeUInt32BE(n % TWO32, out.len + 4);
      out.len += 8;
    }
    return;
  }
  if (n < 0n || n > U64_MAX) throw new RangeError(`RDB length ${n} is outside 0..2^64-1`);
  if (n <= 0xffffffffn) {
    appendLength(out, Number(n));
    return;
  }
  out.ensure(9);
  out.buf[out.len++] = 0x81;
  out.buf.writeBigUInt64BE(n, out.len);
  out.len += 8;
}

/** An RDB length as bytes. */
export function writeLength(n: number | bigint): Buffer {
  const s = new ByteSink(9);
  appendLength(s, n);
  return Buffer.from(s.buf.subarray(0, s.len));
}

/** The int32 an RDB string may be integer-encoded as (rdbTryIntegerEncoding), or undefined. */
function int32Of(bytes: Uint8Array): number | undefined {
  if (bytes.length === 0 || bytes.length > 11) return undefined;
  const v = parseInt64Strict(bytes);
  if (typeof v !== 'number' || v < -2147483648 || v > 2147483647) return undefined;
  return v;
}

/** Appends an RDB string exactly as rdbSaveRawString chooses its form. */
export function appendString(out: ByteSink, bytes: Uint8Array, compress: boolean): void {
  const len = bytes.length;
  const iv = int32Of(bytes);
  if (iv !== undefined) {
    out.ensure(5);
    const o = out.buf;
    if (iv >= -128 && iv <= 127) {
      o[out.len++] = 0xc0;
      o[out.len++] = iv & 0xff;
    } else if (iv >= -32768 && iv <= 32767) {
      o[out.len++] = 0xc1;
      o.writeInt16LE(iv, out.len);
      out.len += 2;
    } else {
      o[out.len++] = 0xc2;
      o.writeInt32LE(iv, out.len);
      out.len += 4;
    }
    return;
  }
  if (compress && len > 20) {
    const c = lzfCompress(bytes, len - 4);
    if (c !== undefined) {
      out.ensure(1);
      out.buf[out.len++] = 0xc3;
      appendLength(out, c.length);
      appendLength(out, len);
      putBytes(out, c);
      return;
    }
  }
  appendLength(out, len);
  putBytes(out, bytes);
}

/** An RDB string as bytes (`compress` defaults to true, Redis's rdbcompression default). */
export function writeString(bytes: Uint8Array, opts: { compress?: boolean } = {}): Buffer {
  const s = new ByteSink(bytes.length + 16);
  appendString(s, bytes, opts.compress ?? true);
  return Buffer.from(s.buf.subarray(0, s.len));
}

function putU8(out: ByteSink, b: number): void {
  out.ensure(1);
  out.buf[out.len++] = b;
}

function putBytes(out: ByteSink, src: Uint8Array): void {
  out.ensure(src.length);
  out.buf.set(src, out.len);
  out.len += src.length;
}

/** MS64: a signed millisecond time, 8 bytes little endian. */
function putMs64(out: ByteSink, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`millisecond time ${v} is not an integer`);
  out.ensure(8);
  writeInt64LE(out.buf, out.len, v);
  out.len += 8;
}

/** A stream ID as 16 raw bytes, ms and seq as big-endian u64 (the radix-tree key form). */
function putStreamId16(out: ByteSink, id: StreamId): void {
  out.ensure(16);
  out.buf.writeBigUInt64BE(id.ms, out.len);
  out.buf.writeBigUInt64BE(id.seq, out.len + 8);
  out.len += 16;
}

// ---------------------------------------------------------------------------------------------
// Score text (zset ziplists/listpacks and the old string-double ZSET type)

/** `%.17g` as glibc prints it. */
export function formatG17(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d < 0 ? '-inf' : 'inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const neg = d < 0;
  const [m, e] = Math.abs(d).toExponential(16).split('e') as [string, string];
  const digits = m.replace('.', '');
  const x = Number(e);
  let s: string;
  if (x < -4 || x >= 17) {
    const frac = digits.slice(1).replace(/0+$/, '');
    s = digits[0]! + (frac ? '.' + frac : '') + 'e' + (x < 0 ? '-' : '+') + String(Math.abs(x)).padStart(2, '0');
  } else if (x >= 0) {
    const frac = digits.slice(x + 1).replace(/0+$/, '');
    s = digits.slice(0, x + 1) + (frac ? '.' + frac : '');
  } else {
    const frac = ('0'.repeat(-x - 1) + digits).replace(/0+$/, '');
    s = '0.' + frac;
  }
  return neg ? '-' + s : s;
}

/** The shortest round-trip text in the layout of Redis 7.2+'s fpconv_dtoa (grisu2). */
export function formatShortest(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d < 0 ? '-inf' : 'inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const neg = d < 0;
  const [m, e] = Math.abs(d).toExponential().split('e') as [string, string];
  const digits = m.replace('.', '');
  const nd = digits.length;
  const k = Number(e) - (nd - 1); // value = digits * 10^k
  const exp = Math.abs(k + nd - 1);
  let s: string;
  if (k >= 0 && exp < nd + 7) {
    s = digits + '0'.repeat(k);
  } else if (k < 0 && (k > -7 || exp < 4)) {
    const offset = nd + k;
    s = offset <= 0 ? '0.' + '0'.repeat(-offset) + digits : digits.slice(0, offset) + '.' + digits.slice(offset);
  } else {
    const n = Math.min(nd, 18 - (neg ? 1 : 0));
    s = digits[0]! + (n > 1 ? '.' + digits.slice(1, n) : '') + 'e' + (k + nd - 1 < 0 ? '-' : '+') + String(exp);
  }
  return neg ? '-' + s : s;
}

const LL_HALF = 4611686018427387904; // (double)(LLONG_MAX / 2)

/** The score element Redis puts in a zset ziplist/listpack for `version`. */
export function zsetScoreEntry(score: number, version: number): LpEntry {
  if (version >= 10) {
    // zzlInsertAt (7.0+): double2ll, then d2string (%.17g in 7.0, fpconv from 7.2)
    if (Number.isInteger(score) && score >= -LL_HALF && score <= LL_HALF) {
      return Number.isSafeInteger(score) ? (score === 0 ? 0 : score) : BigInt(score);
    }
    return Buffer.from(version >= 11 ? formatShortest(score) : formatG17(score), 'latin1');
  }
  // 6.2 and older: d2string text, which the ziplist then int-encodes when canonical
  return Buffer.from(d2stringOld(score), 'latin1');
}

/** d2string of Redis <= 7.0 (the integer shortcut for |d| < 2^52, else %.17g). */
function d2stringOld(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (!Number.isFinite(d)) return d < 0 ? '-inf' : 'inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (d > -4503599627370495 && d < 4503599627370496 && Number.isInteger(d)) return String(d);
  return formatG17(d);
}

/** rdbSaveDoubleValue: the string-double of ZSET (type 3). */
function putStringDouble(out: ByteSink, d: number): void {
  if (Number.isNaN(d)) return putU8(out, 253);
  if (!Number.isFinite(d)) return putU8(out, d < 0 ? 255 : 254);
  const s = d > -4503599627370495 && d < 4503599627370496 && Number.isInteger(d) ? String(d === 0 ? 0 : d) : formatG17(d);
  putU8(out, s.length);
  putBytes(out, Buffer.from(s, 'latin1'));
}

// ---------------------------------------------------------------------------------------------
// Element sizes, to split quicklist and stream nodes where Redis would

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function lpIntBytes(v: number | bigint): number {
  if (typeof v === 'bigint') {
    if (v < -2147483648n || v > 2147483647n) return 9;
    v = Number(v);
  }
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648 && v <= 2147483647) return 5;
  return 9;
}

/** Bytes an element takes in a listpack, backlen included. */
function lpEntrySize(e: LpEntry): number {
  let l: number;
  if (typeof e === 'number' || typeof e === 'bigint') {
    l = lpIntBytes(e);
  } else {
    const v = e.length <= 20 ? parseInt64Strict(e) : undefined;
    if (v !== undefined) l = lpIntBytes(v);
    else l = e.length < 64 ? 1 + e.length : e.length < 4096 ? 2 + e.length : 5 + e.length;
  }
  return l + backlenSize(l);
}

/** Bytes an element takes in a ziplist after an entry of `prevSize` bytes. */
function zlEntrySize(e: Buffer, prevSize: number): number {
  const prevlen = prevSize < 254 ? 1 : 5;
  const v = e.length < 32 ? parseInt64Strict(e) : undefined;
  if (v !== undefined) {
    if (typeof v === 'bigint') return prevlen + 9;
    if (v >= 0 && v <= 12) return prevlen + 1;
    if (v >= -128 && v <= 127) return prevlen + 2;
    if (v >= -32768 && v <= 32767) return prevlen + 3;
    if (v >= -8388608 && v <= 8388607) return prevlen + 4;
    if (v >= -2147483648 && v <= 2147483647) return prevlen + 5;
    return prevlen + 9;
  }
  const n = e.length;
  return prevlen + (n <= 63 ? 1 : n <= 16383 ? 2 : 5) + n;
}

interface QuicklistNode {
  plain: boolean;
  items: Buffer[];
}

/**
 * Splits list elements into quicklist nodes as tail pushes with list-max-listpack-size -2
 * would: ziplist nodes (version <= 9) or listpack nodes (10+), at most 8 KiB by Redis's size
 * estimate; PLAIN nodes for large elements (>= 1 GiB in 7.0/7.2, > 8 KiB in 7.4).
 */
export function splitQuicklist(items: readonly Buffer[], version: number): QuicklistNode[] {
  const nodes: QuicklistNode[] = [];
  const packed = version >= 10;
  let cur: Buffer[] | undefined;
  let curSz = 0;
  let prevEntry = 0;
  for (const it of items) {
    const sz = it.length;
    const large = version >= 12 ? sz > QUICKLIST_NODE_BYTES : version >= 10 ? sz >= PACKED_THRESHOLD_V10 : false;
    if (large) {
      nodes.push({ plain: true, items: [it] });
      cur = undefined;
      continue;
    }
    let fits = false;
    if (cur !== undefined) {
      // listpack nodes (7.0.x+): a flat 8-byte estimate; ziplist nodes: prevlen + length header
      const overhead = packed ? 8 : (sz < 254 ? 1 : 5) + (sz < 64 ? 1 : sz < 16384 ? 2 : 5);
      fits = curSz + sz + overhead <= QUICKLIST_NODE_BYTES;
    }
    if (!fits) {
      cur = [];
      nodes.push({ plain: false, items: cur });
      curSz = packed ? 7 : 11;
      prevEntry = 0;
    }
    cur!.push(it);
    const es = packed ? lpEntrySize(it) : zlEntrySize(it, prevEntry);
    curSz += es;
    prevEntry = es;
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------
// Values

interface Ctx {
  out: ByteSink;
  version: number;
  compress: boolean;
  /** the key, for error messages */
  key: Buffer | undefined;
  /** the value came from a STREAM_LISTPACKS_3 record, so a consumer active time of -1 is
   * real (a consumer that never read) rather than "not recorded" */
  activeTimeKnown: boolean;
}

function keyText(key: Buffer | undefined): string {
  return key === undefined ? '' : ` '${printableKey(key)}'`;
}

function emptyError(ctx: Ctx, what: string): UnrepresentableError {
  return new UnrepresentableError(
    `key${keyText(ctx.key)} is an empty ${what}: Redis cannot load a collection with no elements`,
    ctx.key,
    'empty',
  );
}

/** Writes the type byte, the key string when given (an RDB record; none in a DUMP payload),
 * then the value. Returns the type byte. */
function appendTypedValue(ctx: Ctx, value: RedisValue, key: Buffer | undefined): number {
  const { out } = ctx;
  const typeAt = out.len;
  const head = (type: number): void => {
    out.len = typeAt;
    putU8(out, type);
    if (key !== undefined) appendString(out, key, ctx.compress);
  };
  switch (value.type) {
    case 'string':
      head(RdbType.String);
      appendString(out, value.value, ctx.compress);
      return RdbType.String;
    case 'list':
      return appendList(ctx, value.items, head);
    case 'set':
      return appendSet(ctx, value.members, head);
    case 'zset':
      return appendZset(ctx, value.entries, head);
    case 'hash':
      return appendHash(ctx, value.entries, head);
    case 'stream': {
      if (ctx.version < 9) {
        throw new UnrepresentableError(`key${keyText(ctx.key)} is a stream: RDB version ${ctx.version} has no streams (9+)`, ctx.key, 'stream');
      }
      const type = ctx.version >= 11 ? RdbType.StreamListpacks3 : ctx.version === 10 ? RdbType.StreamListpacks2 : RdbType.StreamListpacks;
      head(type);
      appendStream(ctx, value, ctx.version >= 11 ? 3 : ctx.version === 10 ? 2 : 1);
      return type;
    }
    case 'module':
      if (ctx.version < 8) {
        throw new UnrepresentableError(
          `key${keyText(ctx.key)} holds a module value (${value.moduleName}): RDB version ${ctx.version} has no MODULE_2 values (8+)`,
          ctx.key,
          'module',
        );
      }
      if (value.raw.length === 0) throw new RangeError(`module value of key${keyText(ctx.key)} has no payload`);
      head(RdbType.Module2);
      putBytes(out, value.raw);
      return RdbType.Module2;
    default: {
      const never: never = value;
      throw new UnrepresentableError(`unknown value type ${(never as { type: string }).type}`, ctx.key, 'type');
    }
  }
}

type Head = (type: number) => void;

function appendList(ctx: Ctx, items: readonly Buffer[], head: Head): number {
  const { out, version } = ctx;
  if (items.length === 0) throw emptyError(ctx, 'list');
  if (version >= 10) {
    head(RdbType.ListQuicklist2);
    const nodes = splitQuicklist(items, version);
    appendLength(out, nodes.length);
    for (const n of nodes) {
      if (n.plain) {
        appendLength(out, QuicklistContainer.Plain);
        appendString(out, n.items[0]!, ctx.compress);
      } else {
        appendLength(out, QuicklistContainer.Packed);
        appendString(out, encodeListpack(n.items), ctx.compress);
      }
    }
    return RdbType.ListQuicklist2;
  }
  if (version >= 7) {
    head(RdbType.ListQuicklist);
    const nodes = splitQuicklist(items, version);
    appendLength(out, nodes.length);
    for (const n of nodes) appendString(out, encodeZiplist(n.items), ctx.compress);
    return RdbType.ListQuicklist;
  }
  if (items.length <= LIST_MAX_ZIPLIST_ENTRIES && items.every((i) => i.length <= LIST_MAX_ZIPLIST_VALUE)) {
    head(RdbType.ListZiplist);
    appendString(out, encodeZiplist(items), ctx.compress);
    return RdbType.ListZiplist;
  }
  head(RdbType.List);
  appendLength(out, items.length);
  for (const i of items) appendString(out, i, ctx.compress);
  return RdbType.List;
}

function appendSet(ctx: Ctx, members: readonly Buffer[], head: Head): number {
  const { out, version } = ctx;
  const n = members.length;
  if (n === 0) throw emptyError(ctx, 'set');
  if (n <= SET_MAX_INTSET_ENTRIES) {
    const ints: bigint[] = [];
    for (const m of members) {
      const v = m.length <= 20 ? parseInt64Strict(m) : undefined;
      if (v === undefined) break;
      ints.push(BigInt(v));
    }
    if (ints.length === n) {
      head(RdbType.SetIntset);
      appendString(out, encodeIntset(ints), ctx.compress);
      return RdbType.SetIntset;
    }
  }
  if (version >= 11 && n <= SET_MAX_LISTPACK_ENTRIES && members.every((m) => m.length <= SET_MAX_LISTPACK_VALUE)) {
    head(RdbType.SetListpack);
    appendString(out, encodeListpack(members), ctx.compress);
    return RdbType.SetListpack;
  }
  head(RdbType.Set);
  appendLength(out, n);
  for (const m of members) appendString(out, m, ctx.compress);
  return RdbType.Set;
}

/** Skiplist order: score ascending, ties by member bytes (sdscmp). */
function compareZset(a: ZsetEntry, b: ZsetEntry): number {
  return a.score < b.score ? -1 : a.score > b.score ? 1 : Buffer.compare(a.member, b.member);
}

function appendZset(ctx: Ctx, entries: readonly ZsetEntry[], head: Head): number {
  const { out, version } = ctx;
  const n = entries.length;
  if (n === 0) throw emptyError(ctx, 'sorted set');
  for (const e of entries) {
    if (Number.isNaN(e.score)) {
      throw new UnrepresentableError(`sorted set${keyText(ctx.key)} has a NaN score, which Redis refuses to load`, ctx.key, 'nan-score');
    }
  }
  const sorted = entries.slice().sort(compareZset);
  if (n <= ZSET_MAX_LISTPACK_ENTRIES && entries.every((e) => e.member.length <= ZSET_MAX_LISTPACK_VALUE)) {
    const flat: LpEntry[] = new Array<LpEntry>(n * 2);
    for (let i = 0; i < n; i++) {
      flat[2 * i] = sorted[i]!.member;
      flat[2 * i + 1] = zsetScoreEntry(sorted[i]!.score, version);
    }
    const type = version >= 10 ? RdbType.ZsetListpack : RdbType.ZsetZiplist;
    head(type);
    appendString(out, version >= 10 ? encodeListpack(flat) : encodeZiplist(flat), ctx.compress);
    return type;
  }
  // skiplist: written from the highest score to the lowest (O(1) inserts on load)
  const type = version >= 8 ? RdbType.Zset2 : RdbType.Zset;
  head(type);
  appendLength(out, n);
  for (let i = n - 1; i >= 0; i--) {
    const e = sorted[i]!;
    appendString(out, e.member, ctx.compress);
    if (type === RdbType.Zset2) {
      out.ensure(8);
      out.buf.writeDoubleLE(e.score, out.len);
      out.len += 8;
    } else putStringDouble(out, e.score);
  }
  return type;
}

function appendHash(ctx: Ctx, entries: readonly HashEntry[], head: Head): number {
  const { out, version } = ctx;
  const n = entries.length;
  if (n === 0) throw emptyError(ctx, 'hash');
  let ttls = 0;
  let minExpire = Infinity;
  for (const e of entries) {
    if (e.expireMs === undefined) continue;
    ttls++;
    if (version < 12) {
      throw new UnrepresentableError(
        `hash${keyText(ctx.key)} has fields with a TTL: RDB version ${version} cannot hold hash field expiry (12+, Redis 7.4)`,
        ctx.key,
        'hash-field-ttl',
      );
    }
    if (!Number.isSafeInteger(e.expireMs) || e.expireMs < 1 || e.expireMs > HFE_EXPIRE_MAX) {
      throw new UnrepresentableError(
        `hash${keyText(ctx.key)}: field expiry ${e.expireMs} is outside Redis's range 1..2^48-1`,
        ctx.key,
        'hash-field-ttl',
      );
    }
    if (e.expireMs < minExpire) minExpire = e.expireMs;
  }
  const small = n <= HASH_MAX_LISTPACK_ENTRIES && entries.every((e) => e.field.length <= HASH_MAX_LISTPACK_VALUE && e.value.length <= HASH_MAX_LISTPACK_VALUE);
  if (ttls > 0) {
    if (small) {
      // triples field, value, expireAt: fields with a TTL first by ascending expiry, then TTL 0
      const withTtl = entries.filter((e) => e.expireMs !== undefined).sort((a, b) => a.expireMs! - b.expireMs!);
      const flat: LpEntry[] = [];
      for (const e of withTtl) flat.push(e.field, e.value, e.expireMs!);
      for (const e of entries) if (e.expireMs === undefined) flat.push(e.field, e.value, 0);
      head(RdbType.HashListpackEx);
      putMs64(out, minExpire);
      appendString(out, encodeListpack(flat), ctx.compress);
      return RdbType.HashListpackEx;
    }
    head(RdbType.HashMetadata);
    putMs64(out, minExpire);
    appendLength(out, n);
    for (const e of entries) {
      // 0 = no TTL; otherwise relative to min_expire, +1 to keep 0 free
      appendLength(out, e.expireMs === undefined ? 0 : e.expireMs - minExpire + 1);
      appendString(out, e.field, ctx.compress);
      appendString(out, e.value, ctx.compress);
    }
    return RdbType.HashMetadata;
  }
  if (small) {
    const flat: Buffer[] = new Array<Buffer>(n * 2);
    for (let i = 0; i < n; i++) {
      flat[2 * i] = entries[i]!.field;
      flat[2 * i + 1] = entries[i]!.value;
    }
    const type = version >= 10 ? RdbType.HashListpack : RdbType.HashZiplist;
    head(type);
    appendString(out, version >= 10 ? encodeListpack(flat) : encodeZiplist(flat), ctx.compress);
    return type;
  }
  head(RdbType.Hash);
  appendLength(out, n);
  for (const e of entries) {
    appendString(out, e.field, ctx.compress);
    appendString(out, e.value, ctx.compress);
  }
  return RdbType.Hash;
}

// ---------------------------------------------------------------------------------------------
// Streams

interface StreamNode {
  master: StreamId;
  lp: Buffer;
}

function asLpInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/**
 * Re-encodes live entries into stream listpack nodes as XADD builds them (streamAppendItem):
 * a new node when the tail node's bytes plus the entry's field/value bytes reach
 * stream-node-max-bytes (4096) or it holds stream-node-max-entries (100); the node's first
 * entry supplies the master fields, and entries with the same fields get SAMEFIELDS.
 */
export function encodeStreamNodes(entries: readonly { id: StreamId; fields: readonly Buffer[] }[]): StreamNode[] {
  const nodes: StreamNode[] = [];
  let els: LpEntry[] | undefined;
  let master: StreamId = { ms: 0n, seq: 0n };
  let masterFields: Buffer[] = [];
  let bytes = 0;
  let count = 0;
  const flush = (): void => {
    if (els === undefined) return;
    els[0] = count;
    nodes.push({ master, lp: encodeListpack(els) });
    els = undefined;
  };
  const push = (e: LpEntry): void => {
    els!.push(e);
    bytes += lpEntrySize(e);
  };
  for (const e of entries) {
    const f = e.fields;
    if (f.length % 2 !== 0) throw new RangeError(`stream entry ${e.id.ms}-${e.id.seq} has an odd number of field/value elements`);
    const nf = f.length / 2;
    let tot = 0;
    for (const b of f) tot += b.length;
    if (els !== undefined && (bytes + tot >= STREAM_NODE_MAX_BYTES || count >= STREAM_NODE_MAX_ENTRIES)) flush();
    let same: boolean;
    if (els === undefined) {
      els = [];
      bytes = 7; // header + EOF
      count = 0;
      master = e.id;
      masterFields = [];
      for (let i = 0; i < nf; i++) masterFields.push(f[2 * i]!);
      push(1); // live count (patched at the end; stays one byte up to 127)
      push(0); // deleted
      push(nf);
      for (const m of masterFields) push(m);
      push(0); // master terminator
      same = true;
    } else {
      same = nf === masterFields.length;
      for (let i = 0; same && i < nf; i++) same = f[2 * i]!.equals(masterFields[i]!);
    }
    push(same ? 2 : 0);
    push(asLpInt(BigInt.asIntN(64, e.id.ms - master.ms)));
    push(asLpInt(BigInt.asIntN(64, e.id.seq - master.seq)));
    if (same) {
      for (let i = 0; i < nf; i++) push(f[2 * i + 1]!);
      push(nf + 3);
    } else {
      push(nf);
      for (const b of f) push(b);
      push(2 * nf + 4);
    }
    count++;
  }
  flush();
  return nodes;
}

function compareId(a: StreamId, b: StreamId): number {
  return a.ms < b.ms ? -1 : a.ms > b.ms ? 1 : a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0;
}

/** Stream metadata of version 2+ for a value read from a version 1 record, derived as Redis's
 * loader does (rdbLoadObject): entries_added = length, no tombstone, first live ID (or the
 * maximal ID when empty, as streamGetEdgeID returns), entries_read estimated. */
export function streamMetadata(v: StreamValue): { firstId: StreamId; maxDeletedId: StreamId; entriesAdded: bigint } {
  const first = v.entries[0];
  return {
    firstId: v.firstId ?? (first ? first.id : { ms: U64_MAX, seq: U64_MAX }),
    maxDeletedId: v.maxDeletedId ?? { ms: 0n, seq: 0n },
    entriesAdded: v.entriesAdded ?? BigInt(v.length),
  };
}

/** streamEstimateDistanceFromFirstEverEntry: a group's entries_read when the file has none. */
export function estimateEntriesRead(v: StreamValue, g: StreamGroup): bigint {
  const { firstId, maxDeletedId, entriesAdded } = streamMetadata(v);
  const length = BigInt(v.length);
  const id = g.lastId;
  if (entriesAdded === 0n) return 0n;
  if (length === 0n && compareId(id, v.lastId) < 1) return entriesAdded;
  const cmpLast = compareId(id, v.lastId);
  if (cmpLast === 0) return entriesAdded;
  if (cmpLast > 0) return -1n;
  const cmpFirst = compareId(id, firstId);
  const noTombstone = (maxDeletedId.ms === 0n && maxDeletedId.seq === 0n) || compareId(maxDeletedId, firstId) < 0;
  if (noTombstone) {
    if (cmpFirst < 0) return entriesAdded - length;
    if (cmpFirst === 0) return entriesAdded - length + 1n;
  }
  return -1n;
}

function appendStream(ctx: Ctx, v: StreamValue, sv: 1 | 2 | 3): void {
  const { out } = ctx;
  const nodes = encodeStreamNodes(v.entries);
  appendLength(out, nodes.length);
  const idKey = Buffer.allocUnsafe(16);
  for (const n of nodes) {
    idKey.writeBigUInt64BE(n.master.ms, 0);
    idKey.writeBigUInt64BE(n.master.seq, 8);
    appendString(out, idKey, ctx.compress);
    appendString(out, n.lp, ctx.compress);
  }
  appendLength(out, v.length);
  appendLength(out, v.lastId.ms);
  appendLength(out, v.lastId.seq);
  if (sv >= 2) {
    const m = streamMetadata(v);
    appendLength(out, m.firstId.ms);
    appendLength(out, m.firstId.seq);
    appendLength(out, m.maxDeletedId.ms);
    appendLength(out, m.maxDeletedId.seq);
    appendLength(out, m.entriesAdded);
  }
  appendLength(out, v.groups.length);
  for (const g of v.groups) {
    appendString(out, g.name, ctx.compress);
    appendLength(out, g.lastId.ms);
    appendLength(out, g.lastId.seq);
    if (sv >= 2) {
      const er = g.entriesRead ?? estimateEntriesRead(v, g);
      appendLength(out, er < 0n ? U64_MAX : er); // -1 "unknown" is 2^64-1 on disk
    }
    appendLength(out, g.pending.length);
    for (const p of g.pending) {
      putStreamId16(out, p.id);
      putMs64(out, p.deliveryTime);
      appendLength(out, p.deliveryCount);
    }
    appendLength(out, g.consumers.length);
    for (const c of g.consumers) {
      appendString(out, c.name, ctx.compress);
      putMs64(out, c.seenTime);
      if (sv >= 3) putMs64(out, c.activeTime === -1 && !ctx.activeTimeKnown ? c.seenTime : c.activeTime);
      appendLength(out, c.pending.length);
      for (const id of c.pending) putStreamId16(out, id);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Values without a file around them (DUMP payloads)

export interface ValueEncodeOptions {
  version: number;
  compress?: boolean;
  /** the key, for error messages */
  key?: Buffer;
  /** the RDB type the value was read as (KeyEntry.rdbType), when known: a stream consumer's
   * active time of -1 is kept only when it came from a STREAM_LISTPACKS_3 record */
  sourceRdbType?: number;
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < RDB_WRITE_VERSION_MIN || version > RDB_WRITE_VERSION_MAX) {
    throw new RangeError(`cannot write RDB version ${version}: supported versions are ${RDB_WRITE_VERSION_MIN} to ${RDB_WRITE_VERSION_MAX}`);
  }
}

/** Appends type byte + value payload (no key) to `out`; returns the type byte. On error the
 * sink is left as it was. */
export function appendValue(out: ByteSink, value: RedisValue, opts: ValueEncodeOptions): number {
  checkVersion(opts.version);
  const start = out.len;
  const ctx: Ctx = {
    out,
    version: opts.version,
    compress: opts.compress ?? true,
    key: opts.key,
    activeTimeKnown: opts.sourceRdbType === RdbType.StreamListpacks3,
  };
  try {
    return appendTypedValue(ctx, value, undefined);
  } catch (e) {
    out.len = start;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The writer

export interface RdbWriterOptions {
  /** RDB version to write, 6..12 */
  version: number;
  /** LZF-compress strings longer than 20 bytes when it saves 4+ bytes (default true) */
  compress?: boolean;
  /** more AUX fields, written after the standard ones */
  auxExtra?: Record<string, string | Uint8Array> | ReadonlyArray<readonly [string | Uint8Array, string | Uint8Array]>;
}

export interface RdbHeaderAux {
  /** AUX redis-ver (default: the server of the target version, e.g. 7.0.0 for RDB 10) */
  redisVer?: string;
  /** AUX ctime, Unix seconds (default: now) */
  ctime?: number;
  /** AUX used-mem (default 0) */
  usedMem?: number;
  /** AUX aof-base (RDB 10+) / aof-preamble (RDB 8-9): "1" when the file is an AOF base */
  aofBase?: boolean;
}

/** What `key()` needs of a KeyEntry (`db` is not used: call `selectDb`). */
export interface WritableKey {
  key: Buffer;
  value: RedisValue;
  /** absolute Unix ms, -1 = none */
  expireMs: number;
  idle?: number;
  freq?: number;
  /** the RDB type the entry was read as, when it was read from a file */
  rdbType?: number;
}

const INITIAL_CAPACITY = 64 * 1024;
/** take() hands its buffer over instead of copying from this size on */
const HAND_OVER = 256 * 1024;

function toBytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
}

export class RdbWriter {
  readonly version: number;
  readonly compress: boolean;
  private out = new ByteSink(INITIAL_CAPACITY);
  private readonly crc = new Crc64();
  /** bytes of `out` already fed to the CRC */
  private crcDone = 0;
  private state: 'new' | 'body' | 'ended' = 'new';
  private readonly auxExtra: [Uint8Array, Uint8Array][] = [];
  /** bytes handed out by take() so far */
  private taken = 0;

  constructor(opts: RdbWriterOptions) {
    checkVersion(opts.version);
    this.version = opts.version;
    this.compress = opts.compress ?? true;
    const extra = opts.auxExtra;
    if (extra !== undefined) {
      const pairs = Array.isArray(extra) ? extra : Object.entries(extra);
      for (const [k, v] of pairs as [string | Uint8Array, string | Uint8Array][]) this.auxExtra.push([toBytes(k), toBytes(v)]);
    }
  }

  /** Total bytes produced so far (taken or pending). */
  get bytesWritten(): number {
    return this.taken + this.out.len;
  }

  /** Bytes produced and not yet taken. */
  get pending(): number {
    return this.out.len;
  }

  /** Magic, then (RDB 7+) the AUX fields a server writes, the extra ones, and redkit-ver. */
  header(aux: RdbHeaderAux = {}): void {
    if (this.state !== 'new') throw new Error('RdbWriter: header() was already written');
    this.state = 'body';
    putBytes(this.out, Buffer.from(`REDIS${String(this.version).padStart(4, '0')}`, 'latin1'));
    if (this.version < 7) return; // AUX fields arrived with RDB 7 (Redis 3.2)
    this.aux('redis-ver', aux.redisVer ?? REDIS_VER_OF[this.version]!);
    this.aux('redis-bits', '64');
    this.aux('ctime', String(aux.ctime ?? Math.floor(Date.now() / 1000)));
    this.aux('used-mem', String(aux.usedMem ?? 0));
    if (this.version >= 10) this.aux('aof-base', aux.aofBase ? '1' : '0');
    else if (this.version >= 8) this.aux('aof-preamble', aux.aofBase ? '1' : '0');
    for (const [k, v] of this.auxExtra) this.aux(k, v);
    this.aux('redkit-ver', VERSION);
  }

  /** One AUX field (RDB 7+; silently nothing for older versions, which have no AUX). */
  aux(name: string | Uint8Array, value: string | Uint8Array): void {
    this.body();
    if (this.version < 7) return;
    putU8(this.out, RdbOpcode.Aux);
    appendString(this.out, toBytes(name), this.compress);
    appendString(this.out, toBytes(value), this.compress);
  }

  /** A function library (FUNCTION2, RDB 10+). */
  function(code: Uint8Array): void {
    this.body();
    if (this.version < 10) {
      throw new UnrepresentableError(`RDB version ${this.version} cannot hold functions (10+, Redis 7.0)`, undefined, 'function');
    }
    putU8(this.out, RdbOpcode.Function2);
    appendString(this.out, code, this.compress);
  }

  selectDb(db: number): void {
    this.body();
    putU8(this.out, RdbOpcode.SelectDb);
    appendLength(this.out, db);
  }

  /** RESIZEDB hint (RDB 7+; nothing for older versions). */
  resizeDb(size: number, expires: number): void {
    this.body();
    if (this.version < 7) return;
    putU8(this.out, RdbOpcode.ResizeDb);
    appendLength(this.out, size);
    appendLength(this.out, expires);
  }

  /**
   * One key record: [EXPIRETIME_MS] [IDLE] [FREQ] TYPE key value. IDLE/FREQ are written for
   * RDB 9+ and dropped for older versions (they are eviction hints). Throws
   * UnrepresentableError (nothing written) when the version cannot hold the value.
   * Returns the RDB type byte written.
   */
  key(entry: WritableKey): number {
    this.body();
    const out = this.out;
    const start = out.len;
    const ctx: Ctx = {
      out,
      version: this.version,
      compress: this.compress,
      key: entry.key,
      activeTimeKnown: entry.rdbType === RdbType.StreamListpacks3,
    };
    try {
      if (entry.expireMs !== -1) {
        putU8(out, RdbOpcode.ExpireTimeMs);
        putMs64(out, entry.expireMs);
      }
      if (this.version >= 9) {
        if (entry.idle !== undefined) {
          putU8(out, RdbOpcode.Idle);
          appendLength(out, entry.idle);
        }
        if (entry.freq !== undefined) {
          if (!Number.isInteger(entry.freq) || entry.freq < 0 || entry.freq > 255) throw new RangeError(`LFU counter ${entry.freq} is not 0..255`);
          putU8(out, RdbOpcode.Freq);
          putU8(out, entry.freq);
        }
      }
      return appendTypedValue(ctx, entry.value, entry.key);
    } catch (e) {
      out.len = start;
      throw e;
    }
  }

  /** A MODULE_AUX record passed through: `raw` is what follows the opcode (module id LEN,
   * `when`, opcodes, EOF), as the reader's module-aux item holds it. RDB 9+. */
  moduleAux(raw: Uint8Array): void {
    this.body();
    if (this.version < 9) {
      throw new UnrepresentableError(`RDB version ${this.version} cannot hold module AUX data (9+)`, undefined, 'module');
    }
    putU8(this.out, RdbOpcode.ModuleAux);
    putBytes(this.out, raw);
  }

  /** EOF and the CRC-64 of everything from the magic on. */
  end(): void {
    this.body();
    const out = this.out;
    putU8(out, RdbOpcode.Eof);
    this.crc.update(out.buf, this.crcDone, out.len);
    out.ensure(8);
    this.crc.writeLE(out.buf, out.len);
    out.len += 8;
    this.crcDone = out.len;
    this.state = 'ended';
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  /** The bytes produced since the last call; the caller writes them out. */
  take(): Buffer {
    const out = this.out;
    const n = out.len;
    if (n === 0) return EMPTY;
    if (this.crcDone < n) this.crc.update(out.buf, this.crcDone, n);
    let chunk: Buffer;
    if (n >= HAND_OVER) {
      chunk = out.buf.subarray(0, n);
      this.out = new ByteSink(INITIAL_CAPACITY);
    } else {
      chunk = Buffer.from(out.buf.subarray(0, n));
      out.len = 0;
    }
    this.crcDone = 0;
    this.taken += n;
    return chunk;
  }

  private body(): void {
    if (this.state === 'new') throw new Error('RdbWriter: header() must come first');
    if (this.state === 'ended') throw new Error('RdbWriter: the image was already ended');
  }
}
