// `redkit check <path...>`: validate every byte of AOF and RDB files, as redis-check-aof and
// redis-check-rdb do, with the same key lines, plus a summary, JSON and CI-friendly exit codes.

import path from 'node:path';
import { Command } from 'commander';
import { FormatError, InputError, TruncatedError, UnsupportedError, UsageError } from '../model/errors.js';
import { resolveInput, type ResolvedInput } from '../io/source.js';
import { scanInput, type FileScanResult } from '../io/scan.js';
import { startProgress } from '../io/progress.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { StatsCollector, type DetailedStats } from './stats.js';
import { runFix, runTruncateToTimestamp } from './repair.js';
import { runSalvage } from './salvage.js';

export interface CheckOptions extends GlobalOptions {
  now?: number;
  databases?: number;
}

export interface FileReport {
  path: string;
  role: 'rdb' | 'aof' | 'base' | 'incr' | 'history';
  format: 'rdb' | 'aof';
  compression: string;
  size: number;
  okUpTo: number;
  okUpToLine: number | null;
  diff: number;
  rdbVersion?: number | null;
  checksum?: string;
  valid: boolean;
  /** listed in the manifest but absent */
  missing?: boolean;
  /** the RDB image (file, preamble or base) is damaged: never repairable by truncation */
  rdbDamaged?: boolean;
}

export interface InputReport {
  path: string;
  kind: ResolvedInput['kind'] | 'unreadable';
  ok: boolean;
  exitCode: number;
  files: FileReport[];
  problems: Problem[];
  stats: DetailedStats | undefined;
}

