// `redkit convert <input> <output>`: RDB to AOF (plain commands or RESTORE), to RDB of another
// version, or to JSON Lines. One streaming pass: reader -> filters -> entryToCommands /
// RdbWriter / JSON -> an atomic file (or a whole appendonlydir), or stdout. An AOF input is
// replayed into the engine first, and its keyspace takes the place of the RDB reader's keys.

import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { FormatError, UnrepresentableError, UnsupportedError, UsageError, outputError, printableKey } from '../model/errors.js';
import type { KeyEntry } from '../model/value.js';
import { RespWriter } from '../codec/resp-writer.js';
import { formatManifest } from '../codec/manifest.js';
import { RdbWriter } from '../codec/rdb-writer.js';
import { encodeDump } from '../codec/dump.js';
import { RDB_VERSION_MAX } from '../codec/rdb-types.js';
import { entryToCommands, type Args } from '../convert/entry-to-commands.js';
import { JsonLinesWriter, functionToJsonLine } from '../convert/json.js';
import { globMatch } from '../convert/glob.js';
import { resolveInput } from '../io/source.js';
import type { RdbItem } from '../codec/rdb-reader.js';
import { Engine } from '../engine/engine.js';
import { replayIntoEngine } from './replay.js';
import { TranscodePipe } from '../convert/transcode-pool.js';
import { decodeRecord } from '../convert/transcode.js';
import { scanInput } from '../io/scan.js';
import { FileSink, StreamSink, type OutputSink } from '../io/sink.js';
import { fsyncDir } from '../io/atomic.js';
import { removeOnInterrupt, settled } from '../io/interrupt.js';
import { startProgress } from '../io/progress.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { parseIntOption, problemOf } from './check.js';
import { printableKeyText } from './stats.js';
import { refuseOutputInInput } from './inputs.js';

export type OutputFormat = 'aof' | 'rdb' | 'json';

export interface ConvertOptions extends GlobalOptions {
  to?: string;
  restore?: boolean;
  rdbVersion?: number;
  multipart?: boolean;
  db?: number[];
  key?: string;
  type?: string[];
  dropExpired?: boolean;
  now?: number;
  lossy?: boolean;
  /** AOF input: databases of the engine (default 16) */
  databases?: number;
  /** for `rewrite --preamble`: the RDB is an AOF base (AUX aof-base 1); with multipart, an
   * appendonlydir whose base is an RDB */
  preambleBase?: boolean;
}

const TYPES = new Set(['string', 'list', 'set', 'zset', 'hash', 'stream', 'module']);

function outputFormat(output: string, to: string | undefined): OutputFormat {
  if (to !== undefined) {
    if (to === 'aof' || to === 'rdb' || to === 'json') return to;
    throw new UsageError(`--to takes aof, rdb or json, not '${to}'`);
  }
  const ext = path.extname(output).toLowerCase();
  if (ext === '.aof') return 'aof';
  if (ext === '.rdb') return 'rdb';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json';
  throw new UsageError(`cannot tell the output format from '${output}': use --to aof|rdb|json (or an .aof, .rdb, .json/.jsonl name)`);
}

/** RDB version written from an AOF: what Redis 7.0 writes (and Debian's server reads) */
const AOF_DEFAULT_RDB_VERSION = 10;
/** hand the output to the sink every this many keys while walking the engine */
const FLUSH_EVERY = 1024;

/** hash field TTLs exist only in RDB 12 */
function engineNeedsRdb12(e: Engine): boolean {
  for (const db of e.dbs) for (const s of db.values()) if (s.value.type === 'hash' && s.value.ttl !== undefined && s.value.ttl.size > 0) return true;
  return false;
}

/** the replay of an AOF input failed: its exit code and problems */
class ReplayFailed extends Error {
  constructor(
    readonly code: number,
    readonly problems: Problem[],
  ) {
    super('replay failed');
  }
}

interface Lost {
  db: number | null;
  key: string | null;
  what: string;
  message: string;
}

