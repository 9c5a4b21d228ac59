// The in-memory keyspace: applies AOF commands exactly as a Redis server applies them while
// loading the AOF, so that the dataset it ends with (and its DEBUG DIGEST) is the server's.
//
// Semantics follow Redis 7.0.15 (src/t_string.c, t_list.c, t_set.c, t_hash.c, db.c, expire.c,
// bitops.c, cluster.c RESTORE, aof.c loadSingleAppendOnlyFile), written from the source, not
// copied. Where the loading server behaves differently from a live one, the engine follows the
// loading server by default (`loading: true`):
// - nothing expires while loading (db.c keyIsExpired: `if (server.loading) return 0`), so a key
//   whose TTL has passed stays visible to later commands (a live server would have propagated a
//   DEL for it first); EXPIRE/GETEX/RESTORE with a time already in the past set that time
//   instead of deleting the key (expire.c checkAlreadyExpired). Keys whose TTL has passed are
//   removed by the server's expiry cycle right after loading: `entries({ now })` leaves them out.
// - the AOF client may exceed proto-max-bulk-len (mustObeyClient), and never blocks
//   (CLIENT_DENY_BLOCKING): BLPOP & co. on empty lists do nothing.
// With `loading: false` the engine behaves as a live primary: a key whose TTL has passed
// (now > expire) is treated as absent and deleted on lookup; past expiry times delete keys.
//
// Each db is a Map keyed by latin1 strings (lossless for bytes). Values per type:
//   string  a growable byte buffer      list  a deque of Buffers
//   set     Set of latin1 strings       hash  Map latin1 field -> Buffer (+ field TTLs: 7.4+
//                                             RDBs, HEXPIRE & co., see handlers/hashes.ts)
//   zset    dict + skiplist (zset.ts), with the encoding (listpack/skiplist) Redis would use
//   stream  listpack nodes as Redis lays them out, groups, PELs, consumers (stream.ts)
//   module: kept as loaded (RDB preamble/base, RESTORE payloads) and moved, copied, renamed
//   and deleted by the generic key commands; module commands are refused.
//
// apply() takes ownership of the argument Buffers (it may store them): pass copies.

import type { HashEntry, KeyEntry, RedisValue, StreamValue } from '../model/value.js';
import { RDB_VERSION_MAX } from '../codec/rdb-types.js';
import { commandSpec } from '../codec/commands-table.js';
import { ERR, EngineError, UnknownCommandError, UnsupportedCommandError, arityError } from './errors.js';
import { registerStringCommands } from './handlers/strings.js';
import { registerKeyCommands } from './handlers/keys.js';
import { registerServerCommands } from './handlers/server.js';
import { registerListCommands } from './handlers/lists.js';
import { registerSetCommands } from './handlers/sets.js';
import { registerHashCommands } from './handlers/hashes.js';
import { registerZsetCommands } from './handlers/zsets.js';
import { registerSortCommands } from './handlers/sort.js';
import { registerHllCommands } from './handlers/hll.js';
import { registerGeoCommands } from './handlers/geo.js';
import { registerStreamCommands } from './handlers/streams.js';
import { dupStream, streamFromModel, streamToModel, type StreamObj } from './stream.js';
import { dupZset, zsetEntries, zsetFromEntries, zsetRdbType, type ZsetValue } from './zset.js';

export type { ZsetValue } from './zset.js';
export type { StreamObj } from './stream.js';

// ---------------------------------------------------------------------------------------------
// Values

