/**
 * src/geometry/between-planes.ts fillBetweenPlanes's per-pixel work (the interpolated model between
 * contour planes) for an occupancy in the kernels' memory: a plane's classes and line families, the
 * line fields, and the interval and cap loops with their Hermite and cap samples
 * (src/geometry/between-planes-wasm.ts drives it). Why here: a small structure's fill is the first large
 * loop of a fresh `lattice evaluate` on the calling thread, and V8 ran the JavaScript unoptimised for
 * most of it (a GTV of 150 000 sampling points: 0.14 s against 0.02 s once optimised); WebAssembly is
 * compiled before it runs.
 *
 * The arithmetic is between-planes.ts's, operation for operation, in float64 (float32 where the
 * JavaScript stores into a Float32Array): x ** 2 is x * x there too (V8's pow returns x * x for y = 2,
 * as fdlibm does), the crossings of a line are sorted ascending as Float64Array.prototype.sort does,
 * and NaN marks a line without a field as there. So the occupancy is the JavaScript's to the bit
 * (test/geometry/between-planes-wasm.test.ts).
 *
 * Memory (byte offsets, laid out by the caller): the occupancy (float32, voxel (iu, iv, w) at
 * iu su + iv sv + w sw); per plane a slot (bpSlotBytes: its exact fill, classes, fields, line
 * families, edges and contours); the scratch (bpScratchBytes: classify's and dilate's bytes, the
 * sorted crossings of a normal line, the current pixel's coefficients, a segment's samples).
 */

const FAMILIES = 2;
const CLOSING_SLACK: f64 = 0.01;

// grid
let nu: i32 = 0, nv: i32 = 0, nPix: i32 = 0, su: i32 = 0, sv: i32 = 0;
let hu: f64 = 0, hv: f64 = 0, ramp: f64 = 0, wK: f64 = 0, planeSpacingMm: f64 = 0;
let occ: usize = 0;
let maxPoints: i32 = 0, maxContours: i32 = 0, maxCross: i32 = 0;
// scratch
let codeAt: usize = 0, mnAt: usize = 0, mxAt: usize = 0;
let srcAt: usize = 0, rowPassAt: usize = 0, candAt: usize = 0;
let tsAt: usize = 0, fillAt: usize = 0;
// the current pixel's coefficients per family (Filler's arrays)
let y1At: usize = 0, y2At: usize = 0, m1At: usize = 0, m2At: usize = 0;
let caAt: usize = 0, cbAt: usize = 0, cm1At: usize = 0, cm2At: usize = 0;
let haAt: usize = 0, c2aAt: usize = 0;
let use0: i32 = 0, use1: i32 = 0;
// a segment's samples: w offsets (int32), then six float64 arrays
let kOffAt: usize = 0, sAAt: usize = 0, sBAt: usize = 0, sCAt: usize = 0, sDAt: usize = 0, sEAt: usize = 0;

@inline function a8(n: usize): usize {
  return (n + 7) & ~(<usize>7);
}
@inline function f64At(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}
@inline function setF64(base: usize, i: i32, v: f64): void {
  store<f64>(base + (<usize>i << 3), v);
}
@inline function f32At(base: usize, i: i32): f64 {
  return <f64>load<f32>(base + (<usize>i << 2));
}
@inline function setF32(base: usize, i: i32, v: f64): void {
  store<f32>(base + (<usize>i << 2), <f32>v);
}
@inline function i32At(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}
@inline function setI32(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}
@inline function u8At(base: usize, i: i32): i32 {
  return <i32>load<u8>(base + <usize>i);
}
@inline function setU8(base: usize, i: i32, v: i32): void {
  store<u8>(base + <usize>i, <u8>v);
}

// A plane's slot: a header of int32 (its contour count, point count, and the crossings of each
// family), then its arrays at fixed offsets from the slot (bpSetGrid computes them).
const HEADER: usize = 16;
let oFrac: usize = 0, oCls: usize = 0, oH: usize = 0, oC2: usize = 0, oDone: usize = 0, oHN: usize = 0, oC2N: usize = 0;
let oStart0: usize = 0, oStart1: usize = 0, oCross: usize = 0, oEdges: usize = 0, oUv: usize = 0, oCounts: usize = 0;
let slotBytes: usize = 0;

/**
 * The grid (nu x nv pixels of hu x hv mm, occupancy strides su, sv), the pixel ramp, a sample's
 * weight, the contour-plane spacing; the occupancy at occAt; planes of at most mp points and mc
 * contours whose two line families have at most mx crossings together. Returns a slot's size.
 */
