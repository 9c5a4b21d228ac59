// Hash commands: HSET, HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT (Redis 7.0 t_hash.c), the
// hash field expiration (HFE) commands of Redis 7.4 (HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT,
// HPERSIST) and of Redis 8.0 (HSETEX, HGETEX, HGETDEL), with the field-TTL rules of the 7.4.1 /
// 8.x t_hash.c. Written from the source's behaviour, not copied.
//
// Field TTLs live in HashValue.ttl (field -> absolute ms). What the source does with them:
// - A field whose TTL has passed (ttl < now; ttl == now is still alive) is "expired". Commands
//   that read a field through hashTypeGetValue (HSETNX, HINCRBY, HINCRBYFLOAT, HSETEX FNX/FXX,
//   HGETEX, HGETDEL, SORT's `key->field`) treat it as missing. A live primary also deletes it
//   there (and deletes the hash if that emptied it, unless the command handles that itself);
//   a loading server leaves it in place (nothing is deleted while loading), so it is kept and
//   removed by the expiry cycle after the load (digest/entries with `now` leave it out).
// - HSET/HMSET/HSETNX and HSETEX without KEEPTTL or a new time overwrite a field and clear its
//   TTL; HINCRBY and HINCRBYFLOAT keep it (HASH_SET_KEEP_TTL), even on an expired field whose
//   value they treat as 0 while loading. HDEL deletes expired fields like any other.
// - HEXPIRE & co. do not look at expiry: a present field gets its new time even if its TTL has
//   passed. A time <= now deletes the field (live; the primary logs HDEL); while loading the
//   time is set as given. HPERSIST skips fields whose TTL has passed (also while loading).
// - What the primary logs: H(P)EXPIRE(AT) as HPEXPIREAT <abs ms> with only the fields it set
//   (nothing if none); HSETEX EX/PX/EXAT as HSETEX PXAT; HGETEX as HPEXPIREAT / HPERSIST / HDEL;
//   HGETDEL as HDEL; HINCRBYFLOAT as HSET (7.4) or HSETEX KEEPTTL (8.x). Replaying the original
//   commands gives the same data, so the engine applies whichever form it meets.
// - Valkey 9 writes the same shapes for its HFE commands (HPEXPIREAT, HPERSIST, HDEL, HSETEX
//   PXAT|KEEPTTL without its NX/XX/FNX/FXX); its own argument parsing and loading-time rules
//   are not modelled (the engine follows Redis).
// A time of 0 set while loading is refused: a listpack hash stores 0 as "no TTL" while a
// hashtable keeps it as a TTL, and the engine does not track the encoding.

import { ERR, EngineError, UnknownCommandError, UnsupportedCommandError, arityError } from '../errors.js';
import { LLONG_MAX, defineCommand, getLL, getRangeLong, isWord, keyOf, llBuf, parseLL, type CommandTable, type Engine, type HashValue } from '../engine.js';
import { formatLongDoubleHuman, ldAdd, ldIsFinite, parseLongDouble } from './strings.js';

// ---------------------------------------------------------------------------------------------
// Field helpers

/** EB_EXPIRE_TIME_MAX >> 2: the largest absolute field TTL the commands accept */
export const HFE_MAX_ABS_TIME_MSEC = 2 ** 46 - 1;
// LONG_MAX (64-bit); not LLONG_MAX from engine.ts: this module may be evaluated before it (import cycle)
const LONG_MAX = (1n << 63n) - 1n;
const INT_MAX = 2147483647n;

function newHash(): HashValue {
  return { type: 'hash', fields: new Map(), ttl: undefined };
}

/** hashTypeLookupWriteOrCreate */
function lookupOrCreate(e: Engine, k: string): HashValue {
  let h = e.lookupTyped(k, 'hash');
  if (h === undefined) {
    h = newHash();
    e.add(k, h);
  }
  return h;
}

export function fieldTtl(h: HashValue, f: string): number | undefined {
  return h.ttl?.get(f);
}

function setTtl(h: HashValue, f: string, at: number): void {
  (h.ttl ??= new Map()).set(f, at);
}

