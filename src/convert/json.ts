// Key entries as JSON Lines: one object per key, binary-safe. A Redis string is a JSON string
// when its bytes are valid UTF-8, else {"base64": "..."}; the field names are stable and
// documented in README.md ("JSON Lines output").

import { isUtf8 } from 'node:buffer';
import { rdbTypeEncoding } from '../codec/rdb-types.js';
import type { KeyEntry, StreamId, StreamValue } from '../model/value.js';
import { formatStreamId } from './entry-to-commands.js';

export type JsonBytes = string | { base64: string };

export function bytesToJson(b: Buffer): JsonBytes {
  let ascii = true;
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return b.latin1Slice(0, b.length);
  if (isUtf8(b)) return b.toString('utf8');
  return { base64: b.toString('base64') };
}

function jsonScore(d: number): number | string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  return d;
}

function id(i: StreamId | undefined): string | null {
  return i ? formatStreamId(i) : null;
}

function streamJson(s: StreamValue): unknown {
  return {
    length: s.length,
    lastId: id(s.lastId),
    firstId: id(s.firstId),
    maxDeletedId: id(s.maxDeletedId),
    entriesAdded: s.entriesAdded === undefined ? null : s.entriesAdded.toString(),
    entries: s.entries.map((e) => ({ id: formatStreamId(e.id), fields: pairs(e.fields) })),
    groups: s.groups.map((g) => ({
      name: bytesToJson(g.name),
      lastId: id(g.lastId),
      entriesRead: g.entriesRead === undefined ? null : g.entriesRead.toString(),
      pending: g.pending.map((p) => ({ id: formatStreamId(p.id), deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount })),
      consumers: g.consumers.map((c) => ({
        name: bytesToJson(c.name),
        seenTime: c.seenTime,
        activeTime: c.activeTime === -1 ? null : c.activeTime,
        pending: c.pending.map(formatStreamId),
      })),
    })),
  };
}

