/**
 * Independent dose recalculation of a DICOM RT plan on its CT: the dose grid, the dose per fraction
 * and the planned total (Gy), ready to be written as an RT Dose and compared with a planning
 * system's dose by gamma (gamma.ts).
 *
 * Input: the CT series (HU, LPS) and an RtPlan in its frame of reference. The dose grid has the CT's
 * axes and `gridSpacingMm` (default 3 mm) along every axis; its nodes lie on the lattice of the grid
 * that starts at CT voxel 0 and covers every CT voxel centre (doseGridForCt), and it covers only the
 * patient: the nodes whose nearest CT voxel is not air (RED >= AIR_RED, as the engine decides which
 * points to compute) plus one node all round (patientDoseGrid). Nodes left out would hold 0 (air), and
 * every node kept holds the value the whole-CT grid holds there. A GridRegion (a structure's bounding
 * box grown by a margin, structureGridRegion) bounds it further. Before anything large is allocated,
 * the memory the calculation needs on that grid is estimated (doseGridMemory) and a grid that would
 * not fit is refused (checkDoseGridMemory).
 */

import { availableParallelism, totalmem } from 'node:os';
import { InputError, PlanError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { createGrid, indexToLps, lpsToContinuousIndex, type Grid } from '../geometry/grid.js';
import { createScalarVolume, type Mask, type ScalarVolume } from '../geometry/volume.js';
import type { CtSeries, RtPlan, StructureSet } from '../io/dicom/model.js';
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
  /** Fraction of the open fluence passing closed MLC leaves (plan-dose.ts PlanDoseOptions; default 0). */
  readonly mlcTransmission?: number;
  /** Bounds the dose grid to this region (within the patient); default: the whole patient. */
  readonly gridRegion?: GridRegion;
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

/**
 * Runs of patient CT voxels along x: (row j + ny k, first i, end i) triples. A voxel belongs to the
 * patient when it is not air (RED >= AIR_RED) or lies inside `inside` (a mask on the CT grid, e.g.
 * the body, whose gas the fluence-plan dose also computes).
 */
function patientRuns(ct: CtSeries, hlut: Hlut, inside?: Mask): Int32Array {
  const [nx, ny, nz] = ct.hu.grid.size;
  const hu = ct.hu.data;
  const body = inside?.data;
  if (body !== undefined && body.length !== hu.length) throw new PlanError('the mask of dose voxels to compute is not on the CT grid');
  const runs: number[] = [];
  for (let row = 0; row < ny * nz; row++) {
    let start = -1;
    for (let i = 0; i <= nx; i++) {
      const v = i + nx * row;
      const air = i === nx || (huToRed(hu[v]!, hlut) < AIR_RED && (body === undefined || body[v] === 0));
      if (!air && start < 0) start = i;
      else if (air && start >= 0) {
        runs.push(row, start, i);
        start = -1;
      }
    }
  }
  return Int32Array.from(runs);
}

/**
 * One axis of the whole-CT dose grid (doseGridForCt): node i (0 <= i < n) lies i x spacingMm from CT
 * voxel 0 along the CT's axis, and its nearest CT voxel along it is ctOf(i). The axes are shared, so
 * a node's nearest CT voxel is the nearest per axis, as the engine finds it.
 */
interface DoseAxis {
  readonly n: number;
  readonly spacingMm: number;
  readonly nCt: number;
  readonly ctMm: number;
}

function doseAxes(ct: CtSeries, spacingMm: number): [DoseAxis, DoseAxis, DoseAxis] {
  const g = ct.hu.grid;
  return [0, 1, 2].map((a) => ({
    n: Math.max(1, Math.floor(((g.size[a]! - 1) * g.spacingMm[a]!) / spacingMm + 1e-9) + 1),
    spacingMm,
    nCt: g.size[a]!,
    ctMm: g.spacingMm[a]!,
  })) as [DoseAxis, DoseAxis, DoseAxis];
}

const ctOf = (a: DoseAxis, i: number): number => Math.min(a.nCt - 1, Math.round((i * a.spacingMm) / a.ctMm));

/** The first node whose nearest CT voxel is c or beyond (n when none); ctOf never decreases. */
function firstNode(a: DoseAxis, c: number): number {
  let i = Math.min(a.n, Math.max(0, Math.ceil(((c - 0.5) * a.ctMm) / a.spacingMm)));
  while (i > 0 && ctOf(a, i - 1) >= c) i--;
  while (i < a.n && ctOf(a, i) < c) i++;
  return i;
}

/** The last node whose nearest CT voxel is c or before (-1 when none). */
function lastNode(a: DoseAxis, c: number): number {
  let i = Math.min(a.n - 1, Math.max(-1, Math.floor(((c + 0.5) * a.ctMm) / a.spacingMm)));
  while (i < a.n - 1 && ctOf(a, i + 1) <= c) i++;
  while (i >= 0 && ctOf(a, i) > c) i--;
  return i;
}

/** Nodes in [from, to] whose nearest CT voxel lies in [c0, c1]. */
const nodesIn = (a: DoseAxis, c0: number, c1: number, from: number, to: number): number =>
  Math.max(0, Math.min(lastNode(a, c1), to) - Math.max(firstNode(a, c0), from) + 1);

/** A box of dose-grid nodes: first and last index (inclusive) along i, j, k of the whole-CT grid. */
export interface NodeBox {
  readonly from: readonly [number, number, number];
  readonly to: readonly [number, number, number];
}

/** The box of the patient's nodes (nearest CT voxel in a run) plus one node all round, within the
 * whole-CT grid; the whole grid when the CT holds no patient. */
function patientBox(axes: readonly [DoseAxis, DoseAxis, DoseAxis], runs: Int32Array, nyCt: number): NodeBox {
  const [ax, ay, az] = axes;
  let i0 = Infinity, j0 = Infinity, k0 = Infinity, i1 = -Infinity, j1 = -Infinity, k1 = -Infinity;
  for (let r = 0; r < runs.length; r += 3) {
    const row = runs[r]!;
    const jc = row % nyCt, kc = (row - jc) / nyCt;
    const ja = firstNode(ay, jc), jb = lastNode(ay, jc);
    if (ja > jb) continue;
    const ka = firstNode(az, kc), kb = lastNode(az, kc);
    if (ka > kb) continue;
    const ia = firstNode(ax, runs[r + 1]!), ib = lastNode(ax, runs[r + 2]! - 1);
    if (ia > ib) continue;
    if (ia < i0) i0 = ia;
    if (ib > i1) i1 = ib;
    if (ja < j0) j0 = ja;
    if (jb > j1) j1 = jb;
    if (ka < k0) k0 = ka;
    if (kb > k1) k1 = kb;
  }
  if (!(i1 >= i0)) return { from: [0, 0, 0], to: [ax.n - 1, ay.n - 1, az.n - 1] };
  return {
    from: [Math.max(0, i0 - 1), Math.max(0, j0 - 1), Math.max(0, k0 - 1)],
    to: [Math.min(ax.n - 1, i1 + 1), Math.min(ay.n - 1, j1 + 1), Math.min(az.n - 1, k1 + 1)],
  };
}

/**
 * A box the dose grid is bounded to, along the CT's axes in mm from the centre of CT voxel 0 (where
 * the whole-CT dose grid starts): the nodes from minMm to maxMm, and those just beyond so that the
 * grid's nodes enclose the box.
 */
export interface GridRegion {
  /** Names the region in messages, e.g. `--grid-region PTV:20`. */
  readonly label: string;
  readonly minMm: Vec3;
  readonly maxMm: Vec3;
}

/** Margin (mm) around a structure's bounding box for a bounded dose grid, unless given. */
export const DEFAULT_GRID_REGION_MARGIN_MM = 20;

/** The region of `label` from a box along the CT's axes (mm from CT voxel 0) grown by `marginMm`. */
function grownRegion(label: string, lo: readonly number[], hi: readonly number[], marginMm: number): GridRegion {
  if (!(marginMm >= 0) || !Number.isFinite(marginMm)) throw new InputError(`${label}: the margin must be a number of mm >= 0, found ${fmt(marginMm)}`);
  return { label, minMm: [lo[0]! - marginMm, lo[1]! - marginMm, lo[2]! - marginMm], maxMm: [hi[0]! + marginMm, hi[1]! + marginMm, hi[2]! + marginMm] };
}

/**
 * The region of a bounded dose grid around the structure `roi` of the structure set: the bounding box
 * of its contour points along the CT's axes, grown by `marginMm` (default 20 mm) along each axis.
 * InputError naming `label` (e.g. the CLI option) for an unknown ROI (listing the ROIs there are) or
 * one without contour points.
 */
export function structureGridRegion(
  ct: CtSeries,
  structureSet: StructureSet | undefined,
  roi: string,
  marginMm: number = DEFAULT_GRID_REGION_MARGIN_MM,
  label = `dose grid region "${roi}"`,
): GridRegion {
  const structures = structureSet?.structures ?? [];
  const s = structures.find((x) => x.name === roi);
  if (s === undefined) {
    throw new InputError(
      structureSet === undefined
        ? `${label}: no ROI named "${roi}": the case has no structure set (RTSTRUCT)`
        : structures.length === 0
          ? `${label}: no ROI named "${roi}": the structure set has no ROIs`
          : `${label}: no ROI named "${roi}"; the structure set has ${structures.map((x) => `"${x.name}"`).join(', ')}`,
    );
  }
  const g = ct.hu.grid;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const c of s.contours) {
    const p = c.pointsLps;
    for (let q = 0; q + 2 < p.length; q += 3) {
      const x = lpsToContinuousIndex(g, [p[q]!, p[q + 1]!, p[q + 2]!]);
      for (let a = 0; a < 3; a++) {
        const mm = x[a]! * g.spacingMm[a]!;
        if (mm < lo[a]!) lo[a] = mm;
        if (mm > hi[a]!) hi[a] = mm;
      }
    }
  }
  if (!(hi[0]! >= lo[0]!)) throw new InputError(`${label}: ROI "${roi}" has no contour points`);
  return grownRegion(label, lo, hi, marginMm);
}

