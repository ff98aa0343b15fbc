/**
 * Arc dose as the linac delivers it (issue 12 §3-4; plan-dose.ts sub-arcs and MLC transmission):
 * - a 360 deg arc of 91 control points (4 deg) with a fixed 3 x 3 cm aperture on a water cylinder
 *   (radius 100 mm), computed with sub-arcs of at most 4, 2, 1 and 0.5 deg: global gamma 1 %/1 mm
 *   (10 % threshold) and the largest difference against the 0.5 deg dose, and the time of each;
 * - a sliding window (10 mm gap, both banks sweeping 40 mm at gantry 0) against its analytic
 *   time-averaged fluence (uniform gap/travel = 1/4 of the MU between the start of bank B and the end
 *   of bank A, linear ramps beyond), in fluence and in dose at 50 mm depth in water, for several
 *   maxSubLeafMm;
 * - a 2-arc plan (2 x 91 control points, 4 deg, a moderately modulated aperture per control point
 *   conformed to PTV_2000, MLC transmission 0.4 %) on the seed-case phantom's CT at 2.5 mm: arc 1 on
 *   PTV_2000's box + 20 mm at 2.5 mm with several sub-arc and leaf-sample sizes against 1 deg / 1 mm
 *   (largest difference, gamma 1 %/1 mm and 2 %/2 mm); then the whole plan on a 2.5 mm dose grid as
 *   `lattice dose` computes it (recalculatePlan, the defaults) and without sub-arcs; target 60 s.
 * Threads: every core (DOSE_THREADS=n overrides). ARC_DOSE_PARTS=arc,window,plan picks parts;
 * ARC_DOSE_CONVERGENCE=0 skips the phantom convergence runs; ARC_DOSE_3MM=1 adds the 3 mm grid timing.
 */

import { availableParallelism } from 'node:os';
import { beamCoordinates, beamFrame } from '../src/dose/beam-geometry.js';
import { staticFieldDose, type StaticField } from '../src/dose/field-dose.js';
import { aperturesFluence, regionCovering } from '../src/dose/fluence.js';
import { gamma3d } from '../src/dose/gamma.js';
import { redVolumeOfCt } from '../src/dose/hlut.js';
import { PHOTON_6MV } from '../src/dose/machine-6mv.js';
import { primaryFluenceAt } from '../src/dose/machine.js';
import { beamSegments, DEFAULT_MAX_SUB_ARC_DEG, DEFAULT_MAX_SUB_LEAF_MM, planDose, type PlanDoseOptions } from '../src/dose/plan-dose.js';
import { doseGridForCt, recalculatePlan } from '../src/dose/recalculate.js';
import { createGrid, indexToLps } from '../src/geometry/grid.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../src/io/dicom/model.js';
import { buildSeedPhantom } from '../src/phantom/seed-case.js';
import { underSeconds, type BenchSuite, type Measurement } from './harness.js';

const ids = { patientId: 'BENCH', patientName: 'BENCH', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2' };
const AGILITY_BOUNDARIES = Float64Array.from({ length: 81 }, (_, i) => -200 + 5 * i);
const AGILITY_TRANSMISSION = 0.004;

function rtPlan(beams: Beam[], fractions = 1): RtPlan {
  return {
    ...ids, modality: 'RTPLAN', sopInstanceUid: '3', label: 'ARC', doseReferences: [], beams,
    fractionGroups: [{ number: 1, fractionsPlanned: fractions, beamMetersets: beams.map((b) => ({ beamNumber: b.number, metersetMu: b.metersetMu! })) }],
  };
}

function arcBeam(number: number, mu: number, cps: ControlPoint[]): Beam {
  return {
    number, name: `ARC${number}`, type: 'DYNAMIC', radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: mu,
    finalCumulativeMetersetWeight: 1, leafBoundariesMm: { MLCX: AGILITY_BOUNDARIES }, controlPoints: cps,
  };
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;
const maxOf = (a: ArrayLike<number>): number => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]!); return m; };