function clearTtl(h: HashValue, f: string): void {
  if (h.ttl === undefined) return;
  h.ttl.delete(f);
  if (h.ttl.size === 0) h.ttl = undefined;
}

/** hashTypeDelete: true if the field was there */
function deleteField(h: HashValue, f: string): boolean {
  if (!h.fields.delete(f)) return false;
  clearTtl(h, f);
  return true;
}

/** hashTypeSet: overwrite or add; the field's TTL goes unless keepTtl */
function setField(h: HashValue, f: string, v: Buffer, keepTtl: boolean): void {
  h.fields.set(f, v);
  if (!keepTtl) clearTtl(h, f);
}

export type GetFieldResult = 'ok' | 'notfound' | 'expired' | 'expiredHash';

/**
 * hashTypeGetValue: the field's state for a command reading it. An expired field is deleted
 * when the engine is live (not while loading); if that empties the hash, the hash is deleted
 * too ('expiredHash') unless `keepEmptyHash` (HFE_LAZY_AVOID_HASH_DEL: the caller deletes it).
 */
export function getField(e: Engine, k: string, h: HashValue, f: string, keepEmptyHash = false): { res: GetFieldResult; value?: Buffer } {
  const v = h.fields.get(f);
  if (v === undefined) return { res: 'notfound' };
  const t = fieldTtl(h, f);
  if (t === undefined || t >= e.now()) return { res: 'ok', value: v };
  if (e.loading) return { res: 'expired' };
  deleteField(h, f);
  if (h.fields.size === 0 && !keepEmptyHash) {
    e.del(k);
    return { res: 'expiredHash' };
  }
  return { res: 'expired' };
}

/** delete the hash when a command left it empty */
function dropIfEmpty(e: Engine, k: string, h: HashValue): void {
  if (h.fields.size === 0) e.del(k);
}

// ---------------------------------------------------------------------------------------------
// Field expiry (hashTypeSetEx)

const COND_NONE = 0;
const COND_NX = 1;
const COND_XX = 2;
const COND_GT = 3;
const COND_LT = 4;

type SetExResult = 'nofield' | 'nocond' | 'deleted' | 'ok';

/** a PERSIST marker for setFieldExpiry (HGETEX PERSIST) */
const PERSIST = -1;

/** hashTypeSetEx: set (or, with PERSIST, remove) one field's TTL under a condition */
function setFieldExpiry(e: Engine, h: HashValue, f: string, at: number, cond: number): SetExResult {
  if (!h.fields.has(f)) return 'nofield';
  const prev = fieldTtl(h, f);
  if (at === PERSIST) {
    if (prev === undefined) return 'nocond';
    clearTtl(h, f);
    return 'ok';
  }
  if (prev === undefined) {
    // without a TTL, XX and GT fail; NX and LT pass
    if (cond === COND_XX || cond === COND_GT) return 'nocond';
  } else if ((cond === COND_GT && prev >= at) || (cond === COND_LT && prev <= at) || cond === COND_NX) {
    return 'nocond';
  }
  if (e.alreadyExpired(at)) {
    deleteField(h, f);
    return 'deleted';
  }
  if (at === 0) {
    throw new UnsupportedCommandError(
      'a hash field TTL of 0 ms: Redis keeps it as a TTL in a hashtable-encoded hash but as "no TTL" in a listpack one, and the engine does not track the encoding',
    );
  }
  setTtl(h, f, at);
  return 'ok';
}

/** parseExpireTime (t_hash.c): the absolute ms of a field TTL argument */
function parseFieldExpire(e: Engine, arg: Buffer, unitSeconds: boolean, relative: boolean, cmd: string): number {
  let v = getLL(arg);
  if (v < 0n) throw new EngineError('ERR invalid expire time, must be >= 0');
  const timeError = () => new EngineError(`ERR invalid expire time in '${cmd}' command`);
  const max = BigInt(HFE_MAX_ABS_TIME_MSEC);
  if (unitSeconds) {
    if (v > max / 1000n) throw timeError();
    v *= 1000n;
  }
  const base = relative ? BigInt(e.now()) : 0n;
  if (v > max - base) throw timeError();
  return Number(v + base);
}

