/**
 * Distance transforms on a voxel grid, in index space with per-axis spacing (mm).
 *
 * Inputs: a mask (voxel centres inside a structure) on any grid. The grid's direction cosines are
 * orthonormal, so distances measured along the index axes with the spacing as weights are patient
 * distances: flipped and permuted grids need nothing special.
 *
 * - `distanceTransformMm`: exact Euclidean distance from every voxel centre to the nearest non-zero
 *   voxel centre, with the feature transform (the linear index of that nearest voxel).
 * - `signedDistanceMm`: signed distance to the structure's *surface* (negative inside), where the
 *   surface is placed between voxel centres by a sub-voxel estimate (see below).
 * - `surfaceDistanceField`: the building block of margins; distance from voxels on one side of the
 *   surface to the estimated surface, in a box around the structure, optionally in scaled units
 *   (one unit per axis), so that an anisotropic margin becomes a unit ball.
 *
 * Algorithm: the separable exact transform of Felzenszwalb & Huttenlocher ("Distance transforms of
 * sampled functions", Theory of Computing 8, 2012): one lower envelope of parabolas per grid line,
 * axis after axis, each axis weighted by its spacing. The argmin site of each envelope carries the
 * identity of its feature voxel, which yields the feature transform at no extra cost.
 *
 * Sub-voxel surface: a binary mask only says that the outermost inside centres are inside; the true
 * surface lies somewhere beyond them, and measuring from those centres shrinks every expansion (a
 * sphere r = 30 mm on a 2 mm grid grown by 5 mm comes out about 3 % small). So every boundary voxel
 * c (a voxel with a 6-neighbour on the other side) carries an estimate of where the surface is:
 * - blur the mask with a small separable Gaussian (sigma 0.7 voxel, radius 2 voxels) to get phi;
 * - the surface point is c + h n, with h = (phi(c) - 1/2) / slope: the slope is |grad phi| taken
 *   with one-sided differences towards the other side (so that a flat face between two voxel
 *   layers lands on the face, half a voxel out), n the unit normal from central differences;
 * - the blur pulls a curved surface towards its concave side by (sigma^2 / 2) * H, H the sum of the
 *   principal curvatures (estimated as the divergence of the normal field); that is added back;
 * - the estimate stands for a small flat patch of surface (a disk of 0.3 voxel radius around the
 *   point, perpendicular to n), which fills part of the gaps between neighbouring samples.
 * A voxel p on the other side is at the distance from its centre to the patch of its nearest boundary
 * voxel c* (from the feature transform). The outside of a structure is handled in the same way with
 * phi -> 1 - phi. This follows the lead's prototype (h = (phi - 1/2) / |grad phi| along the blurred
 * normal), with the one-sided slope, the curvature term and the patch added after measuring sphere
 * and cube volumes (test/geometry/margins.test.ts records the acceptance figures).
 *
 * Voxels beyond the grid edge are taken to repeat the edge voxel: a structure cut by the edge of the
 * grid continues past it (the edge is not a surface).
 */

import { GeometryError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { voxelCount } from './grid.js';
import { maskBoundingBox, requireNonEmpty, type Mask } from './volume.js';

/** An inclusive box of voxel indices of a grid, lo..hi along i, j, k. */
export interface IndexBox {
  readonly lo: readonly [number, number, number];
  readonly hi: readonly [number, number, number];
}

/** Number of voxels along each axis of a box. */
export const boxSize = (box: IndexBox): [number, number, number] => [
  box.hi[0] - box.lo[0] + 1,
  box.hi[1] - box.lo[1] + 1,
  box.hi[2] - box.lo[2] + 1,
];

/** A box grown by pad[a] voxels along each axis and clipped to a grid of the given size. */
export function padBox(box: IndexBox, pad: Vec3, size: readonly [number, number, number]): IndexBox {
  const lo: [number, number, number] = [0, 0, 0];
  const hi: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    lo[a] = Math.max(0, box.lo[a]! - pad[a]!);
    hi[a] = Math.min(size[a]! - 1, box.hi[a]! + pad[a]!);
  }
  return { lo, hi };
}

/**
 * Scratch space for one line of the envelope computation; sized for the longest line.
 * sites: positions of the parabolas kept; siteValue: their f; siteKey: f + w2 * q^2; siteId: the
 * feature each carries; bounds: where each parabola starts to be the lowest.
 */
interface EnvelopeScratch {
  readonly sites: Int32Array;
  readonly siteValue: Float64Array;
  readonly siteKey: Float64Array;
  readonly siteId: Int32Array;
  readonly bounds: Float64Array;
}

function envelopeScratch(n: number): EnvelopeScratch {
  return {
    sites: new Int32Array(n),
    siteValue: new Float64Array(n),
    siteKey: new Float64Array(n),
    siteId: new Int32Array(n),
    bounds: new Float64Array(n + 1),
  };
}

