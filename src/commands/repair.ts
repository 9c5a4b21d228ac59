// `check --fix` and `check --truncate-to-timestamp`: redis-check-aof's two in-place cuts, with
// its exact cut points and refusals, made safe: confirmation (or --yes), --dry-run, a backup
// before the change, an fsync after.

import path from 'node:path';
import { FormatError, RefusedError, UsageError } from '../model/errors.js';
import { resolveInput, type InputFile } from '../io/source.js';
import { scanInput } from '../io/scan.js';
import { checkInput, type FileReport, type InputReport } from './check.js';
import { confirm, truncateSafely, type EditOptions, type TruncateChange } from './safety.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions } from './output.js';

export interface RepairOptions extends GlobalOptions, EditOptions {
  now?: number;
  databases?: number;
}

interface RepairOutcome {
  exitCode: number;
  report: InputReport | undefined;
  changes: TruncateChange[];
  message: string;
}

function lastLoaded(files: FileReport[]): FileReport | undefined {
  const loaded = files.filter((f) => f.role !== 'history');
  return loaded[loaded.length - 1];
}

/** `check --fix <path>`: truncate the last AOF file at ok_up_to, exactly as redis-check-aof --fix. */
export async function runFix(p: string, opts: RepairOptions, io: CommandIO): Promise<number> {
  if (p === '-') throw new UsageError('--fix edits a file in place: it cannot read standard input');
  const pr = new Printer(io, opts);
  const out = await fix(p, opts, io, pr);
  return finish(pr, 'fix', out);
}

async function fix(p: string, opts: RepairOptions, io: CommandIO, pr: Printer): Promise<RepairOutcome> {
  const report = await checkInput(p, opts, pr);
  const none = (exitCode: number, message: string): RepairOutcome => ({ exitCode, report, changes: [], message });
  if (report.kind === 'unreadable') return none(report.exitCode, 'nothing was changed');
  if (report.kind === 'rdb') {
    if (report.ok) return none(ExitCode.Ok, 'The RDB file is valid: nothing to fix');
    throw new RefusedError(
      `${p} is an RDB file: --fix only truncates AOF files. Use 'redkit check --salvage ${p}' to recover every readable key into a new file.`,
    );
  }
  const bad = report.files.filter((f) => !f.valid);
  if (bad.length === 0) {
    return none(report.exitCode, report.exitCode === 0 ? 'The AOF is valid: nothing to fix' : 'The AOF framing is valid; the errors above cannot be fixed by truncation');
  }
  const last = lastLoaded(report.files)!;
  const first = bad[0]!;
  if (first.path !== last.path) {
    throw new RefusedError(
      `Failed to truncate AOF ${path.basename(first.path)} because it is not the last file. ` +
        `Redis only tolerates damage at the end of the last AOF file, and cutting an earlier file would lose every file after it. ` +
        `You can: 1) run 'redkit check --salvage ${p}' to write a copy that keeps every intact command, or 2) restore the file from a backup.`,
    );
  }
  if (first.missing) throw new RefusedError(`${first.path} is listed in the manifest but missing: truncation cannot repair that`);
  if (first.rdbDamaged) {
    throw new RefusedError(
      `The RDB ${first.role === 'base' ? 'base' : 'preamble'} of ${path.basename(first.path)} is damaged. Truncation never repairs an RDB image ` +
        `(it would throw away the whole dataset). Use 'redkit check --salvage ${p}' to recover every readable key.`,
    );
  }
  if (first.compression !== 'none') {
    throw new RefusedError(`${first.path} is ${first.compression}-compressed: it cannot be truncated in place. Decompress it first, or use --salvage -o <file>.`);
  }
  const from = first.size;
  const to = first.okUpTo;
  pr.out(`This will shrink the AOF ${path.basename(first.path)} from ${from} bytes, with ${from - to} bytes, to ${to} bytes`);
  // a dry run changes nothing: the file is still damaged (exit 1), and the report carries the
  // cut that --fix would make, marked planned
  if (opts.dryRun) return { exitCode: report.exitCode, report, changes: [{ file: first.path, action: 'truncate', fromBytes: from, toBytes: to, planned: true }], message: '--dry-run: nothing was changed' };
  await confirm(io, `Truncate ${first.path} to ${to} bytes?`, opts);
  const change = await truncateSafely(first.path, from, to, opts);
  pr.out(`Successfully truncated AOF ${path.basename(first.path)}`);
  if (change.backup) pr.out(`Backup of the original: ${change.backup}`);
  const after = await checkInput(p, { ...opts, quiet: true, progress: false });
  return { exitCode: after.exitCode, report, changes: [change], message: after.ok ? 'The AOF is now valid' : 'The AOF still has problems after the cut (see problems)' };
}

