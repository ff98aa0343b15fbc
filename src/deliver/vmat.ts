/**
 * The VMAT pipeline from an optimised fluence to deliverable arcs (vmat.md §0 and §5, steps 2-4):
 * sequenceArcs (sequence.ts) -> refineLeaves (leaf-refine.ts, optional) -> intervalColumns
 * (arc-optimise.ts) -> optimiseApertures (aperture-optimise.ts, when a beamlet dose model is given:
 * the fluence optimisation's near matrix, corrected to the columns) -> new columns -> optimiseArcMu. The arcs it returns are in MU per fraction; arcsToRtPlan (arcs.ts)
 * turns them into an RtPlan for planDose and the RTPLAN writer.
 *
 * Input: the fluence optimisation's beams, beamlet maps and beamlet weights (MU over the whole course,
 * as optimiseFluence returns them), its optimisation points and objective terms (total dose, Gy), the
 * planned fractions, the CT's relative electron density, the dose model (PhotonMachine) and the
 * delivery machine (LinacMachine). Output: the arcs, their delivery figures and the step timings.
 */

import type { PhotonMachine } from '../dose/machine.js';
import type { BeamletMap, OperatorBeam } from '../dose/operator.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { objectiveAtDose, type Term } from '../optimise/problem.js';
import { intervalMuOf, type Arc } from './arcs.js';
import { createApertureProblem, optimiseApertures, type ApertureDoseModel } from './aperture-optimise.js';
import { denseColumnsOperator, intervalColumns, minimumIntervalMu, optimiseArcMu, type ArcMuResult, type IntervalColumns } from './arc-optimise.js';
import { refineLeaves } from './leaf-refine.js';
import type { LinacMachine } from './machine.js';
import { arcStats, enforceBankSpread, sequenceArcs, type ArcSpec, type ArcStats } from './sequence.js';

export interface VmatInput {
  readonly beams: readonly OperatorBeam[];
  readonly maps: readonly BeamletMap[];
  readonly beamletMm: number;
  /** Beamlet weights, MU over the whole course (OptimisedFluence.weightsMu). */
  readonly weightsCourseMu: Float64Array;
  /** Optimisation points (LPS, mm, x y z interleaved) and the objective terms on them (total dose). */
  readonly pointsLps: Float64Array;
  readonly terms: readonly Term[];
  readonly fractions: number;
  /** Beamlet dose model for direct aperture optimisation (aperture-optimise.ts); without it the leaves
   * are only refined toward the fluence maps. */
  readonly doseModel?: ApertureDoseModel;
}

export interface VmatOptions {
  readonly arcs?: readonly ArcSpec[];
  /** Control-point spacing, degrees (2..4; default 2: bench/README.md "VMAT sequencing (issue 12)"). */
  readonly cpSpacingDeg?: number;
  /** Sector sampling (sequence.ts; default 'midpoint'). */
  readonly sampling?: 'midpoint' | 'sliding';
  /** Leaf refinement in the fluence domain (default true). */
  readonly refine?: boolean;
  /** Direct aperture optimisation on the objective when a dose model is given (default true), and its
   * solver iterations. */
  readonly dao?: boolean;
  readonly daoIterations?: number;
  /** Rounds of aperture optimisation (default 1; 0: none), each on the beamlet model corrected to the
   * dose columns of the arcs it starts from and followed by new columns; a round that does not lower
   * the columns' objective is dropped and ends them. */
  readonly daoRounds?: number;
  readonly daoTravelWeight?: number;
  readonly maxIterations?: number;
}

export interface VmatResult {
  /** Arcs with the re-optimised MU per fraction. */
  readonly arcs: readonly Arc[];
  readonly stats: readonly ArcStats[];
  /** The MU re-optimisation: objective before/after, predicted total dose at the points, iterations. */
  readonly mu: ArcMuResult;
  /** The direct aperture optimisation, when it ran (objective of its own dose model before/after). */
  /** The rounds of direct aperture optimisation (when a dose model was given): the model's objective
   * before and after, and the columns' objective of the arcs the round started from and of its result
   * (at their MU, before the MU re-optimisation); a round not kept ends them. */
  readonly dao?: readonly DaoRound[];
  readonly timingsMs: { readonly sequencing: number; readonly refinement: number; readonly dao: number; readonly columns: number; readonly muOptimisation: number };
}

export interface DaoRound {
  readonly modelBefore: number;
  readonly modelAfter: number;
  readonly iterations: number;
  readonly columnsBefore: number;
  readonly columnsAfter: number;
  readonly kept: boolean;
}

/** Default sector sampling and refinement (bench/README.md "VMAT sequencing (issue 12)"). */
export const VMAT_DEFAULTS = { cpSpacingDeg: 2, sampling: 'midpoint', refine: true, daoRounds: 1 } as const;