export function bpSetGrid(
  gnu: i32, gnv: i32, gsu: i32, gsv: i32, ghu: f64, ghv: f64, gramp: f64, gwK: f64, gs: f64, occAt: usize, mp: i32, mc: i32, mx: i32,
): usize {
  nu = gnu;
  nv = gnv;
  nPix = gnu * gnv;
  su = gsu;
  sv = gsv;
  hu = ghu;
  hv = ghv;
  ramp = gramp;
  wK = gwK;
  planeSpacingMm = gs;
  occ = occAt;
  maxPoints = mp;
  maxContours = mc;
  maxCross = mx;
  const n = <usize>nPix;
  oFrac = HEADER;
  oH = a8(oFrac + 4 * n);
  oC2 = oH + 8 * n;
  oHN = oC2 + 8 * n;
  oC2N = oHN + 4 * n;
  oStart0 = oC2N + 4 * n;
  oStart1 = oStart0 + 4 * <usize>(nv + 1);
  oCross = a8(oStart1 + 4 * <usize>(nu + 1));
  oEdges = oCross + 8 * <usize>mx;
  oUv = oEdges + 32 * <usize>mp;
  oCounts = oUv + 16 * <usize>mp;
  oCls = oCounts + 4 * <usize>mc;
  oDone = oCls + n;
  slotBytes = a8(oDone + n);
  return slotBytes;
}

/** The scratch's size (bpSetGrid first) for segments of at most ns samples. */
export function bpScratchBytes(ns: i32): usize {
  const n = <usize>nPix;
  return a8(6 * n) + 8 * <usize>maxPoints + 8 * 24 + a8(4 * <usize>(max(nu, nv) + 1)) + a8(4 * <usize>ns) + 48 * <usize>ns;
}

/** The scratch at `at` for segments of at most ns samples (bpSetGrid first). Returns the samples' address (kOff, then uS / xs, B00, B10, B01, B11). */
export function bpSetScratch(at: usize, ns: i32): usize {
  const n = <usize>nPix;
  codeAt = at;
  mnAt = codeAt + n;
  mxAt = mnAt + n;
  srcAt = mxAt + n;
  rowPassAt = srcAt + n;
  candAt = rowPassAt + n;
  tsAt = a8(candAt + n);
  y1At = tsAt + 8 * <usize>maxPoints;
  y2At = y1At + 16;
  m1At = y2At + 16;
  m2At = m1At + 16;
  caAt = m2At + 16;
  cbAt = caAt + 16;
  cm1At = cbAt + 16;
  cm2At = cm1At + 16;
  haAt = cm2At + 16;
  c2aAt = haAt + 48;
  fillAt = c2aAt + 48;
  kOffAt = a8(fillAt + 4 * <usize>(max(nu, nv) + 1));
  sAAt = a8(kOffAt + 4 * <usize>ns);
  sBAt = sAAt + 8 * <usize>ns;
  sCAt = sBAt + 8 * <usize>ns;
  sDAt = sCAt + 8 * <usize>ns;
  sEAt = sDAt + 8 * <usize>ns;
  return kOffAt;
}

/** Where a slot's exact fill (float32, nPix), contours' points ((u, v) float64) and point counts (int32) go. */
export function bpFracOffset(): usize { return oFrac; }
export function bpUvOffset(): usize { return oUv; }
export function bpCountsOffset(): usize { return oCounts; }

/**
 * between-planes.ts visitCrossings: crossings of the plane's edges with lines key = a u + b v
 * (integer keys keyMin..keyMax), counted into start[line + 1] (count) or written at fill's positions.
 */
function visitCrossings(slot: usize, a: f64, b: f64, useU: bool, keyMax: i32, start: usize, cross: usize, fill: usize, count: bool): void {
  const nContours = load<i32>(slot);
  let p = slot + oUv;
  const counts = slot + oCounts;
  const keyMin: f64 = 0;
  for (let c = 0; c < nContours; c++) {
    const m = i32At(counts, c);
    for (let i = 0; i < m; i++) {
      const j = i + 1 == m ? 0 : i + 1;
      const u0 = f64At(p, 2 * i), v0 = f64At(p, 2 * i + 1), u1 = f64At(p, 2 * j), v1 = f64At(p, 2 * j + 1);
      const g0 = a * u0 + b * v0, g1 = a * u1 + b * v1;
      if (g0 == g1) continue;
      const lo = Math.min(g0, g1), hi = Math.max(g0, g1);
      let k = Math.max(keyMin, Math.ceil(lo));
      const kEnd = Math.min(<f64>keyMax, Math.ceil(hi) - 1);
      for (; k <= kEnd; k++) {
        if (k < lo || k >= hi) continue;
        const line = <i32>(k - keyMin);
        if (count) {
          setI32(start, line + 1, i32At(start, line + 1) + 1);
          continue;
        }
        const t = (k - g0) / (g1 - g0);
        const at = i32At(fill, line);
        setI32(fill, line, at + 1);
        setF64(cross, at, useU ? u0 + t * (u1 - u0) : v0 + t * (v1 - v0));
      }
    }
    p += 16 * <usize>m;
  }
}

/** Whether x sorts after y in Float64Array.prototype.sort's order (no NaN here): greater, or +0 after -0. */
@inline function after(x: f64, y: f64): bool {
  return x > y || (x == 0 && y == 0 && reinterpret<i64>(x) == 0 && reinterpret<i64>(y) != 0);
}

