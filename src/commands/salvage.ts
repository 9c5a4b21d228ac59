// `check --salvage`: recover as much as possible into a new file (never touching the input).
//
// AOF: every valid command is kept; after damage the reader resynchronises on the next
// well-formed command with a known name, so one flipped bit costs one command. A MULTI/EXEC
// block with damage inside is dropped whole, and so is the rest of a transaction whose MULTI
// fell in a damaged range (never half a transaction). Two more rules keep a salvage from
// inventing or moving data (see RespSalvager and TxTracker):
// - a resynchronisation point inside the declared extent of the damaged record (the bytes its
//   intact `$<len>` headers say are a value) is not believed: a value may hold RESP text, and
//   reading it as commands would delete or invent keys. Reading resumes after that extent.
// - a command is never written into a different db than the one it had: after a dropped range
//   that may have held a SELECT, commands are dropped (and reported) until the next intact SELECT.
// RDB (files, preambles, bases): every record is copied as it is, except keys whose value
// fails to decode while the record's outer framing is intact (those are named and skipped);
// reading stops at damage that breaks framing.

import fs from 'node:fs';
import path from 'node:path';
import { FormatError, RefusedError, TruncatedError, UnsupportedError, UsageError } from '../model/errors.js';
import { Crc64 } from '../codec/crc64.js';
import { RdbStreamReader } from '../codec/rdb-reader.js';
import { RespStreamReader, type RespRecord } from '../codec/resp.js';
import { arityOk, commandSpec, hasSubcommands } from '../codec/commands-table.js';
import { formatManifest } from '../codec/manifest.js';
import { AtomicWriter, copyDirAtomic } from '../io/atomic.js';
import { openChunks, resolveInput, type InputFile } from '../io/source.js';
import { checkInput, problemOf } from './check.js';
import { refuseOutputInInput } from './inputs.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { printableKeyText } from './stats.js';

export interface SalvageOptions extends GlobalOptions {
  output?: string;
  /** databases the server has (default 16): a SELECT beyond them is refused by Redis */
  databases?: number;
  to?: string;
  dryRun?: boolean;
}

export interface DroppedRange {
  start: number;
  end: number;
  bytes: number;
  reason: string;
}

export interface FileSalvage {
  file: string;
  action: 'salvage';
  output: string;
  fromBytes: number;
  toBytes: number;
  droppedRanges: DroppedRange[];
  keysLost: { db: number; key: string; offset: number; reason: string }[];
  keysKept: number;
  commandsKept: number;
  commandsKeptAfterFirstDamage: number;
  /** bytes that could not be read at all (framing broken); lost */
  unreadBytes: number;
  checksum?: string;
}

/** Sink for salvaged bytes: a real file, or nothing (dry run). */
interface Sink {
  write(b: Buffer): Promise<void>;
  readonly bytesWritten: number;
}

class CountingSink implements Sink {
  bytesWritten = 0;
  constructor(private readonly w: AtomicWriter | undefined) {}
  async write(b: Buffer): Promise<void> {
    this.bytesWritten += b.length;
    if (this.w) await this.w.write(b);
  }
}

export async function runSalvage(p: string, opts: SalvageOptions, io: CommandIO): Promise<number> {
  if (p === '-') throw new UsageError('--salvage reads the input twice: give it a file, not standard input');
  // an empty path names no file: refuse before anything is read or written
  if (opts.output !== undefined && opts.output.trim() === '') throw new UsageError('-o/--output needs a file name, not an empty string');
  if (opts.to !== undefined && opts.to !== 'rdb' && opts.to !== 'aof') throw new UsageError(`--to takes aof or rdb, not '${opts.to}'`);
  const pr = new Printer(io, opts);
  const input = await resolveInput(p);
  const problems: Problem[] = [...input.problems];
  if (opts.to === 'aof' && input.kind === 'rdb') {
    throw new UnsupportedError('--salvage --to aof (RDB into commands) needs the converter, which is not built yet; salvage to RDB instead', 0);
  }
  const changes: FileSalvage[] = [];
  let output: string;
  if (input.kind === 'multipart') {
    const dir = input.manifestPath ? path.dirname(input.manifestPath) : p;
    output = opts.output ?? `${dir.replace(/[\\/]+$/, '')}.salvaged`;
    refuseExisting(output, opts);
    const run = async (tmp: string | undefined) => {
      const lost: string[] = [];
      for (const f of input.files) {
        if (f.role === 'history') continue;
        if (f.missing) {
          lost.push(path.basename(f.path));
          problems.push({ severity: 'error', file: f.path, offset: -1, message: 'listed in the manifest but missing: its data is lost; the salvaged manifest no longer lists it' });
          continue;
        }
        const dest = tmp ? path.join(tmp, path.basename(f.path)) : undefined;
        changes.push(await salvageOne(f, dest, output, problems, opts.databases ?? 16));
      }
      if (tmp && lost.length && input.manifest) {
        const keep = input.manifest.entries.filter((e) => !lost.includes(e.file));
        const mf = path.join(tmp, path.basename(input.manifestPath!));
        fs.writeFileSync(mf, formatManifest(keep));
      }
    };
    if (opts.dryRun) await run(undefined);
    else await copyDirAtomic(dir, output, { prepare: run });
  } else {
    output = opts.output ?? `${p}.salvaged`;
    refuseOutputInInput(output, p, input);
    refuseExisting(output, opts);
    changes.push(await salvageOne(input.files[0]!, opts.dryRun ? undefined : output, output, problems, opts.databases ?? 16));
  }

  // Did it work? The output must pass our own check.
  let verified: boolean | undefined;
  if (!opts.dryRun) {
    const after = await checkInput(output, { progress: false, quiet: true });
    verified = after.files.every((f) => f.valid);
    if (!verified) for (const x of after.problems.filter((q) => q.severity === 'error')) problems.push({ ...x, message: `salvaged output: ${x.message}` });
  }
  const exitCode = opts.dryRun || verified ? ExitCode.Ok : ExitCode.Damaged;
  printSalvage(pr, changes, output, opts, verified);
  pr.json({ command: 'check', mode: 'salvage', ok: exitCode === 0, exitCode, output: opts.dryRun ? null : output, dryRun: Boolean(opts.dryRun), verified: verified ?? null, problems, changes });
  return exitCode;
}

