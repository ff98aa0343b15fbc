import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import type { Mat3 } from '../../src/core/vec3.js';
import {
  assertSameGrid,
  createGrid,
  ijkOfLinear,
  indexToLps,
  indexToLpsAffine,
  linearIndex,
  lpsToContinuousIndex,
  lpsToIndex,
  lpsToIndexAffine,
  patientAxisOfIndexAxes,
  sameGrid,
  subGrid,
  voxelVolumeCc,
} from '../../src/geometry/grid.js';

/** Direction matrices whose columns are the LPS directions of i, j, k. */
const HFS: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
/** Feet-first supine: i runs to patient right (-x), k runs inferior (-z). */
const FFS: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
/** Head-first prone: i to patient right, j anterior. */
const HFP: Mat3 = [-1, 0, 0, 0, -1, 0, 0, 0, 1];
/** A permutation: i along z (superior), j along x, k along y (a sagittal-like stack). */
const PERM: Mat3 = [0, 1, 0, 0, 0, 1, 1, 0, 0];
/** An oblique rotation by 30 degrees about z. */
const c30 = Math.cos(Math.PI / 6);
const s30 = Math.sin(Math.PI / 6);
const OBLIQUE: Mat3 = [c30, -s30, 0, s30, c30, 0, 0, 0, 1];

