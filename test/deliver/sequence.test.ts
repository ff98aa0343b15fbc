/** Arc sequencing: the unidirectional sweep, sectors, and the deliverability of every control point. */

import { describe, expect, test } from 'vitest';
import { PlanError } from '../../src/core/errors.js';
import type { BeamletMap, OperatorBeam } from '../../src/dose/operator.js';
import { arcsToRtPlan, type Arc } from '../../src/deliver/arcs.js';
import type { LinacMachine } from '../../src/deliver/machine.js';
import { arcAnglesDeg, arcTiming, enforceBankSpread, rowSweepTimes, sequenceArcs, sweepRowOpenings, sweepTnmu, type SweepDirection } from '../../src/deliver/sequence.js';
import { checkDeliverability } from '../../src/deliver/deliverability.js';
import { TEST_AGILITY } from './agility.js';

/** The Agility with a minimum gap, to exercise it. */
const AGILITY: LinacMachine = { ...TEST_AGILITY, mlc: { ...TEST_AGILITY.mlc, minGapMm: 0.5 } };

/** Open count per beamlet of a row swept at the given times. */
function openCounts(levels: number[], times: number[], dir: SweepDirection): number[] {
  const out = new Int32Array(2 * times.length);
  sweepRowOpenings(levels, times, dir, out);
  const counts = levels.map(() => 0);
  for (let m = 0; m < times.length; m++) for (let j = out[2 * m]!; j < out[2 * m + 1]!; j++) counts[j]!++;
  return counts;
}

/** Deterministic pseudo-random numbers (LCG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('unidirectional sweep of one leaf row', () => {
  test('the profile [1, 3, 2] swept at unit times 0.5, 1.5, 2.5 opens [0,2), [1,3), [1,3) and reproduces the profile', () => {
    // by hand: a_0 = 0, a_1 = a_0 + max(0, 1 - 3) = 0, a_2 = a_1 + max(0, 3 - 2) = 1; b = a + I = [1, 3, 3];
    // TNMU = 1 + 2 + 0 = 3; at t open {j : a_j <= t < b_j}
    const a = new Float64Array(3), b = new Float64Array(3);
    expect(rowSweepTimes([1, 3, 2], a, b)).toBe(3);
    expect([...a]).toEqual([0, 0, 1]);
    expect([...b]).toEqual([1, 3, 3]);
    const out = new Int32Array(6);
    sweepRowOpenings([1, 3, 2], [0.5, 1.5, 2.5], 1, out);
    expect([...out]).toEqual([0, 2, 1, 3, 1, 3]);
    expect(openCounts([1, 3, 2], [0.5, 1.5, 2.5], 1)).toEqual([1, 3, 2]);
    // the mirrored sweep delivers the same profile
    expect(openCounts([1, 3, 2], [0.5, 1.5, 2.5], -1)).toEqual([1, 3, 2]);
  });

  test('a sweep toward -X_b has its leading leaf (bank A) moving toward lower indices', () => {
    const out = new Int32Array(6);
    sweepRowOpenings([1, 3, 2], [0.5, 1.5, 2.5], -1, out);
    // mirrored row [2, 3, 1]: a = [0, 0, 2], b = [2, 3, 3] -> [0,2), [0,2), [1,3) in mirrored indices
    expect([...out]).toEqual([1, 3, 1, 3, 0, 2]);
  });

  test('the TNMU of a sweep is max over rows of sum_j max(0, I_rj - I_r,j-1)', () => {
    // rows [1, 3, 2] -> 1 + 2 + 0 = 3 and [2, 0, 2] -> 2 + 0 + 2 = 4
    expect(sweepTnmu([1, 3, 2, 2, 0, 2], 3, 2)).toBe(4);
    expect(sweepTnmu([0, 0, 0], 3, 1)).toBe(0);
  });

  test('sampling every unit time of the TNMU reproduces every row of random maps, in both directions', () => {
    const rnd = lcg(7);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rnd() * 9);
      const row = Array.from({ length: n }, () => Math.floor(rnd() * 8));
      let c = 0, prev = 0;
      for (const I of row) {
        c += Math.max(0, I - prev);
        prev = I;
      }
      const times = Array.from({ length: c }, (_, m) => m + 0.5);
      expect(openCounts(row, times, 1)).toEqual(row);
      expect(openCounts(row, times, -1)).toEqual(row);
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** Four beams at 0/90/180/270 degrees, 6 x 4 beamlet maps of 5 mm, random weights (MU per fraction). */
function toyFluence(seed = 3): { beams: OperatorBeam[]; maps: BeamletMap[]; weightsMu: Float64Array } {
  const rnd = lcg(seed);
  const beams: OperatorBeam[] = [0, 90, 180, 270].map((g) => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: `G${g}` }));
  const maps: BeamletMap[] = beams.map(() => ({ i0: -3, j0: -2, nbu: 6, nbv: 4, active: new Uint8Array(24).fill(1) }));
  const w = Float64Array.from({ length: 4 * 24 }, () => (rnd() < 0.15 ? 0 : 10 * rnd()));
  return { beams, maps, weightsMu: w };
}

