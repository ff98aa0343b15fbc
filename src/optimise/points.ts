/**
 * Optimisation points: a multi-resolution point cloud over the structures an optimisation needs.
 *
 * Input: the planning grid (LPS, usually the CT's), the union of every voxel the objectives look at
 * (`include`), a fine region (e.g. the lattice spheres grown by 10 mm) and a medium region (e.g. the
 * targets grown by 20 mm), with the wanted point spacing (mm) of each level. The grid is cut into
 * blocks of the coarse stride; a block touching the medium region is cut into medium blocks, and a
 * medium block touching the fine region into fine blocks (strides per index axis, each level's a
 * multiple of the next finer one). Every leaf block with included voxels becomes one point at the
 * centroid of its included voxel centres and stands for their volume.
 *
 * Output: point coordinates (LPS, mm), each point's volume (cc), and per structure a PointSet: the
 * points holding its voxels, weighted by how many of its voxels each holds (exact volume bookkeeping:
 * the weights of a structure sum to 1 and its volume is its voxel count times the voxel volume).
 * With all strides 1 the cloud is the voxel centres of `include` and every structure is exact.
 *
 * Idea: the multi-resolution sampling of dose-influence calculations (e.g. matRad's voxel
 * subsampling away from targets, and the "optimisation points" of commercial systems).
 */

import { GeometryError, InputError, fmt } from '../core/errors.js';
import { indexToLpsAffine, sameGrid, voxelCount, voxelVolumeCc, type Grid } from '../geometry/grid.js';
import type { Mask } from '../geometry/volume.js';
import type { PointSet } from './objectives/types.js';

export interface PointCloudOptions {
  /** Point spacing in the fine region, mm (default: the grid spacing). */
  readonly fineMm?: number;
  /** Point spacing in the medium region, mm (default 5). */
  readonly mediumMm?: number;
  /** Point spacing elsewhere, mm (default 10). */
  readonly coarseMm?: number;
}

export interface PointCloud {
  readonly grid: Grid;
  /** 3N coordinates (x, y, z interleaved), LPS mm. */
  readonly pointsLps: Float64Array;
  /** Volume each point stands for, cc. */
  readonly volumeCc: Float64Array;
  /** Per grid voxel: the point that holds it, or -1 (not included). */
  readonly pointOfVoxel: Int32Array;
  readonly count: number;
  /** Strides (voxels per index axis) of the fine, medium and coarse levels. */
  readonly strides: readonly [readonly [number, number, number], readonly [number, number, number], readonly [number, number, number]];
  /** Points per level (fine, medium, coarse). */
  readonly perLevel: readonly [number, number, number];
}

/** Per-axis strides: the finest level's from its spacing, each coarser one a multiple of the finer. */
function levelStrides(grid: Grid, mm: readonly [number, number, number]): PointCloud['strides'] {
  const out: [number, number, number][] = [];
  for (let l = 0; l < 3; l++) {
    const s: [number, number, number] = [1, 1, 1];
    for (let a = 0; a < 3; a++) {
      const raw = Math.max(1, Math.round(mm[l]! / grid.spacingMm[a]!));
      const finer = l === 0 ? 1 : out[l - 1]![a]!;
      s[a] = Math.max(finer, Math.round(raw / finer) * finer);
    }
    out.push(s);
  }
  return [out[0]!, out[1]!, out[2]!];
}

/** Whether any voxel of the box [i0, i1) x [j0, j1) x [k0, k1) is set. */
function anyIn(d: Uint8Array, nx: number, ny: number, i0: number, i1: number, j0: number, j1: number, k0: number, k1: number): boolean {
  for (let k = k0; k < k1; k++) {
    for (let j = j0; j < j1; j++) {
      const row = nx * (j + ny * k);
      for (let i = i0; i < i1; i++) if (d[row + i] !== 0) return true;
    }
  }
  return false;
}

