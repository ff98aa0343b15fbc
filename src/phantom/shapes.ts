/**
 * Implicit shape primitives for the phantom generator, in the phantom's anatomy frame (LPS axes,
 * mm; see seed-case.ts for where that frame sits in the patient frame).
 *
 * A shape is an implicit function f(x, y, z) that is <= 0 inside, close to a signed distance in mm
 * near the surface, with an axis-aligned bounding box that contains every point where f <= 0.
 * Voxelisation (paint.ts) tests voxel centres only: a voxel belongs to a shape when f(centre) <= 0.
 *
 * Primitives: ellipsoid, superellipsoid (|x/a|^p + |y/b|^p + |z/c|^p <= 1), sphere, tapered
 * capsule, tube (a smoothed polyline swept by a varying radius, as a list of capsules), smooth union
 * (the polynomial smooth minimum of I. Quilez, "smooth minimum", iquilezles.org, 2013), and a
 * displaced shape (f + a bump field, for lobulation). Reference for implicit modelling: Bloomenthal
 * (ed.), "Introduction to Implicit Surfaces", Morgan Kaufmann 1997.
 */

import type { MutVec3, Vec3 } from '../core/vec3.js';

/** f(x, y, z) <= 0 inside; about a signed distance (mm) near the surface. */
export type ImplicitFn = (x: number, y: number, z: number) => number;

export interface Shape {
  /** Lower corner of a box (mm, anatomy frame) that contains the whole shape. */
  readonly min: Vec3;
  /** Upper corner of that box. */
  readonly max: Vec3;
  readonly f: ImplicitFn;
}

/** An orthonormal frame: the shape's local axes u, v, w as unit vectors in the anatomy frame. */
export interface Axes {
  readonly u: Vec3;
  readonly v: Vec3;
  readonly w: Vec3;
}

export const AXIS_ALIGNED: Axes = { u: [1, 0, 0], v: [0, 1, 0], w: [0, 0, 1] };

/**
 * Axes rotated about the z (superior) axis by `angleDeg` (from +x towards +y), then tilted: `tiltDeg`
 * rotates w (and v) about the rotated u axis. Enough for organs whose long axis leans in one plane.
 */
export function axesFromAngles(angleDeg: number, tiltDeg = 0): Axes {
  const a = (angleDeg * Math.PI) / 180;
  const t = (tiltDeg * Math.PI) / 180;
  const u: Vec3 = [Math.cos(a), Math.sin(a), 0];
  const v0: Vec3 = [-Math.sin(a), Math.cos(a), 0];
  const v: Vec3 = [v0[0] * Math.cos(t), v0[1] * Math.cos(t), Math.sin(t)];
  const w: Vec3 = [-v0[0] * Math.sin(t), -v0[1] * Math.sin(t), Math.cos(t)];
  return { u, v, w };
}

