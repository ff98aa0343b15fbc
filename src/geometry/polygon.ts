/**
 * Polygon helpers for planar contours: areas, even-odd point tests, collinear-vertex removal,
 * Douglas–Peucker simplification of closed rings and segment-intersection checks.
 *
 * Inputs: a 2-D ring is a Float64Array of interleaved (x, y) pairs in one plane (any in-plane
 * frame, usually mm), closed implicitly (the last point joins the first; the first point is not
 * repeated). A 3-D ring is interleaved (x, y, z) triples in LPS, mm.
 * Orientation: a positive signed area means counter-clockwise in a right-handed (x, y) frame.
 * References: shoelace formula; Newell's method for the area vector of a planar 3-D polygon;
 * Douglas & Peucker, Canadian Cartographer 10:112 (1973), applied to both halves of a closed ring.
 */

import type { MutVec3, Vec3 } from '../core/vec3.js';

/** Number of points of an interleaved 2-D ring. */
export const ringPointCount = (xy: ArrayLike<number>): number => Math.floor(xy.length / 2);

/** Signed area (shoelace) of a closed 2-D ring, in the square of its unit; > 0 counter-clockwise. */
export function signedRingArea(xy: ArrayLike<number>): number {
  const n = ringPointCount(xy);
  if (n < 3) return 0;
  // Shift by the first point to limit round-off for rings far from the origin.
  const ox = xy[0]!;
  const oy = xy[1]!;
  let twice = 0;
  let px = xy[2 * (n - 1)]! - ox;
  let py = xy[2 * (n - 1) + 1]! - oy;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i]! - ox;
    const y = xy[2 * i + 1]! - oy;
    twice += px * y - x * py;
    px = x;
    py = y;
  }
  return twice / 2;
}

/**
 * Area vector of a planar 3-D polygon (Newell's method): its direction is the polygon's normal
 * (right-hand rule on the point order) and its length is the polygon's area (mm^2 for mm input).
 */
export function polygonAreaVector(points: ArrayLike<number>): MutVec3 {
  const n = Math.floor(points.length / 3);
  const out: MutVec3 = [0, 0, 0];
  if (n < 3) return out;
  const ox = points[0]!;
  const oy = points[1]!;
  const oz = points[2]!;
  let px = points[3 * (n - 1)]! - ox;
  let py = points[3 * (n - 1) + 1]! - oy;
  let pz = points[3 * (n - 1) + 2]! - oz;
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]! - ox;
    const y = points[3 * i + 1]! - oy;
    const z = points[3 * i + 2]! - oz;
    out[0] += py * z - pz * y;
    out[1] += pz * x - px * z;
    out[2] += px * y - py * x;
    px = x;
    py = y;
    pz = z;
  }
  out[0] /= 2;
  out[1] /= 2;
  out[2] /= 2;
  return out;
}

/** Area (mm^2) of a planar 3-D polygon given as LPS triples. */
export function planarPolygonAreaMm2(pointsLps: ArrayLike<number>): number {
  const a = polygonAreaVector(pointsLps);
  return Math.hypot(a[0], a[1], a[2]);
}

/**
 * Unit normal of the plane of a planar point set (interleaved x, y, z), whatever the winding: the
 * cross product of the chord from the first point to the farthest point and the chord to the point
 * farthest from that line. A self-intersecting ring whose signed area cancels (a bow-tie) still has
 * a plane. Undefined when every point lies on one line.
 */
export function pointSetNormal(points: ArrayLike<number>): Vec3 | undefined {
  const n = Math.floor(points.length / 3);
  if (n < 3) return undefined;
  const x0 = points[0]!, y0 = points[1]!, z0 = points[2]!;
  let far = 0, best = 0;
  for (let i = 1; i < n; i++) {
    const d = (points[3 * i]! - x0) ** 2 + (points[3 * i + 1]! - y0) ** 2 + (points[3 * i + 2]! - z0) ** 2;
    if (d > best) {
      best = d;
      far = i;
    }
  }
  const ax = points[3 * far]! - x0, ay = points[3 * far + 1]! - y0, az = points[3 * far + 2]! - z0;
  let cx = 0, cy = 0, cz = 0, big = 0;
  for (let i = 1; i < n; i++) {
    const bx = points[3 * i]! - x0, by = points[3 * i + 1]! - y0, bz = points[3 * i + 2]! - z0;
    const qx = ay * bz - az * by, qy = az * bx - ax * bz, qz = ax * by - ay * bx;
    const m = qx * qx + qy * qy + qz * qz;
    if (m > big) {
      big = m;
      cx = qx;
      cy = qy;
      cz = qz;
    }
  }
  // Collinear within round-off: no plane.
  if (!(big > 1e-18 * best * best)) return undefined;
  const len = Math.sqrt(big);
  return [cx / len, cy / len, cz / len];
}

