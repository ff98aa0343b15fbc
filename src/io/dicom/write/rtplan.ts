/**
 * Write an external-beam photon plan as a DICOM RT Plan: VMAT arcs (one DYNAMIC beam per arc),
 * step-and-shoot IMRT (a STATIC beam of several segments) and open or shaped static fields.
 *
 * Input: the CT's identity (patient, study, frame of reference: the plan shares them and has a series
 * of its own), the structure set the dose references name, and beams whose control points each state
 * the full machine state: gantry / collimator / couch angles (deg, IEC 61217), isocentre (LPS, mm),
 * jaw and MLC positions (mm at the isocentre plane; MLC bank A leaves 1..N then bank B), cumulative
 * meterset weight (0 at the first control point, the beam's final weight at the last); beam metersets
 * (MU per fraction) and doses in Gy. Output: one file, explicit VR little endian, written atomically.
 *
 * Encoding (PS3.3 C.8.8.14): the first control point carries every attribute; a later one carries its
 * index and weight and every attribute that changes somewhere in the beam (gantry angle with rotation
 * direction, each jaw or MLC device that moves), whether or not it changed since the previous control
 * point. What is constant over the beam appears in the first control point only (readers carry it
 * forward, C.8.8.14.5), so a reader that carries nothing forward still gets every moving value at every
 * control point. Collimator, couch and isocentre must be constant within a beam.
 *
 * Beam Type (300A,00C4), PS3.3 C.8.8.14: STATIC when no control-point attribute changes between
 * consecutive control points whose cumulative meterset weights differ, DYNAMIC otherwise. Step-and-shoot
 * is therefore STATIC: each segment is a pair of control points with one aperture and increasing
 * weight, and the leaves move between pairs while the weight stays constant (beam off). The declared
 * type is checked against the control points; a mismatch is a PlanError naming beam and control point.
 *
 * Reference: DICOM PS3.3 A.20 (RT Plan IOD), C.8.8.9 (RT General Plan), C.8.8.10 (RT Prescription),
 * C.8.8.12 (RT Patient Setup), C.8.8.13 (RT Fraction Scheme), C.8.8.14 (RT Beams), C.8.8.16
 * (Approval), C.12.1 (SOP Common); ../shared/reference/vmat.md section 4.
 */

import { createHash } from 'node:crypto';
import { PlanError, fmt } from '../../../core/errors.js';
import { writeFileAtomic } from '../../atomic.js';
import type { DicomIdentity, RtPlan } from '../model.js';
import { tagHex } from '../tags.js';
import { SOP_CLASS, TRANSFER_SYNTAX, assertValidUid, deriveUid, seriesInstanceUidFor } from '../uid.js';
import { putCommonModules, type WriteOptions } from './common.js';
import { dataset, encodeFile, put, type Dataset } from './encode.js';
import { formatDA, formatDS, formatDSList, formatIS, formatTM } from './values.js';

/** Free text written as RTPlanDescription unless the caller gives one. */
export const RESEARCH_ONLY_DESCRIPTION = 'lattice-rt research plan: research use only, not for clinical use';

/** The CT the plan was made on: its patient, study and frame of reference (a CtSeries fits). */
export type PlanCtIdentity = Pick<DicomIdentity, 'patientId' | 'patientName' | 'studyInstanceUid' | 'studyDescription' | 'frameOfReferenceUid'>;

/** Jaw pair devices the writer knows (ASYM: independent jaws). */
export type JawDevice = 'ASYMX' | 'ASYMY' | 'X' | 'Y';

export interface RtPlanControlPointInput {
  /** 0 at the first control point, non-decreasing, the beam's final weight at the last. */
  readonly cumulativeMetersetWeight: number;
  /** IEC 61217 gantry angle, degrees in [0, 360). */
  readonly gantryAngleDeg: number;
  /** Direction of the gantry's rotation from this control point to the next (NONE: it does not move). */
  readonly gantryRotationDirection: 'CW' | 'CC' | 'NONE';
  /** Collimator (beam limiting device) angle, degrees in [0, 360). */
  readonly collimatorAngleDeg: number;
  /** Couch (patient support) angle, degrees in [0, 360). */
  readonly couchAngleDeg: number;
  /** Isocentre, LPS mm. */
  readonly isocenterLps: readonly [number, number, number];
  /** Jaw pairs (mm at the isocentre plane, [jaw 1, jaw 2] with jaw 1 <= jaw 2), the same devices at every control point. */
  readonly jawsMm: Readonly<Partial<Record<JawDevice, readonly [number, number]>>>;
  /** MLCX leaf positions (mm at the isocentre plane): bank A leaves 1..N, then bank B leaves 1..N. */
  readonly mlcMm?: { readonly MLCX: ArrayLike<number> };
}