/** between-planes.ts lineFamily into start (nLines + 1 int32) and cross (from crossAt); returns the crossings' count. */
function lineFamily(slot: usize, a: f64, b: f64, useU: bool, keyMax: i32, start: usize, cross: usize): i32 {
  const nLines = keyMax + 1;
  for (let l = 0; l <= nLines; l++) setI32(start, l, 0);
  visitCrossings(slot, a, b, useU, keyMax, start, 0, 0, true);
  for (let l = 0; l < nLines; l++) setI32(start, l + 1, i32At(start, l + 1) + i32At(start, l));
  const fill = fillAt;
  for (let l = 0; l < nLines; l++) setI32(fill, l, i32At(start, l));
  visitCrossings(slot, a, b, useU, keyMax, start, cross, fill, false);
  for (let l = 0; l < nLines; l++) {
    const s = i32At(start, l), e = i32At(start, l + 1);
    // insertion sort, ascending as Float64Array.prototype.sort (-0 before +0)
    for (let x = s + 1; x < e; x++) {
      const v = f64At(cross, x);
      let y = x - 1;
      while (y >= s && after(f64At(cross, y), v)) {
        setF64(cross, y + 1, f64At(cross, y));
        y--;
      }
      setF64(cross, y + 1, v);
    }
  }
  return i32At(start, nLines);
}

/** between-planes.ts classify of the slot's exact fill into its classes. */
function classify(slot: usize): void {
  const frac = slot + oFrac, cls = slot + oCls;
  const n = nPix;
  for (let i = 0; i < n; i++) {
    const f = f32At(frac, i);
    setU8(codeAt, i, f <= 0 ? 0 : f >= 1 - 1e-6 ? 2 : 1);
  }
  for (let iv = 0; iv < nv; iv++) {
    for (let iu = 0; iu < nu; iu++) {
      const i = iu + nu * iv;
      let a = u8At(codeAt, i), b = u8At(codeAt, i);
      if (iu > 0) {
        a = min(a, u8At(codeAt, i - 1));
        b = max(b, u8At(codeAt, i - 1));
      } else a = 0;
      if (iu + 1 < nu) {
        a = min(a, u8At(codeAt, i + 1));
        b = max(b, u8At(codeAt, i + 1));
      } else a = 0;
      setU8(mnAt, i, a);
      setU8(mxAt, i, b);
    }
  }
  for (let iv = 0; iv < nv; iv++) {
    for (let iu = 0; iu < nu; iu++) {
      const i = iu + nu * iv;
      let a = u8At(mnAt, i), b = u8At(mxAt, i);
      if (iv > 0) {
        a = min(a, u8At(mnAt, i - nu));
        b = max(b, u8At(mxAt, i - nu));
      } else a = 0;
      if (iv + 1 < nv) {
        a = min(a, u8At(mnAt, i + nu));
        b = max(b, u8At(mxAt, i + nu));
      } else a = 0;
      setU8(cls, i, b == 0 ? 0 : a == 2 ? 2 : 1);
    }
  }
}

/**
 * A plane's data in its slot, from its contours (nContours contours of nPoints points at the slot's
 * bpUvOffset, counts at bpCountsOffset) and exact fill (at bpFracOffset): classes, both line families,
 * no fields yet, its edges in mm (between-planes.ts planeData and normalField's edges).
 */
export function bpPreparePlane(slot: usize, nContours: i32, nPoints: i32): void {
  store<i32>(slot, nContours);
  store<i32>(slot, nPoints, 4);
  classify(slot);
  const n0 = lineFamily(slot, 0, 1, true, nv - 1, slot + oStart0, slot + oCross); // rows: key v, parameter u
  store<i32>(slot, n0, 8);
  lineFamily(slot, 1, 0, false, nu - 1, slot + oStart1, slot + oCross + 8 * <usize>n0); // columns: key u, parameter v
  const done = slot + oDone, hN = slot + oHN;
  for (let i = 0; i < nPix; i++) {
    setU8(done, i, 0);
    setF32(hN, i, NaN);
  }
  // edges: x0, y0, x1, y1 per edge (mm)
  const counts = slot + oCounts, ed = slot + oEdges;
  let p = slot + oUv;
  let e = 0;
  for (let c = 0; c < nContours; c++) {
    const m = i32At(counts, c);
    for (let a2 = 0; a2 < m; a2++) {
      const b2 = a2 + 1 == m ? 0 : a2 + 1;
      setF64(ed, e, f64At(p, 2 * a2) * hu);
      setF64(ed, e + 1, f64At(p, 2 * a2 + 1) * hv);
      setF64(ed, e + 2, f64At(p, 2 * b2) * hu);
      setF64(ed, e + 3, f64At(p, 2 * b2 + 1) * hv);
      e += 4;
    }
    p += 16 * <usize>m;
  }
}

