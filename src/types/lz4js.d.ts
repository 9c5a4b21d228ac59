// Types for lz4js 0.2.0 (ships none). redkit decodes LZ4 with its own streaming decoder
// (src/codec/lz4.ts); lz4js is used to produce LZ4 frames.
declare module 'lz4js' {
  /** Compress to one LZ4 frame (linked 4 MiB blocks, no checksums). */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompress one whole LZ4 frame. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function compressBound(n: number): number;
  export function decompressBound(src: Uint8Array): number;
  export function makeBuffer(size: number): Uint8Array;
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  export function compressFrame(src: Uint8Array, dst: Uint8Array): number;
  export function decompressFrame(src: Uint8Array, dst: Uint8Array): number;
}