/** Part 1: a fixed 3 x 3 cm aperture on a full arc in a water cylinder, at several sub-arc sizes. */
function arcConvergence(threads: number, rows: Measurement[]): void {
  // water cylinder, radius 100 mm, axis along z (the gantry axis), 2.5 mm CT voxels, 80 mm long
  const ctGrid = createGrid({ size: [96, 96, 32], spacingMm: [2.5, 2.5, 2.5], originMm: [-118.75, -118.75, -38.75] });
  const hu = new Float32Array(96 * 96 * 32).fill(-1000);
  for (let k = 0; k < 32; k++) for (let j = 0; j < 96; j++) for (let i = 0; i < 96; i++) {
    const p = indexToLps(ctGrid, [i, j, k]);
    if (Math.hypot(p[0], p[1]) <= 100) hu[i + 96 * (j + 96 * k)] = 0;
  }
  const ct: CtSeries = { ...ids, modality: 'CT', hu: createScalarVolume(ctGrid, hu), slices: [] };
  const doseGrid = createGrid({ size: [101, 101, 11], spacingMm: [2, 2, 2], originMm: [-100, -100, -10] });
  const mlc = new Float64Array(160);
  for (let i = 0; i < 80; i++) { mlc[i] = 0; mlc[80 + i] = 0; }
  for (let i = 37; i < 43; i++) { mlc[i] = -15; mlc[80 + i] = 15; } // pairs covering -15..15 mm
  const cps: ControlPoint[] = Array.from({ length: 91 }, (_, i) => ({
    index: i, cumulativeMetersetWeight: i / 90, gantryAngleDeg: (180.1 + 4 * i) % 360, gantryRotationDirection: 'CW', collimatorAngleDeg: 0,
    couchAngleDeg: 0, isocenterLps: [0, 0, 0], jawsMm: { ASYMX: [-15, 15], ASYMY: [-15, 15] }, mlcMm: { MLCX: mlc },
  }));
  const plan = rtPlan([arcBeam(1, 360, cps)]);
  const doses = new Map<number, Float32Array>();
  for (const deg of [0.5, 4, 2, 1]) {
    const t0 = performance.now();
    const d = planDose(PHOTON_6MV, plan, ct, doseGrid, { threads, maxSubArcDeg: deg }).dosePerFractionGy;
    rows.push({ name: `water arc, 3x3 cm, 91 CPs: sub-arcs <= ${deg} deg, time`, value: seconds(t0), unit: 's' });
    doses.set(deg, d.data as Float32Array);
  }
  const ref = createScalarVolume(doseGrid, doses.get(0.5)!);
  const max = maxOf(ref.data);
  rows.push({ name: 'water arc: maximum dose (360 MU)', value: max, unit: 'Gy' });
  for (const deg of [4, 2, 1]) {
    const ev = createScalarVolume(doseGrid, doses.get(deg)!);
    let diff = 0;
    for (let q = 0; q < ev.data.length; q++) diff = Math.max(diff, Math.abs(ev.data[q]! - ref.data[q]!));
    rows.push({ name: `water arc: ${deg} deg vs 0.5 deg, largest difference`, value: (100 * diff) / max, unit: '% max' });
    const g = gamma3d(ref, ev, { doseDiffPct: 1, dtaMm: 1 });
    rows.push({ name: `water arc: ${deg} deg vs 0.5 deg, gamma 1%/1mm pass`, value: g.passRatePct, unit: '%' });
  }
}

