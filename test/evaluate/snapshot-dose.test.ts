/**
 * The dose the snapshots draw at each CT voxel (snapshots.ts doseAtCtVoxel): trilinear interpolation
 * is exact for a dose linear in position, so on a dose grid of other spacing, origin and orientation
 * than the CT's the sampled dose must equal the linear function at the CT voxel's position (an
 * expectation computed here from the grids' definitions), and be 0 beyond half a dose voxel outside.
 */

import { describe, expect, it } from 'vitest';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { doseAtCtVoxel } from '../../src/evaluate/report/snapshots.js';

describe('snapshot dose at CT voxels', () => {
  it('is the linear dose at the voxel position inside the dose grid, 0 outside', () => {
    const ct = createGrid({ size: [40, 30, 20], spacingMm: [1.2, 1.2, 3], originMm: [-24, -18, -30] });
    // a dose grid rotated 90 degrees about z (x along -y), coarser, offset
    const c = 0, s = 1;
    const doseGrid = createGrid({ size: [18, 24, 14], spacingMm: [2.5, 2, 4], originMm: [14, -20, -26], direction: [c, -s, 0, s, c, 0, 0, 0, 1] });
    const linear = (p: readonly number[]): number => 20 + 0.3 * p[0]! - 0.2 * p[1]! + 0.15 * p[2]!;
    const dose = createScalarVolume(doseGrid);
    let n = 0;
    for (let k = 0; k < 14; k++) for (let j = 0; j < 24; j++) for (let i = 0; i < 18; i++, n++) dose.data[n] = linear(indexToLps(doseGrid, [i, j, k]));
    const at = doseAtCtVoxel(ct, dose);
    let inside = 0, outside = 0;
    for (let k = 0; k < 20; k++) for (let j = 0; j < 30; j++) for (let i = 0; i < 40; i++) {
      const p = indexToLps(ct, [i, j, k]);
      // the dose grid's continuous index of p, from its definition (direction columns, spacing, origin)
      const q = [p[0] - 14, p[1] + 20, p[2] + 26];
      const ci = [(c * q[0]! + s * q[1]!) / 2.5, (-s * q[0]! + c * q[1]!) / 2, q[2]! / 4];
      const within = ci.every((v, a) => v >= -0.5 && v <= [18, 24, 14][a]! - 0.5);
      const interior = ci.every((v, a) => v >= 0 && v <= [18, 24, 14][a]! - 1);
      const got = at(i, j, k);
      if (!within) {
        expect(got).toBe(0);
        outside++;
      } else if (interior) {
        expect(got).toBeCloseTo(linear(p), 3);
        inside++;
      }
    }
    expect(inside).toBeGreaterThan(2000);
    expect(outside).toBeGreaterThan(2000);
  });
});
