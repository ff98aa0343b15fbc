/**
 * Leaf-position refinement of sequenced arcs in the fluence domain (a first, fluence-matching step
 * toward leaf-position DAO, vmat.md §5 step 5).
 *
 * Input: sequenced arcs (sequence.ts), the fluence beams they came from (weights in MU per fraction),
 * the machine. For every fluence beam and every leaf pair of its beamlet rows, the leaf positions at the
 * control points of the beam's sectors are moved so that the fluence the beam's intervals deliver
 * reproduces the beam's optimised row: delivered F_j = sum over the intervals inside the beam's sectors
 * of dMU_i x the mean over the interval (leaves moving linearly, `subSteps` samples) of the open fraction
 * of beamlet j; minimised: sum_j (F_j - w_j)^2, by coordinate descent (each leaf tried at +-5, 2.5,
 * 1.25, 0.625 mm, a move kept when it lowers the sum and keeps the pair within the position range and
 * the minimum gap). The interval MU and gantry angles are not changed; the intervals between sectors are
 * not counted (their MU is small with 'sliding' sectors). Afterwards the Y diaphragms are set again from
 * the open pairs and pairs without fluence inside their opening get the in-field gap, as sequence.ts does.
 * Leaf travel is not bounded here: the time model (arcTiming) slows the gantry where it must.
 */

import { InputError, fmt } from '../core/errors.js';
import { type Arc, type ArcControlPoint } from './arcs.js';
import type { LinacMachine } from './machine.js';
import { pairsOfRows, type FluenceBeams, type SequencedArcs } from './sequence.js';

export interface RefineOptions {
  /** Samples of the leaf motion within an interval (default 6). */
  readonly subSteps?: number;
  /** Sweeps over the variables per step size (default 3). */
  readonly sweeps?: number;
  /** Gap of a pair without fluence inside the diaphragm opening (default: minimum gap + 0.5 mm, as sequence.ts). */
  readonly inFieldGapMm?: number;
}

export interface RefineResult {
  readonly arcs: readonly Arc[];
  /** Sum over beams and rows of sum_j (F_j - w_j)^2, MU^2, before and after. */
  readonly residualBefore: number;
  readonly residualAfter: number;
  /** Sum over beams and rows of sum_j w_j^2, MU^2 (for a relative figure). */
  readonly targetNorm: number;
  readonly elapsedMs: number;
}

