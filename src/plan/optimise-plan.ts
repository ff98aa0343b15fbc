/**
 * Fluence optimisation of a plan: structures -> optimisation points -> beamlet operator -> objective
 * terms -> bound-constrained quasi-Newton solution (beamlet weights >= 0).
 *
 * Inputs: the planning structures (masks on the CT grid), the CT's relative electron density, the
 * objective specs (objectives.ts) with the derived structures they name, beams, options. Output:
 * the beamlet weights (MU over the whole course for a total-dose prescription), the operator's
 * beamlet maps, the dose at the optimisation points, per-term values, solver statistics and timings.
 *
 * Optimisation points (points.ts): the CT resolution within `edgeMm` of the primary target's surface
 * (coverage is decided there) and inside and within `nearMarginMm` of the lattice
 * spheres (or of the targets' surface without a lattice), `mediumMm` inside the targets grown by
 * 30 mm, `coarseMm` elsewhere in the structures the objectives use.
 */

import { availableParallelism } from 'node:os';
import { InputError, PlanError } from '../core/errors.js';
import { PHOTON_6MV } from '../dose/machine-6mv.js';
import type { PhotonMachine } from '../dose/machine.js';
import { createBeamletOperator, type BeamletMap, type OperatorBeam } from '../dose/operator.js';
import { truncatedBeamletMatrix } from '../dose/sparse-operator.js';
import { subtractMask, unionMasks } from '../geometry/booleans.js';
import { distanceTransformMm } from '../geometry/distance.js';
import { indexToLpsAffine } from '../geometry/grid.js';
import { contractMask, expandMask } from '../geometry/margins.js';
import type { MaskStructure } from '../geometry/structure.js';
import { countVoxels, type Mask, type ScalarVolume } from '../geometry/volume.js';
import { createObjective } from '../optimise/objectives/index.js';
import type { ObjectiveSpec } from '../optimise/objectives/types.js';
import { buildPointCloud, pointSetOf, type PointCloud } from '../optimise/points.js';
import { createFluenceProblem, uniformStart, type DoseOperator, type Term, type TermValue } from '../optimise/problem.js';
import { createSolverMemory, minimiseBounded, type SolverResult } from '../optimise/solver.js';
import type { PlanningStructures } from './structures.js';

export interface OptimiseOptions {
  readonly machine?: PhotonMachine;
  readonly beamletMm?: number;
  readonly beamletMarginMm?: number;
  readonly threads?: number;
  readonly maxIterations?: number;
  /** Point spacing near the spheres (default: the CT spacing), in the targets (5 mm), elsewhere (10 mm). */
  readonly fineMm?: number;
  readonly mediumMm?: number;
  readonly coarseMm?: number;
  /** Radius of the stored near part of the beamlet operator, mm (default 10). */
  readonly nearRadiusMm?: number;
  /** Solver iterations between two corrections by the full operator (default 30). */
  readonly iterationsPerCorrection?: number;
  /** Fine points within this distance of the spheres (default 10 mm). */
  readonly nearMarginMm?: number;
  /** Fine points within this distance of the primary target's surface, inside and out (default 4 mm). */
  readonly edgeMm?: number;
  /** Keep the stored near part of the beamlet operator and its last far-scatter correction in the
   * result (nearModel), for direct aperture optimisation after sequencing (src/deliver/vmat.ts). */
  readonly keepNearModel?: boolean;
  readonly onProgress?: (p: { readonly step: string; readonly iteration?: number; readonly value?: number; readonly elapsedMs: number }) => void;
}

