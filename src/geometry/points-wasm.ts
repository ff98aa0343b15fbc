/**
 * Passes over a contour's points in WebAssembly (assembly/points.ts, one of the kernels of
 * src/core/wasm-kernels.ts): the same numbers as the JavaScript they stand in for (case.ts
 * pointsOutside, polygon.ts polygonAreaVector, dvh.ts frameExtents, rasterize.ts's checks and
 * projection), without the garbage V8's unoptimised code makes of every number in a fresh process.
 * Each call copies the points to the start of the kernels' memory: no view of that memory handed out
 * before (an occupancy from dvh.ts scratchOccupancy) may be in use across a call.
 */

import { align8, kernels, reserveKernelMemory } from '../core/wasm-kernels.js';

interface PointsExports {
  pointsOutside(p: number, n: number, b: number, hx: number, hy: number, hz: number): number;
  areaVector(p: number, n: number, out: number): void;
  frameExtents(p: number, n: number, e: number, box: number): number;
  indexRanges(p: number, n: number, a: number, out: number): number;
  project(p: number, n: number, a: number, uAxis: number, vAxis: number, wAxis: number, uv: number): number;
}

/** The kernels, with the points (their first 3 n values) at 0 and `extra` float64 after them; returns the float64 view of the memory and where the extra starts (bytes). */
function withPoints(points: Float64Array, n: number, extra: number): { k: PointsExports; f64: Float64Array; at: number } {
  const k = kernels<PointsExports>();
  const at = align8(24 * n);
  reserveKernelMemory(at + 8 * extra);
  const f64 = new Float64Array(k.memory.buffer, 0, at / 8 + extra);
  f64.set(points.subarray(0, 3 * n));
  return { k, f64, at };
}

/**
 * Points (x, y, z triples) of a contour beyond half a voxel past the outer voxel centres of a grid of
 * `size` voxels (b: its LPS -> index affine), or not finite (a last point short of a coordinate too).
 */
export function pointsOutsideGrid(points: Float64Array, b: Float64Array, size: readonly [number, number, number]): number {
  const n = Math.floor(points.length / 3);
  const { k, f64, at } = withPoints(points, n, 12);
  f64.set(b.subarray(0, 12), at / 8);
  return k.pointsOutside(0, n, at, size[0] - 0.5, size[1] - 0.5, size[2] - 0.5) + (points.length % 3 !== 0 ? 1 : 0);
}

/** polygon.ts polygonAreaVector of a contour's points. */
export function contourAreaVector(points: Float64Array): [number, number, number] {
  const n = Math.floor(points.length / 3);
  if (n < 3) return [0, 0, 0];
  const { k, f64, at } = withPoints(points, n, 3);
  k.areaVector(0, n, at);
  return [f64[at / 8]!, f64[at / 8 + 1]!, f64[at / 8 + 2]!];
}

/** dvh.ts frameExtents: widens box (u min, u max, v min, v max) by the points in the frame (e0, e1, e2); returns their mean w. */
export function contourFrameExtents(
  points: Float64Array,
  e0: readonly number[],
  e1: readonly number[],
  e2: readonly number[],
  box: Float64Array,
): number {
  const n = Math.floor(points.length / 3);
  const { k, f64, at } = withPoints(points, n, 13);
  const o = at / 8;
  f64.set([...e0, ...e1, ...e2], o);
  f64.set(box.subarray(0, 4), o + 9);
  const w = k.frameExtents(0, n, at, at + 72);
  box.set(f64.subarray(o + 9, o + 13));
  return w;
}

/**
 * A contour's first coordinate that is not finite (-1: none), and its points' least and greatest index
 * along each axis of the affine a (LPS -> index) into ranges (lo, hi per axis).
 */
export function contourIndexRanges(points: Float64Array, a: Float64Array, ranges: Float64Array): number {
  const n = Math.floor(points.length / 3);
  const { k, f64, at } = withPoints(points, n, 18);
  f64.set(a.subarray(0, 12), at / 8);
  const bad = k.indexRanges(0, n, at, at + 96);
  if (bad < 0) ranges.set(f64.subarray(at / 8 + 12, at / 8 + 18));
  return bad;
}

/** rasterize.ts projectContour: the points as (u, v) indices of the affine a into uv; returns their mean w index. */
export function contourProject(points: Float64Array, a: Float64Array, uAxis: number, vAxis: number, wAxis: number, uv: Float64Array): number {
  const n = Math.floor(points.length / 3);
  const { k, f64, at } = withPoints(points, n, 12 + 2 * n);
  f64.set(a.subarray(0, 12), at / 8);
  const w = k.project(0, n, at, uAxis, vAxis, wAxis, at + 96);
  uv.set(f64.subarray(at / 8 + 12, at / 8 + 12 + 2 * n));
  return w;
}