export interface RtPlanBeamInput {
  /** (300A,00C0) Beam Number: a positive integer, unique in the plan. */
  readonly number: number;
  /** (300A,00C2) Beam Name. */
  readonly name: string;
  /** STATIC: nothing changes while the meterset weight increases (static fields, step-and-shoot); DYNAMIC: arcs, sliding window. */
  readonly type: 'STATIC' | 'DYNAMIC';
  /** Default PHOTON (the only type the writer accepts). */
  readonly radiationType?: 'PHOTON';
  /** Nominal energy, MV. */
  readonly nominalEnergyMv: number;
  /** Source-axis distance, mm. Default 1000. */
  readonly sadMm?: number;
  /** Dose rate set at the first control point, MU/min (written when given). */
  readonly doseRateMuPerMin?: number;
  /** MLCX leaf boundaries (mm): N + 1 increasing values for N leaf pairs; required when the control points carry MLCX. */
  readonly leafBoundariesMm?: { readonly MLCX: ArrayLike<number> };
  /** Default 1: the weight of the last control point. */
  readonly finalCumulativeMetersetWeight?: number;
  /** Beam meterset per fraction, MU (the fraction group's BeamMeterset). */
  readonly metersetMu: number;
  /** Dose per fraction from this beam at its specification point, Gy (BeamDose), when known. */
  readonly beamDoseGy?: number;
  /** At least two control points. */
  readonly controlPoints: readonly RtPlanControlPointInput[];
}

export interface RtPlanDoseReferenceInput {
  /** (300A,0012) Dose Reference Number, unique in the plan. */
  readonly number: number;
  /** (300A,0016) Dose Reference Description, e.g. "PTV_6670". */
  readonly description?: string;
  /** The structure (ROI number in the referenced structure set) the dose refers to. */
  readonly referencedRoiNumber: number;
  /** Default TARGET. */
  readonly type?: 'TARGET' | 'ORGAN_AT_RISK';
  /** (300A,0026) Target Prescription Dose, Gy (TARGET only). */
  readonly targetPrescriptionDoseGy?: number;
  /** (300A,0023) Delivery Maximum Dose, Gy. */
  readonly deliveryMaximumDoseGy?: number;
}

export interface RtPlanWriteInput {
  /** Patient, study and frame of reference of the CT the plan was made on. */
  readonly ct: PlanCtIdentity;
  /** (300A,0002) RT Plan Label, at most 16 characters. */
  readonly label: string;
  /** (300A,0003) RT Plan Name. */
  readonly name?: string;
  /** (300A,0004) RT Plan Description. Default RESEARCH_ONLY_DESCRIPTION. */
  readonly description?: string;
  /** (300A,00B2) Treatment Machine Name of every beam. */
  readonly treatmentMachineName: string;
  /** SOP Instance UID of the RT Structure Set the dose references and the plan refer to. */
  readonly referencedStructureSetSopInstanceUid: string;
  /** (0018,5100) Patient Position. Default HFS. */
  readonly patientPosition?: 'HFS' | 'HFP' | 'FFS' | 'FFP' | 'HFDR' | 'HFDL' | 'FFDR' | 'FFDL';
  readonly doseReferences: readonly RtPlanDoseReferenceInput[];
  /** (300A,0078) Number of Fractions Planned of the plan's one fraction group. */
  readonly fractionsPlanned: number;
  readonly beams: readonly RtPlanBeamInput[];
  readonly seriesDescription?: string;
  /** Default: derived from the study and the label. */
  readonly seriesInstanceUid?: string;
  /** Default: derived from the content. */
  readonly sopInstanceUid?: string;
}

export type RtPlanWriteOptions = WriteOptions;

export interface WrittenRtPlan {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
}

const DIRECTIONS = new Set(['CW', 'CC', 'NONE']);
const JAW_DEVICES: readonly JawDevice[] = ['ASYMX', 'ASYMY', 'X', 'Y'];
const PATIENT_POSITIONS = new Set(['HFS', 'HFP', 'FFS', 'FFP', 'HFDR', 'HFDL', 'FFDR', 'FFDL']);

/** One control point as the DS / CS text written, by attribute group: what "changes" compares. */
interface CpText {
  readonly weight: string;
  readonly gantry: string;
  readonly direction: string;
  readonly collimator: string;
  readonly couch: string;
  readonly isocenter: readonly string[];
  /** Device type -> LeafJawPositions text, in the beam's device order. */
  readonly devices: ReadonlyMap<string, readonly string[]>;
}

/** Beam-limiting devices of a beam: type, pairs, boundaries (MLC). */
interface DeviceSpec {
  readonly type: string;
  readonly pairs: number;
  readonly boundaries?: readonly string[];
}

const isInteger = (v: number, min: number): boolean => Number.isInteger(v) && v >= min && v <= 2147483647;

function checkAngle(value: number, what: string, where: string): void {
  if (!(Number.isFinite(value) && value >= 0 && value < 360)) {
    throw new PlanError(`${where}: expected ${what} in [0, 360) degrees, found ${fmt(value)}`);
  }
}

