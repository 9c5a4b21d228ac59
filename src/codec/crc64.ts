// CRC-64/Jones as Redis computes it (reveng CRC-64/REDIS): reflected polynomial
// 0x95AC9329AC4BC9B5, init 0, no final xor. Covers RDB files (magic..EOF opcode) and DUMP
// payloads. The state is kept as two 32-bit halves so the hot loop never touches BigInt.
//
// Measured on Node 20.20 (64 MiB buffer, 2.1 GHz Xeon, best of 12): byte-at-a-time ~330 MB/s,
// slicing-by-8 ~1.05 GB/s, slicing-by-16 over an Int32Array view of the data ~1.28 GB/s
// (~1.2 GB/s in 4 KiB updates, ~630 MB/s in 100-byte updates: feed it big spans).
// Tables are Int32Array (not Uint32Array) so V8 keeps every value a 32-bit integer.

/** Reflected polynomial 0x95AC9329AC4BC9B5, split into halves. */
const POLY_HI = 0x95ac9329 | 0;
const POLY_LO = 0xac4bc9b5 | 0;

/** Slices: TABLE_LO/HI[k*256 + b] = CRC of byte b followed by k zero bytes. */
const SLICES = 16;
const TABLE_LO = new Int32Array(256 * SLICES);
const TABLE_HI = new Int32Array(256 * SLICES);

for (let b = 0; b < 256; b++) {
  let lo = b;
  let hi = 0;
  for (let r = 0; r < 8; r++) {
    const mask = -(lo & 1); // all ones when the low bit is set
    lo = ((lo >>> 1) | (hi << 31)) ^ (POLY_LO & mask);
    hi = (hi >>> 1) ^ (POLY_HI & mask);
  }
  TABLE_LO[b] = lo;
  TABLE_HI[b] = hi;
}
for (let k = 1; k < SLICES; k++) {
  for (let b = 0; b < 256; b++) {
    const plo = TABLE_LO[(k - 1) * 256 + b]!;
    const phi = TABLE_HI[(k - 1) * 256 + b]!;
    const j = plo & 0xff;
    TABLE_LO[k * 256 + b] = TABLE_LO[j]! ^ ((plo >>> 8) | (phi << 24));
    TABLE_HI[k * 256 + b] = TABLE_HI[j]! ^ (phi >>> 8);
  }
}

/** Word reads through an Int32Array view are only valid on a little-endian host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Below this many bytes the per-call view allocation costs more than it saves. */
const SMALL = 64;
/** 16 KiB of input per updateWords call. */
const WORDS_PER_CALL = 4096;

/** Feeds bytes one at a time (heads, tails, small updates, big-endian hosts). */
function updateBytes(c: Crc64, buf: Uint8Array, start: number, end: number): void {
  const tl = TABLE_LO;
  const th = TABLE_HI;
  let lo = c.l;
  let hi = c.h;
  for (let i = start; i < end; i++) {
    const j = (lo ^ buf[i]!) & 0xff;
    lo = tl[j]! ^ ((lo >>> 8) | (hi << 24));
    hi = th[j]! ^ (hi >>> 8);
  }
  c.l = lo;
  c.h = hi;
}

/** Slicing-by-16 over little-endian 32-bit words w32[from, to); `to - from` is a multiple of 4. */
function updateWords(c: Crc64, w32: Int32Array, from: number, to: number): void {
  const tl = TABLE_LO;
  const th = TABLE_HI;
  let lo = c.l;
  let hi = c.h;
  for (let w = from; w < to; w += 4) {
    const a = lo ^ w32[w]!;
    const b = hi ^ w32[w + 1]!;
    const c2 = w32[w + 2]!;
    const d = w32[w + 3]!;
    const x0 = 3840 + (a & 0xff);
    const x1 = 3584 + ((a >>> 8) & 0xff);
    const x2 = 3328 + ((a >>> 16) & 0xff);
    const x3 = 3072 + (a >>> 24);
    const x4 = 2816 + (b & 0xff);
    const x5 = 2560 + ((b >>> 8) & 0xff);
    const x6 = 2304 + ((b >>> 16) & 0xff);
    const x7 = 2048 + (b >>> 24);
    const x8 = 1792 + (c2 & 0xff);
    const x9 = 1536 + ((c2 >>> 8) & 0xff);
    const x10 = 1280 + ((c2 >>> 16) & 0xff);
    const x11 = 1024 + (c2 >>> 24);
    const x12 = 768 + (d & 0xff);
    const x13 = 512 + ((d >>> 8) & 0xff);
    const x14 = 256 + ((d >>> 16) & 0xff);
    const x15 = d >>> 24;
    lo =
      tl[x0]! ^ tl[x1]! ^ tl[x2]! ^ tl[x3]! ^ tl[x4]! ^ tl[x5]! ^ tl[x6]! ^ tl[x7]! ^
      tl[x8]! ^ tl[x9]! ^ tl[x10]! ^ tl[x11]! ^ tl[x12]! ^ tl[x13]! ^ tl[x14]! ^ tl[x15]!;
    hi =
      th[x0]! ^ th[x1]! ^ th[x2]! ^ th[x3]! ^ th[x4]! ^ th[x5]! ^ th[x6]! ^ th[x7]! ^
      th[x8]! ^ th[x9]! ^ th[x10]! ^ th[x11]! ^ th[x12]! ^ th[x13]! ^ th[x14]! ^ th[x15]!;
  }
  c.l = lo;
  c.h = hi;
}

