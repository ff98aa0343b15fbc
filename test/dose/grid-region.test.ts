/**
 * The dose grid covers the patient, not the whole CT, and `--grid-region ROI[:MARGIN_MM]` bounds it
 * further (issue 11 §3: "keep a fine grid bounded to the region that needs it"). The bounded grid's
 * nodes lie on the whole-CT grid's lattice, so its values are compared node by node with a dose
 * computed on the whole-CT grid (doseGridForCt + planDose, the path `lattice dose` took before).
 *
 * Phantom: a 40 x 40 x 40 CT of 5 mm voxels (origin -97.5 mm) holding a water cylinder (HU 0) in air
 * (-1000 HU): axis along z through x = 10 mm, y = 0, radius 40 mm, slices k = 6..29. Its voxels, by the
 * definition: |x_i - 10| <= 40 gives x_i in [-27.5, 47.5], i = 14..29; the widest rows (x_i = 7.5 and
 * 12.5, 2.5 mm from the axis) reach |y| <= 39.92, so y_j in [-37.5, 37.5], j = 12..27.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { InputError } from '../../src/core/errors.js';
import { FLUENCE_PLAN_FORMAT, FLUENCE_PLAN_VERSION, fluencePlanDose, recalculateFluencePlan, type FluencePlan } from '../../src/dose/fluence-plan.js';
import { redVolumeOfCt } from '../../src/dose/hlut.js';
import { PHOTON_6MV } from '../../src/dose/machine-6mv.js';
import { planDose } from '../../src/dose/plan-dose.js';
import {
  checkDoseGridMemory,
  doseGridBox,
  doseGridForCt,
  doseGridMemory,
  patientDoseGrid,
  recalculatePlan,
  structureGridRegion,
} from '../../src/dose/recalculate.js';
import { structureDvh } from '../../src/evaluate/dvh.js';
import { bodyMaskFromCt } from '../../src/geometry/body.js';
import { createGrid, indexToLps, linearIndex } from '../../src/geometry/grid.js';
import { createMask, createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import { readDicomCase, type DicomCase } from '../../src/io/dicom/case.js';
import { readRtDose } from '../../src/io/dicom/read/index.js';
import type { StructureSet } from '../../src/io/dicom/model.js';
import { writeCase, writeRtDose } from '../../src/io/dicom/write/index.js';
import { writeTestRtPlan } from '../fixtures/rtplan.js';

const N = 40;
const CT_MM = 5;
const ORIGIN_MM = -97.5;
const inCylinder = (i: number, j: number, k: number): boolean =>
  Math.hypot(ORIGIN_MM + CT_MM * i - 10, ORIGIN_MM + CT_MM * j) <= 40 && k >= 6 && k <= 29;
// the cylinder's CT voxels (header): i 14..29, j 12..27, k 6..29
const BODY_FROM = [14, 12, 6] as const;
const BODY_TO = [29, 27, 29] as const;
// PTV: a box of CT voxels i 18..23, j 16..21, k 14..19 (inside the cylinder), written as a mask
const PTV_FROM = [18, 16, 14] as const;
const PTV_TO = [23, 21, 19] as const;

let dir: string;
let dc: DicomCase;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-grid-region-'));
  const grid = createGrid({ size: [N, N, N], spacingMm: [CT_MM, CT_MM, CT_MM], originMm: [ORIGIN_MM, ORIGIN_MM, ORIGIN_MM] });
  const hu = new Float32Array(N ** 3);
  const ptv = new Uint8Array(N ** 3);
  for (let k = 0; k < N; k++) for (let j = 0; j < N; j++) for (let i = 0; i < N; i++) {
    const v = linearIndex(grid, i, j, k);
    hu[v] = inCylinder(i, j, k) ? 0 : -1000;
    ptv[v] = [i, j, k].every((c, a) => c >= PTV_FROM[a]! && c <= PTV_TO[a]!) ? 1 : 0;
  }
  const folder = join(dir, 'case');
  const w = writeCase(folder, {
    ct: createScalarVolume(grid, hu),
    structures: [{ name: 'PTV', interpretedType: 'PTV', colorRgb: [255, 0, 0], mask: createMask(grid, ptv) }],
    patientId: 'G',
    patientName: 'Grid^Region',
    structureSetLabel: 'G',
    seed: 'grid region cylinder',
  });
  // an anterior and a left lateral field through the cylinder's axis
  writeTestRtPlan(join(folder, 'RTPLAN.dcm'), w.series, [10, 0, 0], [
    { name: 'AP', gantryDeg: 0, fieldMm: [60, 60], mu: 100 },
    { name: 'LAT', gantryDeg: 90, fieldMm: [60, 60], mu: 100 },
  ], 1);
  dc = readDicomCase(folder);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The value of `dose` at node (i, j, k) of the whole-CT grid `whole`, or undefined outside it. */
