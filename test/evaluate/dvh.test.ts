import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { Mat3, Vec3 } from '../../src/core/vec3.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask, createScalarVolume } from '../../src/geometry/volume.js';
import {
  combineDvhs,
  computeDvh,
  cumulativeDvh,
  sampleDose,
  sampleOccupancy,
  sampleStructure,
  structureDvh,
} from '../../src/evaluate/dvh.js';
import { doseAtVolumeCc, doseAtVolumePercent, volumeAtDoseCc } from '../../src/evaluate/metrics.js';
import {
  capVolume,
  circle,
  cylinderAcrossDp,
  cylinderContours,
  doseGridAround,
  linearDose,
  sphereContours,
  sphereDp,
} from './analytic.js';

const C: Vec3 = [12.3, -40.7, 25.2];

describe('DVH of a 15 mm sphere contoured at 1 mm', () => {
  const R = 7.5;
  const contours = sphereContours(C, R, 1, 0.3);
  const vTrue = (4 / 3) * Math.PI * R ** 3 / 1000; // 1.767 cc

  for (const [label, grad] of [
    ['x', [0.8, 0, 0]],
    ['z', [0, 0, 0.8]],
  ] as const) {
    it(`has volume within 1 % and D95, D5, Dmean within 1 % of analytic in a gradient along ${label}`, () => {
      const d0 = 20;
      const grid = doseGridAround(C, 20, [2.5, 2.5, 3]);
      const dose = linearDose(grid, d0, grad as unknown as Vec3, C);
      const dvh = structureDvh({ name: 'sphere', contours }, dose);
      expect(dvh.info.fine).toBe(true);
      expect(Math.abs(dvh.volumeCc / vTrue - 1)).toBeLessThan(0.01);
      expect(dvh.outsideCc).toBe(0);
      const g = 0.8;
      for (const p of [95, 5, 50]) {
        const analytic = sphereDp(R, d0, g, p);
        expect(Math.abs(doseAtVolumePercent(dvh, p) / analytic - 1)).toBeLessThan(0.01);
      }
      expect(Math.abs(dvh.meanGy / d0 - 1)).toBeLessThan(0.01);
      // Whole-DVH check: V(>= D) against the cap volume at 9 dose levels, within 2 % of the sphere.
      for (let t = -0.8; t <= 0.81; t += 0.2) {
        const D = d0 + g * R * t;
        const expected = capVolume(R, R - R * t) / 1000;
        expect(Math.abs(volumeAtDoseCc(dvh, D) - expected)).toBeLessThan(0.02 * vTrue);
      }
    });
  }
});

describe('DVH of cylinders in linear gradients', () => {
  const a = 25;
  const L = 60;
  const contours = cylinderContours(C, a, L, 2.5);
  const vTrue = (Math.PI * a * a * L) / 1000; // 117.8 cc: the 'large' sampling path

  it('along z (the slice direction): V(>= D) is linear, D95 = d0 - 0.45 g L, not a staircase of planes', () => {
    const d0 = 30;
    const g = 0.2;
    const dose = linearDose(doseGridAround(C, 45, [3, 3, 3]), d0, [0, 0, g], C);
    const dvh = structureDvh({ name: 'cylinder', contours }, dose);
    expect(dvh.info.fine).toBe(false);
    expect(dvh.info.subSlicesPerPlane).toBe(2);
    expect(Math.abs(dvh.volumeCc / vTrue - 1)).toBeLessThan(0.005);
    expect(Math.abs(doseAtVolumePercent(dvh, 95) / (d0 - 0.45 * g * L) - 1)).toBeLessThan(0.01);
    expect(Math.abs(doseAtVolumePercent(dvh, 5) / (d0 + 0.45 * g * L) - 1)).toBeLessThan(0.01);
    expect(Math.abs(dvh.meanGy / d0 - 1)).toBeLessThan(0.002);
    // Point sampling once per contour plane (no sub-slices, no spread) is a staircase of step
    // g x 2.5 mm = 0.5 Gy: the cumulative DVH is flat between plane doses.
    const stair = structureDvh({ name: 'cylinder', contours }, dose, { normalSpacingMm: 2.5, spread: false });
    const errOf = (d: typeof dvh): number => {
      let worst = 0;
      for (let D = d0 - 0.4 * g * L; D <= d0 + 0.4 * g * L; D += 0.05) {
        const expected = (Math.PI * a * a * (L / 2 - (D - d0) / g)) / 1000;
        worst = Math.max(worst, Math.abs(volumeAtDoseCc(d, D) - expected));
      }
      return worst;
    };
    expect(errOf(stair) / vTrue).toBeGreaterThan(0.015);
    expect(errOf(dvh) / vTrue).toBeLessThan(0.002);
  });

  it('across the axis (x): D95, D5 and Dmean from the circular-segment area', () => {
    const d0 = 30;
    const g = 0.3;
    const dose = linearDose(doseGridAround(C, 45, [2, 2, 2.5]), d0, [g, 0, 0], C);
    const dvh = structureDvh({ name: 'cylinder', contours }, dose);
    expect(Math.abs(dvh.volumeCc / vTrue - 1)).toBeLessThan(0.005);
    for (const p of [95, 5, 50]) {
      expect(Math.abs(doseAtVolumePercent(dvh, p) / cylinderAcrossDp(a, d0, g, p) - 1)).toBeLessThan(0.01);
    }
    expect(Math.abs(dvh.meanGy / d0 - 1)).toBeLessThan(0.002);
  });
});

