// Safe writes for the repair commands: nothing an error path leaves behind is half-written.
// New content goes to a temp file in the target's directory, is fsynced, renamed over the
// target, and the directory is fsynced so that the rename itself survives a crash.

import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RefusedError, UsageError, outputError } from '../model/errors.js';
import { removeOnInterrupt, settled } from './interrupt.js';

function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.redkit-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so that renames and new entries in it are durable. Some platforms and
 * file systems cannot fsync directories; that is not an error worth failing a repair for. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fsc.O_RDONLY);
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

async function unlinkQuiet(path: string): Promise<void> {
  await fsp.unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/**
 * Writes a file atomically: `open()` creates `.<name>.redkit-tmp-<pid>-<rand>` beside the
 * target (with the target's permission bits when it exists), `write()` appends, `commit()`
 * fsyncs, renames over the target and fsyncs the directory; `abort()` removes the temp file.
 * A failed write or commit aborts before rethrowing, so the temp file never stays behind and
 * the target is untouched. A symlink's target is what gets replaced; a FIFO or a device is
 * written directly (renaming over it would replace it).
 */
/** bytes written between background datasyncs */
const SYNC_EVERY = 64 * 1024 * 1024;

export class AtomicWriter {
  private position = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    readonly target: string,
    readonly tempPath: string,
    private handle: fsp.FileHandle | undefined,
    /** the target is a FIFO or a device: written in place (nothing to rename, nothing to undo) */
    readonly direct = false,
  ) {}

  static async open(path: string): Promise<AtomicWriter> {
    // '' (an unset variable in a script): the temp file would go to the working directory and
    // the rename fail at the very end
    if (path === '') throw new UsageError('the output path is empty');
    if (path.endsWith('/')) throw new UsageError(`${path} names a directory: give a file name`);
    // the directory as the kernel resolves it ('nosuchdir/..' does not exist): the temp file
    // goes there, and the rename must land there too
    const dirStat = await fsp.stat(dirname(path)).catch(() => undefined);
    if (!dirStat?.isDirectory()) throw new UsageError(`cannot write ${path}: ${dirname(path)} is not an existing directory`);
    let target = path;
    let mode: number | undefined;
    try {
      const l = await fsp.lstat(path);
      // a symlink: its target is replaced (renaming over the link would replace the link)
      if (l.isSymbolicLink()) {
        try {
          target = await fsp.realpath(path);
        } catch {
          // /dev/fd/N or /proc/self/fd/N of a pipe (`>(gzip > x)`) has no path to resolve to,
          // but opening the link reaches the pipe
          const st = await fsp.stat(path).catch(() => undefined);
          if (st && (st.isFIFO() || st.isCharacterDevice() || st.isSocket())) return new AtomicWriter(path, path, await fsp.open(path, 'w'), true);
          throw new UsageError(`${path} is a symbolic link to a file that does not exist: give the path to write`);
        }
      }
      const st = target === path ? l : await fsp.stat(target);
      if (st.isDirectory()) throw new UsageError(`${path} is a directory: give a file name`);
      if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice() || st.isSocket()) {
        // a pipe or a device (/dev/null, a FIFO a reader waits on): renaming a file over it
        // would replace it, so the bytes go to it directly
        return new AtomicWriter(target, target, await fsp.open(target, 'w'), true);
      }
      mode = st.mode & 0o7777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const tmp = tempName(target);
    removeOnInterrupt(tmp);
    const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, mode ?? 0o666);
    if (mode !== undefined) {
      // Replacing a file: keep its permission bits (open()'s mode is filtered by the umask).
      await fh.chmod(mode).catch(() => undefined);
    }
    return new AtomicWriter(target, tmp, fh);
  }

  /** where the last background datasync started, and that datasync while it runs */
  private syncedAt = 0;
  private syncing: Promise<void> | undefined;

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  /** Append `buf`. Resolves once the bytes are written, so awaiting it is the backpressure.
   * Calls that are not awaited still land in call order. */
  write(buf: Uint8Array): Promise<void> {
    const p = this.pending.then(() => this.doWrite(buf));
    this.pending = p.catch(() => undefined);
    return p;
  }

  private async doWrite(buf: Uint8Array): Promise<void> {
    if (this.state !== 'open' || this.handle === undefined) throw new Error(`AtomicWriter for ${this.target} is ${this.state}`);
    const fh = this.handle;
    try {
      let off = 0;
      while (off < buf.length) {
        // a pipe has no positions: it is written at its current one
        const { bytesWritten } = await fh.write(buf, off, buf.length - off, this.direct ? null : this.position);
        if (bytesWritten <= 0) throw new Error(`short write to ${this.tempPath}`);
        off += bytesWritten;
        this.position += bytesWritten;
      }
      // Start the disk writing early: a datasync in the background every SYNC_EVERY bytes
      // (one at a time), so the fsync of commit() has only the tail left to wait for
      // (measured: the final fsync of an 838 MB conversion took 350-380 ms, with this 3-22 ms).
      if (!this.direct && this.position - this.syncedAt >= SYNC_EVERY && this.syncing === undefined) {
        this.syncedAt = this.position;
        this.syncing = fh.datasync().then(
          () => {
            this.syncing = undefined;
          },
          () => {
            this.syncing = undefined; // commit's fsync reports any error
          },
        );
      }
    } catch (e) {
      await this.abort();
      throw outputError(this.target, e);
    }
  }

  /** fsync, rename over the target, fsync the directory. */
  async commit(): Promise<void> {
    await this.pending;
    if (this.state !== 'open' || this.handle === undefined) throw new Error(`AtomicWriter for ${this.target} is ${this.state}`);
    const fh = this.handle;
    if (this.direct) {
      this.handle = undefined;
      this.state = 'committed';
      await fh.close();
      return;
    }
    try {
      await this.syncing;
      await fh.sync();
      this.handle = undefined;
      await fh.close();
      await fsp.rename(this.tempPath, this.target);
    } catch (e) {
      await this.abort();
      throw outputError(this.target, e);
    }
    settled(this.tempPath);
    this.state = 'committed';
    await fsyncDir(dirname(this.target));
  }

  /** Close and remove the temp file. Safe to call more than once, and after commit (no-op). */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    const fh = this.handle;
    this.handle = undefined;
    await this.syncing;
    await fh?.close().catch(() => undefined);
    if (this.direct) return; // what reached a pipe or device cannot be taken back
    await unlinkQuiet(this.tempPath);
    settled(this.tempPath);
  }
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function utcStamp(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `T${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}Z`
  );
}

