// Node's Buffer has fast encoding-specific slicers that @types/node does not declare.
// latin1Slice maps bytes 1:1 to chars; measured ~2x faster than toString('latin1', a, b) on short keys.
export {};

declare global {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
  }
}
