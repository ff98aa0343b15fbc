/**
 * The fields the placement search reads, on a sub-grid around the target (grid.ts conventions:
 * LPS mm, x fastest):
 * - the target's signed distance (mm, negative inside; sub-voxel surface, distance.ts);
 * - the fraction of a sphere of the vertex radius, centred at each voxel centre, that lies inside the
 *   effective target (the target shrunk by the inset: signed distance < -inset). It is the
 *   integral of a sub-voxel occupancy over the sphere: each voxel's occupancy comes from 4 x 4 x 4
 *   trilinear samples of the signed distance, and the sphere is a kernel of exact cell-ball
 *   intersection weights (8 x 8 x 8 samples per cell). Between voxel centres it is interpolated
 *   trilinearly (the field is smooth: its gradient is at most about 3 / radius per mm);
 * - on a larger sub-grid, the distance (mm) from outside the organs at risk to the surface of their
 *   union (sub-voxel, distance.ts), up to a reach of radius + clearance + 15 mm from a centre; voxels
 *   inside an organ hold minus half a voxel (a centre there fails any clearance; how deep it lies
 *   is not measured). Which organ is nearest is looked up for the audited candidates only.
 *
 * Every field is evaluated at any LPS point by trilinear interpolation (no allocation).
 */

import { interpolateAtIndex } from '../geometry/resample.js';
import { GeometryError } from '../core/errors.js';
import type { PointLps, Vec3 } from '../core/vec3.js';
import { maskBounds, signedDistanceMm, surfaceDistanceField } from '../geometry/distance.js';
import { assertSameGrid, indexToLps, lpsToIndexAffine, subGrid, type Grid } from '../geometry/grid.js';
import type { MaskStructure } from '../geometry/structure.js';
import { createMask, type Mask } from '../geometry/volume.js';

/** Value standing for "far outside" where a distance was not computed. */
export const FAR_MM = 1e6;

export interface PlacementFields {
  /** The full grid the masks live on. */
  readonly grid: Grid;
  /** The sub-grid the target fields live on (the target's box grown by the sphere reach), and LPS -> its fractional index. */
  readonly sub: Grid;
  readonly lpsToSub: Float64Array;
  /** The larger sub-grid the organ fields live on, its first voxel in the full grid, and LPS -> its fractional index. */
  readonly oarGrid: Grid;
  readonly oarLo: readonly [number, number, number];
  readonly lpsToOar: Float64Array;
  readonly radiusMm: number;
  readonly insetMm: number;
  /** Signed distance to the target surface, mm (FAR_MM where not computed, outside). */
  readonly targetSd: Float32Array;
  /** Fraction of a sphere centred at each voxel centre inside the effective target. */
  readonly fraction: Float32Array;
  /** Signed distance to the organs' surface, mm; undefined without organs. */
  readonly oarSd: Float32Array | undefined;
  /** The union of the organs on the organ sub-grid (1 inside); undefined without organs. */
  readonly oarUnion: Uint8Array | undefined;
  /** Organ distances (from a centre) are exact up to this many mm; farther ones are reported as beyond it. */
  readonly oarReachMm: number;
  /** LPS box that holds every centre whose sphere can touch the target. */
  readonly regionMinLps: Vec3;
  readonly regionMaxLps: Vec3;
}

/** Occupancy supersampling per axis, and kernel supersampling per axis. */
const OCC_SAMPLES = 4;
const KERNEL_SAMPLES = 8;
/** Organ distances are exact up to radius + clearance + this many mm from a centre. */
const OAR_REPORT_EXTRA_MM = 15;

/**
 * Trilinear interpolation of a field on a grid of size (nx, ny, nz) at fractional index (ci, cj, ck);
 * `outside` beyond the outermost voxel centres.
 */
export function trilinear(
  f: Float32Array,
  nx: number,
  ny: number,
  nz: number,
  ci: number,
  cj: number,
  ck: number,
  outside: number,
): number {
  // Strictly inside the outer voxel centres (no half-voxel edge extension), then the shared kernel.
  if (!(ci >= 0 && cj >= 0 && ck >= 0 && ci <= nx - 1 && cj <= ny - 1 && ck <= nz - 1)) return outside;
  return interpolateAtIndex(f, nx, ny, nz, ci, cj, ck, outside);
}

function cropMask(mask: Mask, sub: Grid, lo: readonly [number, number, number]): Mask {
  const out = createMask(sub);
  const [nx, ny] = mask.grid.size;
  const [bx, by, bz] = sub.size;
  const src = mask.data;
  const dst = out.data;
  for (let k = 0, b = 0; k < bz; k++) {
    for (let j = 0; j < by; j++) {
      let g = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      for (let i = 0; i < bx; i++, b++, g++) dst[b] = src[g]!;
    }
  }
  return out;
}

