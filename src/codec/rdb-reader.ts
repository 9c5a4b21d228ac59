// RDB reader (versions 1-12 and Valkey's VALKEY080): the framer that turns buffered bytes into
// one top-level item at a time, and a synchronous streaming driver around it.
//
// Framer contract: `readItem` parses one whole top-level unit (a key with its prefix opcodes, an
// AUX field, ...) from a Cursor. When the buffered bytes end first it throws NEED_MORE and the
// driver rewinds to the unit's start; nothing is committed until a unit is whole.

import { FormatError, TruncatedError, UnsupportedError } from '../model/errors.js';
import type {
  HashEntry,
  KeyEntry,
  RedisValue,
  StreamConsumer,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamPendingEntry,
  StreamValue,
  ZsetEntry,
} from '../model/value.js';
import { CarryBuffer } from './carry.js';
import { Crc64 } from './crc64.js';
import { SeenHashes, fnvBytes, fnvInt, fnvText } from './seen-hashes.js';
import { Cursor, NEED_MORE } from './cursor.js';
import { decodeIntset } from './intset.js';
import {
  decodeListpack,
  decodeListpackEntries,
  listpackShape,
  entryToBuffer,
  intText,
  lastValidatedCount,
  validateListpack,
  validateListpackUnique,
  type LpEntry,
} from './listpack.js';
import { lzfDecompress, lzfValidate } from './lzf.js';
import {
  ModuleOpcode,
  QuicklistContainer,
  RDB_VERSION_MAX,
  RdbOpcode,
  RdbType,
  VALKEY_RDB_VERSION,
} from './rdb-types.js';
import { decodeZiplist, validateZiplist } from './ziplist.js';
import { decodeZipmap } from './zipmap.js';

// ---------------------------------------------------------------------------------------------
// Items

export interface RdbHeader {
  kind: 'header';
  magic: 'REDIS' | 'VALKEY';
  version: number;
  offset: number;
}

export type RdbItem =
  | RdbHeader
  | { kind: 'aux'; name: Buffer; value: Buffer; offset: number }
  | { kind: 'selectdb'; db: number; offset: number }
  | { kind: 'resizedb'; dbSize: number; expiresSize: number; offset: number }
  | { kind: 'slotinfo'; slot: number; slotSize: number; expiresSlotSize: number; offset: number }
  | { kind: 'function'; code: Buffer; offset: number }
  | { kind: 'module-aux'; moduleId: bigint; moduleName: string; when: number; raw: Buffer; offset: number }
  | { kind: 'key'; entry: KeyEntry }
  | RdbDamaged
  | RdbEof;

/** Salvage mode only: a key record whose value failed to decode but whose outer framing is
 * intact, so reading could go on after it. */
export interface RdbDamaged {
  kind: 'damaged';
  offset: number;
  end: number;
  db: number;
  key: Buffer | undefined;
  error: FormatError;
}

export interface RdbEof {
  kind: 'eof';
  /** offset of the 0xFF opcode */
  offset: number;
  /** offset just past the checksum (or the opcode, for versions < 5): where the RDB image ends */
  end: number;
  /** stored checksum, 16 hex digits, undefined for versions < 5 */
  storedCrc: string | undefined;
  /** computed checksum over magic..EOF opcode (filled by the driver) */
  computedCrc: string | undefined;
  checksum: 'ok' | 'disabled' | 'absent' | 'mismatch';
}

export interface RdbReadOptions {
  /** absolute size of the input, when known: declared lengths beyond it are rejected early */
  totalSize?: number;
  /** absolute offset where the RDB image starts (0 for a file) */
  startOffset?: number;
  /** enforce Redis's load-time integrity rules that older tools ignore (default true) */
  strict?: boolean;
  /** throw on a checksum mismatch (default true); otherwise the eof item reports it */
  verifyChecksum?: boolean;
  /** salvage: a key whose value fails to decode but whose framing is intact becomes a
   * 'damaged' item and reading goes on (implies verifyChecksum: false) */
  salvage?: boolean;
  /**
   * The caller computes the CRC-64 itself (on another thread: io/crc.ts) over stream bytes
   * [startOffset, eof.offset + 1): the reader skips it, and the eof item carries checksum
   * 'ok' for a non-zero stored value and computedCrc undefined, for the caller to settle.
   */
  externalCrc?: boolean;
  /**
   * Validate only: string values and list elements are checked but not produced (a string
   * value is then an empty Buffer, a list's items an empty array), a key stored raw is not
   * produced either (empty; error messages still name it), and every key item is the same
   * reused object, valid only during the callback. For `check`, which looks at
   * nothing but types, keys and expiries (measured: 1.5x faster on string-heavy files).
   */
  validateOnly?: boolean;
  /**
   * Hand out keys and values as views into the read buffers instead of copies (measured: the
   * RDB check is ~2x faster). The bytes stay valid (the buffers are never reused) but a kept
   * view pins its whole input chunk: use it when items are consumed in the callback.
   */
  borrow?: boolean;
  /**
   * Nothing keeps a view of an item's bytes (nor of raw()) past the callback: the buffers the
   * reader allocates to join chunks are then reused (see CarryBuffer.reuse).
   */
  itemsNotKept?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Framer state

/** Per-stream state that spans items. */
export class RdbFrameState {
  magic: 'REDIS' | 'VALKEY' = 'REDIS';
  version = 0;
  headerDone = false;
  db = 0;
  sawEof = false;
  /** absolute offset one past the end of input, if known */
  limit = Number.MAX_SAFE_INTEGER;
  strict = true;
  /** the key currently being read, for error messages */
  private keyValue: Buffer | undefined = undefined;
  private keyBuf: Buffer | undefined = undefined;
  private keyStart = 0;
  private keyEnd = 0;

  /** the key being read, made from its byte range only when asked (error messages) */
  get key(): Buffer | undefined {
    if (this.keyValue === undefined && this.keyBuf !== undefined) this.keyValue = this.keyBuf.subarray(this.keyStart, this.keyEnd);
    return this.keyValue;
  }

  set key(k: Buffer | undefined) {
    this.keyValue = k;
    this.keyBuf = undefined;
  }

