/** RTPLAN forward dose: control-point handling and bad-input errors naming beam and control point. */

import { describe, expect, test } from 'vitest';
import { PlanError } from '../../src/core/errors.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { staticFieldDose } from '../../src/dose/field-dose.js';
import { planDose } from '../../src/dose/plan-dose.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../../src/io/dicom/model.js';
import { redVolumeOfCt } from '../../src/dose/hlut.js';

const identity = { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2.3' };
// water cube 200 mm, 5 mm voxels, centred on the origin; air outside
const ctGrid = createGrid({ size: [40, 40, 40], spacingMm: [5, 5, 5], originMm: [-97.5, -97.5, -97.5] });
const ct: CtSeries = { ...identity, modality: 'CT', hu: createScalarVolume(ctGrid, new Float32Array(64000)), slices: [] };
const doseGrid = createGrid({ size: [9, 9, 3], spacingMm: [10, 10, 10], originMm: [-40, -40, -10] });

const leafBoundaries = Float64Array.from({ length: 41 }, (_, i) => -100 + 5 * i); // 40 pairs of 5 mm
function cp(index: number, w: number, gantryDeg: number, mlc?: Float64Array): ControlPoint {
  return {
    index, cumulativeMetersetWeight: w, gantryAngleDeg: gantryDeg, gantryRotationDirection: 'NONE', collimatorAngleDeg: 0, couchAngleDeg: 0,
    isocenterLps: [0, 0, 0], jawsMm: { ASYMX: [-30, 30], ASYMY: [-30, 30] }, ...(mlc ? { mlcMm: { MLCX: mlc } } : {}),
  };
}
function mlcOpen(half: number): Float64Array {
  const m = new Float64Array(80);
  for (let i = 0; i < 40; i++) { m[i] = -half; m[40 + i] = half; }
  return m;
}
function beam(number: number, cps: readonly ControlPoint[], extra: Partial<Beam> = {}): Beam {
  return { number, name: `B${number}`, type: cps.length > 1 ? 'DYNAMIC' : 'STATIC', radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: 100,
    finalCumulativeMetersetWeight: cps.at(-1)!.cumulativeMetersetWeight || 1, leafBoundariesMm: { MLCX: leafBoundaries }, controlPoints: cps, ...extra };
}
function plan(beams: Beam[], extra: Partial<RtPlan> = {}): RtPlan {
  return { ...identity, modality: 'RTPLAN', sopInstanceUid: '9', label: 'L', fractionGroups: [], doseReferences: [], beams, ...extra };
}
function gridPoints(): Float64Array {
  const out: number[] = [];
  for (let k = 0; k < 3; k++) for (let j = 0; j < 9; j++) for (let i = 0; i < 9; i++) out.push(...indexToLps(doseGrid, [i, j, k]));
  return Float64Array.from(out);
}

describe('plan dose', () => {
  test('a static MLC beam equals the same aperture computed as a static field', () => {
    const d = planDose(PHOTON_6MV, plan([beam(1, [cp(0, 0, 0, mlcOpen(20)), cp(1, 1, 0, mlcOpen(20))])]), ct, doseGrid, { pixelMm: 2 }).dosePerFractionGy;
    const ref = staticFieldDose(PHOTON_6MV, redVolumeOfCt(ct.hu), gridPoints(), [{
      geometry: { gantryDeg: 0, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 },
      aperture: { jawXMm: [-30, 30], jawYMm: [-30, 30], mlc: { boundariesMm: leafBoundaries, bankA: new Float64Array(40).fill(-20), bankB: new Float64Array(40).fill(20) } }, mu: 100,
    }], { pixelMm: 2 });
    const max = Math.max(...ref);
    d.data.forEach((v, i) => expect(Math.abs(v - ref[i]!) / max).toBeLessThan(1e-5));
    expect(max).toBeGreaterThan(0.5);
  });

  test('an arc splits MU by cumulative weight; opposed halves of a symmetric arc give a symmetric dose', () => {
    const arc = [cp(0, 0, 330, mlcOpen(20)), cp(1, 0.5, 0, mlcOpen(20)), cp(2, 1, 30, mlcOpen(20))];
    // one field per interval, at its midpoint (sub-arcs off: test/dose/arc-dose.test.ts tests them)
    const d = planDose(PHOTON_6MV, plan([beam(1, arc)]), ct, doseGrid, { pixelMm: 2, maxSubArcDeg: false }).dosePerFractionGy;
    // mirror x -> -x about the sagittal plane: index i -> 8 - i
    for (let k = 0; k < 3; k++) for (let j = 0; j < 9; j++) for (let i = 0; i < 9; i++) {
      const a = d.data[i + 9 * (j + 9 * k)]!, b = d.data[8 - i + 9 * (j + 9 * k)]!;
      expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.max(a, 1e-3));
    }
    // the total equals the two segments computed as static fields with 50 MU each
    const half = staticFieldDose(PHOTON_6MV, redVolumeOfCt(ct.hu), gridPoints(), [345, 15].map((g) => ({
      geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0] as const, sadMm: 1000 },
      aperture: { jawXMm: [-30, 30] as [number, number], jawYMm: [-30, 30] as [number, number], mlc: { boundariesMm: leafBoundaries, bankA: new Float64Array(40).fill(-20), bankB: new Float64Array(40).fill(20) } }, mu: 50,
    })), { pixelMm: 2 });
    d.data.forEach((v, i) => expect(Math.abs(v - half[i]!)).toBeLessThan(1e-5));
  });
});

describe('plan dose: bad input names the beam and control point', () => {
  const good = () => beam(1, [cp(0, 0, 0, mlcOpen(20)), cp(1, 1, 0, mlcOpen(20))]);
  const cases: [string, () => RtPlan, RegExp][] = [
    ['frame of reference', () => plan([good()], { frameOfReferenceUid: '9.9' }), /frame of reference 9.9 differs/],
    ['electrons', () => plan([beam(2, good().controlPoints, { radiationType: 'ELECTRON' })]), /beam 2 "B2": radiation type ELECTRON/],
    ['energy', () => plan([beam(3, good().controlPoints, { nominalEnergy: 10 })]), /beam 3 "B3": nominal energy 10 MV/],
    ['no MU', () => plan([beam(4, good().controlPoints, { metersetMu: 0 })]), /beam 4 "B4": no beam meterset/],
    // gantry 0 at z = 500 mm: the 60 mm field passes 400 mm beside the 200 mm cube
    ['beam missing the CT', () => plan([beam(5, [{ ...cp(0, 0, 0), isocenterLps: [0, 0, 500] }, { ...cp(1, 1, 0), isocenterLps: [0, 0, 500] }])]), /no beam reaches the CT: the field of beam 5 "B5"/],
    ['crossing leaves', () => { const m = mlcOpen(20); m[3] = 25; return plan([beam(6, [cp(0, 0, 0, mlcOpen(20)), cp(1, 1, 0, m)])]); }, /beam 6 "B6", control point 1: MLCX leaf pair 4 crosses/],
    ['leaf count', () => plan([beam(7, [cp(0, 0, 0, new Float64Array(60)), cp(1, 1, 0)])]), /beam 7 "B7", control point 0: MLCX has 60 leaf positions, expected 80/],
  ];
  for (const [what, make, message] of cases) {
    test(what, () => {
      expect(() => planDose(PHOTON_6MV, make(), ct, doseGrid)).toThrow(PlanError);
      expect(() => planDose(PHOTON_6MV, make(), ct, doseGrid)).toThrow(message);
    });
  }
});
