/** Direct aperture optimisation (src/deliver/aperture-optimise.ts): the bracketing of angles, the
 * model's fluence against beamlet overlaps worked out by hand, its gradient against finite
 * differences, and the optimisation reaching a plan known to be reachable. */

import { describe, expect, test } from 'vitest';
import type { BeamletMap, OperatorBeam } from '../../src/dose/operator.js';
import { createObjective } from '../../src/optimise/objectives/index.js';
import type { DoseOperator, Term } from '../../src/optimise/problem.js';
import { bracketBeams, createApertureProblem, optimiseApertures } from '../../src/deliver/aperture-optimise.js';
import type { Arc } from '../../src/deliver/arcs.js';
import { TEST_AGILITY } from './agility.js';

/** Under- and overdose to target[p] on each single point p, weight 1: sum_p (D_p - t_p)^2 / t_p^2. */
function leastSquaresTerms(target: readonly number[]): Term[] {
  return target.flatMap((d, p) =>
    (['underdose', 'overdose'] as const).map((kind) => ({
      objective: createObjective({ kind, structure: `P${p}`, doseGy: d }, { indices: Int32Array.of(p), weights: Float64Array.of(1), volumeCc: 1 }),
      weight: 1,
    })),
  );
}

const beam = (g: number): OperatorBeam => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: `G${g}` });
// 6 x 2 beamlets of 5 mm from -15 to 15 mm along X_b, rows [-5, 0] and [0, 5] mm: the Agility's pairs 39 and 40
const MAP: BeamletMap = { i0: -3, j0: -1, nbu: 6, nbv: 2, active: new Uint8Array(12).fill(1) };

function arc(angles: readonly number[], leaves: readonly (readonly [number, number, number, number])[], cumMu: readonly number[]): Arc {
  return {
    name: 'A',
    direction: 'CW',
    collimatorDeg: 0,
    couchDeg: 0,
    isocenterLps: [0, 0, 0],
    controlPoints: angles.map((g, i) => {
      const a = new Float64Array(80).fill(0), b = new Float64Array(80).fill(0);
      [a[39], b[39], a[40], b[40]] = leaves[i]!;
      return { gantryDeg: g, bankAMm: a, bankBMm: b, jawYMm: [-5, 5] as const, cumulativeMu: cumMu[i]! };
    }),
  };
}

/** The identity as a dose operator (dose at point k = weight of beamlet k), times `scale`. */
const identity = (n: number, scale = 1): DoseOperator => ({
  nBeamlets: n,
  nPoints: n,
  forward: (w, out) => w.forEach((v, k) => (out[k] = scale * v)),
  adjoint: (g, out) => g.forEach((v, k) => (out[k] = scale * v)),
});

describe('bracketing fluence beams', () => {
  test('linear weights between the two beams around an angle, across 0 degrees too', () => {
    const angles = [0, 90, 180, 270];
    // 30 deg: 30 past beam 0, 60 before beam 90 -> weight of beam 0 = 60 / 90
    const [b1, w1, b2] = bracketBeams(angles, 30);
    expect([b1, b2]).toEqual([0, 1]);
    expect(w1).toBeCloseTo(2 / 3, 12);
    // 350 deg: 80 past beam 270, 10 before beam 0 (360) -> weight of 270 = 10 / 90
    const [c1, v1, c2] = bracketBeams(angles, 350);
    expect([c1, c2]).toEqual([3, 0]);
    expect(v1).toBeCloseTo(1 / 9, 12);
    expect(bracketBeams(angles, 180)).toEqual([2, 1, 2]);
  });
});