export function planVmatArcs(input: VmatInput, density: ScalarVolume, photon: PhotonMachine, linac: LinacMachine, options: VmatOptions = {}): VmatResult {
  let t = performance.now();
  const fluence = {
    beams: input.beams,
    maps: input.maps,
    beamletMm: input.beamletMm,
    weightsMu: Float64Array.from(input.weightsCourseMu, (w) => w / input.fractions),
  };
  const seq0 = sequenceArcs(fluence, linac, {
    cpSpacingDeg: options.cpSpacingDeg ?? VMAT_DEFAULTS.cpSpacingDeg,
    sampling: options.sampling ?? VMAT_DEFAULTS.sampling,
    ...(options.arcs !== undefined ? { arcs: options.arcs } : {}),
  });
  const sequencing = performance.now() - t;
  t = performance.now();
  // the refinement moves leaves: the bank spread is kept again after it
  let arcs0 = (options.refine ?? VMAT_DEFAULTS.refine) ? enforceBankSpread(refineLeaves(seq0, fluence, linac).arcs, linac).arcs : seq0.arcs;
  const refinement = performance.now() - t;
  t = performance.now();
  // Dose columns at each interval's own angle for the current arcs; then rounds of direct aperture
  // optimisation on the beamlet model, each on the model corrected to the columns' dose of the arcs it
  // starts from (the correction carries the angle between fluence beams, the far scatter and the leakage
  // outside the maps), each followed by new columns. A round's arcs are kept only when their columns'
  // objective (at the round's MU) is below that of the arcs it started from.
  t = performance.now();
  let cols = intervalColumns(photon, density, input.pointsLps, arcs0, linac.mlc.leafBoundariesMm, { mlcTransmission: linac.mlc.transmission });
  let columns = performance.now() - t;
  const rounds = input.doseModel !== undefined && (options.dao ?? true) ? Math.max(0, Math.floor(options.daoRounds ?? VMAT_DEFAULTS.daoRounds)) : 0;
  const columnsDose = (c: IntervalColumns, arcs: readonly Arc[]): Float64Array => {
    const d = new Float64Array(c.nPoints);
    denseColumnsOperator(c.columns, c.nPoints, input.fractions).forward(Float64Array.from(arcs.flatMap((a) => [...intervalMuOf(a)])), d);
    return d;
  };
  const valueAt = (d: Float64Array): number => objectiveAtDose(input.terms, d);
  let bestDose = columnsDose(cols, arcs0);
  let bestValue = valueAt(bestDose);
  const daoRounds: DaoRound[] = [];
  let daoMs = 0;
  for (let round = 0; round < rounds; round++) {
    t = performance.now();
    // the model, corrected to the columns' dose at the arcs this round starts from
    const base = input.doseModel!;
    const probe = createApertureProblem(arcs0, fluence, base, input.terms, input.fractions, linac);
    const modelDose = probe.doseAt(probe.x0);
    const offset = Float64Array.from(base.offsetGy ?? new Float64Array(cols.nPoints));
    for (let p = 0; p < offset.length; p++) offset[p] = offset[p]! + bestDose[p]! - modelDose[p]!;
    const r = optimiseApertures(arcs0, fluence, { operator: base.operator, offsetGy: offset }, input.terms, input.fractions, linac, {
      lowerMu: minimumIntervalMu(arcs0, linac),
      ...(options.daoIterations !== undefined ? { maxIterations: options.daoIterations } : {}),
      ...(options.daoTravelWeight !== undefined ? { travelWeight: options.daoTravelWeight } : {}),
    });
    const arcsR = enforceBankSpread(r.arcs, linac).arcs;
    daoMs += performance.now() - t;
    t = performance.now();
    const colsR = intervalColumns(photon, density, input.pointsLps, arcsR, linac.mlc.leafBoundariesMm, { mlcTransmission: linac.mlc.transmission });
    columns += performance.now() - t;
    const doseR = columnsDose(colsR, arcsR);
    const valueR = valueAt(doseR);
    const kept = valueR < bestValue;
    daoRounds.push({ modelBefore: r.initialObjective, modelAfter: r.objective, iterations: r.iterations, columnsBefore: bestValue, columnsAfter: valueR, kept });
    if (!kept) break;
    arcs0 = arcsR;
    cols = colsR;
    bestDose = doseR;
    bestValue = valueR;
  }
  t = performance.now();
  const mu = optimiseArcMu(cols, input.terms, arcs0, linac, { fractions: input.fractions, ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}) });
  const muOptimisation = performance.now() - t;
  return {
    arcs: mu.arcs,
    stats: mu.arcs.map((a) => arcStats(a, linac)),
    mu,
    ...(rounds > 0 ? { dao: daoRounds } : {}),
    timingsMs: { sequencing, refinement, dao: daoMs, columns, muOptimisation },
  };
}
