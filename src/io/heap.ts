// A guard for commands that hold a whole dataset in the V8 heap (the engine). When the heap
// limit is reached, V8 aborts the process with a native stack trace ("JavaScript heap out of
// memory", exit 134): no message a user can act on, and the rule is never a stack trace. The
// guard looks at the heap every so often and lets the caller stop cleanly first.

import v8 from 'node:v8';

/** stop when live heap passes this share of the limit (V8 collects garbage long before) */
const STOP_AT = 0.9;
/** calls between two looks at the heap statistics (each costs about a microsecond) */
const EVERY = 4096;

const MiB = 1024 * 1024;
/** the young generation's share of heap_size_limit with Node's default semi-space size */
const YOUNG = 48 * MiB;

export class HeapGuard {
  private n = 0;
  private readonly limit: number;

  constructor(private readonly stopAt = STOP_AT) {
    // heap_size_limit includes the young generation's reservation (3 semi-spaces, 48 MiB with
    // Node's defaults), which long-lived data never uses: the old generation fills up first
    const all = v8.getHeapStatistics().heap_size_limit;
    this.limit = all > YOUNG + 16 * MiB ? all - YOUNG : all;
  }

  /** undefined while there is room; otherwise why to stop (a sentence for the user) */
  check(): string | undefined {
    if (++this.n < EVERY) return undefined;
    this.n = 0;
    const used = v8.getHeapStatistics().used_heap_size;
    if (used < this.limit * this.stopAt) return undefined;
    const usedMiB = Math.round(used / MiB);
    const limitMiB = Math.round(this.limit / MiB);
    return (
      `the dataset does not fit in memory: the engine holds ${usedMiB} MiB of Node's ${limitMiB} MiB heap limit. ` +
      `Give Node a bigger heap (NODE_OPTIONS=--max-old-space-size=<MiB>, up to about three quarters of the machine's RAM) or use a machine with more memory`
    );
  }
}
