/**
 * Small 3-vectors and 3x3 matrices as plain readonly tuples; output-first helpers for hot loops.
 *
 * Frames are kept apart by brands: `PointLps` is a point in DICOM patient coordinates (mm);
 * `IndexIjk` is an integer voxel index; `ContinuousIjk` is a fractional voxel index (0 = centre of
 * voxel 0). The same tuple shape must never be used for two frames (cornerstone3D's BoundsIJK /
 * BoundsLPS trap).
 */

export type Vec3 = readonly [number, number, number];
/** Mutable vector, for output arguments. */
export type MutVec3 = [number, number, number];

declare const frame: unique symbol;
/** A point in DICOM patient coordinates (LPS), mm. */
export type PointLps = Vec3 & { readonly [frame]: 'LPS' };
/** An integer voxel index (i, j, k), i fastest in memory. */
export type IndexIjk = Vec3 & { readonly [frame]: 'IJK' };
/** A fractional voxel index; integer values are voxel centres. */
export type ContinuousIjk = Vec3 & { readonly [frame]: 'cIJK' };

export const pointLps = (x: number, y: number, z: number): PointLps => [x, y, z] as unknown as PointLps;
export const indexIjk = (i: number, j: number, k: number): IndexIjk => [i, j, k] as unknown as IndexIjk;
export const continuousIjk = (i: number, j: number, k: number): ContinuousIjk =>
  [i, j, k] as unknown as ContinuousIjk;

/**
 * 3x3 matrix, row-major: m[3 * row + col]. A grid's direction matrix has the direction cosines of
 * the i, j and k axes as its *columns*.
 */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export const cross = (a: Vec3, b: Vec3): MutVec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
export const sub = (a: Vec3, b: Vec3): MutVec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add = (a: Vec3, b: Vec3): MutVec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const scale = (a: Vec3, s: number): MutVec3 => [a[0] * s, a[1] * s, a[2] * s];
export const distance = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** Column c of a row-major 3x3 matrix. */
export const column = (m: Mat3, c: number): MutVec3 => [m[c], m[3 + c], m[6 + c]];

/** m * v. */
export function mulMat3Vec3(m: Mat3, v: Vec3): MutVec3 {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

/** m^T * v (the inverse for an orthonormal m). */
export function mulMat3TVec3(m: Mat3, v: Vec3): MutVec3 {
  return [
    m[0] * v[0] + m[3] * v[1] + m[6] * v[2],
    m[1] * v[0] + m[4] * v[1] + m[7] * v[2],
    m[2] * v[0] + m[5] * v[1] + m[8] * v[2],
  ];
}

/** Largest deviation of m^T m from the identity: 0 for an orthonormal matrix. */
export function orthonormalityError(m: Mat3): number {
  let worst = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const d = m[a] * m[b] + m[3 + a] * m[3 + b] + m[6 + a] * m[6 + b];
      worst = Math.max(worst, Math.abs(d - (a === b ? 1 : 0)));
    }
  }
  return worst;
}

export function det3(m: Mat3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}