/**
 * Copy `path` to `<path>.<UTC timestamp>.bak` (`<path>.<stamp>-1.bak`, `-2`, … when that
 * exists: an existing backup is never overwritten), fsynced. The copy is made under a temp
 * name and then linked into place, so a backup that exists is always complete.
 * Returns the backup's path.
 */
export async function backupFile(path: string, now: Date = new Date()): Promise<string> {
  const stamp = utcStamp(now);
  const tmp = tempName(`${path}.${stamp}.bak`);
  removeOnInterrupt(tmp);
  try {
    await fsp.copyFile(path, tmp, fsc.COPYFILE_EXCL);
    const fh = await fsp.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    for (let i = 0; ; i++) {
      const dest = i === 0 ? `${path}.${stamp}.bak` : `${path}.${stamp}-${i}.bak`;
      try {
        await fsp.link(tmp, dest); // fails with EEXIST instead of overwriting
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
        // No hard links on this file system: check, then rename (a tiny race, nothing worse).
        try {
          await fsp.lstat(dest);
          continue;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') throw e2;
        }
        await fsp.rename(tmp, dest);
      }
      await fsyncDir(dirname(dest));
      return dest;
    }
  } finally {
    await unlinkQuiet(tmp);
    settled(tmp);
  }
}

/** Truncate `path` to `size` bytes and fsync it. Refuses to make a file longer. */
export async function truncateFile(path: string, size: number): Promise<void> {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid size ${size}`);
  const fh = await fsp.open(path, 'r+');
  try {
    const { size: current } = await fh.stat();
    if (size > current) {
      throw new RefusedError(`refusing to truncate ${path} to ${size} bytes: it has only ${current} bytes`);
    }
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function copyTree(src: string, dest: string): Promise<void> {
  await fsp.mkdir(dest);
  for (const ent of await fsp.readdir(src, { withFileTypes: true })) {
    const from = join(src, ent.name);
    const to = join(dest, ent.name);
    if (ent.isDirectory()) {
      await copyTree(from, to);
    } else if (ent.isFile()) {
      await fsp.copyFile(from, to, fsc.COPYFILE_EXCL);
      const fh = await fsp.open(to, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else if (ent.isSymbolicLink()) {
      await fsp.symlink(await fsp.readlink(from), to);
    }
    // Sockets, FIFOs and devices have no place in an appendonlydir: skipped.
  }
  await fsyncDir(dest);
}

export interface CopyDirOptions {
  /** Called with the complete temp copy before it is renamed into place: the place to
   * apply the repair (truncate or rewrite files in it). An error here removes the copy. */
  prepare?: (tempDir: string) => Promise<void>;
}

/**
 * Copy a directory (an appendonlydir) to `destDir`, which must not exist (RefusedError):
 * the copy is made in a temp directory beside `destDir`, fsynced, optionally changed by
 * `prepare`, then renamed into place; on any error the temp directory is removed.
 */
export async function copyDirAtomic(srcDir: string, destDir: string, opts: CopyDirOptions = {}): Promise<void> {
  const exists = async (p: string): Promise<boolean> => {
    try {
      await fsp.lstat(p);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  };
  if (await exists(destDir)) throw new RefusedError(`refusing to write ${destDir}: it already exists`);
  const st = await fsp.stat(srcDir);
  if (!st.isDirectory()) throw new Error(`${srcDir} is not a directory`);
  const tmp = tempName(destDir);
  removeOnInterrupt(tmp, 'dir');
  try {
    await copyTree(srcDir, tmp);
    await fsp.chmod(tmp, st.mode & 0o7777).catch(() => undefined);
    if (opts.prepare) {
      await opts.prepare(tmp);
      await fsyncDir(tmp);
    }
    // rename() would replace an empty directory created meanwhile: check once more.
    if (await exists(destDir)) throw new RefusedError(`refusing to write ${destDir}: it already exists`);
    await fsp.rename(tmp, destDir);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  } finally {
    settled(tmp);
  }
  await fsyncDir(dirname(destDir));
}
