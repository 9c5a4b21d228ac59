// Reading whole RDB images in tests, through the streaming driver, in any feed mode.

import fs from 'node:fs';
import path from 'node:path';
import { RdbStreamReader, type RdbItem } from '../../src/codec/rdb-reader.js';
import { crc64 } from '../../src/codec/crc64.js';
import type { KeyEntry, RedisValue } from '../../src/model/value.js';
import { chunksOf, type FeedMode } from './feed.js';

export function readRdbItems(data: Uint8Array, mode: FeedMode = 'whole', seed = 1, opts: { strict?: boolean } = {}): RdbItem[] {
  const items: RdbItem[] = [];
  const r = new RdbStreamReader((it) => items.push(it), { totalSize: data.length, ...opts });
  for (const c of chunksOf(data, mode, seed)) r.push(c);
  r.finish();
  return items;
}

export function keysOf(items: RdbItem[]): KeyEntry[] {
  return items.flatMap((i) => (i.kind === 'key' ? [i.entry] : []));
}

/** The element count a server reports (STRLEN/LLEN/SCARD/ZCARD/HLEN/XLEN). */
export function valueLength(v: RedisValue): number {
  switch (v.type) {
    case 'string':
      return v.value.length;
    case 'list':
      return v.items.length;
    case 'set':
      return v.members.length;
    case 'zset':
    case 'hash':
      return v.entries.length;
    case 'stream':
      return v.entries.length;
    case 'module':
      return -1;
  }
}

/** A JSON-able picture of items, for comparing reads done different ways. */
export function snapshot(items: RdbItem[]): string {
  return JSON.stringify(items, (_k, val: unknown) => {
    if (typeof val === 'bigint') return `${val}n`;
    if (val && typeof val === 'object' && (val as { type?: string }).type === 'Buffer') {
      return Buffer.from((val as { data: number[] }).data).toString('hex');
    }
    return val;
  });
}

/** Every .rdb file under `dir` (the fixtures), sorted. */
export function listRdbs(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listRdbs(p));
    else if (e.name.endsWith('.rdb')) out.push(p);
  }
  return out.sort();
}

/** An RDB image's bytes with a fresh CRC-64 over `body` (everything but the stored checksum). */
export function withCrc(body: Uint8Array): Buffer {
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, crc]);
}

/** A copy of an RDB whose last SELECTDB (a one-byte length) names `db` instead, CRC fixed. */
export function withLastSelectDb(rdb: Buffer, db: number): Buffer {
  const sel = readRdbItems(rdb).filter((i) => i.kind === 'selectdb').pop() as { offset: number };
  const body = Buffer.from(rdb.subarray(0, rdb.length - 8));
  body[sel.offset + 1] = db;
  return withCrc(body);
}
