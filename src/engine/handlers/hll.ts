// HyperLogLog commands (Redis 7.0 hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG. The
// values are strings holding the server's exact bytes (../hll.ts).
//
// What reaches an AOF: PFADD and PFMERGE when they change something; PFCOUNT of one key when
// it rewrites the cached cardinality (the server counts that as a change and propagates the
// PFCOUNT itself); PFDEBUG GETREG/TODENSE when they convert a sparse HLL to dense. PFCOUNT of
// several keys changes nothing (the union is computed in a scratch register array).

import { ERR, EngineError } from '../errors.js';
import { defineCommand, keyOf, type CommandTable, type Engine, type StringValue } from '../engine.js';
import {
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  cacheValid,
  createHll,
  hllAdd,
  hllEstimate,
  hllHistogram,
  hllMerge,
  hllStoreRegisters,
  invalidateCache,
  isHllString,
  setCachedCard,
  sparseToDense,
} from '../hll.js';

const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';
const CORRUPTED = 'INVALIDOBJ Corrupted HLL object detected';

/** lookup + isHLLObjectOrReply: undefined for a missing key */
function lookupHll(e: Engine, key: Buffer): StringValue | undefined {
  const s = e.lookup(keyOf(key));
  if (s === undefined) return undefined;
  if (s.value.type !== 'string') throw new EngineError(ERR.wrongType);
  if (!isHllString(s.value)) throw new EngineError(NOT_HLL);
  return s.value;
}

function pfaddCommand(e: Engine, a: Buffer[]): void {
  let v = lookupHll(e, a[1]!);
  let updated = 0;
  if (v === undefined) {
    v = createHll();
    e.add(keyOf(a[1]!), v);
    updated++;
  }
  for (let j = 2; j < a.length; j++) {
    const r = hllAdd(v, a[j]!);
    // registers already changed stay changed (the server replies with the error then)
    if (r === -1) throw new EngineError(CORRUPTED);
    if (r === 1) updated++;
  }
  if (updated) invalidateCache(v);
}

function pfcountCommand(e: Engine, a: Buffer[]): void {
  if (a.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < a.length; j++) {
      const v = lookupHll(e, a[j]!);
      if (v === undefined) continue;
      if (!hllMerge(max, v)) throw new EngineError(CORRUPTED);
    }
    return;
  }
  const v = lookupHll(e, a[1]!);
  if (v === undefined || cacheValid(v)) return;
  const { histo, invalid } = hllHistogram(v);
  if (invalid) throw new EngineError(CORRUPTED);
  setCachedCard(v, hllEstimate(histo));
}

function pfmergeCommand(e: Engine, a: Buffer[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < a.length; j++) {
    const v = lookupHll(e, a[j]!);
    if (v === undefined) continue;
    if (v.buf[4] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, v)) throw new EngineError(CORRUPTED);
  }
  const k = keyOf(a[1]!);
  let dst = e.lookup(k)?.value as StringValue | undefined;
  if (dst === undefined) {
    dst = createHll();
    e.add(k, dst);
  }
  if (useDense && !sparseToDense(dst)) throw new EngineError(CORRUPTED);
  hllStoreRegisters(dst, max);
  invalidateCache(dst);
}

function pfdebugCommand(e: Engine, a: Buffer[]): void {
  const sub = a[1]!;
  const s = e.lookup(keyOf(a[2]!));
  if (s === undefined) throw new EngineError('ERR The specified key does not exist');
  const v = lookupHll(e, a[2]!)!;
  const z = sub.indexOf(0);
  const name = (z < 0 ? sub : sub.subarray(0, z)).toString('latin1');
  switch (name.toLowerCase()) {
    case 'getreg':
    case 'todense':
      if (v.buf[4] === HLL_SPARSE && !sparseToDense(v)) throw new EngineError(CORRUPTED);
      return;
    case 'decode':
      if (v.buf[4] !== HLL_SPARSE) throw new EngineError('ERR HLL encoding is not sparse');
      return;
    case 'encoding':
      return;
    default:
      throw new EngineError(`ERR Unknown PFDEBUG subcommand '${name}'`);
  }
}

export function registerHllCommands(t: CommandTable): void {
  defineCommand(t, 'PFADD', -2, pfaddCommand);
  defineCommand(t, 'PFCOUNT', -2, pfcountCommand);
  defineCommand(t, 'PFMERGE', -2, pfmergeCommand);
  defineCommand(t, 'PFDEBUG', 3, pfdebugCommand);
}
