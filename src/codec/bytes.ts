// Copying short byte ranges between buffers, the hot loop of the RDB -> AOF transcoder and of
// LZF decompression. `target.set(source.subarray(...))` allocates a view per call (~80 ns and
// garbage to collect); a byte loop costs ~1 ns a byte. Below ~160 bytes, 4-byte DataView
// reads and writes, two per step, beat both (measured on Node 20: 64 bytes in 25 ns against
// 73 ns for the loop and 95 ns for set; 200 bytes: 60 / 229 / 91 ns).
//
// The DataViews are cached: for the last two buffers read from and the last buffer written to
// (in the transcoder these change once per read window, LZF scratch or output chunk).

let srcBuf: Uint8Array | undefined;
let srcView: DataView = new DataView(new ArrayBuffer(0));
// the one before (LZF reads the input and the transcoder then reads what LZF wrote)
let srcBuf2: Uint8Array | undefined;
let srcView2: DataView = srcView;
let dstBuf: Uint8Array | undefined;
let dstView: DataView = new DataView(new ArrayBuffer(0));

/** a DataView over the same bytes as `b` (indexes as in b), for reading */
export function readView(b: Uint8Array): DataView {
  if (b === srcBuf) return srcView;
  const v = b === srcBuf2 ? srcView2 : new DataView(b.buffer, b.byteOffset, b.byteLength);
  srcBuf2 = srcBuf;
  srcView2 = srcView;
  srcBuf = b;
  srcView = v;
  return v;
}

/** a DataView over the same bytes as `b`, for writing */
export function writeView(b: Uint8Array): DataView {
  if (b !== dstBuf) {
    dstBuf = b;
    dstView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  return dstView;
}

/** Below this many bytes copyBytes copies in words rather than through a subarray. */
const WORDS_BELOW = 160;

/**
 * Copies src[s, e) to out at q (room checked by the caller; src and out distinct buffers, or
 * ranges that do not overlap); returns q + (e - s).
 */
export function copyBytes(src: Uint8Array, s: number, e: number, out: Uint8Array, q: number): number {
  const n = e - s;
  if (n < 8) {
    for (let k = s; k < e; k++) out[q++] = src[k]!;
    return q;
  }
  if (n >= WORDS_BELOW) {
    out.set(src.subarray(s, e), q);
    return q + n;
  }
  const sv = readView(src);
  const dv = writeView(out);
  let k = s;
  for (const stop = e - 8; k <= stop; k += 8, q += 8) {
    dv.setInt32(q, sv.getInt32(k, true), true);
    dv.setInt32(q + 4, sv.getInt32(k + 4, true), true);
  }
  while (k < e) out[q++] = src[k++]!;
  return q;
}