function refuseExisting(output: string, opts: SalvageOptions): void {
  if (!opts.dryRun && fs.existsSync(output)) {
    throw new RefusedError(`${output} already exists: remove it or choose another path with -o`);
  }
}

async function salvageOne(f: InputFile, dest: string | undefined, outputName: string, problems: Problem[], databases: number): Promise<FileSalvage> {
  const writer = dest ? await AtomicWriter.open(dest) : undefined;
  const sink = new CountingSink(writer);
  const result: FileSalvage = {
    file: f.path,
    action: 'salvage',
    output: dest ?? outputName,
    fromBytes: 0,
    toBytes: 0,
    droppedRanges: [],
    keysLost: [],
    keysKept: 0,
    commandsKept: 0,
    commandsKeptAfterFirstDamage: 0,
    unreadBytes: 0,
  };
  try {
    await salvageFile(f, sink, result, problems, databases);
    // an RDB with not even a readable header gives nothing to write: an empty file would be
    // no RDB at all (and would pass as an empty AOF under another name)
    if (f.role === 'rdb' && sink.bytesWritten === 0) {
      throw new FormatError(`nothing in ${f.path} could be salvaged: its RDB header is missing or unreadable`, 0);
    }
    if (writer) await writer.commit();
  } catch (e) {
    if (writer) await writer.abort();
    throw e;
  }
  result.toBytes = sink.bytesWritten;
  return result;
}

async function salvageFile(f: InputFile, sink: Sink, res: FileSalvage, problems: Problem[], databases: number): Promise<void> {
  const src = byteSource(f);
  try {
    await salvageFileWith(f, sink, res, problems, src, databases);
  } finally {
    await src.close();
  }
}

