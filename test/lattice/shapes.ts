/**
 * Analytic test shapes rasterised on grids (voxel centre inside), written for the tests and
 * independent of the code under test.
 */

import { createGrid, type Grid } from '../../src/geometry/grid.js';
import type { MaskStructure, RoiInterpretedType } from '../../src/geometry/structure.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';

/** A cubic grid of n^3 voxels of `spacing` mm, centred on (0, 0, 0) (a voxel centre when n is odd). */
export function cubeGrid(n: number, spacing = 1, nz = n): Grid {
  return createGrid({
    size: [n, n, nz],
    spacingMm: [spacing, spacing, spacing],
    originMm: [(-(n - 1) / 2) * spacing, (-(n - 1) / 2) * spacing, (-(nz - 1) / 2) * spacing],
  });
}

/** Mask of the voxel centres (identity direction) for which inside(x, y, z) holds. */
export function maskOf(grid: Grid, inside: (x: number, y: number, z: number) => boolean): Mask {
  const m = createMask(grid);
  const [nx, ny, nz] = grid.size;
  const [sx, sy, sz] = grid.spacingMm;
  const o = grid.originMm;
  for (let k = 0, g = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, g++) if (inside(o[0] + i * sx, o[1] + j * sy, o[2] + k * sz)) m.data[g] = 1;
    }
  }
  return m;
}

export const structureOf = (name: string, mask: Mask, interpretedType: RoiInterpretedType = 'ORGAN'): MaskStructure => ({
  name,
  interpretedType,
  colorRgb: [1, 2, 3],
  mask,
});

/** Axis-aligned box with half-sizes h centred at c. */
export const inBox = (c: readonly number[], h: readonly number[]) => (x: number, y: number, z: number): boolean =>
  Math.abs(x - c[0]!) <= h[0]! && Math.abs(y - c[1]!) <= h[1]! && Math.abs(z - c[2]!) <= h[2]!;

/** Ellipsoid with semi-axes a centred at c. */
export const inEllipsoid = (c: readonly number[], a: readonly number[]) => (x: number, y: number, z: number): boolean =>
  ((x - c[0]!) / a[0]!) ** 2 + ((y - c[1]!) / a[1]!) ** 2 + ((z - c[2]!) / a[2]!) ** 2 <= 1;

/** Euclidean distance (mm) from p to the nearest voxel centre of a mask (identity direction); brute force. */
export function distanceToMaskMm(mask: Mask, p: readonly number[]): number {
  const [nx, ny, nz] = mask.grid.size;
  const [sx, sy, sz] = mask.grid.spacingMm;
  const o = mask.grid.originMm;
  let best = Infinity;
  for (let k = 0, g = 0; k < nz; k++) {
    const dz = o[2] + k * sz - p[2]!;
    for (let j = 0; j < ny; j++) {
      const dy = o[1] + j * sy - p[1]!;
      for (let i = 0; i < nx; i++, g++) {
        if (mask.data[g] === 0) continue;
        const dx = o[0] + i * sx - p[0]!;
        const d = dx * dx + dy * dy + dz * dz;
        if (d < best) best = d;
      }
    }
  }
  return Math.sqrt(best);
}
