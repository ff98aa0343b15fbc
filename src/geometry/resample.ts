/**
 * Resampling volumes from one grid onto another.
 *
 * Inputs: volumes on a source grid and a target grid, both in DICOM patient coordinates (LPS, mm),
 * with any direction cosines (flips, axis permutations, oblique). Output: a new volume on the target
 * grid; inputs are never modified.
 *
 * - `resampleTrilinear` / `sampleTrilinear` / `trilinearSampler`: trilinear interpolation of a
 *   scalar volume (CT in HU, dose in Gy) at target voxel centres. The source is treated as covering
 *   its voxel footprint: a point whose continuous source index lies within half a voxel outside the
 *   outer voxel centres (-0.5 <= c <= n - 0.5 on every axis) is clamped onto the outer centre plane
 *   (constant extrapolation over that half voxel); points beyond the footprint get `outsideValue`
 *   (default 0; CT callers pass -1000 HU; NaN is allowed as a "no data" marker).
 * - `resampleOccupancy`: partial-volume (occupancy) resampling of a mask or occupancy map. When the
 *   two grids' axes are parallel (directions equal up to axis permutations and flips) the result is
 *   the exact box overlap: each target value is the occupied volume of the source inside the target
 *   voxel divided by the target voxel volume, computed separably (per-axis 1-D overlap weights, then
 *   a sparse tensor product). The volume inside the region covered by both grids' voxel footprints
 *   is then preserved to rounding. Otherwise (oblique grids) each target voxel is supersampled with
 *   n^3 sub-points (default n = 4) looked up nearest-neighbour in the source; volume is preserved only
 *   approximately (error shrinks with n and with the size of the structure in voxels).
 * - `occupancyToMask`, `maskToOccupancy`: conversions on the same grid.
 *
 * Index convention (docs/conventions.md): integer continuous indices are voxel centres; voxel i
 * covers [i - 0.5, i + 0.5] along its axis. References: trilinear interpolation as in ITK's
 * LinearInterpolateImageFunction; box-overlap (area-weighted / conservative) remapping as in
 * first-order conservative regridding (Jones 1999, Mon. Wea. Rev. 127:2204) restricted to
 * axis-parallel boxes.
 */

import { GeometryError, fmt } from '../core/errors.js';
import type { PointLps, Vec3 } from '../core/vec3.js';
import { createGrid, describeGrid, indexToLpsAffine, lpsToIndexAffine, voxelCount, type Grid } from './grid.js';
import { maskBoundingBox, type Mask, type Occupancy, type ScalarVolume } from './volume.js';

/** Slack (in voxels) on the footprint test, so that points on the footprint boundary are not lost
 * to rounding in the composed affine. */
const INSIDE_EPS = 1e-6;

/** Largest deviation (of a direction cosine from 0 or +-1) for two grids to count as axis-parallel:
 * 1e-6 rad over 500 voxels is under 1e-3 voxel of drift. */
const ALIGNED_TOL = 1e-6;

/** Largest supersampling factor accepted (n^3 sub-points per target voxel). */
const MAX_SUPERSAMPLE = 16;

export interface TrilinearOptions {
  /** Value for points beyond the source footprint (default 0). CT: -1000 (HU). */
  readonly outsideValue?: number;
}

export interface OccupancyOptions {
  /** Sub-points per axis for oblique grids (n^3 per target voxel), integer 1..16, default 4. Ignored
   * on the exact axis-parallel path. */
  readonly supersample?: number;
}

// ---------------------------------------------------------------------------------------------
// validation

function checkGrid(grid: Grid, what: string): void {
  if (grid === null || typeof grid !== 'object') {
    throw new GeometryError(
      `${what}: expected a grid { size, spacingMm, originMm, direction }, found ${grid === null ? 'null' : typeof grid}`,
    );
  }
  try {
    createGrid(grid);
  } catch (cause) {
    if (cause instanceof GeometryError) throw new GeometryError(`${what}: ${cause.message}`, {}, { cause });
    throw new GeometryError(`${what}: expected a grid { size, spacingMm, originMm, direction }`, {}, { cause });
  }
}

