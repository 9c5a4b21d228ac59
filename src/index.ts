// redkit as a library: the codec readers and writers, the I/O helpers, and the model types.

export * from './model/index.js';
export { Crc64, crc64 } from './codec/crc64.js';
export { lzfCompress, lzfDecompress } from './codec/lzf.js';
export { decodeListpack, decodeListpackEntries, encodeListpack, entryToBuffer, type LpEntry } from './codec/listpack.js';
export { decodeZiplist, decodeZiplistEntries, encodeZiplist } from './codec/ziplist.js';
export { decodeIntset, encodeIntset } from './codec/intset.js';
export { decodeZipmap } from './codec/zipmap.js';
export { RdbStreamReader, readRdbItem, RdbFrameState, type RdbItem, type RdbEof, type RdbHeader, type RdbReadOptions } from './codec/rdb-reader.js';
export { RdbType, RdbOpcode, RDB_VERSION_MAX, VALKEY_RDB_VERSION, rdbTypeName, rdbTypeEncoding } from './codec/rdb-types.js';
export { RespStreamReader, RespRecord, type RespVisitor, type RespScanResult, type RespProblem } from './codec/resp.js';
export { encodeCommand, RespWriter } from './codec/resp-writer.js';
export { RdbWriter, writeLength, writeString, type RdbWriterOptions, type RdbHeaderAux } from './codec/rdb-writer.js';
export { encodeDump, decodeDump, type DecodedDump } from './codec/dump.js';
export { entryToCommands, formatScore, ITEMS_PER_COMMAND } from './convert/entry-to-commands.js';
export { entryToJsonObject, entryToJsonLine, bytesToJson } from './convert/json.js';
export { globMatch } from './convert/glob.js';
export { DatasetDigest, digestValue, resolveCompat } from './engine/digest.js';
export { Engine } from './engine/engine.js';
export { EngineError, UnknownCommandError, UnsupportedCommandError } from './engine/errors.js';
export { ReplyParser, ReplyError, type Reply } from './codec/resp-reply.js';
export { parseManifest, formatManifest, splitArgs, type Manifest, type ManifestEntry } from './codec/manifest.js';
export { commandSpec, arityOk } from './codec/commands-table.js';
export { resolveInput, openChunks, type InputFile, type ResolvedInput, type Compression } from './io/source.js';
export { scanInput, type ScanVisitor, type FileScanResult } from './io/scan.js';
export { RedisClient } from './io/redis-client.js';
export { VERSION } from './version.js';
