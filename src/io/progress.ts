// A progress bar on stderr, only when stderr is a TTY, only for work that lasts over ~1 s.

import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

const NOOP: Progress = { update() {}, stop() {} };

export function startProgress(label: string, total: number | undefined, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled || !stream.isTTY || !total || total <= 0) return NOOP;
  const t0 = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let last = 0;
  return {
    update(done: number) {
      last = done;
      if (!bar) {
        if (Date.now() - t0 < 1000) return;
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `${label} [{bar}] {percentage}% | {value_mb}/{total_mb} MB | eta {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { value_mb: '0', total_mb: (total / 1e6).toFixed(0) });
      }
      bar.update(Math.min(done, total), { value_mb: (done / 1e6).toFixed(0), total_mb: (total / 1e6).toFixed(0) });
    },
    stop() {
      if (bar) {
        bar.update(Math.min(last, total), { value_mb: (last / 1e6).toFixed(0), total_mb: (total / 1e6).toFixed(0) });
        bar.stop();
      }
    },
  };
}
