// Zipmap (RDB type 9, hashes written by Redis <= 2.4).
//
//   u8 zmlen (pair count; 254 = "count by scanning") | pair* | 0xFF
//   pair = len field | len free(u8) value | `free` unused bytes
//   len  = 1 byte 0..253, or 0xFE + u32le (0xFF at a field position ends the map)
//
// strict=true applies what Redis 7 checks when loading (rdbLoadObject: zipmapValidateIntegrity
// with deep=1, then the conversion loop over zipmapNext):
//   - last byte 0xFF; every length, field and value (+ free bytes) inside the blob
//   - at least one pair
//   - zmlen equals the pair count unless it is 254. This is the rule the HDT3213 fixture
//     zipmap_big_len.rdb breaks: its zmlen is 255 with 2 pairs ("Zipmap integrity check failed").
//   - a 5-byte length holds a value >= 254: zipmapNext skips ZIPMAP_LEN_BYTES(decoded value),
//     so a 5-byte form of a small length is misread (Redis then rejects the key as "dup
//     elements, or big length", or could load the wrong bytes)
//   - no duplicate field
// strict=false reads what older loaders read: in-bounds pairs ended by 0xFF, nothing else.
// Both modes take 0xFE or 0xFF as the 5-byte marker of a value length (Redis does the same),
// stop at the first 0xFF in a field position and ignore any bytes after it (Redis too).

import { FormatError } from '../model/errors.js';

const ZIPMAP_BIGLEN = 254;
const ZIPMAP_END = 255;

function fail(msg: string, errOffset: number): never {
  throw new FormatError(`zipmap: ${msg}`, errOffset);
}

/** Decodes a zipmap into a flat [field, value, field, value, …] list of copies. */
export function decodeZipmap(buf: Uint8Array, errOffset: number, strict: boolean): Buffer[] {
  const n = buf.length;
  if (n < 2) fail(`blob of ${n} bytes is shorter than the 2-byte minimum`, errOffset);
  const last = n - 1;
  if (strict && buf[last] !== ZIPMAP_END) {
    fail(`last byte is 0x${buf[last]!.toString(16).padStart(2, '0')}, not the 0xFF terminator`, errOffset);
  }
  const out: Buffer[] = [];
  let count = 0;
  let p = 1;
  // Each step checks that the next position is <= last (Redis's OUT_OF_RANGE(p)), so p is
  // always readable here; a missing terminator shows up as a length running past the end.
  for (;;) {
    let b = buf[p]!;
    if (b === ZIPMAP_END) break;
    const fieldAt = p;
    // field length
    let s = b < ZIPMAP_BIGLEN ? 1 : 5;
    if (p + s > last) fail(`field length at blob byte ${p} runs past the end`, errOffset);
    let len = s === 1 ? b : (buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24)) >>> 0;
    if (strict && s === 5 && len < ZIPMAP_BIGLEN) {
      fail(`field length ${len} at blob byte ${p} uses the 5-byte form (Redis misreads it)`, errOffset);
    }
    p += s;
    const fs = p;
    p += len;
    if (p > last) fail(`field at blob byte ${fieldAt} (${len} bytes) runs past the end`, errOffset);
    const fe = p;
    // value length, free byte, value, free space
    b = buf[p]!;
    s = b < ZIPMAP_BIGLEN ? 1 : 5;
    if (p + s > last) fail(`value length at blob byte ${p} runs past the end`, errOffset);
    const valueAt = p;
    len = s === 1 ? b : (buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24)) >>> 0;
    if (strict && s === 5 && len < ZIPMAP_BIGLEN) {
      fail(`value length ${len} at blob byte ${p} uses the 5-byte form (Redis misreads it)`, errOffset);
    }
    p += s;
    const free = buf[p]!;
    p++;
    const vs = p;
    p += len + free;
    if (p > last) {
      fail(`value at blob byte ${valueAt} (${len} bytes + ${free} free) runs past the end`, errOffset);
    }
    out.push(Buffer.from(buf.subarray(fs, fe)), Buffer.from(buf.subarray(vs, vs + len)));
    count++;
  }
  if (strict) {
    if (count === 0) fail('no pairs (Redis rejects an empty zipmap)', errOffset);
    const zmlen = buf[0]!;
    if (zmlen !== ZIPMAP_BIGLEN && zmlen !== count) {
      fail(`header says ${zmlen} pairs but ${count} found (only 254 means "unknown")`, errOffset);
    }
    const seen = new Set<string>();
    for (let i = 0; i < out.length; i += 2) {
      const key = out[i]!.toString('latin1');
      if (seen.has(key)) fail(`duplicate field at pair ${i / 2}`, errOffset);
      seen.add(key);
    }
  }
  return out;
}