function checkVolume(
  volume: { readonly grid: Grid; readonly data: unknown },
  what: string,
  types: readonly ('Float32Array' | 'Uint8Array')[],
): void {
  if (volume === null || typeof volume !== 'object') {
    throw new GeometryError(`${what}: expected a volume { grid, data }, found ${volume === null ? 'null' : typeof volume}`);
  }
  checkGrid(volume.grid, `${what} grid`);
  const data = volume.data;
  const ok = types.some((t) => (t === 'Float32Array' ? data instanceof Float32Array : data instanceof Uint8Array));
  if (!ok) {
    const found = data === null || typeof data !== 'object' ? typeof data : (data as object).constructor.name;
    throw new GeometryError(`${what}: expected data as ${types.join(' or ')}, found ${found}`);
  }
  const n = (data as Float32Array | Uint8Array).length;
  if (n !== voxelCount(volume.grid)) {
    throw new GeometryError(
      `${what}: expected ${voxelCount(volume.grid)} values for ${describeGrid(volume.grid)}, found ${n}`,
    );
  }
}

function outsideValueOf(options: TrilinearOptions | undefined, what: string): number {
  const v = options?.outsideValue ?? 0;
  if (typeof v !== 'number' || v === Infinity || v === -Infinity) {
    throw new GeometryError(`${what}: expected outsideValue to be a finite number or NaN, found ${String(v)}`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// affine composition

/**
 * The affine map from target continuous index to source continuous index, as 12 numbers
 * [m00 m01 m02 t0, m10 m11 m12 t1, m20 m21 m22 t2]: c_source = M * c_target + t.
 * Composes target index -> LPS with LPS -> source index once.
 */
export function targetToSourceIndexAffine(source: Grid, target: Grid): Float64Array {
  const a = indexToLpsAffine(target);
  const b = lpsToIndexAffine(source);
  const m = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      let s = c === 3 ? b[4 * r + 3]! : 0;
      for (let q = 0; q < 3; q++) s += b[4 * r + q]! * a[4 * q + c]!;
      m[4 * r + c] = s;
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// trilinear interpolation

/**
 * Trilinear value of `data` (nx * ny * nz, x fastest) at continuous index (ci, cj, ck), with the
 * footprint rule of this module. Allocates nothing.
 */
/**
 * Trilinear interpolation of a flat x-fastest array at a fractional index (ci, cj, ck): points up to
 * half a voxel beyond the outer voxel centres take the edge value, points beyond that `outside`.
 * Allocates nothing; the building block of every sampler here and of other modules' field lookups.
 */
export function interpolateAtIndex(
  data: Float32Array,
  nx: number,
  ny: number,
  nz: number,
  ci: number,
  cj: number,
  ck: number,
  outside: number,
): number {
  // Written so that NaN coordinates fall outside.
  if (!(ci >= -0.5 - INSIDE_EPS && ci <= nx - 0.5 + INSIDE_EPS)) return outside;
  if (!(cj >= -0.5 - INSIDE_EPS && cj <= ny - 0.5 + INSIDE_EPS)) return outside;
  if (!(ck >= -0.5 - INSIDE_EPS && ck <= nz - 0.5 + INSIDE_EPS)) return outside;
  const x = ci <= 0 ? 0 : ci >= nx - 1 ? nx - 1 : ci;
  const y = cj <= 0 ? 0 : cj >= ny - 1 ? ny - 1 : cj;
  const z = ck <= 0 ? 0 : ck >= nz - 1 ? nz - 1 : ck;
  let i0 = Math.floor(x);
  let j0 = Math.floor(y);
  let k0 = Math.floor(z);
  // The upper neighbour of the last centre is itself (stride 0) for a single-voxel axis, otherwise
  // step the lower corner back so that i0 + 1 stays inside.
  let di = 1;
  let dj = nx;
  let dk = nx * ny;
  if (nx === 1) di = 0;
  else if (i0 > nx - 2) i0 = nx - 2;
  if (ny === 1) dj = 0;
  else if (j0 > ny - 2) j0 = ny - 2;
  if (nz === 1) dk = 0;
  else if (k0 > nz - 2) k0 = nz - 2;
  const fx = x - i0;
  const fy = y - j0;
  const fz = z - k0;
  const p = i0 + nx * (j0 + ny * k0);
  const c00 = data[p]! + fx * (data[p + di]! - data[p]!);
  const c10 = data[p + dj]! + fx * (data[p + dj + di]! - data[p + dj]!);
  const c01 = data[p + dk]! + fx * (data[p + dk + di]! - data[p + dk]!);
  const c11 = data[p + dk + dj]! + fx * (data[p + dk + dj + di]! - data[p + dk + dj]!);
  const c0 = c00 + fy * (c10 - c00);
  const c1 = c01 + fy * (c11 - c01);
  return c0 + fz * (c1 - c0);
}

/**
 * Resample a scalar volume (CT in HU, dose in Gy) onto `target` by trilinear interpolation at the
 * target voxel centres. Points beyond the source footprint get `outsideValue` (default 0); points
 * within half a voxel outside the outer source voxel centres take the edge value (see the header).
 */
export function resampleTrilinear(volume: ScalarVolume, target: Grid, options?: TrilinearOptions): ScalarVolume {
  checkVolume(volume, 'resampleTrilinear source', ['Float32Array']);
  checkGrid(target, 'resampleTrilinear target');
  const outside = outsideValueOf(options, 'resampleTrilinear');
  const [nx, ny, nz] = volume.grid.size;
  const [tx, ty, tz] = target.size;
  const m = targetToSourceIndexAffine(volume.grid, target);
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, t0 = m[3]!;
  const m10 = m[4]!, m11 = m[5]!, m12 = m[6]!, t1 = m[7]!;
  const m20 = m[8]!, m21 = m[9]!, m22 = m[10]!, t2 = m[11]!;
  const src = volume.data;
  const out = new Float32Array(tx * ty * tz);
  // The body of `interpolateAtIndex`, inlined by hand with its per-volume constants hoisted (faster than
  // the call in bench/resample.bench.ts); keep the two in step.
  const loI = -0.5 - INSIDE_EPS, hiI = nx - 0.5 + INSIDE_EPS, maxI = nx - 1, topI = Math.max(nx - 2, 0);
  const loJ = -0.5 - INSIDE_EPS, hiJ = ny - 0.5 + INSIDE_EPS, maxJ = ny - 1, topJ = Math.max(ny - 2, 0);
  const loK = -0.5 - INSIDE_EPS, hiK = nz - 0.5 + INSIDE_EPS, maxK = nz - 1, topK = Math.max(nz - 2, 0);
  const di = nx > 1 ? 1 : 0, dj = ny > 1 ? nx : 0, dk = nz > 1 ? nx * ny : 0;
  let p = 0;
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      const bi = t0 + m01 * j + m02 * k;
      const bj = t1 + m11 * j + m12 * k;
      const bk = t2 + m21 * j + m22 * k;
      for (let i = 0; i < tx; i++, p++) {
        const ci = bi + m00 * i, cj = bj + m10 * i, ck = bk + m20 * i;
        if (!(ci >= loI && ci <= hiI && cj >= loJ && cj <= hiJ && ck >= loK && ck <= hiK)) {
          out[p] = outside;
          continue;
        }
        const x = ci <= 0 ? 0 : ci >= maxI ? maxI : ci;
        const y = cj <= 0 ? 0 : cj >= maxJ ? maxJ : cj;
        const z = ck <= 0 ? 0 : ck >= maxK ? maxK : ck;
        let i0 = Math.floor(x), j0 = Math.floor(y), k0 = Math.floor(z);
        if (i0 > topI) i0 = topI;
        if (j0 > topJ) j0 = topJ;
        if (k0 > topK) k0 = topK;
        const fx = x - i0, fy = y - j0, fz = z - k0;
        const q = i0 + nx * (j0 + ny * k0);
        const c00 = src[q]! + fx * (src[q + di]! - src[q]!);
        const c10 = src[q + dj]! + fx * (src[q + dj + di]! - src[q + dj]!);
        const c01 = src[q + dk]! + fx * (src[q + dk + di]! - src[q + dk]!);
        const c11 = src[q + dk + dj]! + fx * (src[q + dk + dj + di]! - src[q + dk + dj]!);
        const c0 = c00 + fy * (c10 - c00);
        const c1 = c01 + fy * (c11 - c01);
        out[p] = c0 + fz * (c1 - c0);
      }
    }
  }
  return { grid: target, data: out };
}

/** Trilinear value of a scalar volume at one patient point (LPS, mm), with the footprint rule of
 * `resampleTrilinear`. For many points use `trilinearSampler`, which allocates nothing per call. */
export function sampleTrilinear(volume: ScalarVolume, pointLps: PointLps | Vec3, options?: TrilinearOptions): number {
  return trilinearSampler(volume, options)(pointLps[0], pointLps[1], pointLps[2]);
}

/**
 * A reusable sampler `(x, y, z) => value` over a scalar volume, x, y, z in LPS mm. Validates once;
 * each call is a few multiply-adds plus 8 loads and allocates nothing.
 */
export function trilinearSampler(
  volume: ScalarVolume,
  options?: TrilinearOptions,
): (xMm: number, yMm: number, zMm: number) => number {
  checkVolume(volume, 'sampleTrilinear volume', ['Float32Array']);
  const outside = outsideValueOf(options, 'sampleTrilinear');
  const [nx, ny, nz] = volume.grid.size;
  const b = lpsToIndexAffine(volume.grid);
  const b00 = b[0]!, b01 = b[1]!, b02 = b[2]!, u0 = b[3]!;
  const b10 = b[4]!, b11 = b[5]!, b12 = b[6]!, u1 = b[7]!;
  const b20 = b[8]!, b21 = b[9]!, b22 = b[10]!, u2 = b[11]!;
  const data = volume.data;
  return (x: number, y: number, z: number): number =>
    interpolateAtIndex(
      data,
      nx,
      ny,
      nz,
      b00 * x + b01 * y + b02 * z + u0,
      b10 * x + b11 * y + b12 * z + u1,
      b20 * x + b21 * y + b22 * z + u2,
      outside,
    );
}

// ---------------------------------------------------------------------------------------------
// occupancy

/** For each target index axis a: the source index axis it runs along and the sign, when the two
 * grids are axis-parallel (D_sᵀ D_t is a signed permutation within ALIGNED_TOL); else undefined. */
export function axisCorrespondence(
  source: Grid,
  target: Grid,
): readonly { readonly sourceAxis: 0 | 1 | 2; readonly sign: 1 | -1 }[] | undefined {
  const ds = source.direction;
  const dt = target.direction;
  const out: { sourceAxis: 0 | 1 | 2; sign: 1 | -1 }[] = [];
  const used = [false, false, false];
  for (let a = 0; a < 3; a++) {
    let found = -1;
    let sign: 1 | -1 = 1;
    for (let b = 0; b < 3; b++) {
      // (D_sᵀ D_t)[b][a] = column b of D_s . column a of D_t
      const q = ds[b]! * dt[a]! + ds[3 + b]! * dt[3 + a]! + ds[6 + b]! * dt[6 + a]!;
      if (Math.abs(Math.abs(q) - 1) <= ALIGNED_TOL) {
        if (found >= 0) return undefined;
        found = b;
        sign = q > 0 ? 1 : -1;
      } else if (Math.abs(q) > ALIGNED_TOL) return undefined;
    }
    if (found < 0 || used[found]) return undefined;
    used[found] = true;
    out.push({ sourceAxis: found as 0 | 1 | 2, sign });
  }
  return out;
}

/** Source fractions restricted to the bounding box of their non-zero voxels. */
interface CroppedSource {
  /** Inclusive index bounds of the box in the source grid. */
  readonly lo: readonly [number, number, number];
  readonly hi: readonly [number, number, number];
  /** Box dimensions. */
  readonly dims: readonly [number, number, number];
  /** Fractions 0..1 in the box, x fastest. */
  readonly f: Float32Array;
}

/**
 * The source cropped to its non-zero voxels (a mask as fractions 0 / 1), or undefined when it has
 * none. Throws GeometryError for an occupancy fraction outside [0, 1], naming the first such voxel
 * in k, j, i order (every non-zero voxel lies in the box, so the box holds them all).
 */
function cropSource(source: Mask | Occupancy, what: string): CroppedSource | undefined {
  const bb = maskBoundingBox(source);
  if (bb === undefined) return undefined;
  const [nx, ny] = source.grid.size;
  const d = source.data;
  const isMask = d instanceof Uint8Array;
  const [i0, j0, k0] = bb.lo;
  const [i1, j1, k1] = bb.hi;
  const cx = i1 - i0 + 1;
  const cy = j1 - j0 + 1;
  const cz = k1 - k0 + 1;
  const f = new Float32Array(cx * cy * cz);
  let q = 0;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      let s = i0 + nx * (j + ny * k);
      for (let i = 0; i < cx; i++, q++, s++) {
        const v = d[s]!;
        if (isMask) {
          f[q] = v !== 0 ? 1 : 0;
        } else {
          if (v !== 0 && !(v > 0 && v <= 1)) {
            throw new GeometryError(
              `${what}: expected occupancy fractions in [0, 1], found ${fmt(v)} at voxel (${i0 + i}, ${j}, ${k})`,
            );
          }
          f[q] = v;
        }
      }
    }
  }
  return { lo: [i0, j0, k0], hi: [i1, j1, k1], dims: [cx, cy, cz], f };
}

