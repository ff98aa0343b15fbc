/**
 * Exact in-plane fill of one contour plane: the fraction of each pixel of a plane's grid inside the
 * plane's contours (EVEN-ODD rule over all contours of the plane).
 *
 * Input: the plane's contours as interleaved (u, v) CONTINUOUS INDICES of the grid's two in-plane
 * axes (pixel (iu, iv) spans [iu - 0.5, iu + 0.5] x [iv - 0.5, iv + 0.5]), the grid's in-plane size
 * and n sub-rows per pixel row. Output: one call of `sink.row(iv, iu0, width, fractions)` per pixel
 * row that the plane's bounding box covers; fractions[c] is the covered fraction of pixel (iu0 + c, iv).
 *
 * The fill is a scan-line algorithm: each pixel row is cut into n sub-rows (sample lines through
 * the sub-row centres); on each sub-row the edge crossings are sorted and the covered intervals are
 * added to the pixels EXACTLY along the row: the limit of n x n supersampling as the in-row count goes
 * to infinity. Area error per plane is at most 2 (spacing / n) times the structure's width (in
 * practice far less: errors of opposite sign cancel). Used by rasterize.ts (slab model) and by
 * between-planes.ts (interpolated model), so both see the same planes.
 */

/** A closed contour accepted for filling, in continuous index coordinates of the grid. */
export interface PlaneContour {
  /** Index of the contour in the caller's input array. */
  readonly index: number;
  /** Interleaved (u, v) continuous indices along the two in-plane grid axes. */
  readonly uv: Float64Array;
  /** Mean continuous index along the normal axis. */
  readonly w: number;
  /**
   * The least and greatest u and v of uv, where the caller has them already (rasterize.ts, from its
   * index ranges of the points: the same numbers): planeBounds reads these instead of the points.
   */
  readonly box?: { readonly minU: number; readonly maxU: number; readonly minV: number; readonly maxV: number };
}

export interface Plane {
  /** Position along the normal axis, mm (continuous index times spacing). */
  wMm: number;
  readonly contours: PlaneContour[];
}

/**
 * Where fillPlane puts each pixel row's fractions: each pixel's fraction f, times a layer's weight, is
 * added to the voxel at iu su + iv sv + w sw of occ for each layer w in use, capped at a full voxel.
 * The slab model adds a plane to the voxel layers its slab overlaps (weights: the overlaps, in voxel
 * thicknesses); the interpolated model keeps a plane's own fractions (one layer of weight 1, occ a
 * zeroed plane: f itself, capped at 1). One class for both, an object rather than a callback, so that
 * fillPlane's call of row() sees one shape: a callback per plane, or a second class, made V8 discard
 * fillPlane's optimised code and compile it again (twice in an evaluate that used both models).
 */
export class PlaneSink {
  /** Layer positions along w (voxels) and weights; the first nLayers are in use. */
  readonly layerW: Int32Array;
  readonly layerWeight: Float64Array;
  nLayers = 0;

  constructor(
    public occ: Float32Array,
    private readonly su: number,
    private readonly sv: number,
    private readonly sw: number,
    maxLayers: number,
  ) {
    this.layerW = new Int32Array(maxLayers);
    this.layerWeight = new Float64Array(maxLayers);
  }

  /** fractions[c]: pixel (iu0 + c, iv); the buffer is reused by fillPlane. */
  row(iv: number, iu0: number, bw: number, fractions: Float64Array): void {
    const { occ, su, sv, sw, layerW, layerWeight, nLayers } = this;
    for (let c = 0; c < bw; c++) {
      const f = fractions[c]!;
      if (f <= 0) continue;
      const base = (iu0 + c) * su + iv * sv;
      for (let s = 0; s < nLayers; s++) {
        const idx = base + layerW[s]! * sw;
        const v = occ[idx]! + f * layerWeight[s]!;
        occ[idx] = v > 1 ? 1 : v;
      }
    }
  }
}

