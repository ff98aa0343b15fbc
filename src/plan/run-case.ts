/**
 * `lattice plan` as a library function: from a DICOM CT + structure set to an optimised plan.
 *
 * Steps: read the case; rasterise the structures on the CT grid; build missing targets (PTV = GTV +
 * 5 mm); place the lattice vertices (or take sphere ROIs); set up the beams (isocentre at the primary
 * target's centroid) and the beamlet operator; turn the template and the constraint set into
 * objectives; optimise; recompute the final dose on the full dose grid from the saved fluence plan
 * (the same function `lattice dose --fluence` uses); evaluate it as `lattice evaluate` does.
 *
 * Writes into outDir (each file written to a temporary name and renamed; nothing is written before
 * every computation has succeeded): RTSTRUCT.dcm (input ROIs + the planning structures),
 * vertices.json (when vertices were placed), RTDOSE.dcm (PLAN, Gy, on the CT frame), plan.json (the
 * fluence plan) and report.json / report.md / report.html.
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { DicomError, InputError, PlanError, fmt } from '../core/errors.js';
import { DISCLAIMER } from '../core/disclaimer.js';
import type { Vec3 } from '../core/vec3.js';
import { beamCoordinates, beamFrame, checkPatientPosition } from '../dose/beam-geometry.js';
import { FLUENCE_PLAN_FORMAT, FLUENCE_PLAN_VERSION, recalculateFluencePlan, type FluencePlan } from '../dose/fluence-plan.js';
import { DEFAULT_HLUT, redVolumeOfCt } from '../dose/hlut.js';
import { checkDoseGridMemory, recalculatePlan } from '../dose/recalculate.js';
import { loadMachine } from '../deliver/machine-file.js';
import type { LinacMachine } from '../deliver/machine.js';
import { PHOTON_6MV } from '../dose/machine-6mv.js';
import { resolveConstraintSet } from '../evaluate/constraints/custom.js';
import type { ConstraintSet } from '../evaluate/constraints/types.js';
import { evaluatePlan, type PlanEvaluation } from '../evaluate/plan.js';
import { renderHtml } from '../evaluate/report/html.js';
import { printHtmlToPdf, requireChromium } from '../evaluate/report/pdf.js';
import { evaluationSnapshotsSection, snapshotFactsOf } from '../evaluate/report/snapshots.js';
import { renderJson } from '../evaluate/report/json.js';
import { renderMarkdown } from '../evaluate/report/markdown.js';
import type { Table } from '../evaluate/report/tables.js';
import { intersectMasks } from '../geometry/booleans.js';
import { rasterizeStructures } from '../geometry/structure-set.js';
import type { ContourStructure } from '../geometry/structure.js';
import { maskCentroidLps, maskVolumeCc, volumePlanes } from '../geometry/volume.js';
import { trilinearSampler } from '../geometry/resample.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readDicomCase } from '../io/dicom/case.js';
import type { StructureSet } from '../io/dicom/model.js';
import { deriveUid, seriesInstanceUidFor } from '../io/dicom/uid.js';
import { contoursToWrite } from '../io/dicom/write/case.js';
import { writeRtDose } from '../io/dicom/write/rtdose.js';
import { rtPlanWriteInputOf, writeRtPlan } from '../io/dicom/write/rtplan.js';
import { addRoisToStructureSet, referencedCtOf } from '../io/dicom/write/rtstruct.js';
import { constraintObjectives } from '../optimise/constraint-objectives.js';
import type { ObjectiveSpec } from '../optimise/objectives/types.js';
import { operatorBeams, equispacedAngles, type BeamAngles } from './beams.js';
import { planObjectives } from './objectives.js';
import { maskPointsLps, optimiseFluence, type OptimisedFluence } from './optimise-plan.js';
import { planningStructures, type PlanningStructures } from './structures.js';
import { planStepAndShoot, planVmat, type DeliveryPlan } from './delivery.js';
import { checkObjectivesConsistent, resolvePlanTemplate, type PlanTemplate } from './template.js';

export interface PlanProgress {
  readonly step: string;
  readonly iteration?: number;
  readonly value?: number;
  readonly elapsedMs: number;
}

export interface PlanCaseOptions {
  /** Built-in template name ('seed-case', 'imrt') or a YAML/JSON file; default 'seed-case'. */
  readonly template?: string;
  readonly outDir: string;
  /** The structure the plan is built around: the lattice target and the source of built targets. */
  readonly target?: string;
  /** Beams instead of the template's. */
  readonly beams?: readonly BeamAngles[];
  /** Isocentre (LPS, mm) instead of the primary target's centroid. */
  readonly isocentreLps?: Vec3;
  /** Existing sphere ROIs instead of placing vertices. */
  readonly peaks?: readonly string[];
  /** Dose grid spacing, mm (default 2.5); the final dose grid covers the patient (recalculateFluencePlan). */
  readonly gridMm?: number;
  readonly threads?: number;
  readonly maxIterations?: number;
  readonly onProgress?: (p: PlanProgress) => void;
  /** What is delivered: the optimised fluence of static beams (default); VMAT arcs sequenced from it
   * with control-point MU re-optimised; or step-and-shoot IMRT segments of the same static beams
   * (delivery.ts). VMAT and IMRT are written as RTPLAN.dcm. Default: the template's `delivery`, else fluence. */
  readonly delivery?: 'fluence' | 'vmat' | 'imrt';
  /** Keep the fluence optimisation's near matrix in `optimised.nearModel` (always for 'vmat'; a bench
   * that sequences the fluence plan itself asks for it). */
  readonly keepNearModel?: boolean;
  /** The delivery machine of VMAT arcs or IMRT segments (default: the shipped Elekta Agility). */
  readonly machine?: LinacMachine;
  /** HTML sections report.html ends with (e.g. the clinical course: src/course/report-section.ts). */
  readonly reportAppendixHtml?: readonly string[];
  /** Also print report.html to report.pdf with headless Chromium (src/evaluate/report/pdf.ts). */
  readonly reportPdf?: boolean;
}

