/**
 * The fluence optimisation problem: weighted objective terms of the dose at the optimisation points,
 * as a function of the beamlet weights.
 *
 *   F(w) = sum_k weight_k f_k(D w),   grad F = D^T (sum_k weight_k df_k/dd)
 *
 * Input: a dose operator (forward: beamlet weights (MU) -> dose at the points (Gy); adjoint: its exact
 * transpose; src/dose/operator.ts) and the objective terms (objectives/). Output: a value-and-gradient
 * function for the solver (solver.ts) and the per-term breakdown for reports. Each evaluation costs
 * one forward and one adjoint; the dose of the last evaluation is kept.
 */

import { InputError, fmt } from '../core/errors.js';
import type { Objective } from './objectives/types.js';

/** The part of the beamlet operator the problem needs. */
export interface DoseOperator {
  readonly nBeamlets: number;
  readonly nPoints: number;
  forward(w: Float64Array, out: Float64Array): void;
  adjoint(g: Float64Array, out: Float64Array): void;
}

export interface Term {
  readonly objective: Objective;
  /** >= 0. */
  readonly weight: number;
}

export interface TermValue {
  readonly label: string;
  readonly structure: string;
  readonly weight: number;
  /** Unweighted value. */
  readonly value: number;
  /** weight x value. */
  readonly weighted: number;
}

export interface FluenceProblem {
  readonly nBeamlets: number;
  readonly nPoints: number;
  readonly terms: readonly Term[];
  /** F(w); writes grad F into grad. Counts evaluations. */
  valueAndGradient(w: Float64Array, grad: Float64Array): number;
  /** F at a dose (no operator call). */
  valueAtDose(dose: Float64Array): number;
  /** The per-term values at a dose. */
  termValues(dose: Float64Array): TermValue[];
  /** Dose at the points of the last valueAndGradient call (Gy). */
  readonly lastDose: Float64Array;
  readonly evaluations: number;
}

/** The weighted sum of the terms at a dose (no gradient). */
export function objectiveAtDose(terms: readonly Term[], dose: Float64Array): number {
  let f = 0;
  for (const t of terms) if (t.weight > 0) f += t.weight * t.objective.evaluate(dose);
  return f;
}

export function createFluenceProblem(operator: DoseOperator, terms: readonly Term[]): FluenceProblem {
  if (terms.length === 0) throw new InputError('the optimisation needs at least one objective');
  for (const t of terms) {
    if (!(t.weight >= 0) || !Number.isFinite(t.weight)) {
      throw new InputError(`objective "${t.objective.label}": weight must be a finite number >= 0, found ${fmt(t.weight)}`);
    }
  }
  const dose = new Float64Array(operator.nPoints);
  const doseGrad = new Float64Array(operator.nPoints);
  let evaluations = 0;
  const valueAtDose = (d: Float64Array): number => objectiveAtDose(terms, d);
  return {
    nBeamlets: operator.nBeamlets,
    nPoints: operator.nPoints,
    terms,
    lastDose: dose,
    get evaluations(): number {
      return evaluations;
    },
    valueAndGradient(w: Float64Array, grad: Float64Array): number {
      evaluations++;
      operator.forward(w, dose);
      doseGrad.fill(0);
      let f = 0;
      for (const t of terms) if (t.weight > 0) f += t.weight * t.objective.evaluate(dose, doseGrad, t.weight);
      operator.adjoint(doseGrad, grad);
      return f;
    },
    valueAtDose,
    termValues(d: Float64Array): TermValue[] {
      return terms.map((t) => {
        const value = t.objective.evaluate(d);
        return { label: t.objective.label, structure: t.objective.structure, weight: t.weight, value, weighted: t.weight * value };
      });
    },
  };
}

/** Uniform starting weights that give the target points a mean dose of `doseGy` (one forward). */
export function uniformStart(operator: DoseOperator, targetIndices: Int32Array, targetWeights: Float64Array, doseGy: number): Float64Array {
  const w = new Float64Array(operator.nBeamlets).fill(1);
  const d = new Float64Array(operator.nPoints);
  operator.forward(w, d);
  let mean = 0;
  for (let k = 0; k < targetIndices.length; k++) mean += targetWeights[k]! * d[targetIndices[k]!]!;
  if (!(mean > 0)) throw new InputError('the beams deliver no dose to the target: check the isocentre and the beam arrangement');
  w.fill(doseGy / mean);
  return w;
}