/** Check one input path. Never throws for bad input: the report says what is wrong. */
export async function checkInput(p: string, opts: CheckOptions, printer?: Printer): Promise<InputReport> {
  const problems: Problem[] = [];
  let input: ResolvedInput;
  try {
    input = await resolveInput(p);
  } catch (e) {
    if (e instanceof InputError || e instanceof UsageError) {
      problems.push({ severity: 'error', file: p, offset: -1, message: e.message });
      return { path: p, kind: 'unreadable', ok: false, exitCode: ExitCode.Usage, files: [], problems, stats: undefined };
    }
    if (e instanceof FormatError) {
      problems.push(problemOf(e, p));
      const code = e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged;
      return { path: p, kind: 'unreadable', ok: false, exitCode: code, files: [], problems, stats: undefined };
    }
    throw e;
  }
  for (const pr of input.problems) problems.push(pr);

  const collector = new StatsCollector(opts.now ?? Date.now(), 0, opts.databases ?? 16);
  const total = input.files.reduce((a, f) => a + (f.role !== 'history' && f.size ? f.size : 0), 0);
  const progress = startProgress(`checking ${path.basename(p)}`, total, opts.progress !== false && !opts.quiet, process.stderr);
  let results: FileScanResult[];
  try {
    // the collector keeps text, never a view of an item's bytes: read buffers can be reused
    results = await scanInput(input, collector, { onProgress: (b) => progress.update(b), reportChecksum: true, validateOnly: true, itemsNotKept: true });
  } catch (e) {
    progress.stop();
    if (e instanceof FormatError) {
      // the stream itself failed (a cut .gz/.lz4, a read error): no per-file report to print
      problems.push(problemOf(e, e.file ?? p));
      if (printer) printProblems(printer, problems);
      const code = e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged;
      return { path: p, kind: input.kind, ok: false, exitCode: code, files: [], problems, stats: collector.finish() };
    }
    throw e;
  }
  progress.stop();
  const stats = collector.finish();

  const files: FileReport[] = [];
  let unsupported = 0;
  const lastIndex = lastLoadedIndex(results);
  results.forEach((r, i) => {
    const f = r.file;
    const name = f.path;
    const rep: FileReport = {
      path: name,
      role: f.role,
      format: f.format,
      compression: f.compression,
      size: r.size,
      okUpTo: r.size,
      okUpToLine: null,
      diff: 0,
      valid: true,
    };
    if (r.skipped) {
      rep.valid = false;
      rep.missing = true;
      rep.okUpTo = 0;
      rep.diff = 0;
      files.push(rep);
      return;
    }
    if (r.rdb) {
      rep.rdbVersion = r.rdb.version > 0 ? r.rdb.version : null; // 0: the header was never read
      rep.checksum = r.rdb.checksum;
      if (r.rdb.error) {
        const e = r.rdb.error;
        if (e instanceof UnsupportedError) unsupported++;
        problems.push(problemOf(e, name));
        rep.valid = false;
        rep.rdbDamaged = true;
        // a damaged RDB image has no safe cut point: nothing before it can be kept by truncation
        rep.okUpTo = f.role === 'rdb' ? r.rdb.committed : 0;
        rep.diff = r.size - rep.okUpTo;
      } else if (r.rdb.checksum === 'mismatch') {
        problems.push({
          severity: 'error',
          file: name,
          offset: r.rdb.end - 8,
          message: `RDB CRC error: stored checksum ${r.rdb.storedCrc} but the content hashes to ${r.rdb.computedCrc}`,
        });
        rep.valid = false;
        rep.rdbDamaged = true;
        rep.okUpTo = f.role === 'rdb' ? r.rdb.end - 9 : 0;
        rep.diff = r.size - rep.okUpTo;
      }
      if (r.rdb.trailing) {
        const head = r.rdb.trailingHead?.toString('latin1') ?? '';
        const marker = r.rdb.trailing === 40 && /^[0-9a-f]{40}$/.test(head) ? ' (it looks like the 40-character end mark of a diskless replication transfer)' : '';
        problems.push({
          severity: 'warning',
          file: name,
          offset: r.rdb.end,
          message: `${r.rdb.trailing} bytes follow the end of the RDB image; Redis ignores them when loading${marker}`,
        });
      }
      if (!r.rdb.error && r.rdb.checksum === 'disabled') {
        problems.push({
          severity: 'warning',
          file: name,
          offset: r.rdb.end - 8,
          message: 'RDB file was saved with checksum disabled: no check performed (structure was still verified)',
        });
      }
    }
    if (r.resp) {
      rep.size = r.resp.size;
      if (rep.rdbDamaged) {
        // a preamble that fails its checksum stops the load before the tail: nothing is ok
        rep.diff = r.resp.size - rep.okUpTo;
      } else {
        rep.okUpTo = r.resp.okUpTo;
        rep.okUpToLine = r.resp.line;
        rep.diff = r.resp.size - r.resp.okUpTo;
      }
      if (r.resp.problem) {
        rep.valid = false;
        const pr = r.resp.problem;
        let msg = pr.message;
        if (i !== lastIndex && input.kind === 'multipart') msg += ' (not the last AOF file: Redis refuses to load it, and it cannot be fixed by truncation)';
        problems.push({ severity: 'error', file: name, offset: pr.offset, message: msg });
      }
    }
    files.push(rep);
  });
  for (const h of input.files.filter((f) => f.role === 'history')) {
    files.push({ path: h.path, role: 'history', format: h.format, compression: h.compression, size: h.size ?? 0, okUpTo: 0, okUpToLine: null, diff: 0, valid: true });
  }
  for (const pr of collector.problems) problems.push(pr);

  const errors = problems.filter((x) => x.severity === 'error').length;
  const exitCode = errors > unsupported ? ExitCode.Damaged : unsupported > 0 ? ExitCode.Unsupported : ExitCode.Ok;
  const report: InputReport = { path: p, kind: input.kind, ok: exitCode === ExitCode.Ok, exitCode, files, problems, stats };
  if (printer) printReport(printer, input, results, report);
  return report;
}

function lastLoadedIndex(results: FileScanResult[]): number {
  let last = -1;
  results.forEach((r, i) => {
    if (r.file.role !== 'history') last = i;
  });
  return last;
}

export function problemOf(e: FormatError, file: string): Problem {
  let message = e.message;
  if (e.key !== undefined) message += ` (while reading key '${keyText(e.key)}')`;
  if (e.doing) message += ` [while doing: ${e.doing}]`;
  if (e instanceof TruncatedError) message += ` [last complete record ends at ${e.okUpTo}]`;
  return { severity: 'error', file, offset: e.offset, message };
}

