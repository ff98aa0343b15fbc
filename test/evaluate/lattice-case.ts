/** A small lattice plan for the evaluation tests: contoured structures and a dose with peaks and a valley. */

import type { ContourStructure, PlanarContour } from '../../src/geometry/structure.js';
import { indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import { circle, doseGridAround, sphereContours } from './analytic.js';

/** A small lattice case: GTV ball R 25 mm, two 15 mm spheres at x = +-10 mm, a valley (GTV with the
 * spheres as even-odd holes), a liver around it and a stomach aside. Contours every 2 mm. */
export function latticeCase(): ContourStructure[] {
  const planes = (z0: number, z1: number, f: (z: number) => PlanarContour[]): PlanarContour[] => {
    const out: PlanarContour[] = [];
    for (let z = z0 + 1; z < z1; z += 2) out.push(...f(z));
    return out;
  };
  const r = (R: number, dz: number): number => Math.sqrt(Math.max(R * R - dz * dz, 0));
  const valley = planes(-25, 25, (z) => {
    const cs = [circle(0, 0, z, r(25, z))];
    if (Math.abs(z) < 7.5) cs.push(circle(10, 0, z, r(7.5, z)), circle(-10, 0, z, r(7.5, z)));
    return cs;
  });
  const mk = (roiNumber: number, name: string, interpretedType: ContourStructure['interpretedType'], contours: PlanarContour[]): ContourStructure => ({
    roiNumber, name, interpretedType, contours,
  });
  return [
    mk(1, 'GTV', 'GTV', sphereContours([0, 0, 0], 25, 2, 1)),
    mk(2, 'Sphere_1', 'PTV', sphereContours([10, 0, 0], 7.5, 2, 1)),
    mk(3, 'Sphere_2', 'PTV', sphereContours([-10, 0, 0], 7.5, 2, 1)),
    mk(4, 'Valley', 'CTV', valley),
    mk(5, 'Liver', 'ORGAN', sphereContours([0, 0, 0], 38, 2, 1)),
    mk(6, 'Stomach', 'ORGAN', sphereContours([0, 48, 0], 8, 2, 1)),
    mk(7, 'Marker', 'MARKER', [{ geometricType: 'POINT', pointsLps: new Float64Array([0, 0, 0]) }]),
  ];
}

export function latticeDose(): ScalarVolume {
  const grid = doseGridAround([0, 10, 0], 62, [2.5, 2.5, 2.5]);
  const dose = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const [x, y, z] = indexToLps(grid, [i, j, k]);
    const peak = (cx: number): number => 46.7 * Math.exp(-((x - cx) ** 2 + y * y + z * z) / (2 * 4 * 4));
    const body = 20 * Math.exp(-Math.max(0, Math.hypot(x, y, z) - 25) / 15);
    dose.data[p] = body + peak(10) + peak(-10);
  }
  return dose;
}
