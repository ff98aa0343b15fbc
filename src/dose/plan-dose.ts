/**
 * Forward dose of a DICOM RT plan (static fields and dynamic / VMAT control points) on a dose grid.
 *
 * Input: an RtPlan (src/io/dicom/model.ts: angles in degrees, jaws and MLC in mm at the isocentre
 * plane, isocentre in LPS), the CT it was planned on (HU) and a dose grid (LPS). Output: dose per
 * fraction in Gy on the dose grid (0 in air: dose voxels whose CT voxel has RED < 0.05 or lie outside the CT). Every beam's MU are split over its control-point segments by the
 * cumulative meterset weights. A segment (control-point interval) with a positive weight is delivered
 * as the linac delivers it: angles, leaves and jaws move linearly while its MU are delivered at a
 * constant rate, sampled at n equal sub-intervals' midpoints, n >= ceil(max(rotation / maxSubArcDeg,
 * leaf or jaw travel / maxSubLeafMm)) (rotation: the largest gantry, collimator or couch change), MU / n
 * each. The samples are grouped into ceil(rotation / maxSubArcDeg) sub-arcs; each sub-arc is one field
 * at its mean angles whose fluence is the sum of its leaf samples' apertures (n rounded up to a multiple
 * of the sub-arcs), so the dose is computed once per sub-arc, however far the leaves travel. A
 * step-and-shoot segment (nothing moves while the beam is on) is the control point itself. Closed
 * leaves inside the jaws pass `mlcTransmission` of the open fluence (fluence.ts). Fields of identical
 * geometry (two arcs over the same gantry angles and collimator) are computed as one, their fluences
 * summed, and fields with one source position share their depths (field-dose.ts fieldGroups).
 *
 * Bad input raises a PlanError naming the beam and control point: a frame of reference other than the
 * CT's, beams with no MU, radiation other than photons, energies the machine does not model, MLC data
 * inconsistent with the leaf boundaries or with crossing leaves, a plan none of whose beams reaches the
 * CT. An isocentre outside the CT (fixed-SSD set-ups with the isocentre on or above the skin,
 * extended distance) is computed with a warning: the rays are traced from the source and enter the CT
 * wherever they meet it. A beam whose field (jaws) misses the CT's volume entirely gives a warning.
 */

import { PlanError, fmt } from '../core/errors.js';
import { indexToLps, linearIndex, lpsToContinuousIndex, lpsToIndex, voxelCount, type Grid } from '../geometry/grid.js';
import { createScalarVolume, type Mask, type ScalarVolume } from '../geometry/volume.js';
import type { Beam, ControlPoint, CtSeries, RtPlan } from '../io/dicom/model.js';
import { beamFrame, checkPatientPosition, fieldMeetsGrid } from './beam-geometry.js';
import type { Aperture } from './fluence.js';
import { runPlanWorkers, type PlanWorkerInit } from './beam-threads.js';
import { addFieldsDose, fieldGroups, type FieldBatchOptions, type StaticField } from './field-dose.js';
import { DEFAULT_HLUT, redVolumeOfCt, type Hlut } from './hlut.js';
import type { PhotonMachine } from './machine.js';
import type { BevDepthOptions } from './bev-depth.js';
import { sharedCopy } from './pencil-beam.js';

export interface PlanDoseOptions {
  readonly hlut?: Hlut;
  /** Fluence pixel side, mm (default 2.5). */
  readonly pixelMm?: number;
  /** Segments computed together (memory vs. set-up cost; default 8). */
  readonly batchSize?: number;
  /** Radiological depths per segment from a beam's-eye-view depth table (bev-depth.ts; default
   * DEFAULT_PLAN_BEV_DEPTH), or `false` for one Siddon ray per dose voxel and segment. */
  readonly bevDepth?: BevDepthOptions | false;
  /** Threads, the calling thread included; segments are split among them (default 1: no workers). */
  readonly threads?: number;
  /** Largest gantry (or collimator, couch) rotation of one sub-arc, degrees (default
   * DEFAULT_MAX_SUB_ARC_DEG); `false`: rotation does not split a segment. */
  readonly maxSubArcDeg?: number | false;
  /** Largest leaf or jaw travel between leaf samples, mm (default DEFAULT_MAX_SUB_LEAF_MM); `false`:
   * leaf travel does not split a segment. Both `false`: every segment is one field at its midpoint. */
  readonly maxSubLeafMm?: number | false;
  /** Fraction of the open fluence that passes closed MLC leaves inside the jaws (default 0: none). */
  readonly mlcTransmission?: number;
}