export function refineLeaves(seq: SequencedArcs, input: FluenceBeams, machine: LinacMachine, options: RefineOptions = {}): RefineResult {
  const t0 = performance.now();
  const S = Math.max(1, Math.floor(options.subSteps ?? 6));
  const sweeps = Math.max(1, Math.floor(options.sweeps ?? 3));
  const mlc = machine.mlc;
  const gapMin = Math.max(0, mlc.minGapMm);
  const inFieldGap = options.inFieldGapMm ?? gapMin + 0.5;
  if (!(inFieldGap > gapMin)) throw new InputError(`the in-field gap must exceed the minimum leaf gap of ${fmt(gapMin)} mm, found ${fmt(inFieldGap)} mm`);
  const [xMin, xMax] = mlc.positionRangeMm;
  const bd = mlc.leafBoundariesMm;
  const bw = input.beamletMm;
  // mutable copies of every control point's leaves
  const A = seq.arcs.map((a) => a.controlPoints.map((cp) => Float64Array.from(cp.bankAMm)));
  const B = seq.arcs.map((a) => a.controlPoints.map((cp) => Float64Array.from(cp.bankBMm)));
  const dMu = seq.arcs.map((a) => Float64Array.from({ length: a.controlPoints.length - 1 }, (_, i) => a.controlPoints[i + 1]!.cumulativeMu - a.controlPoints[i]!.cumulativeMu));
  let before = 0, after = 0, norm = 0;
  let offset = 0;
  input.maps.forEach((m, b) => {
    const w = new Float64Array(m.nbu * m.nbv);
    for (let c = 0; c < m.nbv; c++) for (let a = 0; a < m.nbu; a++) if (m.active[a + m.nbu * c]) w[a + m.nbu * c] = input.weightsMu[offset++]!;
    // the beam's control points (arc, index) and intervals (pairs of positions in that list)
    const cps: { arc: number; i: number }[] = [];
    const intervals: { lo: number; mu: number }[] = [];
    for (const s of seq.sectors) {
      if (s.beam !== b) continue;
      const base = cps.length;
      for (let q = 0; q < s.count; q++) cps.push({ arc: s.arc, i: s.firstCp + q });
      for (let q = 0; q + 1 < s.count; q++) intervals.push({ lo: base + q, mu: dMu[s.arc]![s.firstCp + q]! });
    }
    if (intervals.length === 0) return;
    const nV = cps.length, nJ = m.nbu;
    const la = new Float64Array(nV), lb = new Float64Array(nV);
    const contrib = new Float64Array(intervals.length * nJ);
    const F = new Float64Array(nJ);
    const target = new Float64Array(nJ);
    const x0 = m.i0 * bw;
    // fluence of interval k into out (nJ values): dMU x mean open fraction of each beamlet
    const intervalFluence = (k: number, out: Float64Array, o: number): void => {
      const iv = intervals[k]!;
      for (let j = 0; j < nJ; j++) out[o + j] = 0;
      if (!(iv.mu > 0)) return;
      const a0 = la[iv.lo]!, a1 = la[iv.lo + 1]!, b0 = lb[iv.lo]!, b1 = lb[iv.lo + 1]!;
      const f = iv.mu / (S * bw);
      for (let s = 0; s < S; s++) {
        const t = (s + 0.5) / S;
        const l = a0 + t * (a1 - a0), r = b0 + t * (b1 - b0);
        if (!(r > l)) continue;
        const j0 = Math.max(0, Math.floor((l - x0) / bw)), j1 = Math.min(nJ - 1, Math.floor((r - x0) / bw));
        for (let j = j0; j <= j1; j++) {
          const e0 = x0 + j * bw;
          const ov = Math.min(r, e0 + bw) - Math.max(l, e0);
          if (ov > 0) out[o + j] = out[o + j]! + f * ov;
        }
      }
    };
    const scratch = new Float64Array(2 * nJ);
    const residual = (): number => {
      let e = 0;
      for (let j = 0; j < nJ; j++) e += (F[j]! - target[j]!) ** 2;
      return e;
    };
    // intervals touching variable v: those whose lo is v - 1 or v
    const touching = (v: number): number[] => intervals.flatMap((iv, k) => (iv.lo === v || iv.lo + 1 === v ? [k] : []));
    const touch = Array.from({ length: nV }, (_, v) => touching(v));
    const pairs = pairsOfRows(m, bw, bd, input.beams[b]!.name ?? `beam ${b + 1}`);
    for (let c = 0; c < m.nbv; c++) {
      const p = pairs[c]!;
      for (let j = 0; j < nJ; j++) {
        target[j] = w[j + m.nbu * c]!;
        norm += target[j]! ** 2;
      }
      for (let v = 0; v < nV; v++) {
        la[v] = A[cps[v]!.arc]![cps[v]!.i]![p]!;
        lb[v] = B[cps[v]!.arc]![cps[v]!.i]![p]!;
      }
      F.fill(0);
      for (let k = 0; k < intervals.length; k++) {
        intervalFluence(k, contrib, k * nJ);
        for (let j = 0; j < nJ; j++) F[j] = F[j]! + contrib[k * nJ + j]!;
      }
      let err = residual();
      before += err;
      for (const step of [5, 2.5, 1.25, 0.625]) {
        for (let sweep = 0; sweep < sweeps; sweep++) {
          let improved = false;
          for (let v = 0; v < nV; v++) {
            for (const bank of [0, 1]) {
              for (const dir of [-1, 1]) {
                const arr = bank === 0 ? la : lb;
                const old = arr[v]!;
                const nu = old + dir * step;
                if (nu < xMin || nu > xMax) continue;
                if (bank === 0 ? lb[v]! - nu < gapMin - 1e-9 : nu - la[v]! < gapMin - 1e-9) continue;
                arr[v] = nu;
                // update F for the touched intervals
                const ks = touch[v]!;
                for (let q = 0; q < ks.length; q++) {
                  const k = ks[q]!;
                  intervalFluence(k, scratch, q * nJ);
                  for (let j = 0; j < nJ; j++) F[j] = F[j]! + scratch[q * nJ + j]! - contrib[k * nJ + j]!;
                }
                const e = residual();
                if (e < err - 1e-12 * (1 + err)) {
                  err = e;
                  improved = true;
                  for (let q = 0; q < ks.length; q++) contrib.set(scratch.subarray(q * nJ, (q + 1) * nJ), ks[q]! * nJ);
                } else {
                  arr[v] = old;
                  for (let q = 0; q < ks.length; q++) {
                    const k = ks[q]!;
                    for (let j = 0; j < nJ; j++) F[j] = F[j]! - scratch[q * nJ + j]! + contrib[k * nJ + j]!;
                  }
                }
              }
            }
          }
          if (!improved) break;
        }
      }
      after += err;
      for (let v = 0; v < nV; v++) {
        A[cps[v]!.arc]![cps[v]!.i]![p] = la[v]!;
        B[cps[v]!.arc]![cps[v]!.i]![p] = lb[v]!;
      }
    }
  });
  const arcs = settleApertures(seq.arcs, A, B, machine, inFieldGap);
  return { arcs, residualBefore: before, residualAfter: after, targetNorm: norm, elapsedMs: performance.now() - t0 };
}

