/**
 * The WebAssembly kernels (assembly/, AssemblyScript; `npm run build:wasm` writes their bytes into
 * kernels-wasm.ts) and their memory: one instance per thread (a worker thread has its own), made on
 * first use. Why WebAssembly: V8 runs a JavaScript loop unoptimised until its optimising compiler has
 * compiled it, and in a fresh process (a whole `lattice evaluate`) the largest loops ran at a fraction
 * of their speed for most of their work; WebAssembly is compiled before it runs.
 *
 * The kernels share one memory, laid out by their callers in byte offsets from 0 for the length of one
 * call (src/evaluate/dvh-wasm.ts: a structure's occupancy, rasterised into it whole or a window at a
 * time, then its DVH pass; src/io/dicom/read/decode.ts: a decimal string's bytes and numbers;
 * src/geometry/points-wasm.ts: a contour's points; src/io/dicom/read/pixels.ts: a chunk of stored
 * pixel words and their values; src/evaluate/dvh-bins.ts: a DVH's bins). The memory only grows, so pages
 * touched once are not faulted in again by the next call (fresh memory is slow to touch: about 13 µs a
 * page on the 2-vCPU test machine). Growing detaches the views of it: a caller takes its views after
 * reserving, and a view handed out (dvh-wasm.ts kernelOccupancy) is valid until the next kernel call
 * on this thread.
 */

import { KERNELS_WASM } from './kernels-wasm.js';

/** What is used of the WebAssembly API (its types are not in the ES library this project compiles against). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The kernels' memory. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

let compiled: object | undefined;
let exported: { readonly memory: KernelMemory } | undefined;

/** This thread's kernels (typed by the caller: the exports it uses) and their memory. */
export function kernels<T>(): T & { readonly memory: KernelMemory } {
  if (exported === undefined) {
    compiled ??= new wasm.Module(Buffer.from(KERNELS_WASM, 'base64'));
    exported = new wasm.Instance(compiled, {}).exports as { readonly memory: KernelMemory };
  }
  return exported as T & { readonly memory: KernelMemory };
}

const PAGE = 65536;

/** n rounded up to a multiple of 8 (a float64's alignment in the kernels' memory layouts). */
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Grow the kernels' memory to at least `bytes`. */
export function reserveKernelMemory(bytes: number): void {
  const memory = kernels<object>().memory;
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Let this thread's kernels and their memory go (after a batch of work); the next use makes them anew. */
export function releaseKernels(): void {
  exported = undefined;
}

/** assembly/dose-check.ts's exports. */
interface DoseCheckExports {
  checkDoseValues(src: number, n: number, max: number): number;
  checkedDoseMaximum(): number;
}

/**
 * The dose check (assembly/dose-check.ts) of n float32 values at byte `at` of the kernels' memory,
 * after a maximum `max` (Gy) of the values before them: `bad`, the index among these of the first value
 * that is negative, NaN or +Infinity (-1 when none), and `max`, the largest of `max` and these values
 * (when none is bad). The one binding of that kernel: src/evaluate/plan.ts checkDoseVolume over a dose
 * grid, src/io/dicom/read/pixels.ts convertStored over the values it has just converted.
 */
export function checkDoseChunk(at: number, n: number, max: number): { readonly bad: number; readonly max: number } {
  const k = kernels<DoseCheckExports>();
  const bad = k.checkDoseValues(at, n, max);
  return { bad, max: bad < 0 ? k.checkedDoseMaximum() : max };
}
