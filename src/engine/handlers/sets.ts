// Set commands (Redis 7.0 t_set.c): SADD, SREM, SMOVE, SPOP, SINTERSTORE, SUNIONSTORE,
// SDIFFSTORE. Members compare by bytes (an intset holds only canonical decimal integers).
//
// SPOP picks random members. Redis 3.2+ never logs it: it propagates the SREMs (or a DEL) of
// what it popped. Replaying a verbatim SPOP is exact only when the result does not depend on
// the choice (the whole set is popped, count 0, a missing key); otherwise it is refused.

import { ERR, EngineError, UnsupportedCommandError } from '../errors.js';
import { defineCommand, getPositiveLong, keyOf, type CommandTable, type Engine, type SetValue } from '../engine.js';

function newSet(): SetValue {
  return { type: 'set', members: new Set() };
}

/** store a computed set at dst (setKey: the TTL goes), or delete dst when it is empty */
function store(e: Engine, dst: string, members: Set<string>): void {
  if (members.size > 0) e.setKey(dst, { type: 'set', members }, false);
  else e.del(dst);
}

function lookupSets(e: Engine, a: Buffer[], from: number): (SetValue | undefined)[] {
  const out: (SetValue | undefined)[] = [];
  for (let j = from; j < a.length; j++) out.push(e.lookupTyped(keyOf(a[j]!), 'set'));
  return out;
}

function spopCommand(e: Engine, a: Buffer[]): void {
  if (a.length > 3) throw new EngineError(ERR.syntax);
  const withCount = a.length === 3;
  const count = withCount ? getPositiveLong(a[2]!) : 1n;
  const k = keyOf(a[1]!);
  const s = e.lookupTyped(k, 'set');
  if (s === undefined) return;
  if (withCount && count === 0n) return;
  if (count >= BigInt(s.members.size)) {
    e.del(k);
    return;
  }
  throw new UnsupportedCommandError(
    `SPOP of ${withCount ? count : 1} of the ${s.members.size} members picks them at random: a replay cannot know which ones the server removed (Redis 3.2+ logs the SREM of the popped members instead)`,
  );
}

export function registerSetCommands(t: CommandTable): void {
  defineCommand(t, 'SADD', -3, (e, a) => {
    const k = keyOf(a[1]!);
    let s = e.lookupTyped(k, 'set');
    if (s === undefined) {
      s = newSet();
      e.add(k, s);
    }
    for (let j = 2; j < a.length; j++) s.members.add(keyOf(a[j]!));
  });
  defineCommand(t, 'SREM', -3, (e, a) => {
    const k = keyOf(a[1]!);
    const s = e.lookupTyped(k, 'set');
    if (s === undefined) return;
    for (let j = 2; j < a.length; j++) {
      if (s.members.delete(keyOf(a[j]!)) && s.members.size === 0) {
        e.del(k);
        break;
      }
    }
  });
  defineCommand(t, 'SMOVE', 4, (e, a) => {
    const sk = keyOf(a[1]!);
    const dk = keyOf(a[2]!);
    const srcSlot = e.lookup(sk);
    const dstSlot = e.lookup(dk);
    if (srcSlot === undefined) return;
    if (srcSlot.value.type !== 'set' || (dstSlot !== undefined && dstSlot.value.type !== 'set')) throw new EngineError(ERR.wrongType);
    if (sk === dk) return;
    const m = keyOf(a[3]!);
    const src = srcSlot.value;
    if (!src.members.delete(m)) return;
    if (src.members.size === 0) e.del(sk);
    let dst = dstSlot?.value as SetValue | undefined;
    if (dst === undefined) {
      dst = newSet();
      e.add(dk, dst);
    }
    dst.members.add(m);
  });
  defineCommand(t, 'SPOP', -2, spopCommand);
  defineCommand(t, 'SINTERSTORE', -3, (e, a) => {
    const sets = lookupSets(e, a, 2);
    const dst = keyOf(a[1]!);
    if (sets.some((s) => s === undefined)) {
      e.del(dst);
      return;
    }
    const sorted = (sets as SetValue[]).slice().sort((x, y) => x.members.size - y.members.size);
    const out = new Set<string>();
    for (const m of sorted[0]!.members) if (sorted.every((s) => s.members.has(m))) out.add(m);
    store(e, dst, out);
  });
  defineCommand(t, 'SUNIONSTORE', -3, (e, a) => {
    const sets = lookupSets(e, a, 2);
    const out = new Set<string>();
    for (const s of sets) if (s) for (const m of s.members) out.add(m);
    store(e, keyOf(a[1]!), out);
  });
  defineCommand(t, 'SDIFFSTORE', -3, (e, a) => {
    const sets = lookupSets(e, a, 2);
    const out = new Set<string>();
    const first = sets[0];
    if (first) {
      for (const m of first.members) if (!sets.some((s, i) => i > 0 && s !== undefined && s.members.has(m))) out.add(m);
    }
    store(e, keyOf(a[1]!), out);
  });
}
