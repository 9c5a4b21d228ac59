// Server and db commands (Redis 7.0 db.c, functions.c, eval.c): SELECT, SWAPDB, FLUSHDB,
// FLUSHALL, FUNCTION LOAD/DELETE/FLUSH (libraries kept as source, never run: DEBUG DIGEST does
// not fold them), SCRIPT LOAD/FLUSH (no effect on data). MULTI/EXEC live in Engine.apply.

import { ERR, EngineError } from '../errors.js';
import { addLibrary, defineCommand, defineSubcommand, getInt, isWord, type CommandTable, type Engine } from '../engine.js';

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

  // Scripts are not data: SCRIPT LOAD (the script cache) and SCRIPT FLUSH change nothing the
  // digest or an RDB holds. The script itself is not compiled.
  defineSubcommand(t, 'SCRIPT', -2, 'LOAD', 3, () => {});
  defineSubcommand(t, 'SCRIPT', -2, 'FLUSH', -2, (_e, a) => {
    if (a.length > 3) throw new EngineError(ERR.syntax);
    flushFlags(a, 2, 'ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  });
}
