/**
 * The one-pass DVH kernel of src/evaluate/dvh.ts (structureDvhs) in AssemblyScript, compiled to
 * WebAssembly with the other kernels of assembly/index.ts (npm run build:wasm writes
 * src/core/kernels-wasm.ts). Why: V8 runs a JavaScript loop unoptimised until its optimising compiler
 * has compiled it, and on a two-processor machine the first large structure of a case (a BODY of two
 * million sampling points) ran about twice its optimised time; WebAssembly is compiled before it runs.
 *
 * The arithmetic is dvh.ts's, operation for operation, in float64 (float32 where dvh.ts rounds with
 * Math.fround): partialOffset, boxNodeRange, pointDose, mapDoseValue and computeDvh's bins. WebAssembly
 * floating point is IEEE 754 like JavaScript's and nothing here reorders it, so the DVHs are the stored
 * path's to the bit (test/evaluate/dvh-fused.test.ts).
 *
 * Memory is laid out by the caller (dvh-wasm.ts) in byte offsets: the occupancy (float32, x fastest on
 * the sampling grid), a block of the dose grid (float32: the nodes the structure can read), per map
 * its three histograms (float64) and eight accumulators (float64), the maps' kinds (int32) and
 * numbers (float64), the row path's caches and one row's points. Offsets and scalars come through
 * setSampling, setDose, setAffine, setRowCache, setRowBuffer and setMaps and stay in globals; slices
 * then walks the structure.
 */

// sampling grid and occupancy (point p at occ + 4 (p - occBase): a window of slices from occBase / (nx ny))
let occ: usize = 0;
let occBase: i32 = 0;
let nx: i32 = 0, ny: i32 = 0, nz: i32 = 0;
let hx: f64 = 0, hy: f64 = 0, hz: f64 = 0, vcc: f64 = 0;
// dose block: the dose grid's nodes [bi, bi + bnx) x [bj, bj + bny) x [bk, bk + bnz), x fastest
let dose: usize = 0;
let bi: i32 = 0, bj: i32 = 0, bk: i32 = 0, bnx: i32 = 0, bny: i32 = 0;
let di: i32 = 0, dj: i32 = 0, dk: i32 = 0;
let dnx: i32 = 0, dny: i32 = 0, dnz: i32 = 0;
// sampling index -> dose index, row-major 3 x 4
let m00: f64 = 0, m01: f64 = 0, m02: f64 = 0, t0: f64 = 0;
let m10: f64 = 0, m11: f64 = 0, m12: f64 = 0, t1: f64 = 0;
let m20: f64 = 0, m21: f64 = 0, m22: f64 = 0, t2: f64 = 0;
let loI: f64 = 0, hiI: f64 = 0, maxI: f64 = 0, topI: i32 = 0;
let loJ: f64 = 0, hiJ: f64 = 0, maxJ: f64 = 0, topJ: i32 = 0;
let loK: f64 = 0, hiK: f64 = 0, maxK: f64 = 0, topK: i32 = 0;
let boxI: f64 = 0, boxJ: f64 = 0, boxK: f64 = 0;
let boxed: bool = false, spread: bool = false;
// maps
let nMaps: i32 = 0;
let kinds: usize = 0, params: usize = 0, nBinsAt: usize = 0, hist: usize = 0, acc: usize = 0;
let inv: f64 = 0, minSpread: f64 = 0;
// pointDose's outputs, partialOffset's
let outV: f64 = 0, outLo: f64 = 0, outHi: f64 = 0;
let shiftX: f64 = 0, shiftY: f64 = 0, shiftZ: f64 = 0;
// totals: points, inside, volume, outside; a bad dose
let points: f64 = 0, inside: f64 = 0, total: f64 = 0, outsideCc: f64 = 0;
let bad: i32 = 0;
let badValue: f64 = 0;

