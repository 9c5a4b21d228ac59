// The fast path of `convert --to aof`: RDB key records straight to the RESP commands that
// entryToCommands would emit for them, byte for byte, without building a KeyEntry, a Buffer
// per element or an argument array. On one thread, validating and then transcoding costs
// about what decoding everything did; the gain is that the two halves can run on two threads
// (convert/transcode-pool.ts).
//
// The records have already been validated by the reader (convert runs it validate-only, as
// `check` does, and fails the whole conversion on any error), so this walk only frames: it
// reads lengths and copies bytes. Anything it does not know how to copy (streams, modules,
// old ziplist types, hash field TTLs, odd length encodings) goes through the generic path
// (readRdbItem + entryToCommands) for that record, so the output is the same either way; a
// test compares the two on every RDB fixture.
//
// Records arrive one by one as byte ranges (a view of the input, or of a file window the
// worker read itself): the expire/idle/freq opcodes, the type byte, the key and the value.

import { Cursor } from '../codec/cursor.js';
import { RdbFrameState, parseScore, readRdbItem } from '../codec/rdb-reader.js';
import { RdbType, QuicklistContainer } from '../codec/rdb-types.js';
import { RespWriter } from '../codec/resp-writer.js';
import { lzfDecompress, lzfDecompressInto } from '../codec/lzf.js';
import { readInt64LE } from '../codec/listpack.js';
import type { KeyEntry } from '../model/value.js';
import { entryToCommands, formatScore, ITEMS_PER_COMMAND } from './entry-to-commands.js';

/** The fast path met something it leaves to the generic one (the record is redone there). */
const FALLBACK = Object.freeze({ fallback: true as const });

const CRLF_SET = Buffer.from('*3\r\n$3\r\nSET\r\n', 'latin1');

// The string the last strAt() framed: a byte range, an integer, or LZF data.
const S_RAW = 0;
const S_INT = 1;
const S_LZF = 2;
let sKind = 0;
let sStart = 0;
let sLen = 0;
let sInt = 0;
let sClen = 0;

export class RecordTranscoder {
  private w: RespWriter;
  private readonly chunk: number;
  private readonly st = new RdbFrameState();
  private readonly cur = new Cursor(Buffer.alloc(0));
  /** the key of the record being written: kb[ks, ke) */
  private kb: Buffer = Buffer.alloc(0);
  private ks = 0;
  private ke = 0;

  constructor(version: number, magic: 'REDIS' | 'VALKEY', strict: boolean, chunk = 1 << 20) {
    this.chunk = chunk;
    this.w = new RespWriter(chunk);
    this.st.version = version;
    this.st.magic = magic;
    this.st.headerDone = true;
    this.st.strict = strict;
    this.st.borrow = true;
  }

  /** Append the commands of the record b[start, end) (at absolute input offset `offset`). */
  record(b: Buffer, start: number, end: number, db: number, select: boolean, offset: number): void {
    if (select) this.w.push(['SELECT', String(db)]);
    const mark = this.w.length;
    let done = false;
    try {
      done = this.fast(b, start, end);
    } catch {
      // FALLBACK, or a read past the record (it cannot happen to a validated record; if it
      // did, the generic path decodes it again with every check and names the damage)
    }
    if (!done) {
      this.w.truncate(mark);
      this.slow(b, start, end, db, offset);
    }
  }

  /** Append bytes that are RESP already (commands the caller made). */
  raw(bytes: Uint8Array): void {
    this.w.pushRaw(bytes);
  }

  /** bytes appended so far and not taken */
  get length(): number {
    return this.w.length;
  }

  /**
   * The commands appended since the last take. The bytes stay valid (the writer never writes
   * over bytes it handed out); with `fresh`, they start an ArrayBuffer of their own (to be
   * transferred to another thread) and the next records go to a new one of `nextSize` bytes
   * (or to `reuse`, a buffer given back).
   */
  take(fresh = false, nextSize = this.chunk, reuse?: Buffer): Buffer {
    const out = this.w.take();
    if (fresh) this.w = new RespWriter(Math.max(16, nextSize), reuse);
    return out;
  }

  private slow(batch: Buffer, start: number, end: number, db: number, offset: number): void {
    this.st.db = db;
    this.st.limit = offset + (end - start);
    this.cur.reset(batch, start, end, offset - start);
    const item = readRdbItem(this.cur, this.st);
    if (item.kind !== 'key' || this.cur.pos !== end) throw new Error(`internal: record at offset ${offset} is not one key`);
    entryToCommands(item.entry, (a) => this.w.push(a));
  }

