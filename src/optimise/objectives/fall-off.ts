/**
 * Normal-tissue fall-off: each point gets an upper dose limit that falls with its distance r (mm)
 * from the targets,
 *   limit(r) = highGy                                                  for r <= startMm,
 *   limit(r) = lowGy + (highGy - lowGy) exp(-(r - startMm) / fallOffMm)  beyond,
 * and the value is the weighted mean over the points of max(0, d - limit)^2 / highGy^2 (gradient
 * 2 w_k (d_k - limit_k) / highGy^2 where d_k > limit_k). At r = startMm + fallOffMm the limit is
 * lowGy + (highGy - lowGy) / e. The limits are computed once, when the term is made.
 *
 * Inputs: spec.highGy, spec.lowGy (Gy, highGy >= lowGy >= 0, highGy > 0), spec.startMm (mm, >= 0),
 * spec.fallOffMm (mm, > 0); the structure's points (indices, relative volumes summing to 1) and
 * context.distanceMm (mm, one per point, aligned with points.indices; any value <= startMm, negative
 * inside a target included, gets highGy); dose at all points (Gy). Output: the value (dimensionless)
 * and, on request, its gradient (1/Gy) added into grad. Reference: the exponential normal-tissue
 * objective of commercial planning systems (e.g. the NTO of Varian Eclipse, its "distance from
 * target border", "start dose", "end dose" and "fall-off"), written as a squared overdose term.
 */

import { objectiveLabel, type SpecOf } from './common.js';
import type { Objective, PointSet } from './types.js';

/** The fall-off limit (Gy) at distance `distanceMm` from the targets (see the header). */
export function fallOffLimitGy(spec: SpecOf<'fall-off'>, distanceMm: number): number {
  if (distanceMm <= spec.startMm) return spec.highGy;
  return spec.lowGy + (spec.highGy - spec.lowGy) * Math.exp(-(distanceMm - spec.startMm) / spec.fallOffMm);
}

export class FallOffObjective implements Objective {
  readonly label: string;
  readonly structure: string;
  /** Limit (Gy) of each point, aligned with points.indices. */
  readonly limitGy: Float64Array;

  /** Trusts its inputs (distanceMm aligned with the points): createObjective (index.ts) validates them. */
  constructor(
    readonly spec: SpecOf<'fall-off'>,
    private readonly points: PointSet,
    distanceMm: Float64Array,
  ) {
    this.label = objectiveLabel(spec);
    this.structure = spec.structure;
    this.limitGy = new Float64Array(points.indices.length);
    for (let k = 0; k < this.limitGy.length; k++) this.limitGy[k] = fallOffLimitGy(spec, distanceMm[k]!);
  }

  evaluate(dose: Float64Array, grad?: Float64Array, scale = 1): number {
    const { indices, weights } = this.points;
    const limit = this.limitGy;
    const high = this.spec.highGy;
    const inv = 1 / (high * high);
    const g = 2 * scale * inv;
    let value = 0;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      const excess = dose[i]! - limit[k]!;
      if (excess > 0) {
        const w = weights[k]!;
        value += w * excess * excess;
        if (grad !== undefined) grad[i]! += g * w * excess;
      }
    }
    return value * inv;
  }
}
