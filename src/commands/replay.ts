// `redkit replay <path> [--to memory]`: apply a file's data to a target. The only target so
// far is `memory`, the embedded engine (src/engine/engine.ts): it loads RDB data (files,
// preambles, bases) and applies AOF commands exactly as a Redis server loading the same AOF
// does, then prints the dataset summary and the DEBUG DIGEST that server would print.
//
// A command the engine does not know (or cannot apply exactly: a verbatim EVAL, a random SPOP)
// stops the replay with exit 3, naming the file, offset and command. A command the server would
// have refused (wrong type, bad syntax) cannot have been logged by a server: the AOF is
// inconsistent, exit 1. Loading rules followed (aof.c loadSingleAppendOnlyFile): every file
// starts in db 0 outside MULTI; an AOF whose last file ends inside MULTI, or with a cut
// command, is loaded without the incomplete tail, as Redis does with aof-load-truncated yes (its
// default), with a warning; any other damage is exit 1.

import path from 'node:path';
import { Command } from 'commander';
import { FormatError, UnsupportedError, UsageError, printableKey } from '../model/errors.js';
import type { KeyEntry } from '../model/value.js';
import { Engine } from '../engine/engine.js';
import { EngineError, UnsupportedCommandError } from '../engine/errors.js';
import type { DigestRules } from '../engine/digest.js';
import type { InputFile, ResolvedInput } from '../io/source.js';
import { scanInput, type FileScanResult } from '../io/scan.js';
import { startProgress, type Progress } from '../io/progress.js';
import { HeapGuard } from '../io/heap.js';
import type { RespRecord } from '../codec/resp.js';
import { openDigestRun } from './inputs.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { parseIntOption, problemOf } from './check.js';

export interface ReplayCommandOptions extends GlobalOptions {
  /** target: only 'memory' so far */
  to?: string;
  /** clock for expiry decisions, Unix ms (default: now) */
  now?: number;
  /** databases of the engine (default 16) */
  databases?: number;
  /** server version whose digest rules to follow (default: the newest) */
  digestCompat?: string;
  /** exit 1 unless the digest is this */
  expectDigest?: string;
}

export interface ReplayReport {
  command: 'replay';
  ok: boolean;
  exitCode: number;
  path: string;
  source: ResolvedInput['kind'] | 'unreadable';
  target: 'memory';
  problems: Problem[];
  /** 40 hex digits, null when the replay failed */
  digest: string | null;
  /** keys per db after loading (keys already expired at `now` left out) */
  keysPerDb: Record<string, number>;
  keys: number;
  keysByType: Record<string, number>;
  /** keys with a TTL (still alive at `now`) */
  expires: number;
  /** keys left out because their TTL had passed at `now` */
  expiredKeys: number;
  /** AOF commands applied (MULTI/EXEC included), and by name */
  commands: number;
  commandsByName: Record<string, number>;
  /** keys loaded from RDB data (files, preambles, bases) */
  rdbKeys: number;
  functions: string[];
  compat?: string;
  rules?: DigestRules['rules'];
  now: number;
  expectedDigest?: string;
  digestMatches?: boolean;
}


/** Thrown from the scan visitor to stop reading. */
class StopScan extends Error {
  constructor(
    readonly code: number,
    readonly problem: Problem,
  ) {
    super(problem.message);
  }
}

export interface EngineRunOptions {
  /** digest rules: RDB versions newer than that server reads are warned about */
  rules?: DigestRules;
  onProgress?: (bytes: number, total: number) => void;
}

export interface EngineRunResult {
  /** ExitCode.Ok when the whole input was applied */
  exitCode: number;
  problems: Problem[];
  /** keys loaded from RDB data */
  rdbKeys: number;
}

function describeCommand(rec: RespRecord): string {
  const name = rec.name || '(empty command)';
  if (rec.argc < 2) return name;
  return `${name} '${printableKey(rec.view(1), 60)}'`;
}