/** Scratch buffers for `fillPlane`, sized once for a set of planes. */
export interface ScanlineScratch {
  readonly ex0: Float64Array;
  readonly ey0: Float64Array;
  readonly eSlope: Float64Array;
  readonly eFirst: Int32Array;
  readonly eLast: Int32Array;
  readonly order: Int32Array;
  readonly active: Int32Array;
  readonly xs: Float64Array;
  readonly acc: Float64Array;
  readonly diff: Float64Array;
  readonly rowFraction: Float64Array;
  bucketStart: Int32Array;
}

/** Scratch for planes with at most `maxEdges` edges on a grid `nu` pixels wide. */
export function createScanlineScratch(planes: readonly Plane[], nu: number): ScanlineScratch {
  let maxEdges = 0;
  for (const pl of planes) {
    let e = 0;
    for (const pc of pl.contours) e += pc.uv.length / 2;
    if (e > maxEdges) maxEdges = e;
  }
  return {
    ex0: new Float64Array(maxEdges),
    ey0: new Float64Array(maxEdges),
    eSlope: new Float64Array(maxEdges),
    eFirst: new Int32Array(maxEdges),
    eLast: new Int32Array(maxEdges),
    order: new Int32Array(maxEdges),
    active: new Int32Array(maxEdges),
    xs: new Float64Array(maxEdges),
    acc: new Float64Array(nu + 1),
    diff: new Float64Array(nu + 2),
    rowFraction: new Float64Array(nu + 1),
    bucketStart: new Int32Array(0),
  };
}

