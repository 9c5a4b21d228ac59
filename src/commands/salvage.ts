// `check --salvage`: recover as much as possible into a new file (never touching the input).
//
// AOF: every valid command is kept; after damage the reader resynchronises on the next
// well-formed command with a known name, so one flipped bit costs one command. A MULTI/EXEC
// block with damage inside is dropped whole, and so is the rest of a transaction whose MULTI
// fell in a damaged range (never half a transaction). RDB (files, preambles, bases): every
// record is copied as it is, except keys whose value fails to decode while the record's outer
// framing is intact (those are named and skipped); reading stops at damage that breaks framing.

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
        changes.push(await salvageOne(f, dest, output, problems));
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
    changes.push(await salvageOne(input.files[0]!, opts.dryRun ? undefined : output, output, problems));
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

async function salvageOne(f: InputFile, dest: string | undefined, outputName: string, problems: Problem[]): Promise<FileSalvage> {
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
    await salvageFile(f, sink, result, problems);
    if (writer) await writer.commit();
  } catch (e) {
    if (writer) await writer.abort();
    throw e;
  }
  result.toBytes = sink.bytesWritten;
  return result;
}

async function salvageFile(f: InputFile, sink: Sink, res: FileSalvage, problems: Problem[]): Promise<void> {
  const rdbStart = f.format === 'rdb' && f.role !== 'incr';
  const wantsResp = f.role !== 'rdb';
  let total = 0;
  let respStart = 0;
  let resp: RespStreamReader | undefined;
  const tx = new TxTracker(res);
  const respVisitor = {
    command: (rec: RespRecord) => {
      // a command Redis would refuse to load (unknown name, wrong arity) counts as damage
      const why = loadable(rec);
      if (why) tx.damage(rec.offset, rec.end, why);
      else tx.command(rec.name, rec.offset, rec.end);
    },
    annotation: (_t: string, offset: number, end: number) => tx.annotation(offset, end),
    damage: (start: number, end: number, message: string) => tx.damage(start, end, message),
  };
  const isKnown = (name: string) => commandSpec(name) !== undefined;

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
        resp.push(chunk);
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
        resp = new RespStreamReader(respVisitor, { startOffset: respStart, initial: restAfterRdb, salvage: true, isKnownCommand: isKnown });
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
    if (!resp) resp = new RespStreamReader(respVisitor, { startOffset: respStart, initial: reader.rest(), salvage: true, isKnownCommand: isKnown });
  } else {
    resp = new RespStreamReader(respVisitor, { salvage: true, isKnownCommand: isKnown });
    for await (const chunk of openChunks(f)) {
      total += chunk.length;
      resp.push(chunk);
    }
  }
  res.fromBytes = total;
  resp.finish();
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

/** Decides which byte ranges of a RESP stream to keep, transaction by transaction. */
class TxTracker {
  readonly kept: [number, number][] = [];
  private inTx = false;
  private txStart = 0;
  private txCommands = 0;
  private afterDamage = false;
  private pendingStart = 0;
  private pendingCommands = 0;
  private damaged = false;

  constructor(private readonly res: FileSalvage) {}

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

  annotation(offset: number, end: number): void {
    if (!this.inTx && !this.afterDamage) this.keep(offset, end, 0);
  }

  command(name: string, offset: number, end: number): void {
    if (name === 'MULTI') {
      if (this.inTx) this.drop(this.txStart, offset, 'a MULTI without EXEC (another MULTI follows): the incomplete transaction is dropped');
      if (this.afterDamage) {
        this.keep(this.pendingStart, offset, this.pendingCommands);
        this.afterDamage = false;
      }
      this.inTx = true;
      this.txStart = offset;
      this.txCommands = 1;
      return;
    }
    if (name === 'EXEC') {
      if (this.inTx) {
        this.keep(this.txStart, end, this.txCommands + 1);
        this.inTx = false;
      } else if (this.afterDamage) {
        this.drop(this.pendingStart, end, 'the rest of a transaction whose MULTI was in the damaged range before it: dropped whole');
        this.afterDamage = false;
      } else {
        this.drop(offset, end, 'an EXEC without MULTI');
      }
      return;
    }
    if (this.inTx) this.txCommands++;
    else if (this.afterDamage) this.pendingCommands++;
    else this.keep(offset, end, 1);
  }

  damage(start: number, end: number, message: string): void {
    this.damaged = true;
    if (this.inTx) {
      this.drop(this.txStart, start, 'a transaction with damage inside: dropped whole (never half a transaction)');
      this.inTx = false;
    } else if (this.afterDamage) {
      this.keep(this.pendingStart, start, this.pendingCommands);
    }
    this.drop(start, end, `unreadable bytes: ${message}`);
    this.afterDamage = true;
    this.pendingStart = end;
    this.pendingCommands = 0;
  }

  end(total: number): void {
    if (this.inTx) this.drop(this.txStart, total, 'a MULTI without EXEC at the end of the file (Redis discards it too)');
    else if (this.afterDamage) this.keep(this.pendingStart, total, this.pendingCommands);
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
