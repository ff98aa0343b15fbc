/**
 * Geometry benchmark: margins and mask booleans on a clinical-size CT grid (512 x 512 x 160 voxels,
 * spacing 0.98 x 0.98 x 2.5 mm) with a lobulated ellipsoidal target of about 1600 cc.
 * Targets (issue): 5 mm expansion < 1.5 s; union / intersection / subtraction of two full-grid
 * masks < 0.1 s each.
 */

import { unionMasks, intersectMasks, subtractMask } from '../src/geometry/booleans.js';
import { createGrid, indexToLps, type Grid } from '../src/geometry/grid.js';
import { contractMask, expandMask, ringMask } from '../src/geometry/margins.js';
import { createMask, maskVolumeCc, type Mask } from '../src/geometry/volume.js';
import { timeIt, underSeconds, type BenchSuite, type Measurement } from './harness.js';

/** Semi-axes (mm) of the target before lobulation, and the lobe amplitude (fraction of radius). */
const TARGET_SEMI_AXES_MM = [78, 64, 80] as const;
const LOBE_AMPLITUDE = 0.12;

/**
 * A lobulated ellipsoid centred in the grid: a point is inside when its ellipsoidal radius is below
 * 1 + amplitude * (lobes in azimuth and elevation).
 */
function lobulatedTarget(grid: Grid): Mask {
  const mask = createMask(grid);
  const [nx, ny, nz] = grid.size;
  const centre = indexToLps(grid, [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2]);
  const [sx, sy, sz] = grid.spacingMm;
  const [ax, ay, az] = TARGET_SEMI_AXES_MM;
  const reach = 1 + LOBE_AMPLITUDE;
  const lo = [
    Math.max(0, Math.floor((nx - 1) / 2 - (ax * reach) / sx) - 1),
    Math.max(0, Math.floor((ny - 1) / 2 - (ay * reach) / sy) - 1),
    Math.max(0, Math.floor((nz - 1) / 2 - (az * reach) / sz) - 1),
  ];
  const hi = [nx - 1 - lo[0]!, ny - 1 - lo[1]!, nz - 1 - lo[2]!];
  const d = mask.data;
  for (let k = lo[2]!; k <= hi[2]!; k++) {
    for (let j = lo[1]!; j <= hi[1]!; j++) {
      for (let i = lo[0]!; i <= hi[0]!; i++) {
        // Identity direction: offsets from the centre along x, y, z.
        const u = (i * sx + grid.originMm[0] - centre[0]) / ax;
        const v = (j * sy + grid.originMm[1] - centre[1]) / ay;
        const w = (k * sz + grid.originMm[2] - centre[2]) / az;
        const r = Math.sqrt(u * u + v * v + w * w);
        const azimuth = Math.atan2(v, u);
        const elevation = r > 0 ? Math.acos(w / r) : 0;
        const limit = 1 + LOBE_AMPLITUDE * Math.sin(3 * azimuth) * Math.sin(2 * elevation);
        if (r <= limit) d[i + nx * (j + ny * k)] = 1;
      }
    }
  }
  return mask;
}

/** An elliptic cylinder along z, semi-axes (mm), shifted sideways by dxMm: a stand-in body. */
function ellipticCylinder(grid: Grid, semiXMm: number, semiYMm: number, dxMm: number): Mask {
  const mask = createMask(grid);
  const [nx, ny, nz] = grid.size;
  const [sx, sy] = grid.spacingMm;
  const cx = ((nx - 1) / 2) * sx + dxMm;
  const cy = ((ny - 1) / 2) * sy;
  const slice = new Uint8Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const u = (i * sx - cx) / semiXMm;
      const v = (j * sy - cy) / semiYMm;
      if (u * u + v * v <= 1) slice[i + nx * j] = 1;
    }
  }
  for (let k = 0; k < nz; k++) mask.data.set(slice, k * nx * ny);
  return mask;
}

export const suite: BenchSuite = {
  name: 'geometry',
  run(): Measurement[] {
    const grid = createGrid({ size: [512, 512, 160], spacingMm: [0.98, 0.98, 2.5], originMm: [-250, -250, -200] });
    const target = lobulatedTarget(grid);
    const out: Measurement[] = [];
    out.push({ name: 'target volume (lobulated ellipsoid)', value: maskVolumeCc(target), unit: 'cc' });

    const expand = timeIt(() => expandMask(target, 5, { name: 'target' }));
    out.push({ name: 'target + 5 mm volume', value: maskVolumeCc(expand.result), unit: 'cc' });
    out.push(underSeconds('expandMask 5 mm (512x512x160, 0.98x0.98x2.5 mm)', expand.seconds, 1.5));

    const aniso = timeIt(() =>
      expandMask(target, { rightLeftMm: 5, anteriorPosteriorMm: 5, inferiorSuperiorMm: 10 }, { name: 'target' }),
    );
    out.push({ name: 'expandMask RL 5 / AP 5 / SI 10 mm', value: aniso.seconds, unit: 's' });
    const contract = timeIt(() => contractMask(target, 5, { name: 'target' }));
    out.push({ name: 'contractMask 5 mm', value: contract.seconds, unit: 's' });
    const ring = timeIt(() => ringMask(target, 5, 20, { name: 'target' }));
    out.push({ name: 'ringMask 5-20 mm', value: ring.seconds, unit: 's' });
    out.push({ name: 'ring 5-20 mm volume', value: maskVolumeCc(ring.result), unit: 'cc' });

    // Two full-grid masks: two overlapping body-sized elliptic cylinders.
    const a = ellipticCylinder(grid, 180, 120, -20);
    const b = ellipticCylinder(grid, 170, 130, 25);
    out.push(underSeconds('unionMasks of two full-grid masks', timeIt(() => unionMasks(a, b)).seconds, 0.1));
    out.push(underSeconds('intersectMasks of two full-grid masks', timeIt(() => intersectMasks(a, b)).seconds, 0.1));
    out.push(underSeconds('subtractMask of two full-grid masks', timeIt(() => subtractMask(a, b)).seconds, 0.1));
    return out;
  },
};
