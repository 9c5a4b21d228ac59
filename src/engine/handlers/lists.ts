// List commands (Redis 7.0 t_list.c): LPUSH, RPUSH, LPUSHX, RPUSHX, LINSERT, LSET, LREM, LTRIM,
// LPOP, RPOP (with count), RPOPLPUSH, LMOVE, LMPOP, and the blocking forms as the AOF client
// runs them: it may not block (CLIENT_DENY_BLOCKING), so on empty lists they do nothing.
// Elements compare by bytes (listpack compares integers only against canonical decimal text).

import { ERR, EngineError, arityError } from '../errors.js';
import { Deque, LLONG_MAX, defineCommand, getLL, getPositiveLong, getRangeLong, isWord, keyOf, mpopCount, type CommandTable, type Engine, type ListValue } from '../engine.js';
import { timeoutArgMs } from './strings.js';

const HEAD = 0;
const TAIL = 1;

function newList(): ListValue {
  return { type: 'list', items: new Deque() };
}

function push(l: ListValue, v: Buffer, where: number): void {
  if (where === HEAD) l.items.pushFront(v);
  else l.items.pushBack(v);
}

function pop(l: ListValue, where: number): Buffer {
  return (where === HEAD ? l.items.popFront() : l.items.popBack())!;
}

function pushGeneric(e: Engine, a: Buffer[], where: number, xx: boolean): void {
  const k = keyOf(a[1]!);
  let l = e.lookupTyped(k, 'list');
  if (l === undefined) {
    if (xx) return;
    l = newList();
    e.add(k, l);
  }
  for (let j = 2; j < a.length; j++) push(l, a[j]!, where);
}

/** LEFT / RIGHT */
function position(arg: Buffer): number {
  if (isWord(arg, 'RIGHT')) return TAIL;
  if (isWord(arg, 'LEFT')) return HEAD;
  throw new EngineError(ERR.syntax);
}

/** pop `count` elements from one end; the key goes when the list is empty */
function popRange(e: Engine, k: string, l: ListValue, where: number, count: bigint): void {
  const n = count > BigInt(l.items.length) ? l.items.length : Number(count);
  for (let i = 0; i < n; i++) pop(l, where);
  if (l.items.length === 0) e.del(k);
}

function popGeneric(e: Engine, a: Buffer[], where: number): void {
  if (a.length > 3) throw arityError(where === HEAD ? 'lpop' : 'rpop');
  const hascount = a.length === 3;
  const count = hascount ? getPositiveLong(a[2]!) : 0n;
  const k = keyOf(a[1]!);
  const l = e.lookupTyped(k, 'list');
  if (l === undefined) return;
  if (hascount && count === 0n) return;
  popRange(e, k, l, where, hascount ? count : 1n);
}

/** lmoveGenericCommand */
function lmoveGeneric(e: Engine, a: Buffer[], from: number, to: number): void {
  const sk = keyOf(a[1]!);
  const src = e.lookupTyped(sk, 'list');
  if (src === undefined || src.items.length === 0) return;
  const dk = keyOf(a[2]!);
  let dst = e.lookupTyped(dk, 'list');
  const v = pop(src, from);
  if (dst === undefined) {
    dst = newList();
    e.add(dk, dst);
  }
  push(dst, v, to);
  if (src.items.length === 0) e.del(sk);
}

/** blmoveGenericCommand for a client that may not block */
function blmoveGeneric(e: Engine, a: Buffer[], from: number, to: number): void {
  const src = e.lookupTyped(keyOf(a[1]!), 'list');
  if (src === undefined) return;
  lmoveGeneric(e, a, from, to);
}

/** the first non-empty list among the keys (WRONGTYPE stops the search) */
function firstList(e: Engine, keys: Buffer[]): [string, ListValue] | undefined {
  for (const key of keys) {
    const k = keyOf(key);
    const l = e.lookupTyped(k, 'list');
    if (l === undefined || l.items.length === 0) continue;
    return [k, l];
  }
  return undefined;
}

/** lmpopGenericCommand; numkeysIdx 1 (LMPOP) or 2 (BLMPOP, timeout at 1) */
function lmpopGeneric(e: Engine, a: Buffer[], numkeysIdx: number, block: boolean): void {
  const numkeys = getRangeLong(a[numkeysIdx]!, 1n, LLONG_MAX, 'numkeys should be greater than 0');
  const whereIdx = BigInt(numkeysIdx) + numkeys + 1n;
  if (whereIdx >= BigInt(a.length)) throw new EngineError(ERR.syntax);
  const wi = Number(whereIdx);
  const where = position(a[wi]!);
  const count = mpopCount(a, wi + 1);
  if (block) timeoutArgMs(a[1]!);
  const found = firstList(e, a.slice(numkeysIdx + 1, wi));
  if (found) popRange(e, found[0], found[1], where, count);
}

/** BLPOP/BRPOP key [key ...] timeout */
function bpopCommand(e: Engine, a: Buffer[], where: number): void {
  timeoutArgMs(a[a.length - 1]!);
  const found = firstList(e, a.slice(1, a.length - 1));
  if (found) popRange(e, found[0], found[1], where, 1n);
}

