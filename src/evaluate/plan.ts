/**
 * One plan evaluated end to end: every structure's DVH and metrics in physical dose and EQD2
 * (planned and delivered fractions), the constraint set, and the SFRT metrics. Pure: data in,
 * a JSON-ready `PlanEvaluation` out (report/ renders it; the CLI reads files and writes reports).
 *
 * Inputs: contoured structures (LPS, mm), the PLANNED physical dose (total over the planned
 * fractions, Gy, any grid), the schedule (planned / delivered fractions) and options. Structures
 * without closed contours are skipped with a warning. A negative or non-finite dose anywhere in
 * the grid is an InputError.
 * Without a schedule (a dose with no plan to say in how many fractions): DVHs, metrics, conformity
 * and physical SFRT metrics only; EQD2, delivered dose and constraint checks need the fraction
 * count and are left out, with one note saying so (`notes`).
 * Per structure: α/β (radiobiology.ts defaults or overrides), volume, the part outside the dose
 * grid, min / max / mean, the near-maximum doses (each labelled), D98 / D95 / D50 / D2, requested
 * metrics; the same key figures in planned EQD2, delivered physical dose and delivered EQD2.
 * Conformity, for each target given a prescription: RTOG CI, Paddick CI, gradient index (isodose
 * volumes by voxel counting on the dose grid, whole grid) and the ICRU 83 homogeneity index.
 * SFRT: GTV (interpreted type GTV, else a name starting 'GTV'), spheres (names matching
 * `spherePattern`, default /^(sphere|vertex)/i), valley (name matching /valley/i).
 */

import { findStructure } from '../geometry/structure-set.js';
import { GeometryError, InputError, fmt } from '../core/errors.js';
import { checkDoseChunk, kernels, reserveKernelMemory } from '../core/wasm-kernels.js';
import type { ContourStructure } from '../geometry/structure.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { evaluateConstraints, type ConstraintBasis, type ConstraintEvaluation, type PlanStructure } from './constraints/evaluate.js';
import { matchTg263, type NameMapping } from './constraints/names.js';
import type { ConstraintSet } from './constraints/types.js';
import {
  cumulativeDvh,
  DEFAULT_BETWEEN_PLANES,
  PHYSICAL_DOSE,
  releaseDvhScratch,
  SMALL_STRUCTURE_CC,
  sampleDose,
  sampleStructure,
  type DoseMap,
  type DoseSamples,
  type Dvh,
  type SamplingInfo,
} from './dvh.js';
import type { BetweenPlanesChoice } from '../geometry/between-planes.js';
import { computeDvhTask, type DvhPool, type DvhTask } from './dvh-pool.js';
import { checkSchedule, deliveredEqd2Map, deliveredMap, deliveredSamples, type Schedule } from './fractions.js';
import {
  conformity,
  dosesAtVolumesCc,
  evaluateMetric,
  homogeneityIndexIcru83,
  isodoseVolumeCc,
  nearMaxima,
  nearMaximaVolumesCc,
  parseMetric,
  percentOfDosedCc,
  volumeAtDoseCc,
} from './metrics.js';
import { alphaBetaFor, eqd2Map } from './radiobiology.js';
import { sfrtMetrics, sfrtPhysicalAndEqd2, type SfrtMetrics } from './sfrt.js';

import { DISCLAIMER } from '../core/disclaimer.js';

export { DISCLAIMER };

