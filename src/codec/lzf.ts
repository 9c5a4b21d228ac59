// LZF (liblzf stream format, as used by Redis for `C3` RDB strings).
//
// Control byte c:
//   c < 0x20            literal run: c+1 bytes (1..32) copied from the input
//   c >> 5 = 1..6       back reference of (c>>5)+2 bytes (3..8), one offset byte follows
//   c >> 5 = 7          long back reference: a length byte follows (total 9..264), then offset
//   distance = ((c & 0x1f) << 8 | offset byte) + 1, 1..8192 bytes back in the output
// Back references are copied byte by byte: overlap (distance < length) repeats a pattern.
// Decompression copies runs 8 bytes at a time through DataViews (see lzfDecompressInto);
// copyWithin/set cost more than they save on runs this short.

import { FormatError } from '../model/errors.js';
import { readView, writeView } from './bytes.js';

/** Longest output any LZF input byte can produce: a 3-byte long reference yields 264 bytes. */
const MAX_EXPANSION = 88;
const MAX_LIT = 32;
const MAX_OFF = 8192;
const MAX_REF = 264;

/**
 * Decompresses `src` (the whole compressed payload) into exactly `ulen` bytes.
 * Throws FormatError(…, errOffset) on any malformed stream or when the output length differs.
 * `ulen` is checked against what `src.length` can possibly produce before anything is allocated.
 */
export function lzfDecompress(src: Uint8Array, ulen: number, errOffset: number): Buffer {
  const clen = src.length;
  if (!Number.isSafeInteger(ulen) || ulen < 0) {
    throw new FormatError(`lzf: invalid uncompressed length ${ulen}`, errOffset);
  }
  if (ulen > clen * MAX_EXPANSION) {
    throw new FormatError(
      `lzf: uncompressed length ${ulen} is impossible for ${clen} compressed bytes`,
      errOffset,
    );
  }
  const out = Buffer.allocUnsafe(ulen);
  lzfDecompressInto(src, 0, clen, out, 0, ulen, errOffset);
  return out;
}

/**
 * Decompresses src[s, e) into exactly `ulen` bytes at out[o, o + ulen) (room checked by the
 * caller; nothing outside that range is written). Same errors as lzfDecompress.
 *
 * Where the output has room behind a run, the run is copied in whole 8-byte steps and the few
 * bytes written past its end are overwritten by the runs after it: a back reference at least
 * 8 bytes back only reads bytes that are final. On text-like data (runs of 3-6 bytes) this is
 * about 3x the speed of a byte loop.
 */
export function lzfDecompressInto(src: Uint8Array, s: number, e: number, out: Uint8Array, o: number, ulen: number, errOffset: number): void {
  const oend = o + ulen;
  const sv = readView(src);
  const ov = writeView(out);
  let ip = s;
  let op = o;
  while (ip < e) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > oend || ip + n > e) throw lzfError(op + n > oend ? 'overrun' : 'truncated', 'literal run', ip - 1 - s, ulen, 0, errOffset);
      if (op + 32 <= oend && ip + 32 <= e) {
        for (let k = 0; k < n; k += 8) {
          ov.setInt32(op + k, sv.getInt32(ip + k, true), true);
          ov.setInt32(op + k + 4, sv.getInt32(ip + k + 4, true), true);
        }
        ip += n;
        op += n;
      } else for (const stop = ip + n; ip < stop; ) out[op++] = src[ip++]!;
    } else {
      const at = ip - 1 - s;
      let len = (ctrl >>> 5) + 2;
      if (len === 9) {
        if (ip >= e) throw lzfError('truncated', 'back reference', at, ulen, 0, errOffset);
        len += src[ip++]!;
      }
      if (ip >= e) throw lzfError('truncated', 'back reference', at, ulen, 0, errOffset);
      const d = ((ctrl & 0x1f) << 8) + src[ip++]! + 1;
      let r = op - d;
      if (op + len > oend) throw lzfError('overrun', 'back reference', at, ulen, 0, errOffset);
      if (r < o) throw lzfError('before', 'back reference', at, ulen, [d, op - o], errOffset);
      const stop = op + len;
      if (d >= 8 && stop + 8 <= oend) {
        for (; op < stop; op += 8, r += 8) {
          ov.setInt32(op, ov.getInt32(r, true), true);
          ov.setInt32(op + 4, ov.getInt32(r + 4, true), true);
        }
        op = stop;
      } else while (op < stop) out[op++] = out[r++]!;
    }
  }
  if (op !== oend) {
    throw new FormatError(`lzf: decompressed to ${op - o} bytes, expected ${ulen}`, errOffset);
  }
}

/** the error of a malformed run (built outside the decompression loop) */
function lzfError(kind: 'overrun' | 'truncated' | 'before', what: string, at: number, ulen: number, back: number | [number, number], errOffset: number): FormatError {
  if (kind === 'overrun') return new FormatError(`lzf: ${what} at compressed byte ${at} overruns the ${ulen}-byte output`, errOffset);
  if (kind === 'truncated') return new FormatError(`lzf: ${what} at compressed byte ${at} is truncated`, errOffset);
  const [d, done] = back as [number, number];
  return new FormatError(`lzf: ${what} at compressed byte ${at} points ${d} bytes back, before the start of the output (${done} bytes so far)`, errOffset);
}

