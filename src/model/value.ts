// The data model every reader produces and every writer consumes.
// Keys and values are Buffers (Redis strings are binary); expiries are absolute Unix ms.

/** A stream entry ID. Both parts are unsigned 64-bit, so bigint. */
export interface StreamId {
  ms: bigint;
  seq: bigint;
}

export interface StreamEntry {
  id: StreamId;
  /** field, value, field, value, ... in entry order */
  fields: Buffer[];
}

export interface StreamPendingEntry {
  id: StreamId;
  /** last delivery time, Unix ms */
  deliveryTime: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: Buffer;
  seenTime: number;
  /** Unix ms; -1 when the file does not record it (stream versions 1 and 2) */
  activeTime: number;
  /** IDs of the group PEL entries owned by this consumer */
  pending: StreamId[];
}

export interface StreamGroup {
  name: Buffer;
  lastId: StreamId;
  /** -1n means "unknown"; undefined for stream version 1 files */
  entriesRead: bigint | undefined;
  pending: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

export interface StreamValue {
  type: 'stream';
  /** live (not deleted) entries, ascending ID */
  entries: StreamEntry[];
  /** length as recorded in the file */
  length: number;
  lastId: StreamId;
  /** the following three are undefined for stream version 1 files */
  firstId: StreamId | undefined;
  maxDeletedId: StreamId | undefined;
  entriesAdded: bigint | undefined;
  groups: StreamGroup[];
}

export interface ZsetEntry {
  member: Buffer;
  score: number;
}

export interface HashEntry {
  field: Buffer;
  value: Buffer;
  /** absolute Unix ms of the field's expiry (hash field TTLs, Redis 7.4+ / Valkey 9); absent = none */
  expireMs?: number;
}

export type RedisValue =
  | { type: 'string'; value: Buffer }
  | { type: 'list'; items: Buffer[] }
  | { type: 'set'; members: Buffer[] }
  | { type: 'zset'; entries: ZsetEntry[] }
  | { type: 'hash'; entries: HashEntry[] }
  | StreamValue
  | ModuleValue;

export interface ModuleValue {
  type: 'module';
  /** the 64-bit module type id (name + encoding version) */
  moduleId: bigint;
  /** the 9-character module type name, e.g. "ReJSON-RL" */
  moduleName: string;
  encver: number;
  /** the whole value payload as stored in the RDB, starting with the module id LEN */
  raw: Buffer;
}

export type ValueType = RedisValue['type'];

/** One key as read from an RDB (or produced by the engine). */
export interface KeyEntry {
  db: number;
  key: Buffer;
  value: RedisValue;
  /** absolute Unix ms, -1 = no expiry */
  expireMs: number;
  /** LRU idle seconds (IDLE opcode), when the file has it */
  idle?: number;
  /** LFU counter (FREQ opcode), when the file has it */
  freq?: number;
  /** the RDB object type byte the value was stored as (see RdbType) */
  rdbType: number;
  /** absolute file offset of the record's first byte (its first prefix opcode or type byte) */
  offset: number;
  /** bytes the record takes in the file, prefix opcodes included */
  size: number;
}

/** One AOF command. */
export interface Command {
  args: Buffer[];
  /** absolute offset of the `*` that starts it */
  offset: number;
  /** absolute offset just past its last CRLF */
  end: number;
  /** 1-based line number of its `*` line, counted as redis-check-aof counts lines */
  line: number;
}
