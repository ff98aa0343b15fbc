/**
 * Optimisation objective terms (src/optimise/objectives): gradients against central finite
 * differences, values against hand derivations, the add-into-grad contract, spec validation and
 * invariants (property tests).
 *
 * Tolerances: gradients, relative error < 1e-5 per component (components smaller than 1e-3 of the
 * largest are compared against that floor instead); analytic values, 12 significant digits.
 * Finite differences use h = 1e-4 Gy on doses kept at least 2e-3 Gy from every kink (the level L,
 * the quantile D_V and each other for DVH terms, the point's limit for fall-off), so that no
 * perturbation crosses a kink and the DVH quantile point stays the same point.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createObjective, objectiveLabel, OBJECTIVE_KINDS } from '../../src/optimise/objectives/index.js';
import type { Objective, ObjectiveContext, ObjectiveSpec, PointSet } from '../../src/optimise/objectives/index.js';
import { DvhObjective, hottestFractionDose } from '../../src/optimise/objectives/dvh.js';
import { fallOffLimitGy, FallOffObjective } from '../../src/optimise/objectives/fall-off.js';
import { GeudObjective } from '../../src/optimise/objectives/geud.js';
import { mulberry32, type Prng } from '../../src/phantom/prng.js';

const FD_STEP_GY = 1e-4;
const KINK_MARGIN_GY = 2e-3;
const GRAD_REL_TOL = 1e-5;
const VALUE_DIGITS = 12;

/**
 * A point set of n points at indices 1, 3, 5, ... of a dose array of 2n + 2 entries (so that the
 * term must leave the even entries alone), with random relative volumes in [0.5, 1.5) / sum.
 */
function randomPoints(n: number, rng: Prng, volumeCc = 100): { points: PointSet; size: number } {
  const indices = new Int32Array(n);
  const weights = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    indices[k] = 2 * k + 1;
    weights[k] = 0.5 + rng.next();
    sum += weights[k]!;
  }
  for (let k = 0; k < n; k++) weights[k]! /= sum;
  return { points: { indices, weights, volumeCc }, size: 2 * n + 2 };
}

/** A point set with the given weights (not renormalised) at indices 0 .. n-1. */
function pointsOf(weights: number[], volumeCc = 100): PointSet {
  return { indices: Int32Array.from(weights.map((_, k) => k)), weights: Float64Array.from(weights), volumeCc };
}

/** Smallest distance between any two of the values. */
function minGap(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  let gap = Infinity;
  for (let k = 1; k < s.length; k++) gap = Math.min(gap, s[k]! - s[k - 1]!);
  return gap;
}

/** Random doses in [lo, hi) at the points, redrawn until all doses and `kinks` are KINK_MARGIN_GY apart. */
function randomDose(points: PointSet, size: number, rng: Prng, lo: number, hi: number, kinks: number[]): Float64Array {
  for (;;) {
    const dose = new Float64Array(size);
    for (let i = 0; i < size; i++) dose[i] = -7; // entries outside the set: any value, must not matter
    const values: number[] = [];
    for (const i of points.indices) values.push((dose[i] = rng.uniform(lo, hi)));
    if (minGap([...values, ...kinks]) > KINK_MARGIN_GY) return dose;
  }
}

interface GradCase {
  readonly name: string;
  readonly spec: ObjectiveSpec;
  readonly points: PointSet;
  readonly dose: Float64Array;
  readonly context?: ObjectiveContext;
  /** Whether some points are outside the penalised set (piecewise terms). */
  readonly someUnpenalised: boolean;
}

