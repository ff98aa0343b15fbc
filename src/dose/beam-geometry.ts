/**
 * IEC 61217 beam geometry <-> DICOM patient coordinates (LPS, mm), for a head-first supine patient.
 *
 * Frames (IEC 61217): fixed f (X_f to the right seen from the foot of the couch, Y_f toward the
 * gantry, Z_f up); gantry g (rotated by the gantry angle about Y_f; the source sits at +SAD on Z_g);
 * beam-limiting device b (rotated by the collimator angle about Z_g; jaws and MLC positions are along
 * X_b and Y_b, projected to the isocentre plane); patient support s (rotated by the couch angle about
 * Z_f, counter-clockwise seen from above). For HFS at couch 0: L = X_f, P = -Z_f, S = Y_f.
 * Gantry 0 irradiates from anterior, gantry 90 from the patient's left.
 *
 * Output for a point: its collimator-frame iso-plane coordinates (u along X_b, v along Y_b, mm) and its
 * distance from the source along the central axis (mm). Angles in degrees at this border.
 */

import { PlanError, fmt } from '../core/errors.js';
import { degToRad } from '../core/units.js';
import type { Vec3 } from '../core/vec3.js';

export interface BeamGeometry {
  readonly gantryDeg: number;
  readonly collimatorDeg: number;
  readonly couchDeg: number;
  readonly isocenterLps: Vec3;
  readonly sadMm: number;
}

/** Unit vectors of the beam-limiting-device frame in LPS, and the source position. */
export interface BeamFrame {
  readonly sadMm: number;
  readonly isocenterLps: Vec3;
  readonly xb: Vec3;
  readonly yb: Vec3;
  /** From the isocentre toward the source. */
  readonly zb: Vec3;
  readonly sourceLps: Vec3;
}

/** Only head-first supine is modelled; other positions would need their own fixed -> LPS map. */
export function beamFrame(g: BeamGeometry): BeamFrame {
  for (const [name, v] of [['gantry', g.gantryDeg], ['collimator', g.collimatorDeg], ['couch', g.couchDeg], ['SAD', g.sadMm]] as const) {
    if (!Number.isFinite(v)) throw new PlanError(`beam ${name} angle/distance must be finite, found ${fmt(v)}`);
  }
  if (!(g.sadMm > 0)) throw new PlanError(`SAD must be positive (mm), found ${fmt(g.sadMm)}`);
  const th = degToRad(g.gantryDeg);
  const ps = degToRad(g.collimatorDeg);
  const ph = degToRad(g.couchDeg);
  const ct = Math.cos(th), st = Math.sin(th), cp = Math.cos(ps), sp = Math.sin(ps);
  // gantry axes in the fixed frame
  const xg: Vec3 = [ct, 0, -st];
  const yg: Vec3 = [0, 1, 0];
  const zg: Vec3 = [st, 0, ct];
  const xbF: Vec3 = [cp * xg[0] + sp * yg[0], cp * xg[1] + sp * yg[1], cp * xg[2] + sp * yg[2]];
  const ybF: Vec3 = [-sp * xg[0] + cp * yg[0], -sp * xg[1] + cp * yg[1], -sp * xg[2] + cp * yg[2]];
  // fixed -> support (inverse couch rotation about Z_f) -> LPS (HFS)
  const c = Math.cos(ph), s = Math.sin(ph);
  const toLps = (v: Vec3): Vec3 => {
    const x = c * v[0] + s * v[1];
    const y = -s * v[0] + c * v[1];
    return [x, -v[2], y];
  };
  const zb = toLps(zg);
  const iso = g.isocenterLps;
  return {
    sadMm: g.sadMm,
    isocenterLps: iso,
    xb: toLps(xbF),
    yb: toLps(ybF),
    zb,
    sourceLps: [iso[0] + g.sadMm * zb[0], iso[1] + g.sadMm * zb[1], iso[2] + g.sadMm * zb[2]],
  };
}

/**
 * Beam coordinates of an LPS point into out: [u, v, l] with u, v the iso-plane projection along
 * X_b, Y_b (mm) and l the distance from the source along the central axis (mm). l <= 0 means the
 * point is behind the source. Allocation-free.
 */
export function beamCoordinates(frame: BeamFrame, x: number, y: number, z: number, out: Float64Array): void {
  const dx = x - frame.isocenterLps[0];
  const dy = y - frame.isocenterLps[1];
  const dz = z - frame.isocenterLps[2];
  const xb = frame.xb, yb = frame.yb, zb = frame.zb;
  const a = dx * xb[0] + dy * xb[1] + dz * xb[2];
  const b = dx * yb[0] + dy * yb[1] + dz * yb[2];
  const l = frame.sadMm - (dx * zb[0] + dy * zb[1] + dz * zb[2]);
  const s = frame.sadMm / l;
  out[0] = a * s;
  out[1] = b * s;
  out[2] = l;
}