/**
 * Arcs with new leaf positions (A, B: per arc, per control point, one value per leaf pair; modified in
 * place) and the Y diaphragms set again from the open pairs: the diaphragms span the pairs open wider
 * than the in-field gap, and a pair inside that opening with a smaller gap gets the in-field gap about
 * its centre (a closed pair there would leak through the leaf tips), as sequence.ts places them.
 */
export function settleApertures(arcsIn: readonly Arc[], A: Float64Array[][], B: Float64Array[][], machine: LinacMachine, inFieldGap: number): Arc[] {
  const bd = machine.mlc.leafBoundariesMm;
  const [xMin, xMax] = machine.mlc.positionRangeMm;
  const jawRange = machine.jaws.find((j) => j.deviceType === 'ASYMY')?.positionRangeMm ?? [bd[0]!, bd[bd.length - 1]!];
  return arcsIn.map((arc, ai) => {
    const controlPoints: ArcControlPoint[] = arc.controlPoints.map((cp, i) => {
      const a = A[ai]![i]!, b = B[ai]![i]!;
      let lo = -1, hi = -1;
      for (let p = 0; p < a.length; p++) {
        if (b[p]! - a[p]! <= inFieldGap + 1e-6) continue;
        if (lo < 0) lo = p;
        hi = p;
      }
      const jaw: readonly [number, number] = lo < 0 ? [(cp.jawYMm[0] + cp.jawYMm[1]) / 2, (cp.jawYMm[0] + cp.jawYMm[1]) / 2] : [Math.max(bd[lo]!, jawRange[0]), Math.min(bd[hi + 1]!, jawRange[1])];
      for (let p = 0; p < a.length; p++) {
        const inField = Math.min(bd[p + 1]!, jaw[1]) - Math.max(bd[p]!, jaw[0]) > 0;
        const g = b[p]! - a[p]!;
        if (inField && g < inFieldGap) {
          const centre = Math.min(Math.max((a[p]! + b[p]!) / 2, xMin + inFieldGap / 2), xMax - inFieldGap / 2);
          a[p] = centre - inFieldGap / 2;
          b[p] = centre + inFieldGap / 2;
        }
      }
      return { ...cp, bankAMm: a, bankBMm: b, jawYMm: jaw };
    });
    return { ...arc, controlPoints };
  });
}