/**
 * One line of the separable transform, in place: for the n entries sq[start + q * stride],
 * replace f(q) by min over r of f(r) + w2 (q - r)^2, and ids[q] by ids of the minimising r.
 * Entries equal to +Infinity are not sites. A line without sites is left untouched.
 */
function envelopeLine(
  sq: Float32Array,
  ids: Int32Array,
  start: number,
  stride: number,
  n: number,
  w2: number,
  s: EnvelopeScratch,
): void {
  const sites = s.sites;
  const siteValue = s.siteValue;
  const siteKey = s.siteKey;
  const siteId = s.siteId;
  const bounds = s.bounds;
  const twoW2 = 2 * w2;
  let top = -1;
  for (let q = 0, p = start; q < n; q++, p += stride) {
    const f = sq[p]!;
    if (f === Infinity) continue;
    const key = f + w2 * q * q;
    if (top < 0) {
      top = 0;
      sites[0] = q;
      siteValue[0] = f;
      siteKey[0] = key;
      siteId[0] = ids[p]!;
      bounds[0] = -Infinity;
      continue;
    }
    // Where the new parabola undercuts the one on top of the stack; pop those it hides entirely.
    let cross = (key - siteKey[top]!) / (twoW2 * (q - sites[top]!));
    while (cross <= bounds[top]!) {
      top--;
      cross = (key - siteKey[top]!) / (twoW2 * (q - sites[top]!));
    }
    top++;
    sites[top] = q;
    siteValue[top] = f;
    siteKey[top] = key;
    siteId[top] = ids[p]!;
    bounds[top] = cross;
  }
  if (top < 0) return;
  bounds[top + 1] = Infinity;
  let m = 0;
  for (let q = 0, p = start; q < n; q++, p += stride) {
    while (bounds[m + 1]! < q) m++;
    const d = q - sites[m]!;
    sq[p] = siteValue[m]! + w2 * d * d;
    ids[p] = siteId[m]!;
  }
}

/**
 * Exact squared Euclidean distance transform with feature transform, in place, on a block of
 * size[0] x size[1] x size[2] voxels (x fastest).
 *
 * On entry: sq = 0 at feature voxels and +Infinity elsewhere; ids = any integer label at feature
 * voxels (e.g. a linear index) and -1 elsewhere. On exit: sq = squared weighted distance to the
 * nearest feature, sum over axes of (weight[a] * delta_a)^2, and ids = the label of that feature.
 * With no feature at all, nothing changes. `weight` is the length of one voxel step per axis
 * (spacing in mm, possibly multiplied by a scale factor).
 */
export function featureTransformInPlace(
  sq: Float32Array,
  ids: Int32Array,
  size: readonly [number, number, number],
  weight: Vec3,
): void {
  const [nx, ny, nz] = size;
  if (sq.length !== nx * ny * nz || ids.length !== sq.length) {
    throw new GeometryError(
      `feature transform: expected ${nx * ny * nz} values for a ${nx} x ${ny} x ${nz} block, found ${sq.length} distances and ${ids.length} labels`,
    );
  }
  for (let a = 0; a < 3; a++) {
    const w = weight[a]!;
    if (!(w > 0) || !Number.isFinite(w)) {
      throw new GeometryError(`feature transform: expected positive finite axis weights, found ${fmt(w)} along ${'ijk'[a]}`);
    }
  }
  const scratch = envelopeScratch(Math.max(nx, ny, nz));
  const nxy = nx * ny;
  // Axis i: contiguous rows.
  const wx2 = weight[0] * weight[0];
  for (let row = 0, start = 0; row < ny * nz; row++, start += nx) envelopeLine(sq, ids, start, 1, nx, wx2, scratch);
  // Axes j and k: lines with a stride; a block of neighbouring lines is copied into contiguous
  // scratch first, so that memory is read in runs rather than one value per cache line.
  const block = new LineBlock(Math.max(ny, nz));
  const wy2 = weight[1] * weight[1];
  if (ny > 1) {
    for (let k = 0; k < nz; k++) {
      for (let i0 = 0; i0 < nx; i0 += LINE_BLOCK) {
        const width = Math.min(LINE_BLOCK, nx - i0);
        block.gather(sq, ids, i0 + k * nxy, nx, ny, width);
        for (let t = 0; t < width; t++) envelopeLine(block.sq, block.ids, t * ny, 1, ny, wy2, scratch);
        block.scatter(sq, ids, i0 + k * nxy, nx, ny, width);
      }
    }
  }
  const wz2 = weight[2] * weight[2];
  if (nz > 1) {
    for (let p0 = 0; p0 < nxy; p0 += LINE_BLOCK) {
      const width = Math.min(LINE_BLOCK, nxy - p0);
      block.gather(sq, ids, p0, nxy, nz, width);
      for (let t = 0; t < width; t++) envelopeLine(block.sq, block.ids, t * nz, 1, nz, wz2, scratch);
      block.scatter(sq, ids, p0, nxy, nz, width);
    }
  }
}

