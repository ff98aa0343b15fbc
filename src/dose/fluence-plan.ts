/**
 * Fluence plans: optimised beamlet weights per beam, saved as `plan.json` by `lattice plan` and
 * recomputed by `lattice dose --fluence plan.json`, both through `fluencePlanDose` so that the two
 * give the same dose.
 *
 * A fluence plan holds per beam its IEC geometry (gantry, collimator, couch in degrees, isocentre in
 * LPS mm, SAD mm) and its beamlets: squares of side `beamletMm` at the isocentre plane, beamlet (a, c)
 * centred at ((a + 0.5) beamletMm, (c + 0.5) beamletMm) in the collimator frame, each with a weight in
 * MU per fraction (weight 1 = the fluence of 1 MU of an open field, times the off-axis primary
 * fluence; src/dose/operator.ts). Dose: each beam as a static field carrying its fluence map through
 * the plan-dose path (plan-dose.ts: depth tables, kernel spectra shared in batches, worker threads),
 * over the dose grid's non-air voxels (and, optionally, every voxel inside the body), per fraction in Gy.
 */

import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { FormatError, PlanError, fmt } from '../core/errors.js';
import type { Grid } from '../geometry/grid.js';
import { BODY_THRESHOLD_HU, bodyMaskFromCt, findBodyRoi } from '../geometry/body.js';
import { rasterizeStructures } from '../geometry/structure-set.js';
import { createScalarVolume, type Mask, type ScalarVolume } from '../geometry/volume.js';
import type { CtSeries, StructureSet } from '../io/dicom/model.js';
import { DEFAULT_HLUT, redVolumeOfCt, type Hlut } from './hlut.js';
import { PHOTON_6MV } from './machine-6mv.js';
import { patientDoseGrid, type GridRegion } from './recalculate.js';
import { readYamlOrJson, issueLocation } from '../io/yaml-file.js';
import { checkPatientPosition, type BeamGeometry } from './beam-geometry.js';
import type { StaticField } from './field-dose.js';
import { primaryFluenceAt, type PhotonMachine } from './machine.js';
import type { BeamletMap } from './operator.js';
import { fieldsDoseOnGrid } from './plan-dose.js';

export const FLUENCE_PLAN_FORMAT = 'lattice-rt fluence plan';
export const FLUENCE_PLAN_VERSION = 1;

export interface FluenceBeam {
  readonly name: string;
  readonly gantryDeg: number;
  readonly collimatorDeg: number;
  readonly couchDeg: number;
  readonly isocenterLps: readonly [number, number, number];
  readonly sadMm: number;
  /** Beamlet index origin and extent (see BeamletMap). */
  readonly i0: number;
  readonly j0: number;
  readonly nbu: number;
  readonly nbv: number;
  /** Active beamlets as [a, c, MU per fraction] with a, c relative to i0, j0. */
  readonly beamlets: readonly (readonly [number, number, number])[];
}

export interface FluencePlan {
  readonly format: typeof FLUENCE_PLAN_FORMAT;
  readonly version: number;
  readonly frameOfReferenceUid: string;
  readonly machine: string;
  readonly beamletMm: number;
  readonly pixelMm: number;
  readonly fractions: number;
  readonly beams: readonly FluenceBeam[];
  /** Free-form provenance (template, versions, objective values); not used for the dose. */
  readonly [extra: string]: unknown;
}

const finite = z.number().finite();
const BeamSchema = z.object({
  name: z.string(),
  gantryDeg: finite,
  collimatorDeg: finite,
  couchDeg: finite,
  isocenterLps: z.tuple([finite, finite, finite]),
  sadMm: finite.positive(),
  i0: z.number().int(),
  j0: z.number().int(),
  nbu: z.number().int().positive(),
  nbv: z.number().int().positive(),
  beamlets: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0), finite.min(0)])),
});
const PlanSchema = z.looseObject({
  format: z.literal(FLUENCE_PLAN_FORMAT),
  version: z.literal(FLUENCE_PLAN_VERSION),
  frameOfReferenceUid: z.string().min(1),
  machine: z.string(),
  beamletMm: finite.positive(),
  pixelMm: finite.positive(),
  fractions: z.number().int().min(1),
  beams: z.array(BeamSchema).min(1),
});