/** between-planes.ts fields: the line fields of pixel i on the slot's plane (cached). */
function fields(slot: usize, i: i32): void {
  const done = slot + oDone;
  if (u8At(done, i) == 1) return;
  setU8(done, i, 1);
  const iu = i % nu, iv = (i - iu) / nu;
  for (let f = 0; f < FAMILIES; f++) {
    const start = f == 0 ? slot + oStart0 : slot + oStart1;
    const cr = f == 0 ? slot + oCross : slot + oCross + 8 * <usize>load<i32>(slot, 8);
    const key = f == 0 ? iv : iu;
    const t = <f64>(f == 0 ? iu : iv);
    const s0 = i32At(start, key), e0 = i32At(start, key + 1);
    const at = f * nPix + i;
    const hs = slot + oH, c2s = slot + oC2;
    if (e0 - s0 < 2) {
      setF32(hs, at, NaN);
      continue;
    }
    let lo = s0, hi = e0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f64At(cr, mid) < t) lo = mid + 1;
      else hi = mid;
    }
    const k = lo - s0;
    const mm = f == 0 ? hu : hv;
    if (k % 2 == 1) {
      const a = (t - f64At(cr, lo - 1)) * mm, b = (f64At(cr, lo) - t) * mm;
      setF32(hs, at, a * b);
      const c = (a + b) / 2;
      setF32(c2s, at, c * c);
    } else {
      let best = -Infinity, c2: f64 = 0;
      if (k >= 2) {
        const a = (t - f64At(cr, lo - 1)) * mm, b = (t - f64At(cr, lo - 2)) * mm;
        best = -a * b;
        const c = (b - a) / 2;
        c2 = c * c;
      }
      if (lo + 1 < e0) {
        const a = (f64At(cr, lo) - t) * mm, b = (f64At(cr, lo + 1) - t) * mm;
        if (-a * b > best) {
          best = -a * b;
          const c = (b - a) / 2;
          c2 = c * c;
        }
      }
      setF32(hs, at, best);
      setF32(c2s, at, c2);
    }
  }
}

/** between-planes.ts normalField: the field of the line from pixel i through the slot's plane's nearest boundary point. */
function normalField(slot: usize, i: i32): void {
  const hN = slot + oHN, c2N = slot + oC2N;
  if (!isNaN(f32At(hN, i))) return;
  const ed = slot + oEdges;
  const nEd = 4 * load<i32>(slot, 4);
  const iu = i % nu, iv = (i - iu) / nu;
  const px = <f64>iu * hu, py = <f64>iv * hv;
  let best = Infinity, qx = px, qy = py;
  for (let e = 0; e < nEd; e += 4) {
    const x0 = f64At(ed, e), y0 = f64At(ed, e + 1), dx = f64At(ed, e + 2) - x0, dy = f64At(ed, e + 3) - y0;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
    if (t < 0) t = 0;
    else if (t > 1) t = 1;
    const cx = x0 + t * dx, cy = y0 + t * dy;
    const ex = cx - px, ey = cy - py;
    const d2 = ex * ex + ey * ey;
    if (d2 < best) {
      best = d2;
      qx = cx;
      qy = cy;
    }
  }
  const dist = Math.sqrt(best);
  if (!(dist > 0) || nEd == 0) {
    setF32(hN, i, 0);
    setF32(c2N, i, 0);
    return;
  }
  const tx = (qx - px) / dist, ty = (qy - py) / dist;
  const nx2 = -ty, ny2 = tx;
  const g0 = nx2 * px + ny2 * py;
  let nts = 0;
  for (let e = 0; e < nEd; e += 4) {
    const ga = nx2 * f64At(ed, e) + ny2 * f64At(ed, e + 1), gb = nx2 * f64At(ed, e + 2) + ny2 * f64At(ed, e + 3);
    if (ga == gb || g0 < Math.min(ga, gb) || g0 >= Math.max(ga, gb)) continue;
    const f = (g0 - ga) / (gb - ga);
    const x = f64At(ed, e) + f * (f64At(ed, e + 2) - f64At(ed, e)), y = f64At(ed, e + 1) + f * (f64At(ed, e + 3) - f64At(ed, e + 1));
    const v = tx * (x - px) + ty * (y - py);
    // insertion into the sorted list (ascending; equal values keep their order, as a stable sort does)
    let y2 = nts - 1;
    while (y2 >= 0 && f64At(tsAt, y2) > v) {
      setF64(tsAt, y2 + 1, f64At(tsAt, y2));
      y2--;
    }
    setF64(tsAt, y2 + 1, v);
    nts++;
  }
  let k = 0;
  while (k < nts && f64At(tsAt, k) < 0) k++;
  if (k % 2 == 1 && k < nts) {
    const a2 = -f64At(tsAt, k - 1), b2 = f64At(tsAt, k);
    setF32(hN, i, a2 * b2);
    const c = (a2 + b2) / 2;
    setF32(c2N, i, c * c);
    return;
  }
  let h = -Infinity, c2: f64 = 0;
  if (k >= 2) {
    const a2 = -f64At(tsAt, k - 1), b2 = -f64At(tsAt, k - 2);
    h = -a2 * b2;
    const c = (b2 - a2) / 2;
    c2 = c * c;
  }
  if (k + 1 < nts && -f64At(tsAt, k) * f64At(tsAt, k + 1) > h) {
    h = -f64At(tsAt, k) * f64At(tsAt, k + 1);
    const c = (f64At(tsAt, k + 1) - f64At(tsAt, k)) / 2;
    c2 = c * c;
  }
  setF32(hN, i, isFinite(h) ? h : -best);
  setF32(c2N, i, c2);
}

