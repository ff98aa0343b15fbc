/**
 * The Image Plane attributes (PS3.3 C.7.6.2) shared by CT slices and dose grids.
 *
 * ImageOrientationPatient holds the row direction cosines (the direction in which the column index
 * increases along a row, our i axis) then the column direction cosines (our j axis), in LPS.
 * The slice normal is row x column. PixelSpacing is (row spacing, column spacing) = (distance
 * between rows, along j; distance between columns, along i), in mm.
 */

import { DicomError, GeometryError, fmt } from '../../../core/errors.js';
import { cross, dot, norm, type MutVec3, type Vec3 } from '../../../core/vec3.js';
import { createGrid, type Grid } from '../../../geometry/grid.js';
import type { DicomView } from './view.js';

/** Largest deviation from unit length / orthogonality accepted in ImageOrientationPatient. */
const ORIENTATION_TOLERANCE = 1e-3;

export interface ImagePlaneOrientation {
  /** Unit direction of increasing column index (i), LPS. */
  readonly row: Vec3;
  /** Unit direction of increasing row index (j), LPS. */
  readonly column: Vec3;
  /** row x column. */
  readonly normal: Vec3;
}

/**
 * Read ImageOrientationPatient, check it is two orthogonal unit vectors (within 1e-3, files store 6
 * or so digits) and make it exactly orthonormal (Gram-Schmidt) so the grid's checks pass.
 */
export function readOrientation(ds: DicomView): ImagePlaneOrientation {
  const v = ds.requireNumbers('ImageOrientationPatient', 6);
  const r: Vec3 = [v[0]!, v[1]!, v[2]!];
  const c: Vec3 = [v[3]!, v[4]!, v[5]!];
  const nr = norm(r);
  const nc = norm(c);
  const d = dot(r, c);
  if (Math.abs(nr - 1) > ORIENTATION_TOLERANCE || Math.abs(nc - 1) > ORIENTATION_TOLERANCE || Math.abs(d) > ORIENTATION_TOLERANCE) {
    throw ds.error(
      `expected two orthogonal unit vectors, found [${v.map(fmt).join(', ')}] (lengths ${fmt(nr)}, ${fmt(nc)}, dot ${fmt(d)})`,
      'ImageOrientationPatient',
    );
  }
  const row: MutVec3 = [r[0] / nr, r[1] / nr, r[2] / nr];
  const cc: MutVec3 = [c[0] - d * row[0], c[1] - d * row[1], c[2] - d * row[2]];
  const ncc = norm(cc);
  const column: MutVec3 = [cc[0] / ncc, cc[1] / ncc, cc[2] / ncc];
  return { row, column, normal: cross(row, column) };
}

/** PixelSpacing as spacing along i (between columns) and along j (between rows), mm, both > 0. */
export function readPixelSpacing(ds: DicomView): { readonly alongIMm: number; readonly alongJMm: number } {
  const s = ds.requireNumbers('PixelSpacing', 2);
  if (!(s[0]! > 0) || !(s[1]! > 0)) {
    throw ds.error(`expected two positive spacings (mm), found [${s.map(fmt).join(', ')}]`, 'PixelSpacing');
  }
  return { alongJMm: s[0]!, alongIMm: s[1]! };
}

export function readPosition(ds: DicomView): Vec3 {
  const p = ds.requireNumbers('ImagePositionPatient', 3);
  return [p[0]!, p[1]!, p[2]!];
}

/** Row-major direction matrix with columns i, j, k. */
export function directionMatrix(i: Vec3, j: Vec3, k: Vec3): [number, number, number, number, number, number, number, number, number] {
  return [i[0], j[0], k[0], i[1], j[1], k[1], i[2], j[2], k[2]];
}

/** A stack of image planes: CT slices or the frames of a dose grid. */
export interface ImageStack {
  readonly columns: number;
  readonly rows: number;
  readonly planes: number;
  readonly spacing: { readonly alongIMm: number; readonly alongJMm: number };
  /** Distance between planes along kAxis (mm). */
  readonly stepMm: number;
  /** ImagePositionPatient of the first plane: the centre of voxel 0 (LPS, mm). */
  readonly position: Vec3;
  readonly row: Vec3;
  readonly column: Vec3;
  /** Unit direction in which the planes advance. */
  readonly kAxis: Vec3;
}

/**
 * The grid of an image stack: i along the row cosines, j along the column cosines, k along kAxis.
 * A stack createGrid refuses is a DicomError naming `what` ("CT", "dose") and the file.
 */
export function imageStackGrid(stack: ImageStack, what: string, file: string): Grid {
  try {
    return createGrid({
      size: [stack.columns, stack.rows, stack.planes],
      spacingMm: [stack.spacing.alongIMm, stack.spacing.alongJMm, stack.stepMm],
      originMm: stack.position,
      direction: directionMatrix(stack.row, stack.column, stack.kAxis),
    });
  } catch (e) {
    if (e instanceof GeometryError) throw new DicomError(`cannot build the ${what} grid: ${e.message}`, { file }, { cause: e });
    throw e;
  }
}

/** Same orientation within tolerance (each cosine). */
export function sameOrientation(a: ImagePlaneOrientation, b: ImagePlaneOrientation, tol = 1e-4): boolean {
  for (let n = 0; n < 3; n++) {
    if (Math.abs(a.row[n]! - b.row[n]!) > tol || Math.abs(a.column[n]! - b.column[n]!) > tol) return false;
  }
  return true;
}