export class Crc64 {
  /**
   * @internal The state's low and high 32 bits as signed 32-bit integers. Kept signed: stored
   * unsigned (`lo >>> 0`), every state of 2^31 or more made V8 deoptimise updateWords for "lost
   * precision" (186 times in one conversion of the 611 MB bench RDB) and box the value.
   */
  l = 0;
  /** @internal see `l` */
  h = 0;

  /** Low 32 bits of the state, unsigned. */
  get lo(): number {
    return this.l >>> 0;
  }

  /** High 32 bits of the state, unsigned. */
  get hi(): number {
    return this.h >>> 0;
  }

  /** Feeds `buf[start, end)` into the checksum. Returns `this` so calls can be chained. */
  update(buf: Uint8Array, start = 0, end = buf.length): this {
    if (start < 0 || end > buf.length || start > end) {
      throw new RangeError(`crc64: range [${start}, ${end}) outside buffer of ${buf.length} bytes`);
    }
    if (end - start >= SMALL && LITTLE_ENDIAN) {
      // Bytewise until the absolute address is 4-aligned, then 16 bytes per step.
      const head = (4 - ((buf.byteOffset + start) & 3)) & 3;
      if (head !== 0) updateBytes(this, buf, start, start + head);
      start += head;
      const words = ((end - start) >>> 4) << 2;
      const w32 = new Int32Array(buf.buffer, buf.byteOffset + start, words);
      // Bounded calls: V8 then optimises updateWords as a whole function. One 64 MiB call
      // got it compiled by on-stack replacement instead, which ran ~35% slower for good.
      for (let w = 0; w < words; w += WORDS_PER_CALL) updateWords(this, w32, w, Math.min(words, w + WORDS_PER_CALL));
      start += words << 2;
    }
    if (start < end) updateBytes(this, buf, start, end);
    return this;
  }

  reset(): void {
    this.l = 0;
    this.h = 0;
  }

  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** 16 lowercase hex digits, most significant first. */
  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }

  /** True when the 8 bytes at `off` (little endian, as stored after an RDB EOF or in a DUMP
   * footer) equal the current state. False when fewer than 8 bytes are there. */
  matchesLE(buf: Uint8Array, off: number): boolean {
    if (!(off >= 0) || off + 8 > buf.length) return false;
    const lo = (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
    const hi = (buf[off + 4]! | (buf[off + 5]! << 8) | (buf[off + 6]! << 16) | (buf[off + 7]! << 24)) >>> 0;
    return lo === this.lo && hi === this.hi;
  }

  /** Writes the state as 8 little-endian bytes at `off`. */
  writeLE(out: Uint8Array, off: number): void {
    if (!(off >= 0) || off + 8 > out.length) {
      throw new RangeError(`crc64: cannot write 8 bytes at ${off} into ${out.length} bytes`);
    }
    const lo = this.l;
    const hi = this.h;
    out[off] = lo & 0xff;
    out[off + 1] = (lo >>> 8) & 0xff;
    out[off + 2] = (lo >>> 16) & 0xff;
    out[off + 3] = lo >>> 24;
    out[off + 4] = hi & 0xff;
    out[off + 5] = (hi >>> 8) & 0xff;
    out[off + 6] = (hi >>> 16) & 0xff;
    out[off + 7] = hi >>> 24;
  }
}

/** One-shot CRC-64 of a whole buffer. */
export function crc64(buf: Uint8Array): bigint {
  return new Crc64().update(buf).value();
}