/** Number of neighbouring lines processed together along a strided axis. */
const LINE_BLOCK = 64;

/**
 * Contiguous copies of `width` neighbouring lines (line t starts at start + t, steps by stride,
 * has n entries): line t occupies [t * n, (t + 1) * n) of the scratch arrays.
 */
class LineBlock {
  readonly sq: Float32Array;
  readonly ids: Int32Array;
  constructor(longest: number) {
    this.sq = new Float32Array(LINE_BLOCK * longest);
    this.ids = new Int32Array(LINE_BLOCK * longest);
  }
  gather(sq: Float32Array, ids: Int32Array, start: number, stride: number, n: number, width: number): void {
    const bs = this.sq;
    const bi = this.ids;
    for (let q = 0, row = start; q < n; q++, row += stride) {
      for (let t = 0, o = q; t < width; t++, o += n) {
        bs[o] = sq[row + t]!;
        bi[o] = ids[row + t]!;
      }
    }
  }
  scatter(sq: Float32Array, ids: Int32Array, start: number, stride: number, n: number, width: number): void {
    const bs = this.sq;
    const bi = this.ids;
    for (let q = 0, row = start; q < n; q++, row += stride) {
      for (let t = 0, o = q; t < width; t++, o += n) {
        sq[row + t] = bs[o]!;
        ids[row + t] = bi[o]!;
      }
    }
  }
}

export interface DistanceTransformOptions {
  /** Per index axis multiplier on the spacing (default 1, 1, 1): distances are then in scaled mm. */
  readonly scale?: Vec3;
  /**
   * Largest distance of interest (same units as the result). Only the mask's bounding box grown by
   * this distance is computed; voxels outside that box get distance +Infinity and nearest -1.
   */
  readonly maxDistanceMm?: number;
  /** Structure name for error messages. */
  readonly name?: string;
}

export interface DistanceTransformResult {
  /** Distance from each voxel centre to the nearest non-zero voxel centre (0 inside), mm. */
  readonly distanceMm: Float32Array;
  /** Linear index (i + nx * (j + ny * k)) of that nearest voxel. */
  readonly nearest: Int32Array;
}

function axisWeights(spacingMm: Vec3, scale: Vec3 | undefined, what: string): [number, number, number] {
  const w: [number, number, number] = [spacingMm[0], spacingMm[1], spacingMm[2]];
  if (scale !== undefined) {
    for (let a = 0; a < 3; a++) {
      const f = scale[a]!;
      if (!(f > 0) || !Number.isFinite(f)) {
        throw new GeometryError(`${what}: expected positive finite scale factors, found ${fmt(f)} along ${'ijk'[a]}`);
      }
      w[a] = w[a]! * f;
    }
  }
  return w;
}

/** Inclusive index bounding box of the non-zero voxels (maskBoundingBox), or undefined for an empty mask. */
export function maskBounds(mask: Mask): IndexBox | undefined {
  const bb = maskBoundingBox(mask);
  return bb === undefined ? undefined : { lo: [bb.lo[0], bb.lo[1], bb.lo[2]], hi: [bb.hi[0], bb.hi[1], bb.hi[2]] };
}

/** The mask's bounding box, or a GeometryError naming the structure when it is empty. */
function nonEmptyBox(mask: Mask, name: string, operation: string): IndexBox {
  const bb = maskBounds(mask);
  if (bb === undefined) {
    requireNonEmpty(mask, name, operation);
    throw new GeometryError(`${operation}: expected a non-empty structure, found no voxels`, { structure: name });
  }
  return bb;
}

/**
 * Exact Euclidean distance transform of a mask (distance to the nearest non-zero voxel centre) and
 * its feature transform. Throws GeometryError for an empty mask.
 */
export function distanceTransformMm(mask: Mask, options: DistanceTransformOptions = {}): DistanceTransformResult {
  const grid = mask.grid;
  const name = options.name ?? 'mask';
  const w = axisWeights(grid.spacingMm, options.scale, 'distance transform');
  const bbox = nonEmptyBox(mask, name, 'distance transform');
  let box: IndexBox = { lo: [0, 0, 0], hi: [grid.size[0] - 1, grid.size[1] - 1, grid.size[2] - 1] };
  const maxD = options.maxDistanceMm;
  if (maxD !== undefined) {
    if (!(maxD >= 0)) {
      throw new GeometryError(`distance transform: expected maxDistanceMm >= 0, found ${fmt(maxD)}`, { structure: name });
    }
    const pad: [number, number, number] = [0, 0, 0];
    for (let a = 0; a < 3; a++) pad[a] = Number.isFinite(maxD) ? Math.ceil(maxD / w[a]! + 1e-9) : grid.size[a]!;
    box = padBox(bbox, pad, grid.size);
  }
  const [bx, by, bz] = boxSize(box);
  const n = bx * by * bz;
  const sq = new Float32Array(n);
  const ids = new Int32Array(n);
  const [nx, ny] = grid.size;
  const src = mask.data;
  for (let k = 0, b = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let g = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
      for (let i = 0; i < bx; i++, b++, g++) {
        if (src[g] !== 0) {
          sq[b] = 0;
          ids[b] = g;
        } else {
          sq[b] = Infinity;
          ids[b] = -1;
        }
      }
    }
  }
  featureTransformInPlace(sq, ids, [bx, by, bz], w);

  const total = voxelCount(grid);
  const whole = n === total;
  const distanceMm = whole ? sq : new Float32Array(total).fill(Infinity);
  const nearest = whole ? ids : new Int32Array(total).fill(-1);
  for (let k = 0, b = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let g = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
      for (let i = 0; i < bx; i++, b++, g++) {
        distanceMm[g] = Math.sqrt(sq[b]!);
        nearest[g] = ids[b]!;
      }
    }
  }
  return { distanceMm, nearest };
}