/** Occupancy of the effective target {sd < -inset} in each voxel, from supersampled trilinear sd. */
function effectiveOccupancy(sd: Float32Array, grid: Grid, insetMm: number): Float32Array {
  const [nx, ny, nz] = grid.size;
  const [sx, sy, sz] = grid.spacingMm;
  const halfDiag = 0.5 * Math.hypot(sx, sy, sz);
  const occ = new Float32Array(sd.length);
  const S = OCC_SAMPLES;
  const inv = 1 / (S * S * S);
  for (let k = 0, g = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, g++) {
        const e = sd[g]! + insetMm;
        if (e <= -halfDiag) occ[g] = 1;
        else if (e >= halfDiag) occ[g] = 0;
        else {
          let n = 0;
          for (let c = 0; c < S; c++) {
            const ck = Math.min(nz - 1, Math.max(0, k + (c + 0.5) / S - 0.5));
            for (let b = 0; b < S; b++) {
              const cj = Math.min(ny - 1, Math.max(0, j + (b + 0.5) / S - 0.5));
              for (let a = 0; a < S; a++) {
                const ci = Math.min(nx - 1, Math.max(0, i + (a + 0.5) / S - 0.5));
                if (trilinear(sd, nx, ny, nz, ci, cj, ck, FAR_MM) + insetMm < 0) n++;
              }
            }
          }
          occ[g] = n * inv;
        }
      }
    }
  }
  return occ;
}

/** Ball kernel: for each cell offset, the volume of the ball (centred on a voxel centre) in that cell. */
function ballKernel(spacing: Vec3, radiusMm: number): { di: Int32Array; dj: Int32Array; dk: Int32Array; w: Float64Array; m: [number, number, number] } {
  const m: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) m[a] = Math.ceil((radiusMm + spacing[a]! / 2) / spacing[a]! - 1e-9);
  const Q = KERNEL_SAMPLES;
  const r2 = radiusMm * radiusMm;
  const di: number[] = [];
  const dj: number[] = [];
  const dk: number[] = [];
  const w: number[] = [];
  let total = 0;
  for (let c = -m[2]; c <= m[2]; c++) {
    for (let b = -m[1]; b <= m[1]; b++) {
      for (let a = -m[0]; a <= m[0]; a++) {
        let n = 0;
        for (let qz = 0; qz < Q; qz++) {
          const z = (c + (qz + 0.5) / Q - 0.5) * spacing[2];
          for (let qy = 0; qy < Q; qy++) {
            const y = (b + (qy + 0.5) / Q - 0.5) * spacing[1];
            for (let qx = 0; qx < Q; qx++) {
              const x = (a + (qx + 0.5) / Q - 0.5) * spacing[0];
              if (x * x + y * y + z * z <= r2) n++;
            }
          }
        }
        if (n > 0) {
          di.push(a);
          dj.push(b);
          dk.push(c);
          w.push(n);
          total += n;
        }
      }
    }
  }
  if (total === 0) {
    // A sphere smaller than a kernel sample: all its weight on its own voxel.
    return { di: Int32Array.of(0), dj: Int32Array.of(0), dk: Int32Array.of(0), w: Float64Array.of(1), m: [0, 0, 0] };
  }
  return { di: Int32Array.from(di), dj: Int32Array.from(dj), dk: Int32Array.from(dk), w: Float64Array.from(w, (v) => v / total), m };
}

/** Fraction of the ball around each voxel centre inside the effective target (band only, else 0/1). */
function fractionField(sd: Float32Array, grid: Grid, radiusMm: number, insetMm: number): Float32Array {
  const [nx, ny, nz] = grid.size;
  const nxy = nx * ny;
  const occ = effectiveOccupancy(sd, grid, insetMm);
  const kern = ballKernel(grid.spacingMm, radiusMm);
  const nk = kern.w.length;
  const lin = new Int32Array(nk);
  for (let t = 0; t < nk; t++) lin[t] = kern.di[t]! + nx * (kern.dj[t]! + ny * kern.dk[t]!);
  const band = radiusMm + Math.hypot(...grid.spacingMm) + 1e-6;
  const out = new Float32Array(sd.length);
  const [mx, my, mz] = kern.m;
  for (let k = 0, g = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, g++) {
        const e = sd[g]! + insetMm;
        if (e <= -band) {
          out[g] = 1;
          continue;
        }
        if (e >= band) {
          out[g] = 0;
          continue;
        }
        let s = 0;
        if (i >= mx && j >= my && k >= mz && i < nx - mx && j < ny - my && k < nz - mz) {
          for (let t = 0; t < nk; t++) s += kern.w[t]! * occ[g + lin[t]!]!;
        } else {
          for (let t = 0; t < nk; t++) {
            const a = Math.min(nx - 1, Math.max(0, i + kern.di[t]!));
            const b = Math.min(ny - 1, Math.max(0, j + kern.dj[t]!));
            const c = Math.min(nz - 1, Math.max(0, k + kern.dk[t]!));
            s += kern.w[t]! * occ[a + nx * b + nxy * c]!;
          }
        }
        out[g] = s;
      }
    }
  }
  return out;
}

