/**
 * RT Plan -> RtPlan, PS3.3 A.20 (RT Plan IOD), C.8.8.10 (Prescription), C.8.8.13 (Fraction Scheme),
 * C.8.8.14 (RT Beams).
 *
 * Input: one RTPLAN file. Output: fraction groups (fractions planned, beam metersets in MU), dose
 * references (doses in Gy as DICOM stores them), and beams with every control point made explicit:
 * a control point states only what changes (C.8.8.14.5), so gantry / collimator / couch angles,
 * rotation directions, isocentre and jaw / MLC positions are carried forward from the previous
 * control point when omitted. The first control point must state the angles (Type 1C there).
 * Cumulative meterset weights must not decrease. Leaf boundaries come from
 * BeamLimitingDeviceSequence; each jaw / MLC position list must hold 2 x NumberOfLeafJawPairs values.
 */

import { fmt } from '../../../core/errors.js';
import type { Beam, ControlPoint, DoseReference, FractionGroup, RtPlan } from '../model.js';
import { readIdentity, requireModality } from './identity.js';
import { parseDicom } from './parse.js';
import { inputName, loadInput, type DicomInput } from './source.js';
import type { TagKeyword } from '../tags.js';
import type { DicomView } from './view.js';

const ROTATION_DIRECTIONS = new Set(['CW', 'CC', 'NONE']);

/** Meterset weights may decrease by no more than this (rounding in stored DS values). */
const WEIGHT_TOLERANCE = 1e-6;

function readFractionGroups(ds: DicomView): FractionGroup[] {
  return ds.sequence('FractionGroupSequence').map((g) => ({
    number: g.requireInteger('FractionGroupNumber'),
    fractionsPlanned: g.requireInteger('NumberOfFractionsPlanned'),
    beamMetersets: g.sequence('ReferencedBeamSequence').flatMap((b) => {
      const metersetMu = b.number('BeamMeterset');
      return metersetMu === undefined ? [] : [{ beamNumber: b.requireInteger('ReferencedBeamNumber'), metersetMu }];
    }),
  }));
}

function readDoseReferences(ds: DicomView): DoseReference[] {
  return ds.sequence('DoseReferenceSequence').map((r) => {
    const description = r.string('DoseReferenceDescription');
    const structureType = r.string('DoseReferenceStructureType');
    const type = r.string('DoseReferenceType');
    const target = r.number('TargetPrescriptionDose');
    const maximum = r.number('DeliveryMaximumDose');
    return {
      number: r.requireInteger('DoseReferenceNumber'),
      ...(description !== undefined ? { description } : {}),
      ...(structureType !== undefined ? { structureType } : {}),
      ...(type !== undefined ? { type } : {}),
      ...(target !== undefined ? { targetPrescriptionDoseGy: target } : {}),
      ...(maximum !== undefined ? { deliveryMaximumDoseGy: maximum } : {}),
    };
  });
}

interface Device {
  readonly pairs: number;
  readonly boundaries?: Float64Array;
}

function readDevices(beam: DicomView): Map<string, Device> {
  const devices = new Map<string, Device>();
  for (const d of beam.sequence('BeamLimitingDeviceSequence')) {
    const type = d.requireString('RTBeamLimitingDeviceType');
    const pairs = d.requireInteger('NumberOfLeafJawPairs');
    if (pairs < 1) throw d.error(`expected at least 1 pair, found ${pairs}`, 'NumberOfLeafJawPairs');
    const b = d.numbers('LeafPositionBoundaries');
    if (b !== undefined && b.length !== pairs + 1) {
      throw d.error(`expected ${pairs + 1} boundaries for ${pairs} leaf pairs, found ${b.length}`, 'LeafPositionBoundaries');
    }
    devices.set(type, { pairs, ...(b !== undefined ? { boundaries: Float64Array.from(b) } : {}) });
  }
  return devices;
}