/** One of the plan's quality goals (issue-level targets of the seed case), measured on the final dose. */
export interface PlanGoal {
  readonly goal: string;
  readonly value: number;
  readonly unit: string;
  readonly target: string;
  readonly met: boolean;
}

export interface PlanCaseResult {
  readonly template: PlanTemplate;
  readonly templateFile: string;
  readonly structures: PlanningStructures;
  readonly optimised: OptimisedFluence;
  readonly evaluation: PlanEvaluation;
  readonly goals: readonly PlanGoal[];
  /** Final dose minus optimised dose at the optimisation points (Gy). */
  readonly optimisedVsFinal: {
    readonly meanAbsGy: number;
    readonly maxAbsGy: number;
    /** Weighted means at each structure's optimisation points: optimised (or, for VMAT, predicted after the
     * MU re-optimisation), final, and with a delivered plan the fluence plan's own final dose. */
    readonly byStructure: readonly { readonly structure: string; readonly meanOptimisedGy: number; readonly meanFinalGy: number; readonly meanFluenceFinalGy?: number }[];
  };
  readonly skippedConstraints: readonly { readonly constraintId: string; readonly organ: string; readonly reason: string }[];
  /** Every constraint that failed or cannot be met, with the reason (overlap with the primary target in cc). */
  readonly limitsNotMet: readonly { readonly id: string; readonly label: string; readonly status: string; readonly overlapCc: number; readonly reason: string }[];
  readonly files: { readonly rtstruct: string; readonly rtdose: string; readonly plan: string; readonly rtplan?: string; readonly vertices?: string; readonly reportJson: string; readonly reportMd: string; readonly reportHtml: string; readonly reportPdf?: string };
  /** The delivered plan (delivery 'vmat' or 'imrt'), with the fluence plan's goals for comparison. */
  readonly delivered?: DeliveryPlan & { readonly fluenceGoals: readonly PlanGoal[]; readonly machine: string };
  readonly warnings: readonly string[];
  readonly timingsMs: Readonly<Record<string, number>>;
}

/** The template with the --target override applied to the lattice target and every built target's source. */
function withTarget(t: PlanTemplate, target: string | undefined): PlanTemplate {
  if (target === undefined) return t;
  return {
    ...t,
    prescriptions: t.prescriptions.map((p) => (p.build !== undefined ? { ...p, build: { ...p.build, from: target } } : p)),
    ...(t.lattice !== undefined ? { lattice: { ...t.lattice, target } } : {}),
  };
}

/** Largest field half-size at the isocentre (mm): beamlets beyond it cannot be delivered. */
const MAX_FIELD_HALF_MM = 200;

function checkBeamsReachTarget(beams: ReturnType<typeof operatorBeams>, targetLps: Float64Array, targetName: string): string[] {
  const warnings: string[] = [];
  const bc = new Float64Array(3);
  const outside: string[] = [];
  for (const b of beams) {
    const frame = beamFrame(b.geometry);
    let inField = 0;
    const n = targetLps.length / 3;
    const step = Math.max(1, Math.floor(n / 5000));
    let tested = 0;
    for (let p = 0; p < n; p += step) {
      beamCoordinates(frame, targetLps[3 * p]!, targetLps[3 * p + 1]!, targetLps[3 * p + 2]!, bc);
      tested++;
      if (bc[2]! > 0 && Math.abs(bc[0]!) <= MAX_FIELD_HALF_MM && Math.abs(bc[1]!) <= MAX_FIELD_HALF_MM) inField++;
    }
    if (inField === 0) outside.push(b.name ?? '');
    else if (inField < tested) warnings.push(`beam ${b.name}: ${(100 * (1 - inField / tested)).toFixed(1)} % of "${targetName}" lies outside the ${2 * MAX_FIELD_HALF_MM} mm field`);
  }
  if (outside.length === beams.length) {
    throw new PlanError(`the isocentre leaves "${targetName}" outside every beam (fields of ${2 * MAX_FIELD_HALF_MM} x ${2 * MAX_FIELD_HALF_MM} mm at the isocentre)`, { structure: targetName });
  }
  if (outside.length > 0) warnings.push(`the target lies outside beams ${outside.join(', ')}`);
  return warnings;
}

