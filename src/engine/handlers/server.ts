// Server and db commands (Redis 7.0 db.c, functions.c, eval.c): SELECT, SWAPDB, FLUSHDB,
// FLUSHALL, FUNCTION LOAD/DELETE/FLUSH/RESTORE (libraries kept as source, never run: DEBUG
// DIGEST does not fold them), SCRIPT LOAD/FLUSH (no effect on data). MULTI/EXEC live in
// Engine.apply.
//
// Not checked, because it needs the Lua code run: that two libraries register functions of the
// same name (Redis refuses the second). A server never logs such a load, so a replay of a
// consistent AOF never meets one.

import { ERR, EngineError } from '../errors.js';
import { addLibrary, defineCommand, defineSubcommand, getInt, isWord, libraryName, type CommandTable, type Engine } from '../engine.js';
import { Crc64 } from '../../codec/crc64.js';
import { Cursor, NEED_MORE } from '../../codec/cursor.js';
import { RdbFrameState, readLen, readString } from '../../codec/rdb-reader.js';
import { RdbOpcode } from '../../codec/rdb-types.js';
import { FormatError } from '../../model/errors.js';

/** getFlushCommandFlags: [ASYNC|SYNC] or nothing */
function flushFlags(a: Buffer[], first: number, err: string): void {
  if (a.length === first + 1 && (isWord(a[first]!, 'SYNC') || isWord(a[first]!, 'ASYNC'))) return;
  if (a.length === first) return;
  throw new EngineError(err);
}

export function registerServerCommands(t: CommandTable): void {
  defineCommand(t, 'SELECT', 2, (e: Engine, a: Buffer[]) => {
    const id = getInt(a[1]!);
    if (id < 0 || id >= e.databases) throw new EngineError(ERR.dbIndexOutOfRange);
    e.select(id);
  });
  defineCommand(t, 'SWAPDB', 3, (e, a) => {
    const x = getInt(a[1]!, 'invalid first DB index');
    const y = getInt(a[2]!, 'invalid second DB index');
    if (x < 0 || x >= e.databases || y < 0 || y >= e.databases) throw new EngineError(ERR.dbIndexOutOfRange);
    if (x !== y) e.swapDbs(x, y);
  });
  defineCommand(t, 'FLUSHDB', -1, (e, a) => {
    flushFlags(a, 1, ERR.syntax);
    e.flush(e.selectedDb);
  });
  defineCommand(t, 'FLUSHALL', -1, (e, a) => {
    flushFlags(a, 1, ERR.syntax);
    e.flush();
  });

  defineSubcommand(t, 'FUNCTION', -2, 'LOAD', -3, (e, a) => {
    let replace = false;
    let pos = 2;
    while (pos < a.length - 1) {
      const arg = a[pos++]!;
      if (isWord(arg, 'REPLACE')) {
        replace = true;
        continue;
      }
      throw new EngineError(`ERR Unknown option given: ${arg.toString('latin1')}`);
    }
    if (pos >= a.length) throw new EngineError('ERR Function code is missing');
    addLibrary(e, a[pos]!, replace);
  });
  defineSubcommand(t, 'FUNCTION', -2, 'DELETE', 3, (e, a) => {
    const name = a[2]!.toString('latin1');
    if (!e.functions.delete(name)) throw new EngineError('ERR Library not found');
  });
  defineSubcommand(t, 'FUNCTION', -2, 'FLUSH', -2, (e, a) => {
    if (a.length > 3) throw new EngineError(ERR.syntax);
    flushFlags(a, 2, 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
    e.functions.clear();
  });

  defineSubcommand(t, 'FUNCTION', -2, 'RESTORE', -3, (e, a) => {
    if (a.length > 4) throw new EngineError("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
    let policy: 'APPEND' | 'REPLACE' | 'FLUSH' = 'APPEND';
    if (a.length === 4) {
      if (isWord(a[3]!, 'APPEND')) policy = 'APPEND';
      else if (isWord(a[3]!, 'REPLACE')) policy = 'REPLACE';
      else if (isWord(a[3]!, 'FLUSH')) policy = 'FLUSH';
      else throw new EngineError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
    const libs = functionsPayload(a[2]!, e.rdbVersion);
    if (policy === 'FLUSH') {
      e.functions.clear();
      for (const [name, code] of libs) e.functions.set(name, code);
      return;
    }
    if (policy === 'APPEND') for (const name of libs.keys()) if (e.functions.has(name)) throw new EngineError(`ERR Library ${name} already exists`);
    for (const [name, code] of libs) e.functions.set(name, code);
  });

  // Scripts are not data: SCRIPT LOAD (the script cache) and SCRIPT FLUSH change nothing the
  // digest or an RDB holds. The script itself is not compiled.
  defineSubcommand(t, 'SCRIPT', -2, 'LOAD', 3, () => {});
  defineSubcommand(t, 'SCRIPT', -2, 'FLUSH', -2, (_e, a) => {
    if (a.length > 3) throw new EngineError(ERR.syntax);
    flushFlags(a, 2, 'ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  });
}

/**
 * The libraries of a FUNCTION DUMP payload (functions.c functionRestoreCommand): FUNCTION2
 * records (or the FUNCTION records of 7.0 release candidates), then the 2-byte RDB version and
 * the CRC-64. Replies as Redis does for a bad payload.
 */
function functionsPayload(p: Buffer, rdbVersion: number): Map<string, Buffer> {
  const n = p.length;
  if (n < 10 || p.readUInt16LE(n - 10) > rdbVersion || !new Crc64().update(p, 0, n - 8).matchesLE(p, n - 8)) {
    throw new EngineError('ERR DUMP payload version or checksum are wrong');
  }
  const st = new RdbFrameState();
  st.headerDone = true;
  st.version = p.readUInt16LE(n - 10);
  st.limit = n - 10;
  const cur = new Cursor(p, 0, n - 10);
  const libs = new Map<string, Buffer>();
  const str = (what: string): Buffer => {
    try {
      return Buffer.from(readString(cur, st));
    } catch (err) {
      if (err === NEED_MORE || err instanceof FormatError) throw new EngineError(`ERR ${what}`);
      throw err;
    }
  };
  while (cur.pos < cur.end) {
    const type = p[cur.pos++]!;
    if (type !== RdbOpcode.Function2 && type !== RdbOpcode.FunctionPreGa) throw new EngineError('ERR given type is not a function');
    let code: Buffer;
    if (type === RdbOpcode.Function2) code = str('Failed loading library payload');
    else {
      // 7.0 rc1/rc2: name, engine, an optional description, the code without its shebang
      const name = str('Failed loading library name');
      const engine = str('Failed loading engine name');
      let hasDesc: number;
      try {
        hasDesc = readLen(cur, st);
      } catch (err) {
        if (err === NEED_MORE || err instanceof FormatError) throw new EngineError('ERR Failed loading library description indicator');
        throw err;
      }
      if (hasDesc) str('Failed loading library description');
      const blob = str('Failed loading library blob');
      code = Buffer.concat([Buffer.from(`#!${engine.toString('latin1')} name=${name.toString('latin1')}\n`, 'latin1'), blob]);
    }
    const name = libraryName(code);
    if (libs.has(name)) throw new EngineError(`ERR Library '${name}' already exists`);
    libs.set(name, code);
  }
  return libs;
}
