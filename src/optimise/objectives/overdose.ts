/**
 * Overdose: the weighted mean over the structure's points of max(0, d - L)^2 / L^2.
 *
 * Inputs: spec.doseGy = L (Gy, > 0); the structure's points (indices into the dose array, relative
 * volumes summing to 1); dose at all points (Gy). Output: the value (dimensionless, 0 when no point
 * gets more than L) and, on request, its gradient (1/Gy) added into grad.
 * Reference: squared overdosing, matRad DoseObjectives (e0404/matRad), ideas only.
 */

import { objectiveLabel, oneSidedSquared, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

export class OverdoseObjective implements Objective {
  readonly label: string;
  readonly structure: string;

  /** Trusts its inputs: createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'overdose'>,
    private readonly points: PointSet,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    return oneSidedSquared(dose, this.points, this.spec.doseGy, 1, grad, scale);
  }
}
