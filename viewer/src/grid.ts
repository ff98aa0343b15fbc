/** Grid <-> LPS conversions (the server's grid descriptor: origin = centre of voxel 0, direction columns = axes). */
import type { GridJson } from './types.js';

export type Vec3 = [number, number, number];

export function ijkToLps(g: GridJson, ijk: readonly number[]): Vec3 {
  const d = g.direction, s = g.spacingMm, o = g.originMm;
  const a = ijk[0]! * s[0], b = ijk[1]! * s[1], c = ijk[2]! * s[2];
  return [o[0] + d[0]! * a + d[1]! * b + d[2]! * c, o[1] + d[3]! * a + d[4]! * b + d[5]! * c, o[2] + d[6]! * a + d[7]! * b + d[8]! * c];
}

export function lpsToIjk(g: GridJson, p: readonly number[]): Vec3 {
  const d = g.direction, s = g.spacingMm, o = g.originMm;
  const x = p[0]! - o[0], y = p[1]! - o[1], z = p[2]! - o[2];
  return [(d[0]! * x + d[3]! * y + d[6]! * z) / s[0], (d[1]! * x + d[4]! * y + d[7]! * z) / s[1], (d[2]! * x + d[5]! * y + d[8]! * z) / s[2]];
}

/** Trilinear interpolation of a volume at a continuous index; 0 outside the grid's voxel centres. */
export function trilinear(g: GridJson, data: Float32Array, ci: number, cj: number, ck: number): number {
  const [nx, ny, nz] = g.size;
  const eps = 1e-6;
  if (ci < -eps || cj < -eps || ck < -eps || ci > nx - 1 + eps || cj > ny - 1 + eps || ck > nz - 1 + eps) return 0;
  const i0 = Math.min(Math.max(Math.floor(ci), 0), Math.max(nx - 2, 0));
  const j0 = Math.min(Math.max(Math.floor(cj), 0), Math.max(ny - 2, 0));
  const k0 = Math.min(Math.max(Math.floor(ck), 0), Math.max(nz - 2, 0));
  const fx = nx > 1 ? ci - i0 : 0, fy = ny > 1 ? cj - j0 : 0, fz = nz > 1 ? ck - k0 : 0;
  const i1 = Math.min(i0 + 1, nx - 1), j1 = Math.min(j0 + 1, ny - 1), k1 = Math.min(k0 + 1, nz - 1);
  const at = (i: number, j: number, k: number): number => data[i + nx * (j + ny * k)]!;
  const c00 = at(i0, j0, k0) * (1 - fx) + at(i1, j0, k0) * fx;
  const c10 = at(i0, j1, k0) * (1 - fx) + at(i1, j1, k0) * fx;
  const c01 = at(i0, j0, k1) * (1 - fx) + at(i1, j0, k1) * fx;
  const c11 = at(i0, j1, k1) * (1 - fx) + at(i1, j1, k1) * fx;
  return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz;
}
