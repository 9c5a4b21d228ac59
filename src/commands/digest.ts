// `redkit digest <path | redis://… | unix://…>`: the DEBUG DIGEST a server would print after
// loading the file (40 hex digits, zeros for an empty dataset), or the one a live server prints.
//
// RDB files: the keys are folded as they are read. AOFs (single file, appendonlydir, manifest;
// with or without an RDB preamble/base): the data goes through the in-memory engine (see
// replay), which applies the commands as the loading server does; a command it does not know is
// exit 3, a command a server would have refused is exit 1 — never a wrong digest. Keys whose TTL
// has passed at --now are left out, as a primary drops them when it loads an RDB (for a preamble
// or an AOF Redis keeps them until its expiry cycle deletes them, a moment later: the settled
// state is what we print). Empty collections are left out as Redis discards them on load.

import path from 'node:path';
import { Command } from 'commander';
import { FormatError, UnsupportedError, printableKey } from '../model/errors.js';
import { DatasetDigest, type DigestRules } from '../engine/digest.js';
import { Engine } from '../engine/engine.js';
import type { KeyEntry } from '../model/value.js';
import { isStreamFile, resolveInput, type ResolvedInput } from '../io/source.js';
import { scanInput, type FileScanResult } from '../io/scan.js';
import { startProgress, type Progress } from '../io/progress.js';
import { RedisClient, RedisConnectionError, RedisReplyError, parseRedisUrl, type Reply } from '../io/redis-client.js';
import { openDigestRun } from './inputs.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { parseIntOption, problemOf } from './check.js';
import { replayIntoEngine, respStopMessage } from './replay.js';
import { KeyFingerprints, SuspectCounter } from './dupkeys.js';

export interface DigestCommandOptions extends GlobalOptions {
  /** server version whose digest rules to follow (default: the newest) */
  digestCompat?: string;
  /** server target: seconds to wait for each reply */
  timeout?: number;
  /** clock for expiry decisions, Unix ms (default: now) */
  now?: number;
  /** databases of the engine that replays AOF commands (default 16) */
  databases?: number;
}

export interface DigestReport {
  command: 'digest';
  ok: boolean;
  exitCode: number;
  path: string;
  /** what was digested: a file kind, or 'server' for a URL */
  source: ResolvedInput['kind'] | 'server' | 'unreadable';
  problems: Problem[];
  /** 40 hex digits, null when no digest could be computed */
  digest: string | null;
  keysPerDb: Record<string, number>;
  /** files only: the rules followed */
  compat?: string;
  rules?: DigestRules['rules'];
  now?: number;
  /** files only: keys left out because their TTL had passed at `now` */
  expiredKeys?: number;
  /** files only: keys left out because they were empty (Redis discards them on load) */
  emptyKeys?: number;
}

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Thrown from the scan visitor to stop reading. */
class StopScan extends Error {
  constructor(
    readonly code: number,
    readonly problem: Problem,
  ) {
    super(problem.message);
  }
}

/** The digest of a file (RDB, or AOF with all data in its RDB preamble/base). Never throws
 * for bad input: the report says what is wrong. */