/** Part 2: a sliding window against its analytic time-averaged fluence. */
function slidingWindow(rows: Measurement[]): void {
  const GAP = 10, TRAVEL = 40, MU = 100;
  // bank A sweeps -20 -> 20 mm, bank B -10 -> 30 mm on the 8 pairs inside Y [-20, 20]; X jaws wide
  const leaves = (a: number): Float64Array => {
    const m = new Float64Array(160);
    for (let i = 36; i < 44; i++) { m[i] = a; m[80 + i] = a + GAP; }
    return m;
  };
  const jawsMm = { ASYMX: [-40, 50] as const, ASYMY: [-20, 20] as const };
  const cp = (index: number, w: number, a: number): ControlPoint => ({
    index, cumulativeMetersetWeight: w, gantryAngleDeg: 0, gantryRotationDirection: 'NONE', collimatorAngleDeg: 0, couchAngleDeg: 0,
    isocenterLps: [0, 0, 0], jawsMm, mlcMm: { MLCX: leaves(a) },
  });
  const beam = arcBeam(1, MU, [cp(0, 0, -20), cp(1, 1, -20 + TRAVEL)]);
  const plan = rtPlan([beam]);
  // time-averaged open fraction at x: the share of t in [0, 1] with A(t) < x < A(t) + GAP, A(t) = -20 + 40 t
  const open = (x: number): number => Math.max(0, Math.min(1, (x + 20) / TRAVEL) - Math.max(0, (x + 20 - GAP) / TRAVEL));
  const h = 1;
  const region = regionCovering(-40, 50, -20, 20, h);
  const analytic = new Float64Array(region.nu * region.nv);
  for (let b = 0; b < region.nv; b++) {
    const v = region.v0Mm + b * h;
    const fy = Math.max(0, Math.min(v + h / 2, 20) - Math.max(v - h / 2, -20)) / h;
    for (let a = 0; a < region.nu; a++) {
      const u = region.u0Mm + a * h;
      let s = 0;
      for (let q = 0; q < 400; q++) s += open(u - h / 2 + ((q + 0.5) * h) / 400);
      analytic[a + region.nu * b] = (s / 400) * fy * primaryFluenceAt(PHOTON_6MV, Math.hypot(u, v)) * MU;
    }
  }
  const level = 0.25 * MU; // GAP / TRAVEL of the MU
  // water box, dose along x at 50 mm depth on the central plane
  const ctGrid = createGrid({ size: [60, 60, 60], spacingMm: [5, 5, 5], originMm: [-147.5, -147.5, -147.5] });
  const ct: CtSeries = { ...ids, modality: 'CT', hu: createScalarVolume(ctGrid, new Float32Array(60 ** 3)), slices: [] };
  const red = redVolumeOfCt(ct.hu);
  const pts = new Float64Array(3 * 121);
  for (let i = 0; i < 121; i++) pts.set([-30 + 0.5 * i, -100, 0], 3 * i); // depth 50 mm (surface at y = -150)
  const geometry = { gantryDeg: 0, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0] as const, sadMm: 1000 };
  const refDose = staticFieldDose(PHOTON_6MV, red, pts, [{ geometry, fluence: { region, pixelMm: h, values: analytic }, mu: 1 }], { pixelMm: h });
  const refMax = maxOf(refDose);
  rows.push({ name: 'sliding window: analytic dose at 50 mm, uniform region', value: refDose[60]!, unit: 'Gy' });
  for (const mm of [40, 10, 5, 3, 2.5, 2, 1]) {
    const fields: StaticField[] = beamSegments(PHOTON_6MV, plan, beam, MU, { maxSubLeafMm: mm });
    const sum = new Float64Array(region.nu * region.nv);
    let samples = 0;
    for (const f of fields) {
      const steps = f.apertureSteps ?? [f.aperture!];
      samples += steps.length;
      const fl = aperturesFluence(PHOTON_6MV, region, h, steps, f.mu);
      for (let q = 0; q < sum.length; q++) sum[q] = sum[q]! + fl[q]!;
    }
    let fErr = 0;
    for (let q = 0; q < sum.length; q++) fErr = Math.max(fErr, Math.abs(sum[q]! - analytic[q]!));
    const d = staticFieldDose(PHOTON_6MV, red, pts, fields, { pixelMm: h });
    let dErr = 0;
    for (let q = 0; q < d.length; q++) dErr = Math.max(dErr, Math.abs(d[q]! - refDose[q]!));
    rows.push({ name: `sliding window, maxSubLeafMm ${mm} (${samples} leaf samples): fluence error`, value: (100 * fErr) / level, unit: '% level' });
    rows.push({ name: `sliding window, maxSubLeafMm ${mm}: dose error at 50 mm`, value: (100 * dErr) / refMax, unit: '% max' });
  }
}

/**
 * Part 3: a 2-arc plan on the phantom. Per control point, each leaf pair spans the beam's-eye-view
 * projection of PTV_2000 in its 5 mm strip, narrowed by up to 30 % of that width on each side by
 * slowly varying sinusoids (a moderately modulated aperture); other pairs closed at the projection
 * centre; Y diaphragms 5 mm beyond the projection; no X jaws (Agility).
 */
