/**
 * Control-point MU re-optimisation of sequenced arcs (vmat.md §5, pipeline step 4).
 *
 * 1. intervalColumns: one dose column per control-point interval at the optimisation points: the
 *    interval's aperture (leaves and Y diaphragms moving linearly from one control point to the next,
 *    averaged over sub-steps of at most `maxSubLeafMm` leaf travel, as plan-dose.ts splits a segment;
 *    exact open area fraction of each 2.5 mm fluence pixel, fluence.ts), times the off-axis primary
 *    fluence psi, pushed through the pencil-beam engine (pencil-beam.ts, the beamlet operator's engine;
 *    radiological depths from beam's-eye-view tables as planDose takes them) at one gantry angle per
 *    interval: the interval's mean angle ('interval', default) or the angle of the nearest fluence beam
 *    ('nearest-beam'; measured worse against planDose, bench/README.md "VMAT sequencing (issue 12)").
 *    A column is dose (Gy per fraction) per MU.
 *    MLC transmission, when asked for, is added inside the diaphragms over the whole leaf span (the
 *    fluence region is then the diaphragm opening across +-200 mm, as planDose's): with thousands of
 *    MU per arc the leakage outside the open leaves is a dose the optimisation must see.
 * 2. optimiseIntervalMu: minimise the plan's objective terms (the same Term objects as the fluence
 *    optimisation, src/optimise/problem.ts) of the total dose D = fractions * sum_i column_i m_i over the
 *    interval MU m_i >= lower_i, by the same projected L-BFGS solver (solver.ts) on scaled variables.
 *    lower_i = 1.005 R_min * t_i(no MU): the machine's minimum dose rate (with a margin for the
 *    rounding of written plans) over the interval's shortest time (gantry, leaf and jaw limits), so that
 *    no interval runs below the minimum dose rate.
 * 3. optimiseArcMu: both on arcs; returns arcs with the new cumulative MU, the predicted dose at the
 *    points and the objective before and after.
 */

import { InputError, fmt } from '../core/errors.js';
import { apertureOpenFraction, type Aperture } from '../dose/fluence.js';
import type { BevDepthOptions } from '../dose/bev-depth.js';
import { primaryFluenceAt, type PhotonMachine } from '../dose/machine.js';
import { DEFAULT_MAX_SUB_LEAF_MM, DEFAULT_PLAN_BEV_DEPTH } from '../dose/plan-dose.js';
import { addBeamDose, preparePencilBeam, type BeamSpec, type FluenceRegion, type KernelCache } from '../dose/pencil-beam.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { createFluenceProblem, type DoseOperator, type Term, type TermValue } from '../optimise/problem.js';
import { minimiseBounded, type StopReason } from '../optimise/solver.js';
import { gantryAtDeg, withIntervalMu, type Arc } from './arcs.js';
import type { LinacMachine } from './machine.js';
import { arcTiming } from './sequence.js';

export interface IntervalColumnsOptions {
  /** Gantry angle of each interval's dose (default 'interval': its mean angle). */
  readonly angle?: 'interval' | 'nearest-beam';
  /** The fluence beams' gantry angles (needed for 'nearest-beam'). */
  readonly beamAnglesDeg?: readonly number[];
  /** Fraction of the open fluence passing closed leaves inside the diaphragms (default 0). */
  readonly mlcTransmission?: number;
  /** Largest leaf or jaw travel of one sub-step of an interval, mm (default DEFAULT_MAX_SUB_LEAF_MM, as plan-dose.ts). */
  readonly maxSubLeafMm?: number;
  /** Fluence pixel side, mm (default 2.5). */
  readonly pixelMm?: number;
  /** Intervals prepared together (memory vs set-up; default 24). */
  readonly batchSize?: number;
  /** Radiological depths from beam's-eye-view depth tables (default DEFAULT_PLAN_BEV_DEPTH, as planDose),
   * or `false` for one Siddon ray per point and interval. */
  readonly bevDepth?: BevDepthOptions | false;
}

