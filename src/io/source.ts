// Input resolution: turns what the user typed (a file, an appendonlydir, a manifest, `-`)
// into the list of files to read in load order, and reads them as decompressed chunks.
//
// Detection follows redis-check-aof's getInputFileType() (src/redis-check-aof.c): content
// beginning with REDIS (or Valkey 9's VALKEY) is RDB data; otherwise a name ending in
// `.manifest`, or a first non-'#' line beginning with "file", is a multi-part AOF manifest;
// anything else is a RESP AOF. Compression (gzip, LZ4 frame) is detected by magic bytes, for
// every file, never by name.

import { promises as fsp, createReadStream, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FormatError, InputError, UnsupportedError, UsageError } from '../model/errors.js';
import { MANIFEST_MAX_LINE, parseManifest, type Manifest, type ManifestEntry } from '../codec/manifest.js';
import { Lz4FrameDecoder } from '../codec/lz4.js';

export type Compression = 'none' | 'gzip' | 'lz4';

export interface InputFile {
  /** As given or resolved ('-' for stdin). */
  path: string;
  role: 'rdb' | 'aof' | 'base' | 'incr' | 'history';
  /** From the first decompressed bytes: REDIS or VALKEY → 'rdb' (an RDB file, an RDB
   * preamble AOF or an RDB base), anything else → 'aof'. */
  format: 'rdb' | 'aof';
  /** Role aof/base and the content starts with REDIS/VALKEY: an RDB image, maybe followed by
   * RESP commands. */
  preamble: boolean;
  compression: Compression;
  /** On-disk (compressed) size; undefined for stdin and pipes. */
  size: number | undefined;
  /** Listed in the manifest but absent. */
  missing?: boolean;
  /** The first (up to) 16 decompressed bytes. */
  head: Buffer;
}

export interface InputProblem {
  severity: 'error' | 'warning';
  file: string;
  offset: number;
  message: string;
}

export interface ResolvedInput {
  kind: 'rdb' | 'aof' | 'multipart';
  /** What to call the input in messages. */
  display: string;
  manifestPath?: string;
  manifest?: Manifest;
  /** Load order: base, then incrs; history files after them, with role 'history'. */
  files: InputFile[];
  /** Manifest errors, missing files (errors); unlisted files and history files (warnings). */
  problems: InputProblem[];
}

export interface ResolveOptions {
  /** The stream `-` reads (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export interface ChunkOptions {
  /** Decompressed bytes per chunk (default 1 MiB). Every chunk but the last has exactly this
   * size; each is a fresh buffer that is never reused, unless `recycle` is given. */
  chunkSize?: number;
  /**
   * Plain files only: buffers of `chunkSize` bytes the consumer has finished with (nothing
   * refers to their bytes any more), to read the next chunks into instead of allocating: a
   * fresh megabyte per chunk costs page faults (measured on the 611 MB bench RDB: ~0.3 s of
   * system time in convert).
   */
  recycle?: Buffer[];
}

// 1 MiB: measured the same speed as 4 MiB, and views a borrowing reader hands out pin less
// memory until the GC collects them (RDB check peak RSS ~180 -> ~120 MB)
export const DEFAULT_CHUNK_SIZE = 1 << 20;
export const HEAD_SIZE = 16;
/** Raw bytes read to sniff a file's type (manifest detection looks at its first lines). */
const SNIFF_SIZE = 64 << 10;
/** Manifests are tiny; a ".manifest" larger than this is read only this far. */
const MANIFEST_READ_LIMIT = 16 << 20;

const GZIP_MAGIC = [0x1f, 0x8b];
const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];

const STDIN_DISPLAY = '<stdin>';

// strerror() texts, so messages read like Redis's ("Cannot open file x: No such file or directory").
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  EBUSY: 'Device or resource busy',
};

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && STRERROR[code] !== undefined) return STRERROR[code]!;
  return (e as Error | undefined)?.message ?? String(e);
}

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code;
}

/** compressed formats redkit does not read, by magic bytes (none can start an AOF or an RDB) */
const UNSUPPORTED_COMPRESSION: [number[], string][] = [
  [[0x02, 0x21, 0x4c, 0x18], 'legacy LZ4 format (lz4 -l)'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
];

function detectCompression(raw: Uint8Array, path: string): Compression {
  if (raw.length >= 2 && raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1]) return 'gzip';
  if (raw.length >= 4 && LZ4_MAGIC.every((b, i) => raw[i] === b)) return 'lz4';
  for (const [magic, what] of UNSUPPORTED_COMPRESSION) {
    if (raw.length >= magic.length && magic.every((b, i) => raw[i] === b)) {
      // not an AOF with a damaged first byte: say what it is
      const e = new UnsupportedError(`${what} compression is not supported (gzip and the standard LZ4 frame are): decompress the file first`, 0);
      e.file = path;
      throw e;
    }
  }
  return 'none';
}