async function salvageFileWith(f: InputFile, sink: Sink, res: FileSalvage, problems: Problem[], src: ByteSource, databases: number): Promise<void> {
  const rdbStart = f.format === 'rdb' && f.role !== 'incr';
  const wantsResp = f.role !== 'rdb';
  let total = 0;
  let respStart = 0;
  let resp: RespSalvager | undefined;
  const tx = new TxTracker(res);
  const isKnown = (name: string) => commandSpec(name) !== undefined;
  const newResp = () => new RespSalvager(tx, src, isKnown, databases);

  if (rdbStart) {
    const crc = new Crc64();
    let version = 0;
    let pending: Buffer[] = [];
    const emit = (b: Buffer) => {
      const copy = Buffer.from(b);
      crc.update(copy);
      pending.push(copy);
    };
    let rdbDone = false;
    const reader = new RdbStreamReader(
      (item) => {
        switch (item.kind) {
          case 'header':
            version = item.version;
            emit(reader.raw());
            break;
          case 'damaged':
            res.keysLost.push({ db: item.db, key: item.key ? printableKeyText(item.key) : '?', offset: item.offset, reason: item.error.message });
            res.droppedRanges.push({ start: item.offset, end: item.end, bytes: item.end - item.offset, reason: `key '${item.key ? printableKeyText(item.key) : '?'}' in db ${item.db}: ${item.error.message}` });
            break;
          case 'eof':
            res.checksum = item.checksum;
            if (item.checksum === 'mismatch') {
              problems.push({ severity: 'warning', file: f.path, offset: item.offset + 1, message: `the original's checksum did not match (stored ${item.storedCrc}, computed ${item.computedCrc}); the salvaged file gets a fresh one` });
            }
            rdbDone = true;
            break;
          default:
            if (item.kind === 'key') res.keysKept++;
            emit(reader.raw());
        }
      },
      { salvage: true, totalSize: f.compression === 'none' ? f.size : undefined },
    );
    const flush = async () => {
      if (pending.length) {
        const b = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
        pending = [];
        await sink.write(b);
      }
    };
    let stopped: FormatError | undefined;
    let restAfterRdb: Buffer | undefined;
    for await (const chunk of openChunks(f)) {
      total += chunk.length;
      if (stopped) continue;
      if (resp) {
        await resp.push(chunk);
        continue;
      }
      try {
        reader.push(chunk);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        stopped = e;
      }
      await flush();
      if (reader.finished && !resp && wantsResp) {
        respStart = reader.endOffset;
        restAfterRdb = reader.rest();
        resp = newResp();
        await resp.start(respStart, restAfterRdb);
      }
    }
    if (!stopped && !reader.finished) {
      try {
        reader.finish();
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        stopped = e;
      }
    }
    await flush();
    // a fresh end: EOF opcode and checksum over what we wrote
    const tail = version >= 5 ? Buffer.alloc(9) : Buffer.from([0xff]);
    tail[0] = 0xff;
    if (version >= 5) {
      crc.update(tail.subarray(0, 1));
      crc.writeLE(tail, 1);
    }
    if (version > 0) await sink.write(tail);
    res.fromBytes = total;
    if (stopped) {
      const at = stopped instanceof TruncatedError ? stopped.okUpTo : reader.committed;
      res.unreadBytes = total - at;
      res.droppedRanges.push({ start: at, end: total, bytes: total - at, reason: `RDB framing broken (${stopped.message}); nothing after it can be read` });
      problems.push(problemOf(stopped, f.path));
      if (stopped instanceof UnsupportedError) throw stopped;
      return;
    }
    if (!rdbDone) return;
    if (!wantsResp) {
      if (total > reader.endOffset) {
        res.droppedRanges.push({ start: reader.endOffset, end: total, bytes: total - reader.endOffset, reason: 'bytes after the end of the RDB image (Redis ignores them)' });
      }
      return;
    }
    if (!resp) {
      resp = newResp();
      await resp.start(respStart, reader.rest());
    }
  } else {
    resp = newResp();
    await resp.start(0);
    for await (const chunk of openChunks(f)) {
      total += chunk.length;
      await resp.push(chunk);
    }
  }
  res.fromBytes = total;
  await resp.finish(total);
  tx.end(total);

  // second pass: copy the kept ranges of the RESP part
  const ranges = tx.kept;
  let ri = 0;
  let pos = 0;
  for await (const chunk of openChunks(f)) {
    const cStart = pos;
    const cEnd = pos + chunk.length;
    pos = cEnd;
    while (ri < ranges.length && ranges[ri]![0] < cEnd) {
      const [s, e] = ranges[ri]!;
      const a = Math.max(s, cStart, respStart);
      const b = Math.min(e, cEnd);
      if (b > a) await sink.write(Buffer.from(chunk.subarray(a - cStart, b - cStart)));
      if (e <= cEnd) ri++;
      else break;
    }
    if (ri >= ranges.length) break;
  }
}

/** Why Redis would refuse this command when loading an AOF, or '' if it would not. */
function loadable(rec: RespRecord): string {
  if (rec.argc < 1) return 'a command with no arguments';
  const spec = hasSubcommands(rec.name) && rec.argc > 1 ? commandSpec(rec.name, rec.text(1).toUpperCase()) : commandSpec(rec.name);
  if (!spec) return `unknown command '${rec.name.slice(0, 40)}' (Redis refuses to load it)`;
  if (!arityOk(spec.arity, rec.argc)) return `'${rec.name}' with a wrong number of arguments (${rec.argc - 1})`;
  return '';
}

// ---------------------------------------------------------------------------------------
// Random access to the input, for looking back at a damaged range

/** Reads any range of the (decompressed) input; shorter than asked at the end of the file. */
interface ByteSource {
  read(offset: number, length: number): Promise<Buffer>;
  /** reads will start at or after this offset for a while (a hint for a compressed input) */
  keepFrom(offset: number): void;
  close(): Promise<void>;
}