export async function digestFile(p: string, opts: DigestCommandOptions, onProgress?: (bytes: number, total: number) => void): Promise<DigestReport> {
  const now = opts.now ?? Date.now();
  const report: DigestReport = {
    command: 'digest',
    ok: false,
    exitCode: ExitCode.Ok,
    path: p,
    source: 'unreadable',
    problems: [],
    digest: null,
    keysPerDb: {},
    now,
  };
  const fail = (code: number, problem: Problem): DigestReport => {
    report.exitCode = code;
    report.problems.push(problem);
    return report;
  };

  const opened = await openDigestRun(p, opts.digestCompat, now, report);
  if (!opened) return report;
  const { digest, input } = opened;

  if (input.kind !== 'rdb') return digestAof(input, report, digest, opts, now, onProgress);

  let warnedVersion = false;
  const total = input.files.reduce((a, f) => a + (f.role !== 'history' && f.size ? f.size : 0), 0);
  let results: FileScanResult[];
  // Redis refuses an RDB that holds a key twice: the keys are fingerprinted on the way
  const fingerprints = new KeyFingerprints();
  const loadsKey = (e: KeyEntry): boolean => e.expireMs === -1 || e.expireMs >= now;
  let firstSuspect: { db: number; key: Buffer; offset: number } | undefined;
  try {
    results = await scanInput(
      input,
      {
        rdbItem(item, file) {
          if (item.kind === 'selectdb' && item.db >= (opts.databases ?? 16)) {
            // rdbLoad stops here: there is no dataset to digest
            throw new StopScan(ExitCode.Damaged, {
              severity: 'error',
              file: file.path,
              offset: item.offset,
              message: `SELECTDB ${item.db}: a Redis with ${opts.databases ?? 16} databases refuses to load this file; if the server has more, give --databases`,
            });
          }
          if (item.kind === 'header') {
            if (item.magic === 'VALKEY') {
              throw new StopScan(ExitCode.Unsupported, {
                severity: 'error',
                file: file.path,
                offset: 0,
                message: `not supported: ${path.basename(file.path)} is a VALKEY-format RDB (Valkey 9+), which Redis cannot load, and the digest rules of Valkey 9 are not verified`,
              });
            }
            const max = digest.rules.rdbVersion;
            if (item.version > max && !warnedVersion) {
              warnedVersion = true;
              report.problems.push({
                severity: 'warning',
                file: file.path,
                offset: 0,
                message: `RDB version ${item.version}: Redis ${digest.rules.rules} reads versions up to ${max} and would refuse this file; the digest follows --digest-compat ${digest.rules.compat} anyway`,
              });
            }
            return;
          }
          if (item.kind !== 'key') return;
          // Redis skips a key already expired before adding it: only the keys it keeps can clash
          if (loadsKey(item.entry) && fingerprints.add(item.entry.db, item.entry.key)) firstSuspect ??= { db: item.entry.db, key: Buffer.from(item.entry.key), offset: item.entry.offset };
          try {
            digest.add(item.entry);
          } catch (e) {
            if (e instanceof UnsupportedError) throw new StopScan(ExitCode.Unsupported, problemOf(e, file.path));
            throw e;
          }
        },
      },
      { onProgress: (b) => onProgress?.(b, total) },
    );
  } catch (e) {
    if (e instanceof StopScan) return fail(e.code, e.problem);
    if (e instanceof FormatError) return fail(e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, problemOf(e, e.file ?? p));
    throw e;
  }

  for (const r of results) {
    if (r.skipped) {
      return fail(ExitCode.Damaged, { severity: 'error', file: r.file.path, offset: -1, message: `cannot read ${r.file.path}: ${r.skipped}` });
    }
    if (r.rdb?.error) {
      const e = r.rdb.error;
      return fail(e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged, problemOf(e, r.file.path));
    }
    if (r.resp?.problem) {
      return fail(ExitCode.Damaged, {
        severity: 'error',
        file: r.file.path,
        offset: r.resp.problem.offset,
        message: respStopMessage(r.resp.problem.message),
      });
    }
    if (r.rdb && r.rdb.trailing && r.file.role === 'rdb') {
      report.problems.push({
        severity: 'warning',
        file: r.file.path,
        offset: r.rdb.end,
        message: `${r.rdb.trailing} bytes follow the end of the RDB image; Redis ignores them when loading`,
      });
    }
  }
  if (firstSuspect) {
    // a fingerprint seen twice: settle it on the exact keys (a second read), where possible
    let dup: { db: number; key: Buffer; offset: number } | undefined = firstSuspect;
    let how = '';
    if (input.files.every((f) => !isStreamFile(f))) {
      const counter = new SuspectCounter(fingerprints);
      await scanInput(await resolveInput(p), { rdbItem: (item) => item.kind === 'key' && loadsKey(item.entry) && counter.see(item.entry.db, item.entry.key, item.entry.offset) });
      dup = counter.first();
    } else how = ' (by its 64-bit fingerprint: standard input cannot be read again to compare the bytes)';
    if (dup) {
      return fail(ExitCode.Damaged, {
        severity: 'error',
        file: input.files[0]!.path,
        offset: dup.offset,
        message: `duplicate key '${printableKey(dup.key)}' in db ${dup.db}${how}: Redis refuses to load this file ("RDB has duplicated key")`,
      });
    }
  }

  report.digest = digest.hex();
  report.keysPerDb = digest.keysPerDb();
  report.expiredKeys = digest.expiredKeys;
  report.emptyKeys = digest.emptyKeys;
  report.ok = true;
  return report;
}

