/**
 * Small pieces shared by the objective terms: the spec type of one kind, the report label of a spec,
 * and the one-sided squared deviation that underdose and overdose are made of.
 *
 * Inputs: specs as in types.ts (Gy, %, cc, mm); doses in Gy. Output: labels (text) and a value
 * (dimensionless) with its gradient added into a caller's array. Reference: the squared
 * under/overdosing objectives of matRad's DoseObjectives (e0404/matRad), ideas only.
 */

import { fmt } from '../../core/errors.js';
import type { ObjectiveKind, ObjectiveSpec, PointSet } from './types.js';

/**
 * The member of ObjectiveSpec whose `kind` includes K: SpecOf<'underdose'> is the member shared by
 * underdose, overdose, mean-upper, mean-lower and max-dose (its `kind` stays that union, which is
 * what a `switch` on ObjectiveSpec narrows to).
 */
export type SpecOf<K extends ObjectiveKind> =
  ObjectiveSpec extends infer S ? (S extends { readonly kind: infer SK } ? ([Extract<SK, K>] extends [never] ? never : S) : never) : never;

/**
 * One line for reports, e.g. "PTV_2000 D95% >= 20 Gy", "Stomach D10cc <= 17.1 Gy",
 * "BODY fall-off 20 -> 5 Gy from 5 mm, 20 mm". Weight and note are not part of the label.
 */
export function objectiveLabel(spec: ObjectiveSpec): string {
  const s = spec.structure;
  switch (spec.kind) {
    case 'underdose':
      return `${s} dose >= ${fmt(spec.doseGy)} Gy`;
    case 'overdose':
      return `${s} dose <= ${fmt(spec.doseGy)} Gy`;
    case 'max-dose':
      return `${s} max <= ${fmt(spec.doseGy)} Gy`;
    case 'mean-upper':
      return `${s} mean <= ${fmt(spec.doseGy)} Gy`;
    case 'mean-lower':
      return `${s} mean >= ${fmt(spec.doseGy)} Gy`;
    case 'min-dvh':
    case 'max-dvh': {
      const v = spec.volumeCc !== undefined ? `${fmt(spec.volumeCc)}cc` : `${fmt(spec.volumePct ?? NaN)}%`;
      return `${s} D${v} ${spec.kind === 'min-dvh' ? '>=' : '<='} ${fmt(spec.doseGy)} Gy`;
    }
    case 'geud-upper':
    case 'geud-lower':
      return `${s} gEUD(a=${fmt(spec.a)}) ${spec.kind === 'geud-lower' ? '>=' : '<='} ${fmt(spec.doseGy)} Gy`;
    case 'fall-off':
      return `${s} fall-off ${fmt(spec.highGy)} -> ${fmt(spec.lowGy)} Gy from ${fmt(spec.startMm)} mm, ${fmt(spec.fallOffMm)} mm`;
  }
}

/**
 * Weighted mean over the points of max(0, sign (d - L))^2 / L^2: sign = +1 penalises dose above
 * `levelGy` (overdose), sign = -1 dose below it (underdose). Adds `scale` times the gradient to
 * grad[indices[k]] when grad is given. Allocates nothing.
 */
export function oneSidedSquared(
  dose: Float64Array,
  points: PointSet,
  levelGy: number,
  sign: 1 | -1,
  grad: Float64Array | undefined,
  scale: number,
): number {
  const { indices, weights } = points;
  const inv = 1 / (levelGy * levelGy);
  const g = 2 * sign * scale * inv;
  let value = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    const excess = sign * (dose[i]! - levelGy);
    if (excess > 0) {
      const w = weights[k]!;
      value += w * excess * excess;
      if (grad !== undefined) grad[i]! += g * w * excess;
    }
  }
  return value * inv;
}
