/**
 * Resampling speed: trilinear resampling of a CT-sized volume (256 x 256 x 150) onto a 200^3 grid
 * (axis-parallel and oblique), and occupancy resampling of a 1600 cc sphere mask from 2.5 mm onto a
 * 1 mm grid around it (the exact axis-parallel path, plus the oblique supersampled path). The issue
 * sets no target; bench/README.md records the figures.
 */

import { createGrid, voxelCount, type Grid } from '../src/geometry/grid.js';
import { resampleOccupancy, resampleTrilinear } from '../src/geometry/resample.js';
import { createMask, createScalarVolume, maskVolumeCc, occupancyVolumeCc } from '../src/geometry/volume.js';
import type { Mat3 } from '../src/core/vec3.js';
import { timeIt, type BenchSuite, type Measurement } from './harness.js';

/** Rotation by `angleRad` about S (an oblique frame). */
function aboutS(angleRad: number): Mat3 {
  const c = Math.cos(angleRad);
  const s = Math.sin(angleRad);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

/** A grid whose voxel-centre box is centred at the patient origin. */
function centred(size: readonly [number, number, number], spacingMm: readonly [number, number, number], direction: Mat3): Grid {
  const half = [0, 1, 2].map((a) => ((size[a]! - 1) * spacingMm[a]!) / 2);
  const origin = [0, 1, 2].map(
    (r) => -(direction[3 * r]! * half[0]! + direction[3 * r + 1]! * half[1]! + direction[3 * r + 2]! * half[2]!),
  );
  return createGrid({ size, spacingMm, originMm: [origin[0]!, origin[1]!, origin[2]!], direction });
}

export const suite: BenchSuite = {
  name: 'resample',
  run(): Measurement[] {
    const rows: Measurement[] = [];

    // CT-like source: 256 x 256 x 150, 1.5 x 1.5 x 2 mm (384 x 384 x 300 mm), a smooth field.
    const ctGrid = centred([256, 256, 150], [1.5, 1.5, 2], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const ct = createScalarVolume(ctGrid);
    for (let p = 0; p < ct.data.length; p++) ct.data[p] = ((Math.imul(p, 2654435761) >>> 0) % 2000) - 1000;
    const target = centred([200, 200, 200], [1.2, 1.2, 1.2], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const shifted = createGrid({ ...target, originMm: [target.originMm[0] + 0.37, target.originMm[1] - 0.21, target.originMm[2] + 0.4] });
    const oblique = centred([200, 200, 200], [1.2, 1.2, 1.2], aboutS(0.3));
    const t1 = timeIt(() => resampleTrilinear(ct, shifted, { outsideValue: -1000 }));
    rows.push({ name: 'trilinear 256x256x150 -> 200^3, axis-parallel', value: t1.seconds, unit: 's' });
    const t2 = timeIt(() => resampleTrilinear(ct, oblique, { outsideValue: -1000 }));
    rows.push({ name: 'trilinear 256x256x150 -> 200^3, oblique (0.3 rad)', value: t2.seconds, unit: 's' });
    rows.push({
      name: 'trilinear output voxels per second (axis-parallel)',
      value: voxelCount(shifted) / t1.seconds / 1e6,
      unit: 'M/s',
    });

    // 1600 cc sphere (radius 72.6 mm) on a 2.5 mm grid; 1 mm region grid around it.
    const radiusMm = Math.cbrt((3 * 1600e3) / (4 * Math.PI));
    const coarse = centred([72, 72, 72], [2.5, 2.5, 2.5], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const mask = createMask(coarse);
    const [nx, ny] = coarse.size;
    for (let p = 0; p < mask.data.length; p++) {
      const i = p % nx;
      const j = Math.floor(p / nx) % ny;
      const k = Math.floor(p / (nx * ny));
      const x = coarse.originMm[0] + 2.5 * i;
      const y = coarse.originMm[1] + 2.5 * j;
      const z = coarse.originMm[2] + 2.5 * k;
      mask.data[p] = Math.hypot(x, y, z) <= radiusMm ? 1 : 0;
    }
    const fine = centred([160, 160, 160], [1, 1, 1], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const fineShifted = createGrid({ ...fine, originMm: [fine.originMm[0] + 0.3, fine.originMm[1] + 0.1, fine.originMm[2] - 0.2] });
    const o1 = timeIt(() => resampleOccupancy(mask, fineShifted));
    rows.push({ name: `occupancy ${maskVolumeCc(mask).toFixed(0)} cc mask 2.5 mm -> 1 mm 160^3, exact`, value: o1.seconds, unit: 's' });
    rows.push({
      name: 'occupancy exact: relative volume error',
      value: Math.abs(occupancyVolumeCc(o1.result) / maskVolumeCc(mask) - 1),
      unit: '',
    });
    const fineOblique = centred([160, 160, 160], [1, 1, 1], aboutS(0.3));
    const o2 = timeIt(() => resampleOccupancy(mask, fineOblique), 1);
    rows.push({ name: 'occupancy 2.5 mm -> 1 mm 160^3, oblique, 4^3 sub-points', value: o2.seconds, unit: 's' });
    rows.push({
      name: 'occupancy oblique: relative volume error',
      value: Math.abs(occupancyVolumeCc(o2.result) / maskVolumeCc(mask) - 1),
      unit: '',
    });
    return rows;
  },
};
