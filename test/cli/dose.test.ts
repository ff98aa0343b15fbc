/**
 * `lattice dose`: an independent recalculation of a DICOM plan, checked against the measured beam
 * data it was fitted to, and its gamma comparison.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { createGrid } from '../../src/geometry/grid.js';
import { sampleTrilinear } from '../../src/geometry/resample.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { readRtDose } from '../../src/io/dicom/read/index.js';
import { writeCase, writeRtDose } from '../../src/io/dicom/write/index.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import { writeTestRtPlan } from '../fixtures/rtplan.js';
import { MEASURED_DEPTHS_MM, MEASURED_TPR } from '../dose/fixtures/synergy-6mv-measured.js';
import { runLattice } from '../helpers/cli.js';

const readCaseCt = () => readDicomCase(join(dir, 'case')).ct;

const run = runLattice;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-dose-'));
  // A 200 mm water cube (HU 0) centred on the isocentre: surface at y = -100 mm, so an anterior
  // beam (gantry 0) has SSD 900 mm and the isocentre lies at 100 mm depth.
  const grid = createGrid({ size: [40, 40, 40], spacingMm: [5, 5, 5], originMm: [-97.5, -97.5, -97.5] });
  const w = writeCase(join(dir, 'case'), {
    ct: createScalarVolume(grid),
    structures: [],
    patientId: 'W',
    patientName: 'Water^Cube',
    structureSetLabel: 'WATER',
    seed: 'water cube',
  });
  writeTestRtPlan(join(dir, 'case', 'RTPLAN.dcm'), w.series, [0, 0, 0], [{ name: 'AP', gantryDeg: 0, fieldMm: [100, 100], mu: 100 }], 1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lattice dose', () => {
  it('writes the planned total as an RT Dose of summation type PLAN, in Gy', async () => {
    const r = await run('dose', join(dir, 'case'), '--out', join(dir, 'out'), '--grid-mm', '5');
    expect(r.code, r.err).toBe(0);
    const dose = readRtDose(join(dir, 'out', 'RTDOSE.dcm'));
    expect(dose.summationType).toBe('PLAN');
    expect(dose.units).toBe('GY');
    expect(dose.dose.grid.spacingMm).toEqual([5, 5, 5]);
  });

  // Issue 6 (closed, not an engine defect): this test used to expect 0.834 Gy with TPR(15 mm) = 1.23579,
  // which is the 150 mm column of tpr.dat (columns: depth, then fields 10 20 30 40 50 60 80 100 150 ...);
  // the 100 mm column gives 1.2699, hence 0.811 Gy. The engine gives 0.804 Gy (-0.9 %, the model's TPR
  // shape residual, docs/dose-engine.md). The TPR is now read from the fixture by field size.
  it('gives the isocentre the dose of the measured TPR: 100 MU x 1 cGy/MU x (1015/1000)^2 x TPR(100 mm)/TPR(15 mm), within 2 %', async () => {
    const dose = readRtDose(join(dir, 'out', 'RTDOSE.dcm'));
    // Calibration: 1 cGy/MU at dmax (15 mm) for 10 x 10 cm at SSD 1000 mm, i.e. 1015 mm from the
    // source. At the isocentre (1000 mm, 100 mm deep, 10 x 10 cm there) the inverse square gives
    // (1015/1000)^2 and the measured Synergy TPR table (../shared/beam-data, normalised at 100 mm)
    // gives TPR(15 mm) = 1.2699 for the 100 mm field; the output factor of 10 x 10 is 1.
    const tpr15 = MEASURED_TPR[100]![MEASURED_DEPTHS_MM.indexOf(15)]!;
    expect(tpr15).toBeCloseTo(1.2699, 4);
    const expected = 100 * 0.01 * (1015 / 1000) ** 2 / tpr15;
    const atIso = sampleTrilinear(dose.dose, [0, 0, 0]);
    expect(Math.abs(atIso / expected - 1), `isocentre ${atIso.toFixed(4)} Gy, expected ${expected.toFixed(4)} Gy`).toBeLessThan(0.02);
  });

  it('passes a gamma comparison with itself at 100 % and reports the criteria', async () => {
    const r = await run(
      'dose', join(dir, 'case'), '--out', join(dir, 'out2'), '--grid-mm', '5',
      '--compare', join(dir, 'out', 'RTDOSE.dcm'), '--gamma', '2/2',
    );
    expect(r.code, r.err).toBe(0);
    const g = JSON.parse(readFileSync(join(dir, 'out2', 'gamma.json'), 'utf8')) as { passRatePct: number; criteria: string };
    expect(g.passRatePct).toBe(100);
    expect(g.criteria).toBe('2 % / 2 mm, global, low-dose threshold 10 %');
  });

  it('fails points where a reference dose is 5 % higher in the flat part of the field (3 %/1 mm)', async () => {
    const ours = readRtDose(join(dir, 'out', 'RTDOSE.dcm'));
    const scaled = createScalarVolume(ours.dose.grid, ours.dose.data.map((v) => v * 1.05));
    writeRtDose({ ...ours, seriesInstanceUid: `${ours.seriesInstanceUid}.5`, dose: scaled, summationType: 'RECORD' }, join(dir, 'ref105', 'RTDOSE.dcm'));
    const r = await run(
      'dose', join(dir, 'case'), '--out', join(dir, 'out3'), '--grid-mm', '5',
      '--compare', join(dir, 'ref105', 'RTDOSE.dcm'), '--gamma', '3/1',
    );
    expect(r.code, r.err).toBe(0);
    const g = JSON.parse(readFileSync(join(dir, 'out3', 'gamma.json'), 'utf8')) as { passRatePct: number };
    expect(g.passRatePct).toBeLessThan(90);
  });

  it('refuses a folder without a CT with one typed error line', async () => {
    const r = await run('dose', join(dir, 'out'), '--out', join(dir, 'x'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^lattice: DicomError: expected a CT series, found none/);
  });

  it('refuses a plan with electrons, naming the beam', async () => {
    writeTestRtPlan(join(dir, 'electrons.dcm'), readCaseCt(), [0, 0, 0], [{ name: 'E1', gantryDeg: 0, fieldMm: [100, 100], mu: 100, radiationType: 'ELECTRON' }]);
    const r = await run('dose', join(dir, 'case'), '--plan', join(dir, 'electrons.dcm'), '--out', join(dir, 'y'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/PlanError: .*beam 1 "E1".*ELECTRON/);
  });

  it('takes the MLC transmission from the machine or the option, refusing one outside [0, 1) and a machine it cannot find', async () => {
    let r = await run('dose', join(dir, 'case'), '--out', join(dir, 'z'), '--mlc-transmission', '1.2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--mlc-transmission expects a fraction from 0 to below 1 .*found '1\.2'/);
    r = await run('dose', join(dir, 'case'), '--out', join(dir, 'z'), '--machine', 'no-such-linac');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/no-such-linac/);
    // a jaw-only field has no closed leaves: the Agility's 0.4 % changes nothing
    r = await run('dose', join(dir, 'case'), '--out', join(dir, 'agility'), '--grid-mm', '5', '--machine', 'agility');
    expect(r.code, r.err).toBe(0);
    const a = readRtDose(join(dir, 'agility', 'RTDOSE.dcm')).dose.data;
    const b = readRtDose(join(dir, 'out', 'RTDOSE.dcm')).dose.data;
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-6);
  });
});
