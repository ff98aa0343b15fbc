/**
 * The one-pass DVH kernel (assembly/dvh-kernel.ts, one of the WebAssembly kernels of
 * src/core/wasm-kernels.ts) and its layout of the kernels' memory. dvh.ts structureDvhs runs it;
 * scratchOccupancy hands out its occupancy region so that a structure is rasterised straight into the
 * kernel's memory (no copy of a BODY's 11 MB).
 *
 * Memory layout, in bytes from 0: the occupancy (float32); the affine (12 float64); per map its kind
 * (int32), four numbers (float64), bin count (int32), histogram offsets (3 int32) and accumulators
 * (8 float64); the histograms (float64); the block of the dose grid the structure can read (float32);
 * the row path's cache (24 bytes per block column); one sampling row's points (17 bytes a point).
 * The memory only grows, so pages touched once are not faulted in again for the next structure.
 */

import type { Grid } from '../geometry/grid.js';
import { align8, kernels, reserveKernelMemory } from '../core/wasm-kernels.js';

interface KernelExports {
  setSampling(occ: number, nx: number, ny: number, nz: number, hx: number, hy: number, hz: number, vcc: number): void;
  setOccupancyWindow(at: number, kBase: number): void;
  setDose(dose: number, gx: number, gy: number, gz: number, bi: number, bj: number, bk: number, bnx: number, bny: number): void;
  setAffine(m: number, spread: number): void;
  setRowCache(at: number): void;
  setRowBuffer(at: number): void;
  setMaps(n: number, kinds: number, params: number, bins: number, hist: number, acc: number, w: number): void;
  slices(k0: number, k1: number): number;
  resultPoints(): number;
  resultInside(): number;
  resultTotal(): number;
  resultOutside(): number;
  resultBad(): number;
  resultBadValue(): number;
}

/** Room kept after an occupancy for rasterising into it (src/geometry/scanline-wasm.ts: a plane's
 * points and the fill's scratch, without growing the memory, which would detach the occupancy's view):
 * enough for planes of some 10^4 points. */
const RASTER_ROOM = 1 << 20;

/**
 * A zeroed float32 region of n values at the start of the kernel's memory: the occupancy of the next
 * structure (valid until the next call of a kernel on this thread, this one included: growing the
 * memory detaches the views of it, and the decimal kernel lays out its own data from 0), with
 * RASTER_ROOM or roomBytes after it, whichever is more.
 */
export function kernelOccupancy(n: number, roomBytes = 0): Float32Array {
  const k = kernels<KernelExports>();
  reserveKernelMemory(4 * n + Math.max(RASTER_ROOM, roomBytes));
  const view = new Float32Array(k.memory.buffer, 0, n);
  view.fill(0);
  return view;
}

/** What the kernel gives back: per map its histograms (views of the kernel's memory, valid until the
 * next call) and accumulators, and the totals. */
export interface KernelResult {
  readonly diff: Float64Array[];
  readonly sumC: Float64Array[];
  readonly sumCt: Float64Array[];
  /** Per map: top, max, min, coreMax, coreMin, nCore, sum, volume. */
  readonly acc: Float64Array;
  readonly points: number;
  readonly inside: number;
  readonly volumeCc: number;
  readonly outsideCc: number;
  /** True when a dose (or a mapped dose) was negative or not finite: badDose. */
  readonly bad: boolean;
  readonly badDose: number;
}

/** Sampling slices k0 <= k < k1. */
export interface SliceRange {
  readonly k0: number;
  readonly k1: number;
}

/** The maps as the kernel takes them (dvh.ts DoseMap's kind and numbers). */
export interface KernelMaps {
  readonly kinds: Int32Array;
  /** 4 numbers per map. */
  readonly params: Float64Array;
  readonly nBins: Int32Array;
  readonly binWidthGy: number;
}

/** Sampling slices per call of at least this many grid points: the kernel's tier-up to optimised code
 * is used from the next call on. */
const POINTS_PER_CALL = 1 << 16;

/**
 * An occupancy filled a window of sampling slices at a time: fill(window, kBase, k0, k1) adds slices
 * k0 <= k < k1 into `window`, whose first slice is kBase (zero where not yet filled). A window holds
 * `slices` slices besides the two it shares with the windows before and after it.
 */
export interface OccupancyWindows {
  readonly slices: number;
  fill(window: Float32Array, kBase: number, k0: number, k1: number): void;
}

/** An occupancy as the kernel takes it: the whole sampling grid's, or filled window by window. */
export type KernelOccupancySource = Float32Array | OccupancyWindows;

/**
 * structureDvhs's pass over an occupancy on its sampling grid (vcc: a sampling voxel's volume, cc)
 * and a dose (values on doseGrid): the DVH accumulators of every map. m: sampling index -> dose index
 * (row-major 3 x 4). An occupancy filled by windows is laid out after everything else, followed by
 * the room its fill may use (RASTER_ROOM); the kernel reads each window while it is filled.
 * `range`: only the points of these sampling slices (default all; a part of a structure, dvh.ts
 * dvhParts), with the dose block they read.
 */