export async function runConvert(input: string, outputArg: string, opts: ConvertOptions, io: CommandIO): Promise<number> {
  // /dev/stdout is standard output: written as `-` (the summary goes to stderr, and a shell's
  // `>> log` is appended to, not replaced by a renamed file)
  const output = outputArg === '/dev/stdout' ? '-' : outputArg;
  // with the data on stdout, the summary (and the --json report) go to stderr: a line after
  // the commands would reach `redis-cli --pipe` as one more command
  const pr = new Printer(output === '-' ? { ...io, stdout: io.stderr, stdoutTTY: io.stderrTTY } : io, opts);
  if (output === '') throw new UsageError('the output path is empty');
  const format = opts.multipart && opts.to === undefined ? 'aof' : outputFormat(output, opts.to);
  if (output !== '-' && !fs.existsSync(path.dirname(path.resolve(output)))) {
    throw new UsageError(`cannot write ${output}: the directory ${path.dirname(path.resolve(output))} does not exist`);
  }
  if (opts.restore && format !== 'aof') throw new UsageError('--restore goes with AOF output');
  if (opts.multipart && format !== 'aof' && !(format === 'rdb' && opts.preambleBase)) throw new UsageError('--multipart goes with AOF output');
  if (opts.multipart && output === '-') throw new UsageError('--multipart writes a directory: give it a path, not -');
  if (opts.rdbVersion !== undefined && format !== 'rdb' && !opts.restore) throw new UsageError('--rdb-version goes with RDB output or --restore');
  if (opts.type) for (const t of opts.type) if (!TYPES.has(t)) throw new UsageError(`--type takes ${[...TYPES].join(', ')}, not '${t}'`);
  if (output !== '-' && fs.existsSync(output) && (opts.multipart || fs.statSync(output).isDirectory())) {
    throw new UsageError(`${output} already exists`);
  }
  if (output !== '-' && path.resolve(output) === path.resolve(input)) throw new UsageError('the output must not be the input');

  const src = await resolveInput(input);
  if (output !== '-') refuseOutputInInput(output, input, src);
  const problems: Problem[] = [...src.problems];
  const lost: Lost[] = [];
  const now = opts.now ?? Date.now();
  // the pattern's bytes: the argument as the shell gave it (UTF-8), as redis-cli sends it
  const keyPattern = opts.key !== undefined ? Buffer.from(opts.key, 'utf8') : undefined;
  const dbs = opts.db ? new Set(opts.db) : undefined;
  const types = opts.type ? new Set(opts.type) : undefined;
  let keysOut = 0;
  let keysIn = 0;
  let inputVersion = 0;
  let magic = 'REDIS';
  let fromAof = false;

  // where bytes go
  let sink: OutputSink;
  let multipartTmp: string | undefined;
  // an RDB base is what Redis writes with aof-use-rdb-preamble yes
  const baseName = format === 'rdb' ? 'appendonly.aof.1.base.rdb' : 'appendonly.aof.1.base.aof';
  if (output === '-') sink = new StreamSink(process.stdout);
  else if (opts.multipart) {
    try {
      multipartTmp = fs.mkdtempSync(path.join(path.dirname(path.resolve(output)), `.${path.basename(output)}.redkit-tmp-`));
      // mkdtemp makes it 0700 whatever the umask: a redis user could not open a directory
      // that root built (Redis makes its appendonlydir 0755 under the usual umask)
      fs.chmodSync(multipartTmp, 0o777 & ~process.umask());
    } catch (e) {
      if (multipartTmp) fs.rmSync(multipartTmp, { recursive: true, force: true });
      throw outputError(output, e);
    }
    removeOnInterrupt(multipartTmp, 'dir');
    sink = await FileSink.open(path.join(multipartTmp, baseName));
  } else sink = await FileSink.open(output);

  let writer: RdbWriter | undefined;
  let targetVersion = opts.rdbVersion;
  let lastDb = -1;
  // AOF output is encoded straight into one growing buffer, handed to the sink per chunk
  const resp = new RespWriter(1 << 20);
  const emitCommand = (args: Args) => resp.push(args);
  const json = new JsonLinesWriter();
  // RDB -> plain AOF without a key pattern: the reader only validates (as `check` does) and
  // the key records are turned into commands by the transcoder, on a second thread for big
  // inputs (convert/transcode-pool.ts); the output is the same as the generic path's.
  const fast = src.kind === 'rdb' && format === 'aof' && !opts.restore && keyPattern === undefined && process.env['REDKIT_CONVERT_GENERIC'] === undefined;
  let pipe: TranscodePipe | undefined;
  /** the pipe's output, in order; the worker's buffers go back to it once written */
  const writePieces = async (pieces: { buf: Buffer; owned: boolean }[]) => {
    for (const p of pieces) {
      if (!p.owned) {
        sink.push(p.buf);
        continue;
      }
      const { released } = await sink.pushOwned(p.buf);
      void released.then(() => pipe?.recycle(p.buf));
    }
  };
  const flushOut = async () => {
    if (pipe) {
      if (resp.length > 0) pipe.resp(resp.take());
      await writePieces(await pipe.ready(false));
      return sink.flush();
    }
    if (resp.length > 0) sink.push(resp.take());
    if (json.length > 0) sink.push(json.take());
    return sink.flush();
  };
  const restorePayload = opts.restore ? (e: KeyEntry) => encodeDump(e.value, { version: targetVersion!, key: e.key, sourceRdbType: e.rdbType }) : undefined;

  const loseKey = (e: KeyEntry, err: UnrepresentableError) => {
    lost.push({ db: e.db, key: printableKeyText(e.key), what: err.what, message: err.message });
  };

  const writeKey = (e: KeyEntry) => {
    if (format === 'json') {
      json.entry(e);
      return;
    }
    if (format === 'aof') {
      if (e.db !== lastDb) {
        emitCommand(['SELECT', String(e.db)]);
        lastDb = e.db;
      }
      // collect first, so a key that cannot be expressed leaves no half of itself behind
      const cmds: Args[] = [];
      entryToCommands(e, (a) => cmds.push(a), { restorePayload, lossy: false });
      for (const c of cmds) emitCommand(c);
      return;
    }
    if (e.db !== lastDb) {
      writer!.selectDb(e.db);
      lastDb = e.db;
    }
    writer!.key(e);
    sink.push(writer!.take());
  };

  const onKey = (e: KeyEntry) => {
    keysIn++;
    if (dbs && !dbs.has(e.db)) return;
    if (types && !types.has(e.value.type)) return;
    if (keyPattern && !globMatch(keyPattern, e.key)) return;
    if (opts.dropExpired && e.expireMs !== -1 && e.expireMs < now) return; // as Redis: expired when the time has passed
    try {
      writeKey(e);
      keysOut++;
    } catch (err) {
      if (!(err instanceof UnrepresentableError)) throw err;
      if (!opts.lossy) throw err;
      if (err.what === 'hash-field-ttl' && e.value.type === 'hash') {
        // keep the fields, drop their TTLs
        const plain: KeyEntry = { ...e, value: { type: 'hash', entries: e.value.entries.map((f) => ({ field: f.field, value: f.value })) } };
        writeKey(plain);
        keysOut++;
        lost.push({ db: e.db, key: printableKeyText(e.key), what: err.what, message: `field TTLs dropped (${err.message})` });
        return;
      }
      loseKey(e, err);
    }
  };

  const total = src.files.reduce((a, f) => a + (f.size ?? 0), 0);
  const progress = startProgress(`converting ${path.basename(input)}`, total, opts.progress !== false && !opts.quiet && output !== '-');
  /** the fast path's keys: filters, then the record goes to the transcoder */
  const onFastKey = (e: KeyEntry, raw: () => Buffer): void => {
    keysIn++;
    if (dbs && !dbs.has(e.db)) return;
    if (types && !types.has(e.value.type)) return;
    if (opts.dropExpired && e.expireMs !== -1 && e.expireMs < now) return; // as Redis: expired when the time has passed
    if (e.value.type === 'module') {
      // plain commands cannot carry it: the generic path fails, or drops it with --lossy
      keysIn--;
      onKey(decodeRecord(raw(), inputVersion, magic === 'VALKEY' ? 'VALKEY' : 'REDIS', true, e.db, e.offset));
      if (resp.length > 0) pipe!.resp(resp.take());
      return;
    }
    pipe!.record(raw, e.offset, e.size, e.db, e.db !== lastDb);
    lastDb = e.db;
    keysOut++;
  };

  const onItem = (item: RdbItem, raw?: () => Buffer): void => {
          if (fast && item.kind === 'key' && raw) {
            onFastKey(item.entry, raw);
            return;
          }
          switch (item.kind) {
            case 'header':
              inputVersion = item.version;
              magic = item.magic;
              // by default the input's version, within what the writer writes (6 and up: an
              // RDB 2-5 input becomes 6); only RDB output and --restore payloads use it
              if (targetVersion === undefined) targetVersion = item.magic === 'VALKEY' ? 11 : Math.max(6, Math.min(item.version, RDB_VERSION_MAX));
              if (targetVersion < 6 || targetVersion > RDB_VERSION_MAX) {
                throw new UsageError(`--rdb-version takes 6 to ${RDB_VERSION_MAX}, not ${targetVersion}`);
              }
              if (format === 'rdb') {
                writer = new RdbWriter({ version: targetVersion });
                writer.header({ aofBase: opts.preambleBase === true });
                sink.push(writer.take());
              }
              if (fast) {
                const f = src.files.length === 1 ? src.files[0]! : undefined;
                const plain = f !== undefined && f.compression === 'none' && f.size !== undefined && f.path !== '-' ? { path: f.path, size: f.size } : undefined;
                pipe = TranscodePipe.start(item.version, item.magic, true, plain);
              }
              break;
            case 'function':
              if (format === 'json') json.line(functionToJsonLine(item.code));
              else if (format === 'aof') {
                if (lastDb === -1) {
                  emitCommand(['SELECT', '0']);
                  lastDb = 0;
                }
                emitCommand(['FUNCTION', 'LOAD', item.code]);
              } else {
                try {
                  writer!.function(item.code);
                  sink.push(writer!.take());
                } catch (err) {
                  if (!(err instanceof UnrepresentableError) || !opts.lossy) throw err;
                  lost.push({ db: null, key: null, what: 'function', message: err.message });
                }
              }
              break;
            case 'module-aux':
              if (format === 'rdb') {
                try {
                  writer!.moduleAux(item.raw);
                  sink.push(writer!.take());
                } catch (err) {
                  if (!(err instanceof UnrepresentableError) || !opts.lossy) throw err;
                  lost.push({ db: null, key: null, what: 'module-aux', message: err.message });
                }
              } else {
                problems.push({ severity: 'warning', file: input, offset: item.offset, message: `module ${item.moduleName} keeps global (aux) data that commands cannot carry: it is not in the output` });
              }
              break;
            case 'key':
              onKey(item.entry);
              break;
            case 'eof':
              if (format === 'rdb') {
                writer!.end();
                sink.push(writer!.take());
              }
              break;
            default:
              break;
          }
          // what the main thread wrote goes after the records queued before it
          if (pipe && resp.length > 0) pipe.resp(resp.take());
  };

  try {
    if (src.kind === 'rdb') {
      const results = await scanInput(src, { rdbItem: (item, _file, raw) => onItem(item, raw) }, { onProgress: (b) => progress.update(b), afterChunk: flushOut, validateOnly: fast, parallelCrc: !fast, itemsNotKept: fast });
      // damage anywhere (a CRC mismatch included) fails the whole conversion
      for (const r of results) {
        if (r.rdb?.error) throw r.rdb.error;
        if (r.rdb && r.rdb.trailing && r.file.role === 'rdb') {
          // as check and replay say: an RDB-preamble AOF under a name not ending in .aof is read
          // as an RDB, and its commands are these bytes
          problems.push({
            severity: 'warning',
            file: r.file.path,
            offset: r.rdb.end,
            message: `${r.rdb.trailing} bytes follow the end of the RDB image; Redis ignores them when loading the file as an RDB, and so did the conversion (if it is an RDB-preamble AOF, name it *.aof)`,
          });
        }
      }
    } else {
      // An AOF: the engine applies it as a loading server would, then its keyspace is
      // written like an RDB's keys. Nothing is written unless the whole replay succeeded.
      const engine = new Engine({ now, databases: opts.databases ?? 16 });
      const run = await replayIntoEngine(src, engine, { onProgress: (b) => progress.update(b) });
      if (run.exitCode !== ExitCode.Ok) throw new ReplayFailed(run.exitCode, run.problems);
      problems.push(...run.problems);
      fromAof = true;
      targetVersion ??= engineNeedsRdb12(engine) ? 12 : AOF_DEFAULT_RDB_VERSION;
      onItem({ kind: 'header', magic: 'REDIS', version: 0, offset: 0 });
      for (const code of engine.functions.values()) onItem({ kind: 'function', code, offset: -1 });
      let n = 0;
      for (const entry of engine.entries()) {
        onItem({ kind: 'key', entry });
        if (++n % FLUSH_EVERY === 0) await flushOut();
      }
      onItem({ kind: 'eof', offset: -1, end: -1, storedCrc: undefined, computedCrc: undefined, checksum: 'ok' });
    }
    progress.stop();
    await flushOut();
    if (pipe) {
      await writePieces(await pipe.ready(true));
      pipe.checkUnchanged(input);
    }
    await sink.commit();
    if (multipartTmp) {
      try {
        await finishMultipart(multipartTmp, baseName, output);
      } catch (e) {
        throw outputError(output, e);
      }
      settled(multipartTmp);
      await fsyncDir(path.dirname(path.resolve(output)));
      multipartTmp = undefined;
    }
    pipe?.close();
  } catch (e) {
    progress.stop();
    pipe?.close();
    await sink.abort();
    // a file output is gone; what went to standard output, a FIFO or a device stays there
    const unwritten = sink.direct && sink.bytesWritten > 0 ? ` The ${sink.bytesWritten} bytes already written to ${output === '-' ? 'standard output' : output} are incomplete.` : ' Nothing was written.';
    if (multipartTmp) {
      fs.rmSync(multipartTmp, { recursive: true, force: true });
      settled(multipartTmp);
    }
    if (e instanceof ReplayFailed) {
      const all = [...problems, ...e.problems];
      for (const p of e.problems) pr.err(`redkit: ${p.file || input}: ${p.offset >= 0 ? `[offset ${p.offset}] ` : ''}${p.message}.${unwritten}`);
      pr.json({ command: 'convert', ok: false, exitCode: e.code, problems: all });
      return e.code;
    }
    if (e instanceof UnrepresentableError) {
      const key = e.key ? ` (key '${printableKey(e.key)}')` : '';
      // a newer target version holds it: say which (an RDB 11 default from a Valkey file, say)
      const holds: Record<string, number> = { 'hash-field-ttl': 12, function: 10, stream: 9 };
      const higher = holds[e.what] !== undefined && (targetVersion ?? 0) < holds[e.what]! ? ` Or write RDB ${holds[e.what]} (--rdb-version ${holds[e.what]}), which holds it.` : '';
      pr.err(`redkit: ${e.message}${key}.${unwritten} Use --lossy to drop what the target cannot hold, and get a report of it.${higher}`);
      pr.json({ command: 'convert', ok: false, exitCode: ExitCode.Unsupported, problems: [...problems, { severity: 'error', file: input, offset: -1, message: e.message }] });
      return ExitCode.Unsupported;
    }
    if (e instanceof FormatError) {
      const p = problemOf(e, e.file ?? input);
      pr.err(`redkit: ${input}: [offset ${p.offset}] ${p.message}.${unwritten}`);
      const code = e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged;
      pr.json({ command: 'convert', ok: false, exitCode: code, problems: [...problems, p] });
      return code;
    }
    throw e;
  }

  for (const l of lost) problems.push({ severity: 'warning', file: input, offset: -1, message: `dropped ${l.what}${l.key !== null ? ` of key '${l.key}' (db ${l.db})` : ''}: ${l.message}` });
  const target = format === 'rdb' ? `RDB ${targetVersion}` : format === 'aof' ? (opts.restore ? 'AOF (RESTORE)' : 'AOF') : 'JSON Lines';
  const from = fromAof ? 'AOF' : `${magic === 'VALKEY' ? 'Valkey ' : ''}RDB ${inputVersion}`;
  pr.out(`Converted ${keysOut} of ${keysIn} keys from ${from} to ${target}${output === '-' ? '' : ` in ${output}`} (${sink.bytesWritten} bytes)`);
  for (const l of lost) pr.out(pr.c.yellow(`  dropped ${l.what}${l.key !== null ? ` of '${l.key}' (db ${l.db})` : ''}: ${l.message}`));
  for (const w of problems.filter((x) => x.severity === 'warning' && !x.message.startsWith('dropped'))) pr.out(pr.c.yellow(`warning: ${w.message}`));
  // transcoder: how RDB key records became commands ('thread': on a second thread, 'main': the
  // fast path on the main thread, null: the generic path or another output)
  const transcoder = pipe ? (pipe.threaded ? 'thread' : 'main') : null;
  pr.json({ command: 'convert', ok: true, exitCode: 0, problems, input, output, format, rdbVersion: format === 'rdb' || opts.restore ? targetVersion : null, keysIn, keysOut, lost, bytes: sink.bytesWritten, transcoder });
  return ExitCode.Ok;
}