export function buildPointCloud(include: Mask, fine: Mask | undefined, medium: Mask | undefined, options: PointCloudOptions = {}): PointCloud {
  const grid = include.grid;
  for (const [m, what] of [[fine, 'fine region'], [medium, 'medium region']] as const) {
    if (m !== undefined && !sameGrid(m.grid, grid)) {
      throw new GeometryError(`optimisation points: the ${what} is on another grid than the included structures`);
    }
  }
  const minSpacing = Math.min(...grid.spacingMm);
  const mm: [number, number, number] = [options.fineMm ?? minSpacing, options.mediumMm ?? 5, options.coarseMm ?? 10];
  for (const [v, name] of [[mm[0], 'fine'], [mm[1], 'medium'], [mm[2], 'coarse']] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new InputError(`optimisation point spacing (${name}) must be a positive number of mm, found ${fmt(v)}`);
  }
  const strides = levelStrides(grid, mm);
  const [nx, ny, nz] = grid.size;
  const inc = include.data;
  const fd = fine?.data, md = medium?.data;
  const pointOfVoxel = new Int32Array(voxelCount(grid)).fill(-1);
  const xyz: number[] = [];
  const vol: number[] = [];
  const perLevel: [number, number, number] = [0, 0, 0];
  const A = indexToLpsAffine(grid);
  const vcc = voxelVolumeCc(grid);
  const emit = (i0: number, i1: number, j0: number, j1: number, k0: number, k1: number, level: number): void => {
    let si = 0, sj = 0, sk = 0, n = 0;
    const id = vol.length;
    for (let k = k0; k < k1; k++) {
      for (let j = j0; j < j1; j++) {
        const row = nx * (j + ny * k);
        for (let i = i0; i < i1; i++) {
          if (inc[row + i] === 0) continue;
          pointOfVoxel[row + i] = id;
          si += i;
          sj += j;
          sk += k;
          n++;
        }
      }
    }
    if (n === 0) return;
    const ci = si / n, cj = sj / n, ck = sk / n;
    xyz.push(
      A[0]! * ci + A[1]! * cj + A[2]! * ck + A[3]!,
      A[4]! * ci + A[5]! * cj + A[6]! * ck + A[7]!,
      A[8]! * ci + A[9]! * cj + A[10]! * ck + A[11]!,
    );
    vol.push(n * vcc);
    perLevel[level]!++;
  };
  const split = (i0: number, i1: number, j0: number, j1: number, k0: number, k1: number, level: number): void => {
    if (!anyIn(inc, nx, ny, i0, i1, j0, j1, k0, k1)) return;
    const region = level === 2 ? md : level === 1 ? fd : undefined;
    if (level === 0 || region === undefined || !anyIn(region, nx, ny, i0, i1, j0, j1, k0, k1)) {
      // a coarse block without medium voxels may still hold fine ones: check them too
      if (level === 2 && fd !== undefined && anyIn(fd, nx, ny, i0, i1, j0, j1, k0, k1)) {
        subdivide(i0, i1, j0, j1, k0, k1, 1);
        return;
      }
      emit(i0, i1, j0, j1, k0, k1, level);
      return;
    }
    subdivide(i0, i1, j0, j1, k0, k1, level - 1);
  };
  const subdivide = (i0: number, i1: number, j0: number, j1: number, k0: number, k1: number, level: number): void => {
    const s = strides[level]!;
    for (let k = k0; k < k1; k += s[2]!) {
      for (let j = j0; j < j1; j += s[1]!) {
        for (let i = i0; i < i1; i += s[0]!) {
          split(i, Math.min(i + s[0]!, i1), j, Math.min(j + s[1]!, j1), k, Math.min(k + s[2]!, k1), level);
        }
      }
    }
  };
  subdivide(0, nx, 0, ny, 0, nz, 2);
  return {
    grid,
    pointsLps: Float64Array.from(xyz),
    volumeCc: Float64Array.from(vol),
    pointOfVoxel,
    count: vol.length,
    strides,
    perLevel,
  };
}

/**
 * The PointSet of a structure: the points holding its voxels, weighted by its voxel count in each.
 * Voxels of the mask outside the cloud's included region are an error (the cloud was built without
 * them). `perVoxel`, when given, is averaged over the structure's voxels of each point (e.g. a
 * distance map) and returned aligned with the set's indices.
 */
export function pointSetOf(cloud: PointCloud, mask: Mask, name: string, perVoxel?: Float32Array): { set: PointSet; average?: Float64Array } {
  if (!sameGrid(mask.grid, cloud.grid)) {
    throw new GeometryError('optimisation points: the structure is on another grid than the point cloud', { structure: name });
  }
  if (perVoxel !== undefined && perVoxel.length !== mask.data.length) {
    throw new GeometryError(`optimisation points: the per-voxel map has ${perVoxel.length} values, the grid ${mask.data.length} voxels`, { structure: name });
  }
  const count = new Float64Array(cloud.count);
  const sum = perVoxel !== undefined ? new Float64Array(cloud.count) : undefined;
  const d = mask.data;
  const pov = cloud.pointOfVoxel;
  let total = 0;
  for (let v = 0; v < d.length; v++) {
    if (d[v] === 0) continue;
    const p = pov[v]!;
    if (p < 0) throw new GeometryError('optimisation points: the structure has voxels outside the optimisation region', { structure: name });
    count[p] = count[p]! + 1;
    if (sum !== undefined) sum[p] = sum[p]! + perVoxel![v]!;
    total++;
  }
  if (total === 0) throw new InputError('the structure has no voxels on the planning grid', { structure: name });
  let n = 0;
  for (let p = 0; p < cloud.count; p++) if (count[p]! > 0) n++;
  const indices = new Int32Array(n);
  const weights = new Float64Array(n);
  const average = sum !== undefined ? new Float64Array(n) : undefined;
  let q = 0;
  for (let p = 0; p < cloud.count; p++) {
    const c = count[p]!;
    if (c === 0) continue;
    indices[q] = p;
    weights[q] = c / total;
    if (average !== undefined) average[q] = sum![p]! / c;
    q++;
  }
  const set: PointSet = { indices, weights, volumeCc: total * voxelVolumeCc(cloud.grid) };
  return average !== undefined ? { set, average } : { set };
}