export function runDvhKernel(
  occupancy: KernelOccupancySource, grid: Grid, vcc: number, doseData: Float32Array, doseGrid: Grid, m: Float64Array, spread: boolean, maps: KernelMaps,
  range?: SliceRange,
): KernelResult {
  const k = kernels<KernelExports>();
  const [nx, ny, nz] = grid.size;
  const kFrom = range?.k0 ?? 0;
  const kTo = range?.k1 ?? nz;
  if (!(Number.isInteger(kFrom) && Number.isInteger(kTo) && 0 <= kFrom && kFrom <= kTo && kTo <= nz)) {
    throw new RangeError(`slices: expected 0 <= k0 <= k1 <= ${nz}, found ${kFrom} .. ${kTo}`);
  }
  const nxy = nx * ny;
  const n = nxy * nz;
  const whole = occupancy instanceof Float32Array ? occupancy : undefined;
  const windows = occupancy instanceof Float32Array ? undefined : occupancy;
  if (whole !== undefined && whole.length < n) throw new RangeError(`occupancy: expected ${n} values, found ${whole.length}`);
  const inPlace = whole !== undefined && whole.buffer === k.memory.buffer && whole.byteOffset === 0;
  const [gx, gy, gz] = doseGrid.size;
  const block = doseBlock(grid, doseGrid, m, kFrom, kTo);
  const nMaps = maps.kinds.length;
  // A window's slices: its own (step) and a neighbour either side.
  const step = windows === undefined ? nz : Math.max(1, Math.min(nz, windows.slices));
  const windowSlices = Math.min(nz, step + 2);
  // layout
  let at = windows === undefined ? align8(4 * n) : 0;
  const affineAt = at;
  at += 8 * 12;
  const kindsAt = at;
  at += align8(4 * nMaps);
  const paramsAt = at;
  at += 8 * 4 * nMaps;
  const binsAt = at;
  at += align8(4 * nMaps);
  const histAt = at;
  at += align8(12 * nMaps);
  const accAt = at;
  at += 8 * 8 * nMaps;
  const histograms: number[] = [];
  for (let t = 0; t < nMaps; t++) {
    const nb = maps.nBins[t]!;
    for (const size of [nb, nb + 2, nb + 2]) {
      histograms.push(at);
      at += 8 * size;
    }
  }
  const histEnd = at;
  const doseAt = at;
  at += align8(4 * block.nx * block.ny * block.nz);
  const rowCacheAt = at;
  at += 24 * block.nx;
  const rowBufferAt = at;
  at += align8(17 * nx);
  const windowAt = at;
  if (windows !== undefined) at += 4 * windowSlices * nxy + RASTER_ROOM;
  // An occupancy elsewhere is copied in after the memory has grown (growing detaches only views of
  // this memory, and the one view of it that is passed here, kernelOccupancy's, is read in place).
  reserveKernelMemory(at);
  const buf = k.memory.buffer;
  if (whole !== undefined && !inPlace) new Float32Array(buf, 0, n).set(whole.subarray(0, n));
  new Float64Array(buf, affineAt, 12).set(m.subarray(0, 12));
  new Int32Array(buf, kindsAt, nMaps).set(maps.kinds);
  new Float64Array(buf, paramsAt, 4 * nMaps).set(maps.params.subarray(0, 4 * nMaps));
  new Int32Array(buf, binsAt, nMaps).set(maps.nBins);
  new Int32Array(buf, histAt, 3 * nMaps).set(histograms);
  const acc = new Float64Array(buf, accAt, 8 * nMaps);
  for (let t = 0; t < nMaps; t++) acc.set([0, -Infinity, Infinity, -Infinity, Infinity, 0, 0, 0], 8 * t);
  new Float64Array(buf, histograms[0] ?? histEnd, (histEnd - (histograms[0] ?? histEnd)) / 8).fill(0);
  // the dose block: in one piece when it is whole planes, a piece a plane when whole rows, else row by row
  // (the block is a fresh part of the memory for the first large structure: each page touched costs)
  const dst = new Float32Array(buf, doseAt, block.nx * block.ny * block.nz);
  if (block.nx === gx && block.ny === gy) {
    dst.set(doseData.subarray(gx * gy * block.k, gx * gy * (block.k + block.nz)));
  } else {
    let o = 0;
    for (let kk = block.k; kk < block.k + block.nz; kk++) {
      if (block.nx === gx) {
        const s = gx * (block.j + gy * kk);
        dst.set(doseData.subarray(s, s + gx * block.ny), o);
        o += gx * block.ny;
        continue;
      }
      for (let jj = block.j; jj < block.j + block.ny; jj++) {
        const s = block.i + gx * (jj + gy * kk);
        dst.set(doseData.subarray(s, s + block.nx), o);
        o += block.nx;
      }
    }
  }
  const [hx, hy, hz] = grid.spacingMm;
  k.setSampling(windows === undefined ? 0 : windowAt, nx, ny, nz, hx, hy, hz, vcc);
  k.setDose(doseAt, gx, gy, gz, block.i, block.j, block.k, block.nx, block.ny);
  k.setAffine(affineAt, spread ? 1 : 0);
  k.setRowCache(rowCacheAt);
  k.setRowBuffer(rowBufferAt);
  k.setMaps(nMaps, kindsAt, paramsAt, binsAt, histAt, accAt, maps.binWidthGy);
  const perCall = Math.max(1, Math.floor(POINTS_PER_CALL / Math.max(1, nxy)));
  const window = new Float32Array(buf, windowAt, windows === undefined ? 0 : windowSlices * nxy);
  let bad = false;
  // slices base .. filled - 1 are in the window, complete
  let base = Math.max(0, kFrom - 1), filled = base;
  for (let k0 = kFrom; k0 < kTo && !bad; k0 += step) {
    const k1 = Math.min(kTo, k0 + step);
    if (windows !== undefined) {
      // the window for slices k0 .. k1 - 1 and their neighbours: the complete ones kept, the rest filled
      const from = Math.max(0, k0 - 1), to = Math.min(nz, k1 + 1);
      window.copyWithin(0, (from - base) * nxy, (filled - base) * nxy);
      window.fill(0, (filled - from) * nxy, (to - from) * nxy);
      windows.fill(window, from, filled, to);
      base = from;
      filled = to;
      k.setOccupancyWindow(windowAt, base);
    }
    for (let s0 = k0; s0 < k1 && !bad; s0 += perCall) bad = k.slices(s0, Math.min(k1, s0 + perCall)) !== 0;
  }
  const view = (i: number, size: number): Float64Array => new Float64Array(k.memory.buffer, histograms[i]!, size);
  return {
    diff: Array.from({ length: nMaps }, (_, t) => view(3 * t, maps.nBins[t]!)),
    sumC: Array.from({ length: nMaps }, (_, t) => view(3 * t + 1, maps.nBins[t]! + 2)),
    sumCt: Array.from({ length: nMaps }, (_, t) => view(3 * t + 2, maps.nBins[t]! + 2)),
    acc: Float64Array.from(new Float64Array(k.memory.buffer, accAt, 8 * nMaps)),
    points: k.resultPoints(),
    inside: k.resultInside(),
    volumeCc: k.resultTotal(),
    outsideCc: k.resultOutside(),
    bad,
    badDose: k.resultBadValue(),
  };
}