/** REDIS or VALKEY at the start: an RDB image. */
export function startsWithRdbMagic(head: Uint8Array): boolean {
  const starts = (s: string): boolean => {
    if (head.length < s.length) return false;
    for (let i = 0; i < s.length; i++) if (head[i] !== s.charCodeAt(i)) return false;
    return true;
  };
  return starts('REDIS') || starts('VALKEY');
}

/**
 * redis-check-aof's fileIsManifest(): skip '#' lines (read as fgets does, at most 1024 bytes
 * at a time); the input is a manifest when the first other line starts with "file".
 * Returns undefined when `raw` is all comments and does not reach the end of the file.
 */
function looksLikeManifest(raw: Uint8Array, complete: boolean): boolean | undefined {
  let pos = 0;
  while (pos < raw.length) {
    const nl = raw.indexOf(0x0a, pos);
    let end = nl === -1 ? raw.length : nl + 1;
    if (end - pos > MANIFEST_MAX_LINE) end = pos + MANIFEST_MAX_LINE;
    if (raw[pos] !== 0x23) {
      if (raw.length - pos < 4 && !complete) return undefined;
      return raw[pos] === 0x66 && raw[pos + 1] === 0x69 && raw[pos + 2] === 0x6c && raw[pos + 3] === 0x65;
    }
    if (nl === -1 && !complete && end - pos < MANIFEST_MAX_LINE) return undefined;
    pos = end;
  }
  return complete ? false : undefined;
}

/** Without a compression suffix: `x.aof.gz` → `x.aof`. */
function stripCompressionSuffix(name: string, c: Compression): string {
  if (c === 'gzip') return name.replace(/\.gz$/i, '');
  if (c === 'lz4') return name.replace(/\.lz4$/i, '');
  return name;
}

// ---------------------------------------------------------------------------------------
// Streams (stdin, pipes): the bytes read to sniff them are kept and replayed by openChunks.

interface StreamSource {
  iterator: AsyncIterator<unknown>;
  /** Chunks read so far and not yet released by openChunks. */
  chunks: Buffer[];
  done: boolean;
  opened: boolean;
  /** Pulls run one after another, even when a sniffing pipeline left one in flight. */
  tail: Promise<void>;
}

const streamSources = new WeakMap<InputFile, StreamSource>();

/** whether the file is standard input, a FIFO or a device (read once, no name to go by) */
export function isStreamFile(file: InputFile): boolean {
  return streamSources.has(file);
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('input stream produced a non-binary chunk');
}

/** Read one more chunk from the stream into `chunks`; false at its end. */
function pullStream(src: StreamSource): Promise<boolean> {
  const p = src.tail.then(async () => {
    if (src.done) return false;
    const r = await src.iterator.next();
    if (r.done) {
      src.done = true;
      return false;
    }
    const b = toBuffer(r.value);
    if (b.length > 0) src.chunks.push(b);
    return true;
  });
  src.tail = p.then(
    () => undefined,
    () => undefined,
  );
  return p;
}

/** The raw bytes of a stream from its start: the chunks kept while sniffing, then the rest.
 * With `release`, chunks are dropped once yielded (openChunks); without, they are kept so
 * that openChunks can replay them (sniffing). */
async function* streamRaw(src: StreamSource, release: boolean, path: string): AsyncGenerator<Buffer> {
  let i = 0;
  for (;;) {
    while (i < src.chunks.length) yield src.chunks[i++]!;
    if (release) {
      src.chunks.length = 0;
      i = 0;
    }
    // A pull left in flight by sniffing may still add a chunk: only stop when none is left.
    let more: boolean;
    try {
      more = await pullStream(src);
    } catch (e) {
      throw new InputError(`Cannot read ${path === '-' ? 'standard input' : path}: ${reason(e)}`);
    }
    if (!more && i >= src.chunks.length) return;
  }
}

// ---------------------------------------------------------------------------------------
// Raw file reading

/** how many chunk reads went into a recycled buffer (ChunkOptions.recycle), for tests */
export const readBuffers = { reused: 0 };

