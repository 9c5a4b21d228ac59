// Hash commands (Redis 7.0 t_hash.c): HSET, HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT.
//
// Hash field TTLs (Redis 7.4+: HEXPIRE & co., and 8.0's HSETEX/HGETEX/HGETDEL) change what
// HSET and friends do to a field's TTL and expire fields on their own: until the engine models
// them, those commands are refused, and so is any hash command on a hash that holds field
// TTLs (loaded from a 7.4+ RDB).

import { EngineError, UnknownCommandError, UnsupportedCommandError, arityError } from '../errors.js';
import { LLONG_MAX, defineCommand, getLL, keyOf, llBuf, parseLL, type CommandTable, type Engine, type HashValue } from '../engine.js';
import { formatLongDoubleHuman, ldAdd, ldIsFinite, parseLongDouble } from './strings.js';

/** hashTypeLookupWriteOrCreate */
function lookupOrCreate(e: Engine, key: Buffer): HashValue {
  const k = keyOf(key);
  let h = e.lookupTyped(k, 'hash');
  if (h === undefined) {
    h = { type: 'hash', fields: new Map(), ttl: undefined };
    e.add(k, h);
  }
  checkNoFieldTtl(h);
  return h;
}

function checkNoFieldTtl(h: HashValue): void {
  if (h.ttl !== undefined && h.ttl.size > 0) {
    throw new UnsupportedCommandError('the hash has fields with a TTL (Redis 7.4+): hash commands on such hashes are not supported by the engine yet');
  }
}

const FIELD_TTL_COMMANDS = ['HEXPIRE', 'HPEXPIRE', 'HEXPIREAT', 'HPEXPIREAT', 'HPERSIST', 'HSETEX', 'HGETEX', 'HGETDEL', 'HSETF', 'HGETF'];

export function registerHashCommands(t: CommandTable): void {
  const hset = (name: string) => (e: Engine, a: Buffer[]) => {
    if (a.length % 2 === 1) throw arityError(name);
    const h = lookupOrCreate(e, a[1]!);
    for (let j = 2; j < a.length; j += 2) h.fields.set(keyOf(a[j]!), a[j + 1]!);
  };
  defineCommand(t, 'HSET', -4, hset('hset'));
  defineCommand(t, 'HMSET', -4, hset('hmset'));
  defineCommand(t, 'HSETNX', 4, (e, a) => {
    const h = lookupOrCreate(e, a[1]!);
    const f = keyOf(a[2]!);
    if (!h.fields.has(f)) h.fields.set(f, a[3]!);
  });
  defineCommand(t, 'HDEL', -3, (e, a) => {
    const k = keyOf(a[1]!);
    const h = e.lookupTyped(k, 'hash');
    if (h === undefined) return;
    checkNoFieldTtl(h);
    for (let j = 2; j < a.length; j++) {
      if (h.fields.delete(keyOf(a[j]!)) && h.fields.size === 0) {
        e.del(k);
        break;
      }
    }
  });
  defineCommand(t, 'HINCRBY', 4, (e, a) => {
    const incr = getLL(a[3]!);
    const h = lookupOrCreate(e, a[1]!);
    const f = keyOf(a[2]!);
    const cur = h.fields.get(f);
    let old = 0n;
    if (cur !== undefined) {
      const v = parseLL(cur);
      if (v === undefined) throw new EngineError('ERR hash value is not an integer');
      old = v;
    }
    if ((incr < 0n && old < 0n && incr < -(1n << 63n) - old) || (incr > 0n && old > 0n && incr > LLONG_MAX - old)) {
      throw new EngineError('ERR increment or decrement would overflow');
    }
    h.fields.set(f, llBuf(old + incr));
  });
  defineCommand(t, 'HINCRBYFLOAT', 4, (e, a) => {
    const incr = parseLongDouble(a[3]!);
    if (incr === undefined) throw new EngineError('ERR value is not a valid float');
    if (!ldIsFinite(incr)) throw new EngineError('ERR value is NaN or Infinity');
    const h = lookupOrCreate(e, a[1]!);
    const f = keyOf(a[2]!);
    const cur = h.fields.get(f);
    let value = parseLongDouble(Buffer.from('0'))!;
    if (cur !== undefined) {
      const v = parseLongDouble(cur);
      if (v === undefined) throw new EngineError('ERR hash value is not a float');
      value = v;
    }
    const r = ldAdd(value, incr);
    if (!ldIsFinite(r)) throw new EngineError('ERR increment would produce NaN or Infinity');
    h.fields.set(f, Buffer.from(formatLongDoubleHuman(r), 'latin1'));
  });
  for (const name of FIELD_TTL_COMMANDS) {
    defineCommand(t, name, -1, () => {
      throw new UnknownCommandError(`${name}: hash field TTL commands (Redis 7.4+) are not supported by the engine yet`, name);
    });
  }
}
