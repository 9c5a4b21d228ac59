// Redis 7+ multi-part AOF manifest (`appendonly.aof.manifest`), see FORMATS.md §7.4.
//
// The parser mirrors aofLoadManifestFromFile() in Redis's src/aof.c line for line, including
// its quirks, so that a manifest we accept is one Redis accepts and the reason we give for a
// rejection is the one Redis would log:
//   - lines are read like fgets() into a 1025-byte buffer: at most 1024 bytes per read, so a
//     longer line is split and its first part fails the newline check ("too long line");
//   - a line starting with '#' is skipped before the newline check, so a final comment may
//     lack its '\n' (and a comment longer than 1024 bytes continues as a new "line");
//   - a NUL byte before the '\n' hides the newline from strchr(): also "too long line";
//   - the line is trimmed of " \t\r\n", then split with sdssplitargs() (splitArgs below);
//   - key/value pairs: keys compared case-insensitively (only "file", "seq", "type" known,
//     others ignored); a repeated key overwrites the earlier value; values are C strings, so
//     a "\x00" escape ends them; "seq" goes through atoll() and must not be 0; "type" is the
//     value's first character.
// formatManifest() mirrors aofInfoFormat() + sdscatrepr() so that its output round-trips.

import { FormatError } from '../model/errors.js';

/** Longest manifest line Redis reads, its '\n' included (MANIFEST_MAX_LINE). */
export const MANIFEST_MAX_LINE = 1024;

export type ManifestFileType = 'base' | 'history' | 'incr';

export interface ManifestEntry {
  /** The file name (a basename), decoded from the manifest's bytes as UTF-8. */
  file: string;
  /** The `seq` value. Values beyond ±2^53 lose precision (Redis keeps an int64). */
  seq: number;
  type: ManifestFileType;
  /** 1-based line number, counted as Redis counts it (see the header comment). */
  line: number;
  /** Byte offset of the line's first byte in the manifest. */
  offset: number;
}

export interface Manifest {
  base?: ManifestEntry;
  history: ManifestEntry[];
  incrs: ManifestEntry[];
  /** Every entry in file order. */
  entries: ManifestEntry[];
}

// Redis's messages (src/aof.c aofLoadManifestFromFile); do not reword.
export const MANIFEST_EMPTY = 'Found an empty AOF manifest';
export const MANIFEST_TOO_LONG_LINE = 'The AOF manifest file contains too long line';
export const MANIFEST_INVALID_FORMAT = 'Invalid AOF manifest file format';
export const MANIFEST_FILE_IS_PATH = "File can't be a path, just a filename";
export const MANIFEST_DUPLICATE_BASE = 'Found duplicate base file information';
export const MANIFEST_NON_MONOTONIC = 'Found a non-monotonic sequence number';
export const MANIFEST_UNKNOWN_TYPE = 'Unknown AOF file type';

const TYPE_CHARS: Record<ManifestFileType, string> = { base: 'b', history: 'h', incr: 'i' };

/** C isspace() in the "C" locale: \t \n \v \f \r and space. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10;
}

/**
 * sdssplitargs(): split a line into arguments the way redis-cli and the manifest loader do.
 *
 * Works on a binary string (one char per byte, as latin1 decoding gives); `\xHH` escapes
 * produce the char with code HH. Like the C original, the line ends at the first NUL char.
 * - `"..."`: C escapes `\n \r \t \b \a \xHH`, any other escaped char stands for itself;
 * - `'...'`: only `\'` is an escape;
 * - a quote may start in the middle of a token (`ab"c d"` is `abc d`), but a closing quote
 *   must be followed by whitespace or the end of the line.
 * Returns null on unbalanced quotes or a closing quote followed by something else.
 */