export function setSampling(occPtr: usize, sx: i32, sy: i32, sz: i32, shx: f64, shy: f64, shz: f64, voxelCc: f64): void {
  occ = occPtr;
  occBase = 0;
  nx = sx;
  ny = sy;
  nz = sz;
  hx = shx;
  hy = shy;
  hz = shz;
  vcc = voxelCc;
  points = 0;
  inside = 0;
  total = 0;
  outsideCc = 0;
  bad = 0;
  badValue = 0;
}

/** The dose grid (size gx, gy, gz) and the block of it in memory at dosePtr. */
export function setDose(dosePtr: usize, gx: i32, gy: i32, gz: i32, blockI: i32, blockJ: i32, blockK: i32, blockNx: i32, blockNy: i32): void {
  dose = dosePtr;
  dnx = gx;
  dny = gy;
  dnz = gz;
  bi = blockI;
  bj = blockJ;
  bk = blockK;
  bnx = blockNx;
  bny = blockNy;
  di = gx > 1 ? 1 : 0;
  dj = gy > 1 ? blockNx : 0;
  dk = gz > 1 ? blockNx * blockNy : 0;
  const eps = 1e-6;
  loI = -0.5 - eps;
  hiI = <f64>gx - 0.5 + eps;
  maxI = <f64>(gx - 1);
  topI = max(gx - 2, 0);
  loJ = -0.5 - eps;
  hiJ = <f64>gy - 0.5 + eps;
  maxJ = <f64>(gy - 1);
  topJ = max(gy - 2, 0);
  loK = -0.5 - eps;
  hiK = <f64>gz - 0.5 + eps;
  maxK = <f64>(gz - 1);
  topK = max(gz - 2, 0);
}

/** The affine (12 float64 at mPtr) and whether the volume is spread. */
export function setAffine(mPtr: usize, spreadOn: bool): void {
  m00 = load<f64>(mPtr); m01 = load<f64>(mPtr, 8); m02 = load<f64>(mPtr, 16); t0 = load<f64>(mPtr, 24);
  m10 = load<f64>(mPtr, 32); m11 = load<f64>(mPtr, 40); m12 = load<f64>(mPtr, 48); t1 = load<f64>(mPtr, 56);
  m20 = load<f64>(mPtr, 64); m21 = load<f64>(mPtr, 72); m22 = load<f64>(mPtr, 80); t2 = load<f64>(mPtr, 88);
  boxI = 0.5 * (Math.abs(m00) + Math.abs(m01) + Math.abs(m02));
  boxJ = 0.5 * (Math.abs(m10) + Math.abs(m11) + Math.abs(m12));
  boxK = 0.5 * (Math.abs(m20) + Math.abs(m21) + Math.abs(m22));
  boxed = boxI > 0 && boxJ > 0 && boxK > 0;
  spread = spreadOn;
  aligned = m01 == 0 && m02 == 0 && m10 == 0 && m12 == 0 && m20 == 0 && m21 == 0;
}

/**
 * The maps: n kinds (int32 at kindsPtr), 4 n numbers (float64 at paramsPtr), n bin counts (int32 at
 * binsPtr); per map t its histograms diff, sumC, sumCt as float64 arrays at the byte offsets
 * histPtr[3 t .. 3 t + 2] (int32), its accumulators at accPtr + 64 t. Bin width w.
 */
export function setMaps(n: i32, kindsPtr: usize, paramsPtr: usize, binsPtr: usize, histPtr: usize, accPtr: usize, w: f64): void {
  nMaps = n;
  kinds = kindsPtr;
  params = paramsPtr;
  nBinsAt = binsPtr;
  hist = histPtr;
  acc = accPtr;
  inv = 1 / w;
  minSpread = 1e-6 * w;
}

export function resultPoints(): f64 { return points; }
export function resultInside(): f64 { return inside; }
export function resultTotal(): f64 { return total; }
export function resultOutside(): f64 { return outsideCc; }
export function resultBad(): i32 { return bad; }
export function resultBadValue(): f64 { return badValue; }