/** One random case per kind (two for max-dvh: % and cc), n = 40 points, fixed seeds. */
function gradCases(): GradCase[] {
  const cases: GradCase[] = [];
  const n = 40;
  const add = (
    name: string,
    seed: number,
    spec: ObjectiveSpec,
    lo: number,
    hi: number,
    someUnpenalised: boolean,
    volumeCc = 100,
  ): void => {
    const rng = mulberry32(seed);
    const { points, size } = randomPoints(n, rng, volumeCc);
    const level = 'doseGy' in spec ? [spec.doseGy] : [];
    cases.push({ name, spec, points, dose: randomDose(points, size, rng, lo, hi, level), someUnpenalised });
  };
  add('underdose', 1, { kind: 'underdose', structure: 'PTV', doseGy: 30 }, 20, 40, true);
  add('overdose', 2, { kind: 'overdose', structure: 'Lung', doseGy: 30 }, 20, 40, true);
  add('min-dvh', 3, { kind: 'min-dvh', structure: 'PTV', doseGy: 30, volumePct: 80 }, 15, 40, true);
  add('max-dvh (%)', 4, { kind: 'max-dvh', structure: 'Valley', doseGy: 20, volumePct: 30 }, 10, 40, true);
  add('max-dvh (cc)', 5, { kind: 'max-dvh', structure: 'Stomach', doseGy: 20, volumeCc: 150 }, 10, 40, true, 500);
  add('mean-upper', 6, { kind: 'mean-upper', structure: 'Liver', doseGy: 25 }, 20, 40, false);
  add('mean-lower', 7, { kind: 'mean-lower', structure: 'PTV', doseGy: 35 }, 20, 40, false);
  add('max-dose', 8, { kind: 'max-dose', structure: 'Cord', doseGy: 30 }, 20, 40, true);
  add('geud-upper', 9, { kind: 'geud-upper', structure: 'Cord', doseGy: 25, a: 8 }, 10, 40, false);
  add('geud-lower', 10, { kind: 'geud-lower', structure: 'PTV', doseGy: 40, a: -10 }, 20, 45, false);
  add('geud-upper, 0 < a < 1', 11, { kind: 'geud-upper', structure: 'Lung', doseGy: 10, a: 0.5 }, 5, 40, false);

  // Fall-off: distances in [-5, 60) mm, doses within 8 Gy of each point's limit, away from it.
  const rng = mulberry32(12);
  const { points, size } = randomPoints(n, rng);
  const spec: ObjectiveSpec = { kind: 'fall-off', structure: 'BODY', highGy: 30, lowGy: 5, startMm: 5, fallOffMm: 20 };
  const distanceMm = new Float64Array(n);
  const dose = new Float64Array(size);
  for (let k = 0; k < n; k++) {
    distanceMm[k] = rng.uniform(-5, 60);
    const limit = fallOffLimitGy(spec, distanceMm[k]!);
    let d: number;
    do d = Math.max(0, limit + rng.uniform(-8, 8));
    while (Math.abs(d - limit) < KINK_MARGIN_GY);
    dose[points.indices[k]!] = d;
  }
  cases.push({ name: 'fall-off', spec, points, dose, context: { distanceMm }, someUnpenalised: true });
  return cases;
}

/**
 * Compares evaluate's gradient with central differences of evaluate's value at every point of the
 * set; returns the worst relative error and how many components are non-zero.
 */
function finiteDifferenceCheck(obj: Objective, dose: Float64Array, points: PointSet): { worst: number; nonZero: number; outside: number } {
  const grad = new Float64Array(dose.length);
  obj.evaluate(dose, grad);
  let largest = 0;
  for (const i of points.indices) largest = Math.max(largest, Math.abs(grad[i]!));
  const inSet = new Set(points.indices);
  let outside = 0;
  for (let i = 0; i < grad.length; i++) if (!inSet.has(i)) outside = Math.max(outside, Math.abs(grad[i]!));
  let worst = 0;
  let nonZero = 0;
  for (const i of points.indices) {
    const d0 = dose[i]!;
    dose[i] = d0 + FD_STEP_GY;
    const plus = obj.evaluate(dose);
    dose[i] = d0 - FD_STEP_GY;
    const minus = obj.evaluate(dose);
    dose[i] = d0;
    const fd = (plus - minus) / (2 * FD_STEP_GY);
    const g = grad[i]!;
    if (g !== 0) nonZero++;
    worst = Math.max(worst, Math.abs(fd - g) / Math.max(Math.abs(g), 1e-3 * largest));
  }
  return { worst, nonZero, outside };
}

describe('objective gradients (central finite differences, non-uniform weights)', () => {
  for (const c of gradCases()) {
    it(`${c.name}: the gradient matches central differences within ${GRAD_REL_TOL} relative`, () => {
      const obj = createObjective(c.spec, c.points, c.context);
      expect(obj.evaluate(c.dose)).toBeGreaterThan(0);
      const { worst, nonZero, outside } = finiteDifferenceCheck(obj, c.dose, c.points);
      expect(worst).toBeLessThan(GRAD_REL_TOL);
      expect(outside).toBe(0);
      // The case exercises the term: several penalised points, and (piecewise terms) unpenalised ones.
      expect(nonZero).toBeGreaterThanOrEqual(3);
      if (c.someUnpenalised) expect(nonZero).toBeLessThan(c.points.indices.length);
      else expect(nonZero).toBe(c.points.indices.length);
    });
  }

  it('min-dvh and max-dvh cases keep every dose further than the step from D_V and L', () => {
    for (const c of gradCases()) {
      if (c.spec.kind !== 'min-dvh' && c.spec.kind !== 'max-dvh') continue;
      const obj = new DvhObjective(c.spec, c.points);
      const dv = obj.doseAtVolumeGy(c.dose);
      for (const i of c.points.indices) {
        const d = c.dose[i]!;
        expect(d === dv || Math.abs(d - dv) > KINK_MARGIN_GY).toBe(true);
        expect(Math.abs(d - c.spec.doseGy)).toBeGreaterThan(KINK_MARGIN_GY);
      }
    }
  });
});

