/**
 * Scratch arrays a caller lends to successive computations that it runs one at a time: plan dose
 * prepares its fields in batches (pencil-beam.ts preparePencilBeam, bev-depth.ts), each needing ~60
 * bytes per dose point and field plus a depth table; allocated per batch they cost the allocation,
 * the kernel's zeroed pages and their collection every time. Arrays taken from a pool have undefined
 * contents: the taker writes every entry it reads.
 */

/** Typed arrays by key, reused by successive computations of one caller. */
export type ScratchPool = Map<string, Float64Array | Float32Array | Int32Array | Uint8Array>;

/** An array of length n from the pool under `key` (contents undefined), or a new one without a pool. */
export function scratchArray<T extends Float64Array | Float32Array | Int32Array | Uint8Array>(
  pool: ScratchPool | undefined,
  key: string,
  C: new (n: number) => T,
  n: number,
): T {
  if (pool === undefined) return new C(n);
  const had = pool.get(key);
  if (had instanceof C && had.length >= n) return (had.length === n ? had : had.subarray(0, n)) as T;
  const made = new C(had instanceof C ? Math.max(n, Math.ceil(had.length * 1.25)) : n);
  pool.set(key, made);
  return (made.length === n ? made : made.subarray(0, n)) as T;
}
