/**
 * gEUD terms (Niemierko, Med Phys 24:103 (1997); generalised form, Niemierko, Med Phys 26:1100
 * (1999)): gEUD = (sum_k w_k d_k^a)^(1/a), the weighted power mean of the dose with the points'
 * relative volumes w_k. a = 1 is the mean dose, large a tends to the maximum (serial organs),
 * negative a to the minimum (targets). geud-upper = max(0, gEUD - L)^2 / L^2 (gEUD at most L),
 * geud-lower = max(0, L - gEUD)^2 / L^2 (gEUD at least L).
 *
 * Gradient: d gEUD / d d_k = gEUD w_k d_k^(a-1) / sum_j w_j d_j^a, times +-2 (gEUD - L) / L^2.
 *
 * Dose floor: doses below GEUD_DOSE_FLOOR_GY (1e-6 Gy) are taken as 1e-6 Gy, for every a. This keeps
 * d^a finite for a < 0 (a single cold point then drives gEUD towards 0, as it should) and the
 * derivative finite for 0 < a < 1; the derivative with respect to a floored dose is 0. For a >= 1
 * the floor changes gEUD by less than 1e-6 Gy. The sum is computed as ref (sum w (d/ref)^a)^(1/a)
 * with ref the hottest (a > 0) or coldest (a < 0) point of non-zero weight, so that large |a|
 * (a = 100 with 60 Gy: 60^100 is near the double range) neither overflows nor underflows.
 *
 * Inputs: spec.doseGy = L (Gy, > 0), spec.a (non-zero); the structure's points (indices, relative
 * volumes summing to 1); dose at all points (Gy). Output: the value (dimensionless) and, on request,
 * its gradient (1/Gy) added into grad. Reference: matRad DoseObjectives' EUD (e0404/matRad), ideas only.
 */

import { objectiveLabel, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

/** Doses below this (Gy) count as this in gEUD (see the header). */
export const GEUD_DOSE_FLOOR_GY = 1e-6;

export class GeudObjective implements Objective {
  readonly label: string;
  readonly structure: string;
  /** +1 for geud-upper (penalise gEUD > L), -1 for geud-lower (penalise gEUD < L). */
  private readonly sign: 1 | -1;

  /** Trusts its inputs: createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'geud-upper' | 'geud-lower'>,
    private readonly points: PointSet,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
    this.sign = spec.kind === 'geud-upper' ? 1 : -1;
  }

  /** gEUD (Gy) of the structure at `dose`. */
  geudGy(dose: Float64Array): number {
    const a = this.spec.a;
    const ref = this.referenceGy(dose);
    return ref * Math.pow(this.scaledSum(dose, ref), 1 / a);
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    const { indices, weights } = this.points;
    const a = this.spec.a;
    const level = this.spec.doseGy;
    const ref = this.referenceGy(dose);
    const sum = this.scaledSum(dose, ref);
    const geud = ref * Math.pow(sum, 1 / a);
    const excess = this.sign * (geud - level);
    if (!(excess > 0)) return 0;
    const inv = 1 / (level * level);
    if (grad !== undefined) {
      // d value / d d_k = 2 sign excess / L^2 * gEUD w_k r_k^(a-1) / (ref sum), r_k = d_k / ref.
      const g = (2 * this.sign * scale * excess * inv * geud) / (ref * sum);
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        const d = dose[i]!;
        if (d > GEUD_DOSE_FLOOR_GY) grad[i]! += g * weights[k]! * Math.pow(d / ref, a - 1);
      }
    }
    return excess * excess * inv;
  }

  /** The hottest (a > 0) or coldest (a < 0) floored dose among the points of non-zero weight. */
  private referenceGy(dose: Float64Array): number {
    const { indices, weights } = this.points;
    const hottest = this.spec.a > 0;
    let ref = hottest ? GEUD_DOSE_FLOOR_GY : Infinity;
    for (let k = 0; k < indices.length; k++) {
      if (!(weights[k]! > 0)) continue;
      const d = Math.max(dose[indices[k]!]!, GEUD_DOSE_FLOOR_GY);
      if (hottest ? d > ref : d < ref) ref = d;
      else if (d !== d) return NaN;
    }
    return ref;
  }

  /** sum_k w_k (max(d_k, floor) / ref)^a. */
  private scaledSum(dose: Float64Array, ref: number): number {
    const { indices, weights } = this.points;
    const a = this.spec.a;
    let sum = 0;
    for (let k = 0; k < indices.length; k++) {
      sum += weights[k]! * Math.pow(Math.max(dose[indices[k]!]!, GEUD_DOSE_FLOOR_GY) / ref, a);
    }
    return sum;
  }
}