/** "FIELDS numfields f1 f2 ..." at a[at]: the first field's index */
function fieldsArg(a: Buffer[], at: number, numMsg: string): number {
  if (!isWord(a[at]!, 'FIELDS')) throw new EngineError('ERR Mandatory argument FIELDS is missing or not at the right position');
  const n = getRangeLong(a[at + 1]!, 1n, LONG_MAX, numMsg);
  if (n !== BigInt(a.length - at - 2)) throw new EngineError('ERR The `numfields` parameter must match the number of arguments');
  return at + 2;
}

// ---------------------------------------------------------------------------------------------
// Commands

/** HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT key time [NX|XX|GT|LT] FIELDS n field... */
function hexpireGeneric(e: Engine, a: Buffer[], relative: boolean, unitSeconds: boolean, cmd: string): void {
  const k = keyOf(a[1]!);
  const h = e.lookupTyped(k, 'hash');
  const at = parseFieldExpire(e, a[2]!, unitSeconds, relative, cmd);
  let cond = COND_NONE;
  const o = a[3]!;
  if (isWord(o, 'NX')) cond = COND_NX;
  else if (isWord(o, 'XX')) cond = COND_XX;
  else if (isWord(o, 'GT')) cond = COND_GT;
  else if (isWord(o, 'LT')) cond = COND_LT;
  const first = fieldsArg(a, cond === COND_NONE ? 3 : 4, 'Parameter `numFields` should be greater than 0');
  if (h === undefined) return;
  for (let j = first; j < a.length; j++) setFieldExpiry(e, h, keyOf(a[j]!), at, cond);
  dropIfEmpty(e, k, h);
}

function hpersistCommand(e: Engine, a: Buffer[]): void {
  const h = e.lookupTyped(keyOf(a[1]!), 'hash');
  const first = fieldsArg(a, 2, 'Number of fields must be a positive integer');
  if (h === undefined) return;
  const now = e.now();
  for (let j = first; j < a.length; j++) {
    const f = keyOf(a[j]!);
    if (!h.fields.has(f)) continue;
    const t = fieldTtl(h, f);
    // no TTL: nothing to do; a TTL that has passed: the field counts as missing
    if (t === undefined || t < now) continue;
    clearTtl(h, f);
  }
}

/** HGETDEL key FIELDS n field... (8.0): deletes the live fields it returns */
function hgetdelCommand(e: Engine, a: Buffer[]): void {
  const k = keyOf(a[1]!);
  const h = e.lookupTyped(k, 'hash');
  const first = fieldsArg(a, 2, 'Number of fields must be a positive integer');
  if (h === undefined) return;
  for (let j = first; j < a.length; j++) {
    const f = keyOf(a[j]!);
    if (getField(e, k, h, f, true).res === 'ok') deleteField(h, f);
  }
  dropIfEmpty(e, k, h);
}

/** HGETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST] FIELDS n field... (8.0) */
function hgetexCommand(e: Engine, a: Buffer[]): void {
  const k = keyOf(a[1]!);
  const h = e.lookupTyped(k, 'hash');
  const o = a[2]!;
  let mode: 'none' | 'time' | 'persist' = 'none';
  let at = 0;
  let numAt = 3;
  const timeOpt = isWord(o, 'EX') ? [true, true] : isWord(o, 'PX') ? [false, true] : isWord(o, 'EXAT') ? [true, false] : isWord(o, 'PXAT') ? [false, false] : undefined;
  if (timeOpt) {
    mode = 'time';
    numAt = 5;
    at = parseFieldExpire(e, a[3]!, timeOpt[0]!, timeOpt[1]!, 'hgetex');
  } else if (isWord(o, 'PERSIST')) {
    mode = 'persist';
    numAt = 4;
  }
  if (!isWord(a[numAt - 1]!, 'FIELDS')) throw new EngineError('ERR Mandatory argument FIELDS is missing or not at the right position');
  // Redis reads argv[numfields] without checking argc here (HGETEX k EX 10 FIELDS): an
  // argument that is not there is refused as a wrong argument count
  if (numAt >= a.length) throw arityError('hgetex');
  const first = fieldsArg(a, numAt - 1, 'Number of fields must be a positive integer');
  if (h === undefined) return;
  for (let j = first; j < a.length; j++) {
    const f = keyOf(a[j]!);
    if (getField(e, k, h, f, true).res === 'ok' && mode !== 'none') setFieldExpiry(e, h, f, mode === 'persist' ? PERSIST : at, COND_NONE);
  }
  dropIfEmpty(e, k, h);
}