/** Read a file in buffers of `size` bytes (the last may be shorter): fresh ones, or from `recycle`. */
async function* fileRaw(path: string, size: number, recycle?: Buffer[]): AsyncGenerator<Buffer> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw new InputError(`Cannot open file ${path}: ${reason(e)}`);
  }
  const handle = fh;
  let eof = false;
  const readOne = async (): Promise<Buffer | undefined> => {
    if (eof) return undefined;
    let buf = recycle?.pop();
    if (buf === undefined || buf.length !== size) buf = Buffer.allocUnsafeSlow(size); // its own memory, never a slice of the shared pool
    else readBuffers.reused++;
    let n = 0;
    while (n < size) {
      const { bytesRead } = await handle.read(buf, n, size - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n < size) eof = true;
    if (n === 0) return undefined;
    return n === size ? buf : buf.subarray(0, n);
  };
  // Read ahead: the next chunk is read while the consumer parses this one (measured: the
  // parse no longer waits for the disk between chunks).
  let next: Promise<Buffer | undefined> | undefined;
  try {
    next = readOne();
    for (;;) {
      const cur = await next;
      next = undefined;
      if (cur === undefined) return;
      next = readOne();
      yield cur;
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof FormatError) throw e;
    throw new InputError(`Cannot read file ${path}: ${reason(e)}`);
  } finally {
    if (next) await next.catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------
// Decompression

/**
 * Re-cut a stream of buffers into pieces of exactly `size` bytes (the last may be shorter).
 * When the source fails (a truncated .gz or .lz4), what it gave before the error is still
 * handed out first, so a reader sees every byte that could be decompressed.
 */
async function* rechunk(src: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let failure: { error: unknown } | undefined;
  try {
    yield* cut();
  } catch (e) {
    failure = { error: e };
  }
  if (pendingLen > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
  if (failure) throw failure.error;

  async function* cut(): AsyncGenerator<Buffer> {
    for await (const b of src) {
      if (b.length === 0) continue;
      if (pendingLen === 0 && b.length === size) {
        yield b;
        continue;
      }
      pending.push(b);
      pendingLen += b.length;
      if (pendingLen >= size) {
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen);
        let o = 0;
        for (; o + size <= all.length; o += size) yield all.subarray(o, o + size);
        pending = o < all.length ? [Buffer.from(all.subarray(o))] : [];
        pendingLen = all.length - o;
      }
    }
  }
}

/** gunzip (all members of a multi-member file), honouring backpressure. */
async function* gunzipStream(raw: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  let rawBytes = 0;
  let outBytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const b of raw) {
      rawBytes += b.length;
      yield b;
    }
  }
  const source = Readable.from(counted(), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 256 << 10 });
  // pipeline destroys gunzip with the first error of either stream; the loop below throws it.
  pipeline(source, gunzip, () => undefined);
  try {
    for await (const b of gunzip) {
      outBytes += (b as Buffer).length;
      yield b as Buffer;
    }
  } catch (e) {
    if (e instanceof InputError || e instanceof FormatError) throw e;
    const z = e as NodeJS.ErrnoException;
    if (typeof z.code === 'string' && z.code.startsWith('Z_')) {
      // zlib does not say where in the input it failed: a truncation is at the end; anything
      // else (a bad checksum, bytes after the last member) was found within what was fed so far
      const truncated = z.code === 'Z_BUF_ERROR';
      const what = truncated ? 'unexpected end of compressed data' : z.message;
      const where = truncated ? `compressed offset ${rawBytes}` : `found within the first ${rawBytes} compressed bytes`;
      const err = new FormatError(`gzip: ${what} (${where}, after ${outBytes} decompressed bytes)`, rawBytes);
      err.file = path;
      throw err;
    }
    throw e;
  }
}

async function* lz4Stream(raw: AsyncIterable<Buffer>, path: string): AsyncGenerator<Buffer> {
  const dec = new Lz4FrameDecoder();
  const toBuf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  try {
    for await (const b of raw) {
      dec.push(b);
      for (let out = dec.next(); out !== undefined; out = dec.next()) yield toBuf(out);
    }
    for (let out = dec.next(); out !== undefined; out = dec.next()) yield toBuf(out);
    dec.end();
  } catch (e) {
    if (e instanceof FormatError && e.file === undefined) e.file = path;
    throw e;
  }
}

function decompress(raw: AsyncIterable<Buffer>, c: Compression, path: string): AsyncIterable<Buffer> {
  if (c === 'gzip') return gunzipStream(raw, path);
  if (c === 'lz4') return lz4Stream(raw, path);
  return raw;
}