/** How control-point segments are delivered (PlanDoseOptions). */
export type SegmentOptions = Pick<PlanDoseOptions, 'maxSubArcDeg' | 'maxSubLeafMm' | 'mlcTransmission'>;

/** Default largest sub-arc, degrees: against 1 deg sub-arcs, a 4 deg control-point spacing changes a
 * modulated arc's dose by 0.41 % of its maximum, 2 deg sub-arcs by 0.10 % (bench/README.md "Arc dose
 * (issue 12)"; vmat.md §4 recommends 1-2 deg). */
export const DEFAULT_MAX_SUB_ARC_DEG = 2;
/** Default largest leaf or jaw travel between leaf samples, mm: a 10 mm sliding window sweeping 40 mm
 * is then within 0.37 % of its analytic dose (5 mm: 1.9 %; bench/README.md "Arc dose (issue 12)"). */
export const DEFAULT_MAX_SUB_LEAF_MM = 2.5;

/** Rays every 2 mm at the isocentre plane, sampled every 2 mm along the axis; points shallower than
 * 30 mm water-equivalent (build-up, body surface) traced exactly. */
export const DEFAULT_PLAN_BEV_DEPTH: BevDepthOptions = { raySpacingMm: 2, stepMm: 2, exactBelowMm: 30 };

/** Below this RED a dose voxel counts as air and is not computed (dose 0). */
const AIR_RED = 0.05;

/** Jaw opening when a device is absent: wide open (mm). */
const OPEN_JAW_MM = 200;

const where = (beam: Beam, cp?: ControlPoint): string =>
  `beam ${beam.number} "${beam.name}"` + (cp !== undefined ? `, control point ${cp.index}` : '');

function jaws(cp: ControlPoint, axis: 'X' | 'Y'): [number, number] {
  const j = cp.jawsMm[`ASYM${axis}`] ?? cp.jawsMm[axis];
  return j === undefined ? [-OPEN_JAW_MM, OPEN_JAW_MM] : [j[0], j[1]];
}