  /** note the key as a byte range of `buf` without making a Buffer of it */
  keyRange(buf: Buffer, start: number, end: number): void {
    this.keyValue = undefined;
    this.keyBuf = buf;
    this.keyStart = start;
    this.keyEnd = end;
  }
  /** salvage: walk the value's outer framing only (lengths), without decoding it */
  skimValues = false;
  /** strings as views into the input instead of copies (see RdbReadOptions.borrow) */
  borrow = false;
  /** see RdbReadOptions.validateOnly */
  validateOnly = false;
  /** the item validate-only readers reuse for every key */
  readonly scratch: { kind: 'key'; entry: KeyEntry } = {
    kind: 'key',
    entry: { db: 0, key: Buffer.alloc(0), value: { type: 'string', value: Buffer.alloc(0) }, expireMs: -1, rdbType: 0, offset: 0, size: 0, idle: undefined, freq: undefined },
  };
  doing = 'read-type';
}

const MAX_DB = 1 << 30;

/** Read one top-level item. Throws NEED_MORE if the buffered bytes end inside it. */
export function readRdbItem(cur: Cursor, st: RdbFrameState): RdbItem {
  if (!st.headerDone) return readHeader(cur, st);
  const start = cur.offset;
  st.key = undefined;
  st.doing = 'read-type';
  let expireMs = -1;
  let idle: number | undefined;
  let freq: number | undefined;
  for (;;) {
    const opOffset = cur.offset;
    const op = cur.u8();
    switch (op) {
      case RdbOpcode.ExpireTimeMs:
        st.doing = 'read-expire';
        expireMs = cur.i64leNumber();
        continue;
      case RdbOpcode.ExpireTime:
        st.doing = 'read-expire';
        expireMs = cur.i32le() * 1000;
        continue;
      case RdbOpcode.Idle:
        st.doing = 'read-idle';
        idle = readLen(cur, st);
        continue;
      case RdbOpcode.Freq:
        st.doing = 'read-freq';
        freq = cur.u8();
        continue;
      default:
        break;
    }
    const prefixed = expireMs !== -1 || idle !== undefined || freq !== undefined;
    if (op >= 0xf0) {
      if (prefixed) {
        throw new FormatError(`opcode ${op} follows an expire/idle/freq opcode; a key was expected`, opOffset, st.doing);
      }
      return readOpcode(cur, st, op, opOffset);
    }
    // A key record.
    checkType(op, st, opOffset);
    st.doing = 'read-key';
    let key: Buffer;
    if (st.validateOnly && (cur.peekU8() >> 6) !== 3) {
      // validate-only: a raw key stays a byte range (the check needs it only for messages)
      const at = cur.offset;
      const len = readLen(cur, st);
      if (len > cur.end - cur.pos) {
        checkDeclared(cur, st, len, 1, 'string', at);
        cur.need = cur.base + cur.pos + len;
        throw NEED_MORE;
      }
      st.keyRange(cur.buf, cur.pos, cur.pos + len);
      cur.pos += len;
      key = EMPTY_KEY;
    } else {
      key = readString(cur, st);
      st.key = key;
    }
    st.doing = 'read-object-value';
    let value: RedisValue;
    try {
      value = st.skimValues ? skimValue(cur, st, op) : readValue(cur, st, op, key);
    } catch (e) {
      // nested decoders (listpack, LZF, ...) know the blob, not the key: add it
      if (e instanceof FormatError && e.doing === undefined) {
        e.doing = st.doing;
        e.key = st.key;
      }
      throw e;
    }
    st.key = undefined;
    if (st.validateOnly) {
      // validate-only readers hand out one reused item (valid during the callback): ~10% of
      // the RDB check was allocating two objects per key
      const e = st.scratch.entry;
      e.db = st.db;
      e.key = key;
      e.value = value;
      e.expireMs = expireMs;
      e.rdbType = op;
      e.offset = start;
      e.size = cur.offset - start;
      e.idle = idle;
      e.freq = freq;
      return st.scratch;
    }
    const entry: KeyEntry = {
      db: st.db,
      key,
      value,
      expireMs,
      rdbType: op,
      offset: start,
      size: cur.offset - start,
    };
    if (idle !== undefined) entry.idle = idle;
    if (freq !== undefined) entry.freq = freq;
    return { kind: 'key', entry };
  }
}

function readHeader(cur: Cursor, st: RdbFrameState): RdbHeader {
  const offset = cur.offset;
  cur.ensure(9);
  const b = cur.buf;
  const p = cur.pos;
  let magic: 'REDIS' | 'VALKEY';
  let digits: string;
  if (b.latin1Slice(p, p + 5) === 'REDIS') {
    magic = 'REDIS';
    digits = b.latin1Slice(p + 5, p + 9);
  } else if (b.latin1Slice(p, p + 6) === 'VALKEY') {
    magic = 'VALKEY';
    digits = b.latin1Slice(p + 6, p + 9);
  } else {
    throw new FormatError(
      `Wrong signature trying to load DB from file: expected 'REDIS' or 'VALKEY', got '${printable(b.subarray(p, p + 9))}'`,
      offset,
      'read-header',
    );
  }
  // Redis reads the version with atoi(): leading blanks, a sign, then digits up to the first
  // non-digit ("001a" is 1, " 010" is 10); no digits at all is 0, which it refuses below
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/.exec(digits)!;
  const version = m[2] === '' ? 0 : (m[1] === '-' ? -1 : 1) * Number(m[2]);
  if (magic === 'REDIS') {
    if (version < 1) throw new FormatError(`Can't handle RDB format version ${version}${/^[0-9]{4}$/.test(digits) ? '' : ` (the header's version is '${printable(Buffer.from(digits, 'latin1'))}')`}`, offset, 'read-header');
    if (version > RDB_VERSION_MAX) {
      throw new UnsupportedError(
        `Can't handle RDB format version ${version}: this build reads Redis RDB versions 1 to ${RDB_VERSION_MAX} (written by a newer server?)`,
        offset,
        'read-header',
      );
    }
  } else {
    if (version < VALKEY_RDB_VERSION) {
      throw new FormatError(`Invalid Valkey RDB version ${version}: VALKEY-magic files start at ${VALKEY_RDB_VERSION}`, offset, 'read-header');
    }
    if (version > VALKEY_RDB_VERSION) {
      throw new UnsupportedError(
        `Can't handle Valkey RDB format version ${version}: this build reads VALKEY0${VALKEY_RDB_VERSION}`,
        offset,
        'read-header',
      );
    }
  }
  cur.pos += 9;
  st.magic = magic;
  st.version = version;
  st.headerDone = true;
  return { kind: 'header', magic, version, offset };
}

function checkType(type: number, st: RdbFrameState, offset: number): void {
  if (st.magic === 'VALKEY') {
    if (type <= 21 && type !== 8) {
      if (type === RdbType.ModulePreGa) throw unsupportedModulePreGa(offset);
      return;
    }
    if (type === RdbType.ValkeyHash2) return;
    throw new UnsupportedError(`Unknown object type ${type} for a Valkey RDB ${st.version} file`, offset, 'read-type');
  }
  if (type === 8 || type > 25) {
    throw new UnsupportedError(
      `Unknown RDB object type ${type} (this build knows types 0-7 and 9-25; written by a newer server?)`,
      offset,
      'read-type',
    );
  }
  if (type === RdbType.ModulePreGa) throw unsupportedModulePreGa(offset);
}

function unsupportedModulePreGa(offset: number): UnsupportedError {
  return new UnsupportedError(
    'Module value of the Redis 4.0 release-candidate format (type 6) cannot be read without the module',
    offset,
    'read-type',
  );
}

function readOpcode(cur: Cursor, st: RdbFrameState, op: number, offset: number): RdbItem {
  switch (op) {
    case RdbOpcode.Aux: {
      st.doing = 'read-aux';
      const name = readString(cur, st);
      const value = readString(cur, st);
      return { kind: 'aux', name, value, offset };
    }
    case RdbOpcode.ResizeDb: {
      st.doing = 'read-len';
      const dbSize = readLen(cur, st);
      const expiresSize = readLen(cur, st);
      return { kind: 'resizedb', dbSize, expiresSize, offset };
    }
    case RdbOpcode.SelectDb: {
      st.doing = 'read-len';
      const db = readLen(cur, st);
      if (db >= MAX_DB) throw new FormatError(`SELECTDB ${db} is out of range`, offset, st.doing);
      st.db = db;
      return { kind: 'selectdb', db, offset };
    }
    case RdbOpcode.Function2: {
      st.doing = 'read-functions';
      const code = readString(cur, st);
      return { kind: 'function', code, offset };
    }
    case RdbOpcode.FunctionPreGa:
      throw new UnsupportedError(
        'Function library in the Redis 7.0 release-candidate format (opcode 246) is not supported by any GA server',
        offset,
        'read-functions',
      );
    case RdbOpcode.ModuleAux: {
      st.doing = 'read-module-aux';
      const rawStart = cur.pos;
      const moduleId = readLenBig(cur, st);
      const whenOp = readLen(cur, st);
      if (whenOp !== ModuleOpcode.Uint) {
        throw new FormatError(`MODULE_AUX: expected the 'when' field as an unsigned integer, got opcode ${whenOp}`, cur.offset, st.doing);
      }
      const when = readLen(cur, st);
      skipModuleOpcodes(cur, st);
      const raw = Buffer.from(cur.buf.subarray(rawStart, cur.pos));
      return { kind: 'module-aux', moduleId, moduleName: moduleTypeName(moduleId), when, raw, offset };
    }
    case RdbOpcode.SlotInfo: {
      if (st.magic === 'VALKEY') break;
      st.doing = 'read-slot-info';
      const slot = readLen(cur, st);
      const slotSize = readLen(cur, st);
      const expiresSlotSize = readLen(cur, st);
      return { kind: 'slotinfo', slot, slotSize, expiresSlotSize, offset };
    }
    case RdbOpcode.Eof: {
      const storedCrc = st.version >= 5 ? cur.view(8) : undefined;
      st.sawEof = true;
      let stored: string | undefined;
      if (storedCrc) {
        // little endian on disk; print as the 64-bit value
        stored = Buffer.from(storedCrc).reverse().toString('hex');
      }
      return {
        kind: 'eof',
        offset,
        end: cur.offset,
        storedCrc: stored,
        computedCrc: undefined,
        checksum: stored === undefined ? 'absent' : stored === '0000000000000000' ? 'disabled' : 'ok',
      };
    }
    default:
      break;
  }
  if (op === RdbOpcode.SlotImport && st.magic === 'VALKEY') {
    throw new UnsupportedError('Valkey SLOT_IMPORT opcode (243) is not supported yet', offset, 'read-type');
  }
  throw new UnsupportedError(`Unknown RDB opcode ${op} (written by a newer server?)`, offset, 'read-type');
}

// ---------------------------------------------------------------------------------------------
// Primitives

/** A length as a number. 64-bit lengths beyond 2^53 are corrupt for anything we count. */
export function readLen(cur: Cursor, st: RdbFrameState): number {
  const at = cur.offset;
  const b0 = cur.u8();
  const kind = b0 >> 6;
  if (kind === 0) return b0 & 0x3f;
  if (kind === 1) return ((b0 & 0x3f) << 8) | cur.u8();
  if (b0 === 0x80) return cur.u32be();
  if (b0 === 0x81) {
    const v = cur.u64be();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`length ${v} is out of range`, at, st.doing, st.key);
    return Number(v);
  }
  if (kind === 2) {
    if (st.version < 8) return cur.u32be();
    throw new FormatError(`invalid length encoding 0x${b0.toString(16)}`, at, st.doing, st.key);
  }
  throw new FormatError(`expected a length, found string encoding 0x${b0.toString(16)}`, at, st.doing, st.key);
}

/** A length that may use all 64 bits (stream IDs, module integers). */
export function readLenBig(cur: Cursor, st: RdbFrameState): bigint {
  const at = cur.offset;
  const b0 = cur.peekU8();
  if (b0 === 0x81) {
    cur.pos++;
    return cur.u64be();
  }
  if (b0 >> 6 === 3) throw new FormatError(`expected a length, found string encoding 0x${b0.toString(16)}`, at, st.doing, st.key);
  return BigInt(readLen(cur, st));
}

/** Reject a declared count/length that cannot fit in what is left of the input, before
 * buffering or allocating for it. The driver fills in okUpTo. */
function checkDeclared(cur: Cursor, st: RdbFrameState, n: number, minBytesEach: number, what: string, at: number): void {
  const left = st.limit - cur.offset;
  if (n * minBytesEach > left) {
    const unit = what.includes('string') ? 'bytes' : 'elements';
    throw new TruncatedError(
      `${what} declares ${n} ${unit} but only ${Math.max(left, 0)} bytes remain in the input (truncated file or corrupt length)`,
      at,
      -1,
      st.doing,
      st.key,
    );
  }
}

/** An RDB string (raw, integer-encoded or LZF), copied out. */
export function readString(cur: Cursor, st: RdbFrameState): Buffer {
  const at = cur.offset;
  const b0 = cur.u8();
  const kind = b0 >> 6;
  let len: number;
  if (kind === 0) len = b0 & 0x3f;
  else if (kind === 1) len = ((b0 & 0x3f) << 8) | cur.u8();
  else if (kind === 3) return readSpecialString(cur, st, b0 & 0x3f, at);
  else {
    cur.pos--;
    len = readLen(cur, st);
  }
  if (len > cur.end - cur.pos) {
    checkDeclared(cur, st, len, 1, 'string', at);
    cur.need = cur.base + cur.pos + len;
    throw NEED_MORE;
  }
  if (st.borrow) {
    const v = cur.buf.subarray(cur.pos, cur.pos + len);
    cur.pos += len;
    return v;
  }
  const out = Buffer.allocUnsafe(len);
  cur.buf.copy(out, 0, cur.pos, cur.pos + len);
  cur.pos += len;
  return out;
}

function readSpecialString(cur: Cursor, st: RdbFrameState, enc: number, at: number): Buffer {
  switch (enc) {
    case 0:
      return intText((cur.u8() << 24) >> 24);
    case 1:
      return intText(cur.i16le());
    case 2:
      return intText(cur.i32le());
    case 3: {
      const clen = readLen(cur, st);
      const ulen = readLen(cur, st);
      if (clen > cur.end - cur.pos) {
        checkDeclared(cur, st, clen, 1, 'LZF string', at);
        cur.need = cur.base + cur.pos + clen;
        throw NEED_MORE;
      }
      // LZF expands at most 88x (a 3-byte back reference yields 264 bytes).
      if (ulen > clen * 89 + 64) {
        throw new FormatError(`LZF string claims ${ulen} bytes from ${clen} compressed bytes`, at, st.doing, st.key);
      }
      const src = cur.buf.subarray(cur.pos, cur.pos + clen);
      cur.pos += clen;
      return lzfDecompress(src, ulen, at);
    }
    default:
      throw new FormatError(`Unknown RDB string encoding type ${enc}`, at, st.doing, st.key);
  }
}

function readStreamId16(cur: Cursor): StreamId {
  const ms = cur.u64be();
  const seq = cur.u64be();
  return { ms, seq };
}

function readDoubleString(cur: Cursor, st: RdbFrameState): number {
  const at = cur.offset;
  const n = cur.u8();
  if (n === 253) return NaN;
  if (n === 254) return Infinity;
  if (n === 255) return -Infinity;
  const s = cur.view(n).latin1Slice();
  const v = Number(s.trim());
  if (Number.isNaN(v) && !/^\s*[-+]?nan/i.test(s)) {
    // strtod accepts forms Number() does not (hex floats, "inf"); fall back to parseFloat
    const f = parseFloat(s);
    if (Number.isNaN(f)) {
      if (/^\s*[-+]?inf/i.test(s)) return s.trim().startsWith('-') ? -Infinity : Infinity;
      throw new FormatError(`invalid double '${s}'`, at, st.doing, st.key);
    }
    return f;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Values

/**
 * Decodes one value of object type `type` that fills (or starts) a complete buffer, e.g. the
 * body of a DUMP payload. Offsets in errors are relative to `buf`. Returns the value and where
 * it ended (Redis ignores bytes left over before a DUMP footer, so callers decide).
 */
export function decodeValue(
  buf: Buffer,
  type: number,
  opts: { version: number; magic?: 'REDIS' | 'VALKEY'; key?: Buffer; strict?: boolean },
): { value: RedisValue; end: number } {
  const st = new RdbFrameState();
  st.magic = opts.magic ?? 'REDIS';
  st.version = opts.version;
  st.headerDone = true;
  st.limit = buf.length;
  st.strict = opts.strict ?? true;
  st.key = opts.key;
  st.doing = 'read-object-value';
  const cur = new Cursor(buf);
  const key = opts.key ?? Buffer.alloc(0);
  try {
    checkType(type, st, 0);
    const value = readValue(cur, st, type, key);
    return { value, end: cur.pos };
  } catch (e) {
    if (e === NEED_MORE) {
      throw new FormatError(`value of type ${type} is cut short (${buf.length} bytes)`, buf.length, 'read-object-value', opts.key);
    }
    if (e instanceof TruncatedError) {
      throw new FormatError(e.message, e.offset, 'read-object-value', opts.key);
    }
    if (e instanceof FormatError && e.doing === undefined) {
      e.doing = 'read-object-value';
      e.key = opts.key;
    }
    throw e;
  }
}

export function readValue(cur: Cursor, st: RdbFrameState, type: number, _key?: Buffer): RedisValue {
  if (st.magic === 'VALKEY' && type === RdbType.ValkeyHash2) return readValkeyHash2(cur, st);
  if (st.validateOnly) {
    const start = cur.pos;
    const v = validateUnique(cur, st, type);
    if (v !== undefined) return v;
    cur.pos = start; // not a validate-only type, or two hashes collided: decide with the bytes
    if (type === RdbType.String) {
      validateString(cur, st);
      return EMPTY_STRING;
    }
    if (type === RdbType.List) {
      const at = cur.offset;
      const n = readLen(cur, st);
      checkDeclared(cur, st, n, 1, 'list', at);
      for (let i = 0; i < n; i++) validateString(cur, st);
      return { type: 'list', items: [] };
    }
  }
  switch (type) {
    case RdbType.String:
      return { type: 'string', value: readString(cur, st) };
    case RdbType.List:
      return { type: 'list', items: readStringList(cur, st, 'list') };
    case RdbType.Set: {
      const members = readStringList(cur, st, 'set');
      if (st.strict) checkUnique(members, st, 'set member', cur.offset);
      return { type: 'set', members };
    }
    case RdbType.Zset:
    case RdbType.Zset2:
      return readZset(cur, st, type === RdbType.Zset2);
    case RdbType.Hash:
      return readHash(cur, st);
    case RdbType.Module2:
      return readModule(cur, st);
    case RdbType.HashZipmap: {
      const at = cur.offset;
      const blob = readString(cur, st);
      const flat = decodeZipmap(blob, at, st.strict);
      return { type: 'hash', entries: pairsToHash(flat) };
    }
    case RdbType.ListZiplist: {
      const at = cur.offset;
      if (st.validateOnly) {
        validateZiplist(readString(cur, st), at);
        return { type: 'list', items: [] };
      }
      return { type: 'list', items: decodeZiplist(readString(cur, st), at, true) };
    }
    case RdbType.SetIntset: {
      const at = cur.offset;
      return { type: 'set', members: decodeIntset(readString(cur, st), at) };
    }
    case RdbType.ZsetZiplist:
    case RdbType.ZsetListpack: {
      const at = cur.offset;
      const blob = readString(cur, st);
      const flat = type === RdbType.ZsetZiplist ? decodeZiplist(blob, at, true) : decodeListpack(blob, at, true);
      return { type: 'zset', entries: flatToZset(flat, at, st) };
    }
    case RdbType.HashZiplist:
    case RdbType.HashListpack: {
      const at = cur.offset;
      const blob = readString(cur, st);
      const flat = type === RdbType.HashZiplist ? decodeZiplist(blob, at, true) : decodeListpack(blob, at, true);
      if (flat.length % 2 !== 0) throw new FormatError(`hash ${type === RdbType.HashZiplist ? 'ziplist' : 'listpack'} has an odd number of elements (${flat.length})`, at, st.doing, st.key);
      const entries = pairsToHash(flat);
      if (st.strict) checkUnique(entries.map((e) => e.field), st, 'hash field', at);
      return { type: 'hash', entries };
    }
    case RdbType.ListQuicklist:
    case RdbType.ListQuicklist2:
      return { type: 'list', items: readQuicklist(cur, st, type === RdbType.ListQuicklist2) };
    case RdbType.SetListpack: {
      const at = cur.offset;
      const members = decodeListpack(readString(cur, st), at, true);
      if (st.strict) checkUnique(members, st, 'set member', at);
      return { type: 'set', members };
    }
    case RdbType.StreamListpacks:
    case RdbType.StreamListpacks2:
    case RdbType.StreamListpacks3:
      return readStream(cur, st, type === RdbType.StreamListpacks ? 1 : type === RdbType.StreamListpacks2 ? 2 : 3);
    case RdbType.HashMetadataPreGa:
    case RdbType.HashMetadata:
      return readHashMetadata(cur, st, type === RdbType.HashMetadata);
    case RdbType.HashListpackExPreGa:
    case RdbType.HashListpackEx:
      return readHashListpackEx(cur, st, type === RdbType.HashListpackEx);
    default:
      throw new UnsupportedError(`Unknown RDB object type ${type}`, cur.offset, st.doing, st.key);
  }
}

/**
 * Validate-only reading of sets, hashes and sorted sets: every element checked, uniqueness of members /
 * fields by hash (no Buffer per element). Undefined when the type is not handled here or two
 * hashes collided (the caller re-reads the value the exact way).
 */
function validateUnique(cur: Cursor, st: RdbFrameState, type: number): RedisValue | undefined {
  switch (type) {
    case RdbType.Set:
    case RdbType.Hash: {
      const at = cur.offset;
      const n = readLen(cur, st);
      const per = type === RdbType.Hash ? 2 : 1;
      checkDeclared(cur, st, n, per, type === RdbType.Hash ? 'hash' : 'set', at);
      const seen = seenHashes;
      seen.reset();
      let collided = false;
      for (let i = 0; i < n; i++) {
        if (seen.add(hashString(cur, st))) collided = true;
        if (per === 2) validateString(cur, st);
      }
      if (collided) return undefined;
      return type === RdbType.Hash ? { type: 'hash', entries: [] } : { type: 'set', members: [] };
    }
    case RdbType.Zset:
    case RdbType.Zset2: {
      // as readZset, without a Buffer per member
      const binary = type === RdbType.Zset2;
      const at = cur.offset;
      const n = readLen(cur, st);
      checkDeclared(cur, st, n, binary ? 9 : 2, 'sorted set', at);
      const seen = seenHashes;
      seen.reset();
      let collided = false;
      for (let i = 0; i < n; i++) {
        if (seen.add(hashString(cur, st))) collided = true;
        const scoreAt = cur.offset;
        const score = binary ? cur.f64le() : readDoubleString(cur, st);
        if (Number.isNaN(score)) throw new FormatError('Zset with NAN score detected', scoreAt, st.doing, st.key);
      }
      if (collided) return undefined;
      return { type: 'zset', entries: [] };
    }
    case RdbType.SetIntset: {
      const at = cur.offset;
      decodeIntset(readString(cur, st), at, false);
      return { type: 'set', members: [] };
    }
    case RdbType.ZsetListpack: {
      // as flatToZset, with integers left as numbers and member bytes hashed
      const at = cur.offset;
      const els = decodeListpackEntries(readString(cur, st), at, true);
      if (els.length % 2 !== 0) return undefined;
      const seen = seenHashes;
      seen.reset();
      for (let i = 0; i < els.length; i += 2) {
        const m = els[i]!;
        if (seen.add(typeof m === 'number' ? fnvInt(m) : typeof m === 'bigint' ? fnvText(m.toString()) : fnvBytes(m, 0, m.length))) return undefined;
        const s = els[i + 1]!;
        if (typeof s !== 'number' && typeof s !== 'bigint' && Number.isNaN(parseScore(s.latin1Slice()))) return undefined;
      }
      return { type: 'zset', entries: [] };
    }
    case RdbType.SetListpack:
    case RdbType.HashListpack: {
      const at = cur.offset;
      const blob = readString(cur, st);
      if (!validateListpackUnique(blob, at, type === RdbType.HashListpack ? 2 : 1)) return undefined;
      if (type === RdbType.HashListpack && lastValidatedCount() % 2 !== 0) return undefined;
      return type === RdbType.HashListpack ? { type: 'hash', entries: [] } : { type: 'set', members: [] };
    }
    default:
      return undefined;
  }
}

/** the member hashes of the collection validateUnique is reading (kept between calls) */
const seenHashes = new SeenHashes();

/** A string checked and hashed (FNV-1a of its bytes, integers as their decimal text). */
function hashString(cur: Cursor, st: RdbFrameState): number {
  const at = cur.offset;
  const b0 = cur.u8();
  if (b0 >> 6 === 3) {
    const enc = b0 & 0x3f;
    if (enc === 0) return fnvInt((cur.u8() << 24) >> 24);
    if (enc === 1) return fnvInt(cur.i16le());
    if (enc === 2) return fnvInt(cur.i32le());
    cur.pos--;
    const b = readString(cur, st); // LZF: the bytes are needed
    return fnvBytes(b, 0, b.length);
  }
  cur.pos--;
  const len = readLen(cur, st);
  if (len > cur.end - cur.pos) {
    checkDeclared(cur, st, len, 1, 'string', at);
    cur.need = cur.base + cur.pos + len;
    throw NEED_MORE;
  }
  const h = fnvBytes(cur.buf, cur.pos, cur.pos + len);
  cur.pos += len;
  return h;
}

/** the key of a validate-only item (see RdbReadOptions.validateOnly) */
const EMPTY_KEY = Buffer.alloc(0);

const EMPTY_STRING: RedisValue = Object.freeze({ type: 'string', value: Buffer.alloc(0) }) as RedisValue;

/** A string checked (LZF included) but not produced: validate-only mode. */
function validateString(cur: Cursor, st: RdbFrameState): void {
  const at = cur.offset;
  const b0 = cur.u8();
  if (b0 >> 6 === 3) {
    const enc = b0 & 0x3f;
    if (enc === 0) cur.skip(1);
    else if (enc === 1) cur.skip(2);
    else if (enc === 2) cur.skip(4);
    else if (enc === 3) {
      const clen = readLen(cur, st);
      const ulen = readLen(cur, st);
      if (clen > cur.end - cur.pos) {
        checkDeclared(cur, st, clen, 1, 'LZF string', at);
        cur.need = cur.base + cur.pos + clen;
        throw NEED_MORE;
      }
      lzfValidate(cur.buf.subarray(cur.pos, cur.pos + clen), ulen, at);
      cur.pos += clen;
    } else throw new FormatError(`Unknown RDB string encoding type ${enc}`, at, st.doing, st.key);
    return;
  }
  cur.pos--;
  const len = readLen(cur, st);
  if (len > cur.end - cur.pos) {
    checkDeclared(cur, st, len, 1, 'string', at);
    cur.need = cur.base + cur.pos + len;
    throw NEED_MORE;
  }
  cur.pos += len;
}

function readStringList(cur: Cursor, st: RdbFrameState, what: string): Buffer[] {
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, 1, what, at);
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(readString(cur, st));
  return out;
}

function checkUnique(items: Buffer[], st: RdbFrameState, what: string, at: number): void {
  const dup = findDuplicate(items);
  if (dup !== undefined) throw new FormatError(`duplicate ${what} '${printable(dup)}'`, at, st.doing, st.key);
}

/**
 * A repeated element, if any. Hashes the bytes (FNV-1a) instead of building a string per
 * element (measured: 4x faster on listpack hashes); a hash collision falls back to comparing.
 */
export function findDuplicate(items: readonly Buffer[]): Buffer | undefined {
  const n = items.length;
  if (n < 2) return undefined;
  if (n <= 8) {
    for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (items[i]!.equals(items[j]!)) return items[i];
    return undefined;
  }
  const seen = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const b = items[i]!;
    let h = 0x811c9dc5 ^ b.length;
    for (let k = 0; k < b.length; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
    const j = seen.get(h);
    if (j === undefined) seen.set(h, i);
    else if (items[j]!.equals(b)) return b;
    else return findDuplicateSlow(items);
  }
  return undefined;
}

function findDuplicateSlow(items: readonly Buffer[]): Buffer | undefined {
  const seen = new Set<string>();
  for (const it of items) {
    const k = it.latin1Slice();
    if (seen.has(k)) return it;
    seen.add(k);
  }
  return undefined;
}

function readZset(cur: Cursor, st: RdbFrameState, binary: boolean): RedisValue {
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, binary ? 9 : 2, 'sorted set', at);
  const entries: ZsetEntry[] = [];
  for (let i = 0; i < n; i++) {
    const member = readString(cur, st);
    const scoreAt = cur.offset;
    const score = binary ? cur.f64le() : readDoubleString(cur, st);
    if (Number.isNaN(score)) throw new FormatError('Zset with NAN score detected', scoreAt, st.doing, st.key);
    entries.push({ member, score });
  }
  if (st.strict) checkUnique(entries.map((e) => e.member), st, 'sorted set member', at);
  return { type: 'zset', entries };
}

function readHash(cur: Cursor, st: RdbFrameState): RedisValue {
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, 2, 'hash', at);
  const entries: HashEntry[] = [];
  for (let i = 0; i < n; i++) {
    const field = readString(cur, st);
    const value = readString(cur, st);
    entries.push({ field, value });
  }
  if (st.strict) checkUnique(entries.map((e) => e.field), st, 'hash field', at);
  return { type: 'hash', entries };
}

function pairsToHash(flat: Buffer[]): HashEntry[] {
  const entries: HashEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ field: flat[i]!, value: flat[i + 1]! });
  return entries;
}