/** Sparse 1-D overlap weights of the target voxels along one axis with the cropped source voxels
 * along the corresponding source axis, in CSR form. */
interface AxisWeights {
  /** Entries of target index t are start[t] .. start[t + 1] - 1. */
  readonly start: Int32Array;
  /** Source index (cropped, times the cropped stride of its source axis). */
  readonly offset: Int32Array;
  /** Fraction of the target voxel's extent along this axis inside that source voxel. */
  readonly weight: Float64Array;
  /** First and last target index with any entry (tHi < tLo when none). */
  readonly tLo: number;
  readonly tHi: number;
  /** Most entries of any target index. */
  readonly maxEntries: number;
}

/**
 * Target voxel t spans the source continuous-index interval [c - r/2, c + r/2] with c = coef * t +
 * shift and r = |coef|; source voxel s spans [s - 0.5, s + 0.5]. Weight = overlap length / r.
 */
function axisWeights(nt: number, coef: number, shift: number, lo: number, hi: number, stride: number): AxisWeights {
  const r = Math.abs(coef);
  const start = new Int32Array(nt + 1);
  const perTarget = Math.ceil(r) + 2;
  const offset = new Int32Array(nt * perTarget);
  const weight = new Float64Array(nt * perTarget);
  let n = 0;
  let tLo = nt;
  let tHi = -1;
  let maxEntries = 0;
  for (let t = 0; t < nt; t++) {
    start[t] = n;
    const c = coef * t + shift;
    const a = c - r / 2;
    const b = c + r / 2;
    const sLo = Math.max(lo, Math.floor(a - 0.5) + 1);
    const sHi = Math.min(hi, Math.ceil(b + 0.5) - 1);
    const n0 = n;
    for (let s = sLo; s <= sHi; s++) {
      const overlap = Math.min(b, s + 0.5) - Math.max(a, s - 0.5);
      if (overlap <= 0) continue;
      offset[n] = (s - lo) * stride;
      weight[n] = overlap / r;
      n++;
    }
    if (n > n0) {
      if (t < tLo) tLo = t;
      tHi = t;
      if (n - n0 > maxEntries) maxEntries = n - n0;
    }
  }
  start[nt] = n;
  return { start, offset, weight, tLo, tHi, maxEntries };
}

