import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as lz4js from 'lz4js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Lz4FrameDecoder, Xxh32, xxh32 } from '../../src/codec/lz4.js';
import { FormatError, InputError, UnsupportedError, UsageError } from '../../src/model/errors.js';
import { DEFAULT_CHUNK_SIZE, openChunks, resolveInput, type InputFile } from '../../src/io/source.js';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(join(tmpdir(), 'redkit-source-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const RDB = Buffer.concat([Buffer.from('REDIS0011\xfa\x09redis-ver\x057.2.4', 'latin1'), randomBytes(100)]);
const VALKEY = Buffer.concat([Buffer.from('VALKEY080\xfa', 'latin1'), randomBytes(50)]);
const RESP = Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');

async function write(name: string, data: Uint8Array | string): Promise<string> {
  const p = join(dir, name);
  await fsp.writeFile(p, data);
  return p;
}

async function readAll(file: InputFile, chunkSize?: number): Promise<{ data: Buffer; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  for await (const c of openChunks(file, chunkSize !== undefined ? { chunkSize } : {})) chunks.push(c);
  return { data: Buffer.concat(chunks), chunks };
}

async function readError(file: InputFile): Promise<Error> {
  try {
    await readAll(file);
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the read to fail');
}

/** Data that compresses to several blocks/members and has some structure. */
function sampleData(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; ) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const run = (x >>> 24) & 63;
    const byte = x & 0xff;
    if (x & 0x100) {
      for (let j = 0; j < run && i < size; j++) out[i++] = byte;
    } else {
      for (let j = 0; j < run && i < size; j++) out[i++] = (byte + j * 7) & 0xff;
    }
  }
  return out;
}

const hasLz4Cli = spawnSync('lz4', ['--version']).status === 0;

describe('resolveInput: single files', () => {
  it('an RDB file', async () => {
    const p = await write('dump.rdb', RDB);
    const r = await resolveInput(p);
    expect(r.kind).toBe('rdb');
    expect(r.display).toBe(p);
    expect(r.problems).toEqual([]);
    expect(r.files).toEqual([
      { path: p, role: 'rdb', format: 'rdb', preamble: false, compression: 'none', size: RDB.length, head: RDB.subarray(0, 16) },
    ]);
  });

  it('a Valkey 9 RDB file', async () => {
    const r = await resolveInput(await write('dump.rdb', VALKEY));
    expect(r.kind).toBe('rdb');
    expect(r.files[0]!.format).toBe('rdb');
  });

  it('an RDB-preamble AOF (name ends with .aof)', async () => {
    const p = await write('appendonly.aof', Buffer.concat([RDB, RESP]));
    const r = await resolveInput(p);
    expect(r.kind).toBe('aof');
    expect(r.files[0]).toMatchObject({ role: 'aof', format: 'rdb', preamble: true, compression: 'none' });
  });

  it('a RESP AOF, with or without #TS annotations', async () => {
    for (const content of [RESP, Buffer.concat([Buffer.from('#TS:1700000000\r\n'), RESP])]) {
      const r = await resolveInput(await write('appendonly.aof', content));
      expect(r.kind).toBe('aof');
      expect(r.files[0]).toMatchObject({ role: 'aof', format: 'aof', preamble: false, size: content.length });
      expect(r.files[0]!.head).toEqual(content.subarray(0, 16));
    }
  });

  it('an empty file is an (empty) AOF, not a manifest', async () => {
    const r = await resolveInput(await write('appendonly.aof', ''));
    expect(r.kind).toBe('aof');
    expect(r.files[0]).toMatchObject({ size: 0, head: Buffer.alloc(0) });
  });

  it('content starting with REDIS is never a manifest, whatever its name', async () => {
    const r = await resolveInput(await write('x.manifest', RDB));
    expect(r.kind).toBe('rdb');
  });

  it('detects compression by magic bytes, not by name', async () => {
    const gz = await resolveInput(await write('dump.rdb', gzipSync(RDB)));
    expect(gz.kind).toBe('rdb');
    expect(gz.files[0]).toMatchObject({ compression: 'gzip', format: 'rdb', size: gzipSync(RDB).length });
    expect(gz.files[0]!.head).toEqual(RDB.subarray(0, 16));

    const lz = await resolveInput(await write('appendonly.aof', lz4js.compress(RESP)));
    expect(lz.files[0]).toMatchObject({ compression: 'lz4', format: 'aof' });
    expect(lz.files[0]!.head).toEqual(RESP.subarray(0, 16));

    const plain = await resolveInput(await write('named.gz', RESP));
    expect(plain.files[0]!.compression).toBe('none');
  });

  it('a compressed preamble AOF keeps its role: appendonly.aof.gz', async () => {
    const r = await resolveInput(await write('appendonly.aof.gz', gzipSync(Buffer.concat([RDB, RESP]))));
    expect(r.kind).toBe('aof');
    expect(r.files[0]).toMatchObject({ role: 'aof', preamble: true, compression: 'gzip' });
    const l = await resolveInput(await write('dump.rdb.lz4', lz4js.compress(RDB)));
    expect(l.kind).toBe('rdb');
  });

  it('a nonexistent path is an InputError naming it and the reason', async () => {
    const p = join(dir, 'nope.aof');
    const e = await resolveInput(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toBe(`Cannot open ${p}: No such file or directory`);
  });

  it('an unreadable path is an InputError with the OS reason', async () => {
    // (a permission test would pass for root, which CI is; a path through a file fails for anyone)
    const f = await write('plain.aof', RESP);
    const p = join(f, 'inside.aof');
    const e = await resolveInput(p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toContain('Not a directory');
  });

  it('a FIFO is read as a stream', async () => {
    const fifo = join(dir, 'pipe');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return;
    const data = sampleData(300_000);
    const ws = createWriteStream(fifo);
    ws.end(gzipSync(data));
    const r = await resolveInput(fifo);
    expect(r.files[0]).toMatchObject({ path: fifo, compression: 'gzip', size: undefined });
    expect((await readAll(r.files[0]!, 65536)).data.equals(data)).toBe(true);
  });
});

describe('resolveInput: directories and manifests', () => {
  async function makeAofDir(manifest: string, files: Record<string, Uint8Array | string>): Promise<string> {
    const d = join(dir, 'appendonlydir');
    await fsp.mkdir(d);
    await fsp.writeFile(join(d, 'appendonly.aof.manifest'), manifest);
    for (const [name, content] of Object.entries(files)) await fsp.writeFile(join(d, name), content);
    return d;
  }

  it('an appendonlydir: base, incrs, history, unlisted and temp files', async () => {
    const m =
      'file appendonly.aof.2.base.rdb seq 2 type b\n' +
      'file appendonly.aof.1.incr.aof seq 1 type h\n' +
      'file appendonly.aof.0.incr.aof seq 9 type h\n' +
      'file appendonly.aof.2.incr.aof seq 2 type i\n' +
      'file appendonly.aof.3.incr.aof seq 3 type i\n';
    const d = await makeAofDir(m, {
      'appendonly.aof.2.base.rdb': RDB,
      'appendonly.aof.1.incr.aof': RESP,
      'appendonly.aof.2.incr.aof': RESP,
      'appendonly.aof.3.incr.aof': gzipSync(RESP),
      'stray.aof': RESP,
      'temp-rewriteaof-bg-123.aof': RESP,
      'appendonly.aof.2.incr.aof.20240102T030405Z-1.bak': RESP,
    });
    const r = await resolveInput(d);
    expect(r.kind).toBe('multipart');
    expect(r.display).toBe(d);
    expect(r.manifestPath).toBe(join(d, 'appendonly.aof.manifest'));
    expect(r.manifest!.incrs).toHaveLength(2);
    expect(r.files.map((f) => [f.path, f.role, f.format, f.preamble, f.compression, f.missing ?? false])).toEqual([
      [join(d, 'appendonly.aof.2.base.rdb'), 'base', 'rdb', true, 'none', false],
      [join(d, 'appendonly.aof.2.incr.aof'), 'incr', 'aof', false, 'none', false],
      [join(d, 'appendonly.aof.3.incr.aof'), 'incr', 'aof', false, 'gzip', false],
      [join(d, 'appendonly.aof.1.incr.aof'), 'history', 'aof', false, 'none', false],
      [join(d, 'appendonly.aof.0.incr.aof'), 'history', 'aof', false, 'none', true],
    ]);
    expect(r.files[0]!.size).toBe(RDB.length);
    expect(r.problems).toEqual([
      { severity: 'warning', file: join(d, 'appendonly.aof.1.incr.aof'), offset: 0, message: 'history file, not checked' },
      {
        severity: 'warning',
        file: join(d, 'appendonly.aof.0.incr.aof'),
        offset: 0,
        message: 'history file, not checked (it no longer exists)',
      },
      {
        severity: 'warning',
        file: join(d, 'appendonly.aof.2.incr.aof.20240102T030405Z-1.bak'),
        offset: 0,
        message: 'not listed in the manifest (a backup made by redkit)',
      },
      { severity: 'warning', file: join(d, 'stray.aof'), offset: 0, message: 'not listed in the manifest' },
      {
        severity: 'warning',
        file: join(d, 'temp-rewriteaof-bg-123.aof'),
        offset: 0,
        message: 'not listed in the manifest (temp-* files are left behind by an interrupted AOF rewrite)',
      },
    ]);
    expect((await readAll(r.files[2]!)).data).toEqual(RESP);
  });

  it('the manifest path itself; names resolve against its directory, not the cwd', async () => {
    const d = await makeAofDir('file a.base.aof seq 1 type b\nfile a.incr.aof seq 1 type i\n', {
      'a.base.aof': RESP,
      'a.incr.aof': '',
    });
    const p = join(d, 'appendonly.aof.manifest');
    const r = await resolveInput(p);
    expect(r.kind).toBe('multipart');
    expect(r.display).toBe(p);
    expect(r.files.map((f) => [f.path, f.role, f.format, f.preamble, f.size])).toEqual([
      [join(d, 'a.base.aof'), 'base', 'aof', false, RESP.length],
      [join(d, 'a.incr.aof'), 'incr', 'aof', false, 0],
    ]);
    expect(r.problems).toEqual([]);
  });

  it("a file whose first non-'#' line starts with \"file\" is a manifest whatever its name", async () => {
    await write('a.aof', RESP);
    const r = await resolveInput(await write('whatever.txt', '# written by hand\nfile a.aof seq 1 type b\n'));
    expect(r.kind).toBe('multipart');
    expect(r.files[0]).toMatchObject({ path: join(dir, 'a.aof'), role: 'base' });
  });

  it('a missing listed file is an error problem at its manifest line', async () => {
    const m = 'file b.rdb seq 1 type b\nfile i1.aof seq 1 type i\nfile i2.aof seq 2 type i\n';
    const d = await makeAofDir(m, { 'b.rdb': RDB, 'i1.aof': RESP });
    const r = await resolveInput(d);
    const manifestPath = join(d, 'appendonly.aof.manifest');
    expect(r.problems).toEqual([
      {
        severity: 'error',
        file: manifestPath,
        offset: m.indexOf('file i2.aof'),
        message: `Cannot open file ${join(d, 'i2.aof')}: No such file or directory (listed at line 3 of the manifest)`,
      },
    ]);
    const missing = r.files[2]!;
    expect(missing).toMatchObject({ role: 'incr', missing: true, size: undefined, format: 'aof' });
    expect(await readError(missing)).toBeInstanceOf(InputError);
  });

  it('manifest errors become error problems with their offset', async () => {
    const m = 'file b.rdb seq 1 type b\nfile b.rdb seq 1 type b\n';
    const d = await makeAofDir(m, { 'b.rdb': RDB });
    const r = await resolveInput(d);
    expect(r.kind).toBe('multipart');
    expect(r.manifest).toBeUndefined();
    expect(r.files).toEqual([]);
    expect(r.problems).toEqual([
      {
        severity: 'error',
        file: join(d, 'appendonly.aof.manifest'),
        offset: 24,
        message: "line 2: Found duplicate base file information: 'file b.rdb seq 1 type b'",
      },
    ]);
  });

  it('an empty .manifest file', async () => {
    const r = await resolveInput(await write('appendonly.aof.manifest', ''));
    expect(r.kind).toBe('multipart');
    expect(r.problems[0]).toMatchObject({ severity: 'error', offset: 0, message: 'Found an empty AOF manifest' });
  });

  it('a manifest listing neither base nor incr gets a warning', async () => {
    const d = await makeAofDir('# nothing\n', {});
    const r = await resolveInput(d);
    expect(r.files).toEqual([]);
    expect(r.problems).toEqual([
      { severity: 'warning', file: join(d, 'appendonly.aof.manifest'), offset: 0, message: 'the AOF manifest lists no BASE and no INCR file' },
    ]);
  });

  it('directories without exactly one manifest are InputErrors', async () => {
    const empty = join(dir, 'empty');
    await fsp.mkdir(empty);
    await expect(resolveInput(empty)).rejects.toThrow(InputError);
    await expect(resolveInput(empty)).rejects.toThrow(/empty/);

    const none = join(dir, 'none');
    await fsp.mkdir(none);
    await fsp.writeFile(join(none, 'x.aof'), RESP);
    await expect(resolveInput(none)).rejects.toThrow(/no AOF manifest/);

    const two = join(dir, 'two');
    await fsp.mkdir(two);
    await fsp.writeFile(join(two, 'a.manifest'), 'file x seq 1 type b\n');
    await fsp.writeFile(join(two, 'b.manifest'), 'file x seq 1 type b\n');
    await expect(resolveInput(two)).rejects.toThrow(/several AOF manifests \(a\.manifest, b\.manifest\)/);

    const onlyTemp = join(dir, 'onlytemp');
    await fsp.mkdir(onlyTemp);
    await fsp.writeFile(join(onlyTemp, 'temp-appendonly.aof.manifest'), 'file x seq 1 type b\n');
    await expect(resolveInput(onlyTemp)).rejects.toThrow(/interrupted rewrite/);
  });

  it('a temp-*.manifest beside the real one is ignored (and reported as unlisted)', async () => {
    const d = await makeAofDir('file b.aof seq 1 type b\n', { 'b.aof': RESP, 'temp-appendonly.aof.manifest': 'junk' });
    const r = await resolveInput(d);
    expect(r.manifestPath).toBe(join(d, 'appendonly.aof.manifest'));
    expect(r.problems.map((p) => p.file)).toEqual([join(d, 'temp-appendonly.aof.manifest')]);
  });
});

describe('openChunks', () => {
  const CHUNK = 1024;
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK - 1, 2 * CHUNK, 2 * CHUNK + 1, 5 * CHUNK + 3]) {
    it(`plain file of ${size} bytes in ${CHUNK}-byte chunks`, async () => {
      const data = randomBytes(size);
      const r = await resolveInput(await write('f.aof', data));
      const { data: got, chunks } = await readAll(r.files[0]!, CHUNK);
      expect(got.equals(data)).toBe(true);
      chunks.slice(0, -1).forEach((c) => expect(c.length).toBe(CHUNK));
      expect(chunks.every((c) => c.length > 0)).toBe(true);
      // Fresh buffers: no two chunks share memory.
      for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.buffer).not.toBe(chunks[i - 1]!.buffer);
    });
  }

  it('the default chunk size is 1 MiB', async () => {
    // 1 MiB rather than 4: the RDB check's peak RSS drops from ~180 to ~120 MB at no speed cost
    expect(DEFAULT_CHUNK_SIZE).toBe(1 << 20);
    const data = randomBytes((1 << 20) + 10);
    const r = await resolveInput(await write('big.aof', data));
    const { data: got, chunks } = await readAll(r.files[0]!);
    expect(chunks.map((c) => c.length)).toEqual([1 << 20, 10]);
    expect(got.equals(data)).toBe(true);
  });

  for (const size of [CHUNK - 1, CHUNK, CHUNK + 1, 100_000]) {
    it(`gzip and lz4 of ${size} bytes re-cut into ${CHUNK}-byte chunks`, async () => {
      const data = sampleData(size, size);
      for (const compressed of [gzipSync(data), lz4js.compress(data)]) {
        const r = await resolveInput(await write('c.aof', compressed));
        const { data: got, chunks } = await readAll(r.files[0]!, CHUNK);
        expect(got.equals(data)).toBe(true);
        chunks.slice(0, -1).forEach((c) => expect(c.length).toBe(CHUNK));
      }
    });
  }

  it('multi-member gzip', async () => {
    const a = sampleData(70_000, 1);
    const b = sampleData(50_000, 2);
    const r = await resolveInput(await write('m.aof.gz', Buffer.concat([gzipSync(a), gzipSync(b)])));
    expect((await readAll(r.files[0]!, 4096)).data.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('lz4js frames with several linked 4 MiB blocks', async () => {
    const data = sampleData(9 << 20, 7);
    const r = await resolveInput(await write('big.aof.lz4', lz4js.compress(data)));
    expect((await readAll(r.files[0]!)).data.equals(data)).toBe(true);
  });

  it('concatenated LZ4 frames and skippable frames', async () => {
    const a = sampleData(10_000, 3);
    const b = sampleData(20_000, 4);
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const r = await resolveInput(await write('x.lz4', Buffer.concat([lz4js.compress(a), skippable, lz4js.compress(b)])));
    expect((await readAll(r.files[0]!, 777)).data.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it.skipIf(!hasLz4Cli)('frames written by the lz4 command line tool (checksums, block sizes, linked blocks)', async () => {
    const data = sampleData(3_000_000, 11);
    const src = await write('plain.bin', data);
    for (const flags of [[], ['-BD'], ['-B4', '-BD', '-BX'], ['-B5', '--content-size', '-BX'], ['-B6', '--no-frame-crc'], ['-9']]) {
      const out = join(dir, 'o.lz4');
      execFileSync('lz4', ['-q', '-f', ...flags, src, out]);
      const r = await resolveInput(out);
      expect(r.files[0]!.compression).toBe('lz4');
      expect((await readAll(r.files[0]!, 65536)).data.equals(data)).toBe(true);
    }
  });

  it.skipIf(process.platform !== 'linux')('stopping early closes the file (plain, gzip, lz4)', async () => {
    const fds = async (): Promise<number> => (await fsp.readdir('/proc/self/fd')).length;
    const data = sampleData(500_000, 21);
    for (const content of [data, gzipSync(data), lz4js.compress(data)]) {
      const r = await resolveInput(await write('early.aof', content));
      const before = await fds();
      for (let i = 0; i < 5; i++) {
        for await (const c of openChunks(r.files[0]!, { chunkSize: 4096 })) {
          void c;
          break;
        }
      }
      await new Promise((res) => setTimeout(res, 50));
      expect(await fds()).toBe(before);
    }
  });

  describe('corrupt and truncated compressed data', () => {
    const data = sampleData(200_000, 5);

    it('truncated gzip: "gzip: unexpected end of compressed data"', async () => {
      const gz = gzipSync(data);
      for (const cut of [3, 11, Math.floor(gz.length / 2), gz.length - 4, gz.length - 1]) {
        const r = await resolveInput(await write('t.aof', gz.subarray(0, cut)));
        const e = await readError(r.files[0]!);
        expect(e).toBeInstanceOf(FormatError);
        expect(e.message).toMatch(/^gzip: unexpected end of compressed data/);
        expect((e as FormatError).offset).toBe(cut);
        expect((e as FormatError).file).toBe(r.files[0]!.path);
      }
    });

    it('a truncated .gz or .lz4 still hands out every byte it could decompress, then fails', async () => {
      const big = sampleData(9_000_000, 9);
      // gzip: one member cut after 60%; lz4: blocks of 4 MiB, the frame cut inside the second
      const gz = gzipSync(big);
      const lz = Buffer.from(lz4js.compress(big));
      for (const [name, bytes] of [['cut.aof.gz', gz.subarray(0, Math.floor(gz.length * 0.6))], ['cut.aof.lz4', lz.subarray(0, Math.floor(lz.length * 0.6))]] as const) {
        const r = await resolveInput(await write(name, bytes));
        const got: Buffer[] = [];
        let err: unknown;
        try {
          for await (const c of openChunks(r.files[0]!, { chunkSize: 1_000_000 })) got.push(c);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FormatError);
        const data = Buffer.concat(got);
        // more than the whole chunks: the partial last one is not held back
        expect(data.length % 1_000_000).not.toBe(0);
        expect(data.length).toBeGreaterThan(4_000_000);
        expect(data.equals(big.subarray(0, data.length))).toBe(true);
      }
    });

    it('zstd, xz, bzip2 and legacy LZ4 (lz4 -l) are named as unsupported compression, not read as a damaged AOF', async () => {
      for (const [magic, what] of [
        [[0x02, 0x21, 0x4c, 0x18], /legacy LZ4/],
        [[0x28, 0xb5, 0x2f, 0xfd], /zstd/],
        [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], /xz/],
        [[0x42, 0x5a, 0x68, 0x39], /bzip2/],
      ] as const) {
        const f = await write('x.rdb.z', Buffer.concat([Buffer.from(magic), Buffer.alloc(64, 7)]));
        const e = await resolveInput(f).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(UnsupportedError);
        expect((e as Error).message).toMatch(what);
        expect((e as Error).message).toMatch(/compression is not supported/);
      }
    });

    it('gzip followed by garbage', async () => {
      const r = await resolveInput(await write('g.aof', Buffer.concat([gzipSync(data), Buffer.from('garbage!')])));
      const e = await readError(r.files[0]!);
      expect(e).toBeInstanceOf(FormatError);
      expect(e.message).toMatch(/^gzip: incorrect header check/);
    });

    it('gzip with a bad CRC', async () => {
      const gz = Buffer.from(gzipSync(data));
      gz[gz.length - 6]! ^= 1;
      const r = await resolveInput(await write('g.aof', gz));
      const e = (await readError(r.files[0]!)) as FormatError;
      expect(e.message).toMatch(/^gzip: incorrect data check \(found within the first \d+ compressed bytes/);
      // zlib does not say where: the offset is how far it had read (it said 0 before)
      expect(e.offset).toBe(gz.length);
    });

    it('truncated lz4: "lz4: unexpected end of compressed data"', async () => {
      const lz = Buffer.from(lz4js.compress(data));
      for (const cut of [5, 6, 7, 9, Math.floor(lz.length / 2), lz.length - 4, lz.length - 1]) {
        const r = await resolveInput(await write('t.aof', lz.subarray(0, cut)));
        const e = await readError(r.files[0]!);
        expect(e).toBeInstanceOf(FormatError);
        expect(e.message).toBe('lz4: unexpected end of compressed data');
        expect((e as FormatError).offset).toBe(cut);
      }
    });

    const lzErr = async (bytes: Uint8Array): Promise<Error> => {
      const r = await resolveInput(await write('bad.lz4', bytes));
      return readError(r.files[0]!);
    };

    it('lz4 header problems', async () => {
      const lz = Buffer.from(lz4js.compress(data));
      const badHc = Buffer.from(lz);
      badHc[6]! ^= 0xff;
      expect((await lzErr(badHc)).message).toBe('lz4: frame descriptor checksum mismatch');
      const badVersion = Buffer.from(lz);
      badVersion[4] = 0x80;
      expect((await lzErr(badVersion)).message).toBe('lz4: unsupported frame version 2');
      const badBd = Buffer.from(lz);
      badBd[5] = 0x30; // block max code 3
      expect((await lzErr(badBd)).message).toMatch(/^lz4: (invalid block maximum size code 3|frame descriptor checksum)/);
    });

    it('lz4 block problems', async () => {
      // A frame built by hand: FLG 0x70 (indep, block checksum), BD 0x40 (64 KiB).
      const frame = (blocks: Buffer[], flg = 0x70): Buffer => {
        const desc = Buffer.from([flg, 0x40]);
        const hc = (xxh32(desc) >>> 8) & 0xff;
        return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([hc]), ...blocks, Buffer.alloc(4)]);
      };
      const u32 = (n: number): Buffer => {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(n >>> 0);
        return b;
      };
      const raw = Buffer.from('hello, world');
      const ok = frame([u32(0x80000000 | raw.length), raw, u32(xxh32(raw))]);
      const r = await resolveInput(await write('ok.lz4', ok));
      expect((await readAll(r.files[0]!)).data.toString()).toBe('hello, world');

      expect((await lzErr(frame([u32(0x80000000 | raw.length), raw, u32(xxh32(raw) ^ 1)]))).message).toBe(
        'lz4: block checksum mismatch',
      );
      expect((await lzErr(frame([u32(0x10001)]))).message).toBe("lz4: block size 65537 exceeds the frame's maximum of 65536");
      // A compressed block whose match points before the start of the data.
      const bad = Buffer.from([0x10, 0x41, 0x05, 0x00]); // 1 literal 'A', match offset 5
      expect((await lzErr(frame([u32(bad.length), bad], 0x60))).message).toMatch(/^lz4: corrupt block: match offset 5 points before/);
      const zeroOff = Buffer.from([0x10, 0x41, 0x00, 0x00]);
      expect((await lzErr(frame([u32(zeroOff.length), zeroOff], 0x60))).message).toBe('lz4: corrupt block: match offset 0');
      const litPast = Buffer.from([0x50, 0x41]); // 5 literals announced, 1 present
      expect((await lzErr(frame([u32(litPast.length), litPast], 0x60))).message).toMatch(/literal run goes past/);
      // Trailing garbage after a valid frame.
      expect((await lzErr(Buffer.concat([ok, Buffer.from('junkjunk')]))).message).toMatch(
        /^lz4: data after the last frame is not an LZ4 frame/,
      );
      // A dictionary-ID frame cannot be decoded.
      const dict = Buffer.from([0x61, 0x40, 1, 2, 3, 4]);
      const withDict = Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), dict, Buffer.from([(xxh32(dict) >>> 8) & 0xff])]);
      expect(await lzErr(withDict)).toBeInstanceOf(UnsupportedError);
    });

    it('lz4 content checksum and content size', async () => {
      // FLG 0x6c: indep, content size, content checksum.
      const raw = Buffer.from('some content');
      const build = (size: number, sum: number): Buffer => {
        const desc = Buffer.alloc(10);
        desc[0] = 0x6c;
        desc[1] = 0x40;
        desc.writeUInt32LE(size, 2);
        const hc = (xxh32(desc) >>> 8) & 0xff;
        const bs = Buffer.alloc(4);
        bs.writeUInt32LE((0x80000000 | raw.length) >>> 0);
        const cs = Buffer.alloc(4);
        cs.writeUInt32LE(sum >>> 0);
        return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), desc, Buffer.from([hc]), bs, raw, Buffer.alloc(4), cs]);
      };
      const r = await resolveInput(await write('ok.lz4', build(raw.length, xxh32(raw))));
      expect((await readAll(r.files[0]!)).data).toEqual(raw);
      expect((await lzErr(build(raw.length, xxh32(raw) + 1))).message).toBe('lz4: content checksum mismatch');
      expect((await lzErr(build(raw.length + 1, xxh32(raw)))).message).toMatch(/^lz4: frame content size is 13 but it decompressed to 12 bytes/);
    });
  });
});

