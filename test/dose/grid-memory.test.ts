/**
 * The memory estimate of a dose calculation and the refusal of a dose grid too fine to compute
 * (issue 11 §3: `lattice dose --grid-mm 0.3` used to die with "Fatal JavaScript invalid size error").
 * Expected figures are derived here from the geometry (dose voxels whose nearest CT voxel is water)
 * and from the per-voxel bytes stated in src/dose/recalculate.ts.
 */

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { InputError, PlanError } from '../../src/core/errors.js';
import { FLUENCE_PLAN_FORMAT, FLUENCE_PLAN_VERSION } from '../../src/dose/fluence-plan.js';
import { checkDoseGridMemory, doseGridForCt, doseGridMemory, MAX_DOSE_POINTS } from '../../src/dose/recalculate.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import type { CtSeries } from '../../src/io/dicom/model.js';
import { writeCase } from '../../src/io/dicom/write/index.js';
import { writeTestRtPlan } from '../fixtures/rtplan.js';

// The figures stated in src/dose/recalculate.ts, bytes:
const PER_GRID_VOXEL = 4 + 4 + 4 + 8; // dose, total, RT Dose pixels, encoded copy
const PER_POINT_MAIN = 36 + 12 + 24 + 8; // JS coordinate and index lists with slack, Float64 coordinates, sum
const PER_POINT_PER_BEAM = 24 + 4 + 4 + 12 + 1 + 16; // cu cv f, depth, base, fu fv wf, level, 4 coefficients
const PER_POINT_PER_THREAD = 24 + 8; // depth-table inputs u v l, batch dose
const SHARED = 24;
const PER_WORKER = 8;

// CT: 40 x 40 x 40 voxels of 5 mm (extent 195 mm between the outer voxel centres); `box` CT has water
// in voxels 10..29 along every axis and air elsewhere, `water` CT is water throughout.
const N_CT = 40;
const CT_MM = 5;
const EXTENT_MM = (N_CT - 1) * CT_MM;
// the water voxels 10..29 span [9.5, 29.5] x 5 mm from voxel 0's centre
const WATER_FROM_MM = 9.5 * CT_MM;
const WATER_TO_MM = 29.5 * CT_MM;

/** Dose voxels along one axis at spacing s of the whole-CT grid: every CT centre covered, from CT voxel 0. */
const axisVoxels = (s: number): number => Math.floor(EXTENT_MM / s + 1e-9) + 1;
/** Dose voxels along one axis whose position i s lies in the water (nearest CT voxel water). */
function axisInWater(s: number): number {
  let c = 0;
  for (let i = 0; i < axisVoxels(s); i++) if (i * s >= WATER_FROM_MM && i * s < WATER_TO_MM) c++;
  return c;
}
/** Dose voxels along one axis of the `box` CT's dose grid: those in the water plus one each side
 * (the grid covers the patient, src/dose/recalculate.ts patientDoseGrid), within the whole-CT grid. */
