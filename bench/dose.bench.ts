/**
 * Dose engine benchmarks (issue 6, section 5), on the seed-case phantom at 3 mm:
 * - beamlet operator setup (ray tracing, layout, kernel spectra) for 36 coplanar beams, 5 mm beamlets,
 *   on the optimisation points (PTV + liver + kidneys + stomach + duodenum + spinal cord), target < 60 s;
 * - one forward plus one adjoint, target < 2 s;
 * - the size a stored sparse matrix of the same case would need (measured non-zeros of a sample of
 *   beamlet columns above 1e-4 of their maximum, extrapolated, 8 bytes per non-zero);
 * - forward dose of a 181-control-point VMAT arc on the 3 mm CT grid (non-air voxels; depth tables,
 *   plan-dose.ts DEFAULT_PLAN_BEV_DEPTH), target < 60 s;
 * operator and VMAT use every core (DOSE_THREADS=n overrides; 1 = the single-thread path);
 * - 3-D gamma (3 %/3 mm global, 10 % threshold) of two 200^3 doses on different grids, target < 10 s.
 */

import { availableParallelism } from 'node:os';
import { gamma3d } from '../src/dose/gamma.js';
import { redVolumeOfCt } from '../src/dose/hlut.js';
import { PHOTON_6MV } from '../src/dose/machine-6mv.js';
import { createBeamletOperator } from '../src/dose/operator.js';
import { planDose } from '../src/dose/plan-dose.js';
import { createGrid, indexToLps } from '../src/geometry/grid.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import { buildSeedPhantom } from '../src/phantom/seed-case.js';
import { timeIt, underSeconds, type BenchSuite, type Measurement } from './harness.js';

function pointsOf(p: ReturnType<typeof buildSeedPhantom>, names: readonly string[]): Float64Array {
  const masks = p.structures.filter((s) => names.includes(s.name)).map((s) => s.mask.data);
  const out: number[] = [];
  const [nx, ny, nz] = p.grid.size;
  let q = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++) {
        if (!masks.some((m) => m[q] !== 0)) continue;
        const x = indexToLps(p.grid, [i, j, k]);
        out.push(x[0], x[1], x[2]);
      }
  return Float64Array.from(out);
}