export interface OptimisedFluence {
  readonly beams: readonly OperatorBeam[];
  readonly maps: readonly BeamletMap[];
  readonly beamletMm: number;
  readonly pixelMm: number;
  /** Beamlet weights, MU over the whole course. */
  readonly weightsMu: Float64Array;
  readonly cloud: PointCloud;
  /** Dose (Gy, total) at the optimisation points. */
  readonly pointDoseGy: Float64Array;
  readonly terms: readonly TermValue[];
  /** The objective terms themselves (objective instances on the point cloud, with their weights), so
   * that a later stage (control-point MU re-optimisation, src/deliver/arc-optimise.ts) can minimise
   * the same objective over other variables. */
  readonly objectiveTerms: readonly Term[];
  readonly objective: number;
  readonly initialObjective: number;
  /** Iterations and evaluations summed over the correction loops; history: exact objective after each loop. */
  readonly solver: Omit<SolverResult, 'x'>;
  /** Full-operator corrections of the stored near part. */
  readonly corrections: number;
  readonly nearMatrix: { readonly radiusMm: number; readonly nonZeros: number; readonly bytes: number };
  /** With keepNearModel: the near matrix (beamlet weights, MU over the course -> Gy) and the far-scatter
   * dose at the final weights (full operator minus near part, Gy). */
  readonly nearModel?: { readonly operator: DoseOperator; readonly offsetGy: Float64Array };
  readonly nBeamlets: number;
  readonly timingsMs: { readonly points: number; readonly operator: number; readonly matrix: number; readonly optimise: number };
  /** Point sets by structure name (for the report of optimised vs final dose). */
  readonly pointSets: ReadonlyMap<string, { readonly indices: Int32Array; readonly weights: Float64Array }>;
}

/** Mask of a structure name as the objectives use it: a structure, 'A + B' (union), or a derived one. */
function resolveMask(
  name: string,
  ps: PlanningStructures,
  derived: ReadonlyMap<string, { readonly from: string; readonly minus: string; readonly marginMm: number }>,
  cache: Map<string, Mask>,
): Mask {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let mask: Mask;
  const d = derived.get(name);
  const byName = (n: string): MaskStructure | undefined => ps.all.find((s) => s.name === n);
  if (d !== undefined) {
    const from = resolveMask(d.from, ps, derived, cache);
    const minus = resolveMask(d.minus, ps, derived, cache);
    mask = subtractMask(from, d.marginMm > 0 ? expandMask(minus, d.marginMm, { name: d.minus }) : minus);
  } else if (byName(name) !== undefined) {
    mask = byName(name)!.mask;
  } else if (name.includes(' + ')) {
    mask = unionMasks(...name.split(' + ').map((n) => resolveMask(n.trim(), ps, derived, cache)));
  } else {
    const known = ps.all.map((s) => `"${s.name}"`).join(', ');
    throw new InputError(`an objective names structure "${name}", which is not in the structure set (structures: ${known})`, { structure: name });
  }
  cache.set(name, mask);
  return mask;
}

