// Stream commands (Redis 7.0 t_stream.c): XADD, XTRIM, XDEL, XSETID, XGROUP CREATE/SETID/
// DESTROY/CREATECONSUMER/DELCONSUMER, XACK, XCLAIM, XAUTOCLAIM and XREADGROUP, written from
// the source's behaviour, not copied. Read-only commands (XRANGE, XREAD, XINFO, XPENDING, ...)
// never reach an AOF and are not implemented.
//
// What a 7.0 server writes into its AOF: XADD with the ID it chose (`*` and `ms-*` become
// the explicit ID); a `~` trim (XADD/XTRIM) as `=` with the resulting length (MAXLEN) or the
// first remaining entry's ID, tombstones included (MINID), keeping any LIMIT (which a loading
// server ignores: the AOF client is exempt from the LIMIT checks); XREADGROUP as one
// XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <id>
// per delivered entry (plus XGROUP SETID ... ENTRIESREAD <n> and XGROUP CREATECONSUMER with
// NOACK); XCLAIM and XAUTOCLAIM as such XCLAIMs (also for PEL entries whose stream entry is
// gone, which the replayed XCLAIM then drops) and XGROUP SETID when only LASTID moved. 7.4
// also propagates XGROUP SETID after every XREADGROUP, so entries-read survives a reload; a
// 7.0 AOF leaves the group's entries-read where the XCLAIMs leave it (they do not touch it).
//
// Clock: auto IDs (`*`), delivery times, consumers' seen-times and IDLE come from e.now().
// Consumers get no active-time (a 7.2+ field): loaded values are kept, new consumers get -1.
//
// Approximate trims (`~`) remove whole listpack nodes only; the engine lays nodes out as
// Redis does (stream.ts), so they are exact for streams built by commands. On a stream loaded
// from RDB data or a RESTORE payload (whose node boundaries the model does not keep), a `~`
// trim that would remove anything is refused (UnsupportedCommandError).
//
// XREADGROUP with BLOCK that finds nothing to serve does nothing, as for the AOF client (which
// may not block) and as the list commands' blocking forms do in this engine.

import { ERR, EngineError, UnsupportedCommandError, arityError } from '../errors.js';
import {
  defineCommand,
  defineSubcommand,
  getLL,
  getRangeLong,
  isWord,
  keyOf,
  parseLL,
  type CommandTable,
  type Engine,
} from '../engine.js';
import {
  ID_MAX,
  INVALID_ENTRIES_READ,
  LISTPACK_MAX_SIZE,
  U64_MAX,
  deleteEntry,
  edgeId,
  entriesFrom,
  estimateDistance,
  exactTrimCount,
  fieldsBytes,
  findEntry,
  idMs,
  idSeq,
  lastValidId,
  makeId,
  newConsumer,
  newStream,
  rangeHasTombstones,
  streamAppend,
  streamTrim,
  IdMap,
  type Consumer,
  type Group,
  type Nack,
  type StreamObj,
  type TrimArgs,
} from '../stream.js';

const ERR_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

/** The bytes up to the first NUL (what C string functions see). */
function cstr(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return z < 0 ? b : b.subarray(0, z);
}

const cText = (b: Buffer): string => cstr(b).latin1Slice();
const isExactly = (b: Buffer, s: string): boolean => cText(b) === s;

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** util.c string2ull over a C string: string2ll when canonical (negative refused), else
 * strtoull (leading spaces, a sign, which negates modulo 2^64), all bytes consumed. */
function string2ull(s: Buffer): bigint | undefined {
  if (s.length === 0) return undefined;
  const ll = parseLL(s);
  if (ll !== undefined) return ll < 0n ? undefined : ll;
  let i = 0;
  while (i < s.length && isSpace(s[i]!)) i++;
  let neg = false;
  if (i < s.length && (s[i] === 0x2b || s[i] === 0x2d)) {
    neg = s[i] === 0x2d;
    i++;
  }
  const start = i;
  let v = 0n;
  let overflow = false;
  while (i < s.length && s[i]! >= 0x30 && s[i]! <= 0x39) {
    v = v * 10n + BigInt(s[i]! - 0x30);
    if (v > U64_MAX) overflow = true;
    i++;
  }
  if (i === start || i !== s.length || overflow) return undefined;
  return neg ? (U64_MAX + 1n - v) & U64_MAX : v;
}

