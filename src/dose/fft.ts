/**
 * In-place radix-2 complex FFT, 1-D and 2-D, on split real/imaginary Float64Arrays. Sizes are powers of
 * two. A plan precomputes twiddles and the bit-reversal permutation once; transforms allocate nothing.
 * Forward: X[k] = sum_n x[n] e^{-2 pi i k n / N}; inverse includes the 1/N factor.
 * Reference: Cooley & Tukey, Math. Comp. 19:297 (1965).
 */

import { InputError } from '../core/errors.js';

export interface Fft1Plan {
  readonly n: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly rev: Uint32Array;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function fft1Plan(n: number): Fft1Plan {
  if (!isPowerOfTwo(n)) throw new InputError(`FFT size must be a power of two, found ${n}`);
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  return { n, cos, sin, rev };
}

/** In-place FFT of re/im at offset `off` with stride `stride` (inverse when `inverse`; no 1/N here). */
export function fft1(plan: Fft1Plan, re: Float64Array, im: Float64Array, off: number, stride: number, inverse: boolean): void {
  const n = plan.n;
  const rev = plan.rev;
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = off + i * stride;
      const b = off + j * stride;
      const tr = re[a]!;
      re[a] = re[b]!;
      re[b] = tr;
      const ti = im[a]!;
      im[a] = im[b]!;
      im[b] = ti;
    }
  }
  const sgn = inverse ? 1 : -1;
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = plan.cos[k * step]!;
        const wi = sgn * plan.sin[k * step]!;
        const a = off + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

export interface Fft2Plan {
  readonly nu: number;
  readonly nv: number;
  readonly pu: Fft1Plan;
  readonly pv: Fft1Plan;
}

export function fft2Plan(nu: number, nv: number): Fft2Plan {
  return { nu, nv, pu: fft1Plan(nu), pv: fft1Plan(nv) };
}

/**
 * In-place 2-D FFT of an nu x nv array (u fastest). Inverse includes 1/(nu nv).
 * Pruning, rows [r0, r1): forward: the input is zero outside these rows (only they get a row
 * transform); inverse: only these rows of the output are computed (the others hold intermediate
 * values). The column pass runs row-wise (each butterfly over a whole row), which is contiguous in
 * memory.
 */
export function fft2(plan: Fft2Plan, re: Float64Array, im: Float64Array, inverse: boolean, r0 = 0, r1 = plan.nv): void {
  const { nu, nv } = plan;
  if (!inverse) {
    for (let v = r0; v < r1; v++) fft1(plan.pu, re, im, v * nu, 1, false);
    columnPass(plan, re, im, false);
    return;
  }
  columnPass(plan, re, im, true);
  const s = 1 / (nu * nv);
  for (let v = r0; v < r1; v++) {
    fft1(plan.pu, re, im, v * nu, 1, true);
    const e = (v + 1) * nu;
    for (let i = v * nu; i < e; i++) {
      re[i] = re[i]! * s;
      im[i] = im[i]! * s;
    }
  }
}

/** FFT along v of every column at once (no 1/N). */
function columnPass(plan: Fft2Plan, re: Float64Array, im: Float64Array, inverse: boolean): void {
  const { nu, nv } = plan;
  const rev = plan.pv.rev;
  for (let i = 0; i < nv; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = i * nu, b = j * nu;
      for (let u = 0; u < nu; u++) {
        const tr = re[a + u]!;
        re[a + u] = re[b + u]!;
        re[b + u] = tr;
        const ti = im[a + u]!;
        im[a + u] = im[b + u]!;
        im[b + u] = ti;
      }
    }
  }
  const sgn = inverse ? 1 : -1;
  const cos = plan.pv.cos, sin = plan.pv.sin;
  for (let size = 2; size <= nv; size *= 2) {
    const half = size / 2;
    const step = nv / size;
    for (let start = 0; start < nv; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sgn * sin[k * step]!;
        const a0 = (start + k) * nu;
        const b0 = a0 + half * nu;
        if (k === 0) {
          for (let u = 0; u < nu; u++) {
            const a = a0 + u, b = b0 + u;
            const xr = re[b]!, xi = im[b]!;
            re[b] = re[a]! - xr;
            im[b] = im[a]! - xi;
            re[a] = re[a]! + xr;
            im[a] = im[a]! + xi;
          }
          continue;
        }
        for (let u = 0; u < nu; u++) {
          const a = a0 + u, b = b0 + u;
          const xr = re[b]! * wr - im[b]! * wi;
          const xi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - xr;
          im[b] = im[a]! - xi;
          re[a] = re[a]! + xr;
          im[a] = im[a]! + xi;
        }
      }
    }
  }
}