/** Validate a parsed plan.json; FormatError naming the file and the field. */
export function parseFluencePlan(raw: unknown, file: string): FluencePlan {
  const r = PlanSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new FormatError(`fluence plan: ${issueLocation(issue.path)}: ${issue.message}`, { file });
  }
  const plan = r.data as unknown as FluencePlan;
  plan.beams.forEach((b, bi) => {
    for (const [a, c] of b.beamlets) {
      if (a >= b.nbu || c >= b.nbv) {
        throw new FormatError(`fluence plan: beam ${bi + 1} "${b.name}": beamlet (${a}, ${c}) lies outside its ${b.nbu} x ${b.nbv} map`, { file });
      }
    }
  });
  return plan;
}

export const beamGeometryOf = (b: FluenceBeam): BeamGeometry => ({
  gantryDeg: b.gantryDeg,
  collimatorDeg: b.collimatorDeg,
  couchDeg: b.couchDeg,
  isocenterLps: [b.isocenterLps[0], b.isocenterLps[1], b.isocenterLps[2]],
  sadMm: b.sadMm,
});

/** Beamlet maps and the weight vector (beam by beam, c-major then a, as the operator numbers them). */
export function fluenceWeights(plan: FluencePlan): { maps: BeamletMap[]; weightsMu: Float64Array } {
  const maps: BeamletMap[] = [];
  const w: number[] = [];
  for (const b of plan.beams) {
    const active = new Uint8Array(b.nbu * b.nbv);
    const mu = new Float64Array(b.nbu * b.nbv);
    for (const [a, c, m] of b.beamlets) {
      active[a + b.nbu * c] = 1;
      mu[a + b.nbu * c] = m;
    }
    maps.push({ i0: b.i0, j0: b.j0, nbu: b.nbu, nbv: b.nbv, active });
    for (let q = 0; q < active.length; q++) if (active[q]) w.push(mu[q]!);
  }
  return { maps, weightsMu: Float64Array.from(w) };
}

/** The plan's beams as static fields carrying fluence maps (MU per fraction, psi included). */
export function fluenceFields(machine: PhotonMachine, plan: FluencePlan): StaticField[] {
  const h = plan.pixelMm;
  const sub = Math.round(plan.beamletMm / h);
  if (!(sub >= 1) || Math.abs(sub * h - plan.beamletMm) > 1e-9 * plan.beamletMm) {
    throw new PlanError(`fluence plan: beamlet side ${fmt(plan.beamletMm)} mm must be a multiple of the pixel side ${fmt(h)} mm`);
  }
  return plan.beams.map((b) => {
    if (Math.abs(b.sadMm - machine.sadMm) > 1e-6) throw new PlanError(`fluence plan, beam "${b.name}": SAD ${fmt(b.sadMm)} mm differs from the machine's ${fmt(machine.sadMm)} mm`);
    const region = { u0Mm: b.i0 * plan.beamletMm + h / 2, v0Mm: b.j0 * plan.beamletMm + h / 2, nu: b.nbu * sub, nv: b.nbv * sub };
    const values = new Float64Array(region.nu * region.nv);
    for (const [a, c, mu] of b.beamlets) {
      for (let sc = 0; sc < sub; sc++) {
        for (let sa = 0; sa < sub; sa++) {
          const pa = a * sub + sa, pc = c * sub + sc;
          values[pa + region.nu * pc] = mu * primaryFluenceAt(machine, Math.hypot(region.u0Mm + pa * h, region.v0Mm + pc * h));
        }
      }
    }
    return { geometry: beamGeometryOf(b), fluence: { region, pixelMm: h, values }, mu: 1, name: b.name };
  });
}