@inline function fround(x: f64): f64 {
  return <f64><f32>x;
}

@inline function occAt(p: i32): f64 {
  return <f64>load<f32>(occ + (<usize>(p - occBase) << 2));
}

/**
 * The occupancy from here on: slices k >= kBase of the sampling grid at `at` (setSampling first). slices
 * over k0 .. k1 - 1 then reads slices max(k0 - 1, 0) .. min(k1, nz - 1) of it (a point's neighbours).
 */
export function setOccupancyWindow(at: usize, kBase: i32): void {
  occ = at;
  occBase = kBase * nx * ny;
}

/** The dose node at block index b (blockIndex). */
@inline function nodeAt(b: i32): f64 {
  return <f64>load<f32>(dose + (<usize>b << 2));
}

/** dvh.ts partialOffset, into shiftX, shiftY, shiftZ. */
function partialOffset(p: i32, i: i32, j: i32, k: i32, f: f64): void {
  const nxy = nx * ny;
  const gx = ((i + 1 < nx ? occAt(p + 1) : 0) - (i > 0 ? occAt(p - 1) : 0)) / hx;
  const gy = ((j + 1 < ny ? occAt(p + nx) : 0) - (j > 0 ? occAt(p - nx) : 0)) / hy;
  const gz = ((k + 1 < nz ? occAt(p + nxy) : 0) - (k > 0 ? occAt(p - nxy) : 0)) / hz;
  const gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
  if (!(gn > 0)) {
    shiftX = 0;
    shiftY = 0;
    shiftZ = 0;
    return;
  }
  const ux = gx / gn, uy = gy / gn, uz = gz / gn;
  const w = Math.abs(ux) * hx + Math.abs(uy) * hy + Math.abs(uz) * hz;
  const dist = 0.5 * (1 - f) * w;
  shiftX = (ux * dist) / hx;
  shiftY = (uy * dist) / hy;
  shiftZ = (uz * dist) / hz;
}

/** Index of dose node (i, j, k) in the block. */
@inline function blockIndex(i: i32, j: i32, k: i32): i32 {
  return i - bi + bnx * (j - bj + bny * (k - bk));
}

/**
 * dvh.ts boxNodeRange: min / max of the dose nodes floor(x - bx) .. ceil(x + bx) (clamped to the
 * grid), likewise y and z, into outLo (min) and outHi (max).
 */
function boxNodeRange(x: f64, y: f64, z: f64): void {
  const iLo = max(0, <i32>Math.floor(x - boxI)), iHi = min(dnx - 1, <i32>Math.ceil(x + boxI));
  const jLo = max(0, <i32>Math.floor(y - boxJ)), jHi = min(dny - 1, <i32>Math.ceil(y + boxJ));
  const kLo = max(0, <i32>Math.floor(z - boxK)), kHi = min(dnz - 1, <i32>Math.ceil(z + boxK));
  let cMin = Infinity;
  let cMax = -Infinity;
  for (let kc = kLo; kc <= kHi; kc++) {
    for (let jc = jLo; jc <= jHi; jc++) {
      const line = blockIndex(0, jc, kc);
      for (let ic = iLo; ic <= iHi; ic++) {
        const w = nodeAt(line + ic);
        if (w < cMin) cMin = w;
        if (w > cMax) cMax = w;
      }
    }
  }
  outLo = cMin;
  outHi = cMax;
}

// dvh.ts columnAt's five values of one dose column, for the general path
let colA: f64 = 0, colJ: f64 = 0, colK: f64 = 0, colMin: f64 = 0, colMax: f64 = 0;

