// `redkit info <path>`: what is in a file, without judging it: format, version, aux fields,
// keys per db by type and encoding, expires, largest keys, functions, modules, AOF commands.

import path from 'node:path';
import { Command } from 'commander';
import { FormatError, InputError, UnsupportedError } from '../model/errors.js';
import { isStreamFile, resolveInput, type ResolvedInput } from '../io/source.js';
import { scanInput, type FileScanResult } from '../io/scan.js';
import { startProgress } from '../io/progress.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { StatsCollector } from './stats.js';
import { Engine } from '../engine/engine.js';
import { replayIntoEngine } from './replay.js';
import { parseIntOption, problemOf } from './check.js';
import type { RedisValue } from '../model/value.js';

export interface InfoOptions extends GlobalOptions {
  top?: number;
  now?: number;
}

export async function runInfo(p: string, opts: InfoOptions, io: CommandIO): Promise<number> {
  const pr = new Printer(io, opts);
  let input: ResolvedInput;
  try {
    input = await resolveInput(p);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw e;
  }
  const problems: Problem[] = [...input.problems];
  const collector = new StatsCollector(opts.now ?? Date.now(), opts.top ?? 10, 16, false);
  const total = input.files.reduce((a, f) => a + (f.role !== 'history' && f.size ? f.size : 0), 0);
  const progress = startProgress(`reading ${path.basename(p)}`, total, opts.progress !== false && !opts.quiet);
  let results: FileScanResult[] = [];
  let exitCode: number = ExitCode.Ok;
  try {
    results = await scanInput(input, collector, { onProgress: (b) => progress.update(b), reportChecksum: true });
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    problems.push(problemOf(e, e.file ?? p));
    exitCode = e instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged;
  } finally {
    progress.stop();
  }
  const loaded = input.files.filter((f) => f.role !== 'history');
  const lastFile = loaded[loaded.length - 1];
  for (const r of results) {
    if (r.rdb?.error) {
      problems.push(problemOf(r.rdb.error, r.file.path));
      exitCode = r.rdb.error instanceof UnsupportedError ? ExitCode.Unsupported : ExitCode.Damaged;
    }
    const q = r.resp?.problem;
    if (q && q.truncated && r.file === lastFile) {
      // the usual state of an AOF after a crash: Redis loads it, and so the keys are counted
      problems.push({
        severity: 'warning',
        file: r.file.path,
        offset: r.resp!.okUpTo,
        message: `${q.message} (offset ${q.offset}): Redis (aof-load-truncated yes, its default) loads this AOF up to offset ${r.resp!.okUpTo} and drops the rest; the keys counted are what it loads`,
      });
    } else if (q) {
      problems.push({ severity: 'error', file: r.file.path, offset: q.offset, message: q.message });
      exitCode = ExitCode.Damaged;
    }
    if (r.skipped) exitCode = ExitCode.Damaged;
  }
  if (problems.some((x) => x.severity === 'error') && exitCode === ExitCode.Ok) exitCode = ExitCode.Damaged;
  const s = collector.finish();
  for (const w of collector.problems) problems.push(w);

  // An AOF's keys are what a server holds after loading it: replay it in the engine
  // (a second pass). Where the engine does not apply a command yet, say so instead.
  let keysFrom: 'rdb' | 'replay' | 'rdb-only' = 'rdb';
  if (input.kind !== 'rdb' && exitCode === ExitCode.Ok && s.commands > 0 && isStreamFile(input.files[0]!)) {
    // standard input (or a FIFO) cannot be read a second time
    keysFrom = 'rdb-only';
    problems.push({
      severity: 'warning',
      file: input.files[0]!.path,
      offset: -1,
      message: `${results.some((r) => r.rdb) ? "key counts are the RDB part's only" : 'keys are not counted'}: counting an AOF's keys needs a second pass (a replay), which ${input.files[0]!.path === '-' ? 'standard input' : 'a stream'} cannot give; give the file's path instead`,
    });
  } else if (input.kind !== 'rdb' && exitCode === ExitCode.Ok && s.commands > 0) {
    const now = opts.now ?? Date.now();
    const engine = new Engine({ now });
    const run = await replayIntoEngine(input, engine);
    if (run.exitCode === ExitCode.Ok) {
      keysFrom = 'replay';
      const collector2 = new StatsCollector(now, opts.top ?? 10);
      // a replayed key has no bytes in a file: it is ranked by the bytes of its data
      for (const e of engine.entries({ now })) collector2.rdbItem({ kind: 'key', entry: { ...e, size: dataBytes(e.value) } }, input.files[0]!);
      const s2 = collector2.finish();
      s.keys = s2.keys;
      s.keysPerDb = s2.keysPerDb;
      s.typesPerDb = s2.typesPerDb;
      s.encodingsPerDb = s2.encodingsPerDb;
      s.expires = s2.expires;
      s.alreadyExpired = s2.alreadyExpired;
      s.largest = s2.largest;
    } else {
      keysFrom = 'rdb-only';
      const why = run.problems.find((x) => x.severity === 'error');
      problems.push({
        severity: 'warning',
        file: why?.file ?? p,
        offset: why?.offset ?? -1,
        message: `key counts are the RDB part's only: counting the AOF's keys needs a replay, and ${why?.message ?? 'it did not complete'}`,
      });
    }
  }

  const files = results.map((r) => ({
    path: r.file.path,
    role: r.file.role,
    format: r.file.format,
    compression: r.file.compression,
    size: r.size,
    rdbVersion: r.rdb && r.rdb.version > 0 ? r.rdb.version : undefined, // 0: the header was never read
    magic: r.rdb?.magic,
    checksum: r.rdb?.checksum,
    commands: r.resp?.commands,
  }));

  pr.json({
    command: 'info',
    ok: exitCode === ExitCode.Ok,
    exitCode,
    path: p,
    kind: input.kind,
    problems,
    files,
    stats: {
      keysFrom,
      keys: s.keys,
      keysPerDb: s.keysPerDb,
      expires: s.expires,
      alreadyExpired: s.alreadyExpired,
      commands: s.commands,
      commandsByName: s.commandsByName,
      typesPerDb: s.typesPerDb,
      encodingsPerDb: s.encodingsPerDb,
      aux: s.aux,
      functions: s.functions,
      moduleTypes: s.moduleTypes,
      moduleAux: s.moduleAux,
      hashFieldsWithTtl: s.fieldsWithTtl,
      firstTimestamp: s.firstTimestamp ?? null,
      lastTimestamp: s.lastTimestamp ?? null,
      largest: s.largest,
    },
  });

  const c = pr.c;
  pr.out(c.bold(`${p}`) + `  (${input.kind === 'multipart' ? 'multi-part AOF' : input.kind === 'aof' ? 'AOF' : 'RDB'})`);
  for (const f of files) {
    const bits = [`${f.role}`, f.format === 'rdb' ? `RDB ${f.magic === 'VALKEY' ? 'VALKEY' : ''}${f.rdbVersion ?? '?'}` : 'RESP'];
    if (f.compression !== 'none') bits.push(f.compression);
    if (f.checksum) bits.push(`checksum ${f.checksum}`);
    if (f.commands !== undefined) bits.push(`${f.commands} commands`);
    pr.out(`  ${path.basename(f.path)}: ${f.size} bytes, ${bits.join(', ')}`);
  }
  const aux = Object.entries(s.aux);
  if (aux.length) {
    pr.out(c.bold('aux fields'));
    for (const [k, v] of aux) pr.out(`  ${k} = ${v.length > 60 ? v.slice(0, 60) + '...' : v}`);
  }
  if (s.keys > 0 || results.some((r) => r.rdb) || keysFrom === 'replay') {
    pr.out(c.bold('keys') + (keysFrom === 'replay' ? ' (after replaying the AOF: what a server loading it holds)' : keysFrom === 'rdb-only' ? ' (RDB part only: see the warning)' : ''));
    pr.out(`  total ${s.keys}, with expiry ${s.expires}, already expired ${s.alreadyExpired}${s.fieldsWithTtl ? `, hash fields with TTL ${s.fieldsWithTtl}` : ''}`);
    for (const db of Object.keys(s.keysPerDb).sort((a, b) => Number(a) - Number(b))) {
      const types = Object.entries(s.typesPerDb[db] ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
      const encs = Object.entries(s.encodingsPerDb[db] ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
      pr.out(`  db${db}: ${s.keysPerDb[db]} keys | ${types} | encodings: ${encs}`);
    }
  }
  if (s.largest.length) {
    pr.out(c.bold(keysFrom === 'replay' ? 'largest keys (bytes of data: keys replayed from the AOF)' : 'largest keys (bytes in file)'));
    for (const k of s.largest) pr.out(`  ${String(k.bytes).padStart(12)}  db${k.db} ${k.type.padEnd(8)} ${k.key}`);
  }
  if (s.functions.length) pr.out(c.bold('functions') + `  ${s.functions.join(', ')}`);
  if (Object.keys(s.moduleTypes).length || s.moduleAux.length) {
    pr.out(c.bold('modules') + `  ${Object.entries(s.moduleTypes).map(([k, v]) => `${k} (${v} keys)`).concat(s.moduleAux.map((m) => `${m} (aux)`)).join(', ')}`);
  }
  if (s.commands > 0) {
    pr.out(c.bold('commands') + `  ${s.commands}`);
    for (const [k, v] of Object.entries(s.commandsByName).slice(0, 30)) pr.out(`  ${k.padEnd(20)} ${v}`);
  }
  if (s.firstTimestamp !== undefined) {
    pr.out(c.bold('#TS: annotations') + `  ${s.annotations}, from ${new Date(s.firstTimestamp * 1000).toISOString()} to ${new Date(s.lastTimestamp! * 1000).toISOString()}`);
  }
  for (const x of problems) {
    const line = `${x.severity}: ${x.file ? path.basename(x.file) + ': ' : ''}${x.offset >= 0 ? `[offset ${x.offset}] ` : ''}${x.message}`;
    if (x.severity === 'error') pr.err(c.red(line));
    else pr.out(c.yellow(line));
  }
  return exitCode;
}

export function infoCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('info')
    .description('show what a file holds: format, version, aux fields, keys per db by type and encoding, largest keys, commands')
    .argument('<path>', 'AOF file, appendonlydir, *.manifest, RDB file (.gz/.lz4 too), or - for stdin')
    .option('--top <n>', 'how many of the largest keys to list', (v) => parseIntOption(v, '--top', 0), 10)
    .option('--now <unix-ms>', 'clock for "already expired" counts', (v) => parseIntOption(v, '--now'))
    .addHelpText(
      'after',
      `
Examples:
  redkit info dump.rdb
  redkit info --top 20 appendonlydir/
  redkit info --json backup.rdb.gz | jq .stats.keysPerDb`,
    )
    .action(async (p: string, o: { top?: number; now?: number }) => {
      done(await runInfo(p, { ...global(), ...o }, io));
    });
}

/**
 * The bytes of a value's data (strings, members, fields and values; 8 per score, 16 per
 * stream ID): how replayed AOF keys are ranked, where there is no record size in a file.
 */
export function dataBytes(v: RedisValue): number {
  switch (v.type) {
    case 'string':
      return v.value.length;
    case 'list':
      return v.items.reduce((a, b) => a + b.length, 0);
    case 'set':
      return v.members.reduce((a, b) => a + b.length, 0);
    case 'zset':
      return v.entries.reduce((a, e) => a + e.member.length + 8, 0);
    case 'hash':
      return v.entries.reduce((a, e) => a + e.field.length + e.value.length, 0);
    case 'stream':
      return v.entries.reduce((a, e) => a + 16 + e.fields.reduce((x, f) => x + f.length, 0), 0);
    default:
      return v.raw.length;
  }
}
