/**
 * Independent dose recalculation of a DICOM RT plan on its CT: the dose grid, the dose per fraction
 * and the planned total (Gy), ready to be written as an RT Dose and compared with a planning
 * system's dose by gamma (gamma.ts).
 *
 * Input: the CT series (HU, LPS) and an RtPlan in its frame of reference. The dose grid has the CT's
 * axes, covers the CT's voxel centres and has `gridSpacingMm` (default 3 mm) along every axis.
 * Before anything large is allocated, the memory the calculation needs on that grid is estimated
 * (doseGridMemory) and a grid that would not fit is refused (checkDoseGridMemory).
 */

import { availableParallelism, totalmem } from 'node:os';
import { InputError, PlanError, fmt } from '../core/errors.js';
import { createGrid, indexToLps, type Grid } from '../geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../geometry/volume.js';
import type { CtSeries, RtPlan } from '../io/dicom/model.js';
import { DEFAULT_HLUT, huToRed, type Hlut } from './hlut.js';
import { PHOTON_6MV } from './machine-6mv.js';
import type { PhotonMachine } from './machine.js';
import { planDose, planFields } from './plan-dose.js';

export interface RecalculationOptions {
  /** Dose grid spacing, mm (default 3). */
  readonly gridSpacingMm?: number;
  readonly machine?: PhotonMachine;
  readonly hlut?: Hlut;
  /** Worker threads for the control-point segments (default: the machine's available parallelism). */
  readonly threads?: number;
  /** Names the grid spacing in the message refusing a grid too large (checkDoseGridMemory), e.g. a
   * CLI option; default "dose grid spacing S mm". */
  readonly gridLabel?: string;
}

export interface Recalculation {
  readonly doseGrid: Grid;
  readonly dosePerFractionGy: ScalarVolume;
  /** dosePerFractionGy x fractionsPlanned. */
  readonly totalDoseGy: ScalarVolume;
  readonly fractionsPlanned: number;
  readonly warnings: readonly string[];
}

/** A grid with the CT's axes and origin covering all its voxel centres, `spacingMm` apart. */
export function doseGridForCt(ct: CtSeries, spacingMm: number): Grid {
  if (!(spacingMm > 0) || !Number.isFinite(spacingMm)) {
    throw new PlanError(`dose grid spacing must be a positive number of mm, found ${fmt(spacingMm)}`);
  }
  const g = ct.hu.grid;
  const size = [0, 1, 2].map((a) => Math.max(1, Math.floor(((g.size[a]! - 1) * g.spacingMm[a]!) / spacingMm + 1e-9) + 1)) as [
    number,
    number,
    number,
  ];
  return createGrid({ size, spacingMm: [spacingMm, spacingMm, spacingMm], originMm: indexToLps(g, [0, 0, 0]), direction: g.direction });
}

/** Below this RED a dose voxel counts as air and is not computed (plan-dose.ts AIR_RED). */
const AIR_RED = 0.05;

/**
 * Bytes per dose-grid voxel, whether computed or not: the dose per fraction (Float32, 4), the planned
 * total (Float32, 4), the RT Dose's stored pixels (Uint32, 4) and the encoded file holding a copy of
 * them with its buffer's growth slack (8).
 */
export const DOSE_BYTES_PER_GRID_VOXEL = 4 + 4 + 4 + 8;

/**
 * Bytes per computed dose point (a voxel not in air) held once, by the calling thread
 * (plan-dose.ts fieldsDoseOnGrid): the point list as JS arrays, coordinates (3 doubles, 24) and index
 * (8), each with up to 1.5x growth slack (36 + 12), the coordinates as a Float64Array (24) and the
 * dose sum (Float64, 8).
 */
export const DOSE_BYTES_PER_POINT_MAIN = 36 + 12 + 24 + 8;

/** Bytes per computed point when worker threads are used: the shared copy of the coordinates (24);
 * each worker adds its own shared dose sum (Float64, 8). */
export const DOSE_BYTES_PER_POINT_SHARED = 24;
export const DOSE_BYTES_PER_POINT_PER_WORKER = 8;

