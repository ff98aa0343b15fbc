/**
 * Mean-dose terms: with m the weighted mean dose of the structure's points (sum_k w_k d_k),
 * mean-upper = max(0, m - L)^2 / L^2 (mean at most L) and mean-lower = max(0, L - m)^2 / L^2
 * (mean at least L). The gradient is 2 (m - L) / L^2 w_k (resp. -2 (L - m) / L^2 w_k) at point k.
 *
 * Inputs: spec.doseGy = L (Gy, > 0); the structure's points (indices, relative volumes summing to 1);
 * dose at all points (Gy). Output: the value (dimensionless) and, on request, its gradient (1/Gy)
 * added into grad. Reference: the mean-dose objective of matRad DoseObjectives (e0404/matRad), here
 * one-sided and squared like the other terms; ideas only.
 */

import { objectiveLabel, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

export class MeanDoseObjective implements Objective {
  readonly label: string;
  readonly structure: string;
  /** +1 for mean-upper (penalise m > L), -1 for mean-lower (penalise m < L). */
  private readonly sign: 1 | -1;

  /** Trusts its inputs: createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'mean-upper' | 'mean-lower'>,
    private readonly points: PointSet,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
    this.sign = spec.kind === 'mean-upper' ? 1 : -1;
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    const { indices, weights } = this.points;
    const level = this.spec.doseGy;
    let mean = 0;
    for (let k = 0; k < indices.length; k++) mean += weights[k]! * dose[indices[k]!]!;
    const excess = this.sign * (mean - level);
    if (!(excess > 0)) return 0;
    const inv = 1 / (level * level);
    if (grad !== undefined) {
      const g = 2 * this.sign * scale * excess * inv;
      for (let k = 0; k < indices.length; k++) grad[indices[k]!]! += g * weights[k]!;
    }
    return excess * excess * inv;
  }
}