/**
 * Checks that `src` is an LZF stream that decompresses to exactly `ulen` bytes, without
 * producing them (the checks only depend on output positions): what `redkit check` needs for
 * a string value nobody will look at. Same errors as lzfDecompress.
 */
export function lzfValidate(src: Uint8Array, ulen: number, errOffset: number): void {
  const clen = src.length;
  if (!Number.isSafeInteger(ulen) || ulen < 0 || ulen > clen * MAX_EXPANSION) {
    throw new FormatError(`lzf: uncompressed length ${ulen} is impossible for ${clen} compressed bytes`, errOffset);
  }
  let ip = 0;
  let op = 0;
  while (ip < clen) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const n = ctrl + 1;
      if (op + n > ulen || ip + n > clen) throw lzfError(op + n > ulen ? 'overrun' : 'truncated', 'literal run', ip - 1, ulen, 0, errOffset);
      ip += n;
      op += n;
    } else {
      const at = ip - 1;
      let len = (ctrl >>> 5) + 2;
      if (len === 9) {
        if (ip >= clen) throw lzfError('truncated', 'back reference', at, ulen, 0, errOffset);
        len += src[ip++]!;
      }
      if (ip >= clen) throw lzfError('truncated', 'back reference', at, ulen, 0, errOffset);
      const d = ((ctrl & 0x1f) << 8) + src[ip++]! + 1;
      if (op + len > ulen) throw lzfError('overrun', 'back reference', at, ulen, 0, errOffset);
      if (op - d < 0) throw lzfError('before', 'back reference', at, ulen, [d, op], errOffset);
      op += len;
    }
  }
  if (op !== ulen) throw new FormatError(`lzf: decompressed to ${op} bytes, expected ${ulen}`, errOffset);
}

// Hash table of 3-byte prefixes -> hashBase + position + 1, shared between calls. Each call
// starts above every value stored by earlier calls, so stale slots read as empty without
// clearing 64 KiB per string, and the output depends only on the input.
const HASH_BITS = 14;
const hashTable = new Int32Array(1 << HASH_BITS);
let hashBase = 0;
// Scratch output reused between calls (kept only up to 1 MiB); results are copied out of it.
let scratch = Buffer.allocUnsafe(4096);

/**
 * Compresses `src` into a valid LZF stream of at most `maxOut` bytes, or returns undefined when
 * it does not fit (Redis calls this with maxOut = len - 4 and stores the raw string on failure).
 * A 0-byte input compresses to a 0-byte stream.
 */
export function lzfCompress(src: Uint8Array, maxOut: number): Buffer | undefined {
  const n = src.length;
  if (!(maxOut >= 0)) return undefined;
  if (n === 0) return Buffer.alloc(0);
  // Worst case: every byte literal, one control byte per 32.
  const cap = Math.min(maxOut, n + Math.ceil(n / MAX_LIT));
  let out = scratch;
  if (cap > out.length) {
    out = Buffer.allocUnsafe(cap);
    if (cap <= 1 << 20) scratch = out;
  }
  const table = hashTable;
  if (hashBase + n + 1 > 0x7fffffff) {
    table.fill(0);
    hashBase = 0;
  }
  const base = hashBase;
  hashBase += n + 1;
  let ip = 0;
  let lit = 0; // start of the pending literal run
  let op = 0;
  const limit = n - 2; // a match needs 3 bytes
  while (ip < limit) {
    const h = Math.imul((src[ip]! << 16) | (src[ip + 1]! << 8) | src[ip + 2]!, 0x9e3779b1) >>> (32 - HASH_BITS);
    const cand = table[h]! - base - 1;
    table[h] = base + ip + 1;
    if (
      cand >= 0 &&
      cand < ip &&
      ip - cand <= MAX_OFF &&
      src[cand] === src[ip] &&
      src[cand + 1] === src[ip + 1] &&
      src[cand + 2] === src[ip + 2]
    ) {
      const maxLen = Math.min(MAX_REF, n - ip);
      let len = 3;
      while (len < maxLen && src[cand + len] === src[ip + len]) len++;
      // Flush the literal run [lit, ip) in chunks of at most 32.
      while (lit < ip) {
        const k = Math.min(MAX_LIT, ip - lit);
        if (op + 1 + k > cap) return undefined;
        out[op++] = k - 1;
        for (let s = lit + k; lit < s; ) out[op++] = src[lit++]!;
      }
      const off = ip - cand - 1;
      const l = len - 2;
      if (l < 7) {
        if (op + 2 > cap) return undefined;
        out[op++] = (l << 5) | (off >>> 8);
      } else {
        if (op + 3 > cap) return undefined;
        out[op++] = (7 << 5) | (off >>> 8);
        out[op++] = l - 7;
      }
      out[op++] = off & 0xff;
      // Index the last two positions of the match so the next repeat is found (liblzf VERY_FAST).
      const end = ip + len;
      for (let q = end - 2; q < end && q < limit; q++) {
        table[Math.imul((src[q]! << 16) | (src[q + 1]! << 8) | src[q + 2]!, 0x9e3779b1) >>> (32 - HASH_BITS)] = base + q + 1;
      }
      ip = end;
      lit = ip;
    } else {
      ip++;
    }
  }
  while (lit < n) {
    const k = Math.min(MAX_LIT, n - lit);
    if (op + 1 + k > cap) return undefined;
    out[op++] = k - 1;
    for (let s = lit + k; lit < s; ) out[op++] = src[lit++]!;
  }
  return Buffer.from(out.subarray(0, op));
}
