/**
 * Central-axis depth dose and output of the fitted 6 MV model through the full engine (ray trace,
 * FFT convolution, MU calibration), against the measured Elekta Synergy data (test/dose/fixtures) and
 * published generic 6 MV figures.
 *
 * Expected values:
 * - SAD setup: dose at the isocentre at depth z, relative to depth 100 mm, is the measured TPR(z, s);
 *   dose at 100 mm relative to the 10 x 10 field is the measured output factor (of.dat, SSD 900 mm).
 * - SSD 1000 mm: PDD(z, s) = 100 * TPR(z, s_z) OF(s_z) / (TPR(dm, s_dm) OF(s_dm)) * ((1000 + dm) / (1000 + z))^2,
 *   s_z = s (1000 + z) / 1000 the field side at depth (the standard TPR -> PDD conversion, Khan ch. 10,
 *   with the total scatter factor OF in place of the phantom scatter factor Sp: our kernels carry head
 *   scatter too, so Sc(s_z)/Sc(s_dm), under 0.5 % for these fields, is not separated).
 */

import { describe, expect, test } from 'vitest';
import { staticFieldDose } from '../../src/dose/field-dose.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { HELD_OUT_FIELDS_MM, MEASURED_OF } from './fixtures/synergy-6mv-measured.js';
import { of, pdd, tpr } from './measured-6mv.js';
import { points, slabPhantom } from './water-phantom.js';

const beamAt = (iso: readonly [number, number, number]) => ({ gantryDeg: 0, collimatorDeg: 0, couchDeg: 0, isocenterLps: iso, sadMm: 1000 });
const square = (s: number) => ({ jawXMm: [-s / 2, s / 2] as [number, number], jawYMm: [-s / 2, s / 2] as [number, number] });
const water = slabPhantom(0, 330);

/** Central-axis dose (Gy per 100 MU) at SSD 1000 mm, depths 0..300 mm in 1 mm steps. */
function pddSsd100(s: number): Float64Array {
  const depths = Array.from({ length: 301 }, (_, z) => [0, z, 0] as const);
  return staticFieldDose(PHOTON_6MV, water, points(depths), [{ geometry: beamAt([0, 0, 0]), aperture: square(s), mu: 100 }], { pixelMm: 2 });
}

describe('depth dose at SSD 1000 mm', () => {
  const cache = new Map<number, Float64Array>();
  const dose = (s: number): Float64Array => {
    if (!cache.has(s)) cache.set(s, pddSsd100(s));
    return cache.get(s)!;
  };

  test('10 x 10 cm: 1 cGy/MU at dmax, dmax between 12 and 18 mm', () => {
    const d = dose(100);
    const max = Math.max(...d);
    const dmax = d.indexOf(max);
    expect(dmax).toBeGreaterThanOrEqual(12);
    expect(dmax).toBeLessThanOrEqual(18);
    expect(max).toBeCloseTo(1.0, 2); // 100 MU -> 1 Gy
  });

  test('10 x 10 cm matches published generic 6 MV figures (PDD 86 / 66.5 / 39 %, +-1.5 %)', () => {
    const d = dose(100);
    const max = Math.max(...d);
    expect((100 * d[50]!) / max).toBeCloseTo(86, -0.5);
    expect(Math.abs((100 * d[100]!) / max - 66.5)).toBeLessThan(1.5);
    expect(Math.abs((100 * d[200]!) / max - 39)).toBeLessThan(1.5);
  });

  // Target 1 % (issue 6). Fit (docs/dose-engine.md): 3 x 3 0.63 %, 5 x 5 (held out) 0.79 %, 10 x 10 0.54 %,
  // 20 x 20 0.70 %. DOSE_REPORT=1 prints the worst error per field.
  const tolerancePct: Record<number, number> = { 30: 1.0, 50: 1.0, 100: 1.0, 200: 1.0 };
  for (const s of [30, 50, 100, 200]) {
    test(`${s / 10} x ${s / 10} cm PDD within ${tolerancePct[s]} % (of dmax dose) of the measured-data PDD beyond dmax`, () => {
      const d = dose(s);
      const max = Math.max(...d);
      // measured dmax of the field at depth
      let dm = 10;
      for (let z = 10; z <= 25; z++) if (tpr(z, s) * of(s) > tpr(dm, s) * of(s)) dm = z;
      const ref = (z: number): number => pdd(z, s, 1000, dm);
      let worst = 0;
      let at = 0;
      for (let z = dm; z <= 250; z += 5) {
        const e = Math.abs((100 * d[z]!) / max - ref(z));
        if (e > worst) { worst = e; at = z; }
      }
      if (process.env.DOSE_REPORT) console.log(`PDD ${s} mm: worst ${worst.toFixed(3)} % at ${at} mm`);
      expect(worst, `worst at ${at} mm`).toBeLessThan(tolerancePct[s]!);
    });
  }
});

describe('SAD setup: TPR and output factors', () => {
  const depths = [15, 20, 30, 50, 75, 100, 150, 200, 250];
  const isoPoints = points(depths.map((z) => [0, z, 0] as const));
  const sadDose = (s: number): Float64Array => {
    // one beam per depth, each with the isocentre at that depth; read each beam's own point
    const fields = depths.map((z) => ({ geometry: beamAt([0, z, 0]), aperture: square(s), mu: 100 }));
    const out = new Float64Array(depths.length);
    fields.forEach((f, i) => {
      const d = staticFieldDose(PHOTON_6MV, water, isoPoints.subarray(3 * i, 3 * i + 3), [f], { pixelMm: 2 });
      out[i] = d[0]!;
    });
    return out;
  };
  const ref100 = sadDose(100);

  for (const s of [30, 50, 100, 200]) {
    const role = HELD_OUT_FIELDS_MM.includes(s) ? 'held-out ' : '';
    test(`${role}${s / 10} x ${s / 10} cm: dose ratio D(z)/D(100 mm) within 1 % of measured TPR(z) (of TPR at dmax)`, () => {
      const d = s === 100 ? ref100 : sadDose(s);
      const i100 = depths.indexOf(100);
      const peak = Math.max(...depths.map((z) => tpr(z, s)));
      for (let i = 0; i < depths.length; i++) {
        const z = depths[i]!;
        expect(Math.abs(d[i]! / d[i100]! - tpr(z, s)) / peak, `depth ${z} mm`).toBeLessThan(0.01);
      }
      // output factor at 100 mm depth (SSD 900 mm)
      expect(Math.abs(d[i100]! / ref100[i100]! / MEASURED_OF[s]! - 1)).toBeLessThan(0.02);
    });
  }

  test('output factors rise with field size and lie within 2 % of the measured of.dat (3 x 3 to 30 x 30 cm)', () => {
    const sizes = [30, 50, 100, 150, 200, 300];
    const z100 = points([[0, 100, 0]]);
    const d = sizes.map((s) => staticFieldDose(PHOTON_6MV, water, z100, [{ geometry: beamAt([0, 100, 0]), aperture: square(s), mu: 100 }], { pixelMm: 2.5 })[0]!);
    const ref = d[sizes.indexOf(100)]!;
    for (let i = 0; i < sizes.length; i++) {
      if (i > 0) expect(d[i]!).toBeGreaterThan(d[i - 1]!);
      expect(Math.abs(d[i]! / ref / MEASURED_OF[sizes[i]!]! - 1), `${sizes[i]} mm`).toBeLessThan(0.02);
    }
  });
});