function flatToZset(flat: Buffer[], at: number, st: RdbFrameState): ZsetEntry[] {
  if (flat.length % 2 !== 0) throw new FormatError(`sorted set blob has an odd number of elements (${flat.length})`, at, st.doing, st.key);
  const entries: ZsetEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const s = flat[i + 1]!.latin1Slice();
    const score = parseScore(s);
    if (Number.isNaN(score)) throw new FormatError(`sorted set score '${s}' is not a number`, at, st.doing, st.key);
    entries.push({ member: flat[i]!, score });
  }
  if (st.strict) checkUnique(entries.map((e) => e.member), st, 'sorted set member', at);
  return entries;
}

/** Score text as Redis writes it in ziplists/listpacks ("1.5", "inf", "-inf", "3"). */
export function parseScore(s: string): number {
  const t = s.trim();
  const v = Number(t);
  if (!Number.isNaN(v) && t !== '') return v;
  const l = t.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return parseFloat(t);
}

function readQuicklist(cur: Cursor, st: RdbFrameState, v2: boolean): Buffer[] {
  const at = cur.offset;
  const nodes = readLen(cur, st);
  checkDeclared(cur, st, nodes, v2 ? 2 : 1, 'quicklist', at);
  const items: Buffer[] = [];
  for (let i = 0; i < nodes; i++) {
    let container: number = QuicklistContainer.Packed;
    if (v2) {
      const cAt = cur.offset;
      container = readLen(cur, st);
      if (container !== QuicklistContainer.Packed && container !== QuicklistContainer.Plain) {
        throw new FormatError(`quicklist node has invalid container type ${container}`, cAt, st.doing, st.key);
      }
    }
    const nodeAt = cur.offset;
    const data = readString(cur, st);
    if (container === QuicklistContainer.Plain) {
      items.push(data);
      continue;
    }
    if (data.length === 0) throw new FormatError('quicklist node is an empty string', nodeAt, st.doing, st.key);
    if (st.validateOnly) {
      if (v2) validateListpack(data, nodeAt);
      else validateZiplist(data, nodeAt);
      continue;
    }
    const els = v2 ? decodeListpack(data, nodeAt, true) : decodeZiplist(data, nodeAt, true);
    for (const e of els) items.push(e);
  }
  return items;
}

