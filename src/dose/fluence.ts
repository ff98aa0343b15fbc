/**
 * Fluence maps of apertures: jaws and MLC leaf openings in the collimator frame (mm at the isocentre
 * plane), rasterised on a fluence region as the exact area fraction of each pixel that is open, times
 * the machine's in-air off-axis primary fluence psi(r) at the pixel centre, times MU.
 *
 * MLC transmission T (leaf and interleaf leakage as one mean fraction): inside the jaws, the part of a
 * pixel that the leaves close passes T of the open fluence, so a pixel gets open + T (inside-jaws
 * area - open) / pixel area. Beyond the jaws the fluence is 0 (jaw transmission is ignored). An
 * Elekta Agility has no X jaws (the leaves act as them) and its Y diaphragms lie above the leaves:
 * leakage then reaches the whole leaf span inside the Y diaphragms, which is what this gives for a
 * plan without X jaws (wide open, 200 mm each side).
 */

import { PlanError, fmt } from '../core/errors.js';
import { primaryFluenceAt, type PhotonMachine } from './machine.js';
import type { FluenceRegion } from './pencil-beam.js';

export interface Aperture {
  /** Jaw positions along X_b: [x1, x2] (mm, x1 < x2). */
  readonly jawXMm: readonly [number, number];
  /** Jaw positions along Y_b: [y1, y2]. */
  readonly jawYMm: readonly [number, number];
  /** MLC leaves moving along X_b: leaf-pair boundaries along Y_b (n + 1 values) and, per pair, the
   * bank-A (negative side) and bank-B positions. */
  readonly mlc?: { readonly boundariesMm: ArrayLike<number>; readonly bankA: ArrayLike<number>; readonly bankB: ArrayLike<number> };
  /** Fraction of the open fluence passing through closed leaves inside the jaws (0..1, default 0). */
  readonly mlcTransmission?: number;
}

/** A region covering [uLo, uHi] x [vLo, vHi] (mm) with pixels of side pixelMm (plus one pixel each side). */
export function regionCovering(uLo: number, uHi: number, vLo: number, vHi: number, pixelMm: number): FluenceRegion {
  const a0 = Math.floor(uLo / pixelMm) - 1;
  const a1 = Math.ceil(uHi / pixelMm) + 1;
  const b0 = Math.floor(vLo / pixelMm) - 1;
  const b1 = Math.ceil(vHi / pixelMm) + 1;
  return { u0Mm: a0 * pixelMm, v0Mm: b0 * pixelMm, nu: a1 - a0 + 1, nv: b1 - b0 + 1 };
}

const overlap = (a0: number, a1: number, b0: number, b1: number): number => Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));

/** Open fraction of each pixel (0..1), no psi; with an MLC, closed leaves inside the jaws pass
 * `ap.mlcTransmission` (default 0). */
export function apertureOpenFraction(region: FluenceRegion, pixelMm: number, ap: Aperture, what = 'aperture'): Float64Array {
  const [x1, x2] = ap.jawXMm;
  const [y1, y2] = ap.jawYMm;
  if (!(x2 >= x1) || !(y2 >= y1)) {
    throw new PlanError(`${what}: jaws must satisfy x1 <= x2 and y1 <= y2, found X [${fmt(x1)}, ${fmt(x2)}], Y [${fmt(y1)}, ${fmt(y2)}] mm`);
  }
  const t = ap.mlcTransmission ?? 0;
  if (!(t >= 0 && t <= 1)) throw new PlanError(`${what}: MLC transmission must be a fraction from 0 to 1, found ${fmt(t)}`);
  const out = new Float64Array(region.nu * region.nv);
  const area = pixelMm * pixelMm;
  const half = pixelMm / 2;
  const mlc = ap.mlc;
  const pairs = mlc === undefined ? 0 : mlc.boundariesMm.length - 1;
  // per pixel row: the leaf pairs it overlaps, their overlap along v and their opening along u
  const rowDv = new Float64Array(pairs), rowL = new Float64Array(pairs), rowR = new Float64Array(pairs);
  for (let b = 0; b < region.nv; b++) {
    const vc = region.v0Mm + b * pixelMm;
    const v0 = vc - half, v1 = vc + half;
    const jawV = overlap(v0, v1, y1, y2);
    let m = 0;
    if (mlc !== undefined) {
      const bd = mlc.boundariesMm;
      for (let i = 0; i < pairs; i++) {
        const lo = Math.max(bd[i]!, y1), hi = Math.min(bd[i + 1]!, y2);
        const dv = overlap(v0, v1, lo, hi);
        if (dv <= 0) continue;
        rowDv[m] = dv;
        rowL[m] = Math.max(mlc.bankA[i]!, x1);
        rowR[m] = Math.min(mlc.bankB[i]!, x2);
        m++;
      }
    }
    for (let a = 0; a < region.nu; a++) {
      const uc = region.u0Mm + a * pixelMm;
      const u0 = uc - half, u1 = uc + half;
      let open: number;
      if (mlc === undefined) {
        open = overlap(u0, u1, x1, x2) * jawV;
      } else {
        open = 0;
        for (let q = 0; q < m; q++) open += rowDv[q]! * overlap(u0, u1, rowL[q]!, rowR[q]!);
        if (t > 0) open += t * (overlap(u0, u1, x1, x2) * jawV - open);
      }
      out[a + region.nu * b] = open / area;
    }
  }
  return out;
}

/** Fluence (MU units) of an aperture: open fraction x psi(r) x mu. */
export function apertureFluence(machine: PhotonMachine, region: FluenceRegion, pixelMm: number, ap: Aperture, mu: number, what = 'aperture'): Float64Array {
  return aperturesFluence(machine, region, pixelMm, [ap], mu, what);
}

/**
 * Fluence (MU units) of apertures delivered one after another, `mu` shared equally among them (leaves
 * moving while the beam is on, sampled): the mean open fraction x psi(r) x mu.
 */
export function aperturesFluence(
  machine: PhotonMachine,
  region: FluenceRegion,
  pixelMm: number,
  apertures: readonly Aperture[],
  mu: number,
  what = 'aperture',
): Float64Array {
  if (apertures.length === 0) throw new PlanError(`${what}: no aperture`);
  const out = apertureOpenFraction(region, pixelMm, apertures[0]!, what);
  for (let s = 1; s < apertures.length; s++) {
    const o = apertureOpenFraction(region, pixelMm, apertures[s]!, what);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + o[i]!;
  }
  const scale = mu / apertures.length;
  for (let b = 0; b < region.nv; b++) {
    for (let a = 0; a < region.nu; a++) {
      const i = a + region.nu * b;
      if (out[i] === 0) continue;
      const r = Math.hypot(region.u0Mm + a * pixelMm, region.v0Mm + b * pixelMm);
      out[i] = out[i]! * primaryFluenceAt(machine, r) * scale;
    }
  }
  return out;
}