/**
 * Even-odd test of (x, y) against several closed 2-D rings at once (holes and islands): true when
 * a ray from the point crosses the rings' edges an odd number of times. Half-open on y, so a point
 * on a vertex is counted once.
 */
export function insideEvenOdd(rings: readonly ArrayLike<number>[], x: number, y: number): boolean {
  let inside = false;
  for (const xy of rings) {
    const n = ringPointCount(xy);
    let px = xy[2 * (n - 1)]!;
    let py = xy[2 * (n - 1) + 1]!;
    for (let i = 0; i < n; i++) {
      const qx = xy[2 * i]!;
      const qy = xy[2 * i + 1]!;
      if (py > y !== qy > y) {
        const xc = px + ((y - py) * (qx - px)) / (qy - py);
        if (xc > x) inside = !inside;
      }
      px = qx;
      py = qy;
    }
  }
  return inside;
}

/**
 * Drop vertices that lie on the straight segment joining their neighbours (relative tolerance
 * `relTol` on the sine of the turning angle). Lossless for the filled region. Never returns fewer
 * than 3 points when given at least 3.
 */
export function removeCollinear(xy: Float64Array, relTol = 1e-9): Float64Array {
  const n = ringPointCount(xy);
  if (n <= 3) return xy.slice(0, 2 * n);
  const keep = new Uint8Array(n).fill(1);
  let kept = n;
  // One pass against the *kept* previous vertex; repeat until stable (rarely more than twice).
  let changed = true;
  while (changed && kept > 3) {
    changed = false;
    for (let i = 0; i < n && kept > 3; i++) {
      if (keep[i] === 0) continue;
      let p = (i + n - 1) % n;
      while (keep[p] === 0) p = (p + n - 1) % n;
      let q = (i + 1) % n;
      while (keep[q] === 0) q = (q + 1) % n;
      const ax = xy[2 * i]! - xy[2 * p]!;
      const ay = xy[2 * i + 1]! - xy[2 * p + 1]!;
      const bx = xy[2 * q]! - xy[2 * i]!;
      const by = xy[2 * q + 1]! - xy[2 * i + 1]!;
      const crossAB = ax * by - ay * bx;
      const dotAB = ax * bx + ay * by;
      const la = Math.hypot(ax, ay);
      const lb = Math.hypot(bx, by);
      if (la === 0 || lb === 0 || (Math.abs(crossAB) <= relTol * la * lb && dotAB > 0)) {
        keep[i] = 0;
        kept--;
        changed = true;
      }
    }
  }
  return keptPoints(xy, keep, kept);
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
export function pointSegmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = ax + t * dx - px;
  const ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * Douglas–Peucker simplification of a closed ring: every dropped vertex lies within `tolerance`
 * (same unit as the coordinates) of the simplified ring's segment that replaces it. The ring is
 * split at vertex 0 and the vertex farthest from it, and each half is simplified. At least 3
 * points are kept (the vertex farthest from the chord is re-added when needed). Self-intersections
 * are not checked here: see `ringIntersectionFlags`.
 */
export function simplifyRing(xy: Float64Array, tolerance: number): Float64Array {
  const n = ringPointCount(xy);
  if (n <= 3 || !(tolerance > 0)) return xy.slice(0, 2 * n);
  const tol2 = tolerance * tolerance;
  const keep = new Uint8Array(n);
  // Anchor 0 and the vertex farthest from it.
  let far = 0;
  let farD = -1;
  for (let i = 1; i < n; i++) {
    const d = (xy[2 * i]! - xy[0]!) ** 2 + (xy[2 * i + 1]! - xy[1]!) ** 2;
    if (d > farD) {
      farD = d;
      far = i;
    }
  }
  keep[0] = 1;
  keep[far] = 1;
  // Explicit stack of (start, end) index pairs on the ring (end may wrap: use modulo n).
  const stack: number[] = [0, far, far, n];
  while (stack.length > 0) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    if (b - a < 2) continue;
    const ia = a % n;
    const ib = b % n;
    const ax = xy[2 * ia]!;
    const ay = xy[2 * ia + 1]!;
    const bx = xy[2 * ib]!;
    const by = xy[2 * ib + 1]!;
    let worst = -1;
    let worstD = -1;
    for (let m = a + 1; m < b; m++) {
      const im = m % n;
      const d = pointSegmentDistance2(xy[2 * im]!, xy[2 * im + 1]!, ax, ay, bx, by);
      if (d > worstD) {
        worstD = d;
        worst = m;
      }
    }
    if (worstD > tol2) {
      keep[worst % n] = 1;
      stack.push(a, worst, worst, b);
    }
  }
  let kept = 0;
  for (let i = 0; i < n; i++) kept += keep[i]!;
  if (kept < 3) {
    // Only the two anchors survived: add the vertex farthest from the chord 0-far.
    let best = -1;
    let bestD = -1;
    for (let i = 0; i < n; i++) {
      if (keep[i] === 1) continue;
      const d = pointSegmentDistance2(xy[2 * i]!, xy[2 * i + 1]!, xy[0]!, xy[1]!, xy[2 * far]!, xy[2 * far + 1]!);
      if (d > bestD) {
        bestD = d;
        best = i;
      }
    }
    if (best >= 0) keep[best] = 1;
    kept = 3;
  }
  return keptPoints(xy, keep, kept);
}