function beamLabel(beam: RtPlanBeamInput): string {
  return `beam ${beam.number} "${beam.name}"`;
}

/** Checks a beam; returns its devices (jaws in ASYMX, ASYMY, X, Y order, then MLCX). */
function checkBeam(beam: RtPlanBeamInput): DeviceSpec[] {
  const b = beamLabel(beam);
  if (!isInteger(beam.number, 1)) throw new PlanError(`beam number: expected a positive integer, found ${fmt(beam.number)}`);
  if (beam.type !== 'STATIC' && beam.type !== 'DYNAMIC') throw new PlanError(`${b}: expected beam type STATIC or DYNAMIC, found ${String(beam.type)}`);
  if ((beam.radiationType ?? 'PHOTON') !== 'PHOTON') throw new PlanError(`${b}: expected radiation type PHOTON, found ${String(beam.radiationType)}`);
  if (!(beam.nominalEnergyMv > 0 && Number.isFinite(beam.nominalEnergyMv))) {
    throw new PlanError(`${b}: expected a positive nominal energy (MV), found ${fmt(beam.nominalEnergyMv)}`);
  }
  const sad = beam.sadMm ?? 1000;
  if (!(sad > 0 && Number.isFinite(sad))) throw new PlanError(`${b}: expected a positive source-axis distance (mm), found ${fmt(sad)}`);
  if (beam.doseRateMuPerMin !== undefined && !(beam.doseRateMuPerMin > 0 && Number.isFinite(beam.doseRateMuPerMin))) {
    throw new PlanError(`${b}: expected a positive dose rate (MU/min), found ${fmt(beam.doseRateMuPerMin)}`);
  }
  if (!(beam.metersetMu > 0 && Number.isFinite(beam.metersetMu))) {
    throw new PlanError(`${b}: expected a positive beam meterset (MU), found ${fmt(beam.metersetMu)}`);
  }
  if (beam.beamDoseGy !== undefined && !(beam.beamDoseGy >= 0 && Number.isFinite(beam.beamDoseGy))) {
    throw new PlanError(`${b}: expected a non-negative beam dose (Gy), found ${fmt(beam.beamDoseGy)}`);
  }
  const final = beam.finalCumulativeMetersetWeight ?? 1;
  if (!(final > 0 && Number.isFinite(final))) throw new PlanError(`${b}: expected a positive final cumulative meterset weight, found ${fmt(final)}`);
  const cps = beam.controlPoints;
  if (cps.length < 2) {
    throw new PlanError(`${b}: expected at least 2 control points (weight 0 to ${fmt(final)}), found ${cps.length}`);
  }

  const first = cps[0]!;
  const jawTypes = JAW_DEVICES.filter((t) => first.jawsMm[t] !== undefined);
  const unknown = Object.keys(first.jawsMm).filter((t) => !(JAW_DEVICES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new PlanError(`${b}, control point 0: expected jaw devices among ${JAW_DEVICES.join(', ')}, found ${unknown.join(', ')}`);
  const devices: DeviceSpec[] = jawTypes.map((type) => ({ type, pairs: 1 }));
  let leafPairs = 0;
  if (first.mlcMm !== undefined) {
    const bd = beam.leafBoundariesMm?.MLCX;
    if (bd === undefined) throw new PlanError(`${b}: control points carry MLCX positions but the beam has no MLCX leaf boundaries`);
    leafPairs = bd.length - 1;
    if (leafPairs < 1) throw new PlanError(`${b}: expected at least 2 MLCX leaf boundaries, found ${bd.length}`);
    for (let i = 0; i < bd.length; i++) {
      if (!Number.isFinite(bd[i]!) || (i > 0 && !(bd[i]! > bd[i - 1]!))) {
        throw new PlanError(`${b}: expected increasing finite MLCX leaf boundaries (mm), found ${fmt(bd[i]!)} at boundary ${i + 1}`);
      }
    }
    devices.push({ type: 'MLCX', pairs: leafPairs, boundaries: formatDSList(bd, 'LeafPositionBoundaries') });
  }
  if (devices.length === 0) throw new PlanError(`${b}: expected at least one jaw or MLC device, found none`);

  let prevWeight = -Infinity;
  cps.forEach((cp, index) => {
    const where = `${b}, control point ${index}`;
    const w = cp.cumulativeMetersetWeight;
    if (!Number.isFinite(w) || w < prevWeight || w > final) {
      throw new PlanError(`${where}: expected a cumulative meterset weight in [${fmt(Math.max(0, prevWeight))}, ${fmt(final)}] (non-decreasing), found ${fmt(w)}`);
    }
    if (index === 0 && w !== 0) throw new PlanError(`${where}: expected cumulative meterset weight 0 at the first control point, found ${fmt(w)}`);
    if (index === cps.length - 1 && w !== final) {
      throw new PlanError(`${where}: expected the final cumulative meterset weight ${fmt(final)} at the last control point, found ${fmt(w)}`);
    }
    prevWeight = w;
    checkAngle(cp.gantryAngleDeg, 'a gantry angle', where);
    checkAngle(cp.collimatorAngleDeg, 'a collimator angle', where);
    checkAngle(cp.couchAngleDeg, 'a couch angle', where);
    if (!DIRECTIONS.has(cp.gantryRotationDirection)) {
      throw new PlanError(`${where}: expected gantry rotation direction CW, CC or NONE, found ${String(cp.gantryRotationDirection)}`);
    }
    const next = cps[index + 1];
    if (next !== undefined && next.gantryAngleDeg !== cp.gantryAngleDeg) {
      const dir = cp.gantryRotationDirection;
      if (dir === 'NONE') {
        throw new PlanError(`${where}: the gantry moves to ${fmt(next.gantryAngleDeg)} deg at the next control point, expected rotation direction CW or CC, found NONE`);
      }
      // Travel in the stated direction (CW: increasing IEC angle); half a turn or more between two
      // control points is a direction given the wrong way round, not a plan.
      const travel = ((((dir === 'CW' ? 1 : -1) * (next.gantryAngleDeg - cp.gantryAngleDeg)) % 360) + 360) % 360;
      if (travel >= 180) {
        throw new PlanError(
          `${where}: the gantry turns ${fmt(travel)} deg ${dir} to ${fmt(next.gantryAngleDeg)} deg at the next control point; expected less than 180 deg between control points (is the direction ${dir === 'CW' ? 'CC' : 'CW'}?)`,
        );
      }
    }
    if (cp.isocenterLps.length !== 3 || !cp.isocenterLps.every(Number.isFinite)) {
      throw new PlanError(`${where}: expected a finite isocentre (3 LPS coordinates, mm)`);
    }
    // The collimator, the couch and the isocentre stay put within a beam (arcs and segments move the
    // gantry, jaws and leaves only); a moving one would need rotation directions this input does not state.
    if (index > 0) {
      for (const [value, firstValue, what] of [
        [cp.collimatorAngleDeg, first.collimatorAngleDeg, 'collimator angle'],
        [cp.couchAngleDeg, first.couchAngleDeg, 'couch angle'],
      ] as const) {
        if (value !== firstValue) throw new PlanError(`${where}: expected the ${what} of control point 0 (${fmt(firstValue)} deg) throughout the beam, found ${fmt(value)} deg`);
      }
      if (!cp.isocenterLps.every((v, a) => v === first.isocenterLps[a])) {
        throw new PlanError(
          `${where}: expected the isocentre of control point 0 ([${first.isocenterLps.map(fmt).join(', ')}] mm) throughout the beam, found [${cp.isocenterLps.map(fmt).join(', ')}] mm`,
        );
      }
    }
    const types = Object.keys(cp.jawsMm).filter((t) => cp.jawsMm[t as JawDevice] !== undefined);
    if (types.length !== jawTypes.length || !jawTypes.every((t) => cp.jawsMm[t] !== undefined)) {
      throw new PlanError(`${where}: expected the jaw devices of control point 0 (${jawTypes.join(', ') || 'none'}), found ${types.join(', ') || 'none'}`);
    }
    for (const t of jawTypes) {
      const [a, c] = cp.jawsMm[t]!;
      if (!Number.isFinite(a) || !Number.isFinite(c) || a > c) throw new PlanError(`${where}: expected ${t} jaws [jaw 1 <= jaw 2] in mm, found [${fmt(a)}, ${fmt(c)}]`);
    }
    if ((cp.mlcMm !== undefined) !== (first.mlcMm !== undefined)) {
      throw new PlanError(`${where}: expected MLCX positions ${first.mlcMm !== undefined ? 'at every control point, as control point 0 has' : 'at no control point, as control point 0 has none'}`);
    }
    if (cp.mlcMm !== undefined) {
      const m = cp.mlcMm.MLCX;
      if (m.length !== 2 * leafPairs) {
        throw new PlanError(`${where}: expected ${2 * leafPairs} MLCX positions for ${leafPairs} leaf pairs, found ${m.length}`);
      }
      for (let i = 0; i < leafPairs; i++) {
        const a = m[i]!, c = m[leafPairs + i]!;
        if (!Number.isFinite(a) || !Number.isFinite(c) || a > c) {
          throw new PlanError(`${where}: MLCX leaf pair ${i + 1}: expected finite positions with bank A <= bank B (mm), found ${fmt(a)} and ${fmt(c)}`);
        }
      }
    }
  });
  return devices;
}

function cpText(cp: RtPlanControlPointInput, devices: readonly DeviceSpec[]): CpText {
  const d = new Map<string, readonly string[]>();
  for (const dev of devices) {
    d.set(dev.type, dev.type === 'MLCX' ? formatDSList(cp.mlcMm!.MLCX, 'LeafJawPositions') : formatDSList(cp.jawsMm[dev.type as JawDevice]!, 'LeafJawPositions'));
  }
  return {
    weight: formatDS(cp.cumulativeMetersetWeight, 'CumulativeMetersetWeight'),
    gantry: formatDS(cp.gantryAngleDeg, 'GantryAngle'),
    direction: cp.gantryRotationDirection,
    collimator: formatDS(cp.collimatorAngleDeg, 'BeamLimitingDeviceAngle'),
    couch: formatDS(cp.couchAngleDeg, 'PatientSupportAngle'),
    isocenter: formatDSList(cp.isocenterLps, 'IsocenterPosition'),
    devices: d,
  };
}

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** What moves while the meterset weight increases from control point i to i + 1, if anything
 * (collimator, couch and isocentre are constant within a beam: checkBeam). */
function motionDuringBeamOn(a: CpText, b: CpText): string | undefined {
  if (a.gantry !== b.gantry) return 'the gantry angle changes';
  for (const [type, v] of a.devices) if (!same(v, b.devices.get(type)!)) return `the ${type} positions change`;
  return undefined;
}

/** Checks the declared beam type against the control points (PS3.3 C.8.8.14, Beam Type). */
function checkBeamType(beam: RtPlanBeamInput, texts: readonly CpText[]): void {
  let moving: { index: number; what: string } | undefined;
  for (let i = 0; i + 1 < texts.length && moving === undefined; i++) {
    if (texts[i]!.weight === texts[i + 1]!.weight) continue;
    const what = motionDuringBeamOn(texts[i]!, texts[i + 1]!);
    if (what !== undefined) moving = { index: i, what };
  }
  if (beam.type === 'STATIC' && moving !== undefined) {
    throw new PlanError(
      `${beamLabel(beam)}, control point ${moving.index}: ${moving.what} while the meterset weight increases to control point ${moving.index + 1}; expected beam type DYNAMIC, found STATIC`,
    );
  }
  if (beam.type === 'DYNAMIC' && moving === undefined) {
    throw new PlanError(
      `${beamLabel(beam)}: nothing changes while the meterset weight increases (a static field or step-and-shoot segments); expected beam type STATIC, found DYNAMIC`,
    );
  }
}

interface Moving {
  readonly gantry: boolean;
  readonly devices: ReadonlySet<string>;
}

/** The attributes that change somewhere in the beam (gantry, jaws, leaves): written at every control point. */
function movingAttributes(texts: readonly CpText[]): Moving {
  const f = texts[0]!;
  const devices = new Set<string>();
  for (const t of texts) for (const [type, v] of t.devices) if (!same(v, f.devices.get(type)!)) devices.add(type);
  return { gantry: texts.some((t) => t.gantry !== f.gantry || t.direction !== f.direction), devices };
}

function putFloat(d: Dataset, keyword: 'TableTopPitchAngle' | 'TableTopRollAngle', value: number): void {
  // FL (binary float): the writers' `put` takes text and unsigned integers only.
  d[tagHex(keyword)] = { vr: 'FL', Value: [value] };
}

function beamDataset(beam: RtPlanBeamInput, devices: readonly DeviceSpec[], texts: readonly CpText[], machine: string): Dataset {
  const moving = movingAttributes(texts);
  const energy = formatDS(beam.nominalEnergyMv, 'NominalBeamEnergy');
  const final = beam.finalCumulativeMetersetWeight ?? 1;
  return dataset((b) => {
    put(b, 'BeamNumber', formatIS(beam.number));
    put(b, 'BeamName', beam.name);
    put(b, 'BeamType', beam.type);
    put(b, 'RadiationType', beam.radiationType ?? 'PHOTON');
    put(b, 'TreatmentMachineName', machine);
    put(b, 'PrimaryDosimeterUnit', 'MU');
    put(b, 'SourceAxisDistance', formatDS(beam.sadMm ?? 1000, 'SourceAxisDistance'));
    put(
      b,
      'BeamLimitingDeviceSequence',
      devices.map((dev) =>
        dataset((s) => {
          put(s, 'RTBeamLimitingDeviceType', dev.type);
          put(s, 'NumberOfLeafJawPairs', formatIS(dev.pairs));
          if (dev.boundaries !== undefined) put(s, 'LeafPositionBoundaries', dev.boundaries);
        }),
      ),
    );
    put(b, 'ReferencedPatientSetupNumber', '1');
    put(b, 'TreatmentDeliveryType', 'TREATMENT');
    put(b, 'NumberOfWedges', '0');
    put(b, 'NumberOfCompensators', '0');
    put(b, 'NumberOfBoli', '0');
    put(b, 'NumberOfBlocks', '0');
    put(b, 'FinalCumulativeMetersetWeight', formatDS(final, 'FinalCumulativeMetersetWeight'));
    put(b, 'NumberOfControlPoints', formatIS(texts.length));
    put(
      b,
      'ControlPointSequence',
      texts.map((t, index) =>
        dataset((c) => {
          const all = index === 0;
          put(c, 'ControlPointIndex', formatIS(index));
          if (all) {
            put(c, 'NominalBeamEnergy', energy);
            if (beam.doseRateMuPerMin !== undefined) put(c, 'DoseRateSet', formatDS(beam.doseRateMuPerMin, 'DoseRateSet'));
          }
          const shown = devices.filter((dev) => all || moving.devices.has(dev.type));
          if (shown.length > 0) {
            put(
              c,
              'BeamLimitingDevicePositionSequence',
              shown.map((dev) =>
                dataset((p) => {
                  put(p, 'RTBeamLimitingDeviceType', dev.type);
                  put(p, 'LeafJawPositions', t.devices.get(dev.type)!);
                }),
              ),
            );
          }
          if (all || moving.gantry) {
            put(c, 'GantryAngle', t.gantry);
            put(c, 'GantryRotationDirection', t.direction);
          }
          if (all) {
            // Collimator, couch and isocentre are constant over the beam (checkBeam).
            put(c, 'BeamLimitingDeviceAngle', t.collimator);
            put(c, 'BeamLimitingDeviceRotationDirection', 'NONE');
            put(c, 'PatientSupportAngle', t.couch);
            put(c, 'PatientSupportRotationDirection', 'NONE');
            put(c, 'TableTopEccentricAngle', '0');
            put(c, 'TableTopEccentricRotationDirection', 'NONE');
            // Type 2C: the couch position is set at the machine, unknown here.
            put(c, 'TableTopVerticalPosition', '');
            put(c, 'TableTopLongitudinalPosition', '');
            put(c, 'TableTopLateralPosition', '');
          }
          if (all) {
            put(c, 'IsocenterPosition', t.isocenter);
            putFloat(c, 'TableTopPitchAngle', 0);
            put(c, 'TableTopPitchRotationDirection', 'NONE');
            putFloat(c, 'TableTopRollAngle', 0);
            put(c, 'TableTopRollRotationDirection', 'NONE');
          }
          put(c, 'CumulativeMetersetWeight', t.weight);
        }),
      ),
    );
  });
}

function checkPlan(input: RtPlanWriteInput): DeviceSpec[][] {
  if (!isInteger(input.fractionsPlanned, 1)) {
    throw new PlanError(`number of fractions planned: expected a positive integer, found ${fmt(input.fractionsPlanned)}`);
  }
  if (input.beams.length === 0) throw new PlanError('plan: expected at least one beam, found none');
  if (input.patientPosition !== undefined && !PATIENT_POSITIONS.has(input.patientPosition)) {
    throw new PlanError(`patient position: expected one of ${[...PATIENT_POSITIONS].join(', ')}, found ${String(input.patientPosition)}`);
  }
  const numbers = new Set<number>();
  for (const beam of input.beams) {
    if (numbers.has(beam.number)) throw new PlanError(`beam number ${beam.number}: expected unique beam numbers, found it twice`);
    numbers.add(beam.number);
  }
  const refs = new Set<number>();
  for (const r of input.doseReferences) {
    const what = `dose reference ${fmt(r.number)}${r.description !== undefined ? ` "${r.description}"` : ''}`;
    if (!isInteger(r.number, 1)) throw new PlanError(`${what}: expected a positive integer dose reference number`);
    if (refs.has(r.number)) throw new PlanError(`${what}: expected unique dose reference numbers, found it twice`);
    refs.add(r.number);
    if (!isInteger(r.referencedRoiNumber, 0)) throw new PlanError(`${what}: expected a non-negative integer ROI number, found ${fmt(r.referencedRoiNumber)}`);
    for (const [v, name] of [
      [r.targetPrescriptionDoseGy, 'target prescription dose'],
      [r.deliveryMaximumDoseGy, 'delivery maximum dose'],
    ] as const) {
      if (v !== undefined && !(v >= 0 && Number.isFinite(v))) throw new PlanError(`${what}: expected a non-negative ${name} (Gy), found ${fmt(v)}`);
    }
    if (r.targetPrescriptionDoseGy !== undefined && (r.type ?? 'TARGET') !== 'TARGET') {
      throw new PlanError(`${what}: a target prescription dose belongs to a TARGET dose reference, found type ${String(r.type)}`);
    }
  }
  return input.beams.map(checkBeam);
}

/** SHA-256 (hex) of everything the plan holds besides its identity, for its derived SOP Instance UID. */
function contentDigest(input: RtPlanWriteInput, texts: readonly (readonly CpText[])[]): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([input.label, input.name ?? null, input.description ?? null, input.treatmentMachineName, input.patientPosition ?? 'HFS',
      input.doseReferences, input.fractionsPlanned]),
  );
  input.beams.forEach((beam, n) => {
    const boundaries = beam.leafBoundariesMm === undefined ? null : Array.from(beam.leafBoundariesMm.MLCX);
    h.update(
      JSON.stringify([beam.number, beam.name, beam.type, beam.nominalEnergyMv, beam.sadMm ?? 1000, beam.doseRateMuPerMin ?? null,
        beam.finalCumulativeMetersetWeight ?? 1, beam.metersetMu, beam.beamDoseGy ?? null, boundaries]),
    );
    for (const t of texts[n]!) h.update(JSON.stringify([t.weight, t.gantry, t.direction, t.collimator, t.couch, t.isocenter, [...t.devices]]));
  });
  return h.digest('hex');
}

