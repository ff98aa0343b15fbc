/**
 * The fluence problem (src/optimise/problem.ts): F(w) = sum_k weight_k f_k(D w) and its gradient
 * D^T sum_k weight_k df_k/dd, on a small dense operator written here (a random non-negative matrix
 * as forward, its transpose as adjoint), with every objective kind (createObjective).
 *
 * Expected values: the gradient against central finite differences of the value; the value against
 * the terms evaluated here on a dose computed here (matrix times weights); the uniform start against
 * L / (weighted mean over the target of the matrix's row sums), derived below.
 *
 * Tolerances: gradient components within 1e-6 of the largest component (central differences with a
 * step of 1e-6 in each beamlet weight); values within 1e-12 relative.
 */

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createObjective, type ObjectiveSpec, type PointSet } from '../../src/optimise/objectives/index.js';
import { createFluenceProblem, uniformStart, type DoseOperator, type Term } from '../../src/optimise/problem.js';
import { mulberry32, type Prng } from '../../src/phantom/prng.js';

const FD_STEP = 1e-6;
const GRAD_TOL = 1e-6;
const VALUE_REL_TOL = 1e-12;

/** A dense operator: dose[p] = sum_j a[p][j] w[j]; adjoint out[j] = sum_p a[p][j] g[p]. */
function denseOperator(a: readonly Float64Array[], nBeamlets: number): DoseOperator {
  return {
    nBeamlets,
    nPoints: a.length,
    forward(w, out) {
      for (let p = 0; p < a.length; p++) {
        let s = 0;
        for (let j = 0; j < nBeamlets; j++) s += a[p]![j]! * w[j]!;
        out[p] = s;
      }
    },
    adjoint(g, out) {
      out.fill(0);
      for (let p = 0; p < a.length; p++) for (let j = 0; j < nBeamlets; j++) out[j] = out[j]! + a[p]![j]! * g[p]!;
    },
  };
}

/** Random non-negative matrix, about a third of the entries 0. */
function randomMatrix(rng: Prng, nPoints: number, nBeamlets: number): Float64Array[] {
  return Array.from({ length: nPoints }, () => Float64Array.from({ length: nBeamlets }, () => (rng.next() < 0.3 ? 0 : rng.uniform(0.1, 1))));
}

function doseOf(a: readonly Float64Array[], w: Float64Array): Float64Array {
  return Float64Array.from(a, (row) => row.reduce((s, x, j) => s + x * w[j]!, 0));
}

/** Points first..last with random relative volumes summing to 1. */
function pointsRange(rng: Prng, first: number, last: number, volumeCc: number): PointSet {
  const indices = Int32Array.from({ length: last - first + 1 }, (_, k) => first + k);
  const raw = Float64Array.from(indices, () => rng.uniform(0.5, 1.5));
  const sum = raw.reduce((s, x) => s + x, 0);
  return { indices, weights: raw.map((x) => x / sum), volumeCc };
}

const meanOver = (d: Float64Array, s: PointSet): number => s.weights.reduce((m, w, k) => m + w * d[s.indices[k]!]!, 0);

/** Smallest gap between the doses of a set (DVH terms have a kink where two points swap order). */
function minGap(d: Float64Array, s: PointSet): number {
  const v = [...s.indices].map((i) => d[i]!).sort((x, y) => x - y);
  let g = Infinity;
  for (let k = 1; k < v.length; k++) g = Math.min(g, v[k]! - v[k - 1]!);
  return g;
}

interface Case {
  readonly a: Float64Array[];
  readonly w: Float64Array;
  readonly terms: Term[];
}

/**
 * One random problem: 16 points, 6 beamlets; target T = points 0-7 and organ O = points 6-15 (they
 * overlap, as organs and targets do); levels set from the structures' mean doses at w so that every
 * term is active; one term of weight 0. Redrawn while a DVH structure has two doses closer than 100x
 * the largest dose change of a finite-difference step (no step crosses a DVH kink).
 */
