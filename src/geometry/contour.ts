/**
 * Mask or occupancy -> closed planar contours (DICOM CLOSED_PLANAR polygons, LPS, mm), one set
 * per k slice, by marching squares.
 *
 * Input: a Mask (voxel in when non-zero) or an Occupancy (in when >= 0.5) on any grid.
 * Output: PlanarContour[] lying in the planes through the voxel centres of each k slice, ordered
 * by k, then by where the tracing met them (row by row).
 *
 * Rules:
 * - The 0.5 level is traced between voxel centres, with the grid padded by one outside voxel, so
 *   every contour closes. A vertex sits on the segment between an inside and an outside voxel
 *   centre, placed by linear interpolation of the 0.5 level (for a binary mask: the midpoint).
 *   The interpolation parameter is kept in [0.01, 0.99], so vertices never coincide.
 * - Saddle cells (two diagonal inside corners) are resolved by the cell-centre value, the mean of
 *   the four corners: >= 0.5 joins the inside corners (for a binary mask: inside is
 *   8-connected across a saddle, outside 4-connected). Contours never cross or touch.
 * - Outer boundaries and holes are separate contours with opposite winding: outer boundaries are
 *   counter-clockwise seen from the tip of the slice normal n (the grid's k axis, signed so that
 *   its largest LPS component is positive: +z for axial slices, i.e. a positive shoelace area in
 *   LPS (x, y)); holes are clockwise. Filling all contours of a slice by the even-odd rule, with
 *   the voxel-boundary slab convention of rasterize.ts, gives back the mask (a voxel's
 *   occupancy is >= 0.5 exactly when it was in; corner cuts change occupancies by 1/8).
 * - Exactly collinear vertices (runs along straight voxel edges) are always removed (lossless).
 * - `simplifyToleranceMm` > 0: Douglas–Peucker on each closed ring (polygon.ts), in mm in the
 *   slice plane. Rings keep at least 3 points; when a simplified ring would cross itself or another
 *   ring of the slice, it is simplified again with half the tolerance (up to 4 times), then left
 *   unsimplified.
 * Reference: Lorensen & Cline's marching cubes (1987) restricted to 2-D (marching squares).
 */

import { InputError, fmt } from '../core/errors.js';
import { indexToLpsAffine } from './grid.js';
import { removeCollinear, ringIntersectionFlags, simplifyRing } from './polygon.js';
import type { PlanarContour } from './structure.js';
import type { Mask, Occupancy } from './volume.js';

export interface MaskToContoursOptions {
  /** Douglas–Peucker tolerance (mm); 0 or absent: only exactly collinear vertices are removed. */
  readonly simplifyToleranceMm?: number;
}

/** Keep the interpolated vertex this far (in voxel units) from either voxel centre. */
const T_MIN = 0.01;
const T_MAX = 1 - T_MIN;
const SIMPLIFY_RETRIES = 4;

/**
 * Marching-squares segments per cell case (bit c set = corner c inside; corners c0 (a, b),
 * c1 (a+1, b), c2 (a+1, b+1), c3 (a, b+1)). Edges: e0 bottom (c0-c1), e1 right (c1-c2),
 * e2 top (c3-c2), e3 left (c0-c3). Each pair is from -> to with the inside on the left, so
 * outer boundaries run counter-clockwise in (i, j). Saddles 5 and 10 hold the "centre outside"
 * variant here; the "centre inside" variant is in SADDLE_JOINED.
 */
const SEGMENTS: readonly (readonly number[])[] = [
  [],
  [0, 3],
  [1, 0],
  [1, 3],
  [2, 1],
  [0, 3, 2, 1],
  [2, 0],
  [2, 3],
  [3, 2],
  [0, 2],
  [1, 0, 3, 2],
  [1, 2],
  [3, 1],
  [0, 1],
  [3, 0],
  [],
];
const SADDLE_JOINED: Readonly<Record<number, readonly number[]>> = { 5: [0, 1, 2, 3], 10: [3, 0, 1, 2] };