/** dvh.ts columnAt: the dose column at block index b, into colA .. colMax. */
@inline function columnAt(b: i32, fy: f64, fz: f64): void {
  const v00 = nodeAt(b), v10 = nodeAt(b + dj), v01 = nodeAt(b + dk), v11 = nodeAt(b + dk + dj);
  const e0 = v10 - v00, e1 = v11 - v01;
  const b0 = v00 + fy * e0, b1 = v01 + fy * e1;
  colA = b0 + fz * (b1 - b0);
  colJ = e0 + fz * (e1 - e0);
  colK = b1 - b0;
  const n0 = v00 < v10 ? v00 : v10, n1 = v01 < v11 ? v01 : v11;
  const x0 = v00 > v10 ? v00 : v10, x1 = v01 > v11 ? v01 : v11;
  colMin = n0 < n1 ? n0 : n1;
  colMax = x0 > x1 ? x0 : x1;
}

/** dvh.ts pointDose (the general path: partial points, grids not aligned). */
function pointDose(i: f64, j: f64, k: f64): i32 {
  const ci = m00 * i + m01 * j + m02 * k + t0;
  const cj = m10 * i + m11 * j + m12 * k + t1;
  const ck = m20 * i + m21 * j + m22 * k + t2;
  if (!(ci >= loI && ci <= hiI && cj >= loJ && cj <= hiJ && ck >= loK && ck <= hiK)) return 0;
  const xc = ci > 0 ? ci : 0, yc = cj > 0 ? cj : 0, zc = ck > 0 ? ck : 0;
  const x = xc < maxI ? xc : maxI, y = yc < maxJ ? yc : maxJ, z = zc < maxK ? zc : maxK;
  let i0 = <i32>x, j0 = <i32>y, k0 = <i32>z;
  if (i0 > topI) i0 = topI;
  if (j0 > topJ) j0 = topJ;
  if (k0 > topK) k0 = topK;
  const fx = x - <f64>i0, fy = y - <f64>j0, fz = z - <f64>k0;
  const b = blockIndex(i0, j0, k0);
  columnAt(b, fy, fz);
  const a0 = colA, cj0 = colJ, ck0 = colK, n0 = colMin, x0 = colMax;
  columnAt(b + di, fy, fz);
  const a1 = colA, cj1 = colJ, ck1 = colK, n1 = colMin, x1 = colMax;
  const v = a0 + fx * (a1 - a0);
  outV = v;
  if (!(v >= 0) || v == Infinity) return -1;
  if (!spread) {
    outLo = v;
    outHi = v;
    return 1;
  }
  const gI = ci < 0 || ci > maxI ? 0 : a1 - a0;
  const gJ = cj < 0 || cj > maxJ ? 0 : cj0 + fx * (cj1 - cj0);
  const gK = ck < 0 || ck > maxK ? 0 : ck0 + fx * (ck1 - ck0);
  const dA = gI * m00 + gJ * m10 + gK * m20;
  const dB = gI * m01 + gJ * m11 + gK * m21;
  const dC = gI * m02 + gJ * m12 + gK * m22;
  const half = 0.5 * Math.sqrt(dA * dA + dB * dB + dC * dC);
  const lo = v - half;
  const hi = v + half;
  let cMin = n0 < n1 ? n0 : n1;
  let cMax = x0 > x1 ? x0 : x1;
  if (!(boxed && lo >= cMin && hi <= cMax)) {
    boxNodeRange(x, y, z);
    cMin = outLo;
    cMax = outHi;
  }
  outLo = lo < cMin ? cMin : lo > 0 ? lo : 0;
  outHi = hi > cMax ? cMax : hi;
  return 1;
}

// The row path (a grid aligned with the dose grid: sampling row (j, k) runs along one dose row).
// Per block column c: the least and greatest node of the column over the row's box range in j and k
// at rowBoxes + 16 c, read for the row at rowBoxFor + 4 c.
let aligned: bool = false;
let rowBoxes: usize = 0, rowBoxFor: usize = 0;
let row: i32 = 0;
let rowJLo: i32 = 0, rowJHi: i32 = 0, rowKLo: i32 = 0, rowKHi: i32 = 0;

