// Generic key commands (Redis 7.0 db.c, expire.c, cluster.c RESTORE): DEL, UNLINK, EXPIRE,
// PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST, RENAME, RENAMENX, MOVE, COPY, RESTORE.

import { FormatError, UnsupportedError } from '../../model/errors.js';
import { decodeDump } from '../../codec/dump.js';
import { rdbTypeSince } from '../../codec/rdb-types.js';
import { ERR, EngineError, UnsupportedCommandError } from '../errors.js';
import {
  LLONG_MAX,
  LLONG_MIN,
  defineCommand,
  dupValue,
  fromRedisValue,
  getInt,
  getLL,
  isWord,
  keyOf,
  type CommandTable,
  type Engine,
} from '../engine.js';

function delCommand(e: Engine, a: Buffer[]): void {
  for (let j = 1; j < a.length; j++) {
    const k = keyOf(a[j]!);
    e.lookup(k); // expireIfNeeded
    e.del(k);
  }
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** expireGenericCommand: basetime is now for EXPIRE/PEXPIRE, 0 for the *AT forms */
function expireGeneric(e: Engine, a: Buffer[], relative: boolean, unitSeconds: boolean, cmd: string): void {
  let flags = 0;
  for (let j = 3; j < a.length; j++) {
    const o = a[j]!;
    if (isWord(o, 'NX')) flags |= EXPIRE_NX;
    else if (isWord(o, 'XX')) flags |= EXPIRE_XX;
    else if (isWord(o, 'GT')) flags |= EXPIRE_GT;
    else if (isWord(o, 'LT')) flags |= EXPIRE_LT;
    else {
      const z = o.indexOf(0);
      throw new EngineError(`ERR Unsupported option ${(z < 0 ? o : o.subarray(0, z)).toString('latin1')}`);
    }
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    throw new EngineError('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) throw new EngineError('ERR GT and LT options at the same time are not compatible');
  let when = getLL(a[2]!);
  const timeError = () => new EngineError(`ERR invalid expire time in '${cmd}' command`);
  if (unitSeconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) throw timeError();
    when *= 1000n;
  }
  const base = relative ? BigInt(e.now()) : 0n;
  if (when > LLONG_MAX - base) throw timeError();
  when += base;
  const k = keyOf(a[1]!);
  const slot = e.lookup(k);
  if (slot === undefined) return;
  const w = Number(when);
  if (flags) {
    const cur = slot.expire ?? -1;
    if (flags & EXPIRE_NX && cur !== -1) return;
    if (flags & EXPIRE_XX && cur === -1) return;
    if (flags & EXPIRE_GT && (w <= cur || cur === -1)) return;
    if (flags & EXPIRE_LT && cur !== -1 && w >= cur) return;
  }
  if (e.alreadyExpired(w)) e.del(k);
  else slot.expire = w;
}

function renameGeneric(e: Engine, a: Buffer[], nx: boolean): void {
  const same = a[1]!.equals(a[2]!);
  const src = keyOf(a[1]!);
  const slot = e.lookup(src);
  if (slot === undefined) throw new EngineError(ERR.noSuchKey);
  if (same) return;
  const dst = keyOf(a[2]!);
  if (e.lookup(dst) !== undefined) {
    if (nx) return;
    e.del(dst);
  }
  e.db.set(dst, { value: slot.value, expire: slot.expire });
  e.del(src);
}

function moveCommand(e: Engine, a: Buffer[]): void {
  const id = getInt(a[2]!);
  if (id < 0 || id >= e.databases) throw new EngineError(ERR.dbIndexOutOfRange);
  if (id === e.selectedDb) throw new EngineError(ERR.sameObject);
  const k = keyOf(a[1]!);
  const slot = e.lookup(k);
  if (slot === undefined) return;
  const dst = e.dbs[id]!;
  if (e.lookupIn(dst, k) !== undefined) return;
  dst.set(k, slot);
  e.del(k);
}

function copyCommand(e: Engine, a: Buffer[]): void {
  let dstId = e.selectedDb;
  let replace = false;
  for (let j = 3; j < a.length; j++) {
    const additional = a.length - j - 1;
    if (isWord(a[j]!, 'REPLACE')) replace = true;
    else if (isWord(a[j]!, 'DB') && additional >= 1) {
      dstId = getInt(a[j + 1]!);
      if (dstId < 0 || dstId >= e.databases) throw new EngineError(ERR.dbIndexOutOfRange);
      j++;
    } else throw new EngineError(ERR.syntax);
  }
  if (dstId === e.selectedDb && a[1]!.equals(a[2]!)) throw new EngineError(ERR.sameObject);
  const slot = e.lookup(keyOf(a[1]!));
  if (slot === undefined) return;
  const dst = e.dbs[dstId]!;
  const nk = keyOf(a[2]!);
  if (e.lookupIn(dst, nk) !== undefined) {
    if (!replace) return;
  }
  if (slot.value.type === 'module') {
    throw new UnsupportedCommandError('COPY of a module value needs the module (its copy callback): not supported');
  }
  const value = dupValue(slot.value);
  dst.delete(nk);
  dst.set(nk, { value, expire: slot.expire });
}

function restoreCommand(e: Engine, a: Buffer[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1n;
  let freq = -1n;
  for (let j = 4; j < a.length; j++) {
    const additional = a.length - j - 1;
    const o = a[j]!;
    if (isWord(o, 'REPLACE')) replace = true;
    else if (isWord(o, 'ABSTTL')) absttl = true;
    else if (isWord(o, 'IDLETIME') && additional >= 1 && freq === -1n) {
      idle = getLL(a[j + 1]!);
      if (idle < 0n) throw new EngineError('ERR Invalid IDLETIME value, must be >= 0');
      j++;
    } else if (isWord(o, 'FREQ') && additional >= 1 && idle === -1n) {
      freq = getLL(a[j + 1]!);
      if (freq < 0n || freq > 255n) throw new EngineError('ERR Invalid FREQ value, must be >= 0 and <= 255');
      j++;
    } else throw new EngineError(ERR.syntax);
  }
  const k = keyOf(a[1]!);
  if (!replace && e.lookup(k) !== undefined) throw new EngineError(ERR.busyKey);
  let ttl = getLL(a[2]!);
  if (ttl < 0n) throw new EngineError('ERR Invalid TTL value, must be >= 0');
  // a payload the modelled server's version cannot read fails there (verifyDumpPayload)
  const payload = a[3]!;
  if (payload.length >= 10 && payload.readUInt16LE(payload.length - 10) > e.rdbVersion) throw new EngineError('ERR DUMP payload version or checksum are wrong');
  let decoded;
  try {
    decoded = decodeDump(payload, a[1]!);
  } catch (err) {
    if (err instanceof UnsupportedError) throw new UnsupportedCommandError(`RESTORE payload: ${err.message}`);
    if (err instanceof FormatError) {
      throw new EngineError(/version or checksum/.test(err.message) ? 'ERR DUMP payload version or checksum are wrong' : 'ERR Bad data format');
    }
    throw err;
  }
  // nor does it know a type that came after its version (rdbLoadObjectType)
  if ((rdbTypeSince(decoded.rdbType)?.version ?? 0) > e.rdbVersion) throw new EngineError('ERR Bad data format');
  if (decoded.value.type === 'module') {
    throw new UnsupportedCommandError(`RESTORE of a value of module type ${decoded.value.moduleName} needs the module: not supported`);
  }
  const value = fromRedisValue(decoded.value, decoded.rdbType, false);
  if (value === undefined) throw new EngineError('ERR Bad data format'); // an empty collection
  if (replace) e.del(k);
  if (ttl !== 0n && !absttl) ttl = BigInt.asIntN(64, ttl + BigInt(e.now()));
  if (ttl !== 0n && e.alreadyExpired(Number(ttl))) return;
  e.add(k, value);
  if (ttl !== 0n) e.db.get(k)!.expire = Number(ttl);
}

export function registerKeyCommands(t: CommandTable): void {
  defineCommand(t, 'DEL', -2, delCommand);
  defineCommand(t, 'UNLINK', -2, delCommand);
  defineCommand(t, 'EXPIRE', -3, (e, a) => expireGeneric(e, a, true, true, 'expire'));
  defineCommand(t, 'PEXPIRE', -3, (e, a) => expireGeneric(e, a, true, false, 'pexpire'));
  defineCommand(t, 'EXPIREAT', -3, (e, a) => expireGeneric(e, a, false, true, 'expireat'));
  defineCommand(t, 'PEXPIREAT', -3, (e, a) => expireGeneric(e, a, false, false, 'pexpireat'));
  defineCommand(t, 'PERSIST', 2, (e, a) => {
    const s = e.lookup(keyOf(a[1]!));
    if (s) s.expire = undefined;
  });
  defineCommand(t, 'RENAME', 3, (e, a) => renameGeneric(e, a, false));
  defineCommand(t, 'RENAMENX', 3, (e, a) => renameGeneric(e, a, true));
  defineCommand(t, 'MOVE', 3, moveCommand);
  defineCommand(t, 'COPY', -3, copyCommand);
  defineCommand(t, 'RESTORE', -4, restoreCommand);
  // what a cluster node receiving a MIGRATE executes (and propagates) under this name
  defineCommand(t, 'RESTORE-ASKING', -4, restoreCommand);
}
