/**
 * From an optimised fluence plan to a deliverable plan (issue 12 §2-3): VMAT (arc sequencing, leaf
 * refinement, control-point MU re-optimisation of the same objective) or step-and-shoot IMRT (segments
 * of each static beam from its fluence map), as an RT Plan, with the delivery figures a physicist reads
 * beside the dose (MU, time, aperture area, leaf travel per beam; deliverability).
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
import { arcsToRtPlan } from '../deliver/arcs.js';
import { checkDeliverability, deliveryTime, planComplexity, type Violation } from '../deliver/deliverability.js';
import type { LinacMachine } from '../deliver/machine.js';
import { segmentsToRtPlan, sequenceStepAndShoot } from '../deliver/step-and-shoot.js';
import { planVmatArcs, type DaoRound, type VmatOptions } from '../deliver/vmat.js';
import type { OptimisedFluence } from './optimise-plan.js';

/** One beam (an arc, or a static beam of segments) of a delivered plan. */
export interface DeliveredBeam {
  readonly name: string;
  /** Control points (an arc) or segments (a static beam). */
  readonly controlPoints: number;
  readonly segments?: number;
  readonly mu: number;
  /** At the machine's limits, without beam-hold overheads (deliverability.ts deliveryTime). */
  readonly deliverySeconds: number;
  readonly meanApertureAreaCm2: number;
  readonly leafTravelM: number;
}

export interface DeliveryPlan {
  readonly mode: 'vmat' | 'imrt';
  readonly rtPlan: RtPlan;
  /** Total dose predicted at the optimisation points (Gy): the interval columns x re-optimised MU for
   * VMAT; undefined for step-and-shoot (its segments deliver the stratified fluence as optimised). */
  readonly predictedDoseGy?: Float64Array;
  /** Objective at the optimisation points (VMAT): fluence plan, as sequenced, after MU re-optimisation. */
  readonly objective?: {
    readonly fluence: number;
    readonly sequenced: number;
    /** Rounds of direct aperture optimisation (vmat.ts DaoRound: the beamlet model's and the dose
     * columns' objective before and after each; when it ran). */
    readonly apertures?: readonly DaoRound[];
    readonly reoptimised: number;
  };
  readonly beams: readonly DeliveredBeam[];
  readonly muPerFraction: number;
  readonly violations: readonly Violation[];
  /** Step-and-shoot segments raised to the machine's minimum segment MU. */
  readonly raisedSegments?: number;
  readonly timingsMs: Readonly<Record<string, number>>;
}

export interface PlanIdentity {
  readonly identity: DicomIdentity;
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly name?: string;
}

/** Per-beam figures and the deliverability of a plan, from the plan itself (one copy for both modes). */
function delivered(rtPlan: RtPlan, machine: LinacMachine): Pick<DeliveryPlan, 'beams' | 'muPerFraction' | 'violations'> {
  const times = deliveryTime(rtPlan, machine);
  const complexity = planComplexity(rtPlan);
  const beams = rtPlan.beams.map((b, i) => ({
    name: b.name,
    controlPoints: b.controlPoints.length,
    ...(b.type === 'STATIC' ? { segments: b.controlPoints.length / 2 } : {}),
    mu: b.metersetMu ?? 0,
    deliverySeconds: times[i]!.timeS,
    meanApertureAreaCm2: complexity[i]!.meanApertureAreaCm2,
    leafTravelM: complexity[i]!.leafTravelMm / 1000,
  }));
  return { beams, muPerFraction: beams.reduce((s, b) => s + b.mu, 0), violations: checkDeliverability(rtPlan, machine) };
}

export function planVmat(
  optimised: OptimisedFluence,
  red: ScalarVolume,
  fractions: number,
  machine: LinacMachine,
  plan: PlanIdentity,
  options: VmatOptions = {},
): DeliveryPlan {
  const r = planVmatArcs(
    {
      beams: optimised.beams,
      maps: optimised.maps,
      beamletMm: optimised.beamletMm,
      weightsCourseMu: optimised.weightsMu,
      pointsLps: optimised.cloud.pointsLps,
      terms: optimised.objectiveTerms,
      fractions,
      ...(optimised.nearModel !== undefined ? { doseModel: optimised.nearModel } : {}),
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
    mode: 'vmat',
    rtPlan,
    predictedDoseGy: r.mu.doseGy,
    objective: {
      fluence: optimised.objective,
      sequenced: r.mu.initialObjective,
      ...(r.dao !== undefined ? { apertures: r.dao } : {}),
      reoptimised: r.mu.objective,
    },
    ...delivered(rtPlan, machine),
    timingsMs: r.timingsMs,
  };
}

/** Step-and-shoot IMRT: each fluence beam as a static beam of segments (step-and-shoot.ts). */
export function planStepAndShoot(optimised: OptimisedFluence, fractions: number, machine: LinacMachine, plan: PlanIdentity): DeliveryPlan {
  const t = performance.now();
  const r = sequenceStepAndShoot(
    { beams: optimised.beams, maps: optimised.maps, beamletMm: optimised.beamletMm, weightsMu: Float64Array.from(optimised.weightsMu, (w) => w / fractions) },
    machine,
  );
  const rtPlan = segmentsToRtPlan(r.beams, machine, {
    identity: plan.identity,
    sopInstanceUid: plan.sopInstanceUid,
    label: plan.label,
    ...(plan.name !== undefined ? { name: plan.name } : {}),
    fractionsPlanned: fractions,
  });
  return { mode: 'imrt', rtPlan, ...delivered(rtPlan, machine), raisedSegments: r.raisedSegments, timingsMs: { sequencing: performance.now() - t } };
}
