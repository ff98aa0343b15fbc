/**
 * DVHs and metrics for 20 contoured structures on a 256 x 256 x 150 dose grid (2 x 2 x 2.5 mm),
 * issue 5's speed target (< 1 s). Structures: 15 ellipsoids from 1500 cc down to 20 cc (large
 * sampling path) and 5 lattice spheres of 1.77 cc (fine path: 0.5 mm sampling), all contoured every
 * 2.5 mm with 64-point polygons. The dose is a smooth sum of Gaussians (not timed).
 * Reported: the whole evaluation (geometry + dose sampling + DVH + metrics), and the dose part alone
 * with geometry reused (what a second dose, EQD2 or delivered fractions cost).
 * Whole case (target < 3 s): the seed-case phantom's structures (contours from its masks) plus
 * lattice spheres of 15 mm (4 cm in plane, planes 3 cm apart, alternate planes shifted 2 cm; each
 * sphere at least 7.5 mm inside the GTV) contoured
 * every 2.5 mm, a synthetic dose (20 Gy around the GTV, 66.7 Gy Gaussian peaks) on the CT grid;
 * evaluatePlan with TG-101 5 fx, 5 planned / 2 delivered fractions, EQD2 and SFRT metrics.
 */

import { createGrid, indexToLps, lpsToIndex } from '../src/geometry/grid.js';
import { buildSeedPhantom } from '../src/phantom/seed-case.js';
import { maskStructuresToContours } from '../src/io/dicom/write/case.js';
import { maskCentroidLps } from '../src/geometry/volume.js';
import type { ContourStructure } from '../src/geometry/structure.js';
import { evaluatePlan } from '../src/evaluate/plan.js';
import { tg101Set } from '../src/evaluate/constraints/tg101.js';
import type { PlanarContour } from '../src/geometry/structure.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import { computeDvh, sampleDose, sampleStructure, type StructureSampling } from '../src/evaluate/dvh.js';
import { doseAtVolumeCc, doseAtVolumePercent, gEUD, volumeAtDoseCc } from '../src/evaluate/metrics.js';
import { eqd2Samples } from '../src/evaluate/radiobiology.js';
import { timeIt, underSeconds, type BenchSuite, type Measurement } from './harness.js';

function ellipsoid(c: readonly [number, number, number], r: readonly [number, number, number]): PlanarContour[] {
  const out: PlanarContour[] = [];
  const n = 64;
  for (let z = c[2] - r[2] + 1.25; z < c[2] + r[2]; z += 2.5) {
    const t = 1 - ((z - c[2]) / r[2]) ** 2;
    if (t <= 0) continue;
    const s = Math.sqrt(t);
    const p = new Float64Array(3 * n);
    for (let q = 0; q < n; q++) {
      const a = (2 * Math.PI * q) / n;
      p[3 * q] = c[0] + r[0] * s * Math.cos(a);
      p[3 * q + 1] = c[1] + r[1] * s * Math.sin(a);
      p[3 * q + 2] = z;
    }
    out.push({ geometricType: 'CLOSED_PLANAR', pointsLps: p });
  }
  return out;
}