/** The rest of a `--multipart` directory (empty INCR file, manifest), made durable and moved into place. */
async function finishMultipart(dir: string, baseName: string, output: string): Promise<void> {
  fs.writeFileSync(path.join(dir, 'appendonly.aof.1.incr.aof'), '');
  fs.writeFileSync(
    path.join(dir, 'appendonly.aof.manifest'),
    formatManifest([
      { file: baseName, seq: 1, type: 'base' },
      { file: 'appendonly.aof.1.incr.aof', seq: 1, type: 'incr' },
    ]),
  );
  await fsyncDir(dir);
  fs.renameSync(dir, output);
}

export function convertCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('convert')
    .description('convert an RDB file or an AOF to AOF commands (or RESTORE), to RDB of a chosen version, or to JSON Lines')
    .argument('<input>', 'RDB file, or AOF (file, appendonlydir, manifest; replayed by the in-memory engine); .gz/.lz4 too; - for stdin')
    .argument('<output>', 'output file (format from --to or the extension), a directory with --multipart, or - for stdout')
    .option('--to <format>', 'aof, rdb or json')
    .option('--restore', 'AOF output as RESTORE key ttl <DUMP payload> ABSTTL REPLACE (exact for every type, modules too)')
    .option('--rdb-version <n>', 'RDB output version (6-12; default: the input version, at least 6; for an AOF 10, or 12 when hash fields have TTLs), also the DUMP version for --restore', (v) => parseIntOption(v, '--rdb-version'))
    .option('--multipart', 'AOF output as a complete appendonlydir (base + empty incr + manifest)')
    .option('--db <n,...>', 'only these databases (comma-separated, or repeat the option)', (v: string, prev: number[] | undefined) => [...(prev ?? []), ...v.split(',').map((x) => parseIntOption(x.trim(), '--db', 0))])
    .option('--key <glob>', 'only keys matching this Redis glob pattern')
    .option('--type <type,...>', 'only these types: string list set zset hash stream module (comma-separated, or repeat)', (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((x) => x.trim())])
    .option('--drop-expired', 'leave out keys already expired at --now')
    .option('--now <unix-ms>', 'the clock for --drop-expired, and for the relative TTLs of an AOF input (default: now)', (v) => parseIntOption(v, '--now'))
    .option('--databases <n>', 'AOF input: databases of the engine, like the databases directive (default 16)', (v) => parseIntOption(v, '--databases', 1))
    .option('--lossy', 'drop what the target cannot hold (hash field TTLs below RDB 12, ...) and report it, instead of failing')
    .addHelpText(
      'after',
      `
Examples:
  redkit convert dump.rdb dump.aof                    # the commands BGREWRITEAOF would write
  redkit convert --restore dump.rdb restore.aof       # RESTORE payloads: exact for every type
  redkit convert --multipart dump.rdb appendonlydir   # a directory redis-server --appendonly yes loads
  redkit convert --rdb-version 10 dump-7.4.rdb dump-7.0.rdb   # for an older server
  redkit convert --key 'user:*' --db 0 dump.rdb users.jsonl
  redkit convert --to aof dump.rdb - | redis-cli --pipe
  redkit convert appendonlydir dump.rdb               # an AOF to an RDB (offline: no server needed)

An AOF input is replayed by the in-memory engine first (as 'redkit replay' does; the whole
dataset is held in memory), then written out: nothing is written if the replay fails.`,
    )
    .action(async (input: string, output: string, o: ConvertOptions) => {
      done(await runConvert(input, output, { ...global(), ...o }, io));
    });
}