export function splitArgs(line: string): string[] | null {
  const n = line.length;
  const at = (i: number): number => (i < n ? line.charCodeAt(i) : 0);
  const out: string[] = [];
  let p = 0;
  for (;;) {
    while (at(p) !== 0 && isSpace(at(p))) p++;
    if (at(p) === 0) return out;
    let inq = false; // inside "double quotes"
    let insq = false; // inside 'single quotes'
    let done = false;
    let cur = '';
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === 0x5c && at(p + 1) === 0x78 && isHexDigit(at(p + 2)) && isHexDigit(at(p + 3))) {
          cur += String.fromCharCode(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === 0x5c && at(p + 1) !== 0) {
          p++;
          const e = at(p);
          switch (e) {
            case 0x6e: cur += '\n'; break; // n
            case 0x72: cur += '\r'; break; // r
            case 0x74: cur += '\t'; break; // t
            case 0x62: cur += '\b'; break; // b
            case 0x61: cur += '\x07'; break; // a
            default: cur += line[p]; break;
          }
        } else if (c === 0x22) {
          // The closing quote must be followed by a space or nothing at all.
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null; // unterminated quotes
        } else {
          cur += line[p];
        }
      } else if (insq) {
        if (c === 0x5c && at(p + 1) === 0x27) {
          p++;
          cur += "'";
        } else if (c === 0x27) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          cur += line[p];
        }
      } else {
        switch (c) {
          case 0x20: case 0x0a: case 0x0d: case 0x09: case 0:
            done = true;
            break;
          case 0x22:
            inq = true;
            break;
          case 0x27:
            insq = true;
            break;
          default:
            cur += line[p];
            break;
        }
      }
      if (at(p) !== 0) p++;
    }
    out.push(cur);
  }
}

/** A manifest line for messages: printable ASCII kept, other bytes as \xHH, long lines cut. */
function showLine(bytes: Uint8Array, max = 200): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
  }
  if (bytes.length > max) s += `...(${bytes.length} bytes)`;
  return s;
}

/** The part of a C string before its first NUL. */
function cString(s: string): string {
  const z = s.indexOf('\0');
  return z === -1 ? s : s.slice(0, z);
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** atoll() as glibc does it: leading blanks, a sign, digits, stop at anything else; 0 when
 * there are no digits; saturated at the int64 limits. */
function atoll(s: string): bigint {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const start = i;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  if (i === start) return 0n;
  let v = BigInt(s.slice(start, i));
  if (neg) v = -v;
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : v;
}

/** Trim " \t\r\n" from both ends (sdstrim). */
function trimBytes(b: Uint8Array): Uint8Array {
  const isTrim = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
  let s = 0;
  let e = b.length;
  while (s < e && isTrim(b[s]!)) s++;
  while (e > s && isTrim(b[e - 1]!)) e--;
  return b.subarray(s, e);
}

const utf8 = new TextDecoder('utf-8');

/** Bytes to a binary string, one char per byte. (TextDecoder('latin1') is really
 * windows-1252 and remaps 0x80-0x9f, so it cannot be used here.) */
function binaryString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Binary (latin1) string to its bytes. */
function binaryBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/**
 * Parse a manifest with Redis's rules. Throws FormatError with Redis's message, prefixed by
 * the line number and followed by the (trimmed) line, e.g.
 * `line 3: Found duplicate base file information: 'file a seq 1 type b'`;
 * its offset is the byte offset of that line.
 */
export function parseManifest(text: Uint8Array): Manifest {
  const m: Manifest = { history: [], incrs: [], entries: [] };
  if (text.length === 0) throw new FormatError(MANIFEST_EMPTY, 0);
  let maxSeq = 0n;
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    // fgets(buf, MANIFEST_MAX_LINE + 1, fp): up to and including '\n', at most 1024 bytes.
    const start = pos;
    const nl = text.indexOf(0x0a, pos);
    let end = nl === -1 ? text.length : nl + 1;
    if (end - start > MANIFEST_MAX_LINE) end = start + MANIFEST_MAX_LINE;
    pos = end;
    lineNo++;
    const chunk = text.subarray(start, end);
    if (chunk[0] === 0x23) continue; // '#': comment

    const fail = (msg: string, shown: Uint8Array): never => {
      throw new FormatError(`line ${lineNo}: ${msg}: '${showLine(shown)}'`, start);
    };

    // strchr(buf, '\n') stops at the first NUL.
    const nul = chunk.indexOf(0);
    const visible = nul === -1 ? chunk : chunk.subarray(0, nul);
    if (visible.indexOf(0x0a) === -1) fail(MANIFEST_TOO_LONG_LINE, trimBytes(visible));

    const line = trimBytes(visible);
    if (line.length === 0) fail(MANIFEST_INVALID_FORMAT, line);

    const argv = splitArgs(binaryString(line));
    // 'argc < 6' is for forward compatibility: more pairs may be added later.
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail(MANIFEST_INVALID_FORMAT, line);

    let file: string | undefined;
    let seq = 0n;
    let typeChar = '';
    const args = argv!;
    for (let i = 0; i < args.length; i += 2) {
      const key = cString(args[i]!).toLowerCase();
      const value = cString(args[i + 1]!);
      if (key === 'file') {
        if (value.includes('/') || value.includes('\\')) fail(MANIFEST_FILE_IS_PATH, line);
        file = utf8.decode(binaryBytes(value));
      } else if (key === 'seq') {
        seq = atoll(value);
      } else if (key === 'type') {
        typeChar = value.slice(0, 1);
      }
      // Unknown keys are ignored (forward compatibility).
    }
    if (file === undefined || seq === 0n || typeChar === '') fail(MANIFEST_INVALID_FORMAT, line);

    const entry = (type: ManifestFileType): ManifestEntry => ({
      file: file!,
      seq: Number(seq),
      type,
      line: lineNo,
      offset: start,
    });
    if (typeChar === 'b') {
      if (m.base !== undefined) fail(MANIFEST_DUPLICATE_BASE, line);
      m.base = entry('base');
      m.entries.push(m.base);
    } else if (typeChar === 'h') {
      const e = entry('history');
      m.history.push(e);
      m.entries.push(e);
    } else if (typeChar === 'i') {
      if (seq <= maxSeq) fail(MANIFEST_NON_MONOTONIC, line);
      maxSeq = seq;
      const e = entry('incr');
      m.incrs.push(e);
      m.entries.push(e);
    } else {
      fail(MANIFEST_UNKNOWN_TYPE, line);
    }
  }
  return m;
}

