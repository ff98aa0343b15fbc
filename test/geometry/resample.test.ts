/**
 * Resampling. Expected values are analytic: a linear field is reproduced exactly by trilinear
 * interpolation; box overlaps are products of 1-D interval overlaps computed in LPS; volumes are
 * voxel counts times voxel volumes of the source.
 */

import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import type { Mat3, Vec3 } from '../../src/core/vec3.js';
import {
  createGrid,
  indexToLps,
  lpsToContinuousIndex,
  voxelCount,
  voxelVolumeMm3,
  type Grid,
} from '../../src/geometry/grid.js';
import {
  axisCorrespondence,
  maskToOccupancy,
  occupancyToMask,
  resampleOccupancy,
  resampleTrilinear,
  sampleTrilinear,
  trilinearSampler,
} from '../../src/geometry/resample.js';
import {
  countVoxels,
  createMask,
  createOccupancy,
  createScalarVolume,
  maskVolumeCc,
  occupancyVolumeCc,
  type Mask,
  type ScalarVolume,
} from '../../src/geometry/volume.js';
import { maskWhere } from '../helpers/masks.js';

// ---------------------------------------------------------------------------------------------
// helpers

/** Rotation by `angleRad` about `axis` (Rodrigues), row-major. */
function rotation(axis: Vec3, angleRad: number): Mat3 {
  const n = Math.hypot(axis[0], axis[1], axis[2]);
  const [x, y, z] = [axis[0] / n, axis[1] / n, axis[2] / n];
  const c = Math.cos(angleRad);
  const s = Math.sin(angleRad);
  const t = 1 - c;
  return [
    t * x * x + c, t * x * y - s * z, t * x * z + s * y,
    t * x * y + s * z, t * y * y + c, t * y * z - s * x,
    t * x * z - s * y, t * y * z + s * x, t * z * z + c,
  ];
}

/** i along -P, j along +S, k along -L: a permutation with flips (right-handed). */
const PERMUTED_FLIPPED: Mat3 = [0, 0, -1, -1, 0, 0, 0, 1, 0];
/** Feet-first-like flip of two axes. */
const FLIPPED: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
/** Left-handed permutation: i along P, j along L, k along S. */
const PERMUTED_LEFT: Mat3 = [0, 1, 0, 1, 0, 0, 0, 0, 1];
const OBLIQUE: Mat3 = rotation([1, 2, 3], 0.4);

/** A grid of `size` and `spacingMm` and `direction` whose voxel-centre box is centred at `centre`. */
function centredGrid(size: Vec3, spacingMm: Vec3, direction: Mat3, centre: Vec3): Grid {
  const half = [0, 1, 2].map((a) => ((size[a]! - 1) * spacingMm[a]!) / 2);
  const off = [0, 1, 2].map((r) => direction[3 * r]! * half[0]! + direction[3 * r + 1]! * half[1]! + direction[3 * r + 2]! * half[2]!);
  return createGrid({
    size: size as readonly [number, number, number],
    spacingMm,
    originMm: [centre[0] - off[0]!, centre[1] - off[1]!, centre[2] - off[2]!],
    direction,
  });
}

function fillField(grid: Grid, f: (x: number, y: number, z: number) => number): ScalarVolume {
  const [nx, ny, nz] = grid.size;
  const data = new Float32Array(voxelCount(grid));
  let p = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const q = indexToLps(grid, [i, j, k]);
        data[p] = f(q[0], q[1], q[2]);
      }
    }
  }
  return createScalarVolume(grid, data);
}

/** Voxels whose centre (LPS, mm) lies within radiusMm of centre. */
const sphereMaskLps = (grid: Grid, centre: Vec3, radiusMm: number): Mask =>
  maskWhere(grid, (x, y, z) => Math.hypot(x - centre[0], y - centre[1], z - centre[2]) <= radiusMm);

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

// A linear field f = a + b x + c y + d z (LPS, mm).
const linear = (x: number, y: number, z: number): number => 12.5 + 0.75 * x - 1.25 * y + 0.5 * z;

// Source: anisotropic, shifted, permuted and flipped axes.
const SOURCE = createGrid({
  size: [20, 18, 16],
  spacingMm: [1.2, 0.9, 2.0],
  originMm: [14.3, -22.1, 31.7],
  direction: PERMUTED_FLIPPED,
});
const SOURCE_CENTRE = indexToLps(SOURCE, [9.5, 8.5, 7.5]);