/** Memory for the row path's cache: bnx columns, 20 bytes each (setDose first). */
export function setRowCache(at: usize): void {
  rowBoxes = at;
  rowBoxFor = rowBoxes + 16 * <usize>bnx;
  for (let c = 0; c < bnx; c++) store<i32>(rowBoxFor + (<usize>c << 2), -1);
}

/** boxNodeRange for a point of the current row at dose index x: the row's box range in j, k, cached per column. */
function rowBoxRange(x: f64): void {
  const iLo = max(0, <i32>Math.floor(x - boxI)), iHi = min(dnx - 1, <i32>Math.ceil(x + boxI));
  let cMin = Infinity;
  let cMax = -Infinity;
  for (let ic = iLo; ic <= iHi; ic++) {
    const c = ic - bi;
    const at = rowBoxes + (<usize>c << 4);
    if (load<i32>(rowBoxFor + (<usize>c << 2)) != row) {
      let mn = Infinity, mx = -Infinity;
      for (let kc = rowKLo; kc <= rowKHi; kc++) {
        for (let jc = rowJLo; jc <= rowJHi; jc++) {
          const w = nodeAt(blockIndex(ic, jc, kc));
          if (w < mn) mn = w;
          if (w > mx) mx = w;
        }
      }
      store<f64>(at, mn);
      store<f64>(at, mx, 8);
      store<i32>(rowBoxFor + (<usize>c << 2), row);
    }
    const mn = load<f64>(at), mx = load<f64>(at, 8);
    if (mn < cMin) cMin = mn;
    if (mx > cMax) cMax = mx;
  }
  outLo = cMin;
  outHi = cMax;
}

/** dvh.ts mapDoseValue. */
@inline function mapDoseValue(kind: i32, a: f64, b: f64, c: f64, d: f64, D: f64): f64 {
  if (kind == 1) return D * (D * a + b) * c;
  if (kind == 2) return D * a;
  if (kind == 3) {
    const perFraction = D / a;
    return b * perFraction * (perFraction + c) * d;
  }
  return D;
}

// One sampling row's points inside the dose grid, as the stored path keeps them (float32 dose,
// interval and volume; core flag): at rowBuf, rowBuf + 4 nx, + 8 nx, + 12 nx (float32) and + 16 nx (u8).
let rowBuf: usize = 0;

/** Memory for one row's points: 17 nx bytes (setSampling first). */
export function setRowBuffer(at: usize): void {
  rowBuf = at;
}

/**
 * The row's n points into map t's histogram and accumulators (dvh.ts computeDvh's loops, after
 * mapDoseSamples's map in float32). Returns false, with bad and badValue set, at a mapped dose that
 * is negative or not finite. The loop is written once (accumulate) and compiled per kind, so that no
 * point tests the map's kind.
 */
function accumulateRow(t: i32, n: i32): bool {
  const kind = load<i32>(kinds + (<usize>t << 2));
  if (kind == 0) return accumulate(0, t, n);
  if (kind == 1) return accumulate(1, t, n);
  if (kind == 2) return accumulate(2, t, n);
  if (kind == 3) return accumulate(3, t, n);
  return accumulate(-1, t, n);
}

