/**
 * `lattice check-plan`: RTPLAN files written here with dcmjs (an MLCX + ASYMY arc), and pydicom's own
 * rtplan.dcm (a jaw-only static field of another machine), checked against the shipped Agility.
 */

import { DISCLAIMER } from '../../src/core/disclaimer.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main } from '../../cli/main.js';
import { shippedMachinesDir } from '../../src/deliver/machine-file.js';
import { dcmjsWrite, denaturalize } from '../../src/io/dicom/dcmjs.js';
import { TOOLS, have } from '../helpers/external.js';
import { pydicomFile, python } from '../fixtures/dicom-testdata.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const writeOut = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    writeOut.mockRestore();
  }
}

interface ArcPoint {
  readonly gantryDeg: number;
  readonly weight: number;
  /** 160 leaf positions (bank A then bank B), mm. */
  readonly leavesMm: readonly number[];
}

const ds = (v: number): string => String(Number(v.toFixed(4)));

/** An RTPLAN with one clockwise MLCX + ASYMY arc of `mu` MU (Y diaphragms at -50..50 mm). */
function writeArcPlan(path: string, mu: number, points: readonly ArcPoint[]): void {
  const uid = `1.2.826.0.1.3680043.10.1234.${Math.floor(Math.random() * 1e9)}`;
  const natural = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.481.5',
    SOPInstanceUID: uid,
    Modality: 'RTPLAN',
    PatientName: 'Test^Arc',
    PatientID: 'ARC',
    StudyInstanceUID: `${uid}.1`,
    SeriesInstanceUID: `${uid}.2`,
    FrameOfReferenceUID: `${uid}.3`,
    RTPlanLabel: 'ARC',
    RTPlanGeometry: 'PATIENT',
    FractionGroupSequence: [
      {
        FractionGroupNumber: '1',
        NumberOfFractionsPlanned: '1',
        NumberOfBeams: '1',
        NumberOfBrachyApplicationSetups: '0',
        ReferencedBeamSequence: [{ ReferencedBeamNumber: '1', BeamMeterset: ds(mu) }],
      },
    ],
    BeamSequence: [
      {
        BeamNumber: '1',
        BeamName: 'Arc1',
        BeamType: 'DYNAMIC',
        RadiationType: 'PHOTON',
        TreatmentDeliveryType: 'TREATMENT',
        SourceAxisDistance: '1000',
        NumberOfWedges: '0',
        NumberOfCompensators: '0',
        NumberOfBoli: '0',
        NumberOfBlocks: '0',
        FinalCumulativeMetersetWeight: '1',
        NumberOfControlPoints: String(points.length),
        BeamLimitingDeviceSequence: [
          { RTBeamLimitingDeviceType: 'ASYMY', NumberOfLeafJawPairs: '1' },
          {
            RTBeamLimitingDeviceType: 'MLCX',
            NumberOfLeafJawPairs: '80',
            LeafPositionBoundaries: Array.from({ length: 81 }, (_, k) => ds(-200 + 5 * k)),
          },
        ],
        ControlPointSequence: points.map((p, k) => ({
          ControlPointIndex: String(k),
          ...(k === 0
            ? {
                NominalBeamEnergy: '6',
                BeamLimitingDeviceAngle: '0',
                BeamLimitingDeviceRotationDirection: 'NONE',
                PatientSupportAngle: '0',
                PatientSupportRotationDirection: 'NONE',
                TableTopEccentricAngle: '0',
                TableTopEccentricRotationDirection: 'NONE',
                IsocenterPosition: ['0', '0', '0'],
              }
            : {}),
          GantryAngle: ds(p.gantryDeg),
          GantryRotationDirection: k + 1 < points.length ? 'CW' : 'NONE',
          CumulativeMetersetWeight: ds(p.weight),
          BeamLimitingDevicePositionSequence: [
            ...(k === 0 ? [{ RTBeamLimitingDeviceType: 'ASYMY', LeafJawPositions: ['-50', '50'] }] : []),
            { RTBeamLimitingDeviceType: 'MLCX', LeafJawPositions: p.leavesMm.map(ds) },
          ],
        })),
      },
    ],
  };
  const meta = denaturalize({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: natural.SOPClassUID,
    MediaStorageSOPInstanceUID: uid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '1.2.826.0.1.3680043.10.1234',
  });
  writeFileSync(path, dcmjsWrite(meta, denaturalize(natural)));
}

/** Every pair open from a to b mm, with edits [index into the 160 values, mm]. */
const leaves = (a: number, b: number, ...edits: [number, number][]): number[] => {
  const x = [...Array<number>(80).fill(a), ...Array<number>(80).fill(b)];
  for (const [i, v] of edits) x[i] = v;
  return x;
};

