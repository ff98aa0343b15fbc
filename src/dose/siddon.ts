/**
 * Radiological path length (water-equivalent mm) along a straight segment through a density volume,
 * by exact voxel-boundary stepping (Siddon, Med Phys 12:252, 1985, in the incremental form of
 * Amanatides & Woo 1987 / Jacobs et al. 1998).
 *
 * Input: a relative-electron-density volume (any grid, direction cosines included) and the segment
 * end points in LPS (mm). Density outside the volume is 0 (air). Output: sum of RED x length (mm).
 * Allocation-free after `createRayTracer`.
 */

import { lpsToIndexAffine } from '../geometry/grid.js';
import type { ScalarVolume } from '../geometry/volume.js';

export interface RayTracer {
  readonly volume: ScalarVolume;
  /** LPS -> continuous index affine (grid.ts layout). */
  readonly toIndex: Float64Array;
}

export function createRayTracer(density: ScalarVolume): RayTracer {
  return { volume: density, toIndex: lpsToIndexAffine(density.grid) };
}

/** The parameter interval [t0, t1] of a ray inside the volume, narrowed axis by axis (per thread). */
const CLIP = new Float64Array(2);

/** Narrow CLIP to where p + t d lies in [0, nn) along one axis; false when nothing is left. */
function clipAxis(p: number, d: number, nn: number): boolean {
  if (d === 0) return p >= 0 && p < nn;
  let ta = (0 - p) / d, tb = (nn - p) / d;
  if (ta > tb) { const t = ta; ta = tb; tb = t; }
  if (ta > CLIP[0]!) CLIP[0] = ta;
  if (tb < CLIP[1]!) CLIP[1] = tb;
  return CLIP[0]! < CLIP[1]!;
}

/** The single sample t = 1 and its output, for radiologicalPath (per thread: workers have their own). */
const END_ONLY = new Float64Array([1]);
const END_OUT = new Float64Array(1);

/** Water-equivalent length (mm) of the segment a -> b (LPS, mm): the profile's value at b. */
export function radiologicalPath(
  tracer: RayTracer,
  ax: number, ay: number, az: number,
  bx: number, by: number, bz: number,
): number {
  radiologicalProfile(tracer, ax, ay, az, bx, by, bz, END_ONLY, 1, END_OUT, 0);
  return END_OUT[0]!;
}

/**
 * Cumulative water-equivalent length (mm) from a along the segment a -> b (LPS, mm), sampled at the
 * segment parameters ts[0..n) (ascending, in [0, 1]): out[offset + k] = radiological path from a to
 * a + ts[k] (b - a). One voxel traversal for all samples; each value equals radiologicalPath to the
 * sample point up to rounding.
 */
export function radiologicalProfile(
  tracer: RayTracer,
  ax: number, ay: number, az: number,
  bx: number, by: number, bz: number,
  ts: Float64Array, n: number, out: Float32Array | Float64Array, offset: number,
): void {
  const m = tracer.toIndex;
  const grid = tracer.volume.grid;
  const rho = tracer.volume.data;
  const nx = grid.size[0], ny = grid.size[1], nz = grid.size[2];
  const p0x = m[0]! * ax + m[1]! * ay + m[2]! * az + m[3]! + 0.5;
  const p0y = m[4]! * ax + m[5]! * ay + m[6]! * az + m[7]! + 0.5;
  const p0z = m[8]! * ax + m[9]! * ay + m[10]! * az + m[11]! + 0.5;
  const dxi = m[0]! * (bx - ax) + m[1]! * (by - ay) + m[2]! * (bz - az);
  const dyi = m[4]! * (bx - ax) + m[5]! * (by - ay) + m[6]! * (bz - az);
  const dzi = m[8]! * (bx - ax) + m[9]! * (by - ay) + m[10]! * (bz - az);
  const sx = grid.spacingMm[0], sy = grid.spacingMm[1], sz = grid.spacingMm[2];
  const lengthMm = Math.sqrt(dxi * dxi * sx * sx + dyi * dyi * sy * sy + dzi * dzi * sz * sz);
  let k = 0;
  // clip to the volume [0, n) per axis (clipAxis narrows [t0, t1] in CLIP; no closure: this runs once
  // per point and field on the exact depth path)
  CLIP[0] = 0;
  CLIP[1] = 1;
  const inside = lengthMm !== 0 && clipAxis(p0x, dxi, nx) && clipAxis(p0y, dyi, ny) && clipAxis(p0z, dzi, nz);
  const t0 = CLIP[0]!, t1 = CLIP[1]!;
  if (!inside) {
    for (; k < n; k++) out[offset + k] = 0;
    return;
  }
  for (; k < n && ts[k]! <= t0; k++) out[offset + k] = 0;
  const ts0 = t0 + 1e-9 * (t1 - t0);
  let i = Math.floor(p0x + dxi * ts0);
  let j = Math.floor(p0y + dyi * ts0);
  let l = Math.floor(p0z + dzi * ts0);
  i = i < 0 ? 0 : i >= nx ? nx - 1 : i;
  j = j < 0 ? 0 : j >= ny ? ny - 1 : j;
  l = l < 0 ? 0 : l >= nz ? nz - 1 : l;
  const stepI = dxi > 0 ? 1 : -1, stepJ = dyi > 0 ? 1 : -1, stepK = dzi > 0 ? 1 : -1;
  const dtI = dxi !== 0 ? Math.abs(1 / dxi) : Infinity;
  const dtJ = dyi !== 0 ? Math.abs(1 / dyi) : Infinity;
  const dtK = dzi !== 0 ? Math.abs(1 / dzi) : Infinity;
  let tI = dxi !== 0 ? (i + (dxi > 0 ? 1 : 0) - p0x) / dxi : Infinity;
  let tJ = dyi !== 0 ? (j + (dyi > 0 ? 1 : 0) - p0y) / dyi : Infinity;
  let tK = dzi !== 0 ? (l + (dzi > 0 ? 1 : 0) - p0z) / dzi : Infinity;
  let t = t0;
  let acc = 0;
  const nxy = nx * ny;
  while (t < t1 && k < n) {
    let tn = tI < tJ ? (tI < tK ? tI : tK) : tJ < tK ? tJ : tK;
    if (tn > t1) tn = t1;
    const r = rho[i + nx * j + nxy * l]!;
    for (; k < n && ts[k]! <= tn; k++) out[offset + k] = (acc + r * (ts[k]! - t)) * lengthMm;
    acc += r * (tn - t);
    t = tn;
    if (t >= t1) break;
    if (tI <= tJ && tI <= tK) { i += stepI; tI += dtI; if (i < 0 || i >= nx) break; }
    else if (tJ <= tK) { j += stepJ; tJ += dtJ; if (j < 0 || j >= ny) break; }
    else { l += stepK; tK += dtK; if (l < 0 || l >= nz) break; }
  }
  for (; k < n; k++) out[offset + k] = acc * lengthMm;
}
