// The engine's stream value: Redis 7.0's stream (t_stream.c, stream.h) rebuilt from its
// behaviour, including the layout of its listpack nodes, because approximate trims
// (MAXLEN ~ / MINID ~) remove whole nodes only.
//
// IDs are one bigint each, (ms << 64) | seq, so that they compare with < and key Maps.
//
// Entries live in nodes as streamAppendItem lays them out with the default
// stream-node-max-entries 100 and stream-node-max-bytes 4096: a new node starts when the
// tail node holds 100 entries (live or deleted) or its listpack bytes plus the new entry's
// field/value bytes reach 4096. Node bytes are computed as listpack.c encodes the elements
// (strings that are canonical int64 become integers). Deleted entries stay in their node as
// tombstones (XDEL, exact trims inside a node); a node goes when its last live entry is
// XDELed or a trim removes it whole.
//
// `layoutExact` says whether the nodes are the server's: true for streams the engine built
// from commands (a loading server rebuilds them from the same XADDs), false for streams
// loaded from RDB data or RESTORE payloads (the server keeps the nodes it read, which the
// model does not carry). Approximate trims whose outcome depends on node boundaries are
// refused on those.

import type { StreamConsumer, StreamGroup, StreamId, StreamPendingEntry, StreamValue as ModelStream } from '../model/value.js';
import { parseInt64Strict } from '../codec/listpack.js';
import { estimateEntriesRead, streamMetadata } from '../codec/rdb-writer.js';

export const U64_MAX = (1n << 64n) - 1n;
/** the largest ID, UINT64_MAX-UINT64_MAX */
export const ID_MAX = (1n << 128n) - 1n;
export const NODE_MAX_ENTRIES = 100;
export const NODE_MAX_BYTES = 4096;
/** STREAM_LISTPACK_MAX_SIZE: the largest total of an entry's fields and values */
export const LISTPACK_MAX_SIZE = 1 << 30;
/** SCG_INVALID_ENTRIES_READ */
export const INVALID_ENTRIES_READ = -1n;

export const makeId = (ms: bigint, seq: bigint): bigint => (ms << 64n) | seq;
export const idMs = (id: bigint): bigint => id >> 64n;
export const idSeq = (id: bigint): bigint => id & U64_MAX;
export const formatId = (id: bigint): string => `${id >> 64n}-${id & U64_MAX}`;
export const toModelId = (id: bigint): StreamId => ({ ms: id >> 64n, seq: id & U64_MAX });
export const fromModelId = (id: StreamId): bigint => makeId(id.ms, id.seq);

// ---------------------------------------------------------------------------------------------
// Listpack element sizes (listpack.c lpEncodeGetType / lpEncodeBacklen)

function intEncLen(v: bigint | number): number {
  const n = typeof v === 'bigint' ? (v >= -2147483648n && v <= 2147483647n ? Number(v) : undefined) : v;
  if (n === undefined) return 9;
  if (n >= 0 && n <= 127) return 1;
  if (n >= -4096 && n <= 4095) return 2;
  if (n >= -32768 && n <= 32767) return 3;
  if (n >= -8388608 && n <= 8388607) return 4;
  if (n >= -2147483648 && n <= 2147483647) return 5;
  return 9;
}

