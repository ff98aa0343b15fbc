import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask, createScalarVolume } from '../../src/geometry/volume.js';
import { computeDvh, sampleDose, sampleOccupancy } from '../../src/evaluate/dvh.js';
import {
  conformity,
  doseAtVolumeCc,
  doseAtVolumePercent,
  dosesAtVolumesCc,
  evaluateMetric,
  gEUD,
  homogeneityIndexIcru83,
  isodoseVolumeCc,
  nearMaxima,
  parseMetric,
  volumeAtDoseCc,
  volumeAtDosePercent,
  volumeBelowDoseCc,
} from '../../src/evaluate/metrics.js';
import { linearDose } from './analytic.js';

// A 20 x 20 x 20 cube of 1 mm voxels = 8 cc.
const grid = createGrid({ size: [20, 20, 20], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
const cube = createMask(grid, new Uint8Array(8000).fill(1));
// A dose grid reaching 3 mm beyond the cube (so the edge voxels see the gradient on both sides).
const wide = createGrid({ size: [26, 26, 26], spacingMm: [1, 1, 1], originMm: [-3, -3, -3] });

describe('Dx figures of one DVH from one pass (dosesAtVolumesCc)', () => {
  /** Dx as its definition reads, one query at a time: down the bins from the top until the volume above reaches V. */
  const oneAtATime = (diff: Float64Array, w: number, total: number, min: number, max: number, v: number): number => {
    if (total <= 0) return NaN;
    if (v <= 0) return max;
    let acc = 0;
    for (let b = diff.length - 1; b >= 0; b--) {
      if (diff[b]! > 0 && acc + diff[b]! >= v) return (b + 1 - (v - acc) / diff[b]!) * w;
      acc += diff[b]!;
    }
    return min;
  };

  it('answers each volume as that query alone does, to the bit, in any order, with repeats, zero and beyond the total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1e-9, max: 5, noNaN: true })), { minLength: 1, maxLength: 300 }),
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 400, noNaN: true })), { minLength: 1, maxLength: 9 }),
        (bins, fractions) => {
          const diff = Float64Array.from(bins);
          const total = bins.reduce((a, b) => a + b, 0);
          const dvh = { ...computeDvh(sampleDose(sampleOccupancy('cube', cube), createScalarVolume(grid), { spread: false })), differentialCc: diff, dosedVolumeCc: total, binWidthGy: 0.01, minGy: 1.5, maxGy: 2.5 };
          // fractions of the total, and volumes met exactly at a bin (the sum from the top down to it)
          const exact: number[] = [];
          let acc = 0;
          for (let b = diff.length - 1; b >= 0; b--) if ((acc += diff[b]!) > 0 && b % 7 === 0) exact.push(acc);
          const volumes = [...fractions.map((f) => (f / 100) * total), ...exact];
          const got = dosesAtVolumesCc(dvh, volumes);
          volumes.forEach((v, i) => expect(Object.is(got[i], oneAtATime(diff, 0.01, total, 1.5, 2.5, v))).toBe(true));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads the linear field\'s Dx% in one call as the analytic values, and refuses a bad volume', () => {
    const dose = linearDose(wide, 10, [1, 0, 0], [0, 0, 0]);
    const dvh = computeDvh(sampleDose(sampleOccupancy('cube', cube), dose));
    const ps = [98, 2, 50, 95];
    const got = dosesAtVolumesCc(dvh, ps.map((p) => (p / 100) * dvh.dosedVolumeCc));
    ps.forEach((p, i) => expect(got[i]).toBeCloseTo(29.5 - (20 * p) / 100, 2));
    expect(() => dosesAtVolumesCc(dvh, [1, -1])).toThrow(InputError);
    expect(() => dosesAtVolumesCc(dvh, [Infinity])).toThrow(InputError);
  });
});