function resampleOccupancyAligned(
  crop: CroppedSource,
  target: Grid,
  m: Float64Array,
  axes: readonly { readonly sourceAxis: 0 | 1 | 2; readonly sign: 1 | -1 }[],
  out: Float32Array,
): void {
  const strides = [1, crop.dims[0], crop.dims[0] * crop.dims[1]];
  const w = [0, 1, 2].map((a) => {
    const b = axes[a]!.sourceAxis;
    return axisWeights(target.size[a]!, m[4 * b + a]!, m[4 * b + 3]!, crop.lo[b]!, crop.hi[b]!, strides[b]!);
  }) as [AxisWeights, AxisWeights, AxisWeights];
  const [wi, wj, wk] = w;
  if (wi.tHi < wi.tLo || wj.tHi < wj.tLo || wk.tHi < wk.tLo) return;
  const [tx, ty] = target.size;
  const f = crop.f;
  const iStart = wi.start, iOff = wi.offset, iW = wi.weight;
  const jkOff = new Int32Array(wj.maxEntries * wk.maxEntries);
  const jkW = new Float64Array(wj.maxEntries * wk.maxEntries);
  for (let tk = wk.tLo; tk <= wk.tHi; tk++) {
    const ek0 = wk.start[tk]!, ek1 = wk.start[tk + 1]!;
    if (ek1 === ek0) continue;
    for (let tj = wj.tLo; tj <= wj.tHi; tj++) {
      const ej0 = wj.start[tj]!, ej1 = wj.start[tj + 1]!;
      if (ej1 === ej0) continue;
      let njk = 0;
      for (let ek = ek0; ek < ek1; ek++) {
        for (let ej = ej0; ej < ej1; ej++, njk++) {
          jkOff[njk] = wk.offset[ek]! + wj.offset[ej]!;
          jkW[njk] = wk.weight[ek]! * wj.weight[ej]!;
        }
      }
      const row = tx * (tj + ty * tk);
      for (let ti = wi.tLo; ti <= wi.tHi; ti++) {
        const ei0 = iStart[ti]!, ei1 = iStart[ti + 1]!;
        let sum = 0;
        for (let e = 0; e < njk; e++) {
          const base = jkOff[e]!;
          let s = 0;
          for (let ei = ei0; ei < ei1; ei++) s += iW[ei]! * f[base + iOff[ei]!]!;
          sum += jkW[e]! * s;
        }
        out[row + ti] = sum > 1 ? 1 : sum;
      }
    }
  }
}