export interface IntervalColumns {
  readonly nPoints: number;
  readonly nIntervals: number;
  /** Dose per MU (Gy per fraction) at each point, interval by interval: column i is [i nPoints, (i + 1) nPoints). */
  readonly columns: Float32Array;
  /** Arc and first control point of each interval (intervals numbered arc by arc). */
  readonly arcOf: Int32Array;
  readonly cpOf: Int32Array;
  readonly elapsedMs: number;
}

const MAX_FIELD_MM = 200;

/** The aperture a fraction t of the way from control point i to i + 1 of an arc (X jaws wide open). */
function apertureAt(arc: Arc, i: number, t: number, boundaries: Float64Array): Aperture {
  const a = arc.controlPoints[i]!, b = arc.controlPoints[i + 1]!;
  const n = a.bankAMm.length;
  const bankA = new Float64Array(n), bankB = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    bankA[p] = a.bankAMm[p]! + t * (b.bankAMm[p]! - a.bankAMm[p]!);
    bankB[p] = a.bankBMm[p]! + t * (b.bankBMm[p]! - a.bankBMm[p]!);
  }
  return {
    jawXMm: [-MAX_FIELD_MM, MAX_FIELD_MM],
    jawYMm: [a.jawYMm[0] + t * (b.jawYMm[0] - a.jawYMm[0]), a.jawYMm[1] + t * (b.jawYMm[1] - a.jawYMm[1])],
    mlc: { boundariesMm: boundaries, bankA, bankB },
  };
}

/** Fluence region (pixel centres at (k + 0.5) h, as the beamlet operator's) covering an interval's open
 * leaves, or with `wholeField` the whole diaphragm opening across the leaf span (where the MLC
 * transmission reaches, as planDose computes it). */
function intervalRegion(arc: Arc, i: number, boundaries: Float64Array, h: number, wholeField = false): FluenceRegion {
  const a = arc.controlPoints[i]!, b = arc.controlPoints[i + 1]!;
  const y1 = Math.min(a.jawYMm[0], b.jawYMm[0]), y2 = Math.max(a.jawYMm[1], b.jawYMm[1]);
  let uLo = Infinity, uHi = -Infinity, vLo = Infinity, vHi = -Infinity;
  for (let p = 0; p + 1 < boundaries.length; p++) {
    if (Math.min(boundaries[p + 1]!, y2) <= Math.max(boundaries[p]!, y1)) continue;
    vLo = Math.min(vLo, Math.max(boundaries[p]!, y1));
    vHi = Math.max(vHi, Math.min(boundaries[p + 1]!, y2));
    uLo = Math.min(uLo, a.bankAMm[p]!, b.bankAMm[p]!);
    uHi = Math.max(uHi, a.bankBMm[p]!, b.bankBMm[p]!);
  }
  if (wholeField && y2 > y1) {
    uLo = -MAX_FIELD_MM;
    uHi = MAX_FIELD_MM;
    vLo = y1;
    vHi = y2;
  }
  if (!(uLo < uHi && vLo < vHi)) {
    uLo = -h;
    uHi = h;
    vLo = -h;
    vHi = h;
  }
  const a0 = Math.floor(uLo / h) - 1, a1 = Math.ceil(uHi / h) + 1;
  const b0 = Math.floor(vLo / h) - 1, b1 = Math.ceil(vHi / h) + 1;
  return { u0Mm: (a0 + 0.5) * h, v0Mm: (b0 + 0.5) * h, nu: a1 - a0, nv: b1 - b0 };
}

