/**
 * The RT Plan writer: a two-arc VMAT plan and a three-segment step-and-shoot beam written, read back
 * by our reader, validated by dciodvfy (dicom3tools), read by pydicom and dicompyler-core, parsed by
 * dcmdump (dcmtk), and recomputed by the independent dose path. Every plan is synthetic and built here.
 */

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, PlanError } from '../../../src/core/errors.js';
import { PHOTON_6MV } from '../../../src/dose/machine-6mv.js';
import { planDose } from '../../../src/dose/plan-dose.js';
import { recalculatePlan } from '../../../src/dose/recalculate.js';
import { createScalarVolume } from '../../../src/geometry/volume.js';
import { lpsToIndex } from '../../../src/geometry/grid.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../../../src/io/dicom/model.js';
import { readDicomCase } from '../../../src/io/dicom/case.js';
import { readRtPlan } from '../../../src/io/dicom/read/rtplan.js';
import { deriveUid, frameOfReferenceUidFor, studyInstanceUidFor } from '../../../src/io/dicom/uid.js';
import {
  RESEARCH_ONLY_DESCRIPTION,
  formatDS,
  writeCtSeries,
  rtPlanWriteInputOf,
  writeRtPlan,
  type RtPlanBeamInput,
  type RtPlanControlPointInput,
  type RtPlanWriteInput,
} from '../../../src/io/dicom/write/index.js';
import { slabPhantom } from '../../dose/water-phantom.js';
import { TOOLS, have, runTool } from '../../helpers/external.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const DATE = new Date(Date.UTC(2025, 0, 14, 8, 15, 0));
const OPTIONS = { date: DATE, studyId: 'LRT-PLAN', seriesNumber: 7 } as const;
const study = studyInstanceUidFor('lattice-rt rtplan write test');
const ctIdentity = {
  patientId: 'LRT-PLAN-01',
  patientName: 'Phantom^Plan',
  studyInstanceUid: study,
  studyDescription: 'synthetic plan write test',
  frameOfReferenceUid: frameOfReferenceUidFor('rtplan write test'),
};
const structureSetUid = deriveUid('lattice-rt rtplan write test', 'structure set');

/** Agility-like MLC: 80 pairs of 5 mm, boundaries -200 ... +200 mm. */
const PAIRS = 80;
const BOUNDARIES = Float64Array.from({ length: PAIRS + 1 }, (_, i) => -200 + 5 * i);
const ISO: readonly [number, number, number] = [1.25, -20.5, 3.333333333333333];

/** Leaves of an arc control point: smooth irregular apertures (bank A <= bank B), many digits. */
function leaves(arc: number, cp: number): Float64Array {
  const m = new Float64Array(2 * PAIRS);
  for (let p = 0; p < PAIRS; p++) {
    const a = -15 + 10 * Math.sin(0.07 * cp + 0.3 * p + arc);
    m[p] = a;
    m[PAIRS + p] = a + 2 + 10 * (1 + Math.cos(0.05 * cp + 0.2 * p - arc));
  }
  return m;
}

/** An arc of 91 control points over 358 deg: CW 181 -> 179 or CC 179 -> 181; weights (i/90)^1.3. */
function arc(number: number, direction: 'CW' | 'CC', metersetMu: number): RtPlanBeamInput {
  const n = 91;
  const start = direction === 'CW' ? 181 : 179;
  const step = ((direction === 'CW' ? 1 : -1) * 358) / (n - 1);
  const controlPoints: RtPlanControlPointInput[] = Array.from({ length: n }, (_, i) => ({
    cumulativeMetersetWeight: i === n - 1 ? 1 : (i / (n - 1)) ** 1.3,
    gantryAngleDeg: (((start + step * i) % 360) + 360) % 360,
    gantryRotationDirection: i === n - 1 ? 'NONE' : direction,
    collimatorAngleDeg: direction === 'CW' ? 15 : 345,
    couchAngleDeg: 0,
    isocenterLps: ISO,
    // Arc 1: fixed diaphragms; arc 2: the diaphragms move too.
    jawsMm: { ASYMY: direction === 'CW' ? [-42.5, 37.5] : [-40 - i / 7, 40 + i / 9] },
    mlcMm: { MLCX: leaves(number, i) },
  }));
  return {
    number,
    name: `ARC${number} ${direction}`,
    type: 'DYNAMIC',
    nominalEnergyMv: 6,
    sadMm: 1000,
    doseRateMuPerMin: 600,
    leafBoundariesMm: { MLCX: BOUNDARIES },
    metersetMu,
    controlPoints,
  };
}