/** Which side of the surface a distance field is measured on. */
export type SurfaceSide = 'outside' | 'inside';

export interface SurfaceDistanceFieldOptions {
  /**
   * Length (mm) that counts as one unit along each index axis (default 1, 1, 1: distances in mm).
   * A margin (mx, my, mz) becomes the unit ball with unit = (mx, my, mz) / max; a zero unit along an
   * axis forbids any reach along it.
   */
  readonly unitMm?: Vec3;
  /**
   * How far (mm, along each index axis) the field must be valid from the structure; the box is the
   * structure's bounding box grown by this plus the largest sub-voxel offset. Default: the whole
   * grid. Ignored on the inside, where the structure's box always suffices.
   */
  readonly reachMm?: Vec3;
  /** Structure name for error messages. */
  readonly name?: string;
  /** The mask's bounding box (maskBounds), when the caller already has it. */
  readonly bounds?: IndexBox;
}

export interface SurfaceDistanceField {
  /** The box of the grid the field covers. */
  readonly box: IndexBox;
  /** Its size (x fastest within the box). */
  readonly size: readonly [number, number, number];
  /**
   * For each voxel of the box on the requested side: distance (in units) from its centre to the
   * estimated surface; NaN for voxels on the other side; +Infinity when the other side has no voxel
   * in the grid.
   */
  readonly distance: Float32Array;
}

/** Gaussian weights for offsets -2..2 voxels, sigma 0.7 voxel, normalised to sum 1. */
const BLUR_SIGMA_VOXELS = 0.7;
const BLUR_RADIUS = 2;
const BLUR_KERNEL: Float64Array = (() => {
  const k = new Float64Array(2 * BLUR_RADIUS + 1);
  let sum = 0;
  for (let o = -BLUR_RADIUS; o <= BLUR_RADIUS; o++) {
    const v = Math.exp(-(o * o) / (2 * BLUR_SIGMA_VOXELS * BLUR_SIGMA_VOXELS));
    k[o + BLUR_RADIUS] = v;
    sum += v;
  }
  for (let o = 0; o < k.length; o++) k[o] = k[o]! / sum;
  return k;
})();

/**
 * Blur one line in place with BLUR_KERNEL. Beyond either end the line continues either with zeros
 * (the box edge lies inside the grid, past the structure) or with copies of the end value (the box
 * edge is the grid edge).
 */
function blurLine(
  v: Float32Array,
  start: number,
  stride: number,
  n: number,
  repeatLow: boolean,
  repeatHigh: boolean,
  buf: Float64Array,
): void {
  const r = BLUR_RADIUS;
  for (let q = 0, p = start; q < n; q++, p += stride) buf[q + r] = v[p]!;
  const low = repeatLow ? buf[r]! : 0;
  const high = repeatHigh ? buf[r + n - 1]! : 0;
  for (let o = 0; o < r; o++) {
    buf[o] = low;
    buf[r + n + o] = high;
  }
  const k0 = BLUR_KERNEL[0]!;
  const k1 = BLUR_KERNEL[1]!;
  const k2 = BLUR_KERNEL[2]!;
  for (let q = 0, p = start; q < n; q++, p += stride) {
    // buf[q + r] is the centre tap; the kernel is symmetric.
    v[p] = k2 * buf[q + 2]! + k1 * (buf[q + 1]! + buf[q + 3]!) + k0 * (buf[q]! + buf[q + 4]!);
  }
}