/** Checks one beam against the machine; returns its MU. */
function checkBeam(machine: PhotonMachine, plan: RtPlan, beam: Beam): number {
  if (beam.radiationType.toUpperCase() !== 'PHOTON') {
    throw new PlanError(`${where(beam)}: radiation type ${beam.radiationType} is not supported (photons only)`, { file: plan.file });
  }
  if (beam.nominalEnergy !== undefined && Math.abs(beam.nominalEnergy - machine.energyMv) > 1e-6) {
    throw new PlanError(`${where(beam)}: nominal energy ${fmt(beam.nominalEnergy)} MV is not modelled (machine: ${machine.energyMv} MV)`, { file: plan.file });
  }
  const mu = beam.metersetMu ?? plan.fractionGroups.flatMap((g) => g.beamMetersets).find((m) => m.beamNumber === beam.number)?.metersetMu;
  if (mu === undefined || !(mu > 0) || !Number.isFinite(mu)) {
    throw new PlanError(`${where(beam)}: no beam meterset (MU) in the fraction group, found ${mu === undefined ? 'none' : fmt(mu)}`, { file: plan.file });
  }
  if (beam.controlPoints.length === 0) throw new PlanError(`${where(beam)}: no control points`, { file: plan.file });
  if (!(beam.finalCumulativeMetersetWeight > 0)) {
    throw new PlanError(`${where(beam)}: final cumulative meterset weight must be > 0, found ${fmt(beam.finalCumulativeMetersetWeight)}`, { file: plan.file });
  }
  let prevW = -Infinity;
  for (const cp of beam.controlPoints) {
    const iso = cp.isocenterLps;
    if (iso === undefined) throw new PlanError(`${where(beam, cp)}: no isocentre position`, { file: plan.file });
    if (!(cp.cumulativeMetersetWeight >= prevW)) {
      throw new PlanError(`${where(beam, cp)}: cumulative meterset weight decreases (${fmt(prevW)} -> ${fmt(cp.cumulativeMetersetWeight)})`, { file: plan.file });
    }
    prevW = cp.cumulativeMetersetWeight;
    for (const [type, pos] of Object.entries(cp.mlcMm ?? {})) {
      if (type !== 'MLCX') throw new PlanError(`${where(beam, cp)}: MLC device ${type} is not supported (MLCX only)`, { file: plan.file });
      const bd = beam.leafBoundariesMm[type];
      if (bd === undefined) throw new PlanError(`${where(beam, cp)}: ${type} positions but no leaf boundaries for that device`, { file: plan.file });
      const n = bd.length - 1;
      if (pos.length !== 2 * n) {
        throw new PlanError(`${where(beam, cp)}: ${type} has ${pos.length} leaf positions, expected ${2 * n} for ${n} leaf pairs`, { file: plan.file });
      }
      for (let i = 0; i < n; i++) {
        if (!(pos[i]! <= pos[n + i]! + 1e-6)) {
          throw new PlanError(`${where(beam, cp)}: ${type} leaf pair ${i + 1} crosses (bank A ${fmt(pos[i]!)} > bank B ${fmt(pos[n + i]!)} mm)`, { file: plan.file });
        }
      }
    }
  }
  return mu;
}

/** Signed change from angle a to angle b in degrees along the shorter arc (-180..180). */
function angleStep(a: number, b: number): number {
  return ((b - a) % 360 + 540) % 360 - 180;
}

/** The angle a fraction t of the way from a to b along the shorter arc, in [0, 360). */
function angleAt(a: number, b: number, t: number): number {
  return (((a + t * angleStep(a, b)) % 360) + 360) % 360;
}

/** A sub-division limit from the options: a positive number, or undefined (the criterion is off). */
function limitOf(value: number | false | undefined, fallback: number, name: string): number | undefined {
  if (value === false) return undefined;
  const v = value ?? fallback;
  if (!(v > 0) || !Number.isFinite(v)) throw new PlanError(`${name} must be a positive number or false, found ${fmt(v)}`);
  return v;
}

/** How one segment is split: `arcs` sub-arcs of equal rotation, each with `steps` leaf samples. */
export interface SubArcSplit {
  readonly arcs: number;
  readonly steps: number;
}

/**
 * The split of the segment from control point a to b: arcs = ceil(rotation / maxSubArcDeg), rotation
 * the largest gantry, collimator or couch change (degrees along the shorter arc); leaf samples
 * ceil(travel / maxSubLeafMm) in all, travel the largest leaf or jaw movement (mm), rounded up to a
 * multiple of the arcs (steps per arc). Each at least 1; an undefined limit is not applied.
 */
export function subArcSplit(a: ControlPoint, b: ControlPoint, maxSubArcDeg: number | undefined, maxSubLeafMm: number | undefined): SubArcSplit {
  let arcs = 1, samples = 1;
  if (maxSubArcDeg !== undefined) {
    const rot = Math.max(
      Math.abs(angleStep(a.gantryAngleDeg, b.gantryAngleDeg)),
      Math.abs(angleStep(a.collimatorAngleDeg, b.collimatorAngleDeg)),
      Math.abs(angleStep(a.couchAngleDeg, b.couchAngleDeg)),
    );
    arcs = Math.max(1, Math.ceil(rot / maxSubArcDeg - 1e-9));
  }
  if (maxSubLeafMm !== undefined) {
    let travel = 0;
    const ma = a.mlcMm?.MLCX, mb = b.mlcMm?.MLCX;
    if (ma !== undefined && mb !== undefined) for (let i = 0; i < ma.length; i++) travel = Math.max(travel, Math.abs(mb[i]! - ma[i]!));
    for (const axis of ['X', 'Y'] as const) {
      const ja = jaws(a, axis), jb = jaws(b, axis);
      travel = Math.max(travel, Math.abs(jb[0] - ja[0]), Math.abs(jb[1] - ja[1]));
    }
    samples = Math.max(1, Math.ceil(travel / maxSubLeafMm - 1e-9));
  }
  return { arcs, steps: Math.ceil(samples / arcs) };
}

