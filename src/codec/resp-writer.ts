// RESP request encoding: a command is an array of bulk strings,
//   *<argc>\r\n  then per argument  $<byte length>\r\n<bytes>\r\n
// which is both what clients send and what an AOF holds.
//
// `RespWriter` is the growable output buffer of one sink. Framing text (`*N`, `$len`, CRLF) and
// string arguments are batched into one JS string and written with a single `Buffer#write`;
// binary payloads are copied exactly once, straight into the output buffer.

/** One command argument: bytes, or text (encoded as UTF-8). */
export type RespArg = Uint8Array | string;

const DEFAULT_CHUNK = 64 * 1024;

/** Exact encoded size of one command. */
export function encodedCommandLength(args: readonly RespArg[]): number {
  let n = 3 + decimalLength(args.length); // *N\r\n
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const len = typeof a === 'string' ? (isAscii(a) ? a.length : Buffer.byteLength(a, 'utf8')) : a.length;
    n += 5 + decimalLength(len) + len; // $len\r\n ... \r\n
  }
  return n;
}

/** Encode one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly RespArg[]): Buffer {
  const out = Buffer.allocUnsafe(encodedCommandLength(args));
  const end = writeCommandAt(out, 0, args);
  // Sizes are computed exactly; a mismatch would be a bug in this file.
  if (end !== out.length) throw new Error(`encodeCommand: wrote ${end} of ${out.length} bytes`);
  return out;
}

/**
 * Append-only output buffer. `push` encodes commands into it; `take` hands over everything
 * buffered so far. Bytes handed over are never written again (the writer moves on past them,
 * or to a fresh chunk), so a `take()` result may be passed to `socket.write` without copying.
 */
export class RespWriter {
  private buf: Buffer;
  /** first byte not yet taken */
  private start = 0;
  /** end of the buffered bytes (low-level appends write at it: see room) */
  end = 0;
  private readonly chunkSize: number;

  /** `initial`: a buffer to start in (its bytes are overwritten) */
  constructor(chunkSize = DEFAULT_CHUNK, initial?: Buffer) {
    if (!Number.isInteger(chunkSize) || chunkSize < 16) throw new RangeError('chunkSize must be an integer >= 16');
    this.chunkSize = chunkSize;
    this.buf = initial ?? Buffer.allocUnsafe(chunkSize);
  }

  /** Bytes buffered and not yet taken. */
  get length(): number {
    return this.end - this.start;
  }

  /** Append one command. */
  push(args: readonly RespArg[]): this {
    const need = encodedCommandLength(args);
    this.reserve(need);
    this.end = writeCommandAt(this.buf, this.end, args);
    return this;
  }

  /** Append bytes that are already RESP (e.g. a command copied verbatim from an AOF). */
  pushRaw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
    return this;
  }

  /**
   * Low-level appends (the RDB transcoder): make room for `n` more bytes and return the buffer;
   * the caller writes at `end` and moves `end` past what it wrote (at most n bytes).
   */
  room(n: number): Buffer {
    this.reserve(n);
    return this.buf;
  }

  /** Drop what was appended after the first `length` untaken bytes. */
  truncate(length: number): void {
    if (length < 0 || length > this.end - this.start) throw new RangeError('truncate: length out of range');
    this.end = this.start + length;
  }

  /** Everything buffered since the last `take`, as one Buffer (empty when nothing is). */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return out;
  }

  /** Make room for `need` more bytes after `end`, never touching bytes before `end`. */
  private reserve(need: number): void {
    if (this.end + need <= this.buf.length) return;
    // Buffered-but-untaken bytes move to the new chunk; taken bytes stay where the taker holds them.
    const pending = this.end - this.start;
    const size = Math.max(this.chunkSize, nextPow2(pending + need));
    const next = Buffer.allocUnsafe(size);
    if (pending > 0) this.buf.copy(next, 0, this.start, this.end);
    this.buf = next;
    this.start = 0;
    this.end = pending;
  }
}

/**
 * Write one command at `pos` (room already checked); return the new end. Framing bytes are
 * stored by index and short payloads copied byte by byte: no string building, no UTF-8
 * encoder for ASCII text (measured: RDB -> AOF conversion 2x faster than one big string write).
 */
function writeCommandAt(out: Buffer, pos: number, args: readonly RespArg[]): number {
  out[pos++] = 0x2a; // *
  pos = writeDecimal(out, pos, args.length);
  out[pos++] = 0x0d;
  out[pos++] = 0x0a;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    out[pos++] = 0x24; // $
    if (typeof a === 'string') {
      if (isAscii(a)) {
        pos = writeDecimal(out, pos, a.length);
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        for (let k = 0; k < a.length; k++) out[pos++] = a.charCodeAt(k);
      } else {
        pos = writeDecimal(out, pos, Buffer.byteLength(a, 'utf8'));
        out[pos++] = 0x0d;
        out[pos++] = 0x0a;
        pos += out.write(a, pos, 'utf8');
      }
    } else {
      const n = a.length;
      pos = writeDecimal(out, pos, n);
      out[pos++] = 0x0d;
      out[pos++] = 0x0a;
      if (n < 48) for (let k = 0; k < n; k++) out[pos++] = a[k]!;
      else {
        out.set(a, pos);
        pos += n;
      }
    }
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
  }
  return pos;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) >= 0x80) return false;
  return true;
}

/** Decimal digits of a non-negative integer at pos; returns the new end. */
function writeDecimal(out: Buffer, pos: number, n: number): number {
  if (n < 10) {
    out[pos] = 0x30 + n;
    return pos + 1;
  }
  const d = decimalLength(n);
  let p = pos + d;
  for (let k = p - 1; k >= pos; k--) {
    out[k] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return p;
}

function decimalLength(n: number): number {
  // n >= 0 here (argument counts and byte lengths)
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
