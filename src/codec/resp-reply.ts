// RESP2 server replies, parsed incrementally:
//   +<simple string>\r\n     -<error>\r\n     :<integer>\r\n
//   $<len>\r\n<bytes>\r\n    $-1\r\n (nil)
//   *<count>\r\n<count replies>   *-1\r\n (nil array)
//
// `ReplyParser` owns a carry buffer holding only the unconsumed tail. Arrays are built on an
// explicit stack, so a chunk boundary anywhere (even inside a huge nested array) never makes
// the parser re-read what it already consumed; a partial bulk string is only re-examined
// (one short header line) when more bytes arrive.

import { FormatError } from '../model/errors.js';

/** An error reply (`-ERR ...`). A value, not thrown by the parser. */
export class ReplyError {
  constructor(public message: string) {}
  /** The error code: the first word, e.g. "ERR", "WRONGTYPE". */
  get code(): string {
    const sp = this.message.indexOf(' ');
    return sp < 0 ? this.message : this.message.slice(0, sp);
  }
}

/** Simple strings are strings, bulk strings Buffers, nils null; integers beyond 2^53 bigint. */
export type Reply = string | number | bigint | Buffer | null | ReplyError | Reply[];

export interface ReplyParserOptions {
  /** Largest accepted bulk string (default 512 MiB, Redis's proto-max-bulk-len). */
  maxBulkLength?: number;
  /** Largest accepted array count (default 2^32). */
  maxArrayLength?: number;
  /** Longest accepted header / simple string / error line (default 64 MiB). */
  maxLineLength?: number;
}

interface Frame {
  items: Reply[];
  remaining: number;
}

const CR = 13;
const LF = 10;

