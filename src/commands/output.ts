// What every command shares: where text goes, colour, the JSON document, exit codes.

import { Chalk, type ChalkInstance } from 'chalk';

export const ExitCode = {
  Ok: 0,
  Damaged: 1,
  Usage: 2,
  Unsupported: 3,
  Refused: 4,
} as const;

export interface Problem {
  severity: 'error' | 'warning';
  file: string;
  offset: number;
  message: string;
}

export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  progress?: boolean;
  quiet?: boolean;
  debug?: boolean;
}

/** Streams and flags a command runs with; tests pass their own. */
export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** whether stdout/stderr/stdin are terminals */
  stdoutTTY: boolean;
  stderrTTY: boolean;
  stdinTTY: boolean;
  /** read one line from the terminal, for confirmations */
  prompt?: (question: string) => Promise<string>;
  env: NodeJS.ProcessEnv;
}

export function processIO(): CommandIO {
  return {
    // prompt: unset, so confirmations use a readline on the real stdin
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdoutTTY: Boolean(process.stdout.isTTY),
    stderrTTY: Boolean(process.stderr.isTTY),
    stdinTTY: Boolean(process.stdin.isTTY),
    env: process.env,
  };
}

/** Human text printer honouring --json (text goes nowhere), --quiet and colour rules. */
export class Printer {
  readonly c: ChalkInstance;
  constructor(
    private readonly io: CommandIO,
    private readonly opts: GlobalOptions,
  ) {
    const colour = opts.color !== false && !('NO_COLOR' in io.env) && io.stdoutTTY && !opts.json;
    this.c = new Chalk({ level: colour ? 1 : 0 });
  }

  /** normal output */
  out(line = ''): void {
    if (this.opts.json || this.opts.quiet) return;
    this.io.stdout(line + '\n');
  }

  /** an error message: printed even with --quiet (not with --json: it is in the document) */
  err(line: string): void {
    if (this.opts.json) return;
    this.io.stderr(line + '\n');
  }

  json(doc: unknown): void {
    if (!this.opts.json) return;
    this.io.stdout(JSON.stringify(doc, jsonReplacer, 2) + '\n');
  }
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  return v;
}

export interface CommandResult {
  exitCode: number;
}
