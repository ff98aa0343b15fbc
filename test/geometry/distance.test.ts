import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import type { Mat3, Vec3 } from '../../src/core/vec3.js';
import {
  distanceTransformMm,
  featureTransformInPlace,
  maskBounds,
  signedDistanceMm,
  surfaceDistanceField,
} from '../../src/geometry/distance.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask, createOccupancy, maskBoundingBox, type Mask } from '../../src/geometry/volume.js';
import { sphereMask, voxelBoundingBox } from '../helpers/masks.js';

// ---- helpers written for the tests (independent of the code under test) ----

/** Brute force: min over all mask voxels of the weighted distance between voxel centres. */
function bruteForceDistance(mask: Mask, weight: Vec3): Float64Array {
  const [nx, ny, nz] = mask.grid.size;
  const inside: [number, number, number][] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (mask.data[i + nx * (j + ny * k)]) inside.push([i, j, k]);
  const out = new Float64Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        let best = Infinity;
        for (const [a, b, c] of inside) {
          const d = Math.hypot((i - a) * weight[0], (j - b) * weight[1], (k - c) * weight[2]);
          if (d < best) best = d;
        }
        out[i + nx * (j + ny * k)] = best;
      }
    }
  }
  return out;
}

const randomMask = fc
  .record({
    nx: fc.integer({ min: 1, max: 9 }),
    ny: fc.integer({ min: 1, max: 8 }),
    nz: fc.integer({ min: 1, max: 7 }),
    spacing: fc.tuple(
      fc.double({ min: 0.3, max: 3, noNaN: true }),
      fc.double({ min: 0.3, max: 3, noNaN: true }),
      fc.double({ min: 0.3, max: 3, noNaN: true }),
    ),
    scale: fc.option(
      fc.tuple(
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
      ),
      { nil: undefined },
    ),
    density: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
  })
  .map(({ nx, ny, nz, spacing, scale, density, seed }) => {
    const grid = createGrid({ size: [nx, ny, nz], spacingMm: spacing, originMm: [0, 0, 0] });
    const mask = createMask(grid);
    let s = seed;
    for (let g = 0; g < mask.data.length; g++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      if (s / 0x7fffffff < density) mask.data[g] = 1;
    }
    // At least one voxel inside.
    mask.data[seed % mask.data.length] = 1;
    return { mask, scale };
  });