describe('dose-volume metrics', () => {
  it('reads a two-level DVH exactly: half the volume at 10 Gy, half at 20 Gy', () => {
    const dose = createScalarVolume(grid);
    for (let p = 0; p < 8000; p++) dose.data[p] = p % 20 < 10 ? 10 : 20;
    const dvh = computeDvh(sampleDose(sampleOccupancy('cube', cube), dose, { spread: false }));
    expect(dvh.volumeCc).toBeCloseTo(8, 9);
    expect(dvh.meanGy).toBeCloseTo(15, 5);
    expect(volumeAtDoseCc(dvh, 15)).toBeCloseTo(4, 5);
    expect(volumeAtDosePercent(dvh, 15)).toBeCloseTo(50, 4);
    expect(volumeBelowDoseCc(dvh, 15)).toBeCloseTo(4, 5);
    expect(doseAtVolumeCc(dvh, 2)).toBeCloseTo(20, 1);
    expect(doseAtVolumePercent(dvh, 75)).toBeCloseTo(10, 1);
    expect(doseAtVolumePercent(dvh, 100)).toBe(10);
    // gEUD = (0.5 10^a + 0.5 20^a)^(1/a): a = 1 the mean, a = 2 sqrt(250), a = -10 near the minimum.
    expect(gEUD(dvh, 1)).toBeCloseTo(15, 2);
    expect(gEUD(dvh, 2)).toBeCloseTo(Math.sqrt(250), 2);
    expect(gEUD(dvh, -10)).toBeCloseTo((0.5 * 10 ** -10 + 0.5 * 20 ** -10) ** -0.1, 1); // bin centres: +0.005 Gy
    const nm = nearMaxima(dvh);
    expect(nm.DmaxGy).toBe(20);
    expect(nm.D0_03ccGy).toBeCloseTo(20, 1);
    expect(nm.D0_035ccGy).toBeCloseTo(20, 1);
    expect(nm.D2pctGy).toBeCloseTo(20, 1);
  });

  it('reads a linear field: Dx% and ICRU 83 HI = (D2 - D98) / D50 of a uniform dose distribution', () => {
    // 10 + x Gy over x in [-0.5, 19.5] mm: dose uniform on [9.5, 29.5] Gy (spread reproduces the
    // continuous field). Dp% = 29.5 - 20 p/100.
    const dose = linearDose(wide, 10, [1, 0, 0], [0, 0, 0]);
    const dvh = computeDvh(sampleDose(sampleOccupancy('cube', cube), dose));
    for (const p of [2, 50, 95, 98]) expect(doseAtVolumePercent(dvh, p)).toBeCloseTo(29.5 - (20 * p) / 100, 2);
    expect(homogeneityIndexIcru83(dvh)).toBeCloseTo((29.1 - 9.9) / 19.5, 3);
    // D0.03cc: the hottest 0.03 cc of 8 cc is the top 0.375 % of the range.
    expect(doseAtVolumeCc(dvh, 0.03)).toBeCloseTo(29.5 - 20 * (0.03 / 8), 2);
    expect(volumeAtDoseCc(dvh, 19.5)).toBeCloseTo(4, 3);
  });

  it('computes RTOG CI, Paddick CI and the gradient index from volumes', () => {
    // Target a 10 mm cube inside a 12 mm prescription isodose cube, 50 % isodose a 16 mm cube.
    const c = conformity({ targetCc: 1, targetCoveredCc: 1, prescriptionIsodoseCc: 1.728, halfPrescriptionIsodoseCc: 4.096 });
    expect(c.rtogCi).toBeCloseTo(1.728, 10);
    expect(c.paddickCi).toBeCloseTo(1 / 1.728, 10);
    expect(c.gradientIndex).toBeCloseTo(4.096 / 1.728, 10);
    // Target half covered: Paddick = 0.5^2 / (1 x 0.5).
    expect(conformity({ targetCc: 1, targetCoveredCc: 0.5, prescriptionIsodoseCc: 0.5 }).paddickCi).toBeCloseTo(0.5, 10);
    expect(() => conformity({ targetCc: -1, targetCoveredCc: 0, prescriptionIsodoseCc: 1 })).toThrow(/targetCc.*-1/);
  });

  it('counts isodose volumes on the dose grid, optionally within a structure', () => {
    const dose = linearDose(grid, 10, [1, 0, 0], [0, 0, 0]); // 10..29 Gy at voxel centres
    expect(isodoseVolumeCc(dose, 20)).toBeCloseTo(4, 9); // x >= 10: half the columns
    const half = createMask(grid);
    for (let p = 0; p < 8000; p++) half.data[p] = Math.floor(p / 400) < 10 ? 1 : 0; // z < 10
    expect(isodoseVolumeCc(dose, 20, half)).toBeCloseTo(2, 9);
  });

  it('parses protocol metric names and rejects unknown ones', () => {
    expect(parseMetric('D95%')).toEqual({ kind: 'dose-at-volume', volume: 95, unit: '%' });
    expect(parseMetric('D0.035cc')).toEqual({ kind: 'dose-at-volume', volume: 0.035, unit: 'cc' });
    expect(parseMetric('V20Gy')).toEqual({ kind: 'volume-at-dose', doseGy: 20, unit: 'cc' });
    expect(parseMetric('V20Gy%')).toEqual({ kind: 'volume-at-dose', doseGy: 20, unit: '%' });
    expect(parseMetric('V<21Gy')).toEqual({ kind: 'volume-below-dose', doseGy: 21 });
    expect(parseMetric('gEUD(a=-10)')).toEqual({ kind: 'geud', a: -10 });
    expect(parseMetric('Dmean')).toEqual({ kind: 'mean' });
    expect(() => parseMetric('D95')).toThrow(InputError);
    expect(() => parseMetric('Vfoo')).toThrow(/unknown metric 'Vfoo'/);
    const dose = linearDose(wide, 10, [1, 0, 0], [0, 0, 0]);
    const dvh = computeDvh(sampleDose(sampleOccupancy('cube', cube), dose));
    expect(evaluateMetric(dvh, parseMetric('V<19.5Gy'))).toEqual({ value: expect.closeTo(4, 3), unit: 'cc' });
  });
});
