/**
 * Clipping on one plane: the part of a union of convex polygons that lies inside a set of closed
 * rings, as boundary rings ready to be written as planar contours.
 *
 * Input (2-D rings: interleaved x, y in one in-plane frame, mm, closed implicitly):
 * - `convex`: convex polygons C_1..C_m (any orientation; e.g. circle polygons from circle.ts);
 *   they may overlap;
 * - `within` (optional): rings T filled by the even-odd rule, as DICOM contours on one plane are
 *   (a concave target, several islands, holes). Absent: the whole plane.
 * Output: rings whose even-odd fill is exactly (C_1 ∪ ... ∪ C_m) ∩ T: outer boundaries
 * counter-clockwise, holes clockwise, no two crossing (they may touch at a vertex), overlapping
 * pieces merged into one outline so no area is counted twice by a reader that fills by even-odd or
 * XOR (dicompyler-core, plastimatch --xor-contours) or sums contour areas.
 * Special cases fall out of the method: a polygon wholly inside T comes back whole, one wholly
 * outside vanishes, a target section wholly inside the union comes back as the target's ring.
 *
 * Method (a boundary evaluation, as in polygon boolean operations): pieces are grouped into
 * clusters whose bounding boxes overlap; in each cluster every edge of the pieces and of T that
 * reaches the cluster's box is split where it crosses or touches another edge; each sub-edge is
 * kept when the region lies on exactly one side of it (tested a small distance to its left and
 * right), oriented with the region on its left; the kept sub-edges are chained into rings, taking
 * at a vertex with several continuations the first one clockwise from the way back (a face walk in
 * a planar graph), so rings that touch stay separate. Split points are computed once and shared by
 * both edges, so chaining matches coordinates exactly. Exactly coincident (collinear overlapping)
 * edges are split at each other's endpoints and then behave like one edge.
 */

import { GeometryError } from '../core/errors.js';
import { insideEvenOdd, removeCollinear, ringPointCount, signedRingArea } from './polygon.js';

/** Rings enclosing less than this (mm², in-plane unit squared) are slivers of round-off and dropped. */
const MIN_RING_AREA = 1e-9;
/** Largest offset (in-plane unit) of the side test from a sub-edge. */
const SIDE_OFFSET = 1e-6;

interface Piece {
  /** Counter-clockwise ring. */
  readonly xy: Float64Array;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

interface Segment {
  readonly ax: number;
  readonly ay: number;
  readonly bx: number;
  readonly by: number;
  /** Split points: t along the segment, x, y (triples). */
  readonly splits: number[];
}

/** (C_1 ∪ ... ∪ C_m) ∩ T as boundary rings; see the file header. */
export function clipConvexUnion(convex: readonly Float64Array[], within?: readonly Float64Array[]): Float64Array[] {
  const pieces: Piece[] = [];
  for (const ring of convex) {
    const n = ringPointCount(ring);
    if (n < 3) continue;
    const area = signedRingArea(ring);
    if (!(Math.abs(area) > MIN_RING_AREA)) continue;
    const xy = area > 0 ? ring.slice(0, 2 * n) : reversed(ring);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, xy[2 * i]!);
      x1 = Math.max(x1, xy[2 * i]!);
      y0 = Math.min(y0, xy[2 * i + 1]!);
      y1 = Math.max(y1, xy[2 * i + 1]!);
    }
    pieces.push({ xy, x0, y0, x1, y1 });
  }
  if (pieces.length === 0 || (within !== undefined && within.length === 0)) return [];
  const out: Float64Array[] = [];
  for (const cluster of clusters(pieces)) out.push(...clipCluster(cluster, within));
  return out;
}

/** Groups of pieces whose bounding boxes overlap, directly or through others (union-find). */
function clusters(pieces: readonly Piece[]): Piece[][] {
  const parent = pieces.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (let a = 0; a < pieces.length; a++) {
    for (let b = a + 1; b < pieces.length; b++) {
      const p = pieces[a]!;
      const q = pieces[b]!;
      if (p.x0 <= q.x1 && q.x0 <= p.x1 && p.y0 <= q.y1 && q.y0 <= p.y1) parent[find(a)] = find(b);
    }
  }
  const groups = new Map<number, Piece[]>();
  pieces.forEach((p, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g === undefined) groups.set(r, [p]);
    else g.push(p);
  });
  return [...groups.values()];
}