describe('objective values (analytic)', () => {
  const uniform = (n: number, d: number): Float64Array => new Float64Array(n).fill(d);
  const weights4 = [0.1, 0.2, 0.3, 0.4];

  it('underdose of a uniform dose 10 % below the level is 0.01', () => {
    const obj = createObjective({ kind: 'underdose', structure: 'PTV', doseGy: 20 }, pointsOf(weights4));
    expect(obj.evaluate(uniform(4, 18))).toBeCloseTo(0.01, VALUE_DIGITS);
  });

  it('underdose of a uniform dose d is (L - d)^2 / L^2 and 0 at or above L', () => {
    const obj = createObjective({ kind: 'underdose', structure: 'PTV', doseGy: 66 }, pointsOf(weights4));
    expect(obj.evaluate(uniform(4, 50))).toBeCloseTo((16 * 16) / (66 * 66), VALUE_DIGITS);
    expect(obj.evaluate(uniform(4, 66))).toBe(0);
    expect(obj.evaluate(uniform(4, 70))).toBe(0);
  });

  it('underdose weights each point by its relative volume: 0.3 of the volume at L/2 gives 0.3 x 0.25', () => {
    const obj = createObjective({ kind: 'underdose', structure: 'PTV', doseGy: 20 }, pointsOf(weights4));
    expect(obj.evaluate(Float64Array.from([25, 20, 10, 21]))).toBeCloseTo(0.3 * 0.25, VALUE_DIGITS);
  });

  it('overdose of a uniform dose 10 % above the level is 0.01, and only hot points count', () => {
    const obj = createObjective({ kind: 'overdose', structure: 'Lung', doseGy: 20 }, pointsOf(weights4));
    expect(obj.evaluate(uniform(4, 22))).toBeCloseTo(0.01, VALUE_DIGITS);
    // 0.2 of the volume at 30 Gy (+50 %), the rest below 20 Gy.
    expect(obj.evaluate(Float64Array.from([5, 30, 19, 0]))).toBeCloseTo(0.2 * 0.25, VALUE_DIGITS);
  });

  it('mean terms use the volume-weighted mean (doses 10, 20, 30, 40 Gy with weights 0.1 .. 0.4: 30 Gy)', () => {
    const points = pointsOf(weights4);
    const dose = Float64Array.from([10, 20, 30, 40]); // mean 1 + 4 + 9 + 16 = 30 Gy
    const upper = (L: number): number => createObjective({ kind: 'mean-upper', structure: 'Liver', doseGy: L }, points).evaluate(dose);
    const lower = (L: number): number => createObjective({ kind: 'mean-lower', structure: 'PTV', doseGy: L }, points).evaluate(dose);
    expect(upper(25)).toBeCloseTo((5 * 5) / (25 * 25), VALUE_DIGITS); // 0.04
    expect(upper(30)).toBe(0);
    expect(upper(40)).toBe(0);
    expect(lower(40)).toBeCloseTo((10 * 10) / (40 * 40), VALUE_DIGITS); // 0.0625
    expect(lower(25)).toBe(0);
  });

  it('gEUD with a = 1 is the weighted mean, a = 2 the root mean square', () => {
    const points = pointsOf(weights4);
    const dose = Float64Array.from([10, 20, 30, 40]);
    const geud = (a: number): number => new GeudObjective({ kind: 'geud-upper', structure: 'Liver', doseGy: 1, a }, points).geudGy(dose);
    expect(geud(1)).toBeCloseTo(30, VALUE_DIGITS);
    expect(geud(2)).toBeCloseTo(Math.sqrt(10 + 80 + 270 + 640), VALUE_DIGITS); // sqrt(sum w d^2)
    // As a value: geud-upper with a = 1 equals mean-upper.
    const spec = { structure: 'Liver', doseGy: 25 } as const;
    const viaGeud = createObjective({ ...spec, kind: 'geud-upper', a: 1 }, points).evaluate(dose);
    const viaMean = createObjective({ ...spec, kind: 'mean-upper' }, points).evaluate(dose);
    expect(viaGeud).toBeCloseTo(viaMean, VALUE_DIGITS);
  });

  it('gEUD with large a approaches the maximum, with large negative a the minimum (no overflow at |a| = 1000)', () => {
    const points = pointsOf(weights4);
    const dose = Float64Array.from([10, 20, 30, 40]);
    // For large a, (sum w d^a)^(1/a) = 40 (0.4 + 0.3 (3/4)^a + ...)^(1/a) -> 40 x 0.4^(1/a) -> 40.
    const upper = createObjective({ kind: 'geud-upper', structure: 'Cord', doseGy: 20, a: 1000 }, points);
    const hot = 40 * Math.pow(0.4, 1 / 1000); // 39.963...
    expect(upper.evaluate(dose)).toBeCloseTo(((hot - 20) * (hot - 20)) / 400, VALUE_DIGITS);
    expect(hot).toBeGreaterThan(39.9);
    // For large negative a, -> 10 x 0.1^(1/a) -> 10 from above.
    const lower = createObjective({ kind: 'geud-lower', structure: 'PTV', doseGy: 50, a: -1000 }, points);
    const cold = 10 * Math.pow(0.1, -1 / 1000); // 10.023...
    expect(lower.evaluate(dose)).toBeCloseTo(((50 - cold) * (50 - cold)) / 2500, VALUE_DIGITS);
  });

  it('gEUD with a < 0 and a point at 0 Gy uses the 1e-6 Gy floor: gEUD near 0, value and gradient finite', () => {
    const points = pointsOf(weights4);
    const dose = Float64Array.from([0, 60, 60, 60]);
    const obj = new GeudObjective({ kind: 'geud-lower', structure: 'PTV', doseGy: 60, a: -10 }, points);
    // (0.1 x (1e-6)^-10 + 0.9 x 60^-10)^(-1/10) = 1e-6 x 0.1^(-1/10) (the second term is negligible)
    expect(obj.geudGy(dose)).toBeCloseTo(1e-6 * Math.pow(0.1, -0.1), 15);
    const grad = new Float64Array(4);
    const value = obj.evaluate(dose, grad);
    expect(value).toBeCloseTo(1, 6);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(grad[0]).toBe(0); // the floored point: no derivative
  });

  // A dose ramp of 10 points, 2 .. 20 Gy, with relative volumes 0.05, 0.05, 0.1 x 7, 0.2.
  // Hottest first, the accumulated volume is 20: 0.2, 18: 0.3, 16: 0.4, 14: 0.5, 12: 0.6,
  // 10: 0.7, 8: 0.8, 6: 0.9, 4: 0.95, 2: 1.0.
  const ramp = Float64Array.from([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
  const rampWeights = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2];

  it('min-dvh D80% >= 15 Gy on a ramp pulls up only the underdosed points among the hottest 80 % (8 .. 14 Gy)', () => {
    const points = pointsOf(rampWeights);
    const obj = createObjective({ kind: 'min-dvh', structure: 'PTV_2000', doseGy: 15, volumePct: 80 }, points);
    // D80% = 8 Gy; penalised 8, 10, 12, 14 Gy (weight 0.1 each); 2, 4, 6 Gy are below D80%.
    const expected = (0.1 * (7 * 7 + 5 * 5 + 3 * 3 + 1 * 1)) / (15 * 15);
    expect(new DvhObjective({ kind: 'min-dvh', structure: 'PTV_2000', doseGy: 15, volumePct: 80 }, points).doseAtVolumeGy(ramp)).toBe(8);
    expect(obj.evaluate(ramp)).toBeCloseTo(expected, VALUE_DIGITS);
    const grad = new Float64Array(10);
    obj.evaluate(ramp, grad);
    expect(Array.from(grad, (g) => g !== 0)).toEqual([false, false, false, true, true, true, true, false, false, false]);
    expect(grad[3]).toBeCloseTo((-2 * 0.1 * 7) / 225, VALUE_DIGITS);
  });

  it('max-dvh D60cc <= 11 Gy of a 200 cc structure is D30%: pushes down 12 .. 18 Gy, not the hottest 20 Gy', () => {
    const spec: ObjectiveSpec = { kind: 'max-dvh', structure: 'Stomach', doseGy: 11, volumeCc: 60 };
    const obj = createObjective(spec, pointsOf(rampWeights, 200));
    // V = 60 / 200 = 0.3, D30% = 18 Gy; penalised 11 < d <= 18: 12, 14, 16, 18 Gy (weight 0.1 each).
    const expected = (0.1 * (1 * 1 + 3 * 3 + 5 * 5 + 7 * 7)) / (11 * 11);
    expect(obj.evaluate(ramp)).toBeCloseTo(expected, VALUE_DIGITS);
    const pct = createObjective({ kind: 'max-dvh', structure: 'Stomach', doseGy: 11, volumePct: 30 }, pointsOf(rampWeights, 200));
    expect(obj.evaluate(ramp)).toBeCloseTo(pct.evaluate(ramp), VALUE_DIGITS);
    // The same 60 cc of a 100 cc structure is 60 %: D60% = 12 Gy, only 12 Gy is penalised.
    const small = createObjective(spec, pointsOf(rampWeights, 100));
    expect(small.evaluate(ramp)).toBeCloseTo(0.1 / 121, VALUE_DIGITS);
    // More cc than the structure holds is clamped to 100 %: min-dvh D500cc >= 11 Gy is D100% >= 11 Gy,
    // D100% = 2 Gy, every point below 11 Gy is pulled up (2, 4 Gy: weight 0.05; 6, 8, 10 Gy: 0.1).
    const all = createObjective({ ...spec, kind: 'min-dvh', volumeCc: 500 }, pointsOf(rampWeights, 200));
    expect(all.evaluate(ramp)).toBeCloseTo((0.05 * (81 + 49) + 0.1 * (25 + 9 + 1)) / 121, VALUE_DIGITS);
    // ... while max-dvh D500cc <= 11 Gy holds trivially (D100% = 2 Gy).
    expect(createObjective({ ...spec, volumeCc: 500 }, pointsOf(rampWeights, 200)).evaluate(ramp)).toBe(0);
  });

  it('dvh terms are 0 when the constraint holds (D80% >= 8 Gy, D30% <= 18 Gy on the ramp)', () => {
    const points = pointsOf(rampWeights);
    expect(createObjective({ kind: 'min-dvh', structure: 'PTV', doseGy: 8, volumePct: 80 }, points).evaluate(ramp)).toBe(0);
    expect(createObjective({ kind: 'max-dvh', structure: 'OAR', doseGy: 18, volumePct: 30 }, points).evaluate(ramp)).toBe(0);
  });

  it('min-dvh with V = 100 % equals underdose; max-dvh with a vanishing V equals overdose', () => {
    const rng = mulberry32(21);
    const { points, size } = randomPoints(30, rng);
    const dose = randomDose(points, size, rng, 10, 50, [30]);
    const base = { structure: 'S', doseGy: 30 } as const;
    const e = (spec: ObjectiveSpec): number => createObjective(spec, points).evaluate(dose);
    expect(e({ ...base, kind: 'underdose' })).toBeGreaterThan(0);
    expect(e({ ...base, kind: 'min-dvh', volumePct: 100 })).toBeCloseTo(e({ ...base, kind: 'underdose' }), 14);
    expect(e({ ...base, kind: 'overdose' })).toBeGreaterThan(0);
    expect(e({ ...base, kind: 'max-dvh', volumePct: 1e-9 })).toBeCloseTo(e({ ...base, kind: 'overdose' }), 14);
  });

  it('D_V is the sort-based weighted quantile: the first dose, hottest first, where the volume reaches V', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ d: fc.integer({ min: 0, max: 12 }), w: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 100 }),
        (pts, pct) => {
          // Integer doses (many ties) and integer weights; exact reference on integers.
          const total = pts.reduce((s, p) => s + p.w, 0);
          const sorted = [...pts].sort((a, b) => b.d - a.d);
          let acc = 0;
          let expected = NaN;
          for (const p of sorted) {
            acc += p.w;
            if (acc * 100 >= pct * total) {
              expected = p.d;
              break;
            }
          }
          const keys = Float64Array.from(pts, (p) => p.d);
          const mass = Float64Array.from(pts, (p) => p.w / total);
          expect(hottestFractionDose(keys, mass, pts.length, pct / 100, 1e-12)).toBe(expected);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });

  it('max-dose sums instead of averaging: doubling identical hot points doubles the value', () => {
    const spec: ObjectiveSpec = { kind: 'max-dose', structure: 'Cord', doseGy: 20 };
    const three = createObjective(spec, pointsOf([1 / 3, 1 / 3, 1 / 3]));
    const six = createObjective(spec, pointsOf([1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]));
    expect(three.evaluate(uniform(3, 22))).toBeCloseTo(3 * 0.01, VALUE_DIGITS);
    expect(six.evaluate(uniform(6, 22))).toBeCloseTo(6 * 0.01, VALUE_DIGITS);
    // A single hot point of a big organ is not diluted: 0.01 whatever the number of cold points.
    const many = createObjective(spec, pointsOf(new Array<number>(1000).fill(1 / 1000)));
    const dose = uniform(1000, 5);
    dose[17] = 22;
    expect(many.evaluate(dose)).toBeCloseTo(0.01, VALUE_DIGITS);
  });

  it('fall-off limit is highGy for r <= start and low + (high - low)/e at r = start + fallOffMm', () => {
    const spec = { kind: 'fall-off', structure: 'BODY', highGy: 20, lowGy: 5, startMm: 5, fallOffMm: 20 } as const;
    // One point of weight 1 at 40 Gy: value = (40 - limit)^2 / 20^2, so limit = 40 - 20 sqrt(value).
    const limitFromValue = (r: number): number => {
      const obj = createObjective(spec, pointsOf([1]), { distanceMm: Float64Array.of(r) });
      return 40 - 20 * Math.sqrt(obj.evaluate(Float64Array.of(40)));
    };
    expect(limitFromValue(-3)).toBeCloseTo(20, VALUE_DIGITS); // inside the target
    expect(limitFromValue(0)).toBeCloseTo(20, VALUE_DIGITS);
    expect(limitFromValue(5)).toBeCloseTo(20, VALUE_DIGITS);
    expect(limitFromValue(25)).toBeCloseTo(5 + 15 / Math.E, VALUE_DIGITS);
    expect(limitFromValue(45)).toBeCloseTo(5 + 15 / (Math.E * Math.E), VALUE_DIGITS);
    expect(limitFromValue(Infinity)).toBeCloseTo(5, VALUE_DIGITS);
    // Below the limit nothing is penalised; the mean is weighted and normalised by highGy^2.
    const two = createObjective(spec, pointsOf([0.25, 0.75]), { distanceMm: Float64Array.of(0, 25) });
    expect(two.evaluate(Float64Array.of(19, 5))).toBe(0);
    expect(two.evaluate(Float64Array.of(22, 5 + 15 / Math.E + 2))).toBeCloseTo((0.25 * 4 + 0.75 * 4) / 400, VALUE_DIGITS);
    expect((two as FallOffObjective).limitGy[1]).toBeCloseTo(5 + 15 / Math.E, VALUE_DIGITS);
  });
});

