// `redkit undo-flushall <path>`: remove the trailing FLUSHALL/FLUSHDB from the last AOF file so
// that loading the AOF restores the data, or explain exactly why that cannot be done safely.

import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { RefusedError, UsageError } from '../model/errors.js';
import { commandSpec } from '../codec/commands-table.js';
import { AtomicWriter, backupFile, copyDirAtomic } from '../io/atomic.js';
import { openChunks, resolveInput, type InputFile, type ResolvedInput } from '../io/source.js';
import { scanInput } from '../io/scan.js';
import { confirm, type EditOptions } from './safety.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';

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
}

/** Commands that may follow a flush without making its removal unsafe. */
const NEUTRAL = new Set(['SELECT', 'MULTI', 'EXEC']);

async function scan(p: string): Promise<Scan> {
  const input = await resolveInput(p);
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
  const loaded = input.files.filter((f) => f.role !== 'history');
  const results = await scanInput(input, {
    fileStart(file: InputFile) {
      fileIndex = loaded.indexOf(file);
      db = 0;
      tx = undefined;
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
      const spec = commandSpec(name);
      if (spec && !spec.write) return; // a read: changes nothing
      for (const f of flushes) f.writesAfter++;
      writesSinceFlush = true;
      if (flushes.length) {
        laterWriteCount++;
        if (laterWrites.length < 5) laterWrites.push({ file: file.path, offset: rec.offset, command: rec.args().slice(0, 3).map((a) => printable(a)).join(' ') });
      }
    },
  });
  for (const r of results) {
    const damage = r.rdb?.error ?? r.resp?.problem;
    if (r.skipped || damage) {
      const where = damage ? `is damaged at offset ${damage.offset}` : 'is missing';
      throw new RefusedError(`${path.basename(r.file.path)} ${where}: undo-flushall only edits an AOF that reads cleanly. Run 'redkit check ${p}' (and --fix) first.`);
    }
  }
  return { input, flushes, laterWrites, laterWriteCount, problems, sizes };
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

export async function runUndoFlushall(p: string, opts: UndoOptions, io: CommandIO): Promise<number> {
  if (p === '-' && !opts.list) throw new UsageError('undo-flushall edits files: give it a path (standard input works only with --list)');
  const pr = new Printer(io, opts);
  const s = await scan(p);
  const loaded = s.input.files.filter((f) => f.role !== 'history');
  const lastFile = loaded[loaded.length - 1];
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
  const early = targets.find((f) => f.file !== lastFile?.path);
  if (early) {
    throw new RefusedError(
      `The flush at ${path.basename(early.file)} offset ${early.offset} is not in the last AOF file: the AOF was rewritten after the flush, so the rewritten base no longer holds the data from before it. Removing the command cannot bring it back. Restore from an RDB backup.${historyHint}`,
    );
  }
  if (last.writesAfter > 0 && !opts.keepLaterWrites) {
    const list = s.laterWrites.map((w) => `  ${path.basename(w.file)} offset ${w.offset}: ${w.command}`).join('\n');
    throw new RefusedError(
      `${last.writesAfter} write command(s) follow the flush, e.g.:\n${list}\n` +
        `Removing only the flush would apply them on top of the restored data. If that is what you want, run again with --keep-later-writes.`,
    );
  }

  // what to cut from the last file: each flush, or its whole MULTI/EXEC block when that held only flushes
  const cuts: Cut[] = [];
  for (const f of targets) {
    const c: Cut = f.transaction?.onlyFlush
      ? { offset: f.transaction.offset, end: f.transaction.end, what: 'the MULTI/EXEC block that held only flushes' }
      : { offset: f.offset, end: f.end, what: f.transaction ? 'the flush command (the rest of its transaction stays)' : 'the flush command' };
    if (!cuts.some((x) => x.offset === c.offset)) cuts.push(c);
  }
  cuts.sort((a, b) => a.offset - b.offset);
  const removed = cuts.reduce((a, c) => a + c.end - c.offset, 0);
  const file = lastFile;
  if (file.compression !== 'none') throw new RefusedError(`${file.path} is ${file.compression}-compressed: write a repaired copy with -o, or decompress it first.`);
  const size = s.sizes.get(file.path)!.size;
  pr.out(pr.c.yellow('The Redis server must be stopped before this edit: a running server keeps appending to the AOF and would overwrite it at the next rewrite.'));
  for (const c of cuts) pr.out(`This will remove ${c.what}, bytes [${c.offset}, ${c.end}) of ${path.basename(file.path)}`);
  pr.out(`${path.basename(file.path)}: ${size} -> ${size - removed} bytes${opts.keepLaterWrites && last.writesAfter ? `; the ${last.writesAfter} later write command(s) stay and will apply on top of the restored data` : ''}`);
  if (opts.output) pr.out(`The repaired copy goes to ${opts.output}; the original stays as it is.`);
  if (opts.dryRun) {
    pr.out('--dry-run: nothing was changed');
    json(ExitCode.Ok, { cuts });
    return ExitCode.Ok;
  }
  await assertNotGrowing(s);
  await confirm(io, opts.output ? `Write the repaired copy to ${opts.output}?` : `Remove the flush from ${file.path}?`, opts);
  await assertNotGrowing(s);

  const change: Record<string, unknown> = { file: file.path, action: 'remove-range', ranges: cuts.map((c) => [c.offset, c.end]), fromBytes: size, toBytes: size - removed };
  if (opts.output) {
    if (fs.existsSync(opts.output)) throw new RefusedError(`${opts.output} already exists: remove it or choose another path`);
    if (s.input.kind === 'multipart') {
      const dir = path.dirname(s.input.manifestPath!);
      await copyDirAtomic(dir, opts.output, { prepare: (tmp) => rewriteWithout(file, path.join(tmp, path.basename(file.path)), cuts) });
    } else {
      await rewriteWithout(file, opts.output, cuts);
    }
    change['output'] = opts.output;
  } else {
    if (opts.backup !== false) change['backup'] = await backupFile(file.path);
    await rewriteWithout(file, file.path, cuts);
  }
  pr.out(pr.c.green(`Removed ${targets.map((f) => f.command).join(', ')} from ${opts.output ?? file.path}.`) + ' Start Redis on it to get the data back.');
  if (change['backup']) pr.out(`Backup of the original: ${change['backup'] as string}`);
  json(ExitCode.Ok, { changes: [change] });
  return ExitCode.Ok;
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

Refuses (exit 4) when the flush is not in the last AOF file (a rewrite already threw the
data away), when write commands follow it (see --keep-later-writes), or when the file is
still growing (the server is running).`,
    )
    .action(async (p: string, o: UndoOptions) => {
      done(await runUndoFlushall(p, { ...global(), ...o }, io));
    });
}