/** HSETEX key [FNX|FXX] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL] FIELDS n field value... (8.0) */
function hsetexCommand(e: Engine, a: Buffer[]): void {
  let fnx = false;
  let fxx = false;
  let keepTtl = false;
  let at: number | undefined;
  let first = -1;
  let count = 0;
  const expiryGiven = () => at !== undefined || keepTtl;
  const onlyOneExpiry = () => new EngineError('ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
  for (let i = 2; i < a.length; i++) {
    const o = a[i]!;
    if (isWord(o, 'FIELDS')) {
      if (i >= a.length - 3) throw arityError('hsetex');
      const n = getRangeLong(a[i + 1]!, 1n, INT_MAX, 'invalid number of fields');
      const remaining = a.length - i - 2;
      if (remaining % 2 !== 0 || n !== BigInt(remaining / 2)) throw arityError('hsetex');
      first = i + 2;
      count = Number(n);
      break;
    }
    const timeOpt = isWord(o, 'EX') ? [true, true] : isWord(o, 'PX') ? [false, true] : isWord(o, 'EXAT') ? [true, false] : isWord(o, 'PXAT') ? [false, false] : undefined;
    if (timeOpt) {
      if (expiryGiven()) throw onlyOneExpiry();
      if (i >= a.length - 1) throw new EngineError('ERR missing expire time');
      i++;
      at = parseFieldExpire(e, a[i]!, timeOpt[0]!, timeOpt[1]!, 'hsetex');
    } else if (isWord(o, 'KEEPTTL')) {
      if (expiryGiven()) throw onlyOneExpiry();
      keepTtl = true;
    } else if (isWord(o, 'FXX') || isWord(o, 'FNX')) {
      if (fnx || fxx) throw new EngineError('ERR Only one of FXX or FNX arguments can be specified');
      if (isWord(o, 'FXX')) fxx = true;
      else fnx = true;
    } else {
      const z = o.indexOf(0);
      throw new EngineError(`ERR unknown argument: ${(z < 0 ? o : o.subarray(0, z)).toString('latin1')}`);
    }
  }
  // arity -6 leaves no way to run out of arguments before FIELDS without an error above
  if (first < 0) throw arityError('hsetex');
  const k = keyOf(a[1]!);
  let h = e.lookupTyped(k, 'hash');
  if (h === undefined) {
    if (fxx) return;
    h = newHash();
    e.add(k, h);
  }
  if (fnx || fxx) {
    let found = 0;
    for (let i = 0; i < count; i++) {
      const exists = getField(e, k, h, keyOf(a[first + 2 * i]!), true).res === 'ok';
      if (exists) found++;
      if ((fxx && !exists) || (fnx && exists)) break;
    }
    if ((fnx && found !== 0) || (fxx && found !== count)) {
      dropIfEmpty(e, k, h);
      return;
    }
  }
  for (let i = 0; i < count; i++) {
    const f = keyOf(a[first + 2 * i]!);
    setField(h, f, a[first + 2 * i + 1]!, at !== undefined || keepTtl);
    if (at !== undefined) setFieldExpiry(e, h, f, at, COND_NONE);
  }
  dropIfEmpty(e, k, h);
}

function hincrbyCommand(e: Engine, a: Buffer[]): void {
  const incr = getLL(a[3]!);
  const k = keyOf(a[1]!);
  let h = lookupOrCreate(e, k);
  const f = keyOf(a[2]!);
  const r = getField(e, k, h, f);
  let old = 0n;
  if (r.res === 'ok') {
    const v = parseLL(r.value!);
    if (v === undefined) throw new EngineError('ERR hash value is not an integer');
    old = v;
  } else if (r.res === 'expiredHash') {
    h = newHash();
    e.add(k, h);
  }
  if ((incr < 0n && old < 0n && incr < -(1n << 63n) - old) || (incr > 0n && old > 0n && incr > LLONG_MAX - old)) {
    throw new EngineError(ERR.overflow);
  }
  setField(h, f, llBuf(old + incr), true);
}

function hincrbyfloatCommand(e: Engine, a: Buffer[]): void {
  const incr = parseLongDouble(a[3]!);
  if (incr === undefined) throw new EngineError('ERR value is not a valid float');
  if (!ldIsFinite(incr)) throw new EngineError('ERR value is NaN or Infinity');
  const k = keyOf(a[1]!);
  let h = lookupOrCreate(e, k);
  const f = keyOf(a[2]!);
  const r = getField(e, k, h, f);
  let value = parseLongDouble(Buffer.from('0'))!;
  if (r.res === 'ok') {
    const v = parseLongDouble(r.value!);
    if (v === undefined) throw new EngineError('ERR hash value is not a float');
    value = v;
  } else if (r.res === 'expiredHash') {
    h = newHash();
    e.add(k, h);
  }
  const sum = ldAdd(value, incr);
  if (!ldIsFinite(sum)) throw new EngineError('ERR increment would produce NaN or Infinity');
  setField(h, f, Buffer.from(formatLongDoubleHuman(sum), 'latin1'), true);
}

/** HSETF / HGETF existed only in 7.4 release candidates */
const RC_ONLY_COMMANDS = ['HSETF', 'HGETF'];

export function registerHashCommands(t: CommandTable): void {
  const hset = (name: string) => (e: Engine, a: Buffer[]) => {
    if (a.length % 2 === 1) throw arityError(name);
    const h = lookupOrCreate(e, keyOf(a[1]!));
    for (let j = 2; j < a.length; j += 2) setField(h, keyOf(a[j]!), a[j + 1]!, false);
  };
  defineCommand(t, 'HSET', -4, hset('hset'));
  defineCommand(t, 'HMSET', -4, hset('hmset'));
  defineCommand(t, 'HSETNX', 4, (e, a) => {
    const k = keyOf(a[1]!);
    let h = lookupOrCreate(e, k);
    const f = keyOf(a[2]!);
    const r = getField(e, k, h, f);
    if (r.res === 'ok') return;
    if (r.res === 'expiredHash') {
      h = newHash();
      e.add(k, h);
    }
    setField(h, f, a[3]!, false);
  });
  defineCommand(t, 'HDEL', -3, (e, a) => {
    const k = keyOf(a[1]!);
    const h = e.lookupTyped(k, 'hash');
    if (h === undefined) return;
    for (let j = 2; j < a.length; j++) {
      if (deleteField(h, keyOf(a[j]!)) && h.fields.size === 0) {
        e.del(k);
        break;
      }
    }
  });
  defineCommand(t, 'HINCRBY', 4, hincrbyCommand);
  defineCommand(t, 'HINCRBYFLOAT', 4, hincrbyfloatCommand);
  defineCommand(t, 'HEXPIRE', -6, (e, a) => hexpireGeneric(e, a, true, true, 'hexpire'));
  defineCommand(t, 'HPEXPIRE', -6, (e, a) => hexpireGeneric(e, a, true, false, 'hpexpire'));
  defineCommand(t, 'HEXPIREAT', -6, (e, a) => hexpireGeneric(e, a, false, true, 'hexpireat'));
  defineCommand(t, 'HPEXPIREAT', -6, (e, a) => hexpireGeneric(e, a, false, false, 'hpexpireat'));
  defineCommand(t, 'HPERSIST', -5, hpersistCommand);
  defineCommand(t, 'HGETDEL', -5, hgetdelCommand);
  defineCommand(t, 'HGETEX', -5, hgetexCommand);
  defineCommand(t, 'HSETEX', -6, hsetexCommand);
  for (const name of RC_ONLY_COMMANDS) {
    defineCommand(t, name, -1, () => {
      throw new UnknownCommandError(`${name}: a command of Redis 7.4 release candidates only (removed before 7.4.0), not supported by the engine`, name);
    });
  }
}
