/**
 * `lattice plan` as a library function (src/plan/run-case.ts, planCase) on the built-in phantom at
 * 5 mm (a coarse, quick case): the lattice SIB of the seed-case template and an ordinary IMRT plan.
 *
 * What is checked and where the expectation comes from:
 * - the files and ROIs the workflow promises (run-case.ts header, README "Commands");
 * - the RT Dose read back by our reader and by pydicom (PLAN, GY, the CT's frame), validated by
 *   dciodvfy, and equal to the dose planCase held in memory within the DoseGridScaling quantum
 *   (PS3.3 C.8.8.3: dose = stored value x DoseGridScaling);
 * - `lattice dose --fluence plan.json` recomputing the same dose (the same recalculation function on
 *   the same CT, in another run);
 * - optimisation behaviour that must hold on any case (objective down by 10x, prescriptions within
 *   coarse-case tolerances). The seed-case quality targets are for the 2.5 mm phantom and are
 *   measured by the benchmark (bench/README.md), not here;
 * - determinism: the same inputs give the same plan.json, RTDOSE.dcm and RTSTRUCT.dcm, byte for byte.
 *
 * Runs: 16 coplanar beams and 40 iterations for the lattice plan (8 beams cannot shape 13 peaks of
 * 66.7 Gy: the objective stalls about 30x above the 16-beam one), 8 beams for IMRT; 2 threads; the
 * final dose on the 5 mm CT grid.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { DISCLAIMER } from '../../src/core/disclaimer.js';
import { sameGrid } from '../../src/geometry/grid.js';
import { rasterizeToMask } from '../../src/geometry/rasterize.js';
import type { ScalarVolume } from '../../src/geometry/volume.js';
import { countVoxels } from '../../src/geometry/volume.js';
import { readRtDose, readStructureSet } from '../../src/io/dicom/read/index.js';
import type { CtSeries } from '../../src/io/dicom/model.js';
import { buildSeedPhantom, writePhantom, type SeedPhantom } from '../../src/phantom/index.js';
import { equispacedAngles } from '../../src/plan/beams.js';
import { planCase, type PlanCaseResult } from '../../src/plan/run-case.js';
import { have, runTool, TOOLS } from '../helpers/external.js';

/**
 * Every RT Dose written in this file, with the dose volume handed to the writer (the in-memory dose)
 * and the scaling it wrote: the writer itself runs unchanged.
 */
const rtDoseWrites = vi.hoisted(() => [] as { file: string; dose: ScalarVolume; scaling: number }[]);
vi.mock('../../src/io/dicom/write/rtdose.js', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/io/dicom/write/rtdose.js')>();
  return {
    ...mod,
    writeRtDose: (...args: Parameters<typeof mod.writeRtDose>) => {
      const w = mod.writeRtDose(...args);
      rtDoseWrites.push({ file: args[1], dose: args[0].dose, scaling: w.doseGridScaling });
      return w;
    },
  };
});