/**
 * The static fields of a beam: one per sub-arc of every segment with MU (file header), or the single
 * control point of a static beam. A sub-arc whose leaves or jaws travel further than maxSubLeafMm is
 * one field at its mean angles with its leaf samples as `apertureSteps` (their fluences summed: one
 * dose computation per angle, however far the leaves move).
 */
export function beamSegments(machine: PhotonMachine, plan: RtPlan, beam: Beam, mu: number, options: SegmentOptions = {}): StaticField[] {
  const cps = beam.controlPoints;
  const final = beam.finalCumulativeMetersetWeight;
  const maxDeg = limitOf(options.maxSubArcDeg, DEFAULT_MAX_SUB_ARC_DEG, 'maximum sub-arc rotation (degrees)');
  const maxMm = limitOf(options.maxSubLeafMm, DEFAULT_MAX_SUB_LEAF_MM, 'maximum sub-arc leaf travel (mm)');
  const transmission = options.mlcTransmission ?? 0;
  if (!(transmission >= 0 && transmission <= 1)) throw new PlanError(`MLC transmission must be a fraction from 0 to 1, found ${fmt(transmission)}`);
  const trans = transmission > 0 ? { mlcTransmission: transmission } : {};
  const out: StaticField[] = [];
  /** The aperture a fraction t of the way from a to b (leaves and jaws linear). */
  const apertureAt = (a: ControlPoint, b: ControlPoint, t: number): Aperture => {
    const x1 = jaws(a, 'X'), x2 = jaws(b, 'X'), y1 = jaws(a, 'Y'), y2 = jaws(b, 'Y');
    const lerp = (p: number, q: number): number => p + t * (q - p);
    const ma = a.mlcMm?.MLCX, mb = b.mlcMm?.MLCX;
    const base: Aperture = { jawXMm: [lerp(x1[0], x2[0]), lerp(x1[1], x2[1])], jawYMm: [lerp(y1[0], y2[0]), lerp(y1[1], y2[1])] };
    if (ma === undefined || mb === undefined) return base;
    const n = ma.length / 2;
    const bankA = new Float64Array(n), bankB = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      bankA[i] = lerp(ma[i]!, mb[i]!);
      bankB[i] = lerp(ma[n + i]!, mb[n + i]!);
    }
    return { ...base, mlc: { boundariesMm: beam.leafBoundariesMm.MLCX!, bankA, bankB }, ...trans };
  };
  if (cps.length === 1) {
    const cp = cps[0]!;
    out.push({ geometry: { gantryDeg: cp.gantryAngleDeg, collimatorDeg: cp.collimatorAngleDeg, couchDeg: cp.couchAngleDeg, isocenterLps: cp.isocenterLps!, sadMm: beam.sadMm ?? machine.sadMm }, aperture: apertureAt(cp, cp, 0), mu, name: where(beam, cp) });
    return out;
  }
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!, b = cps[i + 1]!;
    const dw = b.cumulativeMetersetWeight - a.cumulativeMetersetWeight;
    if (!(dw > 0)) continue;
    const { arcs, steps } = subArcSplit(a, b, maxDeg, maxMm);
    for (let k = 0; k < arcs; k++) {
      const t = (k + 0.5) / arcs;
      const apertureSteps = steps === 1 ? undefined : Array.from({ length: steps }, (_, s) => apertureAt(a, b, (k * steps + s + 0.5) / (arcs * steps)));
      out.push({
        geometry: {
          gantryDeg: angleAt(a.gantryAngleDeg, b.gantryAngleDeg, t),
          collimatorDeg: angleAt(a.collimatorAngleDeg, b.collimatorAngleDeg, t),
          couchDeg: angleAt(a.couchAngleDeg, b.couchAngleDeg, t),
          isocenterLps: a.isocenterLps!,
          sadMm: beam.sadMm ?? machine.sadMm,
        },
        aperture: apertureAt(a, b, t),
        ...(apertureSteps !== undefined ? { apertureSteps } : {}),
        mu: (mu * dw) / final / arcs,
        name: `${where(beam, a)}-${b.index}` + (arcs > 1 ? ` (sub-arc ${k + 1} of ${arcs})` : ''),
      });
    }
  }
  return out;
}