describe('the aperture model', () => {
  test('fluence = fractions x MU x (open fraction (1 - T) + T) of each beamlet, split between the bracketing beams', () => {
    const T = 0.004, fractions = 5;
    // one interval from 10 to 12 deg between beams at 0 and 90 (weights 1 - 11/90 and 11/90 at the
    // interval's mean angle; the samples at 10.25 .. 11.75 deg average to the same), static leaves:
    // pair 39 open [-7.5, 5] (beamlets [-10,-5] half, [-5,0] and [0,5] full), pair 40 closed at 0
    const a = arc([10, 12], [[-7.5, 5, 0, 0], [-7.5, 5, 0, 0]], [0, 8]);
    const model = { operator: identity(24) };
    const pr = createApertureProblem([a], { beams: [beam(0), beam(90)], maps: [MAP, MAP], beamletMm: 5 }, model, leastSquaresTerms(new Array(24).fill(1)), fractions, TEST_AGILITY, {
      subSteps: 4,
      mlcTransmission: T,
    });
    const w0 = 1 - 11 / 90, w1 = 11 / 90;
    const open = [0, 0.5, 1, 1, 0, 0]; // row 0 (pair 39), beamlets from -15 mm
    const expected: number[] = [];
    for (const w of [w0, w1]) {
      for (const o of open) expected.push(w * fractions * 8 * (o * (1 - T) + T));
      for (let j = 0; j < 6; j++) expected.push(w * fractions * 8 * T); // pair 40 closed: leakage only
    }
    const dose = pr.doseAt(pr.x0);
    expected.forEach((v, k) => expect(dose[k]).toBeCloseTo(v, 10));
    // and the objective of that dose: each point's (D - 1)^2 (over) or (1 - D)^2 (under), / 1
    expect(pr.objectiveAt(pr.x0)).toBeCloseTo(expected.reduce((s, v) => s + (v - 1) ** 2, 0), 9);
    expect(pr.n).toBe(2 * 2 * 2 + 1); // (c, h) x 2 pairs x 2 control points + 1 interval MU
  });

  test('the gradient equals central finite differences (leaves off beamlet edges)', () => {
    // a seeded random operator on 7 points, 3 control points between beams at 0 and 90 deg
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const nW = 24, nPts = 7;
    const D = Float64Array.from({ length: nW * nPts }, () => rand() * 0.01);
    const op: DoseOperator = {
      nBeamlets: nW,
      nPoints: nPts,
      forward: (w, out) => {
        for (let p = 0; p < nPts; p++) {
          let s = 0;
          for (let k = 0; k < nW; k++) s += D[p * nW + k]! * w[k]!;
          out[p] = s;
        }
      },
      adjoint: (g, out) => {
        for (let k = 0; k < nW; k++) {
          let s = 0;
          for (let p = 0; p < nPts; p++) s += D[p * nW + k]! * g[p]!;
          out[k] = s;
        }
      },
    };
    const a = arc([20, 22, 24], [[-11.3, 3.7, -6.1, 8.2], [-9.4, 6.6, -2.2, 12.1], [-13.2, -1.1, -8.8, 4.4]], [0, 6, 13]);
    const pr = createApertureProblem([a], { beams: [beam(0), beam(90)], maps: [MAP, MAP], beamletMm: 5 }, { operator: op }, leastSquaresTerms([1, 2, 1.5, 0.5, 3, 1, 2]), 5, TEST_AGILITY, {
      subSteps: 3,
      travelWeight: 0.01,
    });
    const g = new Float64Array(pr.n);
    pr.valueAndGradient(pr.x0, g);
    const scratch = new Float64Array(pr.n);
    const eps = 1e-6;
    for (let i = 0; i < pr.n; i++) {
      const xp = Float64Array.from(pr.x0), xm = Float64Array.from(pr.x0);
      xp[i] = xp[i]! + eps;
      xm[i] = xm[i]! - eps;
      const fd = (pr.valueAndGradient(xp, scratch) - pr.valueAndGradient(xm, scratch)) / (2 * eps);
      expect(Math.abs(g[i]! - fd)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(fd)));
    }
  });
});

describe('optimisation', () => {
  test('from a perturbed start it finds apertures that deliver a reachable dose, and writes deliverable leaves', () => {
    const fractions = 5;
    const fl = { beams: [beam(0), beam(90)], maps: [MAP, MAP], beamletMm: 5 };
    const model = { operator: identity(24) };
    // the target: the model's dose of these arcs (the identity operator: their fluence)
    const truth = arc([40, 42, 44, 46], [[-12, 6, -4, 9], [-10, 8, -6, 7], [-8, 10, -8, 5], [-6, 12, -10, 3]], [0, 10, 20, 30]);
    const probe = createApertureProblem([truth], fl, model, leastSquaresTerms(new Array(24).fill(1)), fractions, TEST_AGILITY);
    const target = probe.doseAt(probe.x0);
    const terms = leastSquaresTerms([...target]);
    // start: every opening shifted and narrowed, MU halved
    const start = arc([40, 42, 44, 46], [[-8, 2, -1, 4], [-6, 4, -3, 3], [-5, 6, -4, 2], [-3, 7, -6, 0]], [0, 5, 10, 15]);
    const r = optimiseApertures([start], fl, model, terms, fractions, TEST_AGILITY, { maxIterations: 400, subSteps: 4 });
    expect(r.initialObjective).toBeGreaterThan(1);
    // the dose is reached within 1 % per point (objective: sum of relative squared errors)
    expect(r.objective).toBeLessThan(24 * 0.01 ** 2);
    for (const cp of r.arcs[0]!.controlPoints) {
      for (let p = 0; p < 80; p++) {
        expect(cp.bankBMm[p]! - cp.bankAMm[p]!).toBeGreaterThanOrEqual(0);
        expect(cp.bankAMm[p]!).toBeGreaterThanOrEqual(-200);
        expect(cp.bankBMm[p]!).toBeLessThanOrEqual(200);
      }
    }
    const mu = r.arcs[0]!.controlPoints.map((c) => c.cumulativeMu);
    for (let i = 1; i < mu.length; i++) expect(mu[i]!).toBeGreaterThanOrEqual(mu[i - 1]!);
  });
});
