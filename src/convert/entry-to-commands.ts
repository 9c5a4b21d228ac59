// A key entry to the commands that rebuild it: what Redis's own AOF rewrite emits
// (rewriteAppendOnlyFileRio): SET, RPUSH/SADD/ZADD/HMSET in batches of 64 items, PEXPIREAT
// for TTLs, HPEXPIREAT per field for hash field TTLs, streams as XADD + XSETID + XGROUP
// CREATE + XCLAIM/XGROUP CREATECONSUMER. Or, with `restore`, one RESTORE per key.

import { UnrepresentableError } from '../model/errors.js';
import type { KeyEntry, StreamId, StreamValue } from '../model/value.js';

/** AOF_REWRITE_ITEMS_PER_CMD in Redis */
export const ITEMS_PER_COMMAND = 64;

export type Args = (Buffer | string)[];

export interface CommandOptions {
  /** emit RESTORE key ttl payload ABSTTL REPLACE; the caller supplies the DUMP payload */
  restorePayload?: (entry: KeyEntry) => Buffer;
  /** drop what plain commands cannot express (module values) instead of failing */
  lossy?: boolean;
}

/** Score text: shortest round-trip decimal, "inf"/"-inf" (as Redis 7.2+ writes scores). */
export function formatScore(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Object.is(d, -0)) return '-0';
  return String(d);
}

export function formatStreamId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/**
 * The commands that rebuild `e` (without the SELECT: the caller emits one per db).
 * Calls `emit` once per command, so a big key never becomes one big array of commands.
 */
export function entryToCommands(e: KeyEntry, emit: (args: Args) => void, opts: CommandOptions = {}): void {
  const key = e.key;
  if (opts.restorePayload) {
    emit(['RESTORE', key, e.expireMs === -1 ? '0' : String(e.expireMs), opts.restorePayload(e), 'ABSTTL', 'REPLACE']);
    return;
  }
  const v = e.value;
  switch (v.type) {
    case 'string':
      emit(['SET', key, v.value]);
      break;
    case 'list':
      batches(v.items.length, ITEMS_PER_COMMAND, (s, n) => {
        const a: Args = ['RPUSH', key];
        for (let i = s; i < s + n; i++) a.push(v.items[i]!);
        emit(a);
      });
      break;
    case 'set':
      batches(v.members.length, ITEMS_PER_COMMAND, (s, n) => {
        const a: Args = ['SADD', key];
        for (let i = s; i < s + n; i++) a.push(v.members[i]!);
        emit(a);
      });
      break;
    case 'zset':
      batches(v.entries.length, ITEMS_PER_COMMAND, (s, n) => {
        const a: Args = ['ZADD', key];
        for (let i = s; i < s + n; i++) a.push(formatScore(v.entries[i]!.score), v.entries[i]!.member);
        emit(a);
      });
      break;
    case 'hash': {
      const withTtl = v.entries.some((f) => f.expireMs !== undefined);
      if (!withTtl) {
        batches(v.entries.length, ITEMS_PER_COMMAND, (s, n) => {
          const a: Args = ['HMSET', key];
          for (let i = s; i < s + n; i++) a.push(v.entries[i]!.field, v.entries[i]!.value);
          emit(a);
        });
      } else {
        // Redis 7.4 rewrites such a hash field by field
        for (const f of v.entries) {
          emit(['HMSET', key, f.field, f.value]);
          if (f.expireMs !== undefined) emit(['HPEXPIREAT', key, String(f.expireMs), 'FIELDS', '1', f.field]);
        }
      }
      break;
    }
    case 'stream':
      streamToCommands(key, v, emit);
      break;
    case 'module':
      if (opts.lossy) return;
      throw new UnrepresentableError(
        `key '${key.toString('latin1')}' holds a value of module type ${v.moduleName}: plain commands cannot rebuild it without the module (use --restore, or --lossy to drop it)`,
        key,
        'module',
      );
  }
  if (e.expireMs !== -1) emit(['PEXPIREAT', key, String(e.expireMs)]);
}

function batches(total: number, size: number, f: (start: number, n: number) => void): void {
  for (let s = 0; s < total; s += size) f(s, Math.min(size, total - s));
}

function streamToCommands(key: Buffer, s: StreamValue, emit: (args: Args) => void): void {
  if (s.entries.length > 0) {
    for (const en of s.entries) emit(['XADD', key, formatStreamId(en.id), ...en.fields]);
  } else {
    emit(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  }
  // stream version 1 files lack these: the values Redis derives when it loads them
  const entriesAdded = s.entriesAdded ?? BigInt(s.length);
  const maxDeleted = s.maxDeletedId ?? { ms: 0n, seq: 0n };
  emit(['XSETID', key, formatStreamId(s.lastId), 'ENTRIESADDED', String(entriesAdded), 'MAXDELETEDID', formatStreamId(maxDeleted)]);
  for (const g of s.groups) {
    const create: Args = ['XGROUP', 'CREATE', key, g.name, formatStreamId(g.lastId)];
    if (g.entriesRead !== undefined) create.push('ENTRIESREAD', String(g.entriesRead));
    emit(create);
    const pel = new Map(g.pending.map((p) => [formatStreamId(p.id), p]));
    for (const c of g.consumers) {
      if (c.pending.length === 0) {
        emit(['XGROUP', 'CREATECONSUMER', key, g.name, c.name]);
        continue;
      }
      for (const id of c.pending) {
        const p = pel.get(formatStreamId(id));
        emit([
          'XCLAIM', key, g.name, c.name, '0', formatStreamId(id),
          'TIME', String(p?.deliveryTime ?? 0),
          'RETRYCOUNT', String(p?.deliveryCount ?? 0),
          'JUSTID', 'FORCE',
        ]);
      }
    }
  }
}