/** Fluence per MU of an interval on its region: mean open fraction over the sub-steps times psi. */
function intervalFluence(
  machine: PhotonMachine,
  arc: Arc,
  i: number,
  boundaries: Float64Array,
  region: FluenceRegion,
  h: number,
  maxSubLeafMm: number,
  transmission: number,
): Float64Array {
  const a = arc.controlPoints[i]!, b = arc.controlPoints[i + 1]!;
  let travel = Math.max(Math.abs(b.jawYMm[0] - a.jawYMm[0]), Math.abs(b.jawYMm[1] - a.jawYMm[1]));
  for (let p = 0; p < a.bankAMm.length; p++) travel = Math.max(travel, Math.abs(b.bankAMm[p]! - a.bankAMm[p]!), Math.abs(b.bankBMm[p]! - a.bankBMm[p]!));
  const n = Math.max(1, Math.ceil(travel / maxSubLeafMm - 1e-9));
  const out = new Float64Array(region.nu * region.nv);
  for (let k = 0; k < n; k++) {
    const ap = apertureAt(arc, i, (k + 0.5) / n, boundaries);
    const open = apertureOpenFraction(region, h, ap);
    if (transmission > 0) {
      const inJaws = apertureOpenFraction(region, h, { jawXMm: ap.jawXMm, jawYMm: ap.jawYMm });
      for (let q = 0; q < open.length; q++) open[q] = open[q]! + transmission * (inJaws[q]! - open[q]!);
    }
    for (let q = 0; q < open.length; q++) out[q] = out[q]! + open[q]! / n;
  }
  for (let c = 0; c < region.nv; c++) {
    for (let q = 0; q < region.nu; q++) {
      const j = q + region.nu * c;
      if (out[j] === 0) continue;
      out[j] = out[j]! * primaryFluenceAt(machine, Math.hypot(region.u0Mm + q * h, region.v0Mm + c * h));
    }
  }
  return out;
}

/** One dose column per control-point interval of the arcs at the points (file header, step 1). */
export function intervalColumns(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  arcs: readonly Arc[],
  leafBoundariesMm: Float64Array,
  options: IntervalColumnsOptions = {},
): IntervalColumns {
  const t0 = performance.now();
  const h = options.pixelMm ?? 2.5;
  const maxSub = options.maxSubLeafMm ?? DEFAULT_MAX_SUB_LEAF_MM;
  const transmission = options.mlcTransmission ?? 0;
  const angleMode = options.angle ?? 'interval';
  const batch = Math.max(1, Math.floor(options.batchSize ?? 24));
  const bev = options.bevDepth ?? DEFAULT_PLAN_BEV_DEPTH;
  if (!(transmission >= 0 && transmission <= 1)) throw new InputError(`MLC transmission must be a fraction from 0 to 1, found ${fmt(transmission)}`);
  if (!(maxSub > 0) || !(h > 0)) throw new InputError('sub-step travel and pixel size must be positive');
  if (angleMode === 'nearest-beam' && (options.beamAnglesDeg === undefined || options.beamAnglesDeg.length === 0)) {
    throw new InputError("interval columns at the nearest beam's angle need the beams' gantry angles");
  }
  const nPoints = pointsLps.length / 3;
  const arcOf: number[] = [], cpOf: number[] = [];
  arcs.forEach((arc, ai) => {
    for (let i = 0; i + 1 < arc.controlPoints.length; i++) {
      arcOf.push(ai);
      cpOf.push(i);
    }
  });
  const nI = arcOf.length;
  const columns = new Float32Array(nPoints * nI);
  const col = new Float64Array(nPoints);
  const cache: KernelCache = new Map();
  const dist = (x: number, y: number): number => {
    const d = Math.abs((((x - y) % 360) + 360) % 360);
    return Math.min(d, 360 - d);
  };
  for (let s = 0; s < nI; s += batch) {
    const ids = Array.from({ length: Math.min(batch, nI - s) }, (_, q) => s + q);
    const specs: BeamSpec[] = ids.map((k) => {
      const arc = arcs[arcOf[k]!]!, i = cpOf[k]!;
      const a = arc.controlPoints[i]!, b = arc.controlPoints[i + 1]!;
      let gantry = gantryAtDeg(arc.direction, a.gantryDeg, b.gantryDeg, 0.5);
      if (angleMode === 'nearest-beam') {
        const angles = options.beamAnglesDeg!;
        let best = angles[0]!;
        for (const g of angles) if (dist(g, gantry) < dist(best, gantry) - 1e-9) best = g;
        gantry = best;
      }
      return {
        geometry: { gantryDeg: gantry, collimatorDeg: arc.collimatorDeg, couchDeg: arc.couchDeg, isocenterLps: arc.isocenterLps, sadMm: machine.sadMm },
        region: intervalRegion(arc, i, leafBoundariesMm, h, transmission > 0),
        name: `${arc.name} interval ${i}-${i + 1}`,
      };
    });
    const prep = preparePencilBeam(machine, density, pointsLps, specs, { pixelMm: h, kernelCache: cache, ...(bev === false ? {} : { bevDepth: bev }) });
    ids.forEach((k, j) => {
      const fl = intervalFluence(machine, arcs[arcOf[k]!]!, cpOf[k]!, leafBoundariesMm, specs[j]!.region, h, maxSub, transmission);
      col.fill(0);
      addBeamDose(prep, j, fl, col);
      columns.set(col, k * nPoints);
    });
  }
  return { nPoints, nIntervals: nI, columns, arcOf: Int32Array.from(arcOf), cpOf: Int32Array.from(cpOf), elapsedMs: performance.now() - t0 };
}