describe('evaluate adds into grad', () => {
  for (const c of gradCases()) {
    it(`${c.name}: adds scale x gradient at the set's indices and leaves every other entry as it was`, () => {
      const obj = createObjective(c.spec, c.points, c.context);
      const fresh = new Float64Array(c.dose.length);
      const value = obj.evaluate(c.dose, fresh);
      const prefilled = Float64Array.from({ length: c.dose.length }, (_, i) => 0.5 + i);
      const before = Float64Array.from(prefilled);
      const scale = 2.5;
      expect(obj.evaluate(c.dose, prefilled, scale)).toBe(value); // the value is unweighted and unscaled
      expect(obj.evaluate(c.dose)).toBe(value);
      const inSet = new Set(c.points.indices);
      for (let i = 0; i < c.dose.length; i++) {
        if (inSet.has(i)) expect(Math.abs(prefilled[i]! - (before[i]! + scale * fresh[i]!))).toBeLessThan(1e-13);
        else expect(prefilled[i]).toBe(before[i]);
      }
      // Two calls accumulate: the second adds the same gradient again.
      const once = Float64Array.from(fresh);
      obj.evaluate(c.dose, fresh);
      for (const i of c.points.indices) expect(fresh[i]).toBe(2 * once[i]!);
    });
  }
});