/** accumulateRow for a map of this kind (a constant at each call). */
@inline function accumulate(kind: i32, t: i32, n: i32): bool {
  const pp = params + (<usize>t << 5);
  const pa = load<f64>(pp), pb = load<f64>(pp, 8), pc = load<f64>(pp, 16), pd = load<f64>(pp, 24);
  const a = acc + (<usize>t << 6);
  let top = load<f64>(a), mx = load<f64>(a, 8), mn = load<f64>(a, 16), coreMax = load<f64>(a, 24), coreMin = load<f64>(a, 32);
  let nCore = load<f64>(a, 40), sum = load<f64>(a, 48), vol = load<f64>(a, 56);
  const nb = load<i32>(nBinsAt + (<usize>t << 2));
  const h = hist + <usize>(12 * t);
  const diff = <usize>load<i32>(h), sc = <usize>load<i32>(h, 4), sct = <usize>load<i32>(h, 8);
  const doseAt = rowBuf, loAt = rowBuf + 4 * <usize>nx, hiAt = rowBuf + 8 * <usize>nx, wtAt = rowBuf + 12 * <usize>nx, coreAt = rowBuf + 16 * <usize>nx;
  const lInv = inv, lMinSpread = minSpread;
  let ok = true;
  for (let q = 0; q < n; q++) {
    const o4 = <usize>q << 2;
    const dF = <f64>load<f32>(doseAt + o4), loF = <f64>load<f32>(loAt + o4), hiF = <f64>load<f32>(hiAt + o4);
    const d = kind == 0 ? dF : fround(mapDoseValue(kind, pa, pb, pc, pd, dF));
    const lo = kind == 0 ? loF : fround(mapDoseValue(kind, pa, pb, pc, pd, loF));
    const hi = kind == 0 ? hiF : fround(mapDoseValue(kind, pa, pb, pc, pd, hiF));
    if (!(d >= 0) || d == Infinity || !(lo >= 0) || !(hi < Infinity)) {
      bad = 1;
      badValue = d;
      ok = false;
      break;
    }
    const wt = <f64>load<f32>(wtAt + o4);
    if (hi > top) top = hi;
    if (d > mx) mx = d;
    if (d < mn) mn = d;
    if (load<u8>(coreAt + <usize>q) != 0) {
      nCore += 1;
      if (d > coreMax) coreMax = d;
      if (d < coreMin) coreMin = d;
    }
    sum += d * wt;
    vol += wt;
    if (hi - lo <= lMinSpread) {
      let bin = <i32>Math.floor(d * lInv);
      if (bin >= nb) bin = nb - 1;
      const at = diff + (<usize>bin << 3);
      store<f64>(at, load<f64>(at) + wt);
      continue;
    }
    const c = wt / (hi - lo);
    let ea = <i32>Math.floor(lo * lInv) + 1;
    let eb = <i32>Math.floor(hi * lInv) + 1;
    if (ea > nb + 1) ea = nb + 1;
    if (eb > nb + 1) eb = nb + 1;
    const ca = sc + (<usize>ea << 3), cta = sct + (<usize>ea << 3);
    const cb = sc + (<usize>eb << 3), ctb = sct + (<usize>eb << 3);
    store<f64>(ca, load<f64>(ca) + c);
    store<f64>(cta, load<f64>(cta) + c * lo);
    store<f64>(cb, load<f64>(cb) - c);
    store<f64>(ctb, load<f64>(ctb) - c * hi);
  }
  store<f64>(a, top);
  store<f64>(a, mx, 8);
  store<f64>(a, mn, 16);
  store<f64>(a, coreMax, 24);
  store<f64>(a, coreMin, 32);
  store<f64>(a, nCore, 40);
  store<f64>(a, sum, 48);
  store<f64>(a, vol, 56);
  return ok;
}

/** Point n of the row into the row buffer (setRowBuffer): its dose, spread interval and volume as float32, its core flag. */
@inline function storePoint(n: i32, dose: f64, lo: f64, hi: f64, wt: f64, core: bool): void {
  const o4 = <usize>n << 2, bytes = 4 * <usize>nx;
  store<f32>(rowBuf + o4, <f32>dose);
  store<f32>(rowBuf + bytes + o4, <f32>lo);
  store<f32>(rowBuf + 2 * bytes + o4, <f32>hi);
  store<f32>(rowBuf + 3 * bytes + o4, <f32>wt);
  store<u8>(rowBuf + 4 * bytes + <usize>n, core ? 1 : 0);
}