function clipCluster(cluster: readonly Piece[], within: readonly Float64Array[] | undefined): Float64Array[] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of cluster) {
    x0 = Math.min(x0, p.x0);
    y0 = Math.min(y0, p.y0);
    x1 = Math.max(x1, p.x1);
    y1 = Math.max(y1, p.y1);
  }
  // 1. Segments: the pieces' edges and the edges of T that reach the cluster's box.
  const segs: Segment[] = [];
  const addRing = (xy: ArrayLike<number>, clipToBox: boolean): void => {
    const n = ringPointCount(xy);
    for (let i = 0; i < n; i++) {
      const j = (i + 1) % n;
      const ax = xy[2 * i]!, ay = xy[2 * i + 1]!, bx = xy[2 * j]!, by = xy[2 * j + 1]!;
      if (ax === bx && ay === by) continue;
      if (clipToBox && (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1)) continue;
      segs.push({ ax, ay, bx, by, splits: [] });
    }
  };
  for (const p of cluster) addRing(p.xy, false);
  if (within !== undefined) for (const r of within) addRing(r, true);

  // 2. Split every segment where it crosses or touches another.
  for (let a = 0; a < segs.length; a++) {
    const s = segs[a]!;
    for (let b = a + 1; b < segs.length; b++) {
      const t = segs[b]!;
      if (Math.max(s.ax, s.bx) < Math.min(t.ax, t.bx) || Math.max(t.ax, t.bx) < Math.min(s.ax, s.bx)) continue;
      if (Math.max(s.ay, s.by) < Math.min(t.ay, t.by) || Math.max(t.ay, t.by) < Math.min(s.ay, s.by)) continue;
      intersect(s, t);
    }
  }

  // 3. Keep the sub-edges with the region on exactly one side, oriented with it on the left.
  const inside = (x: number, y: number): boolean => {
    let inUnion = false;
    for (const p of cluster) {
      if (x <= p.x0 || x >= p.x1 || y <= p.y0 || y >= p.y1) continue;
      if (insideConvex(p.xy, x, y)) {
        inUnion = true;
        break;
      }
    }
    return inUnion && (within === undefined || insideEvenOdd(within, x, y));
  };
  const kept: number[] = []; // sx, sy, ex, ey per kept sub-edge
  const seen = new Set<string>();
  const keep = (sx: number, sy: number, ex: number, ey: number): void => {
    const len = Math.hypot(ex - sx, ey - sy);
    if (len === 0) return;
    const d = Math.min(SIDE_OFFSET, len / 4) / len;
    const mx = (sx + ex) / 2, my = (sy + ey) / 2;
    const nx = -(ey - sy) * d, ny = (ex - sx) * d;
    const left = inside(mx + nx, my + ny);
    const right = inside(mx - nx, my - ny);
    if (left === right) return;
    const [px, py, qx, qy] = left ? [sx, sy, ex, ey] : [ex, ey, sx, sy];
    const key = `${px},${py},${qx},${qy}`;
    if (seen.has(key)) return;
    seen.add(key);
    kept.push(px, py, qx, qy);
  };
  for (const s of segs) {
    const sp = s.splits;
    const order = Array.from({ length: sp.length / 3 }, (_, i) => i).sort((i, j) => sp[3 * i]! - sp[3 * j]!);
    let px = s.ax, py = s.ay;
    for (const i of order) {
      const x = sp[3 * i + 1]!, y = sp[3 * i + 2]!;
      if (x === px && y === py) continue;
      keep(px, py, x, y);
      px = x;
      py = y;
    }
    if (px !== s.bx || py !== s.by) keep(px, py, s.bx, s.by);
  }

  // 4. Chain the kept sub-edges into rings.
  const m = kept.length / 4;
  const outgoing = new Map<string, number[]>();
  for (let e = 0; e < m; e++) {
    const k = `${kept[4 * e]},${kept[4 * e + 1]}`;
    const list = outgoing.get(k);
    if (list === undefined) outgoing.set(k, [e]);
    else list.push(e);
  }
  const used = new Uint8Array(m);
  const rings: Float64Array[] = [];
  for (let start = 0; start < m; start++) {
    if (used[start] !== 0) continue;
    const pts: number[] = [];
    let e = start;
    for (let steps = 0; ; steps++) {
      if (steps > m) throw new GeometryError('clipping: a boundary did not close (inconsistent edge splits)');
      used[e] = 1;
      pts.push(kept[4 * e]!, kept[4 * e + 1]!);
      const ex = kept[4 * e + 2]!, ey = kept[4 * e + 3]!;
      const next = outgoing.get(`${ex},${ey}`);
      if (next === undefined) throw new GeometryError(`clipping: a boundary ends at (${ex}, ${ey}) without closing (inconsistent edge splits)`);
      let chosen = next[0]!;
      if (next.length > 1) {
        // First continuation clockwise from the way back.
        const back = Math.atan2(kept[4 * e + 1]! - ey, kept[4 * e]! - ex);
        let best = Infinity;
        for (const c of next) {
          let cw = back - Math.atan2(kept[4 * c + 3]! - ey, kept[4 * c + 2]! - ex);
          while (cw <= 0) cw += 2 * Math.PI;
          while (cw > 2 * Math.PI) cw -= 2 * Math.PI;
          if (cw < best) {
            best = cw;
            chosen = c;
          }
        }
      }
      if (chosen === start) break;
      if (used[chosen] !== 0) throw new GeometryError('clipping: a boundary runs into another one (inconsistent edge splits)');
      e = chosen;
    }
    const ring = removeCollinear(Float64Array.from(pts));
    if (ringPointCount(ring) >= 3 && Math.abs(signedRingArea(ring)) > MIN_RING_AREA) rings.push(ring);
  }
  return rings;
}

