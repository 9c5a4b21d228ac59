// The redkit program: global options, subcommands, and the one place errors become exit codes.

import { Command, CommanderError } from 'commander';
import { FormatError, InputError, OutputError, RefusedError, UnsupportedError, UsageError } from './model/errors.js';
import { checkCommand } from './commands/check.js';
import { infoCommand } from './commands/info.js';
import { undoFlushallCommand } from './commands/undo-flushall.js';
import { convertCommand } from './commands/convert.js';
import { digestCommand } from './commands/digest.js';
import { replayCommand } from './commands/replay.js';
import { rewriteCommand } from './commands/rewrite.js';
import { ExitCode, processIO, type CommandIO, type GlobalOptions } from './commands/output.js';
import { VERSION } from './version.js';

export function buildProgram(io: CommandIO, done: (code: number) => void): Command {
  const program = new Command('redkit');
  const global = (): GlobalOptions => program.opts<GlobalOptions>();
  program
    .description('Check, repair, inspect and convert Redis and Valkey persistence files (AOF and RDB)')
    .version(VERSION, '-V, --version')
    .option('--json', 'one JSON document on stdout')
    .option('--no-color', 'no colour (also: NO_COLOR, or stdout not a TTY)')
    .option('--no-progress', 'no progress bar')
    .option('-q, --quiet', 'only errors')
    .option('--debug', 'stack traces for internal errors')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
    });
  program.addCommand(checkCommand(global, io, done));
  program.addCommand(infoCommand(global, io, done));
  program.addCommand(undoFlushallCommand(global, io, done));
  program.addCommand(convertCommand(global, io, done));
  program.addCommand(digestCommand(global, io, done));
  program.addCommand(replayCommand(global, io, done));
  program.addCommand(rewriteCommand(global, io, done));
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  }
  return program;
}

/** Run the CLI with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  let code = ExitCode.Ok as number;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // the JSON report names the command that failed (global options take no values, so the
    // first word that is not an option is the command)
    const first = argv.find((a) => !a.startsWith('-'));
    const command = first !== undefined && program.commands.some((c) => c.name() === first) ? first : 'redkit';
    return handleError(e, io, argv.includes('--debug'), argv.includes('--json'), command);
  }
}

/** An error of a system call (ENOSPC, EISDIR, ...), as Node raises them. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  const x = e as NodeJS.ErrnoException | undefined;
  return x instanceof Error && typeof x.code === 'string' && /^E[A-Z0-9]+$/.test(x.code) && typeof x.syscall === 'string';
}

function handleError(e: unknown, io: CommandIO, debug: boolean, json: boolean, command: string): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
    return ExitCode.Usage;
  }
  let code: number = ExitCode.Usage;
  let message: string;
  if (e instanceof UsageError || e instanceof InputError || e instanceof OutputError) {
    message = e.message;
  } else if (e instanceof UnsupportedError) {
    code = ExitCode.Unsupported;
    message = `${e.file ? e.file + ': ' : ''}${e.describe()}`;
  } else if (e instanceof FormatError) {
    code = ExitCode.Damaged;
    message = `${e.file ? e.file + ': ' : ''}${e.describe()}`;
  } else if (e instanceof RefusedError) {
    code = ExitCode.Refused;
    message = e.message;
  } else if (isSystemError(e)) {
    // the system refused a read or write (no space, a path removed meanwhile) that no
    // command wrapped with its path: an environment problem, not a bug of redkit's
    message = `i/o error: ${e.message}`;
  } else {
    const err = e as Error;
    message = `internal error: ${err?.message ?? String(e)}${debug ? '\n' + err?.stack : ' (run with --debug for details)'}`;
    code = ExitCode.Damaged;
    if (json) {
      io.stdout(JSON.stringify({ command, ok: false, exitCode: 70, problems: [{ severity: 'error', file: '', offset: -1, message }] }) + '\n');
    }
    io.stderr(`redkit: ${message}\n`);
    return 70;
  }
  if (json) {
    const where = e instanceof FormatError ? { file: e.file ?? '', offset: e.offset } : { file: '', offset: -1 };
    io.stdout(JSON.stringify({ command, ok: false, exitCode: code, problems: [{ severity: 'error', ...where, message }] }, null, 2) + '\n');
  } else {
    io.stderr(`redkit: ${message}\n`);
  }
  if (debug && e instanceof Error) io.stderr(`${e.stack}\n`);
  return code;
}

const isMain = process.argv[1] !== undefined && /(?:^|[\\/])(?:cli\.js|redkit)$/.test(process.argv[1]);
if (isMain) {
  // `redkit info x | head`: the reader went away. Stop quietly, with the status a process
  // killed by SIGPIPE has (128 + 13), as other CLI tools do: not 0, since the output was cut
  // (`convert x.rdb - | redis-cli --pipe` against a server that went away is no success).
  // Any other error writing them (a full disk behind '> file'): say so, exit 2.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      if (stream === process.stdout) process.stderr.write(`redkit: cannot write standard output: ${e.message}\n`);
      process.exit(2);
    });
  }
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`redkit: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