/** `check --truncate-to-timestamp <ts> <path>`: cut at the first #TS: annotation later than ts. */
export async function runTruncateToTimestamp(p: string, ts: number, opts: RepairOptions, io: CommandIO): Promise<number> {
  if (p === '-') throw new UsageError('--truncate-to-timestamp edits a file in place: it cannot read standard input');
  const pr = new Printer(io, opts);
  const out = await truncateToTimestamp(p, ts, opts, io, pr);
  return finish(pr, 'truncate-to-timestamp', out);
}

async function truncateToTimestamp(p: string, ts: number, opts: RepairOptions, io: CommandIO, pr: Printer): Promise<RepairOutcome> {
  const input = await resolveInput(p);
  const fatal = input.problems.find((x) => x.severity === 'error');
  if (fatal) throw new FormatError(fatal.message, fatal.offset);
  let cut: { file: InputFile; offset: number } | undefined;
  let badAnnotation: { file: InputFile; offset: number; text: string } | undefined;
  const results = await scanInput(input, {
    annotation(text, offset, _end, file) {
      if (cut || badAnnotation || !text.startsWith('#TS:')) return;
      const v = text.slice(4);
      if (!/^-?[0-9]+$/.test(v)) {
        badAnnotation = { file, offset, text };
        return;
      }
      if (Number(v) > ts) cut = { file, offset };
    },
  });
  if (badAnnotation) {
    throw new FormatError(`Invalid timestamp annotation '${badAnnotation.text.slice(0, 60)}'`, badAnnotation.offset);
  }
  // damage before the cut point (or anywhere, when there is no cut) makes the cut unsafe
  for (const r of results) {
    const damageAt = r.rdb?.error ? r.rdb.error.offset : r.resp?.problem?.offset;
    if (damageAt === undefined) continue;
    const beforeCut = !cut || results.indexOf(r) < results.findIndex((x) => x.file === cut!.file) || (r.file === cut.file && damageAt < cut.offset);
    if (beforeCut) {
      throw new FormatError(
        `${path.basename(r.file.path)} is damaged at offset ${damageAt}, before the point in time: run 'redkit check ${p}' (and --fix or --salvage) first`,
        damageAt,
      );
    }
  }
  if (!cut) {
    pr.out(`Truncate nothing in AOF ${input.display} to timestamp ${ts}`);
    return { exitCode: ExitCode.Ok, report: undefined, changes: [], message: `no #TS: annotation is later than ${ts}` };
  }
  const name = path.basename(cut.file.path);
  if (cut.offset === 0) {
    throw new RefusedError(`AOF ${name} has nothing before timestamp ${ts}, aborting...`);
  }
  const loaded = input.files.filter((f) => f.role !== 'history');
  if (loaded[loaded.length - 1] !== cut.file) {
    throw new RefusedError(
      `Failed to truncate AOF ${name} to timestamp ${ts} to offset ${cut.offset} because it is not the last file. ` +
        `If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redkit check --truncate-to-timestamp.`,
    );
  }
  if (cut.file.compression !== 'none') {
    throw new RefusedError(`${cut.file.path} is ${cut.file.compression}-compressed: it cannot be truncated in place. Decompress it first.`);
  }
  const from = cut.file.size ?? 0;
  pr.out(`This will cut the AOF ${name} at the first annotation after ${ts} (${isoTime(ts)}): from ${from} bytes to ${cut.offset} bytes`);
  if (opts.dryRun) return { exitCode: ExitCode.Ok, report: undefined, changes: [{ file: cut.file.path, action: 'truncate', fromBytes: from, toBytes: cut.offset, planned: true }], message: '--dry-run: nothing was changed' };
  await confirm(io, `Truncate ${cut.file.path} to ${cut.offset} bytes?`, opts);
  const change = await truncateSafely(cut.file.path, from, cut.offset, opts);
  pr.out(`Successfully truncated AOF ${name} to timestamp ${ts}`);
  if (change.backup) pr.out(`Backup of the original: ${change.backup}`);
  const after = await checkInput(p, { ...opts, quiet: true, progress: false });
  let message = 'done';
  if (after.files.some((f) => !f.valid)) {
    message = 'the cut fell inside a MULTI/EXEC block: Redis discards that incomplete transaction when it loads the file';
    pr.out(pr.c.yellow(`Note: ${message}`));
  }
  return { exitCode: ExitCode.Ok, report: undefined, changes: [change], message };
}

function isoTime(ts: number): string {
  const d = new Date(ts * 1000);
  return Number.isNaN(d.getTime()) ? '?' : d.toISOString();
}

function finish(pr: Printer, mode: string, out: RepairOutcome): number {
  if (out.message) pr.out(out.message);
  pr.json({
    command: 'check',
    mode,
    ok: out.exitCode === ExitCode.Ok,
    exitCode: out.exitCode,
    problems: out.report?.problems ?? [],
    files: out.report?.files ?? [],
    changes: out.changes,
    message: out.message,
  });
  return out.exitCode;
}
