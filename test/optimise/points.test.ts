/**
 * Optimisation points (src/optimise/points.ts): the multi-resolution point cloud and the point sets
 * of structures. Expected values are derived in the tests from the definitions in the module header
 * (blocks of the coarse stride, cut into medium blocks where they touch the medium region and into
 * fine blocks where they touch the fine region; one point per leaf block at the centroid of its
 * included voxel centres, standing for their volume), never from the code under test.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeometryError, InputError } from '../../src/core/errors.js';
import type { Mat3 } from '../../src/core/vec3.js';
import { createGrid, indexToLps, type Grid } from '../../src/geometry/grid.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';
import { buildPointCloud, pointSetOf } from '../../src/optimise/points.js';

/** Tolerances, one per kind of quantity. */
const TOL_MM = 1e-9;
const TOL_CC = 1e-12;
const TOL_WEIGHT = 1e-12;

const idx = (g: Grid, i: number, j: number, k: number): number => i + g.size[0] * (j + g.size[1] * k);

function maskOf(grid: Grid, voxels: readonly (readonly [number, number, number])[]): Mask {
  const m = createMask(grid);
  for (const [i, j, k] of voxels) m.data[idx(grid, i, j, k)] = 1;
  return m;
}

function countSet(m: Mask): number {
  let n = 0;
  for (const v of m.data) if (v !== 0) n++;
  return n;
}