// ---------------------------------------------------------------------------------------------

describe('resampleTrilinear', () => {
  const source = fillField(SOURCE, linear);
  const targets: [string, Grid][] = [
    ['identity-direction, anisotropic, shifted', centredGrid([8, 7, 6], [1.1, 1.3, 0.7], [1, 0, 0, 0, 1, 0, 0, 0, 1], [SOURCE_CENTRE[0] + 0.31, SOURCE_CENTRE[1] - 0.17, SOURCE_CENTRE[2] + 0.4])],
    ['flipped', centredGrid([9, 6, 7], [0.8, 1.7, 1.1], FLIPPED, SOURCE_CENTRE)],
    ['permuted, left-handed', centredGrid([6, 9, 8], [1.3, 0.6, 0.95], PERMUTED_LEFT, SOURCE_CENTRE)],
    ['same axes as the source', centredGrid([7, 7, 5], [0.5, 0.45, 1.5], PERMUTED_FLIPPED, SOURCE_CENTRE)],
    ['oblique', centredGrid([8, 7, 6], [1.1, 1.3, 0.7], OBLIQUE, SOURCE_CENTRE)],
  ];
  for (const [name, target] of targets) {
    it(`reproduces a linear field exactly (float32 precision) on a ${name} target inside the source`, () => {
      const out = resampleTrilinear(source, target);
      expect(out.grid).toBe(target);
      const [nx, ny, nz] = target.size;
      let p = 0;
      let worst = 0;
      let scale = 0;
      for (let k = 0; k < nz; k++) {
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++, p++) {
            const q = indexToLps(target, [i, j, k]);
            // Sanity of the test set-up: strictly inside the outer source voxel centres.
            const c = lpsToContinuousIndex(SOURCE, q);
            for (let a = 0; a < 3; a++) {
              expect(c[a]).toBeGreaterThan(0);
              expect(c[a]).toBeLessThan(SOURCE.size[a]! - 1);
            }
            const expected = linear(q[0], q[1], q[2]);
            scale = Math.max(scale, Math.abs(expected));
            worst = Math.max(worst, Math.abs(out.data[p]! - expected));
          }
        }
      }
      // Source samples and the output are float32: two roundings of at most half an ulp each.
      expect(worst).toBeLessThanOrEqual(2 * 2 ** -24 * scale * 2);
    });
  }

  it('returns the input unchanged on its own grid', () => {
    const data = new Float32Array(voxelCount(SOURCE));
    for (let p = 0; p < data.length; p++) data[p] = Math.sin(p * 0.37) * 1000 - 200;
    const vol = createScalarVolume(SOURCE, data);
    const out = resampleTrilinear(vol, SOURCE);
    expect(out.data).toEqual(data);
    expect(out.data).not.toBe(data);
  });

  it('gives 0.5 at a step when shifted by half a voxel', () => {
    const grid = createGrid({ size: [10, 3, 2], spacingMm: [2, 1, 1], originMm: [0, 0, 0] });
    const step = fillField(grid, (x) => (x >= 9 ? 1 : 0)); // 0 for i <= 4, 1 for i >= 5
    const shifted = createGrid({ size: [9, 3, 2], spacingMm: [2, 1, 1], originMm: [1, 0, 0] });
    const out = resampleTrilinear(step, shifted);
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < 3; j++) {
        const row = Array.from(out.data.subarray(9 * (j + 3 * k), 9 * (j + 3 * k) + 9));
        expect(row).toEqual([0, 0, 0, 0, 0.5, 1, 1, 1, 1]);
      }
    }
  });

  it('clamps within half a voxel outside the outer centres and uses outsideValue beyond', () => {
    const grid = createGrid({ size: [4, 4, 4], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const vol = fillField(grid, (x, y, z) => x + 10 * y + 100 * z);
    // Centres at 0, 2, 4, 6 mm; footprint [-1, 7] mm on every axis. At y = z = 3 (index 1.5).
    const target = createGrid({ size: [1, 1, 1], spacingMm: [1, 1, 1], originMm: [-0.9, 3, 3] });
    expect(resampleTrilinear(vol, target, { outsideValue: -1000 }).data[0]).toBeCloseTo(0 + 330, 4);
    const s = trilinearSampler(vol, { outsideValue: -1000 });
    expect(s(-0.99, 3, 3)).toBeCloseTo(330, 4);
    expect(s(6.9, 3, 3)).toBeCloseTo(6 + 330, 4);
    expect(s(7.1, 3, 3)).toBe(-1000);
    expect(s(-1.1, 3, 3)).toBe(-1000);
    expect(s(3, 3, 6.99)).toBeCloseTo(3 + 30 + 600, 4);
    expect(s(3, 3, 7.01)).toBe(-1000);
    expect(sampleTrilinear(vol, [3, 3, 100])).toBe(0);
    expect(Number.isNaN(sampleTrilinear(vol, [3, 3, 100], { outsideValue: NaN }))).toBe(true);
    // Default outside value is 0.
    const far = createGrid({ size: [2, 1, 1], spacingMm: [1, 1, 1], originMm: [100, 0, 0] });
    expect(Array.from(resampleTrilinear(vol, far).data)).toEqual([0, 0]);
  });

  it('handles single-voxel axes (a single slice) without reading past the data', () => {
    const grid = createGrid({ size: [3, 3, 1], spacingMm: [1, 1, 3], originMm: [0, 0, 0] });
    const vol = fillField(grid, (x, y) => x + 2 * y);
    expect(sampleTrilinear(vol, [1.5, 0.5, 1.4])).toBeCloseTo(2.5, 6);
    expect(sampleTrilinear(vol, [1.5, 0.5, 1.6])).toBe(0);
  });

  it('sampleTrilinear reproduces a linear field at arbitrary interior points', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let n = 0; n < 200; n++) {
      const c: Vec3 = [1 + rand() * 17, 1 + rand() * 15, 1 + rand() * 13];
      const q = indexToLps(SOURCE, c);
      const v = sampleTrilinear(source, q);
      expect(Math.abs(v - linear(q[0], q[1], q[2]))).toBeLessThan(1e-4);
    }
  });

  it('rejects mismatched data, bad grids and infinite outside values with GeometryError', () => {
    const bad = { grid: SOURCE, data: new Float32Array(10) };
    expect(() => resampleTrilinear(bad, SOURCE)).toThrow(GeometryError);
    expect(() => resampleTrilinear(bad, SOURCE)).toThrow(/expected 5760 values .* found 10/);
    const wrongType = { grid: SOURCE, data: new Uint8Array(voxelCount(SOURCE)) } as unknown as ScalarVolume;
    expect(() => resampleTrilinear(wrongType, SOURCE)).toThrow(/expected data as Float32Array, found Uint8Array/);
    const badGrid = { ...SOURCE, spacingMm: [1, 0, 1] } as unknown as Grid;
    expect(() => resampleTrilinear(source, badGrid)).toThrow(/target: grid spacing along axis j must be positive/);
    expect(() => resampleTrilinear(source, SOURCE, { outsideValue: Infinity })).toThrow(GeometryError);
    expect(() => sampleTrilinear(bad, [0, 0, 0])).toThrow(GeometryError);
  });
});