function resampleOccupancyOblique(
  crop: CroppedSource,
  source: Grid,
  target: Grid,
  m: Float64Array,
  n: number,
  out: Float32Array,
): void {
  const [tx, ty, tz] = target.size;
  const [cx, cy, cz] = crop.dims;
  const [lx, ly, lz] = crop.lo;
  const f = crop.f;
  // Sub-point offsets, mapped into source index space once.
  const nSub = n * n * n;
  const dx = new Float64Array(nSub);
  const dy = new Float64Array(nSub);
  const dz = new Float64Array(nSub);
  let q = 0;
  for (let c = 0; c < n; c++) {
    for (let b = 0; b < n; b++) {
      for (let a = 0; a < n; a++, q++) {
        const u = (a + 0.5) / n - 0.5;
        const v = (b + 0.5) / n - 0.5;
        const w = (c + 0.5) / n - 0.5;
        dx[q] = m[0]! * u + m[1]! * v + m[2]! * w;
        dy[q] = m[4]! * u + m[5]! * v + m[6]! * w;
        dz[q] = m[8]! * u + m[9]! * v + m[10]! * w;
      }
    }
  }
  // Target index box that can touch the cropped source footprint: map its 8 corners back.
  const inv = targetToSourceIndexAffine(target, source);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let corner = 0; corner < 8; corner++) {
    const si = corner & 1 ? crop.hi[0] + 0.5 : crop.lo[0] - 0.5;
    const sj = corner & 2 ? crop.hi[1] + 0.5 : crop.lo[1] - 0.5;
    const sk = corner & 4 ? crop.hi[2] + 0.5 : crop.lo[2] - 0.5;
    for (let r = 0; r < 3; r++) {
      const t = inv[4 * r]! * si + inv[4 * r + 1]! * sj + inv[4 * r + 2]! * sk + inv[4 * r + 3]!;
      if (t < lo[r]!) lo[r] = t;
      if (t > hi[r]!) hi[r] = t;
    }
  }
  const iLo = Math.max(0, Math.floor(lo[0]!) - 1), iHi = Math.min(tx - 1, Math.ceil(hi[0]!) + 1);
  const jLo = Math.max(0, Math.floor(lo[1]!) - 1), jHi = Math.min(ty - 1, Math.ceil(hi[1]!) + 1);
  const kLo = Math.max(0, Math.floor(lo[2]!) - 1), kHi = Math.min(tz - 1, Math.ceil(hi[2]!) + 1);
  const m00 = m[0]!, m01 = m[1]!, m02 = m[2]!, t0 = m[3]! - lx + 0.5;
  const m10 = m[4]!, m11 = m[5]!, m12 = m[6]!, t1 = m[7]! - ly + 0.5;
  const m20 = m[8]!, m21 = m[9]!, m22 = m[10]!, t2 = m[11]! - lz + 0.5;
  // Sub-points lie within half a target voxel of the centre: along source axis a at most
  // h_a = 0.5 * sum_b |M[a][b]| source voxels away, so their nearest source voxels are within
  // r_a = ceil(h_a) of the centre's. Where the source is uniform over that box (uniform[] = 1),
  // every sub-point sees the centre's value and the n^3 lookups can be skipped (same result).
  const reach = [0, 1, 2].map((a) => Math.ceil(0.5 * (Math.abs(m[4 * a]!) + Math.abs(m[4 * a + 1]!) + Math.abs(m[4 * a + 2]!))));
  const [rx, ry, rz] = reach as [number, number, number];
  const uniform = rx <= 3 && ry <= 3 && rz <= 3 ? uniformFlags(crop, rx, ry, rz) : undefined;
  const inv1 = 1 / nSub;
  for (let k = kLo; k <= kHi; k++) {
    for (let j = jLo; j <= jHi; j++) {
      // +0.5 folded into t0..t2: floor(c + 0.5) is the nearest source voxel (cropped index).
      const bi = t0 + m01 * j + m02 * k;
      const bj = t1 + m11 * j + m12 * k;
      const bk = t2 + m21 * j + m22 * k;
      let p = iLo + tx * (j + ty * k);
      for (let i = iLo; i <= iHi; i++, p++) {
        const ci = bi + m00 * i;
        const cj = bj + m10 * i;
        const ck = bk + m20 * i;
        if (uniform !== undefined) {
          const i0 = Math.floor(ci);
          const j0 = Math.floor(cj);
          const k0 = Math.floor(ck);
          if (i0 >= 0 && i0 < cx && j0 >= 0 && j0 < cy && k0 >= 0 && k0 < cz) {
            const q0 = i0 + cx * (j0 + cy * k0);
            if (uniform[q0] === 1) {
              out[p] = f[q0]!;
              continue;
            }
          } else if (i0 < -rx || i0 >= cx + rx || j0 < -ry || j0 >= cy + ry || k0 < -rz || k0 >= cz + rz) {
            continue; // every sub-point is outside the non-zero box: 0
          }
        }
        let sum = 0;
        for (let s = 0; s < nSub; s++) {
          const ii = Math.floor(ci + dx[s]!);
          const jj = Math.floor(cj + dy[s]!);
          const kk = Math.floor(ck + dz[s]!);
          if (ii >= 0 && ii < cx && jj >= 0 && jj < cy && kk >= 0 && kk < cz) sum += f[ii + cx * (jj + cy * kk)]!;
        }
        out[p] = sum * inv1;
      }
    }
  }
}

