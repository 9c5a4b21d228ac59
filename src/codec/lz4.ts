// LZ4 frame format (lz4_Frame_format.md, v1.6) and LZ4 block format, decode only, streaming.
//
// lz4js only decodes whole buffers, and without bounds checks, so this is our own decoder:
// input arrives in arbitrary chunks, output leaves one block (at most 4 MiB) at a time, and
// every length, offset and checksum is checked before it is trusted. Concatenated frames and
// skippable frames are accepted; frames that need a dictionary are not (UnsupportedError).
//
// Frame layout:
//   magic    u32le 0x184D2204
//   FLG      u8    bits 7-6 version (must be 01), 5 block independence, 4 block checksum,
//                  3 content size present, 2 content checksum, 1 reserved (0), 0 dictID present
//   BD       u8    bit 7 reserved (0), bits 6-4 block max size (4: 64 KiB, 5: 256 KiB,
//                  6: 1 MiB, 7: 4 MiB), bits 3-0 reserved (0)
//   [content size u64le] [dictID u32le]
//   HC       u8    (xxh32(FLG .. last descriptor byte, seed 0) >> 8) & 0xff
//   blocks   u32le size (bit 31 set: stored uncompressed; 0: end mark), data, [xxh32 of data]
//   [content checksum u32le: xxh32 of all decompressed bytes]
// Skippable frame: magic 0x184D2A50..0x184D2A5F, u32le size, size bytes.

import { FormatError, UnsupportedError } from '../model/errors.js';

export const LZ4_FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_RESERVED = 0x8f;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** Linked blocks may refer this far back into earlier blocks' output. */
const WINDOW = 64 * 1024;