export interface PlanEvaluationOptions {
  /** Planned and delivered fractions; absent when not known (no EQD2, delivered dose or constraints). */
  readonly schedule?: Schedule;
  /** The note given when there is no schedule (default: NO_SCHEDULE_NOTE). */
  readonly noScheduleNote?: string;
  readonly constraintSet?: ConstraintSet;
  /** Default: 'planned-physical' when the set's fractions equal the planned fractions, else 'eqd2'. */
  readonly constraintBasis?: ConstraintBasis;
  readonly alphaBeta?: Readonly<Record<string, number>>;
  readonly mapping?: NameMapping;
  /** Extra metrics per structure, e.g. ['D95%', 'V20Gy', 'V<21Gy']. */
  readonly metrics?: readonly string[];
  readonly spherePattern?: RegExp;
  /** Peak (sphere) structures by name; overrides spherePattern (e.g. the union PTV_6670). */
  readonly peakStructures?: readonly string[];
  /** Valley structure by name; default: the first structure whose name contains "valley". */
  readonly valleyStructure?: string;
  /** Targets with their prescription (Gy, planned total) for conformity, gradient and homogeneity. */
  readonly prescriptions?: readonly { readonly structure: string; readonly doseGy: number }[];
  readonly binWidthGy?: number;
  /** Shape between contour planes (default DEFAULT_BETWEEN_PLANES, 'auto'). */
  readonly betweenPlanes?: BetweenPlanesChoice;
  /** Points per structure in the stored cumulative DVH curves (default 200). */
  readonly curvePoints?: number;
  /** Worker threads to share the structures' DVHs with (dvh-pool.ts); the results are the same. */
  readonly pool?: DvhPool;
  /**
   * The planned dose's maximum (Gy) where the caller has checked every value finite and non-negative
   * already (DoseGrid.maxGy of the dose as read): checkDoseVolume's pass over the values is then
   * skipped. Otherwise that pass checks the dose and finds its maximum.
   */
  readonly doseMaxGy?: number;
}

/** Key figures of one structure in one quantity (Gy). */
export interface KeyFigures {
  readonly quantity: string;
  readonly minGy: number;
  readonly maxGy: number;
  readonly meanGy: number;
  readonly D0_03ccGy: number;
  readonly D0_035ccGy: number;
  readonly D2pctGy: number;
  readonly D50pctGy: number;
  readonly D95pctGy: number;
  readonly D98pctGy: number;
}

export interface StructureEvaluation {
  readonly name: string;
  readonly interpretedType: string;
  readonly tg263?: string;
  readonly alphaBetaGy: number;
  readonly alphaBetaSource: string;
  readonly volumeCc: number;
  readonly dosedVolumeCc: number;
  readonly outsideFraction: number;
  readonly sampling: Omit<SamplingInfo, 'grid'> & { readonly points: number };
  readonly planned: KeyFigures;
  /** The next three need the schedule (absent without one). */
  readonly plannedEqd2?: KeyFigures;
  readonly delivered?: KeyFigures;
  readonly deliveredEqd2?: KeyFigures;
  /** Requested metrics on the planned physical dose. */
  readonly requested: Readonly<Record<string, { readonly value: number; readonly unit: string }>>;
  /** Cumulative DVH of the planned physical dose: dose (Gy) and volume (cc) pairs. */
  readonly curve: { readonly doseGy: readonly number[]; readonly volumeCc: readonly number[] };
}

export interface TargetConformity {
  readonly structure: string;
  readonly prescriptionGy: number;
  readonly targetCc: number;
  /** Target volume receiving >= the prescription. */
  readonly targetCoveredCc: number;
  /** Dose-grid volume >= the prescription (voxel counting), and >= half of it. */
  readonly prescriptionIsodoseCc: number;
  readonly halfPrescriptionIsodoseCc: number;
  readonly rtogCi: number;
  readonly paddickCi: number;
  readonly gradientIndex: number;
  /** ICRU 83: (D2% - D98%) / D50%. */
  readonly homogeneityIndexIcru83: number;
  readonly coveragePct: number;
}

export interface PlanEvaluation {
  readonly disclaimer: string;
  /** Absent when the fraction count is not known. */
  readonly schedule?: Schedule;
  /** What was not computed and why (e.g. no fraction count: no EQD2 or constraint checks). */
  readonly notes: readonly string[];
  readonly conventions: readonly string[];
  readonly structures: readonly StructureEvaluation[];
  readonly constraints?: ConstraintEvaluation;
  readonly conformity?: readonly TargetConformity[];
  readonly sfrt?: {
    readonly gtv: string;
    readonly spheres: readonly string[];
    readonly valley?: string;
    readonly alphaBetaGy: number;
    /** EQD2 and the delivered figures need the schedule (absent without one). */
    readonly planned: { readonly physical: SfrtMetrics; readonly eqd2?: SfrtMetrics };
    readonly delivered?: { readonly physical: SfrtMetrics; readonly eqd2: SfrtMetrics };
  };
  readonly warnings: readonly string[];
}