/** D m as a DoseOperator over dense columns (column-major, nPoints each), times `scale` (e.g. fractions). */
export function denseColumnsOperator(columns: Float32Array, nPoints: number, scale = 1): DoseOperator {
  if (!(nPoints > 0) || columns.length % nPoints !== 0) throw new InputError(`dense columns: ${columns.length} values are not a whole number of columns of ${nPoints} points`);
  const n = columns.length / nPoints;
  return {
    nBeamlets: n,
    nPoints,
    forward(w: Float64Array, out: Float64Array): void {
      out.fill(0);
      for (let i = 0; i < n; i++) {
        const wi = w[i]! * scale;
        if (wi === 0) continue;
        const o = i * nPoints;
        for (let p = 0; p < nPoints; p++) out[p] = out[p]! + wi * columns[o + p]!;
      }
    },
    adjoint(g: Float64Array, out: Float64Array): void {
      for (let i = 0; i < n; i++) {
        const o = i * nPoints;
        let s = 0;
        for (let p = 0; p < nPoints; p++) s += columns[o + p]! * g[p]!;
        out[i] = s * scale;
      }
    },
  };
}

export interface IntervalMuOptions {
  /** Dose = fractions x the columns' dose per fraction (default 1). */
  readonly fractions?: number;
  /** Lower bound of each interval's MU (default 0). */
  readonly lowerMu?: Float64Array;
  readonly maxIterations?: number;
  readonly relativeTolerance?: number;
}

export interface IntervalMuResult {
  readonly intervalMu: Float64Array;
  /** Total dose at the points (Gy). */
  readonly doseGy: Float64Array;
  readonly initialObjective: number;
  readonly objective: number;
  readonly terms: readonly TermValue[];
  readonly iterations: number;
  readonly evaluations: number;
  readonly stopReason: StopReason;
  readonly elapsedMs: number;
}

/**
 * Interval MU minimising the objective terms over m >= lower (file header, step 2), from `startMu`
 * (raised to the bounds). The solver works on x = (m - lower) / ref and f / f0, as the fluence
 * optimisation does, so that neither the MU scale nor the weights' scale changes its path.
 */