function axisInBox(s: number): number {
  let first = -1, last = -1;
  for (let i = 0; i < axisVoxels(s); i++) {
    if (i * s >= WATER_FROM_MM && i * s < WATER_TO_MM) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return Math.min(axisVoxels(s) - 1, last + 1) - Math.max(0, first - 1) + 1;
}

/** The smallest multiple of 0.01 mm >= from whose grid passes `fits`. */
function finestOnLattice(from: number, fits: (s: number) => boolean): number {
  for (let k = Math.ceil(from * 100 - 1e-9); ; k++) if (fits(k / 100)) return k / 100;
}

let dir: string;
let box: CtSeries;
let water: CtSeries;

function writeCt(name: string, huAt: (i: number, j: number, k: number) => number): string {
  const grid = createGrid({ size: [N_CT, N_CT, N_CT], spacingMm: [CT_MM, CT_MM, CT_MM], originMm: [-97.5, -97.5, -97.5] });
  const hu = new Float32Array(N_CT ** 3);
  for (let k = 0; k < N_CT; k++) for (let j = 0; j < N_CT; j++) for (let i = 0; i < N_CT; i++) hu[i + N_CT * (j + N_CT * k)] = huAt(i, j, k);
  const folder = join(dir, name);
  const w = writeCase(folder, { ct: createScalarVolume(grid, hu), structures: [], patientId: 'M', patientName: 'Memory^Test', structureSetLabel: 'M', seed: name });
  writeTestRtPlan(join(folder, 'RTPLAN.dcm'), w.series, [0, 0, 0], [{ name: 'AP', gantryDeg: 0, fieldMm: [100, 100], mu: 100 }], 1);
  return folder;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-grid-memory-'));
  const inBox = (v: number): boolean => v >= 10 && v < 30;
  box = readDicomCase(writeCt('box', (i, j, k) => (inBox(i) && inBox(j) && inBox(k) ? 0 : -1000))).ct;
  water = readDicomCase(writeCt('water', () => 0)).ct;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dose grid memory estimate', () => {
  it('counts every voxel of the grid over the patient and, per point, only the dose voxels nearest to a non-air CT voxel', () => {
    const m = doseGridMemory(box, 2, { fields: 1, threads: 1 });
    const n = axisInBox(2); // 52 of the whole CT's 98
    const inWater = axisInWater(2); // 2 i in [47.5, 147.5): i = 24..73, 50 voxels; the grid: 23..74
    expect([axisVoxels(2), n, inWater]).toEqual([98, 52, 50]);
    expect(m.size).toEqual([n, n, n]);
    expect(m.voxels).toBe(n ** 3);
    expect(m.computedPoints).toBe(inWater ** 3);
    const perPoint = PER_POINT_MAIN + PER_POINT_PER_BEAM + PER_POINT_PER_THREAD;
    expect(m.bytes).toBe(n ** 3 * PER_GRID_VOXEL + inWater ** 3 * perPoint);
  });

  it('counts each thread\'s share of the fields, prepared up to 8 together, and the buffers shared with worker threads', () => {
    // 20 fields over 4 threads: 5 per thread, all 5 prepared together
    const m = doseGridMemory(box, 2, { fields: 20, threads: 4 });
    const perPoint = PER_POINT_MAIN + SHARED + 3 * PER_WORKER + 4 * (5 * PER_POINT_PER_BEAM + PER_POINT_PER_THREAD);
    expect(m.bytes).toBe(52 ** 3 * PER_GRID_VOXEL + 50 ** 3 * perPoint);
    // 5 fields on 2 threads: contiguous shares of 2 and 3 fields
    const m3 = doseGridMemory(box, 2, { fields: 5, threads: 2 });
    const shares = PER_POINT_MAIN + SHARED + PER_WORKER + (2 * PER_POINT_PER_BEAM + PER_POINT_PER_THREAD) + (3 * PER_POINT_PER_BEAM + PER_POINT_PER_THREAD);
    expect(m3.bytes).toBe(52 ** 3 * PER_GRID_VOXEL + 50 ** 3 * shares);
    // 100 fields on 2 threads: batches of 8
    const m2 = doseGridMemory(box, 2, { fields: 100, threads: 2 });
    expect(m2.bytes).toBe(52 ** 3 * PER_GRID_VOXEL + 50 ** 3 * (PER_POINT_MAIN + SHARED + PER_WORKER + 2 * (8 * PER_POINT_PER_BEAM + PER_POINT_PER_THREAD)));
  });

  it('refuses a grid over the memory limit with its bytes, voxels and the finest spacing that fits', () => {
    const limit = 50e6; // below 1 GB the figures are in MB
    const perPoint = PER_POINT_MAIN + PER_POINT_PER_BEAM + PER_POINT_PER_THREAD;
    const bytesAt = (s: number): number => axisInBox(s) ** 3 * PER_GRID_VOXEL + axisInWater(s) ** 3 * perPoint;
    const s = 0.7;
    const need = bytesAt(s);
    expect(need).toBeGreaterThan(limit);
    const finest = finestOnLattice(s, (t) => bytesAt(t) <= limit);
    expect(() => checkDoseGridMemory(box, s, { fields: 1, threads: 1 }, { limitBytes: limit })).toThrow(InputError);
    // a cube of nodes all in the patient fits when n^3 (PER_GRID_VOXEL + perPoint) <= limit: n = 63
    // (193 bytes a node: 63^3 -> 48.3 MB, 64^3 -> 50.6 MB), 62 x 0.7 = 43.4 mm across
    expect(Math.floor(Math.cbrt(limit / (PER_GRID_VOXEL + perPoint)))).toBe(63);
    const n = axisInBox(s);
    expect(() => checkDoseGridMemory(box, s, { fields: 1, threads: 1 }, { limitBytes: limit })).toThrow(
      `dose grid spacing 0.7 mm: the dose grid over the patient would need ${(need / 1e6).toFixed(1)} MB ` +
        `(${n} x ${n} x ${n} voxels, ${(axisInWater(s) ** 3 / 1e6).toFixed(1)} million of them in the patient); ` +
        `the limit is 50.0 MB; the finest grid that fits is ${finest} mm; ` +
        'or bound the grid with --grid-region ROI[:MARGIN_MM]: at 0.7 mm a region up to 43 mm across fits',
    );
    // and that spacing is accepted
    expect(checkDoseGridMemory(box, finest, { fields: 1, threads: 1 }, { limitBytes: limit }).bytes).toBe(bytesAt(finest));
  });

  it('refuses more computed points than the engine can gather (V8 array limit), whatever the memory', () => {
    // water throughout: every dose voxel is computed; 0.5 mm gives 391^3 = 59.8 million points
    expect(axisVoxels(0.5) ** 3).toBeGreaterThan(MAX_DOSE_POINTS);
    const finest = finestOnLattice(0.5, (t) => axisVoxels(t) ** 3 <= MAX_DOSE_POINTS);
    expect(finest).toBe(0.59); // 195 / 0.59 -> 331 voxels a side, 36.3 million; 0.58 -> 337, 38.3 million
    // a region fits while its cube of nodes holds at most MAX_DOSE_POINTS: 334 a side (37.26 million;
    // 335: 37.60), 333 x 0.5 = 166.5 mm across
    expect(Math.floor(Math.cbrt(MAX_DOSE_POINTS))).toBe(334);
    expect(() => checkDoseGridMemory(water, 0.5, { fields: 1, threads: 1 }, { limitBytes: 1e15 })).toThrow(
      /^dose grid spacing 0\.5 mm: the dose grid over the patient would have 59\.8 million voxels in the patient to compute \(391 x 391 x 391 voxels\), more than the 37\.3 million the dose engine can hold; the finest grid that fits is 0\.59 mm; or bound the grid with --grid-region ROI\[:MARGIN_MM\]: at 0\.5 mm a region up to 166 mm across fits$/,
    );
  });

  it('refuses a spacing that is not a positive finite number of mm', () => {
    for (const s of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkDoseGridMemory(box, s, { fields: 1, threads: 1 }), String(s)).toThrow(InputError);
      expect(() => doseGridForCt(box, s), String(s)).toThrow(PlanError);
    }
  });

  it('says so when not even a one-voxel grid fits the limit, instead of searching forever', () => {
    expect(() => checkDoseGridMemory(box, 1, { fields: 1, threads: 1 }, { limitBytes: 10 })).toThrow(
      'dose grid spacing 1 mm: no dose grid fits in the limit of 0.0 MB',
    );
  });

  it('accepts an ordinary grid', () => {
    const m = checkDoseGridMemory(box, 3, { fields: 1, threads: 1 });
    // 3 i in [47.5, 147.5): i = 16..49, plus one each side: 36 of the whole CT's 66
    expect([axisVoxels(3), axisInBox(3)]).toEqual([66, 36]);
    expect(m.size).toEqual([36, 36, 36]);
  });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s).trimEnd()), true));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    stderr.mockRestore();
  }
}

