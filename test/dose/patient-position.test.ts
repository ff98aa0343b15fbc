/**
 * Patient position (issue 11 §1): beam directions are modelled for head first-supine only, so a CT
 * or plan in any other DICOM PatientPosition is refused by name (a gantry-90 beam would otherwise
 * enter the patient's right side on a feet-first CT, as if the patient lay head first); an absent
 * position is taken as HFS with a warning. The CT reader keeps the position it finds.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { PlanError } from '../../src/core/errors.js';
import { checkPatientPosition } from '../../src/dose/beam-geometry.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { planFields } from '../../src/dose/plan-dose.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../../src/io/dicom/model.js';
import { readCtSeries } from '../../src/io/dicom/read/index.js';
import { writeCtSeries } from '../../src/io/dicom/write/index.js';

const identity = { patientId: 'P', patientName: 'P', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2.3' };
const grid = createGrid({ size: [20, 20, 20], spacingMm: [10, 10, 10], originMm: [-95, -95, -95] });
const ctIn = (patientPosition?: string): CtSeries => ({
  ...identity, modality: 'CT', ...(patientPosition !== undefined ? { patientPosition } : {}), hu: createScalarVolume(grid), slices: [],
});
const cp = (index: number, w: number): ControlPoint => ({
  index, cumulativeMetersetWeight: w, gantryAngleDeg: 90, gantryRotationDirection: 'NONE', collimatorAngleDeg: 0, couchAngleDeg: 0,
  isocenterLps: [0, 0, 0], jawsMm: { ASYMX: [-50, 50], ASYMY: [-50, 50] },
});
const beam: Beam = {
  number: 1, name: 'Lateral', type: 'STATIC', radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: 100,
  finalCumulativeMetersetWeight: 1, leafBoundariesMm: {}, controlPoints: [cp(0, 0), cp(1, 1)],
};
const planIn = (patientPositions?: string[]): RtPlan => ({
  ...identity, modality: 'RTPLAN', sopInstanceUid: '9', label: 'L', fractionGroups: [], doseReferences: [], beams: [beam],
  ...(patientPositions !== undefined ? { patientPositions } : {}),
});

describe('patient position', () => {
  test('head first-supine: accepted, no warning', () => {
    expect(planFields(PHOTON_6MV, planIn(['HFS']), ctIn('HFS')).warnings).toEqual([]);
  });

  test('absent on the CT: head first-supine assumed, one warning naming the tag', () => {
    expect(planFields(PHOTON_6MV, planIn(), ctIn()).warnings).toEqual(['the CT gives no PatientPosition (0018,5100): head first-supine (HFS) assumed']);
  });

  for (const [position, words] of [
    ['FFS', 'feet first-supine'], ['HFP', 'head first-prone'], ['FFP', 'feet first-prone'],
    ['HFDL', 'head first-decubitus left'], ['HFDR', 'head first-decubitus right'], ['FFDL', 'feet first-decubitus left'], ['FFDR', 'feet first-decubitus right'],
  ] as const) {
    test(`${position} on the CT or in the plan's patient setup: refused by name`, () => {
      const message = new RegExp(`patient position ${position} \\(${words}\\) is not supported: .*HFS.*lateral beam would enter the wrong side`);
      expect(() => planFields(PHOTON_6MV, planIn(['HFS']), ctIn(position))).toThrow(PlanError);
      expect(() => planFields(PHOTON_6MV, planIn(['HFS']), ctIn(position))).toThrow(message);
      expect(() => planFields(PHOTON_6MV, planIn([position]), ctIn('HFS'))).toThrow(message);
    });
  }

  test('an unknown position is refused too, quoting it', () => {
    expect(() => checkPatientPosition(ctIn('SITTING'))).toThrow(/patient position SITTING is not supported/);
  });

  test('the CT reader keeps the PatientPosition of the files (written FFS, read FFS)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-ffs-'));
    writeCtSeries({ ...identity, hu: createScalarVolume(createGrid({ size: [4, 4, 3], spacingMm: [1, 1, 1], originMm: [0, 0, 0] })) }, dir, { patientPosition: 'FFS' });
    const ct = readCtSeries(readdirSync(dir).map((f) => join(dir, f)));
    expect(ct.patientPosition).toBe('FFS');
    expect(() => checkPatientPosition(ct)).toThrow(/FFS \(feet first-supine\)/);
  });
});
