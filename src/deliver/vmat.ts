/**
 * The VMAT pipeline from an optimised fluence to deliverable arcs (vmat.md §0 and §5, steps 2-4):
 * sequenceArcs (sequence.ts) -> refineLeaves (leaf-refine.ts, optional) -> intervalColumns and
 * optimiseArcMu (arc-optimise.ts). The arcs it returns are in MU per fraction; arcsToRtPlan (arcs.ts)
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
import type { Term } from '../optimise/problem.js';
import type { Arc } from './arcs.js';
import { intervalColumns, optimiseArcMu, type ArcMuResult } from './arc-optimise.js';
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
}

export interface VmatOptions {
  readonly arcs?: readonly ArcSpec[];
  /** Control-point spacing, degrees (2..4; default 2: bench/README.md "VMAT sequencing (issue 12)"). */
  readonly cpSpacingDeg?: number;
  /** Sector sampling (sequence.ts; default 'midpoint'). */
  readonly sampling?: 'midpoint' | 'sliding';
  /** Leaf refinement in the fluence domain (default true). */
  readonly refine?: boolean;
  readonly maxIterations?: number;
}

export interface VmatResult {
  /** Arcs with the re-optimised MU per fraction. */
  readonly arcs: readonly Arc[];
  readonly stats: readonly ArcStats[];
  /** The MU re-optimisation: objective before/after, predicted total dose at the points, iterations. */
  readonly mu: ArcMuResult;
  readonly timingsMs: { readonly sequencing: number; readonly refinement: number; readonly columns: number; readonly muOptimisation: number };
}

/** Default sector sampling and refinement (bench/README.md "VMAT sequencing (issue 12)"). */
export const VMAT_DEFAULTS = { cpSpacingDeg: 2, sampling: 'midpoint', refine: true } as const;

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
  const arcs0 = (options.refine ?? VMAT_DEFAULTS.refine) ? enforceBankSpread(refineLeaves(seq0, fluence, linac).arcs, linac).arcs : seq0.arcs;
  const refinement = performance.now() - t;
  t = performance.now();
  const cols = intervalColumns(photon, density, input.pointsLps, arcs0, linac.mlc.leafBoundariesMm, { mlcTransmission: linac.mlc.transmission });
  const columns = performance.now() - t;
  t = performance.now();
  const mu = optimiseArcMu(cols, input.terms, arcs0, linac, { fractions: input.fractions, ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}) });
  const muOptimisation = performance.now() - t;
  return { arcs: mu.arcs, stats: mu.arcs.map((a) => arcStats(a, linac)), mu, timingsMs: { sequencing, refinement, columns, muOptimisation } };
}