@inline function quadSlope(x0: f64, y0: f64, x1: f64, y1: f64, x2: f64, y2: f64, x: f64): f64 {
  return (
    (y0 * (2 * x - x1 - x2)) / ((x0 - x1) * (x0 - x2)) +
    (y1 * (2 * x - x0 - x2)) / ((x1 - x0) * (x1 - x2)) +
    (y2 * (2 * x - x0 - x1)) / ((x2 - x0) * (x2 - x1))
  );
}

@inline function quadValue(x0: f64, y0: f64, x1: f64, y1: f64, x2: f64, y2: f64, x: f64): f64 {
  return (
    (y0 * (x - x1) * (x - x2)) / ((x0 - x1) * (x0 - x2)) +
    (y1 * (x - x0) * (x - x2)) / ((x1 - x0) * (x1 - x2)) +
    (y2 * (x - x0) * (x - x1)) / ((x2 - x0) * (x2 - x1))
  );
}

function firstPositiveRoot(a0: f64, a1: f64, a2: f64): f64 {
  if (a2 == 0) return a1 < 0 ? -a0 / a1 : Infinity;
  const disc = a1 * a1 - 4 * a2 * a0;
  if (disc < 0) return Infinity;
  const q = -0.5 * (a1 + (a1 >= 0 ? 1.0 : -1.0) * Math.sqrt(disc));
  const r1 = q / a2, r2 = q != 0 ? a0 / q : Infinity;
  let best = Infinity;
  if (r1 > 0 && r1 < best) best = r1;
  if (r2 > 0 && r2 < best) best = r2;
  return best;
}

@inline function lineDistance(h: f64, c2: f64): f64 {
  const c = Math.sqrt(c2 > 0 ? c2 : 0);
  const r = c * c - h;
  return c - Math.sqrt(r > 0 ? r : 0);
}

function rampFraction2(useA: i32, hA: f64, cA: f64, useB: i32, hB: f64, cB: f64): f64 {
  if (useA == 0 && useB == 0) return 0;
  let inside = true, dIn = Infinity, dOut = -Infinity;
  if (useA != 0) {
    const d = lineDistance(hA, cA);
    if (hA > 0) dIn = d;
    else {
      inside = false;
      dOut = d;
    }
  }
  if (useB != 0) {
    const d = lineDistance(hB, cB);
    if (hB > 0) {
      if (d < dIn) dIn = d;
    } else {
      inside = false;
      if (d > dOut) dOut = d;
    }
  }
  const f = 0.5 + (inside ? dIn : dOut) / ramp;
  return f <= 0 ? 0 : f >= 1 ? 1 : f;
}

@inline function clamp01(f: f64): f64 {
  return f <= 0 ? 0 : f >= 1 ? 1 : f;
}

@inline function setUse(f: i32): void {
  if (f == 0) use0 = 1;
  else use1 = 1;
}

/** between-planes.ts Filler.setHermite. */
function setHermite(
  f: i32, w0: f64, w1: f64, wm: f64, wp: f64, ya: f64, yb: f64, yp: f64, yn: f64, cA: f64, cB: f64, cP: f64, cN: f64,
): void {
  const dw = w1 - w0;
  const hasP = !isNaN(yp), hasN = !isNaN(yn);
  setUse(f);
  setF64(y1At, f, ya);
  setF64(y2At, f, yb);
  setF64(m1At, f, hasP ? quadSlope(wm, yp, w0, ya, w1, yb, w0) : hasN ? quadSlope(w0, ya, w1, yb, wp, yn, w0) : (yb - ya) / dw);
  setF64(m2At, f, hasN ? quadSlope(w0, ya, w1, yb, wp, yn, w1) : hasP ? quadSlope(wm, yp, w0, ya, w1, yb, w1) : (yb - ya) / dw);
  setF64(caAt, f, cA);
  setF64(cbAt, f, cB);
  setF64(cm1At, f, hasP ? quadSlope(wm, cP, w0, cA, w1, cB, w0) : hasN ? quadSlope(w0, cA, w1, cB, wp, cN, w0) : (cB - cA) / dw);
  setF64(cm2At, f, hasN ? quadSlope(w0, cA, w1, cB, wp, cN, w1) : hasP ? quadSlope(wm, cP, w0, cA, w1, cB, w1) : (cB - cA) / dw);
}