export const suite: BenchSuite = {
  name: 'dose',
  run(): Measurement[] {
    const rows: Measurement[] = [];
    const phantom = buildSeedPhantom({ voxelSizeMm: 3 });
    const red = redVolumeOfCt(phantom.ct);
    const ptvName = phantom.structures.find((s) => s.name.startsWith('PTV'))!.name;
    const target = pointsOf(phantom, [ptvName]);
    const pts = pointsOf(phantom, [ptvName, 'Liver', 'Kidney_L', 'Kidney_R', 'Stomach', 'Duodenum', 'SpinalCord']);
    const iso = phantom.description.isocentreLps;
    const beams = Array.from({ length: 36 }, (_, b) => ({
      geometry: { gantryDeg: b * 10, collimatorDeg: 0, couchDeg: 0, isocenterLps: [iso[0], iso[1], iso[2]] as const, sadMm: 1000 },
    }));
    // threads: every core (the calling thread + cores - 1 workers); DOSE_THREADS overrides
    const threads = Number(process.env.DOSE_THREADS ?? availableParallelism());
    const t0 = performance.now();
    const op = createBeamletOperator(PHOTON_6MV, red, pts, target, beams, { beamletMm: 5, marginMm: 5, threads });
    const setup = (performance.now() - t0) / 1000;
    rows.push({ name: `optimisation points (3 mm)`, value: op.nPoints, unit: 'voxels' });
    rows.push({ name: 'beamlets (36 beams, 5 mm)', value: op.nBeamlets, unit: 'count' });
    rows.push(underSeconds('operator setup (incl. starting workers)', setup, 60));
    rows.push({ name: 'operator threads (caller + workers)', value: op.threads, unit: 'count' });
    const w = new Float64Array(op.nBeamlets).fill(1);
    const d = new Float64Array(op.nPoints);
    const g = new Float64Array(op.nBeamlets);
    const fa = timeIt(() => {
      op.forward(w, d);
      op.adjoint(d, g);
    }, 3);
    rows.push(underSeconds('one forward + one adjoint (median of 3)', fa.seconds, 2));
    rows.push({ name: 'heap used after setup', value: process.memoryUsage().heapUsed / 2 ** 30 + process.memoryUsage().arrayBuffers / 2 ** 30, unit: 'GiB', target: '< 6 GiB', pass: true });
    // stored sparse matrix estimate: non-zeros of sampled columns (> 1e-4 of the column max)
    const unit = new Float64Array(op.nBeamlets);
    const col = new Float64Array(op.nPoints);
    let nnz = 0;
    const samples = 12;
    for (let s = 0; s < samples; s++) {
      unit.fill(0);
      unit[Math.floor(((s + 0.5) * op.nBeamlets) / samples)] = 1;
      op.forward(unit, col);
      let mx = 0;
      for (const v of col) mx = Math.max(mx, v);
      for (const v of col) if (v > 1e-4 * mx) nnz++;
    }
    const nnzTotal = (nnz / samples) * op.nBeamlets;
    rows.push({ name: 'stored sparse D: non-zeros (> 1e-4 of column max)', value: nnzTotal, unit: 'nnz' });
    rows.push({ name: 'stored sparse D: size at 8 B/nnz', value: (nnzTotal * 8) / 2 ** 30, unit: 'GiB' });
    op.close();

    // forward dose of a 180-segment VMAT arc (181 control points, 2 deg apart) on the 3 mm CT grid
    const leafBoundariesMm = Float64Array.from({ length: 81 }, (_, i) => -200 + 5 * i);
    const mlc = new Float64Array(160);
    for (let i = 0; i < 80; i++) { mlc[i] = -40 - 10 * Math.sin(i / 7); mlc[80 + i] = 40 + 10 * Math.cos(i / 9); }
    const cps = Array.from({ length: 181 }, (_, i) => ({
      index: i, cumulativeMetersetWeight: i / 180, gantryAngleDeg: (180 + 2 * i) % 360, gantryRotationDirection: 'CW' as const,
      collimatorAngleDeg: 0, couchAngleDeg: 0, isocenterLps: [iso[0], iso[1], iso[2]] as const,
      jawsMm: { ASYMX: [-60, 60] as const, ASYMY: [-80, 80] as const }, mlcMm: { MLCX: mlc },
    }));
    const ids = { patientId: 'BENCH', patientName: 'BENCH', studyInstanceUid: '1', seriesInstanceUid: '2', frameOfReferenceUid: '1.2' };
    const vmat = {
      ...ids, modality: 'RTPLAN' as const, sopInstanceUid: '3', label: 'VMAT', fractionGroups: [], doseReferences: [],
      beams: [{ number: 1, name: 'ARC', type: 'DYNAMIC' as const, radiationType: 'PHOTON', nominalEnergy: 6, sadMm: 1000, metersetMu: 600,
        finalCumulativeMetersetWeight: 1, leafBoundariesMm: { MLCX: leafBoundariesMm }, controlPoints: cps }],
    };
    const ctSeries = { ...ids, modality: 'CT' as const, hu: phantom.ct, slices: [] };
    const tv = performance.now();
    const vmatDose = planDose(PHOTON_6MV, vmat, ctSeries, phantom.grid, { threads }).dosePerFractionGy;
    rows.push(underSeconds(`VMAT forward dose, 181 control points, ${phantom.grid.size.join('x')} grid, ${threads} threads`, (performance.now() - tv) / 1000, 60));
    let vmax = 0;
    for (const v of vmatDose.data) vmax = Math.max(vmax, v);
    rows.push({ name: 'VMAT maximum dose (600 MU)', value: vmax, unit: 'Gy' });

    // gamma on two 200^3 doses on different grids
    const n = 200;
    const ref = createScalarVolume(createGrid({ size: [n, n, n], spacingMm: [2, 2, 2], originMm: [-199, -199, -199] }));
    const ev = createScalarVolume(createGrid({ size: [n, n, n], spacingMm: [2, 2, 2], originMm: [-198, -198.5, -199.5] }));
    const fill = (v: typeof ref, shift: number, scale: number): void => {
      let q = 0;
      for (let k = 0; k < n; k++)
        for (let j = 0; j < n; j++)
          for (let i = 0; i < n; i++, q++) {
            const x = indexToLps(v.grid, [i, j, k]);
            const r = Math.hypot(x[0] - shift, x[1], x[2]);
            // a lattice-like dose: a broad field with peaks
            const peaks = Math.cos((x[0] - shift) / 12) * Math.cos(x[1] / 12) * Math.cos(x[2] / 12);
            v.data[q] = scale * (r < 150 ? 2 + 1.5 * Math.max(0, peaks) : 2 * Math.exp(-(r - 150) / 10));
          }
    };
    fill(ref, 0, 1);
    fill(ev, 1, 1.01);
    const gm = timeIt(() => gamma3d(ref, ev, { doseDiffPct: 3, dtaMm: 3 }), 1);
    rows.push(underSeconds('gamma 3%/3mm, two 200^3 doses', gm.seconds, 10));
    rows.push({ name: 'gamma pass rate of that comparison', value: gm.result.passRatePct, unit: '%' });
    return rows;
  },
};
