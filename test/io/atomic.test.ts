import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AtomicWriter, backupFile, copyDirAtomic, truncateFile, utcStamp } from '../../src/io/atomic.js';
import { RefusedError } from '../../src/model/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'redkit-atomic-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const tempFiles = async (d = dir): Promise<string[]> => (await fsp.readdir(d)).filter((n) => n.includes('.redkit-tmp-'));

describe('AtomicWriter', () => {
  it('writes into a temp file beside the target and renames it on commit', async () => {
    const target = join(dir, 'appendonly.aof');
    await fsp.writeFile(target, 'old content');
    const w = await AtomicWriter.open(target);
    expect(w.tempPath).toMatch(new RegExp(`^${dir}/\\.appendonly\\.aof\\.redkit-tmp-${process.pid}-[0-9a-f]{8}$`));
    await w.write(Buffer.from('new '));
    await w.write(new Uint8Array(Buffer.from('content')));
    expect(w.bytesWritten).toBe(11);
    expect(await fsp.readFile(target, 'utf8')).toBe('old content'); // untouched until commit
    await w.commit();
    expect(await fsp.readFile(target, 'utf8')).toBe('new content');
    expect(await tempFiles()).toEqual([]);
    await w.abort(); // after commit: nothing to do
    expect(await fsp.readFile(target, 'utf8')).toBe('new content');
  });

  it('creates a new target; keeps the permission bits of a replaced one', async () => {
    const fresh = join(dir, 'fresh.aof');
    const w1 = await AtomicWriter.open(fresh);
    await w1.write(Buffer.from('x'));
    await w1.commit();
    expect(await fsp.readFile(fresh, 'utf8')).toBe('x');

    const target = join(dir, 'private.aof');
    await fsp.writeFile(target, 'a');
    await fsp.chmod(target, 0o600);
    const w2 = await AtomicWriter.open(target);
    await w2.write(Buffer.from('b'));
    await w2.commit();
    expect((await fsp.stat(target)).mode & 0o777).toBe(0o600);
  });

  it('writes that are not awaited land in call order; large buffers are written whole', async () => {
    const target = join(dir, 'order.bin');
    const w = await AtomicWriter.open(target);
    const big = Buffer.alloc(3 << 20, 7);
    const parts = [Buffer.from('a'), big, Buffer.from('b'), Buffer.from('c')];
    const pending = parts.map((p) => w.write(p));
    await Promise.all(pending);
    await w.commit();
    expect((await fsp.readFile(target)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('abort removes the temp file, leaves the target alone, and can be repeated', async () => {
    const target = join(dir, 'appendonly.aof');
    await fsp.writeFile(target, 'keep me');
    const w = await AtomicWriter.open(target);
    await w.write(Buffer.from('discard'));
    expect(await tempFiles()).toHaveLength(1);
    await w.abort();
    await w.abort();
    expect(await tempFiles()).toEqual([]);
    expect(await fsp.readFile(target, 'utf8')).toBe('keep me');
    await expect(w.write(Buffer.from('x'))).rejects.toThrow(/aborted/);
    await expect(w.commit()).rejects.toThrow(/aborted/);
  });

  it('a failed commit (rename impossible) aborts and rethrows', async () => {
    const target = join(dir, 'adir');
    const w = await AtomicWriter.open(target);
    await w.write(Buffer.from('data'));
    // the target became a non-empty directory meanwhile: renaming a file over it fails
    await fsp.mkdir(target);
    await fsp.writeFile(join(target, 'inside'), 'x');
    await expect(w.commit()).rejects.toThrow();
    expect(await tempFiles()).toEqual([]);
    expect(await fsp.readFile(join(target, 'inside'), 'utf8')).toBe('x');
    // a directory that is there from the start is refused before anything is written
    await expect(AtomicWriter.open(target)).rejects.toThrow(/is a directory/);
    expect(await tempFiles()).toEqual([]);
  });

  it('a write that fails (file size limit, EFBIG) aborts: no temp file, target untouched', async () => {
    // A child process under `ulimit -f` (Node ignores SIGXFSZ, so the write fails with EFBIG).
    const target = join(dir, 'appendonly.aof');
    await fsp.writeFile(target, 'original');
    const script = join(dir, 'child.ts');
    const atomic = fileURLToPath(new URL('../../src/io/atomic.ts', import.meta.url));
    await fsp.writeFile(
      script,
      `import { AtomicWriter } from ${JSON.stringify(atomic)};
const w = await AtomicWriter.open(process.argv[2]!);
let result: unknown;
try {
  for (let i = 0; i < 64; i++) await w.write(Buffer.alloc(16384, 0x61));
  await w.commit();
  result = { ok: true };
} catch (e) {
  result = { ok: false, code: (e as NodeJS.ErrnoException).code, message: (e as Error).message };
}
try { await w.write(Buffer.from('x')); } catch (e) { (result as { after?: string }).after = (e as Error).message; }
console.log(JSON.stringify(result));
`,
    );
    const viteNode = fileURLToPath(new URL('../../node_modules/.bin/vite-node', import.meta.url));
    const r = spawnSync('bash', ['-c', 'ulimit -f 100 && exec "$0" "$@"', viteNode, script, target], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; code?: string; message?: string; after?: string };
    expect(out.ok).toBe(false);
    expect(out.code).toBe('EFBIG');
    expect(out.message).toMatch(new RegExp(`^cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: EFBIG`));
    expect(out.after).toMatch(/aborted/);
    expect(await tempFiles()).toEqual([]);
    expect(await fsp.readFile(target, 'utf8')).toBe('original');
  });
});

describe('backupFile', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

  it('utcStamp', () => {
    expect(utcStamp(now)).toBe('20240102T030405Z');
  });

  it('copies to <path>.<UTC stamp>.bak and never overwrites a backup', async () => {
    const p = join(dir, 'appendonly.aof.3.incr.aof');
    await fsp.writeFile(p, 'v1');
    const b1 = await backupFile(p, now);
    expect(b1).toBe(`${p}.20240102T030405Z.bak`);
    await fsp.writeFile(p, 'v2');
    const b2 = await backupFile(p, now);
    expect(b2).toBe(`${p}.20240102T030405Z-1.bak`);
    await fsp.writeFile(p, 'v3');
    const b3 = await backupFile(p, now);
    expect(b3).toBe(`${p}.20240102T030405Z-2.bak`);
    expect(await fsp.readFile(b1, 'utf8')).toBe('v1');
    expect(await fsp.readFile(b2, 'utf8')).toBe('v2');
    expect(await fsp.readFile(b3, 'utf8')).toBe('v3');
    expect(await fsp.readFile(p, 'utf8')).toBe('v3');
    expect(await tempFiles()).toEqual([]);
  });

  it('uses the current time by default', async () => {
    const p = join(dir, 'dump.rdb');
    await fsp.writeFile(p, 'x');
    expect(await backupFile(p)).toMatch(/\/dump\.rdb\.\d{8}T\d{6}Z\.bak$/);
  });

  it('a missing source fails and leaves nothing behind', async () => {
    await expect(backupFile(join(dir, 'nope'), now)).rejects.toThrow(/ENOENT/);
    expect(await fsp.readdir(dir)).toEqual([]);
  });
});

describe('truncateFile', () => {
  it('truncates', async () => {
    const p = join(dir, 'a.aof');
    await fsp.writeFile(p, '0123456789');
    await truncateFile(p, 4);
    expect(await fsp.readFile(p, 'utf8')).toBe('0123');
    await truncateFile(p, 4);
    await truncateFile(p, 0);
    expect((await fsp.stat(p)).size).toBe(0);
  });

  it('refuses to make a file longer', async () => {
    const p = join(dir, 'a.aof');
    await fsp.writeFile(p, '0123');
    await expect(truncateFile(p, 5)).rejects.toThrow(RefusedError);
    await expect(truncateFile(p, -1)).rejects.toThrow(RangeError);
    expect(await fsp.readFile(p, 'utf8')).toBe('0123');
  });
});

describe('copyDirAtomic', () => {
  async function makeSrc(): Promise<string> {
    const src = join(dir, 'appendonlydir');
    await fsp.mkdir(src);
    await fsp.writeFile(join(src, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\n');
    await fsp.writeFile(join(src, 'appendonly.aof.1.base.rdb'), 'REDIS0011');
    await fsp.writeFile(join(src, 'appendonly.aof.1.incr.aof'), '*1\r\n$4\r\nPING\r\n');
    return src;
  }

  it('copies a directory', async () => {
    const src = await makeSrc();
    const dest = join(dir, 'repaired');
    await copyDirAtomic(src, dest);
    expect((await fsp.readdir(dest)).sort()).toEqual((await fsp.readdir(src)).sort());
    expect(await fsp.readFile(join(dest, 'appendonly.aof.1.incr.aof'), 'utf8')).toBe('*1\r\n$4\r\nPING\r\n');
    expect(await tempFiles()).toEqual([]);
  });

  it('refuses an existing destination', async () => {
    const src = await makeSrc();
    const dest = join(dir, 'exists');
    await fsp.mkdir(dest);
    await expect(copyDirAtomic(src, dest)).rejects.toThrow(RefusedError);
    expect(await fsp.readdir(dest)).toEqual([]);
  });

  it('prepare() changes the copy before it appears; its failure leaves nothing', async () => {
    const src = await makeSrc();
    const dest = join(dir, 'repaired');
    await copyDirAtomic(src, dest, {
      prepare: async (tmp) => {
        expect(tmp).not.toBe(dest);
        await expect(fsp.stat(dest)).rejects.toThrow(); // not there yet
        await truncateFile(join(tmp, 'appendonly.aof.1.incr.aof'), 4);
      },
    });
    expect(await fsp.readFile(join(dest, 'appendonly.aof.1.incr.aof'), 'utf8')).toBe('*1\r\n');
    expect(await fsp.readFile(join(src, 'appendonly.aof.1.incr.aof'), 'utf8')).toBe('*1\r\n$4\r\nPING\r\n');

    const dest2 = join(dir, 'failed');
    await expect(
      copyDirAtomic(src, dest2, {
        prepare: async () => {
          throw new Error('repair failed');
        },
      }),
    ).rejects.toThrow('repair failed');
    await expect(fsp.stat(dest2)).rejects.toThrow(/ENOENT/);
    expect(await tempFiles()).toEqual([]);
  });
});