/** An AOF (any shape): replay it into the engine, then fold the keyspace. */
async function digestAof(
  input: ResolvedInput,
  report: DigestReport,
  digest: DatasetDigest,
  opts: DigestCommandOptions,
  now: number,
  onProgress?: (bytes: number, total: number) => void,
): Promise<DigestReport> {
  let engine: Engine;
  try {
    engine = new Engine({ now, databases: opts.databases ?? 16 });
  } catch (e) {
    if (e instanceof RangeError) {
      report.exitCode = ExitCode.Usage;
      report.problems.push({ severity: 'error', file: '', offset: -1, message: e.message });
      return report;
    }
    throw e;
  }
  const run = await replayIntoEngine(input, engine, { rules: digest.rules, ...(onProgress ? { onProgress } : {}) });
  for (const x of run.problems) report.problems.push(x);
  if (run.exitCode !== ExitCode.Ok) {
    report.exitCode = run.exitCode;
    return report;
  }
  try {
    for (const entry of engine.entries()) digest.add(entry);
  } catch (e) {
    if (e instanceof UnsupportedError) {
      report.exitCode = ExitCode.Unsupported;
      report.problems.push(problemOf(e, input.display));
      return report;
    }
    throw e;
  }
  report.digest = digest.hex();
  report.keysPerDb = digest.keysPerDb();
  report.expiredKeys = digest.expiredKeys;
  report.emptyKeys = digest.emptyKeys;
  report.ok = true;
  return report;
}

/** Ask a live server for DEBUG DIGEST. Never throws for an unreachable or refusing server. */
/** how long `digest redis://…` waits for a reply by default (DEBUG DIGEST of a big dataset takes a while) */
const DEFAULT_SERVER_TIMEOUT_S = 300;

export async function digestServer(url: string, timeoutS = DEFAULT_SERVER_TIMEOUT_S): Promise<DigestReport> {
  const report: DigestReport = {
    command: 'digest',
    ok: false,
    exitCode: ExitCode.Ok,
    path: url,
    source: 'server',
    problems: [],
    digest: null,
    keysPerDb: {},
  };
  const fail = (message: string): DigestReport => {
    report.exitCode = ExitCode.Usage;
    report.problems.push({ severity: 'error', file: url, offset: -1, message });
    return report;
  };
  let conn;
  try {
    conn = parseRedisUrl(url);
  } catch (e) {
    return fail((e as Error).message);
  }
  // a server that accepts the connection and never answers must not hang a CI job
  let live: RedisClient | undefined;
  let timedOut = false;
  const timed = <T>(p: Promise<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        timedOut = true;
        live?.destroy();
        reject(new RedisConnectionError(`no reply to ${what} within ${timeoutS} s (--timeout)`));
      }, timeoutS * 1000);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  let client: RedisClient;
  try {
    const connecting = RedisClient.connect(conn);
    // a connection made after the timeout fired is closed as soon as it exists
    connecting.then(
      (c) => (timedOut ? c.destroy() : (live = c)),
      () => undefined,
    );
    client = await timed(connecting, 'the connection (and AUTH/SELECT)');
  } catch (e) {
    if (e instanceof RedisConnectionError) return fail(`cannot connect: ${e.message}`);
    if (e instanceof RedisReplyError) return fail(`the server refused ${e.command}: ${e.message}`);
    throw e;
  }
  try {
    let reply: Reply;
    try {
      reply = await timed(client.call('DEBUG', 'DIGEST'), 'DEBUG DIGEST');
    } catch (e) {
      if (e instanceof RedisReplyError) {
        if (/DEBUG command not allowed|unknown command|unknown subcommand/i.test(e.message)) {
          return fail(
            `the server does not allow DEBUG DIGEST (${e.message.split('.')[0]}). Start it with 'enable-debug-command yes' ('local' works from a local connection), then retry.`,
          );
        }
        return fail(`DEBUG DIGEST failed: ${e.message}`);
      }
      if (e instanceof RedisConnectionError) return fail(e.message);
      throw e;
    }
    const text = Buffer.isBuffer(reply) ? reply.toString('latin1') : typeof reply === 'string' ? reply : '';
    if (!/^[0-9a-f]{40}$/.test(text)) return fail(`DEBUG DIGEST returned an unexpected reply: ${JSON.stringify(text).slice(0, 80)}`);
    report.digest = text;
    try {
      const info = await timed(client.call('INFO', 'keyspace'), 'INFO keyspace');
      const s = Buffer.isBuffer(info) ? info.toString('latin1') : typeof info === 'string' ? info : '';
      for (const line of s.split('\r\n')) {
        const m = /^db(\d+):keys=(\d+)/.exec(line);
        if (m) report.keysPerDb[m[1]!] = Number(m[2]);
      }
    } catch (e) {
      // the digest is in hand: a failure now costs only the key counts
      if (!(e instanceof RedisReplyError) && !(e instanceof RedisConnectionError)) throw e;
      report.problems.push({ severity: 'warning', file: url, offset: -1, message: `INFO keyspace failed (no key counts): ${e.message}` });
    }
    report.ok = true;
    return report;
  } finally {
    client.destroy();
  }
}