/** A list: a deque of Buffers (push/pop at both ends in O(1)). */
export class Deque {
  private a: (Buffer | undefined)[];
  private h = 0;
  constructor(items: Buffer[] = []) {
    this.a = items;
  }
  get length(): number {
    return this.a.length - this.h;
  }
  at(i: number): Buffer {
    return this.a[this.h + i]!;
  }
  set(i: number, v: Buffer): void {
    this.a[this.h + i] = v;
  }
  pushBack(v: Buffer): void {
    this.a.push(v);
  }
  pushFront(v: Buffer): void {
    if (this.h === 0) {
      const live = this.a;
      const spare = Math.max(16, live.length);
      const n: (Buffer | undefined)[] = new Array<Buffer | undefined>(spare).fill(undefined);
      for (const x of live) n.push(x);
      this.a = n;
      this.h = spare;
    }
    this.a[--this.h] = v;
  }
  popFront(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const v = this.a[this.h];
    this.a[this.h++] = undefined;
    if (this.h === this.a.length) {
      this.a = [];
      this.h = 0;
    } else if (this.h > 1024 && this.h * 2 > this.a.length) {
      this.a = this.a.slice(this.h);
      this.h = 0;
    }
    return v;
  }
  popBack(): Buffer | undefined {
    if (this.length === 0) return undefined;
    const v = this.a.pop();
    if (this.a.length === this.h) {
      this.a = [];
      this.h = 0;
    }
    return v;
  }
  /** the items head to tail (a fresh array) */
  toArray(): Buffer[] {
    return this.a.slice(this.h) as Buffer[];
  }
  /** replace the content (takes the array) */
  replace(items: Buffer[]): void {
    this.a = items;
    this.h = 0;
  }
}

export interface StringValue {
  type: 'string';
  /** bytes [0, len) of buf; buf may have spare capacity and is owned by this value */
  buf: Buffer;
  len: number;
}
export interface ListValue {
  type: 'list';
  items: Deque;
}
export interface SetValue {
  type: 'set';
  /** members as latin1 strings */
  members: Set<string>;
}
export interface HashValue {
  type: 'hash';
  /** field (latin1) -> value */
  fields: Map<string, Buffer>;
  /** field (latin1) -> absolute ms (Redis 7.4+ hash field TTLs; handlers/hashes.ts) */
  ttl: Map<string, number> | undefined;
}
/** A value the engine holds but whose type-specific commands it does not implement. */
export interface OpaqueValue {
  type: 'module';
  value: RedisValue;
  /** the RDB type it was loaded as */
  rdbType: number;
}
export type EngineValue = StringValue | ListValue | SetValue | HashValue | ZsetValue | StreamObj | OpaqueValue;

export interface Slot {
  value: EngineValue;
  /** absolute Unix ms; undefined = no expiry */
  expire: number | undefined;
}

export type Db = Map<string, Slot>;

export function stringValue(b: Buffer): StringValue {
  return { type: 'string', buf: b, len: b.length };
}

export function strBytes(v: StringValue): Buffer {
  return v.buf.length === v.len ? v.buf : v.buf.subarray(0, v.len);
}

/** Make room for `n` bytes in a string value (zero-filled growth), amortised like sds. */
export function growString(v: StringValue, n: number): void {
  if (n <= v.len) return;
  if (n > v.buf.length) {
    const cap = n < 1024 * 1024 ? n * 2 : n + 1024 * 1024;
    const nb = Buffer.alloc(cap);
    v.buf.copy(nb, 0, 0, v.len);
    v.buf = nb;
  } else {
    v.buf.fill(0, v.len, n);
  }
  v.len = n;
}

/** A deep copy (COPY): nothing is shared with the source. */
export function dupValue(v: EngineValue): EngineValue {
  switch (v.type) {
    case 'string':
      return stringValue(Buffer.from(strBytes(v)));
    case 'list':
      return { type: 'list', items: new Deque(v.items.toArray().map((b) => Buffer.from(b))) };
    case 'set':
      return { type: 'set', members: new Set(v.members) };
    case 'hash': {
      const fields = new Map<string, Buffer>();
      for (const [f, b] of v.fields) fields.set(f, Buffer.from(b));
      return { type: 'hash', fields, ttl: v.ttl ? new Map(v.ttl) : undefined };
    }
    case 'zset':
      return dupZset(v);
    case 'stream':
      return dupStream(v);
    default:
      return { type: v.type, value: cloneRedisValue(v.value), rdbType: v.rdbType };
  }
}

const cp = (b: Buffer): Buffer => Buffer.from(b);