/** between-planes.ts Filler.setCap. */
function setCap(f: i32, x1: f64, x2: f64, ye: f64, ya: f64, yb: f64, ce: f64, cA: f64, cB: f64): void {
  const o = 3 * f;
  const ha = haAt, c2a = c2aAt;
  setUse(f);
  if (isNaN(ya)) {
    setF64(ha, o, ye); setF64(ha, o + 1, 0); setF64(ha, o + 2, 0);
    setF64(c2a, o, ce); setF64(c2a, o + 1, 0); setF64(c2a, o + 2, 0);
  } else if (isNaN(yb)) {
    setF64(ha, o, ye); setF64(ha, o + 1, (ye - ya) / -x1); setF64(ha, o + 2, 0);
    setF64(c2a, o, ce); setF64(c2a, o + 1, (ce - cA) / -x1); setF64(c2a, o + 2, 0);
  } else {
    setF64(ha, o, ye);
    setF64(ha, o + 1, quadSlope(x2, yb, x1, ya, 0, ye, 0));
    setF64(ha, o + 2, quadValue(x2, yb, x1, ya, 0, ye, 1) - ye - f64At(ha, o + 1));
    setF64(c2a, o, ce);
    setF64(c2a, o + 1, quadSlope(x2, cB, x1, cA, 0, ce, 0));
    setF64(c2a, o + 2, quadValue(x2, cB, x1, cA, 0, ce, 1) - ce - f64At(c2a, o + 1));
  }
}

/** between-planes.ts Filler.turning. */
function turning(f: i32): f64 {
  const a1 = f64At(haAt, 3 * f + 1), a2 = f64At(haAt, 3 * f + 2);
  return a2 > 0 && -a1 / (2 * a2) > 0 ? -a1 / (2 * a2) : Infinity;
}

/** A slot's h or c² of family slot `at` as the JavaScript reads it from an optional plane (absent: dflt). */
@inline function hOf(slot: usize, at: i32, dflt: f64): f64 {
  return slot == 0 ? dflt : f32At(slot + oH, at);
}
@inline function c2Of(slot: usize, at: i32, dflt: f64): f64 {
  return slot == 0 ? dflt : f32At(slot + oC2, at);
}
@inline function hNOf(slot: usize, i: i32, dflt: f64): f64 {
  return slot == 0 ? dflt : f32At(slot + oHN, i);
}
@inline function c2NOf(slot: usize, i: i32, dflt: f64): f64 {
  return slot == 0 ? dflt : f32At(slot + oC2N, i);
}

/** between-planes.ts Filler.quality: neighbouring planes (0 to 2) on which the line of `at` has a field. */
@inline function quality(at: i32, pPrev: usize, pNext: usize): i32 {
  return (pPrev != 0 && !isNaN(f32At(pPrev + oH, at)) ? 1 : 0) + (pNext != 0 && !isNaN(f32At(pNext + oH, at)) ? 1 : 0);
}

@inline function deposit(idx: i32, f: f64): void {
  const v = f32At(occ, idx) + f;
  setF32(occ, idx, v > 1 ? 1 : v);
}

function depositColumn(base: i32, ns: i32, f: f64): void {
  for (let t = 0; t < ns; t++) deposit(base + i32At(kOffAt, t), f);
}

/** between-planes.ts samePrism on two slots' exact fills. */
function samePrism(a: usize, b: usize, i: i32): bool {
  const fa = a + oFrac, fb = b + oFrac;
  const iu = i % nu;
  const u0 = iu > 0 ? -1 : 0, u1 = iu + 1 < nu ? 1 : 0;
  const v0 = i >= nu ? -nu : 0, v1 = i + nu < nPix ? nu : 0;
  for (let dv = v0; dv <= v1; dv += nu) {
    for (let du = u0; du <= u1; du++) if (load<f32>(fa + (<usize>(i + dv + du) << 2)) != load<f32>(fb + (<usize>(i + dv + du) << 2))) return false;
  }
  return true;
}

/** between-planes.ts Filler.hermiteSamples (samples: kOff, then uS, B00, B10, B01, B11). */
function hermiteSamples(fa: f64, fb: f64, base: i32, ns: i32): void {
  const uA = use0, uB = use1;
  const y1a = f64At(y1At, 0), y1b = f64At(y1At, 1), y2a = f64At(y2At, 0), y2b = f64At(y2At, 1);
  const m1a = f64At(m1At, 0), m1b = f64At(m1At, 1), m2a = f64At(m2At, 0), m2b = f64At(m2At, 1);
  const caa = f64At(caAt, 0), cab = f64At(caAt, 1), cba = f64At(cbAt, 0), cbb = f64At(cbAt, 1);
  const cm1a = f64At(cm1At, 0), cm1b = f64At(cm1At, 1), cm2a = f64At(cm2At, 0), cm2b = f64At(cm2At, 1);
  const r0 = fa - rampFraction2(uA, y1a, caa, uB, y1b, cab);
  const r1 = fb - rampFraction2(uA, y2a, cba, uB, y2b, cbb);
  for (let t = 0; t < ns; t++) {
    const u = f64At(sAAt, t), b00 = f64At(sBAt, t), b10 = f64At(sCAt, t), b01 = f64At(sDAt, t), b11 = f64At(sEAt, t);
    const hA = b00 * y1a + b10 * m1a + b01 * y2a + b11 * m2a;
    const hB = b00 * y1b + b10 * m1b + b01 * y2b + b11 * m2b;
    const cA = b00 * caa + b10 * cm1a + b01 * cba + b11 * cm2a;
    const cB = b00 * cab + b10 * cm1b + b01 * cbb + b11 * cm2b;
    const f0 = rampFraction2(uA, hA, cA, uB, hB, cB);
    const f1 = f0 + (1 - u) * r0 + u * r1;
    if (f1 > 0) deposit(base + i32At(kOffAt, t), (f1 >= 1 ? 1 : f1) * wK);
  }
}