function at(dose: ScalarVolume, whole: ReturnType<typeof doseGridForCt>, i: number, j: number, k: number, tolerance = 0): number | undefined {
  const o = dose.grid.originMm, s = dose.grid.spacingMm[0];
  const w = indexToLps(whole, [i, j, k]);
  const f = [0, 1, 2].map((x) => (w[x]! - o[x]!) / s);
  const [a, b, c] = f.map(Math.round) as [number, number, number];
  // a node of `dose` within `tolerance` (index units: 0 for positions that are exact binary fractions)
  if (!f.every((v, x) => Math.abs(v - [a, b, c][x]!) <= tolerance) || ![a, b, c].every((v, x) => v >= 0 && v < dose.grid.size[x]!)) return undefined;
  return dose.data[linearIndex(dose.grid, a, b, c)]!;
}

describe('the default dose grid covers the patient', () => {
  it('is the box of the body\'s CT voxels plus one dose voxel, on the whole-CT lattice (5 mm: the CT voxels)', () => {
    const box = doseGridBox(dc.ct, 5);
    expect(box.from).toEqual(BODY_FROM.map((c) => c - 1));
    expect(box.to).toEqual(BODY_TO.map((c) => c + 1));
    const g = patientDoseGrid(dc.ct, 5);
    expect(g.size).toEqual([18, 18, 26]);
    expect([...g.originMm]).toEqual(box.from.map((c) => ORIGIN_MM + 5 * c));
  });

  it('at 10 mm keeps the nodes whose nearest CT voxel is in the body, plus one', () => {
    // node n lies 10 n mm from CT voxel 0: nearest CT voxel 2 n. In the body: 2n in [14, 29] -> n 7..14,
    // [12, 27] -> 6..13, [6, 29] -> 3..14; one node more each side
    const box = doseGridBox(dc.ct, 10);
    expect(box.from).toEqual([6, 5, 2]);
    expect(box.to).toEqual([15, 14, 15]);
    // and the memory estimate counts that grid: 10 x 10 x 14 voxels
    expect(doseGridMemory(dc.ct, 10, { fields: 1, threads: 1 }).size).toEqual([10, 10, 14]);
  });

  it('holds the same dose as the whole-CT grid at every node, and the whole-CT grid holds 0 outside it', () => {
    const plan = dc.plans[0]!;
    const whole = doseGridForCt(dc.ct, 5);
    const ref = planDose(PHOTON_6MV, plan, dc.ct, whole, { threads: 1 }).dosePerFractionGy;
    const r = recalculatePlan(dc.ct, plan, { gridSpacingMm: 5, threads: 1 });
    expect(r.doseGrid.size).toEqual([18, 18, 26]);
    let inside = 0, differ = 0, outsideNonZero = 0, max = 0;
    for (let k = 0; k < whole.size[2]; k++) for (let j = 0; j < whole.size[1]; j++) for (let i = 0; i < whole.size[0]; i++) {
      const w = ref.data[linearIndex(whole, i, j, k)]!;
      max = Math.max(max, w);
      const b = at(r.dosePerFractionGy, whole, i, j, k);
      if (b === undefined) {
        if (w !== 0) outsideNonZero++;
        continue;
      }
      inside++;
      if (b !== w) differ++;
    }
    expect(max).toBeGreaterThan(0.5); // the fields deliver dose: about 1 Gy per 100 MU
    expect(inside).toBe(18 * 18 * 26);
    expect(differ).toBe(0);
    expect(outsideNonZero).toBe(0);
  });

  it('writes an RT Dose whose position is the bounded grid\'s origin, and gives the same DVH as the whole-CT dose', () => {
    const plan = dc.plans[0]!;
    const whole = doseGridForCt(dc.ct, 5);
    const ref = planDose(PHOTON_6MV, plan, dc.ct, whole, { threads: 1 }).dosePerFractionGy;
    const r = recalculatePlan(dc.ct, plan, { gridSpacingMm: 5, threads: 1 });
    const file = join(dir, 'bounded', 'RTDOSE.dcm');
    const ident = { patientId: 'G', patientName: 'Grid^Region', studyInstanceUid: dc.ct.studyInstanceUid, frameOfReferenceUid: dc.ct.frameOfReferenceUid, summationType: 'PLAN' as const };
    writeRtDose({ ...ident, seriesInstanceUid: `${dc.ct.studyInstanceUid}.7`, dose: r.totalDoseGy, referencedPlanSopInstanceUid: plan.sopInstanceUid }, file);
    const back = readRtDose(file);
    expect(back.dose.grid.size).toEqual(r.doseGrid.size);
    for (let a = 0; a < 3; a++) expect(back.dose.grid.originMm[a]).toBeCloseTo(ORIGIN_MM + 5 * (BODY_FROM[a]! - 1), 6);
    // DVHs of the PTV (inside the body) from the two doses: the bounded grid keeps every node the PTV's
    // sampling reads, so the histograms are the same
    const ptv = dc.structureSet!.structures.find((s) => s.name === 'PTV')!;
    const a = structureDvh(ptv, ref), b = structureDvh(ptv, r.dosePerFractionGy);
    expect(a.outsideCc).toBe(0);
    expect(b.outsideCc).toBe(0);
    expect([b.minGy, b.meanGy, b.maxGy, b.volumeCc]).toEqual([a.minGy, a.meanGy, a.maxGy, a.volumeCc]);
    expect([...b.differentialCc]).toEqual([...a.differentialCc]);
  });


  it('on a CT whose spacing and origin are not binary fractions too (1.3 mm from -61.13 mm, 3 mm grid)', () => {
    const n = 77, nz = 12;
    const grid = createGrid({ size: [n, n, nz], spacingMm: [1.3, 1.3, 3.3], originMm: [-61.13, -61.02, -17.9] });
    const hu = new Float32Array(n * n * nz);
    const body = new Uint8Array(n * n * nz);
    for (let k = 0; k < nz; k++) for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
      const x = indexToLps(grid, [i, j, k]);
      const inside = Math.hypot(x[0] - 3, x[1]) < 30 && k > 1 && k < 10;
      hu[linearIndex(grid, i, j, k)] = inside ? 0 : -1000;
      body[linearIndex(grid, i, j, k)] = inside ? 1 : 0;
    }
    const folder = join(dir, 'odd');
    const w = writeCase(folder, { ct: createScalarVolume(grid, hu), structures: [{ name: 'B', interpretedType: 'ORGAN', colorRgb: [0, 0, 255], mask: createMask(grid, body) }], patientId: 'O', patientName: 'Odd^Grid', structureSetLabel: 'O', seed: 'odd grid' });
    writeTestRtPlan(join(folder, 'RTPLAN.dcm'), w.series, [3, 0, 0], [{ name: 'AP', gantryDeg: 0, fieldMm: [40, 40], mu: 100 }, { name: 'L', gantryDeg: 70, fieldMm: [40, 40], mu: 100 }], 1);
    const odd = readDicomCase(folder);
    const whole = doseGridForCt(odd.ct, 3);
    const ref = planDose(PHOTON_6MV, odd.plans[0]!, odd.ct, whole, { threads: 1 }).dosePerFractionGy;
    const r = recalculatePlan(odd.ct, odd.plans[0]!, { gridSpacingMm: 3, threads: 1 });
    expect(r.doseGrid.size[0]).toBeLessThan(whole.size[0]);
    let nodes = 0, differ = 0, outsideNonZero = 0;
    for (let k = 0; k < whole.size[2]; k++) for (let j = 0; j < whole.size[1]; j++) for (let i = 0; i < whole.size[0]; i++) {
      const w = ref.data[linearIndex(whole, i, j, k)]!;
      const b = at(r.dosePerFractionGy, whole, i, j, k, 1e-6);
      if (b === undefined) {
        if (w !== 0) outsideNonZero++;
        continue;
      }
      nodes++;
      if (b !== w) differ++;
    }
    expect(nodes).toBe(r.doseGrid.size[0] * r.doseGrid.size[1] * r.doseGrid.size[2]);
    expect([differ, outsideNonZero]).toEqual([0, 0]);
  });

  it('for a fluence plan covers the body as well, and holds the same dose as the whole-CT grid', () => {
    // a body voxel in the air beside the cylinder (CT voxel 35, 20, 20) widens the box to node 36 along x
    const body = bodyMaskFromCt(dc.ct.hu);
    expect(doseGridBox(dc.ct, 5, { inside: body })).toEqual(doseGridBox(dc.ct, 5));
    const wider = createMask(body.grid, Uint8Array.from(body.data));
    wider.data[linearIndex(body.grid, 35, 20, 20)] = 1;
    expect(doseGridBox(dc.ct, 5, { inside: wider })).toEqual({ from: [13, 11, 5], to: [36, 28, 30] });
    // the fluence path: the body is the CT above -500 HU (no body ROI in this structure set)
    const plan: FluencePlan = {
      format: FLUENCE_PLAN_FORMAT, version: FLUENCE_PLAN_VERSION, frameOfReferenceUid: dc.ct.frameOfReferenceUid, machine: 'lattice-rt 6 MV',
      beamletMm: 5, pixelMm: 2.5, fractions: 2,
      beams: [{ name: 'AP', gantryDeg: 0, collimatorDeg: 0, couchDeg: 0, isocenterLps: [10, 0, 0], sadMm: 1000, i0: -4, j0: -4, nbu: 8, nbv: 8, beamlets: [[3, 3, 50], [4, 3, 80], [3, 4, 60], [4, 4, 70]] }],
    };
    const whole = doseGridForCt(dc.ct, 5);
    const ref = fluencePlanDose(PHOTON_6MV, plan, redVolumeOfCt(dc.ct.hu), whole, { threads: 1, inside: body });
    const r = recalculateFluencePlan(dc.ct, dc.structureSet, plan, { gridSpacingMm: 5, threads: 1 });
    expect(r.doseGrid.size).toEqual([18, 18, 26]);
    let differ = 0, outsideNonZero = 0, max = 0;
    for (let k = 0; k < whole.size[2]; k++) for (let j = 0; j < whole.size[1]; j++) for (let i = 0; i < whole.size[0]; i++) {
      const w = ref.data[linearIndex(whole, i, j, k)]!;
      max = Math.max(max, w);
      const b = at(r.dosePerFractionGy, whole, i, j, k);
      if (b === undefined) outsideNonZero += w !== 0 ? 1 : 0;
      else differ += b !== w ? 1 : 0;
    }
    expect(max).toBeGreaterThan(0.1);
    expect([differ, outsideNonZero]).toEqual([0, 0]);
    // and bounded to a region
    const region = structureGridRegion(dc.ct, dc.structureSet, 'PTV', 10);
    expect(recalculateFluencePlan(dc.ct, dc.structureSet, plan, { gridSpacingMm: 5, threads: 1, gridRegion: region }).doseGrid.size).toEqual([12, 12, 10]);
  });
});