function readHashMetadata(cur: Cursor, st: RdbFrameState, ga: boolean): RedisValue {
  const minExpire = ga ? cur.i64leNumber() : 0;
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, 3, 'hash', at);
  const entries: HashEntry[] = [];
  for (let i = 0; i < n; i++) {
    const ttlAt = cur.offset;
    const ttl = readLen(cur, st);
    const field = readString(cur, st);
    const value = readString(cur, st);
    const e: HashEntry = { field, value };
    if (ttl !== 0) {
      const expireAt = ga ? ttl + minExpire - 1 : ttl;
      if (expireAt > 0xffffffffffff) throw new FormatError(`hash field TTL ${expireAt} is out of range`, ttlAt, st.doing, st.key);
      e.expireMs = expireAt;
    }
    entries.push(e);
  }
  if (st.strict) checkUnique(entries.map((e) => e.field), st, 'hash field', at);
  return { type: 'hash', entries };
}

function readHashListpackEx(cur: Cursor, st: RdbFrameState, ga: boolean): RedisValue {
  if (ga) cur.i64leNumber(); // min expire: derivable from the triples
  const at = cur.offset;
  const blob = readString(cur, st);
  const raw = decodeListpackEntries(blob, at, true);
  if (raw.length % 3 !== 0) throw new FormatError(`hash listpack-ex has ${raw.length} elements, not a multiple of 3`, at, st.doing, st.key);
  const entries: HashEntry[] = [];
  let prev = 0;
  let sawNoTtl = false;
  for (let i = 0; i < raw.length; i += 3) {
    const ttl = raw[i + 2]!;
    if (typeof ttl !== 'number') {
      throw new FormatError('hash listpack-ex: field expiry is not an integer', at, st.doing, st.key);
    }
    const e: HashEntry = { field: entryToBuffer(raw[i]!), value: entryToBuffer(raw[i + 1]!) };
    if (ttl !== 0) {
      if (st.strict && (sawNoTtl || ttl < prev)) {
        throw new FormatError('hash listpack-ex: fields are not ordered by expiry', at, st.doing, st.key);
      }
      prev = ttl;
      e.expireMs = ttl;
    } else sawNoTtl = true;
    entries.push(e);
  }
  if (st.strict) checkUnique(entries.map((e) => e.field), st, 'hash field', at);
  return { type: 'hash', entries };
}

