/**
 * Forward dose of a DICOM RT plan (static fields and dynamic / VMAT control points) on a dose grid.
 *
 * Input: an RtPlan (src/io/dicom/model.ts: angles in degrees, jaws and MLC in mm at the isocentre
 * plane, isocentre in LPS), the CT it was planned on (HU) and a dose grid (LPS). Output: dose per
 * fraction in Gy on the dose grid (0 in air: dose voxels whose CT voxel has RED < 0.05 or lie outside the CT). Every beam's MU are split over its control-point segments by the
 * cumulative meterset weights; each segment with a positive weight is delivered at its midpoint
 * (mean gantry angle, mean MLC and jaw positions; equal to the control point itself for step-and-shoot).
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
import { addFieldsDose, type FieldBatchOptions, type StaticField } from './field-dose.js';
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
}

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

/** Mean of two angles in degrees along the shorter arc. */
function meanAngle(a: number, b: number): number {
  let d = ((b - a) % 360 + 540) % 360 - 180;
  return (a + d / 2 + 360) % 360;
}

/** The static fields (one per segment with MU) of a beam. */
export function beamSegments(machine: PhotonMachine, plan: RtPlan, beam: Beam, mu: number): StaticField[] {
  const cps = beam.controlPoints;
  const final = beam.finalCumulativeMetersetWeight;
  const out: StaticField[] = [];
  const apertureOf = (a: ControlPoint, b: ControlPoint): Aperture => {
    const x1 = jaws(a, 'X'), x2 = jaws(b, 'X'), y1 = jaws(a, 'Y'), y2 = jaws(b, 'Y');
    const ma = a.mlcMm?.MLCX, mb = b.mlcMm?.MLCX;
    const base: Aperture = { jawXMm: [(x1[0] + x2[0]) / 2, (x1[1] + x2[1]) / 2], jawYMm: [(y1[0] + y2[0]) / 2, (y1[1] + y2[1]) / 2] };
    if (ma === undefined || mb === undefined) return base;
    const n = ma.length / 2;
    const bankA = new Float64Array(n), bankB = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      bankA[i] = (ma[i]! + mb[i]!) / 2;
      bankB[i] = (ma[n + i]! + mb[n + i]!) / 2;
    }
    return { ...base, mlc: { boundariesMm: beam.leafBoundariesMm.MLCX!, bankA, bankB } };
  };
  if (cps.length === 1) {
    const cp = cps[0]!;
    out.push({ geometry: { gantryDeg: cp.gantryAngleDeg, collimatorDeg: cp.collimatorAngleDeg, couchDeg: cp.couchAngleDeg, isocenterLps: cp.isocenterLps!, sadMm: beam.sadMm ?? machine.sadMm }, aperture: apertureOf(cp, cp), mu, name: where(beam, cp) });
    return out;
  }
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!, b = cps[i + 1]!;
    const dw = b.cumulativeMetersetWeight - a.cumulativeMetersetWeight;
    if (!(dw > 0)) continue;
    out.push({
      geometry: {
        gantryDeg: meanAngle(a.gantryAngleDeg, b.gantryAngleDeg),
        collimatorDeg: meanAngle(a.collimatorAngleDeg, b.collimatorAngleDeg),
        couchDeg: meanAngle(a.couchAngleDeg, b.couchAngleDeg),
        isocenterLps: a.isocenterLps!,
        sadMm: beam.sadMm ?? machine.sadMm,
      },
      aperture: apertureOf(a, b),
      mu: (mu * dw) / final,
      name: `${where(beam, a)}-${b.index}`,
    });
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
export function planFields(machine: PhotonMachine, plan: RtPlan, ct: CtSeries): { readonly fields: StaticField[]; readonly warnings: string[] } {
  if (plan.frameOfReferenceUid !== ct.frameOfReferenceUid) {
    throw new PlanError(`plan frame of reference ${plan.frameOfReferenceUid} differs from the CT's ${ct.frameOfReferenceUid}`, { file: plan.file });
  }
  if (plan.beams.length === 0) throw new PlanError('the plan has no beams', { file: plan.file });
  const grid = ct.hu.grid;
  const warnings: string[] = checkPatientPosition(ct, plan);
  const missing: string[] = [];
  const fields: StaticField[] = [];
  for (const beam of plan.beams) {
    const segments = beamSegments(machine, plan, beam, checkBeam(machine, plan, beam));
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
  const { fields, warnings } = planFields(machine, plan, ct);
  const red = redVolumeOfCt(ct.hu, options.hlut ?? DEFAULT_HLUT);
  return { dosePerFractionGy: fieldsDoseOnGrid(machine, fields, red, doseGrid, options), warnings };
}

export interface GridDoseOptions extends Omit<PlanDoseOptions, 'hlut'> {
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
    const T = Math.max(1, Math.min(Math.floor(options.threads ?? 1), fields.length));
    const sum = new Float64Array(idx.length);
    // contiguous shares: neighbouring segments share canvas layouts and kernel spectra
    const share = (t: number): StaticField[] => fields.slice(Math.floor((t * fields.length) / T), Math.floor(((t + 1) * fields.length) / T));
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
