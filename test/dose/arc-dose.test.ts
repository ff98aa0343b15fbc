/**
 * Arc dose as a linac delivers it (issue 12 §3): MLC transmission in the aperture fluence and
 * control-point segments split into sub-arcs (plan-dose.ts). Expectations derived in the tests.
 */

import { describe, expect, test } from 'vitest';
import { PlanError } from '../../src/core/errors.js';
import { apertureFluence, apertureOpenFraction, regionCovering, type Aperture } from '../../src/dose/fluence.js';
import type { StaticField } from '../../src/dose/field-dose.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { beamSegments, planDose, subArcSplit } from '../../src/dose/plan-dose.js';
import { recalculatePlan } from '../../src/dose/recalculate.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../../src/io/dicom/model.js';

const identity = { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2.3' };
// water cube 160 mm, 5 mm voxels (HU 0), centred on the origin; a small dose grid around the isocentre
const ctGrid = createGrid({ size: [32, 32, 32], spacingMm: [5, 5, 5], originMm: [-77.5, -77.5, -77.5] });
const ct: CtSeries = { ...identity, modality: 'CT', hu: createScalarVolume(ctGrid, new Float32Array(32 ** 3)), slices: [] };
const doseGrid = createGrid({ size: [9, 9, 3], spacingMm: [8, 8, 8], originMm: [-32, -32, -8] });

const PAIRS = 40;
const leafBoundaries = Float64Array.from({ length: PAIRS + 1 }, (_, i) => -100 + 5 * i); // 40 pairs of 5 mm
/** Every pair open from a to b (mm). */
function mlc(a: number, b: number): Float64Array {
  const m = new Float64Array(2 * PAIRS);
  for (let i = 0; i < PAIRS; i++) { m[i] = a; m[PAIRS + i] = b; }
  return m;
}
function cp(index: number, w: number, gantryDeg: number, leaves?: Float64Array, jawsMm: ControlPoint['jawsMm'] = { ASYMX: [-40, 40], ASYMY: [-30, 30] }): ControlPoint {
  return {
    index, cumulativeMetersetWeight: w, gantryAngleDeg: gantryDeg, gantryRotationDirection: 'NONE', collimatorAngleDeg: 0, couchAngleDeg: 0,
    isocenterLps: [0, 0, 0], jawsMm, ...(leaves ? { mlcMm: { MLCX: leaves } } : {}),
  };
}
function beam(number: number, cps: readonly ControlPoint[], mu: number): Beam {
  return { number, name: `B${number}`, type: cps.length > 1 ? 'DYNAMIC' : 'STATIC', radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: mu,
    finalCumulativeMetersetWeight: cps.at(-1)!.cumulativeMetersetWeight || 1, leafBoundariesMm: { MLCX: leafBoundaries }, controlPoints: cps };
}
function plan(beams: Beam[], fractions = 0): RtPlan {
  return {
    ...identity, modality: 'RTPLAN', sopInstanceUid: '9', label: 'L', doseReferences: [], beams,
    fractionGroups: fractions > 0 ? [{ number: 1, fractionsPlanned: fractions, beamMetersets: [] }] : [],
  };
}
const maxOf = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]!); return m; };
/** Largest |a - b| relative to max(b). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const m = maxOf(b);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / m;
}

describe('MLC transmission', () => {
  const h = 2.5;
  // pixel centres at multiples of 2.5 mm; jaws 100 x 100 mm (edges through pixel centres at +-50)
  const region = regionCovering(-60, 60, -60, 60, h);
  const jaws = { jawXMm: [-50, 50] as const, jawYMm: [-50, 50] as const };
  const closed: Aperture = { ...jaws, mlc: { boundariesMm: leafBoundaries, bankA: new Float64Array(PAIRS), bankB: new Float64Array(PAIRS) } };

  test('a closed MLC passes T times the open field inside the jaws and nothing outside', () => {
    const T = 0.004;
    const open = apertureFluence(PHOTON_6MV, region, h, jaws, 100);
    const leak = apertureFluence(PHOTON_6MV, region, h, { ...closed, mlcTransmission: T }, 100);
    // every pixel's closed area inside the jaws is the jaws' area in it, so leak = T x open, exactly;
    // outside the jaws both are 0
    let inside = 0, outside = 0;
    for (let i = 0; i < open.length; i++) {
      expect(Math.abs(leak[i]! - T * open[i]!)).toBeLessThanOrEqual(1e-12 * open[i]!);
      if (open[i]! > 0) inside++;
      else { outside++; expect(leak[i]).toBe(0); }
    }
    expect(inside).toBe(41 * 41); // pixels centred within [-50, 50] on both axes (edge pixels half in)
    expect(outside).toBeGreaterThan(0);
    // without transmission the closed MLC passes nothing
    expect(maxOf(apertureFluence(PHOTON_6MV, region, h, closed, 100))).toBe(0);
  });

  test('a pixel half under a leaf gets 0.5 + 0.5 T; fully under it T; open 1', () => {
    const T = 0.02;
    // every pair open from x = 0 (bank A) to 30 mm: the pixel centred at u = 0 spans [-1.25, 1.25]
    const ap: Aperture = { ...jaws, mlc: { boundariesMm: leafBoundaries, bankA: new Float64Array(PAIRS).fill(0), bankB: new Float64Array(PAIRS).fill(30) }, mlcTransmission: T };
    const f = apertureOpenFraction(region, h, ap);
    const at = (uMm: number, vMm: number): number => f[Math.round((uMm - region.u0Mm) / h) + region.nu * Math.round((vMm - region.v0Mm) / h)]!;
    expect(at(0, 10)).toBeCloseTo(0.5 + 0.5 * T, 12);
    expect(at(-2.5, 10)).toBeCloseTo(T, 12);
    expect(at(-40, -20)).toBeCloseTo(T, 12);
    expect(at(15, 10)).toBeCloseTo(1, 12);
    expect(at(30, 10)).toBeCloseTo(0.5 + 0.5 * T, 12);
    // at a jaw edge through the pixel centre: half the pixel is inside the jaws, all of it under a leaf
    expect(at(-50, 0)).toBeCloseTo(0.5 * T, 12);
    expect(at(-55, 0)).toBe(0);
  });

  test('a transmission outside 0..1 is refused', () => {
    expect(() => apertureOpenFraction(region, h, { ...closed, mlcTransmission: 1.5 }, 'B1')).toThrow(/B1: MLC transmission must be a fraction from 0 to 1, found 1.5/);
  });

  test('planDose and recalculatePlan pass the transmission to every segment: closed leaves give T x the jaw field', () => {
    const T = 0.01;
    const closedBeam = beam(1, [cp(0, 0, 0, mlc(0, 0)), cp(1, 1, 0, mlc(0, 0))], 100);
    const jawBeam = beam(1, [cp(0, 0, 0), cp(1, 1, 0)], 100);
    const ref = planDose(PHOTON_6MV, plan([jawBeam]), ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data;
    const leak = planDose(PHOTON_6MV, plan([closedBeam]), ct, doseGrid, { pixelMm: 2.5, mlcTransmission: T }).dosePerFractionGy.data;
    expect(maxOf(ref)).toBeGreaterThan(0.5);
    expect(maxRelDiff(leak, ref.map((v) => T * v))).toBeLessThan(1e-5);
    expect(maxOf(planDose(PHOTON_6MV, plan([closedBeam]), ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data)).toBe(0);
    // recalculatePlan (lattice dose): the same pass-through, 3 fractions
    const re = recalculatePlan(ct, plan([closedBeam], 3), { gridSpacingMm: 20, threads: 1, mlcTransmission: T });
    const reRef = recalculatePlan(ct, plan([jawBeam], 3), { gridSpacingMm: 20, threads: 1 });
    expect(maxOf(reRef.totalDoseGy.data)).toBeGreaterThan(1);
    expect(maxRelDiff(re.totalDoseGy.data, reRef.totalDoseGy.data.map((v) => T * v))).toBeLessThan(1e-5);
  });
});

describe('sub-arcs', () => {
  test('the split follows rotation (sub-arcs) and leaf or jaw travel (leaf samples)', () => {
    const a = cp(0, 0, 358, mlc(-10, 10)), b = cp(1, 1, 4, mlc(-10, 22));
    // 6 deg across 0 (shorter arc) and 12 mm of leaf travel
    expect(subArcSplit(a, b, 2, 5)).toEqual({ arcs: 3, steps: 1 });
    expect(subArcSplit(a, b, 2, 2)).toEqual({ arcs: 3, steps: 2 });
    expect(subArcSplit(a, b, 0.5, 5)).toEqual({ arcs: 12, steps: 1 });
    expect(subArcSplit(a, b, undefined, 5)).toEqual({ arcs: 1, steps: 3 });
    // 12 / 2.5 -> 5 samples over 3 sub-arcs: rounded up to 2 per sub-arc
    expect(subArcSplit(a, b, 2, 2.5)).toEqual({ arcs: 3, steps: 2 });
    expect(subArcSplit(a, b, 6, undefined)).toEqual({ arcs: 1, steps: 1 });
    expect(subArcSplit(a, b, undefined, undefined)).toEqual({ arcs: 1, steps: 1 });
    // the defaults: 2 deg sub-arcs, leaf samples every 2.5 mm at most (6 deg, 12 mm: 3 sub-arcs, 5 -> 6 samples)
    const defaults = beamSegments(PHOTON_6MV, plan([]), beam(1, [a, b], 90), 90);
    expect(defaults.map((f) => [f.geometry.gantryDeg, f.apertureSteps?.length, f.mu])).toEqual([[359, 2, 30], [1, 2, 30], [3, 2, 30]]);
    // a collimator turning 10 deg at a fixed gantry
    expect(subArcSplit(cp(0, 0, 0), { ...cp(1, 1, 0), collimatorAngleDeg: 10 }, 2, 5)).toEqual({ arcs: 5, steps: 1 });
    // a Y jaw moving 20 mm
    expect(subArcSplit(cp(0, 0, 0, undefined, { ASYMY: [-30, 30] }), cp(1, 1, 0, undefined, { ASYMY: [-10, 30] }), 2, 5)).toEqual({ arcs: 1, steps: 4 });
  });

  test('an arc with a static aperture equals static fields written by hand at the sub-arc midpoints with MU / n each', () => {
    // 350 -> 10 deg (20 deg through 0) in one interval, 120 MU; sub-arcs of at most 5 deg: n = 4 at
    // 352.5, 357.5, 2.5 and 7.5 deg, 30 MU each
    const leaves = mlc(-15, 25);
    const arc = plan([beam(1, [cp(0, 0, 350, leaves), cp(1, 1, 10, leaves)], 120)]);
    const byHand = plan([352.5, 357.5, 2.5, 7.5].map((g, i) => beam(i + 1, [cp(0, 1, g, leaves)], 30)));
    const d = planDose(PHOTON_6MV, arc, ct, doseGrid, { pixelMm: 2.5, maxSubArcDeg: 5 }).dosePerFractionGy.data;
    const ref = planDose(PHOTON_6MV, byHand, ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data;
    expect(maxOf(ref)).toBeGreaterThan(0.5);
    expect(maxRelDiff(d, ref)).toBeLessThan(1e-6);
    // the midpoint alone (today's behaviour with both limits off) differs off-axis
    const mid = planDose(PHOTON_6MV, arc, ct, doseGrid, { pixelMm: 2.5, maxSubArcDeg: false, maxSubLeafMm: false }).dosePerFractionGy.data;
    expect(maxRelDiff(mid, ref)).toBeGreaterThan(0.01);
    // the default splits at 2 deg: 10 fields at 351, 353, ..., 9 deg, 12 MU each
    const byHand2 = plan(Array.from({ length: 10 }, (_, i) => beam(i + 1, [cp(0, 1, (351 + 2 * i) % 360, leaves)], 12)));
    const def = planDose(PHOTON_6MV, arc, ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data;
    expect(maxRelDiff(def, planDose(PHOTON_6MV, byHand2, ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data)).toBeLessThan(1e-6);
  });

  test('moving leaves and jaws are interpolated linearly to each sample midpoint', () => {
    const a = cp(0, 0, 0, mlc(-20, -10), { ASYMY: [-30, 10] }), b = cp(1, 1, 0, mlc(10, 20), { ASYMY: [-10, 30] });
    const fields = beamSegments(PHOTON_6MV, plan([]), beam(1, [a, b], 60), 60, { maxSubLeafMm: 10 });
    // no rotation: one field; 30 mm of leaf travel: 3 samples at t = 1/6, 1/2, 5/6 sharing its 60 MU
    expect(fields).toHaveLength(1);
    expect(fields[0]!.mu).toBe(60);
    const steps = fields[0]!.apertureSteps!;
    expect(steps.map((s) => s.mlc!.bankA[7])).toEqual([-15, -5, 5]);
    expect(steps.map((s) => s.mlc!.bankB[7])).toEqual([-5, 5, 15]);
    [-80 / 3, -20, -40 / 3].forEach((y1, i) => expect(steps[i]!.jawYMm[0]).toBeCloseTo(y1, 12));
    expect(fields[0]!.aperture!.mlc!.bankA[7]).toBe(-5);
  });

  test('a sub-arc with moving leaves equals static fields of its leaf samples at the sub-arc angle, MU / n each', () => {
    // 0 -> 4 deg, leaves 20 mm: sub-arcs of 2 deg (at 1 and 3 deg), 4 leaf samples (t = 1/8 ... 7/8), 2 each
    const a = cp(0, 0, 0, mlc(-30, 0)), b = cp(1, 1, 4, mlc(-10, 20));
    const arc = plan([beam(1, [a, b], 80)]);
    const fields = beamSegments(PHOTON_6MV, arc, arc.beams[0]!, 80, { maxSubArcDeg: 2, maxSubLeafMm: 5 });
    expect(fields.map((f) => [f.geometry.gantryDeg, f.apertureSteps?.length, f.mu])).toEqual([[1, 2, 40], [3, 2, 40]]);
    const byHand = plan([1, 3, 5, 7].map((e, i) => {
      const t = e / 8, g = i < 2 ? 1 : 3;
      return beam(i + 1, [cp(0, 1, g, mlc(-30 + 20 * t, 20 * t))], 20);
    }));
    const d = planDose(PHOTON_6MV, arc, ct, doseGrid, { pixelMm: 2.5, maxSubArcDeg: 2, maxSubLeafMm: 5 }).dosePerFractionGy.data;
    const ref = planDose(PHOTON_6MV, byHand, ct, doseGrid, { pixelMm: 2.5 }).dosePerFractionGy.data;
    expect(maxOf(ref)).toBeGreaterThan(0.3);
    expect(maxRelDiff(d, ref)).toBeLessThan(1e-6);
  });

  test('step-and-shoot segments are not split', () => {
    // leaves move while the beam is off (equal weights), then stay while it is on
    const cps = [cp(0, 0, 0, mlc(-20, 20)), cp(1, 0.5, 0, mlc(-20, 20)), cp(2, 0.5, 0, mlc(0, 30)), cp(3, 1, 0, mlc(0, 30))];
    const fields = beamSegments(PHOTON_6MV, plan([]), beam(1, cps, 100), 100);
    expect(fields).toHaveLength(2);
    expect(fields.map((f) => [f.aperture!.mlc!.bankA[0], f.aperture!.mlc!.bankB[0], f.mu])).toEqual([[-20, 20, 50], [0, 30, 50]]);
  });

  test('leaves opening linearly over one interval give the time-averaged ramp within the sub-division error', () => {
    // bank A stays at 0, bank B opens from 0 to W = 40 mm while the MU are delivered: a point at x in
    // [0, W] is open for the fraction (W - x) / W of the MU, so the time-averaged open fraction is the
    // ramp 1 - x / W. n sub-arcs put bank B at W (k + 1/2) / n: the staircase (1/n) #{k : W (k + 1/2)
    // / n > x} differs from the ramp by at most 1 / (2n) at every x, hence also in every pixel mean.
    // Fine pixels (0.1 mm), so that a pixel mean next to a step keeps most of the 1 / (2n) error.
    const W = 40, h = 0.1;
    const jaws = { ASYMX: [-2, 42] as const, ASYMY: [-5, 5] as const };
    const arc = beam(1, [cp(0, 0, 0, mlc(0, 0), jaws), cp(1, 1, 0, mlc(0, W), jaws)], 100);
    const region = regionCovering(-2, 42, -5, 5, h);
    /** Pixel-mean of the ramp over [u - h/2, u + h/2] (exact: the ramp is linear on [0, W]). */
    const ramp = (u: number): number => {
      const lo = Math.max(0, u - h / 2), hi = Math.min(W, u + h / 2);
      if (hi <= lo) return 0;
      return ((hi - lo) * (1 - (lo + hi) / 2 / W)) / h;
    };
    const errorOf = (options: Parameters<typeof beamSegments>[4]): { n: number; err: number } => {
      const fields: StaticField[] = beamSegments(PHOTON_6MV, plan([]), arc, 100, options);
      const sum = new Float64Array(region.nu * region.nv);
      let n = 0;
      for (const f of fields) {
        const steps = f.apertureSteps ?? [f.aperture!];
        n += steps.length;
        for (const s of steps) {
          const o = apertureOpenFraction(region, h, s);
          for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + (o[i]! * f.mu) / steps.length / 100;
        }
      }
      let err = 0;
      for (let b = 0; b < region.nv; b++) {
        const v = region.v0Mm + b * h;
        if (Math.abs(v) > 5 - h) continue; // pixels wholly inside the Y jaws
        for (let a = 0; a < region.nu; a++) err = Math.max(err, Math.abs(sum[a + region.nu * b]! - ramp(region.u0Mm + a * h)));
      }
      return { n, err };
    };
    for (const [mm, n] of [[5, 8], [2, 20], [1, 40]] as const) {
      const r = errorOf({ maxSubLeafMm: mm });
      expect(r.n).toBe(n);
      expect(r.err).toBeLessThanOrEqual(1 / (2 * n) + 1e-12);
      // next to a step (at a pixel centre) the pixel mean errs by 1 / (2n) - h / W: the bound is nearly reached
      expect(r.err).toBeGreaterThan(1 / (2 * n) - h / W - 1e-9);
    }
    // one field at the midpoint (bank B at 20 mm) is off by 1/2
    expect(errorOf({ maxSubLeafMm: false }).err).toBeGreaterThan(0.49);
  });

  test('bad sub-arc limits are refused', () => {
    const b = beam(1, [cp(0, 0, 0), cp(1, 1, 10)], 100);
    expect(() => beamSegments(PHOTON_6MV, plan([]), b, 100, { maxSubArcDeg: 0 })).toThrow(PlanError);
    expect(() => beamSegments(PHOTON_6MV, plan([]), b, 100, { maxSubLeafMm: -1 })).toThrow(/maximum sub-arc leaf travel \(mm\) must be a positive number or false, found -1/);
    expect(() => planDose(PHOTON_6MV, plan([b]), ct, doseGrid, { mlcTransmission: -0.1 })).toThrow(/MLC transmission must be a fraction from 0 to 1/);
  });
});