/** The first n bytes of a stream of buffers. A decompression error ends it early: the
 * error shows again, in full, when the file is read. */
async function takeHead(src: AsyncIterable<Buffer>, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let len = 0;
  try {
    for await (const b of src) {
      parts.push(b);
      len += b.length;
      if (len >= n) break;
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
  }
  return Buffer.from(Buffer.concat(parts, len).subarray(0, n));
}

// ---------------------------------------------------------------------------------------
// openChunks

/**
 * The decompressed bytes of a file, in chunks of `chunkSize` (default 1 MiB). Plain files are
 * read with fs reads into fresh buffers; the whole file is never held at once. Throws
 * InputError when the file cannot be read, FormatError ("gzip: …", "lz4: …") when the
 * compressed data is corrupt or truncated. Standard input can be read once.
 */
export async function* openChunks(file: InputFile, opts: ChunkOptions = {}): AsyncGenerator<Buffer> {
  const size = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`invalid chunk size ${size}`);
  if (file.missing) throw new InputError(`Cannot open file ${file.path}: No such file or directory`);
  const stream = streamSources.get(file);
  let raw: AsyncIterable<Buffer>;
  if (stream !== undefined) {
    if (stream.opened) throw new UsageError(`${file.path === '-' ? 'standard input' : file.path} can only be read once`);
    stream.opened = true;
    raw = streamRaw(stream, true, file.path);
  } else {
    raw = fileRaw(file.path, size, file.compression === 'none' ? opts.recycle : undefined);
  }
  const out = decompress(raw, file.compression, file.path);
  if (stream === undefined && file.compression === 'none') {
    yield* out; // fs reads already have the right size
  } else {
    yield* rechunk(out, size);
  }
}

// ---------------------------------------------------------------------------------------
// resolveInput

/** Sniff a regular file: its compression, first decompressed bytes, and (for plain files)
 * whether it looks like a manifest. */
async function sniffFile(path: string): Promise<{ compression: Compression; head: Buffer; manifestLike: boolean }> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (e) {
    throw new InputError(`Cannot open file ${path}: ${reason(e)}`);
  }
  let raw: Buffer;
  let complete: boolean;
  try {
    raw = Buffer.alloc(SNIFF_SIZE);
    const { bytesRead } = await fh.read(raw, 0, SNIFF_SIZE, 0);
    raw = raw.subarray(0, bytesRead);
    complete = bytesRead < SNIFF_SIZE;
    const compression = detectCompression(raw, path);
    if (compression !== 'none') {
      await fh.close();
      const head = await takeHead(decompress(fileRaw(path, SNIFF_SIZE), compression, path), HEAD_SIZE);
      return { compression, head, manifestLike: false };
    }
    let manifestLike = false;
    if (!startsWithRdbMagic(raw)) {
      let verdict = looksLikeManifest(raw, complete);
      // All comments so far: read on (a little) until a non-comment line shows up.
      let readTo = raw.length;
      while (verdict === undefined && readTo < MANIFEST_READ_LIMIT) {
        const more = Buffer.alloc(Math.min(readTo, MANIFEST_READ_LIMIT - readTo));
        const { bytesRead } = await fh.read(more, 0, more.length, readTo);
        raw = Buffer.concat([raw, more.subarray(0, bytesRead)]);
        readTo += bytesRead;
        complete = bytesRead < more.length;
        verdict = looksLikeManifest(raw, complete);
      }
      manifestLike = verdict === true;
    }
    await fh.close();
    return { compression, head: Buffer.from(raw.subarray(0, HEAD_SIZE)), manifestLike };
  } catch (e) {
    await fh.close().catch(() => undefined);
    if (e instanceof InputError || e instanceof FormatError) throw e;
    throw new InputError(`Cannot read file ${path}: ${reason(e)}`);
  }
}

async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await fsp.stat(path);
  } catch (e) {
    throw new InputError(`Cannot open ${path}: ${reason(e)}`);
  }
}

