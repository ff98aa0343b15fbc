/**
 * structureDvhs (one pass, no stored points) against the stored path it stands in for:
 * sampleStructure -> sampleDose -> mapDoseSamples -> computeDvh. The stored path's accuracy is tested
 * against analytic cases in dvh.test.ts and between-planes.test.ts; here the one-pass DVHs must be
 * the same numbers: same volumes, min / max / mean to the last bit, every bin within 1e-12 of the
 * structure's volume (a point mass clamped into the last bin is added at the end instead of in
 * point order).
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGrid, type Grid } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
import {
  computeDvh,
  doseMapFunction,
  dvhParts,
  mapDoseSamples,
  PHYSICAL_DOSE,
  planDvhs,
  planSampling,
  rasterizeForSampling,
  sampleDose,
  sampleStructure,
  structureDvhs,
  type DoseMap,
  type Dvh,
} from '../../src/evaluate/dvh.js';
import { eqd2Map } from '../../src/evaluate/radiobiology.js';
import { deliveredEqd2Map, deliveredMap } from '../../src/evaluate/fractions.js';
import { expectSameDvhs } from './same-dvhs.js';

/** An ellipse with a ripple as an n-gon on plane z (LPS mm). */
function ring(cx: number, cy: number, z: number, a: number, b: number, n: number, ripple: number): PlanarContour {
  const p = new Float64Array(3 * n);
  for (let q = 0; q < n; q++) {
    const t = (2 * Math.PI * q) / n;
    const w = 1 + ripple * Math.sin(5 * t);
    p[3 * q] = cx + a * w * Math.cos(t);
    p[3 * q + 1] = cy + b * w * Math.sin(t);
    p[3 * q + 2] = z;
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
}

/** An ellipsoid contoured on planes `spacing` apart. */
function ellipsoid(c: readonly number[], r: readonly number[], spacing: number, ripple: number) {
  const contours: PlanarContour[] = [];
  for (let z = Math.ceil((c[2]! - r[2]!) / spacing) * spacing; z <= c[2]! + r[2]!; z += spacing) {
    const t = 1 - ((z - c[2]!) / r[2]!) ** 2;
    if (t > 0.02) contours.push(ring(c[0]!, c[1]!, z, r[0]! * Math.sqrt(t), r[1]! * Math.sqrt(t), 48, ripple));
  }
  return { name: 'S', contours };
}

/** A smooth dose with a peak and a gradient, on a grid that may be rotated about z. */
function doseOn(grid: Grid, peak: readonly number[], gy: number): ScalarVolume {
  const v = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  const d = grid.direction;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const a = i * grid.spacingMm[0], b = j * grid.spacingMm[1], c = k * grid.spacingMm[2];
    const x = grid.originMm[0] + d[0] * a + d[1] * b + d[2] * c;
    const y = grid.originMm[1] + d[3] * a + d[4] * b + d[5] * c;
    const z = grid.originMm[2] + d[6] * a + d[7] * b + d[8] * c;
    const r2 = (x - peak[0]!) ** 2 + (y - peak[1]!) ** 2 + (z - peak[2]!) ** 2;
    v.data[p] = gy * Math.exp(-r2 / 300) + 0.05 * gy * (1 + Math.sin(0.2 * x + 0.1 * z));
  }
  return v;
}

function expectSame(fused: Dvh, stored: Dvh): void {
  expect(fused.quantity).toBe(stored.quantity);
  expect(fused.binWidthGy).toBe(stored.binWidthGy);
  expect(fused.volumeCc).toBe(stored.volumeCc);
  expect(fused.dosedVolumeCc).toBe(stored.dosedVolumeCc);
  expect(fused.outsideCc).toBe(stored.outsideCc);
  expect(fused.minGy).toBe(stored.minGy);
  expect(fused.maxGy).toBe(stored.maxGy);
  expect(fused.meanGy).toBe(stored.meanGy);
  expect(fused.differentialCc.length).toBe(stored.differentialCc.length);
  let worst = 0;
  for (let b = 0; b < stored.differentialCc.length; b++) worst = Math.max(worst, Math.abs(fused.differentialCc[b]! - stored.differentialCc[b]!));
  expect(worst).toBeLessThanOrEqual(1e-12 * Math.max(1, stored.volumeCc));
}

