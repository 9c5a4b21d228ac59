// The engine's sorted set: a dict (member -> score) plus a skiplist ordered by (score, member
// bytes), with spans for rank queries (O(log n) insert, delete, rank and range lookups), as
// Redis's t_zset.c keeps it. Written from the algorithm's description, not copied.
//
// Redis 7.0 holds small zsets as listpacks and big ones as skiplists; the encoding is not
// visible in replies, but it is in the data: zzlInsertAt stores a score for which double2ll()
// succeeds as a listpack integer, so a -0 score written into a listpack-encoded zset becomes
// 0, while a skiplist keeps -0. `listpack` tracks which encoding the server would use
// (conversions follow t_zset.c: to skiplist when an insert would exceed 128 entries or the
// member is longer than 64 bytes; back to listpack only where Redis converts explicitly).
//
// No imports from engine.ts: both it and the handlers use this module.

import type { ZsetEntry } from '../model/value.js';

/** zset-max-listpack-entries / zset-max-listpack-value (Redis's compiled-in defaults) */
export const ZSET_MAX_LISTPACK_ENTRIES = 128;
export const ZSET_MAX_LISTPACK_VALUE = 64;
/** RDB types: skiplist (ZSET_2) and listpack */
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_ZSET_LISTPACK = 17;
const RDB_SKIPLIST_TYPES = new Set([3, 5]);

const MAX_LEVEL = 32;

export interface ZNode {
  member: Buffer;
  score: number;
  fwd: (ZNode | null)[];
  span: number[];
  back: ZNode | null;
}

/** (score, member) order: score as C compares doubles (-0 == 0), then member bytes (memcmp, then length) */
export function zcmp(s1: number, m1: Buffer, s2: number, m2: Buffer): number {
  if (s1 < s2) return -1;
  if (s1 > s2) return 1;
  return Buffer.compare(m1, m2);
}

const EMPTY = Buffer.alloc(0);

export class ZSkiplist {
  readonly head: ZNode;
  tail: ZNode | null = null;
  length = 0;
  private level = 1;
  private seed = 0x2545f491;

  constructor() {
    this.head = { member: EMPTY, score: 0, fwd: new Array<ZNode | null>(MAX_LEVEL).fill(null), span: new Array<number>(MAX_LEVEL).fill(0), back: null };
  }

  /** levels with p = 1/4 from a fixed-seed xorshift: the shape never changes results */
  private randomLevel(): number {
    let lvl = 1;
    for (;;) {
      let x = this.seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.seed = x >>> 0;
      if ((this.seed & 3) !== 0 || lvl >= MAX_LEVEL) return lvl;
      lvl++;
    }
  }

  /** insert a member that is not in the list */
  insert(score: number, member: Buffer): ZNode {
    const update: ZNode[] = new Array<ZNode>(MAX_LEVEL);
    const rank: number[] = new Array<number>(MAX_LEVEL).fill(0);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let f = x.fwd[i];
      while (f && zcmp(f.score, f.member, score, member) < 0) {
        rank[i]! += x.span[i]!;
        x = f;
        f = x.fwd[i];
      }
      update[i] = x;
    }
    const lvl = this.randomLevel();
    if (lvl > this.level) {
      for (let i = this.level; i < lvl; i++) {
        rank[i] = 0;
        update[i] = this.head;
        this.head.span[i] = this.length;
      }
      this.level = lvl;
    }
    const n: ZNode = { member, score, fwd: new Array<ZNode | null>(lvl).fill(null), span: new Array<number>(lvl).fill(0), back: null };
    for (let i = 0; i < lvl; i++) {
      const u = update[i]!;
      n.fwd[i] = u.fwd[i]!;
      u.fwd[i] = n;
      n.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = lvl; i < this.level; i++) update[i]!.span[i]!++;
    n.back = update[0] === this.head ? null : update[0]!;
    if (n.fwd[0]) n.fwd[0].back = n;
    else this.tail = n;
    this.length++;
    return n;
  }

  /** delete the node holding (score, member); false if absent */
  delete(score: number, member: Buffer): boolean {
    const update: ZNode[] = new Array<ZNode>(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.fwd[i];
      while (f && zcmp(f.score, f.member, score, member) < 0) {
        x = f;
        f = x.fwd[i];
      }
      update[i] = x;
    }
    const n = x.fwd[0];
    if (!n || n.score !== score || !n.member.equals(member)) return false;
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.fwd[i] === n) {
        u.span[i]! += n.span[i]! - 1;
        u.fwd[i] = n.fwd[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (n.fwd[0]) n.fwd[0].back = n.back;
    else this.tail = n.back;
    while (this.level > 1 && this.head.fwd[this.level - 1] === null) this.level--;
    this.length--;
    return true;
  }

  /** the node at a 0-based rank */
  byRank(r: number): ZNode | null {
    if (r < 0 || r >= this.length) return null;
    const want = r + 1;
    let traversed = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.fwd[i] && traversed + x.span[i]! <= want) {
        traversed += x.span[i]!;
        x = x.fwd[i]!;
      }
      if (traversed === want) return x;
    }
    return null;
  }

  /** the first node for which `ge` holds (ge must be monotone along the list) */
  firstWhere(ge: (n: ZNode) => boolean): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.fwd[i] && !ge(x.fwd[i]!)) x = x.fwd[i]!;
    }
    return x.fwd[0] ?? null;
  }

  /** the last node for which `le` holds (le must be monotone, true then false) */
  lastWhere(le: (n: ZNode) => boolean): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.fwd[i] && le(x.fwd[i]!)) x = x.fwd[i]!;
    }
    return x === this.head ? null : x;
  }

  first(): ZNode | null {
    return this.head.fwd[0] ?? null;
  }
}