function singleFile(path: string, c: Compression, head: Buffer, size: number | undefined, nameForRole: string): ResolvedInput {
  const display = path === '-' ? STDIN_DISPLAY : path;
  // a file that gives no bytes (empty, or a truncated one-block .lz4) has no content to tell
  // its kind: its name does (and reading it reports what is wrong)
  // (an empty plain file named *.rdb too: Redis refuses it, "Short read", where an empty AOF is valid)
  const rdbByName = head.length === 0 && /\.rdb$/i.test(stripCompressionSuffix(nameForRole, c));
  if (startsWithRdbMagic(head) || rdbByName) {
    const aofName = /\.aof$/i.test(stripCompressionSuffix(nameForRole, c));
    const file: InputFile = {
      path,
      role: aofName ? 'aof' : 'rdb',
      format: 'rdb',
      preamble: aofName,
      compression: c,
      size,
      head,
    };
    return { kind: aofName ? 'aof' : 'rdb', display, files: [file], problems: [] };
  }
  const file: InputFile = { path, role: 'aof', format: 'aof', preamble: false, compression: c, size, head };
  return { kind: 'aof', display, files: [file], problems: [] };
}

/** `-`, a FIFO or a character device: sniff by reading and keep what was read. */
async function resolveStream(path: string, stream: NodeJS.ReadableStream, size: number | undefined): Promise<ResolvedInput> {
  const src: StreamSource = {
    iterator: (stream as AsyncIterable<unknown>)[Symbol.asyncIterator](),
    chunks: [],
    done: false,
    opened: false,
    tail: Promise.resolve(),
  };
  const rawLen = (): number => src.chunks.reduce((n, b) => n + b.length, 0);
  try {
    while (rawLen() < LZ4_MAGIC.length && (await pullStream(src)));
  } catch (e) {
    throw new InputError(`Cannot read ${path === '-' ? 'standard input' : path}: ${reason(e)}`);
  }
  const first = Buffer.concat(src.chunks);
  const compression = detectCompression(first, path);
  const head = await takeHead(decompress(streamRaw(src, false, path), compression, path), HEAD_SIZE);
  if (compression === 'none' && !startsWithRdbMagic(head)) {
    // A manifest names files relative to its directory: it cannot come from a stream.
    let raw = Buffer.concat(src.chunks);
    let verdict = looksLikeManifest(raw, src.done);
    while (verdict === undefined && raw.length < MANIFEST_READ_LIMIT && (await pullStream(src))) {
      raw = Buffer.concat(src.chunks);
      verdict = looksLikeManifest(raw, src.done);
    }
    if (verdict === true) {
      throw new UsageError(
        `${path === '-' ? 'standard input' : path} looks like an AOF manifest; a multi-part AOF cannot be read from a stream: give the manifest's path or its directory`,
      );
    }
  }
  const resolved = singleFile(path, compression, head, size, path === '-' ? '' : basename(path));
  streamSources.set(resolved.files[0]!, src);
  return resolved;
}

function fileFormatByName(name: string): 'rdb' | 'aof' {
  return /\.rdb$/i.test(name) ? 'rdb' : 'aof';
}