/** Interval time by the model t = max(dtheta / omega, |dx| / v, |dy| / v_jaw, dMU / R), computed here. */
function intervalSeconds(arc: Arc, i: number, m: LinacMachine): { t: number; leaf: number } {
  const a = arc.controlPoints[i]!, b = arc.controlPoints[i + 1]!;
  let dTheta = Math.abs(b.gantryDeg - a.gantryDeg);
  dTheta = Math.min(dTheta, 360 - dTheta);
  let leaf = 0;
  for (let p = 0; p < 80; p++) leaf = Math.max(leaf, Math.abs(b.bankAMm[p]! - a.bankAMm[p]!), Math.abs(b.bankBMm[p]! - a.bankBMm[p]!));
  const jaw = Math.max(Math.abs(b.jawYMm[0] - a.jawYMm[0]), Math.abs(b.jawYMm[1] - a.jawYMm[1]));
  const dMu = b.cumulativeMu - a.cumulativeMu;
  return { t: Math.max(dTheta / m.gantry.maxSpeedDegPerS, leaf / m.mlc.leafSpeedMmPerS, jaw / m.jaws[0]!.speedMmPerS, dMu / (m.doseRate.maxMuPerMin / 60)), leaf };
}

describe('sequenceArcs', () => {
  const f = toyFluence();
  const seq = sequenceArcs({ ...f, beamletMm: 5 }, AGILITY, { cpSpacingDeg: 4 });

  test('two full arcs, CW 181 -> 179 and CC 179 -> 181, of 90 equal intervals of 358 / 90 degrees', () => {
    expect(seq.arcs.map((a) => a.direction)).toEqual(['CW', 'CC']);
    for (const arc of seq.arcs) {
      expect(arc.controlPoints.length).toBe(91);
      expect(arc.controlPoints[0]!.gantryDeg).toBeCloseTo(arc.direction === 'CW' ? 181 : 179, 9);
      expect(arc.controlPoints[90]!.gantryDeg).toBeCloseTo(arc.direction === 'CW' ? 179 : 181, 9);
    }
    const a = arcAnglesDeg({ startDeg: 181, stopDeg: 179, direction: 'CW' }, 4);
    expect(a[1]! - a[0]!).toBeCloseTo(358 / 90, 9);
  });

  test('neighbouring sectors of an arc sweep in opposite directions, and the leading leaf of an open pair never moves back within a sector', () => {
    let checked = 0;
    for (let ai = 0; ai < 2; ai++) {
      const secs = seq.sectors.filter((s) => s.arc === ai).sort((x, y) => x.firstCp - y.firstCp);
      expect(secs.length).toBeGreaterThanOrEqual(4);
      for (let k = 1; k < secs.length; k++) expect(secs[k]!.direction).toBe(-secs[k - 1]!.direction);
      const arc = seq.arcs[ai]!;
      for (const s of secs) {
        for (let q = s.firstCp + 1; q < s.firstCp + s.count; q++) {
          const prev = arc.controlPoints[q - 1]!, cur = arc.controlPoints[q]!;
          for (let p = 38; p < 42; p++) {
            // bank B leads toward +X_b, bank A toward -X_b: monotone while the pair is open (at least
            // one 5 mm beamlet); a pair without fluence moves freely toward its next opening
            if (prev.bankBMm[p]! - prev.bankAMm[p]! < 5 - 1e-9 || cur.bankBMm[p]! - cur.bankAMm[p]! < 5 - 1e-9) continue;
            checked++;
            if (s.direction === 1) expect(cur.bankBMm[p]!).toBeGreaterThanOrEqual(prev.bankBMm[p]! - 1e-9);
            else expect(cur.bankAMm[p]!).toBeLessThanOrEqual(prev.bankAMm[p]! + 1e-9);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  test.each(['midpoint', 'sliding'] as const)('%s sampling, every control point: leaves in range, no crossing, minimum gap, closed pairs only behind the diaphragms; travel within leaf speed x interval time', (sampling) => {
    const [lo, hi] = AGILITY.mlc.positionRangeMm;
    const bd = AGILITY.mlc.leafBoundariesMm;
    const arcs = sampling === 'midpoint' ? seq.arcs : sequenceArcs({ ...f, beamletMm: 5 }, AGILITY, { cpSpacingDeg: 3, sampling }).arcs;
    for (const arc of arcs) {
      const timing = arcTiming(arc, AGILITY);
      let total = 0;
      arc.controlPoints.forEach((cp, i) => {
        expect(cp.jawYMm[0]).toBeLessThanOrEqual(cp.jawYMm[1]);
        for (let p = 0; p < 80; p++) {
          const a = cp.bankAMm[p]!, b = cp.bankBMm[p]!;
          expect(a).toBeGreaterThanOrEqual(lo);
          expect(b).toBeLessThanOrEqual(hi);
          expect(b - a).toBeGreaterThanOrEqual(AGILITY.mlc.minGapMm - 1e-9);
          const inOpening = Math.min(bd[p + 1]!, cp.jawYMm[1]) - Math.max(bd[p]!, cp.jawYMm[0]) > 1e-9;
          if (inOpening) expect(b - a).toBeGreaterThan(AGILITY.mlc.minGapMm + 1e-6);
        }
        if (i + 1 < arc.controlPoints.length) {
          const { t, leaf } = intervalSeconds(arc, i, AGILITY);
          expect(leaf).toBeLessThanOrEqual(AGILITY.mlc.leafSpeedMmPerS * t + 1e-9);
          expect(timing.seconds[i]!).toBeCloseTo(t, 9);
          total += t;
        }
      });
      expect(timing.totalSeconds).toBeCloseTo(total, 6);
      // at least the gantry time of 358 degrees at 6 deg/s
      expect(total).toBeGreaterThanOrEqual(358 / 6 - 1e-6);
    }
  });

  test('the control points deliver the stratified fluence: MU per beam = U x TNMU, summed over both arcs', () => {
    // every control point of beam b carries U_b T_b / k_b, shared by its intervals: total MU = sum_b U_b T_b
    let expected = 0;
    for (const b of seq.beams) expected += b.unitMu * b.tnmuLevels;
    const total = seq.arcs.reduce((s, a) => s + a.controlPoints[a.controlPoints.length - 1]!.cumulativeMu, 0);
    expect(total).toBeCloseTo(expected, 6);
  });

  test('the RTPLAN model: cumulative meterset weights rise monotonically from 0 to 1, beam MU = the arc MU, MLCX bank A then bank B', () => {
    const plan = arcsToRtPlan(seq.arcs, AGILITY, {
      identity: { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '3' },
      sopInstanceUid: '4', label: 'VMAT', fractionsPlanned: 5,
    });
    expect(plan.beams.length).toBe(2);
    plan.beams.forEach((beam, bi) => {
      expect(beam.type).toBe('DYNAMIC');
      const cps = beam.controlPoints;
      expect(cps[0]!.cumulativeMetersetWeight).toBe(0);
      expect(cps[cps.length - 1]!.cumulativeMetersetWeight).toBe(1);
      for (let i = 1; i < cps.length; i++) expect(cps[i]!.cumulativeMetersetWeight).toBeGreaterThanOrEqual(cps[i - 1]!.cumulativeMetersetWeight);
      const arc = seq.arcs[bi]!;
      expect(beam.metersetMu).toBeCloseTo(arc.controlPoints[arc.controlPoints.length - 1]!.cumulativeMu, 9);
      expect(plan.fractionGroups[0]!.beamMetersets[bi]!.metersetMu).toBe(beam.metersetMu);
      const mlc = cps[10]!.mlcMm!.MLCX!;
      expect(mlc[40]).toBeCloseTo(arc.controlPoints[10]!.bankAMm[40]!, 3);
      expect(mlc[80 + 40]).toBeCloseTo(arc.controlPoints[10]!.bankBMm[40]!, 3);
      expect(cps[0]!.gantryRotationDirection).toBe(arc.direction);
      expect(cps[cps.length - 1]!.gantryRotationDirection).toBe('NONE');
    });
  });

  test('sliding sectors: each sector runs from the start of its sweep to the end (every pair closed), the intervals between sectors carry no MU', () => {
    const sl = sequenceArcs({ ...f, beamletMm: 5 }, AGILITY, { cpSpacingDeg: 2, sampling: 'sliding' });
    let expected = 0;
    for (const b of sl.beams) expected += b.unitMu * b.tnmuLevels;
    const total = sl.arcs.reduce((x, a) => x + a.controlPoints[a.controlPoints.length - 1]!.cumulativeMu, 0);
    expect(total).toBeCloseTo(expected, 6);
    for (const sec of sl.sectors) {
      const arc = sl.arcs[sec.arc]!;
      if (sec.count < 2) continue;
      expect(sec.timesLevels[0]).toBe(0);
      expect(sec.timesLevels[sec.count - 1]).toBeCloseTo(sl.beams[sec.beam]!.tnmuLevels, 12);
      // at the sweep's end every pair is closed: no gap wider than the in-field gap
      const end = arc.controlPoints[sec.firstCp + sec.count - 1]!;
      for (let p = 0; p < 80; p++) expect(end.bankBMm[p]! - end.bankAMm[p]!).toBeLessThanOrEqual(AGILITY.mlc.minGapMm + 0.5 + 1e-9);
      // the interval into the next sector delivers nothing
      const next = arc.controlPoints[sec.firstCp + sec.count];
      if (next !== undefined) expect(next.cumulativeMu - end.cumulativeMu).toBe(0);
    }
  });

  test('gantry angles are written in [0, 360): 359.99996 degrees becomes 0', () => {
    const arc = seq.arcs[0]!;
    const cps = arc.controlPoints.map((cp, i) => (i === 5 ? { ...cp, gantryDeg: 359.99996 } : cp));
    const plan = arcsToRtPlan([{ ...arc, controlPoints: cps }], AGILITY, {
      identity: { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '3' },
      sopInstanceUid: '4', label: 'VMAT', fractionsPlanned: 5,
    });
    expect(plan.beams[0]!.controlPoints[5]!.gantryAngleDeg).toBe(0);
  });

  test('beamlet rows that are not leaf pairs are refused with the beam named', () => {
    expect(() => sequenceArcs({ ...f, beamletMm: 10 }, AGILITY)).toThrow(PlanError);
    expect(() => sequenceArcs({ ...f, beamletMm: 10 }, AGILITY)).toThrow(/G0: beamlet row 0 spans \[-20, -10\] mm/);
  });

  test('a control-point spacing outside 2..4 degrees is refused', () => {
    expect(() => sequenceArcs({ ...f, beamletMm: 5 }, AGILITY, { cpSpacingDeg: 6 })).toThrow(/2 to 4 degrees, found 6/);
  });
});

describe('bank spread', () => {
  // One control point: pair 0 open from -150 to -100 mm, pair 1 open from 60 to 120 mm (bank A spread
  // 210 mm), pair 2 parked at x = 150 mm and every other pair parked at 0 (gap 0.5 mm: closed, not more
  // than the in-field gap of 1 mm). With S = 200 mm: open bank A tips from 60 - 200 = -140 mm, open bank B
  // tips up to -100 + 200 = 100 mm (open A tips -140, 60; open B tips -100, 100); a parked pair's centre c
  // keeps its A = c - 0.25 in [60 - 200, -140 + 200] and its B = c + 0.25 in [100 - 200, -100 + 200]:
  // c in [max(-139.75, -100.25), min(60.25, 99.75)] = [-100.25, 60.25].
  const machine: LinacMachine = { ...AGILITY, mlc: { ...AGILITY.mlc, maxBankSpreadMm: 200 } };
  const n = 80;
  const A = new Float64Array(n).fill(-0.25), B = new Float64Array(n).fill(0.25);
  A[0] = -150; B[0] = -100;
  A[1] = 60; B[1] = 120;
  A[2] = 149.75; B[2] = 150.25;
  const arc: Arc = {
    name: 'spread', direction: 'CW', collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0],
    controlPoints: [
      { gantryDeg: 0, bankAMm: A, bankBMm: B, jawYMm: [-200, -185], cumulativeMu: 0 },
      { gantryDeg: 2, bankAMm: A, bankBMm: B, jawYMm: [-200, -185], cumulativeMu: 10 },
    ],
  };
  const info = {
    identity: { patientId: 'P', patientName: 'P', studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', frameOfReferenceUid: '1.2.3.5' },
    sopInstanceUid: '1.2.3.6', label: 'SPREAD', fractionsPlanned: 1,
  };

  test('open apertures lose what lies beyond the window, parked pairs move inside it keeping their gap', () => {
    const { arcs, movedLeaves } = enforceBankSpread([arc], machine);
    const cp = arcs[0]!.controlPoints[0]!;
    expect([cp.bankAMm[0], cp.bankBMm[0], cp.bankAMm[1], cp.bankBMm[1]]).toEqual([-140, -100, 60, 100]);
    expect(cp.bankBMm[2]! - cp.bankAMm[2]!).toBeCloseTo(0.5, 12);
    expect((cp.bankAMm[2]! + cp.bankBMm[2]!) / 2).toBeCloseTo(60.25, 12);
    // the pairs parked at 0 were inside the window already
    expect(cp.bankAMm[40]).toBe(-0.25);
    // per control point: pair 0's A, pair 1's B and both tips of pair 2 moved
    expect(movedLeaves).toBe(2 * 4);
    expect(A[0]).toBe(-150);
    expect(checkDeliverability(arcsToRtPlan(arcs, machine, info), machine).filter((v) => v.kind === 'bank-spread')).toEqual([]);
    expect(checkDeliverability(arcsToRtPlan([arc], machine, info), machine).filter((v) => v.kind === 'bank-spread').length).toBeGreaterThan(0);
  });

  test('leaves a control point within the spread as it is', () => {
    const { arcs, movedLeaves } = enforceBankSpread([arc], AGILITY);
    expect(movedLeaves).toBe(0);
    expect(arcs[0]).toBe(arc);
  });
});
