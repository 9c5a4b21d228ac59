// The carry buffer shared by the streaming drivers: holds only the unconsumed tail of the
// stream plus the newest chunk, so memory stays bounded by the largest record, never the file.
// When nothing is pending a new chunk is used in place (no copy).

const EMPTY = Buffer.alloc(0);

export class CarryBuffer {
  buf: Buffer = EMPTY;
  /** first unconsumed byte in buf */
  start = 0;
  /** end of valid bytes in buf */
  end = 0;
  /** absolute stream offset of buf[0] */
  base = 0;
  /** true when `buf` is our own allocation (so its spare capacity may be reused) */
  private owned = false;

  constructor(baseOffset = 0) {
    this.base = baseOffset;
  }

  /** absolute offset of the first unconsumed byte */
  get offset(): number {
    return this.base + this.start;
  }

  /** absolute offset just past the buffered bytes */
  get endOffset(): number {
    return this.base + this.end;
  }

  get pending(): number {
    return this.end - this.start;
  }

  /** Append a chunk. Bytes before `start` may be discarded. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const pending = this.end - this.start;
    if (pending === 0) {
      this.base += this.end;
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const need = pending + chunk.length;
    if (this.owned && this.start === 0 && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    let cap = this.owned ? this.buf.length : 0;
    if (cap < need) cap = Math.max(need, cap * 2, 64 * 1024);
    const next = this.owned && this.buf.length >= need ? this.buf : Buffer.allocUnsafe(cap);
    // copyWithin handles the overlap when next === this.buf
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, pending);
    this.base += this.start;
    this.buf = next;
    this.start = 0;
    this.end = need;
    this.owned = true;
  }

  /** Mark everything before absolute offset `abs` as consumed. */
  consumeTo(abs: number): void {
    this.start = abs - this.base;
  }
}