interface CarriedState {
  gantryAngleDeg?: number;
  gantryRotationDirection?: 'CW' | 'CC' | 'NONE';
  collimatorAngleDeg?: number;
  couchAngleDeg?: number;
  isocenterLps?: readonly [number, number, number];
  jawsMm: Record<string, readonly [number, number]>;
  mlcMm: Record<string, Float64Array>;
  weight?: number;
}

function readControlPoints(beam: DicomView, devices: Map<string, Device>): { points: ControlPoint[]; energy?: number } {
  const items = beam.requireSequence('ControlPointSequence');
  const stated = beam.integer('NumberOfControlPoints');
  if (stated !== undefined && stated !== items.length) {
    throw beam.error(`states ${stated} control points but ControlPointSequence holds ${items.length}`, 'NumberOfControlPoints');
  }
  const state: CarriedState = { jawsMm: {}, mlcMm: {} };
  let energy: number | undefined;
  const points = items.map((cp, index): ControlPoint => {
    const need = <T>(value: T | undefined, keyword: TagKeyword): T => {
      if (value === undefined) throw cp.error('missing required attribute (the first control point must state it)', keyword);
      return value;
    };
    if (index === 0) energy = cp.number('NominalBeamEnergy');
    state.gantryAngleDeg = cp.number('GantryAngle') ?? state.gantryAngleDeg;
    const direction = cp.string('GantryRotationDirection');
    if (direction !== undefined) {
      if (!ROTATION_DIRECTIONS.has(direction)) throw cp.error(`expected CW, CC or NONE, found ${direction}`, 'GantryRotationDirection');
      state.gantryRotationDirection = direction as 'CW' | 'CC' | 'NONE';
    }
    state.collimatorAngleDeg = cp.number('BeamLimitingDeviceAngle') ?? state.collimatorAngleDeg;
    state.couchAngleDeg = cp.number('PatientSupportAngle') ?? state.couchAngleDeg;
    const iso = cp.numbers('IsocenterPosition', 3);
    if (iso !== undefined) state.isocenterLps = [iso[0]!, iso[1]!, iso[2]!];
    const weight = cp.number('CumulativeMetersetWeight');
    if (weight === undefined) throw cp.error('missing required attribute', 'CumulativeMetersetWeight');
    if (state.weight !== undefined && weight < state.weight - WEIGHT_TOLERANCE) {
      throw cp.error(`cumulative meterset weight decreases from ${fmt(state.weight)} to ${fmt(weight)}`, 'CumulativeMetersetWeight');
    }
    state.weight = weight;
    for (const p of cp.sequence('BeamLimitingDevicePositionSequence')) {
      const type = p.requireString('RTBeamLimitingDeviceType');
      const device = devices.get(type);
      if (device === undefined) {
        throw p.error(`device type ${type} is not in the beam's BeamLimitingDeviceSequence`, 'RTBeamLimitingDeviceType');
      }
      const positions = p.requireNumbers('LeafJawPositions');
      if (positions.length !== 2 * device.pairs) {
        throw p.error(`expected ${2 * device.pairs} positions for ${device.pairs} ${type} pair(s), found ${positions.length}`, 'LeafJawPositions');
      }
      if (type.startsWith('MLC')) state.mlcMm = { ...state.mlcMm, [type]: Float64Array.from(positions) };
      else state.jawsMm = { ...state.jawsMm, [type]: [positions[0]!, positions[1]!] };
    }
    const mlc = Object.keys(state.mlcMm).length > 0 ? { mlcMm: state.mlcMm } : {};
    return {
      index: cp.integer('ControlPointIndex') ?? index,
      cumulativeMetersetWeight: weight,
      gantryAngleDeg: need(state.gantryAngleDeg, 'GantryAngle'),
      gantryRotationDirection: need(state.gantryRotationDirection, 'GantryRotationDirection'),
      collimatorAngleDeg: need(state.collimatorAngleDeg, 'BeamLimitingDeviceAngle'),
      couchAngleDeg: need(state.couchAngleDeg, 'PatientSupportAngle'),
      ...(state.isocenterLps !== undefined ? { isocenterLps: state.isocenterLps } : {}),
      jawsMm: state.jawsMm,
      ...mlc,
    };
  });
  return { points, ...(energy !== undefined ? { energy } : {}) };
}