/** Step-and-shoot: gantry 30 deg, three segments, each a control-point pair of one aperture. */
function stepAndShoot(number: number): RtPlanBeamInput {
  const shape = (s: number): Float64Array => {
    const m = new Float64Array(2 * PAIRS);
    for (let p = 0; p < PAIRS; p++) {
      m[p] = -30 + 7 * s + 0.25 * (p % 7);
      m[PAIRS + p] = 10 + 5 * s - 0.5 * (p % 5);
    }
    return m;
  };
  const weights = [0, 0.3, 0.3, 0.65, 0.65, 1];
  return {
    number,
    name: 'IMRT 30',
    type: 'STATIC',
    nominalEnergyMv: 6,
    leafBoundariesMm: { MLCX: BOUNDARIES },
    metersetMu: 87.654321,
    beamDoseGy: 0.4321,
    controlPoints: weights.map((w, i) => ({
      cumulativeMetersetWeight: w,
      gantryAngleDeg: 30,
      gantryRotationDirection: 'NONE',
      collimatorAngleDeg: 0,
      couchAngleDeg: 0,
      isocenterLps: ISO,
      jawsMm: { ASYMX: [-35, 30], ASYMY: [-50, 50] },
      mlcMm: { MLCX: shape(Math.floor(i / 2)) },
    })),
  };
}

const planInput = (beams: readonly RtPlanBeamInput[], extra: Partial<RtPlanWriteInput> = {}): RtPlanWriteInput => ({
  ct: ctIdentity,
  label: 'LATTICE VMAT',
  name: 'lattice SIB 20/66.7 Gy',
  treatmentMachineName: 'Agility01',
  referencedStructureSetSopInstanceUid: structureSetUid,
  doseReferences: [
    { number: 1, description: 'PTV_2000', referencedRoiNumber: 3, targetPrescriptionDoseGy: 20 },
    { number: 2, description: 'PTV_6670', referencedRoiNumber: 7, targetPrescriptionDoseGy: 66.7, deliveryMaximumDoseGy: 80 },
  ],
  fractionsPlanned: 5,
  beams,
  ...extra,
});

/** The value a DS reads back as: what "equal to what was written" means. */
const ds = (v: number): number => Number(formatDS(v));
const dsArray = (v: ArrayLike<number>): number[] => Array.from(v, ds);

// ---------------------------------------------------------------------------------------------
// External tools
// ---------------------------------------------------------------------------------------------

