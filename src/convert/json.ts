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

/** One JSON Lines line for a function library. */
export function functionToJsonLine(code: Buffer): string {
  const first = code.subarray(0, 200).toString('latin1').split('\n')[0] ?? '';
  const m = /name=([^\s]+)/.exec(first);
  return JSON.stringify({ type: 'function', library: m ? m[1] : null, code: bytesToJson(code) }) + '\n';
}