describe('DVH engine conventions', () => {
  it('dvh of a uniform 2 Gy field is a step at 2 Gy', () => {
    const grid = doseGridAround(C, 30, [2.5, 2.5, 2.5]);
    const dose = createScalarVolume(grid, new Float32Array(grid.size[0] * grid.size[1] * grid.size[2]).fill(2));
    const dvh = structureDvh({ name: 'sphere', contours: sphereContours(C, 15, 2.5) }, dose);
    expect(dvh.meanGy).toBeCloseTo(2, 5);
    expect(dvh.minGy).toBeCloseTo(2, 5);
    expect(dvh.maxGy).toBeCloseTo(2, 5);
    expect(volumeAtDoseCc(dvh, 1.995)).toBeCloseTo(dvh.volumeCc, 5);
    expect(volumeAtDoseCc(dvh, 2.015)).toBe(0);
    const cum = cumulativeDvh(dvh);
    expect(cum.volumeCc[0]).toBeCloseTo(dvh.volumeCc, 5);
    expect(cum.doseGy[cum.doseGy.length - 1]).toBeCloseTo(2.01, 9);
    // Differential bins sum to the dosed volume.
    expect(dvh.differentialCc.reduce((s, v) => s + v, 0)).toBeCloseTo(dvh.dosedVolumeCc, 5);
  });

  it('uses 0.01 Gy bins by default and honours binWidthGy', () => {
    const grid = doseGridAround(C, 30, [2.5, 2.5, 2.5]);
    const dose = linearDose(grid, 10, [0.1, 0, 0], C);
    const s = sampleDose(sampleStructure({ name: 's', contours: sphereContours(C, 15, 2.5) }, grid), dose);
    expect(computeDvh(s).binWidthGy).toBe(0.01);
    const coarse = computeDvh(s, { binWidthGy: 0.5 });
    expect(coarse.differentialCc.length * 0.5).toBeGreaterThan(coarse.maxGy);
    expect(coarse.differentialCc.reduce((a, b) => a + b, 0)).toBeCloseTo(coarse.dosedVolumeCc, 5);
  });

  it('gives the same DVH on a feet-first (flipped) dose grid and on an oblique dose grid', () => {
    const R = 12;
    const contours = sphereContours(C, R, 2, 0.4);
    const g = 0.5;
    const flip: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const oblique: Mat3 = [c, 0, s, 0, 1, 0, -s, 0, c];
    const results = [undefined, flip, oblique].map((dir) => {
      const grid = doseGridAround(C, 30, [2, 2.5, 3], dir);
      return structureDvh({ name: 'sphere', contours }, linearDose(grid, 20, [0, g, g], C));
    });
    for (const dvh of results) {
      expect(Math.abs(dvh.volumeCc / results[0]!.volumeCc - 1)).toBeLessThan(0.005);
      // Gradient |g| sqrt 2 along a diagonal: the sphere's analytic D95.
      expect(Math.abs(doseAtVolumePercent(dvh, 95) / sphereDp(R, 20, g * Math.SQRT2, 95) - 1)).toBeLessThan(0.01);
    }
    expect(results[2]!.info.grid.direction[2]).toBe(0); // oblique dose: sampling frame built on the contour normal
  });

  it('reports the part of a structure outside the dose grid, with a warning when most of it is', () => {
    const R = 10;
    // Dose grid covering x <= C.x - 4: about 70 % of the sphere is beyond it.
    const grid = createGrid({ size: [20, 30, 30], spacingMm: [2, 2, 2], originMm: [C[0] - 4 - 39 - 1, C[1] - 30, C[2] - 30] });
    const dose = linearDose(grid, 5, [0, 0, 0], C);
    const dvh = structureDvh({ name: 'half-out', contours: sphereContours(C, R, 1) }, dose);
    // Last dose voxel centre at C.x - 6, footprint to C.x - 5: the part inside is the cap of
    // height R - 5 on the cold side.
    const outside = 1 - capVolume(R, R - 5) / capVolume(R, 2 * R);
    expect(dvh.outsideFraction).toBeGreaterThan(outside - 0.02);
    expect(dvh.outsideFraction).toBeLessThan(outside + 0.02);
    expect(dvh.warnings.join()).toMatch(/% of its volume .* is outside the dose grid/);
    expect(dvh.dosedVolumeCc + dvh.outsideCc).toBeCloseTo(dvh.volumeCc, 6);
  });

  it('rejects negative doses with an InputError naming the value and the structure', () => {
    const grid = doseGridAround(C, 30, [2.5, 2.5, 2.5]);
    const dose = linearDose(grid, -1, [0, 0, 0], C);
    expect(() => structureDvh({ name: 'Liver', contours: sphereContours(C, 10, 2.5) }, dose)).toThrow(InputError);
    expect(() => structureDvh({ name: 'Liver', contours: sphereContours(C, 10, 2.5) }, dose)).toThrow(/-1 Gy.*Liver/);
  });

  it('samples a mask structure voxel by voxel and combines disjoint DVHs by adding volumes', () => {
    const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const left = createMask(grid);
    const right = createMask(grid);
    for (let k = 0; k < 10; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 10; i++) {
      (i < 5 ? left : right).data[i + 10 * (j + 10 * k)] = 1;
    }
    const dose = linearDose(grid, 10, [1, 0, 0], [9, 9, 9]);
    const l = computeDvh(sampleDose(sampleOccupancy('L', left), dose, { spread: false }));
    const r = computeDvh(sampleDose(sampleOccupancy('R', right), dose, { spread: false }));
    expect(l.volumeCc).toBeCloseTo(4, 9);
    const both = combineDvhs('L+R', [l, r]);
    expect(both.volumeCc).toBeCloseTo(8, 9);
    expect(both.meanGy).toBeCloseTo(10, 4);
    expect(both.minGy).toBe(l.minGy);
    expect(both.maxGy).toBe(r.maxGy);
    // Columns of 0.8 cc at 19, 17, 15, 13, 11 Gy hold the hottest 4 cc: D4cc = 11 Gy.
    expect(doseAtVolumeCc(both, 4)).toBeCloseTo(11, 1);
    // With the spread, each column's volume covers its 2 mm of the linear field (dose 0..20 Gy
    // uniformly over the 20 mm box): D4cc is the median of the continuous field, 10 Gy.
    const spreadL = computeDvh(sampleDose(sampleOccupancy('L', left), dose));
    const spreadR = computeDvh(sampleDose(sampleOccupancy('R', right), dose));
    expect(doseAtVolumeCc(combineDvhs('L+R', [spreadL, spreadR]), 4)).toBeCloseTo(10, 2);
  });

  it('bridges a skipped contour plane and leaves a wide gap open (rasterisation slab rules)', () => {
    const a = 12, L = 40, s = 2.5;
    const all = cylinderContours(C, a, L, s); // 16 planes
    const grid = doseGridAround(C, 40, [2.5, 2.5, 2.5]);
    const dose = linearDose(grid, 10, [0, 0, 0.1], C);
    const full = (Math.PI * a * a * L) / 1000;
    // One plane missing: the 5 mm gap (<= 2.5 s) is split between its neighbours, no volume lost.
    const one = structureDvh({ name: 'c', contours: all.filter((_, i) => i !== 7) }, dose);
    expect(Math.abs(one.volumeCc / full - 1)).toBeLessThan(0.005);
    // Three planes missing: a 10 mm gap (> 2.5 s) is not filled; each side keeps s / 2: 3 s lost.
    const three = structureDvh({ name: 'c', contours: all.filter((_, i) => i < 6 || i > 8) }, dose);
    expect(Math.abs(three.volumeCc / ((Math.PI * a * a * (L - 3 * s)) / 1000) - 1)).toBeLessThan(0.005);
    // The mean of a z-gradient over the bridged cylinder is still the centre dose.
    expect(one.meanGy).toBeCloseTo(10, 2);
  });

  it('reads a holed structure by the even-odd rule (ring = outer disc minus inner disc)', () => {
    const cs = [];
    for (let p = 0; p < 8; p++) {
      const z = C[2] + (p + 0.5) * 2.5;
      cs.push(circle(C[0], C[1], z, 20), circle(C[0], C[1], z, 10));
    }
    const grid = doseGridAround(C, 40, [2.5, 2.5, 2.5]);
    const dvh = structureDvh({ name: 'ring', contours: cs }, linearDose(grid, 1, [0, 0, 0], C));
    expect(dvh.volumeCc).toBeCloseTo((Math.PI * (400 - 100) * 20) / 1000, 1);
  });
});