/** How the report names each model of the shape between contour planes. */
const INTERPOLATED =
  'interpolated (shape-based: the power fields of each plane\'s row and column lines interpolated by cubic Hermite across planes, exact for spheres, cones and cylinders; beyond an end plane a dome closes where it reaches zero within one plane spacing, a flat end is cut half a spacing out)';
const SLAB = 'slab (each contour plane stands for a slab one plane spacing thick, half-spacing caps at the end planes, as most planning systems do)';
export const BETWEEN_PLANES_CONVENTION: Readonly<Record<BetweenPlanesChoice, string>> = {
  auto:
    `Between contour planes: auto. Structures under ${SMALL_STRUCTURE_CC} cc (sampled at 0.5 mm: lattice spheres, small targets) ${INTERPOLATED}; larger structures ${SLAB}, where both models agree within 0.1 %. Each structure's sampling names its model; --between-planes interpolated or slab applies one model to all.`,
  interpolated: `Between contour planes: ${INTERPOLATED}, for every structure.`,
  slab: `Between contour planes: ${SLAB}, for every structure; shapes that curve along the slice axis lose or gain volume (up to 4 % for a 15 mm sphere on 3 mm planes).`,
};

const conventionsFor = (model: BetweenPlanesChoice): string[] => [
  'Cumulative DVH: volume receiving >= dose; relative volumes are of the part inside the dose grid.',
  'Structures sampled from contours (even-odd fill in each plane, exact partial volume in the plane), dose by trilinear interpolation, each point spread over the dose range of its sampling box.',
  BETWEEN_PLANES_CONVENTION[model],
  'Dmax: maximum over sampling points of voxels at least half inside (occupancy >= 0.5); D0.03cc (NRG), D0.035cc (the usual reading of a TG-101 maximum point dose) and D2% (ICRU 83) are reported separately.',
  'EQD2 and BED: linear-quadratic model, voxel by voxel from each point\'s dose per fraction; α/β stated per structure.',
  'Delivered dose: planned dose x delivered / planned fractions, voxel by voxel, identical fractions assumed.',
];

/** Planned doses above this (Gy) get a warning naming the likely cGy / Gy mix-up. */
export const IMPLAUSIBLE_DOSE_GY = 300;

/** The note of an evaluation without a schedule. */
export const NO_SCHEDULE_NOTE =
  'the number of planned fractions is not known: EQD2, delivered dose and constraint checks not computed';

/** Values checkDoseVolume copies into the kernels' memory and checks a call of the kernel (256 KiB). */
const DOSE_CHECK_CHUNK = 1 << 16;

/**
 * Throws InputError on a negative or non-finite dose value anywhere in the grid; returns the maximum (Gy).
 * The values are checked by the WebAssembly kernel (assembly/dose-check.ts), a chunk at a time through
 * the kernels' memory: the loop runs once, over millions of values, which V8 ran unoptimised.
 */
export function checkDoseVolume(dose: ScalarVolume, file?: string): number {
  const d = dose.data;
  const chunk = Math.min(d.length, DOSE_CHECK_CHUNK);
  reserveKernelMemory(4 * chunk);
  const values = new Float32Array(kernels<object>().memory.buffer, 0, chunk);
  let max = 0;
  for (let i0 = 0; i0 < d.length; i0 += chunk) {
    const n = Math.min(chunk, d.length - i0);
    values.set(d.subarray(i0, i0 + n));
    const checked = checkDoseChunk(0, n, max);
    if (checked.bad >= 0) {
      const i = i0 + checked.bad;
      throw new InputError(`dose must be finite and non-negative (Gy), found ${fmt(d[i]!)} Gy at voxel ${i}`, file !== undefined ? { file } : {});
    }
    max = checked.max;
  }
  return max;
}

function keyFigures(dvh: Dvh): KeyFigures {
  // the Dx figures from one pass down the bins (metrics.ts dosesAtVolumesCc: each as doseAtVolumeCc gives it)
  const near = nearMaximaVolumesCc(dvh);
  const doses = dosesAtVolumesCc(dvh, [...near, ...[50, 95, 98].map((p) => percentOfDosedCc(dvh, p))]);
  const nm = nearMaxima(dvh, doses);
  return {
    quantity: dvh.quantity,
    minGy: dvh.minGy,
    maxGy: dvh.maxGy,
    meanGy: dvh.meanGy,
    D0_03ccGy: nm.D0_03ccGy,
    D0_035ccGy: nm.D0_035ccGy,
    D2pctGy: nm.D2pctGy,
    D50pctGy: doses[near.length]!,
    D95pctGy: doses[near.length + 1]!,
    D98pctGy: doses[near.length + 2]!,
  };
}

