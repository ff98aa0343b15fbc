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
  /** Optional per-row bounds, so that painting evaluates f only near the surface (paint.ts). */
  readonly rows?: RowBounds;
}

/**
 * Bounds of a shape along one row (the line through (0, y, z) parallel to x), at a level L of f.
 * Each writes an x-interval [out[0], out[1]] (mm, anatomy frame; out[0] > out[1] when empty):
 * - outer: contains every x with f(x, y, z) <= L;
 * - inner: every x in it has f(x, y, z) < L, with a margin (ROW_MARGIN_MM) that dwarfs rounding, so
 *   that f evaluated in floating point at a voxel centre there is <= L too.
 * - residual (optional, for clipped shapes): inside the inner interval, f <= L exactly when
 *   residual <= L (a cheaper test: the clip alone); absent, f <= L holds there outright.
 * Used to paint exactly the voxels a full evaluation of f would, evaluating f only between the two.
 */
export interface RowBounds {
  outer(y: number, z: number, level: number, out: Float64Array): void;
  inner(y: number, z: number, level: number, out: Float64Array): void;
  readonly residual?: ImplicitFn;
}

/** Level margin (mm) of row bounds: far above floating-point rounding of f, far below a voxel. */
export const ROW_MARGIN_MM = 1e-6;

function setEmpty(out: Float64Array): void {
  out[0] = Infinity;
  out[1] = -Infinity;
}

/** Row interval of a sphere of radius r about (cx, cy, cz) (empty when r < 0 or the row misses). */
function rowSphere(cx: number, cy: number, cz: number, r: number, y: number, z: number, out: Float64Array): void {
  const dy = y - cy;
  const dz = z - cz;
  const h2 = r * r - dy * dy - dz * dz;
  if (!(r >= 0) || h2 < 0) {
    setEmpty(out);
    return;
  }
  const h = Math.sqrt(h2);
  out[0] = cx - h;
  out[1] = cx + h;
}

/**
 * Row bounds of q <= rho^2, where q = a^2 + b^2 + c^2 is the squared norm of the local coordinates
 * a = ((x - cx) u0 + (y - cy) u1 + (z - cz) u2) / sa (and b, c with v, w): a quadratic in x. Writes
 * the interval of x (empty when rho < 0 or the row misses).
 */
