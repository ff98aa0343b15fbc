import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import {
  complementInto,
  complementMask,
  intersectInto,
  intersectMasks,
  subtractInto,
  subtractMask,
  unionInto,
  unionMasks,
  xorInto,
  xorMasks,
} from '../../src/geometry/booleans.js';
import { createGrid, type Grid } from '../../src/geometry/grid.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';

// ---- helpers written for the tests (independent of the code under test) ----

/**
 * Random masks on one random grid. Values include bytes other than 1 (any non-zero byte is inside),
 * voxel counts not divisible by 4, and (optionally) buffers that start at an odd byte offset.
 */
const maskSet = fc
  .record({
    size: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })),
    count: fc.integer({ min: 3, max: 4 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    unaligned: fc.boolean(),
  })
  .map(({ size, count, seed, unaligned }) => {
    const grid = createGrid({ size, spacingMm: [1, 1, 2], originMm: [0, 0, 0] });
    const n = size[0] * size[1] * size[2];
    let s = seed;
    const next = (): number => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s / 0x7fffffff;
    };
    const masks: Mask[] = [];
    for (let m = 0; m < count; m++) {
      const offset = unaligned && m === 1 ? 1 : 0;
      const buf = new Uint8Array(n + offset);
      const data = buf.subarray(offset);
      for (let g = 0; g < n; g++) {
        const r = next();
        data[g] = r < 0.45 ? 0 : r < 0.9 ? 1 : Math.floor(2 + r * 200);
      }
      masks.push(createMask(grid, data));
    }
    return masks;
  });

const inside = (m: Mask, g: number): boolean => m.data[g] !== 0;

function expectVoxels(out: Mask, rule: (g: number) => boolean): void {
  for (let g = 0; g < out.data.length; g++) expect(out.data[g]).toBe(rule(g) ? 1 : 0);
}

const copy = (m: Mask): Mask => createMask(m.grid, m.data.slice());

describe('mask booleans agree with per-voxel set logic', () => {
  it('unionMasks, intersectMasks, subtractMask, xorMasks, complementMask', () => {
    fc.assert(
      fc.property(maskSet, ([a, b, c]) => {
        expectVoxels(unionMasks(a!, b!, c!), (g) => inside(a!, g) || inside(b!, g) || inside(c!, g));
        expectVoxels(unionMasks(a!), (g) => inside(a!, g));
        expectVoxels(intersectMasks(a!, b!), (g) => inside(a!, g) && inside(b!, g));
        expectVoxels(intersectMasks(a!, b!, c!), (g) => inside(a!, g) && inside(b!, g) && inside(c!, g));
        expectVoxels(subtractMask(a!, b!), (g) => inside(a!, g) && !inside(b!, g));
        expectVoxels(xorMasks(a!, b!), (g) => inside(a!, g) !== inside(b!, g));
        expectVoxels(complementMask(b!), (g) => !inside(b!, g));
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('the in-place forms write into their first argument and return it', () => {
    fc.assert(
      fc.property(maskSet, ([a, b, c]) => {
        const u = copy(a!);
        expect(unionInto(u, b!, c!)).toBe(u);
        expectVoxels(u, (g) => inside(a!, g) || inside(b!, g) || inside(c!, g));
        const i = copy(a!);
        expect(intersectInto(i, b!)).toBe(i);
        expectVoxels(i, (g) => inside(a!, g) && inside(b!, g));
        const s = copy(a!);
        expect(subtractInto(s, b!, c!)).toBe(s);
        expectVoxels(s, (g) => inside(a!, g) && !inside(b!, g) && !inside(c!, g));
        const x = copy(a!);
        expect(xorInto(x, b!)).toBe(x);
        expectVoxels(x, (g) => inside(a!, g) !== inside(b!, g));
        const n = copy(a!);
        expect(complementInto(n, n)).toBe(n);
        expectVoxels(n, (g) => !inside(a!, g));
        // With no other operand, the in-place forms only normalise to 0/1.
        const only = copy(a!);
        unionInto(only);
        expectVoxels(only, (g) => inside(a!, g));
      }),
      { seed: 43, numRuns: 100 },
    );
  });

  it('leaves its inputs untouched', () => {
    fc.assert(
      fc.property(maskSet, ([a, b]) => {
        const before = [Array.from(a!.data), Array.from(b!.data)];
        unionMasks(a!, b!);
        intersectMasks(a!, b!);
        subtractMask(a!, b!);
        xorMasks(a!, b!);
        complementMask(a!);
        expect([Array.from(a!.data), Array.from(b!.data)]).toEqual(before);
      }),
      { seed: 44, numRuns: 30 },
    );
  });
});

describe('mask boolean errors', () => {
  const grid: Grid = createGrid({ size: [4, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const shifted: Grid = createGrid({ size: [4, 4, 4], spacingMm: [1, 1, 1], originMm: [0, 0, 0.5] });
  const smaller: Grid = createGrid({ size: [4, 4, 3], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const a = createMask(grid);
  const b = createMask(shifted);
  const c = createMask(smaller);

  it('masks on different grids throw a GeometryError saying expected and found', () => {
    for (const run of [
      () => unionMasks(a, b),
      () => intersectMasks(a, a, c),
      () => subtractMask(a, b),
      () => xorMasks(c, a),
      () => unionInto(a, b),
      () => intersectInto(a, c),
      () => subtractInto(a, b),
      () => xorInto(a, b),
      () => complementInto(a, c),
    ]) {
      expect(run).toThrow(GeometryError);
      expect(run).toThrow(/expected the same grid, found 4 x 4 x \d voxels.* vs 4 x 4 x \d voxels/);
    }
    expect(() => unionMasks(a, b)).toThrow(/same size but different position, spacing or direction/);
  });

  it('a union of no masks throws', () => {
    expect(() => unionMasks()).toThrow(/expected at least one mask, found none/);
  });
});