export interface FluenceDoseOptions {
  readonly threads?: number;
  /** Dose voxels inside this mask (RED grid; e.g. the body) are computed even in gas. */
  readonly inside?: Mask;
}

/** Dose per fraction (Gy) of a fluence plan on a dose grid, given the RED volume of the CT. */
export function fluencePlanDose(
  machine: PhotonMachine,
  plan: FluencePlan,
  red: ScalarVolume,
  doseGrid: Grid,
  options: FluenceDoseOptions = {},
): ScalarVolume {
  return fieldsDoseOnGrid(machine, fluenceFields(machine, plan), red, doseGrid, {
    pixelMm: plan.pixelMm,
    threads: options.threads ?? 1,
    ...(options.inside !== undefined ? { inside: options.inside } : {}),
  });
}

/** Read and validate plan.json. */
export function readFluencePlan(file: string): FluencePlan {
  return parseFluencePlan(readYamlOrJson(file, 'fluence plan'), file);
}

export interface FluenceRecalculation {
  readonly doseGrid: Grid;
  readonly dosePerFractionGy: ScalarVolume;
  /** dosePerFractionGy x the plan's fractions. */
  readonly totalDoseGy: ScalarVolume;
  readonly warnings: readonly string[];
}

/**
 * The planned total dose of a fluence plan on its CT, computed in every non-air voxel and inside the
 * body (the structure set's body ROI, else the CT above -500 HU), on the dose grid of
 * patientDoseGrid (default 2.5 mm): the whole-CT grid's nodes around those voxels (plus one node),
 * bounded to `gridRegion` when given. `lattice plan` and `lattice dose --fluence` both call this, so
 * they agree.
 */
export function recalculateFluencePlan(
  ct: CtSeries,
  structureSet: StructureSet | undefined,
  plan: FluencePlan,
  options: {
    readonly gridSpacingMm?: number;
    readonly threads?: number;
    readonly machine?: PhotonMachine;
    readonly hlut?: Hlut;
    /** Bounds the dose grid to this region (within the patient); default: the whole patient. */
    readonly gridRegion?: GridRegion;
  } = {},
): FluenceRecalculation {
  const warnings: string[] = [];
  if (plan.frameOfReferenceUid !== ct.frameOfReferenceUid) {
    throw new PlanError(`fluence plan frame of reference ${plan.frameOfReferenceUid} differs from the CT's ${ct.frameOfReferenceUid}`);
  }
  warnings.push(...checkPatientPosition(ct));
  const roi = structureSet !== undefined ? findBodyRoi(structureSet.structures) : undefined;
  let body = roi !== undefined ? rasterizeStructures([roi], ct.hu.grid, (w) => warnings.push(w))[0]?.mask : undefined;
  if (body === undefined) {
    body = bodyMaskFromCt(ct.hu);
    if (roi !== undefined) warnings.push(`body ROI "${roi.name}" has no closed contours: the body is the CT above ${BODY_THRESHOLD_HU} HU`);
  }
  const hlut = options.hlut ?? DEFAULT_HLUT;
  const red = redVolumeOfCt(ct.hu, hlut);
  const doseGrid = patientDoseGrid(ct, options.gridSpacingMm ?? 2.5, { hlut, inside: body, ...(options.gridRegion !== undefined ? { region: options.gridRegion } : {}) });
  const perFraction = fluencePlanDose(options.machine ?? PHOTON_6MV, plan, red, doseGrid, { threads: options.threads ?? availableParallelism(), inside: body });
  const total = createScalarVolume(doseGrid);
  for (let i = 0; i < total.data.length; i++) total.data[i] = perFraction.data[i]! * plan.fractions;
  return { doseGrid, dosePerFractionGy: perFraction, totalDoseGy: total, warnings };
}