describe('DVH near a dose maximum', () => {
  it('never reads a near-maximum above the highest dose value of the grid (Gaussian peak on 3 mm voxels)', () => {
    // The trilinear dose field never exceeds its grid values, so neither may D0.035cc or D2%:
    // a first-order spread of each sampling box would overshoot at the peak.
    const grid = doseGridAround(C, 40, [3, 3, 3]);
    const peak = createScalarVolume(grid);
    const [nx, ny, nz] = grid.size;
    let gridMax = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const p = [grid.originMm[0] + 3 * i - C[0] - 0.7, grid.originMm[1] + 3 * j - C[1] + 1.1, grid.originMm[2] + 3 * k - C[2] - 0.4];
          let v = 4;
          // Eight peaks 21 mm apart (a multiple of the 3 mm spacing: every peak sits at the same
          // sub-voxel position, so all reach the same grid maximum).
          for (const a of [-15, 15]) for (const b of [-15, 15]) for (const c of [-15, 15]) {
            v += 10 * Math.exp(-((p[0]! - a) ** 2 + (p[1]! - b) ** 2 + (p[2]! - c) ** 2) / (2 * 7 * 7));
          }
          peak.data[i + nx * (j + ny * k)] = v;
          gridMax = Math.max(gridMax, v);
        }
      }
    }
    const dvh = structureDvh({ name: 'sphere', contours: sphereContours(C, 34, 2.5, 0.3) }, peak);
    expect(doseAtVolumeCc(dvh, 0.035)).toBeLessThanOrEqual(gridMax + 1e-4);
    expect(doseAtVolumePercent(dvh, 2)).toBeLessThanOrEqual(gridMax + 1e-4);
    // ... and not below the field around the peak: the 8 cells around the hottest node (216 mm³,
    // all inside the 20 mm sphere, a structure over 20 cc sampled on 2.5 mm boxes) hold more than 0.035 cc, and the trilinear field there is at
    // least the lowest of their 27 nodes.
    let hot = 0;
    for (let n = 0; n < peak.data.length; n++) if (peak.data[n]! > peak.data[hot]!) hot = n;
    const hi = hot % nx, hj = Math.floor(hot / nx) % ny, hk = Math.floor(hot / (nx * ny));
    let around = Infinity;
    for (let dk = -1; dk <= 1; dk++)
      for (let dj = -1; dj <= 1; dj++)
        for (let di = -1; di <= 1; di++) around = Math.min(around, peak.data[hi + di + nx * (hj + dj + ny * (hk + dk))]!);
    expect(doseAtVolumeCc(dvh, 0.035)).toBeGreaterThanOrEqual(around);
  });
});