/** Axes whose w axis points along `dir` (normalised here); u and v complete a right-handed frame. */
export function axesAlong(dir: Vec3): Axes {
  const n = Math.hypot(dir[0], dir[1], dir[2]);
  const w: Vec3 = [dir[0] / n, dir[1] / n, dir[2] / n];
  const ref: Vec3 = Math.abs(w[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  let u: MutVec3 = [ref[1] * w[2] - ref[2] * w[1], ref[2] * w[0] - ref[0] * w[2], ref[0] * w[1] - ref[1] * w[0]];
  const un = Math.hypot(u[0], u[1], u[2]);
  u = [u[0] / un, u[1] / un, u[2] / un];
  const v: Vec3 = [w[1] * u[2] - w[2] * u[1], w[2] * u[0] - w[0] * u[2], w[0] * u[1] - w[1] * u[0]];
  return { u, v, w };
}

/** Half-extents along x, y, z of a box with half-sizes `semi` along the axes (covers any convex
 * shape inscribed in that box). */
function boxHalfExtent(semi: Vec3, axes: Axes): MutVec3 {
  const { u, v, w } = axes;
  return [
    Math.abs(semi[0] * u[0]) + Math.abs(semi[1] * v[0]) + Math.abs(semi[2] * w[0]),
    Math.abs(semi[0] * u[1]) + Math.abs(semi[1] * v[1]) + Math.abs(semi[2] * w[1]),
    Math.abs(semi[0] * u[2]) + Math.abs(semi[1] * v[2]) + Math.abs(semi[2] * w[2]),
  ];
}

function boxAround(centre: Vec3, half: Vec3, pad = 0): { min: Vec3; max: Vec3 } {
  return {
    min: [centre[0] - half[0] - pad, centre[1] - half[1] - pad, centre[2] - half[2] - pad],
    max: [centre[0] + half[0] + pad, centre[1] + half[1] + pad, centre[2] + half[2] + pad],
  };
}

/** Ellipsoid with semi-axes `semiMm` along the local axes u, v, w. */
export function ellipsoid(centre: Vec3, semiMm: Vec3, axes: Axes = AXIS_ALIGNED): Shape {
  const [cx, cy, cz] = centre;
  const { u, v, w } = axes;
  const ia = 1 / semiMm[0];
  const ib = 1 / semiMm[1];
  const ic = 1 / semiMm[2];
  const scale = Math.min(semiMm[0], semiMm[1], semiMm[2]);
  // Exact half-extent of a rotated ellipsoid along each world axis.
  const half: Vec3 = [
    Math.hypot(semiMm[0] * u[0], semiMm[1] * v[0], semiMm[2] * w[0]),
    Math.hypot(semiMm[0] * u[1], semiMm[1] * v[1], semiMm[2] * w[1]),
    Math.hypot(semiMm[0] * u[2], semiMm[1] * v[2], semiMm[2] * w[2]),
  ];
  return {
    ...boxAround(centre, half),
    f: (x, y, z) => {
      const dx = x - cx;
      const dy = y - cy;
      const dz = z - cz;
      const a = (dx * u[0] + dy * u[1] + dz * u[2]) * ia;
      const b = (dx * v[0] + dy * v[1] + dz * v[2]) * ib;
      const c = (dx * w[0] + dy * w[1] + dz * w[2]) * ic;
      return (Math.sqrt(a * a + b * b + c * c) - 1) * scale;
    },
  };
}

export const sphere = (centre: Vec3, radiusMm: number): Shape => ellipsoid(centre, [radiusMm, radiusMm, radiusMm]);

/** Superellipsoid |a|^p + |b|^p + |c|^p <= 1 in local units; p = 2 is an ellipsoid, larger p is
 * boxier. */
export function superellipsoid(centre: Vec3, semiMm: Vec3, exponent: number, axes: Axes = AXIS_ALIGNED): Shape {
  const [cx, cy, cz] = centre;
  const { u, v, w } = axes;
  const ia = 1 / semiMm[0];
  const ib = 1 / semiMm[1];
  const ic = 1 / semiMm[2];
  const p = exponent;
  const ip = 1 / p;
  const scale = Math.min(semiMm[0], semiMm[1], semiMm[2]);
  return {
    ...boxAround(centre, boxHalfExtent(semiMm, axes)),
    f: (x, y, z) => {
      const dx = x - cx;
      const dy = y - cy;
      const dz = z - cz;
      const a = Math.abs((dx * u[0] + dy * u[1] + dz * u[2]) * ia);
      const b = Math.abs((dx * v[0] + dy * v[1] + dz * v[2]) * ib);
      const c = Math.abs((dx * w[0] + dy * w[1] + dz * w[2]) * ic);
      const m = Math.max(a, b, c);
      if (m === 0) return -scale;
      // Factor out the largest term so the powers stay in [0, 1].
      const s = m * (((a / m) ** p + (b / m) ** p + (c / m) ** p) ** ip);
      return (s - 1) * scale;
    },
  };
}

/** Capsule from a to b whose radius goes linearly from ra to rb (a sphere-swept cone). */
export function capsule(a: Vec3, b: Vec3, ra: number, rb: number): Shape {
  const [ax, ay, az] = a;
  const ex = b[0] - ax;
  const ey = b[1] - ay;
  const ez = b[2] - az;
  const len2 = ex * ex + ey * ey + ez * ez;
  const inv = len2 > 0 ? 1 / len2 : 0;
  const dr = rb - ra;
  const r = Math.max(ra, rb);
  return {
    min: [Math.min(ax, b[0]) - r, Math.min(ay, b[1]) - r, Math.min(az, b[2]) - r],
    max: [Math.max(ax, b[0]) + r, Math.max(ay, b[1]) + r, Math.max(az, b[2]) + r],
    f: (x, y, z) => {
      const px = x - ax;
      const py = y - ay;
      const pz = z - az;
      let t = (px * ex + py * ey + pz * ez) * inv;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const qx = px - t * ex;
      const qy = py - t * ey;
      const qz = pz - t * ez;
      return Math.sqrt(qx * qx + qy * qy + qz * qz) - (ra + t * dr);
    },
  };
}

/** A point on the centripetal-free (uniform) Catmull-Rom spline through p0..p3, between p1 and p2. */
function catmullRom(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, t: number): MutVec3 {
  const t2 = t * t;
  const t3 = t2 * t;
  const out: MutVec3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    out[k] =
      0.5 *
      (2 * p1[k]! +
        (-p0[k]! + p2[k]!) * t +
        (2 * p0[k]! - 5 * p1[k]! + 4 * p2[k]! - p3[k]!) * t2 +
        (-p0[k]! + 3 * p1[k]! - 3 * p2[k]! + p3[k]!) * t3);
  }
  return out;
}

export interface TubeSample {
  readonly point: Vec3;
  readonly radiusMm: number;
}

/**
 * Samples of a smooth tube through the control points (Catmull-Rom, ends repeated), about
 * `stepMm` apart, with the radius interpolated linearly between control points.
 */
export function tubeSamples(points: readonly Vec3[], radiiMm: readonly number[], stepMm = 4): TubeSample[] {
  const n = points.length;
  const out: TubeSample[] = [];
  for (let s = 0; s < n - 1; s++) {
    const p0 = points[Math.max(0, s - 1)]!;
    const p1 = points[s]!;
    const p2 = points[s + 1]!;
    const p3 = points[Math.min(n - 1, s + 2)]!;
    const len = Math.hypot(p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2]);
    const steps = Math.max(1, Math.ceil(len / stepMm));
    const r1 = radiiMm[s]!;
    const r2 = radiiMm[s + 1]!;
    for (let q = 0; q < steps; q++) {
      const t = q / steps;
      out.push({ point: catmullRom(p0, p1, p2, p3, t), radiusMm: r1 + (r2 - r1) * t });
    }
  }
  out.push({ point: points[n - 1]!, radiusMm: radiiMm[n - 1]! });
  return out;
}

