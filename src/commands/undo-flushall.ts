// `redkit undo-flushall <path>`: remove the trailing FLUSHALL/FLUSHDB from the last AOF file so
// that loading the AOF restores the data, or explain exactly why that cannot be done safely.

import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { FormatError, InputError, RefusedError, UnsupportedError, UsageError } from '../model/errors.js';
import { commandSpec, hasSubcommands } from '../codec/commands-table.js';
import { AtomicWriter, backupFile, copyDirAtomic } from '../io/atomic.js';
import { openChunks, resolveInput, type InputFile, type ResolvedInput } from '../io/source.js';
import type { RespRecord } from '../codec/resp.js';
import { scanInput } from '../io/scan.js';
import { confirm, type EditOptions } from './safety.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { refuseOutputInInput } from './inputs.js';

export interface UndoOptions extends GlobalOptions, EditOptions {
  list?: boolean;
  keepLaterWrites?: boolean;
  output?: string;
}

export interface Flush {
  file: string;
  /** index of the file in load order */
  fileIndex: number;
  offset: number;
  end: number;
  command: string;
  db: number | null;
  /** nearest #TS: annotation before it (unix seconds) */
  timestamp: number | null;
  /** set when the flush is inside MULTI/EXEC: the block's extent and whether it holds only flushes */
  transaction: { offset: number; end: number; onlyFlush: boolean } | null;
  /** write commands after it, in load order */
  writesAfter: number;
  /** flushes with no write between them share a group: undo removes the last group whole */
  group: number;
}

interface LaterWrite {
  file: string;
  offset: number;
  command: string;
}

interface Scan {
  input: ResolvedInput;
  flushes: Flush[];
  /** writes after the last flush (first ones kept for the message) */
  laterWrites: LaterWrite[];
  laterWriteCount: number;
  problems: Problem[];
  sizes: Map<string, { size: number; mtimeMs: number }>;
  /** bytes of each file as read (decompressed): what the cut offsets refer to */
  lengths: Map<string, number>;
  /** flushes before which no key can have existed in the db(s) they flush: they erased nothing */
  erasedNothing: Set<Flush>;
}

/** A refusal that points at a place in a file (the JSON problem's file and offset). */
class UndoRefusal extends RefusedError {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Commands that may follow a flush without making its removal unsafe. */
const NEUTRAL = new Set(['SELECT', 'MULTI', 'EXEC']);

/** Scripts: flagged as non-writing in the command table (their flags come from the script),
 * but an AOF holds one only because it wrote (script replication), in any db. */
const SCRIPTS = new Set(['EVAL', 'EVALSHA', 'FCALL']);

/** Whether a logged command may change data: a write by the command table (the subcommand's,
 * for containers such as XGROUP CREATE or FUNCTION LOAD), a script, or a command we do not know. */
function isWrite(rec: RespRecord): boolean {
  if (SCRIPTS.has(rec.name)) return true;
  const sub = rec.argc > 1 && hasSubcommands(rec.name) ? rec.text(1).toUpperCase() : undefined;
  const spec = commandSpec(rec.name, sub);
  return !spec || spec.write;
}

/**
 * Which dbs may hold a key at this point of the load, conservatively: a write counts as adding
 * a key (even a DEL), and a command whose db we cannot tell (a script, an unknown command)
 * counts for every db. A flush empties what it flushes.
 */
class Occupancy {
  private readonly dbs = new Set<number>();
  private anyDb = false;

  /** a write command run in `db` */
  write(rec: RespRecord, db: number): void {
    const name = rec.name;
    const dbArg = (i: number): number | undefined => {
      const v = i < rec.argc ? Number(rec.text(i)) : NaN;
      return Number.isInteger(v) ? v : undefined;
    };
    if (name === 'SWAPDB') {
      const a = dbArg(1);
      const b = dbArg(2);
      if (a === undefined || b === undefined) {
        this.anyDb = true;
        return;
      }
      const ha = this.dbs.has(a);
      const hb = this.dbs.has(b);
      if (hb) this.dbs.add(a);
      else this.dbs.delete(a);
      if (ha) this.dbs.add(b);
      else this.dbs.delete(b);
      return;
    }
    if (name === 'FUNCTION') return; // functions are not keys, and no flush removes them
    if (SCRIPTS.has(name) || !commandSpec(name)) {
      this.anyDb = true;
      return;
    }
    this.dbs.add(db);
    if (name === 'MOVE') {
      const to = dbArg(2);
      if (to === undefined) this.anyDb = true;
      else this.dbs.add(to);
    } else if (name === 'COPY') {
      for (let i = 3; i < rec.argc; i++) {
        if (rec.text(i).toUpperCase() !== 'DB') continue;
        const to = dbArg(i + 1);
        if (to === undefined) this.anyDb = true;
        else this.dbs.add(to);
      }
    }
  }

