/**
 * Dose-volume terms (Wu & Mohan, Med Phys 27:701 (2000)), with D_V the dose to the hottest volume
 * fraction V of the structure:
 * - min-dvh (D_V >= L): points with D_V <= d < L, i.e. the underdosed points among the hottest V,
 *   are pulled up: value = sum_k w_k (L - d_k)^2 / L^2 over them;
 * - max-dvh (D_V <= L): points with L < d <= D_V, i.e. the overdosed points outside the hottest V
 *   (plus the point at D_V), are pushed down: value = sum_k w_k (d_k - L)^2 / L^2 over them.
 * The sum runs over the penalised points but with the weights of the whole structure (the mean over
 * all points of a penalty that is zero elsewhere, as in matRad's MinDVH/MaxDVH), so min-dvh with
 * V = 100 % equals underdose, and the value does not jump when points join or leave the set.
 *
 * D_V is a weighted quantile: sort the points by dose, hottest first, and accumulate their weights;
 * D_V is the dose of the first point at which the sum reaches V (within 1e-12 of the total, so that
 * V = 100 % gives the minimum and a sum that reaches V exactly, up to rounding, stops there).
 * V = volumePct / 100, or volumeCc / points.volumeCc; clamped to [0, 1]. The quantile is found by a
 * weighted quickselect on scratch arrays allocated once (no allocation per evaluation).
 *
 * The terms are piecewise smooth; the gradient is that of the penalty with D_V (and so the set of
 * penalised points) held fixed, the usual practice: -2 w_k (L - d_k) / L^2 (min-dvh) or
 * 2 w_k (d_k - L) / L^2 (max-dvh) at penalised points, 0 elsewhere.
 *
 * Inputs: spec.doseGy = L (Gy, > 0), spec.volumePct (%) or spec.volumeCc (cc); the structure's
 * points (indices, relative volumes summing to 1, volumeCc); dose at all points (Gy). Output: the
 * value (dimensionless) and, on request, its gradient (1/Gy) added into grad.
 */

import { objectiveLabel, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

/** Relative tolerance on accumulated weights when looking for D_V. */
const WEIGHT_TOLERANCE = 1e-12;

export class DvhObjective implements Objective {
  readonly label: string;
  readonly structure: string;
  /** V as a fraction of the structure, in [0, 1]. */
  readonly volumeFraction: number;
  private readonly isMin: boolean;
  /** Scratch: doses and weights of the points, reordered by the quantile search. */
  private readonly keys: Float64Array;
  private readonly mass: Float64Array;

  /** Trusts its inputs: createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'min-dvh' | 'max-dvh'>,
    private readonly points: PointSet,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
    this.isMin = spec.kind === 'min-dvh';
    const v = spec.volumeCc !== undefined ? spec.volumeCc / points.volumeCc : (spec.volumePct ?? 100) / 100;
    this.volumeFraction = Math.min(1, Math.max(0, v));
    this.keys = new Float64Array(points.indices.length);
    this.mass = new Float64Array(points.indices.length);
  }

  /** D_V (Gy) of the structure at `dose`: the dose to the hottest fraction V (see the header). */
  doseAtVolumeGy(dose: Float64Array): number {
    const { indices, weights } = this.points;
    const keys = this.keys;
    const mass = this.mass;
    let total = 0;
    for (let k = 0; k < indices.length; k++) {
      keys[k] = dose[indices[k]!]!;
      mass[k] = weights[k]!;
      total += weights[k]!;
    }
    return hottestFractionDose(keys, mass, indices.length, this.volumeFraction * total, WEIGHT_TOLERANCE * total);
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    const { indices, weights } = this.points;
    const level = this.spec.doseGy;
    const dv = this.doseAtVolumeGy(dose);
    const inv = 1 / (level * level);
    const g = 2 * scale * inv;
    let value = 0;
    if (this.isMin) {
      if (!(dv < level)) return 0;
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        const d = dose[i]!;
        if (d >= dv && d < level) {
          const w = weights[k]!;
          const deficit = level - d;
          value += w * deficit * deficit;
          if (grad !== undefined) grad[i]! -= g * w * deficit;
        }
      }
    } else {
      if (!(dv > level)) return 0;
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        const d = dose[i]!;
        if (d > level && d <= dv) {
          const w = weights[k]!;
          const excess = d - level;
          value += w * excess * excess;
          if (grad !== undefined) grad[i]! += g * w * excess;
        }
      }
    }
    return value * inv;
  }
}

/**
 * Weighted quickselect, hottest first: the dose of the first point (in descending order of dose) at
 * which the accumulated weight reaches `target - tol`. Reorders keys[0 .. n-1] and mass[0 .. n-1]
 * together (three-way partitions around a median-of-three pivot, so ties and ramps stay linear on
 * average). Returns NaN for n = 0.
 */
export function hottestFractionDose(keys: Float64Array, mass: Float64Array, n: number, target: number, tol: number): number {
  let lo = 0;
  let hi = n;
  let need = target;
  let pivot = NaN;
  while (hi > lo) {
    pivot = medianOfThree(keys[lo]!, keys[(lo + hi) >>> 1]!, keys[hi - 1]!);
    // [lo, gt): hotter than the pivot; [gt, i): equal; [lt, hi): colder.
    let gt = lo;
    let i = lo;
    let lt = hi;
    let wGt = 0;
    let wEq = 0;
    while (i < lt) {
      const x = keys[i]!;
      if (x > pivot) {
        swap(keys, mass, i, gt);
        wGt += mass[gt]!;
        gt++;
        i++;
      } else if (x < pivot) {
        lt--;
        swap(keys, mass, i, lt);
      } else {
        wEq += mass[i]!;
        i++;
      }
    }
    if (gt > lo && wGt >= need - tol) {
      hi = gt;
    } else if (wGt + wEq >= need - tol) {
      return pivot;
    } else {
      need -= wGt + wEq;
      lo = lt;
    }
  }
  // Only reached when rounding left the colder group empty: the last pivot is the minimum.
  return pivot;
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a > b) return b > c ? b : a > c ? c : a;
  return a > c ? a : b > c ? c : b;
}

function swap(keys: Float64Array, mass: Float64Array, a: number, b: number): void {
  const k = keys[a]!;
  keys[a] = keys[b]!;
  keys[b] = k;
  const m = mass[a]!;
  mass[a] = mass[b]!;
  mass[b] = m;
}
