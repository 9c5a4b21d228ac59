// Small helpers shared by the codec unit tests.

import { expect } from 'vitest';
import { FormatError } from '../../src/model/errors.js';

export { rng as mulberry32 } from './feed.js';

/** Bytes from hex text (whitespace ignored). */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** Run fn, expect a FormatError (and nothing else), return it. */
export function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}