/** A deep copy of a model value (RDB items are views into read buffers). */
export function cloneRedisValue(v: RedisValue): RedisValue {
  switch (v.type) {
    case 'string':
      return { type: 'string', value: cp(v.value) };
    case 'list':
      return { type: 'list', items: v.items.map(cp) };
    case 'set':
      return { type: 'set', members: v.members.map(cp) };
    case 'zset':
      return { type: 'zset', entries: v.entries.map((e) => ({ member: cp(e.member), score: e.score })) };
    case 'hash':
      return {
        type: 'hash',
        entries: v.entries.map((e) => {
          const h: HashEntry = { field: cp(e.field), value: cp(e.value) };
          if (e.expireMs !== undefined) h.expireMs = e.expireMs;
          return h;
        }),
      };
    case 'stream': {
      const s: StreamValue = {
        ...v,
        entries: v.entries.map((e) => ({ id: { ...e.id }, fields: e.fields.map(cp) })),
        groups: v.groups.map((g) => ({
          ...g,
          name: cp(g.name),
          pending: g.pending.map((p) => ({ ...p })),
          consumers: g.consumers.map((c) => ({ ...c, name: cp(c.name), pending: c.pending.map((id) => ({ ...id })) })),
        })),
      };
      return s;
    }
    case 'module':
      return { ...v, raw: cp(v.raw) };
  }
}

/** Model value -> engine value, or undefined for an empty collection (Redis discards those
 * "empty keys" when it loads them). `copy`: the buffers are views that must be copied. */
export function fromRedisValue(v: RedisValue, rdbType: number, copy: boolean): EngineValue | undefined {
  const c = copy ? cp : (b: Buffer) => b;
  switch (v.type) {
    case 'string':
      return stringValue(c(v.value));
    case 'list':
      if (v.items.length === 0) return undefined;
      return { type: 'list', items: new Deque(v.items.map(c)) };
    case 'set':
      if (v.members.length === 0) return undefined;
      return { type: 'set', members: new Set(v.members.map((m) => m.toString('latin1'))) };
    case 'hash': {
      if (v.entries.length === 0) return undefined;
      const fields = new Map<string, Buffer>();
      let ttl: Map<string, number> | undefined;
      for (const e of v.entries) {
        const f = e.field.toString('latin1');
        fields.set(f, c(e.value));
        if (e.expireMs !== undefined) (ttl ??= new Map()).set(f, e.expireMs);
      }
      return { type: 'hash', fields, ttl };
    }
    case 'zset':
      if (v.entries.length === 0) return undefined;
      return zsetFromEntries(v.entries, rdbType, copy);
    case 'stream':
      return streamFromModel(v, rdbType, copy);
    case 'module':
      return { type: v.type, value: copy ? cloneRedisValue(v) : v, rdbType };
  }
}

/** RDB type bytes (rdb.h) used when the engine describes its own values. */
const RDB_TYPE = { string: 0, set: 2, hash: 4, intset: 11, hashListpack: 16, quicklist2: 18 } as const;

/** Engine value -> model value. Buffers are views into the engine's state. */
export function toRedisValue(v: EngineValue): { value: RedisValue; rdbType: number } {
  switch (v.type) {
    case 'string':
      return { value: { type: 'string', value: strBytes(v) }, rdbType: RDB_TYPE.string };
    case 'list':
      return { value: { type: 'list', items: v.items.toArray() }, rdbType: RDB_TYPE.quicklist2 };
    case 'set': {
      const members: Buffer[] = [];
      let ints = v.members.size <= 512;
      for (const m of v.members) {
        const b = Buffer.from(m, 'latin1');
        if (ints && parseLL(b) === undefined) ints = false;
        members.push(b);
      }
      return { value: { type: 'set', members }, rdbType: ints ? RDB_TYPE.intset : RDB_TYPE.set };
    }
    case 'hash': {
      const entries: HashEntry[] = [];
      let small = v.fields.size <= 128;
      for (const [f, b] of v.fields) {
        const e: HashEntry = { field: Buffer.from(f, 'latin1'), value: b };
        const t = v.ttl?.get(f);
        if (t !== undefined) e.expireMs = t;
        if (small && (f.length > 64 || b.length > 64)) small = false;
        entries.push(e);
      }
      return { value: { type: 'hash', entries }, rdbType: small ? RDB_TYPE.hashListpack : RDB_TYPE.hash };
    }
    case 'zset':
      return { value: { type: 'zset', entries: zsetEntries(v) }, rdbType: zsetRdbType(v) };
    case 'stream':
      return { value: streamToModel(v), rdbType: v.rdbType };
    default:
      return { value: v.value, rdbType: v.rdbType };
  }
}