// ---------------------------------------------------------------------------------------------

describe('resampleOccupancy', () => {
  it('detects axis-parallel grids up to permutations and flips, and oblique ones', () => {
    const a = centredGrid([4, 4, 4], [1, 1, 1], PERMUTED_FLIPPED, [0, 0, 0]);
    const b = centredGrid([4, 4, 4], [1, 1, 1], FLIPPED, [0, 0, 0]);
    // b's i = -L = column 2 of a (which is -L)... a: i=-P, j=+S, k=-L; b: i=-L, j=+P, k=-S.
    expect(axisCorrespondence(a, b)).toEqual([
      { sourceAxis: 2, sign: 1 },
      { sourceAxis: 0, sign: -1 },
      { sourceAxis: 1, sign: -1 },
    ]);
    expect(axisCorrespondence(a, centredGrid([4, 4, 4], [1, 1, 1], OBLIQUE, [0, 0, 0]))).toBeUndefined();
    // Both rotated by the same oblique rotation: still axis-parallel to each other.
    const r1 = centredGrid([4, 4, 4], [1, 1, 1], OBLIQUE, [0, 0, 0]);
    expect(axisCorrespondence(r1, r1)).toEqual([
      { sourceAxis: 0, sign: 1 },
      { sourceAxis: 1, sign: 1 },
      { sourceAxis: 2, sign: 1 },
    ]);
  });

  it('gives the exact box overlap of a box mask on a flipped, permuted, shifted target', () => {
    // Source box: voxels i 3..8, j 2..5, k 4..6 of a 1 mm identity grid at the origin.
    const src = createGrid({ size: [12, 10, 10], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const mask = createMask(src);
    for (let k = 4; k <= 6; k++) for (let j = 2; j <= 5; j++) for (let i = 3; i <= 8; i++) mask.data[i + 12 * (j + 10 * k)] = 1;
    // LPS extent of the box (voxel faces): x 2.5..8.5, y 1.5..5.5, z 3.5..6.5.
    const box = [[2.5, 8.5], [1.5, 5.5], [3.5, 6.5]] as const;
    const target = createGrid({ size: [7, 8, 9], spacingMm: [1.7, 0.9, 1.3], originMm: [10.2, 0.3, -0.4], direction: [0, -1, 0, 0, 0, 1, 1, 0, 0] });
    // direction columns: i -> +S, j -> -L, k -> +P (left-handed)
    const out = resampleOccupancy(mask, target);
    const [nx, ny, nz] = target.size;
    let p = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++, p++) {
          const c = indexToLps(target, [i, j, k]);
          // Half-widths along L, P, S of the target voxel: j runs along L, k along P, i along S.
          const half = [0.9 / 2, 1.3 / 2, 1.7 / 2];
          let expected = 1;
          for (let a = 0; a < 3; a++) {
            const lo = Math.max(c[a]! - half[a]!, box[a][0]);
            const hi = Math.min(c[a]! + half[a]!, box[a][1]);
            expected *= Math.max(0, hi - lo) / (2 * half[a]!);
          }
          expect(out.data[p]).toBeCloseTo(expected, 6);
        }
      }
    }
  });

  it('preserves the volume of a sphere from 1 mm to 2.5 mm to 1e-6 (axis-parallel, exact)', () => {
    const src = createGrid({ size: [50, 50, 50], spacingMm: [1, 1, 1], originMm: [-24.5, -24.5, -24.5] });
    const mask = sphereMaskLps(src, [0.2, -0.3, 0.1], 20);
    const target = createGrid({ size: [24, 24, 24], spacingMm: [2.5, 2.5, 2.5], originMm: [-28.63, -27.91, -29.07] });
    const out = resampleOccupancy(mask, target);
    expect(relErr(occupancyVolumeCc(out), maskVolumeCc(mask))).toBeLessThan(1e-6);
    // Interior voxels are full, far voxels empty, and every value is a fraction.
    expect(Math.max(...out.data)).toBe(1);
    expect(Math.min(...out.data)).toBe(0);
  });

  it('preserves the volume of a sphere from 2.5 mm to (1, 1, 3) mm on a flipped, permuted target to 1e-6', () => {
    const src = createGrid({ size: [24, 24, 24], spacingMm: [2.5, 2.5, 2.5], originMm: [-28.75, -28.75, -28.75] });
    const mask = sphereMaskLps(src, [0, 0, 0], 22);
    for (const direction of [[1, 0, 0, 0, 1, 0, 0, 0, 1] as Mat3, PERMUTED_FLIPPED, FLIPPED]) {
      const target = centredGrid([64, 66, 22], [1, 1, 3], direction, [0.37, -0.21, 0.55]);
      const out = resampleOccupancy(mask, target);
      expect(relErr(occupancyVolumeCc(out), maskVolumeCc(mask))).toBeLessThan(1e-6);
    }
  });

  it('preserves the volume inside the covered region when the target covers only part of the source', () => {
    const src = createGrid({ size: [40, 40, 40], spacingMm: [1, 1, 1], originMm: [-19.5, -19.5, -19.5] });
    const mask = sphereMaskLps(src, [0, 0, 0], 15);
    // Target footprint along x: [-20, 0.0] (faces on source voxel faces), whole y and z.
    const target = createGrid({ size: [8, 20, 16], spacingMm: [2.5, 2, 2.5], originMm: [-18.75, -19, -18.75] });
    let expectedVoxels = 0;
    for (let k = 0; k < 40; k++) for (let j = 0; j < 40; j++) for (let i = 0; i < 20; i++) expectedVoxels += mask.data[i + 40 * (j + 40 * k)]!;
    const out = resampleOccupancy(mask, target);
    expect(relErr(occupancyVolumeCc(out) * 1000, expectedVoxels * voxelVolumeMm3(src))).toBeLessThan(1e-6);
  });

  it('approximates the volume on an oblique target within 2 %', () => {
    const src = createGrid({ size: [50, 50, 50], spacingMm: [1, 1, 1], originMm: [-24.5, -24.5, -24.5] });
    const mask = sphereMaskLps(src, [0, 0, 0], 18);
    const target = centredGrid([22, 22, 22], [2.5, 2.5, 2.5], OBLIQUE, [0.3, 0.1, -0.2]);
    const out = resampleOccupancy(mask, target);
    expect(relErr(occupancyVolumeCc(out), maskVolumeCc(mask))).toBeLessThan(0.02);
    const coarse = resampleOccupancy(mask, target, { supersample: 2 });
    expect(relErr(occupancyVolumeCc(coarse), maskVolumeCc(mask))).toBeLessThan(0.05);
  });

  it('on an oblique target equals n^3 nearest-neighbour sub-samples taken point by point', () => {
    // FLIPPED: i along -L, k along -S; the voxel centres span L -6.5..6.5, P -8.25..8.25, S -9..9.
    const src = createGrid({ size: [14, 12, 10], spacingMm: [1, 1.5, 2], originMm: [6.5, -8.25, 9], direction: FLIPPED });
    const mask = sphereMaskLps(src, [0.4, 0.3, -0.5], 5.5);
    // Knock out a few voxels so that the source is not smooth.
    for (let p = 0; p < mask.data.length; p += 7) mask.data[p] = 0;
    expect(countVoxels(mask)).toBeGreaterThan(100);
    const target = centredGrid([7, 6, 8], [1.7, 1.3, 1.1], OBLIQUE, [0.2, 0.1, -0.3]);
    const n = 3;
    const out = resampleOccupancy(mask, target, { supersample: n });
    const [tx, ty, tz] = target.size;
    let p = 0;
    let partial = 0;
    let full = 0;
    for (let k = 0; k < tz; k++) {
      for (let j = 0; j < ty; j++) {
        for (let i = 0; i < tx; i++, p++) {
          let hits = 0;
          for (let c = 0; c < n; c++) for (let b = 0; b < n; b++) for (let a = 0; a < n; a++) {
            const q = indexToLps(target, [i + (a + 0.5) / n - 0.5, j + (b + 0.5) / n - 0.5, k + (c + 0.5) / n - 0.5]);
            const ci = lpsToContinuousIndex(src, q).map((v) => Math.floor(v + 0.5));
            if (ci.every((v, ax) => v >= 0 && v < src.size[ax]!)) hits += mask.data[ci[0]! + 14 * (ci[1]! + 12 * ci[2]!)]!;
          }
          expect(out.data[p]).toBeCloseTo(hits / n ** 3, 6);
          if (hits > 0 && hits < n ** 3) partial++;
          if (hits === n ** 3) full++;
        }
      }
    }
    expect(partial).toBeGreaterThan(20);
    expect(full).toBeGreaterThan(5);
  });

  it('round-trips exactly through an integer refinement (1 mm -> 0.5 mm -> 1 mm)', () => {
    const src = createGrid({ size: [30, 30, 30], spacingMm: [1, 1, 1], originMm: [14.5, -14.5, 14.5], direction: FLIPPED });
    const mask = sphereMaskLps(src, [0.3, 0, 0], 11);
    expect(countVoxels(mask)).toBeGreaterThan(5000);
    const fine = createGrid({ size: [60, 60, 60], spacingMm: [0.5, 0.5, 0.5], originMm: [14.75, -14.75, 14.75], direction: FLIPPED });
    const back = resampleOccupancy(resampleOccupancy(mask, fine), src);
    let worst = 0;
    for (let p = 0; p < back.data.length; p++) worst = Math.max(worst, Math.abs(back.data[p]! - mask.data[p]!));
    expect(worst).toBeLessThan(1e-6);
    expect(occupancyToMask(back).data).toEqual(mask.data);
  });

  it('round-trips 1 mm -> 2.5 mm -> 1 mm with the volume kept and the shape close', () => {
    const src = createGrid({ size: [50, 50, 50], spacingMm: [1, 1, 1], originMm: [-24.5, -24.5, -24.5] });
    const mask = sphereMaskLps(src, [0, 0, 0], 20);
    const coarse = createGrid({ size: [22, 22, 22], spacingMm: [2.5, 2.5, 2.5], originMm: [-26.25, -26.25, -26.25] });
    const back = resampleOccupancy(resampleOccupancy(mask, coarse), src);
    expect(relErr(occupancyVolumeCc(back), maskVolumeCc(mask))).toBeLessThan(1e-6);
    const again = occupancyToMask(back);
    let both = 0;
    for (let p = 0; p < mask.data.length; p++) both += mask.data[p]! & again.data[p]!;
    const dice = (2 * both) / (countVoxels(mask) + countVoxels(again));
    // Thresholded, the round trip is about the 2.5 mm voxelisation of the sphere: the surface moves by
    // s/4 on average (s = 2.5 mm), so |A xor B| ~ area * s / 4 and Dice ~ 1 - 3 s / (8 r) = 0.953.
    expect(dice).toBeGreaterThan(0.95);
  });

  it('accepts an occupancy source, returns zeros for an empty one and keeps the target grid', () => {
    const src = createGrid({ size: [4, 4, 4], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const occ = createOccupancy(src);
    occ.data[21] = 0.25; // voxel (1, 1, 1): LPS box [1, 3]^3, volume 8 mm^3 x 0.25 = 2 mm^3
    const target = createGrid({ size: [8, 8, 8], spacingMm: [1, 1, 1], originMm: [-0.5, -0.5, -0.5] });
    const out = resampleOccupancy(occ, target);
    expect(out.grid).toBe(target);
    expect(occupancyVolumeCc(out) * 1000).toBeCloseTo(2, 9);
    // target voxels (2..3)^3 lie in source voxel (1, 1, 1) and get 0.25 each.
    expect(out.data[2 + 8 * (2 + 8 * 2)]).toBe(0.25);
    const empty = resampleOccupancy(createMask(src), target);
    expect(empty.data.every((v) => v === 0)).toBe(true);
  });

  it('rejects bad input with GeometryError stating expected and found', () => {
    const src = createGrid({ size: [4, 4, 4], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const occ = createOccupancy(src);
    occ.data[3] = 1.5;
    expect(() => resampleOccupancy(occ, src)).toThrow(/expected occupancy fractions in \[0, 1\], found 1.5 at voxel \(3, 0, 0\)/);
    expect(() => resampleOccupancy(createMask(src), src, { supersample: 0 })).toThrow(/expected supersample .* found 0/);
    expect(() => resampleOccupancy({ grid: src, data: new Int16Array(64) } as unknown as Mask, src)).toThrow(GeometryError);
    expect(() => resampleOccupancy(createMask(src), null as unknown as Grid)).toThrow(/expected a grid/);
  });
});

describe('occupancyToMask and maskToOccupancy', () => {
  const grid = createGrid({ size: [4, 1, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });

  it('thresholds at >= 0.5 by default and at a given threshold', () => {
    const occ = createOccupancy(grid, new Float32Array([0, 0.49, 0.5, 1]));
    expect(Array.from(occupancyToMask(occ).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(occupancyToMask(occ, 0.4).data)).toEqual([0, 1, 1, 1]);
    expect(Array.from(occupancyToMask(occ, 1).data)).toEqual([0, 0, 0, 1]);
    expect(() => occupancyToMask(occ, 0)).toThrow(/expected a threshold in \(0, 1\], found 0/);
  });

  it('maps non-zero mask voxels to 1', () => {
    const mask = createMask(grid, new Uint8Array([0, 1, 0, 1]));
    const occ = maskToOccupancy(mask);
    expect(Array.from(occ.data)).toEqual([0, 1, 0, 1]);
    expect(occ.grid).toBe(grid);
    expect(() => maskToOccupancy(occ as unknown as Mask)).toThrow(/expected data as Uint8Array, found Float32Array/);
  });
});