function randomCase(seed: number): Case {
  const rng = mulberry32(seed);
  for (;;) {
    const nP = 16, nB = 6;
    const a = randomMatrix(rng, nP, nB);
    const w = Float64Array.from({ length: nB }, () => rng.uniform(0.3, 0.9));
    const d = doseOf(a, w);
    const T = pointsRange(rng, 0, 7, 40);
    const O = pointsRange(rng, 6, 15, 300);
    const step = FD_STEP * Math.max(...a.map((row) => Math.max(...row)));
    if (Math.min(minGap(d, T), minGap(d, O)) < 100 * step) continue;
    const mT = meanOver(d, T), mO = meanOver(d, O);
    const distanceMm = Float64Array.from(O.indices, () => rng.uniform(0, 30));
    const specs: [ObjectiveSpec, PointSet, number][] = [
      [{ kind: 'underdose', structure: 'T', doseGy: 1.2 * mT }, T, 3],
      [{ kind: 'overdose', structure: 'T', doseGy: 0.9 * mT }, T, 1],
      [{ kind: 'min-dvh', structure: 'T', doseGy: 1.1 * mT, volumePct: 60 }, T, 2.5],
      [{ kind: 'mean-lower', structure: 'T', doseGy: 1.15 * mT }, T, 0.7],
      [{ kind: 'geud-lower', structure: 'T', doseGy: 1.1 * mT, a: -8 }, T, 1.3],
      [{ kind: 'max-dvh', structure: 'O', doseGy: 0.8 * mO, volumeCc: 90 }, O, 2],
      [{ kind: 'mean-upper', structure: 'O', doseGy: 0.8 * mO }, O, 0.5],
      [{ kind: 'max-dose', structure: 'O', doseGy: 0.9 * mO }, O, 0.2],
      [{ kind: 'geud-upper', structure: 'O', doseGy: 0.8 * mO, a: 4 }, O, 1.1],
      [{ kind: 'fall-off', structure: 'O', highGy: mO, lowGy: 0.2 * mO, startMm: 3, fallOffMm: 10 }, O, 0.9],
      [{ kind: 'underdose', structure: 'O', doseGy: 5 * mO }, O, 0], // weight 0: reported, never counted
    ];
    const terms = specs.map(([spec, points, weight]) => ({
      objective: createObjective(spec, points, spec.kind === 'fall-off' ? { distanceMm } : {}),
      weight,
    }));
    return { a, w, terms };
  }
}

const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];

