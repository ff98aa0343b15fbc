/**
 * VMAT sequencing benchmark (issue 12 §2-4): from the optimised fluence to deliverable arcs, with
 * control-point MU re-optimisation, on the built-in phantom as `lattice demo` makes it.
 *
 * Steps, all in this process: build the seed-case phantom and write it as DICOM; plan it with the
 * seed-case template (planCase, as the demo does: 36 static beams, 5 mm beamlets, final dose on the
 * 2.5 mm grid); sequence the fluence into two full arcs (src/deliver/sequence.ts, the shipped
 * Elekta Agility of machines/elekta-agility.yaml); one dose column per control-point
 * interval at the optimisation points and MU re-optimisation of the same objective terms
 * (src/deliver/arc-optimise.ts); the arcs as an RtPlan (arcs.ts) through planDose (the independent
 * dose path of `lattice dose`, sub-arcs and MLC transmission as it computes them) on the same 2.5 mm
 * grid; evaluation as `lattice plan` evaluates (evaluatePlan + planGoals).
 *
 * Reported beside the fluence plan: PTV_2000 V20Gy, PTV_6670 mean and worst sphere mean, valley
 * median, NT D0.03cc, TG-101 rows met; total MU per fraction, delivery time per arc (time model:
 * sequence.ts arcTiming, cross-checked with deliverability.ts deliveryTime), mean aperture area, leaf
 * travel; every step's time; deliverability violations (deliverability.ts); the re-optimisation's
 * predicted dose against planDose at the optimisation points (the prediction exists only there), and
 * 3D gamma 2 %/2 mm (10 % threshold, global) of the arcs' planDose dose against the fluence plan's
 * final dose.
 *
 * Environment: VMAT_BENCH_VARIANTS = comma-separated SPACING:SAMPLING[+refine|+refine2|+dao] (control-point
 * spacing in degrees, sector sampling of sequence.ts, leaf refinement of leaf-refine.ts, +refine2: a
 * second round of refinement, columns and MU after the first; +dao: the whole pipeline of `lattice plan
 * --delivery vmat`, src/deliver/vmat.ts planVmatArcs: refinement, direct aperture optimisation on the
 * fluence optimisation's near matrix, columns, model correction, a second round, MU; default
 * "2:midpoint+refine,2:midpoint+dao"); VMAT_BENCH_ANGLE = column angle modes (default
 * "interval,nearest-beam": the first makes the plan, the second is measured for its agreement with
 * planDose only, on the first variant); VMAT_BENCH_REFINE_SWEEPS, VMAT_BENCH_MU_ITER = refinement
 * sweeps and MU solver iterations (default: the libraries'); VMAT_BENCH_FMO_ITER = cap on the fluence
 * optimiser's iterations (default: the template's, as the demo).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PHOTON_6MV } from '../src/dose/machine-6mv.js';
import { gamma3d } from '../src/dose/gamma.js';
import { DEFAULT_HLUT, redVolumeOfCt } from '../src/dose/hlut.js';
import { planDose } from '../src/dose/plan-dose.js';
import { doseGridForCt } from '../src/dose/recalculate.js';
import { resolveConstraintSet } from '../src/evaluate/constraints/custom.js';
import { evaluatePlan } from '../src/evaluate/plan.js';
import { trilinearSampler } from '../src/geometry/resample.js';
import type { ContourStructure } from '../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../src/geometry/volume.js';
import { readDicomCase } from '../src/io/dicom/case.js';
import { readRtDose } from '../src/io/dicom/read/rtdose.js';
import { contoursToWrite } from '../src/io/dicom/write/case.js';
import { buildSeedPhantom, writePhantom } from '../src/phantom/index.js';
import { planCase, planGoals, type PlanGoal } from '../src/plan/run-case.js';
import { arcMu, arcsToRtPlan, type Arc } from '../src/deliver/arcs.js';
import { intervalColumns, optimiseArcMu, type ArcMuResult } from '../src/deliver/arc-optimise.js';
import { planVmatArcs } from '../src/deliver/vmat.js';
import { checkDeliverability, deliveryTime } from '../src/deliver/deliverability.js';
import { loadMachine } from '../src/deliver/machine-file.js';
import { refineLeaves } from '../src/deliver/leaf-refine.js';
import { arcStats, sequenceArcs, TIMING_LIMITS } from '../src/deliver/sequence.js';
import type { BenchSuite, Measurement } from './harness.js';


/** Variants "SPACING:SAMPLING[+refine]". */
const variants = (process.env.VMAT_BENCH_VARIANTS ?? '2:midpoint+refine,2:midpoint+dao').split(',').map((v) => {
  const m = /^\s*(\d+(?:\.\d+)?):(midpoint|sliding)(\+refine(2)?|\+dao)?\s*$/.exec(v);
  if (m === null) throw new Error(`VMAT_BENCH_VARIANTS: expected SPACING:midpoint|sliding[+refine|+refine2|+dao], found "${v}"`);
  const dao = m[3] === '+dao';
  return { spacing: Number(m[1]), sampling: m[2] as 'midpoint' | 'sliding', refine: m[3] !== undefined && !dao, rounds: m[4] !== undefined ? 2 : 1, dao };
});
const angleModes = (process.env.VMAT_BENCH_ANGLE ?? 'interval,nearest-beam').split(',').map((s) => s.trim()) as ('interval' | 'nearest-beam')[];
const refineSweeps = process.env.VMAT_BENCH_REFINE_SWEEPS !== undefined ? Number(process.env.VMAT_BENCH_REFINE_SWEEPS) : undefined;
const muIterations = process.env.VMAT_BENCH_MU_ITER !== undefined ? Number(process.env.VMAT_BENCH_MU_ITER) : undefined;
const fmoIterations = process.env.VMAT_BENCH_FMO_ITER !== undefined ? Number(process.env.VMAT_BENCH_FMO_ITER) : undefined;

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