function capInfinite(f: Float32Array): Float32Array {
  for (let g = 0; g < f.length; g++) if (!(f[g]! < FAR_MM)) f[g] = FAR_MM;
  return f;
}

export interface FieldOptions {
  readonly radiusMm: number;
  readonly insetMm: number;
  readonly oarClearanceMm: number;
}

/** Build the fields for a target and its organs at risk (masks on one grid). */
export function buildPlacementFields(target: MaskStructure, oars: readonly MaskStructure[], options: FieldOptions): PlacementFields {
  const grid = target.mask.grid;
  for (const o of oars) assertSameGrid(grid, o.mask.grid, `organ "${o.name}" vs target "${target.name}"`);
  const bb = maskBounds(target.mask);
  if (bb === undefined) {
    throw new GeometryError('vertex placement: expected a non-empty target, found no voxels', { structure: target.name });
  }
  const r = options.radiusMm;
  const oarReachMm = r + options.oarClearanceMm + OAR_REPORT_EXTRA_MM;
  const maxSpacing = Math.max(...grid.spacingMm);
  // Target fields: centres lie within r (+ the surface's half voxel) of the target's voxels, and a
  // sphere there reaches r further; 3 more voxels for the blur of the sub-voxel surface.
  const boxAround = (padMm: number): { lo: [number, number, number]; hi: [number, number, number] } => {
    const lo: [number, number, number] = [0, 0, 0];
    const hi: [number, number, number] = [0, 0, 0];
    for (let a = 0; a < 3; a++) {
      const pad = Math.ceil(padMm / grid.spacingMm[a]!) + 3;
      lo[a] = Math.max(0, bb.lo[a]! - pad);
      hi[a] = Math.min(grid.size[a]! - 1, bb.hi[a]! + pad);
    }
    return { lo, hi };
  };
  const tBox = boxAround(2 * r + options.insetMm + maxSpacing);
  const sub = subGrid(grid, tBox.lo, tBox.hi);
  const subTarget = cropMask(target.mask, sub, tBox.lo);
  const targetSd = capInfinite(
    signedDistanceMm(subTarget, { name: target.name, maxDistanceMm: r + options.insetMm + 4 * maxSpacing }),
  );
  const fraction = fractionField(targetSd, sub, r, options.insetMm);
  // Organ fields: organs matter within oarReachMm of a centre.
  const oBox = boxAround(r + oarReachMm);
  const lo = oBox.lo;
  const oarGrid = subGrid(grid, oBox.lo, oBox.hi);

  let oarSd: Float32Array | undefined;
  let oarUnion: Uint8Array | undefined;
  if (oars.length > 0) {
    const union = createMask(oarGrid);
    for (const o of oars) {
      const c = cropMask(o.mask, oarGrid, lo);
      for (let g = 0; g < union.data.length; g++) if (c.data[g] !== 0) union.data[g] = 1;
    }
    if (maskBounds(union) !== undefined) {
      // Distance outside the organs only (sub-voxel surface, distance.ts), up to the reach; a voxel
      // inside an organ gets minus half the smallest spacing (a centre there fails any clearance).
      const field = surfaceDistanceField(union, 'outside', {
        name: 'organs at risk',
        reachMm: [oarReachMm + 2 * maxSpacing, oarReachMm + 2 * maxSpacing, oarReachMm + 2 * maxSpacing],
      });
      const inside = -0.5 * Math.min(...grid.spacingMm);
      const sd = new Float32Array(union.data.length).fill(FAR_MM);
      const [bx, by] = oarGrid.size;
      const { box, size, distance } = field;
      for (let k = 0, b = 0; k < size[2]; k++) {
        for (let j = 0; j < size[1]; j++) {
          let g = box.lo[0] + bx * (box.lo[1] + j + by * (box.lo[2] + k));
          for (let i = 0; i < size[0]; i++, b++, g++) {
            const d = distance[b]!;
            sd[g] = union.data[g] !== 0 ? inside : d < FAR_MM ? d : FAR_MM;
          }
        }
      }
      for (let g = 0; g < sd.length; g++) if (union.data[g] !== 0) sd[g] = inside; // voxels outside the field's box
      oarSd = sd;
      oarUnion = union.data;
    }
  }

  // Region of centres: LPS box of the target's bounding box, grown by r plus half a voxel diagonal.
  const grow = r + 0.5 * Math.hypot(...grid.spacingMm);
  const regionMin: [number, number, number] = [Infinity, Infinity, Infinity];
  const regionMax: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    const p = indexToLps(grid, [c & 1 ? bb.hi[0] : bb.lo[0], c & 2 ? bb.hi[1] : bb.lo[1], c & 4 ? bb.hi[2] : bb.lo[2]]);
    for (let a = 0; a < 3; a++) {
      regionMin[a] = Math.min(regionMin[a]!, p[a]! - grow);
      regionMax[a] = Math.max(regionMax[a]!, p[a]! + grow);
    }
  }
  return {
    grid,
    sub,
    lpsToSub: lpsToIndexAffine(sub),
    oarGrid,
    oarLo: lo,
    lpsToOar: lpsToIndexAffine(oarGrid),
    radiusMm: r,
    insetMm: options.insetMm,
    targetSd,
    fraction,
    oarSd,
    oarUnion,
    oarReachMm,
    regionMinLps: regionMin,
    regionMaxLps: regionMax,
  };
}

