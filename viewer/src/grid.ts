/** Grid <-> LPS conversions (the server's grid descriptor: origin = centre of voxel 0, direction columns = axes). */
import { indexToLps, lpsToContinuousIndex, type Grid } from '../../src/geometry/grid.js';
import type { GridJson } from './types.js';

export type Vec3 = [number, number, number];

/** The server's grid descriptor as src/geometry/grid.ts's Grid (the same fields; its direction has 9 entries). */
const asGrid = (g: GridJson): Grid => g as unknown as Grid;

/** Patient position (LPS, mm) of a continuous voxel index: src/geometry/grid.ts indexToLps. */
export const ijkToLps = (g: GridJson, ijk: readonly number[]): Vec3 => [...indexToLps(asGrid(g), [ijk[0]!, ijk[1]!, ijk[2]!])] as Vec3;

/** Continuous voxel index of a patient position: src/geometry/grid.ts lpsToContinuousIndex. */
export const lpsToIjk = (g: GridJson, p: readonly number[]): Vec3 => [...lpsToContinuousIndex(asGrid(g), [p[0]!, p[1]!, p[2]!])] as Vec3;

/** Trilinear interpolation of a volume at a continuous index; 0 outside the grid's voxel centres. */
export function trilinear(g: GridJson, data: Float32Array, ci: number, cj: number, ck: number): number {
  const [nx, ny, nz] = g.size;
  const eps = 1e-6;
  if (ci < -eps || cj < -eps || ck < -eps || ci > nx - 1 + eps || cj > ny - 1 + eps || ck > nz - 1 + eps) return 0;
  const i0 = Math.min(Math.max(Math.floor(ci), 0), Math.max(nx - 2, 0));
  const j0 = Math.min(Math.max(Math.floor(cj), 0), Math.max(ny - 2, 0));
  const k0 = Math.min(Math.max(Math.floor(ck), 0), Math.max(nz - 2, 0));
  const fx = nx > 1 ? ci - i0 : 0, fy = ny > 1 ? cj - j0 : 0, fz = nz > 1 ? ck - k0 : 0;
  const i1 = Math.min(i0 + 1, nx - 1), j1 = Math.min(j0 + 1, ny - 1), k1 = Math.min(k0 + 1, nz - 1);
  const at = (i: number, j: number, k: number): number => data[i + nx * (j + ny * k)]!;
  const c00 = at(i0, j0, k0) * (1 - fx) + at(i1, j0, k0) * fx;
  const c10 = at(i0, j1, k0) * (1 - fx) + at(i1, j1, k0) * fx;
  const c01 = at(i0, j0, k1) * (1 - fx) + at(i1, j0, k1) * fx;
  const c11 = at(i0, j1, k1) * (1 - fx) + at(i1, j1, k1) * fx;
  return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
}
