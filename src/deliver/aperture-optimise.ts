/**
 * Direct aperture optimisation (DAO) of sequenced arcs on the plan's own objective (vmat.md §5 step 5:
 * leaf positions and control-point MU together, with the beamlet operator and its adjoint).
 *
 * Model. Each control-point interval delivers, while its leaves move linearly from one control point
 * to the next, the fluence of `subSteps` sampled apertures; each sample is delivered from the two fluence
 * beams that bracket its gantry angle (weights linear in angle, bracketBeams) and adds to their beamlets
 * its MU share times the open fraction of
 * each beamlet (exact overlap of the leaf opening with the 5 mm beamlet along X_b; beamlet rows are
 * the leaf pairs, sequence.ts pairsOfRows), and the MLC transmission through the closed part of every
 * beamlet inside the diaphragms (held where the input arcs put them). Openings outside a row's active beamlets are not counted
 * (the leaves are clamped to the row's extent in the model). The beamlet weights (MU per fraction,
 * times the fractions) go through a dose operator on the optimisation points (the fluence
 * optimisation's stored near matrix plus a fixed dose offset: vmat.ts sets it so that the model equals
 * the dose columns of the arcs the optimisation starts from), and the
 * objective terms of the fluence plan are evaluated on that dose.
 *
 * Variables: per control point and leaf pair that lies in some beam's map, the opening's centre c and
 * half-width h >= 0 (bank A = c - h, bank B = c + h: the banks never cross), and every interval's MU
 * (>= the lower bound given, e.g. the minimum dose rate over the interval's time). The gradient is
 * exact for the model (the derivative of a beamlet's open length with respect to an edge inside it is
 * +-1), and the projected L-BFGS solver (src/optimise/solver.ts) minimises the objective plus an
 * optional penalty on leaf travel between consecutive control points. The arcs' diaphragms are set
 * again from the open pairs afterwards (leaf-refine.ts settleApertures).
 *
 * The interval gantry angles enter only through the bracketing beams here; the control-point MU are
 * re-optimised afterwards on dose columns at each interval's own angle (arc-optimise.ts).
 */

import { InputError, fmt } from '../core/errors.js';
import { createFluenceProblem, type DoseOperator, type Term } from '../optimise/problem.js';
import { minimiseBounded, type StopReason } from '../optimise/solver.js';
import { gantryAtDeg, type Arc } from './arcs.js';
import { settleApertures } from './leaf-refine.js';
import type { LinacMachine } from './machine.js';
import { pairsOfRows, type FluenceBeams } from './sequence.js';

export interface ApertureDoseModel {
  /** Beamlet weights (MU over the whole course, numbered as the fluence optimisation's) -> total dose at the points (Gy). */
  readonly operator: DoseOperator;
  /** Dose added to the operator's (Gy, e.g. the far-scatter correction); default none. */
  readonly offsetGy?: Float64Array;
}

export interface ApertureOptions {
  /** Lower bound of each interval's MU (intervals numbered arc by arc; default 0). */
  readonly lowerMu?: Float64Array;
  /** Solver iterations (default 400). */
  readonly maxIterations?: number;
  /** Apertures sampled per interval (default 4). */
  readonly subSteps?: number;
  /** Penalty on leaf travel between consecutive control points: weight x sum (dx / 5 mm)^2, relative to
   * the starting objective (default 0). */
  readonly travelWeight?: number;
  /** Gap of a pair closed inside the diaphragm opening (default: minimum gap + 0.5 mm, as sequence.ts). */
  readonly inFieldGapMm?: number;
  /** Fraction of the open fluence passing closed leaves inside the diaphragms (default: the machine's). */
  readonly mlcTransmission?: number;
}

export interface ApertureResult {
  readonly arcs: readonly Arc[];
  /** Objective of the model's dose at the start and at the end. */
  readonly initialObjective: number;
  readonly objective: number;
  readonly iterations: number;
  readonly stopReason: StopReason;
  readonly elapsedMs: number;
}

/**
 * The two beams whose gantry angles bracket angle g (degrees, on the circle) and the weight of the
 * first, linear in angle (1 at its angle, 0 at the second's); one beam: itself with weight 1.
 */
