/**
 * The immutable grid descriptor: every voxel <-> patient conversion goes through here.
 *
 * A grid is { size, spacingMm, originMm, direction }:
 * - size: voxel counts (nx, ny, nz) along the index axes i, j, k;
 * - spacingMm: centre-to-centre distance along i, j, k, in mm;
 * - originMm: the DICOM patient (LPS) position of the *centre* of voxel (0, 0, 0), in mm;
 * - direction: row-major 3x3 matrix whose columns are the unit LPS directions of the i, j, k axes
 *   (for a DICOM image: column 0 = ImageOrientationPatient row cosines, column 1 = column cosines).
 *
 * Patient position of a (fractional) index p: x = origin + direction * (spacing ⊙ p).
 * Memory order is x fastest: linear index = i + nx * (j + ny * k) (docs/conventions.md).
 * Reference: the SimpleITK image model (origin, spacing, direction).
 */

import { GeometryError, fmt } from '../core/errors.js';
import { mm3ToCc, type Cc } from '../core/units.js';
import {
  IDENTITY3,
  det3,
  mulMat3TVec3,
  mulMat3Vec3,
  orthonormalityError,
  type ContinuousIjk,
  type IndexIjk,
  type Mat3,
  type PointLps,
  type Vec3,
} from '../core/vec3.js';

export interface Grid {
  readonly size: readonly [number, number, number];
  readonly spacingMm: Vec3;
  readonly originMm: PointLps;
  readonly direction: Mat3;
}

export interface GridSpec {
  readonly size: readonly [number, number, number];
  readonly spacingMm: Vec3;
  readonly originMm: Vec3;
  readonly direction?: Mat3;
}

/** Largest |D^T D - I| accepted for a direction matrix. */
const ORTHONORMAL_TOLERANCE = 1e-4;

/** Build a validated, frozen grid. Throws GeometryError on non-integer sizes, non-positive spacing
 * or a direction matrix that is not orthonormal. */
export function createGrid(spec: GridSpec): Grid {
  const { size, spacingMm, originMm } = spec;
  const direction = spec.direction ?? IDENTITY3;
  for (let a = 0; a < 3; a++) {
    const n = size[a]!;
    if (!Number.isInteger(n) || n < 1) {
      throw new GeometryError(`grid size along axis ${'ijk'[a]} must be a positive integer, found ${fmt(n)}`);
    }
    const s = spacingMm[a]!;
    if (!Number.isFinite(s) || s <= 0) {
      throw new GeometryError(`grid spacing along axis ${'ijk'[a]} must be positive and finite (mm), found ${fmt(s)}`);
    }
    if (!Number.isFinite(originMm[a]!)) {
      throw new GeometryError(`grid origin must be finite (mm), found [${originMm.map(fmt).join(', ')}]`);
    }
  }
  if (direction.length !== 9 || direction.some((v) => !Number.isFinite(v))) {
    throw new GeometryError('grid direction must be 9 finite numbers (row-major 3x3)');
  }
  const err = orthonormalityError(direction);
  if (err > ORTHONORMAL_TOLERANCE) {
    throw new GeometryError(
      `grid direction cosines must be orthonormal (|DᵀD - I| <= ${ORTHONORMAL_TOLERANCE}), found deviation ${fmt(err)}`,
    );
  }
  return Object.freeze({
    size: Object.freeze([size[0], size[1], size[2]]) as readonly [number, number, number],
    spacingMm: Object.freeze([spacingMm[0], spacingMm[1], spacingMm[2]]) as Vec3,
    originMm: Object.freeze([originMm[0], originMm[1], originMm[2]]) as unknown as PointLps,
    direction: Object.freeze([...direction]) as unknown as Mat3,
  });
}

export const voxelCount = (grid: Grid): number => grid.size[0] * grid.size[1] * grid.size[2];

export const voxelVolumeMm3 = (grid: Grid): number => grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2];

export const voxelVolumeCc = (grid: Grid): Cc => mm3ToCc(voxelVolumeMm3(grid));