/** Signed distance (mm) to the target surface at an LPS point (FAR_MM beyond the fields). */
export function targetSdAt(f: PlacementFields, p: Vec3 | PointLps): number {
  const b = f.lpsToSub;
  const [nx, ny, nz] = f.sub.size;
  return trilinear(
    f.targetSd, nx, ny, nz,
    b[0]! * p[0] + b[1]! * p[1] + b[2]! * p[2] + b[3]!,
    b[4]! * p[0] + b[5]! * p[1] + b[6]! * p[2] + b[7]!,
    b[8]! * p[0] + b[9]! * p[1] + b[10]! * p[2] + b[11]!,
    FAR_MM,
  );
}

/**
 * The organs (names, from `oars`) holding the organ voxel nearest to an LPS point, searched within
 * maxMm (voxel centres; brute force over a window, for the audit of a few candidates). Empty when
 * none lies within maxMm.
 */
export function nearestOarNames(f: PlacementFields, oars: readonly MaskStructure[], p: Vec3, maxMm: number): string[] {
  const u = f.oarUnion;
  if (u === undefined) return [];
  const b = f.lpsToOar;
  const [nx, ny, nz] = f.oarGrid.size;
  const [sx, sy, sz] = f.oarGrid.spacingMm;
  const ci = b[0]! * p[0] + b[1]! * p[1] + b[2]! * p[2] + b[3]!;
  const cj = b[4]! * p[0] + b[5]! * p[1] + b[6]! * p[2] + b[7]!;
  const ck = b[8]! * p[0] + b[9]! * p[1] + b[10]! * p[2] + b[11]!;
  const i0 = Math.max(0, Math.floor(ci - maxMm / sx)), i1 = Math.min(nx - 1, Math.ceil(ci + maxMm / sx));
  const j0 = Math.max(0, Math.floor(cj - maxMm / sy)), j1 = Math.min(ny - 1, Math.ceil(cj + maxMm / sy));
  const k0 = Math.max(0, Math.floor(ck - maxMm / sz)), k1 = Math.min(nz - 1, Math.ceil(ck + maxMm / sz));
  let best = maxMm * maxMm;
  let at = -1;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const g = i + nx * (j + ny * k);
        if (u[g] === 0) continue;
        const d = ((i - ci) * sx) ** 2 + ((j - cj) * sy) ** 2 + ((k - ck) * sz) ** 2;
        if (d < best) {
          best = d;
          at = g;
        }
      }
    }
  }
  if (at < 0) return [];
  const i = at % nx;
  const j = ((at - i) / nx) % ny;
  const k = (at - i - nx * j) / (nx * ny);
  const [gx, gy] = f.grid.size;
  const full = f.oarLo[0] + i + gx * (f.oarLo[1] + j + gy * (f.oarLo[2] + k));
  return oars.filter((o) => o.mask.data[full] !== 0).map((o) => o.name);
}