/** Separable blur of a box of values in place (see blurLine for the ends). */
function blurBox(v: Float32Array, size: readonly [number, number, number], box: IndexBox, gridSize: readonly [number, number, number]): void {
  const [nx, ny, nz] = size;
  const buf = new Float64Array(Math.max(nx, ny, nz) + 2 * BLUR_RADIUS);
  const nxy = nx * ny;
  const rl = [box.lo[0] === 0, box.lo[1] === 0, box.lo[2] === 0];
  const rh = [box.hi[0] === gridSize[0] - 1, box.hi[1] === gridSize[1] - 1, box.hi[2] === gridSize[2] - 1];
  for (let row = 0, s = 0; row < ny * nz; row++, s += nx) blurLine(v, s, 1, nx, rl[0]!, rh[0]!, buf);
  for (let k = 0; k < nz; k++) {
    for (let i = 0; i < nx; i++) blurLine(v, k * nxy + i, nx, ny, rl[1]!, rh[1]!, buf);
  }
  for (let p = 0; p < nxy; p++) blurLine(v, p, nxy, nz, rl[2]!, rh[2]!, buf);
}

/**
 * Radius of the flat surface patch one sample stands for, in voxels (of the RMS spacing). Samples
 * lie about a voxel apart on the surface; a small patch keeps the distance from overshooting
 * between samples. Chosen by measuring expansions and contractions of spheres (r = 30 mm, 2 mm
 * voxels: both unbiased to 0.1 % on average over centre offsets) and of rotated cubes.
 */
const PATCH_RADIUS_VOXELS = 0.3;

/** Weight standing in for an infinite one along an axis of zero unit length (per mm). */
const FORBIDDEN_AXIS_WEIGHT = 1e6;

/**
 * Surface samples: one per boundary voxel of the "feature" side, with the estimated surface point
 * (as an offset from the voxel centre, mm along i, j, k), the surface normal expressed in the
 * scaled units, and the radius of the surface patch the sample stands for (scaled units; 0 where
 * no normal could be estimated).
 */
interface SurfaceSamples {
  readonly count: number;
  readonly i: Int32Array;
  readonly j: Int32Array;
  readonly k: Int32Array;
  readonly offset: Float32Array; // 3 per sample
  readonly normal: Float32Array; // 3 per sample, unit length in scaled space (or zero)
  readonly patchRadius: Float32Array;
}

/**
 * Distance from the voxels on one side of a structure's surface to its sub-voxel surface estimate,
 * in a box around the structure (see the header). Throws GeometryError for an empty mask.
 *
 * Each boundary voxel c of the other side gives a surface sample: the point s = c + h n where the
 * blurred mask crosses 1/2, with the normal n there, standing for a small disk of surface. The
 * distance from a voxel p is the distance to the disk of p's nearest boundary voxel (from the
 * feature transform). Distances are measured in units: mm / unitMm along each axis.
 *
 * The box: the structure's bounding box grown by 3 voxels (the blur and the curvature estimate need
 * that much room), and on the outside by the reach plus the largest sub-voxel offset. Within it the
 * transform is exact, since every feature lies in the box.
 */
