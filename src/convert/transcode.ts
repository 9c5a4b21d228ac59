// The fast path of `convert --to aof`: RDB key records straight to the RESP commands that
// entryToCommands would emit for them, byte for byte, without building a KeyEntry, a Buffer
// per element or an argument array. On one thread, validating and then transcoding costs
// about what decoding everything did; the gain is that the two halves can run on two threads
// (convert/transcode-pool.ts).
//
// The records have already been validated by the reader (convert runs it validate-only, as
// `check` does, and fails the whole conversion on any error), so this walk only frames: it
// reads lengths and copies bytes. Anything it does not know how to copy (modules,
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
import { copyBytes, writeView } from '../codec/bytes.js';
import type { KeyEntry } from '../model/value.js';
import { entryToCommands, formatScore, ITEMS_PER_COMMAND } from './entry-to-commands.js';

/** The RDB types the fast path copies (the others go through the generic path). */
export const FAST_TYPES: ReadonlySet<number> = new Set([
  RdbType.String,
  RdbType.List,
  RdbType.Set,
  RdbType.Hash,
  RdbType.Zset2,
  RdbType.SetIntset,
  RdbType.HashListpack,
  RdbType.ZsetListpack,
  RdbType.ListQuicklist2,
  RdbType.SetListpack,
  RdbType.StreamListpacks,
  RdbType.StreamListpacks2,
  RdbType.StreamListpacks3,
]);

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
  /** records the generic path wrote (the fast path does not copy their type, or fell back) */
  generic = 0;
  /** LZF-compressed blobs (listpacks, intsets) are decompressed here, one at a time */
  private scratch: Buffer = Buffer.alloc(0);

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
    this.generic++;
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
    if (!FAST_TYPES.has(type)) return false;
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
          let q = setHead(buf, w.end);
          q = bulk(buf, q, this.kb, this.ks, this.ke);
          w.end = bulk(buf, q, b, sStart, sStart + sLen);
        } else {
          const buf = w.room(CRLF_SET.length + (this.ke - this.ks) + 16);
          w.end = bulk(buf, setHead(buf, w.end), this.kb, this.ks, this.ke);
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
        this.itemsBegin(type === RdbType.List ? RPUSH : type === RdbType.Set ? SADD : HMSET, unit);
        for (let i = 0; i < unit * n; i++) {
          this.item();
          p = this.str(b, p);
        }
        this.itemsEnd();
        break;
      }
      case RdbType.Zset2: {
        const n = lenOf(b, p);
        p = lenEnd;
        this.itemsBegin(ZADD, 2);
        for (let i = 0; i < n; i++) {
          // member, then its score: ZADD wants the score first (nothing below frames
          // another string before the member is written, so strAt's fields stay its own)
          const q = strAt(b, p);
          this.item();
          this.score(b.readDoubleLE(q));
          this.item();
          this.framed(b);
          p = q + 8;
        }
        this.itemsEnd();
        break;
      }
      case RdbType.SetIntset:
      case RdbType.SetListpack:
      case RdbType.HashListpack:
      case RdbType.ZsetListpack: {
        p = strAt(b, p);
        const [blob, s, e] = this.blob(b);
        if (type === RdbType.SetIntset) this.intset(blob, s, e);
        else if (type === RdbType.ZsetListpack) this.lpZset(blob, s, e);
        else {
          this.itemsBegin(type === RdbType.SetListpack ? SADD : HMSET, type === RdbType.SetListpack ? 1 : 2);
          this.lpItems(blob, s, e);
          this.itemsEnd();
        }
        break;
      }
      case RdbType.ListQuicklist2: {
        const nodes = lenOf(b, p);
        p = lenEnd;
        // the commands of 64 items run across nodes (PLAIN nodes are single items)
        this.itemsBegin(RPUSH, 1);
        for (let i = 0; i < nodes; i++) {
          const container = lenOf(b, p);
          p = strAt(b, lenEnd);
          const [blob, s, e] = this.blob(b);
          if (container === QuicklistContainer.Plain) {
            this.item();
            this.bytes(blob, s, e);
          } else this.lpItems(blob, s, e);
        }
        this.itemsEnd();
        break;
      }
      case RdbType.StreamListpacks:
      case RdbType.StreamListpacks2:
      case RdbType.StreamListpacks3:
        p = this.stream(b, p, type === RdbType.StreamListpacks ? 1 : type === RdbType.StreamListpacks2 ? 2 : 3);
        break;
    }
    if (p !== end) throw FALLBACK;
    if (expireMs !== -1) {
      this.head(PEXPIREAT, 1);
      this.int(expireMs);
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

  /** the string strAt framed last as a blob: a view of b, or LZF decompressed into scratch */
  private blob(b: Buffer): [Buffer, number, number] {
    if (sKind === S_RAW) return [b, sStart, sStart + sLen];
    if (sKind === S_INT) throw FALLBACK;
    if (this.scratch.length < sLen) this.scratch = Buffer.allocUnsafe(Math.max(sLen, 2 * this.scratch.length));
    lzfDecompressInto(b, sStart, sStart + sClen, this.scratch, 0, sLen, 0);
    return [this.scratch, 0, sLen];
  }

  // Items of a collection, in commands of ITEMS_PER_COMMAND units (a unit: an element, or a
  // field-value / score-member pair). Each command's header is written for a full command;
  // itemsEnd() fixes the count of the last one, so a count is never needed in advance.
  private iCmd: Buffer = RPUSH;
  private iUnit = 1;
  /** units in the current command, elements of its current unit */
  private iIn = 0;
  private iPart = 0;
  /** w.length where the current command's header starts (-1: none yet) */
  private iHead = -1;

  private itemsBegin(cmd: Buffer, unit: number): void {
    this.iCmd = cmd;
    this.iUnit = unit;
    this.iIn = ITEMS_PER_COMMAND;
    this.iPart = 0;
    this.iHead = -1;
  }

  /** before each element */
  private item(): void {
    if (this.iPart === 0) {
      if (this.iIn === ITEMS_PER_COMMAND) {
        this.iHead = this.w.length;
        this.head(this.iCmd, ITEMS_PER_COMMAND * this.iUnit);
        this.iIn = 0;
      }
      this.iIn++;
    }
    this.iPart = this.iPart + 1 === this.iUnit ? 0 : this.iPart + 1;
  }

  private itemsEnd(): void {
    if (this.iPart !== 0) throw FALLBACK; // half a pair
    if (this.iHead < 0 || this.iIn === ITEMS_PER_COMMAND) return;
    // `*<2 + 64 * unit>` becomes `*<2 + iIn * unit>`: as long, or shorter (the rest moves left)
    const was = String(2 + ITEMS_PER_COMMAND * this.iUnit);
    const now = String(2 + this.iIn * this.iUnit);
    const buf = this.w.room(0);
    const at = this.w.end - this.w.length + this.iHead + 1;
    for (let k = 0; k < now.length; k++) buf[at + k] = now.charCodeAt(k);
    if (now.length < was.length) {
      buf.copyWithin(at + now.length, at + was.length, this.w.end);
      this.w.end -= was.length - now.length;
    }
  }

  /** a safe integer as a bulk string of its digits (no string made) */
  private int(v: number): void {
    const buf = this.w.room(32);
    let q = this.w.end;
    const neg = v < 0;
    const u = neg ? -v : v;
    const d = digitCount(u);
    buf[q++] = 0x24;
    q = decimal(buf, q, neg ? d + 1 : d);
    buf[q++] = 0x0d;
    buf[q++] = 0x0a;
    if (neg) buf[q++] = 0x2d;
    q = decimal(buf, q, u);
    buf[q++] = 0x0d;
    buf[q++] = 0x0a;
    this.w.end = q;
  }

  /** `<ms>-<seq>` (both safe non-negative integers) as a bulk string, without making it */
  private streamId(ms: number, seq: number): void {
    const buf = this.w.room(64);
    let q = this.w.end;
    buf[q++] = 0x24;
    q = decimal(buf, q, digitCount(ms) + 1 + digitCount(seq));
    buf[q++] = 0x0d;
    buf[q++] = 0x0a;
    q = decimal(buf, q, ms);
    buf[q++] = 0x2d;
    q = decimal(buf, q, seq);
    buf[q++] = 0x0d;
    buf[q++] = 0x0a;
    this.w.end = q;
  }

  /** a score as formatScore writes it */
  private score(d: number): void {
    if (Number.isSafeInteger(d) && !Object.is(d, -0)) this.int(d);
    else {
      const buf = this.w.room(40);
      const q = shortDecimalBulk(buf, this.w.end, d);
      if (q >= 0) this.w.end = q;
      else this.text(formatScore(d));
    }
  }

  private intset(blob: Buffer, s: number, e: number): void {
    const width = blob.readUInt32LE(s);
    const n = blob.readUInt32LE(s + 4);
    if ((width !== 2 && width !== 4 && width !== 8) || 8 + n * width !== e - s) throw FALLBACK;
    this.itemsBegin(SADD, 1);
    for (let i = 0, p = s + 8; i < n; i++, p += width) {
      this.item();
      if (width === 2) this.int(blob.readInt16LE(p));
      else if (width === 4) this.int(blob.readInt32LE(p));
      else {
        const v = readInt64LE(blob, p);
        if (typeof v === 'number') this.int(v);
        else this.text(String(v));
      }
    }
    this.itemsEnd();
  }

  /** the elements of the listpack blob[s, e), one item each */
  private lpItems(blob: Buffer, s: number, e: number): void {
    if (e - s < 7 || blob[e - 1] !== 0xff) throw FALLBACK;
    for (let p = s + 6; blob[p] !== 0xff; ) {
      if (p >= e) throw FALLBACK;
      this.item();
      p = this.lpElement(blob, p, e);
    }
  }

  /** a zset listpack: member, score, ... written as ZADD's score, member */
  private lpZset(blob: Buffer, s: number, e: number): void {
    if (e - s < 7 || blob[e - 1] !== 0xff) throw FALLBACK;
    this.itemsBegin(ZADD, 2);
    for (let p = s + 6; blob[p] !== 0xff; ) {
      const memberAt = p;
      p = lpEntryAt(blob, p, e);
      if (blob[p] === 0xff) throw FALLBACK;
      // the score, as the generic path reads it: its text through parseScore
      const next = lpEntryAt(blob, p, e);
      this.item();
      if (!lpIsStr && typeof lpInt === 'number') this.int(lpInt);
      else {
        const score = parseScore(lpIsStr ? blob.latin1Slice(lpStart, lpStart + lpLen) : String(lpInt));
        if (Number.isNaN(score)) throw FALLBACK;
        this.score(score);
      }
      this.item();
      this.lpElement(blob, memberAt, e);
      p = next;
    }
    this.itemsEnd();
  }

  /** one listpack element at p as a bulk string; returns the next element's position */
  private lpElement(blob: Buffer, p: number, e: number): number {
    const next = lpEntryAt(blob, p, e);
    if (lpIsStr) this.bytes(blob, lpStart, lpStart + lpLen);
    else if (typeof lpInt === 'number') this.int(lpInt);
    else this.text(String(lpInt));
    return next;
  }

  // Streams: an XADD per live entry straight from the listpack nodes, then XSETID, and per
  // consumer group XGROUP CREATE and XCLAIM ... JUSTID FORCE (or XGROUP CREATECONSUMER), as
  // entryToCommands's streamToCommands writes them.

  /** fields of the node's master entry: listpack positions in the node's blob */
  private masterAt: number[] = [];

  /** the stream value at p (stream format `version`); returns where it ends */
  private stream(b: Buffer, p: number, version: 1 | 2 | 3): number {
    const nodes = lenOf(b, p);
    p = lenEnd;
    let live = 0;
    for (let i = 0; i < nodes; i++) {
      // the node's master ID (16 bytes, big-endian ms and seq), then its listpack
      p = strAt(b, p);
      if (sKind !== S_RAW || sLen !== 16) throw FALLBACK;
      const mms = u64be(b, sStart);
      const mseq = u64be(b, sStart + 8);
      p = strAt(b, p);
      const [blob, s, e] = this.blob(b);
      live += this.streamNode(blob, s, e, mms, mseq);
    }
    if (live === 0) this.w.push(['XADD', this.keyBuf(), 'MAXLEN', '0', '0-1', 'x', 'y']);
    const length = lenOf(b, p);
    p = lenEnd;
    const lastId = `${lenText(b, p)}-${lenText(b, lenEnd)}`;
    p = lenEnd;
    let entriesAdded = String(length);
    let maxDeleted = '0-0';
    if (version >= 2) {
      p = lenAt(b, lenAt(b, p)); // the first ID: not written
      maxDeleted = `${lenText(b, p)}-${lenText(b, lenEnd)}`;
      entriesAdded = lenText(b, lenEnd);
      p = lenEnd;
    }
    this.w.push(['XSETID', this.keyBuf(), lastId, 'ENTRIESADDED', entriesAdded, 'MAXDELETEDID', maxDeleted]);
    const groups = lenOf(b, p);
    p = lenEnd;
    for (let g = 0; g < groups; g++) {
      p = strAt(b, p);
      const name = materialize(b, sKind);
      const glast = `${lenText(b, p)}-${lenText(b, lenEnd)}`;
      p = lenEnd;
      const create: (Buffer | string)[] = ['XGROUP', 'CREATE', this.keyBuf(), name, glast];
      if (version >= 2) {
        const read = lenText(b, p);
        p = lenEnd;
        create.push('ENTRIESREAD', read === U64_MAX ? '-1' : read);
      }
      this.w.push(create);
      // the group's PEL: delivery time and count by ID
      const npel = lenOf(b, p);
      p = lenEnd;
      const pel = new Map<string, [string, number]>();
      for (let k = 0; k < npel; k++) {
        const id = `${u64beText(b, p)}-${u64beText(b, p + 8)}`;
        const time = readInt64LE(b, p + 16);
        if (typeof time !== 'number') throw FALLBACK;
        pel.set(id, [String(time), lenOf(b, p + 24)]);
        p = lenEnd;
      }
      const ncons = lenOf(b, p);
      p = lenEnd;
      for (let c = 0; c < ncons; c++) {
        p = strAt(b, p);
        const cname = materialize(b, sKind);
        p += version >= 3 ? 16 : 8; // seen time (and active time): not written
        const ncp = lenOf(b, p);
        p = lenEnd;
        if (ncp === 0) this.w.push(['XGROUP', 'CREATECONSUMER', this.keyBuf(), name, cname]);
        for (let k = 0; k < ncp; k++, p += 16) {
          const id = `${u64beText(b, p)}-${u64beText(b, p + 8)}`;
          const pe = pel.get(id);
          this.w.push(['XCLAIM', this.keyBuf(), name, cname, '0', id, 'TIME', pe ? pe[0] : '0', 'RETRYCOUNT', pe ? String(pe[1]) : '0', 'JUSTID', 'FORCE']);
        }
      }
    }
    return p;
  }

  /** one listpack node of a stream: an XADD per live entry; returns how many */
  private streamNode(blob: Buffer, s: number, e: number, mms: number, mseq: number): number {
    if (e - s < 7 || blob[e - 1] !== 0xff) throw FALLBACK;
    let p = s + 6;
    const count = this.lpSmall(blob, p, e);
    p = lpNext;
    const deleted = this.lpSmall(blob, p, e);
    p = lpNext;
    const nmf = this.lpSmall(blob, p, e);
    p = lpNext;
    const master = this.masterAt;
    master.length = 0;
    for (let i = 0; i < nmf; i++) {
      master.push(p);
      p = lpEntryAt(blob, p, e);
    }
    if (this.lpSmall(blob, p, e) !== 0) throw FALLBACK;
    p = lpNext;
    let live = 0;
    for (let n = count + deleted; n > 0; n--) {
      const flags = this.lpSmall(blob, p, e);
      p = lpNext;
      p = lpEntryAt(blob, p, e);
      if (lpIsStr || typeof lpInt !== 'number') throw FALLBACK;
      const ms = mms + lpInt;
      p = lpEntryAt(blob, p, e);
      if (lpIsStr || typeof lpInt !== 'number') throw FALLBACK;
      const seq = mseq + lpInt;
      if (!(ms >= 0 && ms <= Number.MAX_SAFE_INTEGER && seq >= 0 && seq <= Number.MAX_SAFE_INTEGER)) throw FALLBACK;
      const same = (flags & 2) !== 0;
      let nf = nmf;
      if (!same) {
        nf = this.lpSmall(blob, p, e);
        p = lpNext;
      }
      if (flags & 1) {
        // deleted: step over its values (and fields), then its lp-count
        for (let k = same ? nf : 2 * nf; k > 0; k--) p = lpEntryAt(blob, p, e);
      } else {
        live++;
        this.head(XADD, 1 + 2 * nf);
        this.streamId(ms, seq);
        for (let k = 0; k < nf; k++) {
          if (same) this.lpElement(blob, master[k]!, e);
          else p = this.lpElement(blob, p, e);
          p = this.lpElement(blob, p, e);
        }
      }
      p = lpEntryAt(blob, p, e); // lp-count
    }
    if (blob[p] !== 0xff || live !== count) throw FALLBACK;
    return live;
  }

  /** a small non-negative listpack integer at p (lpNext: the element after it) */
  private lpSmall(blob: Buffer, p: number, e: number): number {
    lpNext = lpEntryAt(blob, p, e);
    if (lpIsStr || typeof lpInt !== 'number' || lpInt < 0) throw FALLBACK;
    return lpInt;
  }

  /** the record's key as a Buffer of its own (for the rarer commands built as arrays) */
  private keyBuf(): Buffer {
    return this.kb.subarray(this.ks, this.ke);
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
const XADD = Buffer.from('$4\r\nXADD\r\n', 'latin1');
const U64_MAX = '18446744073709551615';

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

/** an RDB length at p as decimal text, any 64-bit value (sets lenEnd) */
function lenText(b: Buffer, p: number): string {
  if (b[p] === 0x81) {
    lenEnd = p + 9;
    const hi = b.readUInt32BE(p + 1);
    if (hi >= 0x200000) return b.readBigUInt64BE(p + 1).toString();
    return String(hi * 4294967296 + b.readUInt32BE(p + 5));
  }
  return String(lenOf(b, p));
}

/** a big-endian unsigned 64-bit integer at p, when it is a safe integer */
function u64be(b: Buffer, p: number): number {
  const hi = b.readUInt32BE(p);
  if (hi >= 0x200000) throw FALLBACK;
  return hi * 4294967296 + b.readUInt32BE(p + 4);
}

/** a big-endian unsigned 64-bit integer at p as decimal text */
function u64beText(b: Buffer, p: number): string {
  const hi = b.readUInt32BE(p);
  if (hi >= 0x200000) return b.readBigUInt64BE(p).toString();
  return String(hi * 4294967296 + b.readUInt32BE(p + 4));
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

/**
 * `*3\r\n$3\r\nSET\r\n` (CRLF_SET) at q (room checked), in three 4-byte writes and one byte:
 * `buf.set(CRLF_SET, q)` is a builtin call, which cost as much as the rest of a small string's
 * framing (measured: small-string records 600 -> 540 ms on the bench RDB's 2.9 M keys)
 */
function setHead(out: Buffer, q: number): number {
  const dv = writeView(out);
  dv.setInt32(q, 0x0a0d332a, true); // *3\r\n
  dv.setInt32(q + 4, 0x0a0d3324, true); // $3\r\n
  dv.setInt32(q + 8, 0x0d544553, true); // SET\r
  out[q + 12] = 0x0a;
  return q + 13;
}

/** `$len\r\n` + src[s, e) + `\r\n` at q (room checked); returns the new end */
function bulk(out: Buffer, q: number, src: Uint8Array, s: number, e: number): number {
  const n = e - s;
  out[q++] = 0x24;
  q = decimal(out, q, n);
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  q = copyBytes(src, s, e, out, q);
  out[q++] = 0x0d;
  out[q++] = 0x0a;
  return q;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * A double with at most 6 decimals and 15 significant digits (1e-4 <= |d| < 1e9, not an
 * integer), as the bulk string of String(d), written at q without making a string; -1 when d
 * is not such a number. The fewest decimals k whose m = round(|d| * 10^k) gives back |d| as
 * m / 10^k (both sides correctly rounded) are String(d)'s digits: with 15 significant digits
 * or fewer, one decimal string at most rounds to d for each k.
 */
export function shortDecimalBulk(out: Buffer, q: number, d: number): number {
  const a = d < 0 ? -d : d;
  if (!(a >= 1e-4 && a < 1e9)) return -1;
  for (let k = 1; k <= 6; k++) {
    const p10 = POW10[k]!;
    const m = Math.round(a * p10);
    if (m / p10 !== a) continue;
    const frac = m % p10;
    const int = (m - frac) / p10;
    const intLen = digitCount(int);
    out[q++] = 0x24;
    q = decimal(out, q, (d < 0 ? 1 : 0) + intLen + 1 + k);
    out[q++] = 0x0d;
    out[q++] = 0x0a;
    if (d < 0) out[q++] = 0x2d;
    q = decimal(out, q, int);
    out[q++] = 0x2e;
    for (let i = k - 1, f = frac; i >= 0; i--) {
      const g = (f / 10) | 0; // frac < 10^6
      out[q + i] = 0x30 + f - g * 10;
      f = g;
    }
    q += k;
    out[q++] = 0x0d;
    out[q++] = 0x0a;
    return q;
  }
  return -1;
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

/** digits of a non-negative safe integer */
function digitCount(n: number): number {
  if (n < 1e5) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  if (n < 1e10) return n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  let d = 10;
  for (let x = n; x >= 1e10; x = Math.floor(x / 10)) d++;
  return d;
}

/** a non-negative safe integer's digits at q; returns the end */
function decimal(out: Buffer, q: number, n: number): number {
  if (n < 10) {
    out[q] = 0x30 + n;
    return q + 1;
  }
  if (n < 100) {
    // most lengths: keys and short values
    const t = (n / 10) | 0;
    out[q] = 0x30 + t;
    out[q + 1] = 0x30 + n - t * 10;
    return q + 2;
  }
  const d = digitCount(n);
  let k = q + d - 1;
  for (; n >= 2147483648; n = Math.floor(n / 10)) out[k--] = 0x30 + (n % 10);
  // 32-bit integer steps for the rest
  let x = n | 0;
  while (x >= 10) {
    const y = (x / 10) | 0;
    out[k--] = 0x30 + x - y * 10;
    x = y;
  }
  out[k] = 0x30 + x;
  return q + d;
}

// listpack element framing: lpEntryAt sets these
let lpIsStr = false;
let lpStart = 0;
let lpLen = 0;
let lpInt: number | bigint = 0;
/** set by RecordTranscoder.lpSmall: the element after the one read */
let lpNext = 0;

/** the element at p (sets lpIsStr/lpStart/lpLen or lpInt); returns the next element's position */
function lpEntryAt(buf: Buffer, p: number, end: number): number {
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
  if (next >= end) throw FALLBACK;
  return next;
}
