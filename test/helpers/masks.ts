/**
 * Masks for the geometry tests, built from their definition voxel by voxel (independent of the code
 * under test).
 */

import type { Vec3 } from '../../src/core/vec3.js';
import { indexToLps, type Grid } from '../../src/geometry/grid.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';

/**
 * Voxels whose centre lies within radiusMm of centreMm, measured in index-space mm (i * spacing,
 * j * spacing, k * spacing: the grid's origin and direction play no part).
 */
export function sphereMask(grid: Grid, centreMm: Vec3, radiusMm: number): Mask {
  const mask = createMask(grid);
  const [nx, ny, nz] = grid.size;
  const [sx, sy, sz] = grid.spacingMm;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const d = Math.hypot(i * sx - centreMm[0], j * sy - centreMm[1], k * sz - centreMm[2]);
        if (d <= radiusMm) mask.data[i + nx * (j + ny * k)] = 1;
      }
  return mask;
}

/** Mask of the voxels whose centres (LPS, mm) satisfy inside(x, y, z). */
export function maskWhere(grid: Grid, inside: (x: number, y: number, z: number) => boolean): Mask {
  const mask = createMask(grid);
  const [nx, ny, nz] = grid.size;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = indexToLps(grid, [i, j, k]);
        if (inside(p[0], p[1], p[2])) mask.data[i + nx * (j + ny * k)] = 1;
      }
  return mask;
}

/** Inclusive index box (lo, hi) of the non-zero voxels, voxel by voxel; undefined when there are none. */
export function voxelBoundingBox(volume: { readonly grid: Grid; readonly data: ArrayLike<number> }): { lo: Vec3; hi: Vec3 } | undefined {
  const [nx, ny, nz] = volume.grid.size;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (volume.data[i + nx * (j + ny * k)] === 0) continue;
        [i, j, k].forEach((v, a) => {
          lo[a] = Math.min(lo[a]!, v);
          hi[a] = Math.max(hi[a]!, v);
        });
      }
  return hi[0]! < 0 ? undefined : { lo: [lo[0]!, lo[1]!, lo[2]!], hi: [hi[0]!, hi[1]!, hi[2]!] };
}
