/**
 * 3-D gamma against closed-form cases (Low et al. 1998 definition):
 * - a linear ramp D = a + g x shifted by d along x: gamma = |g d| / sqrt(dD^2 + g^2 DTA^2) (the minimum of
 *   r^2/DTA^2 + g^2 (r - d)^2 / dD^2); for a steep ramp this tends to d / DTA;
 * - a uniformly scaled flat dose: gamma = |diff| / dD (no distance helps in a flat region);
 * - local normalisation uses dD = pct x the local reference dose;
 * - identical doses on different grids give gamma 0 where interpolation is exact (linear doses).
 */

import { describe, expect, test } from 'vitest';
import { gamma3d } from '../../src/dose/gamma.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';

function volume(size: [number, number, number], spacing: number, origin: [number, number, number], f: (x: number, y: number, z: number) => number): ScalarVolume {
  const grid = createGrid({ size, spacingMm: [spacing, spacing, spacing], originMm: origin });
  const d = new Float32Array(size[0] * size[1] * size[2]);
  let p = 0;
  for (let k = 0; k < size[2]; k++) for (let j = 0; j < size[1]; j++) for (let i = 0; i < size[0]; i++, p++) {
    const x = indexToLps(grid, [i, j, k]);
    d[p] = f(x[0], x[1], x[2]);
  }
  return createScalarVolume(grid, d);
}

/** Gamma values at reference voxels whose x lies in [lo, hi] (away from the edges). */
function interior(res: ReturnType<typeof gamma3d>, lo: number, hi: number): number[] {
  const out: number[] = [];
  const g = res.gamma;
  const [nx, ny, nz] = g.grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(g.grid, [i, j, k]);
    if (x[0] >= lo && x[0] <= hi && k > 1 && k < nz - 2 && j > 1 && j < ny - 2 && !Number.isNaN(g.data[p]!)) out.push(g.data[p]!);
  }
  return out;
}

describe('gamma index', () => {
  const ramp = (slope: number, shift = 0) => (x: number) => 10 + slope * (x - shift);

  for (const [pct, dta] of [[3, 3], [2, 2], [1, 1]] as const) {
    test(`shifted linear ramp, ${pct} %/${dta} mm global, on a different evaluated grid: gamma = |g d| / sqrt(dD^2 + g^2 DTA^2)`, () => {
      const g = 0.5; // Gy/mm
      const d = 0.6 * dta;
      const ref = volume([30, 8, 8], 2, [-30, -8, -8], (x) => ramp(g)(x));
      const ev = volume([50, 12, 12], 1.5, [-37, -9, -9], (x) => ramp(g, d)(x));
      const res = gamma3d(ref, ev, { doseDiffPct: pct, dtaMm: dta, lowDoseThresholdPct: 0, normalisationGy: 20 });
      const dD = (pct / 100) * 20;
      const expected = Math.abs(g * d) / Math.sqrt(dD * dD + g * g * dta * dta);
      const vals = interior(res, -20, 20);
      expect(vals.length).toBeGreaterThan(50);
      for (const v of vals) expect(Math.abs(v - expected)).toBeLessThan(0.02 * expected + 1e-3);
    });
  }

  test('a steep shifted ramp gives gamma close to d / DTA', () => {
    const g = 5; // Gy/mm against dD = 3 Gy: gamma = 7.5 / sqrt(9 + 225) = 0.490, d / DTA = 0.5
    const ref = volume([20, 6, 6], 1, [-10, -3, -3], (x) => 500 + g * x);
    const ev = volume([20, 6, 6], 1, [-10, -3, -3], (x) => 500 + g * (x - 1.5));
    const res = gamma3d(ref, ev, { doseDiffPct: 3, dtaMm: 3, lowDoseThresholdPct: 0, normalisationGy: 100 });
    const expected = (g * 1.5) / Math.sqrt(9 + g * g * 9);
    for (const v of interior(res, -5, 5)) expect(Math.abs(v - expected)).toBeLessThan(0.01);
    expect(Math.abs(expected - 0.5)).toBeLessThan(0.011);
  });

  test('a scaled flat dose gives gamma = diff / dD (global) and diff / (pct x local dose) (local)', () => {
    const ref = volume([12, 12, 12], 2, [-12, -12, -12], () => 2);
    const ev = volume([12, 12, 12], 2, [-12, -12, -12], () => 2 * 1.02);
    const global = gamma3d(ref, ev, { doseDiffPct: 3, dtaMm: 3, normalisationGy: 4 });
    for (const v of interior(global, -6, 6)) expect(v).toBeCloseTo(0.04 / 0.12, 5);
    const local = gamma3d(ref, ev, { doseDiffPct: 1, dtaMm: 1, local: true });
    for (const v of interior(local, -6, 6)) expect(v).toBeCloseTo(2, 5); // capped search radius is 2 DTA: gamma 2 = cap
    const local3 = gamma3d(ref, ev, { doseDiffPct: 3, dtaMm: 3, local: true });
    for (const v of interior(local3, -6, 6)) expect(v).toBeCloseTo(0.04 / 0.06, 5);
    expect(local3.passRatePct).toBe(100);
    expect(local.passRatePct).toBe(0);
  });

  test('low-dose threshold skips points below it; identical linear doses on different grids pass with gamma ~ 0', () => {
    const ref = volume([20, 10, 10], 2, [-20, -10, -10], (x) => Math.max(0, x + 20));
    const ev = volume([31, 15, 15], 1.5, [-22, -11, -11], (x) => Math.max(0, x + 20));
    const res = gamma3d(ref, ev, { doseDiffPct: 2, dtaMm: 2, lowDoseThresholdPct: 50 });
    const max = 38;
    let skipped = 0;
    res.gamma.data.forEach((v, p) => {
      if (ref.data[p]! < 0.5 * max) { expect(Number.isNaN(v)).toBe(true); skipped++; }
      else expect(v).toBeLessThan(1e-4);
    });
    expect(skipped).toBeGreaterThan(0);
    expect(res.passRatePct).toBe(100);
  });
});