describe('lattice dose --grid-mm', () => {
  it('refuses an absurd grid in one line with the memory it would need, the limit and the finest grid that fits', async () => {
    const t0 = performance.now();
    const r = await run('dose', join(dir, 'water'), '--out', join(dir, 'out-absurd'), '--grid-mm', '0.01');
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    const n = axisVoxels(0.01);
    expect(n).toBe(19501);
    // one field, so one thread and a batch of one beam; water throughout: every voxel computed
    const perVoxel = PER_GRID_VOXEL + PER_POINT_MAIN + PER_POINT_PER_BEAM + PER_POINT_PER_THREAD;
    const limit = totalmem() / 2;
    const finest = finestOnLattice(0.01, (s) => axisVoxels(s) ** 3 * perVoxel <= limit && axisVoxels(s) ** 3 <= MAX_DOSE_POINTS);
    // water throughout: the patient is the whole CT; a region of 3 mm is all that would fit, too small to suggest
    const m = /^lattice: InputError: --grid-mm 0\.01: the dose grid over the patient would need ([\d,]+) GB \(19501 x 19501 x 19501 voxels, ([\d.]+) million of them in the patient\); the limit is ([\d.]+) GB \(half of this machine's memory\); the finest grid that fits is ([\d.]+) mm$/.exec(r.err);
    expect(m, r.err).not.toBeNull();
    expect(Number(m![1]!.replaceAll(',', ''))).toBeCloseTo((n ** 3 * perVoxel) / 1e9, -0.5);
    expect(Number(m![2])).toBeCloseTo(n ** 3 / 1e6, 0);
    expect(Number(m![3])).toBeCloseTo(limit / 1e9, 1);
    expect(Number(m![4])).toBe(finest);
    expect(existsSync(join(dir, 'out-absurd', 'RTDOSE.dcm'))).toBe(false);
  });

  it('refuses it for a fluence plan too, before computing anything', async () => {
    const plan = {
      format: FLUENCE_PLAN_FORMAT, version: FLUENCE_PLAN_VERSION, frameOfReferenceUid: water.frameOfReferenceUid, machine: 'lattice-rt 6 MV',
      beamletMm: 5, pixelMm: 2.5, fractions: 1,
      beams: [{ name: 'AP', gantryDeg: 0, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000, i0: -2, j0: -2, nbu: 4, nbv: 4, beamlets: [[1, 1, 100]] }],
    };
    writeFileSync(join(dir, 'fluence.json'), JSON.stringify(plan));
    const r = await run('dose', join(dir, 'water'), '--fluence', join(dir, 'fluence.json'), '--out', join(dir, 'out-fluence'), '--grid-mm', '0.01');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^lattice: InputError: --grid-mm 0\.01: the dose grid over the patient would need [\d,]+ GB \(19501 x 19501 x 19501 voxels, [\d.]+ million of them in the patient\); the limit is [\d.]+ GB \(half of this machine's memory\); the finest grid that fits is [\d.]+ mm$/);
    expect(existsSync(join(dir, 'out-fluence', 'RTDOSE.dcm'))).toBe(false);
  });

  it('refuses a grid size that is not a positive finite number, naming --grid-mm', async () => {
    for (const v of ['0', '-0', 'NaN', 'Infinity']) {
      const r = await run('dose', join(dir, 'box'), '--out', join(dir, 'out-bad'), '--grid-mm', v);
      expect(r.code, v).not.toBe(0);
      expect(r.err, v).toMatch(new RegExp(`--grid-mm.*'${v}'`));
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('still computes an ordinary grid', async () => {
    expect(availableParallelism()).toBeGreaterThan(0);
    const r = await run('dose', join(dir, 'box'), '--out', join(dir, 'out-5'), '--grid-mm', '5');
    expect(r.code, r.err).toBe(0);
    // 5 mm on the 5 mm CT: the water's voxels 10..29 plus one each side
    expect(r.out).toMatch(/dose grid 22 x 22 x 22 at 5 mm \(the patient\)/);
    expect(existsSync(join(dir, 'out-5', 'RTDOSE.dcm'))).toBe(true);
  });
});
