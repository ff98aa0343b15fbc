/**
 * src/geometry/scanline.ts fillPlane with its PlaneSink, for an occupancy in the kernels' memory (the
 * slab model's rasterisation of a structure for its DVH: src/geometry/scanline-wasm.ts). Why here: a
 * BODY's planes are the first large loop of a fresh `lattice evaluate`, and V8 ran the JavaScript
 * unoptimised for most of them; WebAssembly is compiled before it runs.
 *
 * The arithmetic is scanline.ts's, operation for operation, in float64 (the occupancy in float32, as
 * the Float32Array there rounds): the edge table with its half-open sub-row rule, the counting sort by
 * first sub-row, the insertion sort of crossings, the exact coverage along each sub-row and the
 * sink's capped sum over layers. So the occupancy is the JavaScript's to the bit
 * (test/geometry/scanline-wasm.test.ts). Positions stay float64 until they are clamped, as there.
 *
 * Memory (byte offsets, laid out by the caller): the occupancy (float32); the plane's contours as
 * interleaved (u, v) float64 and their point counts (int32); the layers' w (int32) and weights
 * (float64); the scratch (setScanlineScratch).
 */

// scratch, as scanline.ts's ScanlineScratch
let ex0: usize = 0, ey0: usize = 0, eSlope: usize = 0, xs: usize = 0;
let eFirst: usize = 0, eLast: usize = 0, order: usize = 0, active: usize = 0;
let accAt: usize = 0, diffAt: usize = 0, rowFraction: usize = 0, bucketStart: usize = 0;

/** Scratch for planes of at most maxEdges edges on a grid nu pixels wide with at most maxRows sub-rows, from `at`; returns its end. */
export function setScanlineScratch(at: usize, maxEdges: i32, nu: i32, maxRows: i32): usize {
  const e = <usize>maxEdges;
  ex0 = at;
  ey0 = ex0 + (e << 3);
  eSlope = ey0 + (e << 3);
  xs = eSlope + (e << 3);
  accAt = xs + (e << 3);
  diffAt = accAt + (<usize>(nu + 1) << 3);
  rowFraction = diffAt + (<usize>(nu + 2) << 3);
  eFirst = rowFraction + (<usize>(nu + 1) << 3);
  eLast = eFirst + (e << 2);
  order = eLast + (e << 2);
  active = order + (e << 2);
  bucketStart = active + (e << 2);
  return bucketStart + (<usize>(maxRows + 1) << 2);
}