function keyText(k: Uint8Array): string {
  let s = '';
  for (let i = 0; i < Math.min(k.length, 80); i++) {
    const b = k[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
  }
  return k.length > 80 ? s + '...' : s;
}

// ---------------------------------------------------------------------------------------------
// Human output

function printReport(pr: Printer, input: ResolvedInput, results: FileScanResult[], rep: InputReport): void {
  const c = pr.c;
  const problemsFor = (file: string) => rep.problems.filter((x) => x.file === file);
  if (input.kind === 'multipart') pr.out(`Start checking Multi Part AOF (${input.display})`);
  else if (input.kind === 'aof') pr.out('Start checking Old-Style AOF');
  results.forEach((r, i) => {
    const f = r.file;
    const base = path.basename(f.path);
    const fr = rep.files[i]!;
    if (input.kind === 'multipart') {
      if (f.role === 'base') pr.out(`Start to check BASE AOF (${f.format === 'rdb' ? 'RDB' : 'RESP'} format).`);
      else if (f.role === 'incr' && (i === 0 || results[i - 1]!.file.role !== 'incr')) pr.out('Start to check INCR files.');
    }
    if (r.skipped) {
      for (const p of problemsFor(f.path)) pr.out(c.red(`${p.message}`));
      return;
    }
    if (r.rdb) {
      pr.out(`[offset 0] Checking RDB file ${base}${f.compression !== 'none' ? ` (${f.compression})` : ''}`);
      if (r.rdb.version > 0) pr.out(`[offset 0] RDB version ${r.rdb.version}${r.rdb.magic === 'VALKEY' ? ' (Valkey)' : ''}`); // 0: no header read
      if (r.rdb.error) {
        const e = r.rdb.error;
        pr.out(c.red('--- RDB ERROR DETECTED ---'));
        pr.out(c.red(`[offset ${e.offset}] ${e.message}`));
        if (e.doing) pr.out(`[additional info] While doing: ${e.doing}`);
        if (e.key) pr.out(`[additional info] Reading key '${keyText(e.key)}'`);
        if (e instanceof TruncatedError) pr.out(`[additional info] Last complete record ends at offset ${e.okUpTo}`);
        if (f.role !== 'rdb') pr.out(c.red('RDB preamble of AOF file is not sane, aborting.'));
        return;
      }
      if (r.rdb.checksum === 'ok') pr.out('[info] Checksum OK');
      else if (r.rdb.checksum === 'disabled') pr.out(c.yellow('RDB file was saved with checksum disabled: no check performed.'));
      else if (r.rdb.checksum === 'mismatch') {
        pr.out(c.red(`[offset ${r.rdb.end - 8}] RDB CRC error (stored ${r.rdb.storedCrc}, computed ${r.rdb.computedCrc})`));
        if (f.role !== 'rdb') {
          pr.out(c.red('RDB preamble of AOF file is not sane, aborting.'));
          return;
        }
      }
      if (f.role === 'rdb') {
        // redis-check-rdb's verdict on the bytes; an error it does not look for (a db Redis refuses) is said instead
        if (fr.valid && rep.problems.some((x) => x.severity === 'error' && x.file === f.path)) pr.out(c.red('RDB reads OK, but Redis will not load it (see the errors below)'));
        else if (fr.valid) pr.out(c.green('\\o/ RDB looks OK! \\o/'));
        return;
      }
      pr.out('RDB preamble is OK, proceeding with AOF tail...');
    }
    if (r.resp) {
      const res = r.resp;
      if (res.problem) pr.out(c.red(`0x${res.problem.offset.toString(16).padStart(16, ' ')}: ${res.problem.message}`));
      pr.out(`AOF analyzed: filename=${base}, size=${res.size}, ok_up_to=${res.okUpTo}, ok_up_to_line=${res.line}, diff=${res.size - res.okUpTo}`);
      const label = f.role === 'base' ? 'BASE AOF' : f.role === 'incr' ? 'INCR AOF' : 'AOF';
      if (res.size === 0) pr.out(`${label} ${base} is empty`);
      else if (fr.valid && rep.problems.some((x) => x.severity === 'error' && x.file === f.path)) {
        // e.g. a `*0` command: redis-check-aof passes it, the server refuses the file
        pr.out(c.red(`${label} ${base} is valid for redis-check-aof, but Redis will not load it (see the errors below)`));
      } else if (fr.valid) pr.out(c.green(`${label} ${base} is valid`));
      else pr.out(c.red(`${label} ${base} is not valid. Use the --fix option to try fixing it.`));
    }
  });
  // (manifest errors are problems of no file: they are listed below)
  if (input.kind === 'multipart' && rep.files.every((f) => f.valid) && !rep.problems.some((x) => x.severity === 'error')) pr.out(c.green('All AOF files and manifest are valid'));

  const s = rep.stats;
  if (s) {
    pr.out('');
    pr.out(c.bold('Summary'));
    if (s.keys > 0 || results.some((r) => r.rdb)) {
      const dbs = Object.keys(s.keysPerDb).sort((a, b) => Number(a) - Number(b));
      pr.out(`  keys: ${s.keys}${dbs.length ? ' (' + dbs.map((d) => `db${d}=${s.keysPerDb[d]}`).join(', ') + ')' : ''}`);
      pr.out(`  expires: ${s.expires}, already expired: ${s.alreadyExpired}`);
      for (const d of dbs) {
        const t = s.typesPerDb[d] ?? {};
        pr.out(`  db${d}: ` + Object.entries(t).map(([k, v]) => `${k}=${v}`).join(', '));
      }
      if (s.functions.length) pr.out(`  functions: ${s.functions.join(', ')}`);
    }
    if (s.commands > 0) {
      const top = Object.entries(s.commandsByName).slice(0, 12);
      pr.out(`  commands: ${s.commands} (${top.map(([k, v]) => `${k}=${v}`).join(', ')}${Object.keys(s.commandsByName).length > 12 ? ', ...' : ''})`);
    }
    if (s.firstTimestamp !== undefined) {
      pr.out(`  annotated time range: ${isoSeconds(s.firstTimestamp)} .. ${isoSeconds(s.lastTimestamp!)}`);
    }
  }
  printProblems(pr, rep.problems);
}

/** warnings on stdout, errors on stderr, each with its file and offset */
function printProblems(pr: Printer, problems: Problem[]): void {
  const c = pr.c;
  for (const w of problems.filter((x) => x.severity === 'warning')) pr.out(c.yellow(`warning: ${w.file ? path.basename(w.file) + ': ' : ''}${w.offset >= 0 ? `[offset ${w.offset}] ` : ''}${w.message}`));
  for (const e of problems.filter((x) => x.severity === 'error')) pr.err(c.red(`error: ${e.file ? e.file + ': ' : ''}${e.offset >= 0 ? `[offset ${e.offset}] ` : ''}${e.message}`));
}

function isoSeconds(ts: number): string {
  const d = new Date(ts * 1000);
  return Number.isNaN(d.getTime()) ? String(ts) : `${d.toISOString().replace('.000Z', 'Z')} (${ts})`;
}

// ---------------------------------------------------------------------------------------------

export async function runCheck(paths: string[], opts: CheckOptions, io: CommandIO): Promise<number> {
  if (paths.length === 0) throw new UsageError('check needs at least one path');
  // a second read of standard input finds it empty and would call that "valid"
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('standard input (-) can be checked only once: give - at most once');
  const pr = new Printer(io, opts);
  const reports: InputReport[] = [];
  for (const p of paths) {
    if (paths.length > 1) pr.out(pr.c.bold(`==> ${p}`));
    const r = await checkInput(p, opts, pr);
    if (r.kind === 'unreadable') for (const x of r.problems) pr.err(pr.c.red(`error: ${x.file}: ${x.offset >= 0 ? `[offset ${x.offset}] ` : ''}${x.message}`));
    reports.push(r);
    if (paths.length > 1) pr.out('');
  }
  const exitCode = combineExitCodes(reports.map((r) => r.exitCode));
  if (paths.length > 1) printTable(pr, reports);
  pr.json(checkJson(reports, exitCode));
  return exitCode;
}

/** Damage outranks an unsupported format, which outranks an unreadable path. */
export function combineExitCodes(codes: number[]): number {
  for (const c of [ExitCode.Damaged, ExitCode.Unsupported, ExitCode.Usage, ExitCode.Refused]) if (codes.includes(c)) return c;
  return ExitCode.Ok;
}

function printTable(pr: Printer, reports: InputReport[]): void {
  const rows = reports.map((r) => [
    r.path,
    r.kind,
    r.exitCode === 0 ? 'OK' : r.exitCode === 1 ? 'DAMAGED' : r.exitCode === 3 ? 'UNSUPPORTED' : 'UNREADABLE',
    String(r.stats?.keys ?? 0),
    String(r.stats?.commands ?? 0),
    String(r.problems.filter((x) => x.severity === 'error').length),
  ]);
  const head = ['path', 'kind', 'status', 'keys', 'commands', 'errors'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ');
  pr.out(pr.c.bold(fmt(head)));
  for (const r of rows) {
    const line = fmt(r);
    pr.out(r[2] === 'OK' ? line : pr.c.red(line));
  }
  const bad = reports.filter((r) => r.exitCode !== 0).length;
  pr.out(`${reports.length - bad} of ${reports.length} inputs OK`);
}

function checkJson(reports: InputReport[], exitCode: number): unknown {
  const one = reports.length === 1 ? reports[0]! : undefined;
  const stats = (r: InputReport) =>
    r.stats && {
      keys: r.stats.keys,
      keysPerDb: r.stats.keysPerDb,
      expires: r.stats.expires,
      alreadyExpired: r.stats.alreadyExpired,
      commands: r.stats.commands,
      commandsByName: r.stats.commandsByName,
      typesPerDb: r.stats.typesPerDb,
      functions: r.stats.functions.length,
      firstTimestamp: r.stats.firstTimestamp ?? null,
      lastTimestamp: r.stats.lastTimestamp ?? null,
    };
  const base = {
    command: 'check',
    ok: exitCode === 0,
    exitCode,
  };
  if (one) return { ...base, path: one.path, kind: one.kind, problems: one.problems, files: one.files, stats: stats(one) ?? null };
  return {
    ...base,
    problems: reports.flatMap((r) => r.problems),
    files: reports.flatMap((r) => r.files),
    inputs: reports.map((r) => ({ path: r.path, kind: r.kind, ok: r.ok, exitCode: r.exitCode, problems: r.problems, files: r.files, stats: stats(r) ?? null })),
  };
}

interface CheckCliOptions {
  now?: number;
  databases?: number;
  fix?: boolean;
  salvage?: boolean;
  truncateToTimestamp?: number;
  output?: string;
  to?: string;
  yes?: boolean;
  dryRun?: boolean;
  backup?: boolean;
}

export function checkCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('check')
    .description('validate AOF and RDB files (drop-in for redis-check-aof and redis-check-rdb), and repair them')
    .argument('<path...>', 'AOF file, appendonlydir, *.manifest, RDB file (.gz/.lz4 too), or - for stdin')
    .option('--fix', 'truncate the last AOF file at its last complete command outside MULTI/EXEC (as redis-check-aof --fix)')
    .option('--salvage', 'write a copy that keeps every readable command or key, dropping only damaged ranges')
    .option('--truncate-to-timestamp <unix-s>', 'point in time: cut the AOF at the first #TS: annotation later than this', (v) => parseIntOption(v, '--truncate-to-timestamp'))
    .option('-o, --output <path>', 'with --salvage: where to write (default <input>.salvaged)')
    .option('--to <format>', 'with --salvage: output format, aof or rdb (default: same as the input)')
    .option('--yes', 'do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--dry-run', 'say exactly what would change, change nothing')
    .option('--no-backup', 'do not copy a modified file to <name>.<UTC timestamp>.bak first')
    .option('--now <unix-ms>', 'clock for "already expired" counts', (v) => parseIntOption(v, '--now'))
    .option('--databases <n>', 'number of databases SELECT may address', (v) => parseIntOption(v, '--databases', 1), 16)
    .addHelpText(
      'after',
      `
Examples:
  redkit check appendonlydir/                 # a Redis 7 multi-part AOF
  redkit check dump.rdb backup.rdb.gz         # several files, with a summary table
  redkit check --json /backups/*.rdb          # machine-readable, for CI
  redkit check --fix --dry-run appendonly.aof # what --fix would cut
  redkit check --fix --yes appendonlydir/     # cut, after a backup, without asking
  redkit check --salvage -o rescued.aof appendonly.aof
  redkit check --truncate-to-timestamp 1700000000 appendonlydir/

Exit codes: 0 valid (or repaired), 1 damaged, 2 unreadable or bad usage,
3 unsupported version/type, 4 refused (declined, not the last file, no --yes without a terminal).`,
    )
    .action(async (paths: string[], o: CheckCliOptions) => {
      const opts = { ...global(), ...o };
      const modes = [o.fix, o.salvage, o.truncateToTimestamp !== undefined].filter(Boolean).length;
      if (modes > 1) throw new UsageError('--fix, --salvage and --truncate-to-timestamp exclude each other');
      if (modes === 1 && paths.length !== 1) throw new UsageError('a repair takes exactly one path');
      if ((o.output !== undefined || o.to !== undefined) && !o.salvage) throw new UsageError('-o/--output and --to go with --salvage');
      if (o.fix) return done(await runFix(paths[0]!, opts, io));
      if (o.salvage) return done(await runSalvage(paths[0]!, opts, io));
      if (o.truncateToTimestamp !== undefined) return done(await runTruncateToTimestamp(paths[0]!, o.truncateToTimestamp, opts, io));
      if (o.yes || o.dryRun || o.backup === false) throw new UsageError('--yes, --dry-run and --no-backup go with --fix, --salvage or --truncate-to-timestamp');
      done(await runCheck(paths, opts, io));
    });
}

export function parseIntOption(v: string, name: string, min?: number): number {
  if (!/^-?[0-9]+$/.test(v)) throw new UsageError(`${name} expects an integer, got '${v}'`);
  const n = Number(v);
  // beyond 2^53 the number would silently become another one ('--now 9007199254740993')
  if (!Number.isSafeInteger(n)) throw new UsageError(`${name} takes an integer of at most ${Number.MAX_SAFE_INTEGER} in size, not ${v}`);
  if (min !== undefined && n < min) throw new UsageError(`${name} takes an integer of at least ${min}, not ${v}`);
  return n;
}