function phantomPlan(threads: number, rows: Measurement[]): void {
  const t0 = performance.now();
  const phantom = buildSeedPhantom({ voxelSizeMm: 2.5 });
  rows.push({ name: `phantom CT ${phantom.grid.size.join('x')} at 2.5 mm: build`, value: seconds(t0), unit: 's' });
  const ptv = phantom.structures.find((s) => s.name === 'PTV_2000')!.mask;
  const ptvPts: number[] = [];
  const [nx, ny, nz] = phantom.grid.size;
  for (let k = 0, q = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, q++) {
    if (ptv.data[q] !== 0) ptvPts.push(...indexToLps(phantom.grid, [i, j, k]));
  }
  const iso = phantom.description.isocentreLps;
  const bc = new Float64Array(3);
  let maxTravel = 0;
  const arc = (number: number, startDeg: number, dir: 1 | -1, collimatorDeg: number): Beam => {
    const cps: ControlPoint[] = [];
    let prev: Float64Array | undefined;
    for (let k = 0; k < 91; k++) {
      const g = (((startDeg + dir * 4 * k) % 360) + 360) % 360;
      const frame = beamFrame({ gantryDeg: g, collimatorDeg, couchDeg: 0, isocenterLps: iso, sadMm: 1000 });
      const lo = new Float64Array(80).fill(Infinity), hi = new Float64Array(80).fill(-Infinity);
      let vmin = Infinity, vmax = -Infinity, usum = 0;
      for (let p = 0; p < ptvPts.length; p += 3) {
        beamCoordinates(frame, ptvPts[p]!, ptvPts[p + 1]!, ptvPts[p + 2]!, bc);
        const pair = Math.floor((bc[1]! + 200) / 5);
        if (pair < 0 || pair >= 80) continue;
        lo[pair] = Math.min(lo[pair]!, bc[0]!);
        hi[pair] = Math.max(hi[pair]!, bc[0]!);
        vmin = Math.min(vmin, bc[1]!);
        vmax = Math.max(vmax, bc[1]!);
        usum += bc[0]!;
      }
      const uc = usum / (ptvPts.length / 3);
      const mlc = new Float64Array(160);
      for (let i = 0; i < 80; i++) {
        if (!(hi[i]! >= lo[i]!)) { mlc[i] = uc; mlc[80 + i] = uc; continue; }
        const w = hi[i]! - lo[i]!;
        const a = lo[i]! + 0.3 * w * (0.5 + 0.5 * Math.sin(0.9 * i + 0.3 * k));
        const b = hi[i]! - 0.3 * w * (0.5 + 0.5 * Math.cos(0.7 * i + 0.25 * k));
        mlc[i] = a;
        mlc[80 + i] = Math.max(a, b);
      }
      if (prev !== undefined) for (let i = 0; i < 160; i++) maxTravel = Math.max(maxTravel, Math.abs(mlc[i]! - prev[i]!));
      prev = mlc;
      cps.push({
        index: k, cumulativeMetersetWeight: k / 90, gantryAngleDeg: g, gantryRotationDirection: dir > 0 ? 'CW' : 'CC',
        collimatorAngleDeg: collimatorDeg, couchAngleDeg: 0, isocenterLps: iso, jawsMm: { ASYMY: [vmin - 5, vmax + 5] }, mlcMm: { MLCX: mlc },
      });
    }
    return arcBeam(number, 300, cps);
  };
  const plan = rtPlan([arc(1, 180.1, 1, 15), arc(2, 179.9, -1, 345)], 5);
  rows.push({ name: '2-arc plan: largest leaf travel between control points', value: maxTravel, unit: 'mm' });
  const ct: CtSeries = { ...ids, modality: 'CT', hu: phantom.ct, slices: [] };
  const trans = { mlcTransmission: AGILITY_TRANSMISSION };

  // convergence (arc 1 only): dose grid = PTV_2000's bounding box + 20 mm at 2.5 mm
  if (process.env.ARC_DOSE_CONVERGENCE !== '0') {
    let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let p = 0; p < ptvPts.length; p += 3) for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a]!, ptvPts[p + a]!); hi[a] = Math.max(hi[a]!, ptvPts[p + a]!); }
    lo = lo.map((v) => v - 20); hi = hi.map((v) => v + 20);
    const region = createGrid({ size: [0, 1, 2].map((a) => Math.floor((hi[a]! - lo[a]!) / 2.5) + 1) as [number, number, number], spacingMm: [2.5, 2.5, 2.5], originMm: lo as [number, number, number] });
    const one = rtPlan([plan.beams[0]!], 5);
    const run = (sub: Pick<PlanDoseOptions, 'maxSubArcDeg' | 'maxSubLeafMm'>): Float32Array => {
      const t1 = performance.now();
      const d = planDose(PHOTON_6MV, one, ct, region, { threads, ...trans, ...sub }).dosePerFractionGy.data as Float32Array;
      const limit = (v: number | false | undefined, d: number, unit: string): string => (v === false ? 'off' : `<= ${v ?? d} ${unit}`);
      rows.push({
        name: `arc 1 on the PTV box (${region.size.join('x')}), sub-arcs ${limit(sub.maxSubArcDeg, DEFAULT_MAX_SUB_ARC_DEG, 'deg')}, leaf samples ${limit(sub.maxSubLeafMm, DEFAULT_MAX_SUB_LEAF_MM, 'mm')}: ${fieldCount(one, sub)} fields`,
        value: seconds(t1), unit: 's',
      });
      return d;
    };
    const ref = createScalarVolume(region, run({ maxSubArcDeg: 1, maxSubLeafMm: 1 }));
    const max = maxOf(ref.data);
    const compare = (label: string, d: Float32Array): void => {
      let diff = 0;
      for (let q = 0; q < d.length; q++) diff = Math.max(diff, Math.abs(d[q]! - ref.data[q]!));
      rows.push({ name: `arc 1: ${label} vs 1 deg / 1 mm, largest difference`, value: (100 * diff) / max, unit: '% max' });
      for (const [pct, mm] of [[1, 1], [2, 2]] as const) {
        rows.push({ name: `arc 1: ${label} vs 1 deg / 1 mm, gamma ${pct}%/${mm}mm pass`, value: gamma3d(ref, createScalarVolume(region, d), { doseDiffPct: pct, dtaMm: mm }).passRatePct, unit: '%' });
      }
    };
    compare('off (one field per interval)', run({ maxSubArcDeg: false, maxSubLeafMm: false }));
    compare('4 deg / 1 mm', run({ maxSubArcDeg: 4, maxSubLeafMm: 1 }));
    compare('2 deg / 1 mm', run({ maxSubArcDeg: 2, maxSubLeafMm: 1 }));
    compare('4 deg / 5 mm', run({ maxSubArcDeg: 4, maxSubLeafMm: 5 }));
    compare('4 deg / 2.5 mm', run({ maxSubArcDeg: 4, maxSubLeafMm: 2.5 }));
    compare(`the defaults (${DEFAULT_MAX_SUB_ARC_DEG} deg / ${DEFAULT_MAX_SUB_LEAF_MM} mm)`, run({}));
  }

  // time of the whole plan as `lattice dose` computes it (recalculatePlan: the defaults) and without sub-arcs
  const timed = (label: string, fields: number, f: () => ArrayLike<number>): void => {
    const t1 = performance.now();
    const c0 = process.cpuUsage();
    const max = maxOf(f());
    const c = process.cpuUsage(c0);
    rows.push(underSeconds(`2-arc plan, 2 x 91 CPs, ${label}: ${fields} fields, ${threads} threads`, seconds(t1), 60));
    rows.push({ name: `2-arc plan, ${label}: CPU time (all threads)`, value: (c.user + c.system) / 1e6, unit: 's' });
    rows.push({ name: `2-arc plan, ${label}: maximum dose per fraction`, value: max, unit: 'Gy' });
  };
  const off = { maxSubArcDeg: false, maxSubLeafMm: false } as const;
  timed('2.5 mm grid, sub-arcs off', fieldCount(plan, off), () => planDose(PHOTON_6MV, plan, ct, doseGridForCt(ct, 2.5), { threads, ...trans, ...off }).dosePerFractionGy.data);
  timed('2.5 mm grid, recalculatePlan (defaults)', fieldCount(plan, {}), () => recalculatePlan(ct, plan, { gridSpacingMm: 2.5, threads, ...trans }).dosePerFractionGy.data);
  if (process.env.ARC_DOSE_3MM === '1') {
    timed('3 mm grid, recalculatePlan (defaults)', fieldCount(plan, {}), () => recalculatePlan(ct, plan, { gridSpacingMm: 3, threads, ...trans }).dosePerFractionGy.data);
  }
}

function fieldCount(plan: RtPlan, sub: Pick<PlanDoseOptions, 'maxSubArcDeg' | 'maxSubLeafMm'>): number {
  return plan.beams.reduce((s, b) => s + beamSegments(PHOTON_6MV, plan, b, b.metersetMu!, sub).length, 0);
}

export const suite: BenchSuite = {
  name: 'arc-dose',
  run(): Measurement[] {
    const rows: Measurement[] = [];
    const threads = Number(process.env.DOSE_THREADS ?? availableParallelism());
    const parts = (process.env.ARC_DOSE_PARTS ?? 'arc,window,plan').split(',');
    if (parts.includes('window')) slidingWindow(rows);
    if (parts.includes('arc')) arcConvergence(threads, rows);
    if (parts.includes('plan')) phantomPlan(threads, rows);
    return rows;
  },
};