@inline function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function setF64(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}
@inline function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function setI32(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

/** scanline.ts yOf: sub-row r samples the line v = vBase + (r + 0.5) / n. */
@inline function yOf(vBase: f64, invN: f64, r: f64): f64 {
  return vBase + (r + 0.5) * invN;
}

/**
 * fillPlane of one plane (nContours contours: points at uv, counts at counts) on a grid nu x nv with n
 * sub-rows per row, into the occupancy at occ (voxel (iu, iv, w) at iu su + iv sv + w sw) over the
 * nLayers layers at layerW / layerWeight. Returns 0 when the plane's box misses the grid, else 1.
 */
export function fillPlaneInto(
  uv: usize, counts: usize, nContours: i32, nu: i32, nv: i32, n: i32,
  occ: usize, su: i32, sv: i32, sw: i32, layerW: usize, layerWeight: usize, nLayers: i32,
): i32 {
  const invN = 1 / <f64>n;
  // planeBounds
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  let p: usize = uv;
  for (let c = 0; c < nContours; c++) {
    const m = i32At(counts, c);
    for (let i = 0; i < m; i++, p += 16) {
      const u = load<f64>(p), v = load<f64>(p, 8);
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
  }
  const iu0f = Math.max(0, Math.floor(minU - 0.5) + 1);
  const iu1f = Math.min(<f64>(nu - 1), Math.ceil(maxU + 0.5) - 1);
  const iv0f = Math.max(0, Math.floor(minV - 0.5) + 1);
  const iv1f = Math.min(<f64>(nv - 1), Math.ceil(maxV + 0.5) - 1);
  if (iu1f < iu0f || iv1f < iv0f) return 0;
  const iu0 = <i32>iu0f, iv0 = <i32>iv0f;
  const bw = <i32>iu1f - iu0 + 1;
  const rows = (<i32>iv1f - iv0 + 1) * n;
  const uBase = <f64>iu0 - 0.5;
  const vBase = <f64>iv0 - 0.5;
  const rowsF = <f64>rows;
  const nF = <f64>n;

  // Edge table: an edge covers the sub-rows with ymin <= y < ymax (half-open: a vertex counts once).
  let nEdges = 0;
  let first: usize = uv;
  for (let c = 0; c < nContours; c++) {
    const m = i32At(counts, c);
    for (let i = 0; i < m; i++) {
      const j = i + 1 == m ? 0 : i + 1;
      let xa = load<f64>(first + (<usize>i << 4)), ya = load<f64>(first + (<usize>i << 4), 8);
      let xb = load<f64>(first + (<usize>j << 4)), yb = load<f64>(first + (<usize>j << 4), 8);
      if (ya == yb) continue;
      if (ya > yb) {
        const tx = xa; xa = xb; xb = tx;
        const ty = ya; ya = yb; yb = ty;
      }
      let rf = Math.ceil((ya - vBase) * nF - 0.5);
      while (rf > 0 && yOf(vBase, invN, rf - 1) >= ya) rf--;
      while (yOf(vBase, invN, rf) < ya) rf++;
      let rl = Math.ceil((yb - vBase) * nF - 0.5) - 1;
      while (yOf(vBase, invN, rl + 1) < yb) rl++;
      while (rl >= rf && yOf(vBase, invN, rl) >= yb) rl--;
      if (rf < 0) rf = 0;
      if (rl > rowsF - 1) rl = rowsF - 1;
      if (rl < rf) continue;
      setF64(ex0, nEdges, xa);
      setF64(ey0, nEdges, ya);
      setF64(eSlope, nEdges, (xb - xa) / (yb - ya));
      setI32(eFirst, nEdges, <i32>rf);
      setI32(eLast, nEdges, <i32>rl);
      nEdges++;
    }
    first += <usize>m << 4;
  }
  if (nEdges == 0) return 1;
  // Bucket the edges by first sub-row (counting sort).
  for (let r = 0; r <= rows; r++) setI32(bucketStart, r, 0);
  for (let e = 0; e < nEdges; e++) {
    const b = i32At(eFirst, e) + 1;
    setI32(bucketStart, b, i32At(bucketStart, b) + 1);
  }
  for (let r = 0; r < rows; r++) setI32(bucketStart, r + 1, i32At(bucketStart, r + 1) + i32At(bucketStart, r));
  for (let e = 0; e < nEdges; e++) {
    const b = i32At(eFirst, e);
    const at = i32At(bucketStart, b);
    setI32(order, at, e);
    setI32(bucketStart, b, at + 1);
  }
  // bucketStart[r] is now the end of bucket r; bucket r starts at the end of bucket r - 1.

  let nActive = 0;
  let next = 0; // next entry of `order` to activate
  for (let c = 0; c <= bw; c++) setF64(accAt, c, 0);
  for (let c = 0; c <= bw + 1; c++) setF64(diffAt, c, 0);
  const bwF = <f64>bw;
  for (let r = 0; r < rows; r++) {
    const end = i32At(bucketStart, r);
    while (next < end) setI32(active, nActive++, i32At(order, next++));
    // Drop finished edges; collect crossings.
    const y = yOf(vBase, invN, <f64>r);
    let nx2 = 0;
    let keep = 0;
    for (let q = 0; q < nActive; q++) {
      const e = i32At(active, q);
      if (i32At(eLast, e) < r) continue;
      setI32(active, keep++, e);
      // Insertion sort into xs as we go.
      const x = f64At(ex0, e) + (y - f64At(ey0, e)) * f64At(eSlope, e);
      let t = nx2++;
      while (t > 0 && f64At(xs, t - 1) > x) {
        setF64(xs, t, f64At(xs, t - 1));
        t--;
      }
      setF64(xs, t, x);
    }
    nActive = keep;
    // Even-odd: intervals [xs[0], xs[1]], [xs[2], xs[3]], ... added exactly along the row.
    for (let q = 0; q + 1 < nx2; q += 2) {
      let lo = f64At(xs, q) - uBase;
      let hi = f64At(xs, q + 1) - uBase;
      if (lo < 0) lo = 0;
      if (hi > bwF) hi = bwF;
      if (hi <= lo) continue;
      const clF = Math.floor(lo);
      const chF = Math.floor(hi);
      const cl = <i32>clF, ch = <i32>chF;
      if (cl == ch) {
        setF64(accAt, cl, f64At(accAt, cl) + (hi - lo));
      } else {
        setF64(accAt, cl, f64At(accAt, cl) + (clF + 1 - lo));
        if (ch < bw) setF64(accAt, ch, f64At(accAt, ch) + (hi - chF));
        setF64(diffAt, cl + 1, f64At(diffAt, cl + 1) + 1);
        setF64(diffAt, ch, f64At(diffAt, ch) - 1);
      }
    }
    // End of a pixel row: turn the n sub-rows into fractions, into the sink.
    if ((r + 1) % n == 0) {
      let running: f64 = 0;
      for (let c = 0; c < bw; c++) {
        running += f64At(diffAt, c);
        setF64(rowFraction, c, (f64At(accAt, c) + running) * invN);
        setF64(accAt, c, 0);
        setF64(diffAt, c, 0);
      }
      setF64(diffAt, bw, 0);
      setF64(diffAt, bw + 1, 0);
      const iv = iv0 + (r + 1) / n - 1;
      for (let c = 0; c < bw; c++) {
        const f = f64At(rowFraction, c);
        if (f <= 0) continue;
        const base = (iu0 + c) * su + iv * sv;
        for (let s = 0; s < nLayers; s++) {
          const at = occ + (<usize>(base + i32At(layerW, s) * sw) << 2);
          const v = <f64>load<f32>(at) + f * f64At(layerWeight, s);
          store<f32>(at, <f32>(v > 1 ? 1 : v));
        }
      }
    }
  }
  return 1;
}
