// Byte cursor over a complete buffer window, used by every framer.
// A read past `end` throws the preallocated NEED_MORE sentinel; the caller rewinds and
// asks its driver for more bytes. `need` records how far the failed read wanted to go, so the
// driver does not retry before those bytes are buffered.

import { FormatError } from '../model/errors.js';

/** Thrown (never constructed again) when a read would pass the end of the buffered bytes. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true as const });

export function isNeedMore(e: unknown): boolean {
  return e === NEED_MORE;
}

export class Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  /** absolute file offset of buf[0] */
  base: number;
  /** absolute offset the last failed read needed to reach */
  need = 0;

  constructor(buf: Buffer, pos = 0, end = buf.length, base = 0) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.base = base;
  }

  reset(buf: Buffer, pos: number, end: number, base: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.base = base;
  }

  /** absolute offset of the current position */
  get offset(): number {
    return this.base + this.pos;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  /** Throw NEED_MORE unless n more bytes are buffered. */
  ensure(n: number): void {
    if (this.end - this.pos < n) {
      this.need = this.base + this.pos + n;
      throw NEED_MORE;
    }
  }

  u8(): number {
    if (this.pos >= this.end) {
      this.need = this.base + this.pos + 1;
      throw NEED_MORE;
    }
    return this.buf[this.pos++]!;
  }

  peekU8(): number {
    if (this.pos >= this.end) {
      this.need = this.base + this.pos + 1;
      throw NEED_MORE;
    }
    return this.buf[this.pos]!;
  }

  u16le(): number {
    this.ensure(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16le(): number {
    this.ensure(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.ensure(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32le(): number {
    this.ensure(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u32be(): number {
    this.ensure(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64be(): bigint {
    this.ensure(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** signed 64-bit little endian as a number (exact up to 2^53; ms timestamps fit) */
  i64leNumber(): number {
    this.ensure(8);
    const lo = this.buf.readUInt32LE(this.pos);
    const hi = this.buf.readInt32LE(this.pos + 4);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  f64le(): number {
    this.ensure(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  f32le(): number {
    this.ensure(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  /** n bytes as a view into the buffer (valid only while the buffer is) */
  view(n: number): Buffer {
    this.ensure(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** n bytes copied out */
  bytes(n: number): Buffer {
    this.ensure(n);
    const v = Buffer.allocUnsafe(n);
    this.buf.copy(v, 0, this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  fail(message: string, doing?: string, key?: Uint8Array, at = this.offset): never {
    throw new FormatError(message, at, doing, key);
  }
}