const orient = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number =>
  (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);

/** True when the closed segments a-b and c-d share at least one point (crossing or touching). */
export function segmentsIntersect(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
): boolean {
  const d1 = orient(cx, cy, dx, dy, ax, ay);
  const d2 = orient(cx, cy, dx, dy, bx, by);
  const d3 = orient(ax, ay, bx, by, cx, cy);
  const d4 = orient(ax, ay, bx, by, dx, dy);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  const onSeg = (px: number, py: number, qx: number, qy: number, rx: number, ry: number): boolean =>
    Math.min(px, qx) <= rx && rx <= Math.max(px, qx) && Math.min(py, qy) <= ry && ry <= Math.max(py, qy);
  if (d1 === 0 && onSeg(cx, cy, dx, dy, ax, ay)) return true;
  if (d2 === 0 && onSeg(cx, cy, dx, dy, bx, by)) return true;
  if (d3 === 0 && onSeg(ax, ay, bx, by, cx, cy)) return true;
  if (d4 === 0 && onSeg(ax, ay, bx, by, dx, dy)) return true;
  return false;
}

/**
 * Which of a set of coplanar closed rings take part in an intersection: a ring crossing or
 * touching itself (non-adjacent edges) or another ring. Returns one flag per ring (1 = involved).
 * Sort-and-sweep on the edges' x extents, so typical cost is O(E log E).
 */
export function ringIntersectionFlags(rings: readonly Float64Array[]): Uint8Array {
  const flags = new Uint8Array(rings.length);
  let total = 0;
  for (const r of rings) total += ringPointCount(r);
  // Edge table: ring, index in ring, and the x-extent for the sweep.
  const edgeRing = new Int32Array(total);
  const edgeIdx = new Int32Array(total);
  const minX = new Float64Array(total);
  let e = 0;
  for (let r = 0; r < rings.length; r++) {
    const xy = rings[r]!;
    const n = ringPointCount(xy);
    for (let i = 0; i < n; i++, e++) {
      const j = (i + 1) % n;
      edgeRing[e] = r;
      edgeIdx[e] = i;
      minX[e] = Math.min(xy[2 * i]!, xy[2 * j]!);
    }
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => minX[a]! - minX[b]!);
  for (let s = 0; s < total; s++) {
    const ea = order[s]!;
    const ra = edgeRing[ea]!;
    const xa = rings[ra]!;
    const na = ringPointCount(xa);
    const ia = edgeIdx[ea]!;
    const ja = (ia + 1) % na;
    const ax = xa[2 * ia]!, ay = xa[2 * ia + 1]!, bx = xa[2 * ja]!, by = xa[2 * ja + 1]!;
    const maxXa = Math.max(ax, bx);
    const minYa = Math.min(ay, by);
    const maxYa = Math.max(ay, by);
    for (let t = s + 1; t < total; t++) {
      const eb = order[t]!;
      if (minX[eb]! > maxXa) break;
      const rb = edgeRing[eb]!;
      const xb = rings[rb]!;
      const nb = ringPointCount(xb);
      const ib = edgeIdx[eb]!;
      if (ra === rb && (ib === ja || ia === (ib + 1) % nb)) continue; // adjacent edges share a vertex
      const jb = (ib + 1) % nb;
      const cx = xb[2 * ib]!, cy = xb[2 * ib + 1]!, dx = xb[2 * jb]!, dy = xb[2 * jb + 1]!;
      if (Math.max(cy, dy) < minYa || Math.min(cy, dy) > maxYa) continue;
      if (segmentsIntersect(ax, ay, bx, by, cx, cy, dx, dy)) {
        flags[ra] = 1;
        flags[rb] = 1;
      }
    }
  }
  return flags;
}

/** The `kept` points of a flat (x, y) ring whose flags in `keep` are non-zero, in order. */
function keptPoints(xy: Float64Array, keep: Uint8Array, kept: number): Float64Array {
  const out = new Float64Array(2 * kept);
  for (let i = 0, o = 0; o < out.length; i++) {
    if (keep[i] === 0) continue;
    out[o++] = xy[2 * i]!;
    out[o++] = xy[2 * i + 1]!;
  }
  return out;
}