/** Closed planar contours of a mask or occupancy (0.5 level), per k slice. See the file header. */
export function maskToContours(volume: Mask | Occupancy, options: MaskToContoursOptions = {}): PlanarContour[] {
  const tolMm = options.simplifyToleranceMm ?? 0;
  if (!(tolMm >= 0 && Number.isFinite(tolMm))) {
    throw new InputError(`simplifyToleranceMm must be >= 0 and finite (mm), found ${fmt(tolMm)}`);
  }
  const grid = volume.grid;
  const data = volume.data;
  const binary = data instanceof Uint8Array;
  const bytes = binary ? data : undefined;
  // Word view for skipping empty rows four voxels at a time (when the bytes are 4-aligned).
  const words =
    bytes !== undefined && bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2)
      : undefined;
  const [nx, ny, nz] = grid.size;
  const si = grid.spacingMm[0];
  const sj = grid.spacingMm[1];
  const aff = indexToLpsAffine(grid);

  // Orientation: index-space CCW is CCW about n when (i x j) . n > 0.
  const d = grid.direction;
  const kCol = [d[2], d[5], d[8]] as const;
  let big = 0;
  for (let r = 1; r < 3; r++) if (Math.abs(kCol[r]) > Math.abs(kCol[big]!)) big = r;
  const nRef = kCol.map((c) => (kCol[big]! < 0 ? -c : c));
  const ixj = [d[3] * d[7] - d[6] * d[4], d[6] * d[1] - d[0] * d[7], d[0] * d[4] - d[3] * d[1]];
  const reverse = ixj[0]! * nRef[0]! + ixj[1]! * nRef[1]! + ixj[2]! * nRef[2]! < 0;

  const out: PlanarContour[] = [];

  // Scratch, sized for the whole slice plus the one-voxel pad; reused for every slice.
  const maxPW = nx + 2;
  const maxPH = ny + 2;
  const vals = new Float64Array(maxPW * maxPH);
  const next = new Int32Array(2 * maxPW * maxPH).fill(-1);
  let ringBuf = new Float64Array(1024);

  for (let k = 0; k < nz; k++) {
    const sliceBase = k * nx * ny;
    // Bounding box of the inside voxels of this slice (first and last inside voxel of each row).
    let i0 = nx, i1 = -1, j0 = ny, j1 = -1;
    for (let j = 0; j < ny; j++) {
      const rowBase = sliceBase + j * nx;
      let first = -1;
      let last = -1;
      if (bytes !== undefined) {
        first = firstNonZero(bytes, words, rowBase, rowBase + nx) - rowBase;
        if (first < 0) continue;
        last = lastNonZero(bytes, words, rowBase + first, rowBase + nx) - rowBase;
      } else {
        for (let i = 0; i < nx; i++) if (data[rowBase + i]! >= 0.5) { first = i; break; }
        if (first < 0) continue;
        for (let i = nx - 1; i >= first; i--) if (data[rowBase + i]! >= 0.5) { last = i; break; }
      }
      if (first < i0) i0 = first;
      if (last > i1) i1 = last;
      if (j < j0) j0 = j;
      j1 = j;
    }
    if (i1 < 0) continue;
    // Local window: voxels i0-1 .. i1+1, j0-1 .. j1+1 (pad voxels outside the grid read 0).
    const pw = i1 - i0 + 3;
    const ph = j1 - j0 + 3;
    const ia0 = i0 - 1;
    const jb0 = j0 - 1;
    for (let b = 0; b < ph; b++) {
      const j = jb0 + b;
      for (let a = 0; a < pw; a++) {
        const i = ia0 + a;
        let v = 0;
        if (i >= 0 && i < nx && j >= 0 && j < ny) {
          const raw = data[sliceBase + j * nx + i]!;
          v = binary ? (raw !== 0 ? 1 : 0) : raw === raw ? raw : 0;
        }
        vals[a + pw * b] = v;
      }
    }
    const vOffset = pw * ph; // vertical-edge ids follow the horizontal ones
    // Cells.
    for (let b = 0; b + 1 < ph; b++) {
      for (let a = 0; a + 1 < pw; a++) {
        const v0 = vals[a + pw * b]!;
        const v1 = vals[a + 1 + pw * b]!;
        const v2 = vals[a + 1 + pw * (b + 1)]!;
        const v3 = vals[a + pw * (b + 1)]!;
        const cs = (v0 >= 0.5 ? 1 : 0) | (v1 >= 0.5 ? 2 : 0) | (v2 >= 0.5 ? 4 : 0) | (v3 >= 0.5 ? 8 : 0);
        if (cs === 0 || cs === 15) continue;
        let segs = SEGMENTS[cs]!;
        if ((cs === 5 || cs === 10) && (v0 + v1 + v2 + v3) / 4 >= 0.5) segs = SADDLE_JOINED[cs]!;
        for (let s = 0; s < segs.length; s += 2) {
          next[edgeId(segs[s]!, a, b, pw, vOffset)] = edgeId(segs[s + 1]!, a, b, pw, vOffset);
        }
      }
    }
    // Trace rings.
    const rings: Float64Array[] = [];
    const nIds = 2 * pw * ph;
    for (let start = 0; start < nIds; start++) {
      if (next[start]! < 0) continue;
      let len = 0;
      let id = start;
      do {
        if (ringBuf.length < 2 * (len + 1)) {
          const bigger = new Float64Array(ringBuf.length * 2);
          bigger.set(ringBuf);
          ringBuf = bigger;
        }
        // Vertex on edge `id`, in continuous index units of the slice.
        let a: number, b: number, fa: number, fb: number, horizontal: boolean;
        if (id < vOffset) {
          a = id % pw;
          b = (id - a) / pw;
          fa = vals[id]!;
          fb = vals[id + 1]!;
          horizontal = true;
        } else {
          const h = id - vOffset;
          a = h % pw;
          b = (h - a) / pw;
          fa = vals[h]!;
          fb = vals[h + pw]!;
          horizontal = false;
        }
        let t = (0.5 - fa) / (fb - fa);
        if (!(t >= T_MIN)) t = T_MIN;
        else if (t > T_MAX) t = T_MAX;
        ringBuf[2 * len] = (ia0 + a + (horizontal ? t : 0)) * si;
        ringBuf[2 * len + 1] = (jb0 + b + (horizontal ? 0 : t)) * sj;
        len++;
        const nxt = next[id]!;
        next[id] = -1;
        id = nxt;
      } while (id !== start && id >= 0);
      if (len < 3) continue;
      const ring = removeCollinear(ringBuf.slice(0, 2 * len));
      if (ring.length >= 6) rings.push(ring);
    }
    // Simplify, retrying rings that would cross.
    let final = rings;
    if (tolMm > 0 && rings.length > 0) {
      const tols = new Float64Array(rings.length).fill(tolMm);
      final = rings.map((r) => simplifyRing(r, tolMm));
      for (let attempt = 0; attempt <= SIMPLIFY_RETRIES; attempt++) {
        const flags = ringIntersectionFlags(final);
        let any = false;
        for (let r = 0; r < final.length; r++) {
          if (flags[r] === 0) continue;
          any = true;
          tols[r] = attempt === SIMPLIFY_RETRIES ? 0 : tols[r]! / 2;
          final[r] = tols[r]! > 0 ? simplifyRing(rings[r]!, tols[r]!) : rings[r]!;
        }
        if (!any) break;
      }
    }
    // To LPS.
    for (const ring of final) {
      const m = ring.length / 2;
      const pts = new Float64Array(3 * m);
      for (let q = 0; q < m; q++) {
        const src = reverse ? m - 1 - q : q;
        const i = ring[2 * src]! / si;
        const j = ring[2 * src + 1]! / sj;
        pts[3 * q] = aff[0]! * i + aff[1]! * j + aff[2]! * k + aff[3]!;
        pts[3 * q + 1] = aff[4]! * i + aff[5]! * j + aff[6]! * k + aff[7]!;
        pts[3 * q + 2] = aff[8]! * i + aff[9]! * j + aff[10]! * k + aff[11]!;
      }
      out.push({ geometricType: 'CLOSED_PLANAR', pointsLps: pts });
    }
  }
  return out;
}

