// Reads every file of a resolved input through the codec: RDB files and RDB preambles/bases
// with the RDB reader, AOF files and tails with the RESP reader, in load order. One pass, in
// chunks; memory is bounded by the largest record. Used by check, info and the repair commands.

import { FormatError, TruncatedError, UnsupportedError } from '../model/errors.js';
import { RdbStreamReader, type RdbItem } from '../codec/rdb-reader.js';
import { RDB_VERSION_MAX } from '../codec/rdb-types.js';
import { RespStreamReader, type RespRecord, type RespScanResult } from '../codec/resp.js';
import { promises as fsp } from 'node:fs';
import { DEFAULT_CHUNK_SIZE, isStreamFile, openChunks, type InputFile, type ResolvedInput } from './source.js';
import { ParallelCrc } from './crc.js';
import { Crc64 } from '../codec/crc64.js';

/** Files at least this big get their RDB checksum computed on a second thread (env: tests). */
function parallelCrcMin(): number {
  const v = Number(process.env['REDKIT_PARALLEL_CRC_MIN']);
  return process.env['REDKIT_PARALLEL_CRC_MIN'] !== undefined && Number.isFinite(v) && v >= 0 ? v : 32 * 1024 * 1024;
}

/** CRC-64 of a file's first `end` (decompressed) bytes, read again from the start. */
async function crcOfFile(file: InputFile, end: number): Promise<string> {
  const c = new Crc64();
  let pos = 0;
  for await (const chunk of openChunks(file)) {
    const n = Math.min(chunk.length, end - pos);
    c.update(chunk, 0, n);
    pos += n;
    if (pos >= end) break;
  }
  return c.hex();
}

/**
 * An unknown type or opcode in the middle of an RDB file is either a newer format (exit 3) or
 * a damaged byte (exit 1). In a file of an older RDB version than the newest this build knows,
 * it is damage: a format's types are fixed once a newer version exists. In a file of the newest
 * version, the stored CRC-64 (the file's last 8 bytes) tells: when it does not match the bytes
 * before it, the file is damaged. (Plain RDB files only, whose image ends at the end of the
 * file; with a checksum of 0, saved with rdbchecksum no, there is nothing to tell by.)
 */
async function damageOrNewer(file: InputFile, part: RdbPartResult): Promise<void> {
  const e = part.error!;
  // only a type or opcode nothing knows: other refusals name a real format this build lacks
  // (a pre-GA module value, a release-candidate function record)
  if (e.offset < 9 || !/^Unknown (RDB object type|RDB opcode|object type)/.test(e.message)) return;
  let why: string | undefined;
  if (part.magic === 'REDIS' && part.version > 0 && part.version < RDB_VERSION_MAX) {
    why = `RDB ${part.version} is a finished format (this build reads up to ${RDB_VERSION_MAX}), so this is damage, not a newer format`;
  } else if (file.compression === 'none' && file.size !== undefined && file.size >= 18 && !isStreamFile(file)) {
    const tail = Buffer.alloc(8);
    const fh = await fsp.open(file.path, 'r');
    try {
      await fh.read(tail, 0, 8, file.size - 8);
    } finally {
      await fh.close();
    }
    if (tail.every((b) => b === 0)) return;
    const stored = tail.readUInt32LE(4).toString(16).padStart(8, '0') + tail.readUInt32LE(0).toString(16).padStart(8, '0');
    if ((await crcOfFile(file, file.size - 8)) === stored) return;
    why = "the file's checksum does not match its bytes either, so this is damage, not a newer format";
  }
  if (why === undefined) return;
  const message = e.message.replace(' (written by a newer server?)', '').replace('; written by a newer server?)', ')');
  const damaged = new FormatError(`${message}: ${why}`, e.offset, e.doing, e.key);
  damaged.file = e.file;
  part.error = damaged;
}