export interface ZsetValue {
  type: 'zset';
  /** member (latin1) -> score */
  dict: Map<string, number>;
  zsl: ZSkiplist;
  /** the encoding a Redis 7.0 server would hold it in */
  listpack: boolean;
}

export function newZset(listpack: boolean): ZsetValue {
  return { type: 'zset', dict: new Map(), zsl: new ZSkiplist(), listpack };
}

export function zsetLength(z: ZsetValue): number {
  return z.dict.size;
}

/** insert a member known to be absent, applying the encoding rules of zsetAdd */
export function zsetInsertNew(z: ZsetValue, member: Buffer, score: number): void {
  if (z.listpack && (z.dict.size + 1 > ZSET_MAX_LISTPACK_ENTRIES || member.length > ZSET_MAX_LISTPACK_VALUE)) z.listpack = false;
  const s = z.listpack && Object.is(score, -0) ? 0 : score;
  z.dict.set(member.latin1Slice(0, member.length), s);
  z.zsl.insert(s, member);
}

/** change the score of a present member (zzlDelete + zzlInsert, or a skiplist update) */
export function zsetUpdate(z: ZsetValue, member: Buffer, key: string, cur: number, score: number): void {
  const s = z.listpack && Object.is(score, -0) ? 0 : score;
  z.zsl.delete(cur, member);
  z.zsl.insert(s, member);
  z.dict.set(key, s);
}

/** remove a member; true if it was there */
export function zsetRemove(z: ZsetValue, member: Buffer): boolean {
  const k = member.latin1Slice(0, member.length);
  const cur = z.dict.get(k);
  if (cur === undefined) return false;
  z.dict.delete(k);
  z.zsl.delete(cur, member);
  return true;
}

/** zsetConvert(..., LISTPACK): every score goes through zzlInsertAt (-0 becomes 0) */
export function zsetToListpack(z: ZsetValue): ZsetValue {
  if (z.listpack) return z;
  const out = newZset(true);
  for (let n = z.zsl.first(); n; n = n.fwd[0]!) {
    const s = Object.is(n.score, -0) ? 0 : n.score;
    out.dict.set(n.member.latin1Slice(0, n.member.length), s);
    out.zsl.insert(s, n.member);
  }
  return out;
}

/** zsetConvertToListpackIfNeeded: small enough (entries and longest member) -> listpack */
export function zsetMaybeListpack(z: ZsetValue): ZsetValue {
  if (z.listpack || z.dict.size > ZSET_MAX_LISTPACK_ENTRIES) return z;
  for (let n = z.zsl.first(); n; n = n.fwd[0]!) if (n.member.length > ZSET_MAX_LISTPACK_VALUE) return z;
  return zsetToListpack(z);
}

export function zsetEntries(z: ZsetValue): ZsetEntry[] {
  const out: ZsetEntry[] = [];
  for (let n = z.zsl.first(); n; n = n.fwd[0]!) out.push({ member: n.member, score: n.score });
  return out;
}

/** The RDB type the digest rules need: listpack (17) when ≤128 members each ≤64 bytes (the
 * scores are then digested as held), else skiplist (5). */
export function zsetRdbType(z: ZsetValue): number {
  if (z.dict.size > ZSET_MAX_LISTPACK_ENTRIES) return RDB_TYPE_ZSET_2;
  for (const k of z.dict.keys()) if (k.length > ZSET_MAX_LISTPACK_VALUE) return RDB_TYPE_ZSET_2;
  return RDB_TYPE_ZSET_LISTPACK;
}

export function dupZset(z: ZsetValue): ZsetValue {
  const out = newZset(z.listpack);
  for (let n = z.zsl.first(); n; n = n.fwd[0]!) {
    const m = Buffer.from(n.member);
    out.dict.set(m.latin1Slice(0, m.length), n.score);
    out.zsl.insert(n.score, m);
  }
  return out;
}

/** A zset as rdbLoadObject builds it: skiplist types become listpacks when small enough
 * (through zzlInsertAt: -0 becomes 0); listpack/ziplist types keep their scores and become
 * skiplists beyond 128 entries. Duplicate members: the last one wins. */
export function zsetFromEntries(entries: ZsetEntry[], rdbType: number, copy: boolean): ZsetValue {
  const skiplistType = RDB_SKIPLIST_TYPES.has(rdbType);
  const z = newZset(false);
  let maxlen = 0;
  for (const e of entries) {
    const m = copy ? Buffer.from(e.member) : e.member;
    const k = m.latin1Slice(0, m.length);
    const cur = z.dict.get(k);
    if (cur !== undefined) z.zsl.delete(cur, m);
    z.dict.set(k, e.score);
    z.zsl.insert(e.score, m);
    if (m.length > maxlen) maxlen = m.length;
  }
  if (skiplistType) {
    if (z.dict.size <= ZSET_MAX_LISTPACK_ENTRIES && maxlen <= ZSET_MAX_LISTPACK_VALUE) return zsetToListpack(z);
    return z;
  }
  z.listpack = z.dict.size <= ZSET_MAX_LISTPACK_ENTRIES;
  return z;
}