/**
 * The region of a bounded dose grid around a structure given as a mask on the CT grid (e.g. one that
 * planning built): the bounding box of its voxels (their full extent, half a voxel beyond the
 * centres) grown by `marginMm`. InputError naming `label` for an empty mask.
 */
export function maskGridRegion(ct: CtSeries, mask: Mask, marginMm: number, label: string): GridRegion {
  const g = ct.hu.grid;
  const [nx, ny, nz] = g.size;
  if (mask.data.length !== nx * ny * nz) throw new PlanError(`${label}: the structure's mask is not on the CT grid`);
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let k = 0, v = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, v++) {
    if (mask.data[v] === 0) continue;
    if (i < lo[0]!) lo[0] = i;
    if (i > hi[0]!) hi[0] = i;
    if (j < lo[1]!) lo[1] = j;
    if (j > hi[1]!) hi[1] = j;
    if (k < lo[2]!) lo[2] = k;
    if (k > hi[2]!) hi[2] = k;
  }
  if (!(hi[0]! >= lo[0]!)) throw new InputError(`${label}: the structure is empty`);
  return grownRegion(
    label,
    lo.map((c, a) => (c - 0.5) * g.spacingMm[a]!),
    hi.map((c, a) => (c + 0.5) * g.spacingMm[a]!),
    marginMm,
  );
}