/** Run fn and return the error it throws (failing the test when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('buildPointCloud with every stride 1', () => {
  // Spacing 2 x 2.5 x 3 mm, every level at 2.5 mm: round(2.5 / 2) = round(2.5 / 2.5) = round(2.5 / 3) = 1
  // voxel per point along every axis. A feet-first, flipped direction so that index -> LPS is not trivial.
  const direction: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
  const grid = createGrid({ size: [5, 4, 3], spacingMm: [2, 2.5, 3], originMm: [12, -7.5, 40], direction });

  it('is exactly the voxel centres of include, in x-fastest order, each standing for one voxel', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (bits) => {
        fc.pre(bits.some((b) => b));
        const include = createMask(grid, Uint8Array.from(bits, (b) => (b ? 1 : 0)));
        const cloud = buildPointCloud(include, undefined, undefined, { fineMm: 2.5, mediumMm: 2.5, coarseMm: 2.5 });
        expect(cloud.strides).toEqual([
          [1, 1, 1],
          [1, 1, 1],
          [1, 1, 1],
        ]);
        const expected: number[][] = [];
        const [nx, ny, nz] = grid.size;
        for (let k = 0; k < nz; k++)
          for (let j = 0; j < ny; j++)
            for (let i = 0; i < nx; i++) if (include.data[idx(grid, i, j, k)]) expected.push([...indexToLps(grid, [i, j, k])]);
        expect(cloud.count).toBe(expected.length);
        const voxelCc = (2 * 2.5 * 3) / 1000;
        expected.forEach((p, n) => {
          for (let a = 0; a < 3; a++) expect(Math.abs(cloud.pointsLps[3 * n + a]! - p[a]!)).toBeLessThan(TOL_MM);
          expect(Math.abs(cloud.volumeCc[n]! - voxelCc)).toBeLessThan(TOL_CC);
        });
        // every included voxel is its own point; the others belong to none
        let n = 0;
        for (let v = 0; v < include.data.length; v++) expect(cloud.pointOfVoxel[v]).toBe(include.data[v] ? n++ : -1);
      }),
      { numRuns: 30 },
    );
  });

  it('gives every structure exact weights: 1 / (its voxel count) on each of its voxels', () => {
    const include = createMask(grid, new Uint8Array(60).fill(1));
    const cloud = buildPointCloud(include, undefined, undefined, { fineMm: 2.5, mediumMm: 2.5, coarseMm: 2.5 });
    const s = maskOf(grid, [
      [0, 0, 0],
      [4, 3, 2],
      [2, 1, 1],
    ]);
    const { set } = pointSetOf(cloud, s, 'S');
    expect([...set.indices]).toEqual([idx(grid, 0, 0, 0), idx(grid, 2, 1, 1), idx(grid, 4, 3, 2)]);
    for (const w of set.weights) expect(Math.abs(w - 1 / 3)).toBeLessThan(TOL_WEIGHT);
  });
});

describe('buildPointCloud bookkeeping for any strides (property)', () => {
  // Spacing 1 mm, so a spacing of n mm is a stride of n voxels; the medium and coarse spacings are
  // multiples of the finer ones, so the strides are exactly the spacings.
  const arbCase = fc
    .record({
      size: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 })),
      fine: fc.integer({ min: 1, max: 2 }),
      mediumFactor: fc.integer({ min: 1, max: 3 }),
      coarseFactor: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      density: fc.double({ min: 0.1, max: 1, noNaN: true }),
      regions: fc.constantFrom('none', 'medium', 'fine', 'both'),
    })
    .map((c) => {
      // a small deterministic generator for the masks (independent of the code under test)
      let s = c.seed;
      const rnd = (): number => ((s = (Math.imul(s, 48271) >>> 0) % 2147483647) / 2147483647);
      const grid = createGrid({ size: c.size, spacingMm: [1, 1, 1], originMm: [-3, 5, 11] });
      const n = c.size[0] * c.size[1] * c.size[2];
      const include = createMask(grid, Uint8Array.from({ length: n }, () => (rnd() < c.density ? 1 : 0)));
      include.data[Math.floor(rnd() * n)] = 1;
      const structure = createMask(grid, Uint8Array.from(include.data, (v) => (v && rnd() < 0.5 ? 1 : 0)));
      const first = include.data.indexOf(1);
      structure.data[first] = 1;
      const region = (p: number): Mask => createMask(grid, Uint8Array.from({ length: n }, () => (rnd() < p ? 1 : 0)));
      const medium = c.regions === 'medium' || c.regions === 'both' ? region(0.1) : undefined;
      const fine = c.regions === 'fine' || c.regions === 'both' ? region(0.05) : undefined;
      const mm = [c.fine, c.fine * c.mediumFactor, c.fine * c.mediumFactor * c.coarseFactor] as const;
      return { grid, include, structure, medium, fine, mm };
    });

  it('a structure\'s weights sum to 1 and its volume is its voxel count x the voxel volume; point volumes sum to the included volume', () => {
    fc.assert(
      fc.property(arbCase, ({ include, structure, medium, fine, mm }) => {
        const cloud = buildPointCloud(include, fine, medium, { fineMm: mm[0], mediumMm: mm[1], coarseMm: mm[2] });
        expect(cloud.strides).toEqual([
          [mm[0], mm[0], mm[0]],
          [mm[1], mm[1], mm[1]],
          [mm[2], mm[2], mm[2]],
        ]);
        const voxelCc = 1e-3;
        const { set } = pointSetOf(cloud, structure, 'S');
        expect(Math.abs(set.weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(TOL_WEIGHT);
        expect(Math.abs(set.volumeCc - countSet(structure) * voxelCc)).toBeLessThan(TOL_CC);
        expect(Math.abs(cloud.volumeCc.reduce((a, b) => a + b, 0) - countSet(include) * voxelCc)).toBeLessThan(1e-9);
        expect(cloud.perLevel[0] + cloud.perLevel[1] + cloud.perLevel[2]).toBe(cloud.count);
      }),
      { numRuns: 150 },
    );
  });

  it('each point sits at the centroid of its voxels, stands for their volume, and its voxels share one block of their level', () => {
    fc.assert(
      fc.property(arbCase, ({ grid, include, medium, fine, mm }) => {
        const cloud = buildPointCloud(include, fine, medium, { fineMm: mm[0], mediumMm: mm[1], coarseMm: mm[2] });
        const [nx, ny, nz] = grid.size;
        const members: [number, number, number][][] = Array.from({ length: cloud.count }, () => []);
        for (let k = 0; k < nz; k++)
          for (let j = 0; j < ny; j++)
            for (let i = 0; i < nx; i++) {
              const v = idx(grid, i, j, k);
              const p = cloud.pointOfVoxel[v]!;
              if (include.data[v]) {
                expect(p).toBeGreaterThanOrEqual(0);
                members[p]!.push([i, j, k]);
              } else expect(p).toBe(-1);
            }
        const block = (v: readonly number[], s: number): string => v.map((x) => Math.floor(x / s)).join();
        members.forEach((vs, p) => {
          expect(vs.length).toBeGreaterThan(0);
          expect(Math.abs(cloud.volumeCc[p]! - vs.length * 1e-3)).toBeLessThan(TOL_CC);
          const c = [0, 1, 2].map((a) => vs.reduce((s, v) => s + indexToLps(grid, v)[a]!, 0) / vs.length);
          for (let a = 0; a < 3; a++) expect(Math.abs(cloud.pointsLps[3 * p + a]! - c[a]!)).toBeLessThan(TOL_MM);
          // every point lies in one coarse block; a point holding a fine-region voxel lies in one fine
          // block, one holding a medium-region voxel in one medium block
          const inFine = fine !== undefined && vs.some((v) => fine.data[idx(grid, ...v)]);
          const inMedium = medium !== undefined && vs.some((v) => medium.data[idx(grid, ...v)]);
          const s = inFine ? mm[0] : inMedium ? mm[1] : mm[2];
          expect(new Set(vs.map((v) => block(v, s))).size).toBe(1);
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('buildPointCloud on a hand-built example', () => {
  // 8 x 8 x 2 voxels of 1 mm; spacings 1 / 2 / 4 mm are strides 1 / 2 / 4 voxels. The coarse blocks
  // are A (i 0-3, j 0-3), B (i 4-7, j 0-3), C (i 0-3, j 4-7), D (i 4-7, j 4-7), each 2 planes deep
  // (the grid has 2 planes). One medium voxel at (5, 1, 0) lies in B; one fine voxel at (0, 0, 0) in A.
  const grid = createGrid({ size: [8, 8, 2], spacingMm: [1, 1, 1], originMm: [10, 20, 30] });
  const all = createMask(grid, new Uint8Array(128).fill(1));
  const medium = maskOf(grid, [[5, 1, 0]]);
  const fine = maskOf(grid, [[0, 0, 0]]);
  const opts = { fineMm: 1, mediumMm: 2, coarseMm: 4 };

  it('without regions: one point per coarse block (4), each of 32 voxels', () => {
    const cloud = buildPointCloud(all, undefined, undefined, opts);
    expect(cloud.count).toBe(4);
    expect([...cloud.volumeCc]).toEqual([0.032, 0.032, 0.032, 0.032]);
    expect(cloud.perLevel).toEqual([0, 0, 4]);
  });

  it('a coarse block touching the medium region becomes 4 medium blocks: 4 + 3 = 7 points', () => {
    const cloud = buildPointCloud(all, undefined, medium, opts);
    expect(cloud.count).toBe(7);
    expect(cloud.perLevel).toEqual([0, 4, 3]);
  });

  it('A holds the fine voxel: its medium block (0-1, 0-1) becomes 8 fine points, its other 3 stay medium; B 4 medium; C, D coarse: 17 points', () => {
    const cloud = buildPointCloud(all, fine, medium, opts);
    // A: 8 fine + 3 medium; B: 4 medium; C and D: 1 coarse each.
    expect(cloud.count).toBe(8 + 3 + 4 + 2);
    expect(cloud.perLevel).toEqual([8, 3 + 4, 2]);
    // volumes: 8 x 1 + 7 x 8 + 2 x 32 voxels of 0.001 cc = 0.128 cc, the 128 voxels
    const vols = [...cloud.volumeCc].map((v) => Math.round(v * 1000)).sort((a, b) => a - b);
    expect(vols).toEqual([...Array(8).fill(1), ...Array(7).fill(8), 32, 32]);
    // the fine voxel (0, 0, 0) is a point of its own, at its centre
    const p = cloud.pointOfVoxel[idx(grid, 0, 0, 0)]!;
    expect([...cloud.pointsLps.subarray(3 * p, 3 * p + 3)]).toEqual([10, 20, 30]);
    expect(cloud.volumeCc[p]).toBeCloseTo(0.001, 15);
    // C: centroid of i 0-3, j 4-7, k 0-1 = index (1.5, 5.5, 0.5) = LPS (11.5, 25.5, 30.5)
    const c = cloud.pointOfVoxel[idx(grid, 2, 6, 1)]!;
    expect([...cloud.pointsLps.subarray(3 * c, 3 * c + 3)]).toEqual([11.5, 25.5, 30.5]);
    // the medium block of B holding (5, 1, 0) is i 4-5, j 0-1, k 0-1: centroid index (4.5, 0.5, 0.5)
    const b = cloud.pointOfVoxel[idx(grid, 5, 1, 0)]!;
    expect([...cloud.pointsLps.subarray(3 * b, 3 * b + 3)]).toEqual([14.5, 20.5, 30.5]);
    expect(cloud.pointOfVoxel[idx(grid, 4, 0, 1)]).toBe(b);
    expect(cloud.pointOfVoxel[idx(grid, 6, 0, 0)]).not.toBe(b);
  });

  it('only included voxels count: C left out makes no point, D cut to one voxel makes a point at that voxel', () => {
    const include = createMask(grid, new Uint8Array(128).fill(1));
    for (let k = 0; k < 2; k++)
      for (let j = 4; j < 8; j++)
        for (let i = 0; i < 8; i++) include.data[idx(grid, i, j, k)] = i === 7 && j === 7 && k === 1 ? 1 : 0;
    const cloud = buildPointCloud(include, fine, medium, opts);
    expect(cloud.count).toBe(8 + 3 + 4 + 0 + 1);
    const d = cloud.pointOfVoxel[idx(grid, 7, 7, 1)]!;
    expect([...cloud.pointsLps.subarray(3 * d, 3 * d + 3)]).toEqual([17, 27, 31]);
    expect(cloud.volumeCc[d]).toBeCloseTo(0.001, 15);
    expect(cloud.pointOfVoxel[idx(grid, 1, 5, 0)]).toBe(-1);
  });
});

describe('pointSetOf', () => {
  // 4 x 2 x 1 voxels of 1 mm, strides 2 x 2 x 1 (coarse 2 mm; the single plane): two points,
  // P0 = voxels i 0-1 and P1 = voxels i 2-3 (both rows).
  const grid = createGrid({ size: [4, 2, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const all = createMask(grid, new Uint8Array(8).fill(1));
  const cloud = buildPointCloud(all, undefined, undefined, { fineMm: 1, mediumMm: 2, coarseMm: 2 });

  it('weights each point by the structure voxels it holds and averages a per-voxel map over them', () => {
    expect(cloud.count).toBe(2);
    // structure: (0,0), (1,0), (0,1) in P0 and (3,1) in P1; per-voxel values 1..8 by linear index
    const s = maskOf(grid, [
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
      [3, 1, 0],
    ]);
    const perVoxel = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const { set, average } = pointSetOf(cloud, s, 'S', perVoxel);
    expect([...set.indices]).toEqual([0, 1]);
    expect([...set.weights]).toEqual([3 / 4, 1 / 4]);
    expect(set.volumeCc).toBeCloseTo(0.004, 15);
    // P0: voxels 0, 1, 4 (values 1, 2, 5): mean 8 / 3; P1: voxel 7 (value 8)
    expect(average![0]).toBeCloseTo(8 / 3, 12);
    expect(average![1]).toBe(8);
  });

  it('a per-voxel map of another length than the grid is a GeometryError naming both counts', () => {
    const s = maskOf(grid, [[0, 0, 0]]);
    expect(() => pointSetOf(cloud, s, 'S', new Float32Array(7))).toThrow(/7 values, the grid 8 voxels/);
  });

  it('a mask on another grid is a GeometryError naming the structure, also when only the origin differs', () => {
    const shifted = createGrid({ size: [4, 2, 1], spacingMm: [1, 1, 1], originMm: [5, 0, 0] });
    const other = createGrid({ size: [4, 3, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    for (const g of [shifted, other]) {
      const m = createMask(g);
      m.data[0] = 1;
      const e = thrown(() => pointSetOf(cloud, m, 'Kidney_L'));
      expect(e).toBeInstanceOf(GeometryError);
      expect(e.message).toContain('structure "Kidney_L"');
      expect((e as GeometryError).context.structure).toBe('Kidney_L');
    }
  });

  it('structure voxels outside the included region are a GeometryError naming the structure', () => {
    const include = maskOf(grid, [[0, 0, 0]]);
    const small = buildPointCloud(include, undefined, undefined, { fineMm: 1, mediumMm: 2, coarseMm: 2 });
    const e = thrown(() => pointSetOf(small, maskOf(grid, [[0, 0, 0], [3, 1, 0]]), 'Liver'));
    expect(e).toBeInstanceOf(GeometryError);
    expect(e.message).toMatch(/outside the optimisation region.*structure "Liver"/);
  });

  it('an empty structure is an InputError naming it', () => {
    const e = thrown(() => pointSetOf(cloud, createMask(grid), 'Stomach'));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toContain('structure "Stomach"');
    expect((e as InputError).context.structure).toBe('Stomach');
  });
});

describe('buildPointCloud input errors', () => {
  const grid = createGrid({ size: [4, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const all = createMask(grid, new Uint8Array(64).fill(1));

  it('a fine or medium region on another grid (even of the same size) is a GeometryError', () => {
    const shifted = createMask(createGrid({ size: [4, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 2] }));
    const finer = createMask(createGrid({ size: [4, 4, 4], spacingMm: [0.5, 0.5, 0.5], originMm: [0, 0, 0] }));
    const bigger = createMask(createGrid({ size: [5, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0] }));
    for (const m of [shifted, finer, bigger]) {
      expect(() => buildPointCloud(all, m, undefined)).toThrow(GeometryError);
      expect(() => buildPointCloud(all, undefined, m)).toThrow(/medium region is on another grid/);
    }
  });

  it('a spacing that is not a positive number of mm is an InputError naming the level', () => {
    expect(() => buildPointCloud(all, undefined, undefined, { coarseMm: 0 })).toThrow(InputError);
    expect(() => buildPointCloud(all, undefined, undefined, { mediumMm: Number.NaN })).toThrow(/spacing \(medium\)/);
    expect(() => buildPointCloud(all, undefined, undefined, { fineMm: -1 })).toThrow(/spacing \(fine\)/);
  });
});
