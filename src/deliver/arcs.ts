/**
 * VMAT arcs as machine control points, and their conversion to the RTPLAN model.
 *
 * An Arc is one gantry rotation delivered as one DYNAMIC beam: a direction (CW / CC, IEC 61217), a
 * fixed collimator and couch angle, an isocentre (LPS, mm) and control points. A control point holds
 * the gantry angle (degrees, [0, 360)), the leaf tips of bank A (negative X_b side) and bank B (mm at
 * the isocentre plane, one value per leaf pair of the machine's MLCX), the Y diaphragms (ASYMY, mm)
 * and the cumulative MU (per fraction) delivered from the arc's start up to that control point. The
 * MU of the interval from control point i to i + 1 is delivered while gantry, leaves and jaws move
 * linearly from one to the other (vmat.md §4-5).
 *
 * arcToBeam / arcsToRtPlan write the model of src/io/dicom/model.ts: BeamType DYNAMIC, MLCX leaf
 * boundaries from the machine, LeafJawPositions bank A then bank B, ASYMY jaws, cumulative meterset
 * weights from 0 to 1 (final weight 1) and the beam meterset in MU, so that the independent dose path
 * (src/dose/plan-dose.ts planDose) and the RTPLAN writer can take it.
 */

import { PlanError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import type { Beam, ControlPoint, DicomIdentity, DoseReference, RtPlan } from '../io/dicom/model.js';
import type { LinacMachine } from './machine.js';

export type ArcDirection = 'CW' | 'CC';

export interface ArcControlPoint {
  /** Gantry angle, degrees in [0, 360). */
  readonly gantryDeg: number;
  /** Leaf tips along X_b at the isocentre plane, mm, one per leaf pair (bank A <= bank B). */
  readonly bankAMm: Float64Array;
  readonly bankBMm: Float64Array;
  /** Y diaphragms (ASYMY) [y1, y2], mm. */
  readonly jawYMm: readonly [number, number];
  /** MU (per fraction) delivered from the arc's first control point up to this one. */
  readonly cumulativeMu: number;
}

export interface Arc {
  readonly name: string;
  readonly direction: ArcDirection;
  readonly collimatorDeg: number;
  readonly couchDeg: number;
  readonly isocenterLps: Vec3;
  readonly controlPoints: readonly ArcControlPoint[];
}

/** The arc's MU per fraction (the last control point's cumulative MU). */
export const arcMu = (arc: Arc): number => arc.controlPoints[arc.controlPoints.length - 1]?.cumulativeMu ?? 0;

/** Signed gantry step from a to b in the arc's direction, degrees (CW: increasing angle), in [0, 360). */
export function gantryStepDeg(direction: ArcDirection, a: number, b: number): number {
  const d = direction === 'CW' ? b - a : a - b;
  return ((d % 360) + 360) % 360;
}

/** The angle a fraction t of the way from a to b in the arc's direction, in [0, 360). */
export function gantryAtDeg(direction: ArcDirection, a: number, b: number, t: number): number {
  const step = gantryStepDeg(direction, a, b) * t;
  const g = direction === 'CW' ? a + step : a - step;
  return ((g % 360) + 360) % 360;
}

/** The arc with every cumulative MU replaced: intervalMu[i] is the MU of the interval from control point i to i + 1. */
export function withIntervalMu(arc: Arc, intervalMu: ArrayLike<number>): Arc {
  const n = arc.controlPoints.length;
  if (intervalMu.length !== n - 1) throw new PlanError(`arc "${arc.name}": expected ${n - 1} interval MU values, found ${intervalMu.length}`);
  let cum = 0;
  const cps = arc.controlPoints.map((cp, i) => {
    if (i > 0) {
      const m = intervalMu[i - 1]!;
      if (!(m >= 0) || !Number.isFinite(m)) throw new PlanError(`arc "${arc.name}": interval ${i} MU must be >= 0, found ${fmt(m)}`);
      cum += m;
    }
    return { ...cp, cumulativeMu: cum };
  });
  return { ...arc, controlPoints: cps };
}

/** The MU of each interval of the arc (length: control points - 1). */
export function intervalMuOf(arc: Arc): Float64Array {
  const cps = arc.controlPoints;
  const out = new Float64Array(Math.max(0, cps.length - 1));
  for (let i = 0; i + 1 < cps.length; i++) out[i] = cps[i + 1]!.cumulativeMu - cps[i]!.cumulativeMu;
  return out;
}

/** x rounded to `digits` decimals (mm positions to 0.1 um, weights to 1e-9), as the plan is written. */
export const roundWritten = (x: number, digits = 4): number => Number(x.toFixed(digits));
/** An angle rounded to 0.0001 degree in [0, 360) (359.99996 is written as 0). */
const angle = (deg: number): number => {
  const r = roundWritten(((deg % 360) + 360) % 360);
  return r >= 360 ? 0 : r;
};

/**
 * The arc as a DYNAMIC RTPLAN beam (model.ts): every control point carries angles, MLCX and ASYMY
 * positions (the reader's view, after carrying values forward); cumulative meterset weights run from 0
 * to 1 (MU_i / MU_total); the rotation direction is the arc's on every control point but the last (NONE).
 */
export function arcToBeam(arc: Arc, beamNumber: number, machine: LinacMachine): Beam {
  const cps = arc.controlPoints;
  const n = machine.mlc.leafPairs;
  if (cps.length < 2) throw new PlanError(`arc "${arc.name}": needs at least 2 control points, found ${cps.length}`);
  const mu = arcMu(arc);
  if (!(mu > 0) || !Number.isFinite(mu)) throw new PlanError(`arc "${arc.name}": total MU must be > 0, found ${fmt(mu)}`);
  if (!machine.jaws.some((j) => j.deviceType === 'ASYMY')) throw new PlanError(`machine "${machine.name}": arcs need ASYMY jaws`);
  const controlPoints: ControlPoint[] = cps.map((cp, i) => {
    if (cp.bankAMm.length !== n || cp.bankBMm.length !== n) {
      throw new PlanError(`arc "${arc.name}", control point ${i}: expected ${n} leaf positions per bank, found ${cp.bankAMm.length} / ${cp.bankBMm.length}`);
    }
    const mlc = new Float64Array(2 * n);
    for (let p = 0; p < n; p++) {
      mlc[p] = roundWritten(cp.bankAMm[p]!);
      mlc[n + p] = roundWritten(cp.bankBMm[p]!);
    }
    return {
      index: i,
      // exactly 0 and 1 at the ends; monotone in between (rounding cannot reverse a non-negative step)
      cumulativeMetersetWeight: i === cps.length - 1 ? 1 : i === 0 ? 0 : Math.min(1, roundWritten(cp.cumulativeMu / mu, 9)),
      gantryAngleDeg: angle(cp.gantryDeg),
      gantryRotationDirection: i === cps.length - 1 ? 'NONE' : arc.direction,
      collimatorAngleDeg: arc.collimatorDeg,
      couchAngleDeg: arc.couchDeg,
      isocenterLps: [arc.isocenterLps[0], arc.isocenterLps[1], arc.isocenterLps[2]],
      jawsMm: { ASYMY: [roundWritten(cp.jawYMm[0]), roundWritten(cp.jawYMm[1])] },
      mlcMm: { MLCX: mlc },
    };
  });
  return {
    number: beamNumber,
    name: arc.name,
    type: 'DYNAMIC',
    radiationType: 'PHOTON',
    nominalEnergy: machine.energyMv,
    sadMm: machine.sadMm,
    metersetMu: mu,
    finalCumulativeMetersetWeight: 1,
    leafBoundariesMm: { MLCX: Float64Array.from(machine.mlc.leafBoundariesMm) },
    controlPoints,
  };
}

export interface ArcPlanInfo {
  /** Patient, study, series and frame of reference of the plan (the CT's frame of reference). */
  readonly identity: DicomIdentity;
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly name?: string;
  readonly fractionsPlanned: number;
  readonly doseReferences?: readonly DoseReference[];
  readonly referencedStructureSetSopInstanceUid?: string;
}

/** The arcs as an RtPlan: one DYNAMIC beam per arc (numbered from 1), one fraction group with every beam's MU. */
export function arcsToRtPlan(arcs: readonly Arc[], machine: LinacMachine, info: ArcPlanInfo): RtPlan {
  if (arcs.length === 0) throw new PlanError('a VMAT plan needs at least one arc');
  if (!(Number.isInteger(info.fractionsPlanned) && info.fractionsPlanned >= 1)) {
    throw new PlanError(`planned fractions must be a positive integer, found ${fmt(info.fractionsPlanned)}`);
  }
  return deliveredRtPlan(arcs.map((a, i) => arcToBeam(a, i + 1, machine)), info);
}

/** An RtPlan of delivered beams (VMAT arcs or step-and-shoot beams, numbered from 1): one fraction group
 * with every beam's MU, the dose references, HFS. */
export function deliveredRtPlan(beams: readonly Beam[], info: ArcPlanInfo): RtPlan {
  return {
    ...info.identity,
    modality: 'RTPLAN',
    sopInstanceUid: info.sopInstanceUid,
    label: info.label,
    ...(info.name !== undefined ? { name: info.name } : {}),
    fractionGroups: [{ number: 1, fractionsPlanned: info.fractionsPlanned, beamMetersets: beams.map((b) => ({ beamNumber: b.number, metersetMu: b.metersetMu! })) }],
    doseReferences: info.doseReferences ?? [],
    beams,
    ...(info.referencedStructureSetSopInstanceUid !== undefined ? { referencedStructureSetSopInstanceUid: info.referencedStructureSetSopInstanceUid } : {}),
    patientPositions: ['HFS'],
  };
}
