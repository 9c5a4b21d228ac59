// What bin/redkit tells from a command line before it loads the CLI, for a `convert` that will
// take the fast RDB -> AOF path (every key copied record by record, never decoded whole):
// - whether it needs no more heap than Node's default, so that no second node is started with
//   a bigger one (measured on the 611 MB bench RDB: the respawn cost 0.1-0.25 s);
// - whether it will want its second thread, so that the thread boots while the main thread
//   loads (convert/transcode-thread.ts).
// A wrong thread guess costs only time: the CLI parses the line again and decides for itself;
// an unused thread goes away with the process. So this imports nothing of redkit's but that
// thread's module, and reads only the input's first bytes.

import fs from 'node:fs';
import path from 'node:path';
import { transcodeWorkerMin } from './convert/transcode-thread.js';

/** `convert`'s options that take a value (a test holds this to the CLI's definition) */
export const CONVERT_VALUE_OPTIONS: readonly string[] = ['--to', '--rdb-version', '--db', '--key', '--type', '--now', '--databases'];

interface ConvertLine {
  positionals: string[];
  /** option name -> its last value ('' for a flag) */
  options: Map<string, string>;
}

/** The arguments after the `convert` command word (global options, which take no value, included). */
export function parseConvertLine(args: readonly string[]): ConvertLine {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.includes('=')) {
      const eq = a.indexOf('=');
      options.set(a.slice(0, eq), a.slice(eq + 1));
    } else if (CONVERT_VALUE_OPTIONS.includes(a)) {
      options.set(a, args[++i] ?? '');
    } else if (a.startsWith('-') && a !== '-') {
      options.set(a, '');
    } else positionals.push(a);
  }
  return { positionals, options };
}

/** the RDB version of a plain RDB file (its first 9 bytes) and its size, when it is one */
function plainRdb(file: string): { version: number; size: number } | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size < 9) return undefined;
    const head = Buffer.alloc(9);
    fs.readSync(fd, head, 0, 9, 0);
    const magic = head.toString('latin1');
    if (magic.startsWith('VALKEY')) return { version: -1, size: st.size };
    if (!/^REDIS\d{4}$/.test(magic)) return undefined;
    return { version: Number(magic.slice(5)), size: st.size };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface ConvertPlan {
  /** the fast path with Node's default heap: a Redis 7.0-7.2 RDB (versions 10 and 11), whose
   * every type the transcoder copies or passes through raw (module values); older files have
   * ziplist-era lists, newer ones hash field TTLs, which are decoded whole */
  defaultHeap: boolean;
  /** the input is big enough for the transcoding thread */
  thread: boolean;
}

/**
 * What `redkit <args>` will do, when it is a conversion of a plain RDB file to plain AOF for
 * every key (mirrors the test in commands/convert.ts that picks the fast path); undefined
 * for anything else.
 */
export function convertPlan(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ConvertPlan | undefined {
  const at = args.findIndex((a) => !a.startsWith('-'));
  if (at < 0 || args[at] !== 'convert' || env['REDKIT_CONVERT_GENERIC'] !== undefined) return undefined;
  const { positionals, options } = parseConvertLine(args.slice(at + 1));
  const [input, output] = positionals;
  if (input === undefined || output === undefined || input === '-') return undefined;
  if (options.has('--restore') || options.has('--key') || options.has('--help') || options.has('-h')) return undefined;
  const to = options.get('--to');
  const aof = to !== undefined ? to === 'aof' : options.has('--multipart') || path.extname(output).toLowerCase() === '.aof';
  const rdb = aof ? plainRdb(input) : undefined;
  if (rdb === undefined) return undefined;
  return { defaultHeap: rdb.version === 10 || rdb.version === 11, thread: rdb.size >= transcodeWorkerMin() };
}

/** Whether `redkit <args>` is a conversion the transcoding thread will serve. */
export function wantsTranscodeThread(args: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return convertPlan(args, env)?.thread ?? false;
}
