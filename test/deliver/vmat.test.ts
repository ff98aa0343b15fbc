/** The VMAT pipeline end to end on a water cube: fluence -> arcs -> MU re-optimisation -> planDose. */

import { describe, expect, test } from 'vitest';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { redVolumeOfCt } from '../../src/dose/hlut.js';
import { createBeamletOperator, type OperatorBeam } from '../../src/dose/operator.js';
import { planDose } from '../../src/dose/plan-dose.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import type { CtSeries } from '../../src/io/dicom/model.js';
import { createObjective } from '../../src/optimise/objectives/index.js';
import { arcsToRtPlan } from '../../src/deliver/arcs.js';
import { planVmatArcs } from '../../src/deliver/vmat.js';
import { TEST_AGILITY } from './agility.js';

const AGILITY = TEST_AGILITY;

describe('planVmatArcs', () => {
  /** The water cube case; with `dao`, the beamlet operator is the dose model of the aperture optimisation. */
  function runCube(dao: boolean) {
    const identity = { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2.3' };
    const ctGrid = createGrid({ size: [40, 40, 40], spacingMm: [5, 5, 5], originMm: [-97.5, -97.5, -97.5] });
    const ct: CtSeries = { ...identity, modality: 'CT', hu: createScalarVolume(ctGrid, new Float32Array(64000)), slices: [] };
    const red = redVolumeOfCt(ct.hu);
    // target: a 30 mm cube at the isocentre, points every 5 mm; a ring of normal tissue around it
    const target: number[] = [], ring: number[] = [];
    for (let z = -12.5; z <= 12.5; z += 5) for (let y = -27.5; y <= 27.5; y += 5) for (let x = -27.5; x <= 27.5; x += 5) {
      const inside = Math.abs(x) < 15 && Math.abs(y) < 15 && Math.abs(z) < 15;
      (inside ? target : ring).push(x, y, z);
    }
    const nT = target.length / 3, nR = ring.length / 3;
    const points = Float64Array.from([...target, ...ring]);
    const beams: OperatorBeam[] = [0, 45, 90, 135, 180, 225, 270, 315].map((g) => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: `G${g}` }));
    const op = createBeamletOperator(PHOTON_6MV, red, points, Float64Array.from(target), beams, { beamletMm: 5, marginMm: 0 });
    // uniform beamlet weights scaled to a 10 Gy target mean (5 fractions)
    const w = new Float64Array(op.nBeamlets).fill(1);
    const d = new Float64Array(op.nPoints);
    op.forward(w, d);
    let mean = 0;
    for (let p = 0; p < nT; p++) mean += d[p]! / nT;
    w.fill(10 / mean);
    const idx = (from: number, n: number) => Int32Array.from({ length: n }, (_, k) => from + k);
    const terms = [
      { objective: createObjective({ kind: 'underdose', structure: 'T', doseGy: 10 }, { indices: idx(0, nT), weights: new Float64Array(nT).fill(1 / nT), volumeCc: 27 }), weight: 1 },
      { objective: createObjective({ kind: 'overdose', structure: 'T', doseGy: 10.5 }, { indices: idx(0, nT), weights: new Float64Array(nT).fill(1 / nT), volumeCc: 27 }), weight: 1 },
      { objective: createObjective({ kind: 'mean-upper', structure: 'R', doseGy: 3 }, { indices: idx(nT, nR), weights: new Float64Array(nR).fill(1 / nR), volumeCc: 100 }), weight: 0.01 },
    ];
    const r = planVmatArcs(
      { beams, maps: op.beams.map((b) => b.map), beamletMm: 5, weightsCourseMu: w, pointsLps: points, terms, fractions: 5, ...(dao ? { doseModel: { operator: op } } : {}) },
      red, PHOTON_6MV, AGILITY,
    );
    op.close();
    return { r, nT, points, ct, identity };
  }

  for (const dao of [false, true]) {
    test(`on a water cube, the arcs reproduce a uniform 10 Gy target of 8 static beams${dao ? ', with aperture optimisation' : ''}: planDose mean within 5 %, prediction within 3 % of planDose`, () => {
    const { r, nT, points, ct, identity } = runCube(dao);
    expect(r.dao !== undefined).toBe(dao);
    expect(r.mu.objective).toBeLessThan(r.mu.initialObjective);
    expect(r.arcs.length).toBe(2);
    // predicted total target mean near 10 Gy
    let pred = 0;
    for (let p = 0; p < nT; p++) pred += r.mu.doseGy[p]! / nT;
    expect(pred).toBeGreaterThan(9.5);
    expect(pred).toBeLessThan(10.5);
    // the independent dose path at the target points
    const doseGrid = createGrid({ size: [6, 6, 6], spacingMm: [5, 5, 5], originMm: [-12.5, -12.5, -12.5] });
    const plan = arcsToRtPlan(r.arcs, AGILITY, { identity, sopInstanceUid: '9', label: 'VMAT', fractionsPlanned: 5 });
    const pd = planDose(PHOTON_6MV, plan, ct, doseGrid).dosePerFractionGy.data;
    let planMean = 0, predAtGrid = 0;
    for (let k = 0; k < 6; k++) for (let j = 0; j < 6; j++) for (let i = 0; i < 6; i++) {
      const x = indexToLps(doseGrid, [i, j, k]);
      planMean += (5 * pd[i + 6 * (j + 6 * k)]!) / 216;
      // the target points are these grid points in the same order? find the matching point
      for (let p = 0; p < nT; p++) if (Math.hypot(points[3 * p]! - x[0], points[3 * p + 1]! - x[1], points[3 * p + 2]! - x[2]) < 1e-6) predAtGrid += r.mu.doseGy[p]! / 216;
    }
    expect(Math.abs(planMean - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(planMean - predAtGrid) / predAtGrid).toBeLessThan(0.03);
    for (const s of r.stats) expect(s.deliverySeconds).toBeGreaterThanOrEqual(358 / 6 - 1e-6);
    });
  }

  test('the aperture optimisation ends at an objective no worse than the MU re-optimisation alone', () => {
    const without = runCube(false).r, withDao = runCube(true).r;
    const rounds = withDao.dao!;
    expect(rounds.length).toBeGreaterThan(0);
    // each round lowers its model's objective; a round is kept only when the columns agree
    for (const round of rounds) {
      expect(round.modelAfter).toBeLessThan(round.modelBefore);
      expect(round.kept).toBe(round.columnsAfter < round.columnsBefore);
    }
    expect(withDao.mu.objective).toBeLessThanOrEqual(without.mu.objective);
  });
});
