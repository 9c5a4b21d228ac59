// convert's fast path and check let the scanner read into buffers the RDB reader has moved
// past, and the reader join chunks into buffers it joined chunks into before
// (ScanOptions.itemsNotKept). A buffer reused too early would change bytes the reader still
// holds: the items and their raw bytes must be exactly those of a scan without reuse.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RdbWriter } from '../../src/codec/rdb-writer.js';
import { Crc64 } from '../../src/codec/crc64.js';
import { carryStats } from '../../src/codec/carry.js';
import { readBuffers, resolveInput } from '../../src/io/source.js';
import { scanInput } from '../../src/io/scan.js';
import { mulberry32 } from '../helpers/codec.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/redkit');

function sizedRdb(): Buffer {
  const rand = mulberry32(4242);
  const w = new RdbWriter({ version: 10 });
  w.header();
  const parts: Buffer[] = [w.take()];
  for (let db = 0; db < 2; db++) {
    w.selectDb(db);
    for (let i = 0; i < 1500; i++) {
      // sizes from a few bytes to several chunks; random bytes so LZF leaves most as they are
      const r = rand();
      const n = r < 0.8 ? (rand() * 300) | 0 : r < 0.98 ? (rand() * 5000) | 0 : 9000 + ((rand() * 20000) | 0);
      const value = crypto.createHash('sha256').update(`${db}:${i}`).digest();
      const big = Buffer.alloc(n);
      for (let k = 0; k < n; k++) big[k] = value[k % 32]! ^ ((rand() * 256) | 0);
      const v = i % 5 === 0 ? { type: 'list' as const, items: [big, Buffer.from('x'), big.subarray(0, n >> 1)] } : { type: 'string' as const, value: big };
      w.key({ key: Buffer.from(`k:${db}:${i}`), value: v, expireMs: i % 7 === 0 ? 4_000_000_000_000 + i : -1 });
      parts.push(w.take());
    }
  }
  w.end();
  parts.push(w.take());
  return Buffer.concat(parts);
}

async function items(file: string, itemsNotKept: boolean): Promise<string[]> {
  const out: string[] = [];
  const src = await resolveInput(file);
  const results = await scanInput(
    src,
    {
      rdbItem: (item, _f, raw) => {
        if (item.kind !== 'key') return;
        out.push(`${item.entry.db} ${item.entry.offset} ${item.entry.size} ${item.entry.expireMs} ${crypto.createHash('sha1').update(raw()).digest('hex')}`);
      },
    },
    { validateOnly: true, parallelCrc: false, itemsNotKept, chunkSize: 4096, afterChunk: () => new Promise((r) => setImmediate(r)) },
  );
  expect(results[0]!.rdb?.error).toBeUndefined();
  expect(results[0]!.rdb?.checksum).toBe('ok');
  return out;
}

describe('scanning an RDB into reused read buffers', () => {
  it('gives the same items and bytes as fresh buffers, and does reuse them', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-recycle-'));
    const f = path.join(dir, 'sized.rdb');
    const bytes = sizedRdb();
    fs.writeFileSync(f, bytes);
    expect(bytes.length).toBeGreaterThan(200 * 4096);
    const joinsBefore = carryStats.reused;
    const fresh = await items(f, false);
    expect(carryStats.reused).toBe(joinsBefore);
    const before = readBuffers.reused;
    const reused = await items(f, true);
    expect(readBuffers.reused - before).toBeGreaterThan(100);
    // records of up to 29 KB across 4 KB chunks: joined, and into reused buffers
    expect(carryStats.reused - joinsBefore).toBeGreaterThan(100);
    expect(reused.length).toBe(3000);
    expect(reused).toEqual(fresh);
  });

  it('check (built, with the CRC thread and 1 MiB buffers reused) and convert agree with the data', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redkit-recycle-cli-'));
    // ~24 MB: many chunks, records across their boundaries
    const one = sizedRdb();
    const w = new RdbWriter({ version: 10 });
    w.header();
    const parts: Buffer[] = [w.take()];
    const body = one.subarray(parts[0]!.length, one.length - 9); // keys of the small file, without EOF and CRC
    for (let i = 0; i < 20; i++) parts.push(Buffer.from(body.toString('latin1').replaceAll('k:', `${String.fromCharCode(97 + i)}:`), 'latin1'));
    w.end();
    const withEnd = Buffer.concat([...parts, w.take()]);
    // the writer's checksum covers only what it wrote: recompute over the whole file
    const f = path.join(dir, 'big.rdb');
    const good = fixCrc(withEnd);
    fs.writeFileSync(f, good);
    expect(good.length).toBeGreaterThan(20 << 20);
    const env = { ...process.env, NO_COLOR: '1', REDKIT_PARALLEL_CRC_MIN: '0' };
    const ok = spawnSync(process.execPath, [BIN, 'check', '--no-progress', '--json', f], { env, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).stats.keys).toBe(3000 * 20);
    // one byte changed near the end: the checksum must catch it
    const bad = Buffer.from(good);
    bad[bad.length - 5000] ^= 0x20;
    const fb = path.join(dir, 'bad.rdb');
    fs.writeFileSync(fb, bad);
    const no = spawnSync(process.execPath, [BIN, 'check', '--no-progress', fb], { env, encoding: 'utf8' });
    expect(no.status).toBe(1);
    const conv = spawnSync(process.execPath, [BIN, 'convert', '--no-progress', f, path.join(dir, 'out.aof')], { env, encoding: 'utf8' });
    expect(conv.status, conv.stderr).toBe(0);
  });
});

function fixCrc(b: Buffer): Buffer {
  const out = Buffer.from(b);
  const c = new Crc64();
  c.update(out, 0, out.length - 8);
  c.writeLE(out, out.length - 8);
  return out;
}