function readValkeyHash2(cur: Cursor, st: RdbFrameState): RedisValue {
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, 10, 'hash', at);
  const entries: HashEntry[] = [];
  for (let i = 0; i < n; i++) {
    const field = readString(cur, st);
    const value = readString(cur, st);
    const expAt = cur.offset;
    const exp = cur.i64leNumber();
    const e: HashEntry = { field, value };
    if (exp !== -1) {
      if (exp < -1) throw new FormatError(`hash field expiry ${exp} is invalid`, expAt, st.doing, st.key);
      e.expireMs = exp;
    }
    entries.push(e);
  }
  if (st.strict) checkUnique(entries.map((e) => e.field), st, 'hash field', at);
  return { type: 'hash', entries };
}

// ---------------------------------------------------------------------------------------------
// Modules

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function moduleTypeName(id: bigint): string {
  let v = id >> 10n;
  let name = '';
  for (let i = 0; i < 9; i++) {
    name = MODULE_CHARSET[Number(v & 63n)]! + name;
    v >>= 6n;
  }
  return name;
}

function skipModuleOpcodes(cur: Cursor, st: RdbFrameState): void {
  for (;;) {
    const at = cur.offset;
    const op = readLen(cur, st);
    switch (op) {
      case ModuleOpcode.Eof:
        return;
      case ModuleOpcode.Sint:
      case ModuleOpcode.Uint:
        readLenBig(cur, st);
        break;
      case ModuleOpcode.Float:
        cur.skip(4);
        break;
      case ModuleOpcode.Double:
        cur.skip(8);
        break;
      case ModuleOpcode.String:
        readString(cur, st);
        break;
      default:
        throw new FormatError(`Unknown module opcode ${op}`, at, st.doing, st.key);
    }
  }
}