describe('labels', () => {
  it('read as one line per constraint, as in plan reports', () => {
    expect(objectiveLabel({ kind: 'min-dvh', structure: 'PTV_2000', doseGy: 20, volumePct: 95 })).toBe('PTV_2000 D95% >= 20 Gy');
    expect(objectiveLabel({ kind: 'max-dvh', structure: 'Valley', doseGy: 26, volumePct: 50 })).toBe('Valley D50% <= 26 Gy');
    expect(objectiveLabel({ kind: 'max-dvh', structure: 'Stomach', doseGy: 17.1, volumeCc: 10 })).toBe('Stomach D10cc <= 17.1 Gy');
    expect(objectiveLabel({ kind: 'mean-upper', structure: 'Liver', doseGy: 15 })).toBe('Liver mean <= 15 Gy');
    expect(objectiveLabel({ kind: 'mean-lower', structure: 'GTV', doseGy: 30 })).toBe('GTV mean >= 30 Gy');
    expect(objectiveLabel({ kind: 'fall-off', structure: 'BODY', highGy: 20, lowGy: 5, startMm: 5, fallOffMm: 20 })).toBe(
      'BODY fall-off 20 -> 5 Gy from 5 mm, 20 mm',
    );
    expect(objectiveLabel({ kind: 'geud-upper', structure: 'Cord', doseGy: 20, a: 8 })).toBe('Cord gEUD(a=8) <= 20 Gy');
    expect(objectiveLabel({ kind: 'geud-lower', structure: 'PTV', doseGy: 60, a: -10 })).toBe('PTV gEUD(a=-10) >= 60 Gy');
    expect(objectiveLabel({ kind: 'underdose', structure: 'PTV', doseGy: 20 })).toBe('PTV dose >= 20 Gy');
    expect(objectiveLabel({ kind: 'overdose', structure: 'Lung', doseGy: 20 })).toBe('Lung dose <= 20 Gy');
    expect(objectiveLabel({ kind: 'max-dose', structure: 'Cord', doseGy: 45 })).toBe('Cord max <= 45 Gy');
  });

  it('the objective carries its label, structure and spec', () => {
    const spec: ObjectiveSpec = { kind: 'min-dvh', structure: 'PTV_2000', doseGy: 20, volumePct: 95, weight: 3 };
    const obj = createObjective(spec, pointsOf([1]));
    expect(obj.label).toBe('PTV_2000 D95% >= 20 Gy');
    expect(obj.structure).toBe('PTV_2000');
    expect(obj.spec).toBe(spec);
  });
});

