// Temp files and directories a command is writing are removed when the process is
// interrupted (SIGINT, SIGTERM, SIGHUP) before it has committed or dropped them: an
// interrupted conversion or repair leaves neither a half-written output nor its temp file.
// The handlers are installed only while something is registered, so Node's own signal
// behaviour is unchanged the rest of the time. The exit code is the shell's: 128 + signal.

import fs from 'node:fs';

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type Signal = keyof typeof SIGNALS;

const live = new Map<string, 'file' | 'dir'>();
let installed = false;

function onSignal(sig: Signal): void {
  for (const [p, kind] of live) {
    try {
      fs.rmSync(p, { recursive: kind === 'dir', force: true });
    } catch {
      /* nothing more to do on the way out */
    }
  }
  live.clear();
  process.exit(128 + SIGNALS[sig]);
}

const handlers = Object.fromEntries((Object.keys(SIGNALS) as Signal[]).map((s) => [s, () => onSignal(s)])) as Record<Signal, () => void>;

/** Remove `p` if the process is interrupted before settled(p). */
export function removeOnInterrupt(p: string, kind: 'file' | 'dir' = 'file'): void {
  live.set(p, kind);
  if (!installed) {
    for (const s of Object.keys(handlers) as Signal[]) process.on(s, handlers[s]);
    installed = true;
  }
}

/** `p` was committed (renamed into place) or removed: an interrupt no longer concerns it. */
export function settled(p: string): void {
  live.delete(p);
  if (live.size === 0 && installed) {
    for (const s of Object.keys(handlers) as Signal[]) process.off(s, handlers[s]);
    installed = false;
  }
}