const orient = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number =>
  (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);

/** Record where segments s and t cross, or where an endpoint of one lies on the other. */
function intersect(s: Segment, t: Segment): void {
  const d1 = orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay);
  const d2 = orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by);
  const d3 = orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay);
  const d4 = orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    const ts = d3 / (d3 - d4);
    const tt = d1 / (d1 - d2);
    const x = s.ax + ts * (s.bx - s.ax);
    const y = s.ay + ts * (s.by - s.ay);
    s.splits.push(ts, x, y);
    t.splits.push(tt, x, y);
    return;
  }
  if (d1 === 0) splitAtPoint(s, t.ax, t.ay);
  if (d2 === 0) splitAtPoint(s, t.bx, t.by);
  if (d3 === 0) splitAtPoint(t, s.ax, s.ay);
  if (d4 === 0) splitAtPoint(t, s.bx, s.by);
}

/** Split s at (x, y), a point on its line, when it lies strictly between s's endpoints. */
function splitAtPoint(s: Segment, x: number, y: number): void {
  const dx = s.bx - s.ax, dy = s.by - s.ay;
  const t = ((x - s.ax) * dx + (y - s.ay) * dy) / (dx * dx + dy * dy);
  if (t > 0 && t < 1 && !(x === s.ax && y === s.ay) && !(x === s.bx && y === s.by)) s.splits.push(t, x, y);
}

/** Strictly inside a counter-clockwise convex ring. */
function insideConvex(xy: Float64Array, x: number, y: number): boolean {
  const n = ringPointCount(xy);
  let px = xy[2 * (n - 1)]!, py = xy[2 * (n - 1) + 1]!;
  for (let i = 0; i < n; i++) {
    const qx = xy[2 * i]!, qy = xy[2 * i + 1]!;
    if ((qx - px) * (y - py) - (qy - py) * (x - px) <= 0) return false;
    px = qx;
    py = qy;
  }
  return true;
}

function reversed(xy: ArrayLike<number>): Float64Array {
  const n = ringPointCount(xy);
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = xy[2 * (n - 1 - i)]!;
    out[2 * i + 1] = xy[2 * (n - 1 - i) + 1]!;
  }
  return out;
}