describe('lattice evaluate of the patient-bounded dose', () => {
  it('reports what it reports for the whole-CT dose', async () => {
    const plan = dc.plans[0]!;
    const whole = planDose(PHOTON_6MV, plan, dc.ct, doseGridForCt(dc.ct, 5), { threads: 1 }).dosePerFractionGy;
    const bounded = recalculatePlan(dc.ct, plan, { gridSpacingMm: 5, threads: 1 }).totalDoseGy;
    const ident = { patientId: 'G', patientName: 'Grid^Region', studyInstanceUid: dc.ct.studyInstanceUid, frameOfReferenceUid: dc.ct.frameOfReferenceUid, summationType: 'PLAN' as const, referencedPlanSopInstanceUid: plan.sopInstanceUid };
    const reports: string[] = [];
    for (const [name, dose] of [['whole', whole], ['bounded', bounded]] as const) {
      const file = join(dir, `eval-${name}.dcm`);
      writeRtDose({ ...ident, seriesInstanceUid: `${dc.ct.studyInstanceUid}.8`, dose }, file);
      const r = await run('evaluate', join(dir, 'case'), '--dose', file, '--fractions-planned', '1', '--out', join(dir, `eval-${name}`), '--json');
      expect(r.code, r.err).toBe(0);
      reports.push(r.out.replaceAll(file, 'DOSE').replaceAll(join(dir, `eval-${name}`), 'OUT'));
    }
    expect(reports[0]).toMatch(/"name": "PTV"[^]*"outsideFraction": 0,[^]*"meanGy": 1\.\d+/);
    expect(reports[1]).toBe(reports[0]);
  });
});