function linsertCommand(e: Engine, a: Buffer[]): void {
  let where: number;
  if (isWord(a[2]!, 'AFTER')) where = TAIL;
  else if (isWord(a[2]!, 'BEFORE')) where = HEAD;
  else throw new EngineError(ERR.syntax);
  const l = e.lookupTyped(keyOf(a[1]!), 'list');
  if (l === undefined) return;
  const items = l.items.toArray();
  const pivot = a[3]!;
  const i = items.findIndex((x) => x.equals(pivot));
  if (i < 0) return;
  items.splice(where === HEAD ? i : i + 1, 0, a[4]!);
  l.items.replace(items);
}

function lsetCommand(e: Engine, a: Buffer[]): void {
  const l = e.lookupTyped(keyOf(a[1]!), 'list');
  if (l === undefined) throw new EngineError(ERR.noSuchKey);
  const index = getLL(a[2]!);
  const n = BigInt(l.items.length);
  const i = index < 0n ? n + index : index;
  if (i < 0n || i >= n) throw new EngineError(ERR.indexOutOfRange);
  l.items.set(Number(i), a[3]!);
}

function lremCommand(e: Engine, a: Buffer[]): void {
  let toremove = getLL(a[2]!);
  const k = keyOf(a[1]!);
  const l = e.lookupTyped(k, 'list');
  if (l === undefined) return;
  const items = l.items.toArray();
  const v = a[3]!;
  let removed = 0n;
  const fromTail = toremove < 0n;
  if (fromTail) toremove = -toremove;
  const keep: boolean[] = new Array<boolean>(items.length).fill(true);
  for (let n = 0; n < items.length; n++) {
    const i = fromTail ? items.length - 1 - n : n;
    if (items[i]!.equals(v)) {
      keep[i] = false;
      removed++;
      if (toremove && removed === toremove) break;
    }
  }
  if (removed) l.items.replace(items.filter((_, i) => keep[i]));
  if (l.items.length === 0) e.del(k);
}

function ltrimCommand(e: Engine, a: Buffer[]): void {
  let start = getLL(a[2]!);
  let end = getLL(a[3]!);
  const k = keyOf(a[1]!);
  const l = e.lookupTyped(k, 'list');
  if (l === undefined) return;
  const llen = BigInt(l.items.length);
  if (start < 0n) start = llen + start;
  if (end < 0n) end = llen + end;
  if (start < 0n) start = 0n;
  let ltrim: bigint;
  let rtrim: bigint;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0n;
  } else {
    if (end >= llen) end = llen - 1n;
    ltrim = start;
    rtrim = llen - end - 1n;
  }
  if (ltrim || rtrim) {
    const items = l.items.toArray();
    l.items.replace(items.slice(Number(ltrim), items.length - Number(rtrim)));
  }
  if (l.items.length === 0) e.del(k);
}

export function registerListCommands(t: CommandTable): void {
  defineCommand(t, 'LPUSH', -3, (e, a) => pushGeneric(e, a, HEAD, false));
  defineCommand(t, 'RPUSH', -3, (e, a) => pushGeneric(e, a, TAIL, false));
  defineCommand(t, 'LPUSHX', -3, (e, a) => pushGeneric(e, a, HEAD, true));
  defineCommand(t, 'RPUSHX', -3, (e, a) => pushGeneric(e, a, TAIL, true));
  defineCommand(t, 'LINSERT', 5, linsertCommand);
  defineCommand(t, 'LSET', 4, lsetCommand);
  defineCommand(t, 'LREM', 4, lremCommand);
  defineCommand(t, 'LTRIM', 4, ltrimCommand);
  defineCommand(t, 'LPOP', -2, (e, a) => popGeneric(e, a, HEAD));
  defineCommand(t, 'RPOP', -2, (e, a) => popGeneric(e, a, TAIL));
  defineCommand(t, 'RPOPLPUSH', 3, (e, a) => lmoveGeneric(e, a, TAIL, HEAD));
  defineCommand(t, 'LMOVE', 5, (e, a) => {
    const from = position(a[3]!);
    const to = position(a[4]!);
    lmoveGeneric(e, a, from, to);
  });
  defineCommand(t, 'LMPOP', -4, (e, a) => lmpopGeneric(e, a, 1, false));
  defineCommand(t, 'BLPOP', -3, (e, a) => bpopCommand(e, a, HEAD));
  defineCommand(t, 'BRPOP', -3, (e, a) => bpopCommand(e, a, TAIL));
  defineCommand(t, 'BRPOPLPUSH', 4, (e, a) => {
    timeoutArgMs(a[3]!);
    blmoveGeneric(e, a, TAIL, HEAD);
  });
  defineCommand(t, 'BLMOVE', 6, (e, a) => {
    const from = position(a[3]!);
    const to = position(a[4]!);
    timeoutArgMs(a[5]!);
    blmoveGeneric(e, a, from, to);
  });
  defineCommand(t, 'BLMPOP', -5, (e, a) => lmpopGeneric(e, a, 2, true));
}