let dir: string;
let clean: string;
let broken: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-check-plan-'));
  // 50 MU over 0 -> 8 deg CW in two 4-degree intervals of 25 MU: 25 MU / (600/60 MU/s) = 2.5 s each
  // (the gantry needs 4/6 s, the leaves do not move), so 5.0 s; 20 pairs x 5 mm inside Y -50..50, 40 mm
  // open: 40 cm^2.
  clean = join(dir, 'clean.dcm');
  writeArcPlan(clean, 50, [0, 4, 8].map((g, k) => ({ gantryDeg: g, weight: k / 2, leavesMm: leaves(-20, 20) })));
  // leaf B23 (value 80 + 22) at 250 mm at control point 1 (bank B elsewhere at 60 mm); 230 mm at
  // 35 mm/s take 6.6 s, within 25 MU at 20 MU/min (75 s).
  broken = join(dir, 'broken.dcm');
  writeArcPlan(broken, 50, [0, 4, 8].map((g, k) => ({ gantryDeg: g, weight: k / 2, leavesMm: leaves(-20, 60, ...(k === 1 ? ([[102, 250]] as [number, number][]) : [])) })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lattice check-plan', () => {
  it('passes a deliverable arc with exit 0, printing its MU, delivery time and mean aperture', async () => {
    const r = await run('check-plan', clean);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^\s*1\s+Arc1\s+DYNAMIC\s+3\s+50\.0\s+5\.0\s+dose rate\s+40\.0\s+0$/mu);
    expect(r.out).toContain('total: 50.0 MU, estimated delivery time 5.0 s');
    expect(r.out).toContain('deliverable: no violations');
    expect(r.out.split('\n')[0]).toBe(DISCLAIMER);
  });

  it('reports every violation on its own line and exits 1', async () => {
    const r = await run('check-plan', broken, '--machine', 'agility');
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    expect(r.out).toContain('not deliverable: 1 violation');
    expect(r.out.split('\n')).toContain('beam 1 "Arc1", control point 1: leaf B23 at 250.0 mm is outside the leaf range -200..200 mm');
  });

  it('prints the report as JSON with --json', async () => {
    const r = await run('check-plan', clean, '--json');
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { disclaimer: string; deliverable: boolean; totalMu: number; beams: { deliveryTimeS: number; meanApertureAreaCm2: number; leafTravelMm: number }[]; violations: unknown[] };
    expect(report.disclaimer).toBe(DISCLAIMER);
    expect(report.deliverable).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.totalMu).toBeCloseTo(50, 6);
    expect(report.beams[0]!.deliveryTimeS).toBeCloseTo(5, 6);
    expect(report.beams[0]!.meanApertureAreaCm2).toBeCloseTo(40, 6);
    expect(report.beams[0]!.leafTravelMm).toBe(0);
  });

  it('uses a machine file given with --machine: at 100 MU/min the same arc takes 2 x 25 MU / (100/60 MU/s) = 30 s', async () => {
    const m = parseYaml(readFileSync(join(shippedMachinesDir(), 'elekta-agility.yaml'), 'utf8')) as { doseRate: { maxMuPerMin: { value: number } } };
    m.doseRate.maxMuPerMin.value = 100;
    const file = join(dir, 'slow.json');
    writeFileSync(file, JSON.stringify(m));
    const r = await run('check-plan', clean, '--machine', file, '--json');
    expect(r.code, r.err).toBe(0);
    expect((JSON.parse(r.out) as { totalDeliveryTimeS: number }).totalDeliveryTimeS).toBeCloseTo(30, 6);
  });

  it('reports the machine mismatch of a third-party plan (pydicom rtplan.dcm: X and Y jaws, no MLC) and its time at 600 MU/min', async ({ skip }) => {
    if (!have(TOOLS.pydicom)) skip();
    const file = pydicomFile('rtplan.dcm');
    const mu = python<number>('import pydicom, json, sys; d = pydicom.dcmread(sys.argv[1]); print(json.dumps(float(d.FractionGroupSequence[0].ReferencedBeamSequence[0].BeamMeterset)))', file);
    const r = await run('check-plan', file, '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { beams: { deliveryTimeS: number }[]; violations: { kind: string; message: string }[] };
    // one static field, all its MU in one interval: MU / (600/60) s
    expect(report.beams[0]!.deliveryTimeS).toBeCloseTo(mu / 10, 6);
    expect(report.violations.map((v) => v.kind)).toEqual(['device', 'device', 'device']);
    expect(report.violations.map((v) => v.message).join('\n')).toContain('uses jaw device X, which the machine does not have (its jaws: ASYMY)');
  });

  it('gives one error line and exit 1 for an unreadable file or an unknown machine', async () => {
    const missing = await run('check-plan', join(dir, 'nothing.dcm'));
    expect(missing.code).toBe(1);
    expect(missing.err.split('\n')).toHaveLength(1);
    expect(missing.err).toMatch(/^lattice: \w+Error: .*nothing\.dcm/u);
    const machine = await run('check-plan', clean, '--machine', 'no-such-linac');
    expect(machine.code).toBe(1);
    expect(machine.err).toBe("lattice: InputError: machine: expected a shipped machine (agility) or a YAML/JSON machine file, found 'no-such-linac' (no such file)");
  });

  it('says in --help what the exit status means', async () => {
    const r = await run('check-plan', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Exit status: 0 when the plan is deliverable, 1 when violations were found');
  });
});