// ---------------------------------------------------------------------------------------
// XXH32

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function u32le(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

/** Streaming XXH32 (the checksum LZ4 frames use). */
export class Xxh32 {
  private v1: number;
  private v2: number;
  private v3: number;
  private v4: number;
  private readonly mem = new Uint8Array(16);
  private memLen = 0;
  private total = 0;

  constructor(private readonly seed = 0) {
    this.v1 = (seed + P1 + P2) | 0;
    this.v2 = (seed + P2) | 0;
    this.v3 = seed | 0;
    this.v4 = (seed - P1) | 0;
  }

  update(data: Uint8Array): this {
    let i = 0;
    const n = data.length;
    this.total += n;
    if (this.memLen > 0) {
      const take = Math.min(16 - this.memLen, n);
      this.mem.set(data.subarray(0, take), this.memLen);
      this.memLen += take;
      i = take;
      if (this.memLen < 16) return this;
      this.stripe(this.mem, 0);
      this.memLen = 0;
    }
    for (; i + 16 <= n; i += 16) this.stripe(data, i);
    if (i < n) {
      this.mem.set(data.subarray(i), 0);
      this.memLen = n - i;
    }
    return this;
  }

  private stripe(b: Uint8Array, i: number): void {
    this.v1 = round(this.v1, u32le(b, i));
    this.v2 = round(this.v2, u32le(b, i + 4));
    this.v3 = round(this.v3, u32le(b, i + 8));
    this.v4 = round(this.v4, u32le(b, i + 12));
  }

  /** The hash as an unsigned 32-bit number. Does not change the state. */
  digest(): number {
    let h: number;
    if (this.total >= 16) {
      h = (rotl(this.v1, 1) + rotl(this.v2, 7) + rotl(this.v3, 12) + rotl(this.v4, 18)) | 0;
    } else {
      h = (this.seed + P5) | 0;
    }
    h = (h + this.total) | 0; // the length modulo 2^32
    let i = 0;
    for (; i + 4 <= this.memLen; i += 4) {
      h = Math.imul(rotl((h + Math.imul(u32le(this.mem, i), P3)) | 0, 17), P4);
    }
    for (; i < this.memLen; i++) {
      h = Math.imul(rotl((h + Math.imul(this.mem[i]!, P5)) | 0, 11), P1);
    }
    h ^= h >>> 15;
    h = Math.imul(h, P2);
    h ^= h >>> 13;
    h = Math.imul(h, P3);
    h ^= h >>> 16;
    return h >>> 0;
  }
}

export function xxh32(data: Uint8Array, seed = 0): number {
  return new Xxh32(seed).update(data).digest();
}

// ---------------------------------------------------------------------------------------
// Block format

/**
 * Decode one LZ4 block. `history` is the output that precedes the block (linked blocks; at
 * most the last 64 KiB matter), `maxOut` the frame's block maximum. Returns a fresh array
 * holding exactly the block's output. Throws a plain Error describing the defect; the frame
 * decoder adds the offset.
 */
export function decodeLz4Block(src: Uint8Array, history: Uint8Array, maxOut: number): Uint8Array {
  const hist = history.length;
  // Pass 1: walk the sequences, check every length and offset, and size the output.
  let s = 0;
  let out = 0;
  const end = src.length;
  for (;;) {
    if (s >= end) throw new Error('block ends inside a sequence');
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) throw new Error('block ends inside a literal length');
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > end - s) throw new Error('literal run goes past the end of the block');
    s += lit;
    out += lit;
    if (out > maxOut) throw new Error(`block decompresses to more than ${maxOut} bytes`);
    if (s === end) break; // the last sequence has literals only
    if (end - s < 2) throw new Error('block ends inside a match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0) throw new Error('match offset 0');
    if (offset > out + hist) throw new Error(`match offset ${offset} points before the start of the data`);
    let mlen = token & 15;
    if (mlen === 15) {
      let b: number;
      do {
        if (s >= end) throw new Error('block ends inside a match length');
        b = src[s++]!;
        mlen += b;
      } while (b === 255);
    }
    out += mlen + 4;
    if (out > maxOut) throw new Error(`block decompresses to more than ${maxOut} bytes`);
  }

  // Pass 2: decode into [history | output]; everything was checked above.
  const h = hist > WINDOW ? WINDOW : hist;
  const dst = new Uint8Array(h + out);
  if (h > 0) dst.set(history.subarray(hist - h), 0);
  let d = h;
  s = 0;
  for (;;) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      dst.set(src.subarray(s, s + lit), d);
      s += lit;
      d += lit;
    }
    if (s === end) break;
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let mlen = token & 15;
    if (mlen === 15) {
      let b: number;
      do {
        b = src[s++]!;
        mlen += b;
      } while (b === 255);
    }
    mlen += 4;
    const from = d - offset;
    if (offset >= mlen) {
      dst.copyWithin(d, from, from + mlen);
      d += mlen;
    } else {
      // Overlapping match: the bytes [from, d) repeat with period `offset`; copying them
      // forward doubles the available pattern each time.
      while (mlen > 0) {
        const n = Math.min(mlen, d - from);
        dst.copyWithin(d, from, from + n);
        d += n;
        mlen -= n;
      }
    }
  }
  return h > 0 ? dst.subarray(h) : dst;
}

// ---------------------------------------------------------------------------------------
// Frame format

const enum State {
  Magic,
  SkipSize,
  Skip,
  Descriptor,
  BlockHeader,
  Block,
  ContentChecksum,
}

const BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/**
 * Streaming LZ4 frame decoder: `push()` input in any chunks, then call `next()` until it
 * returns undefined (it decodes at most one block per call, so a small input cannot force a
 * large output at once), and call `end()` when the input is finished. Errors are FormatError
 * with messages starting "lz4: " and the offset in the compressed input.
 */
export class Lz4FrameDecoder {
  private queue: Uint8Array[] = [];
  private queueHead = 0; // bytes already consumed from queue[0]
  private available = 0;
  private pos = 0; // compressed bytes consumed
  private state = State.Magic;
  private frames = 0;
  // Current frame.
  private flags = 0;
  private blockMax = 0;
  private contentSize: bigint | undefined;
  private produced = 0n;
  private contentHash: Xxh32 | undefined;
  private history: Uint8Array = new Uint8Array(0);
  private blockSize = 0;
  private blockRaw = false;
  private skipLeft = 0;

