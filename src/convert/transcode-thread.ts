// The conversion thread of `convert --to aof` (see transcode-pool.ts), started as early as the
// launcher can tell it will be wanted. A worker takes 100-160 ms to boot (measured on the
// bench machine: Node's bootstrap, then the transcoder's modules); started from bin/redkit,
// that overlaps with the main thread loading the CLI instead of delaying the first batch.
//
// This module imports nothing of redkit's, so that the launcher can load it cheaply. The
// worker boots without its settings and waits for an `init` message (TranscodePipe sends it
// once the RDB header is read).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const WORKER_URL = new URL('./transcode-worker.js', import.meta.url);

/** inputs at least this big get a worker (REDKIT_TRANSCODE_WORKER_MIN overrides, for tests) */
export function transcodeWorkerMin(): number {
  const v = Number(process.env['REDKIT_TRANSCODE_WORKER_MIN']);
  return process.env['REDKIT_TRANSCODE_WORKER_MIN'] !== undefined && Number.isFinite(v) && v >= 0 ? v : 16 * 1024 * 1024;
}

/** A worker started early and not yet claimed, and whether it stopped before it was. */
let early: { worker: Worker; dead: boolean } | undefined;

/** whether the worker's file is there (it is not when running from the TypeScript sources) */
export function transcodeThreadAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

function newWorker(): Worker {
  return new Worker(WORKER_URL, {
    // a small heap: the worker keeps nothing between records (its RSS counts with ours). A
    // young generation of 24 MiB (measured on the 611 MB bench RDB: 8 MiB is 20% slower, 32
    // MiB adds 15 MiB of RSS for 5%); the old generation is V8's default, as one key decoded in
    // full (a big stream) can need much.
    resourceLimits: { maxYoungGenerationSizeMb: 24 },
  });
}

/**
 * Start the conversion thread now, for a conversion about to begin. It does not keep the
 * process alive: if nothing claims it (the input turns out small, or the command fails first),
 * it goes away with the process.
 */
export function prestartTranscodeThread(): void {
  if (early || !transcodeThreadAvailable()) return;
  const e = { worker: newWorker(), dead: false };
  e.worker.unref();
  // a worker that fails to boot is replaced at claim time; nothing may go unhandled meanwhile
  e.worker.on('error', () => (e.dead = true));
  e.worker.on('exit', () => (e.dead = true));
  early = e;
}

/** The thread started early when there is one still running, else a new one. */
export function claimTranscodeThread(): Worker {
  const e = early;
  early = undefined;
  if (e && !e.dead) {
    e.worker.removeAllListeners();
    e.worker.ref();
    return e.worker;
  }
  if (e) void e.worker.terminate();
  return newWorker();
}