function readBeam(beam: DicomView, metersets: ReadonlyMap<number, number>): Beam {
  const number = beam.requireInteger('BeamNumber');
  const type = beam.requireString('BeamType');
  if (type !== 'STATIC' && type !== 'DYNAMIC') throw beam.error(`expected STATIC or DYNAMIC, found ${type}`, 'BeamType');
  const devices = readDevices(beam);
  const { points, energy } = readControlPoints(beam, devices);
  const lastWeight = points[points.length - 1]!.cumulativeMetersetWeight;
  const finalWeight = beam.number('FinalCumulativeMetersetWeight') ?? lastWeight;
  if (points.some((p) => p.cumulativeMetersetWeight > finalWeight + WEIGHT_TOLERANCE)) {
    throw beam.error(`a control point's cumulative weight exceeds the final weight ${fmt(finalWeight)}`, 'FinalCumulativeMetersetWeight');
  }
  const leafBoundariesMm: Record<string, Float64Array> = {};
  for (const [t, d] of devices) if (d.boundaries !== undefined) leafBoundariesMm[t] = d.boundaries;
  const sad = beam.number('SourceAxisDistance');
  const mu = metersets.get(number);
  return {
    number,
    name: beam.string('BeamName') ?? '',
    type,
    radiationType: beam.requireString('RadiationType'),
    ...(energy !== undefined ? { nominalEnergy: energy } : {}),
    ...(sad !== undefined ? { sadMm: sad } : {}),
    ...(mu !== undefined ? { metersetMu: mu } : {}),
    finalCumulativeMetersetWeight: finalWeight,
    leafBoundariesMm,
    controlPoints: points,
  };
}

/** Read an RTPLAN file. */
export function readRtPlan(input: DicomInput): RtPlan {
  const parsed = parseDicom(loadInput(input));
  const ds = parsed.dataset;
  requireModality(ds, 'RTPLAN', 'an RT Plan');
  const fractionGroups = readFractionGroups(ds);
  const metersets = new Map<number, number>();
  for (const g of fractionGroups) {
    for (const b of g.beamMetersets) if (!metersets.has(b.beamNumber)) metersets.set(b.beamNumber, b.metersetMu);
  }
  const beams = ds.sequence('BeamSequence').map((b) => readBeam(b, metersets));
  const seen = new Set<number>();
  for (const b of beams) {
    if (seen.has(b.number)) throw ds.error(`beam number ${b.number} is used twice`, 'BeamSequence');
    seen.add(b.number);
  }
  const name = ds.string('RTPlanName');
  const structureSet = ds.sequence('ReferencedStructureSetSequence')[0]?.string('ReferencedSOPInstanceUID');
  const patientPositions = ds
    .sequence('PatientSetupSequence')
    .map((item) => item.string('PatientPosition'))
    .filter((v): v is string => v !== undefined && v !== '');
  return {
    ...readIdentity(ds, ds.string('FrameOfReferenceUID') ?? ''),
    modality: 'RTPLAN',
    sopInstanceUid: ds.requireString('SOPInstanceUID'),
    label: ds.string('RTPlanLabel') ?? '',
    ...(name !== undefined ? { name } : {}),
    fractionGroups,
    doseReferences: readDoseReferences(ds),
    beams,
    ...(structureSet !== undefined ? { referencedStructureSetSopInstanceUid: structureSet } : {}),
    ...(patientPositions.length > 0 ? { patientPositions } : {}),
    file: inputName(input),
  };
}