function pairs(flat: Buffer[]): JsonBytes[][] {
  const out: JsonBytes[][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([bytesToJson(flat[i]!), bytesToJson(flat[i + 1]!)]);
  return out;
}

/** The JSON object for one key. */
export function entryToJsonObject(e: KeyEntry): Record<string, unknown> {
  const v = e.value;
  let value: unknown;
  switch (v.type) {
    case 'string':
      value = bytesToJson(v.value);
      break;
    case 'list':
      value = v.items.map(bytesToJson);
      break;
    case 'set':
      value = v.members.map(bytesToJson);
      break;
    case 'zset':
      value = v.entries.map((z) => [bytesToJson(z.member), jsonScore(z.score)]);
      break;
    case 'hash':
      value = v.entries.map((f) => (f.expireMs === undefined ? [bytesToJson(f.field), bytesToJson(f.value)] : [bytesToJson(f.field), bytesToJson(f.value), f.expireMs]));
      break;
    case 'stream':
      value = streamJson(v);
      break;
    case 'module':
      value = { module: v.moduleName, encver: v.encver, raw: { base64: v.raw.toString('base64') } };
      break;
  }
  const o: Record<string, unknown> = {
    db: e.db,
    key: bytesToJson(e.key),
    type: v.type,
    encoding: rdbTypeEncoding(e.rdbType),
    expireMs: e.expireMs === -1 ? null : e.expireMs,
    value,
  };
  if (e.idle !== undefined) o['idle'] = e.idle;
  if (e.freq !== undefined) o['freq'] = e.freq;
  return o;
}

/** One JSON Lines line for a key (with the newline). */
export function entryToJsonLine(e: KeyEntry): string {
  return JSON.stringify(entryToJsonObject(e)) + '\n';
}

/**
 * JSON Lines written straight into bytes: plain ASCII strings (the common case) are copied
 * without ever becoming JS strings (measured: 611 MB RDB -> JSON 20 s -> ~11 s, most of the
 * difference being garbage collection). Writes the same text as entryToJsonLine, which a
 * test checks on every fixture key.
 */
export class JsonLinesWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Everything written since the last take (bytes taken are never written again). */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.end);
    this.start = this.end;
    return out;
  }

  private reserve(n: number): void {
    if (this.end + n <= this.buf.length) return;
    const pending = this.end - this.start;
    let size = this.buf.length;
    while (size < pending + n) size *= 2;
    const next = Buffer.allocUnsafe(Math.max(size, 1 << 20));
    this.buf.copy(next, 0, this.start, this.end);
    this.buf = next;
    this.start = 0;
    this.end = pending;
  }

  /** ASCII text */
  private text(t: string): void {
    this.reserve(t.length);
    const b = this.buf;
    let p = this.end;
    for (let i = 0; i < t.length; i++) b[p++] = t.charCodeAt(i);
    this.end = p;
  }

  /** any JS string, as UTF-8 */
  private utf8(t: string): void {
    this.reserve(Buffer.byteLength(t, 'utf8'));
    this.end += this.buf.write(t, this.end, 'utf8');
  }

  /** a whole line written elsewhere (function libraries) */
  line(l: string): void {
    this.utf8(l);
  }

  /** a Redis string as JSON (see bytesToJson) */
  bytes(v: Buffer): void {
    for (let i = 0; i < v.length; i++) {
      const c = v[i]!;
      if (c >= 0x80 || c < 0x20 || c === 0x22 || c === 0x5c) {
        this.utf8(JSON.stringify(bytesToJson(v)));
        return;
      }
    }
    this.reserve(v.length + 2);
    const b = this.buf;
    let p = this.end;
    b[p++] = 0x22;
    if (v.length < 48) for (let i = 0; i < v.length; i++) b[p++] = v[i]!;
    else {
      v.copy(b, p);
      p += v.length;
    }
    b[p++] = 0x22;
    this.end = p;
  }

  private array(items: Buffer[]): void {
    this.text('[');
    for (let i = 0; i < items.length; i++) {
      if (i) this.text(',');
      this.bytes(items[i]!);
    }
    this.text(']');
  }

  entry(e: KeyEntry): void {
    const v = e.value;
    if (v.type === 'stream' || v.type === 'module') {
      this.utf8(entryToJsonLine(e));
      return;
    }
    this.text('{"db":' + e.db + ',"key":');
    this.bytes(e.key);
    this.text(',"type":"' + v.type + '","encoding":"' + rdbTypeEncoding(e.rdbType) + '","expireMs":' + (e.expireMs === -1 ? 'null' : String(e.expireMs)) + ',"value":');
    switch (v.type) {
      case 'string':
        this.bytes(v.value);
        break;
      case 'list':
        this.array(v.items);
        break;
      case 'set':
        this.array(v.members);
        break;
      case 'zset':
        this.text('[');
        for (let i = 0; i < v.entries.length; i++) {
          const z = v.entries[i]!;
          this.text(i ? ',[' : '[');
          this.bytes(z.member);
          this.text(',' + JSON.stringify(jsonScore(z.score)) + ']');
        }
        this.text(']');
        break;
      case 'hash':
        this.text('[');
        for (let i = 0; i < v.entries.length; i++) {
          const f = v.entries[i]!;
          this.text(i ? ',[' : '[');
          this.bytes(f.field);
          this.text(',');
          this.bytes(f.value);
          this.text(f.expireMs === undefined ? ']' : ',' + f.expireMs + ']');
        }
        this.text(']');
        break;
    }
    if (e.idle !== undefined) this.text(',"idle":' + e.idle);
    if (e.freq !== undefined) this.text(',"freq":' + e.freq);
    this.text('}\n');
  }
}

/** One JSON Lines line for a function library. */
export function functionToJsonLine(code: Buffer): string {
  const first = code.subarray(0, 200).toString('latin1').split('\n')[0] ?? '';
  const m = /name=([^\s]+)/.exec(first);
  return JSON.stringify({ type: 'function', library: m ? m[1] : null, code: bytesToJson(code) }) + '\n';
}