  /** false (or FALLBACK thrown) when the record is not one the fast path copies */
  private fast(b: Buffer, p: number, end: number): boolean {
    let expireMs = -1;
    for (;;) {
      const op = b[p]!;
      if (op === 0xfc) {
        const v = readInt64LE(b, p + 1);
        if (typeof v !== 'number') return false;
        expireMs = v;
        p += 9;
      } else if (op === 0xfd) {
        expireMs = b.readInt32LE(p + 1) * 1000;
        p += 5;
      } else if (op === 0xf8) {
        p = lenAt(b, p + 1);
      } else if (op === 0xf9) {
        p += 2;
      } else break;
    }
    const type = b[p++]!;
    switch (type) {
      case RdbType.String:
      case RdbType.List:
      case RdbType.Set:
      case RdbType.Hash:
      case RdbType.Zset2:
      case RdbType.SetIntset:
      case RdbType.HashListpack:
      case RdbType.ZsetListpack:
      case RdbType.ListQuicklist2:
      case RdbType.SetListpack:
        break;
      default:
        return false;
    }
    // the key: a view of the record, or its decoded text
    p = strAt(b, p);
    if (sKind === S_RAW) {
      this.kb = b;
      this.ks = sStart;
      this.ke = sStart + sLen;
    } else {
      this.kb = materialize(b, sKind);
      this.ks = 0;
      this.ke = this.kb.length;
    }
    const w = this.w;
    switch (type) {
      case RdbType.String: {
        p = strAt(b, p);
        if (sKind === S_RAW) {
          // the common case in one room check: SET, key, value
          const buf = w.room(CRLF_SET.length + (this.ke - this.ks) + sLen + 32);
          let q = w.end;
          buf.set(CRLF_SET, q);
          q = bulk(buf, q + CRLF_SET.length, this.kb, this.ks, this.ke);
          w.end = bulk(buf, q, b, sStart, sStart + sLen);
        } else {
          const buf = w.room(CRLF_SET.length + (this.ke - this.ks) + 16);
          buf.set(CRLF_SET, w.end);
          w.end = bulk(buf, w.end + CRLF_SET.length, this.kb, this.ks, this.ke);
          this.framed(b);
        }
        break;
      }
      case RdbType.List:
      case RdbType.Set:
      case RdbType.Hash: {
        // plain encodings: a count, then that many strings (field-value pairs for a hash)
        const n = lenOf(b, p);
        p = lenEnd;
        const unit = type === RdbType.Hash ? 2 : 1;
        const cmd = type === RdbType.List ? RPUSH : type === RdbType.Set ? SADD : HMSET;
        let left = n;
        while (left > 0) {
          const m = Math.min(left, ITEMS_PER_COMMAND);
          this.head(cmd, unit * m);
          for (let i = 0; i < unit * m; i++) p = this.str(b, p);
          left -= m;
        }
        break;
      }
      case RdbType.Zset2: {
        const n = lenOf(b, p);
        p = lenEnd;
        let left = n;
        while (left > 0) {
          const m = Math.min(left, ITEMS_PER_COMMAND);
          this.head(ZADD, 2 * m);
          for (let i = 0; i < m; i++) {
            // member, then its score: ZADD wants the score first (nothing below frames
            // another string before the member is written, so strAt's fields stay its own)
            const q = strAt(b, p);
            this.text(formatScore(b.readDoubleLE(q)));
            this.framed(b);
            p = q + 8;
          }
          left -= m;
        }
        break;
      }
      case RdbType.SetIntset: {
        p = strAt(b, p);
        const blob = sKind === S_RAW ? b.subarray(sStart, sStart + sLen) : materialize(b, sKind);
        this.intset(blob);
        break;
      }
      case RdbType.SetListpack:
      case RdbType.HashListpack:
      case RdbType.ZsetListpack: {
        p = strAt(b, p);
        const blob = sKind === S_RAW ? b.subarray(sStart, sStart + sLen) : materialize(b, sKind);
        const count = lpCount(blob);
        if (type === RdbType.SetListpack) this.lpItems([blob], count, SADD, 1);
        else if (type === RdbType.HashListpack) this.lpItems([blob], count, HMSET, 2);
        else this.lpZset(blob, count);
        break;
      }
      case RdbType.ListQuicklist2: {
        const nodes = lenOf(b, p);
        p = lenEnd;
        // the batches of 64 run across nodes, so count first: PLAIN nodes are single items
        const blobs: Buffer[] = [];
        let total = 0;
        for (let i = 0; i < nodes; i++) {
          const container = lenOf(b, p);
          p = strAt(b, lenEnd);
          const blob = sKind === S_RAW ? b.subarray(sStart, sStart + sLen) : materialize(b, sKind);
          if (container === QuicklistContainer.Plain) {
            blobs.push(PLAIN_MARK, blob);
            total++;
          } else {
            blobs.push(blob);
            total += lpCount(blob);
          }
        }
        this.lpItems(blobs, total, RPUSH, 1);
        break;
      }
    }
    if (p !== end) throw FALLBACK;
    if (expireMs !== -1) {
      this.head(PEXPIREAT, 1);
      this.text(String(expireMs));
    }
    return true;
  }