/**
 * The block of dose nodes the kernel can read for the sampling slices kFrom .. kTo - 1 of a sampling grid (at least): every node of the interpolation
 * cells and of the sampling boxes (boxNodeRange) of the points, clamped to the dose grid (the affine
 * is linear: its extremes are at the corners of the box the points lie in). A partial point is moved
 * off its voxel centre by at most 1/2 |h| / h_a sampling indices along axis a (dvh.ts partialOffset:
 * (1 - f) w / 2 along a unit vector, w = Σ |u_b| h_b <= |h|); it moves inwards, so it stays on the
 * grid, but the box is the grid widened by that bound and one more index, which costs a few rows.
 */
function doseBlock(grid: Grid, doseGrid: Grid, m: Float64Array, kFrom: number, kTo: number): { i: number; j: number; k: number; nx: number; ny: number; nz: number } {
  const [nx, ny] = grid.size;
  const h = grid.spacingMm;
  const hNorm = Math.hypot(h[0], h[1], h[2]);
  const [mi, mj, mk] = h.map((ha) => Math.ceil((0.5 * hNorm) / ha) + 1) as [number, number, number];
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const i of [-mi, nx - 1 + mi]) {
    for (const j of [-mj, ny - 1 + mj]) {
      for (const k of [kFrom - mk, kTo - 1 + mk]) {
        for (let a = 0; a < 3; a++) {
          const c = m[4 * a]! * i + m[4 * a + 1]! * j + m[4 * a + 2]! * k + m[4 * a + 3]!;
          lo[a] = Math.min(lo[a]!, c);
          hi[a] = Math.max(hi[a]!, c);
        }
      }
    }
  }
  const from: number[] = [];
  const size: number[] = [];
  for (let a = 0; a < 3; a++) {
    const n = doseGrid.size[a]!;
    const box = 0.5 * (Math.abs(m[4 * a]!) + Math.abs(m[4 * a + 1]!) + Math.abs(m[4 * a + 2]!));
    const first = Math.max(0, Math.floor(Math.min(Math.max(lo[a]!, 0), n - 1) - box) - 1);
    const last = Math.min(n - 1, Math.ceil(Math.min(Math.max(hi[a]!, 0), n - 1) + box) + 1);
    from.push(first);
    size.push(Math.max(1, last - first + 1));
  }
  // A block most of the rows' width is widened to whole rows: a plane of it is then one piece of the
  // dose (runDvhKernel copies it in a piece a plane, not a row at a time), for a few more nodes.
  const gx = doseGrid.size[0];
  if (2 * size[0]! > gx) {
    from[0] = 0;
    size[0] = gx;
  }
  return { i: from[0]!, j: from[1]!, k: from[2]!, nx: size[0]!, ny: size[1]!, nz: size[2]! };
}

