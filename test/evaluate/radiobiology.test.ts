import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { computeDvh, sampleDose, sampleStructure } from '../../src/evaluate/dvh.js';
import {
  alphaBetaFor,
  bedGy,
  eqd2Gy,
  eqd2Samples,
  eqd2Volume,
} from '../../src/evaluate/radiobiology.js';
import {
  deliveredDoseVolume,
  deliveredEqd2Gy,
  deliveredEqd2Samples,
  deliveredEqd2Volume,
  deliveredPhysicalGy,
  limitToEqd2Gy,
  sumCoursesEqd2,
} from '../../src/evaluate/fractions.js';
import { doseAtVolumePercent } from '../../src/evaluate/metrics.js';
import { doseGridAround, linearDose, sphereContours } from './analytic.js';

describe('BED and EQD2 (LQ)', () => {
  it('gives the seed case numbers: 20 Gy / 5 fx = 23.33 Gy and 66.7 Gy / 5 fx = 129.73 Gy EQD2 at α/β 10', () => {
    // BED = 20 (1 + 4/10) = 28; EQD2 = 28 / 1.2. BED = 66.7 (1 + 13.34/10) = 155.68; / 1.2.
    expect(bedGy(20, 5, 10)).toBeCloseTo(28, 10);
    expect(eqd2Gy(20, 5, 10)).toBeCloseTo(23.333, 3);
    expect(bedGy(66.7, 5, 10)).toBeCloseTo(155.6778, 4);
    expect(eqd2Gy(66.7, 5, 10)).toBeCloseTo(129.73, 2);
  });

  it('is the identity for 2 Gy fractions at any α/β', () => {
    for (const ab of [0.87, 2, 3, 10]) expect(eqd2Gy(60, 30, ab)).toBeCloseTo(60, 10);
  });

  it('converts voxel by voxel with each voxel own dose per fraction', () => {
    const grid = createGrid({ size: [3, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const v = eqd2Volume(createScalarVolume(grid, Float32Array.from([20, 66.7, 0])), 5, 10);
    expect(v.data[0]).toBeCloseTo(23.333, 3);
    expect(v.data[1]).toBeCloseTo(129.73, 2);
    expect(v.data[2]).toBe(0);
    // Per-voxel α/β map.
    const w = eqd2Volume(createScalarVolume(grid, Float32Array.from([26.68, 26.68, 8])), 2, Float32Array.from([10, 3, 3]));
    expect(w.data[0]).toBeCloseTo(51.89, 2);
    expect(w.data[1]).toBeCloseTo(87.19, 2);
  });

  it('rejects α/β <= 0, negative doses and bad fraction numbers with an InputError naming the value', () => {
    expect(() => eqd2Gy(20, 5, 0)).toThrow(InputError);
    expect(() => eqd2Gy(20, 5, -3)).toThrow(/found -3/);
    expect(() => eqd2Gy(-1, 5, 3)).toThrow(/found -1/);
    expect(() => eqd2Gy(20, 2.5, 3)).toThrow(/found 2.5/);
    const grid = createGrid({ size: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    expect(() => eqd2Volume(createScalarVolume(grid, Float32Array.from([1, -0.5])), 5, 3)).toThrow(/-0.5 at voxel 1/);
    expect(() => alphaBetaFor({ name: 'Liver' }, { liver: 0 })).toThrow(/α\/β .*found 0/);
  });

  it('chooses α/β per structure: 10 Gy for targets, 3 Gy for normal tissue, overrides by name', () => {
    expect(alphaBetaFor({ name: 'GTV', interpretedType: 'GTV' }).alphaBetaGy).toBe(10);
    expect(alphaBetaFor({ name: 'PTV_6670' }).alphaBetaGy).toBe(10);
    expect(alphaBetaFor({ name: 'Liver', interpretedType: 'ORGAN' }).alphaBetaGy).toBe(3);
    expect(alphaBetaFor({ name: 'SpinalCord' }, { spinalcord: 2 })).toEqual({ alphaBetaGy: 2, source: 'override' });
  });
});

describe('planned versus delivered fractions', () => {
  const plan = { fractionsPlanned: 5, fractionsDelivered: 2 };

  it('gives the seed case: 2 of 5 fx of 66.7 Gy spheres = 26.68 Gy, EQD2 51.89 (α/β 10) and 87.2 (α/β 3)', () => {
    expect(deliveredPhysicalGy(66.7, plan)).toBeCloseTo(26.68, 10);
    expect(deliveredEqd2Gy(66.7, plan, 10)).toBeCloseTo(51.89, 2);
    expect(deliveredEqd2Gy(66.7, plan, 3)).toBeCloseTo(87.2, 1);
    // PTV 20 Gy planned: 8 Gy delivered, EQD2 9.33 (α/β 10) and 11.2 (α/β 3).
    expect(deliveredPhysicalGy(20, plan)).toBeCloseTo(8, 10);
    expect(deliveredEqd2Gy(20, plan, 10)).toBeCloseTo(9.33, 2);
    expect(deliveredEqd2Gy(20, plan, 3)).toBeCloseTo(11.2, 1);
    // Great vessels Dmax 27.52 Gy planned -> 11.0 Gy delivered.
    expect(deliveredPhysicalGy(27.52, plan)).toBeCloseTo(11.008, 3);
  });

  it('converts voxel by voxel from the planned per-fraction dose', () => {
    const grid = createGrid({ size: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const planned = createScalarVolume(grid, Float32Array.from([66.7, 20]));
    const d = deliveredDoseVolume(planned, plan).data;
    expect(d[0]).toBeCloseTo(26.68, 5);
    expect(d[1]).toBeCloseTo(8, 5);
    const e = deliveredEqd2Volume(planned, plan, 10).data;
    expect(e[0]).toBeCloseTo(51.89, 2);
    expect(e[1]).toBeCloseTo(9.33, 2);
  });

  it('rejects more delivered than planned fractions, naming both', () => {
    expect(() => deliveredPhysicalGy(20, { fractionsPlanned: 5, fractionsDelivered: 6 })).toThrow(InputError);
    expect(() => deliveredPhysicalGy(20, { fractionsPlanned: 5, fractionsDelivered: 6 })).toThrow(/\(6\).*\(5\)/);
    expect(() => deliveredPhysicalGy(20, { fractionsPlanned: 5, fractionsDelivered: -1 })).toThrow(/found -1/);
  });

  it('converts a 5-fraction limit to EQD2: stomach D10cc 18 Gy / 5 fx = 25.92 Gy EQD2 at α/β 3', () => {
    // 18 (3.6 + 3) / 5 = 23.76
    expect(limitToEqd2Gy(18, 5, 3)).toBeCloseTo((18 * (3.6 + 3)) / 5, 10);
  });

  it('EQD2 DVHs come from converting each sampling point: Dx maps through the monotone EQD2, the mean does not', () => {
    const c = [0, 0, 0] as const;
    const grid = doseGridAround(c, 20, [2, 2, 2]);
    const dose = linearDose(grid, 40, [2, 0, 0], c);
    const s = sampleDose(sampleStructure({ name: 'GTV', contours: sphereContours(c, 10, 2) }, grid), dose);
    const phys = computeDvh(s);
    const e = computeDvh(eqd2Samples(s, 5, 10));
    const d95 = doseAtVolumePercent(phys, 95);
    expect(doseAtVolumePercent(e, 95)).toBeCloseTo(eqd2Gy(d95, 5, 10), 1);
    expect(e.meanGy).toBeGreaterThan(eqd2Gy(phys.meanGy, 5, 10) + 0.5); // convexity: mean of EQD2 > EQD2 of mean
    const del = computeDvh(deliveredEqd2Samples(s, plan, 10));
    expect(doseAtVolumePercent(del, 95)).toBeCloseTo(deliveredEqd2Gy(d95, plan, 10), 1);
    expect(e.quantity).toBe('EQD2 (LQ, α/β = 10 Gy)');
  });
});

describe('course summation in EQD2', () => {
  it('adds courses voxel by voxel in EQD2 on the first grid, resampling the others', () => {
    const g1 = createGrid({ size: [4, 4, 4], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const g2 = createGrid({ size: [8, 8, 8], spacingMm: [1, 1, 1], originMm: [-0.5, -0.5, -0.5] });
    const c1 = createScalarVolume(g1, new Float32Array(64).fill(20)); // 20 Gy in 5
    const c2 = createScalarVolume(g2, new Float32Array(512).fill(8)); // 8 Gy in 1
    const { eqd2, uncovered } = sumCoursesEqd2(
      [
        { dose: c1, fractions: 5, label: 'SBRT' },
        { dose: c2, fractions: 1, label: 'boost' },
      ],
      10,
    );
    // 23.333 + 8 (8 + 10) / 12 = 23.333 + 12 = 35.333 where the second course reaches (x <= 7 mm).
    expect(eqd2.data[0]).toBeCloseTo(35.333, 3);
    expect(uncovered).toEqual([]);
    // Voxel i = 3 sits at x = 6 mm: inside g2's footprint (to 7 mm).
    expect(eqd2.data[3]).toBeCloseTo(35.333, 3);
  });
});