export function optimiseIntervalMu(columns: Float32Array, nPoints: number, terms: readonly Term[], startMu: Float64Array, options: IntervalMuOptions = {}): IntervalMuResult {
  const t0 = performance.now();
  const op = denseColumnsOperator(columns, nPoints, options.fractions ?? 1);
  const n = op.nBeamlets;
  if (startMu.length !== n) throw new InputError(`expected ${n} starting interval MU, found ${startMu.length}`);
  const lower = options.lowerMu ?? new Float64Array(n);
  if (lower.length !== n) throw new InputError(`expected ${n} lower MU bounds, found ${lower.length}`);
  const problem = createFluenceProblem(op, terms);
  const m = new Float64Array(n);
  let ref = 0;
  for (let i = 0; i < n; i++) {
    m[i] = Math.max(startMu[i]!, lower[i]!);
    ref = Math.max(ref, m[i]! - lower[i]!);
  }
  if (!(ref > 0)) ref = 1;
  const dose = new Float64Array(nPoints);
  op.forward(m, dose);
  const f0 = problem.valueAtDose(dose);
  const fRef = f0 > 0 ? f0 : 1;
  const x0 = new Float64Array(n);
  for (let i = 0; i < n; i++) x0[i] = (m[i]! - lower[i]!) / ref;
  const fg = (x: Float64Array, gx: Float64Array): number => {
    for (let i = 0; i < n; i++) m[i] = lower[i]! + x[i]! * ref;
    const v = problem.valueAndGradient(m, gx);
    for (let i = 0; i < n; i++) gx[i] = (gx[i]! * ref) / fRef;
    return v / fRef;
  };
  const r = minimiseBounded(fg, x0, { maxIterations: options.maxIterations ?? 500, relativeTolerance: options.relativeTolerance ?? 1e-9, gradientTolerance: 0 });
  const mu = new Float64Array(n);
  for (let i = 0; i < n; i++) mu[i] = lower[i]! + r.x[i]! * ref;
  op.forward(mu, dose);
  return {
    intervalMu: mu,
    doseGy: dose,
    initialObjective: f0,
    objective: problem.valueAtDose(dose),
    terms: problem.termValues(dose),
    iterations: r.iterations,
    evaluations: r.evaluations,
    stopReason: r.stopReason,
    elapsedMs: performance.now() - t0,
  };
}

/** Relative margin above the minimum dose rate kept by minimumIntervalMu. */
export const MIN_DOSE_RATE_MARGIN = 0.005;

/** Smallest MU of each interval: the minimum dose rate (plus MIN_DOSE_RATE_MARGIN) over the interval's time without the MU limit. */
export function minimumIntervalMu(arcs: readonly Arc[], machine: LinacMachine): Float64Array {
  const out: number[] = [];
  // 0.5 % above the limit: the written plan rounds positions (0.1 um) and meterset weights (1e-9)
  const rMin = (machine.doseRate.minMuPerMin / 60) * (1 + MIN_DOSE_RATE_MARGIN);
  for (const arc of arcs) {
    const zero = withIntervalMu(arc, new Float64Array(arc.controlPoints.length - 1));
    const t = arcTiming(zero, machine);
    for (let i = 0; i < t.seconds.length; i++) out.push(rMin * t.seconds[i]!);
  }
  return Float64Array.from(out);
}

export interface ArcMuResult extends IntervalMuResult {
  readonly arcs: readonly Arc[];
  readonly lowerMu: Float64Array;
}

/** Re-optimised MU of every interval of the arcs (file header, steps 2-3); the arcs' own MU are the start. */
export function optimiseArcMu(
  columns: IntervalColumns,
  terms: readonly Term[],
  arcs: readonly Arc[],
  machine: LinacMachine,
  options: Omit<IntervalMuOptions, 'lowerMu'> = {},
): ArcMuResult {
  const start = new Float64Array(columns.nIntervals);
  let k = 0;
  for (const arc of arcs) {
    const cps = arc.controlPoints;
    for (let i = 0; i + 1 < cps.length; i++) start[k++] = cps[i + 1]!.cumulativeMu - cps[i]!.cumulativeMu;
  }
  if (k !== columns.nIntervals) throw new InputError(`the arcs have ${k} intervals, the columns ${columns.nIntervals}`);
  const lowerMu = minimumIntervalMu(arcs, machine);
  const r = optimiseIntervalMu(columns.columns, columns.nPoints, terms, start, { ...options, lowerMu });
  let off = 0;
  const out = arcs.map((arc) => {
    const n = arc.controlPoints.length - 1;
    const a = withIntervalMu(arc, r.intervalMu.subarray(off, off + n));
    off += n;
    return a;
  });
  return { ...r, arcs: out, lowerMu };
}