function byteSource(f: InputFile): ByteSource {
  if (f.compression === 'none') {
    let fd: number | undefined;
    return {
      async read(offset, length) {
        if (fd === undefined) fd = fs.openSync(f.path, 'r');
        const b = Buffer.allocUnsafe(Math.max(0, length));
        let got = 0;
        while (got < b.length) {
          const n = fs.readSync(fd, b, got, b.length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
        return b.subarray(0, got);
      },
      keepFrom() {},
      async close() {
        if (fd !== undefined) fs.closeSync(fd);
        fd = undefined;
      },
    };
  }
  // compressed: a forward cursor over a second decompression of the input (reopened when a
  // read goes back before what it still holds), holding the bytes from keepFrom on, or from
  // the last read on once they pass HOLD_MAX
  const HOLD_MAX = 64 * 1024 * 1024;
  let low = 0;
  let it: AsyncGenerator<Buffer> | undefined;
  let chunks: Buffer[] = [];
  let held = 0; // bytes in chunks
  let bufStart = 0; // offset of chunks[0]
  let done = false;
  return {
    async read(offset, length) {
      if (it === undefined || offset < bufStart) {
        await it?.return(undefined);
        it = openChunks(f);
        chunks = [];
        held = 0;
        bufStart = 0;
        done = false;
      }
      const want = offset + length;
      while (!done && bufStart + held < want) {
        const n = await it.next();
        if (n.done) {
          done = true;
          break;
        }
        chunks.push(n.value);
        held += n.value.length;
        // keep nothing wholly before the read (or before keepFrom, while that is not too much)
        const from = held > HOLD_MAX ? offset : Math.min(offset, low);
        while (chunks.length > 1 && bufStart + chunks[0]!.length <= from) {
          bufStart += chunks[0]!.length;
          held -= chunks[0]!.length;
          chunks.shift();
        }
      }
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks = all.length ? [all] : [];
      const s = Math.max(0, offset - bufStart);
      return Buffer.from(all.subarray(s, Math.min(all.length, want - bufStart)));
    },
    keepFrom(offset) {
      low = offset;
    },
    async close() {
      await it?.return(undefined);
      it = undefined;
    },
  };
}

// a resynchronisation walk believes no header declaring more than these (as the reader's probe)
const WALK_MAX_BULK = 512 * 1024 * 1024;
const WALK_MAX_ARGC = 1024 * 1024;
const WALK_LINE_MAX = 127;

/**
 * The declared extent of a damaged record starting at `start`: how far its still-intact
 * framing claims the bytes. Walk its `*<argc>` line (a damaged one is skipped to its line end,
 * unless it holds a '*' that may start a real record), then its `$<len>` headers and the
 * values they declare, as long as they are intact. The walk ends at the first header that is
 * not intact (the extent ends there), at a value not followed by CRLF (the extent ends after
 * the declared value: its length is all we know), after argc values, or at the end of the
 * file (a value cut by the end of the file claims everything to the end: Infinity).
 */
async function extentOf(src: ByteSource, start: number): Promise<number> {
  const head = await src.read(start, WALK_LINE_MAX + 2);
  let pos: number;
  let argsLeft: number;
  const m = /^\*([0-9]{1,10})\r\n/.exec(head.latin1Slice(0, Math.min(head.length, 16)));
  if (m && Number(m[1]) <= WALK_MAX_ARGC) {
    argsLeft = Number(m[1]);
    pos = start + m[0].length;
  } else {
    let t = -1;
    for (let i = 0; i < Math.min(head.length, WALK_LINE_MAX); i++) {
      if (head[i] === 0x0d || head[i] === 0x0a) {
        t = i;
        break;
      }
    }
    if (t < 0) return start;
    const star = head.indexOf(0x2a, 1);
    if (star > 0 && star < t) return start;
    // CR LF, or a CR whose LF was damaged: skip both; a lone LF: skip it
    pos = start + t + (head[t] === 0x0d && t + 1 < head.length && head[t + 1] !== 0x24 ? 2 : 1);
    argsLeft = Infinity;
  }
  while (argsLeft > 0) {
    const hdr = await src.read(pos, 24);
    if (hdr.length === 0) return Infinity;
    // a header whose CR or LF (not both) is damaged still gives the value's length
    const h = /^\$([0-9]{1,10})(?:\r\n|\r[^\n]|[^\r]\n)/.exec(hdr.latin1Slice(0, hdr.length));
    if (!h) {
      // a header cut by the end of the file
      if (hdr.length < 24 && /^\$[0-9]*\r?$/.test(hdr.latin1Slice(0, hdr.length))) return Infinity;
      // a damaged header line (its length unreadable) where the record's next header is
      // expected: its value is taken to run to the next CRLF, and the walk goes on if another
      // header follows there (claiming more is the safe side: those bytes are dropped, reported)
      if (hdr[0] !== 0x24 && argsLeft === Infinity) return pos;
      let t = -1;
      for (let i = 1; i < Math.min(hdr.length, 12); i++) {
        if (hdr[i] === 0x0d || hdr[i] === 0x0a) {
          t = i;
          break;
        }
      }
      if (t < 0) return pos;
      const v = pos + t + (hdr[t] === 0x0d && t + 1 < hdr.length && hdr[t + 1] !== 0x24 ? 2 : 1);
      const rest = await src.read(v, 64 * 1024);
      const c = rest.indexOf('\r\n');
      if (c < 0) return pos;
      pos = v + c + 2;
      argsLeft--;
      const next = await src.read(pos, 14);
      if (argsLeft > 0 && /^\$[0-9]{1,10}\r\n/.test(next.latin1Slice(0, next.length))) continue;
      return pos;
    }
    const len = Number(h[1]);
    if (len > WALK_MAX_BULK) return pos;
    const e = pos + h[0].length + len;
    const crlf = await src.read(e, 2);
    if (crlf.length < 2) return Infinity;
    if (crlf[0] !== 0x0d || crlf[1] !== 0x0a) {
      // a damaged CRLF: the record goes on if its next header follows it (its values are
      // claimed too); otherwise the extent ends with the declared value
      const next = await src.read(e + 2, 14);
      if (argsLeft <= 1 || !/^\$[0-9]{1,10}\r\n/.test(next.latin1Slice(0, next.length))) return e;
    }
    pos = e + 2;
    argsLeft--;
  }
  return pos;
}

// the smallest SELECT record: *2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n
const SELECT_RECORD_MIN = 23;

/**
 * Whether a dropped range [start, end) may have held a SELECT. It held none only when it reads
 * as one record, damaged in at most one local spot, whose name is not SELECT: its `*<argc>` line
 * (or one damaged line of at most 12 bytes), then `$<len>` headers and values chaining exactly
 * to `end`, where one header line may be damaged (its value then runs to the next CRLF) or one
 * value's CRLF may be. A lone damaged line shorter than any SELECT record held none either.
 * Anything else (foreign bytes over several records, two damaged spots) is not explained, so
 * it may have held a SELECT: the caller then does not assume the db of what follows.
 */
async function mayHoldSelect(src: ByteSource, start: number, end: number): Promise<boolean> {
  const lineEnd = (b: Buffer, from: number, max: number): number => {
    for (let i = from; i < Math.min(b.length, max); i++) if (b[i] === 0x0d || b[i] === 0x0a) return i;
    return -1;
  };
  // after a line ending at t: CR LF, or a CR whose LF was damaged, or a lone LF
  const skipEol = (b: Buffer, t: number): number => (b[t] === 0x0d && t + 1 < b.length && b[t + 1] !== 0x24 ? t + 2 : t + 1);
  let repaired = false;
  let pos: number;
  let argc = Infinity;
  const head = await src.read(start, 16);
  const m = /^\*([0-9]{1,7})\r\n/.exec(head.latin1Slice(0, head.length));
  if (m) {
    argc = Number(m[1]);
    pos = start + m[0].length;
  } else {
    const t = lineEnd(head, 1, 13);
    if (t < 0) return true;
    repaired = true;
    pos = start + skipEol(head, t);
  }
  let name: string | undefined;
  let i = 0;
  while (i < argc && pos < end) {
    const hdr = await src.read(pos, 16);
    let h = /^\$([0-9]{1,10})\r\n/.exec(hdr.latin1Slice(0, hdr.length));
    if (!h && !repaired) {
      // a header whose CR or LF (not both) is damaged still gives the value's length
      h = /^\$([0-9]{1,10})(?:\r[^\n]|[^\r]\n)/.exec(hdr.latin1Slice(0, hdr.length));
      if (h) repaired = true;
    }
    let v: number;
    let e: number;
    if (h) {
      v = pos + h[0].length;
      e = v + Number(h[1]);
      if (e > end) return true;
      const crlf = await src.read(e, 2);
      if (e === end || (crlf[0] === 0x0d && crlf[1] === 0x0a)) pos = Math.min(end, e + 2);
      else if (!repaired) {
        repaired = true;
        pos = e + 2;
      } else return true;
    } else {
      if (argc === Infinity && hdr[0] !== 0x24) break; // the record ended
      if (repaired) return true;
      repaired = true;
      const t = lineEnd(hdr, 1, 12);
      if (t < 0) return true;
      v = pos + skipEol(hdr, t);
      const rest = await src.read(v, Math.min(64 * 1024, end - v));
      const c = rest.indexOf('\r\n');
      if (c < 0) return true;
      e = v + c;
      pos = e + 2;
    }
    if (i === 0) name = (await src.read(v, Math.min(e - v, 16))).latin1Slice().toUpperCase();
    i++;
  }
  if (pos !== end || (argc !== Infinity && i !== argc)) return true;
  if (i === 0) return end - start >= SELECT_RECORD_MIN;
  return name === 'SELECT';
}

/** The db a SELECT switches to, 'bad' when Redis would refuse it (not an index, or beyond
 * `databases`: the server keeps the previous db); undefined for other commands. */
function selectTarget(rec: RespRecord, databases: number): number | 'bad' | undefined {
  if (rec.name !== 'SELECT' || rec.argc !== 2) return undefined;
  const t = rec.text(1);
  // Redis parses the index with string2ll: no sign, no leading zero, no spaces
  if (!/^(0|[1-9][0-9]{0,9})$/.test(t) || Number(t) >= databases) return 'bad';
  return Number(t);
}

type RespEvent =
  | { kind: 'command'; gen: number; name: string; offset: number; end: number; why: string; select: number | undefined; hides: boolean }
  | { kind: 'annotation'; gen: number; offset: number; end: number }
  | { kind: 'damage'; gen: number; start: number; end: number; message: string };

/**
 * Drives the salvaging RESP reader and second-guesses its resynchronisation.
 *
 * After damage the reader resumes at the next position that parses as a whole command with a
 * known name. That position may lie inside a value of the damaged record: a value holding RESP
 * text (`SET blob "*2\r\n$3\r\nDEL\r\n..."`) parses as commands, and keeping them would delete
 * real keys and invent others. So every damaged range is checked against the declared extent
 * of the damaged record (extentOf): when the reader resumed before the end of that extent, the
 * bytes up to it are data, not commands. The whole extent is dropped with the damage, and
 * reading starts over with a fresh reader at the end of the extent (itself resynchronising if
 * no command starts there). A value cut by the end of the file drops everything to the end.
 * What this cannot see: damage to a `$<len>` header itself (the value's length is then
 * unknown, and a wrong length points elsewhere); those ranges are reported like any other.
 *
 * The reader's events are queued and handled after each push, since the look back at the
 * damaged bytes reads the file again (asynchronously).
 */
class RespSalvager {
  private reader: RespStreamReader | undefined;
  private gen = 0;
  private queue: RespEvent[] = [];
  private pushedEnd = 0;
  /** skipping the rest of a declared extent: where reading starts over (Infinity: never) */
  private resumeAt = -1;
  private skipped: { start: number; message: string } | undefined;
  private total = Infinity; // known once finishing

  constructor(
    private readonly tx: TxTracker,
    private readonly src: ByteSource,
    private readonly isKnown: (name: string) => boolean,
    private readonly databases: number,
  ) {}

  async start(offset: number, initial?: Buffer): Promise<void> {
    this.pushedEnd = offset + (initial?.length ?? 0);
    this.open(offset, initial);
    await this.process();
  }

  async push(chunk: Buffer): Promise<void> {
    const cStart = this.pushedEnd;
    this.pushedEnd += chunk.length;
    if (this.reader) {
      this.reader.push(chunk);
      await this.process();
    } else if (this.resumeAt >= 0 && this.resumeAt < this.pushedEnd) {
      const at = this.resumeAt;
      await this.closeSkipped(at);
      this.open(at, chunk.subarray(at - cStart));
      await this.process();
    }
  }

  async finish(total: number): Promise<void> {
    this.total = total;
    for (;;) {
      const r = this.reader;
      if (!r) break;
      r.finish();
      await this.process();
      if (this.reader === r) {
        this.reader = undefined;
        break;
      }
      // the damage at the end started a new reader further on: finish that one too
    }
    if (this.resumeAt >= 0) await this.closeSkipped(total);
  }

  private open(offset: number, initial?: Buffer): void {
    const g = ++this.gen;
    const q = this.queue;
    this.reader = new RespStreamReader(
      {
        command: (rec: RespRecord) => {
          if (g !== this.gen) return;
          const select = selectTarget(rec, this.databases);
          // a command Redis would refuse to load (unknown name, wrong arity) counts as damage;
          // so does a SELECT whose index Redis would refuse (it would keep the previous db)
          let why = loadable(rec);
          if (!why && select === 'bad') why = `SELECT '${printableKeyText(rec.arg(1)).slice(0, 40)}' is not a db index Redis accepts`;
          // could this refused record have been a SELECT before it was damaged?
          const hides = why !== '' && (rec.name === 'SELECT' || (rec.argc === 2 && commandSpec(rec.name) === undefined));
          q.push({ kind: 'command', gen: g, name: rec.name, offset: rec.offset, end: rec.end, why, select: select === 'bad' ? undefined : select, hides });
        },
        annotation: (_t: string, offset: number, end: number) => {
          if (g === this.gen) q.push({ kind: 'annotation', gen: g, offset, end });
        },
        damage: (start: number, end: number, message: string) => {
          if (g === this.gen) q.push({ kind: 'damage', gen: g, start, end, message });
        },
      },
      { startOffset: offset, initial, salvage: true, isKnownCommand: this.isKnown },
    );
  }

  private async process(): Promise<void> {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      const ev = q[i]!;
      if (ev.gen !== this.gen) continue; // from a reader given up on
      if (ev.kind === 'command') {
        if (ev.why) this.tx.damage(ev.offset, ev.end, ev.why, ev.hides);
        else this.tx.command(ev.name, ev.offset, ev.end, ev.select);
      } else if (ev.kind === 'annotation') this.tx.annotation(ev.offset, ev.end);
      else await this.damage(ev.start, ev.end, ev.message);
    }
    q.length = 0;
  }

  private async damage(start: number, resync: number, message: string): Promise<void> {
    this.src.keepFrom(start);
    const extent = Math.min(await extentOf(this.src, start), this.total);
    if (extent <= resync) {
      this.tx.damage(start, resync, message, await mayHoldSelect(this.src, start, resync));
      return;
    }
    // the reader resumed inside the damaged record's declared extent: give it up (its queued
    // events are ignored) and read again from the end of the extent
    this.gen++;
    this.reader = undefined;
    const why = `${message}; the damaged record's intact framing declares the bytes up to ${Number.isFinite(extent) ? extent : 'the end of the file'} as its own (values, not commands): dropped with it`;
    if (extent < this.pushedEnd) {
      this.tx.damage(start, extent, why, await mayHoldSelect(this.src, start, extent));
      this.open(extent, await this.src.read(extent, this.pushedEnd - extent));
    } else {
      this.resumeAt = extent;
      this.skipped = { start, message: why };
    }
  }

  private async closeSkipped(at: number): Promise<void> {
    const s = this.skipped!;
    this.resumeAt = -1;
    this.skipped = undefined;
    this.tx.damage(s.start, at, s.message, await mayHoldSelect(this.src, s.start, at));
  }
}

/**
 * Decides which byte ranges of a RESP stream to keep, transaction by transaction, and never
 * lets a command land in another db than the one it had.
 *
 * The db: `srcDb` is the db the original stream is in at this point (undefined: unknown),
 * `outDb` the one the salvaged output is in (both start at 0, as Redis's loader does for each
 * file). A command is written only when they agree. They part when a dropped range may have
 * held a SELECT (mayHoldSelect: unless the range reads as one record, damaged in one spot,
 * whose name is not SELECT; a refused record named SELECT, an unknown two-argument command (a
 * damaged name) or a SELECT whose index Redis would refuse), and when an intact SELECT is
 * dropped with a damaged transaction. What an operator wants then is not a guess: keys loaded
 * into the wrong db are silently wrong data, while dropped commands are listed. So the
 * commands are dropped, and reported (count and byte range), until the next intact SELECT,
 * which sets both again. Redis writes a SELECT whenever the db changes, so in a multi-db AOF
 * that is usually a few commands; in a one-db AOF it is the rest of the file, but only after
 * damage that cannot be read as one record damaged in one spot (a flipped bit still costs one
 * command).
 */
class TxTracker {
  readonly kept: [number, number][] = [];
  private inTx = false;
  private txStart = 0;
  private txCommands = 0;
  private txDbOk = true; // at MULTI: the db agreed
  private txNeedsDb = false; // a command before any SELECT inside the transaction
  private txSelect: number | undefined; // the last SELECT inside the transaction
  private txWhy = '';
  private afterDamage = false;
  private pendingStart = 0;
  private pendingCommands = 0;
  private pendingDbOk = true; // at the start of the pending commands: the db agreed
  private pendingSelectAt = -1; // the first SELECT among them
  private pendingBeforeSelect = 0; // commands before it
  private pendingSelect: number | undefined; // the last SELECT among them
  private pendingWhy = '';
  private damaged = false;
  private srcDb: number | undefined = 0;
  private outDb = 0;
  private unknownAt = -1;
  private dbRun: { range: DroppedRange; commands: number; why: string } | undefined;

  constructor(private readonly res: FileSalvage) {}

  private dbOk(): boolean {
    return this.srcDb !== undefined && this.srcDb === this.outDb;
  }

  private keep(s: number, e: number, commands: number): void {
    if (e <= s) return;
    const last = this.kept[this.kept.length - 1];
    if (last && last[1] === s) last[1] = e;
    else this.kept.push([s, e]);
    this.res.commandsKept += commands;
    if (this.damaged) this.res.commandsKeptAfterFirstDamage += commands;
  }

  private drop(s: number, e: number, reason: string): void {
    if (e <= s) return;
    this.res.droppedRanges.push({ start: s, end: e, bytes: e - s, reason });
  }

  /** Why the commands from here on are not written (when they are not): said when it starts. */
  private dbWhy(): string {
    return this.srcDb === undefined
      ? `their db is unknown (the dropped range at ${this.unknownAt} may have held a SELECT)`
      : `they belong to db ${this.srcDb} but would land in db ${this.outDb} (the SELECT before them was dropped)`;
  }

  /** Drop commands whose db is not the output's; consecutive ones make one reported range. */
  private dropForDb(s: number, e: number, commands: number, why: string): void {
    if (e <= s) return;
    let run = this.dbRun;
    if (run && run.range.end === s) {
      run.range.end = e;
      run.range.bytes = e - run.range.start;
      run.commands += commands;
    } else {
      run = { range: { start: s, end: e, bytes: e - s, reason: '' }, commands, why };
      this.dbRun = run;
      this.res.droppedRanges.push(run.range);
    }
    run.range.reason = `${run.commands} command${run.commands === 1 ? '' : 's'} dropped until the next intact SELECT: ${run.why}`;
  }

  annotation(offset: number, end: number): void {
    if (this.inTx || this.afterDamage) return;
    if (this.dbRun && this.dbRun.range.end === offset) this.dropForDb(offset, end, 0, this.dbRun.why);
    else this.keep(offset, end, 0);
  }

  command(name: string, offset: number, end: number, select?: number): void {
    if (name === 'MULTI') {
      if (this.inTx) this.drop(this.txStart, offset, 'a MULTI without EXEC (another MULTI follows): the incomplete transaction is dropped');
      if (this.afterDamage) {
        this.keepPending(offset);
        this.afterDamage = false;
      }
      this.inTx = true;
      this.txStart = offset;
      this.txCommands = 1;
      this.txDbOk = this.dbOk();
      this.txWhy = this.dbWhy();
      this.txNeedsDb = false;
      this.txSelect = undefined;
      return;
    }
    if (name === 'EXEC') {
      if (this.inTx) {
        if (this.txDbOk || !this.txNeedsDb) {
          this.keep(this.txStart, end, this.txCommands + 1);
          if (this.txSelect !== undefined) this.outDb = this.txSelect;
        } else this.dropForDb(this.txStart, end, this.txCommands + 1, this.txWhy);
        this.inTx = false;
      } else if (this.afterDamage) {
        this.drop(this.pendingStart, end, 'the rest of a transaction whose MULTI was in the damaged range before it: dropped whole');
        this.afterDamage = false;
      } else {
        this.drop(offset, end, 'an EXEC without MULTI');
      }
      return;
    }
    // the original stream is in this db from here on, whatever we keep
    if (select !== undefined) this.srcDb = select;
    if (this.inTx) {
      this.txCommands++;
      if (select !== undefined) this.txSelect = select;
      else if (this.txSelect === undefined) this.txNeedsDb = true;
    } else if (this.afterDamage) {
      this.pendingCommands++;
      if (select !== undefined) {
        if (this.pendingSelectAt < 0) {
          this.pendingSelectAt = offset;
          this.pendingBeforeSelect = this.pendingCommands - 1;
        }
        this.pendingSelect = select;
      }
    } else if (select !== undefined) {
      this.outDb = select;
      this.keep(offset, end, 1);
    } else if (this.dbOk()) this.keep(offset, end, 1);
    else this.dropForDb(offset, end, 1, this.dbWhy());
  }

  /** Keep the commands held since the last damage (up to `end`), minus those whose db is not known. */
  private keepPending(end: number): void {
    if (this.pendingDbOk || this.pendingCommands === 0) this.keep(this.pendingStart, end, this.pendingCommands);
    else if (this.pendingSelectAt >= 0) {
      this.dropForDb(this.pendingStart, this.pendingSelectAt, this.pendingBeforeSelect, this.pendingWhy);
      this.keep(this.pendingSelectAt, end, this.pendingCommands - this.pendingBeforeSelect);
    } else this.dropForDb(this.pendingStart, end, this.pendingCommands, this.pendingWhy);
    if (this.pendingSelect !== undefined && (this.pendingDbOk || this.pendingSelectAt >= 0)) this.outDb = this.pendingSelect;
  }

  /** `hides`: the range may have held a SELECT, so the db of what follows is unknown. */
  damage(start: number, end: number, message: string, hides = false): void {
    this.damaged = true;
    if (this.inTx) {
      this.drop(this.txStart, start, 'a transaction with damage inside: dropped whole (never half a transaction)');
      this.inTx = false;
    } else if (this.afterDamage) {
      this.keepPending(start);
    }
    this.drop(start, end, `unreadable bytes: ${message}`);
    if (hides) {
      this.srcDb = undefined;
      this.unknownAt = start;
    }
    this.afterDamage = true;
    this.pendingStart = end;
    this.pendingCommands = 0;
    this.pendingDbOk = this.dbOk();
    this.pendingWhy = this.dbWhy();
    this.pendingSelectAt = -1;
    this.pendingBeforeSelect = 0;
    this.pendingSelect = undefined;
  }

  end(total: number): void {
    if (this.inTx) this.drop(this.txStart, total, 'a MULTI without EXEC at the end of the file (Redis discards it too)');
    else if (this.afterDamage) this.keepPending(total);
    this.inTx = false;
    this.afterDamage = false;
  }
}

function printSalvage(pr: Printer, changes: FileSalvage[], output: string, opts: SalvageOptions, verified: boolean | undefined): void {
  const c = pr.c;
  for (const ch of changes) {
    pr.out(c.bold(path.basename(ch.file)) + `: ${ch.fromBytes} bytes -> ${ch.toBytes} bytes`);
    if (ch.keysKept) pr.out(`  keys kept: ${ch.keysKept}`);
    if (ch.commandsKept) pr.out(`  commands kept: ${ch.commandsKept} (${ch.commandsKeptAfterFirstDamage} of them after the first damage)`);
    for (const k of ch.keysLost) pr.out(c.red(`  lost key '${k.key}' (db ${k.db}, offset ${k.offset}): ${k.reason}`));
    for (const d of ch.droppedRanges) pr.out(c.yellow(`  dropped [${d.start}, ${d.end}) ${d.bytes} bytes: ${d.reason}`));
    if (ch.unreadBytes) pr.out(c.red(`  ${ch.unreadBytes} bytes could not be read at all`));
    if (ch.checksum === 'mismatch') pr.out(c.yellow('  the original checksum did not match; the output has a fresh one'));
  }
  if (opts.dryRun) pr.out('--dry-run: nothing was written');
  else pr.out(verified ? c.green(`Salvaged into ${output} (it passes redkit check)`) : c.red(`Wrote ${output}, but it does not pass redkit check: see the errors`));
}