export function bracketBeams(angles: readonly number[], g: number): [number, number, number] {
  let below = -1, above = -1, dBelow = Infinity, dAbove = Infinity;
  for (let b = 0; b < angles.length; b++) {
    const d = (((g - angles[b]!) % 360) + 360) % 360; // how far g lies past beam b, in [0, 360)
    if (d < dBelow) {
      dBelow = d;
      below = b;
    }
    const e = (((angles[b]! - g) % 360) + 360) % 360; // how far beam b lies past g
    if (e < dAbove) {
      dAbove = e;
      above = b;
    }
  }
  if (below === above || dBelow < 1e-9) return [below, 1, below];
  if (dAbove < 1e-9) return [above, 1, above];
  return [below, dAbove / (dBelow + dAbove), above];
}

/** The DAO problem (file header): starting variables, value and gradient (scaled by the starting
 * objective), the model's dose and the arcs of a variable vector. */
export interface ApertureProblem {
  readonly n: number;
  readonly x0: Float64Array;
  /** Objective (plus the travel penalty) / starting objective; its gradient into grad. */
  valueAndGradient(x: Float64Array, grad: Float64Array): number;
  /** The objective terms' value at the model's dose of x (no penalty, unscaled). */
  objectiveAt(x: Float64Array): number;
  /** The model's total dose at the points for x (Gy; a new array). */
  doseAt(x: Float64Array): Float64Array;
  readonly initialObjective: number;
  /** Arcs with the leaves and interval MU of x (diaphragms settled). */
  arcsOf(x: Float64Array): Arc[];
}

