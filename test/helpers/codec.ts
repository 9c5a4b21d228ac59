// Small helpers shared by the codec unit tests.

import { expect } from 'vitest';
import { FormatError } from '../../src/model/errors.js';
import { entryToBuffer, type LpEntry } from '../../src/codec/listpack.js';

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

/** Independent of the code under test: canonical int64 text per Redis's string2ll. */
export function canonicalInt(b: Buffer): bigint | undefined {
  const s = b.toString('latin1');
  if (!/^-?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v.toString() !== s || v < -(2n ** 63n) || v >= 2n ** 63n) return undefined;
  return v;
}

/** What decodeListpackEntries should return for an encoded item. */
export function expected(e: LpEntry): LpEntry {
  let v: bigint | undefined;
  if (typeof e === 'number') v = BigInt(e);
  else if (typeof e === 'bigint') v = e;
  else v = canonicalInt(e);
  if (v === undefined || v < -(2n ** 63n) || v >= 2n ** 63n) return entryToBuffer(e);
  return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v;
}

/** Type-tagged text form, so deep comparisons stay fast on big buffers. */
export function tag(e: LpEntry): string {
  return typeof e === 'object' ? `b:${e.toString('hex')}` : `${typeof e}:${e}`;
}