/**
 * What scanInput calls. Keys and values in RDB items are views into the read buffers (the
 * reader's borrow mode): use them during the call, copy what you keep.
 */
export interface ScanVisitor {
  fileStart?(file: InputFile): void;
  /** `raw()` gives the item's own bytes in the file (a view, valid during the call) */
  rdbItem?(item: RdbItem, file: InputFile, raw: () => Buffer): void;
  command?(rec: RespRecord, file: InputFile): void;
  annotation?(text: string, offset: number, end: number, file: InputFile): void;
}

export interface RdbPartResult {
  version: number;
  magic: 'REDIS' | 'VALKEY';
  /** absolute offset where the RDB image ends (-1 when it did not end) */
  end: number;
  checksum: 'ok' | 'disabled' | 'absent' | 'mismatch' | 'unknown';
  storedCrc?: string;
  computedCrc?: string;
  /** the RDB image failed to read */
  error?: FormatError;
  /** end of the last complete RDB record */
  committed: number;
  /** offset of the EOF opcode */
  eofOffset?: number;
  /** bytes after the end of a plain RDB file's image (Redis ignores them) */
  trailing?: number;
  trailingHead?: Buffer | undefined;
}

export interface FileScanResult {
  file: InputFile;
  /** bytes read (decompressed) */
  size: number;
  rdb?: RdbPartResult;
  resp?: RespScanResult;
  /** the file is listed but absent, or could not be scanned */
  skipped?: string;
}

export interface ScanOptions {
  /** bytes read so far across all files (decompressed), for progress bars */
  onProgress?: (bytes: number) => void;
  /** keep the RDB reader from throwing on checksum mismatch (report it instead) */
  reportChecksum?: boolean;
  chunkSize?: number;
  /** RDB string values and list elements are checked, not produced (see RdbReadOptions) */
  validateOnly?: boolean;
  /** awaited after each chunk has been handed to the readers: where a consumer that
   * produces output flushes it, so output never piles up */
  afterChunk?: () => Promise<void>;
  /** compute the RDB CRC-64 on its own thread for big files (default true; convert's fast
   * path keeps both cores for reading and transcoding, and folds the CRC inline) */
  parallelCrc?: boolean;
  /**
   * The visitor keeps no view of an RDB item's bytes after its callback (nor of raw()): the
   * read buffers of a plain RDB file may then be reused once the reader has moved past them.
   */
  itemsNotKept?: boolean;
}

/** Scan every file of the input in load order (history files are not read). */
export async function scanInput(input: ResolvedInput, visitor: ScanVisitor, opts: ScanOptions = {}): Promise<FileScanResult[]> {
  const results: FileScanResult[] = [];
  let line = 1;
  let progressBase = 0;
  for (const file of input.files) {
    if (file.role === 'history') continue;
    if (file.missing) {
      results.push({ file, size: 0, skipped: 'missing' });
      continue;
    }
    visitor.fileStart?.(file);
    const r = await scanFile(file, visitor, line, opts, progressBase);
    // a stream found to be an RDB-preamble AOF (see scanFile)
    if (input.kind === 'rdb' && file.role === 'aof') input.kind = 'aof';
    progressBase += r.size;
    if (r.resp) line = r.resp.line;
    results.push(r);
  }
  return results;
}

