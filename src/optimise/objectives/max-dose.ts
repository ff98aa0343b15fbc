/**
 * Max-dose: the SUM (not the mean) over the structure's points of max(0, d - L)^2 / L^2, so that a
 * hot spot is not diluted by the size of the organ (the point weights are not used). Gradient at
 * point k: 2 (d_k - L) / L^2 where d_k > L.
 *
 * Inputs: spec.doseGy = L (Gy, > 0); the structure's points (indices into the dose array); dose at
 * all points (Gy). Output: the value (dimensionless; grows with the number of hot points) and, on
 * request, its gradient (1/Gy) added into grad. Reference: squared overdosing, matRad DoseObjectives
 * (e0404/matRad), without the volume normalisation; ideas only.
 */

import { objectiveLabel, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

export class MaxDoseObjective implements Objective {
  readonly label: string;
  readonly structure: string;

  /** Trusts its inputs: createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'max-dose'>,
    private readonly points: PointSet,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    const indices = this.points.indices;
    const level = this.spec.doseGy;
    const inv = 1 / (level * level);
    const g = 2 * scale * inv;
    let value = 0;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const excess = dose[i]! - level;
      if (excess > 0) {
        value += excess * excess;
        if (grad !== undefined) grad[i]! += g * excess;
      }
    }
    return value * inv;
  }
}
