// `redkit rewrite <aof-path> -o <output>`: an offline BGREWRITEAOF. The AOF is replayed by the
// in-memory engine and its dataset written as the minimal command set (what Redis's own
// rewrite writes with aof-use-rdb-preamble no), or with --preamble as an RDB image (what it
// writes with aof-use-rdb-preamble yes); --multipart writes a complete appendonlydir with a
// fresh manifest. The work is convert's (AOF input); this command frames it as a rewrite and
// reports the sizes before and after.

import fs from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { resolveInput } from '../io/source.js';
import { runConvert } from './convert.js';
import { ExitCode, Printer, type CommandIO, type GlobalOptions, type Problem } from './output.js';
import { parseIntOption } from './check.js';

export interface RewriteOptions extends GlobalOptions {
  output?: string;
  preamble?: boolean;
  multipart?: boolean;
  now?: number;
  databases?: number;
}

interface ConvertDoc {
  ok: boolean;
  exitCode: number;
  problems: Problem[];
  keysOut?: number;
  bytes?: number;
}

/** bytes of a file or of every file in a directory (one level: an appendonlydir) */
function sizeOf(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of fs.readdirSync(p)) {
    const s = fs.statSync(`${p}/${f}`);
    if (s.isFile()) n += s.size;
  }
  return n;
}

export async function runRewrite(input: string, opts: RewriteOptions, io: CommandIO): Promise<number> {
  // /dev/stdout is standard output: written as `-` (see convert)
  const output = opts.output === '/dev/stdout' ? '-' : opts.output;
  // with the AOF on stdout, the summary (and the --json report) go to stderr
  const pr = new Printer(output === '-' ? { ...io, stdout: io.stderr, stdoutTTY: io.stderrTTY } : io, opts);
  if (output === undefined || output === '') throw new UsageError(output === '' ? 'the output path (-o) is empty' : 'rewrite needs -o <output> (a file, or a directory with --multipart)');
  const src = await resolveInput(input);
  if (src.kind === 'rdb') throw new UsageError(`${input} is an RDB file: rewrite takes an AOF (to turn an RDB into commands, use 'redkit convert')`);
  const before = src.files.filter((f) => f.role !== 'history').reduce((a, f) => a + (f.size ?? 0), 0);

  // convert does the work; its JSON document tells what happened (on stdout, or on stderr when
  // the output is stdout; in JSON mode convert prints nothing else)
  let captured = '';
  const capture = (s: string) => (captured += s);
  const inner: CommandIO = { ...io, stdout: capture, stderr: capture };
  const code = await runConvert(
    input,
    output,
    {
      ...opts,
      json: true,
      progress: opts.progress,
      to: opts.preamble ? 'rdb' : 'aof',
      preambleBase: opts.preamble === true,
      ...(opts.multipart ? { multipart: true } : {}),
      ...(opts.now !== undefined ? { now: opts.now } : {}),
      ...(opts.databases !== undefined ? { databases: opts.databases } : {}),
    },
    inner,
  );
  const doc = JSON.parse(captured) as ConvertDoc;
  if (code !== ExitCode.Ok) {
    for (const p of doc.problems.filter((x) => x.severity === 'error')) {
      pr.err(`redkit: ${p.file || input}: ${p.offset >= 0 ? `[offset ${p.offset}] ` : ''}${p.message}. Nothing was written.`);
    }
    pr.json({ command: 'rewrite', ok: false, exitCode: code, problems: doc.problems, input, output });
    return code;
  }
  const after = output === '-' ? (doc.bytes ?? 0) : sizeOf(output);
  const shape = opts.preamble ? 'RDB preamble' : 'commands';
  pr.out(`Rewrote ${input} (${before} bytes) to ${output} (${after} bytes, ${shape}${opts.multipart ? ', multi-part' : ''}): ${doc.keysOut} keys, ${before > 0 ? ((100 * after) / before).toFixed(1) : '0'}% of the original size`);
  for (const w of doc.problems.filter((x) => x.severity === 'warning')) pr.out(pr.c.yellow(`warning: ${w.message}`));
  pr.json({ command: 'rewrite', ok: true, exitCode: 0, problems: doc.problems, input, output, preamble: opts.preamble === true, multipart: opts.multipart === true, keys: doc.keysOut, bytesBefore: before, bytesAfter: after });
  return ExitCode.Ok;
}

export function rewriteCommand(global: () => GlobalOptions, io: CommandIO, done: (code: number) => void): Command {
  return new Command('rewrite')
    .description('offline BGREWRITEAOF: replay an AOF through the in-memory engine and write the minimal command set')
    .argument('<aof-path>', 'AOF (file, appendonlydir, manifest; RDB preamble included); .gz/.lz4 too; - for stdin')
    .requiredOption('-o, --output <path>', 'the rewritten AOF (a file), or a new appendonlydir with --multipart')
    .option('--preamble', 'write an RDB preamble and no commands (like aof-use-rdb-preamble yes)')
    .option('--multipart', 'write a complete appendonlydir (base + empty incr + fresh manifest) that redis-server --appendonly yes loads')
    .option('--now <unix-ms>', 'the clock for relative TTLs in the AOF (default: now)', (v) => parseIntOption(v, '--now'))
    .option('--databases <n>', 'databases of the engine, like the databases directive (default 16)', (v) => parseIntOption(v, '--databases', 1))
    .addHelpText(
      'after',
      `
Examples:
  redkit rewrite appendonly.aof -o rewritten.aof
  redkit rewrite --multipart --preamble appendonlydir -o appendonlydir.new

The input is never modified. As in Redis, expired keys are kept (their TTLs with them): the
server drops them after loading. A replay that stops (damage, a command the engine cannot
apply exactly) writes nothing.`,
    )
    .action(async (input: string, o: RewriteOptions) => {
      done(await runRewrite(input, { ...global(), ...o }, io));
    });
}