// ---------------------------------------------------------------------------------------------
// Argument parsing, as Redis parses (util.c string2ll, object.c get*FromObjectOrReply)

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
export const LLONG_MAX = INT64_MAX;
export const LLONG_MIN = INT64_MIN;

/** string2ll: strict canonical decimal int64 ("0", "-12"; not "007", "+1", "-0", " 1"). */
export function parseLL(b: Uint8Array): bigint | undefined {
  const n = b.length;
  if (n === 0 || n >= 21) return undefined;
  if (n === 1 && b[0] === 0x30) return 0n;
  let i = 0;
  let neg = false;
  if (b[0] === 0x2d) {
    neg = true;
    i = 1;
    if (n === 1) return undefined;
  }
  const first = b[i]!;
  if (first < 0x31 || first > 0x39) return undefined;
  for (let j = i + 1; j < n; j++) {
    const c = b[j]!;
    if (c < 0x30 || c > 0x39) return undefined;
  }
  if (n - i <= 15) {
    // fits a double exactly
    let v = 0;
    for (let j = i; j < n; j++) v = v * 10 + (b[j]! - 0x30);
    return BigInt(neg ? -v : v);
  }
  let v = 0n;
  for (let j = i; j < n; j++) v = v * 10n + BigInt(b[j]! - 0x30);
  if (neg) {
    v = -v;
    if (v < INT64_MIN) return undefined;
  } else if (v > INT64_MAX) return undefined;
  return v;
}

/** getLongLongFromObjectOrReply (long is 64-bit on the servers we follow). */
export function getLL(b: Uint8Array, msg?: string): bigint {
  const v = parseLL(b);
  if (v === undefined) throw new EngineError(msg !== undefined ? `ERR ${msg}` : ERR.notInteger);
  return v;
}

/** getRangeLongFromObjectOrReply */
export function getRangeLong(b: Uint8Array, min: bigint, max: bigint, msg?: string): bigint {
  const v = getLL(b, msg);
  if (v < min || v > max) {
    throw new EngineError(msg !== undefined ? `ERR ${msg}` : `ERR value is out of range, value must between ${min} and ${max}`);
  }
  return v;
}

/** The [COUNT count] that may follow the keys of LMPOP/BLMPOP/ZMPOP/BZMPOP (from a[from]);
 * 1 without it. */
export function mpopCount(a: readonly Uint8Array[], from: number): bigint {
  let count = -1n;
  for (let j = from; j < a.length; j++) {
    const moreargs = a.length - 1 - j;
    if (count === -1n && isWord(a[j]!, 'COUNT') && moreargs) {
      j++;
      count = getRangeLong(a[j]!, 1n, LLONG_MAX, 'count should be greater than 0');
    } else throw new EngineError(ERR.syntax);
  }
  return count === -1n ? 1n : count;
}

/** getPositiveLongFromObjectOrReply */
export function getPositiveLong(b: Uint8Array, msg = 'value is out of range, must be positive'): bigint {
  return getRangeLong(b, 0n, INT64_MAX, msg);
}

/** getIntFromObjectOrReply */
export function getInt(b: Uint8Array, msg?: string): number {
  return Number(getRangeLong(b, -2147483648n, 2147483647n, msg));
}

/** The bytes as a C string (up to the first NUL), the way strcasecmp and `opt[i] == '\0'`
 * checks see an argument. */
function cstr(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

/** strcasecmp(arg, word) == 0, for an ASCII word */
export function isWord(b: Uint8Array, word: string): boolean {
  const s = cstr(b);
  if (s.length !== word.length) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s[i]!;
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    let w = word.charCodeAt(i);
    if (w >= 0x61 && w <= 0x7a) w -= 0x20;
    if (c !== w) return false;
  }
  return true;
}

export function keyOf(b: Buffer): string {
  return b.latin1Slice(0, b.length);
}

export function fromKey(k: string): Buffer {
  return Buffer.from(k, 'latin1');
}

export function llBuf(v: bigint | number): Buffer {
  return Buffer.from(String(v), 'latin1');
}

/** the largest string the engine builds: proto-max-bulk-len for clients, a Buffer's limit when
 * loading (the AOF client may exceed proto-max-bulk-len) */
