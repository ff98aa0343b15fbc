/**
 * Volumes: a grid plus a flat typed array in x-fastest order (i + nx * (j + ny * k)).
 * - ScalarVolume (Float32): CT in HU, dose in Gy; the name of the variable says which.
 * - Mask (Uint8, 0 or 1): a structure's voxels (from contours: occupancy >= 0.5; from shapes: centre inside).
 * - Occupancy (Float32, 0..1): the fraction of each voxel inside a structure, where partial volume
 *   matters (small spheres, DVHs).
 */

import { GeometryError } from '../core/errors.js';
import { mm3ToCc, type Cc } from '../core/units.js';
import type { IndexIjk, PointLps } from '../core/vec3.js';
import { describeGrid, indexToLps, voxelCount, voxelVolumeMm3, type Grid } from './grid.js';

export interface Volume<A extends Float32Array | Uint8Array> {
  readonly grid: Grid;
  readonly data: A;
}

export type ScalarVolume = Volume<Float32Array>;
export type Mask = Volume<Uint8Array>;
export type Occupancy = Volume<Float32Array>;

function checkLength(grid: Grid, length: number, what: string): void {
  if (length !== voxelCount(grid)) {
    throw new GeometryError(`${what}: expected ${voxelCount(grid)} values for ${describeGrid(grid)}, found ${length}`);
  }
}

export function createScalarVolume(grid: Grid, data?: Float32Array): ScalarVolume {
  const d = data ?? new Float32Array(voxelCount(grid));
  checkLength(grid, d.length, 'scalar volume');
  return { grid, data: d };
}

export function createMask(grid: Grid, data?: Uint8Array): Mask {
  const d = data ?? new Uint8Array(voxelCount(grid));
  checkLength(grid, d.length, 'mask');
  return { grid, data: d };
}

export function createOccupancy(grid: Grid, data?: Float32Array): Occupancy {
  const d = data ?? new Float32Array(voxelCount(grid));
  checkLength(grid, d.length, 'occupancy');
  return { grid, data: d };
}

export function countVoxels(mask: Mask): number {
  const d = mask.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  return n;
}

/** Volume of a mask in cc: voxel count times voxel volume. */
export const maskVolumeCc = (mask: Mask): Cc => mm3ToCc(countVoxels(mask) * voxelVolumeMm3(mask.grid));

/** Volume of a fractional occupancy in cc: sum of fractions times voxel volume. */
export function occupancyVolumeCc(occupancy: Occupancy): Cc {
  const d = occupancy.data;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return mm3ToCc(s * voxelVolumeMm3(occupancy.grid));
}

/**
 * Inclusive index bounding box of the non-zero voxels of a mask (or an occupancy), or undefined
 * when there are none. A mask is read four voxels at a time where its buffer allows (a CT-size mask
 * is mostly zeros).
 */
export function maskBoundingBox(mask: Mask | Occupancy): { readonly lo: IndexIjk; readonly hi: IndexIjk } | undefined {
  const [nx, ny] = mask.grid.size;
  const d = mask.data;
  let i0 = Infinity, j0 = Infinity, k0 = Infinity, i1 = -1, j1 = -1, k1 = -1;
  // The row (j, k) holding linear index g, tracked forward as g grows (no division per voxel).
  let j = 0, k = 0, rowStart = 0, rowEnd = nx;
  const note = (g: number): void => {
    while (g >= rowEnd) {
      rowStart = rowEnd;
      rowEnd += nx;
      if (++j === ny) {
        j = 0;
        k++;
      }
    }
    const i = g - rowStart;
    if (i < i0) i0 = i;
    if (i > i1) i1 = i;
    if (j < j0) j0 = j;
    if (j > j1) j1 = j;
    if (k < k0) k0 = k;
    if (k > k1) k1 = k;
  };
  let g = 0;
  if (d instanceof Uint8Array && d.byteOffset % 4 === 0) {
    const words = new Uint32Array(d.buffer, d.byteOffset, d.length >>> 2);
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      const g4 = 4 * w;
      for (let b = 0; b < 4; b++) if (d[g4 + b] !== 0) note(g4 + b);
    }
    g = 4 * words.length;
  }
  for (; g < d.length; g++) if (d[g] !== 0) note(g);
  if (i1 < 0) return undefined;
  return { lo: [i0, j0, k0] as unknown as IndexIjk, hi: [i1, j1, k1] as unknown as IndexIjk };
}

/** Centroid (LPS, mm) of the mask's voxel centres, or undefined for an empty mask. */
export function maskCentroidLps(mask: Mask): PointLps | undefined {
  const [nx, ny, nz] = mask.grid.size;
  const d = mask.data;
  let si = 0, sj = 0, sk = 0, n = 0, p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (d[p] === 0) continue;
        si += i;
        sj += j;
        sk += k;
        n++;
      }
    }
  }
  return n === 0 ? undefined : indexToLps(mask.grid, [si / n, sj / n, sk / n]);
}

/** Throws GeometryError when a structure that the operation needs is empty. */
export function requireNonEmpty(mask: Mask, structure: string, operation: string): void {
  if (countVoxels(mask) === 0) {
    throw new GeometryError(`${operation}: expected a non-empty structure, found no voxels`, { structure });
  }
}

/** A plane of voxels: those whose index along `axis` is `index`. */
export interface PlaneRef {
  readonly axis: 0 | 1 | 2;
  readonly index: number;
}

/**
 * A volume as a slice view reads it: its grid and planes of voxels (plane). prepare(planes) says
 * which planes will be asked for, so that a volume read from files can read each file once for all
 * of them (src/io/dicom/read/ct.ts readCtPlanes); it may be skipped.
 */
export interface VolumePlanes {
  readonly grid: Grid;
  prepare?(planes: readonly PlaneRef[]): void;
  /** The plane's values, the other two axes in order, the lower one fastest (axis 1: i + nx k). */
  plane(axis: 0 | 1 | 2, index: number): Float32Array;
}

/** Index of voxel (i, j, k) in a plane across `axis` (VolumePlanes.plane's order). */
export function planeOffset(grid: Grid, axis: 0 | 1 | 2, i: number, j: number, k: number): number {
  const [nx, ny] = grid.size;
  return axis === 2 ? i + nx * j : axis === 1 ? i + nx * k : j + ny * k;
}

/** Copy into `out` (at planeOffset) the values of one slice k of a plane across axis 0 or 1 (index) from
 * that slice's values (x fastest): the rows and columns a slice contributes. */
function copySliceLine(grid: Grid, slice: Float32Array, k: number, axis: 0 | 1, index: number, out: Float32Array): void {
  const [nx, ny] = grid.size;
  if (axis === 1) out.set(slice.subarray(index * nx, index * nx + nx), nx * k);
  else for (let j = 0; j < ny; j++) out[j + ny * k] = slice[index + nx * j]!;
}

/** The planes of a volume in memory. */
export function volumePlanes(v: ScalarVolume): VolumePlanes {
  const [nx, ny, nz] = v.grid.size;
  return {
    grid: v.grid,
    plane(axis, index) {
      const n = nx * ny;
      if (axis === 2) return v.data.slice(index * n, index * n + n);
      const out = new Float32Array((axis === 1 ? nx : ny) * nz);
      for (let k = 0; k < nz; k++) copySliceLine(v.grid, v.data.subarray(k * n, k * n + n), k, axis, index, out);
      return out;
    },
  };
}