async function resolveManifest(manifestPath: string, display: string): Promise<ResolvedInput> {
  const dir = dirname(manifestPath);
  const problems: InputProblem[] = [];
  const result: ResolvedInput = { kind: 'multipart', display, manifestPath, files: [], problems };

  let text: Buffer;
  try {
    const fh = await fsp.open(manifestPath, 'r');
    try {
      const st = await fh.stat();
      const len = Math.min(st.size, MANIFEST_READ_LIMIT);
      text = Buffer.alloc(len);
      let n = 0;
      while (n < len) {
        const { bytesRead } = await fh.read(text, n, len - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      text = text.subarray(0, n);
      if (st.size > MANIFEST_READ_LIMIT) {
        problems.push({
          severity: 'error',
          file: manifestPath,
          offset: MANIFEST_READ_LIMIT,
          message: `The AOF manifest file is too large (${st.size} bytes): only its first ${MANIFEST_READ_LIMIT} bytes were read`,
        });
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  } catch (e) {
    throw new InputError(`can't open the AOF manifest file ${manifestPath} for reading: ${reason(e)}`);
  }

  let manifest: Manifest;
  try {
    manifest = parseManifest(text);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    problems.push({ severity: 'error', file: manifestPath, offset: e.offset, message: e.message });
    return result;
  }
  result.manifest = manifest;

  if (manifest.base === undefined && manifest.incrs.length === 0) {
    problems.push({ severity: 'warning', file: manifestPath, offset: 0, message: 'the AOF manifest lists no BASE and no INCR file' });
  }

  const listed = new Set<string>();
  const open = async (entry: ManifestEntry, role: 'base' | 'incr' | 'history'): Promise<InputFile> => {
    const path = join(dir, entry.file);
    listed.add(entry.file);
    let st: Stats;
    try {
      st = await fsp.stat(path);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) {
        if (role !== 'history') {
          problems.push({
            severity: 'error',
            file: manifestPath,
            offset: entry.offset,
            message: `Cannot open file ${path}: No such file or directory (listed at line ${entry.line} of the manifest)`,
          });
        }
        return { path, role, format: fileFormatByName(entry.file), preamble: false, compression: 'none', size: undefined, missing: true, head: Buffer.alloc(0) };
      }
      throw new InputError(`Cannot open file ${path}: ${reason(e)}`);
    }
    if (st.isDirectory()) throw new InputError(`Cannot open file ${path}: Is a directory`);
    const s = await sniffFile(path);
    const format = startsWithRdbMagic(s.head) ? 'rdb' : 'aof';
    return {
      path,
      role,
      format,
      preamble: role === 'base' && format === 'rdb',
      compression: s.compression,
      size: st.size,
      head: s.head,
    };
  };

  if (manifest.base) result.files.push(await open(manifest.base, 'base'));
  for (const e of manifest.incrs) result.files.push(await open(e, 'incr'));
  for (const e of manifest.history) {
    const f = await open(e, 'history');
    result.files.push(f);
    problems.push({
      severity: 'warning',
      file: f.path,
      offset: 0,
      message: f.missing ? 'history file, not checked (it no longer exists)' : 'history file, not checked',
    });
  }

  // Files in the directory that the manifest does not list.
  let names: string[] = [];
  try {
    names = await fsp.readdir(dir);
  } catch {
    // The manifest itself was readable; a directory we cannot list only loses this warning.
  }
  const self = basename(manifestPath);
  for (const name of names.sort()) {
    if (name === self || listed.has(name)) continue;
    let message = 'not listed in the manifest';
    if (name.startsWith('temp-')) message += ' (temp-* files are left behind by an interrupted AOF rewrite)';
    else if (/\.\d{8}T\d{6}Z(-\d+)?\.bak$/.test(name)) message += ' (a backup made by redkit)';
    else if (name.includes('.redkit-tmp-')) message += ' (left behind by an interrupted redkit write)';
    problems.push({ severity: 'warning', file: join(dir, name), offset: 0, message });
  }
  return result;
}

async function resolveDirectory(dir: string): Promise<ResolvedInput> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    throw new InputError(`Cannot read directory ${dir}: ${reason(e)}`);
  }
  if (names.length === 0) throw new InputError(`Cannot use directory ${dir}: it is empty`);
  const manifests = names.filter((n) => n.endsWith('.manifest')).sort();
  // temp-<name>.manifest is Redis's half-written replacement: never the one to use.
  const real = manifests.filter((n) => !n.startsWith('temp-'));
  if (real.length === 0) {
    throw new InputError(
      manifests.length > 0
        ? `Cannot use directory ${dir}: it has no AOF manifest, only ${manifests.join(', ')} (left by an interrupted rewrite)`
        : `Cannot use directory ${dir}: no AOF manifest (*.manifest) in it` +
            (names.includes('appendonlydir') ? `; did you mean ${join(dir, 'appendonlydir')}?` : ''),
    );
  }
  if (real.length > 1) {
    throw new InputError(`Cannot use directory ${dir}: it has several AOF manifests (${real.join(', ')}); give the path of the one to use`);
  }
  return resolveManifest(join(dir, real[0]!), dir);
}

/**
 * Resolve a user path into what to read. Throws InputError for a path that cannot be read
 * (missing, permission, empty directory, a directory without exactly one manifest),
 * UsageError for a manifest on standard input. Problems found in a multi-part AOF (manifest
 * errors, missing, unlisted and history files) are returned in `problems`.
 */
export async function resolveInput(path: string, opts: ResolveOptions = {}): Promise<ResolvedInput> {
  if (path === '-') return resolveStream('-', opts.stdin ?? process.stdin, undefined);
  const st = await statOrThrow(path);
  if (st.isDirectory()) return resolveDirectory(path);
  if (!st.isFile()) {
    // A FIFO or a device, e.g. `<(zcat backup.gz)`: read it as a stream.
    // Open errors surface on the first read, as InputError.
    return resolveStream(path, createReadStream(path, { highWaterMark: 1 << 20 }), undefined);
  }
  const s = await sniffFile(path);
  if (s.compression === 'none' && !startsWithRdbMagic(s.head) && (path.endsWith('.manifest') || s.manifestLike)) {
    return resolveManifest(path, path);
  }
  return singleFile(path, s.compression, s.head, st.size, basename(path));
}