async function scanFile(
  file: InputFile,
  visitor: ScanVisitor,
  startLine: number,
  opts: ScanOptions,
  progressBase: number,
): Promise<FileScanResult> {
  // an INCR file never holds an RDB image (redis-check-aof parses it as RESP)
  const isRdbStart = file.format === 'rdb' && file.role !== 'incr';
  let wantsResp = file.role !== 'rdb';
  // A stream has no name to tell an RDB from an RDB-preamble AOF (both start with REDIS):
  // what follows the RDB image does. Commands there make it a preamble AOF, read as one when
  // the visitor takes commands; a visitor that does not would silently drop them, so then it
  // is refused.
  let streamTail = file.role === 'rdb' && isStreamFile(file);
  const tailDecides = (rest: Buffer, at: number): void => {
    if (!streamTail || rest.length === 0) return;
    // a command header (`*<digits>\r\n`) or an annotation (`#TS:`) starts an AOF tail; other
    // bytes after the image are what Redis ignores after an RDB
    const head = rest.latin1Slice(0, Math.min(rest.length, 24));
    if (/^(\*[0-9]{0,10}\r?|#T?S?)$/.test(head)) return; // cut by a chunk boundary: wait for more
    streamTail = false;
    if (!/^\*[0-9]{1,10}\r\n|^#TS:/.test(head)) return;
    if (!visitor.command) {
      throw new UnsupportedError(
        `${file.path === '-' ? 'standard input' : file.path} holds an RDB-preamble AOF (AOF commands follow the RDB image at offset ${at}), which this command reads only from a file: save it as a file named *.aof and give that path`,
        at,
      );
    }
    file.role = 'aof';
    file.preamble = true;
    wantsResp = true;
  };
  let bytes = 0;
  let trailing = 0;
  let trailingHead: Buffer | undefined;
  let rdb: RdbStreamReader | undefined;
  let rdbPart: RdbPartResult | undefined;
  let resp: RespStreamReader | undefined;
  const onCommand = visitor.command ? (rec: RespRecord) => visitor.command!(rec, file) : undefined;
  const onAnnotation = visitor.annotation
    ? (text: string, offset: number, end: number) => visitor.annotation!(text, offset, end, file)
    : undefined;
  const respVisitor = { command: onCommand, annotation: onAnnotation };

  // CRC-64 on a second thread for big plain files (see io/crc.ts)
  // RDB read in full (convert, digest, info): half-size chunks keep the views a borrowing
  // reader hands out from pinning much memory (measured on a 611 MB RDB: convert peak RSS
  // 200 -> 176 MiB). The validate-only check builds few views and is ~10% faster with 1 MiB.
  const chunkSize = opts.chunkSize ?? (isRdbStart && !opts.validateOnly ? DEFAULT_CHUNK_SIZE >> 1 : DEFAULT_CHUNK_SIZE);
  let pcrc: ParallelCrc | undefined;
  if (isRdbStart && opts.parallelCrc !== false && file.compression === 'none' && (file.size ?? 0) >= parallelCrcMin()) pcrc = ParallelCrc.start(chunkSize);
  if (isRdbStart) {
    rdbPart = { version: 0, magic: 'REDIS', end: -1, checksum: 'unknown', committed: 0 };
    const part = rdbPart;
    // borrow: visitors consume items during the call (documented on ScanVisitor)
    const rdbOpts: { totalSize?: number; verifyChecksum: boolean; borrow: boolean; validateOnly: boolean; externalCrc: boolean; itemsNotKept: boolean } = {
      verifyChecksum: !opts.reportChecksum,
      borrow: true,
      validateOnly: opts.validateOnly ?? false,
      externalCrc: pcrc !== undefined,
      itemsNotKept: opts.itemsNotKept ?? false,
    };
    if (file.compression === 'none' && file.size !== undefined) rdbOpts.totalSize = file.size;
    const raw = () => rdb!.raw();
    rdb = new RdbStreamReader((item) => {
      if (item.kind === 'header') {
        part.version = item.version;
        part.magic = item.magic;
      } else if (item.kind === 'eof') {
        part.end = item.end;
        part.eofOffset = item.offset;
        part.checksum = item.checksum;
        part.storedCrc = item.storedCrc;
        part.computedCrc = item.computedCrc;
      }
      visitor.rdbItem?.(item, file, raw);
    }, rdbOpts);
  } else {
    resp = new RespStreamReader(respVisitor, { startLine });
  }

  const fail = (e: unknown): boolean => {
    if (rdb && rdbPart && e instanceof FormatError) {
      rdbPart.error = e;
      rdbPart.committed = rdb.committed;
      if (e instanceof TruncatedError && e.okUpTo < 0) e.okUpTo = rdb.committed;
      return true;
    }
    return false;
  };

  // Reusing read buffers (see ScanOptions.itemsNotKept): after the reader took chunk k, it
  // refers to chunk k-1 no more (a record that began there was copied into its own buffer),
  // so k-1 can take the next read. Only while the RDB image lasts. (The CRC thread copies
  // what it is given into its own ring.)
  const recycle = opts.itemsNotKept && rdb && file.compression === 'none' ? ([] as Buffer[]) : undefined;
  let previous: Buffer | undefined;
  try {
    for await (const chunk of openChunks(file, { chunkSize, recycle })) {
      bytes += chunk.length;
      if (rdb && !resp) {
        if (pcrc && !rdb.finished) pcrc.push(chunk);
        rdb.push(chunk);
        if (recycle) {
          if (previous !== undefined && !rdb.finished && previous.length === chunkSize && recycle.length < 2) recycle.push(previous);
          previous = rdb.finished ? undefined : chunk;
        }
        if (rdb.finished) {
          tailDecides(rdb.rest(), rdb.endOffset);
          if (!wantsResp) {
            trailing += rdb.rest().length;
            continue;
          }
          resp = new RespStreamReader(respVisitor, { startOffset: rdb.endOffset, startLine, initial: rdb.rest() });
        }
      } else if (resp) {
        resp.push(chunk);
      } else if (rdb) {
        // a plain RDB file whose image has ended: Redis ignores what follows
        if (trailing === 0) trailingHead = Buffer.from(chunk.subarray(0, 64));
        trailing += chunk.length;
      }
      opts.onProgress?.(progressBase + bytes);
      if (opts.afterChunk) await opts.afterChunk();
    }
    if (rdb && !rdb.finished) rdb.finish();
    if (rdb && rdbPart) rdbPart.committed = rdb.committed;
  } catch (e) {
    if (!fail(e)) {
      if (e instanceof FormatError) {
        if (e.file === undefined) e.file = file.path;
      }
      throw e;
    }
  }
  if (pcrc) {
    try {
      if (rdbPart && !rdbPart.error && rdbPart.eofOffset !== undefined && rdbPart.checksum === 'ok') {
        const end = rdbPart.eofOffset + 1;
        // the worker holds the last two chunks; EOF found further back: compute it here
        const computed = await pcrc.result(end).catch(() => crcOfFile(file, end));
        rdbPart.computedCrc = computed;
        if (computed !== rdbPart.storedCrc) {
          rdbPart.checksum = 'mismatch';
          if (!opts.reportChecksum) {
            rdbPart.error = new FormatError(`RDB CRC error: stored checksum ${rdbPart.storedCrc} but the content hashes to ${computed}`, end, 'check-sum');
          }
        }
      }
    } finally {
      pcrc.close();
    }
  }
  if (rdbPart?.error instanceof UnsupportedError && file.role === 'rdb') await damageOrNewer(file, rdbPart);
  if (rdb && rdb.finished && wantsResp && !resp) {
    resp = new RespStreamReader(respVisitor, { startOffset: rdb.endOffset, startLine, initial: rdb.rest() });
  }
  // offsets count decompressed bytes, so sizes do too
  const result: FileScanResult = { file, size: file.compression === 'none' ? (file.size ?? bytes) : bytes };
  if (rdbPart) {
    if (trailing > 0) {
      rdbPart.trailing = trailing;
      if (trailingHead === undefined && rdb) trailingHead = Buffer.from(rdb.rest().subarray(0, 64));
      rdbPart.trailingHead = trailingHead;
    }
    result.rdb = rdbPart;
  }
  if (resp && !rdbPart?.error) result.resp = resp.finish();
  return result;
}