interface ParsedId {
  id: bigint;
  /** false for the `<ms>-*` form (only when allowed) */
  seqGiven: boolean;
}

/** streamGenericParseIDOrReply. `strict`: "-" and "+" are refused; `seqStar`: the <ms>-*
 * form is accepted. Returns undefined for an invalid ID. */
function parseIdOrUndefined(b: Buffer, missingSeq: bigint, strict: boolean, seqStar = false): ParsedId | undefined {
  if (b.length > 127) return undefined;
  const s = cstr(b);
  if (s.length === 1 && (s[0] === 0x2d || s[0] === 0x2b)) {
    if (strict) return undefined;
    return { id: s[0] === 0x2d ? 0n : ID_MAX, seqGiven: true };
  }
  const dash = s.indexOf(0x2d);
  const msPart = dash < 0 ? s : s.subarray(0, dash);
  const ms = string2ull(msPart);
  if (ms === undefined) return undefined;
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const seqPart = s.subarray(dash + 1);
  if (seqStar && seqPart.length === 1 && seqPart[0] === 0x2a) return { id: makeId(ms, 0n), seqGiven: false };
  const seq = string2ull(seqPart);
  if (seq === undefined) return undefined;
  return { id: makeId(ms, seq), seqGiven: true };
}

function parseId(b: Buffer, strict: boolean, missingSeq = 0n): bigint {
  const p = parseIdOrUndefined(b, missingSeq, strict);
  if (p === undefined) throw new EngineError(ERR_INVALID_ID);
  return p.id;
}

function lookupStream(e: Engine, key: Buffer): StreamObj | undefined {
  return e.lookupTyped(keyOf(key), 'stream');
}

const nameKey = (b: Buffer): string => b.latin1Slice(0, b.length);

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM

interface AddTrimArgs {
  /** position of the ID argument (XADD) */
  idPos: number;
  trim: TrimArgs | undefined;
  noMkstream: boolean;
  idGiven: boolean;
  seqGiven: boolean;
  id: bigint;
}