export const PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;
const BUFFER_MAX = 2 ** 32;

// ---------------------------------------------------------------------------------------------
// The command table

export type Handler = (e: Engine, args: Buffer[]) => void;

export interface CommandDef {
  name: string;
  /** Redis arity: N exactly N arguments with the name; -N at least N */
  arity: number;
  handler?: Handler;
  /** container commands (FUNCTION, SCRIPT): upper-case subcommand -> definition */
  sub?: Map<string, CommandDef>;
}

export type CommandTable = Map<string, CommandDef>;

export function defineCommand(t: CommandTable, name: string, arity: number, handler: Handler): void {
  t.set(name, { name, arity, handler });
}

export function defineSubcommand(t: CommandTable, name: string, arity: number, sub: string, subArity: number, handler: Handler): void {
  let def = t.get(name);
  if (!def) {
    def = { name, arity, sub: new Map() };
    t.set(name, def);
  }
  def.sub!.set(sub, { name: `${name} ${sub}`, arity: subArity, handler });
}

let TABLE: CommandTable | undefined;

/** The handler table (built on first use, so handler modules may import this one). */
export function commandTable(): CommandTable {
  if (!TABLE) {
    const t: CommandTable = new Map();
    registerStringCommands(t);
    registerKeyCommands(t);
    registerServerCommands(t);
    registerListCommands(t);
    registerSetCommands(t);
    registerHashCommands(t);
    registerZsetCommands(t);
    registerSortCommands(t);
    registerHllCommands(t);
    registerGeoCommands(t);
    registerStreamCommands(t);
    TABLE = t;
  }
  return TABLE;
}

/** Names of the commands (and "CONTAINER SUB" subcommands) the engine applies. */
export function supportedCommands(): string[] {
  const out: string[] = [];
  for (const [n, d] of commandTable()) {
    if (d.sub) for (const s of d.sub.keys()) out.push(`${n} ${s}`);
    else out.push(n);
  }
  return out.sort();
}

const FAMILY: [RegExp, string][] = [
  [/^Z[A-Z]+$/, 'the engine does not implement this sorted-set command (read-only commands never appear in an AOF)'],
  [/^X[A-Z]+$/, 'the engine does not implement this stream command (read-only commands never appear in an AOF)'],
  [/^(PFSELFTEST|GEOPOS|GEODIST|GEOHASH|GEOSEARCH|GEORADIUS_RO|GEORADIUSBYMEMBER_RO)$/, 'a read-only HyperLogLog/geo command (read-only commands never appear in an AOF)'],
  [/^(EVAL|EVALSHA|EVAL_RO|EVALSHA_RO|FCALL|FCALL_RO)$/, 'a verbatim script cannot be replayed without running it (Redis 7.0+ logs the commands a script executed instead; this AOF holds the script call itself)'],
];

function unknownCommand(name: string): UnknownCommandError {
  for (const [re, why] of FAMILY) if (re.test(name)) return new UnknownCommandError(`${name}: ${why}`, name);
  // a command Redis has is no "unknown command" (a loading Redis runs it)
  const spec = commandSpec(name);
  if (spec && !spec.write) return new UnknownCommandError(`${name}: not a write command (no server logs it to an AOF, though a loading Redis runs it); the engine does not apply it`, name);
  if (spec) return new UnknownCommandError(`${name}: the engine does not implement this command`, name);
  return new UnknownCommandError(`unknown command '${name}': the engine does not implement it`, name);
}

function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

// ---------------------------------------------------------------------------------------------
// The engine

export interface EngineOptions {
  /** number of databases (default 16) */
  databases?: number;
  /** the clock, Unix ms: relative TTLs start from it, and (not loading) keys whose TTL has
   * passed are absent. A number freezes it; default Date.now */
  now?: number | (() => number);
  /** behave as a server loading an AOF (default true), or as a live primary (false) */
  loading?: boolean;
  /**
   * the newest RDB version the modelled server reads (default: the newest this build reads):
   * RESTORE and FUNCTION RESTORE fail, as on that server, for a payload of a newer version or
   * holding a type that came later (Redis 7.0 reads 10: a 7.2 set listpack is "Bad data format")
   */
  rdbVersion?: number;
}