export function optimiseFluence(
  ps: PlanningStructures,
  red: ScalarVolume,
  specs: readonly ObjectiveSpec[],
  derived: ReadonlyMap<string, { readonly from: string; readonly minus: string; readonly marginMm: number }>,
  beams: readonly OperatorBeam[],
  options: OptimiseOptions = {},
): OptimisedFluence {
  const t0 = performance.now();
  const progress = (step: string, extra: { iteration?: number; value?: number } = {}): void =>
    options.onProgress?.({ step, ...extra, elapsedMs: performance.now() - t0 });
  progress('optimisation points');
  const grid = ps.primary.mask.grid;
  const cache = new Map<string, Mask>();
  const masks = specs.map((s) => resolveMask(s.structure, ps, derived, cache));
  masks.forEach((m, i) => {
    if (countVoxels(m) === 0) throw new InputError(`objective "${specs[i]!.kind}": the structure has no voxel on the planning grid`, { structure: specs[i]!.structure });
  });
  const include = unionMasks(...new Set(masks));
  const nearMargin = options.nearMarginMm ?? 10;
  // fine points: the target surface (+-edgeMm: coverage is decided there) and the spheres + margin
  const edge = options.edgeMm ?? 4;
  const shell = subtractMask(expandMask(ps.primary.mask, edge, { name: ps.primary.name }), contractMask(ps.primary.mask, edge, { name: ps.primary.name }));
  const fine = ps.peaks !== undefined ? unionMasks(shell, expandMask(ps.peaks.union.mask, nearMargin, { name: ps.peaks.union.name })) : shell;
  const medium = expandMask(ps.primary.mask, 30, { name: ps.primary.name });
  const cloud = buildPointCloud(include, fine, medium, {
    ...(options.fineMm !== undefined ? { fineMm: options.fineMm } : {}),
    mediumMm: options.mediumMm ?? 5,
    coarseMm: options.coarseMm ?? 10,
  });
  // distance from the primary target for fall-off terms
  let distance: Float32Array | undefined;
  const sets = new Map<string, { indices: Int32Array; weights: Float64Array }>();
  const terms: Term[] = specs.map((spec, i) => {
    if (spec.kind === 'fall-off' && distance === undefined) {
      distance = distanceTransformMm(ps.primary.mask, { name: ps.primary.name }).distanceMm;
    }
    const r = pointSetOf(cloud, masks[i]!, spec.structure, spec.kind === 'fall-off' ? distance : undefined);
    sets.set(spec.structure, r.set);
    const objective = createObjective(spec, r.set, r.average !== undefined ? { distanceMm: r.average } : {});
    return { objective, weight: spec.weight ?? 1 };
  });
  const tPoints = performance.now() - t0;

  progress('beamlet operator');
  const t1 = performance.now();
  const targetMask = ps.peaks !== undefined ? unionMasks(ps.primary.mask, ps.peaks.union.mask) : ps.primary.mask;
  const targetLps = maskPointsLps(targetMask);
  const machine = options.machine ?? PHOTON_6MV;
  const op = createBeamletOperator(machine, red, cloud.pointsLps, targetLps, beams, {
    beamletMm: options.beamletMm ?? 5,
    marginMm: options.beamletMarginMm ?? 5,
    threads: options.threads ?? availableParallelism(),
  });
  const tOperator = performance.now() - t1;
  try {
    if (op.nBeamlets === 0) throw new PlanError('no beamlet reaches the target: check the isocentre and the beams');
    // the stored near part of the operator, corrected by the full operator every few iterations
    progress('beamlet matrix');
    const t2 = performance.now();
    const near = truncatedBeamletMatrix(op, options.nearRadiusMm ?? 10);
    const correction = new Float64Array(op.nPoints);
    const approx: DoseOperator = {
      nBeamlets: op.nBeamlets,
      nPoints: op.nPoints,
      forward(w: Float64Array, out: Float64Array): void {
        near.forward(w, out);
        for (let p = 0; p < out.length; p++) out[p] = out[p]! + correction[p]!;
      },
      adjoint: (g: Float64Array, out: Float64Array): void => near.adjoint(g, out),
    };
    const tMatrix = performance.now() - t2;
    const problem = createFluenceProblem(approx, terms);
    const primarySet = sets.get(ps.primary.name) ?? pointSetOf(cloud, ps.primary.mask, ps.primary.name).set;
    const primaryRx = specs.find((s) => s.structure === ps.primary.name && s.kind === 'underdose');
    const rx = primaryRx !== undefined && 'doseGy' in primaryRx ? primaryRx.doseGy : 1;
    const t3 = performance.now();
    const w = uniformStart(op, primarySet.indices, primarySet.weights, rx);
    const full = new Float64Array(op.nPoints);
    const nearDose = new Float64Array(op.nPoints);
    const correct = (x: Float64Array): void => {
      op.forward(x, full);
      near.forward(x, nearDose);
      for (let p = 0; p < full.length; p++) correction[p] = full[p]! - nearDose[p]!;
    };
    correct(w);
    const initialObjective = problem.valueAtDose(full);
    progress('optimising', { iteration: 0, value: initialObjective });
    // The solver sees scaled variables x = w / wRef (the uniform start is all ones) and f / f0, so
    // that neither the MU scale of the operator nor the overall scale of the objective weights
    // changes its path: its tolerances and its first (unit-length) step are then meaningful.
    let wRef = 0;
    for (let b = 0; b < w.length; b++) wRef = Math.max(wRef, w[b]!);
    if (!(wRef > 0)) wRef = 1;
    const fRef = initialObjective > 0 ? initialObjective : 1;
    const wScratch = new Float64Array(w.length);
    const scaled = (x: Float64Array, gx: Float64Array): number => {
      for (let b = 0; b < x.length; b++) wScratch[b] = x[b]! * wRef;
      const v = problem.valueAndGradient(wScratch, gx);
      const gs = wRef / fRef;
      for (let b = 0; b < gx.length; b++) gx[b] = gx[b]! * gs;
      return v / fRef;
    };
    let x: Float64Array = new Float64Array(w.length);
    for (let b = 0; b < w.length; b++) x[b] = w[b]! / wRef;
    const maxIterations = options.maxIterations ?? 300;
    const perLoop = options.iterationsPerCorrection ?? 30;
    // The curvature pairs carry over the corrections (a correction adds a nearly constant dose, so
    // the objective's curvature hardly changes): the next loop goes on with quasi-Newton steps.
    const curvature = createSolverMemory(w.length, 10);
    let iterations = 0, evaluations = 0, corrections = 0;
    let last: SolverResult | undefined;
    const history: number[] = [initialObjective];
    while (iterations < maxIterations) {
      const r = minimiseBounded(scaled, x, {
        maxIterations: Math.min(perLoop, maxIterations - iterations),
        relativeTolerance: 1e-7,
        gradientTolerance: 0,
        curvature,
        onIteration: (info) => {
          if (info.iteration > 0) progress('optimising', { iteration: iterations + info.iteration, value: info.value * fRef });
        },
      });
      iterations += r.iterations;
      evaluations += r.evaluations;
      x = r.x;
      for (let b = 0; b < w.length; b++) w[b] = x[b]! * wRef;
      last = r;
      correct(w);
      corrections++;
      const exact = problem.valueAtDose(full);
      history.push(exact);
      // stop when the corrected problem converged and the correction moved the objective by little
      const prev = history[history.length - 2]!;
      const converged = r.stopReason !== 'max-iterations' && r.stopReason !== 'max-evaluations';
      if (r.iterations === 0 || (converged && Math.abs(prev - exact) <= 1e-3 * Math.abs(exact))) break;
    }
    const pointDose = Float64Array.from(full);
    const tOptimise = performance.now() - t3;
    const solver: OptimisedFluence['solver'] = {
      value: history[history.length - 1]!,
      iterations,
      evaluations,
      stopReason: last?.stopReason ?? 'max-iterations',
      projectedGradientNorm: last?.projectedGradientNorm ?? NaN, // of the scaled problem (x = w / wRef, f / f0)
      elapsedMs: tOptimise,
      history,
    };
    return {
      beams,
      maps: op.beams.map((b) => b.map),
      beamletMm: op.beamletMm,
      pixelMm: op.pixelMm,
      weightsMu: w,
      cloud,
      pointDoseGy: pointDose,
      terms: problem.termValues(pointDose),
      objectiveTerms: terms,
      objective: problem.valueAtDose(pointDose),
      initialObjective,
      solver,
      corrections,
      nearMatrix: { radiusMm: near.radiusMm, nonZeros: near.nonZeros, bytes: near.bytes },
      ...(options.keepNearModel === true ? { nearModel: { operator: near, offsetGy: Float64Array.from(correction) } } : {}),
      nBeamlets: op.nBeamlets,
      timingsMs: { points: tPoints, operator: tOperator, matrix: tMatrix, optimise: tOptimise },
      pointSets: sets,
    };
  } finally {
    op.close();
  }
}

/** Voxel centres of a mask (LPS, x y z interleaved). */
export function maskPointsLps(mask: Mask): Float64Array {
  const n = countVoxels(mask);
  const out = new Float64Array(3 * n);
  const A = indexToLpsAffine(mask.grid);
  const [nx, ny, nz] = mask.grid.size;
  let p = 0, q = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        if (mask.data[p] === 0) continue;
        out[q++] = A[0]! * i + A[1]! * j + A[2]! * k + A[3]!;
        out[q++] = A[4]! * i + A[5]! * j + A[6]! * k + A[7]!;
        out[q++] = A[8]! * i + A[9]! * j + A[10]! * k + A[11]!;
      }
    }
  }
  return out;
}