class LocalQuadric {
  private readonly au: number;
  private readonly av: number;
  private readonly aw: number;
  private readonly qa: number;
  constructor(
    private readonly centre: Vec3,
    private readonly axes: Axes,
    private readonly inv: Vec3,
  ) {
    this.au = axes.u[0] * inv[0];
    this.av = axes.v[0] * inv[1];
    this.aw = axes.w[0] * inv[2];
    this.qa = this.au * this.au + this.av * this.av + this.aw * this.aw;
  }
  interval(y: number, z: number, rho: number, out: Float64Array): void {
    if (!(rho >= 0)) {
      setEmpty(out);
      return;
    }
    const { u, v, w } = this.axes;
    const dy = y - this.centre[1];
    const dz = z - this.centre[2];
    const bu = (dy * u[1] + dz * u[2]) * this.inv[0];
    const bv = (dy * v[1] + dz * v[2]) * this.inv[1];
    const bw = (dy * w[1] + dz * w[2]) * this.inv[2];
    const b = this.au * bu + this.av * bv + this.aw * bw;
    const c = bu * bu + bv * bv + bw * bw - rho * rho;
    const disc = b * b - this.qa * c;
    if (disc < 0) {
      setEmpty(out);
      return;
    }
    const s = Math.sqrt(disc);
    const cx = this.centre[0];
    out[0] = cx + (-b - s) / this.qa;
    out[1] = cx + (-b + s) / this.qa;
  }
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
  // f <= L  <=>  sqrt(q) <= 1 + L / scale; f >= -scale everywhere.
  const quadric = new LocalQuadric(centre, axes, [ia, ib, ic]);
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
    rows: {
      outer: (y, z, level, out) => quadric.interval(y, z, 1 + (level + ROW_MARGIN_MM) / scale, out),
      inner: (y, z, level, out) => quadric.interval(y, z, 1 + (level - ROW_MARGIN_MM) / scale, out),
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
  // f <= L  <=>  s <= 1 + L / scale, with s the p-norm of the local coordinates. Between the 2-norm
  // and a p-norm of 3-vectors (p >= 1): min(1, g) |.|_2 <= |.|_p <= max(1, g) |.|_2, g = 3^(1/p - 1/2).
  const quadric = new LocalQuadric(centre, axes, [ia, ib, ic]);
  const g = 3 ** (ip - 0.5);
  const gLo = Math.min(1, g);
  const gHi = Math.max(1, g);
  const rows: RowBounds | undefined =
    p >= 1
      ? {
          outer: (y, z, level, out) => quadric.interval(y, z, (1 + (level + ROW_MARGIN_MM) / scale) / gLo, out),
          inner: (y, z, level, out) => quadric.interval(y, z, (1 + (level - ROW_MARGIN_MM) / scale) / gHi, out),
        }
      : undefined;
  return {
    ...boxAround(centre, boxHalfExtent(semiMm, axes)),
    ...(rows === undefined ? {} : { rows }),
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
  // |q| is the distance to the nearest point of the segment, and the radius lies in [rMin, r], so
  // the capsule lies within len/2 + r of the midpoint and contains the ball of radius rMin there.
  const rMin = Math.min(ra, rb);
  const mx = ax + ex / 2;
  const my = ay + ey / 2;
  const mz = az + ez / 2;
  const halfLen = Math.sqrt(len2) / 2;
  return {
    rows: {
      outer: (y, z, level, out) => rowSphere(mx, my, mz, halfLen + r + level + ROW_MARGIN_MM, y, z, out),
      inner: (y, z, level, out) => rowSphere(mx, my, mz, rMin + level - ROW_MARGIN_MM, y, z, out),
    },
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
  // The smooth minimum never exceeds the minimum, and (each step being monotone in its arguments)
  // never falls more than min(k, (count - 1) k / 4) below it.
  const slack = kMm * Math.min(1, (count - 1) / 4);
  const children = shapes.map((s) => s.rows);
  const rows: RowBounds | undefined = children.every((r) => r !== undefined)
    ? unionRows(children as RowBounds[], slack)
    : undefined;
  return {
    min,
    max,
    ...(rows === undefined ? {} : { rows }),
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

/** Row bounds of a union: outer is the hull of the children's outer intervals at level + slack; inner
 * the longest child inner interval, merged with those that overlap it. */
function unionRows(children: readonly RowBounds[], slack: number): RowBounds {
  const tmp = new Float64Array(2);
  const ends = new Float64Array(2 * children.length);
  return {
    outer: (y, z, level, out) => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const c of children) {
        c.outer(y, z, level + slack, tmp);
        if (tmp[0]! > tmp[1]!) continue;
        if (tmp[0]! < lo) lo = tmp[0]!;
        if (tmp[1]! > hi) hi = tmp[1]!;
      }
      out[0] = lo;
      out[1] = hi;
    },
    inner: (y, z, level, out) => {
      const n = children.length;
      let best = -1;
      for (let c = 0; c < n; c++) {
        if (children[c]!.residual !== undefined) {
          ends[2 * c] = Infinity;
          ends[2 * c + 1] = -Infinity;
          continue;
        }
        children[c]!.inner(y, z, level, tmp);
        ends[2 * c] = tmp[0]!;
        ends[2 * c + 1] = tmp[1]!;
        if (tmp[0]! <= tmp[1]! && (best < 0 || tmp[1]! - tmp[0]! > ends[2 * best + 1]! - ends[2 * best]!)) best = c;
      }
      if (best < 0) {
        setEmpty(out);
        return;
      }
      let lo = ends[2 * best]!;
      let hi = ends[2 * best + 1]!;
      for (let grew = true; grew; ) {
        grew = false;
        for (let c = 0; c < n; c++) {
          const a = ends[2 * c]!;
          const b = ends[2 * c + 1]!;
          if (a > b || b < lo || a > hi || (a >= lo && b <= hi)) continue;
          lo = Math.min(lo, a);
          hi = Math.max(hi, b);
          grew = true;
        }
      }
      out[0] = lo;
      out[1] = hi;
    },
  };
}

/** Row bounds of max(f, clip) (an intersection, or a difference with clip = -hole): f's bounds, and
 * inside f's inner interval the result is decided by the clip (and f's own residual) alone. */
function clippedRows(rows: RowBounds | undefined, clip: ImplicitFn): RowBounds | undefined {
  if (rows === undefined) return undefined;
  const before = rows.residual;
  const residual: ImplicitFn =
    before === undefined ? clip : (x, y, z) => Math.max(before(x, y, z), clip(x, y, z));
  return { outer: rows.outer, inner: rows.inner, residual };
}

/** A shape whose surface is pushed out by bump(x, y, z) mm (|bump| <= maxBumpMm); the box grows by
 * maxBumpMm. */
export function displaced(shape: Shape, bump: ImplicitFn, maxBumpMm: number): Shape {
  const f = shape.f;
  return {
    min: [shape.min[0] - maxBumpMm, shape.min[1] - maxBumpMm, shape.min[2] - maxBumpMm],
    max: [shape.max[0] + maxBumpMm, shape.max[1] + maxBumpMm, shape.max[2] + maxBumpMm],
    // f - bump <= L needs f <= L + maxBump; f < L - maxBump gives f - bump < L.
    ...(shape.rows === undefined || shape.rows.residual !== undefined
      ? {}
      : {
          rows: {
            outer: (y, z, level, out) => shape.rows!.outer(y, z, level + maxBumpMm, out),
            inner: (y, z, level, out) => shape.rows!.inner(y, z, level - maxBumpMm, out),
          } satisfies RowBounds,
        }),
    f: (x, y, z) => f(x, y, z) - bump(x, y, z),
  };
}

/** The part of `shape` where `clip` is also <= 0 (box of `shape`). */
export function intersect(shape: Shape, clip: ImplicitFn): Shape {
  const f = shape.f;
  const rows = clippedRows(shape.rows, clip);
  return {
    min: shape.min,
    max: shape.max,
    ...(rows === undefined ? {} : { rows }),
    f: (x, y, z) => Math.max(f(x, y, z), clip(x, y, z)),
  };
}

/** The part of `shape` outside `hole`. */
export function subtract(shape: Shape, hole: ImplicitFn): Shape {
  const f = shape.f;
  const rows = clippedRows(shape.rows, (x, y, z) => -hole(x, y, z));
  return {
    min: shape.min,
    max: shape.max,
    ...(rows === undefined ? {} : { rows }),
    f: (x, y, z) => Math.max(f(x, y, z), -hole(x, y, z)),
  };
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