/** The patient box, intersected with the nodes enclosing `region` when given; undefined when the
 * region lies outside the patient. */
function boundedBox(axes: readonly [DoseAxis, DoseAxis, DoseAxis], runs: Int32Array, nyCt: number, region: GridRegion | undefined): NodeBox | undefined {
  const box = patientBox(axes, runs, nyCt);
  if (region === undefined) return box;
  const from = [0, 1, 2].map((a) => Math.max(box.from[a]!, Math.floor(region.minMm[a]! / axes[a]!.spacingMm + 1e-9))) as [number, number, number];
  const to = [0, 1, 2].map((a) => Math.min(box.to[a]!, Math.ceil(region.maxMm[a]! / axes[a]!.spacingMm - 1e-9))) as [number, number, number];
  return from.every((f, a) => f <= to[a]!) ? { from, to } : undefined;
}

const outsidePatient = (region: GridRegion): InputError =>
  new InputError(`${region.label}: the region lies outside the patient (the CT's voxels above air, RED >= ${AIR_RED})`);

export interface DoseGridOptions {
  /** HU -> RED table deciding which voxels are air (default DEFAULT_HLUT). */
  readonly hlut?: Hlut;
  /** Voxels inside this mask (on the CT grid, e.g. the body) belong to the patient even in gas. */
  readonly inside?: Mask;
  /** Bounds the grid further to this region (InputError when it lies outside the patient). */
  readonly region?: GridRegion;
}

/**
 * The nodes of the whole-CT dose grid (doseGridForCt) that the dose grid of `spacingMm` keeps: the box
 * of the nodes whose nearest CT voxel is not air (or inside `options.inside`), plus one node all round
 * (nodes holding 0, so that interpolation up to the patient's edge reads the same values), clipped to
 * the whole-CT grid; intersected with the nodes enclosing `options.region`. The whole grid when the CT
 * holds no patient.
 */