interface Queued {
  args: Buffer[];
  def: CommandDef;
  at: number | undefined;
}

export class Engine {
  readonly databases: number;
  readonly loading: boolean;
  /** see EngineOptions.rdbVersion (set it before the commands it should apply to) */
  rdbVersion: number;
  private readonly clock: () => number;
  readonly dbs: Db[];
  private sel = 0;
  /** the selected db's map */
  db: Db;
  private queue: Queued[] | undefined;
  /** function libraries: name -> source (kept, never run; not part of the digest) */
  readonly functions = new Map<string, Buffer>();
  /** commands applied (or queued in MULTI), by upper-case name */
  readonly commandsByName = new Map<string, number>();
  /** total commands seen by apply() */
  commands = 0;

  constructor(opts: EngineOptions = {}) {
    const n = opts.databases ?? 16;
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) throw new RangeError(`databases must be a positive integer, got ${n}`);
    this.databases = n;
    this.loading = opts.loading ?? true;
    this.rdbVersion = opts.rdbVersion ?? RDB_VERSION_MAX;
    const now = opts.now;
    this.clock = now === undefined ? Date.now : typeof now === 'number' ? () => now : now;
    this.dbs = [];
    for (let i = 0; i < n; i++) this.dbs.push(new Map());
    this.db = this.dbs[0]!;
  }

  /** the clock (Unix ms) */
  now(): number {
    return this.clock();
  }

  get selectedDb(): number {
    return this.sel;
  }

  /** SELECT without a command */
  select(db: number): void {
    if (!Number.isInteger(db) || db < 0 || db >= this.databases) throw new EngineError(ERR.dbIndexOutOfRange, 'SELECT');
    this.sel = db;
    this.db = this.dbs[db]!;
  }

  /** inside MULTI (commands are being queued) */
  get inMulti(): boolean {
    return this.queue !== undefined;
  }

  /** A new AOF file starts: Redis loads each file with a fresh client (db 0, no MULTI). An
   * open MULTI is discarded; returns true if there was one. */
  beginFile(): boolean {
    const open = this.endFile();
    this.select(0);
    return open;
  }

  /** The input ended: an unterminated MULTI is discarded, as Redis does (aof-load-truncated).
   * Returns true if there was one. */
  endFile(): boolean {
    const open = this.queue !== undefined;
    this.queue = undefined;
    return open;
  }

  /**
   * Apply one command (name and arguments). `at` (the command's offset in its file) is
   * copied onto errors. Throws EngineError where the server would reply with an error, and
   * UnsupportedCommandError / UnknownCommandError for commands it cannot apply exactly.
   */
  apply(args: Buffer[], at?: number): void {
    if (args.length === 0) throw new EngineError('ERR empty command');
    const name = args[0]!.latin1Slice(0, args[0]!.length).toUpperCase();
    this.commands++;
    this.commandsByName.set(name, (this.commandsByName.get(name) ?? 0) + 1);
    try {
      if (name === 'MULTI') {
        if (args.length !== 1) throw arityError(name);
        if (this.queue) throw new EngineError('ERR MULTI calls can not be nested', name);
        this.queue = [];
        return;
      }
      if (name === 'EXEC') {
        if (args.length !== 1) throw arityError(name);
        const q = this.queue;
        if (!q) throw new EngineError('ERR EXEC without MULTI', name);
        this.queue = undefined;
        for (const c of q) {
          try {
            c.def.handler!(this, c.args);
          } catch (e) {
            if (e instanceof EngineError || e instanceof UnsupportedCommandError) {
              e.command ??= c.def.name;
              e.offset ??= c.at;
            }
            throw e;
          }
        }
        return;
      }
      const def = this.resolve(name, args);
      if (this.queue) this.queue.push({ args, def, at });
      else def.handler!(this, args);
    } catch (e) {
      if (e instanceof EngineError || e instanceof UnsupportedCommandError) {
        e.command ??= name;
        e.offset ??= at;
      }
      throw e;
    }
  }

  private resolve(name: string, args: Buffer[]): CommandDef {
    const def = commandTable().get(name);
    if (!def) throw unknownCommand(name);
    if (def.sub) {
      if (args.length < 2) throw arityError(name);
      const subName = args[1]!.latin1Slice(0, args[1]!.length).toUpperCase();
      const sub = def.sub.get(subName);
      if (!sub) throw new UnknownCommandError(`${name} ${subName}: the engine does not implement this subcommand`, `${name} ${subName}`);
      if (!arityOk(sub.arity, args.length)) throw arityError(`${name.toLowerCase()}|${subName.toLowerCase()}`);
      return sub;
    }
    if (!arityOk(def.arity, args.length)) throw arityError(name);
    return def;
  }

  // ------------------------------------------------------------------ keyspace primitives

  /** expireIfNeeded: true when the key is logically expired (never while loading) */
  private expired(s: Slot): boolean {
    return !this.loading && s.expire !== undefined && s.expire >= 0 && this.clock() > s.expire;
  }

  /** lookupKey in a db: undefined for a missing (or, not loading, expired: then deleted) key */
  lookupIn(db: Db, key: string): Slot | undefined {
    const s = db.get(key);
    if (s === undefined) return undefined;
    if (this.expired(s)) {
      db.delete(key);
      return undefined;
    }
    return s;
  }

  /** lookupKeyRead / lookupKeyWrite in the selected db */
  lookup(key: string): Slot | undefined {
    return this.lookupIn(this.db, key);
  }

  /** the value if it exists; WRONGTYPE if it is not of `type` */
  lookupTyped<T extends EngineValue['type']>(key: string, type: T): Extract<EngineValue, { type: T }> | undefined {
    const s = this.lookup(key);
    if (s === undefined) return undefined;
    if (s.value.type !== type) throw new EngineError(ERR.wrongType);
    return s.value as Extract<EngineValue, { type: T }>;
  }

  /** dbAdd: the key must not exist */
  add(key: string, value: EngineValue, db: Db = this.db): void {
    db.set(key, { value, expire: undefined });
  }

  /** setKey: add or overwrite; removes the TTL unless keepTtl */
  setKey(key: string, value: EngineValue, keepTtl = false, db: Db = this.db): void {
    const s = this.lookupIn(db, key);
    if (s) {
      s.value = value;
      if (!keepTtl) s.expire = undefined;
    } else {
      db.set(key, { value, expire: undefined });
    }
  }

  /** dbDelete: true if the key was there (expired or not) */
  del(key: string, db: Db = this.db): boolean {
    return db.delete(key);
  }

  /** expire.c checkAlreadyExpired: a time in the past deletes the key, except while loading */
  alreadyExpired(when: number): boolean {
    return !this.loading && when <= this.clock();
  }

  /** the longest string a command may build (checkStringLength) */
  checkStringLength(total: number): void {
    if (!this.loading && total > PROTO_MAX_BULK_LEN) throw new EngineError(ERR.stringTooLong);
    if (total >= BUFFER_MAX) throw new UnsupportedCommandError(`the command would build a string of ${total} bytes, more than this engine holds`);
  }

  /** SWAPDB: the contents of two dbs trade places (clients stay on their db index) */
  swapDbs(a: number, b: number): void {
    const x = this.dbs[a]!;
    this.dbs[a] = this.dbs[b]!;
    this.dbs[b] = x;
    this.db = this.dbs[this.sel]!;
  }

  /** FLUSHDB of one db, or FLUSHALL without an index (function libraries stay) */
  flush(db?: number): void {
    if (db === undefined) for (const d of this.dbs) d.clear();
    else this.dbs[db]!.clear();
  }

  // ------------------------------------------------------------------ loading and walking

  /** Seed one key from an RDB file, preamble or base (its buffers are copied). Empty
   * collections are skipped, as Redis skips them; returns whether the key was added. */
  loadEntry(e: KeyEntry): boolean {
    if (!Number.isInteger(e.db) || e.db < 0 || e.db >= this.databases) {
      throw new EngineError(`the data has a key in db ${e.db}, but the engine has ${this.databases} databases (see --databases)`);
    }
    const key = e.key.toString('latin1');
    const db = this.dbs[e.db]!;
    if (db.has(key)) throw new EngineError(`duplicate key in the RDB data (db ${e.db}); Redis refuses to load it`);
    const v = fromRedisValue(e.value, e.rdbType, true);
    if (v === undefined) return false;
    db.set(key, { value: v, expire: e.expireMs === -1 ? undefined : e.expireMs });
    return true;
  }

  /** A function library from an RDB preamble/base (FUNCTION2 opcode): kept as source. */
  loadFunction(code: Buffer): void {
    addLibrary(this, Buffer.from(code), false);
  }

  /**
   * The keyspace as key entries, db by db (ascending). With `now`, keys whose TTL has passed
   * then are left out (what a server's expiry cycle removes right after loading). Buffers are
   * views into the engine's state: copy what you keep past the next apply().
   */
  *entries(opts: { now?: number; db?: number } = {}): Generator<KeyEntry> {
    const now = opts.now;
    for (let i = 0; i < this.databases; i++) {
      if (opts.db !== undefined && opts.db !== i) continue;
      for (const [k, s] of this.dbs[i]!) {
        if (now !== undefined && s.expire !== undefined && s.expire < now) continue;
        const { value, rdbType } = toRedisValue(s.value);
        // -1 means "no expiry" in the model; an expiry of exactly -1 ms is just as expired
        const expireMs = s.expire === undefined ? -1 : s.expire === -1 ? -2 : s.expire;
        yield { db: i, key: Buffer.from(k, 'latin1'), value, expireMs, rdbType, offset: -1, size: 0 };
      }
    }
  }

  /** One key as a model entry (views into the engine's state), or undefined. No expiry
   * check: a key whose TTL has passed is returned as it is held. */
  entry(db: number, key: Buffer): KeyEntry | undefined {
    const s = this.dbs[db]?.get(key.latin1Slice(0, key.length));
    if (s === undefined) return undefined;
    const { value, rdbType } = toRedisValue(s.value);
    const expireMs = s.expire === undefined ? -1 : s.expire === -1 ? -2 : s.expire;
    return { db, key: Buffer.from(key), value, expireMs, rdbType, offset: -1, size: 0 };
  }

  /** Keys per db ({"0": n}, empty dbs absent); with `now`, expired keys are not counted. */
  keysPerDb(now?: number): Record<string, number> {
    const out: Record<string, number> = {};
    this.dbs.forEach((db, i) => {
      let n = 0;
      if (now === undefined) n = db.size;
      else for (const s of db.values()) if (!(s.expire !== undefined && s.expire < now)) n++;
      if (n > 0) out[String(i)] = n;
    });
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Function libraries (functions.c functionExtractLibMetaData): the engine keeps the source
// and checks what can be checked without running Lua.

/** sdssplitargs-like split of the shebang line (quotes are rare here: plain whitespace) */
function splitArgs(s: string): string[] {
  return s.split(/[ \t\r\n\v\f]+/).filter((x) => x.length > 0);
}

/** The library name of a FUNCTION LOAD payload, or an EngineError as Redis would reply. */
export function libraryName(code: Buffer): string {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) throw new EngineError('ERR Missing library metadata');
  const nl = cstrIndexOfNewline(code);
  if (nl < 0) throw new EngineError('ERR Invalid library metadata');
  const parts = splitArgs(code.latin1Slice(0, nl));
  if (parts.length === 0) throw new EngineError('ERR Invalid library metadata');
  const engine = parts[0]!.slice(2);
  let name: string | undefined;
  for (const p of parts.slice(1)) {
    if (p.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== undefined) throw new EngineError('ERR Invalid metadata value, name argument was given multiple times');
      name = p.slice(5);
      continue;
    }
    throw new EngineError(`ERR Invalid metadata value given: ${p}`);
  }
  if (name === undefined) throw new EngineError('ERR Library name was not given');
  if (name.length === 0 || !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new EngineError('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
  }
  if (engine.toLowerCase() !== 'lua') throw new EngineError(`ERR Engine '${engine}' not found`);
  return name;
}

/** strchr(payload, '\n') on a C string */
function cstrIndexOfNewline(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) return i;
    if (b[i] === 0) return -1;
  }
  return -1;
}

export function addLibrary(e: Engine, code: Buffer, replace: boolean): string {
  const name = libraryName(code);
  if (e.functions.has(name) && !replace) throw new EngineError(`ERR Library '${name}' already exists`);
  e.functions.set(name, code);
  return name;
}