/**
 * between-planes.ts Filler.interval: the ns samples of an interval between the planes in slots pj
 * (at w0) and pj1 (at w1), with the planes beyond (pPrev at wm, pNext at wp; 0: none). Samples as
 * bpSetScratch lays them out: kOff, uS, B00, B10, B01, B11.
 */
export function bpInterval(pj: usize, pj1: usize, pPrev: usize, pNext: usize, w0: f64, w1: f64, wm: f64, wp: f64, ns: i32): void {
  const fj = pj + oFrac, fj1 = pj1 + oFrac;
  for (let iv = 0; iv < nv; iv++) {
    for (let iu = 0; iu < nu; iu++) {
      const i = iu + nu * iv;
      const k0c = u8At(pj + oCls, i), k1c = u8At(pj1 + oCls, i);
      if (k0c == 0 && k1c == 0) continue;
      if (k0c == 2 && k1c == 2) {
        depositColumn(iu * su + iv * sv, ns, wK);
        continue;
      }
      const fc = f32At(fj, i);
      if (samePrism(pj, pj1, i) && (pPrev == 0 || samePrism(pj, pPrev, i)) && (pNext == 0 || samePrism(pj, pNext, i))) {
        if (fc > 0) depositColumn(iu * su + iv * sv, ns, fc * wK);
        continue;
      }
      fields(pj, i);
      fields(pj1, i);
      if (pPrev != 0) fields(pPrev, i);
      if (pNext != 0) fields(pNext, i);
      let both = 0;
      for (let f = 0; f < FAMILIES; f++) {
        if (!isNaN(f32At(pj + oH, f * nPix + i)) && !isNaN(f32At(pj1 + oH, f * nPix + i))) both++;
      }
      use0 = 0;
      use1 = 0;
      if (both == 0) {
        normalField(pj, i);
        normalField(pj1, i);
        if (pPrev != 0) normalField(pPrev, i);
        if (pNext != 0) normalField(pNext, i);
        setHermite(
          0, w0, w1, wm, wp, f32At(pj + oHN, i), f32At(pj1 + oHN, i), hNOf(pPrev, i, NaN), hNOf(pNext, i, NaN),
          f32At(pj + oC2N, i), f32At(pj1 + oC2N, i), c2NOf(pPrev, i, NaN), c2NOf(pNext, i, NaN),
        );
      } else {
        let best = -1;
        for (let f = 0; f < FAMILIES; f++) {
          const at = f * nPix + i;
          if (isNaN(f32At(pj + oH, at)) || isNaN(f32At(pj1 + oH, at))) continue;
          best = max(best, quality(at, pPrev, pNext));
        }
        for (let f = 0; f < FAMILIES; f++) {
          const at = f * nPix + i;
          const ya = f32At(pj + oH, at), yb = f32At(pj1 + oH, at);
          if (isNaN(ya) || isNaN(yb) || quality(at, pPrev, pNext) < best) continue;
          setHermite(
            f, w0, w1, wm, wp, ya, yb, hOf(pPrev, at, NaN), hOf(pNext, at, NaN), f32At(pj + oC2, at), f32At(pj1 + oC2, at),
            c2Of(pPrev, at, NaN), c2Of(pNext, at, NaN),
          );
        }
      }
      hermiteSamples(f32At(fj, i), f32At(fj1, i), iu * su + iv * sv, ns);
    }
  }
}

/** between-planes.ts dilate of the slots' classes into candAt. */
function dilate(a: usize, b: usize, radius: i32): void {
  const n = nPix;
  const ca = a + oCls, cb = b != 0 ? b + oCls : 0;
  for (let i = 0; i < n; i++) setU8(srcAt, i, u8At(ca, i) > 0 || (b != 0 && u8At(cb, i) > 0) ? 1 : 0);
  for (let i = 0; i < n; i++) {
    setU8(rowPassAt, i, 0);
    setU8(candAt, i, 0);
  }
  const far = 1 << 30;
  for (let iv = 0; iv < nv; iv++) {
    const base = nu * iv;
    let last = -far;
    for (let iu = 0; iu < nu; iu++) {
      if (u8At(srcAt, base + iu) != 0) last = iu;
      if (iu - last <= radius) setU8(rowPassAt, base + iu, 1);
    }
    last = far;
    for (let iu = nu - 1; iu >= 0; iu--) {
      if (u8At(srcAt, base + iu) != 0) last = iu;
      if (last - iu <= radius) setU8(rowPassAt, base + iu, 1);
    }
  }
  for (let iu = 0; iu < nu; iu++) {
    let last = -far;
    for (let iv = 0; iv < nv; iv++) {
      if (u8At(rowPassAt, iu + nu * iv) != 0) last = iv;
      if (iv - last <= radius) setU8(candAt, iu + nu * iv, 1);
    }
    last = far;
    for (let iv = nv - 1; iv >= 0; iv--) {
      if (u8At(rowPassAt, iu + nu * iv) != 0) last = iv;
      if (last - iv <= radius) setU8(candAt, iu + nu * iv, 1);
    }
  }
}