export function surfaceDistanceField(
  mask: Mask,
  side: SurfaceSide,
  options: SurfaceDistanceFieldOptions = {},
): SurfaceDistanceField {
  const grid = mask.grid;
  const name = options.name ?? 'mask';
  const gsize = grid.size;
  const [gnx, gny, gnz] = gsize;
  const gnxy = gnx * gny;
  const spacing = grid.spacingMm;
  const [sx, sy, sz] = spacing;
  const unit = options.unitMm ?? [1, 1, 1];
  // inv[a]: units per mm along axis a; useOffset[a]: whether the sub-voxel offset counts there.
  const inv: [number, number, number] = [0, 0, 0];
  const useOffset: [number, number, number] = [1, 1, 1];
  for (let a = 0; a < 3; a++) {
    const u = unit[a]!;
    if (!(u >= 0) || !Number.isFinite(u)) {
      throw new GeometryError(`surface distance: expected unit lengths >= 0 mm, found ${fmt(u)} along ${'ijk'[a]}`, {
        structure: name,
      });
    }
    if (u === 0) {
      inv[a] = FORBIDDEN_AXIS_WEIGHT;
      useOffset[a] = 0;
    } else inv[a] = 1 / u;
  }
  if (useOffset[0] + useOffset[1] + useOffset[2] === 0) {
    throw new GeometryError('surface distance: expected a non-zero unit length along at least one axis, found 0, 0, 0', {
      structure: name,
    });
  }
  const maxSpacing = Math.max(sx, sy, sz);
  // The surface lies between a boundary centre and its neighbour across the surface: |h| <= one voxel.
  const maxOffsetMm = maxSpacing;
  const patchMm = PATCH_RADIUS_VOXELS * Math.sqrt((sx * sx + sy * sy + sz * sz) / 3);

  const bbox = options.bounds ?? nonEmptyBox(mask, name, 'surface distance');
  const pad: [number, number, number] = [3, 3, 3];
  const reach = options.reachMm;
  if (side === 'outside') {
    for (let a = 0; a < 3; a++) {
      pad[a] = reach === undefined ? gsize[a]! : Math.max(3, Math.ceil((reach[a]! + maxOffsetMm + patchMm) / spacing[a]! + 1e-9) + 1);
    }
  }
  const box = padBox(bbox, pad, gsize);
  const size = boxSize(box);
  const [bx, by, bz] = size;
  const bxy = bx * by;
  const n = bxy * bz;
  const src = mask.data;
  const lo0 = box.lo[0];
  const lo1 = box.lo[1];
  const lo2 = box.lo[2];

  // phi: the blurred mask, over the box.
  const values = new Float32Array(n);
  for (let k = 0, b = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let g = lo0 + gnx * (lo1 + j + gny * (lo2 + k));
      for (let i = 0; i < bx; i++, b++, g++) values[b] = src[g] !== 0 ? 1 : 0;
    }
  }
  blurBox(values, size, box, gsize);

  // Features: voxels of the other side with a 6-neighbour (inside the grid) on the requested side.
  // All lie within the structure's box grown by one voxel.
  const featureInside = side === 'outside';
  const ids = new Int32Array(n).fill(-1);
  const scanLo: [number, number, number] = [0, 0, 0];
  const scanHi: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    scanLo[a] = Math.max(bbox.lo[a]! - 1, 0) - box.lo[a]!;
    scanHi[a] = Math.min(bbox.hi[a]! + 1, gsize[a]! - 1) - box.lo[a]!;
  }
  let count = 0;
  for (let k = scanLo[2]; k <= scanHi[2]; k++) {
    const gk = lo2 + k;
    for (let j = scanLo[1]; j <= scanHi[1]; j++) {
      const gj = lo1 + j;
      let b = scanLo[0] + bx * (j + by * k);
      let g = lo0 + scanLo[0] + gnx * (gj + gny * gk);
      for (let i = scanLo[0]; i <= scanHi[0]; i++, b++, g++) {
        const here = src[g] !== 0;
        if (here !== featureInside) continue;
        const gi = lo0 + i;
        if (
          (gi > 0 && src[g - 1] !== 0 !== here) ||
          (gi < gnx - 1 && src[g + 1] !== 0 !== here) ||
          (gj > 0 && src[g - gnx] !== 0 !== here) ||
          (gj < gny - 1 && src[g + gnx] !== 0 !== here) ||
          (gk > 0 && src[g - gnxy] !== 0 !== here) ||
          (gk < gnz - 1 && src[g + gnxy] !== 0 !== here)
        ) {
          ids[b] = count++;
        }
      }
    }
  }

  const samples = surfaceSamples(values, ids, size, scanLo, scanHi, count, spacing, featureInside, inv, useOffset, maxOffsetMm, patchMm);

  // Feature transform in scaled lengths, reusing the blur buffer for the squared distances.
  const sq = values;
  for (let b = 0; b < n; b++) sq[b] = ids[b]! >= 0 ? 0 : Infinity;
  if (count > 0) featureTransformInPlace(sq, ids, size, [sx * inv[0], sy * inv[1], sz * inv[2]]);

  // Distance from each voxel of the requested side to the surface patch of its nearest feature.
  const dist = sq;
  for (let k = 0, b = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let g = lo0 + gnx * (lo1 + j + gny * (lo2 + k));
      for (let i = 0; i < bx; i++, b++, g++) {
        if ((src[g] !== 0) === featureInside) {
          dist[b] = NaN;
          continue;
        }
        const f = ids[b]!;
        dist[b] = f < 0 ? Infinity : Math.sqrt(patchDistanceSq(samples, f, i, j, k, spacing, inv));
      }
    }
  }
  return { box, size, distance: dist };
}

/**
 * Squared distance (scaled units) from the centre of box voxel (i, j, k) to the surface patch of
 * sample f: a disk through the sample's surface point, perpendicular to its normal, of its radius.
 */
function patchDistanceSq(
  s: SurfaceSamples,
  f: number,
  i: number,
  j: number,
  k: number,
  spacing: Vec3,
  inv: Vec3,
): number {
  const vx = ((i - s.i[f]!) * spacing[0] - s.offset[3 * f]!) * inv[0];
  const vy = ((j - s.j[f]!) * spacing[1] - s.offset[3 * f + 1]!) * inv[1];
  const vz = ((k - s.k[f]!) * spacing[2] - s.offset[3 * f + 2]!) * inv[2];
  const all = vx * vx + vy * vy + vz * vz;
  const rho = s.patchRadius[f]!;
  if (rho === 0) return all;
  const along = vx * s.normal[3 * f]! + vy * s.normal[3 * f + 1]! + vz * s.normal[3 * f + 2]!;
  const across2 = all - along * along;
  if (across2 <= rho * rho) return along * along;
  const beyond = Math.sqrt(across2) - rho;
  return along * along + beyond * beyond;
}

/**
 * Component `axis` of the outward unit normal -grad phi / |grad phi| at box voxel q, by central
 * differences (q must have both neighbours along every axis); 0 where phi is flat.
 */