function readModule(cur: Cursor, st: RdbFrameState): RedisValue {
  const rawStart = cur.pos;
  const moduleId = readLenBig(cur, st);
  skipModuleOpcodes(cur, st);
  return {
    type: 'module',
    moduleId,
    moduleName: moduleTypeName(moduleId),
    encver: Number(moduleId & 1023n),
    raw: Buffer.from(cur.buf.subarray(rawStart, cur.pos)),
  };
}

// ---------------------------------------------------------------------------------------------
// Streams

const U64 = (1n << 64n) - 1n;

function readStream(cur: Cursor, st: RdbFrameState, version: 1 | 2 | 3): StreamValue {
  const at = cur.offset;
  const nodes = readLen(cur, st);
  checkDeclared(cur, st, nodes, 18, 'stream', at);
  const entries: StreamEntry[] = [];
  for (let i = 0; i < nodes; i++) {
    const idAt = cur.offset;
    const master = readString(cur, st);
    if (master.length !== 16) throw new FormatError(`stream node key is ${master.length} bytes, expected 16`, idAt, st.doing, st.key);
    const lpAt = cur.offset;
    const lp = readString(cur, st);
    // validate-only: the node's shape (no view per string element)
    const els = st.validateOnly ? listpackShape(lp, lpAt) : decodeListpackEntries(lp, lpAt, true);
    if (els.length === 0) throw new FormatError('empty stream listpack node', lpAt, st.doing, st.key);
    // validate-only: the same checks, without the entries (no BigInt IDs, no field Buffers)
    decodeStreamNode(els, st.validateOnly ? 0n : master.readBigUInt64BE(0), st.validateOnly ? 0n : master.readBigUInt64BE(8), st.validateOnly ? undefined : entries, lpAt, st);
  }
  const length = readLen(cur, st);
  const lastId = { ms: readLenBig(cur, st), seq: readLenBig(cur, st) };
  let firstId: StreamId | undefined;
  let maxDeletedId: StreamId | undefined;
  let entriesAdded: bigint | undefined;
  if (version >= 2) {
    firstId = { ms: readLenBig(cur, st), seq: readLenBig(cur, st) };
    maxDeletedId = { ms: readLenBig(cur, st), seq: readLenBig(cur, st) };
    entriesAdded = readLenBig(cur, st);
  }
  // Redis does not compare `length` with the live entries on load (trimmed v1 streams in the
  // wild disagree), so neither do we: both are reported as read.
  const groupsAt = cur.offset;
  const ngroups = readLen(cur, st);
  checkDeclared(cur, st, ngroups, 4, 'stream groups', groupsAt);
  const groups: StreamGroup[] = [];
  for (let g = 0; g < ngroups; g++) {
    const name = readString(cur, st);
    const glast = { ms: readLenBig(cur, st), seq: readLenBig(cur, st) };
    let entriesRead: bigint | undefined;
    if (version >= 2) {
      const v = readLenBig(cur, st);
      entriesRead = v === U64 ? -1n : v;
    }
    const pelAt = cur.offset;
    const npel = readLen(cur, st);
    checkDeclared(cur, st, npel, 17, 'stream PEL', pelAt);
    const pending: StreamPendingEntry[] = [];
    const pelIndex = new Map<string, StreamPendingEntry>();
    for (let i = 0; i < npel; i++) {
      const id = readStreamId16(cur);
      const deliveryTime = cur.i64leNumber();
      const deliveryCount = readLen(cur, st);
      const pe = { id, deliveryTime, deliveryCount };
      pending.push(pe);
      pelIndex.set(`${id.ms}-${id.seq}`, pe);
    }
    const consAt = cur.offset;
    const ncons = readLen(cur, st);
    checkDeclared(cur, st, ncons, 10, 'stream consumers', consAt);
    const consumers: StreamConsumer[] = [];
    for (let c = 0; c < ncons; c++) {
      const cname = readString(cur, st);
      const seenTime = cur.i64leNumber();
      const activeTime = version >= 3 ? cur.i64leNumber() : -1;
      const cpAt = cur.offset;
      const ncp = readLen(cur, st);
      checkDeclared(cur, st, ncp, 16, 'consumer PEL', cpAt);
      const cp: StreamId[] = [];
      for (let i = 0; i < ncp; i++) {
        const idAt = cur.offset;
        const id = readStreamId16(cur);
        if (st.strict && !pelIndex.has(`${id.ms}-${id.seq}`)) {
          throw new FormatError(`consumer PEL entry ${id.ms}-${id.seq} is not in the group PEL`, idAt, st.doing, st.key);
        }
        cp.push(id);
      }
      consumers.push({ name: cname, seenTime, activeTime, pending: cp });
    }
    groups.push({ name, lastId: glast, entriesRead, pending, consumers });
  }
  return { type: 'stream', entries, length, lastId, firstId, maxDeletedId, entriesAdded, groups };
}

function lpInt(e: LpEntry | undefined, what: string, at: number, st: RdbFrameState): bigint {
  if (typeof e === 'number') return BigInt(e);
  if (typeof e === 'bigint') return e;
  throw new FormatError(`stream listpack: ${what} is not an integer`, at, st.doing, st.key);
}