export function planCase(casePath: string, options: PlanCaseOptions): PlanCaseResult {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const progress = (step: string, extra: { iteration?: number; value?: number } = {}): void =>
    options.onProgress?.({ step, ...extra, elapsedMs: performance.now() - t0 });
  const resolved = resolvePlanTemplate(options.template ?? 'seed-case');
  const template = withTarget(resolved.template, options.target);
  const deliveryMode = options.delivery ?? template.delivery ?? 'fluence';
  if (deliveryMode === 'fluence' && options.machine !== undefined) {
    throw new InputError('a delivery machine applies to VMAT or IMRT delivery (--delivery vmat or imrt), not to the fluence plan');
  }
  const gridMm = options.gridMm ?? 2.5;
  // report.pdf needs Chromium: missing, the plan fails before the optimisation
  const chromiumForPdf = options.reportPdf === true ? requireChromium() : undefined;
  if (!(gridMm > 0) || !Number.isFinite(gridMm)) throw new InputError(`dose grid spacing must be a positive number of mm, found ${fmt(gridMm)}`);
  // the constraint set is read before the case, so a bad file fails fast
  let constraintSet: ConstraintSet | undefined;
  if (template.constraints !== undefined) {
    const set = template.constraints.set;
    const builtIn = /^tg101-[135]fx$/.test(set);
    constraintSet = resolveConstraintSet(builtIn || isAbsolute(set) ? set : resolve(dirname(resolved.file), set));
  }

  progress('reading the case');
  const dc = readDicomCase(casePath);
  const warnings: string[] = [...dc.warnings];
  if (dc.structureSet === undefined) throw new DicomError('planning: expected a structure set (RTSTRUCT) with the target, found none', { file: casePath });
  const ct = dc.ct;
  // Refused before the optimisation; its warning (no position given) comes with the recalculation's.
  checkPatientPosition(ct);
  const masks = rasterizeStructures(dc.structureSet.structures, ct.hu.grid, (w) => warnings.push(w));

  progress('planning structures');
  let t = performance.now();
  const ps = planningStructures(masks, ct.hu, template, {
    ...(options.peaks !== undefined ? { peaks: options.peaks } : {}),
    contours: dc.structureSet.structures,
  });
  warnings.push(...ps.warnings);
  timings.structures = performance.now() - t;

  // objectives: template terms, lattice terms, constraint-derived terms
  const volumes = new Map(ps.all.map((s) => [s.name, maskVolumeCc(s.mask) as number]));
  const targets = new Set<string>([...template.prescriptions.map((p) => p.structure), ...(ps.peaks?.spheres.map((s) => s.name) ?? [])]);
  if (ps.peaks !== undefined) targets.add(ps.peaks.valley.name);
  if (template.lattice !== undefined) targets.add(template.lattice.target);
  let constraintSpecs: ObjectiveSpec[] = [];
  let skipped: PlanCaseResult['skippedConstraints'] = [];
  if (constraintSet !== undefined && template.constraints !== undefined) {
    const r = constraintObjectives(constraintSet, {
      fractions: template.fractions,
      marginPct: template.constraints.marginPct,
      ...(template.constraints.weight !== undefined ? { weight: template.constraints.weight } : {}),
      structures: volumes,
      exclude: targets,
    });
    constraintSpecs = r.objectives;
    skipped = r.skipped;
  }
  const { specs, derived } = planObjectives(template, ps, constraintSpecs);
  checkObjectivesConsistent([...specs]);

  // beams around the primary target's centroid
  const iso = options.isocentreLps ?? maskCentroidLps(ps.primary.mask)!;
  const isoVec: Vec3 = [iso[0], iso[1], iso[2]];
  if (!isoVec.every(Number.isFinite)) throw new InputError(`isocentre must be three finite numbers (LPS, mm), found [${isoVec.map(fmt).join(', ')}]`);
  const angles =
    options.beams ??
    (template.beams.arrangement === 'equispaced'
      ? equispacedAngles(template.beams.count, template.beams.startDeg ?? 0, template.beams.couchDeg ?? 0, template.beams.collimatorDeg ?? 0)
      : template.beams.list);
  const beams = operatorBeams(angles, isoVec, PHOTON_6MV.sadMm);
  warnings.push(...checkBeamsReachTarget(beams, maskPointsLps(ps.primary.mask), ps.primary.name));

  const red = redVolumeOfCt(ct.hu, DEFAULT_HLUT);
  const threads = options.threads ?? availableParallelism();
  // The final dose grid (over the patient, recalculateFluencePlan) must fit in memory: refused now, not
  // after the optimisation. `lattice plan` has no --grid-region: its report evaluates every structure on
  // the final dose, so the refusal does not suggest one.
  checkDoseGridMemory(ct, gridMm, { fields: beams.length, threads }, { label: `dose grid spacing (--grid-mm) ${fmt(gridMm)} mm`, regionOption: '' });
  t = performance.now();
  const optimised = optimiseFluence(ps, red, specs, derived, beams, {
    beamletMm: template.beams.beamletMm ?? 5,
    threads,
    keepNearModel: deliveryMode === 'vmat' || options.keepNearModel === true,
    ...(options.maxIterations !== undefined || template.optimisation?.maxIterations !== undefined
      ? { maxIterations: options.maxIterations ?? template.optimisation!.maxIterations! }
      : {}),
    ...(template.optimisation?.nearSpacingMm !== undefined ? { fineMm: template.optimisation.nearSpacingMm } : {}),
    ...(template.optimisation?.pointSpacingMm !== undefined ? { mediumMm: template.optimisation.pointSpacingMm } : {}),
    ...(template.optimisation?.farSpacingMm !== undefined ? { coarseMm: template.optimisation.farSpacingMm } : {}),
    ...(template.optimisation?.nearMarginMm !== undefined ? { nearMarginMm: template.optimisation.nearMarginMm } : {}),
    onProgress: (p) => progress(p.step, { ...(p.iteration !== undefined ? { iteration: p.iteration } : {}), ...(p.value !== undefined ? { value: p.value } : {}) }),
  });
  timings.optimisation = performance.now() - t;

  // the fluence plan (MU per fraction) and its final dose over the whole patient
  const fractions = template.fractions;
  const planUid = deriveUid('lattice-rt', 'fluence-plan', ct.frameOfReferenceUid, template.name, optimised.weightsMu.length, hashWeights(optimised.weightsMu));
  let offset = 0;
  const plan: FluencePlan = {
    format: FLUENCE_PLAN_FORMAT,
    version: FLUENCE_PLAN_VERSION,
    frameOfReferenceUid: ct.frameOfReferenceUid,
    machine: PHOTON_6MV.name ?? '6 MV pencil beam',
    beamletMm: optimised.beamletMm,
    pixelMm: optimised.pixelMm,
    fractions,
    planUid,
    beams: optimised.beams.map((b, bi) => {
      const m = optimised.maps[bi]!;
      const list: [number, number, number][] = [];
      for (let c = 0; c < m.nbv; c++) {
        for (let a = 0; a < m.nbu; a++) {
          if (!m.active[a + m.nbu * c]) continue;
          list.push([a, c, Number((optimised.weightsMu[offset++]! / fractions).toPrecision(9))]);
        }
      }
      const g = b.geometry;
      return { name: b.name ?? `beam ${bi + 1}`, gantryDeg: g.gantryDeg, collimatorDeg: g.collimatorDeg, couchDeg: g.couchDeg, isocenterLps: [g.isocenterLps[0], g.isocenterLps[1], g.isocenterLps[2]], sadMm: g.sadMm, i0: m.i0, j0: m.j0, nbu: m.nbu, nbv: m.nbv, beamlets: list };
    }),
    template: template,
    templateSource: resolved.file,
    objective: { initial: optimised.initialObjective, final: optimised.objective, terms: optimised.terms },
    solver: { iterations: optimised.solver.iterations, evaluations: optimised.solver.evaluations, stopReason: optimised.solver.stopReason },
    versions: { latticeRt: packageVersion(), node: process.version },
    disclaimer: DISCLAIMER,
  };
  // VMAT arcs (control-point MU re-optimised) or step-and-shoot segments from the fluence (delivery.ts)
  const mode = deliveryMode;
  const machine = mode !== 'fluence' ? (options.machine ?? loadMachine('agility')) : undefined;
  let deliveredPlan: DeliveryPlan | undefined;
  if (machine !== undefined) {
    t = performance.now();
    progress(mode === 'vmat' ? 'arc sequencing and control-point MU' : 'step-and-shoot segments');
    const identity = {
      identity: {
        patientId: ct.patientId,
        patientName: ct.patientName,
        studyInstanceUid: ct.studyInstanceUid,
        seriesInstanceUid: seriesInstanceUidFor(ct.studyInstanceUid, `lattice-rt RTPLAN ${planUid}`),
        frameOfReferenceUid: ct.frameOfReferenceUid,
      },
      sopInstanceUid: deriveUid('lattice-rt', 'rtplan', planUid, machine.name, mode),
      label: mode === 'vmat' ? 'LATTICE VMAT' : 'LATTICE IMRT',
      name: template.name,
    };
    deliveredPlan = mode === 'vmat' ? planVmat(optimised, red, fractions, machine, identity) : planStepAndShoot(optimised, fractions, machine, identity);
    timings.delivery = performance.now() - t;
  }

  progress('final dose');
  t = performance.now();
  const recalc = recalculateFluencePlan(ct, dc.structureSet, plan, { gridSpacingMm: gridMm, threads });
  warnings.push(...recalc.warnings);
  const fluenceTotal = recalc.totalDoseGy;
  let total = fluenceTotal;
  if (deliveredPlan !== undefined) {
    // the written plan's dose through `lattice dose`'s own path (sub-arcs, leaf samples, MLC
    // transmission), independent of the interval columns VMAT's MU were optimised with
    const r = recalculatePlan(ct, deliveredPlan.rtPlan, { gridSpacingMm: gridMm, threads, mlcTransmission: machine!.mlc.transmission, gridLabel: `dose grid spacing (--grid-mm) ${fmt(gridMm)} mm` });
    warnings.push(...r.warnings);
    total = r.totalDoseGy;
  }
  timings.finalDose = performance.now() - t;
  const plannedAtPoints = deliveredPlan?.predictedDoseGy ?? optimised.pointDoseGy;

  // optimised vs final dose at the optimisation points
  const sample = trilinearSampler(total, { outsideValue: 0 });
  const cloud = optimised.cloud;
  const finalAtPoints = new Float64Array(cloud.count);
  let sumAbs = 0, maxAbs = 0;
  for (let p = 0; p < cloud.count; p++) {
    finalAtPoints[p] = sample(cloud.pointsLps[3 * p]!, cloud.pointsLps[3 * p + 1]!, cloud.pointsLps[3 * p + 2]!);
    const d = Math.abs(finalAtPoints[p]! - plannedAtPoints[p]!);
    sumAbs += d;
    if (d > maxAbs) maxAbs = d;
  }
  // with a delivered plan: the fluence plan's own final dose at the same points, for what sequencing cost
  const sampleFluence = deliveredPlan !== undefined ? trilinearSampler(fluenceTotal, { outsideValue: 0 }) : undefined;
  const byStructure = [...optimised.pointSets.entries()]
    .filter(([name]) => targets.has(name) || name === ps.normalTissue.name)
    .map(([structure, set]) => {
      let a = 0, b = 0, f = 0;
      const pts = cloud.pointsLps;
      for (let k = 0; k < set.indices.length; k++) {
        const i = set.indices[k]!;
        a += set.weights[k]! * plannedAtPoints[i]!;
        b += set.weights[k]! * finalAtPoints[i]!;
        if (sampleFluence !== undefined) f += set.weights[k]! * sampleFluence(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
      }
      return { structure, meanOptimisedGy: a, meanFinalGy: b, ...(sampleFluence !== undefined ? { meanFluenceFinalGy: f } : {}) };
    });

  // structures as written (contours), evaluation of the final dose
  progress('evaluation');
  t = performance.now();
  const created = ps.all.filter((s) => ps.created.includes(s.name));
  const next = Math.max(0, ...dc.structureSet.structures.map((s) => s.roiNumber)) + 1;
  const newRois: ContourStructure[] = created.map((s, n) => ({
    roiNumber: next + n,
    name: s.name,
    interpretedType: s.interpretedType,
    colorRgb: s.colorRgb,
    contours: contoursToWrite(s),
  }));
  const allContours: ContourStructure[] = [...dc.structureSet.structures, ...newRois];
  const peakRx = template.prescriptions.find((p) => p.role === 'peaks');
  const primaryRx = template.prescriptions.find((p) => p.role === 'target')!;
  const evaluate = (dose: typeof total): PlanEvaluation =>
    evaluatePlan(allContours, dose, {
      schedule: { fractionsPlanned: fractions, fractionsDelivered: fractions },
      ...(constraintSet !== undefined ? { constraintSet } : {}),
      metrics: [`V${fmt(primaryRx.doseGy)}Gy%`],
      prescriptions: template.prescriptions.filter((p) => p.role === 'target' || ps.peaks !== undefined).map((p) => ({ structure: p.structure, doseGy: p.doseGy })),
      ...(ps.peaks !== undefined ? { peakStructures: ps.peaks.spheres.map((s) => s.name), valleyStructure: ps.peaks.valley.name } : {}),
    });
  const evaluation = evaluate(total);
  warnings.push(...evaluation.warnings);
  const goals = planGoals(evaluation, template, ps, primaryRx.doseGy, peakRx?.doseGy);
  // what sequencing cost: the fluence plan's goals on its own final dose
  const fluenceGoals = deliveredPlan !== undefined ? planGoals(evaluate(fluenceTotal), template, ps, primaryRx.doseGy, peakRx?.doseGy) : undefined;
  timings.evaluation = performance.now() - t;
  const overlapNotes = constraintOverlaps(evaluation, ps, skipped);

  // write: everything computed; now the files
  const out = options.outDir;
  const files = {
    rtstruct: join(out, 'RTSTRUCT.dcm'),
    rtdose: join(out, 'RTDOSE.dcm'),
    plan: join(out, 'plan.json'),
    ...(deliveredPlan !== undefined ? { rtplan: join(out, 'RTPLAN.dcm') } : {}),
    reportJson: join(out, 'report.json'),
    reportMd: join(out, 'report.md'),
    reportHtml: join(out, 'report.html'),
    ...(options.reportPdf === true ? { reportPdf: join(out, 'report.pdf') } : {}),
    ...(ps.placement !== undefined ? { vertices: join(out, 'vertices.json') } : {}),
  };
  progress('writing');
  const written: StructureSet = addRoisToStructureSet(dc.structureSet, newRois, files.rtstruct, {
    referencedCt: referencedCtOf(ct),
    roiGenerationAlgorithm: 'AUTOMATIC',
  });
  if (deliveredPlan !== undefined && files.rtplan !== undefined) {
    const roiOf = (name: string): number | undefined => allContours.find((c) => c.name === name)?.roiNumber;
    const doseReferences = template.prescriptions.flatMap((p, i) => {
      const roi = roiOf(p.structure);
      return roi === undefined ? [] : [{ number: i + 1, description: p.structure, referencedRoiNumber: roi, targetPrescriptionDoseGy: p.doseGy }];
    });
    writeRtPlan(
      rtPlanWriteInputOf(deliveredPlan.rtPlan, {
        ct,
        treatmentMachineName: machine!.treatmentMachineName,
        referencedStructureSetSopInstanceUid: written.sopInstanceUid,
        doseReferences,
      }),
      files.rtplan,
    );
  }
  writeRtDose(
    {
      patientId: ct.patientId,
      patientName: ct.patientName,
      studyInstanceUid: ct.studyInstanceUid,
      ...(ct.studyDescription !== undefined ? { studyDescription: ct.studyDescription } : {}),
      seriesInstanceUid: seriesInstanceUidFor(ct.studyInstanceUid, `lattice-rt plan ${planUid}`),
      seriesDescription: `lattice-rt plan (${template.name})`,
      frameOfReferenceUid: ct.frameOfReferenceUid,
      dose: total,
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: deliveredPlan !== undefined ? deliveredPlan.rtPlan.sopInstanceUid : planUid,
    },
    files.rtdose,
    { doseComment: `lattice-rt ${deliveredPlan === undefined ? 'optimised fluence' : deliveredPlan.mode === 'vmat' ? 'VMAT arcs' : 'step-and-shoot IMRT'}, ${fractions} fx (research use only)` },
  );
  writeFileAtomic(files.plan, `${JSON.stringify(plan, null, 1)}\n`);
  if (files.vertices !== undefined && ps.placement !== undefined) {
    writeFileAtomic(files.vertices, `${JSON.stringify({ ...ps.placement.audit, rtstructFile: files.rtstruct }, null, 2)}\n`);
  }
  const extra = planTables(goals, optimised, overlapNotes, skipped, { meanAbsGy: sumAbs / Math.max(1, cloud.count), maxAbsGy: maxAbs });
  if (deliveredPlan !== undefined) extra.splice(1, 0, ...deliveryTables(deliveredPlan, goals, fluenceGoals!, machine!));
  const title = `Lattice plan: ${ct.patientName || ct.patientId} (template ${template.name})`;
  writeFileAtomic(
    files.reportJson,
    renderJson(evaluation, {
      input: { path: casePath, template: template.name, templateFile: resolved.file, doseFile: files.rtdose, plan: files.plan, constraintSet: constraintSet?.name ?? null },
      plan: {
        goals,
        objective: { initial: optimised.initialObjective, final: optimised.objective, terms: optimised.terms },
        solver: optimised.solver,
        beamlets: optimised.nBeamlets,
        beams: optimised.beams.length,
        beamletMm: optimised.beamletMm,
        points: { count: cloud.count, perLevel: cloud.perLevel, strides: cloud.strides },
        optimisedVsFinal: { meanAbsGy: sumAbs / Math.max(1, cloud.count), maxAbsGy: maxAbs, byStructure },
        skippedConstraints: skipped,
        constraintOverlaps: overlapNotes,
        timingsMs: { ...timings, ...optimised.timingsMs },
        ...(deliveredPlan !== undefined
          ? {
              delivery: {
                mode: deliveredPlan.mode,
                machine: machine!.name,
                rtplan: files.rtplan,
                muPerFraction: deliveredPlan.muPerFraction,
                beams: deliveredPlan.beams,
                ...(deliveredPlan.objective !== undefined ? { objective: deliveredPlan.objective } : {}),
                ...(deliveredPlan.raisedSegments !== undefined ? { raisedSegments: deliveredPlan.raisedSegments } : {}),
                violations: deliveredPlan.violations,
                fluenceGoals,
                timingsMs: deliveredPlan.timingsMs,
              },
            }
          : { delivery: { mode: 'fluence' } }),
      },
    }),
  );
  writeFileAtomic(files.reportMd, renderMarkdown(evaluation, title, extra));
  const snapshots = evaluationSnapshotsSection({ ct: volumePlanes(ct.hu), dose: total, structures: written.structures, isocentreLps: isoVec, ...snapshotFactsOf(evaluation) });
  const html = renderHtml(evaluation, title, extra, options.reportAppendixHtml ?? [], [snapshots]);
  writeFileAtomic(files.reportHtml, html);
  if (files.reportPdf !== undefined) printHtmlToPdf(html, files.reportPdf, { chromium: chromiumForPdf! });
  timings.total = performance.now() - t0;
  return {
    template,
    templateFile: resolved.file,
    structures: ps,
    optimised,
    evaluation,
    goals,
    optimisedVsFinal: { meanAbsGy: sumAbs / Math.max(1, cloud.count), maxAbsGy: maxAbs, byStructure },
    skippedConstraints: skipped,
    limitsNotMet: overlapNotes,
    files,
    warnings,
    timingsMs: timings,
    ...(deliveredPlan !== undefined ? { delivered: { ...deliveredPlan, fluenceGoals: fluenceGoals!, machine: machine!.name } } : {}),
  };
}

/** The delivered plan beside the fluence plan it came from: goals, delivery figures, deliverability. */
function deliveryTables(v: DeliveryPlan, goals: readonly PlanGoal[], fluenceGoals: readonly PlanGoal[], machine: LinacMachine): Table[] {
  const value = (g: PlanGoal | undefined): string => (g === undefined || !Number.isFinite(g.value) ? 'n/a' : `${g.value.toFixed(2)} ${g.unit}`);
  const what = v.mode === 'vmat' ? 'VMAT' : 'Step-and-shoot IMRT';
  const notes =
    v.objective !== undefined
      ? [
          `Objective at the optimisation points: fluence ${v.objective.fluence.toExponential(3)}, arcs before the MU re-optimisation ${v.objective.sequenced.toExponential(3)}, after it ${v.objective.reoptimised.toExponential(3)}.`,
          ...(v.objective.apertures ?? []).map(
            (r, i) =>
              `Direct aperture optimisation, round ${i + 1}: ${r.iterations} iterations, dose columns' objective ${r.columnsBefore.toExponential(3)} -> ${r.columnsAfter.toExponential(3)}` +
              (r.kept ? '' : ' (not kept: the columns did not improve)') +
              '.',
          ),
        ]
      : ['Segments deliver each beam\'s fluence map stratified into 7 levels (unidirectional sweep); their MU are not re-optimised.'];
  return [
    {
      title: `${what} against the fluence plan it was sequenced from`,
      headers: ['goal', 'fluence plan', `${what} (delivered)`, 'target', `${what} met`],
      rows: goals.map((g, i) => [g.goal, value(fluenceGoals[i]), value(g), g.target, g.met ? 'yes' : 'NO']),
      notes: [...notes, `The ${what} dose is the written RTPLAN recomputed by lattice dose's path (sub-arcs, leaf samples, MLC transmission ${(100 * machine.mlc.transmission).toFixed(1)} %).`],
    },
    {
      title: `Delivery (${machine.manufacturer} ${machine.model})`,
      headers: ['beam', v.mode === 'vmat' ? 'control points' : 'segments', 'MU per fraction', 'delivery time', 'mean aperture', 'leaf travel'],
      rows: v.beams.map((b) => [b.name, String(b.segments ?? b.controlPoints), b.mu.toFixed(1), `${b.deliverySeconds.toFixed(0)} s`, `${b.meanApertureAreaCm2.toFixed(1)} cm²`, `${b.leafTravelM.toFixed(1)} m`]),
      notes: [
        `Total ${v.muPerFraction.toFixed(1)} MU per fraction. Delivery time at the machine's limits (gantry, leaf speed, dose rate), without beam-hold overheads.` +
          (v.raisedSegments !== undefined && v.raisedSegments > 0 ? ` ${v.raisedSegments} segments raised to the minimum of ${machine.minSegmentMu} MU.` : ''),
        v.violations.length === 0
          ? 'Every control point is deliverable on this machine (lattice check-plan rules).'
          : `${v.violations.length} deliverability violations: ${v.violations.slice(0, 3).map((x) => x.message).join('; ')}${v.violations.length > 3 ? '; ...' : ''}`,
      ],
    },
  ];
}

function hashWeights(w: Float64Array): string {
  let h = 2166136261;
  for (let i = 0; i < w.length; i++) {
    const v = Math.round(w[i]! * 1e6);
    h = Math.imul(h ^ (v & 0xffff), 16777619) >>> 0;
    h = Math.imul(h ^ (v >>> 16), 16777619) >>> 0;
  }
  return h.toString(16);
}

let cachedVersion: string | undefined;
function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(new URL(import.meta.url).pathname);
  for (let up = 0; up < 5; up++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lattice-rt') return (cachedVersion = pkg.version ?? 'unknown');
    } catch {
      // keep looking upward
    }
    dir = dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

/** The plan's quality goals measured on the evaluated final dose. */
export function planGoals(ev: PlanEvaluation, template: PlanTemplate, ps: PlanningStructures, rxGy: number, peakGy: number | undefined): PlanGoal[] {
  const goals: PlanGoal[] = [];
  const s = (name: string) => ev.structures.find((x) => x.name === name);
  const primary = s(ps.primary.name);
  if (primary !== undefined) {
    const key = `V${fmt(rxGy)}Gy%`;
    const v = primary.requested[key]?.value ?? NaN;
    goals.push({ goal: `${ps.primary.name} V${fmt(rxGy)}Gy`, value: v, unit: '%', target: '>= 95 %', met: v >= 95 });
  }
  if (ps.peaks !== undefined && peakGy !== undefined) {
    const u = s(ps.peaks.union.name);
    if (u !== undefined) {
      const dev = (100 * (u.planned.meanGy - peakGy)) / peakGy;
      goals.push({ goal: `${ps.peaks.union.name} mean`, value: u.planned.meanGy, unit: 'Gy', target: `${fmt(peakGy)} Gy ± 3 % (${dev >= 0 ? '+' : ''}${dev.toFixed(1)} %)`, met: Math.abs(dev) <= 3 });
    }
    let worst = 0;
    let worstName = '';
    for (const sp of ps.peaks.spheres) {
      const e = s(sp.name);
      if (e === undefined) continue;
      const dev = (100 * (e.planned.meanGy - peakGy)) / peakGy;
      if (Math.abs(dev) >= Math.abs(worst)) {
        worst = dev;
        worstName = sp.name;
      }
    }
    goals.push({ goal: `every sphere's mean (worst: ${worstName})`, value: peakGy * (1 + worst / 100), unit: 'Gy', target: `${fmt(peakGy)} Gy ± 7 % (${worst >= 0 ? '+' : ''}${worst.toFixed(1)} %)`, met: Math.abs(worst) <= 7 });
    const v = s(ps.peaks.valley.name);
    const goal = template.lattice?.valleyMedianMaxGy;
    if (v !== undefined && goal !== undefined) {
      goals.push({ goal: `${ps.peaks.valley.name} median`, value: v.planned.D50pctGy, unit: 'Gy', target: `<= ${fmt(goal)} Gy`, met: v.planned.D50pctGy <= goal });
    }
  }
  const nt = s(ps.normalTissue.name);
  if (nt !== undefined) {
    goals.push({ goal: `${ps.normalTissue.name} D0.03cc`, value: nt.planned.D0_03ccGy, unit: 'Gy', target: `<= ${fmt(rxGy)} Gy`, met: nt.planned.D0_03ccGy <= rxGy });
  }
  const c = ev.constraints;
  if (c !== undefined) {
    const bad = c.results.filter((r) => r.status === 'fail');
    goals.push({ goal: `${c.set} limits`, value: c.results.length - bad.length, unit: `of ${c.results.length} met or not achievable`, target: 'every limit the geometry allows', met: bad.length === 0 });
  }
  return goals;
}

/** For each failed or not-achievable constraint: the organ's overlap with the primary target, cc. */
function constraintOverlaps(ev: PlanEvaluation, ps: PlanningStructures, skipped: PlanCaseResult['skippedConstraints']): { readonly id: string; readonly label: string; readonly status: string; readonly overlapCc: number; readonly reason: string }[] {
  const c = ev.constraints;
  if (c === undefined) return [];
  const out: { id: string; label: string; status: string; overlapCc: number; reason: string }[] = [];
  for (const r of c.results) {
    if (r.status === 'pass' || r.status === 'not evaluated') continue;
    let overlap = 0;
    for (const name of r.structures) {
      const m = ps.all.find((x) => x.name === name);
      if (m !== undefined) overlap += maskVolumeCc(intersectMasks(m.mask, ps.primary.mask));
    }
    const reason =
      r.status === 'not achievable'
        ? `${(skipped.find((k) => k.constraintId === r.id)?.reason ?? 'whatever the dose, the organ is smaller than the critical volume').replace(/^not achievable: /, '')}` +
          (overlap > 0 ? `; ${overlap.toFixed(2)} cc of it lies inside ${ps.primary.name}` : '')
        : overlap > 0
          ? `${overlap.toFixed(2)} cc of ${r.structures.join(' + ')} lies inside ${ps.primary.name}, which receives at least the prescription`
          : `missed by ${Math.abs(r.margin).toFixed(2)} ${r.unit}; no overlap with ${ps.primary.name}`;
    out.push({ id: r.id, label: `${r.label} ${r.metric}`, status: r.status, overlapCc: overlap, reason });
  }
  return out;
}

function planTables(
  goals: readonly PlanGoal[],
  o: OptimisedFluence,
  overlaps: ReturnType<typeof constraintOverlaps>,
  skipped: PlanCaseResult['skippedConstraints'],
  diff: { meanAbsGy: number; maxAbsGy: number },
): Table[] {
  const tables: Table[] = [
    {
      title: 'Plan goals',
      headers: ['goal', 'achieved', 'target', 'met'],
      rows: goals.map((g) => [g.goal, `${Number.isFinite(g.value) ? g.value.toFixed(2) : 'n/a'} ${g.unit}`, g.target, g.met ? 'yes' : 'NO']),
    },
    {
      title: 'Optimisation',
      headers: ['objective term', 'weight', 'value', 'weighted'],
      rows: o.terms.map((t) => [t.label, fmt(t.weight), t.value.toExponential(3), t.weighted.toExponential(3)]),
      notes: [
        `${o.beams.length} beams, ${o.nBeamlets} beamlets of ${fmt(o.beamletMm)} mm; ${o.cloud.count} optimisation points (fine ${o.cloud.perLevel[0]}, medium ${o.cloud.perLevel[1]}, coarse ${o.cloud.perLevel[2]}).`,
        `Objective ${o.initialObjective.toExponential(3)} -> ${o.objective.toExponential(3)} in ${o.solver.iterations} iterations (${o.solver.evaluations} evaluations, stop: ${o.solver.stopReason}).`,
        `Final dose (recomputed on the full dose grid) minus optimised dose at the optimisation points: mean |difference| ${diff.meanAbsGy.toFixed(3)} Gy, maximum ${diff.maxAbsGy.toFixed(3)} Gy.`,
      ],
    },
  ];
  if (overlaps.length > 0 || skipped.length > 0) {
    tables.push({
      title: 'Limits not met, and why',
      headers: ['constraint', 'status', 'reason'],
      rows: [...overlaps.map((r) => [r.label, r.status, r.reason]), ...skipped.map((s) => [s.constraintId, 'not optimised', s.reason])],
    });
  }
  return tables;
}