/** Linear index of voxel (i, j, k), x fastest. No bounds check (hot loops). */
export const linearIndex = (grid: Grid, i: number, j: number, k: number): number =>
  i + grid.size[0] * (j + grid.size[1] * k);

/** Inverse of linearIndex. */
export function ijkOfLinear(grid: Grid, index: number): IndexIjk {
  const nx = grid.size[0];
  const ny = grid.size[1];
  const i = index % nx;
  const rest = (index - i) / nx;
  const j = rest % ny;
  return [i, j, (rest - j) / ny] as unknown as IndexIjk;
}

export function containsIndex(grid: Grid, i: number, j: number, k: number): boolean {
  return i >= 0 && j >= 0 && k >= 0 && i < grid.size[0] && j < grid.size[1] && k < grid.size[2];
}

/** Patient position (LPS, mm) of a voxel index (integer or fractional). */
export function indexToLps(grid: Grid, ijk: Vec3): PointLps {
  const s = grid.spacingMm;
  const d = mulMat3Vec3(grid.direction, [ijk[0] * s[0], ijk[1] * s[1], ijk[2] * s[2]]);
  const o = grid.originMm;
  return [o[0] + d[0], o[1] + d[1], o[2] + d[2]] as unknown as PointLps;
}

/** Fractional voxel index of a patient position (LPS, mm); integers are voxel centres. */
export function lpsToContinuousIndex(grid: Grid, p: Vec3): ContinuousIjk {
  const o = grid.originMm;
  const s = grid.spacingMm;
  const q = mulMat3TVec3(grid.direction, [p[0] - o[0], p[1] - o[1], p[2] - o[2]]);
  return [q[0] / s[0], q[1] / s[1], q[2] / s[2]] as unknown as ContinuousIjk;
}

/** Index of the voxel containing a patient position, or undefined when it lies outside the grid. */
export function lpsToIndex(grid: Grid, p: Vec3): IndexIjk | undefined {
  const c = lpsToContinuousIndex(grid, p);
  const i = Math.round(c[0]);
  const j = Math.round(c[1]);
  const k = Math.round(c[2]);
  return containsIndex(grid, i, j, k) ? ([i, j, k] as unknown as IndexIjk) : undefined;
}

/**
 * Affine map index -> LPS as 12 numbers [a00 a01 a02 t0, a10 a11 a12 t1, a20 a21 a22 t2] with the
 * spacing folded in: x = A * ijk + t. For hot loops that must not allocate.
 */
export function indexToLpsAffine(grid: Grid): Float64Array {
  const d = grid.direction;
  const s = grid.spacingMm;
  const o = grid.originMm;
  const a = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[4 * r + c] = d[3 * r + c]! * s[c]!;
    a[4 * r + 3] = o[r]!;
  }
  return a;
}

/** Affine map LPS -> fractional index, same layout as indexToLpsAffine: ijk = B * x + u. */
export function lpsToIndexAffine(grid: Grid): Float64Array {
  const d = grid.direction;
  const s = grid.spacingMm;
  const o = grid.originMm;
  const b = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    // row r of B = (column r of D) / s_r
    let t = 0;
    for (let c = 0; c < 3; c++) {
      const v = d[3 * c + r]! / s[r]!;
      b[4 * r + c] = v;
      t -= v * o[c]!;
    }
    b[4 * r + 3] = t;
  }
  return b;
}

/** The 8 corner voxel centres of a grid, in LPS. */
export function cornerPointsLps(grid: Grid): PointLps[] {
  const out: PointLps[] = [];
  for (let c = 0; c < 8; c++) {
    out.push(
      indexToLps(grid, [
        c & 1 ? grid.size[0] - 1 : 0,
        c & 2 ? grid.size[1] - 1 : 0,
        c & 4 ? grid.size[2] - 1 : 0,
      ]),
    );
  }
  return out;
}