/** lpInt's check, without making the BigInt */
function isLpInt(e: LpEntry | undefined, what: string, at: number, st: RdbFrameState): void {
  if (typeof e !== 'number' && typeof e !== 'bigint') throw new FormatError(`stream listpack: ${what} is not an integer`, at, st.doing, st.key);
}

const NO_FIELDS: Buffer[] = [];

function lpSmall(e: LpEntry | undefined, what: string, at: number, st: RdbFrameState): number {
  if (typeof e === 'number' && e >= 0) return e;
  throw new FormatError(`stream listpack: ${what} is not a small non-negative integer`, at, st.doing, st.key);
}

/** The entries of one stream node, appended to `out` (only checked when out is undefined). */
function decodeStreamNode(els: LpEntry[], mms: bigint, mseq: bigint, out: StreamEntry[] | undefined, at: number, st: RdbFrameState): void {
  let p = 0;
  const count = lpSmall(els[p++], 'master count', at, st);
  const deleted = lpSmall(els[p++], 'master deleted count', at, st);
  const nmf = lpSmall(els[p++], 'master field count', at, st);
  if (p + nmf + 1 > els.length) throw new FormatError('stream listpack: master entry is cut short', at, st.doing, st.key);
  const masterFields: Buffer[] = [];
  if (out) for (let i = 0; i < nmf; i++) masterFields.push(entryToBuffer(els[p++]!));
  else p += nmf;
  if (els[p++] !== 0) throw new FormatError('stream listpack: master entry terminator is not 0', at, st.doing, st.key);
  const total = count + deleted;
  let live = 0;
  for (let n = 0; n < total; n++) {
    if (p >= els.length) throw new FormatError(`stream listpack: expected ${total} entries, found ${n}`, at, st.doing, st.key);
    const entryStart = p;
    const flags = lpSmall(els[p++], 'entry flags', at, st);
    const msEl = els[p++];
    const seqEl = els[p++];
    let msd = 0n;
    let seqd = 0n;
    if (out) {
      msd = lpInt(msEl, 'entry ms delta', at, st);
      seqd = lpInt(seqEl, 'entry seq delta', at, st);
    } else {
      isLpInt(msEl, 'entry ms delta', at, st);
      isLpInt(seqEl, 'entry seq delta', at, st);
    }
    let fields: Buffer[] = NO_FIELDS;
    if (flags & 2) {
      if (p + nmf > els.length) throw new FormatError('stream listpack: entry is cut short', at, st.doing, st.key);
      if (out) {
        fields = new Array<Buffer>(nmf * 2);
        for (let i = 0; i < nmf; i++) {
          fields[2 * i] = masterFields[i]!;
          fields[2 * i + 1] = entryToBuffer(els[p++]!);
        }
      } else p += nmf;
    } else {
      const nf = lpSmall(els[p++], 'entry field count', at, st);
      if (p + 2 * nf > els.length) throw new FormatError('stream listpack: entry is cut short', at, st.doing, st.key);
      if (out) {
        fields = new Array<Buffer>(nf * 2);
        for (let i = 0; i < 2 * nf; i++) fields[i] = entryToBuffer(els[p++]!);
      } else p += 2 * nf;
    }
    const lpCount = lpSmall(els[p++], 'entry lp-count', at, st);
    if (lpCount !== p - entryStart - 1) {
      throw new FormatError(`stream listpack: entry lp-count ${lpCount} does not match its ${p - entryStart - 1} elements`, at, st.doing, st.key);
    }
    if (flags & 1) continue;
    live++;
    if (out) out.push({ id: { ms: (mms + msd) & U64, seq: (mseq + seqd) & U64 }, fields });
  }
  if (p !== els.length) throw new FormatError('stream listpack: trailing elements after the last entry', at, st.doing, st.key);
  if (live !== count) throw new FormatError(`stream listpack: master count ${count} but ${live} live entries`, at, st.doing, st.key);
}

// ---------------------------------------------------------------------------------------------
// Skimming (salvage): the outer framing of a value, with nothing inside decoded

const SKIMMED: RedisValue = { type: 'string', value: Buffer.alloc(0) };

function skipString(cur: Cursor, st: RdbFrameState): void {
  const at = cur.offset;
  const b0 = cur.u8();
  if (b0 >> 6 === 3) {
    const enc = b0 & 0x3f;
    if (enc === 0) cur.skip(1);
    else if (enc === 1) cur.skip(2);
    else if (enc === 2) cur.skip(4);
    else if (enc === 3) {
      const clen = readLen(cur, st);
      readLen(cur, st);
      checkDeclared(cur, st, clen, 1, 'LZF string', at);
      cur.skip(clen);
    } else throw new FormatError(`Unknown RDB string encoding type ${enc}`, at, st.doing, st.key);
    return;
  }
  cur.pos--;
  const len = readLen(cur, st);
  checkDeclared(cur, st, len, 1, 'string', at);
  cur.skip(len);
}

function skipStrings(cur: Cursor, st: RdbFrameState, per: number): void {
  const at = cur.offset;
  const n = readLen(cur, st);
  checkDeclared(cur, st, n, per, 'collection', at);
  for (let i = 0; i < n * per; i++) skipString(cur, st);
}

function skimValue(cur: Cursor, st: RdbFrameState, type: number): RedisValue {
  if (st.magic === 'VALKEY' && type === RdbType.ValkeyHash2) {
    const n = readLen(cur, st);
    for (let i = 0; i < n; i++) {
      skipString(cur, st);
      skipString(cur, st);
      cur.skip(8);
    }
    return SKIMMED;
  }
  switch (type) {
    case RdbType.String:
    case RdbType.HashZipmap:
    case RdbType.ListZiplist:
    case RdbType.SetIntset:
    case RdbType.ZsetZiplist:
    case RdbType.HashZiplist:
    case RdbType.HashListpack:
    case RdbType.ZsetListpack:
    case RdbType.SetListpack:
    case RdbType.HashListpackExPreGa:
      skipString(cur, st);
      break;
    case RdbType.HashListpackEx:
      cur.skip(8);
      skipString(cur, st);
      break;
    case RdbType.List:
    case RdbType.Set:
    case RdbType.ListQuicklist:
      skipStrings(cur, st, 1);
      break;
    case RdbType.Hash:
      skipStrings(cur, st, 2);
      break;
    case RdbType.Zset:
    case RdbType.Zset2: {
      const n = readLen(cur, st);
      for (let i = 0; i < n; i++) {
        skipString(cur, st);
        if (type === RdbType.Zset2) cur.skip(8);
        else {
          const l = cur.u8();
          if (l < 253) cur.skip(l);
        }
      }
      break;
    }
    case RdbType.ListQuicklist2: {
      const n = readLen(cur, st);
      for (let i = 0; i < n; i++) {
        readLen(cur, st);
        skipString(cur, st);
      }
      break;
    }
    case RdbType.HashMetadataPreGa:
    case RdbType.HashMetadata: {
      if (type === RdbType.HashMetadata) cur.skip(8);
      const n = readLen(cur, st);
      for (let i = 0; i < n; i++) {
        readLen(cur, st);
        skipString(cur, st);
        skipString(cur, st);
      }
      break;
    }
    case RdbType.Module2:
      readLenBig(cur, st);
      skipModuleOpcodes(cur, st);
      break;
    case RdbType.StreamListpacks:
    case RdbType.StreamListpacks2:
    case RdbType.StreamListpacks3: {
      const v = type === RdbType.StreamListpacks ? 1 : type === RdbType.StreamListpacks2 ? 2 : 3;
      skipStrings(cur, st, 2);
      readLen(cur, st);
      readLenBig(cur, st);
      readLenBig(cur, st);
      if (v >= 2) for (let i = 0; i < 5; i++) readLenBig(cur, st);
      const groups = readLen(cur, st);
      for (let g = 0; g < groups; g++) {
        skipString(cur, st);
        readLenBig(cur, st);
        readLenBig(cur, st);
        if (v >= 2) readLenBig(cur, st);
        const pel = readLen(cur, st);
        checkDeclared(cur, st, pel, 17, 'stream PEL', cur.offset);
        for (let i = 0; i < pel; i++) {
          cur.skip(24);
          readLen(cur, st);
        }
        const cons = readLen(cur, st);
        for (let c = 0; c < cons; c++) {
          skipString(cur, st);
          cur.skip(v >= 3 ? 16 : 8);
          const n = readLen(cur, st);
          checkDeclared(cur, st, n, 16, 'consumer PEL', cur.offset);
          cur.skip(16 * n);
        }
      }
      break;
    }
    default:
      throw new UnsupportedError(`Unknown RDB object type ${type}`, cur.offset, st.doing, st.key);
  }
  return SKIMMED;
}