/**
 * Bytes per computed point for each beam of a batch prepared together (pencil-beam.ts
 * preparePencilBeam, J = 4 lateral bases of the 6 MV machine): beam coordinates cu, cv, f (Float64,
 * 24) and depth (Float32, 4); bilinear base (Int32, 4), fu, fv, wf (Float32, 12), level (Uint8, 1)
 * and the depth coefficients (Float32 x J, 16).
 */
export const DOSE_BYTES_PER_POINT_PER_BEAM = 24 + 4 + 4 + 12 + 1 + 16;

/** Bytes per computed point per thread besides its beams: the beam's-eye-view depth inputs u, v, l of
 * the beam being traced (Float64, 24) and the batch's dose (Float64, 8). */
export const DOSE_BYTES_PER_POINT_PER_THREAD = 24 + 8;

/** Fields prepared together per thread (plan-dose.ts default batchSize). */
const BATCH_FIELDS = 8;

/**
 * Most computed points the engine can hold: their coordinates are gathered in one JS array of 3
 * numbers per point, and V8 (Node 20) stops growing a double array past 112.8 million elements
 * ("Fatal JavaScript invalid size error", measured: the growth to 169.2 million fails).
 */
export const MAX_DOSE_POINTS = Math.floor(112_000_000 / 3);

/** The part of the machine's memory a dose calculation may use. */
export function defaultDoseMemoryLimitBytes(): number {
  return totalmem() / 2;
}

/** How the calculation is split: static fields (segments) and threads. */
export interface DoseWork {
  readonly fields: number;
  readonly threads: number;
  /** HU -> RED table deciding which voxels are air (default DEFAULT_HLUT). */
  readonly hlut?: Hlut;
}

export interface DoseGridMemory {
  readonly spacingMm: number;
  readonly size: readonly [number, number, number];
  readonly voxels: number;
  /** Dose voxels whose nearest CT voxel is not air: the points the engine computes. */
  readonly computedPoints: number;
  readonly bytes: number;
}

/**
 * Bytes per computed point for `fields` static fields over `threads` threads (the constants above):
 * as fieldsDoseOnGrid, thread t takes a contiguous share of the fields and prepares up to 8 of them
 * together. Every buffer is counted as alive at once, so this bounds the peak from above (the
 * seed-case phantom, 5 fields on 2 threads, 1 mm grid: 9.9 GB estimated, 7.0 GB peak resident set
 * measured; 1.5 mm: 2.9 GB and 2.3 GB).
 */
export function doseBytesPerPoint(fields: number, threads: number): number {
  const f = Math.max(1, Math.floor(fields));
  const t = Math.max(1, Math.min(Math.floor(threads), f));
  let bytes = DOSE_BYTES_PER_POINT_MAIN + (t > 1 ? DOSE_BYTES_PER_POINT_SHARED + (t - 1) * DOSE_BYTES_PER_POINT_PER_WORKER : 0);
  for (let i = 0; i < t; i++) {
    const share = Math.floor(((i + 1) * f) / t) - Math.floor((i * f) / t);
    bytes += Math.min(BATCH_FIELDS, share) * DOSE_BYTES_PER_POINT_PER_BEAM + DOSE_BYTES_PER_POINT_PER_THREAD;
  }
  return bytes;
}

/** Runs of non-air CT voxels along x: (row j + ny k, first i, end i) triples. */
function nonAirRuns(ct: CtSeries, hlut: Hlut): Int32Array {
  const [nx, ny, nz] = ct.hu.grid.size;
  const hu = ct.hu.data;
  const runs: number[] = [];
  for (let row = 0; row < ny * nz; row++) {
    let start = -1;
    for (let i = 0; i <= nx; i++) {
      const air = i === nx || huToRed(hu[i + nx * row]!, hlut) < AIR_RED;
      if (!air && start < 0) start = i;
      else if (air && start >= 0) {
        runs.push(row, start, i);
        start = -1;
      }
    }
  }
  return Int32Array.from(runs);
}

