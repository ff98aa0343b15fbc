/**
 * A truncated, stored beamlet dose matrix for fast optimisation: the part of the matrix-free beamlet
 * operator (operator.ts) within `radiusMm` of each beamlet (primary dose, penumbra and near scatter),
 * as a compressed sparse row matrix (rows = points, columns = beamlets; float32 values).
 *
 * Input: a beamlet operator (its prepared pencil-beam data and beamlet layouts) and a radius (mm, at
 * the isocentre plane). Output: D_near with forward(w, out) = D_near w and adjoint(g, out) = D_near^T g.
 * Entry (p, k) is exactly the matrix-free operator's (p, k) entry for every beamlet k whose centre
 * projects within radiusMm of point p, and 0 otherwise: the same pixel kernels (cell integrals of the
 * lateral bases times the source Gaussian, recovered from the operator's spectra), the same bilinear
 * read-out, scale levels, depth terms and per-pixel primary fluence psi.
 *
 * Used with a correction: the optimiser works on d = D_near w + c, where c = D w0 - D_near w0 is the
 * far-scatter dose of the full operator at the latest weights w0, recomputed every few iterations
 * (the "dose correction" loop of fast inverse planning; e.g. Siebers et al., Phys Med Biol 47:3113,
 * 2002, for the idea of optimising on an approximate dose corrected by an accurate one).
 */

import { InputError, fmt } from '../core/errors.js';
import { fft2 } from './fft.js';
import type { BeamletOperator } from './operator.js';

export interface SparseBeamletMatrix {
  readonly nPoints: number;
  readonly nBeamlets: number;
  readonly nonZeros: number;
  readonly radiusMm: number;
  /** Bytes held by the matrix. */
  readonly bytes: number;
  forward(w: Float64Array, out: Float64Array): void;
  adjoint(g: Float64Array, out: Float64Array): void;
}

/** Spatial kernel of one slot on a window of +-half pixels (row-major, u fastest). */
function slotKernels(op: BeamletOperator, half: number): Float64Array[] {
  const prep = op.prepared;
  const LU = prep.plan.nu, LV = prep.plan.nv;
  const re = new Float64Array(LU * LV), im = new Float64Array(LU * LV);
  const w = 2 * half + 1;
  return prep.specRe.map((sr, s) => {
    re.set(sr);
    im.set(prep.specIm[s]!);
    fft2(prep.plan, re, im, true);
    const k = new Float64Array(w * w);
    for (let dv = -half; dv <= half; dv++) {
      const iv = ((dv % LV) + LV) % LV;
      for (let du = -half; du <= half; du++) {
        const iu = ((du % LU) + LU) % LU;
        k[du + half + w * (dv + half)] = re[iu + LU * iv]!;
      }
    }
    return k;
  });
}