/** A tube as a list of capsules between consecutive samples (paint each; their union is the tube). */
export function tube(points: readonly Vec3[], radiiMm: readonly number[], stepMm = 4): Shape[] {
  const samples = tubeSamples(points, radiiMm, stepMm);
  const out: Shape[] = [];
  for (let s = 0; s < samples.length - 1; s++) {
    const a = samples[s]!;
    const b = samples[s + 1]!;
    out.push(capsule(a.point, b.point, a.radiusMm, b.radiusMm));
  }
  return out;
}

/**
 * Smooth union of shapes: the polynomial smooth minimum with blend width k (mm), which rounds the
 * creases where lobes meet. It lies at most k/4 below the plain minimum, so the bounding box grows
 * by k/4 (plus a margin).
 */
export function smoothUnion(shapes: readonly Shape[], kMm: number): Shape {
  const fs = shapes.map((s) => s.f);
  const count = fs.length;
  const min: MutVec3 = [Infinity, Infinity, Infinity];
  const max: MutVec3 = [-Infinity, -Infinity, -Infinity];
  for (const s of shapes) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, s.min[a]! - kMm / 2);
      max[a] = Math.max(max[a]!, s.max[a]! + kMm / 2);
    }
  }
  const ik = 1 / kMm;
  return {
    min,
    max,
    f: (x, y, z) => {
      let d = fs[0]!(x, y, z);
      for (let s = 1; s < count; s++) {
        const e = fs[s]!(x, y, z);
        const h = Math.max(kMm - Math.abs(d - e), 0) * ik;
        d = Math.min(d, e) - h * h * kMm * 0.25;
      }
      return d;
    },
  };
}

/** A shape whose surface is pushed out by bump(x, y, z) mm (|bump| <= maxBumpMm); the box grows by
 * maxBumpMm. */
export function displaced(shape: Shape, bump: ImplicitFn, maxBumpMm: number): Shape {
  const f = shape.f;
  return {
    min: [shape.min[0] - maxBumpMm, shape.min[1] - maxBumpMm, shape.min[2] - maxBumpMm],
    max: [shape.max[0] + maxBumpMm, shape.max[1] + maxBumpMm, shape.max[2] + maxBumpMm],
    f: (x, y, z) => f(x, y, z) - bump(x, y, z),
  };
}

/** The part of `shape` where `clip` is also <= 0 (box of `shape`). */
export function intersect(shape: Shape, clip: ImplicitFn): Shape {
  const f = shape.f;
  return { min: shape.min, max: shape.max, f: (x, y, z) => Math.max(f(x, y, z), clip(x, y, z)) };
}

/** The part of `shape` outside `hole`. */
export function subtract(shape: Shape, hole: ImplicitFn): Shape {
  const f = shape.f;
  return { min: shape.min, max: shape.max, f: (x, y, z) => Math.max(f(x, y, z), -hole(x, y, z)) };
}

/**
 * Half-width of the superellipse |x/a|^p + |y/b|^p <= 1 at ordinate y, or -1 when the row misses it.
 * Used for cross-sections that are filled one row at a time.
 */
export function superellipseHalfWidth(y: number, a: number, b: number, p: number): number {
  const t = Math.abs(y / b);
  if (t > 1) return -1;
  return a * (1 - t ** p) ** (1 / p);
}