/** streamParseAddOrTrimArgsOrReply */
function parseAddTrim(e: Engine, a: Buffer[], xadd: boolean): AddTrimArgs {
  const out: AddTrimArgs = { idPos: 0, trim: undefined, noMkstream: false, idGiven: false, seqGiven: false, id: 0n };
  let limit = 0n;
  let limitGiven = false;
  let i = 2;
  for (; i < a.length; i++) {
    const more = a.length - 1 - i;
    const opt = a[i]!;
    if (xadd && isExactly(opt, '*')) break;
    const maxlen = isWord(opt, 'MAXLEN');
    if ((maxlen || isWord(opt, 'MINID')) && more > 0) {
      if (out.trim !== undefined) throw new EngineError('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      let approx = false;
      const next = a[i + 1]!;
      if (more >= 2 && isExactly(next, '~')) {
        approx = true;
        i++;
      } else if (more >= 2 && isExactly(next, '=')) {
        i++;
      }
      let threshold: bigint;
      if (maxlen) {
        threshold = getLL(a[i + 1]!);
        if (threshold < 0n) throw new EngineError('ERR The MAXLEN argument must be >= 0.');
      } else {
        threshold = parseId(a[i + 1]!, true);
      }
      i++;
      out.trim = { strategy: maxlen ? 'maxlen' : 'minid', threshold, approx, limit: 0n };
    } else if (isWord(opt, 'LIMIT') && more > 0) {
      limit = getLL(a[i + 1]!);
      if (limit < 0n) throw new EngineError('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && isWord(opt, 'NOMKSTREAM')) {
      out.noMkstream = true;
    } else if (xadd) {
      const p = parseIdOrUndefined(opt, 0n, true, true);
      if (p === undefined) throw new EngineError(ERR_INVALID_ID);
      out.idGiven = true;
      out.seqGiven = p.seqGiven;
      out.id = p.id;
      break;
    } else {
      throw new EngineError(ERR.syntax);
    }
  }
  if (limit !== 0n && out.trim === undefined) throw new EngineError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && out.trim === undefined) throw new EngineError('ERR syntax error, XTRIM must be called with a trimming strategy');
  // the AOF client is never limited, and may send LIMIT with any trim (a rewritten ~ trim)
  if (!e.loading) {
    if (limitGiven) {
      if (!out.trim?.approx) throw new EngineError('ERR syntax error, LIMIT cannot be used without the special ~ option');
      out.trim.limit = limit;
    } else if (out.trim?.approx) {
      out.trim.limit = 100n * 100n; // 100 * stream-node-max-entries
    }
  }
  out.idPos = i;
  return out;
}

/** Refuse an approximate trim whose outcome depends on node boundaries the engine does not
 * know (a stream loaded from RDB data); `extra`: entries an XADD is about to add first. */
function checkApproxTrim(s: StreamObj, t: TrimArgs, cmd: string, newId?: bigint): void {
  if (!t.approx || s.layoutExact) return;
  let n = exactTrimCount(s, t);
  if (newId !== undefined) {
    if (t.strategy === 'maxlen') n = BigInt(s.length + 1) > t.threshold ? 1 : 0;
    else if (newId < t.threshold) n++;
  }
  if (n === 0) return;
  throw new UnsupportedCommandError(
    `${cmd} with ${t.strategy === 'maxlen' ? 'MAXLEN' : 'MINID'} ~ on a stream loaded from RDB data or a RESTORE payload: an approximate trim removes whole listpack nodes, and where the server's node boundaries fall is not recorded in the data (Redis 7.0+ logs the exact trim instead)`,
  );
}

function xaddCommand(e: Engine, a: Buffer[]): void {
  const p = parseAddTrim(e, a, true);
  const fieldPos = p.idPos + 1;
  const nargs = a.length - fieldPos;
  if (nargs < 2 || nargs % 2 === 1) throw arityError('XADD');
  if (p.idGiven && p.seqGiven && p.id === 0n) throw new EngineError('ERR The ID specified in XADD must be greater than 0-0');
  const k = keyOf(a[1]!);
  let s = e.lookupTyped(k, 'stream');
  if (s === undefined) {
    if (p.noMkstream) return;
    s = newStream();
    e.add(k, s);
  }
  if (s.lastId === ID_MAX) throw new EngineError('ERR The stream has exhausted the last possible ID, unable to add more items');
  const tooSmall = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
  let id: bigint;
  if (p.idGiven) {
    if (p.seqGiven) id = p.id;
    else if (idMs(s.lastId) === idMs(p.id)) {
      // 7.0.15 fails here without setting errno, so the reply is the ERANGE one (7.4: EDOM)
      if (idSeq(s.lastId) === U64_MAX) throw new EngineError('ERR Elements are too large to be stored');
      id = s.lastId + 1n;
    } else id = p.id;
  } else {
    const now = BigInt(Math.floor(e.now()));
    id = now > idMs(s.lastId) ? makeId(now, 0n) : s.lastId + 1n;
  }
  if (id <= s.lastId) throw new EngineError(tooSmall);
  const fields = a.slice(fieldPos);
  if (fieldsBytes(fields) > LISTPACK_MAX_SIZE) throw new EngineError('ERR Elements are too large to be stored');
  if (p.trim) checkApproxTrim(s, p.trim, 'XADD', id);
  streamAppend(s, id, fields);
  if (p.trim) streamTrim(s, p.trim);
}

function xtrimCommand(e: Engine, a: Buffer[]): void {
  const p = parseAddTrim(e, a, false);
  const s = lookupStream(e, a[1]!);
  if (s === undefined) return;
  checkApproxTrim(s, p.trim!, 'XTRIM');
  streamTrim(s, p.trim!);
}

function xdelCommand(e: Engine, a: Buffer[]): void {
  const s = lookupStream(e, a[1]!);
  if (s === undefined) return;
  const ids: bigint[] = [];
  for (let j = 2; j < a.length; j++) ids.push(parseId(a[j]!, true));
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (!deleteEntry(s, id)) continue;
    if (id === s.firstId) firstEntry = true;
    if (id > s.maxDeletedId) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = 0n;
    else if (firstEntry) s.firstId = edgeId(s, true, true);
  }
}