/** between-planes.ts Filler.capSamples (samples: kOff, then xs). */
function capSamples(fe: f64, base: i32, limit: f64, fadeAt: f64, ns: i32): void {
  const uA = use0, uB = use1;
  const ha = haAt, c2a = c2aAt;
  const re = fe - rampFraction2(uA, f64At(ha, 0), f64At(c2a, 0), uB, f64At(ha, 3), f64At(c2a, 3));
  for (let t = 0; t < ns; t++) {
    const x = f64At(sAAt, t);
    if (x > limit) continue;
    const hA = f64At(ha, 0) + x * (f64At(ha, 1) + x * f64At(ha, 2)), cA = f64At(c2a, 0) + x * (f64At(c2a, 1) + x * f64At(c2a, 2));
    const hB = f64At(ha, 3) + x * (f64At(ha, 4) + x * f64At(ha, 5)), cB = f64At(c2a, 3) + x * (f64At(c2a, 4) + x * f64At(c2a, 5));
    const fade: f64 = fadeAt == Infinity ? 1.0 : x < fadeAt ? 1 - x / fadeAt : 0.0;
    const fr = clamp01(rampFraction2(uA, hA, cA, uB, hB, cB) + re * fade);
    if (fr > 0) deposit(base + i32At(kOffAt, t), fr * wK);
  }
}

@inline function useOf(f: i32): i32 {
  return f == 0 ? use0 : use1;
}

/**
 * between-planes.ts Filler.cap: the ns samples (kOff, then xs) of a cap beyond the end plane in slot
 * pe, with the planes inwards in slots p1, p2 (0: none) at x1, x2 mm; capMax the cap's longest
 * reach, flatEnd a flat end's.
 */
export function bpCap(pe: usize, p1: usize, p2: usize, x1: f64, x2: f64, capMax: f64, flatEnd: f64, ns: i32): void {
  const ha = haAt;
  dilate(pe, p1, <i32>Math.ceil(planeSpacingMm / Math.min(hu, hv)) + 1);
  for (let iv = 0; iv < nv; iv++) {
    for (let iu = 0; iu < nu; iu++) {
      const i = iu + nu * iv;
      if (u8At(candAt, i) == 0) continue;
      fields(pe, i);
      if (p1 != 0) fields(p1, i);
      if (p2 != 0) fields(p2, i);
      use0 = 0;
      use1 = 0;
      let any = false;
      for (let f = 0; f < FAMILIES; f++) {
        const at = f * nPix + i;
        if (isNaN(f32At(pe + oH, at))) continue;
        any = true;
        setCap(f, x1, x2, f32At(pe + oH, at), hOf(p1, at, NaN), hOf(p2, at, NaN), f32At(pe + oC2, at), c2Of(p1, at, 0), c2Of(p2, at, 0));
      }
      if (!any && f32At(pe + oFrac, i) > 0) {
        normalField(pe, i);
        if (p1 != 0) normalField(p1, i);
        if (p2 != 0) normalField(p2, i);
        setCap(0, x1, x2, f32At(pe + oHN, i), hNOf(p1, i, NaN), hNOf(p2, i, NaN), f32At(pe + oC2N, i), c2NOf(p1, i, 0), c2NOf(p2, i, 0));
        any = true;
      }
      if (!any) continue;
      let limit = flatEnd;
      let fadeAt = Infinity;
      let inside = true, falling = true;
      for (let f = 0; f < FAMILIES; f++) {
        if (useOf(f) == 0) continue;
        if (!(f64At(ha, 3 * f) > 0)) inside = false;
        if (!(f64At(ha, 3 * f + 1) < -1e-9 * Math.max(1, Math.abs(f64At(ha, 3 * f))))) falling = false;
      }
      if (inside) {
        let first = Infinity, by = -1;
        for (let f = 0; f < FAMILIES; f++) {
          if (useOf(f) == 0) continue;
          const root = firstPositiveRoot(f64At(ha, 3 * f), f64At(ha, 3 * f + 1), f64At(ha, 3 * f + 2));
          if (root < first) {
            first = root;
            by = f;
          }
        }
        if (first <= capMax * (1 + CLOSING_SLACK)) {
          fadeAt = first;
          limit = Math.min(capMax, Math.max(first, turning(by)));
        }
      } else if (falling) {
        limit = capMax;
        for (let f = 0; f < FAMILIES; f++) if (useOf(f) == 1) limit = Math.min(limit, turning(f));
        limit = Math.max(limit, flatEnd);
      }
      capSamples(f32At(pe + oFrac, i), iu * su + iv * sv, limit, fadeAt, ns);
    }
  }
}
