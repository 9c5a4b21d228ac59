// DUMP / RESTORE payloads (FORMATS.md section 6).
//
//   u8 type | value payload (as in an RDB file, no key) | u16le RDB version | u64le CRC-64
//
// The CRC-64 covers every byte before it (type, payload and version). Unlike an RDB file, a
// zero CRC is not special. RESTORE ignores bytes left between the value and the footer.

import { FormatError, UnsupportedError } from '../model/errors.js';
import type { RedisValue } from '../model/value.js';
import { Crc64 } from './crc64.js';
import { ByteSink } from './listpack.js';
import { decodeValue } from './rdb-reader.js';
import { RDB_VERSION_MAX, VALKEY_RDB_VERSION } from './rdb-types.js';
import { appendValue, type ValueEncodeOptions } from './rdb-writer.js';

/** Footer: u16le version + u64le CRC. */
const FOOTER = 10;

export interface DumpEncodeOptions {
  /** RDB version written in the footer, which also picks the encodings (6..12) */
  version: number;
  /** the key, for error messages */
  key?: Buffer;
  /** LZF-compress long strings, as a server with rdbcompression yes does (default true) */
  compress?: boolean;
  /** the RDB type the value was read as (KeyEntry.rdbType), see ValueEncodeOptions */
  sourceRdbType?: number;
}

/** The DUMP payload of a value, as a server of that RDB version would produce it. */
export function encodeDump(value: RedisValue, opts: DumpEncodeOptions): Buffer {
  const out = new ByteSink(64);
  const vo: ValueEncodeOptions = { version: opts.version };
  if (opts.key !== undefined) vo.key = opts.key;
  if (opts.compress !== undefined) vo.compress = opts.compress;
  if (opts.sourceRdbType !== undefined) vo.sourceRdbType = opts.sourceRdbType;
  appendValue(out, value, vo);
  out.ensure(FOOTER);
  out.buf.writeUInt16LE(opts.version, out.len);
  out.len += 2;
  new Crc64().update(out.buf, 0, out.len).writeLE(out.buf, out.len);
  out.len += 8;
  return Buffer.from(out.buf.subarray(0, out.len));
}

export interface DecodedDump {
  rdbType: number;
  version: number;
  value: RedisValue;
}

/**
 * Checks and decodes a DUMP payload. FormatError for a short payload or a bad checksum (with
 * Redis's message), UnsupportedError for an RDB version this build cannot read (above 12, other
 * than Valkey's 80), FormatError for a value that does not parse. `key` is for messages.
 */
export function decodeDump(payload: Uint8Array, key?: Buffer): DecodedDump {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = buf.length;
  if (n < FOOTER) {
    throw new FormatError(`DUMP payload version or checksum are wrong (payload is ${n} bytes, at least ${FOOTER} needed)`, 0, 'read-dump', key);
  }
  const crc = new Crc64().update(buf, 0, n - 8);
  if (!crc.matchesLE(buf, n - 8)) {
    throw new FormatError('DUMP payload version or checksum are wrong', n - 8, 'read-dump', key);
  }
  const version = buf.readUInt16LE(n - FOOTER);
  if (version > RDB_VERSION_MAX && version !== VALKEY_RDB_VERSION) {
    throw new UnsupportedError(
      `DUMP payload has RDB version ${version}: this build reads versions up to ${RDB_VERSION_MAX} and Valkey's ${VALKEY_RDB_VERSION}`,
      n - FOOTER,
      'read-dump',
      key,
    );
  }
  if (n === FOOTER) throw new FormatError('DUMP payload has no value (Bad data format)', 0, 'read-dump', key);
  const rdbType = buf[0]!;
  const body = buf.subarray(1, n - FOOTER);
  const opts: Parameters<typeof decodeValue>[2] = { version, magic: version === VALKEY_RDB_VERSION ? 'VALKEY' : 'REDIS' };
  if (key !== undefined) opts.key = key;
  try {
    const { value } = decodeValue(body, rdbType, opts);
    return { rdbType, version, value };
  } catch (e) {
    // offsets from the value decoder are relative to the body, which starts after the type byte
    if (e instanceof FormatError) e.offset += 1;
    throw e;
  }
}