  /** `*<2+n>` and the command name and key */
  private head(cmd: Buffer, n: number): void {
    const buf = this.w.room(cmd.length + (this.ke - this.ks) + 32);
    let q = this.w.end;
    buf[q++] = 0x2a;
    q = decimal(buf, q, 2 + n);
    buf[q++] = 0x0d;
    buf[q++] = 0x0a;
    buf.set(cmd, q);
    q += cmd.length;
    this.w.end = bulk(buf, q, this.kb, this.ks, this.ke);
  }

  /** one RDB string at p as a bulk string; returns where it ended */
  private str(b: Buffer, p: number): number {
    const q = strAt(b, p);
    this.framed(b);
    return q;
  }

  /** the string strAt framed last as a bulk string (LZF decompressed in place) */
  private framed(b: Buffer): void {
    if (sKind === S_RAW) this.bytes(b, sStart, sStart + sLen);
    else if (sKind === S_INT) this.text(String(sInt));
    else {
      const n = sLen;
      const buf = this.w.room(n + 32);
      let q = this.w.end;
      buf[q++] = 0x24;
      q = decimal(buf, q, n);
      buf[q++] = 0x0d;
      buf[q++] = 0x0a;
      lzfDecompressInto(b, sStart, sStart + sClen, buf, q, n, 0);
      q += n;
      buf[q++] = 0x0d;
      buf[q++] = 0x0a;
      this.w.end = q;
    }
  }

  private bytes(src: Uint8Array, s: number, e: number): void {
    const buf = this.w.room(e - s + 16);
    this.w.end = bulk(buf, this.w.end, src, s, e);
  }

  private text(t: string): void {
    const buf = this.w.room(t.length + 16);
    this.w.end = bulkText(buf, this.w.end, t);
  }

  private intset(blob: Buffer): void {
    const width = blob.readUInt32LE(0);
    const n = blob.readUInt32LE(4);
    if ((width !== 2 && width !== 4 && width !== 8) || 8 + n * width !== blob.length) throw FALLBACK;
    let p = 8;
    let left = n;
    while (left > 0) {
      const m = Math.min(left, ITEMS_PER_COMMAND);
      this.head(SADD, m);
      for (let i = 0; i < m; i++, p += width) {
        const v = width === 2 ? blob.readInt16LE(p) : width === 4 ? blob.readInt32LE(p) : readInt64LE(blob, p);
        this.text(String(v));
      }
      left -= m;
    }
  }

  /** the elements of listpacks (PLAIN_MARK + blob: one plain item) in commands of 64 units */
  private lpItems(blobs: Buffer[], total: number, cmd: Buffer, unit: number): void {
    if (total % unit !== 0) throw FALLBACK;
    const perCmd = ITEMS_PER_COMMAND * unit;
    let inCmd = perCmd;
    let left = total;
    for (let k = 0; k < blobs.length; k++) {
      const blob = blobs[k]!;
      if (blob === PLAIN_MARK) {
        const item = blobs[++k]!;
        if (inCmd === perCmd) {
          this.head(cmd, Math.min(left, perCmd));
          inCmd = 0;
        }
        this.bytes(item, 0, item.length);
        inCmd++;
        left--;
        continue;
      }
      let p = 6;
      for (;;) {
        const e = blob[p];
        if (e === 0xff || e === undefined) break;
        if (inCmd === perCmd) {
          this.head(cmd, Math.min(left, perCmd));
          inCmd = 0;
        }
        p = this.lpElement(blob, p);
        inCmd++;
        left--;
      }
    }
    if (left !== 0) throw FALLBACK;
  }

