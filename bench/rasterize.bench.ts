/**
 * Rasterisation and marching squares on a CT-sized grid: 512 x 512 x 160 voxels of
 * 0.98 x 0.98 x 2.5 mm. The structure is a ~1600 cc lobulated body, contoured every 2.5 mm
 * (about 58 planes of 200 points): on the plane at height z, r(phi) = a(z) (1 + 0.2 cos(5 phi + z / 15 mm))
 * with a(z) = sqrt(R^2 - z^2), R = 72.1 mm; its volume is 1.02 x 4/3 pi R^3 = 1601.4 cc.
 */

import { maskToContours } from '../src/geometry/contour.js';
import { createGrid } from '../src/geometry/grid.js';
import { rasterizeStructure, rasterizeToMask } from '../src/geometry/rasterize.js';
import type { PlanarContour } from '../src/geometry/structure.js';
import { maskVolumeCc, occupancyVolumeCc } from '../src/geometry/volume.js';
import { timeIt, type BenchSuite, type Measurement } from './harness.js';

const R_MM = 72.1;
const PLANE_MM = 2.5;
const POINTS = 200;

function lobulatedContours(): PlanarContour[] {
  const out: PlanarContour[] = [];
  for (let p = -Math.floor(R_MM / PLANE_MM); p * PLANE_MM < R_MM; p++) {
    const z = p * PLANE_MM + 0.4; // planes off the grid slices by 0.4 mm
    const a2 = R_MM * R_MM - z * z;
    if (a2 <= 0) continue;
    const a = Math.sqrt(a2);
    const pts = new Float64Array(3 * POINTS);
    for (let q = 0; q < POINTS; q++) {
      const phi = (2 * Math.PI * q) / POINTS;
      const r = a * (1 + 0.2 * Math.cos(5 * phi + z / 15));
      pts[3 * q] = 3.3 + r * Math.cos(phi);
      pts[3 * q + 1] = -12.7 + r * Math.sin(phi);
      pts[3 * q + 2] = z;
    }
    out.push({ geometricType: 'CLOSED_PLANAR', pointsLps: pts });
  }
  return out;
}

export const suite: BenchSuite = {
  name: 'rasterize',
  run(): Measurement[] {
    const grid = createGrid({
      size: [512, 512, 160],
      spacingMm: [0.98, 0.98, 2.5],
      originMm: [-250.39, -250.39, -200],
    });
    const contours = lobulatedContours();
    const raster = timeIt(() => rasterizeStructure(contours, grid, { name: 'lobulated' }));
    const mask = rasterizeToMask(contours, grid);
    const march = timeIt(() => maskToContours(mask));
    const marchSimplified = timeIt(() => maskToContours(mask, { simplifyToleranceMm: 0.5 }));
    const points = (cs: PlanarContour[]): number => cs.reduce((s, c) => s + c.pointsLps.length / 3, 0);
    return [
      { name: 'contour planes', value: contours.length, unit: '' },
      { name: 'rasterizeStructure, 1600 cc onto 512x512x160', value: raster.seconds, unit: 's' },
      { name: 'occupancy volume (analytic 1601.4 cc)', value: occupancyVolumeCc(raster.result), unit: 'cc' },
      { name: 'mask volume (occupancy >= 0.5)', value: maskVolumeCc(mask), unit: 'cc' },
      { name: 'maskToContours, 1600 cc mask on 512x512x160', value: march.seconds, unit: 's' },
      { name: 'maskToContours points (collinear removed)', value: points(march.result), unit: '' },
      { name: 'maskToContours, simplified at 0.5 mm', value: marchSimplified.seconds, unit: 's' },
      { name: 'maskToContours points (0.5 mm)', value: points(marchSimplified.result), unit: '' },
    ];
  },
};
