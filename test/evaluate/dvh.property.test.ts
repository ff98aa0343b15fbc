import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGrid } from '../../src/geometry/grid.js';
import { createOccupancy, createScalarVolume } from '../../src/geometry/volume.js';
import { computeDvh, cumulativeDvh, sampleDose, sampleOccupancy } from '../../src/evaluate/dvh.js';
import { doseAtVolumeCc, doseAtVolumePercent, volumeAtDoseCc } from '../../src/evaluate/metrics.js';
import { eqd2Gy, eqd2Samples } from '../../src/evaluate/radiobiology.js';

const grid = createGrid({ size: [6, 5, 4], spacingMm: [2, 2.5, 3], originMm: [0, 0, 0] });
const n = 120;

/** Random occupancy and non-negative dose on a small grid. */
const caseArb = fc.record({
  occ: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
  dose: fc.array(fc.double({ min: 0, max: 80, noNaN: true }), { minLength: n, maxLength: n }),
  spread: fc.boolean(),
});

describe('DVH invariants (property tests)', () => {
  it('the histogram holds the dosed volume, the cumulative DVH never rises, Dx and Vx are monotone and bounded', () => {
    fc.assert(
      fc.property(caseArb, ({ occ, dose, spread }) => {
        const o = createOccupancy(grid, Float32Array.from(occ));
        const d = createScalarVolume(grid, Float32Array.from(dose));
        const dvh = computeDvh(sampleDose(sampleOccupancy('s', o), d, { spread }));
        const total = dvh.differentialCc.reduce((a, b) => a + b, 0);
        expect(Math.abs(total - dvh.dosedVolumeCc)).toBeLessThan(1e-6 * Math.max(1, dvh.volumeCc));
        const cum = cumulativeDvh(dvh).volumeCc;
        let rises = 0;
        for (let b = 1; b < cum.length; b++) if (cum[b]! > cum[b - 1]! + 1e-9) rises++;
        expect(rises).toBe(0);
        if (dvh.dosedVolumeCc > 1e-6) {
          let last = Infinity;
          for (const p of [1, 5, 25, 50, 75, 95, 99]) {
            const v = doseAtVolumePercent(dvh, p);
            expect(v).toBeLessThanOrEqual(last + 1e-9);
            last = v;
          }
          expect(dvh.meanGy).toBeGreaterThanOrEqual(-1e-9);
          expect(volumeAtDoseCc(dvh, 0)).toBeCloseTo(dvh.dosedVolumeCc, 6);
          expect(volumeAtDoseCc(dvh, dvh.differentialCc.length * dvh.binWidthGy + 1)).toBe(0);
          // Dx(V(D)) reproduces D within a bin where the DVH is strictly falling.
          const D = doseAtVolumeCc(dvh, dvh.dosedVolumeCc / 2);
          expect(Math.abs(volumeAtDoseCc(dvh, D) - dvh.dosedVolumeCc / 2)).toBeLessThan(1e-6 + 1e-6 * dvh.volumeCc);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('EQD2 of the samples maps Dx point by point (monotone) and keeps the volume', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 10 }), fc.double({ min: 0.5, max: 20, noNaN: true }), ({ occ, dose }, fx, ab) => {
        const o = createOccupancy(grid, Float32Array.from(occ));
        const d = createScalarVolume(grid, Float32Array.from(dose));
        const s = sampleDose(sampleOccupancy('s', o), d, { spread: false });
        const phys = computeDvh(s);
        const e = computeDvh(eqd2Samples(s, fx, ab));
        expect(e.dosedVolumeCc).toBeCloseTo(phys.dosedVolumeCc, 9);
        if (phys.dosedVolumeCc > 1e-6) {
          expect(e.maxGy).toBeCloseTo(eqd2Gy(phys.maxGy, fx, ab), 3);
          expect(e.minGy).toBeCloseTo(eqd2Gy(phys.minGy, fx, ab), 3);
        }
      }),
      { numRuns: 100 },
    );
  });
});