export class ReplyParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  /** absolute stream offset of buf[0] */
  private base = 0;
  private readonly stack: Frame[] = [];
  private readonly out: Reply[] = [];
  private outHead = 0;
  private failed: FormatError | undefined;
  /** buf limited to the buffered bytes, so CR scans never look at stale capacity */
  private view: Buffer = this.buf;
  private readonly maxBulk: number;
  private readonly maxArray: number;
  private readonly maxLine: number;

  constructor(options: ReplyParserOptions = {}) {
    this.maxBulk = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.maxArray = options.maxArrayLength ?? 2 ** 32;
    this.maxLine = options.maxLineLength ?? 64 * 1024 * 1024;
  }

  /** Bytes fed but not yet consumed by a complete reply element. */
  get buffered(): number {
    return this.end - this.pos;
  }

  /** Absolute offset of the next unconsumed byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Add bytes and parse every reply they complete. Throws FormatError on a protocol error
   * (and keeps throwing it: the stream cannot be resynchronised). */
  feed(chunk: Uint8Array): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    this.append(chunk);
    try {
      this.parse();
    } catch (e) {
      if (e instanceof FormatError) this.failed = e;
      throw e;
    }
  }

  /** The next complete top-level reply, or undefined when none is buffered. */
  next(): Reply | undefined {
    if (this.outHead >= this.out.length) return undefined;
    const r = this.out[this.outHead]!;
    this.out[this.outHead++] = null; // drop the reference
    if (this.outHead === this.out.length) {
      this.out.length = 0;
      this.outHead = 0;
    }
    return r;
  }

  /** Number of complete replies waiting in `next()`. */
  get pending(): number {
    return this.out.length - this.outHead;
  }

  private append(chunk: Uint8Array): void {
    const unread = this.end - this.pos;
    if (unread === 0) {
      // Nothing carried: parse straight from a copy-free view when possible.
      this.base += this.end;
      if (this.buf.length >= chunk.length) {
        this.buf.set(chunk, 0);
      } else {
        this.buf = Buffer.allocUnsafe(Math.max(chunk.length, 4096));
        this.buf.set(chunk, 0);
      }
      this.pos = 0;
      this.end = chunk.length;
      return;
    }
    const need = unread + chunk.length;
    if (need <= this.buf.length) {
      if (this.end + chunk.length > this.buf.length) {
        this.buf.copyWithin(0, this.pos, this.end);
        this.base += this.pos;
        this.pos = 0;
        this.end = unread;
      }
    } else {
      let size = Math.max(4096, this.buf.length * 2);
      while (size < need) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, this.pos, this.end);
      this.base += this.pos;
      this.buf = next;
      this.pos = 0;
      this.end = unread;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private fail(message: string, at: number): never {
    throw new FormatError(message, this.base + at, 'read-reply');
  }

  /** Index of the CR of the first CRLF at or after `from`, or -1 when not buffered yet. */
  private findLineEnd(from: number): number {
    const i = this.view.indexOf(CR, from);
    if (i < 0) {
      if (this.end - from > this.maxLine) this.fail('reply line too long', from);
      return -1;
    }
    if (i - from > this.maxLine) this.fail('reply line too long', from);
    if (i + 1 >= this.end) return -1; // the LF is not here yet
    if (this.buf[i + 1] !== LF) this.fail('expected LF after CR', i + 1);
    return i;
  }

  private parse(): void {
    const buf = this.buf;
    this.view = buf.subarray(0, this.end);
    while (this.pos < this.end) {
      const start = this.pos;
      const type = buf[start]!;
      if (type !== 0x2b && type !== 0x2d && type !== 0x3a && type !== 0x24 && type !== 0x2a) {
        this.fail(`unexpected reply type byte 0x${type.toString(16).padStart(2, '0')}`, start);
      }
      const eol = this.findLineEnd(start + 1);
      if (eol < 0) return;
      let value: Reply;
      let consumed = eol + 2;
      switch (type) {
        case 0x2b /* + */:
          value = buf.toString('utf8', start + 1, eol);
          break;
        case 0x2d /* - */:
          value = new ReplyError(buf.toString('utf8', start + 1, eol));
          break;
        case 0x3a /* : */:
          value = this.parseInteger(start + 1, eol);
          break;
        case 0x24 /* $ */: {
          const len = this.parseLength(start + 1, eol, this.maxBulk, 'bulk length');
          if (len < 0) {
            value = null;
            break;
          }
          const dataStart = eol + 2;
          if (this.end - dataStart < len + 2) return; // wait for the whole payload
          if (buf[dataStart + len] !== CR || buf[dataStart + len + 1] !== LF) {
            this.fail('bulk string not terminated by CRLF', dataStart + len);
          }
          // The carry buffer is reused: the value must own its bytes.
          value = Buffer.from(buf.subarray(dataStart, dataStart + len));
          consumed = dataStart + len + 2;
          break;
        }
        case 0x2a /* * */: {
          const count = this.parseLength(start + 1, eol, this.maxArray, 'array length');
          if (count < 0) {
            value = null;
            break;
          }
          if (count === 0) {
            value = [];
            break;
          }
          this.pos = consumed;
          this.stack.push({ items: [], remaining: count });
          continue;
        }
        default:
          throw new Error('unreachable');
      }
      this.pos = consumed;
      this.emit(value);
    }
  }

  /** Hand a finished value to the innermost open array, closing arrays that become full. */
  private emit(value: Reply): void {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.out.push(value);
        return;
      }
      top.items.push(value);
      if (--top.remaining > 0) return;
      this.stack.pop();
      value = top.items;
    }
  }

  /** A signed decimal integer between `from` and `to` (exclusive). */
  private parseInteger(from: number, to: number): number | bigint {
    const buf = this.buf;
    let i = from;
    let neg = false;
    if (i < to && buf[i] === 0x2d) {
      neg = true;
      i++;
    }
    if (i >= to) this.fail('empty integer', from);
    if (to - i > 20) this.fail('integer too long', from);
    let n = 0;
    for (let j = i; j < to; j++) {
      const c = buf[j]! - 0x30;
      if (c < 0 || c > 9) this.fail('invalid integer', j);
      n = n * 10 + c;
    }
    if (n <= Number.MAX_SAFE_INTEGER) return neg ? -n : n;
    const big = BigInt(buf.toString('latin1', i, to));
    return neg ? -big : big;
  }

  /** A length: -1 (nil) or 0..max. */
  private parseLength(from: number, to: number, max: number, what: string): number {
    const buf = this.buf;
    if (to - from === 2 && buf[from] === 0x2d && buf[from + 1] === 0x31) return -1;
    if (to === from) this.fail(`empty ${what}`, from);
    if (to - from > 16) this.fail(`${what} too large`, from);
    let n = 0;
    for (let j = from; j < to; j++) {
      const c = buf[j]! - 0x30;
      if (c < 0 || c > 9) this.fail(`invalid ${what}`, j);
      n = n * 10 + c;
    }
    if (n > max) this.fail(`${what} ${n} exceeds the limit of ${max}`, from);
    return n;
  }
}
