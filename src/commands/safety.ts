// The safe-edit rules every command that modifies a user's file follows: say exactly what
// will change, ask on a terminal (refuse without --yes when stdin is not one), back up first,
// then change, then fsync. Shared by check --fix/--truncate-to-timestamp and undo-flushall.

import { createInterface } from 'node:readline';
import { RefusedError } from '../model/errors.js';
import { backupFile, truncateFile } from '../io/atomic.js';
import type { CommandIO } from './output.js';

export interface EditOptions {
  /** do not ask */
  yes?: boolean;
  /** say what would change, change nothing */
  dryRun?: boolean;
  /** commander's --no-backup sets this to false */
  backup?: boolean;
}

/** Ask the user; resolves when confirmed, throws RefusedError (exit 4) otherwise. */
export async function confirm(io: CommandIO, question: string, opts: EditOptions): Promise<void> {
  if (opts.yes) return;
  if (!io.stdinTTY) {
    throw new RefusedError(`${question.replace(/\?\s*$/, '')}: refusing without --yes because standard input is not a terminal`);
  }
  const answer = await (io.prompt ?? promptStdin)(`${question} [y/N]: `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new RefusedError('Aborting: nothing was changed');
}

/**
 * One line from the terminal ('' when input ends first). The answer must be settled before
 * rl.close(): close emits 'close' at once, and a close handler resolving '' first turned
 * every "y" into a refusal.
 */
export function promptStdin(question: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output });
    let answered = false;
    rl.question(question, (a) => {
      answered = true;
      resolve(a);
      rl.close();
    });
    rl.on('close', () => {
      if (!answered) resolve('');
    });
  });
}

export interface TruncateChange {
  file: string;
  action: 'truncate';
  fromBytes: number;
  toBytes: number;
  backup?: string;
  /** --dry-run: the cut that would be made (nothing was changed) */
  planned?: boolean;
}

/** Back up (unless opts.backup === false), then truncate and fsync. */
export async function truncateSafely(file: string, fromBytes: number, toBytes: number, opts: EditOptions): Promise<TruncateChange> {
  const change: TruncateChange = { file, action: 'truncate', fromBytes, toBytes };
  if (opts.backup !== false) change.backup = await backupFile(file);
  await truncateFile(file, toBytes);
  return change;
}