describe('stdin', () => {
  const stdin = (data: Buffer, piece: number): Readable => {
    const parts: Buffer[] = [];
    for (let i = 0; i < data.length; i += piece) parts.push(data.subarray(i, i + piece));
    return Readable.from(parts);
  };

  it('a RESP AOF from stdin, replayed in full; it can be read once', async () => {
    const data = Buffer.concat(Array.from({ length: 500 }, () => RESP));
    const r = await resolveInput('-', { stdin: stdin(data, 1000) });
    expect(r.kind).toBe('aof');
    expect(r.display).toBe('<stdin>');
    expect(r.files[0]).toMatchObject({ path: '-', role: 'aof', format: 'aof', size: undefined, compression: 'none' });
    const { data: got, chunks } = await readAll(r.files[0]!, 4096);
    expect(got.equals(data)).toBe(true);
    chunks.slice(0, -1).forEach((c) => expect(c.length).toBe(4096));
    await expect(readAll(r.files[0]!)).rejects.toThrow(UsageError);
  });

  it('an RDB from stdin in 1-byte pieces', async () => {
    const r = await resolveInput('-', { stdin: stdin(RDB, 1) });
    expect(r.kind).toBe('rdb');
    expect(r.files[0]!.head).toEqual(RDB.subarray(0, 16));
    expect((await readAll(r.files[0]!)).data).toEqual(RDB);
  });

  it('gzip and lz4 from stdin in small pieces', async () => {
    const data = Buffer.concat([RDB, sampleData(300_000, 9)]);
    for (const [c, comp] of [
      ['gzip', gzipSync(data)],
      ['lz4', Buffer.from(lz4js.compress(data))],
    ] as const) {
      const r = await resolveInput('-', { stdin: stdin(comp, 3) });
      expect(r.files[0]).toMatchObject({ compression: c, format: 'rdb' });
      expect(r.kind).toBe('rdb');
      expect((await readAll(r.files[0]!, 65536)).data.equals(data)).toBe(true);
    }
  });

  it('an empty stdin', async () => {
    const r = await resolveInput('-', { stdin: Readable.from([]) });
    expect(r.kind).toBe('aof');
    expect((await readAll(r.files[0]!)).data.length).toBe(0);
  });

  it('a stream that fails while being read is an InputError', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield RESP;
      yield RESP;
      throw Object.assign(new Error('read EIO'), { code: 'EIO' });
    }
    const r = await resolveInput('-', { stdin: Readable.from(failing()) });
    const e = await readError(r.files[0]!);
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe('Cannot read standard input: Input/output error');
  });

  it('a manifest cannot come from stdin', async () => {
    await expect(resolveInput('-', { stdin: stdin(Buffer.from('file a seq 1 type b\n'), 4) })).rejects.toThrow(UsageError);
  });
});