function dciodvfy(path: string): { iod: string; errors: string[]; warnings: string[] } {
  const r = runTool('dciodvfy', [path]);
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { iod: lines[0] ?? '', errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}

const PYDUMP = String.raw`
import json, sys
import pydicom

d = pydicom.dcmread(sys.argv[1])
beams = []
for b in d.BeamSequence:
    cps = []
    for c in b.ControlPointSequence:
        devices = {p.RTBeamLimitingDeviceType: [float(x) for x in p.LeafJawPositions]
                   for p in c.get('BeamLimitingDevicePositionSequence', [])}
        cps.append({'keywords': sorted(e.keyword for e in c), 'cmw': float(c.CumulativeMetersetWeight),
                    'gantry': float(c.GantryAngle) if 'GantryAngle' in c else None, 'devices': devices})
    beams.append({'number': int(b.BeamNumber), 'type': b.BeamType, 'machine': b.TreatmentMachineName,
                  'devices': [[s.RTBeamLimitingDeviceType, int(s.NumberOfLeafJawPairs),
                               [float(x) for x in s.get('LeafPositionBoundaries', [])]] for s in b.BeamLimitingDeviceSequence],
                  'final': float(b.FinalCumulativeMetersetWeight), 'cps': cps})
fg = d.FractionGroupSequence[0]
out = {'sopClassUid': d.SOPClassUID, 'modality': d.Modality, 'transferSyntax': str(d.file_meta.TransferSyntaxUID),
       'label': d.RTPlanLabel, 'description': d.RTPlanDescription, 'geometry': d.RTPlanGeometry,
       'approval': d.ApprovalStatus, 'structureSet': d.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID,
       'fractions': int(fg.NumberOfFractionsPlanned), 'numberOfBeams': int(fg.NumberOfBeams),
       'metersets': [[int(r.ReferencedBeamNumber), float(r.BeamMeterset), float(r.BeamDose) if 'BeamDose' in r else None]
                     for r in fg.ReferencedBeamSequence],
       'doseReferences': [[int(r.DoseReferenceNumber), r.DoseReferenceStructureType, r.DoseReferenceType,
                           int(r.ReferencedROINumber), float(r.TargetPrescriptionDose)] for r in d.DoseReferenceSequence],
       'patientPosition': d.PatientSetupSequence[0].PatientPosition, 'beams': beams}
print(json.dumps(out))
`;

const DICOMPYLER = String.raw`
import json, sys
from dicompylercore import dicomparser

p = dicomparser.DicomParser(sys.argv[1])
plan = p.GetPlan()
print(json.dumps({'plan': {k: plan[k] for k in ('label', 'rxdose', 'brachy')},
                  'beams': {str(k): v for k, v in p.GetReferencedBeamsInFraction().items()}}))
`;

type Dump = Record<string, any>;

// ---------------------------------------------------------------------------------------------

describe('RT Plan writer: two VMAT arcs and a step-and-shoot beam', () => {
  let dir: string;
  let path: string;
  let input: RtPlanWriteInput;
  let written: ReturnType<typeof writeRtPlan>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-rtplan-'));
    path = join(dir, 'rp.dcm');
    input = planInput([arc(1, 'CW', 312.456), arc(2, 'CC', 298.1234567), stepAndShoot(3)]);
    written = writeRtPlan(input, path, OPTIONS);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads back every angle, leaf, jaw, weight, meterset, fraction count and dose reference as written', () => {
    const plan = readRtPlan(path);
    expect(plan.sopInstanceUid).toBe(written.sopInstanceUid);
    expect(plan.seriesInstanceUid).toBe(written.seriesInstanceUid);
    expect([plan.patientId, plan.patientName, plan.studyInstanceUid, plan.frameOfReferenceUid]).toEqual([
      ctIdentity.patientId,
      ctIdentity.patientName,
      ctIdentity.studyInstanceUid,
      ctIdentity.frameOfReferenceUid,
    ]);
    expect([plan.label, plan.name, plan.referencedStructureSetSopInstanceUid, plan.patientPositions]).toEqual([
      'LATTICE VMAT',
      'lattice SIB 20/66.7 Gy',
      structureSetUid,
      ['HFS'],
    ]);
    expect(plan.fractionGroups).toEqual([
      { number: 1, fractionsPlanned: 5, beamMetersets: input.beams.map((b) => ({ beamNumber: b.number, metersetMu: ds(b.metersetMu) })) },
    ]);
    expect(plan.doseReferences).toEqual([
      { number: 1, description: 'PTV_2000', structureType: 'VOLUME', type: 'TARGET', targetPrescriptionDoseGy: 20 },
      { number: 2, description: 'PTV_6670', structureType: 'VOLUME', type: 'TARGET', targetPrescriptionDoseGy: 66.7, deliveryMaximumDoseGy: 80 },
    ]);
    expect(plan.beams).toHaveLength(3);
    plan.beams.forEach((beam, n) => {
      const want = input.beams[n]!;
      expect([beam.number, beam.name, beam.type, beam.radiationType, beam.nominalEnergy, beam.sadMm, beam.metersetMu]).toEqual([
        want.number,
        want.name,
        want.type,
        'PHOTON',
        6,
        1000,
        ds(want.metersetMu),
      ]);
      expect(beam.finalCumulativeMetersetWeight).toBe(1);
      expect(Array.from(beam.leafBoundariesMm.MLCX!)).toEqual(Array.from(BOUNDARIES));
      expect(beam.controlPoints).toHaveLength(want.controlPoints.length);
      beam.controlPoints.forEach((cp, i) => {
        const w = want.controlPoints[i]!;
        const at = `beam ${beam.number} control point ${i}`;
        expect(cp.index, at).toBe(i);
        expect(cp.cumulativeMetersetWeight, at).toBe(ds(w.cumulativeMetersetWeight));
        expect([cp.gantryAngleDeg, cp.gantryRotationDirection, cp.collimatorAngleDeg, cp.couchAngleDeg], at).toEqual([
          ds(w.gantryAngleDeg),
          w.gantryRotationDirection,
          ds(w.collimatorAngleDeg),
          ds(w.couchAngleDeg),
        ]);
        expect(cp.isocenterLps, at).toEqual(dsArray(w.isocenterLps));
        expect(Object.keys(cp.jawsMm).sort(), at).toEqual(Object.keys(w.jawsMm).sort());
        for (const [type, jaws] of Object.entries(w.jawsMm)) expect(cp.jawsMm[type], `${at} ${type}`).toEqual(dsArray(jaws));
        expect(Array.from(cp.mlcMm!.MLCX!), at).toEqual(dsArray(w.mlcMm!.MLCX));
      });
      // The weights run from 0 to exactly 1 (the PortPy pitfall: VMAT weights that do not end at 1).
      expect(beam.controlPoints[0]!.cumulativeMetersetWeight).toBe(0);
      expect(beam.controlPoints.at(-1)!.cumulativeMetersetWeight).toBe(1);
    });
    // The arcs' angles need all 16 DS characters: 181 + 358/90 is not a short decimal.
    expect(plan.beams[0]!.controlPoints[1]!.gantryAngleDeg).not.toBe(input.beams[0]!.controlPoints[1]!.gantryAngleDeg);
    expect(Math.abs(plan.beams[0]!.controlPoints[1]!.gantryAngleDeg - (181 + 358 / 90))).toBeLessThan(1e-12);
  });

  it('a plan as the model holds it (read back) writes through rtPlanWriteInputOf and reads back the same: beams, control points, metersets', () => {
    const first = readRtPlan(path);
    const again = join(dir, 'again.dcm');
    writeRtPlan(
      rtPlanWriteInputOf(first, {
        ct: ctIdentity,
        treatmentMachineName: 'Agility01',
        referencedStructureSetSopInstanceUid: structureSetUid,
        doseReferences: input.doseReferences,
      }),
      again,
      OPTIONS,
    );
    const second = readRtPlan(again);
    expect(second.sopInstanceUid).toBe(first.sopInstanceUid);
    expect(second.fractionGroups).toEqual(first.fractionGroups);
    expect(second.doseReferences).toEqual(first.doseReferences);
    const strip = (p: typeof first): unknown => p.beams.map((b) => ({ ...b, controlPoints: b.controlPoints.map((c) => ({ ...c, mlcMm: c.mlcMm?.MLCX !== undefined ? [...c.mlcMm.MLCX] : undefined })) }));
    expect(strip(second)).toEqual(strip(first));
  });

  it('is deterministic: the same plan written again is byte-identical, with the same derived UIDs', () => {
    const again = writeRtPlan(input, join(dir, 'again.dcm'), OPTIONS);
    expect(again.sopInstanceUid).toBe(written.sopInstanceUid);
    expect(readFileSync(again.file).equals(readFileSync(path))).toBe(true);
    const changed = planInput([arc(1, 'CW', 312.456), arc(2, 'CC', 298.1234567), { ...stepAndShoot(3), metersetMu: 87.654322 }]);
    expect(writeRtPlan(changed, join(dir, 'changed.dcm')).sopInstanceUid).not.toBe(written.sopInstanceUid);
  });

  it.skipIf(!have(TOOLS.dciodvfy))('dciodvfy validates it as an RT Plan with no errors or warnings', () => {
    const { iod, errors, warnings } = dciodvfy(path);
    // It checked the file against the RT Plan IOD (it names the IOD it recognised first).
    expect(iod).toBe('RTPlan');
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it.skipIf(!have(TOOLS.pydicom))('pydicom reads leaf positions, weights and metersets as written; control point 0 carries everything, later ones what moves', () => {
    const r = runTool(TOOLS.pydicom.command, ['-c', PYDUMP, path]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Dump;
    expect([d.sopClassUid, d.modality, d.transferSyntax]).toEqual(['1.2.840.10008.5.1.4.1.1.481.5', 'RTPLAN', '1.2.840.10008.1.2.1']);
    expect([d.label, d.description, d.geometry, d.approval, d.structureSet, d.patientPosition]).toEqual([
      'LATTICE VMAT',
      RESEARCH_ONLY_DESCRIPTION,
      'PATIENT',
      'UNAPPROVED',
      structureSetUid,
      'HFS',
    ]);
    expect(d.description).toMatch(/research use only, not for clinical use/);
    expect([d.fractions, d.numberOfBeams]).toEqual([5, 3]);
    expect(d.metersets).toEqual([
      [1, ds(312.456), null],
      [2, ds(298.1234567), null],
      [3, ds(87.654321), ds(0.4321)],
    ]);
    expect(d.doseReferences).toEqual([
      [1, 'VOLUME', 'TARGET', 3, 20],
      [2, 'VOLUME', 'TARGET', 7, 66.7],
    ]);
    const beams = d.beams as Dump[];
    expect(beams.map((b) => [b.number, b.type, b.machine, b.final])).toEqual([
      [1, 'DYNAMIC', 'Agility01', 1],
      [2, 'DYNAMIC', 'Agility01', 1],
      [3, 'STATIC', 'Agility01', 1],
    ]);
    expect(beams[0]!.devices).toEqual([
      ['ASYMY', 1, []],
      ['MLCX', 80, Array.from(BOUNDARIES)],
    ]);
    expect(beams[2]!.devices.map((x: unknown[]) => x[0])).toEqual(['ASYMX', 'ASYMY', 'MLCX']);
    beams.forEach((b, n) => {
      const want = input.beams[n]!;
      (b.cps as Dump[]).forEach((cp, i) => {
        const w = want.controlPoints[i]!;
        expect(cp.cmw).toBe(ds(w.cumulativeMetersetWeight));
        // Leaves are in every control point (they move in every beam): bank A leaves 1..80, then bank B.
        expect(cp.devices.MLCX).toEqual(dsArray(w.mlcMm!.MLCX));
      });
    });
    const cp0 = beams[0]!.cps[0].keywords as string[];
    for (const k of ['NominalBeamEnergy', 'DoseRateSet', 'GantryAngle', 'GantryRotationDirection', 'BeamLimitingDeviceAngle', 'PatientSupportAngle',
      'TableTopEccentricAngle', 'IsocenterPosition', 'BeamLimitingDevicePositionSequence', 'CumulativeMetersetWeight']) {
      expect(cp0, k).toContain(k);
    }
    // Arc 1, control point 1: the gantry and leaves move, the diaphragms, collimator, couch and isocentre do not.
    expect(beams[0]!.cps[1].keywords).toEqual(
      ['BeamLimitingDevicePositionSequence', 'ControlPointIndex', 'CumulativeMetersetWeight', 'GantryAngle', 'GantryRotationDirection'].sort(),
    );
    expect(Object.keys(beams[0]!.cps[1].devices)).toEqual(['MLCX']);
    // Arc 2 moves its diaphragms: ASYMY at every control point.
    expect(Object.keys(beams[1]!.cps[45].devices)).toEqual(['ASYMY', 'MLCX']);
    // Step-and-shoot: the gantry stays at 30 deg, so later control points carry only leaves and weight.
    expect(beams[2]!.cps[3].gantry).toBeNull();
    expect(Object.keys(beams[2]!.cps[3].devices)).toEqual(['MLCX']);
  });

  it.skipIf(!have(TOOLS.dicompylercore))('dicompyler-core reads the plan (GetPlan) and the beams of the fraction group (GetReferencedBeamsInFraction)', () => {
    const r = runTool(TOOLS.dicompylercore.command, ['-c', DICOMPYLER, path]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Dump;
    // GetPlan takes the last VOLUME dose reference's TargetPrescriptionDose as the prescription, in
    // cGy (dicompylercore/dicomparser.py 0.5.5): PTV_6670's 66.7 Gy -> 6670.
    expect(d.plan).toEqual({ label: 'LATTICE VMAT', rxdose: 6670, brachy: false });
    // Names, and dose = BeamDose x fractions in cGy where BeamDose is given.
    expect(d.beams['1']).toEqual({ name: 'ARC1 CW', description: '' });
    expect(d.beams['2']).toEqual({ name: 'ARC2 CC', description: '' });
    expect(d.beams['3'].name).toBe('IMRT 30');
    expect(d.beams['3'].dose).toBeCloseTo(0.4321 * 5 * 100, 9);
  });

  it.skipIf(!have(TOOLS.dcmdump))('dcmdump parses it', () => {
    const r = runTool('dcmdump', ['-q', '+L', path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\(300a,00c4\) CS \[DYNAMIC\]/);
    expect(r.stdout).toMatch(/\(300a,00c4\) CS \[STATIC\]/);
    expect(r.stdout).toContain('(300a,00b2) SH [Agility01]');
    expect(r.stdout).toContain('(300e,0002) CS [UNAPPROVED]');
    expect(r.stdout.match(/\(300a,0112\) IS/g)).toHaveLength(91 + 91 + 6);
  });
});

describe('RT Plan writer: refusals', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-rtplan-bad-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const arc1 = (): RtPlanBeamInput => arc(1, 'CW', 300);
  const cases: [string, () => RtPlanWriteInput, RegExp][] = [
    [
      'weights of an arc that do not end at the final weight 1',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => ({ ...c, cumulativeMetersetWeight: i / 91 })) }]),
      /beam 1 "ARC1 CW", control point 90: expected the final cumulative meterset weight 1 at the last control point, found 0\.989/,
    ],
    [
      'decreasing weights',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => (i === 10 ? { ...c, cumulativeMetersetWeight: 0.01 } : c)) }]),
      /control point 10: expected a cumulative meterset weight in \[0\.0\d+, 1\] \(non-decreasing\), found 0\.01/,
    ],
    [
      'step-and-shoot written one control point per segment (leaves move with the beam on) declared STATIC',
      () => {
        const s = stepAndShoot(3);
        return planInput([{ ...s, controlPoints: [0, 2, 5].map((i, k) => ({ ...s.controlPoints[i]!, cumulativeMetersetWeight: k / 2 })) }]);
      },
      /beam 3 "IMRT 30", control point 0: the MLCX positions change while the meterset weight increases to control point 1; expected beam type DYNAMIC, found STATIC/,
    ],
    ['an arc declared STATIC', () => planInput([{ ...arc1(), type: 'STATIC' }]), /control point 0: the gantry angle changes.*expected beam type DYNAMIC/],
    ['a static field declared DYNAMIC', () => planInput([{ ...stepAndShoot(3), type: 'DYNAMIC' }]), /beam 3 "IMRT 30": nothing changes.*expected beam type STATIC/],
    [
      'crossing leaves',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => (i === 4 ? { ...c, mlcMm: { MLCX: new Float64Array(160).fill(1).fill(-1, 80) } } : c)) }]),
      /control point 4: MLCX leaf pair 1: expected finite positions with bank A <= bank B/,
    ],
    [
      'a leaf count that does not match the boundaries',
      () => planInput([{ ...arc1(), leafBoundariesMm: { MLCX: BOUNDARIES.slice(0, 41) } }]),
      /control point 0: expected 80 MLCX positions for 40 leaf pairs, found 160/,
    ],
    [
      'a gantry that moves with rotation direction NONE',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => (i === 7 ? { ...c, gantryRotationDirection: 'NONE' } : c)) }]),
      /control point 7: the gantry moves to .* expected rotation direction CW or CC, found NONE/,
    ],
    [
      'a rotation direction given the wrong way round (CC for a CW step)',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => (i === 12 ? { ...c, gantryRotationDirection: 'CC' } : c)) }]),
      /control point 12: the gantry turns 356\.0\d* deg CC to .* expected less than 180 deg between control points \(is the direction CW\?\)/,
    ],
    [
      'a collimator that turns within a beam',
      () => planInput([{ ...arc1(), controlPoints: arc1().controlPoints.map((c, i) => (i === 30 ? { ...c, collimatorAngleDeg: 20 } : c)) }]),
      /beam 1 "ARC1 CW", control point 30: expected the collimator angle of control point 0 \(15 deg\) throughout the beam, found 20 deg/,
    ],
    ['a gantry angle of 360', () => planInput([{ ...stepAndShoot(3), controlPoints: stepAndShoot(3).controlPoints.map((c) => ({ ...c, gantryAngleDeg: 360 })) }]), /expected a gantry angle in \[0, 360\) degrees, found 360/],
    ['beam numbers used twice', () => planInput([arc1(), { ...stepAndShoot(1) }]), /beam number 1: expected unique beam numbers/],
    ['no MU', () => planInput([{ ...arc1(), metersetMu: 0 }]), /beam 1 "ARC1 CW": expected a positive beam meterset \(MU\), found 0/],
    ['zero fractions', () => planInput([arc1()], { fractionsPlanned: 0 }), /number of fractions planned: expected a positive integer, found 0/],
  ];
  for (const [what, make, message] of cases) {
    it(`refuses ${what}, naming the beam and control point, and writes nothing`, () => {
      const out = join(dir, 'bad.dcm');
      let error: unknown;
      try {
        writeRtPlan(make(), out);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlanError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('\n');
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('a label longer than 16 characters is a DicomError naming RTPlanLabel', () => {
    expect(() => writeRtPlan(planInput([arc1()], { label: 'A LABEL OF 17 CHR' }), join(dir, 'long.dcm'))).toThrow(/\(300A,0002\) RTPlanLabel: expected a SH value of at most 16 characters/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a write into a folder that cannot exist (a file is in its place) is one line naming the path, and leaves nothing', () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const out = join(blocker, 'plans', 'rp.dcm');
    let error: unknown;
    try {
      writeRtPlan(planInput([arc1()]), out);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toBe(`could not write ${out}: ${blocker} is a file, not a folder (file ${out})`);
    expect(readdirSync(dir)).toEqual(['not-a-folder']);
    rmSync(blocker);
  });

  it('a folder that does not exist yet is created, as the other writers do (src/io/atomic.ts)', () => {
    const out = join(dir, 'new', 'folder', 'rp.dcm');
    writeRtPlan(planInput([arc1()]), out);
    expect(readdirSync(join(dir, 'new', 'folder'))).toEqual(['rp.dcm']);
    rmSync(join(dir, 'new'), { recursive: true });
  });

  it('a failed rewrite leaves the earlier plan at that path untouched, with no temporary file', () => {
    const out = join(dir, 'keep.dcm');
    writeRtPlan(planInput([arc1()]), out);
    const before = readFileSync(out);
    expect(() => writeRtPlan(planInput([{ ...arc1(), metersetMu: Number.NaN }]), out)).toThrow(PlanError);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['keep.dcm']);
    rmSync(out);
  });
});

// ---------------------------------------------------------------------------------------------
// Dose: the written plan recomputed by the independent path
// ---------------------------------------------------------------------------------------------

describe('a written plan recomputes with lattice dose (recalculatePlan)', () => {
  let dir: string;
  // Water box 160 x 160 x 160 mm centred on the origin (HU 0, RED 1), the isocentre at its centre; 10 mm dose grid.
  const red = slabPhantom(-80, 160, undefined, 80);
  const ct: CtSeries = { ...ctIdentity, seriesInstanceUid: '2.25.1', modality: 'CT', patientPosition: 'HFS', hu: createScalarVolume(red.grid), slices: [] };
  const iso: [number, number, number] = [0, 0, 0];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-rtplan-dose-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const cpAt = (w: number, gantry: number, direction: 'CW' | 'CC' | 'NONE', jawsMm: Record<string, [number, number]>, mlc?: Float64Array): RtPlanControlPointInput => ({
    cumulativeMetersetWeight: w,
    gantryAngleDeg: gantry,
    gantryRotationDirection: direction,
    collimatorAngleDeg: 0,
    couchAngleDeg: 0,
    isocenterLps: iso,
    jawsMm,
    ...(mlc !== undefined ? { mlcMm: { MLCX: mlc } } : {}),
  });

  it('a one-arc plan written beside its CT, read as a case as lattice dose reads it, gives dose where the aperture points', () => {
    // A full CW arc, 180.1 -> 179.9 deg in 7 control points, leaves open over 20 mm (pairs of |z| < 10 mm).
    const open = new Float64Array(2 * PAIRS);
    for (let p = 0; p < PAIRS; p++) {
      const inside = Math.abs(-200 + 5 * p + 2.5) < 10;
      open[p] = inside ? -10 : -1;
      open[PAIRS + p] = inside ? 10 : -1;
    }
    const cps = Array.from({ length: 7 }, (_, i) => cpAt(i / 6, (180.1 + (359.8 * i) / 6) % 360, i === 6 ? 'NONE' : 'CW', { ASYMX: [-15, 15], ASYMY: [-10, 10] }, open));
    const beam: RtPlanBeamInput = { number: 1, name: 'ARC', type: 'DYNAMIC', nominalEnergyMv: 6, leafBoundariesMm: { MLCX: BOUNDARIES }, metersetMu: 200, controlPoints: cps };
    // The folder `lattice dose PATH` would be given: the CT series and the plan (cli/commands/dose.ts
    // reads it with readDicomCase and recomputes its one plan with recalculatePlan).
    const folder = join(dir, 'case');
    writeCtSeries({ ...ctIdentity, seriesInstanceUid: ct.seriesInstanceUid, hu: ct.hu }, folder, { patientPosition: 'HFS' });
    const written = writeRtPlan(planInput([beam]), join(folder, 'RP.dcm'));
    const dicomCase = readDicomCase(folder);
    expect(dicomCase.plans.map((p) => p.sopInstanceUid)).toEqual([written.sopInstanceUid]);
    const recalc = recalculatePlan(dicomCase.ct, dicomCase.plans[0]!, { gridSpacingMm: 10, threads: 1 });
    const g = recalc.doseGrid;
    const doseAt = (p: readonly [number, number, number]): number => {
      const ijk = lpsToIndex(g, p);
      if (ijk === undefined) throw new Error(`[${p.join(', ')}] is outside the dose grid`);
      const [i, j, k] = ijk;
      return recalc.dosePerFractionGy.data[i + g.size[0] * (j + g.size[1] * k)]!;
    };
    const atIso = doseAt(iso);
    const outside = doseAt([iso[0], iso[1], iso[2] + 70]);
    // Dose at the isocentre (inside the 20 mm aperture at every angle), little 60 mm beyond its edge.
    expect(atIso).toBeGreaterThan(0.5);
    expect(outside).toBeLessThan(0.1 * atIso);
    expect(recalc.fractionsPlanned).toBe(5);
  });

  it('an open static field written and recomputed gives the same dose as planDose on the in-memory plan', () => {
    const jaws = { ASYMX: [-40, 30] as [number, number], ASYMY: [-25, 35] as [number, number] };
    const beam: RtPlanBeamInput = {
      number: 4,
      name: 'OPEN',
      type: 'STATIC',
      nominalEnergyMv: 6,
      metersetMu: 123.4,
      controlPoints: [cpAt(0, 0, 'NONE', jaws), cpAt(1, 0, 'NONE', jaws)],
    };
    const file = join(dir, 'open.dcm');
    writeRtPlan(planInput([beam]), file);
    const recalc = recalculatePlan(ct, readRtPlan(file), { gridSpacingMm: 10, threads: 1 });

    const cp = (index: number, w: number): ControlPoint => ({
      index,
      cumulativeMetersetWeight: w,
      gantryAngleDeg: 0,
      gantryRotationDirection: 'NONE',
      collimatorAngleDeg: 0,
      couchAngleDeg: 0,
      isocenterLps: iso,
      jawsMm: jaws,
    });
    const modelBeam: Beam = {
      number: 4, name: 'OPEN', type: 'STATIC', radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: 123.4,
      finalCumulativeMetersetWeight: 1, leafBoundariesMm: {}, controlPoints: [cp(0, 0), cp(1, 1)],
    };
    const inMemory: RtPlan = {
      ...ctIdentity, seriesInstanceUid: '2.25.2', modality: 'RTPLAN', sopInstanceUid: '2.25.3', label: 'L',
      fractionGroups: [{ number: 1, fractionsPlanned: 5, beamMetersets: [{ beamNumber: 4, metersetMu: 123.4 }] }],
      doseReferences: [], beams: [modelBeam], patientPositions: ['HFS'],
    };
    const direct = planDose(PHOTON_6MV, inMemory, ct, recalc.doseGrid, { threads: 1 }).dosePerFractionGy;
    expect(Array.from(recalc.dosePerFractionGy.data)).toEqual(Array.from(direct.data));
    expect(Math.max(...direct.data)).toBeGreaterThan(0.5);
  });
});
