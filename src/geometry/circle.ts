/**
 * A circle as a closed polygon for a planar contour, with the circle's area exactly.
 *
 * Input: centre (x, y) and radius r in one plane (mm). Output: a counter-clockwise 2-D ring
 * (interleaved x, y) of n vertices on a circle of radius R = r sqrt(2 pi / (n sin(2 pi / n))):
 * the regular n-gon of that circumradius has area (n / 2) R^2 sin(2 pi / n) = pi r^2, so the
 * polygon's area equals the circle's (to round-off), and so does each of its n centre sectors
 * (area pi r^2 / n each), which keeps clipped pieces unbiased too. The polygon leaves the true circle
 * by R - r outwards at the vertices and by r - R cos(pi / n) inwards at the edge midpoints.
 * n: the smallest multiple of 4 (at least 12) for which both deviations are at most
 * maxDeviationMm (default 0.01 mm): 52 vertices for the 7.5 mm sphere's equator. An inscribed
 * polygon (vertices on the circle) would lose the fraction 1 - n sin(2 pi / n) / (2 pi): 0.24 %
 * at n = 52.
 */

import { GeometryError, fmt } from '../core/errors.js';

/** Default largest distance (mm) between a circle polygon and its circle. */
export const CIRCLE_MAX_DEVIATION_MM = 0.01;
const MIN_VERTICES = 12;
const MAX_VERTICES = 4096;

/** Circumradius of the regular n-gon whose area is that of the circle of radius r. */
export const equalAreaCircumradius = (radius: number, n: number): number =>
  radius * Math.sqrt((2 * Math.PI) / (n * Math.sin((2 * Math.PI) / n)));

/** Vertex count of a circle polygon of radius r (mm): see the file header. */
export function circleVertexCount(radiusMm: number, maxDeviationMm = CIRCLE_MAX_DEVIATION_MM): number {
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) throw new GeometryError(`circle: expected a positive radius (mm), found ${fmt(radiusMm)}`);
  if (!(maxDeviationMm > 0) || !Number.isFinite(maxDeviationMm)) {
    throw new GeometryError(`circle: expected a positive largest deviation (mm), found ${fmt(maxDeviationMm)}`);
  }
  for (let n = MIN_VERTICES; n < MAX_VERTICES; n += 4) {
    const big = equalAreaCircumradius(radiusMm, n);
    if (big - radiusMm <= maxDeviationMm && radiusMm - big * Math.cos(Math.PI / n) <= maxDeviationMm) return n;
  }
  return MAX_VERTICES;
}

/** Counter-clockwise ring of n vertices (default circleVertexCount) with the area pi r^2. */
export function circleRing(cx: number, cy: number, radiusMm: number, n = circleVertexCount(radiusMm)): Float64Array {
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) throw new GeometryError(`circle: expected a positive radius (mm), found ${fmt(radiusMm)}`);
  if (!Number.isInteger(n) || n < 3) throw new GeometryError(`circle: expected at least 3 vertices, found ${fmt(n)}`);
  const big = equalAreaCircumradius(radiusMm, n);
  const out = new Float64Array(2 * n);
  for (let q = 0; q < n; q++) {
    const t = (2 * Math.PI * q) / n;
    out[2 * q] = cx + big * Math.cos(t);
    out[2 * q + 1] = cy + big * Math.sin(t);
  }
  return out;
}