function outwardNormalComponent(
  phi: Float32Array,
  q: number,
  bx: number,
  bxy: number,
  spacing: Vec3,
  axis: number,
): number {
  const ux = (phi[q + 1]! - phi[q - 1]!) / spacing[0];
  const uy = (phi[q + bx]! - phi[q - bx]!) / spacing[1];
  const uz = (phi[q + bxy]! - phi[q - bxy]!) / spacing[2];
  const un = Math.sqrt(ux * ux + uy * uy + uz * uz);
  if (!(un > 1e-12)) return 0;
  return -(axis === 0 ? ux : axis === 1 ? uy : uz) / un;
}

/**
 * Slope of phi along one axis at a voxel, taken on the side where it is steeper (the side across
 * the surface rather than the flatter one within the structure); 0 at a ridge or valley (the two
 * sides slope in opposite directions, as across a sheet one voxel thick) or without neighbours.
 */
function steeperSlope(centre: number, below: number, above: number, hasBelow: boolean, hasAbove: boolean): number {
  const up = hasAbove ? above - centre : 0;
  const down = hasBelow ? centre - below : 0;
  if (hasAbove && hasBelow && up * down < 0) return 0;
  return Math.abs(up) > Math.abs(down) ? up : down;
}

/**
 * The surface sample of every feature voxel (ids[b] = its number, 0..count-1, within the scan box).
 *
 * Offset h along the normal: h = (phi(c) - 1/2) / |g| on the inside (the mirror image outside),
 * where each component of g is the steeper one-sided difference of phi; for a face between two
 * voxel layers this puts the surface on the face, half a voxel out (central differences would put
 * it three quarters out). Normal: central differences of phi (smoother). The blur also moves a
 * curved surface towards its concave side by (sigma_n^2 / 2) * H (H the sum of the principal
 * curvatures, sigma_n the blur width along the normal); that shift is added back.
 */
function surfaceSamples(
  phi: Float32Array,
  ids: Int32Array,
  size: readonly [number, number, number],
  scanLo: Vec3,
  scanHi: Vec3,
  count: number,
  spacing: Vec3,
  featureInside: boolean,
  inv: Vec3,
  useOffset: Vec3,
  maxOffsetMm: number,
  patchMm: number,
): SurfaceSamples {
  const [bx, by, bz] = size;
  const bxy = bx * by;
  const out: SurfaceSamples = {
    count,
    i: new Int32Array(count),
    j: new Int32Array(count),
    k: new Int32Array(count),
    offset: new Float32Array(3 * count),
    normal: new Float32Array(3 * count),
    patchRadius: new Float32Array(count),
  };
  const [sx, sy, sz] = spacing;
  // The patch radius in units: the smallest of its extents along the axes (conservative).
  let minInv = Infinity;
  for (let a = 0; a < 3; a++) if (useOffset[a] === 1) minInv = Math.min(minInv, inv[a]!);
  const patch = patchMm * minInv;
  const blurVar = [0, 1, 2].map((a) => (BLUR_SIGMA_VOXELS * spacing[a]!) ** 2) as unknown as Vec3;
  const maxShiftMm = 0.5 * Math.min(sx, sy, sz);
  // Outward normal of the structure = sign * (normal pointing away from the features' side).
  const sign = featureInside ? 1 : -1;
  for (let k = scanLo[2]; k <= scanHi[2]; k++) {
    for (let j = scanLo[1]; j <= scanHi[1]; j++) {
      let b = scanLo[0] + bx * (j + by * k);
      for (let i = scanLo[0]; i <= scanHi[0]; i++, b++) {
        const f = ids[b]!;
        if (f < 0) continue;
        out.i[f] = i;
        out.j[f] = j;
        out.k[f] = k;
        const c = phi[b]!;
        const hasI0 = i > 0;
        const hasI1 = i < bx - 1;
        const hasJ0 = j > 0;
        const hasJ1 = j < by - 1;
        const hasK0 = k > 0;
        const hasK1 = k < bz - 1;
        const sxs = steeperSlope(c, hasI0 ? phi[b - 1]! : c, hasI1 ? phi[b + 1]! : c, hasI0, hasI1) / sx;
        const sys = steeperSlope(c, hasJ0 ? phi[b - bx]! : c, hasJ1 ? phi[b + bx]! : c, hasJ0, hasJ1) / sy;
        const szs = steeperSlope(c, hasK0 ? phi[b - bxy]! : c, hasK1 ? phi[b + bxy]! : c, hasK0, hasK1) / sz;
        const slope = Math.sqrt(sxs * sxs + sys * sys + szs * szs);
        // Normal by central differences where both neighbours exist (else the one-sided slope).
        const gx = hasI0 && hasI1 ? (phi[b + 1]! - phi[b - 1]!) / (2 * sx) : sxs;
        const gy = hasJ0 && hasJ1 ? (phi[b + bx]! - phi[b - bx]!) / (2 * sy) : sys;
        const gz = hasK0 && hasK1 ? (phi[b + bxy]! - phi[b - bxy]!) / (2 * sz) : szs;
        const gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
        // A flat blur (a lone voxel, a sheet or line one voxel thick) gives no direction: the sample
        // stays a bare point at the voxel centre.
        if (!(slope * maxOffsetMm > 1e-6) || !(gn * maxOffsetMm > 1e-6)) continue;
        let h = featureInside ? (c - 0.5) / slope : (0.5 - c) / slope;
        // Unit normal pointing away from the features' side (phi falls outward from the structure).
        const toward = featureInside ? -1 / gn : 1 / gn;
        const nx = gx * toward;
        const ny = gy * toward;
        const nz = gz * toward;
        if (i >= 2 && j >= 2 && k >= 2 && i < bx - 2 && j < by - 2 && k < bz - 2) {
          const curvature =
            (outwardNormalComponent(phi, b + 1, bx, bxy, spacing, 0) - outwardNormalComponent(phi, b - 1, bx, bxy, spacing, 0)) /
              (2 * sx) +
            (outwardNormalComponent(phi, b + bx, bx, bxy, spacing, 1) - outwardNormalComponent(phi, b - bx, bx, bxy, spacing, 1)) /
              (2 * sy) +
            (outwardNormalComponent(phi, b + bxy, bx, bxy, spacing, 2) - outwardNormalComponent(phi, b - bxy, bx, bxy, spacing, 2)) /
              (2 * sz);
          const sigma2 = blurVar[0] * nx * nx + blurVar[1] * ny * ny + blurVar[2] * nz * nz;
          let shift = 0.5 * sigma2 * curvature;
          if (shift > maxShiftMm) shift = maxShiftMm;
          else if (shift < -maxShiftMm) shift = -maxShiftMm;
          h += sign * shift;
        }
        if (h > maxOffsetMm) h = maxOffsetMm;
        else if (h < -maxOffsetMm) h = -maxOffsetMm;
        out.offset[3 * f] = useOffset[0] * h * nx;
        out.offset[3 * f + 1] = useOffset[1] * h * ny;
        out.offset[3 * f + 2] = useOffset[2] * h * nz;
        // The plane n . x = const in scaled coordinates x' = x * inv has normal n / inv.
        const mx = nx / inv[0];
        const my = ny / inv[1];
        const mz = nz / inv[2];
        const mn = Math.sqrt(mx * mx + my * my + mz * mz);
        out.normal[3 * f] = mx / mn;
        out.normal[3 * f + 1] = my / mn;
        out.normal[3 * f + 2] = mz / mn;
        out.patchRadius[f] = patch;
      }
    }
  }
  return out;
}