/**
 * 1 where the cropped source is constant over the box of half-widths (rx, ry, rz) voxels around the
 * voxel (values beyond the crop count as 0, as they are), else 0. Separable running min and max.
 */
function uniformFlags(crop: CroppedSource, rx: number, ry: number, rz: number): Uint8Array {
  const [cx, cy, cz] = crop.dims;
  const n = crop.f.length;
  let lo = Float32Array.from(crop.f);
  let hi = Float32Array.from(crop.f);
  let lo2 = new Float32Array(n);
  let hi2 = new Float32Array(n);
  const axes: [number, number, number][] = [
    [rx, 1, cx],
    [ry, cx, cy],
    [rz, cx * cy, cz],
  ];
  for (const [r, stride, len] of axes) {
    if (r === 0) continue;
    for (let p = 0; p < n; p++) {
      const pos = Math.floor(p / stride) % len;
      let mn = lo[p]!;
      let mx = hi[p]!;
      for (let d = -r; d <= r; d++) {
        const at = pos + d;
        if (at < 0 || at >= len) {
          if (mn > 0) mn = 0;
          if (mx < 0) mx = 0;
          continue;
        }
        const v = lo[p + d * stride]!;
        const w = hi[p + d * stride]!;
        if (v < mn) mn = v;
        if (w > mx) mx = w;
      }
      lo2[p] = mn;
      hi2[p] = mx;
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
  }
  const flags = new Uint8Array(n);
  for (let p = 0; p < n; p++) flags[p] = lo[p] === hi[p] ? 1 : 0;
  return flags;
}

/**
 * Resample a mask (0/1, non-zero counts as inside) or an occupancy map (fractions 0..1) onto
 * `target` as fractional occupancy. Axis-parallel grids: exact box overlap, so the occupied volume
 * inside the region covered by the target grid is preserved to rounding. Oblique grids: n^3
 * nearest-neighbour sub-samples per target voxel (`supersample`, default 4); volume is preserved
 * approximately (about 1 % for a structure tens of voxels across at n = 4).
 */
export function resampleOccupancy(source: Mask | Occupancy, target: Grid, options?: OccupancyOptions): Occupancy {
  checkVolume(source, 'resampleOccupancy source', ['Uint8Array', 'Float32Array']);
  checkGrid(target, 'resampleOccupancy target');
  const n = options?.supersample ?? 4;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SUPERSAMPLE) {
    throw new GeometryError(
      `resampleOccupancy: expected supersample to be an integer in 1..${MAX_SUPERSAMPLE}, found ${String(n)}`,
    );
  }
  const out = new Float32Array(voxelCount(target));
  const crop = cropSource(source, 'resampleOccupancy source');
  if (crop === undefined) return { grid: target, data: out };
  const m = targetToSourceIndexAffine(source.grid, target);
  const axes = axisCorrespondence(source.grid, target);
  if (axes !== undefined) resampleOccupancyAligned(crop, target, m, axes, out);
  else resampleOccupancyOblique(crop, source.grid, target, m, n, out);
  return { grid: target, data: out };
}

/** Mask of the voxels whose occupancy is at least `threshold` (0 < threshold <= 1, default 0.5). */
export function occupancyToMask(occ: Occupancy, threshold = 0.5): Mask {
  checkVolume(occ, 'occupancyToMask', ['Float32Array']);
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
    throw new GeometryError(`occupancyToMask: expected a threshold in (0, 1], found ${String(threshold)}`);
  }
  const d = occ.data;
  const out = new Uint8Array(d.length);
  for (let p = 0; p < d.length; p++) out[p] = d[p]! >= threshold ? 1 : 0;
  return { grid: occ.grid, data: out };
}

/** Occupancy 1 for every non-zero mask voxel, 0 elsewhere, on the same grid. */
export function maskToOccupancy(mask: Mask): Occupancy {
  checkVolume(mask, 'maskToOccupancy', ['Uint8Array']);
  const d = mask.data;
  const out = new Float32Array(d.length);
  for (let p = 0; p < d.length; p++) out[p] = d[p] !== 0 ? 1 : 0;
  return { grid: mask.grid, data: out };
}