/**
 * Feed a resolved input into the engine: RDB keys and functions are loaded, AOF commands
 * applied, each AOF file with a fresh client as Redis loads them. Never throws for bad input:
 * the result says what is wrong. The input's own problems (manifest) are the caller's.
 */
export async function replayIntoEngine(input: ResolvedInput, engine: Engine, opts: EngineRunOptions = {}): Promise<EngineRunResult> {
  const problems: Problem[] = [];
  const result: EngineRunResult = { exitCode: ExitCode.Ok, problems, rdbKeys: 0 };
  const fail = (code: number, problem: Problem): EngineRunResult => {
    result.exitCode = code;
    problems.push(problem);
    return result;
  };
  const loaded = input.files.filter((f) => f.role !== 'history');
  const lastFile = loaded[loaded.length - 1];
  let warnedVersion = false;
  const total = loaded.reduce((a, f) => a + (f.size ?? 0), 0);
  let current: InputFile | undefined;
  const heap = new HeapGuard();
  // RESTORE payloads follow the digest's server version: what that server reads
  if (opts.rules) engine.rdbVersion = opts.rules.rdbVersion;

  const closeFile = (file: InputFile | undefined): void => {
    if (file && engine.endFile()) {
      // only reached when the reader did not flag it (it always does): kept for safety
      problems.push({ severity: 'warning', file: file.path, offset: -1, message: 'the file ends inside MULTI: the open transaction was discarded, as Redis does' });
    }
  };

  let results: FileScanResult[];
  try {
    results = await scanInput(
      input,
      {
        fileStart(file) {
          closeFile(current);
          current = file;
          engine.beginFile();
        },
        rdbItem(item, file) {
          if (item.kind === 'header') {
            if (item.magic === 'VALKEY') {
              throw new StopScan(ExitCode.Unsupported, {
                severity: 'error',
                file: file.path,
                offset: 0,
                message: `not supported: ${path.basename(file.path)} is a VALKEY-format RDB (Valkey 9+), which Redis cannot load, and the digest rules of Valkey 9 are not verified`,
              });
            }
            const max = opts.rules?.rdbVersion;
            if (max !== undefined && item.version > max && !warnedVersion) {
              warnedVersion = true;
              problems.push({
                severity: 'warning',
                file: file.path,
                offset: 0,
                message: `RDB version ${item.version}: Redis ${opts.rules!.rules} reads versions up to ${max} and would refuse this file; the digest follows --digest-compat ${opts.rules!.compat} anyway`,
              });
            }
            return;
          }
          if (item.kind === 'function') {
            try {
              engine.loadFunction(item.code);
            } catch (e) {
              if (e instanceof EngineError) throw new StopScan(ExitCode.Damaged, { severity: 'error', file: file.path, offset: item.offset, message: `function library: ${e.message}` });
              throw e;
            }
            return;
          }
          if (item.kind !== 'key') return;
          const full = heap.check();
          if (full) throw new StopScan(ExitCode.Unsupported, { severity: 'error', file: file.path, offset: item.entry.offset, message: full });
          try {
            if (engine.loadEntry(item.entry)) result.rdbKeys++;
          } catch (e) {
            if (e instanceof EngineError) {
              throw new StopScan(ExitCode.Damaged, { severity: 'error', file: file.path, offset: item.entry.offset, message: `key '${printableKey(item.entry.key)}': ${e.message}` });
            }
            throw e;
          }
        },
        command(rec, file) {
          const full = heap.check();
          if (full) throw new StopScan(ExitCode.Unsupported, { severity: 'error', file: file.path, offset: rec.offset, message: full });
          try {
            engine.apply(rec.args(), rec.offset);
          } catch (e) {
            if (e instanceof EngineError || e instanceof UnsupportedCommandError) {
              const at = e.offset ?? rec.offset;
              const which = at === rec.offset ? describeCommand(rec) : (e.command ?? 'a command');
              const where = `${which} at offset ${at} of ${path.basename(file.path)}`;
              if (e instanceof EngineError) {
                const hint = /DB index is out of range/.test(e.message)
                  ? ` (or the server that wrote it had more than ${engine.databases} databases: see --databases)`
                  : '';
                throw new StopScan(ExitCode.Damaged, {
                  severity: 'error',
                  file: file.path,
                  offset: at,
                  message: `${where}: a server would reply "${e.message}", so it cannot have logged this command: the AOF is inconsistent${hint}`,
                });
              }
              // the engine's message starts with the command's name, which `where` already says
              const why = e.command !== undefined && e.message.startsWith(`${e.command}: `) ? e.message.slice(e.command.length + 2) : e.message;
              throw new StopScan(ExitCode.Unsupported, { severity: 'error', file: file.path, offset: at, message: `not supported: ${where}: ${why}` });
            }
            throw e;
          }
        },
      },
      { onProgress: (b) => opts.onProgress?.(b, total) },
    );
  } catch (e) {
    if (e instanceof StopScan) return fail(e.code, e.problem);
    if (e instanceof FormatError) return fail(e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, problemOf(e, e.file ?? input.display));
    throw e;
  }

  for (const r of results) {
    if (r.skipped) return fail(ExitCode.Damaged, { severity: 'error', file: r.file.path, offset: -1, message: `cannot read ${r.file.path}: ${r.skipped}` });
    if (r.rdb?.error) {
      const e = r.rdb.error;
      return fail(e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, problemOf(e, r.file.path));
    }
    if (r.rdb && r.rdb.trailing && r.file.role === 'rdb') {
      problems.push({
        severity: 'warning',
        file: r.file.path,
        offset: r.rdb.end,
        message: `${r.rdb.trailing} bytes follow the end of the RDB image; Redis ignores them when loading`,
      });
    }
    const p = r.resp?.problem;
    if (p) {
      if (p.truncated && r.file === lastFile) {
        problems.push({
          severity: 'warning',
          file: r.file.path,
          offset: r.resp!.okUpTo,
          message: `${p.message} (offset ${p.offset}): Redis (aof-load-truncated yes, its default) loads this AOF up to offset ${r.resp!.okUpTo} and drops the rest; so did the replay`,
        });
      } else {
        return fail(ExitCode.Damaged, {
          severity: 'error',
          file: r.file.path,
          offset: p.offset,
          message: respStopMessage(p.message),
        });
      }
    }
  }
  engine.endFile();
  return result;
}