/** In-plane bounding box of a plane's contours (continuous indices). */
export function planeBounds(plane: Plane): { minU: number; maxU: number; minV: number; maxV: number } {
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (const pc of plane.contours) {
    const box = pc.box;
    if (box !== undefined) {
      if (box.minU < minU) minU = box.minU;
      if (box.maxU > maxU) maxU = box.maxU;
      if (box.minV < minV) minV = box.minV;
      if (box.maxV > maxV) maxV = box.maxV;
      continue;
    }
    const uv = pc.uv;
    for (let i = 0; i < uv.length; i += 2) {
      const u = uv[i]!;
      const v = uv[i + 1]!;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
  }
  return { minU, maxU, minV, maxV };
}

/** Sub-row r samples the line v = vBase + (r + 0.5) / n (invN = 1 / n); the same expression everywhere. */
const yOf = (vBase: number, invN: number, r: number): number => vBase + (r + 0.5) * invN;

/**
 * A pixel row's fractions from its sub-rows' exact coverage (acc: partial pixels, diff: runs of whole
 * pixels as differences) into rowFraction, acc and diff cleared for the next row. A small function of
 * its own: V8 optimises it quickly, apart from fillPlane.
 */
function rowFractions(acc: Float64Array, diff: Float64Array, rowFraction: Float64Array, bw: number, invN: number): void {
  let running = 0;
  for (let c = 0; c < bw; c++) {
    running += diff[c]!;
    rowFraction[c] = (acc[c]! + running) * invN;
    acc[c] = 0;
    diff[c] = 0;
  }
  diff[bw] = 0;
  diff[bw + 1] = 0;
}

/** Fill one plane (see the header) into sink. Returns false when the plane's box misses the grid. */
export function fillPlane(plane: Plane, nu: number, nv: number, n: number, scratch: ScanlineScratch, sink: PlaneSink): boolean {
  const { ex0, ey0, eSlope, eFirst, eLast, order, active, xs, acc, diff, rowFraction } = scratch;
  const invN = 1 / n;
  const { minU, maxU, minV, maxV } = planeBounds(plane);
  const iu0 = Math.max(0, Math.floor(minU - 0.5) + 1);
  const iu1 = Math.min(nu - 1, Math.ceil(maxU + 0.5) - 1);
  const iv0 = Math.max(0, Math.floor(minV - 0.5) + 1);
  const iv1 = Math.min(nv - 1, Math.ceil(maxV + 0.5) - 1);
  if (iu1 < iu0 || iv1 < iv0) return false;
  const bw = iu1 - iu0 + 1;
  const rows = (iv1 - iv0 + 1) * n;
  const uBase = iu0 - 0.5;
  const vBase = iv0 - 0.5;

  // Edge table: an edge covers the sub-rows with ymin <= y < ymax (half-open: a vertex counts once).
  let nEdges = 0;
  for (const pc of plane.contours) {
    const uv = pc.uv;
    const m = uv.length / 2;
    for (let i = 0; i < m; i++) {
      const j = i + 1 === m ? 0 : i + 1;
      let xa = uv[2 * i]!, ya = uv[2 * i + 1]!, xb = uv[2 * j]!, yb = uv[2 * j + 1]!;
      if (ya === yb) continue;
      if (ya > yb) {
        const tx = xa; xa = xb; xb = tx;
        const ty = ya; ya = yb; yb = ty;
      }
      let rf = Math.ceil((ya - vBase) * n - 0.5);
      while (rf > 0 && yOf(vBase, invN, rf - 1) >= ya) rf--;
      while (yOf(vBase, invN, rf) < ya) rf++;
      let rl = Math.ceil((yb - vBase) * n - 0.5) - 1;
      while (yOf(vBase, invN, rl + 1) < yb) rl++;
      while (rl >= rf && yOf(vBase, invN, rl) >= yb) rl--;
      if (rf < 0) rf = 0;
      if (rl > rows - 1) rl = rows - 1;
      if (rl < rf) continue;
      ex0[nEdges] = xa;
      ey0[nEdges] = ya;
      eSlope[nEdges] = (xb - xa) / (yb - ya);
      eFirst[nEdges] = rf;
      eLast[nEdges] = rl;
      nEdges++;
    }
  }
  if (nEdges === 0) return true;
  // Bucket the edges by first sub-row (counting sort).
  if (scratch.bucketStart.length < rows + 1) scratch.bucketStart = new Int32Array(rows + 1);
  const bucketStart = scratch.bucketStart;
  bucketStart.fill(0, 0, rows + 1);
  for (let e = 0; e < nEdges; e++) bucketStart[eFirst[e]! + 1]!++;
  for (let r = 0; r < rows; r++) bucketStart[r + 1]! += bucketStart[r]!;
  for (let e = 0; e < nEdges; e++) order[bucketStart[eFirst[e]!]!++] = e;
  // bucketStart[r] is now the end of bucket r; bucket r starts at the end of bucket r - 1.

  let nActive = 0;
  let next = 0; // next entry of `order` to activate
  acc.fill(0, 0, bw + 1);
  diff.fill(0, 0, bw + 2);
  for (let r = 0; r < rows; r++) {
    const end = bucketStart[r]!;
    while (next < end) active[nActive++] = order[next++]!;
    // Drop finished edges; collect crossings.
    const y = yOf(vBase, invN, r);
    let nx2 = 0;
    let keep = 0;
    for (let q = 0; q < nActive; q++) {
      const e = active[q]!;
      if (eLast[e]! < r) continue;
      active[keep++] = e;
      // Insertion sort into xs as we go.
      const x = ex0[e]! + (y - ey0[e]!) * eSlope[e]!;
      let t = nx2++;
      while (t > 0 && xs[t - 1]! > x) {
        xs[t] = xs[t - 1]!;
        t--;
      }
      xs[t] = x;
    }
    nActive = keep;
    // Even-odd: intervals [xs[0], xs[1]], [xs[2], xs[3]], ... added exactly along the row.
    for (let q = 0; q + 1 < nx2; q += 2) {
      let lo = xs[q]! - uBase;
      let hi = xs[q + 1]! - uBase;
      if (lo < 0) lo = 0;
      if (hi > bw) hi = bw;
      if (hi <= lo) continue;
      const cl = Math.floor(lo);
      const ch = Math.floor(hi);
      if (cl === ch) {
        acc[cl]! += hi - lo;
      } else {
        acc[cl]! += cl + 1 - lo;
        if (ch < bw) acc[ch]! += hi - ch;
        diff[cl + 1]! += 1;
        diff[ch]! -= 1;
      }
    }
    // End of a pixel row: turn the n sub-rows into fractions.
    if ((r + 1) % n === 0) {
      rowFractions(acc, diff, rowFraction, bw, invN);
      sink.row(iv0 + (r + 1) / n - 1, iu0, bw, rowFraction);
    }
  }
  return true;
}