/** Per CT index along one axis: how many of `n` dose indices `spacingMm` apart have it as nearest. */
function nearestCounts(nCt: number, ctSpacingMm: number, n: number, spacingMm: number): Float64Array {
  const counts = new Float64Array(nCt);
  for (let i = 0; i < n; i++) counts[Math.min(nCt - 1, Math.round((i * spacingMm) / ctSpacingMm))]! += 1;
  return counts;
}

function gridMemory(ct: CtSeries, runs: Int32Array, spacingMm: number, bytesPerPoint: number): DoseGridMemory {
  const g = ct.hu.grid;
  const size = doseGridForCt(ct, spacingMm).size;
  const [cx, cy, cz] = [0, 1, 2].map((a) => nearestCounts(g.size[a]!, g.spacingMm[a]!, size[a]!, spacingMm)) as [Float64Array, Float64Array, Float64Array];
  const px = new Float64Array(cx.length + 1);
  for (let i = 0; i < cx.length; i++) px[i + 1] = px[i]! + cx[i]!;
  const ny = g.size[1]!;
  // the dose grid shares the CT's axes and origin: a dose voxel's nearest CT voxel is nearest per axis
  let computedPoints = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const row = runs[r]!;
    computedPoints += (px[runs[r + 2]!]! - px[runs[r + 1]!]!) * cy[row % ny]! * cz[Math.floor(row / ny)]!;
  }
  const voxels = size[0] * size[1] * size[2];
  return { spacingMm, size, voxels, computedPoints, bytes: voxels * DOSE_BYTES_PER_GRID_VOXEL + computedPoints * bytesPerPoint };
}

/**
 * The memory (bytes) a dose calculation on the doseGridForCt grid of `spacingMm` needs: per grid
 * voxel DOSE_BYTES_PER_GRID_VOXEL, per computed point doseBytesPerPoint(fields, threads). The
 * computed points are counted exactly from the CT (nearest CT voxel not air); a fluence plan also
 * computes gas inside the body, which this count leaves out.
 */
export function doseGridMemory(ct: CtSeries, spacingMm: number, work: DoseWork): DoseGridMemory {
  return gridMemory(ct, nonAirRuns(ct, work.hlut ?? DEFAULT_HLUT), spacingMm, doseBytesPerPoint(work.fields, work.threads));
}

const GB = 1e9;
/** Bytes as GB (1e9 bytes; 1 decimal, whole thousands separated beyond 1000 GB) or, below 1 GB, MB. */
const gb = (bytes: number): string =>
  bytes >= 1000 * GB ? `${Math.round(bytes / GB).toLocaleString('en-US')} GB` : bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
const millions = (n: number): string => (n / 1e6).toFixed(1);

/** Largest dose grid (voxels along one axis) whose computed points are counted; beyond, the grid
 * voxels alone are the estimate (a lower bound). */
const MAX_COUNTED_AXIS = 1_000_000;

/**
 * Refuses (InputError) a dose grid spacing that is not a positive finite number of mm, or whose
 * calculation would need more than `limitBytes` (default: half the machine's memory) or more than
 * MAX_DOSE_POINTS computed points, with the figures and the finest spacing (0.01 mm steps) that fits.
 * `label` names the setting in the message (default "dose grid spacing S mm"). Returns the estimate.
 */