/** Write `input` as an RT Plan file at `path`. */
export function writeRtPlan(input: RtPlanWriteInput, path: string, options: RtPlanWriteOptions = {}): WrittenRtPlan {
  const ct = input.ct;
  assertValidUid(ct.studyInstanceUid, 'CT StudyInstanceUID');
  assertValidUid(ct.frameOfReferenceUid, 'CT FrameOfReferenceUID');
  assertValidUid(input.referencedStructureSetSopInstanceUid, 'referenced RT Structure Set SOPInstanceUID');
  const devices = checkPlan(input);
  const texts = input.beams.map((beam, n) => beam.controlPoints.map((cp) => cpText(cp, devices[n]!)));
  input.beams.forEach((beam, n) => checkBeamType(beam, texts[n]!));

  const seriesInstanceUid = input.seriesInstanceUid ?? seriesInstanceUidFor(ct.studyInstanceUid, `RTPLAN ${input.label}`);
  const sopInstanceUid =
    input.sopInstanceUid ?? deriveUid('lattice-rt', 'rtplan', seriesInstanceUid, ct.frameOfReferenceUid, input.referencedStructureSetSopInstanceUid, contentDigest(input, texts));
  assertValidUid(seriesInstanceUid, 'RT Plan SeriesInstanceUID');
  assertValidUid(sopInstanceUid, 'RT Plan SOPInstanceUID');

  const identity: DicomIdentity = {
    patientId: ct.patientId,
    patientName: ct.patientName,
    studyInstanceUid: ct.studyInstanceUid,
    seriesInstanceUid,
    frameOfReferenceUid: ct.frameOfReferenceUid,
    ...(ct.studyDescription !== undefined ? { studyDescription: ct.studyDescription } : {}),
    ...(input.seriesDescription !== undefined ? { seriesDescription: input.seriesDescription } : {}),
  };
  const sop = { sopClassUid: SOP_CLASS.rtPlan, sopInstanceUid };
  const d = dataset((d) => {
    // The common modules are those of the other RT objects (RT Series, General Equipment, ...);
    putCommonModules(d, sop, 'RTPLAN', identity, options);

    // RT General Plan.
    put(d, 'InstanceNumber', '1');
    put(d, 'RTPlanLabel', input.label);
    if (input.name !== undefined && input.name !== '') put(d, 'RTPlanName', input.name);
    put(d, 'RTPlanDescription', input.description ?? RESEARCH_ONLY_DESCRIPTION);
    put(d, 'RTPlanDate', options.date ? formatDA(options.date) : '');
    put(d, 'RTPlanTime', options.date ? formatTM(options.date) : '');
    put(d, 'PlanIntent', 'RESEARCH');
    put(d, 'RTPlanGeometry', 'PATIENT');
    put(d, 'ReferencedStructureSetSequence', [
      dataset((r) => {
        put(r, 'ReferencedSOPClassUID', SOP_CLASS.rtStructureSet);
        put(r, 'ReferencedSOPInstanceUID', input.referencedStructureSetSopInstanceUid);
      }),
    ]);

    // RT Prescription.
    if (input.doseReferences.length > 0) {
      put(
        d,
        'DoseReferenceSequence',
        input.doseReferences.map((r) =>
          dataset((s) => {
            put(s, 'DoseReferenceNumber', formatIS(r.number));
            put(s, 'DoseReferenceStructureType', 'VOLUME');
            if (r.description !== undefined && r.description !== '') put(s, 'DoseReferenceDescription', r.description);
            put(s, 'ReferencedROINumber', formatIS(r.referencedRoiNumber));
            put(s, 'DoseReferenceType', r.type ?? 'TARGET');
            if (r.deliveryMaximumDoseGy !== undefined) put(s, 'DeliveryMaximumDose', formatDS(r.deliveryMaximumDoseGy, 'DeliveryMaximumDose'));
            if (r.targetPrescriptionDoseGy !== undefined) put(s, 'TargetPrescriptionDose', formatDS(r.targetPrescriptionDoseGy, 'TargetPrescriptionDose'));
          }),
        ),
      );
    }

    // RT Fraction Scheme: one fraction group.
    put(d, 'FractionGroupSequence', [
      dataset((g) => {
        put(g, 'FractionGroupNumber', '1');
        put(g, 'NumberOfFractionsPlanned', formatIS(input.fractionsPlanned));
        put(g, 'NumberOfBeams', formatIS(input.beams.length));
        put(g, 'NumberOfBrachyApplicationSetups', '0');
        put(
          g,
          'ReferencedBeamSequence',
          input.beams.map((beam) =>
            dataset((r) => {
              put(r, 'ReferencedBeamNumber', formatIS(beam.number));
              if (beam.beamDoseGy !== undefined) put(r, 'BeamDose', formatDS(beam.beamDoseGy, 'BeamDose'));
              put(r, 'BeamMeterset', formatDS(beam.metersetMu, 'BeamMeterset'));
            }),
          ),
        );
      }),
    ]);

    // RT Beams.
    put(d, 'BeamSequence', input.beams.map((beam, n) => beamDataset(beam, devices[n]!, texts[n]!, input.treatmentMachineName)));

    // RT Patient Setup.
    put(d, 'PatientSetupSequence', [
      dataset((s) => {
        put(s, 'PatientPosition', input.patientPosition ?? 'HFS');
        put(s, 'PatientSetupNumber', '1');
      }),
    ]);

    // Approval: a research plan nobody has reviewed.
    put(d, 'ApprovalStatus', 'UNAPPROVED');
  });
  writeFileAtomic(path, encodeFile({ ...sop, transferSyntaxUid: TRANSFER_SYNTAX.explicitLittle }, d));
  return { file: path, sopInstanceUid, seriesInstanceUid };
}