/** sdsneedsrepr(): does this byte string need quoting to survive sdssplitargs?
 * One deliberate difference: Redis does not quote a name containing a single quote, and then
 * cannot read its own manifest back (sdssplitargs opens a quote at the ' and finds it
 * unbalanced: "Invalid AOF manifest file format"). We quote it; Redis reads that fine. */
function needsRepr(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    // \\, ", ' and every non-printable or space byte (isprint/isspace, "C" locale).
    if (c === 0x5c || c === 0x22 || c === 0x27 || c <= 0x20 || c >= 0x7f) return true;
  }
  return false;
}

/** sdscatrepr(): a double-quoted C-style literal. */
function repr(b: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    switch (c) {
      case 0x5c: s += '\\\\'; break;
      case 0x22: s += '\\"'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x07: s += '\\a'; break;
      case 0x08: s += '\\b'; break;
      default:
        s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return s + '"';
}

/**
 * Write manifest lines the way aofInfoFormat() does: `file <name> seq <n> type <b|h|i>\n`,
 * the name double-quoted with C escapes when it contains spaces, quotes, backslashes or
 * non-printable bytes (UTF-8 names are written as \xHH bytes, as Redis does). Entries are
 * written in the order given; Redis writes the base first, then history, then incr lines.
 * Throws RangeError for what Redis could not read back: an empty name, a name with '/', '\'
 * or NUL, a seq that is 0 or not an integer.
 */
export function formatManifest(
  entries: Iterable<Pick<ManifestEntry, 'file' | 'seq' | 'type'>>,
): string {
  const enc = new TextEncoder();
  let out = '';
  for (const e of entries) {
    if (e.file === '' || /[/\\\0]/.test(e.file)) {
      throw new RangeError(`invalid AOF file name for a manifest: ${JSON.stringify(e.file)}`);
    }
    if (!Number.isInteger(e.seq) || e.seq === 0) {
      throw new RangeError(`invalid AOF sequence number for a manifest: ${e.seq}`);
    }
    const t = TYPE_CHARS[e.type];
    if (t === undefined) throw new RangeError(`invalid AOF file type: ${String(e.type)}`);
    const name = enc.encode(e.file);
    out += `file ${needsRepr(name) ? repr(name) : e.file} seq ${BigInt(e.seq)} type ${t}\n`;
  }
  return out;
}