/**
 * Signed distance (mm) from each voxel centre to the structure's estimated surface: negative
 * inside, positive outside. With maxDistanceMm, only the structure's box grown by that distance is
 * computed outside the structure (much faster on a CT-size grid); outside voxels beyond it get
 * +Infinity. Throws GeometryError for an empty mask or one that fills the grid (no surface inside
 * the grid).
 */
export function signedDistanceMm(
  mask: Mask,
  options: { readonly name?: string; readonly maxDistanceMm?: number } = {},
): Float32Array {
  const name = options.name ?? 'mask';
  const grid = mask.grid;
  const total = voxelCount(grid);
  const maxD = options.maxDistanceMm;
  if (maxD !== undefined && !(maxD >= 0)) {
    throw new GeometryError(`signed distance: expected maxDistanceMm >= 0, found ${fmt(maxD)}`, { structure: name });
  }
  const bounds = nonEmptyBox(mask, name, 'signed distance');
  const d = mask.data;
  let inside = 0;
  for (let g = 0; g < total; g++) if (d[g] !== 0) inside++;
  if (inside === total) {
    throw new GeometryError(
      `signed distance: expected a structure with a surface inside the grid, found every one of the ${total} voxels inside`,
      { structure: name },
    );
  }
  const reach: Vec3 | undefined = maxD === undefined || !Number.isFinite(maxD) ? undefined : [maxD, maxD, maxD];
  const outer = surfaceDistanceField(mask, 'outside', reach === undefined ? { name, bounds } : { name, bounds, reachMm: reach });
  const inner = surfaceDistanceField(mask, 'inside', { name, bounds });
  const out = outer.distance.length === total ? outer.distance : new Float32Array(total).fill(Infinity);
  const [nx, ny] = grid.size;
  for (const field of [outer, inner]) {
    if (field === outer && out === outer.distance) continue;
    const { box, size, distance } = field;
    const wantInside = field === inner;
    for (let k = 0, b = 0; k < size[2]; k++) {
      for (let j = 0; j < size[1]; j++) {
        let g = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
        for (let i = 0; i < size[0]; i++, b++, g++) {
          if ((d[g] !== 0) !== wantInside) continue;
          out[g] = wantInside ? -distance[b]! : distance[b]!;
        }
      }
    }
  }
  return out;
}