export function doseGridBox(ct: CtSeries, spacingMm: number, options: DoseGridOptions = {}): NodeBox {
  const axes = doseAxes(ct, doseGridForCt(ct, spacingMm).spacingMm[0]);
  const box = boundedBox(axes, patientRuns(ct, options.hlut ?? DEFAULT_HLUT, options.inside), ct.hu.grid.size[1], options.region);
  if (box === undefined) throw outsidePatient(options.region!);
  return box;
}

/** The sub-grid of `whole` holding the nodes of `box`: same axes and spacing, origin moved by whole steps. */
export function subGrid(whole: Grid, box: NodeBox): Grid {
  return createGrid({
    size: [box.to[0] - box.from[0] + 1, box.to[1] - box.from[1] + 1, box.to[2] - box.from[2] + 1],
    spacingMm: whole.spacingMm,
    originMm: indexToLps(whole, box.from),
    direction: whole.direction,
  });
}

/** The dose grid of `spacingMm` covering the patient (doseGridBox): nodes on the whole-CT lattice. */
export function patientDoseGrid(ct: CtSeries, spacingMm: number, options: DoseGridOptions = {}): Grid {
  return subGrid(doseGridForCt(ct, spacingMm), doseGridBox(ct, spacingMm, options));
}

function gridMemory(axes: readonly [DoseAxis, DoseAxis, DoseAxis], runs: Int32Array, nyCt: number, box: NodeBox, bytesPerPoint: number): DoseGridMemory {
  const [ax, ay, az] = axes;
  const { from, to } = box;
  let computedPoints = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const row = runs[r]!;
    const jc = row % nyCt, kc = (row - jc) / nyCt;
    const cy = nodesIn(ay, jc, jc, from[1], to[1]);
    if (cy === 0) continue;
    const cz = nodesIn(az, kc, kc, from[2], to[2]);
    if (cz === 0) continue;
    computedPoints += nodesIn(ax, runs[r + 1]!, runs[r + 2]! - 1, from[0], to[0]) * cy * cz;
  }
  const size: [number, number, number] = [to[0] - from[0] + 1, to[1] - from[1] + 1, to[2] - from[2] + 1];
  const voxels = size[0] * size[1] * size[2];
  return { spacingMm: ax.spacingMm, size, voxels, computedPoints, bytes: voxels * DOSE_BYTES_PER_GRID_VOXEL + computedPoints * bytesPerPoint };
}

/**
 * The memory (bytes) a dose calculation on the patientDoseGrid of `spacingMm` (bounded to `region`
 * when given) needs: per grid voxel DOSE_BYTES_PER_GRID_VOXEL, per computed point
 * doseBytesPerPoint(fields, threads). The computed points are counted exactly from the CT (nearest CT
 * voxel not air); a fluence plan also computes gas inside the body, which this count leaves out.
 */
export function doseGridMemory(ct: CtSeries, spacingMm: number, work: DoseWork, region?: GridRegion): DoseGridMemory {
  const axes = doseAxes(ct, doseGridForCt(ct, spacingMm).spacingMm[0]);
  const runs = patientRuns(ct, work.hlut ?? DEFAULT_HLUT);
  const box = boundedBox(axes, runs, ct.hu.grid.size[1], region);
  if (box === undefined) throw outsidePatient(region!);
  return gridMemory(axes, runs, ct.hu.grid.size[1], box, doseBytesPerPoint(work.fields, work.threads));
}

const GB = 1e9;
/** Bytes as GB (1e9 bytes; 1 decimal, whole thousands separated beyond 1000 GB) or, below 1 GB, MB. */
const gb = (bytes: number): string =>
  bytes >= 1000 * GB ? `${Math.round(bytes / GB).toLocaleString('en-US')} GB` : bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
const millions = (n: number): string => (n / 1e6).toFixed(1);

/** How the refusal of a grid names the option that bounds it (checkDoseGridMemory regionOption). */
export const GRID_REGION_OPTION = '--grid-region ROI[:MARGIN_MM]';

/**
 * Refuses (InputError) a dose grid spacing that is not a positive finite number of mm, or whose
 * calculation on the patientDoseGrid (bounded to `options.region` when given) would need more than
 * `limitBytes` (default: half the machine's memory) or more than MAX_DOSE_POINTS computed points,
 * with the figures and the finest spacing (0.01 mm steps) that fits; without a region, when a grid
 * bounded to a region at least 2 x DEFAULT_GRID_REGION_MARGIN_MM across (a point and its default
 * margin) would fit at this spacing, every node computed, the message also says how large a region
 * fits (whole mm, rounded down) and names `options.regionOption` (default GRID_REGION_OPTION; '' to
 * leave it out). `label` names the
 * setting in the message (default "dose grid spacing S mm"). Returns the estimate.
 */
