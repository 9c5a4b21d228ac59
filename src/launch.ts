// What bin/redkit tells from a command line before it loads the CLI: whether a `convert` will
// take the fast RDB -> AOF path on a second thread, so that the thread can boot while the main
// thread loads (convert/transcode-thread.ts). A guess that is wrong costs only time: the CLI
// parses the line again and decides for itself; an unused thread goes away with the process.
// So this imports nothing of redkit's but that thread's module, and reads only the input's magic.

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

/** whether the file is a plain RDB (or Valkey RDB) of at least `min` bytes */
function isBigRdbFile(file: string, min: number): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size < Math.max(min, 9)) return false;
    const head = Buffer.alloc(6);
    fs.readSync(fd, head, 0, 6, 0);
    const magic = head.toString('latin1');
    return magic.startsWith('REDIS') || magic === 'VALKEY';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Whether `redkit <args>` is a conversion the transcoding thread will serve: `convert` of a
 * plain RDB file big enough for the thread, to plain AOF, for every key. Mirrors the test in
 * commands/convert.ts that picks the fast path.
 */
export function wantsTranscodeThread(args: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const at = args.findIndex((a) => !a.startsWith('-'));
  if (at < 0 || args[at] !== 'convert' || env['REDKIT_CONVERT_GENERIC'] !== undefined) return false;
  const { positionals, options } = parseConvertLine(args.slice(at + 1));
  const [input, output] = positionals;
  if (input === undefined || output === undefined || input === '-') return false;
  if (options.has('--restore') || options.has('--key') || options.has('--help') || options.has('-h')) return false;
  const to = options.get('--to');
  const aof = to !== undefined ? to === 'aof' : options.has('--multipart') || path.extname(output).toLowerCase() === '.aof';
  return aof && isBigRdbFile(input, transcodeWorkerMin());
}
