/**
 * Analytic shapes and dose fields for the evaluation tests and benches (test/evaluate/analytic.ts
 * re-exports them). Each shape is contoured the way an
 * RTSTRUCT would hold it (closed polygons on planes), each dose field is linear so trilinear
 * interpolation reproduces it exactly, and each expected value is derived here from geometry.
 */

import { createGrid, indexToLps, type Grid } from '../src/geometry/grid.js';
import type { PlanarContour } from '../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../src/geometry/volume.js';
import type { Mat3, Vec3 } from '../src/core/vec3.js';

/**
 * A circle of radius r as an N-gon with the circle's AREA (vertex radius r sqrt(θ / sin θ),
 * θ = 2π/N), so polygon discretisation does not bias volumes: area of the N-gon is
 * N/2 R² sin θ = π r².
 */
export function circle(cx: number, cy: number, z: number, r: number, n = 96): PlanarContour {
  const theta = (2 * Math.PI) / n;
  const rv = r * Math.sqrt(theta / Math.sin(theta));
  const p = new Float64Array(3 * n);
  for (let q = 0; q < n; q++) {
    p[3 * q] = cx + rv * Math.cos(q * theta);
    p[3 * q + 1] = cy + rv * Math.sin(q * theta);
    p[3 * q + 2] = z;
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
}

/** Sphere of radius R at c, contoured on axial planes z = c.z + offset + p * spacing inside it. */
export function sphereContours(c: Vec3, radiusMm: number, spacingMm: number, offsetMm = 0): PlanarContour[] {
  const out: PlanarContour[] = [];
  const pMax = Math.ceil(radiusMm / spacingMm) + 1;
  for (let p = -pMax; p <= pMax; p++) {
    const dz = offsetMm + p * spacingMm;
    if (Math.abs(dz) >= radiusMm) continue;
    out.push(circle(c[0], c[1], c[2] + dz, Math.sqrt(radiusMm * radiusMm - dz * dz)));
  }
  return out;
}

/** Cylinder along z, radius a, length L centred at c, planes at the slab centres (slabs tile it). */
export function cylinderContours(c: Vec3, radiusMm: number, lengthMm: number, spacingMm: number): PlanarContour[] {
  const n = Math.round(lengthMm / spacingMm);
  const out: PlanarContour[] = [];
  for (let p = 0; p < n; p++) out.push(circle(c[0], c[1], c[2] - lengthMm / 2 + (p + 0.5) * spacingMm, radiusMm));
  return out;
}

/** Linear dose D = d0 + gradient · (x - centre) on a grid. */
export function linearDose(grid: Grid, d0: number, gradientGyPerMm: Vec3, centre: Vec3): ScalarVolume {
  const v = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const x = indexToLps(grid, [i, j, k]);
        v.data[p] =
          d0 +
          gradientGyPerMm[0] * (x[0] - centre[0]) +
          gradientGyPerMm[1] * (x[1] - centre[1]) +
          gradientGyPerMm[2] * (x[2] - centre[2]);
      }
    }
  }
  return v;
}

/** A dose grid of given spacing covering a cube of half-width h around c (origin off the centre). */
export function doseGridAround(c: Vec3, halfWidthMm: number, spacingMm: Vec3, direction?: Mat3): Grid {
  const size: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) size[a] = Math.ceil((2 * halfWidthMm) / spacingMm[a]!) + 1;
  // Centre the grid on c, shifted by a third of a voxel so voxel centres do not sit on symmetry planes.
  const g0 = createGrid({ size, spacingMm, originMm: [0, 0, 0], ...(direction ? { direction } : {}) });
  const mid = indexToLps(g0, [(size[0] - 1) / 2 + 1 / 3, (size[1] - 1) / 2 + 1 / 3, (size[2] - 1) / 2 + 1 / 3]);
  return createGrid({
    size,
    spacingMm,
    originMm: [c[0] - mid[0], c[1] - mid[1], c[2] - mid[2]],
    ...(direction ? { direction } : {}),
  });
}

/** Volume of a spherical cap of height h on a sphere of radius R: π h² (3R - h) / 3. */
export const capVolume = (R: number, h: number): number => {
  const t = Math.min(Math.max(h, 0), 2 * R);
  return (Math.PI * t * t * (3 * R - t)) / 3;
};

/** Area of the part of a disc of radius a beyond a chord at distance c from the centre. */
export const segmentArea = (a: number, c: number): number => {
  const t = Math.min(Math.max(c, -a), a);
  return a * a * Math.acos(t / a) - t * Math.sqrt(a * a - t * t);
};

/** Root of a decreasing function f on [lo, hi] by bisection. */
export function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let it = 0; it < 200; it++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Analytic Dp% of a sphere of radius R in a gradient g (Gy/mm) with dose d0 at its centre:
 * the volume above the plane at distance R - h from the hot pole is a cap of height h, so
 * V(>= d0 + g (R - h)) = π h² (3R - h) / 3; solve cap(h) = p V for h. */
export function sphereDp(R: number, d0: number, g: number, p: number): number {
  const target = (p / 100) * capVolume(R, 2 * R);
  const h = bisect((x) => target - capVolume(R, x), 0, 2 * R);
  return d0 + g * (R - h);
}

/** Analytic Dp% of a cylinder (radius a, length L) in a gradient across its axis: the volume above
 * the plane at distance c from the axis is L x segment(a, c); solve for c. */
export function cylinderAcrossDp(a: number, d0: number, g: number, p: number): number {
  const target = (p / 100) * Math.PI * a * a;
  const c = bisect((x) => segmentArea(a, x) - target, -a, a);
  return d0 + g * c;
}

/** A closed planar polygon on the plane z (LPS, mm) from interleaved (x, y) vertices. */
export const polygon = (z: number, xy: readonly number[]): PlanarContour => {
  const p = new Float64Array((xy.length / 2) * 3);
  for (let i = 0; i < xy.length / 2; i++) {
    p[3 * i] = xy[2 * i]!;
    p[3 * i + 1] = xy[2 * i + 1]!;
    p[3 * i + 2] = z;
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
};

/** Cylinder of radius a and length L with its axis along x through c: rectangles on planes z. */
export function cylinderAcrossContours(c: Vec3, a: number, L: number, s: number, offset: number): PlanarContour[] {
  const out: PlanarContour[] = [];
  for (let p = -Math.ceil(a / s) - 1; p <= Math.ceil(a / s) + 1; p++) {
    const dz = offset + p * s;
    if (Math.abs(dz) >= a) continue;
    const hw = Math.sqrt(a * a - dz * dz);
    const [x0, x1, y0, y1] = [c[0] - L / 2, c[0] + L / 2, c[1] - hw, c[1] + hw];
    out.push(polygon(c[2] + dz, [x0, y0, x1, y0, x1, y1, x0, y1]));
  }
  return out;
}

/** Cone along z, apex below at c.z - H / 2, flat base of radius Rb at c.z + H / 2; the base lies half a
 * plane spacing above the top plane (the slab convention for a flat end). */
export function coneContours(c: Vec3, Rb: number, H: number, s: number): PlanarContour[] {
  const out: PlanarContour[] = [];
  for (let z = H / 2 - s / 2; z > -H / 2; z -= s) out.push(circle(c[0], c[1], c[2] + z, (Rb * (z + H / 2)) / H));
  return out;
}
/** Dp% of that cone (height H) in a gradient g (Gy/mm) along +z with d0 at its mid-height: the volume
 * below height t over the apex is (t / H)³ of the whole. */
export const coneDp = (H: number, d0: number, g: number, p: number): number => d0 + g * (H * Math.cbrt(1 - p / 100) - H / 2);