function backlen(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** bytes of an integer element */
function elemInt(v: bigint | number): number {
  const l = intEncLen(v);
  return l + backlen(l);
}

/** bytes of a string element (integer-encoded when it is a canonical int64) */
function elemStr(b: Buffer): number {
  const v = b.length <= 20 ? parseInt64Strict(b) : undefined;
  let l: number;
  if (v !== undefined) l = intEncLen(v);
  else l = b.length < 64 ? 1 + b.length : b.length < 4096 ? 2 + b.length : 5 + b.length;
  return l + backlen(l);
}

// ---------------------------------------------------------------------------------------------
// Values

export interface SEntry {
  id: bigint;
  /** field, value, ... */
  fields: Buffer[];
  deleted: boolean;
}

export interface SNode {
  master: bigint;
  masterFields: Buffer[];
  /** live and deleted entries, ascending ID */
  entries: SEntry[];
  live: number;
  dead: number;
  /** listpack bytes, except the two counter elements (live, dead) */
  rest: number;
}

/** An ordered map ID -> T (a rax keyed by IDs): a sorted key array plus a Map. */
export class IdMap<T> {
  keys: bigint[] = [];
  map = new Map<bigint, T>();
  get size(): number {
    return this.keys.length;
  }
  get(id: bigint): T | undefined {
    return this.map.get(id);
  }
  has(id: bigint): boolean {
    return this.map.has(id);
  }
  /** index of the first key >= id */
  lowerBound(id: bigint): number {
    const k = this.keys;
    let lo = 0;
    let hi = k.length;
    if (hi > 0 && k[hi - 1]! < id) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (k[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  set(id: bigint, v: T): void {
    if (!this.map.has(id)) {
      const k = this.keys;
      if (k.length === 0 || k[k.length - 1]! < id) k.push(id);
      else k.splice(this.lowerBound(id), 0, id);
    }
    this.map.set(id, v);
  }
  delete(id: bigint): boolean {
    if (!this.map.delete(id)) return false;
    this.keys.splice(this.lowerBound(id), 1);
    return true;
  }
}

export interface Nack {
  id: bigint;
  deliveryTime: number;
  deliveryCount: number;
  /** undefined only transiently (XCLAIM FORCE) or in inconsistent loaded data */
  consumer: Consumer | undefined;
}

export interface Consumer {
  name: Buffer;
  seenTime: number;
  /** 7.2+ field, kept as loaded; -1 for consumers the engine creates (7.0 has none) */
  activeTime: number;
  pel: IdMap<Nack>;
}

export interface Group {
  name: Buffer;
  lastId: bigint;
  entriesRead: bigint;
  pel: IdMap<Nack>;
  /** latin1 name -> consumer */
  consumers: Map<string, Consumer>;
}

export interface StreamObj {
  type: 'stream';
  nodes: SNode[];
  length: number;
  lastId: bigint;
  firstId: bigint;
  maxDeletedId: bigint;
  entriesAdded: bigint;
  /** latin1 name -> group */
  groups: Map<string, Group>;
  /** whether the nodes are laid out as the server's (see the top comment) */
  layoutExact: boolean;
  /** the RDB type it was loaded as (21 keeps consumers' active times meaningful) */
  rdbType: number;
}

export function newStream(): StreamObj {
  return { type: 'stream', nodes: [], length: 0, lastId: 0n, firstId: 0n, maxDeletedId: 0n, entriesAdded: 0n, groups: new Map(), layoutExact: true, rdbType: 19 };
}

export const nodeBytes = (n: SNode): number => n.rest + elemInt(n.live) + elemInt(n.dead);

/** Total of the field and value lengths (the size check of streamAppendItem). */
export function fieldsBytes(fields: readonly Buffer[]): number {
  let t = 0;
  for (const b of fields) t += b.length;
  return t;
}

/** Append an entry (the ID already validated), as streamAppendItem lays it out; does not
 * touch the stream's counters. */
function appendRaw(s: StreamObj, id: bigint, fields: Buffer[]): void {
  const nf = fields.length / 2;
  let tail = s.nodes.length > 0 ? s.nodes[s.nodes.length - 1] : undefined;
  if (tail !== undefined && (nodeBytes(tail) + fieldsBytes(fields) >= NODE_MAX_BYTES || tail.live + tail.dead >= NODE_MAX_ENTRIES)) tail = undefined;
  let same: boolean;
  if (tail === undefined) {
    const masterFields: Buffer[] = [];
    let rest = 7 + elemInt(nf) + elemInt(0);
    for (let i = 0; i < nf; i++) {
      masterFields.push(fields[2 * i]!);
      rest += elemStr(fields[2 * i]!);
    }
    tail = { master: id, masterFields, entries: [], live: 0, dead: 0, rest };
    s.nodes.push(tail);
    same = true;
  } else {
    const mf = tail.masterFields;
    same = mf.length === nf;
    for (let i = 0; same && i < nf; i++) same = fields[2 * i]!.equals(mf[i]!);
  }
  const msDelta = BigInt.asIntN(64, idMs(id) - idMs(tail.master));
  const seqDelta = BigInt.asIntN(64, idSeq(id) - idSeq(tail.master));
  let bytes = elemInt(same ? 2 : 0) + elemInt(msDelta) + elemInt(seqDelta);
  if (!same) {
    bytes += elemInt(nf);
    for (let i = 0; i < nf; i++) bytes += elemStr(fields[2 * i]!);
  }
  for (let i = 0; i < nf; i++) bytes += elemStr(fields[2 * i + 1]!);
  bytes += elemInt(same ? nf + 3 : 2 * nf + 4);
  tail.rest += bytes;
  tail.entries.push({ id, fields, deleted: false });
  tail.live++;
}

/** streamAppendItem after the ID checks: add the entry and count it. */
export function streamAppend(s: StreamObj, id: bigint, fields: Buffer[]): void {
  appendRaw(s, id, fields);
  s.length++;
  s.entriesAdded++;
  s.lastId = id;
  if (s.length === 1) s.firstId = id;
}

/** index of the node that would hold `id` (the last whose master ID is <= id), or -1 */
function nodeIndexFor(s: StreamObj, id: bigint): number {
  const ns = s.nodes;
  let lo = 0;
  let hi = ns.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ns[mid]!.master <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** index of the first entry of a node with ID >= id */
function entryLowerBound(n: SNode, id: bigint): number {
  const es = n.entries;
  let lo = 0;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (es[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The live entry with this ID (streamEntryExists), or undefined. */
export function findEntry(s: StreamObj, id: bigint): SEntry | undefined {
  const ni = nodeIndexFor(s, id);
  if (ni < 0) return undefined;
  const n = s.nodes[ni]!;
  const i = entryLowerBound(n, id);
  const e = n.entries[i];
  return e !== undefined && e.id === id && !e.deleted ? e : undefined;
}

/** Live entries with ID >= start, ascending. Do not modify the stream while iterating. */
export function* entriesFrom(s: StreamObj, start: bigint): Generator<SEntry> {
  let ni = Math.max(0, nodeIndexFor(s, start));
  for (; ni < s.nodes.length; ni++) {
    const n = s.nodes[ni]!;
    const es = n.entries;
    for (let i = n.master >= start ? 0 : entryLowerBound(n, start); i < es.length; i++) {
      const e = es[i]!;
      if (!e.deleted) yield e;
    }
  }
}

/** streamGetEdgeID(first): the first (or last) entry, tombstones included or not; when there
 * is none, the maximal ID for first and 0-0 for last. */
export function edgeId(s: StreamObj, first: boolean, skipTombstones: boolean): bigint {
  const ns = s.nodes;
  if (first) {
    for (const n of ns) for (const e of n.entries) if (!skipTombstones || !e.deleted) return e.id;
    return ID_MAX;
  }
  for (let ni = ns.length - 1; ni >= 0; ni--) {
    const es = ns[ni]!.entries;
    for (let i = es.length - 1; i >= 0; i--) if (!skipTombstones || !es[i]!.deleted) return es[i]!.id;
  }
  return 0n;
}

/** streamLastValidID: the last live entry's ID (0-0 when there is none) */
export const lastValidId = (s: StreamObj): bigint => edgeId(s, false, true);

/** streamDeleteItem: mark a live entry deleted (or drop its node when it was the node's last
 * live entry); true if it was there. */
export function deleteEntry(s: StreamObj, id: bigint): boolean {
  const ni = nodeIndexFor(s, id);
  if (ni < 0) return false;
  const n = s.nodes[ni]!;
  const e = n.entries[entryLowerBound(n, id)];
  if (e === undefined || e.id !== id || e.deleted) return false;
  if (n.live === 1) {
    s.nodes.splice(ni, 1);
  } else {
    e.deleted = true;
    n.live--;
    n.dead++;
  }
  s.length--;
  return true;
}

export type TrimStrategy = 'maxlen' | 'minid';

export interface TrimArgs {
  strategy: TrimStrategy;
  /** MAXLEN count, or MINID ID */
  threshold: bigint;
  approx: boolean;
  /** 0 = no limit */
  limit: bigint;
}

/** The entries an exact trim would remove (the approximate one removes a subset of them). */
export function exactTrimCount(s: StreamObj, t: TrimArgs): number {
  if (t.strategy === 'maxlen') return t.threshold >= BigInt(s.length) ? 0 : s.length - Number(t.threshold);
  let n = 0;
  for (const e of entriesFrom(s, 0n)) {
    if (e.id >= t.threshold) break;
    n++;
  }
  return n;
}

/** streamTrim: returns the number of entries removed. */
export function streamTrim(s: StreamObj, t: TrimArgs): number {
  const maxlen = t.strategy === 'maxlen' ? t.threshold : 0n;
  let deleted = 0;
  let removeNodes = 0;
  for (let ni = 0; ni < s.nodes.length; ni++) {
    if (t.strategy === 'maxlen' && BigInt(s.length) <= maxlen) break;
    const n = s.nodes[ni]!;
    const entries = n.live;
    if (t.limit !== 0n && BigInt(deleted + entries) > t.limit) break;
    const removeNode =
      t.strategy === 'maxlen' ? BigInt(s.length - entries) >= maxlen : n.entries[n.entries.length - 1]!.id < t.threshold;
    if (removeNode) {
      removeNodes++;
      s.length -= entries;
      deleted += entries;
      continue;
    }
    if (t.approx) break;
    let fromNode = 0;
    for (const e of n.entries) {
      const stop = t.strategy === 'maxlen' ? BigInt(s.length) <= maxlen : e.id >= t.threshold;
      if (stop) break;
      if (!e.deleted) {
        e.deleted = true;
        fromNode++;
        s.length--;
      }
    }
    n.live -= fromNode;
    n.dead += fromNode;
    deleted += fromNode;
    break;
  }
  if (removeNodes > 0) s.nodes.splice(0, removeNodes);
  if (s.length === 0) s.firstId = 0n;
  else if (deleted > 0) s.firstId = edgeId(s, true, true);
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Consumer-group bookkeeping (streamEstimateDistanceFromFirstEverEntry & co.)

/** streamRangeHasTombstones(start, end = max) */
export function rangeHasTombstones(s: StreamObj, start: bigint): boolean {
  if (s.length === 0 || s.maxDeletedId === 0n) return false;
  if (s.firstId > s.maxDeletedId) return false;
  return start <= s.maxDeletedId;
}

/** streamEstimateDistanceFromFirstEverEntry */
export function estimateDistance(s: StreamObj, id: bigint): bigint {
  if (s.entriesAdded === 0n) return 0n;
  if (s.length === 0 && id <= s.lastId) return s.entriesAdded;
  if (id === s.lastId) return s.entriesAdded;
  if (id > s.lastId) return INVALID_ENTRIES_READ;
  if (s.maxDeletedId === 0n || s.maxDeletedId < s.firstId) {
    if (id < s.firstId) return s.entriesAdded - BigInt(s.length);
    if (id === s.firstId) return s.entriesAdded - BigInt(s.length) + 1n;
  }
  return INVALID_ENTRIES_READ;
}

export function newConsumer(name: Buffer, now: number): Consumer {
  return { name, seenTime: now, activeTime: -1, pel: new IdMap() };
}

// ---------------------------------------------------------------------------------------------
// Conversions

const cmpBuf = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/** The model value (buffers are views into the engine's state). */
export function streamToModel(s: StreamObj): ModelStream {
  const entries = [];
  for (const n of s.nodes) for (const e of n.entries) if (!e.deleted) entries.push({ id: toModelId(e.id), fields: e.fields });
  const groups: StreamGroup[] = [...s.groups.values()]
    .sort((a, b) => cmpBuf(a.name, b.name))
    .map((g) => {
      const pending: StreamPendingEntry[] = g.pel.keys.map((id) => {
        const na = g.pel.get(id)!;
        return { id: toModelId(id), deliveryTime: na.deliveryTime, deliveryCount: na.deliveryCount };
      });
      const consumers: StreamConsumer[] = [...g.consumers.values()]
        .sort((a, b) => cmpBuf(a.name, b.name))
        .map((c) => ({ name: c.name, seenTime: c.seenTime, activeTime: c.activeTime, pending: c.pel.keys.map(toModelId) }));
      return { name: g.name, lastId: toModelId(g.lastId), entriesRead: g.entriesRead, pending, consumers };
    });
  return {
    type: 'stream',
    entries,
    length: s.length,
    lastId: toModelId(s.lastId),
    firstId: toModelId(s.firstId),
    maxDeletedId: toModelId(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    groups,
  };
}

/** The engine value of a model stream (RDB data, RESTORE): the nodes are rebuilt as XADDs
 * would lay them out, which need not be the server's layout (layoutExact false). */
export function streamFromModel(v: ModelStream, rdbType: number, copy: boolean): StreamObj {
  const c = copy ? (b: Buffer) => Buffer.from(b) : (b: Buffer) => b;
  const s = newStream();
  for (const e of v.entries) appendRaw(s, fromModelId(e.id), e.fields.map(c));
  const meta = streamMetadata(v);
  s.length = v.length;
  s.lastId = fromModelId(v.lastId);
  s.firstId = fromModelId(meta.firstId);
  s.maxDeletedId = fromModelId(meta.maxDeletedId);
  s.entriesAdded = meta.entriesAdded;
  s.layoutExact = false;
  s.rdbType = rdbType === 21 ? 21 : 19;
  for (const g of v.groups) {
    const grp: Group = {
      name: c(g.name),
      lastId: fromModelId(g.lastId),
      entriesRead: g.entriesRead ?? estimateEntriesRead(v, g),
      pel: new IdMap(),
      consumers: new Map(),
    };
    for (const p of g.pending) {
      const id = fromModelId(p.id);
      grp.pel.set(id, { id, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount, consumer: undefined });
    }
    for (const cm of g.consumers) {
      const con: Consumer = { name: c(cm.name), seenTime: cm.seenTime, activeTime: cm.activeTime, pel: new IdMap() };
      for (const pid of cm.pending) {
        const id = fromModelId(pid);
        const na = grp.pel.get(id);
        if (na === undefined) continue;
        na.consumer = con;
        con.pel.set(id, na);
      }
      grp.consumers.set(con.name.latin1Slice(0, con.name.length), con);
    }
    s.groups.set(grp.name.latin1Slice(0, grp.name.length), grp);
  }
  return s;
}

/** A deep copy (COPY: streamDup keeps the node layout). */
export function dupStream(s: StreamObj): StreamObj {
  const nodes: SNode[] = s.nodes.map((n) => ({
    master: n.master,
    masterFields: n.masterFields.map((b) => Buffer.from(b)),
    entries: n.entries.map((e) => ({ id: e.id, fields: e.fields.map((b) => Buffer.from(b)), deleted: e.deleted })),
    live: n.live,
    dead: n.dead,
    rest: n.rest,
  }));
  const groups = new Map<string, Group>();
  for (const [k, g] of s.groups) {
    const pel = new IdMap<Nack>();
    const byOld = new Map<Nack, Nack>();
    for (const id of g.pel.keys) {
      const old = g.pel.get(id)!;
      const na: Nack = { id, deliveryTime: old.deliveryTime, deliveryCount: old.deliveryCount, consumer: undefined };
      byOld.set(old, na);
      pel.set(id, na);
    }
    const consumers = new Map<string, Consumer>();
    for (const [ck, oc] of g.consumers) {
      const con: Consumer = { name: Buffer.from(oc.name), seenTime: oc.seenTime, activeTime: oc.activeTime, pel: new IdMap() };
      for (const id of oc.pel.keys) {
        const na = byOld.get(oc.pel.get(id)!);
        if (na === undefined) continue;
        na.consumer = con;
        con.pel.set(id, na);
      }
      consumers.set(ck, con);
    }
    groups.set(k, { name: Buffer.from(g.name), lastId: g.lastId, entriesRead: g.entriesRead, pel, consumers });
  }
  return { ...s, nodes, groups };
}