export function checkDoseGridMemory(
  ct: CtSeries,
  spacingMm: number,
  work: DoseWork,
  options: { readonly label?: string; readonly limitBytes?: number } = {},
): DoseGridMemory {
  const label = options.label ?? `dose grid spacing ${fmt(spacingMm)} mm`;
  if (!(spacingMm > 0) || !Number.isFinite(spacingMm)) throw new InputError(`${label}: expected a positive number of mm`);
  const limit = options.limitBytes ?? defaultDoseMemoryLimitBytes();
  const runs = nonAirRuns(ct, work.hlut ?? DEFAULT_HLUT);
  const perPoint = doseBytesPerPoint(work.fields, work.threads);
  const g = ct.hu.grid;
  const sizeOf = (s: number): number[] => [0, 1, 2].map((a) => Math.floor(((g.size[a]! - 1) * g.spacingMm[a]!) / s + 1e-9) + 1);
  /** The estimate, or undefined for a grid too large to count (its voxels alone exceed the limit). */
  const estimate = (s: number): DoseGridMemory | undefined => {
    const size = sizeOf(s);
    if (size[0]! * size[1]! * size[2]! * DOSE_BYTES_PER_GRID_VOXEL > limit && Math.max(...size) > MAX_COUNTED_AXIS) return undefined;
    return gridMemory(ct, runs, s, perPoint);
  };
  const fits = (m: DoseGridMemory | undefined): boolean => m !== undefined && m.bytes <= limit && m.computedPoints <= MAX_DOSE_POINTS;
  const m = estimate(spacingMm);
  if (m !== undefined && fits(m)) return m;
  // finest spacing on a 0.01 mm lattice that fits: doubling, then bisection
  // (a spacing beyond the CT's largest extent gives one voxel; when even that does not fit, none does)
  const coarsest = Math.max(1, ...[0, 1, 2].map((a) => Math.ceil((g.size[a]! - 1) * g.spacingMm[a]! * 100) + 1));
  let lo = Math.floor(spacingMm * 100), hi = Math.max(lo + 1, 1);
  while (!fits(estimate(hi / 100))) {
    if (hi >= coarsest) throw new InputError(`${label}: no dose grid fits in the limit of ${gb(limit)}`);
    lo = hi;
    hi = Math.min(2 * hi, coarsest);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(estimate(mid / 100))) hi = mid;
    else lo = mid;
  }
  const finest = `the finest grid that fits is ${fmt(hi / 100)} mm`;
  const size = sizeOf(spacingMm);
  const voxels = `${size.join(' x ')} voxels`;
  if (m === undefined || m.bytes > limit) {
    const bytes = m?.bytes ?? size[0]! * size[1]! * size[2]! * DOSE_BYTES_PER_GRID_VOXEL;
    const inPatient = m !== undefined ? `, ${millions(m.computedPoints)} million of them in the patient` : '';
    throw new InputError(
      `${label}: the dose grid would need ${m === undefined ? 'over ' : ''}${gb(bytes)} (${voxels}${inPatient}); ` +
        `the limit is ${gb(limit)}${options.limitBytes === undefined ? " (half of this machine's memory)" : ''}; ${finest}`,
    );
  }
  throw new InputError(
    `${label}: the dose grid would have ${millions(m.computedPoints)} million voxels in the patient to compute (${voxels}), ` +
      `more than the ${millions(MAX_DOSE_POINTS)} million the dose engine can hold; ${finest}`,
  );
}

export function recalculatePlan(ct: CtSeries, plan: RtPlan, options: RecalculationOptions = {}): Recalculation {
  const group = plan.fractionGroups[0];
  if (group === undefined || !(group.fractionsPlanned > 0)) {
    throw new PlanError('plan: expected a fraction group with the number of planned fractions, found none', plan.file !== undefined ? { file: plan.file } : {});
  }
  const warnings: string[] = [];
  if (plan.fractionGroups.length > 1) {
    warnings.push(`plan has ${plan.fractionGroups.length} fraction groups; the dose is that of fraction group ${group.number}`);
  }
  const spacingMm = options.gridSpacingMm ?? 3;
  const threads = options.threads ?? availableParallelism();
  const machine = options.machine ?? PHOTON_6MV;
  checkDoseGridMemory(
    ct,
    spacingMm,
    { fields: planFields(machine, plan, ct).fields.length, threads, ...(options.hlut !== undefined ? { hlut: options.hlut } : {}) },
    options.gridLabel !== undefined ? { label: options.gridLabel } : {},
  );
  const doseGrid = doseGridForCt(ct, spacingMm);
  const computed = planDose(machine, plan, ct, doseGrid, {
    ...(options.hlut !== undefined ? { hlut: options.hlut } : {}),
    threads,
  });
  warnings.push(...computed.warnings);
  const perFraction = computed.dosePerFractionGy;
  const total = createScalarVolume(doseGrid);
  for (let i = 0; i < total.data.length; i++) total.data[i] = perFraction.data[i]! * group.fractionsPlanned;
  return { doseGrid, dosePerFractionGy: perFraction, totalDoseGy: total, fractionsPlanned: group.fractionsPlanned, warnings };
}
