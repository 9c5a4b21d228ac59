// Errors the in-memory engine throws while applying commands.
//
// EngineError: the command is one the real server would have answered with an error reply
// (wrong type, syntax, arity, overflow, ...). A server never writes a failed command into its
// AOF, so meeting one during a replay means the AOF is inconsistent with itself: the replay
// stops and says where (exit 1).
//
// UnsupportedCommandError: the engine cannot apply the command exactly, so it refuses rather
// than guess (exit 3). UnknownCommandError is the common case: a command (or subcommand) the
// engine does not implement, including verbatim scripts (EVAL/EVALSHA/FCALL) and read-only
// commands (which never appear in an AOF).

/** The real server would have replied with this error. `message` is Redis's reply text. */
export class EngineError extends Error {
  /** upper-case command name, when known */
  command: string | undefined;
  /** where the failing command starts (absolute offset in its file), when the caller said */
  offset: number | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'EngineError';
    this.command = command;
    this.offset = undefined;
  }
}

/** The engine cannot apply this command exactly (exit 3). */
export class UnsupportedCommandError extends Error {
  command: string | undefined;
  offset: number | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UnsupportedCommandError';
    this.command = command;
    this.offset = undefined;
  }
}

/** A command or subcommand the engine does not implement. */
export class UnknownCommandError extends UnsupportedCommandError {
  constructor(message: string, command?: string) {
    super(message, command);
    this.name = 'UnknownCommandError';
  }
}

// Reply texts shared by several handlers (server.c createSharedObjects and friends).
export const ERR = {
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  outOfRange: 'ERR value is out of range',
  noSuchKey: 'ERR no such key',
  indexOutOfRange: 'ERR index out of range',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  sameObject: 'ERR source and destination objects are the same',
  busyKey: 'BUSYKEY Target key name already exists.',
  overflow: 'ERR increment or decrement would overflow',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  bitOffset: 'ERR bit offset is not an integer or out of range',
} as const;

export function arityError(name: string): EngineError {
  return new EngineError(`ERR wrong number of arguments for '${name.toLowerCase()}' command`, name.toUpperCase());
}