describe('distanceTransformMm', () => {
  it('equals a brute-force minimum over all mask voxel centres on random anisotropic masks', () => {
    fc.assert(
      fc.property(randomMask, ({ mask, scale }) => {
        const result = distanceTransformMm(mask, scale === undefined ? {} : { scale });
        const s = mask.grid.spacingMm;
        const weight: Vec3 = scale === undefined ? s : [s[0] * scale[0], s[1] * scale[1], s[2] * scale[2]];
        const expected = bruteForceDistance(mask, weight);
        const [nx, ny] = mask.grid.size;
        for (let g = 0; g < expected.length; g++) {
          expect(result.distanceMm[g]).toBeCloseTo(expected[g]!, 4);
          // The nearest voxel is in the mask and lies at the reported distance.
          const n = result.nearest[g]!;
          expect(mask.data[n]).toBe(1);
          const i = g % nx, j = Math.floor(g / nx) % ny, k = Math.floor(g / (nx * ny));
          const a = n % nx, b = Math.floor(n / nx) % ny, c = Math.floor(n / (nx * ny));
          const d = Math.hypot((i - a) * weight[0], (j - b) * weight[1], (k - c) * weight[2]);
          expect(d).toBeCloseTo(expected[g]!, 4);
        }
      }),
      { seed: 20240611, numRuns: 100 },
    );
  });

  it('equals the brute-force minimum on a grid wider than one block of lines', () => {
    const grid = createGrid({ size: [131, 5, 4], spacingMm: [0.7, 1.3, 2.9], originMm: [0, 0, 0] });
    const mask = createMask(grid);
    for (let g = 0; g < mask.data.length; g += 37) mask.data[g] = 1;
    const expected = bruteForceDistance(mask, grid.spacingMm);
    const { distanceMm } = distanceTransformMm(mask);
    let worst = 0;
    for (let g = 0; g < expected.length; g++) worst = Math.max(worst, Math.abs(distanceMm[g]! - expected[g]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('is zero inside the mask and names itself in the nearest-voxel map', () => {
    const grid = createGrid({ size: [6, 5, 4], spacingMm: [1, 2, 3], originMm: [0, 0, 0] });
    const mask = createMask(grid);
    mask.data[7] = 1;
    mask.data[50] = 1;
    const { distanceMm, nearest } = distanceTransformMm(mask);
    expect(distanceMm[7]).toBe(0);
    expect(nearest[7]).toBe(7);
    expect(nearest[50]).toBe(50);
  });

  it('with maxDistanceMm, agrees with the full transform up to that distance and marks the rest unknown', () => {
    const grid = createGrid({ size: [40, 30, 20], spacingMm: [1, 1.5, 2.5], originMm: [0, 0, 0] });
    const mask = sphereMask(grid, [20, 22, 25], 5);
    const full = distanceTransformMm(mask);
    const cropped = distanceTransformMm(mask, { maxDistanceMm: 6 });
    let unknown = 0;
    for (let g = 0; g < full.distanceMm.length; g++) {
      if (full.distanceMm[g]! <= 6) {
        expect(cropped.distanceMm[g]).toBeCloseTo(full.distanceMm[g]!, 5);
      } else if (cropped.distanceMm[g] === Infinity) {
        expect(cropped.nearest[g]).toBe(-1);
        unknown++;
      } else {
        expect(cropped.distanceMm[g]).toBeCloseTo(full.distanceMm[g]!, 5);
      }
    }
    // The crop really skipped most of the grid.
    expect(unknown).toBeGreaterThan(full.distanceMm.length / 2);
  });

  it('gives the same index-space result on grids with flipped and permuted direction cosines', () => {
    const feetFirst: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
    const permuted: Mat3 = [0, 1, 0, 0, 0, 1, 1, 0, 0];
    const base = createGrid({ size: [7, 6, 5], spacingMm: [0.8, 1.2, 2], originMm: [0, 0, 0] });
    const mask = createMask(base);
    mask.data[3 + 7 * (2 + 6 * 1)] = 1;
    mask.data[6 + 7 * (5 + 6 * 4)] = 1;
    const reference = distanceTransformMm(mask).distanceMm;
    for (const direction of [feetFirst, permuted]) {
      const grid = createGrid({ size: base.size, spacingMm: base.spacingMm, originMm: [10, -20, 30], direction });
      const other = distanceTransformMm(createMask(grid, mask.data.slice())).distanceMm;
      expect(Array.from(other)).toEqual(Array.from(reference));
    }
  });

  it('throws a GeometryError naming the structure for an empty mask', () => {
    const grid = createGrid({ size: [4, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    expect(() => distanceTransformMm(createMask(grid), { name: 'GTV' })).toThrow(GeometryError);
    expect(() => distanceTransformMm(createMask(grid), { name: 'GTV' })).toThrow(/expected a non-empty structure, found no voxels.*GTV/);
  });

  it('rejects non-positive scale factors', () => {
    const grid = createGrid({ size: [3, 3, 3], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const mask = createMask(grid);
    mask.data[13] = 1;
    expect(() => distanceTransformMm(mask, { scale: [1, 0, 1] })).toThrow(/expected positive finite scale factors, found 0/);
  });
});

describe('featureTransformInPlace', () => {
  it('carries arbitrary labels of the feature voxels', () => {
    const size: [number, number, number] = [5, 1, 1];
    const sq = new Float32Array([0, Infinity, Infinity, Infinity, 0]);
    const ids = new Int32Array([100, -1, -1, -1, 200]);
    featureTransformInPlace(sq, ids, size, [2, 1, 1]);
    expect(Array.from(sq)).toEqual([0, 4, 16, 4, 0]);
    expect(ids[1]).toBe(100);
    expect(ids[3]).toBe(200);
  });
});

describe('maskBounds', () => {
  it('equals the voxel-by-voxel bounding box, also for buffers not aligned to 4 bytes', () => {
    fc.assert(
      fc.property(randomMask, fc.boolean(), ({ mask }, shift) => {
        let m = mask;
        if (shift) {
          const buf = new Uint8Array(mask.data.length + 1);
          buf.set(mask.data, 1);
          m = createMask(mask.grid, buf.subarray(1));
        }
        const expected = voxelBoundingBox(mask)!;
        const found = maskBounds(m)!;
        expect([...found.lo]).toEqual([...expected.lo]);
        expect([...found.hi]).toEqual([...expected.hi]);
      }),
      { seed: 7, numRuns: 50 },
    );
  });

  it('maskBoundingBox of an occupancy is the box of its non-zero fractions; of an empty mask, undefined', () => {
    fc.assert(
      fc.property(randomMask, ({ mask }) => {
        const occupancy = createOccupancy(mask.grid, Float32Array.from(mask.data, (v) => 0.25 * v));
        const expected = voxelBoundingBox(mask)!;
        const found = maskBoundingBox(occupancy)!;
        expect([...found.lo]).toEqual([...expected.lo]);
        expect([...found.hi]).toEqual([...expected.hi]);
        expect(maskBoundingBox(createMask(mask.grid))).toBeUndefined();
      }),
      { seed: 11, numRuns: 50 },
    );
  });
});

describe('signedDistanceMm', () => {
  const grid = createGrid({ size: [34, 34, 34], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const centre: Vec3 = [16.3, 16.6, 16.2];
  const radius = 10;
  const mask = sphereMask(grid, centre, radius);
  const sd = signedDistanceMm(mask, { name: 'sphere' });

  it('is negative inside, positive outside', () => {
    for (let g = 0; g < sd.length; g++) {
      if (mask.data[g]) expect(sd[g]).toBeLessThanOrEqual(0);
      else expect(sd[g]).toBeGreaterThan(0);
    }
  });

  it('of a sphere (r = 10 mm, 1 mm voxels) is within one voxel of |p - c| - r, 0.3 mm RMS, and unbiased, within 6 mm of the surface', () => {
    const [nx, ny] = grid.size;
    let sum = 0;
    let count = 0;
    let worst = 0;
    let sumSq = 0;
    for (let g = 0; g < sd.length; g++) {
      const i = g % nx, j = Math.floor(g / nx) % ny, k = Math.floor(g / (nx * ny));
      const exact = Math.hypot(i - centre[0], j - centre[1], k - centre[2]) - radius;
      if (Math.abs(exact) > 6) continue;
      const err = sd[g]! - exact;
      sum += err;
      sumSq += err * err;
      count++;
      worst = Math.max(worst, Math.abs(err));
    }
    expect(worst).toBeLessThan(1);
    expect(Math.sqrt(sumSq / count)).toBeLessThan(0.3);
    expect(Math.abs(sum / count)).toBeLessThan(0.1);
  });

  it('with maxDistanceMm, agrees with the full field within that distance and is +Infinity beyond its box', () => {
    const cropped = signedDistanceMm(mask, { maxDistanceMm: 3 });
    let beyond = 0;
    for (let g = 0; g < sd.length; g++) {
      if (cropped[g] === Infinity) {
        expect(sd[g]).toBeGreaterThan(3);
        beyond++;
      } else expect(cropped[g]).toBeCloseTo(sd[g]!, 5);
    }
    expect(beyond).toBeGreaterThan(0);
  });

  it('refuses a mask that fills the grid (no surface)', () => {
    const full = createMask(grid, new Uint8Array(grid.size[0] * grid.size[1] * grid.size[2]).fill(1));
    expect(() => signedDistanceMm(full, { name: 'body' })).toThrow(/expected a structure with a surface inside the grid, found every one/);
  });
});

describe('surfaceDistanceField', () => {
  it('puts a flat face half a voxel beyond the last voxel centres', () => {
    // Half-space i <= 4 on a 2 mm grid: its surface is the voxel face at i = 4.5.
    const grid = createGrid({ size: [12, 6, 6], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const mask = createMask(grid);
    for (let g = 0; g < mask.data.length; g++) if (g % 12 <= 4) mask.data[g] = 1;
    const field = surfaceDistanceField(mask, 'outside');
    const [bx, by] = field.size;
    for (let i = 5; i < 12; i++) {
      const b = i - field.box.lo[0] + bx * (3 - field.box.lo[1] + by * (3 - field.box.lo[2]));
      expect(field.distance[b]).toBeCloseTo((i - 4.5) * 2, 4);
    }
    const inside = surfaceDistanceField(mask, 'inside');
    const [cx, cy] = inside.size;
    for (let i = 0; i <= 4; i++) {
      const b = i - inside.box.lo[0] + cx * (3 - inside.box.lo[1] + cy * (3 - inside.box.lo[2]));
      expect(inside.distance[b]).toBeCloseTo((4.5 - i) * 2, 4);
    }
  });
});