export async function runDigest(target: string, opts: DigestCommandOptions, io: CommandIO): Promise<number> {
  const pr = new Printer(io, opts);
  let report: DigestReport;
  if (URL_RE.test(target)) {
    report = await digestServer(target, opts.timeout);
  } else {
    const enabled = opts.progress !== false && !opts.quiet && !opts.json && io.stderrTTY;
    let progress: Progress | undefined;
    try {
      report = await digestFile(target, opts, (b, total) => {
        progress ??= startProgress(`digest ${path.basename(target)}`, total, enabled);
        progress.update(b);
      });
    } finally {
      progress?.stop();
    }
  }
  pr.json(report);
  if (!opts.json) {
    // stdout holds the digest alone (also with --quiet: it is the result, not chatter)
    if (report.digest !== null) io.stdout(report.digest + '\n');
    for (const x of report.problems) {
      const where = x.file ? `${x.file === target ? x.file : path.basename(x.file)}: ` : '';
      const line = `${x.severity}: ${where}${x.offset >= 0 ? `[offset ${x.offset}] ` : ''}${x.message}`;
      if (x.severity === 'error') pr.err(pr.c.red(line));
      else if (!opts.quiet) io.stderr(line + '\n');
    }
    if (report.ok && !opts.quiet && report.expiredKeys) {
      io.stderr(`note: ${report.expiredKeys} key(s) already expired at ${new Date(report.now!).toISOString()} were left out, as a server loading the file drops them (see --now)\n`);
    }
  }
  return report.exitCode;
}

export function digestCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('digest')
    .description("print the DEBUG DIGEST a server would print after loading the file, or a live server's")
    .argument('<path|url>', 'RDB file, AOF (file, appendonlydir, *.manifest; RDB preamble/base included; .gz/.lz4 too; - for stdin), or redis://host:port / unix:///path.sock')
    .option('--digest-compat <version>', "which server version's digest rules to follow: 6.2, 7.0, 7.2, 7.4, 8.0, valkey-8, any x.y[.z] (default: the newest)")
    .option('--now <unix-ms>', 'clock for expiry decisions: keys already expired then are left out (default: now)', (v) => parseIntOption(v, '--now'))
    .option('--databases <n>', 'databases of the server, like the databases directive (default 16)', (v) => parseIntOption(v, '--databases', 1))
    .option('--timeout <seconds>', `server target: give up (exit 2) when a reply takes longer (default ${DEFAULT_SERVER_TIMEOUT_S})`, (v) => parseIntOption(v, '--timeout', 1))
    .addHelpText(
      'after',
      `
Examples:
  redkit digest dump.rdb
  redkit digest --digest-compat 7.0 backup.rdb.gz
  redkit digest redis://127.0.0.1:6379          # needs enable-debug-command on the server
  [ "$(redkit digest backup.rdb)" = "$(redkit digest redis://db:6379)" ] && echo same data

Rules changed between versions: zset scores are printed with %.17g up to 7.0 and with
Grisu2 from 7.2; 7.4 folds hash field TTLs. AOF commands go through the in-memory engine
(see 'redkit replay'): exit 3 for a command it cannot apply exactly (verbatim scripts, ...)
and for module values; exit 1 for a command a server would have refused (the AOF is
inconsistent).`,
    )
    .action(async (p: string, o: { digestCompat?: string; now?: number; timeout?: number; databases?: number }) => {
      done(await runDigest(p, { ...global(), ...o }, io));
    });
}
