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
import { cross, sub, type MutVec3, type Vec3 } from '../core/vec3.js';
import { cornerPointsLps, lpsToIndexAffine, type Grid } from '../geometry/grid.js';

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

/** DICOM (0018,5100) PatientPosition defined terms, spelled out for messages. */
const PATIENT_POSITIONS: Readonly<Record<string, string>> = {
  HFS: 'head first-supine',
  HFP: 'head first-prone',
  FFS: 'feet first-supine',
  FFP: 'feet first-prone',
  HFDR: 'head first-decubitus right',
  HFDL: 'head first-decubitus left',
  FFDR: 'feet first-decubitus right',
  FFDL: 'feet first-decubitus left',
};

/**
 * Beam directions are computed for a head-first supine patient only (beamFrame). A CT or plan in any
 * other PatientPosition is refused by name: its left and right (or anterior and posterior) would be
 * swapped, and a lateral beam would enter the wrong side. An absent position is taken as HFS, with a
 * warning. Returns the warnings.
 */
export function checkPatientPosition(
  ct: { readonly patientPosition?: string; readonly slices?: readonly { readonly file?: string }[] },
  plan?: { readonly patientPositions?: readonly string[]; readonly file?: string },
): string[] {
  const refuse = (position: string, what: string, file?: string): never => {
    const name = PATIENT_POSITIONS[position];
    throw new PlanError(
      `${what} patient position ${position}${name !== undefined ? ` (${name})` : ''} is not supported: beam directions are ` +
        `computed for head first-supine (HFS) only, and in ${position} a lateral beam would enter the wrong side`,
      file !== undefined ? { file } : {},
    );
  };
  const warnings: string[] = [];
  const ctPos = ct.patientPosition?.trim().toUpperCase();
  if (ctPos === undefined || ctPos === '') warnings.push('the CT gives no PatientPosition (0018,5100): head first-supine (HFS) assumed');
  else if (ctPos !== 'HFS') refuse(ctPos, 'the CT\'s', ct.slices?.[0]?.file);
  for (const p of plan?.patientPositions ?? []) {
    const pos = p.trim().toUpperCase();
    if (pos !== 'HFS') refuse(pos, 'the plan\'s', plan?.file);
  }
  return warnings;
}

/** Exact identity of a beam's source position (the geometry without the collimator angle, which
 * turns the field but moves neither the source nor the central axis): equal keys, equal radiological
 * depths of every point. */
export const sourceKey = (g: BeamGeometry): string =>
  `${g.gantryDeg}|${g.couchDeg}|${g.isocenterLps[0]}|${g.isocenterLps[1]}|${g.isocenterLps[2]}|${g.sadMm}`;

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

/**
 * Whether a field reaches a grid's volume: does the divergent pyramid from the source through the
 * rectangle [u1, u2] x [v1, v2] (mm, collimator frame, isocentre plane) meet the box bounded by the
 * grid's outer voxel edges? Exact, by the separating-axis theorem for two convex polyhedra (Gottschalk
 * et al., SIGGRAPH 1996), in the grid's continuous-index space (an affine map keeps separating planes
 * planes): the box is [-0.5, n - 0.5] per axis; the pyramid is cut beyond the farthest box corner.
 * Touching counts as meeting. The isocentre may lie anywhere, inside the grid or not.
 */
export function fieldMeetsGrid(frame: BeamFrame, u: readonly [number, number], v: readonly [number, number], grid: Grid): boolean {
  if (!(u[1] > u[0] && v[1] > v[0])) return false;
  const m = lpsToIndexAffine(grid);
  const toIndex = (p: Vec3): MutVec3 => [
    m[0]! * p[0] + m[1]! * p[1] + m[2]! * p[2] + m[3]!,
    m[4]! * p[0] + m[5]! * p[1] + m[6]! * p[2] + m[7]!,
    m[8]! * p[0] + m[9]! * p[1] + m[10]! * p[2] + m[11]!,
  ];
  const s = frame.sourceLps, iso = frame.isocenterLps, zb = frame.zb;
  // far end: beyond the farthest grid corner along the axis (l = distance from the source)
  const half = grid.spacingMm[0] + grid.spacingMm[1] + grid.spacingMm[2]; // edge corners lie within this of the centres
  let lFar = -Infinity;
  for (const c of cornerPointsLps(grid)) {
    const l = frame.sadMm - ((c[0] - iso[0]) * zb[0] + (c[1] - iso[1]) * zb[1] + (c[2] - iso[2]) * zb[2]) + half;
    if (l > lFar) lFar = l;
  }
  if (!(lFar > 0)) return false; // the whole grid lies behind the source
  const g = lFar / frame.sadMm;
  const apex = toIndex(s);
  const base = ([[u[0], v[0]], [u[1], v[0]], [u[1], v[1]], [u[0], v[1]]] as const).map(([a, b]) =>
    toIndex([
      s[0] + g * (iso[0] + a * frame.xb[0] + b * frame.yb[0] - s[0]),
      s[1] + g * (iso[1] + a * frame.xb[1] + b * frame.yb[1] - s[1]),
      s[2] + g * (iso[2] + a * frame.xb[2] + b * frame.yb[2] - s[2]),
    ]),
  );
  const verts = [apex, ...base];
  const edges: Vec3[] = [];
  for (let i = 0; i < 4; i++) {
    edges.push(sub(base[i]!, apex), sub(base[(i + 1) % 4]!, base[i]!));
  }
  const axes: Vec3[] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let i = 0; i < 4; i++) axes.push(cross(sub(base[i]!, apex), sub(base[(i + 1) % 4]!, apex)));
  axes.push(cross(sub(base[1]!, base[0]!), sub(base[3]!, base[0]!)));
  for (const e of edges) for (const a of [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as const) axes.push(cross(a, e));
  const lo = [-0.5, -0.5, -0.5], hi = [grid.size[0] - 0.5, grid.size[1] - 0.5, grid.size[2] - 0.5];
  for (const a of axes) {
    const len = Math.hypot(a[0], a[1], a[2]);
    if (!(len > 1e-12)) continue; // parallel edges: no axis
    let bMin = 0, bMax = 0;
    for (let k = 0; k < 3; k++) {
      const p = a[k]! * lo[k]!, q = a[k]! * hi[k]!;
      bMin += Math.min(p, q);
      bMax += Math.max(p, q);
    }
    let pMin = Infinity, pMax = -Infinity;
    for (const w of verts) {
      const d = a[0] * w[0] + a[1] * w[1] + a[2] * w[2];
      if (d < pMin) pMin = d;
      if (d > pMax) pMax = d;
    }
    const tol = 1e-9 * len * (1 + Math.abs(bMin) + Math.abs(bMax));
    if (pMax < bMin - tol || pMin > bMax + tol) return false;
  }
  return true;
}