/**
 * The message for an AOF the RESP reader stopped in (not at a truncated tail). The reader
 * follows redis-check-aof, which also rejects a nested MULTI and an EXEC without MULTI; a
 * loading Redis replies an error to those and loads on, so they are inconsistent files (no
 * server logs a command it refuses), not files Redis refuses to load.
 */
export function respStopMessage(message: string): string {
  const m = /^Unexpected (MULTI|EXEC)\b/.exec(message);
  if (m) {
    const reply = m[1] === 'MULTI' ? 'ERR MULTI calls can not be nested' : 'ERR EXEC without MULTI';
    return `${message}: a server would reply "${reply}", so it cannot have logged this command: the AOF is inconsistent (redis-check-aof rejects it; a loading Redis replies the error and loads on)`;
  }
  return `${message} (Redis would not load this AOF as it is; see 'redkit check')`;
}

/** Replay a path into the memory engine. Never throws for bad input. */
export async function replayToMemory(
  p: string,
  opts: ReplayCommandOptions,
  onProgress?: (bytes: number, total: number) => void,
): Promise<{ report: ReplayReport; engine: Engine | undefined }> {
  const now = opts.now ?? Date.now();
  const report: ReplayReport = {
    command: 'replay',
    ok: false,
    exitCode: ExitCode.Ok,
    path: p,
    source: 'unreadable',
    target: 'memory',
    problems: [],
    digest: null,
    keysPerDb: {},
    keys: 0,
    keysByType: {},
    expires: 0,
    expiredKeys: 0,
    commands: 0,
    commandsByName: {},
    rdbKeys: 0,
    functions: [],
    now,
  };
  const fail = (code: number, problem: Problem) => {
    report.exitCode = code;
    report.problems.push(problem);
    return { report, engine: undefined };
  };
  if (opts.expectDigest !== undefined) report.expectedDigest = opts.expectDigest.toLowerCase();

  let engine: Engine;
  try {
    engine = new Engine({ now, databases: opts.databases ?? 16 });
  } catch (e) {
    if (e instanceof RangeError) return fail(ExitCode.Usage, { severity: 'error', file: '', offset: -1, message: e.message });
    throw e;
  }
  const opened = await openDigestRun(p, opts.digestCompat, now, report);
  if (!opened) return { report, engine: undefined };
  const { digest, input } = opened;
  const run = await replayIntoEngine(input, engine, { rules: digest.rules, ...(onProgress ? { onProgress } : {}) });
  report.source = input.kind; // standard input turns out to be an RDB-preamble AOF only while read
  for (const x of run.problems) report.problems.push(x);
  report.rdbKeys = run.rdbKeys;
  report.commands = engine.commands;
  report.commandsByName = Object.fromEntries([...engine.commandsByName].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  report.functions = [...engine.functions.keys()].sort();
  if (run.exitCode !== ExitCode.Ok) {
    report.exitCode = run.exitCode;
    return { report, engine };
  }

  let entry: KeyEntry | undefined;
  try {
    for (entry of engine.entries()) {
      if (digest.add(entry) !== undefined) continue; // expired at --now (or empty)
      report.keysByType[entry.value.type] = (report.keysByType[entry.value.type] ?? 0) + 1;
      if (entry.expireMs !== -1) report.expires++;
    }
  } catch (e) {
    if (e instanceof UnsupportedError) {
      report.exitCode = ExitCode.Unsupported;
      report.problems.push({ severity: 'error', file: p, offset: -1, message: e.message });
      return { report, engine };
    }
    throw e;
  }
  report.digest = digest.hex();
  report.keysPerDb = digest.keysPerDb();
  report.keys = digest.keys;
  report.expiredKeys = digest.expiredKeys;
  report.ok = true;
  if (report.expectedDigest !== undefined) {
    report.digestMatches = report.digest === report.expectedDigest;
    if (!report.digestMatches) {
      report.ok = false;
      report.exitCode = ExitCode.Damaged;
      report.problems.push({ severity: 'error', file: p, offset: -1, message: `digest mismatch: expected ${report.expectedDigest}, the replay gives ${report.digest}` });
    }
  }
  return { report, engine };
}

function summary(counts: Record<string, number>, max = 12): string {
  const e = Object.entries(counts);
  const shown = e.slice(0, max).map(([k, n]) => `${k} ${n}`);
  if (e.length > max) shown.push(`… ${e.length - max} more`);
  return shown.join(', ');
}

export async function runReplay(target: string, opts: ReplayCommandOptions, io: CommandIO): Promise<number> {
  const to = opts.to ?? 'memory';
  if (to !== 'memory') {
    // a valid target (CLI.md) this version does not have: unsupported (3), not a usage error
    if (/^(redis|rediss|unix|cluster):\/\//.test(to)) throw new UnsupportedError(`replay --to ${to}: not supported yet (only 'memory', the embedded engine, is implemented)`, -1);
    throw new UsageError(`replay --to ${to}: not a target ('memory', or a server URL in a later version)`);
  }
  if (opts.expectDigest !== undefined && !/^[0-9a-fA-F]{40}$/.test(opts.expectDigest)) {
    throw new UsageError(`--expect-digest expects 40 hex digits (what DEBUG DIGEST prints), got '${opts.expectDigest}'`);
  }
  if (opts.databases !== undefined && (!Number.isInteger(opts.databases) || opts.databases < 1 || opts.databases > 2 ** 31 - 1)) {
    throw new UsageError(`--databases expects a positive integer, got '${opts.databases}'`);
  }
  const pr = new Printer(io, opts);
  const enabled = opts.progress !== false && !opts.quiet && !opts.json && io.stderrTTY;
  let progress: Progress | undefined;
  let report: ReplayReport;
  try {
    ({ report } = await replayToMemory(target, opts, (b, total) => {
      progress ??= startProgress(`replay ${path.basename(target)}`, total, enabled);
      progress.update(b);
    }));
  } finally {
    progress?.stop();
  }
  pr.json(report);
  if (!opts.json) {
    for (const x of report.problems) {
      const where = x.file ? `${x.file === target ? x.file : path.basename(x.file)}: ` : '';
      const line = `${x.severity}: ${where}${x.offset >= 0 ? `[offset ${x.offset}] ` : ''}${x.message}`;
      if (x.severity === 'error') pr.err(pr.c.red(line));
      else if (!opts.quiet) io.stderr(line + '\n');
    }
    if (report.source !== 'unreadable' && (report.ok || report.digest !== null)) {
      pr.out(`replayed ${target} (${report.source}) into memory`);
      pr.out(`commands: ${report.commands}${report.commands ? ` (${summary(report.commandsByName)})` : ''}`);
      if (report.rdbKeys) pr.out(`keys loaded from RDB data: ${report.rdbKeys}`);
      const dbs = Object.entries(report.keysPerDb).map(([db, n]) => `db${db}: ${n}`).join(', ');
      pr.out(`keys: ${report.keys}${dbs ? ` (${dbs})` : ''}`);
      if (report.keys) pr.out(`  by type: ${summary(report.keysByType)}`);
      pr.out(`  with a TTL: ${report.expires}${report.expiredKeys ? `; already expired at --now, left out: ${report.expiredKeys}` : ''}`);
      if (report.functions.length) pr.out(`functions: ${report.functions.join(', ')}`);
      pr.out(`digest: ${report.digest}  (DEBUG DIGEST rules of Redis ${report.rules})`);
      if (report.digestMatches) pr.out(pr.c.green('digest matches --expect-digest'));
    }
  }
  return report.exitCode;
}

export function replayCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('replay')
    .description("apply a file's data to a target: the embedded in-memory engine (prints the dataset summary and its DEBUG DIGEST)")
    .argument('<path>', 'AOF (file, appendonlydir, *.manifest; RDB preamble/base included), RDB file; .gz/.lz4 too; - for stdin')
    .option('--to <target>', "where to apply it: 'memory' (the default; live servers are not supported yet)", 'memory')
    .option('--now <unix-ms>', 'clock for expiry decisions and relative TTLs (default: now)', (v) => parseIntOption(v, '--now'))
    .option('--databases <n>', 'databases of the engine, like the databases directive (default 16)', (v) => parseIntOption(v, '--databases', 1))
    .option('--digest-compat <version>', "which server version's digest rules to follow: 6.2, 7.0, 7.2, 7.4, 8.0, valkey-8 (default: the newest)")
    .option('--expect-digest <hex>', 'exit 1 unless the digest is this (40 hex digits, as DEBUG DIGEST prints)')
    .addHelpText(
      'after',
      `
Examples:
  redkit replay appendonlydir
  redkit replay --digest-compat 7.0 --expect-digest $(redis-cli DEBUG DIGEST) appendonlydir
  redkit --json replay backup.aof.gz

The engine applies commands exactly as a Redis server loading the AOF would (Redis 7.0
semantics; hash field TTL commands as Redis 7.4/8.0). Exit 3 for a command it cannot apply
exactly (a verbatim EVAL/EVALSHA/FCALL, a random SPOP, a geo distance too close to call) and
exit 1 for a command a server would have refused (the AOF is inconsistent), each naming the
file, byte offset and command.`,
    )
    .action(async (p: string, o: Omit<ReplayCommandOptions, keyof GlobalOptions>) => {
      done(await runReplay(p, { ...global(), ...o }, io));
    });
}