function curveOf(dvh: Dvh, points: number): { doseGy: number[]; volumeCc: number[] } {
  const cum = cumulativeDvh(dvh);
  const n = cum.doseGy.length;
  const doseGy: number[] = [];
  const volumeCc: number[] = [];
  const step = Math.max(1, Math.ceil(n / points));
  for (let b = 0; b < n; b += step) {
    doseGy.push(Number(cum.doseGy[b]!.toFixed(4)));
    volumeCc.push(Number(cum.volumeCc[b]!.toPrecision(6)));
  }
  if ((n - 1) % step !== 0) {
    doseGy.push(Number(cum.doseGy[n - 1]!.toFixed(4)));
    volumeCc.push(Number(cum.volumeCc[n - 1]!.toPrecision(6)));
  }
  return { doseGy, volumeCc };
}

/**
 * Names of the structures whose samples evaluatePlan reads after their DVHs: the prescriptions'
 * targets and every structure that may take an SFRT role (GTV, peak and valley, by the rules the SFRT
 * section below applies).
 */
/** The SFRT roles' rules, for the selection below and for structuresWithSamples. */
const DEFAULT_SPHERE_PATTERN = /^(sphere|vertex)/i;
const isGtvByType = (s: ContourStructure): boolean => s.interpretedType === 'GTV';
const isGtvByName = (s: ContourStructure): boolean => /^gtv/i.test(s.name);
const isValleyByName = (s: ContourStructure): boolean => /valley/i.test(s.name);

function structuresWithSamples(structures: readonly ContourStructure[], options: PlanEvaluationOptions): Set<string> {
  const pattern = options.spherePattern ?? DEFAULT_SPHERE_PATTERN;
  const names = new Set<string>([
    ...(options.prescriptions ?? []).map((rx) => rx.structure),
    ...(options.peakStructures ?? []),
    ...(options.valleyStructure !== undefined ? [options.valleyStructure] : []),
  ]);
  // The GTV and the valley take SFRT roles only beside peak structures.
  const peaks = options.peakStructures !== undefined || structures.some((s) => pattern.test(s.name));
  for (const s of structures) {
    if (peaks && (isGtvByType(s) || isGtvByName(s) || isValleyByName(s) || (options.peakStructures === undefined && pattern.test(s.name)))) names.add(s.name);
  }
  // findStructure also matches names case-insensitively: keep those too.
  const lower = new Set([...names].map((n) => n.toLowerCase()));
  for (const s of structures) if (lower.has(s.name.toLowerCase())) names.add(s.name);
  return names;
}