/** Tolerance (mm) of "the isocentre lies on the CT's outer voxel edge". */
const EDGE_TOL_MM = 1e-3;

/** The first isocentre of the beam outside the CT's volume (outer voxel edges) and its distance from it (mm). */
function isocentreOutside(beam: Beam, grid: Grid): { readonly cp: ControlPoint; readonly mm: number } | undefined {
  for (const cp of beam.controlPoints) {
    const c = lpsToContinuousIndex(grid, cp.isocenterLps!);
    let d2 = 0;
    for (let a = 0; a < 3; a++) {
      const below = -0.5 - c[a]!, above = c[a]! - (grid.size[a]! - 0.5);
      const out = Math.max(below, above, 0) * grid.spacingMm[a]!;
      d2 += out * out;
    }
    if (Math.sqrt(d2) > EDGE_TOL_MM) return { cp, mm: Math.sqrt(d2) };
  }
  return undefined;
}

/**
 * Checks a plan against the machine and the CT and splits its beams into static fields. Warnings:
 * isocentres outside the CT, beams that miss the CT; a PlanError when no beam reaches the CT.
 */
export function planFields(
  machine: PhotonMachine,
  plan: RtPlan,
  ct: CtSeries,
  options: SegmentOptions = {},
): { readonly fields: StaticField[]; readonly warnings: string[] } {
  if (plan.frameOfReferenceUid !== ct.frameOfReferenceUid) {
    throw new PlanError(`plan frame of reference ${plan.frameOfReferenceUid} differs from the CT's ${ct.frameOfReferenceUid}`, { file: plan.file });
  }
  if (plan.beams.length === 0) throw new PlanError('the plan has no beams', { file: plan.file });
  const grid = ct.hu.grid;
  const warnings: string[] = checkPatientPosition(ct, plan);
  const missing: string[] = [];
  const fields: StaticField[] = [];
  for (const beam of plan.beams) {
    const segments = beamSegments(machine, plan, beam, checkBeam(machine, plan, beam), options);
    const reaches = segments.some((f) => f.aperture !== undefined && fieldMeetsGrid(beamFrame(f.geometry), f.aperture.jawXMm, f.aperture.jawYMm, grid));
    const iso = beam.controlPoints[0]!.isocenterLps!;
    if (!reaches) {
      missing.push(`${where(beam)} (isocentre [${iso.map(fmt).join(', ')}] mm)`);
      continue;
    }
    const out = isocentreOutside(beam, grid);
    if (out !== undefined) {
      warnings.push(
        `${where(beam, out.cp)}: isocentre [${out.cp.isocenterLps!.map(fmt).join(', ')}] mm lies ${fmt(Number(out.mm.toFixed(1)))} mm outside the CT; ` +
          'the dose is computed from where the beam enters the CT',
      );
    }
    fields.push(...segments);
  }
  if (missing.length === plan.beams.length) {
    throw new PlanError(`no beam reaches the CT: the field of ${missing.join('; ')} misses the CT's volume entirely`, { file: plan.file });
  }
  for (const m of missing) warnings.push(`${m}: the field misses the CT's volume entirely and adds no dose`);
  return { fields, warnings };
}

export interface PlanDose {
  /** Dose per fraction, Gy, on the dose grid. */
  readonly dosePerFractionGy: ScalarVolume;
  readonly warnings: readonly string[];
}