/**
 * dvh.ts fusedDvhKernel over the sampling slices k0 <= k < k1 (the caller walks the slices in order,
 * a few at a time, so that a tier-up of this code is used before the end of a large structure).
 * Returns 0, or 1 once a dose was negative or not finite (resultBadValue).
 *
 * A full point of a grid aligned with the dose grid (most points of a structure) takes the row path
 * written out here with its numbers in locals: the row's two current dose columns (each read once per
 * row: the columns of a row are met in order) and pointDose's spread, the same operations as
 * doseBetween (aligned: the affine's off-diagonal terms are zero, and a zero term changes no square).
 */
export function slices(k0: i32, k1: i32): i32 {
  let p = k0 * nx * ny;
  let nPoints = points, nInside = inside, volume = total, outside = outsideCc;
  const lnx = nx, lny = ny, lvcc = vcc;
  const lm00 = m00, lm11 = m11, lm22 = m22, lt0 = t0, lt1 = t1, lt2 = t2;
  const lloI = loI, lhiI = hiI, lmaxI = maxI, ltopI = topI;
  const lbi = bi, ldi = di, ldj = dj, ldk = dk, laligned = aligned;
  const lspread = spread, lboxed = boxed, lboxI = boxI;
  let failed = false;
  for (let k = k0; k < k1; k++) {
    for (let j = 0; j < lny; j++) {
      // The row in the dose grid: pointDose's arithmetic for a full point of it (aligned: the
      // off-diagonal terms are zero, and adding a zero changes no sum).
      row = k * lny + j;
      const cj = lm11 * <f64>j + lt1, ck = lm22 * <f64>k + lt2;
      const rowInside = cj >= loJ && cj <= hiJ && ck >= loK && ck <= hiK;
      const yc = cj > 0 ? cj : 0, zc = ck > 0 ? ck : 0;
      const y = yc < maxJ ? yc : maxJ, z = zc < maxK ? zc : maxK;
      let j0 = <i32>y, k0r = <i32>z;
      if (j0 > topJ) j0 = topJ;
      if (k0r > topK) k0r = topK;
      const fy = y - <f64>j0, fz = z - <f64>k0r;
      const base = blockIndex(lbi, j0, k0r);
      rowJLo = max(0, <i32>Math.floor(y - boxJ));
      rowJHi = min(dny - 1, <i32>Math.ceil(y + boxJ));
      rowKLo = max(0, <i32>Math.floor(z - boxK));
      rowKHi = min(dnz - 1, <i32>Math.ceil(z + boxK));
      const jOut = cj < 0 || cj > maxJ, kOut = ck < 0 || ck > maxK;
      // the row's current pair of dose columns (block columns cur and cur + di)
      let cur = -2;
      let a0: f64 = 0, g0j: f64 = 0, g0k: f64 = 0, n0: f64 = 0, x0: f64 = 0;
      let a1: f64 = 0, g1j: f64 = 0, g1k: f64 = 0, n1: f64 = 0, x1: f64 = 0;
      // the least and greatest node of the column before the pair (cur - 1), when the pair moved on from it
      let nb: f64 = Infinity, xb: f64 = -Infinity;
      let n = 0;
      for (let i = 0; i < lnx; i++, p++) {
        const o = occAt(p);
        if (o <= 0) continue;
        nPoints += 1;
        const f = o > 1 ? 1 : o;
        const wt = fround(f * lvcc);
        volume += f * lvcc;
        let at: i32;
        if (f < 1 - 1e-6 || !laligned) {
          let si = <f64>i, sj = <f64>j, sk = <f64>k;
          if (f < 1 - 1e-6) {
            partialOffset(p, i, j, k, f);
            si += fround(shiftX);
            sj += fround(shiftY);
            sk += fround(shiftZ);
          }
          const at = pointDose(si, sj, sk);
          if (at == 0) {
            outside += wt;
            continue;
          }
          if (at < 0) {
            bad = 1;
            badValue = outV;
            failed = true;
            break;
          }
          nInside += 1;
          storePoint(n, outV, outLo, outHi, wt, f >= 0.5 - 1e-5);
          n++;
          continue;
        }
        const ci = lm00 * <f64>i + lt0;
        if (!(rowInside && ci >= lloI && ci <= lhiI)) {
          outside += wt;
          continue;
        }
        const xc = ci > 0 ? ci : 0;
        const x = xc < lmaxI ? xc : lmaxI;
        let i0 = <i32>x;
        if (i0 > ltopI) i0 = ltopI;
        if (i0 != cur) {
          const c = i0 - lbi;
          if (i0 == cur + ldi && ldi == 1) {
            nb = n0; xb = x0;
            a0 = a1; g0j = g1j; g0k = g1k; n0 = n1; x0 = x1;
          } else {
            nb = Infinity; xb = -Infinity;
            columnAt(base + c, fy, fz);
            a0 = colA; g0j = colJ; g0k = colK; n0 = colMin; x0 = colMax;
          }
          // columnAt's arithmetic written out in locals: a new column for nearly every point where the
          // sampling is as fine as the dose grid, and columnAt's five globals cost a store and a load each
          const b1 = base + c + ldi;
          const v00 = nodeAt(b1), v10 = nodeAt(b1 + ldj), v01 = nodeAt(b1 + ldk), v11 = nodeAt(b1 + ldk + ldj);
          const e0 = v10 - v00, e1 = v11 - v01;
          const r0 = v00 + fy * e0, r1 = v01 + fy * e1;
          a1 = r0 + fz * (r1 - r0);
          g1j = e0 + fz * (e1 - e0);
          g1k = r1 - r0;
          const m0 = v00 < v10 ? v00 : v10, m1 = v01 < v11 ? v01 : v11;
          const y0 = v00 > v10 ? v00 : v10, y1 = v01 > v11 ? v01 : v11;
          n1 = m0 < m1 ? m0 : m1;
          x1 = y0 > y1 ? y0 : y1;
          cur = i0;
        }
        const fx = x - <f64>i0;
        const v = a0 + fx * (a1 - a0);
        if (!(v >= 0) || v == Infinity) {
          bad = 1;
          badValue = v;
          failed = true;
          break;
        }
        nInside += 1;
        let pointLo = v, pointHi = v;
        if (lspread) {
          const gI = ci < 0 || ci > lmaxI ? 0 : a1 - a0;
          const gJ = jOut ? 0 : g0j + fx * (g1j - g0j);
          const gK = kOut ? 0 : g0k + fx * (g1k - g0k);
          const dA = gI * lm00, dB = gJ * lm11, dC = gK * lm22;
          const half = 0.5 * Math.sqrt(dA * dA + dB * dB + dC * dC);
          const lo = v - half;
          const hi = v + half;
          // An interval within the nodes of the cell (or of the cell and the column before it, when that
          // column is in the box: rowBoxRange's first column, reckoned as it does, is below i0) is within
          // the box's nodes: no clamp, the same as the box's. Else the box's nodes clamp it.
          let cMin = n0 < n1 ? n0 : n1;
          let cMax = x0 > x1 ? x0 : x1;
          if (nb <= xb && <i32>Math.floor(x - lboxI) < i0) {
            if (nb < cMin) cMin = nb;
            if (xb > cMax) cMax = xb;
          }
          if (!(lboxed && lo >= cMin && hi <= cMax)) {
            rowBoxRange(x);
            cMin = outLo;
            cMax = outHi;
          }
          pointLo = lo < cMin ? cMin : lo > 0 ? lo : 0;
          pointHi = hi > cMax ? cMax : hi;
        }
        storePoint(n, v, pointLo, pointHi, wt, true);
        n++;
      }
      for (let t = 0; t < nMaps && n > 0 && !failed; t++) failed = !accumulateRow(t, n);
      if (failed) break;
    }
    if (failed) break;
  }
  points = nPoints;
  inside = nInside;
  total = volume;
  outsideCc = outside;
  return failed ? 1 : 0;
}