// ---------------------------------------------------------------------------------------------
// Streaming driver

export type RdbItemHandler = (item: RdbItem) => void;

/**
 * Feeds chunks of an RDB image to the framer and hands each complete item to `onItem`.
 * Synchronous; the I/O layer loops over its chunks and calls `push`, then `finish`.
 * After the EOF item, `rest()` returns the bytes that followed the image (an AOF tail).
 */
export class RdbStreamReader {
  readonly st = new RdbFrameState();
  private readonly carry: CarryBuffer;
  private readonly cur = new Cursor(Buffer.alloc(0));
  private readonly crc = new Crc64();
  private crcPos: number;
  private retryAt = 0;
  private done = false;
  private readonly verify: boolean;
  private readonly externalCrc: boolean;
  /** absolute offset where the image ended (after EOF + checksum) */
  endOffset = -1;
  /** absolute offset of the last committed item's end */
  committed: number;
  /** extent of the item being handed to onItem (valid during the call) */
  itemStart = 0;
  itemEnd = 0;
  private readonly salvage: boolean;

  constructor(
    private readonly onItem: RdbItemHandler,
    opts: RdbReadOptions = {},
  ) {
    const start = opts.startOffset ?? 0;
    this.carry = new CarryBuffer(start);
    this.carry.reuse = opts.itemsNotKept ?? false;
    this.crcPos = start;
    this.committed = start;
    if (opts.totalSize !== undefined) this.st.limit = opts.totalSize;
    this.st.strict = opts.strict ?? true;
    this.st.borrow = opts.borrow ?? false;
    this.st.validateOnly = opts.validateOnly ?? false;
    this.salvage = opts.salvage ?? false;
    this.externalCrc = opts.externalCrc ?? false;
    this.verify = !this.salvage && (opts.verifyChecksum ?? true);
  }

  /** The raw bytes of the item being handed to onItem (a view, valid during the call). */
  raw(): Buffer {
    const c = this.carry;
    return c.buf.subarray(this.itemStart - c.base, this.itemEnd - c.base);
  }

  get finished(): boolean {
    return this.done;
  }

  push(chunk: Buffer): void {
    if (this.done) {
      this.carry.push(chunk);
      return;
    }
    this.flushCrc();
    this.carry.push(chunk);
    if (this.carry.endOffset < this.retryAt) return;
    this.drain(false);
  }

  /** Call at end of input. Throws TruncatedError if the image is incomplete. */
  finish(): void {
    if (this.done) return;
    this.drain(true);
    if (!this.done) {
      throw new TruncatedError(
        `Unexpected EOF reading RDB file${this.st.key ? '' : ''}: the RDB image ends without its EOF opcode`,
        this.carry.endOffset,
        this.committed,
        this.st.doing,
        this.st.key,
      );
    }
  }

  /** Bytes buffered after the end of the image. */
  rest(): Buffer {
    const c = this.carry;
    while (c.bridging) c.more();
    return c.buf.subarray(c.start, c.end);
  }

  private flushCrc(): void {
    if (this.externalCrc) return;
    const c = this.carry;
    const from = this.crcPos - c.base;
    const to = c.start;
    if (to > from) {
      this.crc.update(c.buf, from, to);
      this.crcPos = c.base + to;
    }
  }

  private drain(atEof: boolean): void {
    const c = this.carry;
    const cur = this.cur;
    for (;;) {
      cur.reset(c.buf, c.start, c.end, c.base);
      const startAbs = c.offset;
      let item: RdbItem;
      try {
        try {
          item = readRdbItem(cur, this.st);
        } catch (e) {
          if (!this.salvage || !isValueDamage(e, this.st)) throw e;
          item = this.skimDamaged(cur, startAbs, e as FormatError);
        }
      } catch (e) {
        if (e !== NEED_MORE) {
          if (e instanceof TruncatedError && e.okUpTo < 0) e.okUpTo = this.committed;
          throw e;
        }
        if (c.bridging) {
          // the rest of a bridged chunk is already here: move on to it (CRC first)
          this.flushCrc();
          c.more();
          continue;
        }
        if (atEof) throw this.truncated(cur);
        // wait for the declared bytes, or until the buffered record has doubled
        const span = c.endOffset - startAbs;
        this.retryAt = Math.max(cur.need, startAbs + span * 2);
        return;
      }
      this.itemStart = startAbs;
      this.itemEnd = cur.offset;
      c.consumeTo(cur.offset);
      this.committed = cur.offset;
      if (item.kind === 'eof') {
        this.finishEof(item, startAbs);
        this.onItem(item);
        return;
      }
      this.onItem(item);
    }
  }

  /** Salvage: read the record again walking only its framing; NEED_MORE propagates. */
  private skimDamaged(cur: Cursor, startAbs: number, error: FormatError): RdbItem {
    const c = this.carry;
    const db = this.st.db;
    cur.reset(c.buf, startAbs - c.base, c.end, c.base);
    this.st.skimValues = true;
    let item: RdbItem;
    try {
      item = readRdbItem(cur, this.st);
    } catch (e) {
      if (e === NEED_MORE) throw e;
      throw error; // the framing is broken too: report the first error
    } finally {
      this.st.skimValues = false;
    }
    if (item.kind !== 'key') throw error;
    return { kind: 'damaged', offset: startAbs, end: cur.offset, db, key: item.entry.key, error };
  }

  private truncated(cur: Cursor): TruncatedError {
    const st = this.st;
    return new TruncatedError(
      `Unexpected EOF reading RDB file (${st.key ? 'inside a key record' : 'inside a record'}; ${cur.need - this.carry.endOffset} more bytes were needed)`,
      this.carry.endOffset,
      this.committed,
      st.doing,
      st.key,
    );
  }

  private finishEof(item: RdbEof, eofOffset: number): void {
    // checksum covers magic .. EOF opcode inclusive
    const c = this.carry;
    const opEnd = eofOffset + 1;
    // what follows the image is handed out by rest(), with no promise on how long it is kept
    c.reuse = false;
    if (this.externalCrc) {
      this.done = true;
      this.endOffset = item.end;
      return;
    }
    const from = this.crcPos - c.base;
    const to = opEnd - c.base;
    if (to > from) this.crc.update(c.buf, from, to);
    this.crcPos = opEnd;
    item.computedCrc = this.crc.hex();
    if (item.checksum === 'ok' && item.storedCrc !== item.computedCrc) {
      item.checksum = 'mismatch';
      if (this.verify) {
        throw new FormatError(
          `RDB CRC error: stored checksum ${item.storedCrc} but the content hashes to ${item.computedCrc}`,
          eofOffset + 1,
          'check-sum',
        );
      }
    }
    this.done = true;
    this.endOffset = item.end;
  }
}

/** A decoding error inside a key's value (not a truncation, not an unknown type). */
function isValueDamage(e: unknown, st: RdbFrameState): boolean {
  return (
    e instanceof FormatError &&
    !(e instanceof TruncatedError) &&
    !(e instanceof UnsupportedError) &&
    st.headerDone &&
    (e.doing === 'read-object-value' || e.doing === 'read-key')
  );
}

function printable(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '\\x' + x.toString(16).padStart(2, '0');
  return s;
}