describe('--grid-region bounds the grid to a structure', () => {
  it('covers the ROI\'s contour box grown by the margin, within the patient, on the same lattice', () => {
    // a square contour from x = 0 to 20 mm, y = -10 to 10 mm on slices z = -5, 5 (CT frame = LPS here)
    const square = (z: number): Float64Array => Float64Array.from([0, -10, z, 20, -10, z, 20, 10, z, 0, 10, z]);
    const ss = {
      structures: [
        { roiNumber: 1, name: 'PTV', interpretedType: 'PTV', contours: [-5, 5].map((z) => ({ geometricType: 'CLOSED_PLANAR', pointsLps: square(z) })) },
        { roiNumber: 2, name: 'Cord', interpretedType: 'ORGAN', contours: [] },
      ],
    } as unknown as StructureSet;
    const region = structureGridRegion(dc.ct, ss, 'PTV', 10, 'test');
    // mm from CT voxel 0 (-97.5): x [97.5, 117.5] +- 10, y [87.5, 107.5] +- 10, z [92.5, 102.5] +- 10
    expect([...region.minMm]).toEqual([87.5, 77.5, 82.5]);
    expect([...region.maxMm]).toEqual([127.5, 117.5, 112.5]);
    // 5 mm nodes enclosing it: x 17..26 (87.5 / 5 = 17.5 -> 17, 127.5 / 5 = 25.5 -> 26), y 15..24, z 16..23;
    // all inside the patient box (13..30, 11..28, 5..30)
    expect(doseGridBox(dc.ct, 5, { region })).toEqual({ from: [17, 15, 16], to: [26, 24, 23] });
    // a 50 mm margin reaches beyond the patient: clipped to its box
    const wide = structureGridRegion(dc.ct, ss, 'PTV', 50, 'test');
    // (x [47.5, 167.5] -> nodes 9..34, y [37.5, 157.5] -> 7..32, z [42.5, 152.5] -> 8..31)
    expect(doseGridBox(dc.ct, 5, { region: wide })).toEqual({ from: [13, 11, 8], to: [30, 28, 30] });
    expect(() => structureGridRegion(dc.ct, ss, 'NOPE', 10, '--grid-region NOPE')).toThrow(
      new InputError('--grid-region NOPE: no ROI named "NOPE"; the structure set has "PTV", "Cord"'),
    );
    expect(() => structureGridRegion(dc.ct, ss, 'Cord', 10, '--grid-region Cord')).toThrow('--grid-region Cord: ROI "Cord" has no contour points');
  });

  /** Largest |bounded - whole| over the bounded grid's nodes, and the whole dose's maximum. */
  function compare(bounded: ScalarVolume, ref: ScalarVolume): { worst: number; max: number; nodes: number } {
    const whole = ref.grid;
    let max = 0, worst = 0, nodes = 0;
    for (const v of ref.data) max = Math.max(max, v);
    for (let k = 0; k < whole.size[2]; k++) for (let j = 0; j < whole.size[1]; j++) for (let i = 0; i < whole.size[0]; i++) {
      const b = at(bounded, whole, i, j, k);
      if (b === undefined) continue;
      nodes++;
      worst = Math.max(worst, Math.abs(b - ref.data[linearIndex(whole, i, j, k)]!));
    }
    return { worst, max, nodes };
  }

  it('computes the region\'s nodes as the whole-CT grid does: exactly with one ray per voxel', () => {
    const plan = dc.plans[0]!;
    const whole = doseGridForCt(dc.ct, 5);
    const region = structureGridRegion(dc.ct, dc.structureSet, 'PTV', 10);
    const bounded = patientDoseGrid(dc.ct, 5, { region });
    const ref = planDose(PHOTON_6MV, plan, dc.ct, whole, { threads: 1, bevDepth: false }).dosePerFractionGy;
    const c = compare(planDose(PHOTON_6MV, plan, dc.ct, bounded, { threads: 1, bevDepth: false }).dosePerFractionGy, ref);
    expect(c.nodes).toBe(bounded.size[0] * bounded.size[1] * bounded.size[2]);
    expect(c.max).toBeGreaterThan(0.5);
    // the same points, the same rays; the convolution canvases differ in size, so float32 rounding
    expect(c.worst).toBeLessThanOrEqual(c.max * 2 ** -23);
  });

  it('and with the default depth tables to their accuracy, 0.5 % of the maximum each way (docs/dose-engine.md)', () => {
    // The depth tables' rays start at the computed points' beam's-eye-view bounds, which differ between a
    // region and the whole patient: each grid's dose is within 0.5 % of the maximum of the per-voxel-ray
    // dose (bev-depth.test.ts), so the two within 1 %.
    const plan = dc.plans[0]!;
    const whole = doseGridForCt(dc.ct, 5);
    const ref = planDose(PHOTON_6MV, plan, dc.ct, whole, { threads: 1 }).dosePerFractionGy;
    const region = structureGridRegion(dc.ct, dc.structureSet, 'PTV', 10);
    const r = recalculatePlan(dc.ct, plan, { gridSpacingMm: 5, threads: 1, gridRegion: region });
    // PTV voxels 18..23 x 16..21 x 14..19: outlined on their edges in-plane, x 87.5..117.5 and
    // y 77.5..107.5 mm from CT voxel 0, on the slices' centres along z, 70..95 mm; + 10 mm: nodes
    // 15..26, 13..24, 12..21 (within the patient)
    expect(r.doseGrid.size).toEqual([12, 12, 10]);
    expect([...r.doseGrid.originMm]).toEqual([15, 13, 12].map((n) => ORIGIN_MM + 5 * n));
    const c = compare(r.dosePerFractionGy, ref);
    expect(c.nodes).toBe(12 * 12 * 10);
    expect(c.worst / c.max).toBeLessThan(0.01);
  });
});