  private lpZset(blob: Buffer, count: number): void {
    if (count % 2 !== 0) throw FALLBACK;
    let left = count / 2;
    let p = 6;
    while (left > 0) {
      const m = Math.min(left, ITEMS_PER_COMMAND);
      this.head(ZADD, 2 * m);
      for (let i = 0; i < m; i++) {
        const memberAt = p;
        p = lpEntryAt(blob, p);
        // the score, as the generic path reads it: its text through parseScore
        lpEntryAt(blob, p);
        const t = lpIsStr ? blob.latin1Slice(lpStart, lpStart + lpLen) : String(lpInt);
        const score = parseScore(t);
        if (Number.isNaN(score)) throw FALLBACK;
        this.text(formatScore(score));
        this.lpElement(blob, memberAt);
        p = lpEntryAt(blob, p);
      }
      left -= m;
    }
  }

  /** one listpack element at p as a bulk string; returns the next element's position */
  private lpElement(blob: Buffer, p: number): number {
    const next = lpEntryAt(blob, p);
    if (lpIsStr) this.bytes(blob, lpStart, lpStart + lpLen);
    else this.text(String(lpInt));
    return next;
  }
}

/** One record's key entry, decoded in full (for the few keys the main thread writes itself). */
export function decodeRecord(raw: Buffer, version: number, magic: 'REDIS' | 'VALKEY', strict: boolean, db: number, offset: number): KeyEntry {
  const st = new RdbFrameState();
  st.version = version;
  st.magic = magic;
  st.headerDone = true;
  st.strict = strict;
  st.db = db;
  st.limit = offset + raw.length;
  const item = readRdbItem(new Cursor(raw, 0, raw.length, offset), st);
  if (item.kind !== 'key') throw new Error(`internal: record at offset ${offset} is not a key`);
  return item.entry;
}

const RPUSH = Buffer.from('$5\r\nRPUSH\r\n', 'latin1');
const SADD = Buffer.from('$4\r\nSADD\r\n', 'latin1');
const HMSET = Buffer.from('$5\r\nHMSET\r\n', 'latin1');
const ZADD = Buffer.from('$4\r\nZADD\r\n', 'latin1');
const PEXPIREAT = Buffer.from('$9\r\nPEXPIREAT\r\n', 'latin1');
/** stands before a PLAIN quicklist node in lpItems' list */
const PLAIN_MARK = Buffer.alloc(0);

// ---------------------------------------------------------------------------------------------
// framing primitives (trusted input; anything unexpected falls back to the generic path)

let lenEnd = 0;

/** an RDB length at p (sets lenEnd) */
function lenOf(b: Buffer, p: number): number {
  const b0 = b[p]!;
  const kind = b0 >> 6;
  if (kind === 0) {
    lenEnd = p + 1;
    return b0 & 0x3f;
  }
  if (kind === 1) {
    lenEnd = p + 2;
    return ((b0 & 0x3f) << 8) | b[p + 1]!;
  }
  if (b0 === 0x80) {
    lenEnd = p + 5;
    return b.readUInt32BE(p + 1);
  }
  if (b0 === 0x81) {
    const hi = b.readUInt32BE(p + 1);
    if (hi >= 0x200000) throw FALLBACK;
    lenEnd = p + 9;
    return hi * 4294967296 + b.readUInt32BE(p + 5);
  }
  throw FALLBACK;
}

function lenAt(b: Buffer, p: number): number {
  lenOf(b, p);
  return lenEnd;
}

/** frame the RDB string at p (sets sKind and its fields); returns where it ends */
function strAt(b: Buffer, p: number): number {
  const b0 = b[p]!;
  if (b0 >> 6 !== 3) {
    const n = lenOf(b, p);
    sKind = S_RAW;
    sStart = lenEnd;
    sLen = n;
    const e = lenEnd + n;
    if (e > b.length) throw FALLBACK;
    return e;
  }
  switch (b0 & 0x3f) {
    case 0:
      sKind = S_INT;
      sInt = (b[p + 1]! << 24) >> 24;
      return p + 2;
    case 1:
      sKind = S_INT;
      sInt = b.readInt16LE(p + 1);
      return p + 3;
    case 2:
      sKind = S_INT;
      sInt = b.readInt32LE(p + 1);
      return p + 5;
    case 3: {
      const clen = lenOf(b, p + 1);
      const ulen = lenOf(b, lenEnd);
      sKind = S_LZF;
      sStart = lenEnd;
      sClen = clen;
      sLen = ulen;
      const e = lenEnd + clen;
      if (e > b.length) throw FALLBACK;
      return e;
    }
    default:
      throw FALLBACK;
  }
}

