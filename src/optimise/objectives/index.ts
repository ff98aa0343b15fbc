/**
 * Objective terms: the factory that validates a spec (plain data from a plan template: Gy, %, cc,
 * mm) with its structure's points and returns the `Objective` of its kind, one module per kind:
 * underdose.ts, overdose.ts, dvh.ts (min-dvh, max-dvh), mean.ts (mean-upper, mean-lower),
 * max-dose.ts, geud.ts (geud-upper, geud-lower), fall-off.ts. Definitions in types.ts.
 *
 * Inputs: an `ObjectiveSpec`, the structure's `PointSet`, and for fall-off an `ObjectiveContext`
 * with the distance (mm) of each point to the targets. Output: an `Objective` (value dimensionless,
 * gradient in 1/Gy), or an InputError naming the structure and the offending field.
 */

import { InputError, fmt } from '../../core/errors.js';
import { objectiveLabel } from './common.js';
import { DvhObjective } from './dvh.js';
import { FallOffObjective } from './fall-off.js';
import { GeudObjective } from './geud.js';
import { MaxDoseObjective } from './max-dose.js';
import { MeanDoseObjective } from './mean.js';
import { OverdoseObjective } from './overdose.js';
import { UnderdoseObjective } from './underdose.js';
import type { Objective, ObjectiveContext, ObjectiveKind, ObjectiveSpec, PointSet } from './types.js';

export type { Objective, ObjectiveContext, ObjectiveKind, ObjectiveSpec, PointSet } from './types.js';
export { objectiveLabel };

/** Every objective kind, in the order of types.ts. */
export const OBJECTIVE_KINDS: readonly ObjectiveKind[] = [
  'underdose',
  'overdose',
  'min-dvh',
  'max-dvh',
  'mean-upper',
  'mean-lower',
  'max-dose',
  'geud-upper',
  'geud-lower',
  'fall-off',
];

/**
 * The objective term of `spec` on the structure's `points` (`context.distanceMm` for fall-off).
 * Validates the spec, the points and the context first; throws an InputError (with the structure in
 * its context and message) on the first problem found.
 */
export function createObjective(spec: ObjectiveSpec, points: PointSet, context: ObjectiveContext = {}): Objective {
  validate(spec, points, context);
  switch (spec.kind) {
    case 'underdose':
      return new UnderdoseObjective(spec, points);
    case 'overdose':
      return new OverdoseObjective(spec, points);
    case 'min-dvh':
    case 'max-dvh':
      return new DvhObjective(spec, points);
    case 'mean-upper':
    case 'mean-lower':
      return new MeanDoseObjective(spec, points);
    case 'max-dose':
      return new MaxDoseObjective(spec, points);
    case 'geud-upper':
    case 'geud-lower':
      return new GeudObjective(spec, points);
    case 'fall-off':
      return new FallOffObjective(spec, points, context.distanceMm!);
  }
}

const isFinitePositive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isFiniteNonNegative = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const show = (x: unknown): string => (typeof x === 'number' ? fmt(x) : String(x));

function validate(spec: ObjectiveSpec, points: PointSet, context: ObjectiveContext): void {
  // Specs come from templates (YAML/JSON): check what the types promise as well.
  const raw = spec as unknown as Record<string, unknown>;
  const kind = String(raw['kind']);
  const structure = raw['structure'];
  if (typeof structure !== 'string' || structure === '') {
    throw new InputError(`objective "${kind}": structure must be a non-empty name, found ${show(structure)}`);
  }
  const fail = (message: string): never => {
    throw new InputError(`objective "${kind}": ${message}`, { structure });
  };
  if (!(OBJECTIVE_KINDS as readonly string[]).includes(kind)) {
    fail(`unknown kind; expected one of ${OBJECTIVE_KINDS.join(', ')}`);
  }
  if (spec.weight !== undefined && !isFiniteNonNegative(spec.weight)) {
    fail(`weight must be finite and >= 0, found ${show(spec.weight)}`);
  }

  const n = points.indices.length;
  if (n === 0) fail('the structure has no optimisation points (empty point set)');
  if (points.weights.length !== n) fail(`points: ${points.weights.length} weights for ${n} indices`);
  let total = 0;
  for (let k = 0; k < n; k++) {
    const w = points.weights[k]!;
    if (!(w >= 0 && w < Infinity)) fail(`points: weight ${k} must be finite and >= 0, found ${fmt(w)}`);
    total += w;
  }
  if (!(total > 0)) fail('points: the weights sum to 0 (expected relative volumes summing to 1)');

  if (spec.kind === 'fall-off') {
    if (!isFinitePositive(spec.highGy)) fail(`highGy must be finite and > 0 Gy, found ${show(spec.highGy)}`);
    if (!isFiniteNonNegative(spec.lowGy)) fail(`lowGy must be finite and >= 0 Gy, found ${show(spec.lowGy)}`);
    if (!(spec.highGy >= spec.lowGy)) fail(`highGy (${fmt(spec.highGy)} Gy) must be >= lowGy (${fmt(spec.lowGy)} Gy)`);
    if (!isFiniteNonNegative(spec.startMm)) fail(`startMm must be finite and >= 0 mm, found ${show(spec.startMm)}`);
    if (!isFinitePositive(spec.fallOffMm)) fail(`fallOffMm must be finite and > 0 mm, found ${show(spec.fallOffMm)}`);
    const distance = context.distanceMm;
    if (distance === undefined) fail('needs context.distanceMm (distance of each point to the targets, mm)');
    if (distance!.length !== n) fail(`context.distanceMm has ${distance!.length} values, expected ${n} (one per point)`);
    for (let k = 0; k < n; k++) {
      if (Number.isNaN(distance![k])) fail(`context.distanceMm[${k}] is NaN`);
    }
    return;
  }

  if (!isFinitePositive(spec.doseGy)) fail(`doseGy must be finite and > 0 Gy, found ${show(spec.doseGy)}`);
  if (spec.kind === 'min-dvh' || spec.kind === 'max-dvh') {
    const hasPct = spec.volumePct !== undefined;
    const hasCc = spec.volumeCc !== undefined;
    if (hasPct === hasCc) fail(`expected exactly one of volumePct or volumeCc, found ${hasPct ? 'both' : 'neither'}`);
    if (hasPct) {
      const v = spec.volumePct;
      if (!(typeof v === 'number' && v > 0 && v <= 100)) fail(`volumePct must be in (0, 100] %, found ${show(v)}`);
    } else {
      if (!isFinitePositive(spec.volumeCc)) fail(`volumeCc must be finite and > 0 cc, found ${show(spec.volumeCc)}`);
      if (!isFinitePositive(points.volumeCc)) {
        fail(`volumeCc needs the structure volume (points.volumeCc) finite and > 0 cc, found ${show(points.volumeCc)}`);
      }
    }
  }
  if (spec.kind === 'geud-upper' || spec.kind === 'geud-lower') {
    const a = spec.a;
    if (!(typeof a === 'number' && Number.isFinite(a) && a !== 0)) fail(`a must be finite and non-zero, found ${show(a)}`);
  }
}