describe('validation', () => {
  const one = pointsOf([1]);
  const expectInputError = (fn: () => unknown, ...fragments: string[]): void => {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    for (const f of fragments) expect((caught as Error).message).toContain(f);
  };
  const bad = (spec: Record<string, unknown>, points: PointSet = one, context?: ObjectiveContext) => () =>
    createObjective(spec as unknown as ObjectiveSpec, points, context);

  it('rejects a dose level that is not finite and positive', () => {
    for (const doseGy of [0, -1, NaN, Infinity]) {
      expectInputError(bad({ kind: 'underdose', structure: 'PTV', doseGy }), '"underdose"', 'doseGy', 'structure "PTV"');
    }
    expectInputError(bad({ kind: 'mean-upper', structure: 'Liver' }), 'doseGy', 'Liver');
  });

  it('rejects a dvh spec without exactly one of volumePct and volumeCc', () => {
    expectInputError(
      bad({ kind: 'max-dvh', structure: 'Valley', doseGy: 26, volumePct: 50, volumeCc: 10 }),
      'objective "max-dvh"',
      'expected exactly one of volumePct or volumeCc',
      'both',
      'structure "Valley"',
    );
    expectInputError(bad({ kind: 'min-dvh', structure: 'PTV', doseGy: 20 }), 'exactly one of volumePct or volumeCc', 'neither', 'PTV');
  });

  it('rejects volumePct outside (0, 100] and volumeCc <= 0', () => {
    for (const volumePct of [0, -5, 100.5, NaN]) {
      expectInputError(bad({ kind: 'min-dvh', structure: 'PTV', doseGy: 20, volumePct }), 'volumePct', 'PTV');
    }
    for (const volumeCc of [0, -1, Infinity]) {
      expectInputError(bad({ kind: 'max-dvh', structure: 'Stomach', doseGy: 17, volumeCc }), 'volumeCc', 'Stomach');
    }
  });

  it('rejects volumeCc when the structure volume is unknown (points.volumeCc not > 0)', () => {
    expectInputError(bad({ kind: 'max-dvh', structure: 'Stomach', doseGy: 17, volumeCc: 10 }, pointsOf([1], 0)), 'points.volumeCc', 'Stomach');
  });

  it('rejects a = 0 (and non-finite a) for gEUD', () => {
    expectInputError(bad({ kind: 'geud-upper', structure: 'Cord', doseGy: 20, a: 0 }), 'a must be finite and non-zero', 'Cord');
    expectInputError(bad({ kind: 'geud-lower', structure: 'PTV', doseGy: 20, a: NaN }), '"geud-lower"', 'a must be', 'PTV');
  });

  it('rejects fall-off with highGy < lowGy, lowGy < 0, startMm < 0 or fallOffMm <= 0', () => {
    const ctx = { distanceMm: Float64Array.of(3) };
    const base = { kind: 'fall-off', structure: 'BODY', highGy: 20, lowGy: 5, startMm: 5, fallOffMm: 20 };
    expectInputError(bad({ ...base, highGy: 4 }, one, ctx), 'highGy', 'lowGy', 'BODY');
    expectInputError(bad({ ...base, lowGy: -1 }, one, ctx), 'lowGy', 'BODY');
    expectInputError(bad({ ...base, highGy: 0, lowGy: 0 }, one, ctx), 'highGy', 'BODY');
    expectInputError(bad({ ...base, startMm: -1 }, one, ctx), 'startMm', 'BODY');
    expectInputError(bad({ ...base, fallOffMm: 0 }, one, ctx), 'fallOffMm', 'BODY');
    expect(() => createObjective({ ...base, highGy: 5 } as ObjectiveSpec, one, ctx)).not.toThrow(); // high = low is allowed
  });

  it('rejects fall-off without distances, or with distances not one per point', () => {
    const spec: ObjectiveSpec = { kind: 'fall-off', structure: 'BODY', highGy: 20, lowGy: 5, startMm: 5, fallOffMm: 20 };
    expectInputError(() => createObjective(spec, pointsOf([0.5, 0.5])), 'context.distanceMm', 'BODY');
    expectInputError(() => createObjective(spec, pointsOf([0.5, 0.5]), {}), 'context.distanceMm', 'BODY');
    expectInputError(() => createObjective(spec, pointsOf([0.5, 0.5]), { distanceMm: Float64Array.of(1) }), 'context.distanceMm', '1 values', 'expected 2', 'BODY');
    expectInputError(() => createObjective(spec, pointsOf([0.5, 0.5]), { distanceMm: Float64Array.of(1, NaN) }), 'NaN', 'BODY');
  });

  it('rejects a negative or non-finite weight and accepts weight 0', () => {
    expectInputError(bad({ kind: 'overdose', structure: 'Lung', doseGy: 20, weight: -1 }), 'weight', 'Lung');
    expectInputError(bad({ kind: 'overdose', structure: 'Lung', doseGy: 20, weight: Infinity }), 'weight', 'Lung');
    expect(() => createObjective({ kind: 'overdose', structure: 'Lung', doseGy: 20, weight: 0 }, one)).not.toThrow();
  });

  it('rejects an empty point set, naming the structure', () => {
    for (const kind of OBJECTIVE_KINDS) {
      const spec =
        kind === 'fall-off'
          ? { kind, structure: 'Empty', highGy: 20, lowGy: 5, startMm: 5, fallOffMm: 20 }
          : { kind, structure: 'Empty', doseGy: 20, volumePct: 50, a: 2 };
      expectInputError(bad(spec, pointsOf([]), { distanceMm: new Float64Array(0) }), 'no optimisation points', 'structure "Empty"');
    }
  });

  it('rejects point sets whose weights do not match the indices, and unknown kinds', () => {
    const points: PointSet = { indices: Int32Array.of(0, 1), weights: Float64Array.of(1), volumeCc: 1 };
    expectInputError(bad({ kind: 'underdose', structure: 'PTV', doseGy: 20 }, points), '1 weights for 2 indices', 'PTV');
    expectInputError(bad({ kind: 'underdose', structure: 'PTV', doseGy: 20 }, pointsOf([0, 0])), 'sum to 0', 'PTV');
    expectInputError(bad({ kind: 'min-dose', structure: 'PTV', doseGy: 20 }), 'unknown kind', 'min-dose', 'PTV');
  });
});