/** the string strAt framed last, as bytes (an int as its text, LZF decompressed) */
function materialize(b: Buffer, kind: number): Buffer {
  if (kind === S_RAW) return b.subarray(sStart, sStart + sLen);
  if (kind === S_INT) return Buffer.from(String(sInt), 'latin1');
  return lzfDecompress(b.subarray(sStart, sStart + sClen), sLen, 0);
}

/** `$len\r\n` + src[s, e) + `\r\n` at q (room checked); returns the new end */
function bulk(out: Buffer, q: number, src: Uint8Array, s: number, e: number): number {
  const n = e - s;
  out[q++] = 0x24;
  q = decimal(out, q, n);
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  if (n < 48) for (let k = s; k < e; k++) out[q++] = src[k]!;
  else {
    out.set(src.subarray(s, e), q);
    q += n;
  }
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  return q;
}

/** an ASCII text as a bulk string */
function bulkText(out: Buffer, q: number, t: string): number {
  const n = t.length;
  out[q++] = 0x24;
  q = decimal(out, q, n);
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  for (let k = 0; k < n; k++) out[q++] = t.charCodeAt(k);
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  return q;
}

function decimal(out: Buffer, q: number, n: number): number {
  if (n < 10) {
    out[q] = 0x30 + n;
    return q + 1;
  }
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  let k = q + d - 1;
  for (; n >= 10; n = Math.floor(n / 10)) out[k--] = 0x30 + (n % 10);
  out[k] = 0x30 + n;
  return q + d;
}

// listpack element framing: lpEntryAt sets these
let lpIsStr = false;
let lpStart = 0;
let lpLen = 0;
let lpInt: number | bigint = 0;

/** the element at p (sets lpIsStr/lpStart/lpLen or lpInt); returns the next element's position */
function lpEntryAt(buf: Buffer, p: number): number {
  const b = buf[p]!;
  let l: number;
  if (b < 0x80) {
    lpIsStr = false;
    lpInt = b;
    l = 1;
  } else if (b < 0xc0) {
    lpIsStr = true;
    lpStart = p + 1;
    lpLen = b & 0x3f;
    l = 1 + lpLen;
  } else if (b < 0xe0) {
    lpIsStr = false;
    const u = ((b & 0x1f) << 8) | buf[p + 1]!;
    lpInt = u >= 4096 ? u - 8192 : u;
    l = 2;
  } else if (b < 0xf0) {
    lpIsStr = true;
    lpStart = p + 2;
    lpLen = ((b & 0x0f) << 8) | buf[p + 1]!;
    l = 2 + lpLen;
  } else if (b === 0xf0) {
    lpIsStr = true;
    lpStart = p + 5;
    lpLen = buf.readUInt32LE(p + 1);
    l = 5 + lpLen;
  } else if (b === 0xf1) {
    lpIsStr = false;
    lpInt = buf.readInt16LE(p + 1);
    l = 3;
  } else if (b === 0xf2) {
    lpIsStr = false;
    lpInt = buf.readIntLE(p + 1, 3);
    l = 4;
  } else if (b === 0xf3) {
    lpIsStr = false;
    lpInt = buf.readInt32LE(p + 1);
    l = 5;
  } else if (b === 0xf4) {
    lpIsStr = false;
    lpInt = readInt64LE(buf, p + 1);
    l = 9;
  } else throw FALLBACK;
  const next = p + l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
  if (next >= buf.length) throw FALLBACK;
  return next;
}

/** elements of a listpack: the header's count, or a walk when it says "unknown" */
function lpCount(blob: Buffer): number {
  if (blob.length < 7) throw FALLBACK;
  const n = blob.readUInt16LE(4);
  if (n !== 0xffff) return n;
  let c = 0;
  for (let p = 6; blob[p] !== 0xff; p = lpEntryAt(blob, p)) c++;
  return c;
}