const schedule = { fractionsPlanned: 5, fractionsDelivered: 2 };

/** A random ellipsoid's centre, radii, plane spacing and ripple (ellipsoid). */
const shapeFields = {
  cx: fc.double({ min: -10, max: 10, noNaN: true }),
  ry: fc.double({ min: 3, max: 30, noNaN: true }),
  rz: fc.double({ min: 2, max: 25, noNaN: true }),
  spacing: fc.constantFrom(1, 2, 2.5, 3),
  ripple: fc.double({ min: 0, max: 0.2, noNaN: true }),
};
const mapsFor = (name: string): DoseMap[] => [
  PHYSICAL_DOSE,
  eqd2Map(5, 10, name),
  deliveredMap(schedule),
  deliveredEqd2Map(schedule, 3, name),
];

describe('structureDvhs: one pass gives the stored path\'s DVHs', () => {
  it('random ellipsoids, dose grids (rotated, partly outside), spread on and off, four dose maps', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...shapeFields,
          angle: fc.constantFrom(0, 0, 0.3),
          shift: fc.double({ min: -30, max: 10, noNaN: true }),
          doseSpacing: fc.constantFrom(2, 2.5, 3),
          spread: fc.boolean(),
          model: fc.constantFrom('slab' as const, 'interpolated' as const, 'auto' as const),
          gy: fc.double({ min: 1, max: 90, noNaN: true }),
        }),
        (c) => {
          const s = ellipsoid([c.cx, 0, 0], [1.3 * c.ry, c.ry, c.rz], c.spacing, c.ripple);
          const ca = Math.cos(c.angle), sa = Math.sin(c.angle);
          const grid = createGrid({
            size: [24, 24, 20],
            spacingMm: [c.doseSpacing, c.doseSpacing, c.doseSpacing],
            originMm: [-30 + c.shift, -30, -28],
            direction: [ca, -sa, 0, sa, ca, 0, 0, 0, 1],
          });
          const dose = doseOn(grid, [c.cx + 3, 2, 1], c.gy);
          const options = { betweenPlanes: c.model };
          const fused = structureDvhs(rasterizeForSampling(s, grid, options), dose, mapsFor('S'), { spread: c.spread });
          const sampling = sampleStructure(s, grid, options);
          const samples = sampleDose(sampling, dose, { spread: c.spread });
          expect(fused.points).toBe(sampling.index.length);
          expect(fused.pointsInside).toBe(samples.doseGy.length);
          expect(fused.warnings).toEqual(samples.warnings);
          const maps = mapsFor('S');
          maps.forEach((m, t) => {
            const stored = computeDvh(m.kind === 0 ? samples : mapDoseSamples(samples, m.quantity, doseMapFunction(m)));
            expectSame(fused.dvhs[t]!, stored);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('points a fraction of a dose node apart where rounding decides whether a box reaches the node below: the same numbers', () => {
    // Sampling at 0.5 mm from x = 68.25 mm on a 2.5 mm dose grid from -97.5 mm (as on the phantom
    // plan's oesophagus): the points lie at 66.3 + 0.2 i nodes, every fifth near n + 0.1 with a box 0.1
    // node wide, and whether that box reaches node n - 1 is decided by rounding; the kernel must decide as
    // the stored path does (a kernel deciding by the point's offset in its cell differs here).
    const grid = createGrid({ size: [142, 24, 20], spacingMm: [2.5, 2.5, 2.5], originMm: [-97.5, -30, -28] });
    const dose = createScalarVolume(grid);
    let p = 0;
    for (let k = 0; k < 20; k++) for (let j = 0; j < 24; j++) for (let i = 0; i < 142; i++, p++) {
      const x = -97.5 + 2.5 * i, y = -30 + 2.5 * j, z = -28 + 2.5 * k;
      dose.data[p] = 12 + 8 * Math.sin(0.9 * x) * Math.cos(0.7 * y) + 2 * Math.sin(0.5 * z);
    }
    const contours: PlanarContour[] = [];
    for (let z = -6; z <= 6; z += 2.5) contours.push({ geometricType: 'CLOSED_PLANAR', pointsLps: new Float64Array([68.75, -5, z, 122.5, -5, z, 122.5, 5, z, 68.75, 5, z]) });
    const s = { name: 'S', contours };
    // (0.5 mm asked for: by default this 6.8 cc box of 13 mm mean radius would be sampled at 1 mm)
    const at = { inPlaneSpacingMm: 0.5 };
    expect(sampleStructure(s, grid, at).info.grid.originMm[0]).toBe(68.25);
    for (const spread of [true, false]) {
      const fused = structureDvhs(rasterizeForSampling(s, grid, at), dose, mapsFor('S'), { spread });
      const samples = sampleDose(sampleStructure(s, grid, at), dose, { spread });
      mapsFor('S').forEach((m, t) => {
        expectSame(fused.dvhs[t]!, computeDvh(m.kind === 0 ? samples : mapDoseSamples(samples, m.quantity, doseMapFunction(m))));
      });
    }
  });

  it('a structure wholly outside the dose grid: no points inside, NaN figures, as the stored path', () => {
    const s = ellipsoid([200, 0, 0], [10, 10, 10], 2, 0);
    const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const dose = doseOn(grid, [10, 10, 10], 20);
    const fused = structureDvhs(rasterizeForSampling(s, grid), dose, [PHYSICAL_DOSE]);
    expect(fused.pointsInside).toBe(0);
    expect(Math.abs(fused.outsideCc - fused.volumeCc)).toBeLessThan(1e-6 * fused.volumeCc);
    expect(fused.outsideCc).toBe(sampleDose(sampleStructure(s, grid), dose).outsideCc);
    expect(Number.isNaN(fused.dvhs[0]!.meanGy)).toBe(true);
    expect(fused.dvhs[0]!.differentialCc.length).toBe(0);
    expect(fused.warnings.some((w) => w.includes('outside the dose grid'))).toBe(true);
  });

  it('a negative dose inside the structure is refused as sampleDose refuses it', () => {
    const s = ellipsoid([10, 10, 10], [6, 6, 6], 2, 0);
    const grid = createGrid({ size: [12, 12, 12], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const dose = doseOn(grid, [10, 10, 10], 20);
    dose.data.fill(-0.5);
    expect(() => structureDvhs(rasterizeForSampling(s, grid), dose, [PHYSICAL_DOSE])).toThrow(
      /dose must be finite and non-negative \(Gy\), found -?[0-9.e-]+ Gy inside the structure/,
    );
    expect(() => sampleDose(sampleStructure(s, grid), dose)).toThrow(/inside the structure/);
  });

  it('doses beyond MAX_DVH_BINS bins take the stored path and widen the bins as computeDvh does', () => {
    const s = ellipsoid([10, 10, 10], [6, 6, 6], 2, 0);
    const grid = createGrid({ size: [12, 12, 12], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const dose = doseOn(grid, [10, 10, 10], 2000);
    const fused = structureDvhs(rasterizeForSampling(s, grid), dose, [PHYSICAL_DOSE]);
    const stored = computeDvh(sampleDose(sampleStructure(s, grid), dose));
    expect(stored.binWidthGy).toBeGreaterThan(0.01);
    expectSame(fused.dvhs[0]!, stored);
  });
});

describe('planDvhs: the slab model filled a window of sampling slices at a time gives structureDvhs\'s DVHs', () => {
  it('random structures in one or two parts, windows of 1 to 6 slices or the default, spread on and off: the same numbers to the bit', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...shapeFields,
          // a second part above the first, with a gap bridged or not
          second: fc.option(fc.double({ min: 2, max: 20, noNaN: true }), { nil: undefined }),
          shift: fc.double({ min: -30, max: 10, noNaN: true }),
          doseSpacing: fc.constantFrom(2, 2.5, 3),
          spread: fc.boolean(),
          window: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          gy: fc.double({ min: 1, max: 90, noNaN: true }),
        }),
        (c) => {
          const s = ellipsoid([c.cx, 0, 0], [1.3 * c.ry, c.ry, c.rz], c.spacing, c.ripple);
          if (c.second !== undefined) {
            const top = Math.max(...s.contours.map((q) => q.pointsLps[2]!));
            s.contours.push(...ellipsoid([c.cx, 3, top + c.second + 6], [8, 6, 6], c.spacing, c.ripple).contours);
          }
          const grid = createGrid({ size: [24, 24, 20], spacingMm: [c.doseSpacing, c.doseSpacing, c.doseSpacing], originMm: [-30 + c.shift, -30, -28] });
          const dose = doseOn(grid, [c.cx + 3, 2, 1], c.gy);
          const plan = planSampling(s, grid, { betweenPlanes: 'slab' });
          const whole = structureDvhs(rasterizeForSampling(s, grid, { betweenPlanes: 'slab' }), dose, mapsFor('S'), { spread: c.spread });
          // whole (some of these fine grids are over 2 PART_POINTS: the parts are tested below)
          const windowed = planDvhs(plan, dose, mapsFor('S'), { spread: c.spread, partPoints: 2 ** 40 }, c.window);
          expectSameDvhs(windowed, whole);
          expect(windowed.warnings).toEqual(whole.warnings);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a negative dose met in a later window is refused as structureDvhs refuses it', () => {
    const s = ellipsoid([10, 10, 20], [8, 8, 16], 2, 0);
    const grid = createGrid({ size: [12, 12, 24], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const dose = doseOn(grid, [10, 10, 10], 20);
    dose.data.fill(-0.5, 12 * 12 * 16);
    expect(() => planDvhs(planSampling(s, grid), dose, [PHYSICAL_DOSE], {}, 2)).toThrow(
      /dose must be finite and non-negative \(Gy\), found -?[0-9.e-]+ Gy inside the structure/,
    );
  });
});

describe('planDvhs in parts (dvhParts): the whole pass\'s DVHs, the sums added part by part', () => {
  it('random structures in 2 to 9 parts, windows of 1 to 6 slices or the default, spread on and off: the same points, extremes and warnings, sums within rounding', () => {
    fc.assert(
      fc.property(
        fc.record({
          ...shapeFields,
          doseSpacing: fc.constantFrom(2, 2.5, 3),
          spread: fc.boolean(),
          window: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          parts: fc.integer({ min: 2, max: 9 }),
          gy: fc.double({ min: 1, max: 90, noNaN: true }),
        }),
        (c) => {
          const s = ellipsoid([c.cx, 0, 0], [1.3 * c.ry, c.ry, c.rz], c.spacing, c.ripple);
          const grid = createGrid({ size: [24, 24, 20], spacingMm: [c.doseSpacing, c.doseSpacing, c.doseSpacing], originMm: [-30, -30, -28] });
          const dose = doseOn(grid, [c.cx + 3, 2, 1], c.gy);
          const plan = planSampling(s, grid, { betweenPlanes: 'slab' });
          const [nx, ny, nz] = plan.info.grid.size;
          const partPoints = Math.floor((nx * ny * nz) / Math.min(c.parts, nz));
          const ranges = dvhParts(plan, dose, mapsFor('S'), { partPoints })!;
          // consecutive slices from the first to the last, each part at most partPoints + one slice
          expect(ranges.length).toBeGreaterThanOrEqual(Math.min(c.parts, nz));
          expect(ranges[0]!.k0).toBe(0);
          expect(ranges.at(-1)!.k1).toBe(nz);
          ranges.forEach((r, q) => {
            expect(r.k1).toBeGreaterThan(r.k0);
            if (q > 0) expect(r.k0).toBe(ranges[q - 1]!.k1);
          });
          const whole = structureDvhs(rasterizeForSampling(s, grid, { betweenPlanes: 'slab' }), dose, mapsFor('S'), { spread: c.spread });
          const parted = planDvhs(plan, dose, mapsFor('S'), { spread: c.spread, partPoints }, c.window);
          expect(parted.points).toBe(whole.points);
          expect(parted.pointsInside).toBe(whole.pointsInside);
          expect(parted.warnings).toEqual(whole.warnings);
          // Two orders of summing n terms differ by at most 2 (n - 1) u Σ|x| (u = 2^-53; Higham,
          // Accuracy and Stability of Numerical Algorithms, 2002, §4.2): here n <= the points.
          const near = (a: number, b: number, scale: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(whole.points * 2 ** -51 * Math.max(1, Math.abs(scale)));
          near(parted.volumeCc, whole.volumeCc, whole.volumeCc);
          near(parted.outsideCc, whole.outsideCc, whole.volumeCc);
          parted.dvhs.forEach((d, t) => {
            const w = whole.dvhs[t]!;
            expect([d.quantity, d.minGy, d.maxGy, d.differentialCc.length]).toEqual([w.quantity, w.minGy, w.maxGy, w.differentialCc.length]);
            near(d.meanGy, w.meanGy, w.meanGy);
            near(d.dosedVolumeCc, w.dosedVolumeCc, w.volumeCc);
            for (let b = 0; b < w.differentialCc.length; b++) near(d.differentialCc[b]!, w.differentialCc[b]!, w.volumeCc);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a small structure, the interpolated model and kept samples are computed whole', () => {
    const s = ellipsoid([0, 0, 0], [20, 15, 12], 2, 0);
    const grid = createGrid({ size: [24, 24, 20], spacingMm: [2, 2, 2], originMm: [-30, -30, -28] });
    const dose = doseOn(grid, [3, 2, 1], 20);
    const slab = planSampling(s, grid, { betweenPlanes: 'slab' });
    const n = slab.info.grid.size[0] * slab.info.grid.size[1] * slab.info.grid.size[2];
    expect(dvhParts(slab, dose, [PHYSICAL_DOSE], { partPoints: n / 2 })?.length).toBe(2);
    expect(dvhParts(slab, dose, [PHYSICAL_DOSE], { partPoints: n / 1.9 })).toBeUndefined();
    expect(dvhParts(slab, dose, [PHYSICAL_DOSE], { partPoints: n / 2, keepSamples: true })).toBeUndefined();
    expect(dvhParts(planSampling(s, grid, { betweenPlanes: 'interpolated' }), dose, [PHYSICAL_DOSE], { partPoints: 1000 })).toBeUndefined();
    expect(() => dvhParts(slab, dose, [PHYSICAL_DOSE], { partPoints: 0 })).toThrow(/partPoints must be positive/);
  });

  it('a negative dose met in a later part is refused as structureDvhs refuses it', () => {
    const s = ellipsoid([10, 10, 20], [8, 8, 16], 2, 0);
    const grid = createGrid({ size: [12, 12, 24], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const dose = doseOn(grid, [10, 10, 10], 20);
    dose.data.fill(-0.5, 12 * 12 * 16);
    const plan = planSampling(s, grid, { betweenPlanes: 'slab' });
    expect(dvhParts(plan, dose, [PHYSICAL_DOSE], { partPoints: 5000 })!.length).toBeGreaterThan(2);
    const message = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    // the first bad point in the whole pass's order is the first part's first bad point
    const whole = message(() => structureDvhs(rasterizeForSampling(s, grid, { betweenPlanes: 'slab' }), dose, [PHYSICAL_DOSE]));
    expect(whole).toMatch(/dose must be finite and non-negative \(Gy\), found -?[0-9.e-]+ Gy inside the structure/);
    expect(message(() => planDvhs(plan, dose, [PHYSICAL_DOSE], { partPoints: 5000 }))).toBe(whole);
  });
});
