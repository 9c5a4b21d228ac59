// The carry buffer shared by the streaming drivers: holds only the unconsumed tail of the
// stream plus the newest chunk, so memory stays bounded by the largest record, never the file.
//
// When nothing is pending a new chunk is used in place. When a record straddles the chunk
// boundary, the tail and only the first BRIDGE bytes of the new chunk are copied into a small
// "bridge" buffer; once parsing has moved past the bridge, `more()` switches to the new chunk
// itself. So a chunk is almost never copied (measured: -115 ms per GB of AOF), and a record
// longer than the bridge makes `more()` merge the two with one copy, as before.

const EMPTY = Buffer.alloc(0);
const BRIDGE = 64 * 1024;

/** how many joins went into a buffer reused (CarryBuffer.reuse), for tests */
export const carryStats = { reused: 0 };

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
  /** while bridging: the chunk whose first bytes the bridge holds, and its absolute offset */
  private next: Buffer | undefined;
  private nextBase = 0;
  /**
   * Whether a buffer this carry allocated to join chunks may take the next join once the carry
   * has moved off it. Only when nothing keeps a view of the bytes handed out past the moment
   * they are handed out (the validate-only readers of check and convert): on the 611 MB bench
   * RDB, records across chunk boundaries made 266 joins of 329 MB, each into fresh memory.
   */
  reuse = false;
  /** an allocated buffer the carry has moved off (with reuse) */
  private spare: Buffer | undefined;

  constructor(baseOffset = 0) {
    this.base = baseOffset;
  }

  /** absolute offset of the first unconsumed byte */
  get offset(): number {
    return this.base + this.start;
  }

  /** absolute offset just past the received bytes */
  get endOffset(): number {
    return this.next ? this.nextBase + this.next.length : this.base + this.end;
  }

  /** true while the buffer is a bridge: more received bytes wait in the next chunk */
  get bridging(): boolean {
    return this.next !== undefined;
  }

  get pending(): number {
    return this.endOffset - this.offset;
  }

  /** Append a chunk. Bytes before `start` may be discarded. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.next) this.merge();
    const pending = this.end - this.start;
    if (pending === 0) {
      this.base += this.end;
      this.release();
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (pending <= BRIDGE && chunk.length >= 4 * BRIDGE) {
      const n = pending + BRIDGE;
      const bridge = Buffer.allocUnsafe(n);
      this.buf.copy(bridge, 0, this.start, this.end);
      chunk.copy(bridge, pending, 0, BRIDGE);
      this.nextBase = this.base + this.end;
      this.next = chunk;
      this.base += this.start;
      this.release();
      this.buf = bridge;
      this.start = 0;
      this.end = n;
      this.owned = false;
      return;
    }
    this.append(chunk);
  }

  /**
   * Make more of the received bytes available to the parser: switch from the bridge to the
   * chunk (no copy) when parsing has reached it, else merge them. False when there is nothing more.
   */
  more(): boolean {
    if (!this.next) return false;
    const abs = this.base + this.start;
    if (abs >= this.nextBase) {
      this.buf = this.next;
      this.start = abs - this.nextBase;
      this.end = this.next.length;
      this.base = this.nextBase;
      this.next = undefined;
      this.owned = false;
      return true;
    }
    this.merge();
    return true;
  }

  /** Mark everything before absolute offset `abs` as consumed. */
  consumeTo(abs: number): void {
    this.start = abs - this.base;
  }

  /** The carry moves off `buf`: keep it for a later join when it is ours and reuse is on. */
  private release(): void {
    if (this.reuse && this.owned && (this.spare === undefined || this.buf.length > this.spare.length)) this.spare = this.buf;
  }

  /** Bridge + chunk into one buffer (a record longer than the bridge, or a new push). */
  private merge(): void {
    const next = this.next!;
    this.next = undefined;
    const covered = this.base + this.end - this.nextBase; // chunk bytes already in the bridge
    this.append(covered > 0 ? next.subarray(covered) : next);
  }

  private append(chunk: Buffer): void {
    const pending = this.end - this.start;
    const need = pending + chunk.length;
    if (this.owned && this.start === 0 && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    let cap = this.owned ? this.buf.length : 0;
    if (cap < need) cap = Math.max(need, cap * 2, 64 * 1024);
    // A fresh buffer (or, with reuse, one nothing refers to any more): bytes already handed
    // out as views (RDB borrow mode) are never overwritten; appending in place above, past
    // `end`, is equally safe.
    let target: Buffer;
    if (this.spare !== undefined && this.spare.length >= need) {
      target = this.spare;
      this.spare = undefined;
      carryStats.reused++;
    } else target = Buffer.allocUnsafe(cap);
    this.buf.copy(target, 0, this.start, this.end);
    chunk.copy(target, pending);
    this.base += this.start;
    this.release();
    this.buf = target;
    this.start = 0;
    this.end = need;
    this.owned = true;
  }
}