/** Axis-aligned bounding box (LPS, mm) of the voxel centres. */
export function boundsLps(grid: Grid): { readonly min: PointLps; readonly max: PointLps } {
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of cornerPointsLps(grid)) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, p[a]!);
      max[a] = Math.max(max[a]!, p[a]!);
    }
  }
  return { min: min as unknown as PointLps, max: max as unknown as PointLps };
}

/**
 * True when a and b have the same size and spacing (within tolMm) and every voxel centre of a lies
 * within tolMm of the same voxel of b (checked at the corners, which covers origin and direction).
 */
export function sameGrid(a: Grid, b: Grid, tolMm = 1e-3): boolean {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1] || a.size[2] !== b.size[2]) return false;
  // Along an axis of one voxel the corners coincide: compare the spacing (the voxel's extent) too.
  for (let ax = 0; ax < 3; ax++) if (Math.abs(a.spacingMm[ax]! - b.spacingMm[ax]!) > tolMm) return false;
  const ca = cornerPointsLps(a);
  const cb = cornerPointsLps(b);
  for (let c = 0; c < 8; c++) {
    const p = ca[c]!;
    const q = cb[c]!;
    if (Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]) > tolMm) return false;
  }
  return true;
}

export function describeGrid(grid: Grid): string {
  const f = (v: Vec3): string => `[${v.map((x) => fmt(x)).join(', ')}]`;
  return `${grid.size.join(' x ')} voxels, spacing ${f(grid.spacingMm)} mm, origin ${f(grid.originMm)} mm`;
}

/** Throws GeometryError unless a and b are the same grid; `what` names the two operands. */
export function assertSameGrid(a: Grid, b: Grid, what: string, tolMm = 1e-3): void {
  if (!sameGrid(a, b, tolMm)) {
    throw new GeometryError(
      `${what}: expected the same grid, found ${describeGrid(a)} vs ${describeGrid(b)}` +
        (a.size.join() === b.size.join() ? ' (same size but different position, spacing or direction)' : ''),
    );
  }
}

/**
 * The sub-grid of voxels lo..hi (inclusive index bounds), with the same spacing and direction.
 * Voxel (i, j, k) of the sub-grid is voxel (lo + (i, j, k)) of the parent.
 */
export function subGrid(grid: Grid, lo: Vec3, hi: Vec3): Grid {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(lo[a]) || !Number.isInteger(hi[a]) || lo[a]! < 0 || hi[a]! >= grid.size[a]! || hi[a]! < lo[a]!) {
      throw new GeometryError(
        `sub-grid bounds must be integers within 0..${grid.size[a]! - 1} along ${'ijk'[a]}, found ${lo[a]}..${hi[a]}`,
      );
    }
  }
  return createGrid({
    size: [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1],
    spacingMm: grid.spacingMm,
    originMm: indexToLps(grid, lo),
    direction: grid.direction,
  });
}

/**
 * For a grid whose axes are parallel to the patient axes (any flips and permutations, as in
 * feet-first or prone scans): for each index axis a, the patient axis it runs along (0 = L, 1 = P,
 * 2 = S) and its sign. Undefined for an oblique grid.
 */
export function patientAxisOfIndexAxes(
  grid: Grid,
  tol = 1e-6,
): readonly { readonly axis: 0 | 1 | 2; readonly sign: 1 | -1 }[] | undefined {
  const out: { axis: 0 | 1 | 2; sign: 1 | -1 }[] = [];
  for (let a = 0; a < 3; a++) {
    let found: { axis: 0 | 1 | 2; sign: 1 | -1 } | undefined;
    for (let r = 0; r < 3; r++) {
      const v = grid.direction[3 * r + a]!;
      if (Math.abs(Math.abs(v) - 1) <= tol) found = { axis: r as 0 | 1 | 2, sign: v > 0 ? 1 : -1 };
    }
    if (found === undefined) return undefined;
    out.push(found);
  }
  return out;
}

/** +1 for a right-handed grid (i x j = k), -1 for a left-handed one. */
export const handedness = (grid: Grid): 1 | -1 => (det3(grid.direction) >= 0 ? 1 : -1);