export const suite: BenchSuite = {
  name: 'evaluate',
  run(): Measurement[] {
    const grid = createGrid({ size: [256, 256, 150], spacingMm: [2, 2, 2.5], originMm: [-255, -255, -186] });
    const dose = createScalarVolume(grid);
    const blobs = [
      [0, 0, 0, 60, 40],
      [30, 20, 10, 50, 15],
      [-40, -10, -20, 25, 20],
    ] as const;
    let p = 0;
    for (let k = 0; k < 150; k++) for (let j = 0; j < 256; j++) for (let i = 0; i < 256; i++, p++) {
      const x = indexToLps(grid, [i, j, k]);
      let d = 0;
      for (const [bx, by, bz, amp, sig] of blobs) d += amp * Math.exp(-((x[0] - bx) ** 2 + (x[1] - by) ** 2 + (x[2] - bz) ** 2) / (2 * sig * sig));
      dose.data[p] = d;
    }
    const structures: { name: string; contours: PlanarContour[] }[] = [];
    // Ellipsoid volumes 4/3 π a b c: radii chosen for 1500 .. 20 cc.
    const volumes = [1500, 1000, 800, 600, 400, 300, 250, 200, 150, 120, 100, 80, 50, 30, 20];
    volumes.forEach((v, idx) => {
      const r = Math.cbrt((v * 1000 * 3) / (4 * Math.PI));
      const c: [number, number, number] = [-120 + 17 * idx, -60 + 9 * (idx % 5), -40 + 6 * (idx % 7)];
      structures.push({ name: `organ_${v}cc`, contours: ellipsoid(c, [1.2 * r, r, r / 1.44]) });
    });
    for (let s = 0; s < 5; s++) structures.push({ name: `Sphere_${s + 1}`, contours: ellipsoid([-30 + 15 * s, 5, 0], [7.5, 7.5, 7.5]) });

    const metricsOf = (d: ReturnType<typeof computeDvh>): number =>
      d.meanGy + doseAtVolumeCc(d, 0.035) + doseAtVolumePercent(d, 95) + doseAtVolumePercent(d, 2) + volumeAtDoseCc(d, 20) + gEUD(d, -10);
    const whole = timeIt(() => {
      let s = 0;
      const samplings: StructureSampling[] = [];
      for (const st of structures) {
        const sampling = sampleStructure(st, grid);
        samplings.push(sampling);
        s += metricsOf(computeDvh(sampleDose(sampling, dose)));
      }
      return { s, samplings };
    });
    const samplings = whole.result.samplings;
    const points = samplings.reduce((s, x) => s + x.index.length, 0);
    const dosePart = timeIt(() => {
      let s = 0;
      for (const sampling of samplings) s += metricsOf(computeDvh(sampleDose(sampling, dose)));
      return s;
    });
    const geometry = timeIt(() => structures.map((st) => sampleStructure(st, grid)).length);
    const eqd2 = timeIt(() => {
      let s = 0;
      for (const sampling of samplings) s += metricsOf(computeDvh(eqd2Samples(sampleDose(sampling, dose), 5, 3)));
      return s;
    });
    const noSpread = timeIt(() => {
      let s = 0;
      for (const sampling of samplings) s += metricsOf(computeDvh(sampleDose(sampling, dose, { spread: false })));
      return s;
    });
    const seed = seedCase();
    const plan = timeIt(
      () =>
        evaluatePlan(seed.structures, seed.dose, {
          schedule: { fractionsPlanned: 5, fractionsDelivered: 2 },
          constraintSet: tg101Set(5),
        }),
      1,
    );
    return [
      underSeconds('20 structures: sampling + dose + DVH + 6 metrics', whole.seconds, 1),
      { name: 'sampling points (20 structures)', value: points, unit: '' },
      { name: 'geometry only (rasterised sampling grids)', value: geometry.seconds, unit: 's' },
      { name: 'dose part only (geometry reused), spread on', value: dosePart.seconds, unit: 's' },
      { name: 'dose part only, spread off (point sampling)', value: noSpread.seconds, unit: 's' },
      { name: 'dose part + voxel-wise EQD2 DVHs', value: eqd2.seconds, unit: 's' },
      underSeconds(`seed case: ${seed.structures.length} structures incl. ${seed.spheres} spheres, evaluatePlan`, plan.seconds, 3),
      { name: 'seed case: sampling points', value: plan.result.structures.reduce((a, x) => a + x.sampling.points, 0), unit: '' },
    ];
  },
};

/** The seed phantom as contours, with lattice spheres and a synthetic SIB-like dose on its CT grid. */
function seedCase(): { structures: ContourStructure[]; dose: ReturnType<typeof createScalarVolume>; spheres: number } {
  const phantom = buildSeedPhantom();
  const masks = phantom.structures;
  const structures = maskStructuresToContours(masks);
  const gtv = masks.find((m) => m.name === 'GTV')!.mask;
  const c = maskCentroidLps(gtv)!;
  const centres: [number, number, number][] = [];
  for (let dz = -45; dz <= 45; dz += 30) {
    const shift = (Math.round(dz / 30) & 1) * 20; // alternate planes shifted by half the in-plane pitch
    for (let dx = -120; dx <= 120; dx += 40) for (let dy = -120; dy <= 120; dy += 40) {
      const p: [number, number, number] = [c[0] + dx + shift, c[1] + dy, c[2] + dz];
      let inside = true;
      for (const [ox, oy, oz] of [[0, 0, 0], [15, 0, 0], [-15, 0, 0], [0, 15, 0], [0, -15, 0], [0, 0, 15], [0, 0, -15]] as const) {
        const q = lpsToIndex(gtv.grid, [p[0] + ox, p[1] + oy, p[2] + oz]);
        if (q === undefined || gtv.data[q[0] + gtv.grid.size[0] * (q[1] + gtv.grid.size[1] * q[2])] === 0) inside = false;
      }
      if (inside) centres.push(p);
    }
  }
  centres.forEach((p, i) =>
    structures.push({ roiNumber: 100 + i, name: `Sphere_${i + 1}`, interpretedType: 'PTV', contours: ellipsoid(p, [7.5, 7.5, 7.5]) }),
  );
  const grid = phantom.grid;
  const dose = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(grid, [i, j, k]);
    let d = 22 * Math.exp(-((x[0] - c[0]) ** 2 + (x[1] - c[1]) ** 2 + (x[2] - c[2]) ** 2) / (2 * 70 * 70));
    for (const s of centres) {
      const r2 = (x[0] - s[0]) ** 2 + (x[1] - s[1]) ** 2 + (x[2] - s[2]) ** 2;
      if (r2 < 900) d += 46.7 * Math.exp(-r2 / (2 * 5 * 5));
    }
    dose.data[p] = d;
  }
  return { structures, dose, spheres: centres.length };
}