describe('lz4 codec', () => {
  it('xxh32 known values, streaming in any split', () => {
    expect(xxh32(new Uint8Array(0))).toBe(0x02cc5d05);
    expect(xxh32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxh32(Buffer.from('0123456789abcdef'))).toBe(0xc2c45b69);
    const data = sampleData(1000, 3);
    const whole = xxh32(data);
    for (const step of [1, 3, 15, 16, 17, 999]) {
      const h = new Xxh32();
      for (let i = 0; i < data.length; i += step) h.update(data.subarray(i, i + step));
      expect(h.digest()).toBe(whole);
    }
  });

  it('decodes byte by byte and at random splits', () => {
    const data = sampleData(150_000, 13);
    const lz = lz4js.compress(data);
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return 1 + (seed % n);
    };
    for (const split of [() => 1, () => rnd(100), () => rnd(20000)]) {
      const dec = new Lz4FrameDecoder();
      const out: Uint8Array[] = [];
      for (let i = 0; i < lz.length; ) {
        const n = split();
        // A view into a larger buffer (byteOffset != 0).
        const big = new Uint8Array(n + 10);
        big.set(lz.subarray(i, i + n), 5);
        dec.push(big.subarray(5, 5 + Math.min(n, lz.length - i)));
        i += n;
        for (let o = dec.next(); o; o = dec.next()) out.push(o);
      }
      dec.end();
      expect(Buffer.concat(out).equals(data)).toBe(true);
    }
  });
});