export function checkDoseGridMemory(
  ct: CtSeries,
  spacingMm: number,
  work: DoseWork,
  options: { readonly label?: string; readonly limitBytes?: number; readonly region?: GridRegion; readonly regionOption?: string } = {},
): DoseGridMemory {
  const label = options.label ?? `dose grid spacing ${fmt(spacingMm)} mm`;
  if (!(spacingMm > 0) || !Number.isFinite(spacingMm)) throw new InputError(`${label}: expected a positive number of mm`);
  const limit = options.limitBytes ?? defaultDoseMemoryLimitBytes();
  const region = options.region;
  const runs = patientRuns(ct, work.hlut ?? DEFAULT_HLUT);
  const perPoint = doseBytesPerPoint(work.fields, work.threads);
  const g = ct.hu.grid;
  const nyCt = g.size[1];
  /** The estimate, or undefined for a spacing at which the region lies outside the patient. */
  const estimate = (s: number): DoseGridMemory | undefined => {
    const axes = doseAxes(ct, s);
    const box = boundedBox(axes, runs, nyCt, region);
    return box === undefined ? undefined : gridMemory(axes, runs, nyCt, box, perPoint);
  };
  const fits = (m: DoseGridMemory | undefined): boolean => m !== undefined && m.bytes <= limit && m.computedPoints <= MAX_DOSE_POINTS;
  const m = estimate(spacingMm);
  if (m === undefined) throw outsidePatient(region!);
  if (fits(m)) return m;
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
  // without a region: the largest cube of nodes, every one computed, that fits at this spacing, when
  // it holds at least a point and the default margin around it
  const regionOption = options.regionOption ?? GRID_REGION_OPTION;
  const cubeMm = (Math.floor(Math.cbrt(Math.min(limit / (DOSE_BYTES_PER_GRID_VOXEL + perPoint), MAX_DOSE_POINTS)) + 1e-9) - 1) * spacingMm;
  const bounded =
    region === undefined && regionOption !== '' && cubeMm >= 2 * DEFAULT_GRID_REGION_MARGIN_MM
      ? `; or bound the grid with ${regionOption}: at ${fmt(spacingMm)} mm a region up to ${fmt(Math.floor(cubeMm))} mm across fits`
      : '';
  const over = region !== undefined ? ` over ${region.label}` : ' over the patient';
  const voxels = `${m.size.join(' x ')} voxels`;
  if (m.bytes > limit) {
    throw new InputError(
      `${label}: the dose grid${over} would need ${gb(m.bytes)} (${voxels}, ${millions(m.computedPoints)} million of them in the patient); ` +
        `the limit is ${gb(limit)}${options.limitBytes === undefined ? " (half of this machine's memory)" : ''}; ${finest}${bounded}`,
    );
  }
  throw new InputError(
    `${label}: the dose grid${over} would have ${millions(m.computedPoints)} million voxels in the patient to compute (${voxels}), ` +
      `more than the ${millions(MAX_DOSE_POINTS)} million the dose engine can hold; ${finest}${bounded}`,
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
  const region = options.gridRegion;
  checkDoseGridMemory(
    ct,
    spacingMm,
    { fields: planFields(machine, plan, ct).fields.length, threads, ...(options.hlut !== undefined ? { hlut: options.hlut } : {}) },
    { ...(options.gridLabel !== undefined ? { label: options.gridLabel } : {}), ...(region !== undefined ? { region } : {}) },
  );
  const doseGrid = patientDoseGrid(ct, spacingMm, { ...(options.hlut !== undefined ? { hlut: options.hlut } : {}), ...(region !== undefined ? { region } : {}) });
  const computed = planDose(machine, plan, ct, doseGrid, {
    ...(options.hlut !== undefined ? { hlut: options.hlut } : {}),
    ...(options.mlcTransmission !== undefined ? { mlcTransmission: options.mlcTransmission } : {}),
    threads,
  });
  warnings.push(...computed.warnings);
  const perFraction = computed.dosePerFractionGy;
  const total = createScalarVolume(doseGrid);
  for (let i = 0; i < total.data.length; i++) total.data[i] = perFraction.data[i]! * group.fractionsPlanned;
  return { doseGrid, dosePerFractionGy: perFraction, totalDoseGy: total, fractionsPlanned: group.fractionsPlanned, warnings };
}