/** Dose per fraction (Gy) of the plan on the dose grid, with the warnings of planFields. */
export function planDose(machine: PhotonMachine, plan: RtPlan, ct: CtSeries, doseGrid: Grid, options: PlanDoseOptions = {}): PlanDose {
  const { fields, warnings } = planFields(machine, plan, ct, options);
  const red = redVolumeOfCt(ct.hu, options.hlut ?? DEFAULT_HLUT);
  return { dosePerFractionGy: fieldsDoseOnGrid(machine, fields, red, doseGrid, options), warnings };
}

export interface GridDoseOptions extends Omit<PlanDoseOptions, 'hlut' | keyof SegmentOptions> {
  /** Dose voxels inside this mask (on the RED grid, e.g. the body) are computed even where the RED is
   * below the air threshold (gas pockets inside the patient). */
  readonly inside?: Mask;
}

/**
 * Dose (Gy) of static fields on a dose grid: every voxel whose nearest RED voxel is not air (RED >=
 * 0.05) or lies inside `options.inside`; other voxels get 0. Segments split among threads.
 */
export function fieldsDoseOnGrid(machine: PhotonMachine, fields: readonly StaticField[], red: ScalarVolume, doseGrid: Grid, options: GridDoseOptions = {}): ScalarVolume {
  const inside = options.inside;
  if (inside !== undefined && inside.data.length !== red.data.length) throw new PlanError('the mask of dose voxels to compute is not on the density grid');
  const n = voxelCount(doseGrid);
  const [nx, ny, nz] = doseGrid.size;
  const idx: number[] = [];
  const xyz: number[] = [];
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(doseGrid, [i, j, k]);
    const c = lpsToIndex(red.grid, x);
    if (c === undefined) continue;
    const v = linearIndex(red.grid, c[0], c[1], c[2]);
    if (red.data[v]! < AIR_RED && (inside === undefined || inside.data[v] === 0)) continue;
    idx.push(p);
    xyz.push(x[0], x[1], x[2]);
  }
  const pts = Float64Array.from(xyz);
  const dose = new Float32Array(n);
  if (idx.length > 0 && fields.length > 0) {
    const bev = options.bevDepth ?? DEFAULT_PLAN_BEV_DEPTH;
    const batchOptions: FieldBatchOptions = { pixelMm: options.pixelMm ?? 2.5, batchSize: options.batchSize ?? 8, ...(bev === false ? {} : { bevDepth: bev }) };
    // fields of the same geometry are computed as one (fieldGroups): a thread takes whole groups
    const groups = fieldGroups(fields);
    const T = Math.max(1, Math.min(Math.floor(options.threads ?? 1), groups.length));
    const sum = new Float64Array(idx.length);
    // contiguous shares: neighbouring segments share canvas layouts and kernel spectra
    const share = (t: number): StaticField[] => groups.slice(Math.floor((t * groups.length) / T), Math.floor(((t + 1) * groups.length) / T)).flat();
    if (T === 1) {
      addFieldsDose(machine, red, pts, fields, batchOptions, sum);
    } else {
      const density = createScalarVolume(red.grid, sharedCopy(red.data));
      const sharedPts = sharedCopy(pts);
      const inits: PlanWorkerInit[] = [];
      for (let t = 1; t < T; t++) {
        inits.push({
          kind: 'plan', ctrl: new Int32Array(new SharedArrayBuffer(4)), machine, density, pointsLps: sharedPts,
          fields: share(t), options: batchOptions, out: new Float64Array(new SharedArrayBuffer(8 * idx.length)),
        });
      }
      runPlanWorkers(inits, () => addFieldsDose(machine, red, pts, share(0), batchOptions, sum));
      for (const d of inits) for (let q = 0; q < idx.length; q++) sum[q] = sum[q]! + d.out[q]!;
    }
    for (let q = 0; q < idx.length; q++) dose[idx[q]!] = sum[q]!;
  }
  return createScalarVolume(doseGrid, dose);
}