describe('createFluenceProblem', () => {
  it('the gradient matches central finite differences of the value (every objective kind, 10 random problems)', () => {
    for (const seed of SEEDS) {
      const { a, w, terms } = randomCase(seed);
      const problem = createFluenceProblem(denseOperator(a, w.length), terms);
      const grad = new Float64Array(w.length).fill(Number.NaN);
      problem.valueAndGradient(w, grad);
      const scratch = new Float64Array(w.length);
      const gmax = Math.max(...grad.map(Math.abs));
      expect(gmax, `seed ${seed}`).toBeGreaterThan(0);
      for (let j = 0; j < w.length; j++) {
        const plus = Float64Array.from(w), minus = Float64Array.from(w);
        plus[j] = plus[j]! + FD_STEP;
        minus[j] = minus[j]! - FD_STEP;
        const fd = (problem.valueAndGradient(plus, scratch) - problem.valueAndGradient(minus, scratch)) / (2 * FD_STEP);
        expect(Math.abs(fd - grad[j]!), `seed ${seed}, beamlet ${j}: finite difference ${fd}, gradient ${grad[j]}`).toBeLessThanOrEqual(GRAD_TOL * gmax);
      }
    }
  });

  it('the value is the sum of weight x term value at the dose D w, and termValues reports each term', () => {
    for (const seed of SEEDS) {
      const { a, w, terms } = randomCase(seed);
      const problem = createFluenceProblem(denseOperator(a, w.length), terms);
      const f = problem.valueAndGradient(w, new Float64Array(w.length));
      const d = doseOf(a, w);
      // the kept dose is D w
      for (let p = 0; p < d.length; p++) expect(Math.abs(problem.lastDose[p]! - d[p]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, d[p]!));
      const expected = terms.reduce((s, t) => s + t.weight * t.objective.evaluate(d), 0);
      expect(Math.abs(f - expected)).toBeLessThanOrEqual(VALUE_REL_TOL * expected);
      expect(Math.abs(problem.valueAtDose(d) - expected)).toBeLessThanOrEqual(VALUE_REL_TOL * expected);
      const tv = problem.termValues(problem.lastDose);
      expect(tv.map((t) => t.label)).toEqual(terms.map((t) => t.objective.label));
      tv.forEach((t, k) => {
        expect(t.structure).toBe(terms[k]!.objective.structure);
        expect(t.weight).toBe(terms[k]!.weight);
        expect(Math.abs(t.value - terms[k]!.objective.evaluate(d))).toBeLessThanOrEqual(VALUE_REL_TOL * Math.max(t.value, 1e-300));
        expect(t.weighted).toBe(t.weight * t.value);
      });
      expect(Math.abs(tv.reduce((s, t) => s + t.weighted, 0) - f)).toBeLessThanOrEqual(VALUE_REL_TOL * f);
      // every term is active at w (the levels were set from the doses), so each one is checked
      for (const t of tv) expect(t.value, t.label).toBeGreaterThan(0);
      // the weight-0 term has a value (5x the organ mean is far above every dose) but adds nothing
      expect(tv[tv.length - 1]!.value).toBeGreaterThan(0);
      expect(tv[tv.length - 1]!.weighted).toBe(0);
    }
  });

  it('counts its evaluations (one forward and one adjoint each)', () => {
    const { a, w, terms } = randomCase(1);
    let forwards = 0, adjoints = 0;
    const op = denseOperator(a, w.length);
    const counted: DoseOperator = {
      ...op,
      forward: (x, out) => (forwards++, op.forward(x, out)),
      adjoint: (g, out) => (adjoints++, op.adjoint(g, out)),
    };
    const problem = createFluenceProblem(counted, terms);
    for (let n = 0; n < 3; n++) problem.valueAndGradient(w, new Float64Array(w.length));
    expect([problem.evaluations, forwards, adjoints]).toEqual([3, 3, 3]);
  });

  it('no terms, or a negative or non-finite weight, is an InputError naming the objective', () => {
    const { a, w, terms } = randomCase(2);
    const op = denseOperator(a, w.length);
    expect(() => createFluenceProblem(op, [])).toThrow(InputError);
    expect(() => createFluenceProblem(op, [])).toThrow(/at least one objective/);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const t: Term[] = [terms[0]!, { objective: terms[5]!.objective, weight: bad }];
      expect(() => createFluenceProblem(op, t)).toThrow(InputError);
      expect(() => createFluenceProblem(op, t)).toThrow(`objective "${terms[5]!.objective.label}": weight must be a finite number >= 0`);
    }
  });
});

describe('uniformStart', () => {
  it('gives every beamlet L / m, where m is the target\'s weighted mean of the row sums, so that the target mean is exactly L', () => {
    // With all weights c, dose[p] = c * rowSum[p]; the target mean sum_k v_k dose[i_k] = c * m, so
    // c = L / m makes it L.
    const rng = mulberry32(77);
    const a = randomMatrix(rng, 12, 5);
    const target = pointsRange(rng, 3, 9, 10);
    const rowSum = a.map((row) => row.reduce((s, x) => s + x, 0));
    const m = target.weights.reduce((s, v, k) => s + v * rowSum[target.indices[k]!]!, 0);
    const L = 20;
    const w = uniformStart(denseOperator(a, 5), target.indices, target.weights, L);
    for (const x of w) expect(Math.abs(x - L / m)).toBeLessThanOrEqual(1e-14 * (L / m));
    expect(Math.abs(meanOver(doseOf(a, w), target) - L)).toBeLessThanOrEqual(1e-12 * L);
  });

  it('a target the beams do not reach is an InputError', () => {
    const a = [Float64Array.from([0, 0]), Float64Array.from([1, 2])];
    expect(() => uniformStart(denseOperator(a, 2), Int32Array.from([0]), Float64Array.from([1]), 20)).toThrow(InputError);
    expect(() => uniformStart(denseOperator(a, 2), Int32Array.from([0]), Float64Array.from([1]), 20)).toThrow(/no dose to the target/);
  });
});