/** What an RtPlan (model.ts) lacks for writing: the CT, the machine's name, the structure set and the dose references' ROIs. */
export interface RtPlanWriteContext {
  readonly ct: PlanCtIdentity;
  readonly treatmentMachineName: string;
  readonly referencedStructureSetSopInstanceUid: string;
  readonly doseReferences: readonly RtPlanDoseReferenceInput[];
  readonly description?: string;
}

/**
 * The writer's input for a plan held in the model of src/io/dicom/model.ts (e.g. arcs made by
 * src/deliver/arcs.ts arcsToRtPlan): beams, control points, metersets and the fraction count as they
 * are; the context supplies the rest.
 */
export function rtPlanWriteInputOf(plan: RtPlan, context: RtPlanWriteContext): RtPlanWriteInput {
  const group = plan.fractionGroups[0];
  if (group === undefined) throw new PlanError(`plan "${plan.label}": expected a fraction group, found none`);
  const meterset = new Map(group.beamMetersets.map((b) => [b.beamNumber, b.metersetMu]));
  return {
    ct: context.ct,
    label: plan.label,
    ...(plan.name !== undefined ? { name: plan.name } : {}),
    ...(context.description !== undefined ? { description: context.description } : {}),
    treatmentMachineName: context.treatmentMachineName,
    referencedStructureSetSopInstanceUid: context.referencedStructureSetSopInstanceUid,
    doseReferences: context.doseReferences,
    fractionsPlanned: group.fractionsPlanned,
    sopInstanceUid: plan.sopInstanceUid,
    beams: plan.beams.map((b) => {
      const mu = meterset.get(b.number) ?? b.metersetMu;
      if (mu === undefined) throw new PlanError(`plan "${plan.label}", beam ${b.number} "${b.name}": expected a beam meterset, found none`);
      const mlc = b.leafBoundariesMm.MLCX;
      return {
        number: b.number,
        name: b.name,
        type: b.type,
        nominalEnergyMv: b.nominalEnergy ?? 6,
        ...(b.sadMm !== undefined ? { sadMm: b.sadMm } : {}),
        ...(mlc !== undefined ? { leafBoundariesMm: { MLCX: mlc } } : {}),
        finalCumulativeMetersetWeight: b.finalCumulativeMetersetWeight,
        metersetMu: mu,
        controlPoints: b.controlPoints.map((cp) => {
          const jaws: Partial<Record<JawDevice, readonly [number, number]>> = {};
          for (const d of JAW_DEVICES) if (cp.jawsMm[d] !== undefined) jaws[d] = cp.jawsMm[d];
          const leaves = cp.mlcMm?.MLCX;
          if (cp.isocenterLps === undefined) throw new PlanError(`plan "${plan.label}", beam ${b.number}, control point ${cp.index}: expected an isocentre, found none`);
          return {
            cumulativeMetersetWeight: cp.cumulativeMetersetWeight,
            gantryAngleDeg: cp.gantryAngleDeg,
            gantryRotationDirection: cp.gantryRotationDirection,
            collimatorAngleDeg: cp.collimatorAngleDeg,
            couchAngleDeg: cp.couchAngleDeg,
            isocenterLps: cp.isocenterLps,
            jawsMm: jaws,
            ...(leaves !== undefined ? { mlcMm: { MLCX: leaves } } : {}),
          };
        }),
      };
    }),
  };
}