function xsetidCommand(e: Engine, a: Buffer[]): void {
  const id = parseId(a[2]!, true);
  let entriesAdded = -1n;
  let maxDeleted = 0n;
  for (let i = 3; i < a.length; i += 2) {
    const more = a.length - 1 - i;
    const opt = a[i]!;
    if (isWord(opt, 'ENTRIESADDED') && more > 0) {
      entriesAdded = getLL(a[i + 1]!);
      if (entriesAdded < 0n) throw new EngineError('ERR entries_added must be positive');
    } else if (isWord(opt, 'MAXDELETEDID') && more > 0) {
      maxDeleted = parseId(a[i + 1]!, true);
      if (id < maxDeleted) throw new EngineError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
    } else {
      throw new EngineError(ERR.syntax);
    }
  }
  const s = lookupStream(e, a[1]!);
  if (s === undefined) throw new EngineError(ERR.noSuchKey);
  if (s.length > 0) {
    if (id < lastValidId(s)) throw new EngineError('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      throw new EngineError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (maxDeleted !== 0n) s.maxDeletedId = maxDeleted;
}

// ---------------------------------------------------------------------------------------------
// Consumer groups

function lookupConsumer(g: Group, name: Buffer, now: number | undefined): Consumer | undefined {
  const c = g.consumers.get(nameKey(name));
  if (c !== undefined && now !== undefined) c.seenTime = now;
  return c;
}

/** streamLookupConsumer (refreshing seen-time) or streamCreateConsumer */
function lookupOrCreateConsumer(g: Group, name: Buffer, now: number): Consumer {
  let c = lookupConsumer(g, name, now);
  if (c === undefined) {
    c = newConsumer(Buffer.from(name), now);
    g.consumers.set(nameKey(name), c);
  }
  return c;
}

function dropNack(g: Group, na: Nack): void {
  g.pel.delete(na.id);
  na.consumer?.pel.delete(na.id);
}

/** hand a PEL entry to `c` (from whoever held it) */
function moveNack(na: Nack, c: Consumer): void {
  if (na.consumer === c) return;
  na.consumer?.pel.delete(na.id);
  c.pel.set(na.id, na);
  na.consumer = c;
}

function subcommandSyntax(a: Buffer[]): EngineError {
  return new EngineError(`ERR unknown subcommand or wrong number of arguments for '${cText(a[1]!).slice(0, 128)}'. Try XGROUP HELP.`);
}

type XgroupSub = 'CREATE' | 'SETID' | 'DESTROY' | 'CREATECONSUMER' | 'DELCONSUMER';

function xgroupCommand(e: Engine, a: Buffer[], sub: XgroupSub): void {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  const create = sub === 'CREATE';
  const setid = sub === 'SETID';
  for (let i = 5; i < a.length; ) {
    if (create && isWord(a[i]!, 'MKSTREAM')) {
      mkstream = true;
      i++;
    } else if ((create || setid) && isWord(a[i]!, 'ENTRIESREAD') && i + 1 < a.length) {
      entriesRead = getLL(a[i + 1]!);
      if (entriesRead < 0n && entriesRead !== INVALID_ENTRIES_READ) throw new EngineError('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else {
      throw subcommandSyntax(a);
    }
  }
  const key = a[2]!;
  const k = keyOf(key);
  let s = e.lookupTyped(k, 'stream');
  const grpName = a[3]!;
  let cg: Group | undefined;
  if (!mkstream) {
    if (s === undefined) {
      throw new EngineError(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
    }
    cg = s.groups.get(nameKey(grpName));
    if (cg === undefined && (setid || sub === 'CREATECONSUMER' || sub === 'DELCONSUMER')) {
      throw new EngineError(`NOGROUP No such consumer group '${cText(grpName)}' for key name '${cText(key)}'`);
    }
  }
  switch (sub) {
    case 'CREATE': {
      if (a.length > 8) throw subcommandSyntax(a);
      const id = isExactly(a[4]!, '$') ? (s ? s.lastId : 0n) : parseId(a[4]!, true);
      if (s === undefined) {
        s = newStream();
        e.add(k, s);
      }
      const gk = nameKey(grpName);
      if (s.groups.has(gk)) throw new EngineError('BUSYGROUP Consumer Group name already exists');
      s.groups.set(gk, { name: Buffer.from(grpName), lastId: id, entriesRead, pel: new IdMap(), consumers: new Map() });
      return;
    }
    case 'SETID': {
      if (a.length !== 5 && a.length !== 7) throw subcommandSyntax(a);
      const id = isExactly(a[4]!, '$') ? s!.lastId : parseId(a[4]!, false);
      cg!.lastId = id;
      cg!.entriesRead = entriesRead;
      return;
    }
    case 'DESTROY':
      if (cg) s!.groups.delete(nameKey(grpName));
      return;
    case 'CREATECONSUMER':
      if (!cg!.consumers.has(nameKey(a[4]!))) cg!.consumers.set(nameKey(a[4]!), newConsumer(Buffer.from(a[4]!), e.now()));
      return;
    case 'DELCONSUMER': {
      const c = lookupConsumer(cg!, a[4]!, undefined);
      if (c === undefined) return;
      for (const id of c.pel.keys) cg!.pel.delete(id);
      cg!.consumers.delete(nameKey(a[4]!));
      return;
    }
  }
}

function xackCommand(e: Engine, a: Buffer[]): void {
  const s = lookupStream(e, a[1]!);
  const g = s?.groups.get(nameKey(a[2]!));
  if (g === undefined) return;
  const ids: bigint[] = [];
  for (let j = 3; j < a.length; j++) ids.push(parseId(a[j]!, true));
  for (const id of ids) {
    const na = g.pel.get(id);
    if (na !== undefined) dropNack(g, na);
  }
}

function noGroup(a: Buffer[]): EngineError {
  return new EngineError(`NOGROUP No such key '${cText(a[1]!)}' or consumer group '${cText(a[2]!)}'`);
}

function xclaimCommand(e: Engine, a: Buffer[]): void {
  const s = lookupStream(e, a[1]!);
  const g = s?.groups.get(nameKey(a[2]!));
  if (s === undefined || g === undefined) throw noGroup(a);
  let minIdle = getLL(a[4]!, 'Invalid min-idle-time argument for XCLAIM');
  if (minIdle < 0n) minIdle = 0n;
  const ids: bigint[] = [];
  let j = 5;
  for (; j < a.length; j++) {
    const p = parseIdOrUndefined(a[j]!, 0n, true);
    if (p === undefined) break;
    ids.push(p.id);
  }
  const now = BigInt(Math.floor(e.now()));
  let deliveryTime = -1n;
  let retryCount = -1n;
  let force = false;
  let justId = false;
  let lastId = 0n;
  for (; j < a.length; j++) {
    const more = a.length - 1 - j;
    const opt = a[j]!;
    if (isWord(opt, 'FORCE')) force = true;
    else if (isWord(opt, 'JUSTID')) justId = true;
    else if (isWord(opt, 'IDLE') && more > 0) {
      const idle = getLL(a[++j]!, 'Invalid IDLE option argument for XCLAIM');
      deliveryTime = BigInt.asIntN(64, now - idle);
    } else if (isWord(opt, 'TIME') && more > 0) {
      deliveryTime = getLL(a[++j]!, 'Invalid TIME option argument for XCLAIM');
    } else if (isWord(opt, 'RETRYCOUNT') && more > 0) {
      retryCount = getLL(a[++j]!, 'Invalid RETRYCOUNT option argument for XCLAIM');
    } else if (isWord(opt, 'LASTID') && more > 0) {
      lastId = parseId(a[++j]!, true);
    } else {
      throw new EngineError(`ERR Unrecognized XCLAIM option '${cText(opt)}'`);
    }
  }
  if (lastId > g.lastId) g.lastId = lastId;
  if (deliveryTime === -1n || deliveryTime < 0n || deliveryTime > now) deliveryTime = now;
  const nowMs = Number(now);
  const time = Number(deliveryTime);
  let consumer: Consumer | undefined;
  for (const id of ids) {
    let na = g.pel.get(id);
    if (findEntry(s, id) === undefined) {
      if (na !== undefined) dropNack(g, na);
      continue;
    }
    if (force && na === undefined) {
      na = { id, deliveryTime: nowMs, deliveryCount: 1, consumer: undefined };
      g.pel.set(id, na);
    }
    if (na === undefined) continue;
    if (na.consumer !== undefined && minIdle !== 0n && now - BigInt(na.deliveryTime) < minIdle) continue;
    consumer ??= lookupOrCreateConsumer(g, a[3]!, nowMs);
    na.deliveryTime = time;
    if (retryCount >= 0n) na.deliveryCount = Number(retryCount);
    else if (!justId) na.deliveryCount++;
    moveNack(na, consumer);
  }
}

function xautoclaimCommand(e: Engine, a: Buffer[]): void {
  let minIdle = getLL(a[4]!, 'Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle < 0n) minIdle = 0n;
  const startArg = a[5]!;
  const exclude = startArg.length > 1 && startArg[0] === 0x28;
  let start = exclude ? parseId(startArg.subarray(1), true) : parseId(startArg, false);
  if (exclude) {
    if (start === ID_MAX) throw new EngineError('ERR invalid start ID for the interval');
    start++;
  }
  let count = 100n;
  let justId = false;
  for (let j = 6; j < a.length; j++) {
    const more = a.length - 1 - j;
    if (isWord(a[j]!, 'COUNT') && more > 0) {
      count = getRangeLong(a[j + 1]!, 1n, 9223372036854775807n / 16n, 'COUNT must be > 0');
      j++;
    } else if (isWord(a[j]!, 'JUSTID')) {
      justId = true;
    } else {
      throw new EngineError(ERR.syntax);
    }
  }
  const s = lookupStream(e, a[1]!);
  const g = s?.groups.get(nameKey(a[2]!));
  if (s === undefined || g === undefined) throw noGroup(a);
  if (count > 1n << 26n) {
    throw new UnsupportedCommandError(
      `XAUTOCLAIM COUNT ${count}: the server allocates COUNT*16 bytes up front and replies with an error when that fails, which depends on its machine`,
    );
  }
  const now = Math.floor(e.now());
  let attempts = count * 10n;
  let consumer: Consumer | undefined;
  let i = g.pel.lowerBound(start);
  while (attempts-- > 0n && count > 0n && i < g.pel.keys.length) {
    const id = g.pel.keys[i]!;
    const na = g.pel.get(id)!;
    if (findEntry(s, id) === undefined) {
      dropNack(g, na); // the next key slides into position i
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0n && BigInt(now - na.deliveryTime) < minIdle) continue;
    consumer ??= lookupOrCreateConsumer(g, a[3]!, now);
    na.deliveryTime = now;
    if (!justId) na.deliveryCount++;
    moveNack(na, consumer);
    count--;
  }
}

function xreadgroupCommand(e: Engine, a: Buffer[]): void {
  let count = 0n;
  let streamsArg = 0;
  let nstreams = 0;
  let noack = false;
  let group: Buffer | undefined;
  let consumerName: Buffer | undefined;
  for (let i = 1; i < a.length; i++) {
    const more = a.length - i - 1;
    const o = a[i]!;
    if (isWord(o, 'BLOCK') && more > 0) {
      i++;
      const t = getLL(a[i]!, 'timeout is not an integer or out of range');
      if (t < 0n) throw new EngineError('ERR timeout is negative');
    } else if (isWord(o, 'COUNT') && more > 0) {
      i++;
      count = getLL(a[i]!);
      if (count < 0n) count = 0n;
    } else if (isWord(o, 'STREAMS') && more > 0) {
      streamsArg = i + 1;
      nstreams = a.length - streamsArg;
      if (nstreams % 2 !== 0) {
        throw new EngineError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      nstreams /= 2;
      break;
    } else if (isWord(o, 'GROUP') && more >= 2) {
      group = a[i + 1]!;
      consumerName = a[i + 2]!;
      i += 2;
    } else if (isWord(o, 'NOACK')) {
      noack = true;
    } else {
      throw new EngineError(ERR.syntax);
    }
  }
  if (streamsArg === 0) throw new EngineError(ERR.syntax);
  if (group === undefined || consumerName === undefined) throw new EngineError('ERR Missing GROUP option for XREADGROUP');
  const ids: bigint[] = [];
  const groups: Group[] = [];
  for (let i = 0; i < nstreams; i++) {
    const key = a[streamsArg + i]!;
    const s = lookupStream(e, key);
    const g = s?.groups.get(nameKey(group));
    if (g === undefined) {
      throw new EngineError(`NOGROUP No such key '${cText(key)}' or consumer group '${cText(group)}' in XREADGROUP with GROUP option`);
    }
    groups.push(g);
    const arg = a[streamsArg + nstreams + i]!;
    if (isExactly(arg, '$')) {
      throw new EngineError(
        'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
      );
    }
    ids.push(isExactly(arg, '>') ? ID_MAX : parseId(arg, true));
  }
  const now = Math.floor(e.now());
  for (let i = 0; i < nstreams; i++) {
    const s = lookupStream(e, a[streamsArg + i]!);
    if (s === undefined) continue;
    const g = groups[i]!;
    let gt = ids[i]!;
    const history = gt !== ID_MAX;
    if (!history) {
      if (s.length === 0 || lastValidId(s) <= g.lastId) continue;
      gt = g.lastId;
    }
    const start = gt === ID_MAX ? 0n : gt + 1n;
    const consumer = lookupOrCreateConsumer(g, consumerName, now);
    if (history) {
      // the consumer's own PEL from `start`: redelivered entries get a new time and count
      let served = 0n;
      for (const id of consumer.pel.keys.slice(consumer.pel.lowerBound(start))) {
        if (count !== 0n && served >= count) break;
        if (findEntry(s, id) !== undefined) {
          const na = consumer.pel.get(id)!;
          na.deliveryTime = now;
          na.deliveryCount++;
        }
        served++;
      }
      continue;
    }
    let served = 0n;
    for (const en of entriesFrom(s, start)) {
      const id = en.id;
      if (id > g.lastId) {
        if (g.entriesRead !== INVALID_ENTRIES_READ && !rangeHasTombstones(s, id)) g.entriesRead++;
        else if (s.entriesAdded !== 0n) g.entriesRead = estimateDistance(s, id);
        g.lastId = id;
      }
      if (!noack) {
        const na = g.pel.get(id);
        if (na === undefined) {
          const nn: Nack = { id, deliveryTime: now, deliveryCount: 1, consumer };
          g.pel.set(id, nn);
          consumer.pel.set(id, nn);
        } else {
          moveNack(na, consumer);
          na.deliveryTime = now;
          na.deliveryCount = 1;
        }
      }
      served++;
      if (count !== 0n && served === count) break;
    }
  }
}

export function registerStreamCommands(t: CommandTable): void {
  defineCommand(t, 'XADD', -5, xaddCommand);
  defineCommand(t, 'XTRIM', -4, xtrimCommand);
  defineCommand(t, 'XDEL', -3, xdelCommand);
  defineCommand(t, 'XSETID', -3, xsetidCommand);
  for (const [sub, arity] of [
    ['CREATE', -5],
    ['SETID', -5],
    ['DESTROY', 4],
    ['CREATECONSUMER', 5],
    ['DELCONSUMER', 5],
  ] as const) {
    defineSubcommand(t, 'XGROUP', -2, sub, arity, (e, a) => xgroupCommand(e, a, sub));
  }
  defineCommand(t, 'XACK', -4, xackCommand);
  defineCommand(t, 'XCLAIM', -6, xclaimCommand);
  defineCommand(t, 'XAUTOCLAIM', -6, xautoclaimCommand);
  defineCommand(t, 'XREADGROUP', -7, xreadgroupCommand);
}