export function evaluatePlan(
  structures: readonly ContourStructure[],
  plannedDose: ScalarVolume,
  options: PlanEvaluationOptions,
): PlanEvaluation {
  const schedule = options.schedule;
  if (schedule !== undefined) checkSchedule(schedule);
  else if (options.constraintSet !== undefined) {
    throw new InputError(`constraint set ${options.constraintSet.name} needs the number of planned fractions, which is not known`);
  }
  const maxDoseGy = options.doseMaxGy ?? checkDoseVolume(plannedDose);
  const betweenPlanes = options.betweenPlanes ?? DEFAULT_BETWEEN_PLANES;
  const specs = (options.metrics ?? []).map((m) => [m, parseMetric(m)] as const);
  const bin = options.binWidthGy !== undefined ? { binWidthGy: options.binWidthGy } : {};
  const warnings: string[] = [];
  if (maxDoseGy > IMPLAUSIBLE_DOSE_GY) {
    warnings.push(
      `the planned dose reaches ${maxDoseGy.toFixed(1)} Gy, beyond any external-beam plan (over ${IMPLAUSIBLE_DOSE_GY} Gy): ` +
        `if the RT Dose holds cGy labelled Gy (DoseUnits, DoseGridScaling), every figure here is 100 times too high`,
    );
  }
  const evaluated: StructureEvaluation[] = [];
  const planStructures: PlanStructure[] = [];
  const samplesByName = new Map<string, DoseSamples>();
  const plannedByName = new Map<string, Dvh>();
  // All fractions delivered: the delivered dose is the planned dose, point by point (x 1), and
  // delivered EQD2 the planned EQD2; their figures are those of the planned DVHs, relabelled.
  const allDelivered = schedule !== undefined && schedule.fractionsDelivered === schedule.fractionsPlanned;
  const constraintBasis =
    options.constraintSet !== undefined && schedule !== undefined
      ? (options.constraintBasis ?? (options.constraintSet.fractions === schedule.fractionsPlanned ? 'planned-physical' : 'eqd2'))
      : undefined;
  // The structures whose samples are read after their DVHs (prescriptions, SFRT roles) keep them;
  // every other structure's DVHs are made in one pass that stores no points (structureDvhs).
  const keep = structuresWithSamples(structures, options);

  // Per structure with a closed contour: the dose maps (planned physical dose, planned EQD2, and the
  // delivered dose and EQD2 when they differ from the planned ones or a constraint check in delivered
  // EQD2 asks for it) and where each quantity's DVH is among them (-1: not made).
  const requests = structures.flatMap((s) => {
    const hasClosed = s.contours.some((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsLps.length >= 9);
    if (!hasClosed) return [];
    const ab = alphaBetaFor(s, options.alphaBeta);
    const maps: DoseMap[] = [PHYSICAL_DOSE];
    const add = (m: DoseMap): number => maps.push(m) - 1;
    let plannedEqd2At = -1, deliveredAt = 0, deliveredEqd2At = -1;
    if (schedule !== undefined) {
      plannedEqd2At = add(eqd2Map(schedule.fractionsPlanned, ab.alphaBetaGy, s.name));
      if (!allDelivered) deliveredAt = add(deliveredMap(schedule));
      if (allDelivered ? constraintBasis === 'eqd2' : schedule.fractionsDelivered > 0) deliveredEqd2At = add(deliveredEqd2Map(schedule, ab.alphaBetaGy, s.name));
    }
    const task: DvhTask = {
      structure: { name: s.name, contours: s.contours },
      sampling: { betweenPlanes },
      maps,
      options: { ...bin, doseMaxGy: maxDoseGy, keepSamples: keep.has(s.name) },
    };
    return [{ s, ab, task, plannedEqd2At, deliveredAt, deliveredEqd2At }];
  });
  // Computed by the pool's threads where there is one (a structure that failed there is done again
  // below, to meet its error here).
  const pooled = options.pool?.run(requests.map((r) => r.task), plannedDose);
  const byStructure = new Map(requests.map((r, i) => [r.s, { ...r, done: pooled?.[i] }]));

  for (const s of structures) {
    const request = byStructure.get(s);
    if (request === undefined) {
      warnings.push(`structure "${s.name}" has no closed contour; not evaluated`);
      continue;
    }
    const { ab, plannedEqd2At, deliveredAt, deliveredEqd2At } = request;
    // A structure whose contours cannot be filled (all points on a line, oblique planes) is left out
    // with the reason; the others are still evaluated.
    let made;
    try {
      made = request.done ?? computeDvhTask(request.task, plannedDose);
    } catch (e) {
      if (!(e instanceof GeometryError)) throw e;
      warnings.push(`structure "${s.name}" not evaluated: ${e.message.replace(/ \(structure "[^"]*"\)$/, '')}`);
      continue;
    }
    if (made.volumeCc === 0) {
      warnings.push(`structure "${s.name}" not evaluated: its contours enclose no volume`);
      continue;
    }
    warnings.push(...made.warnings);
    if (made.pointsInside === 0) {
      warnings.push(`structure "${s.name}" lies entirely outside the dose grid; not evaluated`);
      continue;
    }
    const planned = made.dvhs[0]!;
    plannedByName.set(s.name, planned);
    let samples = made.samples;
    if (samples !== undefined) samplesByName.set(s.name, samples);
    const deliveredEqd2Dvh = deliveredEqd2At >= 0 ? made.dvhs[deliveredEqd2At]! : undefined;
    planStructures.push({
      name: s.name,
      interpretedType: s.interpretedType,
      samples: () => (samples ??= sampleDose(sampleStructure(s, plannedDose.grid, { betweenPlanes }), plannedDose)),
      dvhs: {
        planned,
        ...(deliveredEqd2Dvh !== undefined ? { deliveredEqd2: { alphaBetaGy: ab.alphaBetaGy, dvh: deliveredEqd2Dvh } } : {}),
      },
    });
    const requested: Record<string, { value: number; unit: string }> = {};
    for (const [text, spec] of specs) requested[text] = evaluateMetric(planned, spec);
    const tg = matchTg263(s.name, options.mapping);
    const { grid: _grid, ...info } = made.info;
    const plannedFigures = keyFigures(planned);
    let scheduled: Pick<StructureEvaluation, 'plannedEqd2' | 'delivered' | 'deliveredEqd2'> = {};
    if (schedule !== undefined) {
      const plannedEqd2 = made.dvhs[plannedEqd2At]!;
      const plannedEqd2Figures = keyFigures(plannedEqd2);
      // The labels deliveredMap / deliveredEqd2Map give; all fractions delivered, the planned figures relabelled.
      const deliveredLabel = `(${schedule.fractionsDelivered} of ${schedule.fractionsPlanned} fractions)`;
      scheduled = {
        plannedEqd2: plannedEqd2Figures,
        delivered: allDelivered ? { ...plannedFigures, quantity: `delivered ${planned.quantity} ${deliveredLabel}` } : keyFigures(made.dvhs[deliveredAt]!),
        // no delivered fraction: the delivered dose (all zero) stands for its EQD2, as deliveredSamples did
        deliveredEqd2: allDelivered
          ? { ...plannedEqd2Figures, quantity: `delivered ${plannedEqd2.quantity} ${deliveredLabel}` }
          : keyFigures(made.dvhs[deliveredEqd2At >= 0 ? deliveredEqd2At : deliveredAt]!),
      };
    }
    evaluated.push({
      name: s.name,
      interpretedType: s.interpretedType,
      ...(tg !== undefined ? { tg263: tg.tg263 } : {}),
      alphaBetaGy: ab.alphaBetaGy,
      alphaBetaSource: ab.source,
      volumeCc: planned.volumeCc,
      dosedVolumeCc: planned.dosedVolumeCc,
      outsideFraction: planned.outsideFraction,
      sampling: { ...info, points: made.points },
      planned: plannedFigures,
      ...scheduled,
      requested,
      curve: curveOf(planned, options.curvePoints ?? 200),
    });
  }

  releaseDvhScratch();

  const conformityRows: TargetConformity[] = [];
  for (const rx of options.prescriptions ?? []) {
    const samples = samplesByName.get(rx.structure);
    if (samples === undefined) {
      throw new InputError(`prescription given for structure "${rx.structure}", which is not among the evaluated structures`);
    }
    if (!(rx.doseGy > 0 && Number.isFinite(rx.doseGy))) {
      throw new InputError(`prescription dose must be > 0 Gy, found ${fmt(rx.doseGy)}`, { structure: rx.structure });
    }
    const dvh = plannedByName.get(rx.structure)!;
    const piv = isodoseVolumeCc(plannedDose, rx.doseGy);
    const half = isodoseVolumeCc(plannedDose, rx.doseGy / 2);
    const covered = volumeAtDoseCc(dvh, rx.doseGy);
    const c = conformity({ targetCc: dvh.dosedVolumeCc, targetCoveredCc: covered, prescriptionIsodoseCc: piv, halfPrescriptionIsodoseCc: half });
    conformityRows.push({
      structure: rx.structure,
      prescriptionGy: rx.doseGy,
      targetCc: dvh.dosedVolumeCc,
      targetCoveredCc: covered,
      prescriptionIsodoseCc: piv,
      halfPrescriptionIsodoseCc: half,
      rtogCi: c.rtogCi,
      paddickCi: c.paddickCi,
      gradientIndex: c.gradientIndex!,
      homogeneityIndexIcru83: homogeneityIndexIcru83(dvh),
      coveragePct: (100 * covered) / dvh.dosedVolumeCc,
    });
  }

  let constraints: ConstraintEvaluation | undefined;
  if (options.constraintSet !== undefined && schedule !== undefined) {
    const set = options.constraintSet;
    const basis = constraintBasis!;
    constraints = evaluateConstraints(set, planStructures, {
      basis,
      schedule,
      ...(options.alphaBeta !== undefined ? { alphaBeta: options.alphaBeta } : {}),
      ...(options.mapping !== undefined ? { mapping: options.mapping } : {}),
      ...bin,
    });
    warnings.push(...constraints.warnings);
  }

  // SFRT.
  let sfrt: PlanEvaluation['sfrt'];
  const gtv = structures.find((s) => isGtvByType(s) && samplesByName.has(s.name)) ??
    structures.find((s) => isGtvByName(s) && samplesByName.has(s.name));
  const pattern = options.spherePattern ?? DEFAULT_SPHERE_PATTERN;
  const spheres =
    options.peakStructures !== undefined
      ? options.peakStructures.map((name) => findStructure(structures, name, 'peak structure'))
      : structures.filter((s) => pattern.test(s.name) && samplesByName.has(s.name));
  if (gtv !== undefined && spheres.length > 0) {
    const valley =
      options.valleyStructure !== undefined
        ? findStructure(structures, options.valleyStructure, 'valley structure')
        : structures.find((s) => isValleyByName(s) && samplesByName.has(s.name));
    const samplesOf = (s: { readonly name: string }, role: string): DoseSamples => {
      const found = samplesByName.get(s.name);
      if (found === undefined) {
        throw new InputError(`${role} "${s.name}" has no dose samples (no closed contour inside the dose grid)`, { structure: s.name });
      }
      return found;
    };
    const input = {
      gtv: samplesOf(gtv, 'GTV'),
      spheres: spheres.map((s) => samplesOf(s, 'peak structure')),
      ...(valley !== undefined ? { valley: samplesOf(valley, 'valley structure') } : {}),
    };
    const ab = alphaBetaFor(gtv, options.alphaBeta).alphaBetaGy;
    let planned: NonNullable<PlanEvaluation['sfrt']>['planned'];
    let delivered: NonNullable<PlanEvaluation['sfrt']>['delivered'];
    if (schedule === undefined) {
      planned = { physical: sfrtMetrics(input, bin) };
    } else {
      const both = sfrtPhysicalAndEqd2(input, { fractions: schedule.fractionsPlanned, alphaBetaGy: ab, ...bin });
      planned = both;
      if (allDelivered) delivered = both;
      else {
        // Delivered: physical from the delivered samples (all zero when no fraction was given), EQD2
        // voxel by voxel from the planned dose per fraction and the delivered count.
        const deliveredInput = {
          gtv: deliveredSamples(input.gtv, schedule),
          spheres: input.spheres.map((s) => deliveredSamples(s, schedule)),
          ...(input.valley ? { valley: deliveredSamples(input.valley, schedule) } : {}),
        };
        delivered = {
          physical: sfrtMetrics(deliveredInput, bin),
          eqd2: sfrtPhysicalAndEqd2(input, { fractions: schedule.fractionsPlanned, alphaBetaGy: ab, schedule, ...bin }).eqd2,
        };
      }
    }
    sfrt = {
      gtv: gtv.name,
      spheres: spheres.map((s) => s.name),
      ...(valley !== undefined ? { valley: valley.name } : {}),
      alphaBetaGy: ab,
      planned,
      ...(delivered !== undefined ? { delivered } : {}),
    };
  } else if (spheres.length > 0) {
    warnings.push('lattice spheres found but no GTV: SFRT metrics not computed');
  }
  return {
    disclaimer: DISCLAIMER,
    ...(schedule !== undefined ? { schedule } : {}),
    notes: schedule === undefined ? [options.noScheduleNote ?? NO_SCHEDULE_NOTE] : [],
    conventions: conventionsFor(betweenPlanes),
    structures: evaluated,
    ...(constraints !== undefined ? { constraints } : {}),
    ...(conformityRows.length > 0 ? { conformity: conformityRows } : {}),
    ...(sfrt !== undefined ? { sfrt } : {}),
    warnings,
  };
}