  /** a key stored in an RDB part (preamble or base) */
  key(db: number): void {
    this.dbs.add(db);
  }

  /** whether the db (null: any db, as FLUSHALL) may hold a key */
  holds(db: number | null): boolean {
    return this.anyDb || (db === null ? this.dbs.size > 0 : this.dbs.has(db));
  }

  flush(db: number | null): void {
    if (db === null) {
      this.dbs.clear();
      this.anyDb = false;
    } else {
      this.dbs.delete(db);
    }
  }
}

async function scan(p: string, resolved?: ResolvedInput): Promise<Scan> {
  const input = resolved ?? (await resolveInput(p));
  const problems: Problem[] = [...input.problems];
  if (input.kind === 'rdb') {
    throw new UsageError(`${p} is an RDB file: an RDB snapshot holds no commands to undo. undo-flushall works on an AOF (a file, an appendonlydir or its manifest).`);
  }
  const fatal = input.problems.find((x) => x.severity === 'error');
  if (fatal) throw new RefusedError(`the AOF cannot be read safely: ${fatal.message}. Run 'redkit check ${p}' first.`);
  const sizes = new Map<string, { size: number; mtimeMs: number }>();
  for (const f of input.files) {
    if (f.role === 'history' || p === '-') continue;
    const st = fs.statSync(f.path);
    sizes.set(f.path, { size: st.size, mtimeMs: st.mtimeMs });
  }
  const flushes: Flush[] = [];
  let laterWrites: LaterWrite[] = [];
  let laterWriteCount = 0;
  let db = 0;
  let ts: number | null = null;
  let fileIndex = -1;
  // the open transaction: its MULTI offset, what it holds so far, and flushes inside it
  let tx: { offset: number; commands: number; flushes: Flush[] } | undefined;
  let group = 0;
  let writesSinceFlush = true;
  const occupancy = new Occupancy();
  const erasedNothing = new Set<Flush>();
  const loaded = input.files.filter((f) => f.role !== 'history');
  const results = await scanInput(input, {
    fileStart(file: InputFile) {
      fileIndex = loaded.indexOf(file);
      db = 0;
      tx = undefined;
    },
    rdbItem(item) {
      if (item.kind === 'key') occupancy.key(item.entry.db);
      else if (item.kind === 'damaged') occupancy.key(item.db);
    },
    annotation(text) {
      if (text.startsWith('#TS:') && /^#TS:-?[0-9]+$/.test(text)) ts = Number(text.slice(4));
    },
    command(rec, file) {
      const name = rec.name;
      if (name === 'SELECT') {
        const v = rec.argc === 2 ? Number(rec.text(1)) : NaN;
        if (Number.isInteger(v)) db = v;
        if (tx) tx.commands++;
        return;
      }
      if (name === 'MULTI') {
        tx = { offset: rec.offset, commands: 0, flushes: [] };
        return;
      }
      if (name === 'EXEC') {
        if (tx) for (const f of tx.flushes) f.transaction = { offset: tx.offset, end: rec.end, onlyFlush: tx.commands === tx.flushes.length };
        tx = undefined;
        return;
      }
      if (name === 'FLUSHALL' || name === 'FLUSHDB') {
        const flavour = rec.argc > 1 ? ' ' + rec.text(1).toUpperCase() : '';
        const f: Flush = {
          file: file.path,
          fileIndex,
          offset: rec.offset,
          end: rec.end,
          command: name + flavour,
          db: name === 'FLUSHDB' ? db : null,
          timestamp: ts,
          transaction: null,
          writesAfter: 0,
          group: writesSinceFlush ? ++group : group,
        };
        writesSinceFlush = false;
        if (!occupancy.holds(f.db)) erasedNothing.add(f);
        occupancy.flush(f.db);
        flushes.push(f);
        if (tx) {
          tx.commands++;
          tx.flushes.push(f);
        }
        laterWrites = [];
        laterWriteCount = 0;
        return;
      }
      if (tx) tx.commands++;
      if (NEUTRAL.has(name)) return;
      if (!isWrite(rec)) return; // a read: changes nothing
      occupancy.write(rec, db);
      for (const f of flushes) f.writesAfter++;
      writesSinceFlush = true;
      if (flushes.length) {
        laterWriteCount++;
        if (laterWrites.length < 5) laterWrites.push({ file: file.path, offset: rec.offset, command: rec.args().slice(0, 3).map((a) => printable(a)).join(' ') });
      }
    },
  });
  const lengths = new Map<string, number>();
  for (const r of results) {
    lengths.set(r.file.path, r.size);
    const damage = r.rdb?.error ?? r.resp?.problem;
    if (r.skipped || damage) {
      const where = damage ? `is damaged at offset ${damage.offset}` : 'is missing';
      throw new RefusedError(`${path.basename(r.file.path)} ${where}: undo-flushall only edits an AOF that reads cleanly. Run 'redkit check ${p}' (and --fix) first.`);
    }
  }
  return { input, flushes, laterWrites, laterWriteCount, problems, sizes, lengths, erasedNothing };
}

function printable(b: Buffer): string {
  const s = b.subarray(0, 40).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return b.length > 40 ? s + '...' : s;
}

function describeFlush(f: Flush): string {
  const when = f.timestamp !== null ? `, at or after ${new Date(f.timestamp * 1000).toISOString()}` : '';
  const db = f.db !== null ? ` in db ${f.db}` : ' (all databases)';
  const tx = f.transaction ? ', inside MULTI/EXEC' : '';
  return `${f.command}${db} at ${path.basename(f.file)} offset ${f.offset}${when}${tx}; ${f.writesAfter} write command(s) after it`;
}

/** The exit code and message of an error this command reports itself; undefined for a bug. */
function reportable(e: unknown): { code: number; message: string; file: string; offset: number } | undefined {
  if (e instanceof UndoRefusal) return { code: ExitCode.Refused, message: e.message, file: e.file, offset: e.offset };
  if (e instanceof RefusedError) return { code: ExitCode.Refused, message: e.message, file: '', offset: -1 };
  if (e instanceof UsageError || e instanceof InputError) return { code: ExitCode.Usage, message: e.message, file: '', offset: -1 };
  if (e instanceof FormatError) {
    return { code: e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, message: `${e.file ? e.file + ': ' : ''}${e.describe()}`, file: e.file ?? '', offset: e.offset };
  }
  return undefined;
}

export async function runUndoFlushall(p: string, opts: UndoOptions, io: CommandIO): Promise<number> {
  const pr = new Printer(io, opts);
  const seen: { problems: Problem[]; flushes: Flush[] } = { problems: [], flushes: [] };
  try {
    return await undo(p, opts, io, pr, seen);
  } catch (e) {
    // with --json, a refusal is this command's document (cli.ts would call it "redkit");
    // without, cli.ts prints it
    const r = opts.json ? reportable(e) : undefined;
    if (!r) throw e;
    pr.json({
      command: 'undo-flushall',
      ok: false,
      exitCode: r.code,
      problems: [...seen.problems, { severity: 'error', file: r.file, offset: r.offset, message: r.message }],
      flushes: seen.flushes,
      changes: [],
    });
    if (opts.debug && e instanceof Error) io.stderr(`${e.stack}\n`);
    return r.code;
  }
}

/** Usage errors of -o that need no input: checked before anything is read. */
function checkOutputPath(output: string): void {
  if (output === '') {
    throw new UsageError('-o/--output needs a path, and this one is empty (an unset variable?): nothing was read or changed. Give a path, or leave -o out to edit the AOF in place.');
  }
  if (output === '-') throw new UsageError('-o - is not supported: undo-flushall writes a file (a directory for a multi-part AOF), not standard output');
  const parent = path.dirname(path.resolve(output));
  if (!fs.existsSync(parent)) throw new UsageError(`cannot write ${output}: the directory ${parent} does not exist`);
}

/** `p` with symlinks resolved, also when its last components do not exist yet. */

/** What to cut for the flushes of the last group: each flush, or its whole MULTI/EXEC block when that held only flushes. */
function cutsFor(targets: Flush[]): (Cut & { file: string })[] {
  const cuts: (Cut & { file: string })[] = [];
  for (const f of targets) {
    const c: Cut & { file: string } = f.transaction?.onlyFlush
      ? { file: f.file, offset: f.transaction.offset, end: f.transaction.end, what: 'the MULTI/EXEC block that held only flushes' }
      : { file: f.file, offset: f.offset, end: f.end, what: f.transaction ? 'the flush command (the rest of its transaction stays)' : 'the flush command' };
    if (!cuts.some((x) => x.file === c.file && x.offset === c.offset)) cuts.push(c);
  }
  return cuts.sort((a, b) => (a.file === b.file ? a.offset - b.offset : 0));
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function undo(p: string, opts: UndoOptions, io: CommandIO, pr: Printer, seen: { problems: Problem[]; flushes: Flush[] }): Promise<number> {
  if (p === '-' && !opts.list) throw new UsageError('undo-flushall edits files: give it a path (standard input works only with --list)');
  if (opts.list && opts.output !== undefined) throw new UsageError('--list writes nothing: -o/--output goes with an undo, not with --list');
  const output = opts.output;
  if (output !== undefined) checkOutputPath(output);
  const input = await resolveInput(p);
  if (output !== undefined) {
    refuseOutputInInput(output, p, input);
    if (lexists(output)) throw new RefusedError(`${output} already exists: remove it or choose another path`);
  }
  const s = await scan(p, input);
  seen.problems = s.problems;
  seen.flushes = s.flushes;
  const loaded = s.input.files.filter((f) => f.role !== 'history');
  const lastFile = loaded[loaded.length - 1]!;
  const json = (exitCode: number, extra: Record<string, unknown> = {}) =>
    pr.json({ command: 'undo-flushall', ok: exitCode === 0, exitCode, problems: s.problems, flushes: s.flushes, changes: [], ...extra });

  if (opts.list) {
    if (s.flushes.length === 0) pr.out('No FLUSHALL or FLUSHDB in this AOF.');
    for (const f of s.flushes) pr.out(describeFlush(f));
    json(ExitCode.Ok);
    return ExitCode.Ok;
  }

  const history = s.input.manifest?.history.map((h) => h.file) ?? [];
  const historyHint = history.length
    ? ` The manifest lists history files (${history.join(', ')}): if they still exist (Redis deletes them unless aof-disable-auto-gc is yes), they may hold the data from before the flush.`
    : '';
  const last = s.flushes[s.flushes.length - 1];
  if (!last) {
    throw new RefusedError(
      `No FLUSHALL or FLUSHDB in this AOF: nothing to undo. If a flush happened, an AOF rewrite has already absorbed it and the data is gone from the AOF; restore it from an RDB backup.${historyHint}`,
    );
  }
  const targets = s.flushes.filter((f) => f.group === last.group);
  pr.out(`Last flush: ${describeFlush(last)}`);
  if (targets.length > 1) pr.out(`It follows ${targets.length - 1} other flush(es) with no write in between: all ${targets.length} are removed.`);
  const first = targets[0]!;

  // nothing to bring back: before these flushes no key could exist in what they flush
  if (targets.every((f) => s.erasedNothing.has(f))) {
    const where = targets.some((f) => f.db === null) ? 'in any database' : `in db ${[...new Set(targets.map((f) => f.db))].join(', db ')}`;
    throw new UndoRefusal(
      `The flush erased nothing: before ${first.command} at ${path.basename(first.file)} offset ${first.offset} the AOF holds no key ${where} ` +
        `(no key in an RDB preamble or base, no write command${first.db === null ? '' : ' in that db'}${s.flushes.indexOf(first) > 0 ? ' since the previous flush' : ''}), so removing it would bring nothing back. Nothing was changed. ` +
        `If the server held data when it was flushed, that data is not in this AOF (it was never written to it, or an AOF rewrite already dropped it): restore it from an RDB backup.${historyHint}`,
      first.file,
      first.offset,
    );
  }

  const allCuts = cutsFor(targets);
  const early = targets.find((f) => f.file !== lastFile.path);
  if (early) {
    const earlyFile = loaded.find((f) => f.path === early.file)!;
    const later = loaded.slice(loaded.indexOf(earlyFile) + 1);
    const laterNames = later.map((f) => path.basename(f.path)).join(', ');
    const flushName = path.basename(early.file);
    const dir = path.dirname(early.file);
    const before = loaded.slice(0, loaded.indexOf(earlyFile)).map((f) => path.basename(f.path));
    const inFile = allCuts.filter((c) => c.file === early.file);
    const ranges = allCuts.map((c) => `[${c.offset}, ${c.end}) of ${path.basename(c.file)} (${c.what})`).join(', ');
    const why =
      earlyFile.role === 'incr'
        ? `It is in ${flushName}, an earlier INCR file: the manifest lists ${laterNames} after it. Redis opens a new INCR file when an AOF rewrite starts and drops the older ones only when the rewrite completes, so a rewrite started after the flush and did not complete (it failed, or the server stopped first). ` +
          `The base was not rewritten: the data from before the flush is still in ${[...before, flushName].join(' and ')} up to offset ${early.offset}.`
        : `It is in ${flushName}, the ${earlyFile.role} file, which ${laterNames} follow(s): the data from before the flush is still in it up to offset ${early.offset}.`;
    const after = last.writesAfter > 0 ? ` The ${last.writesAfter} write command(s) after the flush would then apply on top of the restored data.` : ' No write command follows the flush, so nothing else changes.';
    const recipe =
      allCuts.length === 1 && inFile.length === 1
        ? `, e.g.:\n  cd ${shellQuote(dir)} && { head -c ${inFile[0]!.offset} ${shellQuote(flushName)}; tail -c +${inFile[0]!.end + 1} ${shellQuote(flushName)}; } > ${shellQuote(flushName + '.new')} && mv ${shellQuote(flushName + '.new')} ${shellQuote(flushName)}\n`
        : '. ';
    throw new UndoRefusal(
      `The flush is not in the last AOF file (${path.basename(lastFile.path)}), and undo-flushall removes a flush only from the last file, so it changed nothing. ${why} ` +
        `To get it back: stop Redis, copy the directory as a backup, and remove bytes ${ranges} yourself${recipe}` +
        `Then run 'redkit check ${p}' before starting Redis.${after}`,
      early.file,
      early.offset,
    );
  }
  if (last.writesAfter > 0 && !opts.keepLaterWrites) {
    const list = s.laterWrites.map((w) => `  ${path.basename(w.file)} offset ${w.offset}: ${w.command}`).join('\n');
    throw new UndoRefusal(
      `${last.writesAfter} write command(s) follow the flush, e.g.:\n${list}\n` +
        `Removing only the flush would apply them on top of the restored data. If that is what you want, run again with --keep-later-writes.`,
      last.file,
      last.offset,
    );
  }

  // what to cut from the last file
  const cuts: Cut[] = allCuts.map(({ offset, end, what }) => ({ offset, end, what }));
  const removed = cuts.reduce((a, c) => a + c.end - c.offset, 0);
  const file = lastFile;
  if (file.compression !== 'none' && (output === undefined || s.input.kind === 'multipart')) {
    throw new RefusedError(`${file.path} is ${file.compression}-compressed: ${s.input.kind === 'multipart' ? 'decompress it first' : 'write a repaired (uncompressed) copy with -o, or decompress it first'}.`);
  }
  const size = s.lengths.get(file.path)!;
  pr.out(pr.c.yellow('The Redis server must be stopped before this edit: a running server keeps appending to the AOF and would overwrite it at the next rewrite.'));
  for (const c of cuts) pr.out(`This will remove ${c.what}, bytes [${c.offset}, ${c.end}) of ${path.basename(file.path)}`);
  pr.out(`${path.basename(file.path)}: ${size} -> ${size - removed} bytes${opts.keepLaterWrites && last.writesAfter ? `; the ${last.writesAfter} later write command(s) stay and will apply on top of the restored data` : ''}`);
  if (output !== undefined) pr.out(`The repaired copy goes to ${output}${file.compression !== 'none' ? ' (uncompressed)' : ''}; the original stays as it is.`);
  const change: Record<string, unknown> = { file: file.path, action: 'remove-range', ranges: cuts.map((c) => [c.offset, c.end]), fromBytes: size, toBytes: size - removed };
  if (opts.dryRun) {
    pr.out('--dry-run: nothing was changed');
    if (output !== undefined) change['output'] = output;
    json(ExitCode.Ok, { changes: [{ ...change, planned: true }] });
    return ExitCode.Ok;
  }
  await assertNotGrowing(s);
  await confirm(io, output !== undefined ? `Write the repaired copy to ${output}?` : `Remove the flush from ${file.path}?`, opts);
  await assertNotGrowing(s);

  if (output !== undefined) {
    if (lexists(output)) throw new RefusedError(`${output} already exists: remove it or choose another path`);
    if (s.input.kind === 'multipart') {
      const dir = path.dirname(s.input.manifestPath!);
      await copyDirAtomic(dir, output, { prepare: (tmp) => rewriteWithout(file, path.join(tmp, path.basename(file.path)), cuts) });
    } else {
      await rewriteWithout(file, output, cuts);
    }
    change['output'] = output;
  } else {
    if (opts.backup !== false) change['backup'] = await backupFile(file.path);
    await rewriteWithout(file, file.path, cuts);
  }
  pr.out(pr.c.green(`Removed ${targets.map((f) => f.command).join(', ')} from ${output ?? file.path}.`) + ' Start Redis on it to get the data back.');
  if (change['backup']) pr.out(`Backup of the original: ${change['backup'] as string}`);
  json(ExitCode.Ok, { changes: [change] });
  return ExitCode.Ok;
}

function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

interface Cut {
  offset: number;
  end: number;
  what: string;
}

/** Copy `file` to `dest` (atomically) leaving out the cut ranges (sorted, disjoint). */
async function rewriteWithout(file: InputFile, dest: string, cuts: Cut[]): Promise<void> {
  const w = await AtomicWriter.open(dest);
  try {
    let pos = 0;
    for await (const chunk of openChunks(file)) {
      const a = pos;
      pos += chunk.length;
      let from = a; // next absolute offset of this chunk still to consider
      for (const c of cuts) {
        if (c.end <= from || c.offset >= pos) continue;
        if (c.offset > from) await w.write(chunk.subarray(from - a, c.offset - a));
        from = Math.min(c.end, pos);
      }
      if (from < pos) await w.write(chunk.subarray(from - a));
    }
    await w.commit();
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** A running server keeps appending: refuse when any AOF file changed since we read it. */
async function assertNotGrowing(s: Scan): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  for (const [p, before] of s.sizes) {
    const st = fs.statSync(p);
    if (st.size !== before.size || st.mtimeMs !== before.mtimeMs) {
      throw new RefusedError(`${p} changed while redkit was reading it (${before.size} -> ${st.size} bytes): the Redis server is still running. Stop it (SHUTDOWN NOSAVE is not needed: a plain stop is fine) and run again.`);
    }
  }
}

export function undoFlushallCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('undo-flushall')
    .description('remove the trailing FLUSHALL/FLUSHDB from an AOF so that loading it restores the data')
    .argument('<path>', 'AOF file, appendonlydir or *.manifest (stop the server first)')
    .option('--list', 'list every flush with file, offset, db, time and the writes after it; change nothing')
    .option('--keep-later-writes', 'remove only the flush even though write commands follow it (they will apply on top of the restored data)')
    .option('-o, --output <path>', 'write a repaired copy (a whole appendonlydir for multi-part) instead of editing in place')
    .option('--yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--dry-run', 'say exactly what would change, change nothing')
    .option('--no-backup', 'do not copy the edited file to <name>.<UTC timestamp>.bak first')
    .addHelpText(
      'after',
      `
Examples:
  redkit undo-flushall --list appendonlydir/
  redkit undo-flushall --dry-run appendonlydir/
  redkit undo-flushall --yes appendonlydir/          # after stopping redis-server
  redkit undo-flushall -o /tmp/restored appendonlydir/

Refuses (exit 4), saying why, when there is no flush, when the flush erased nothing (no key
before it in what it flushes), when it is not in the last AOF file (it names the file and the
bytes to remove), when write commands follow it (see --keep-later-writes), or when the file
is still growing (the server is running). -o must be a new path outside the input (exit 2).`,
    )
    .action(async (p: string, o: UndoOptions) => {
      done(await runUndoFlushall(p, { ...global(), ...o }, io));
    });
}