/** Index of the first non-zero byte in [from, to), or -1. */
function firstNonZero(bytes: Uint8Array, words: Uint32Array | undefined, from: number, to: number): number {
  let i = from;
  if (words !== undefined) {
    while (i < to && (i & 3) !== 0) {
      if (bytes[i] !== 0) return i;
      i++;
    }
    while (i + 4 <= to && words[i >> 2] === 0) i += 4;
  }
  for (; i < to; i++) if (bytes[i] !== 0) return i;
  return -1;
}

/** Index of the last non-zero byte in [from, to), or -1. */
function lastNonZero(bytes: Uint8Array, words: Uint32Array | undefined, from: number, to: number): number {
  let i = to - 1;
  if (words !== undefined) {
    while (i >= from && ((i + 1) & 3) !== 0) {
      if (bytes[i] !== 0) return i;
      i--;
    }
    while (i - 3 >= from && words[(i - 3) >> 2] === 0) i -= 4;
  }
  for (; i >= from; i--) if (bytes[i] !== 0) return i;
  return -1;
}

/** Id of cell (a, b)'s edge e (0 bottom, 1 right, 2 top, 3 left) in a window pw voxels wide. */
function edgeId(e: number, a: number, b: number, pw: number, vOffset: number): number {
  switch (e) {
    case 0:
      return a + pw * b;
    case 1:
      return vOffset + a + 1 + pw * b;
    case 2:
      return a + pw * (b + 1);
    default:
      return vOffset + a + pw * b;
  }
}