export function createApertureProblem(
  arcsIn: readonly Arc[],
  fluence: Omit<FluenceBeams, 'weightsMu'>,
  model: ApertureDoseModel,
  terms: readonly Term[],
  fractions: number,
  machine: LinacMachine,
  options: ApertureOptions = {},
): ApertureProblem {
  const { maps, beams, beamletMm: bw } = fluence;
  const op = model.operator;
  const S = Math.max(1, Math.floor(options.subSteps ?? 4));
  const gapMin = Math.max(0, machine.mlc.minGapMm);
  const inFieldGap = options.inFieldGapMm ?? gapMin + 0.5;
  if (!(fractions > 0)) throw new InputError(`fractions must be > 0, found ${fmt(fractions)}`);
  const nPairs = machine.mlc.leafBoundariesMm.length - 1;
  const [xMin, xMax] = machine.mlc.positionRangeMm;
  const angles = beams.map((b) => b.geometry.gantryDeg);

  // per beam: row of each leaf pair (-1: none), active extent of each row, global index of each beamlet
  const rowOf: Int32Array[] = [];
  const extLo: Float64Array[] = [], extHi: Float64Array[] = [];
  const index: Int32Array[] = [];
  let nW = 0;
  maps.forEach((m, b) => {
    const pairs = pairsOfRows(m, bw, machine.mlc.leafBoundariesMm, beams[b]!.name ?? `beam ${b + 1}`);
    const r = new Int32Array(nPairs).fill(-1);
    pairs.forEach((p, c) => (r[p] = c));
    rowOf.push(r);
    const idx = new Int32Array(m.nbu * m.nbv).fill(-1);
    const lo = new Float64Array(m.nbv).fill(Infinity), hi = new Float64Array(m.nbv).fill(-Infinity);
    for (let c = 0; c < m.nbv; c++) {
      for (let a = 0; a < m.nbu; a++) {
        if (!m.active[a + m.nbu * c]) continue;
        idx[a + m.nbu * c] = nW++;
        lo[c] = Math.min(lo[c]!, (m.i0 + a) * bw);
        hi[c] = Math.max(hi[c]!, (m.i0 + a + 1) * bw);
      }
    }
    index.push(idx);
    extLo.push(lo);
    extHi.push(hi);
  });
  if (nW !== op.nBeamlets) throw new InputError(`the dose model has ${op.nBeamlets} beamlets, the beamlet maps ${nW}`);
  // leaf pairs that are variables: those with a row in some beam
  const pairList: number[] = [];
  let cLow = Infinity;
  for (let p = 0; p < nPairs; p++) {
    let any = false;
    rowOf.forEach((r, b) => {
      if (r[p]! >= 0 && extHi[b]![r[p]!]! > extLo[b]![r[p]!]!) {
        any = true;
        cLow = Math.min(cLow, extLo[b]![r[p]!]!);
      }
    });
    if (any) pairList.push(p);
  }
  const nP = pairList.length;
  cLow -= bw;

  // control points and intervals
  const cpBase: number[] = [];
  let nCp = 0, nI = 0;
  for (const arc of arcsIn) {
    cpBase.push(nCp);
    nCp += arc.controlPoints.length;
    nI += arc.controlPoints.length - 1;
  }
  const lowerMu = options.lowerMu ?? new Float64Array(nI);
  if (lowerMu.length !== nI) throw new InputError(`expected ${nI} lower MU bounds, found ${lowerMu.length}`);
  const ivArc = new Int32Array(nI), ivCp = new Int32Array(nI);
  // each sample's aperture is delivered from the two fluence beams that bracket its angle, weighted linearly
  const sampleBeam = new Int32Array(2 * nI * S);
  const sampleWeight = new Float64Array(2 * nI * S);
  // fraction of each variable pair's width inside the diaphragms, per sample
  const rowFrac = new Float64Array(nI * S * nP);
  const bd = machine.mlc.leafBoundariesMm;
  const T = options.mlcTransmission ?? machine.mlc.transmission;
  if (!(T >= 0 && T < 1)) throw new InputError(`MLC transmission must be a fraction from 0 to below 1, found ${fmt(T)}`);
  const startMu = new Float64Array(nI);
  {
    let k = 0;
    arcsIn.forEach((arc, ai) => {
      const cps = arc.controlPoints;
      for (let i = 0; i + 1 < cps.length; i++, k++) {
        ivArc[k] = ai;
        ivCp[k] = i;
        startMu[k] = Math.max(cps[i + 1]!.cumulativeMu - cps[i]!.cumulativeMu, lowerMu[k]!);
        for (let s = 0; s < S; s++) {
          const t = (s + 0.5) / S;
          const [b1, w1, b2] = bracketBeams(angles, gantryAtDeg(arc.direction, cps[i]!.gantryDeg, cps[i + 1]!.gantryDeg, t));
          sampleBeam[2 * (k * S + s)] = b1;
          sampleBeam[2 * (k * S + s) + 1] = b2;
          sampleWeight[2 * (k * S + s)] = w1;
          sampleWeight[2 * (k * S + s) + 1] = b2 === b1 ? 0 : 1 - w1;
          const y1 = cps[i]!.jawYMm[0] + t * (cps[i + 1]!.jawYMm[0] - cps[i]!.jawYMm[0]);
          const y2 = cps[i]!.jawYMm[1] + t * (cps[i + 1]!.jawYMm[1] - cps[i]!.jawYMm[1]);
          for (let q = 0; q < nP; q++) {
            const p = pairList[q]!;
            rowFrac[(k * S + s) * nP + q] = Math.max(0, Math.min(bd[p + 1]!, y2) - Math.max(bd[p]!, y1)) / (bd[p + 1]! - bd[p]!);
          }
        }
      }
    });
  }
  let muRef = 0;
  for (let k = 0; k < nI; k++) muRef = Math.max(muRef, startMu[k]! - lowerMu[k]!);
  if (!(muRef > 0)) muRef = 1;

  // variables: [c, h] per (control point, pair), then the interval MU; leaves in units of bw above cLow / 0
  const nLeafVars = 2 * nCp * nP;
  const n = nLeafVars + nI;
  const x0 = new Float64Array(n);
  arcsIn.forEach((arc, ai) => {
    arc.controlPoints.forEach((cp, i) => {
      const base = 2 * (cpBase[ai]! + i) * nP;
      for (let q = 0; q < nP; q++) {
        const p = pairList[q]!;
        const a = cp.bankAMm[p]!, b = cp.bankBMm[p]!;
        x0[base + 2 * q] = Math.max(0, ((a + b) / 2 - cLow) / bw);
        x0[base + 2 * q + 1] = Math.max(0, (b - a) / 2 / bw);
      }
    });
  });
  for (let k = 0; k < nI; k++) x0[nLeafVars + k] = (startMu[k]! - lowerMu[k]!) / muRef;

  // the model's dose: operator plus the fixed offset
  const modelOperator: DoseOperator = {
    nBeamlets: nW,
    nPoints: op.nPoints,
    forward: (w, out) => {
      op.forward(w, out);
      if (model.offsetGy !== undefined) for (let p = 0; p < out.length; p++) out[p] = out[p]! + model.offsetGy[p]!;
    },
    adjoint: (g, out) => op.adjoint(g, out),
  };
  const problem = createFluenceProblem(modelOperator, terms);
  const F = new Float64Array(nW);
  const gF = new Float64Array(nW);
  const travelW = options.travelWeight ?? 0;
  let fRef = 1;

  /** Fluence (course MU) of the leaves and MU in x; with `grad`, the chain rule from gF into grad. */
  const pass = (x: Float64Array, grad: Float64Array | undefined): void => {
    if (grad === undefined) F.fill(0);
    for (let k = 0; k < nI; k++) {
      const mu = lowerMu[k]! + x[nLeafVars + k]! * muRef;
      const f0 = (fractions * mu) / (S * bw);
      const lo0 = 2 * (cpBase[ivArc[k]!]! + ivCp[k]!) * nP, hi0 = lo0 + 2 * nP;
      let gMu = 0;
      for (let e = 0; e < 2 * S; e++) {
        const s = e >> 1;
        const t = (s + 0.5) / S, u = 1 - t;
        const b = sampleBeam[k * 2 * S + e]!, wb = sampleWeight[k * 2 * S + e]!;
        if (wb === 0) continue;
        const rows = rowOf[b]!, eLo = extLo[b]!, eHi = extHi[b]!, idx = index[b]!;
        const m = maps[b]!;
        const xb = m.i0 * bw;
        for (let q = 0; q < nP; q++) {
          const c = rows[pairList[q]!]!;
          if (c < 0) continue;
          const rowLo = eLo[c]!, rowHi = eHi[c]!;
          const frac = rowFrac[(k * S + s) * nP + q]! * wb;
          if (!(rowHi > rowLo) || frac === 0) continue;
          // open length x (1 - T) f, plus T f bw on every beamlet of the row (the leakage)
          const fu = frac * (1 - T), f = f0 * fu;
          const rowBase = m.nbu * c;
          if (T > 0) {
            const leakU = frac * T * bw, leak = f0 * leakU;
            const jA = Math.round((rowLo - xb) / bw), jB = Math.round((rowHi - xb) / bw);
            for (let j = jA; j < jB; j++) {
              const wi = idx[rowBase + j]!;
              if (wi < 0) continue;
              if (grad === undefined) F[wi] = F[wi]! + leak;
              else gMu += gF[wi]! * leakU;
            }
          }
          const cc = cLow + bw * (u * x[lo0 + 2 * q]! + t * x[hi0 + 2 * q]!);
          const hh = bw * (u * x[lo0 + 2 * q + 1]! + t * x[hi0 + 2 * q + 1]!);
          const l = cc - hh, r = cc + hh;
          const le = l > rowLo ? l : rowLo, re = r < rowHi ? r : rowHi;
          if (re < le) continue;
          const j0 = Math.max(0, Math.min(m.nbu - 1, Math.floor((le - xb) / bw)));
          const j1 = Math.max(0, Math.min(m.nbu - 1, Math.floor((re - xb) / bw)));
          if (grad === undefined) {
            for (let j = j0; j <= j1; j++) {
              const wi = idx[rowBase + j]!;
              if (wi < 0) continue;
              const e0 = xb + j * bw;
              const ov = Math.min(re, e0 + bw) - Math.max(le, e0);
              if (ov > 0) F[wi] = F[wi]! + f * ov;
            }
          } else {
            for (let j = j0; j <= j1; j++) {
              const wi = idx[rowBase + j]!;
              if (wi < 0) continue;
              const e0 = xb + j * bw;
              const ov = Math.min(re, e0 + bw) - Math.max(le, e0);
              if (ov > 0) gMu += gF[wi]! * fu * ov;
            }
            // edges inside the row's extent move the open length of the beamlet they lie in
            const wl = l > rowLo ? idx[rowBase + j0]! : -1;
            const wr = r < rowHi ? idx[rowBase + j1]! : -1;
            const dl = wl >= 0 ? -f * gF[wl]! : 0;
            const dr = wr >= 0 ? f * gF[wr]! : 0;
            // l = c - h, r = c + h; c, h interpolate the two control points with weights u, t
            const gc = bw * (dl + dr), gh = bw * (dr - dl);
            grad[lo0 + 2 * q] = grad[lo0 + 2 * q]! + u * gc;
            grad[lo0 + 2 * q + 1] = grad[lo0 + 2 * q + 1]! + u * gh;
            grad[hi0 + 2 * q] = grad[hi0 + 2 * q]! + t * gc;
            grad[hi0 + 2 * q + 1] = grad[hi0 + 2 * q + 1]! + t * gh;
          }
        }
      }
      // dF/dmu = F contribution / mu, and mu = lower + x muRef
      if (grad !== undefined) grad[nLeafVars + k] = grad[nLeafVars + k]! + (gMu * fractions * muRef) / (S * bw);
    }
  };

  /** Leaf-travel penalty (leaves in units of bw), added to the value and gradient (unscaled). */
  const travel = (x: Float64Array, grad: Float64Array | undefined): number => {
    if (!(travelW > 0)) return 0;
    let v = 0;
    arcsIn.forEach((arc, ai) => {
      for (let i = 0; i + 1 < arc.controlPoints.length; i++) {
        const o0 = 2 * (cpBase[ai]! + i) * nP, o1 = o0 + 2 * nP;
        for (let q = 0; q < nP; q++) {
          const dc = x[o1 + 2 * q]! - x[o0 + 2 * q]!, dh = x[o1 + 2 * q + 1]! - x[o0 + 2 * q + 1]!;
          // bank A moves dc - dh, bank B dc + dh: (dc - dh)^2 + (dc + dh)^2 = 2 (dc^2 + dh^2)
          v += 2 * (dc * dc + dh * dh);
          if (grad !== undefined) {
            grad[o1 + 2 * q] = grad[o1 + 2 * q]! + travelW * fRef * 4 * dc;
            grad[o0 + 2 * q] = grad[o0 + 2 * q]! - travelW * fRef * 4 * dc;
            grad[o1 + 2 * q + 1] = grad[o1 + 2 * q + 1]! + travelW * fRef * 4 * dh;
            grad[o0 + 2 * q + 1] = grad[o0 + 2 * q + 1]! - travelW * fRef * 4 * dh;
          }
        }
      }
    });
    return travelW * fRef * v;
  };

  const dose = new Float64Array(op.nPoints);
  const doseOf = (x: Float64Array): Float64Array => {
    pass(x, undefined);
    modelOperator.forward(F, dose);
    return dose;
  };
  const initialObjective = problem.valueAtDose(doseOf(x0));
  fRef = initialObjective > 0 ? initialObjective : 1;
  const fg = (x: Float64Array, grad: Float64Array): number => {
    pass(x, undefined);
    const v = problem.valueAndGradient(F, gF);
    grad.fill(0);
    pass(x, grad);
    const pen = travel(x, grad);
    for (let i = 0; i < n; i++) grad[i] = grad[i]! / fRef;
    return (v + pen) / fRef;
  };
  const objectiveAt = (x: Float64Array): number => problem.valueAtDose(doseOf(x));
  const arcsOf = (x: Float64Array): Arc[] => {
    const A = arcsIn.map((a) => a.controlPoints.map((cp) => Float64Array.from(cp.bankAMm)));
    const B = arcsIn.map((a) => a.controlPoints.map((cp) => Float64Array.from(cp.bankBMm)));
    arcsIn.forEach((arc, ai) => {
      arc.controlPoints.forEach((_, i) => {
        const base = 2 * (cpBase[ai]! + i) * nP;
        for (let q = 0; q < nP; q++) {
          const p = pairList[q]!;
          const c = cLow + bw * x[base + 2 * q]!, h = bw * x[base + 2 * q + 1]!;
          let a = Math.max(xMin, c - h), b = Math.min(xMax, c + h);
          if (b - a < gapMin) {
            const mid = Math.min(Math.max((a + b) / 2, xMin + gapMin / 2), xMax - gapMin / 2);
            a = mid - gapMin / 2;
            b = mid + gapMin / 2;
          }
          A[ai]![i]![p] = a;
          B[ai]![i]![p] = b;
        }
      });
    });
    let k = 0;
    return settleApertures(arcsIn, A, B, machine, inFieldGap).map((arc) => {
      let cum = 0;
      const cps = arc.controlPoints.map((cp, i) => {
        if (i > 0) cum += lowerMu[k]! + x[nLeafVars + k++]! * muRef;
        return { ...cp, cumulativeMu: cum };
      });
      return { ...arc, controlPoints: cps };
    });
  };
  return { n, x0, valueAndGradient: fg, objectiveAt, doseAt: (x) => Float64Array.from(doseOf(x)), initialObjective, arcsOf };
}

/** Direct aperture optimisation of the arcs (file header). */
export function optimiseApertures(...args: Parameters<typeof createApertureProblem>): ApertureResult {
  const t0 = performance.now();
  const pr = createApertureProblem(...args);
  const r = minimiseBounded(pr.valueAndGradient, pr.x0, { maxIterations: args[6]?.maxIterations ?? 400, relativeTolerance: 1e-7, gradientTolerance: 0 });
  return { arcs: pr.arcsOf(r.x), initialObjective: pr.initialObjective, objective: pr.objectiveAt(r.x), iterations: r.iterations, stopReason: r.stopReason, elapsedMs: performance.now() - t0 };
}
