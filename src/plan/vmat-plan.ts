/**
 * From an optimised fluence plan to a deliverable VMAT plan (issue 12 §2-3): arc sequencing, leaf
 * refinement, control-point MU re-optimisation of the same objective, the arcs as an RT Plan, and the
 * delivery figures a physicist reads beside the dose (MU, time per arc, aperture area, leaf travel,
 * deliverability).
 *
 * Input: the fluence optimisation's result (beams, beamlet maps, weights in MU over the course, the
 * point cloud and the objective terms), the CT's relative electron density, the course's fractions,
 * the delivery machine (src/deliver/machine.ts) and the identity the plan takes (the CT's patient,
 * study, frame of reference). Output: the arcs, the RtPlan (model.ts: what `lattice dose` reads), the
 * re-optimisation's predicted dose at the optimisation points, and per-arc statistics.
 *
 * Steps: src/deliver/vmat.ts planVmatArcs (sequencing, leaf refinement, one dose column per
 * control-point interval, the fluence plan's objective terms over the interval MU), then arcsToRtPlan and
 * the deliverability check of what will be written. The final dose is not computed here: run-case.ts computes it from the RtPlan through
 * `lattice dose`'s path (recalculatePlan), independent of the columns used to optimise.
 */

import { PHOTON_6MV } from '../dose/machine-6mv.js';
import type { ScalarVolume } from '../geometry/volume.js';
import type { DicomIdentity, RtPlan } from '../io/dicom/model.js';
import { arcMu, arcsToRtPlan, type Arc } from '../deliver/arcs.js';
import { checkDeliverability, type Violation } from '../deliver/deliverability.js';
import type { LinacMachine } from '../deliver/machine.js';
import type { ArcStats } from '../deliver/sequence.js';
import { planVmatArcs, type VmatOptions } from '../deliver/vmat.js';
import type { OptimisedFluence } from './optimise-plan.js';

export interface VmatPlan {
  readonly arcs: readonly Arc[];
  readonly rtPlan: RtPlan;
  /** Total dose predicted at the optimisation points by the interval columns (Gy). */
  readonly predictedDoseGy: Float64Array;
  readonly objective: { readonly fluence: number; readonly sequenced: number; readonly reoptimised: number };
  readonly arcStats: readonly ArcStats[];
  readonly muPerFraction: number;
  readonly violations: readonly Violation[];
  readonly timingsMs: Readonly<Record<string, number>>;
}

export function planVmat(
  optimised: OptimisedFluence,
  red: ScalarVolume,
  fractions: number,
  machine: LinacMachine,
  plan: { readonly identity: DicomIdentity; readonly sopInstanceUid: string; readonly label: string; readonly name?: string },
  options: VmatOptions = {},
): VmatPlan {
  const r = planVmatArcs(
    {
      beams: optimised.beams,
      maps: optimised.maps,
      beamletMm: optimised.beamletMm,
      weightsCourseMu: optimised.weightsMu,
      pointsLps: optimised.cloud.pointsLps,
      terms: optimised.objectiveTerms,
      fractions,
    },
    red,
    PHOTON_6MV,
    machine,
    options,
  );
  const rtPlan = arcsToRtPlan(r.arcs, machine, {
    identity: plan.identity,
    sopInstanceUid: plan.sopInstanceUid,
    label: plan.label,
    ...(plan.name !== undefined ? { name: plan.name } : {}),
    fractionsPlanned: fractions,
  });
  return {
    arcs: r.arcs,
    rtPlan,
    predictedDoseGy: r.mu.doseGy,
    objective: { fluence: optimised.objective, sequenced: r.mu.initialObjective, reoptimised: r.mu.objective },
    arcStats: r.stats,
    muPerFraction: r.arcs.reduce((s, a) => s + arcMu(a), 0),
    violations: checkDeliverability(rtPlan, machine),
    timingsMs: r.timingsMs,
  };
}