describe('invariants (property tests)', () => {
  /** The level a kind compares against, and on which side meeting it lies. */
  type Case = { spec: ObjectiveSpec; context?: ObjectiveContext; lower: boolean; levelGy: number };
  const specArb = (n: number): fc.Arbitrary<Case> =>
    fc
      .record({
        kind: fc.constantFrom(...OBJECTIVE_KINDS),
        levelGy: fc.double({ min: 0.5, max: 80, noNaN: true }),
        volumePct: fc.double({ min: 0.1, max: 100, noNaN: true }),
        useCc: fc.boolean(),
        a: fc.oneof(fc.double({ min: -40, max: -0.5, noNaN: true }), fc.double({ min: 1, max: 40, noNaN: true })),
        lowFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        distances: fc.array(fc.double({ min: -20, max: 200, noNaN: true }), { minLength: n, maxLength: n }),
      })
      .map(({ kind, levelGy, volumePct, useCc, a, lowFraction, distances }): Case => {
        const structure = 'S';
        const lower = kind === 'underdose' || kind === 'min-dvh' || kind === 'mean-lower' || kind === 'geud-lower';
        switch (kind) {
          case 'min-dvh':
          case 'max-dvh':
            return { spec: useCc ? { kind, structure, doseGy: levelGy, volumeCc: volumePct } : { kind, structure, doseGy: levelGy, volumePct }, lower, levelGy };
          case 'geud-upper':
          case 'geud-lower':
            return { spec: { kind, structure, doseGy: levelGy, a }, lower, levelGy };
          case 'fall-off': {
            const lowGy = lowFraction * levelGy;
            const spec: ObjectiveSpec = { kind, structure, highGy: levelGy, lowGy, startMm: 3, fallOffMm: 15 };
            return { spec, context: { distanceMm: Float64Array.from(distances) }, lower: false, levelGy: lowGy };
          }
          default:
            return { spec: { kind, structure, doseGy: levelGy }, lower, levelGy };
        }
      });
  const n = 12;
  const unit = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n });
  const weightsArb = fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: n, maxLength: n });
  const pointsFrom = (w: number[]): PointSet => {
    const sum = w.reduce((s, x) => s + x, 0);
    return pointsOf(w.map((x) => x / sum), 100);
  };

  it('every term is >= 0 and finite on any non-negative dose', () => {
    fc.assert(
      fc.property(specArb(n), weightsArb, unit, (c, w, u) => {
        const obj = createObjective(c.spec, pointsFrom(w), c.context);
        const dose = Float64Array.from(u, (x) => 3 * c.levelGy * x);
        const grad = new Float64Array(n);
        const value = obj.evaluate(dose, grad);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(value)).toBe(true);
        expect(grad.every(Number.isFinite)).toBe(true);
      }),
      { seed: 11, numRuns: 400 },
    );
  });

  it('every term is 0, with a zero gradient, when the dose meets the level everywhere (by 1e-9 relative)', () => {
    fc.assert(
      fc.property(specArb(n), weightsArb, unit, (c, w, u) => {
        const obj = createObjective(c.spec, pointsFrom(w), c.context);
        // Lower kinds: doses in [L (1 + 1e-9), 2 L]; upper kinds: in [0, L (1 - 1e-9)] (fall-off: its lowGy).
        const dose = Float64Array.from(u, (x) => (c.lower ? c.levelGy * (1 + 1e-9 + x) : c.levelGy * (1 - 1e-9) * x));
        const grad = new Float64Array(n);
        expect(obj.evaluate(dose, grad)).toBe(0);
        expect(grad.every((g) => g === 0)).toBe(true);
      }),
      { seed: 12, numRuns: 400 },
    );
  });
});