/** `lattice ...` through the CLI entry point; stdout and stderr captured. */
async function lattice(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function maxOf(d: Float32Array): number {
  let m = 0;
  for (const v of d) if (v > m) m = v;
  return m;
}

/** dciodvfy's Error lines for a file (dicom3tools prints them on stderr). */
function dciodvfyErrors(file: string): { errors: string[]; aborted: boolean; output: string } {
  const r = runTool('dciodvfy', [file]);
  const output = `${r.stdout}\n${r.stderr}`;
  const lines = output.split('\n').map((l) => l.trim());
  return { errors: lines.filter((l) => l.startsWith('Error')), aborted: /Assertion .* failed/.test(output), output };
}

let dir: string;
let caseDir: string;
let phantom: SeedPhantom;
let ct: CtSeries;
let seed: PlanCaseResult;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-plan-case-'));
  caseDir = join(dir, 'phantom');
  phantom = buildSeedPhantom({ voxelSizeMm: 5 });
  const w = writePhantom(caseDir, phantom, 'dicom');
  if (w.format !== 'dicom') throw new Error('expected a DICOM phantom');
  ct = w.written.series;
  seed = planCase(caseDir, { outDir: join(dir, 'seed'), beams: equispacedAngles(16), maxIterations: 40, threads: 2, gridMm: 5, delivery: 'fluence' });
}, 180_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('planCase, seed-case template (lattice SIB) on the 5 mm phantom', () => {
  it('writes RTSTRUCT, RTDOSE, plan.json, vertices.json and the three reports, and nothing else', () => {
    const expected = ['RTDOSE.dcm', 'RTSTRUCT.dcm', 'plan.json', 'report.html', 'report.json', 'report.md', 'vertices.json'];
    expect(readdirSync(join(dir, 'seed')).sort()).toEqual(expected);
    expect(Object.values(seed.files).map((f) => f.slice(join(dir, 'seed').length + 1)).sort()).toEqual(expected);
  });

  it('the RTSTRUCT holds every input ROI, then PTV_6670, one Sphere_nn per kept vertex, Valley and NT_PTV_2000_20mm, on the CT frame', () => {
    const ss = readStructureSet(seed.files.rtstruct);
    expect(ss.frameOfReferenceUid).toBe(ct.frameOfReferenceUid);
    const names = ss.structures.map((s) => s.name);
    const input = phantom.structures.map((s) => s.name);
    expect(input).toContain('PTV_2000'); // the phantom carries PTV_2000 = GTV + 5 mm, so the plan uses it as given
    expect(names.slice(0, input.length)).toEqual(input);
    const audit = JSON.parse(readFileSync(seed.files.vertices!, 'utf8')) as { summary: { kept: number } };
    const kept = audit.summary.kept;
    expect(kept).toBeGreaterThan(0);
    const spheres = Array.from({ length: kept }, (_, n) => `Sphere_${String(n + 1).padStart(2, '0')}`);
    expect(names.slice(input.length)).toEqual(['PTV_6670', ...spheres, 'Valley', 'NT_PTV_2000_20mm']);
    // ROI numbers stay unique
    expect(new Set(ss.structures.map((s) => s.roiNumber)).size).toBe(ss.structures.length);
  });

  it('every sphere written lies inside PTV_6670 and mostly inside the GTV (contours rasterised back on the CT grid)', () => {
    const ss = readStructureSet(seed.files.rtstruct);
    const mask = (n: string) => rasterizeToMask(ss.structures.find((s) => s.name === n)!.contours, ct.hu.grid);
    const gtv = mask('GTV');
    const union = mask('PTV_6670');
    for (const s of ss.structures.filter((x) => x.name.startsWith('Sphere_'))) {
      const m = rasterizeToMask(s.contours, ct.hu.grid);
      expect(countVoxels(m), s.name).toBeGreaterThan(0);
      let outsideUnion = 0, outsideGtv = 0;
      for (let v = 0; v < m.data.length; v++) {
        if (!m.data[v]) continue;
        if (!union.data[v]) outsideUnion++;
        if (!gtv.data[v]) outsideGtv++;
      }
      expect(outsideUnion, s.name).toBe(0);
      // a partial vertex may reach outside the GTV, but keeps more than half of itself inside
      // (the placement's partialMin, 0.5 by default: src/lattice/params.ts)
      expect(outsideGtv / countVoxels(m), s.name).toBeLessThan(0.5);
    }
  });

  it('the RTDOSE reads back as PLAN, GY, on the CT frame and grid, equal to the dose planCase held within the DoseGridScaling quantum', () => {
    const rd = readRtDose(seed.files.rtdose);
    expect(rd.summationType).toBe('PLAN');
    expect(rd.units).toBe('GY');
    expect(rd.frameOfReferenceUid).toBe(ct.frameOfReferenceUid);
    expect(rd.studyInstanceUid).toBe(ct.studyInstanceUid);
    // a 5 mm dose grid on a 5 mm CT: the CT's own nodes over the patient's box (recalculate.ts
    // patientDoseGrid), i.e. same spacing and axes, origin a whole number of CT voxels from voxel 0,
    // and the grid within the CT
    const g = rd.dose.grid, c = ct.hu.grid;
    expect(g.spacingMm).toEqual(c.spacingMm);
    expect([...g.direction]).toEqual([...c.direction]);
    for (let a = 0; a < 3; a++) {
      const steps = (g.originMm[a]! - c.originMm[a]!) / c.spacingMm[a]!;
      expect(Math.abs(steps - Math.round(steps)), `axis ${a}`).toBeLessThan(1e-6);
      expect(Math.round(steps)).toBeGreaterThanOrEqual(0);
      expect(Math.round(steps) + g.size[a]!).toBeLessThanOrEqual(c.size[a]!);
    }
    const written = rtDoseWrites.filter((w) => w.file === seed.files.rtdose);
    expect(written).toHaveLength(1);
    const inMemory = written[0]!;
    // stored = round(dose / scaling): each voxel within half a quantum, plus single-precision rounding
    const tol = inMemory.scaling / 2 + maxOf(inMemory.dose.data) * 2 ** -23;
    expect(Math.abs(maxOf(rd.dose.data) - maxOf(inMemory.dose.data))).toBeLessThanOrEqual(tol);
    let worst = 0;
    for (let v = 0; v < rd.dose.data.length; v++) worst = Math.max(worst, Math.abs(rd.dose.data[v]! - inMemory.dose.data[v]!));
    expect(worst).toBeLessThanOrEqual(tol);
    // and the maximum is a lattice peak dose, well above the 20 Gy prescription
    expect(maxOf(rd.dose.data)).toBeGreaterThan(40);
  });

  it('lattice dose --fluence plan.json recomputes the same dose as RTDOSE.dcm, voxel by voxel within 1e-4 of the maximum', async () => {
    // Same function (recalculateFluencePlan), same CT and body, the weights as plan.json holds them
    // (planCase computes its final dose from that same plan object): only the run differs, so the two
    // agree to within the DoseGridScaling quanta of the two files (max / 2^32) and summation order.
    const out = join(dir, 'recalc');
    const r = await lattice('dose', caseDir, '--fluence', seed.files.plan, '--out', out, '--grid-mm', '5');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(DISCLAIMER);
    const ours = readRtDose(seed.files.rtdose);
    const again = readRtDose(join(out, 'RTDOSE.dcm'));
    expect(sameGrid(again.dose.grid, ours.dose.grid)).toBe(true);
    expect([again.summationType, again.units, again.frameOfReferenceUid]).toEqual(['PLAN', 'GY', ct.frameOfReferenceUid]);
    const max = maxOf(ours.dose.data);
    let worst = 0;
    for (let v = 0; v < ours.dose.data.length; v++) worst = Math.max(worst, Math.abs(again.dose.data[v]! - ours.dose.data[v]!));
    expect(worst).toBeLessThanOrEqual(1e-4 * max);
  });

  it.skipIf(!have(TOOLS.dciodvfy))('dciodvfy finds no error in RTSTRUCT.dcm', () => {
    const r = dciodvfyErrors(seed.files.rtstruct);
    expect(r.aborted, r.output).toBe(false);
    expect(r.output).toMatch(/RTStructureSet/);
    expect(r.errors).toEqual([]);
  });

  it.skipIf(!have(TOOLS.dciodvfy) || !have(TOOLS.pydicom))('dciodvfy finds no error in RTDOSE.dcm (its attributes, on a 16-bit copy: dciodvfy cannot read 32-bit pixels)', () => {
    // dicom3tools asserts BitsAllocated <= 16 and aborts on our 32-bit dose (test/io/dicom/write-rt.test.ts);
    // if it ever reads it, the original must pass too.
    const original = dciodvfyErrors(seed.files.rtdose);
    if (!original.aborted) expect(original.errors).toEqual([]);
    // pydicom re-quantises the pixels to 16 bits (BitsAllocated, BitsStored, HighBit, DoseGridScaling):
    // every other attribute is ours, as written
    const copy = join(dir, 'RTDOSE-16bit.dcm');
    const script = [
      'import sys, numpy as np, pydicom',
      'from pydicom.valuerep import DSfloat',
      'ds = pydicom.dcmread(sys.argv[1])',
      'dose = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)',
      's = dose.max() / 65535',
      "ds.PixelData = np.round(dose / s).astype('<u2').tobytes()",
      'ds.BitsAllocated = 16; ds.BitsStored = 16; ds.HighBit = 15',
      'ds.DoseGridScaling = DSfloat(s, auto_format=True)',
      'ds.save_as(sys.argv[2])',
    ].join('\n');
    const py = runTool(TOOLS.pydicom.command, ['-c', script, seed.files.rtdose, copy]);
    expect(py.status, py.stderr).toBe(0);
    const r = dciodvfyErrors(copy);
    expect(r.aborted, r.output).toBe(false);
    expect(r.output).toMatch(/RTDose/);
    expect(r.errors).toEqual([]);
  });

  it.skipIf(!have(TOOLS.pydicom))('pydicom reads DoseUnits GY, DoseSummationType PLAN, one frame per dose plane and the same maximum', () => {
    const script = [
      'import json, sys, numpy as np, pydicom',
      'ds = pydicom.dcmread(sys.argv[1])',
      'a = ds.pixel_array',
      'print(json.dumps({"units": ds.DoseUnits, "summation": ds.DoseSummationType, "frames": int(ds.NumberOfFrames),',
      '  "rows": int(ds.Rows), "columns": int(ds.Columns), "shape": list(a.shape), "for": ds.FrameOfReferenceUID,',
      '  "max": float(a.max()) * float(ds.DoseGridScaling), "scaling": float(ds.DoseGridScaling)}))',
    ].join('\n');
    const r = runTool(TOOLS.pydicom.command, ['-c', script, seed.files.rtdose]);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { units: string; summation: string; frames: number; rows: number; columns: number; shape: number[]; for: string; max: number; scaling: number };
    // the grid covers the patient's box of the CT's nodes (checked against the CT above): pydicom sees the
    // frames, rows and columns our reader reads
    const [nx, ny, nz] = readRtDose(seed.files.rtdose).dose.grid.size;
    expect(nx * ny * nz).toBeGreaterThan(0.5 * ct.hu.grid.size[0] * ct.hu.grid.size[1] * ct.hu.grid.size[2]);
    expect([d.units, d.summation, d.for]).toEqual(['GY', 'PLAN', ct.frameOfReferenceUid]);
    expect([d.frames, d.rows, d.columns]).toEqual([nz, ny, nx]);
    expect(d.shape).toEqual([nz, ny, nx]);
    const ours = maxOf(readRtDose(seed.files.rtdose).dose.data);
    expect(Math.abs(d.max - ours)).toBeLessThanOrEqual(d.scaling + ours * 2 ** -23);
  });

  it('optimises: the objective falls at least 10x, PTV_2000 D95 within 5 % of 20 Gy, PTV_6670 mean within 10 % of 66.7 Gy', () => {
    // prescriptions from the template (case report: 20 Gy to PTV_2000, 66.7 Gy to the spheres);
    // tolerances for a coarse 5 mm, 16-beam, 40-iteration plan, not the seed-case goals (bench)
    const o = seed.optimised;
    expect(o.objective).toBeLessThanOrEqual(o.initialObjective / 10);
    const s = (n: string) => seed.evaluation.structures.find((x) => x.name === n)!;
    expect(Math.abs(s('PTV_2000').planned.D95pctGy / 20 - 1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(s('PTV_6670').planned.meanGy / 66.7 - 1)).toBeLessThanOrEqual(0.1);
    // the final dose (recomputed on the full grid) agrees with the optimiser's dose at its points
    expect(seed.optimisedVsFinal.meanAbsGy).toBeLessThan(0.2);
    // plan.json records the same objective values
    const plan = JSON.parse(readFileSync(seed.files.plan, 'utf8')) as { objective: { initial: number; final: number }; fractions: number; beams: unknown[] };
    expect([plan.objective.initial, plan.objective.final]).toEqual([o.initialObjective, o.objective]);
    expect(plan.fractions).toBe(5);
    expect(plan.beams).toHaveLength(16);
  });

  it('report.md holds the disclaimer and the plan-goals table with a row per goal; report.html the disclaimer', () => {
    const md = readFileSync(seed.files.reportMd, 'utf8');
    expect(md).toContain('not a medical device');
    expect(md).toContain('## Plan goals\n\n| goal | achieved | target | met |\n|---|---|---|---|\n');
    expect(seed.goals.map((g) => g.goal)).toEqual(expect.arrayContaining(['PTV_2000 V20Gy', 'PTV_6670 mean', 'Valley median', 'NT_PTV_2000_20mm D0.03cc', 'tg101-5fx limits']));
    for (const g of seed.goals) expect(md).toContain(`| ${g.goal} | `);
    expect(readFileSync(seed.files.reportHtml, 'utf8')).toContain('not a medical device');
    const json = JSON.parse(readFileSync(seed.files.reportJson, 'utf8')) as { disclaimer: string; plan: { goals: unknown[] } };
    expect(json.disclaimer).toBe(DISCLAIMER);
    expect(json.plan.goals).toHaveLength(seed.goals.length);
  });
});

describe('planCase, imrt template on the 5 mm phantom', () => {
  let imrt: PlanCaseResult;
  let again: PlanCaseResult;
  beforeAll(() => {
    const opts = { template: 'imrt', beams: equispacedAngles(8), maxIterations: 40, threads: 2, gridMm: 5 };
    imrt = planCase(caseDir, { ...opts, outDir: join(dir, 'imrt') });
    again = planCase(caseDir, { ...opts, outDir: join(dir, 'imrt-again') });
  }, 180_000);

  it('builds PTV = GTV + 5 mm (the same volume as the phantom\'s own PTV_2000, GTV + 5 mm) and covers it: D95 within 5 % of 50 Gy', () => {
    const ptv = imrt.structures.all.find((s) => s.name === 'PTV')!;
    const ref = phantom.structures.find((s) => s.name === 'PTV_2000')!;
    expect(Math.abs(countVoxels(ptv.mask) / countVoxels(ref.mask) - 1)).toBeLessThan(0.01);
    const d95 = imrt.evaluation.structures.find((s) => s.name === 'PTV')!.planned.D95pctGy;
    expect(Math.abs(d95 / 50 - 1)).toBeLessThanOrEqual(0.05);
    expect(imrt.template.fractions).toBe(25);
  });

  it('writes no lattice structures and no vertices.json', () => {
    expect(imrt.files.vertices).toBeUndefined();
    expect(existsSync(join(dir, 'imrt', 'vertices.json'))).toBe(false);
    expect(readdirSync(join(dir, 'imrt')).sort()).toEqual(['RTDOSE.dcm', 'RTSTRUCT.dcm', 'plan.json', 'report.html', 'report.json', 'report.md']);
    const names = readStructureSet(imrt.files.rtstruct).structures.map((s) => s.name);
    expect(names.slice(phantom.structures.length)).toEqual(['PTV', 'NT_PTV_20mm']);
    expect(names.some((n) => n === 'PTV_6670' || n === 'Valley' || n.startsWith('Sphere_'))).toBe(false);
    expect(imrt.structures.peaks).toBeUndefined();
    expect(imrt.evaluation.sfrt).toBeUndefined();
  });

  it('is deterministic: a second run with the same inputs writes the same plan.json, RTDOSE.dcm and RTSTRUCT.dcm, byte for byte', () => {
    for (const f of ['plan.json', 'RTDOSE.dcm', 'RTSTRUCT.dcm']) {
      expect(sha256(join(dir, 'imrt-again', f)), f).toBe(sha256(join(dir, 'imrt', f)));
    }
    expect(again.optimised.objective).toBe(imrt.optimised.objective);
  });
});