describe('the memory check counts the bounded grid', () => {
  it('refuses a grid that does not fit over the patient, and accepts it bounded to a region', () => {
    const work = { fields: 2, threads: 1 };
    const region = structureGridRegion(dc.ct, dc.structureSet, 'PTV', 10, '--grid-region PTV:10');
    const patient = doseGridMemory(dc.ct, 1, work);
    const bounded = doseGridMemory(dc.ct, 1, work, region);
    expect(bounded.bytes).toBeLessThan(patient.bytes);
    const limit = (patient.bytes + bounded.bytes) / 2;
    expect(() => checkDoseGridMemory(dc.ct, 1, work, { limitBytes: limit })).toThrow(/or bound the grid with --grid-region ROI\[:MARGIN_MM\]/);
    expect(checkDoseGridMemory(dc.ct, 1, work, { limitBytes: limit, region })).toEqual(bounded);
  });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  // --json reports go to process.stdout.write
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((t: string | Uint8Array) => (out.push(String(t)), true));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stdout.mockRestore();
  }
}

describe('lattice dose --grid-region', () => {
  it('refuses an unknown ROI in one line naming the option and the ROIs there are', async () => {
    const r = await run('dose', join(dir, 'case'), '--out', join(dir, 'out-nope'), '--grid-region', 'NOPE');
    expect(r.code).toBe(1);
    expect(r.err).toBe('lattice: InputError: --grid-region NOPE: no ROI named "NOPE"; the structure set has "PTV"');
  });

  it('refuses a negative margin or a missing ROI name in one line', async () => {
    for (const [value, message] of [
      ['PTV:-5', "lattice: error: --grid-region expects a margin of 0 mm or more after the ROI name, found 'PTV:-5' (see lattice dose --help)"],
      [':20', "lattice: error: --grid-region expects an ROI name, optionally with :MARGIN_MM (e.g. PTV:20), found ':20' (see lattice dose --help)"],
    ]) {
      const r = await run('dose', join(dir, 'case'), '--out', join(dir, 'out-bad'), '--grid-region', value!);
      expect(r.code, value).toBe(1);
      expect(r.err, value).toBe(message);
    }
  });

  it('writes the RT Dose of the region, positioned on the whole-CT lattice', async () => {
    const r = await run('dose', join(dir, 'case'), '--out', join(dir, 'out-ptv'), '--grid-mm', '5', '--grid-region', 'PTV:10');
    expect(r.code, r.err).toBe(0);
    // as the library test above: nodes 15..26, 13..24, 12..21 of the whole-CT grid
    expect(r.out).toMatch(/dose grid 12 x 12 x 10 at 5 mm \(--grid-region PTV:10\)/);
    const d = readRtDose(join(dir, 'out-ptv', 'RTDOSE.dcm'));
    expect(d.dose.grid.size).toEqual([12, 12, 10]);
    [15, 13, 12].forEach((n, a) => expect(d.dose.grid.originMm[a]).toBeCloseTo(ORIGIN_MM + 5 * n, 6));
  });

  it('gamma-compares over the region only, normalised to the whole reference\'s maximum', async () => {
    const full = await run('dose', join(dir, 'case'), '--out', join(dir, 'out-full'), '--grid-mm', '5');
    expect(full.code, full.err).toBe(0);
    const refFile = join(dir, 'out-full', 'RTDOSE.dcm');
    const r = await run('dose', join(dir, 'case'), '--out', join(dir, 'out-gamma'), '--grid-mm', '5', '--grid-region', 'PTV:10', '--compare', refFile, '--gamma', '3/3');
    expect(r.code, r.err).toBe(0);
    const g = JSON.parse(readFileSync(join(dir, 'out-gamma', 'gamma.json'), 'utf8')) as { passRatePct: number; evaluatedPoints: number; criteria: string };
    expect(g.criteria).toBe('3 % / 3 mm, global, low-dose threshold 10 %, within --grid-region PTV:10');
    // the reference (patient grid: nodes from 13, 11, 5) at or above 10 % of its maximum, within the
    // region's nodes 15..26, 13..24, 12..21
    const ref = readRtDose(refFile).dose;
    let max = 0;
    for (const v of ref.data) max = Math.max(max, v);
    let expected = 0, beyond = 0;
    for (let k = 0; k < ref.grid.size[2]; k++) for (let j = 0; j < ref.grid.size[1]; j++) for (let i = 0; i < ref.grid.size[0]; i++) {
      if (ref.data[linearIndex(ref.grid, i, j, k)]! < 0.1 * max) continue;
      const inRegion = i + 13 >= 15 && i + 13 <= 26 && j + 11 >= 13 && j + 11 <= 24 && k + 5 >= 12 && k + 5 <= 21;
      if (inRegion) expected++;
      else beyond++;
    }
    expect(beyond).toBeGreaterThan(0); // points that would fail against a dose of 0
    expect(g.evaluatedPoints).toBe(expected);
    expect(g.passRatePct).toBe(100);
  });

  it('is in the help', async () => {
    const r = await run('dose', '--help');
    expect(r.code).toBe(0);
    expect(r.out.replace(/\s+/g, ' ')).toMatch(/--grid-region <roi\[:mm\]> bound the dose grid to an ROI's bounding box grown/);
  });
});
