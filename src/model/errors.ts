// Error types shared by every layer. Each maps to one exit code in cli.ts:
// FormatError -> 1 (damaged), UnsupportedError -> 3, UsageError/InputError -> 2, RefusedError -> 4.

/** Corrupt input. `offset` is absolute in the file being read. */
export class FormatError extends Error {
  /** The file the offset refers to, filled in by the I/O layer when known. */
  file: string | undefined;
  constructor(
    message: string,
    public offset: number,
    /** What the reader was doing, as redis-check-rdb says it ("read-object-value", ...). */
    public doing?: string,
    /** The key whose record was being read, when known. */
    public key?: Uint8Array,
  ) {
    super(message);
    this.name = 'FormatError';
  }

  /** `[offset N] message (while reading value of key 'k')`; no offset when it is -1. */
  describe(): string {
    let s = this.offset >= 0 ? `[offset ${this.offset}] ${this.message}` : this.message; // -1: no place in a file
    if (this.key !== undefined) s += ` (while reading key '${printableKey(this.key)}')`;
    return s;
  }
}

/** The input ends early. `okUpTo` is the last safe cut point (for AOF: end of the last
 * complete command outside MULTI/EXEC). */
export class TruncatedError extends FormatError {
  constructor(
    message: string,
    offset: number,
    public okUpTo: number,
    doing?: string,
    key?: Uint8Array,
  ) {
    super(message, offset, doing, key);
    this.name = 'TruncatedError';
  }
}

/** A format version, type or opcode this build does not know (exit code 3). */
export class UnsupportedError extends FormatError {
  constructor(message: string, offset: number, doing?: string, key?: Uint8Array) {
    super(message, offset, doing, key);
    this.name = 'UnsupportedError';
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The input cannot be read: missing file, permission (exit code 2). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * The output cannot be written (exit code 2, as an input that cannot be read): no space left,
 * the target turned into a directory, its directory removed meanwhile. Built by outputError().
 */
export class OutputError extends Error {
  constructor(
    message: string,
    /** the system error's code (ENOSPC, EFBIG, ...) */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }
}

/** A system error met while writing `target` as an OutputError naming it; anything else as is. */
export function outputError(target: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  return new OutputError(`cannot write ${target}: ${(e as Error).message}`, code);
}

/** A safety check refused the operation, or the user declined (exit code 4). */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** A key as text for messages: printable ASCII kept, other bytes as \xHH, long keys cut. */
export function printableKey(key: Uint8Array, max = 80): string {
  let s = '';
  const n = Math.min(key.length, max);
  for (let i = 0; i < n; i++) {
    const b = key[i]!;
    if (b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x27) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  if (key.length > max) s += `...(${key.length} bytes)`;
  return s;
}

/** A value the chosen output format or version cannot hold (hash field TTLs below RDB 12,
 * streams below 9, ...). Converters turn it into an error naming the key, or with --lossy
 * drop what cannot be kept and report it. */
export class UnrepresentableError extends Error {
  constructor(
    message: string,
    /** the key, when the problem belongs to one */
    public key?: Uint8Array,
    /** what would be lost: 'hash-field-ttl', 'stream', 'function', 'module', 'type' */
    public what: string = 'type',
  ) {
    super(message);
    this.name = 'UnrepresentableError';
  }
}
