// RDB constants, named after redis/src/rdb.h (RDB_TYPE_LIST_QUICKLIST_2 -> RdbType.ListQuicklist2).

/** Highest Redis RDB version this build reads (Redis 7.4 - 8.x). */
export const RDB_VERSION_MAX = 12;
/** Valkey 9's RDB version, written with the VALKEY magic. */
export const VALKEY_RDB_VERSION = 80;

export const RdbType = {
  String: 0,
  List: 1,
  Set: 2,
  Zset: 3,
  Hash: 4,
  Zset2: 5,
  ModulePreGa: 6,
  Module2: 7,
  HashZipmap: 9,
  ListZiplist: 10,
  SetIntset: 11,
  ZsetZiplist: 12,
  HashZiplist: 13,
  ListQuicklist: 14,
  StreamListpacks: 15,
  HashListpack: 16,
  ZsetListpack: 17,
  ListQuicklist2: 18,
  StreamListpacks2: 19,
  SetListpack: 20,
  StreamListpacks3: 21,
  HashMetadataPreGa: 22,
  HashListpackExPreGa: 23,
  HashMetadata: 24,
  HashListpackEx: 25,
  /** Valkey 9 (VALKEY magic): hashtable hash with per-field expiry */
  ValkeyHash2: 22,
} as const;

export const RdbOpcode = {
  SlotImport: 243, // Valkey 9; in Redis 8.6+ KEY_META
  SlotInfo: 244,
  Function2: 245,
  FunctionPreGa: 246,
  ModuleAux: 247,
  Idle: 248,
  Freq: 249,
  Aux: 250,
  ResizeDb: 251,
  ExpireTimeMs: 252,
  ExpireTime: 253,
  SelectDb: 254,
  Eof: 255,
} as const;

export const ModuleOpcode = { Eof: 0, Sint: 1, Uint: 2, Float: 3, Double: 4, String: 5 } as const;

/** Quicklist 2 node containers */
export const QuicklistContainer = { Plain: 1, Packed: 2 } as const;

/** Human names of object types, for messages and `info` (valkey: the VALKEY-magic table). */
export function rdbTypeName(type: number, valkey = false): string {
  if (valkey && type === 22) return 'hash-2 (valkey)';
  return TYPE_NAMES[type] ?? `unknown(${type})`;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'string',
  1: 'list',
  2: 'set',
  3: 'zset',
  4: 'hash',
  5: 'zset-2',
  6: 'module-pre-ga',
  7: 'module-2',
  9: 'hash-zipmap',
  10: 'list-ziplist',
  11: 'set-intset',
  12: 'zset-ziplist',
  13: 'hash-ziplist',
  14: 'list-quicklist',
  15: 'stream-listpacks',
  16: 'hash-listpack',
  17: 'zset-listpack',
  18: 'list-quicklist-2',
  19: 'stream-listpacks-2',
  20: 'set-listpack',
  21: 'stream-listpacks-3',
  22: 'hash-metadata-pre-ga',
  23: 'hash-listpack-ex-pre-ga',
  24: 'hash-metadata',
  25: 'hash-listpack-ex',
};

/** The encoding a server would report (OBJECT ENCODING) for a value stored as this RDB type. */
export function rdbTypeEncoding(type: number): string {
  switch (type) {
    case 0:
      return 'string';
    case 1:
    case 14:
    case 18:
      return 'quicklist';
    case 10:
      return 'ziplist';
    case 2:
    case 4:
    case 22:
    case 24:
      return 'hashtable';
    case 3:
    case 5:
      return 'skiplist';
    case 11:
      return 'intset';
    case 9:
      return 'zipmap';
    case 12:
    case 13:
      return 'ziplist';
    case 16:
    case 17:
    case 20:
    case 23:
    case 25:
      return 'listpack';
    case 15:
    case 19:
    case 21:
      return 'stream';
    case 6:
    case 7:
      return 'module';
    default:
      return 'unknown';
  }
}

/** The value type (as the model names it) an RDB object type byte holds. */
export function rdbValueType(type: number): 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module' | 'unknown' {
  switch (type) {
    case 0:
      return 'string';
    case 1:
    case 10:
    case 14:
    case 18:
      return 'list';
    case 2:
    case 11:
    case 20:
      return 'set';
    case 3:
    case 5:
    case 12:
    case 17:
      return 'zset';
    case 4:
    case 9:
    case 13:
    case 16:
    case 22:
    case 23:
    case 24:
    case 25:
      return 'hash';
    case 15:
    case 19:
    case 21:
      return 'stream';
    case 6:
    case 7:
      return 'module';
    default:
      return 'unknown';
  }
}

/**
 * The RDB version whose servers first wrote a type (for the types since RDB 7; the older ones
 * predate the versions worth telling apart). A server that writes an older version refuses
 * the type ("Invalid object type").
 */
const TYPE_SINCE: Record<number, { version: number; redis: string }> = {
  14: { version: 7, redis: '3.2' },
  15: { version: 9, redis: '5.0' },
  16: { version: 10, redis: '7.0' },
  17: { version: 10, redis: '7.0' },
  18: { version: 10, redis: '7.0' },
  19: { version: 10, redis: '7.0' },
  20: { version: 11, redis: '7.2' },
  21: { version: 11, redis: '7.2' },
  22: { version: 12, redis: '7.4' },
  23: { version: 12, redis: '7.4' },
  24: { version: 12, redis: '7.4' },
  25: { version: 12, redis: '7.4' },
};

export function rdbTypeSince(type: number): { version: number; redis: string } | undefined {
  return TYPE_SINCE[type];
}

