/**
 * Passes over a structure's contour points (x, y, z float64, n points at p) for the JavaScript that
 * reads a structure set and samples its structures: case.ts pointsOutside, polygon.ts
 * polygonAreaVector, dvh.ts frameExtents, rasterize.ts's checks, index ranges and projection. Their
 * loops run once per structure, so in a fresh process V8 ran them unoptimised (every number they
 * made a heap object: some 15 MB of garbage on the prostate stand-in's 131 000 coordinates). The
 * arithmetic is the JavaScript's, operation for operation (test/geometry/points-wasm.test.ts holds each
 * to it bit for bit). The caller (src/geometry/points-wasm.ts) copies the points in and lays out the
 * outputs.
 */

/** case.ts pointsOutside: points outside a grid's footprint (b: LPS -> index, 12 float64; half sizes - 0.5), or not finite. */
export function pointsOutside(p: usize, n: i32, b: usize, hx: f64, hy: f64, hz: f64): i32 {
  const eps = 1e-6;
  const b0 = load<f64>(b), b1 = load<f64>(b, 8), b2 = load<f64>(b, 16), b3 = load<f64>(b, 24);
  const b4 = load<f64>(b, 32), b5 = load<f64>(b, 40), b6 = load<f64>(b, 48), b7 = load<f64>(b, 56);
  const b8 = load<f64>(b, 64), b9 = load<f64>(b, 72), b10 = load<f64>(b, 80), b11 = load<f64>(b, 88);
  let outside = 0;
  for (let i = 0; i < n; i++) {
    const at = p + (<usize>i) * 24;
    const x = load<f64>(at), y = load<f64>(at, 8), z = load<f64>(at, 16);
    const ci = b0 * x + b1 * y + b2 * z + b3;
    const cj = b4 * x + b5 * y + b6 * z + b7;
    const ck = b8 * x + b9 * y + b10 * z + b11;
    const beyond = max(max(max(max(max(-0.5 - ci, ci - hx), -0.5 - cj), cj - hy), -0.5 - ck), ck - hz);
    if (!(beyond <= eps)) outside++;
  }
  return outside;
}

/** polygon.ts polygonAreaVector (n >= 3): Newell's sum over the ring, halved, into out (3 float64). */
export function areaVector(p: usize, n: i32, out: usize): void {
  const ox = load<f64>(p), oy = load<f64>(p, 8), oz = load<f64>(p, 16);
  const last = p + (<usize>(n - 1)) * 24;
  let px = load<f64>(last) - ox, py = load<f64>(last, 8) - oy, pz = load<f64>(last, 16) - oz;
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = p + (<usize>i) * 24;
    const x = load<f64>(at) - ox, y = load<f64>(at, 8) - oy, z = load<f64>(at, 16) - oz;
    s0 += py * z - pz * y;
    s1 += pz * x - px * z;
    s2 += px * y - py * x;
    px = x;
    py = y;
    pz = z;
  }
  store<f64>(out, s0 / 2);
  store<f64>(out, s1 / 2, 8);
  store<f64>(out, s2 / 2, 16);
}

/** dvh.ts frameExtents: widens box (u min, u max, v min, v max; 4 float64) by the points in the frame e (e0, e1, e2: 9 float64); returns their mean w. */
export function frameExtents(p: usize, n: i32, e: usize, box: usize): f64 {
  const e00 = load<f64>(e), e01 = load<f64>(e, 8), e02 = load<f64>(e, 16);
  const e10 = load<f64>(e, 24), e11 = load<f64>(e, 32), e12 = load<f64>(e, 40);
  const e20 = load<f64>(e, 48), e21 = load<f64>(e, 56), e22 = load<f64>(e, 64);
  let u0 = load<f64>(box), u1 = load<f64>(box, 8), v0 = load<f64>(box, 16), v1 = load<f64>(box, 24);
  let wSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = p + (<usize>i) * 24;
    const x = load<f64>(at), y = load<f64>(at, 8), z = load<f64>(at, 16);
    const u = e00 * x + e01 * y + e02 * z;
    const v = e10 * x + e11 * y + e12 * z;
    wSum += e20 * x + e21 * y + e22 * z;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  }
  store<f64>(box, u0);
  store<f64>(box, u1, 8);
  store<f64>(box, v0, 16);
  store<f64>(box, v1, 24);
  return wSum / <f64>n;
}

/**
 * rasterize.ts's check and index ranges: the first of the 3 n coordinates that is not finite (-1: none),
 * and per index axis of the affine a (LPS -> index, 12 float64) the least and greatest index of the
 * points into out (6 float64: lo, hi per axis).
 */
export function indexRanges(p: usize, n: i32, a: usize, out: usize): i32 {
  for (let i = 0; i < 3 * n; i++) {
    const x = load<f64>(p + (<usize>i << 3));
    if (!(x - x == 0)) return i;
  }
  for (let axis = 0; axis < 3; axis++) {
    const r = a + (<usize>axis << 5);
    const a0 = load<f64>(r), a1 = load<f64>(r, 8), a2 = load<f64>(r, 16), a3 = load<f64>(r, 24);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const at = p + (<usize>i) * 24;
      const q = a0 * load<f64>(at) + a1 * load<f64>(at, 8) + a2 * load<f64>(at, 16) + a3;
      if (q < lo) lo = q;
      if (q > hi) hi = q;
    }
    store<f64>(out + (<usize>axis << 4), lo);
    store<f64>(out + (<usize>axis << 4), hi, 8);
  }
  return -1;
}

/** rasterize.ts projectContour: the points as (u, v) indices of the affine a's rows into uv (2 n float64); returns their mean w index. */
export function project(p: usize, n: i32, a: usize, uAxis: i32, vAxis: i32, wAxis: i32, uv: usize): f64 {
  const ru = a + (<usize>uAxis << 5), rv = a + (<usize>vAxis << 5), rw = a + (<usize>wAxis << 5);
  const u0 = load<f64>(ru), u1 = load<f64>(ru, 8), u2 = load<f64>(ru, 16), u3 = load<f64>(ru, 24);
  const v0 = load<f64>(rv), v1 = load<f64>(rv, 8), v2 = load<f64>(rv, 16), v3 = load<f64>(rv, 24);
  const w0 = load<f64>(rw), w1 = load<f64>(rw, 8), w2 = load<f64>(rw, 16), w3 = load<f64>(rw, 24);
  let wSum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const at = p + (<usize>i) * 24;
    const x = load<f64>(at), y = load<f64>(at, 8), z = load<f64>(at, 16);
    const o = uv + (<usize>i << 4);
    store<f64>(o, u0 * x + u1 * y + u2 * z + u3);
    store<f64>(o, v0 * x + v1 * y + v2 * z + v3, 8);
    wSum += w0 * x + w1 * y + w2 * z + w3;
  }
  return wSum / <f64>n;
}