describe('grid descriptor', () => {
  it('places voxel 0 at the origin and steps by spacing along each direction column', () => {
    const g = createGrid({ size: [4, 5, 6], spacingMm: [1, 2, 3], originMm: [10, 20, 30], direction: FFS });
    expect(indexToLps(g, [0, 0, 0])).toEqual([10, 20, 30]);
    // i steps -1 mm in x, j +2 mm in y, k -3 mm in z (feet first).
    expect(indexToLps(g, [1, 1, 1])).toEqual([9, 22, 27]);
    expect(indexToLps(g, [3, 4, 5])).toEqual([7, 28, 15]);
  });

  it('round-trips index -> LPS -> index for flipped, permuted and oblique directions', () => {
    for (const direction of [HFS, FFS, HFP, PERM, OBLIQUE]) {
      const g = createGrid({ size: [7, 8, 9], spacingMm: [0.98, 1.5, 2.5], originMm: [-100.2, 33.3, -7], direction });
      fc.assert(
        fc.property(
          fc.double({ min: -5, max: 12, noNaN: true }),
          fc.double({ min: -5, max: 12, noNaN: true }),
          fc.double({ min: -5, max: 12, noNaN: true }),
          (i, j, k) => {
            const back = lpsToContinuousIndex(g, indexToLps(g, [i, j, k]));
            expect(back[0]).toBeCloseTo(i, 9);
            expect(back[1]).toBeCloseTo(j, 9);
            expect(back[2]).toBeCloseTo(k, 9);
          },
        ),
        { seed: 42, numRuns: 200 },
      );
    }
  });

  it('the affine forms agree with the point functions', () => {
    const g = createGrid({ size: [7, 8, 9], spacingMm: [0.98, 1.5, 2.5], originMm: [-100.2, 33.3, -7], direction: PERM });
    const a = indexToLpsAffine(g);
    const b = lpsToIndexAffine(g);
    const ijk = [2.5, -1, 7.25];
    const p = [0, 1, 2].map((r) => a[4 * r]! * ijk[0]! + a[4 * r + 1]! * ijk[1]! + a[4 * r + 2]! * ijk[2]! + a[4 * r + 3]!);
    const q = indexToLps(g, ijk as [number, number, number]);
    for (let r = 0; r < 3; r++) expect(p[r]).toBeCloseTo(q[r]!, 9);
    const back = [0, 1, 2].map((r) => b[4 * r]! * p[0]! + b[4 * r + 1]! * p[1]! + b[4 * r + 2]! * p[2]! + b[4 * r + 3]!);
    for (let r = 0; r < 3; r++) expect(back[r]).toBeCloseTo(ijk[r]!, 9);
  });

  it('linear index is x fastest and inverts', () => {
    const g = createGrid({ size: [3, 4, 5], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    expect(linearIndex(g, 1, 0, 0)).toBe(1);
    expect(linearIndex(g, 0, 1, 0)).toBe(3);
    expect(linearIndex(g, 0, 0, 1)).toBe(12);
    for (let n = 0; n < 60; n++) {
      const [i, j, k] = ijkOfLinear(g, n);
      expect(linearIndex(g, i, j, k)).toBe(n);
    }
  });

  it('finds the voxel containing a point and nothing outside the grid', () => {
    const g = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0], direction: FFS });
    // Voxel (3, 4, 5) is centred at (-6, 8, -10); 0.9 mm away is still inside it.
    expect(lpsToIndex(g, [-6.9, 8.9, -10.9])).toEqual([3, 4, 5]);
    expect(lpsToIndex(g, [5, 0, 0])).toBeUndefined();
  });

  it('voxel volume is the product of the spacings, in cc', () => {
    const g = createGrid({ size: [1, 1, 1], spacingMm: [2, 2.5, 4], originMm: [0, 0, 0] });
    expect(voxelVolumeCc(g)).toBeCloseTo(0.02, 12);
  });

  it('same-grid check sees origin, spacing and direction differences', () => {
    const spec = { size: [5, 5, 5] as const, spacingMm: [1, 1, 2] as const, originMm: [0, 0, 0] as const };
    const a = createGrid(spec);
    expect(sameGrid(a, createGrid(spec))).toBe(true);
    expect(sameGrid(a, createGrid({ ...spec, originMm: [0, 0, 0.01] }))).toBe(false);
    expect(sameGrid(a, createGrid({ ...spec, spacingMm: [1, 1, 2.01] }))).toBe(false);
    expect(sameGrid(a, createGrid({ ...spec, direction: FFS }))).toBe(false);
    expect(sameGrid(a, createGrid({ ...spec, size: [5, 5, 6] }))).toBe(false);
    expect(() => assertSameGrid(a, createGrid({ ...spec, originMm: [1, 0, 0] }), 'union of GTV and PTV')).toThrow(
      /union of GTV and PTV: expected the same grid/,
    );
  });

  it('a sub-grid keeps the parent positions', () => {
    const g = createGrid({ size: [10, 10, 10], spacingMm: [1, 2, 3], originMm: [5, 6, 7], direction: HFP });
    const s = subGrid(g, [2, 3, 4], [5, 6, 7]);
    expect(s.size).toEqual([4, 4, 4]);
    expect(indexToLps(s, [1, 1, 1])).toEqual(indexToLps(g, [3, 4, 5]));
  });

  it('maps index axes to patient axes for flips and permutations, not for oblique grids', () => {
    const p = (d: Mat3) => patientAxisOfIndexAxes(createGrid({ size: [2, 2, 2], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: d }));
    expect(p(FFS)).toEqual([{ axis: 0, sign: -1 }, { axis: 1, sign: 1 }, { axis: 2, sign: -1 }]);
    expect(p(PERM)).toEqual([{ axis: 2, sign: 1 }, { axis: 0, sign: 1 }, { axis: 1, sign: 1 }]);
    expect(p(OBLIQUE)).toBeUndefined();
  });

  it('rejects non-positive spacing, bad sizes and non-orthonormal directions with a GeometryError', () => {
    const base = { size: [2, 2, 2] as const, spacingMm: [1, 1, 1] as const, originMm: [0, 0, 0] as const };
    expect(() => createGrid({ ...base, spacingMm: [1, 0, 1] })).toThrow(GeometryError);
    expect(() => createGrid({ ...base, spacingMm: [1, -2, 1] })).toThrow(/spacing along axis j must be positive.*found -2/);
    expect(() => createGrid({ ...base, size: [2, 2.5, 2] })).toThrow(/positive integer, found 2.5/);
    expect(() => createGrid({ ...base, direction: [1, 0, 0, 0, 2, 0, 0, 0, 1] })).toThrow(/orthonormal/);
    expect(() => subGrid(createGrid(base), [0, 0, 0], [2, 1, 1])).toThrow(GeometryError);
  });
});

describe('same-grid check on single-slice grids', () => {
  it('tells a 2 mm slice from a 5 mm slice at the same position', () => {
    const a = createGrid({ size: [4, 4, 1], spacingMm: [1, 1, 2], originMm: [0, 0, 0] });
    const b = createGrid({ size: [4, 4, 1], spacingMm: [1, 1, 5], originMm: [0, 0, 0] });
    expect(sameGrid(a, b)).toBe(false);
    expect(sameGrid(a, createGrid({ size: [4, 4, 1], spacingMm: [1, 1, 2], originMm: [0, 0, 0] }))).toBe(true);
  });
});