function goalValue(goals: readonly PlanGoal[], re: RegExp): PlanGoal | undefined {
  return goals.find((g) => re.test(g.goal));
}

export const suite: BenchSuite = {
  name: 'vmat',
  run(): Measurement[] {
    const rows: Measurement[] = [];
    const work = mkdtempSync(join(tmpdir(), 'lattice-vmat-bench-'));
    const threads = availableParallelism();
    console.log(`[vmat bench] ${threads} cores, work folder ${work}`);
    try {
      // the demo's phantom and plan
      let t0 = performance.now();
      const phantomDir = join(work, 'phantom');
      writePhantom(phantomDir, buildSeedPhantom(), 'dicom');
      const planDir = join(work, 'plan');
      const r = planCase(phantomDir, { template: 'seed-case', outDir: planDir, threads, keepNearModel: variants.some((v) => v.dao), ...(fmoIterations !== undefined ? { maxIterations: fmoIterations } : {}) });
      rows.push({ name: 'fluence plan (phantom + planCase: FMO + final dose + evaluation)', value: seconds(t0), unit: 's' });
      const o = r.optimised;
      const fractions = r.template.fractions;
      const dc = readDicomCase(phantomDir);
      const ct = dc.ct;
      const red = redVolumeOfCt(ct.hu, DEFAULT_HLUT);
      const fluenceDose = readRtDose(r.files.rtdose).dose;
      // the structures as planCase evaluates them (input ROIs + the planning structures it wrote)
      const ps = r.structures;
      const next = Math.max(0, ...dc.structureSet!.structures.map((s) => s.roiNumber)) + 1;
      const created = ps.all.filter((s) => ps.created.includes(s.name));
      const contours: ContourStructure[] = [
        ...dc.structureSet!.structures,
        ...created.map((s, n) => ({ roiNumber: next + n, name: s.name, interpretedType: s.interpretedType, colorRgb: s.colorRgb, contours: contoursToWrite(s) })),
      ];
      const primaryRx = r.template.prescriptions.find((p) => p.role === 'target')!;
      const peakRx = r.template.prescriptions.find((p) => p.role === 'peaks');
      const constraintSet = r.template.constraints !== undefined ? resolveConstraintSet(r.template.constraints.set) : undefined;
      const evaluate = (total: ScalarVolume, label: string): PlanGoal[] => {
        const ev = evaluatePlan(contours, total, {
          schedule: { fractionsPlanned: fractions, fractionsDelivered: fractions },
          ...(constraintSet !== undefined ? { constraintSet } : {}),
          metrics: [`V${primaryRx.doseGy}Gy%`],
          prescriptions: r.template.prescriptions.filter((p) => p.role === 'target' || ps.peaks !== undefined).map((p) => ({ structure: p.structure, doseGy: p.doseGy })),
          ...(ps.peaks !== undefined ? { peakStructures: ps.peaks.spheres.map((s) => s.name), valleyStructure: ps.peaks.valley.name } : {}),
        });
        for (const c of ev.constraints?.results ?? []) if (c.status === 'fail') console.log(`[vmat bench] ${label}: ${c.label} ${c.metric} not met (margin ${c.margin.toFixed(2)} ${c.unit})`);
        return planGoals(ev, r.template, ps, primaryRx.doseGy, peakRx?.doseGy);
      };
      const report = (prefix: string, goals: readonly PlanGoal[]): void => {
        for (const [re, label] of [
          [/V\d+Gy$/, 'PTV_2000 V20Gy'],
          [/PTV_6670 mean/, 'PTV_6670 mean'],
          [/every sphere/, 'worst sphere mean'],
          [/median/, 'valley median'],
          [/D0.03cc/, 'NT D0.03cc'],
          [/limits/, 'TG-101 rows met or not achievable'],
        ] as const) {
          const g = goalValue(goals, re);
          if (g === undefined) continue;
          rows.push({ name: `${prefix}${label}${g.unit.startsWith('of') ? ` (${g.unit})` : ''}`, value: g.value, unit: g.unit.startsWith('of') ? 'rows' : g.unit, target: g.target.replace(/ \(.*\)$/, ''), pass: g.met });
        }
      };
      report('fluence plan: ', r.goals);
      const valleyFluence = goalValue(r.goals, /median/)?.value ?? NaN;

      const machine = loadMachine('agility');
      /** The re-optimised arcs through planDose: agreement with the prediction, plan quality, delivery figures, gamma. */
      const delivered = (p: string, q: string, mi: number, mu: ArcMuResult): void => {
        let t0 = performance.now();
        // the arcs through the independent dose path
        const arcs: readonly Arc[] = mu.arcs;
        const plan = arcsToRtPlan(arcs, machine, {
          identity: { patientId: ct.patientId, patientName: ct.patientName, studyInstanceUid: ct.studyInstanceUid, seriesInstanceUid: `${ct.studyInstanceUid}.77`, frameOfReferenceUid: ct.frameOfReferenceUid },
          sopInstanceUid: `${ct.studyInstanceUid}.78`,
          label: 'VMAT',
          fractionsPlanned: fractions,
        });
        t0 = performance.now();
        const pd = planDose(PHOTON_6MV, plan, ct, doseGridForCt(ct, 2.5), { threads, mlcTransmission: machine.mlc.transmission });
        rows.push({ name: `${q}planDose of the arcs, 2.5 mm grid (${threads} threads)`, value: seconds(t0), unit: 's' });
        const total = createScalarVolume(pd.dosePerFractionGy.grid);
        for (let i = 0; i < total.data.length; i++) total.data[i] = pd.dosePerFractionGy.data[i]! * fractions;
        // predicted (re-optimisation, at the points) vs planDose
        const sample = trilinearSampler(total, { outsideValue: 0 });
        const pts = o.cloud.pointsLps;
        let sumAbs = 0, sumRef = 0, within = 0, evaluated = 0;
        let maxPred = 0;
        for (let k = 0; k < mu.doseGy.length; k++) maxPred = Math.max(maxPred, mu.doseGy[k]!);
        for (let k = 0; k < mu.doseGy.length; k++) {
          const d = sample(pts[3 * k]!, pts[3 * k + 1]!, pts[3 * k + 2]!);
          sumAbs += Math.abs(d - mu.doseGy[k]!);
          sumRef += mu.doseGy[k]!;
          if (mu.doseGy[k]! >= 0.1 * maxPred) {
            evaluated++;
            if (Math.abs(d - mu.doseGy[k]!) <= 0.02 * maxPred) within++;
          }
        }
        rows.push({ name: `${q}planDose - predicted at the points: mean |diff| / mean predicted`, value: (100 * sumAbs) / Math.max(1e-12, sumRef), unit: '%' });
        rows.push({ name: `${q}points (>= 10 % of max) within 2 % of max of the prediction (dose diff only)`, value: (100 * within) / Math.max(1, evaluated), unit: '%' });
        for (const [name, set] of o.pointSets) {
          if (!(name === ps.primary.name || name === ps.peaks?.union.name || name === ps.peaks?.valley.name)) continue;
          let a = 0, b = 0;
          for (let k = 0; k < set.indices.length; k++) {
            const i = set.indices[k]!;
            a += set.weights[k]! * mu.doseGy[i]!;
            b += set.weights[k]! * sample(pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!);
          }
          rows.push({ name: `${q}${name} mean at the points: planDose - predicted (predicted ${a.toFixed(2)} Gy)`, value: b - a, unit: 'Gy' });
        }
        if (mi > 0) return;
        // plan quality
        t0 = performance.now();
        const goals = evaluate(total, p);
        rows.push({ name: `${p}evaluation`, value: seconds(t0), unit: 's' });
        report(p, goals);
        const valley = goalValue(goals, /median/)?.value ?? NaN;
        rows.push({ name: `${p}valley median rise over the fluence plan (issue: <= 2 Gy)`, value: valley - valleyFluence, unit: 'Gy', target: '<= 2 Gy', pass: valley - valleyFluence <= 2 });
        // delivery
        let muTotal = 0;
        for (const arc of arcs) {
          const st = arcStats(arc, machine);
          muTotal += arcMu(arc);
          rows.push({ name: `${p}${arc.name}: MU per fraction`, value: st.mu, unit: 'MU' });
          rows.push({ name: `${p}${arc.name}: delivery time (${st.timeFractionByLimit.map((f, i) => `${TIMING_LIMITS[i]} ${(100 * f).toFixed(0)} %`).join(', ')})`, value: st.deliverySeconds, unit: 's' });
          rows.push({ name: `${p}${arc.name}: MU-weighted mean aperture area`, value: st.meanApertureAreaCm2, unit: 'cm2' });
          rows.push({ name: `${p}${arc.name}: leaf travel, all leaves (mean per leaf ${st.meanLeafTravelMm.toFixed(0)} mm)`, value: st.totalLeafTravelM, unit: 'm' });
          rows.push({ name: `${p}${arc.name}: intervals below the minimum dose rate`, value: st.belowMinDoseRate, unit: 'count' });
        }
        rows.push({ name: `${p}total MU per fraction`, value: muTotal, unit: 'MU' });
        for (const b of deliveryTime(plan, machine)) rows.push({ name: `${p}${b.beamName}: delivery time by deliverability.ts`, value: b.timeS, unit: 's' });
        const violations = checkDeliverability(plan, machine);
        rows.push({ name: `${p}deliverability violations (deliverability.ts)`, value: violations.length, unit: 'count', target: '0', pass: violations.length === 0 });
        for (const v of violations.slice(0, 5)) console.log(`[vmat bench] violation: ${v.message}`);
        // 3D gamma against the fluence plan's final dose
        t0 = performance.now();
        const gm = gamma3d(fluenceDose, total, { doseDiffPct: 2, dtaMm: 2, lowDoseThresholdPct: 10 });
        rows.push({ name: `${p}3D gamma 2%/2mm (10 %), arcs (planDose) vs fluence plan, pass rate (${seconds(t0).toFixed(0)} s)`, value: gm.passRatePct, unit: '%' });
      };
      const weightsPerFraction = Float64Array.from(o.weightsMu, (w) => w / fractions);
      let first = true;
      for (const { spacing, sampling, refine, rounds, dao } of variants) {
        const p = `VMAT ${spacing} deg CPs, ${sampling}${refine ? ` + leaf refinement${rounds > 1 ? ' x 2' : ''}` : ''}${dao ? ' + refinement + DAO (lattice plan\'s pipeline)' : ''}: `;
        if (dao) {
          if (o.nearModel === undefined) throw new Error('the fluence plan kept no near matrix');
          t0 = performance.now();
          const v = planVmatArcs(
            { beams: o.beams, maps: o.maps, beamletMm: o.beamletMm, weightsCourseMu: o.weightsMu, pointsLps: o.cloud.pointsLps, terms: o.objectiveTerms, fractions, doseModel: o.nearModel },
            red,
            PHOTON_6MV,
            machine,
            { cpSpacingDeg: spacing, sampling },
          );
          const tAll = seconds(t0);
          const tm = v.timingsMs;
          rows.push({
            name: `${p}objective at the points: fluence plan ${o.objective.toPrecision(4)}; DAO rounds (model before -> after, columns before -> after, kept) ${(v.dao ?? []).map((x) => `${x.modelBefore.toPrecision(4)} -> ${x.modelAfter.toPrecision(4)}, ${x.columnsBefore.toPrecision(4)} -> ${x.columnsAfter.toPrecision(4)}${x.kept ? '' : ' (not kept)'}`).join('; ')}; columns ${v.mu.initialObjective.toPrecision(4)} -> MU re-optimised`,
            value: v.mu.objective,
            unit: '',
          });
          rows.push({
            name: `${p}sequencing ${(tm.sequencing / 1000).toFixed(1)} s + refinement ${(tm.refinement / 1000).toFixed(1)} s + DAO ${(tm.dao / 1000).toFixed(1)} s + columns ${(tm.columns / 1000).toFixed(1)} s + MU ${(tm.muOptimisation / 1000).toFixed(1)} s (issue: <= 5 min on 2 cores)`,
            value: tAll,
            unit: 's',
            target: '<= 300 s',
            pass: tAll <= 300,
          });
          delivered(p, p, 0, v.mu);
          continue;
        }
        t0 = performance.now();
        const input = { beams: o.beams, maps: o.maps, beamletMm: o.beamletMm, weightsMu: weightsPerFraction };
        const seq0 = sequenceArcs(input, machine, { cpSpacingDeg: spacing, sampling });
        let tSeq = seconds(t0);
        let seq = seq0;
        if (refine) {
          t0 = performance.now();
          const rf = refineLeaves(seq0, input, machine, refineSweeps !== undefined ? { sweeps: refineSweeps } : {});
          seq = { ...seq0, arcs: rf.arcs };
          const tRef = seconds(t0);
          tSeq += tRef;
          rows.push({ name: `${p}leaf refinement (${tRef.toFixed(1)} s): relative RMS beam-fluence error before ${(100 * Math.sqrt(rf.residualBefore / rf.targetNorm)).toFixed(1)} %, after`, value: 100 * Math.sqrt(rf.residualAfter / rf.targetNorm), unit: '%' });
        }
        rows.push({ name: `${p}sequencing (2 arcs, ${seq.arcs.map((a) => a.controlPoints.length).join(' + ')} CPs)`, value: tSeq, unit: 's' });
        rows.push({ name: `${p}sequenced MU per fraction before re-optimisation (sum over beams of U T)`, value: seq.arcs.reduce((x, a) => x + arcMu(a), 0), unit: 'MU' });
        const ks = seq.beams.map((b) => b.controlPoints), ts = seq.beams.map((b) => b.tnmuLevels);
        rows.push({ name: `${p}CPs per fluence beam, both arcs (min-max ${Math.min(...ks)}-${Math.max(...ks)}); sweep TNMU in levels of 7 (min-max ${Math.min(...ts)}-${Math.max(...ts)})`, value: ks.reduce((x, y) => x + y, 0) / ks.length, unit: 'mean' });
        for (const [mi, mode] of (first ? angleModes : angleModes.slice(0, 1)).entries()) {
          const q = mi === 0 ? p : `${p}[columns at ${mode}] `;
          t0 = performance.now();
          const cols = intervalColumns(PHOTON_6MV, red, o.cloud.pointsLps, seq.arcs, machine.mlc.leafBoundariesMm, {
            angle: mode,
            beamAnglesDeg: o.beams.map((b) => b.geometry.gantryDeg),
            mlcTransmission: machine.mlc.transmission,
          });
          const tCols = seconds(t0);
          rows.push({ name: `${q}interval dose columns (${cols.nIntervals} x ${cols.nPoints} points, 1 thread)`, value: tCols, unit: 's' });
          t0 = performance.now();
          const muOptions = { fractions, ...(muIterations !== undefined ? { maxIterations: muIterations } : {}) };
          let mu = optimiseArcMu(cols, o.objectiveTerms, seq.arcs, machine, muOptions);
          let tMu = seconds(t0);
          rows.push({ name: `${q}MU re-optimisation (${mu.iterations} it., ${mu.stopReason})`, value: tMu, unit: 's' });
          let tCols2 = 0;
          if (rounds > 1) {
            // second round: leaves refined again under the re-optimised MU, new columns, MU again
            t0 = performance.now();
            const rf2 = refineLeaves({ ...seq, arcs: mu.arcs }, input, machine);
            const cols2 = intervalColumns(PHOTON_6MV, red, o.cloud.pointsLps, rf2.arcs, machine.mlc.leafBoundariesMm, { mlcTransmission: machine.mlc.transmission });
            tCols2 = seconds(t0);
            t0 = performance.now();
            const first1 = mu.objective;
            mu = optimiseArcMu(cols2, o.objectiveTerms, rf2.arcs, machine, muOptions);
            const t2 = seconds(t0);
            tMu += t2;
            rows.push({ name: `${q}round 2: refinement + columns (${tCols2.toFixed(1)} s), MU re-optimisation (${mu.iterations} it., ${mu.stopReason}); objective after round 1 ${first1.toPrecision(4)}`, value: t2, unit: 's' });
          }
          rows.push({ name: `${q}objective at the points: fluence plan ${o.objective.toPrecision(4)}, sequenced ${mu.initialObjective.toPrecision(4)}, re-optimised`, value: mu.objective, unit: '' });
          const tAll = tSeq + tCols + tCols2 + tMu;
          if (mi === 0) rows.push({ name: `${p}sequencing + columns + MU optimisation (issue: <= 5 min on 2 cores)`, value: tAll, unit: 's', target: '<= 300 s', pass: tAll <= 300 });
          delivered(p, q, mi, mu);
        }
        first = false;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return rows;
  },
};