export function truncatedBeamletMatrix(op: BeamletOperator, radiusMm: number): SparseBeamletMatrix {
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) throw new InputError(`truncation radius must be a positive number of mm, found ${fmt(radiusMm)}`);
  const prep = op.prepared;
  const h = op.pixelMm;
  const sub = Math.round(op.beamletMm / h);
  const J = prep.nBasis;
  const N = prep.nPoints;
  const W = prep.canvasU;
  const rPx = radiusMm / h;
  // window of pixel offsets (corner - pixel) that a kept beamlet can need
  const half = Math.ceil(rPx + sub) + 2;
  const ww = 2 * half + 1;
  const kernels = slotKernels(op, half);
  const slotBase = prep.slotBase, slotLevels = prep.slotLevels;
  // rows: per point, every beam's kept beamlets; built in chunks of growing arrays
  const rowPtr = new Int32Array(N + 1);
  let cap = Math.max(1024, N * 64);
  let col = new Int32Array(cap);
  let val = new Float32Array(cap);
  let nnz = 0;
  const E = new Float64Array(ww * ww);
  const coefLo = new Float64Array(J), coefHi = new Float64Array(J);
  for (let p = 0; p < N; p++) {
    for (let bi = 0; bi < prep.beams.length; bi++) {
      const b = prep.beams[bi]!;
      const layout = op.layouts[bi]!;
      let any = false;
      for (let j = 0; j < J; j++) if (b.coef[p * J + j] !== 0) any = true;
      if (!any) continue;
      const q = b.base[p]!;
      const ia = q % W, ic = (q - ia) / W;
      const fu = b.fu[p]!, fv = b.fv[p]!, wf = b.wf[p]!, l = b.level[p]!;
      // point projection in region pixel coordinates
      const pu = ia + fu - prep.offU, pv = ic + fv - prep.offV;
      const { nu, nv } = layout.region;
      const nbu = nu / sub, nbv = nv / sub;
      // kept beamlets: centre within rPx of the projection
      const A0 = Math.max(0, Math.ceil((pu - rPx - (sub - 1) / 2) / sub)), A1 = Math.min(nbu - 1, Math.floor((pu + rPx - (sub - 1) / 2) / sub));
      const C0 = Math.max(0, Math.ceil((pv - rPx - (sub - 1) / 2) / sub)), C1 = Math.min(nbv - 1, Math.floor((pv + rPx - (sub - 1) / 2) / sub));
      if (A0 > A1 || C0 > C1) continue;
      // E(delta) = sum_j coef_j [(1 - wf) K_{j,l} + wf K_{j,l+1}](delta), delta = corner - pixel
      for (let j = 0; j < J; j++) {
        const c = b.coef[p * J + j]!;
        if (slotLevels[j] === 1) {
          coefLo[j] = c;
          coefHi[j] = 0;
        } else {
          coefLo[j] = c * (1 - wf);
          coefHi[j] = c * wf;
        }
      }
      E.fill(0);
      for (let j = 0; j < J; j++) {
        const cl = coefLo[j]!, ch = coefHi[j]!;
        if (cl !== 0) {
          const k = kernels[slotBase[j]! + (slotLevels[j] === 1 ? 0 : l)]!;
          for (let t = 0; t < E.length; t++) E[t] = E[t]! + cl * k[t]!;
        }
        if (ch !== 0) {
          const k = kernels[slotBase[j]! + l + 1]!;
          for (let t = 0; t < E.length; t++) E[t] = E[t]! + ch * k[t]!;
        }
      }
      const w00 = (1 - fu) * (1 - fv), w10 = fu * (1 - fv), w01 = (1 - fu) * fv, w11 = fu * fv;
      // corner (ia, ic) - pixel canvas (offU + a, offV + c) = (ia - offU - a, ic - offV - c)
      const du0 = ia - prep.offU, dv0 = ic - prep.offV;
      for (let C = C0; C <= C1; C++) {
        for (let A = A0; A <= A1; A++) {
          const cu = A * sub + (sub - 1) / 2 - pu, cv = C * sub + (sub - 1) / 2 - pv;
          if (cu * cu + cv * cv > rPx * rPx) continue;
          const id = layout.pixelBeamlet[A * sub + nu * C * sub]!;
          if (id < 0) continue;
          let v = 0;
          for (let sc = 0; sc < sub; sc++) {
            const c = C * sub + sc;
            for (let sa = 0; sa < sub; sa++) {
              const a = A * sub + sa;
              const du = du0 - a, dv = dv0 - c;
              if (du < -half || du + 1 > half || dv < -half || dv + 1 > half) continue;
              const t = du + half + ww * (dv + half);
              const val0 = w00 * E[t]! + w10 * E[t + 1]! + w01 * E[t + ww]! + w11 * E[t + ww + 1]!;
              v += layout.pixelPsi[a + nu * c]! * val0;
            }
          }
          if (v === 0) continue;
          if (nnz === cap) {
            cap *= 2;
            const c2 = new Int32Array(cap);
            c2.set(col);
            col = c2;
            const v2 = new Float32Array(cap);
            v2.set(val);
            val = v2;
          }
          col[nnz] = id;
          val[nnz] = v;
          nnz++;
        }
      }
    }
    rowPtr[p + 1] = nnz;
  }
  const colF = col.slice(0, nnz);
  const valF = val.slice(0, nnz);
  const nB = op.nBeamlets;
  return {
    nPoints: N,
    nBeamlets: nB,
    nonZeros: nnz,
    radiusMm,
    bytes: colF.byteLength + valF.byteLength + rowPtr.byteLength,
    forward(w: Float64Array, out: Float64Array): void {
      if (w.length !== nB || out.length !== N) throw new InputError(`sparse forward: expected ${nB} weights and ${N} outputs, found ${w.length} and ${out.length}`);
      for (let p = 0; p < N; p++) {
        let s = 0;
        const e = rowPtr[p + 1]!;
        for (let t = rowPtr[p]!; t < e; t++) s += valF[t]! * w[colF[t]!]!;
        out[p] = s;
      }
    },
    adjoint(g: Float64Array, out: Float64Array): void {
      if (g.length !== N || out.length !== nB) throw new InputError(`sparse adjoint: expected ${N} values and ${nB} outputs, found ${g.length} and ${out.length}`);
      out.fill(0);
      for (let p = 0; p < N; p++) {
        const gp = g[p]!;
        if (gp === 0) continue;
        const e = rowPtr[p + 1]!;
        for (let t = rowPtr[p]!; t < e; t++) {
          const k = colF[t]!;
          out[k] = out[k]! + valF[t]! * gp;
        }
      }
    },
  };
}