  /** Compressed bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.available += chunk.length;
  }

  /** The next block of output, or undefined when more input is needed (or none is left). */
  next(): Uint8Array | undefined {
    for (;;) {
      switch (this.state) {
        case State.Magic: {
          if (this.available < 4) return undefined;
          const at = this.pos;
          const magic = u32le(this.take(4), 0);
          if (magic === LZ4_FRAME_MAGIC) {
            this.state = State.Descriptor;
          } else if ((magic & SKIPPABLE_MAGIC_MASK) >>> 0 === SKIPPABLE_MAGIC) {
            this.state = State.SkipSize;
          } else if (this.frames > 0) {
            throw new FormatError(`lz4: data after the last frame is not an LZ4 frame (magic 0x${magic.toString(16).padStart(8, '0')})`, at);
          } else {
            throw new FormatError(`lz4: not an LZ4 frame (magic 0x${magic.toString(16).padStart(8, '0')})`, at);
          }
          break;
        }
        case State.SkipSize: {
          if (this.available < 4) return undefined;
          this.skipLeft = u32le(this.take(4), 0);
          this.state = State.Skip;
          break;
        }
        case State.Skip: {
          const n = Math.min(this.skipLeft, this.available);
          this.discard(n);
          this.skipLeft -= n;
          if (this.skipLeft > 0) return undefined;
          this.frames++;
          this.state = State.Magic;
          break;
        }
        case State.Descriptor: {
          if (this.available < 2) return undefined;
          const flg = this.peekByte(0);
          const len = 3 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0);
          if (this.available < len) return undefined;
          const at = this.pos;
          const d = this.take(len);
          const bd = d[1]!;
          if ((flg & FLG_VERSION_MASK) !== FLG_VERSION) {
            throw new FormatError(`lz4: unsupported frame version ${(flg & FLG_VERSION_MASK) >>> 6}`, at);
          }
          if (flg & FLG_RESERVED || bd & BD_RESERVED) throw new FormatError('lz4: reserved bits set in the frame descriptor', at);
          const blockMax = BLOCK_MAX[(bd >>> 4) & 7];
          if (blockMax === undefined) throw new FormatError(`lz4: invalid block maximum size code ${(bd >>> 4) & 7}`, at);
          const hc = (xxh32(d.subarray(0, len - 1)) >>> 8) & 0xff;
          if (hc !== d[len - 1]) throw new FormatError('lz4: frame descriptor checksum mismatch', at + len - 1);
          if (flg & FLG_DICT_ID) throw new UnsupportedError('lz4: frames that need a dictionary are not supported', at);
          this.flags = flg;
          this.blockMax = blockMax;
          this.contentSize = undefined;
          if (flg & FLG_CONTENT_SIZE) {
            this.contentSize = BigInt(u32le(d, 2)) | (BigInt(u32le(d, 6)) << 32n);
          }
          this.produced = 0n;
          this.contentHash = flg & FLG_CONTENT_CHECKSUM ? new Xxh32() : undefined;
          this.history = new Uint8Array(0);
          this.state = State.BlockHeader;
          break;
        }
        case State.BlockHeader: {
          if (this.available < 4) return undefined;
          const at = this.pos;
          const v = u32le(this.take(4), 0);
          if (v === 0) {
            if (this.contentHash) {
              this.state = State.ContentChecksum;
            } else {
              this.endFrame(at);
            }
            break;
          }
          this.blockRaw = (v & BLOCK_UNCOMPRESSED) !== 0;
          this.blockSize = v & 0x7fffffff;
          if (this.blockSize > this.blockMax) {
            throw new FormatError(`lz4: block size ${this.blockSize} exceeds the frame's maximum of ${this.blockMax}`, at);
          }
          this.state = State.Block;
          break;
        }
        case State.Block: {
          const checksum = this.flags & FLG_BLOCK_CHECKSUM ? 4 : 0;
          if (this.available < this.blockSize + checksum) return undefined;
          const at = this.pos;
          const data = this.take(this.blockSize);
          if (checksum) {
            const want = u32le(this.take(4), 0);
            if (xxh32(data) !== want) throw new FormatError('lz4: block checksum mismatch', at);
          }
          let out: Uint8Array;
          if (this.blockRaw) {
            out = data.slice();
          } else {
            try {
              out = decodeLz4Block(data, this.history, this.blockMax);
            } catch (e) {
              throw new FormatError(`lz4: corrupt block: ${(e as Error).message}`, at);
            }
          }
          if (!(this.flags & FLG_BLOCK_INDEPENDENT)) this.remember(out);
          this.contentHash?.update(out);
          this.produced += BigInt(out.length);
          this.state = State.BlockHeader;
          if (out.length > 0) return out;
          break;
        }
        case State.ContentChecksum: {
          if (this.available < 4) return undefined;
          const at = this.pos;
          const want = u32le(this.take(4), 0);
          if (this.contentHash!.digest() !== want) throw new FormatError('lz4: content checksum mismatch', at);
          this.endFrame(at);
          break;
        }
      }
    }
  }

  /** The input is finished: throws unless it ended between frames. */
  end(): void {
    if (this.state !== State.Magic || this.available > 0) {
      throw new FormatError('lz4: unexpected end of compressed data', this.pos + this.available);
    }
  }

  private endFrame(at: number): void {
    if (this.contentSize !== undefined && this.contentSize !== this.produced) {
      throw new FormatError(`lz4: frame content size is ${this.contentSize} but it decompressed to ${this.produced} bytes`, at);
    }
    this.frames++;
    this.history = new Uint8Array(0);
    this.state = State.Magic;
  }

  /** Keep the last 64 KiB of output for the next linked block. */
  private remember(out: Uint8Array): void {
    if (out.length >= WINDOW) {
      this.history = out.slice(out.length - WINDOW);
    } else {
      const keep = Math.min(this.history.length, WINDOW - out.length);
      const h = new Uint8Array(keep + out.length);
      h.set(this.history.subarray(this.history.length - keep), 0);
      h.set(out, keep);
      this.history = h;
    }
  }

  private peekByte(i: number): number {
    let idx = this.queueHead + i;
    for (const c of this.queue) {
      if (idx < c.length) return c[idx]!;
      idx -= c.length;
    }
    throw new Error('peek past the end of the input');
  }

  /** Consume n bytes (n <= available): a view when they sit in one chunk, else a copy. */
  private take(n: number): Uint8Array {
    this.available -= n;
    this.pos += n;
    const first = this.queue[0];
    if (n === 0) return new Uint8Array(0);
    if (first !== undefined && first.length - this.queueHead >= n) {
      const v = first.subarray(this.queueHead, this.queueHead + n);
      this.queueHead += n;
      if (this.queueHead === first.length) {
        this.queue.shift();
        this.queueHead = 0;
      }
      return v;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.queue[0]!;
      const k = Math.min(c.length - this.queueHead, n - o);
      out.set(c.subarray(this.queueHead, this.queueHead + k), o);
      o += k;
      this.queueHead += k;
      if (this.queueHead === c.length) {
        this.queue.shift();
        this.queueHead = 0;
      }
    }
    return out;
  }

  private discard(n: number): void {
    this.available -= n;
    this.pos += n;
    while (n > 0) {
      const c = this.queue[0]!;
      const k = Math.min(c.length - this.queueHead, n);
      n -= k;
      this.queueHead += k;
      if (this.queueHead === c.length) {
        this.queue.shift();
        this.queueHead = 0;
      }
    }
  }
}
