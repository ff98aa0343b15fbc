/**
 * Radiological depth of many points from one source through a beam's-eye-view depth table: instead
 * of one Siddon ray per point, rays on a regular grid at the isocentre plane (spacing `raySpacingMm`)
 * are traced once each, their cumulative water-equivalent length sampled every `stepMm` along the
 * beam axis, and each point's depth interpolated trilinearly in (u, v, l) (iso-plane position,
 * distance from the source along the axis).
 *
 * Inputs: a ray tracer (RED volume), the beam frame (IEC, LPS, mm), per point the iso-plane
 * coordinates u, v (mm, collimator frame) and l (mm; NaN: skip the point). Output: water-equivalent
 * depth (mm) per point. Along a ray the depth is piecewise linear, so the l interpolation errs by at
 * most stepMm / 4 x the density jump; the lateral interpolation errs at density edges parallel to the
 * rays (docs/dose-engine.md gives the measured agreement with per-point tracing).
 *
 * Reference: the ray-casting depth cube of matRad (matRad_rayTracing / matRad_calcRadGeoDists,
 * Wieser et al., Med Phys 44:2556, 2017), here on a divergent (fan) grid.
 */

import type { BeamFrame } from './beam-geometry.js';
import { radiologicalPath, radiologicalProfile, type RayTracer } from './siddon.js';
import { scratchArray, type ScratchPool } from './scratch.js';

export interface BevDepthOptions {
  /** Ray spacing at the isocentre plane, mm. */
  readonly raySpacingMm: number;
  /** Sample step along the beam axis, mm. */
  readonly stepMm: number;
  /** Points shallower than this (water-equivalent mm, interpolated) get their own exact ray: the
   * build-up region, where the dose changes fastest with depth (default 0: none). */
  readonly exactBelowMm?: number;
}

export function bevDepths(
  tracer: RayTracer,
  frame: BeamFrame,
  uMm: Float64Array,
  vMm: Float64Array,
  lMm: Float64Array,
  out: Float32Array,
  options: BevDepthOptions,
  scratch?: ScratchPool,
): void {
  const n = lMm.length;
  const du = options.raySpacingMm, dl = options.stepMm;
  let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity, lmin = Infinity, lmax = -Infinity;
  for (let p = 0; p < n; p++) {
    const l = lMm[p]!;
    if (l !== l) continue;
    const u = uMm[p]!, v = vMm[p]!;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
    if (v < vmin) vmin = v;
    if (v > vmax) vmax = v;
    if (l < lmin) lmin = l;
    if (l > lmax) lmax = l;
  }
  if (!(lmax >= lmin)) return;
  const nu = Math.floor((umax - umin) / du) + 2;
  const nv = Math.floor((vmax - vmin) / du) + 2;
  const nl = Math.floor((lmax - lmin) / dl) + 2;
  const lEnd = lmin + (nl - 1) * dl;
  const ts = new Float64Array(nl);
  for (let k = 0; k < nl; k++) ts[k] = (lmin + k * dl) / lEnd;
  // every entry is written by the profiles below: a pooled table needs no clearing
  const table = scratchArray(scratch, 'bev.table', Float32Array, nl * nu * nv);
  const s = frame.sourceLps, iso = frame.isocenterLps, xb = frame.xb, yb = frame.yb;
  const g = lEnd / frame.sadMm;
  for (let j = 0; j < nv; j++) {
    const v = vmin + j * du;
    for (let i = 0; i < nu; i++) {
      const u = umin + i * du;
      // iso-plane point of the ray, then the ray's end at axis distance lEnd
      const px = iso[0] + u * xb[0] + v * yb[0], py = iso[1] + u * xb[1] + v * yb[1], pz = iso[2] + u * xb[2] + v * yb[2];
      radiologicalProfile(tracer, s[0], s[1], s[2], s[0] + g * (px - s[0]), s[1] + g * (py - s[1]), s[2] + g * (pz - s[2]), ts, nl, table, nl * (i + nu * j));
    }
  }
  const sv = nl * nu;
  const shallow = options.exactBelowMm ?? 0;

  for (let p = 0; p < n; p++) {
    const l = lMm[p]!;
    if (l !== l) continue;
    let x = (uMm[p]! - umin) / du, y = (vMm[p]! - vmin) / du, z = (l - lmin) / dl;
    let i = Math.floor(x), j = Math.floor(y), k = Math.floor(z);
    if (i > nu - 2) i = nu - 2;
    if (j > nv - 2) j = nv - 2;
    if (k > nl - 2) k = nl - 2;
    x -= i; y -= j; z -= k;
    const o = k + nl * (i + nu * j);
    const c00 = table[o]! + z * (table[o + 1]! - table[o]!);
    const c10 = table[o + nl]! + z * (table[o + nl + 1]! - table[o + nl]!);
    const c01 = table[o + sv]! + z * (table[o + sv + 1]! - table[o + sv]!);
    const c11 = table[o + sv + nl]! + z * (table[o + sv + nl + 1]! - table[o + sv + nl]!);
    const d = (1 - y) * ((1 - x) * c00 + x * c10) + y * ((1 - x) * c01 + x * c11);
    if (d < shallow) {
      const q = l / frame.sadMm, u = uMm[p]!, v = vMm[p]!;
      const px = iso[0] + u * xb[0] + v * yb[0], py = iso[1] + u * xb[1] + v * yb[1], pz = iso[2] + u * xb[2] + v * yb[2];
      out[p] = radiologicalPath(tracer, s[0], s[1], s[2], s[0] + q * (px - s[0]), s[1] + q * (py - s[1]), s[2] + q * (pz - s[2]));
    } else {
      out[p] = d;
    }
  }
}
