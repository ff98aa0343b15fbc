import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import type { Mat3, Vec3 } from '../../src/core/vec3.js';
import { intersectMasks, subtractMask } from '../../src/geometry/booleans.js';
import { createGrid, indexToLps, type Grid } from '../../src/geometry/grid.js';
import { contractMask, cropToMask, expandMask, ringMask } from '../../src/geometry/margins.js';
import { createMask, type Mask } from '../../src/geometry/volume.js';
import { sphereMask } from '../helpers/masks.js';

// ---- helpers written for the tests (independent of the code under test) ----

const sphereVolumeMm3 = (r: number): number => (4 / 3) * Math.PI * r ** 3;

/** Voxels with lo <= (i, j, k) <= hi. */
function boxMask(grid: Grid, lo: Vec3, hi: Vec3): Mask {
  const mask = createMask(grid);
  const [nx, ny] = grid.size;
  for (let k = lo[2]; k <= hi[2]; k++)
    for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) mask.data[i + nx * (j + ny * k)] = 1;
  return mask;
}

function volumeMm3(mask: Mask): number {
  let n = 0;
  for (let g = 0; g < mask.data.length; g++) if (mask.data[g]) n++;
  const [sx, sy, sz] = mask.grid.spacingMm;
  return n * sx * sy * sz;
}

function forEachVoxel(mask: Mask, fn: (i: number, j: number, k: number, inside: boolean) => void): void {
  const [nx, ny, nz] = mask.grid.size;
  for (let k = 0, g = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, g++) fn(i, j, k, mask.data[g] !== 0);
}

/** Largest |LPS offset| along each patient axis of the mask's voxel centres from a reference point. */
function reachLps(mask: Mask, from: Vec3): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  forEachVoxel(mask, (i, j, k, inside) => {
    if (!inside) return;
    const p = indexToLps(mask.grid, [i, j, k]);
    for (let a = 0; a < 3; a++) out[a] = Math.max(out[a]!, Math.abs(p[a]! - from[a]!));
  });
  return out;
}

/** A grid large enough for a sphere of radius r grown by m, with the sphere centred offsetVoxels off a voxel centre. */
function sphereCase(spacing: Vec3, r: number, m: number, offsetVoxels: Vec3): { mask: Mask } {
  const ext = r + m + 4 * Math.max(...spacing);
  const size = spacing.map((s) => Math.ceil((2 * ext) / s) + 1) as [number, number, number];
  const grid = createGrid({ size, spacingMm: spacing, originMm: [0, 0, 0] });
  const centre = size.map((n, a) => Math.floor((n - 1) / 2) * spacing[a]! + offsetVoxels[a]! * spacing[a]!) as unknown as Vec3;
  return { mask: sphereMask(grid, centre, r) };
}

const OFFSETS: Vec3[] = [
  [0, 0, 0],
  [0.5, 0.5, 0.5],
  [0.15, 0.35, 0.45],
  [0.3, 0.7, 0.9],
];

describe('expandMask and contractMask volumes', () => {
  it.each(OFFSETS)(
    'a sphere r = 30 mm on a 2 mm grid (centre offset %f, %f, %f voxel) grown by 5 mm has the volume of r = 35 mm within 2 %',
    (ox, oy, oz) => {
      const { mask } = sphereCase([2, 2, 2], 30, 5, [ox, oy, oz]);
      const v = volumeMm3(expandMask(mask, 5, { name: 'sphere' }));
      expect(Math.abs(v / sphereVolumeMm3(35) - 1)).toBeLessThan(0.02);
    },
  );

  it.each(OFFSETS)(
    'a sphere r = 30 mm on a 2 mm grid (centre offset %f, %f, %f voxel) shrunk by 5 mm has the volume of r = 25 mm within 2 %',
    (ox, oy, oz) => {
      const { mask } = sphereCase([2, 2, 2], 30, 5, [ox, oy, oz]);
      const v = volumeMm3(contractMask(mask, 5, { name: 'sphere' }));
      expect(Math.abs(v / sphereVolumeMm3(25) - 1)).toBeLessThan(0.02);
    },
  );

  it('on a 1 x 1 x 3 mm grid, a sphere grown by 5 mm has the volume of r + 5 within 2 %', () => {
    const { mask } = sphereCase([1, 1, 3], 30, 5, [0.3, 0.6, 0.2]);
    const v = volumeMm3(expandMask(mask, 5));
    expect(Math.abs(v / sphereVolumeMm3(35) - 1)).toBeLessThan(0.02);
  });

  it('a zero margin returns an equal copy, not the input', () => {
    const { mask } = sphereCase([2, 2, 2], 6, 0, [0, 0, 0]);
    for (const out of [expandMask(mask, 0), contractMask(mask, 0)]) {
      expect(out).not.toBe(mask);
      expect(out.data).not.toBe(mask.data);
      expect(Array.from(out.data)).toEqual(Array.from(mask.data));
    }
  });

  it('expansion contains the structure and contraction lies inside it', () => {
    const { mask } = sphereCase([2, 2.5, 3], 12, 4, [0.2, 0.4, 0.1]);
    const grown = expandMask(mask, 4);
    const shrunk = contractMask(mask, 4);
    for (let g = 0; g < mask.data.length; g++) {
      if (mask.data[g]) expect(grown.data[g]).toBe(1);
      if (shrunk.data[g]) expect(mask.data[g]).toBe(1);
    }
  });
});

describe('margins on anisotropic and reoriented grids', () => {
  it('on a 1 x 1 x 3 mm grid a small sphere grown by 9 mm reaches r + 9 along x, y and z within one voxel', () => {
    const spacing: Vec3 = [1, 1, 3];
    const grid = createGrid({ size: [41, 41, 15], spacingMm: spacing, originMm: [0, 0, 0] });
    const centre: Vec3 = [20.3, 19.8, 21.4];
    const r = 5;
    const grown = expandMask(sphereMask(grid, centre, r), 9);
    // Reach of the voxel centres beyond the sphere's centre along each index axis (identity grid).
    const reach: number[] = [0, 0, 0, 0, 0, 0];
    forEachVoxel(grown, (i, j, k, inside) => {
      if (!inside) return;
      const p = [i * spacing[0], j * spacing[1], k * spacing[2]];
      for (let a = 0; a < 3; a++) {
        reach[2 * a] = Math.max(reach[2 * a]!, p[a]! - centre[a]!);
        reach[2 * a + 1] = Math.max(reach[2 * a + 1]!, centre[a]! - p[a]!);
      }
    });
    for (let a = 0; a < 3; a++) {
      for (const side of [0, 1]) {
        const found = reach[2 * a + side]!;
        // The outermost centre lies less than one voxel inside r + 9, and not beyond it by more than
        // the sub-voxel rounding of the surface.
        expect(found).toBeGreaterThan(r + 9 - spacing[a]!);
        expect(found).toBeLessThan(r + 9 + spacing[a]! / 2);
      }
    }
  });

  const margin = { rightLeftMm: 2, anteriorPosteriorMm: 4, inferiorSuperiorMm: 10 };
  const FEET_FIRST: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];
  // Index axis i runs along patient z (S), j along x (L), k along y (P).
  const PERMUTED: Mat3 = [0, 1, 0, 0, 0, 1, 1, 0, 0];
  const cases: { name: string; direction: Mat3; spacing: Vec3; size: [number, number, number] }[] = [
    { name: 'feet-first (flipped x and z)', direction: FEET_FIRST, spacing: [1, 2, 2.5], size: [11, 9, 15] },
    { name: 'permuted (i along S, j along L, k along P)', direction: PERMUTED, spacing: [2.5, 1, 2], size: [15, 11, 9] },
  ];

  it.each(cases)('on a $name grid, a single voxel grown by RL 2 / AP 4 / SI 10 mm fills exactly that ellipsoid in LPS', ({ direction, spacing, size }) => {
    const grid = createGrid({ size, spacingMm: spacing, originMm: [12, -30, 150], direction });
    const centreIndex: Vec3 = [(size[0] - 1) / 2, (size[1] - 1) / 2, (size[2] - 1) / 2];
    const seed = boxMask(grid, centreIndex, centreIndex);
    const grown = expandMask(seed, margin, { name: 'point' });
    const c = indexToLps(grid, centreIndex);
    forEachVoxel(grown, (i, j, k, inside) => {
      const p = indexToLps(grid, [i, j, k]);
      const q = ((p[0] - c[0]) / 2) ** 2 + ((p[1] - c[1]) / 4) ** 2 + ((p[2] - c[2]) / 10) ** 2;
      expect(inside).toBe(q <= 1 + 1e-9);
    });
    const reach = reachLps(grown, c);
    expect(reach[0]).toBeCloseTo(2, 6);
    expect(reach[1]).toBeCloseTo(4, 6);
    expect(reach[2]).toBeCloseTo(10, 6);
  });

  it.each(cases)('on a $name grid, a 3-voxel cube grown by RL 2 / AP 4 / SI 10 mm reaches 10 mm along S/I only', ({ direction, spacing, size }) => {
    const grid = createGrid({ size: [size[0] + 4, size[1] + 4, size[2] + 4], spacingMm: spacing, originMm: [0, 0, 0], direction });
    const mid = [(size[0] + 3) / 2, (size[1] + 3) / 2, (size[2] + 3) / 2];
    const cube = boxMask(grid, [mid[0]! - 1, mid[1]! - 1, mid[2]! - 1], [mid[0]! + 1, mid[1]! + 1, mid[2]! + 1]);
    const centre = indexToLps(grid, mid as unknown as Vec3);
    const before = reachLps(cube, centre);
    const after = reachLps(expandMask(cube, margin), centre);
    // Spacing along each patient axis (the index axis that runs along it).
    const along: number[] = [0, 0, 0];
    for (let a = 0; a < 3; a++) for (let r = 0; r < 3; r++) if (Math.abs(direction[3 * r + a]!) === 1) along[r] = spacing[a]!;
    const wanted = [2, 4, 10];
    for (let p = 0; p < 3; p++) {
      const grew = after[p]! - before[p]!;
      expect(grew).toBeGreaterThan(wanted[p]! - along[p]! - 1e-9);
      expect(grew).toBeLessThan(wanted[p]! + along[p]! + 1e-9);
    }
  });

  it('a margin of zero along an axis never grows the structure along it', () => {
    const grid = createGrid({ size: [20, 20, 20], spacingMm: [1.5, 1.5, 2], originMm: [0, 0, 0] });
    const mask = sphereMask(grid, [14.2, 15.1, 19.7], 7);
    const grown = expandMask(mask, { rightLeftMm: 0, anteriorPosteriorMm: 0, inferiorSuperiorMm: 6 });
    const [nx, ny] = grid.size;
    const column = new Uint8Array(nx * ny);
    forEachVoxel(mask, (i, j, _k, inside) => {
      if (inside) column[i + nx * j] = 1;
    });
    let grewAlongZ = false;
    forEachVoxel(grown, (i, j, k, inside) => {
      if (!inside) return;
      expect(column[i + nx * j]).toBe(1);
      if (!mask.data[i + nx * (j + ny * k)]) grewAlongZ = true;
    });
    expect(grewAlongZ).toBe(true);
  });

  it('an isotropic margin works on an oblique grid', () => {
    const c = Math.cos(0.4), s = Math.sin(0.4);
    const grid = createGrid({ size: [24, 24, 24], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [c, -s, 0, s, c, 0, 0, 0, 1] });
    const mask = sphereMask(grid, [11.5, 12.2, 11.8], 6);
    const v = volumeMm3(expandMask(mask, 3));
    expect(Math.abs(v / sphereVolumeMm3(9) - 1)).toBeLessThan(0.04);
  });
});

describe('ringMask', () => {
  const { mask } = sphereCase([2, 2, 2], 20, 15, [0.3, 0.45, 0.2]);

  it('a 5-15 mm ring around a sphere r = 20 mm has the analytic shell volume within 3 %', () => {
    const v = volumeMm3(ringMask(mask, 5, 15, { name: 'sphere' }));
    const shell = sphereVolumeMm3(35) - sphereVolumeMm3(25);
    expect(Math.abs(v / shell - 1)).toBeLessThan(0.03);
  });

  it('equals expandMask(outer) minus expandMask(inner)', () => {
    const ring = ringMask(mask, 5, 15);
    const expected = subtractMask(expandMask(mask, 15), expandMask(mask, 5));
    let differ = 0;
    for (let g = 0; g < ring.data.length; g++) if (ring.data[g] !== expected.data[g]) differ++;
    expect(differ).toBe(0);
  });

  it('with inner 0 touches the structure without overlapping it', () => {
    const ring = ringMask(mask, 0, 4);
    const grown = expandMask(mask, 4);
    let overlap = 0;
    let mismatch = 0;
    for (let g = 0; g < ring.data.length; g++) {
      if (ring.data[g] === 1 && mask.data[g] === 1) overlap++;
      if ((ring.data[g] === 1 || mask.data[g] === 1 ? 1 : 0) !== grown.data[g]) mismatch++;
    }
    expect(overlap).toBe(0);
    expect(mismatch).toBe(0);
  });

  it('refuses inner >= outer and negative radii', () => {
    expect(() => ringMask(mask, 10, 5)).toThrow(GeometryError);
    expect(() => ringMask(mask, 5, 5)).toThrow(/expected 0 <= inner < outer \(mm\), found inner 5 mm and outer 5 mm/);
    expect(() => ringMask(mask, -1, 5)).toThrow(/expected 0 <= inner < outer/);
  });
});

describe('cropToMask', () => {
  const grid = createGrid({ size: [30, 30, 20], spacingMm: [1, 1, 2], originMm: [0, 0, 0] });
  const target = sphereMask(grid, [14, 14, 20], 9);
  const body = boxMask(grid, [0, 0, 0], [29, 18, 19]);

  it('keeps the voxels of the structure inside the body', () => {
    const cropped = cropToMask(target, body, { name: 'PTV', bodyName: 'BODY' });
    forEachVoxel(cropped, (i, j, k, inside) => {
      const g = i + 30 * (j + 30 * k);
      expect(inside).toBe(target.data[g] === 1 && body.data[g] === 1);
    });
  });

  it('with an inset keeps the voxels inside the body shrunk by the inset', () => {
    const cropped = cropToMask(target, body, { insetMm: 3 });
    const expected = intersectMasks(target, contractMask(body, 3));
    expect(Array.from(cropped.data)).toEqual(Array.from(expected.data));
    // The body's face at j = 18.5 moves to 15.5: rows j >= 16 are gone, j = 15 stays.
    forEachVoxel(cropped, (_i, j, _k, inside) => {
      if (inside) expect(j).toBeLessThanOrEqual(15);
    });
  });
});

describe('grid edges', () => {
  it('the grid edge is not a surface: a slab touching it shrinks only from its inner face', () => {
    const grid = createGrid({ size: [8, 7, 12], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const slab = boxMask(grid, [0, 0, 0], [7, 6, 5]);
    const shrunk = contractMask(slab, 2);
    // Surface at k = 5.5; voxels within 2 mm of it (k = 4, 5) go; everything with k <= 3 stays.
    forEachVoxel(shrunk, (_i, _j, k, inside) => expect(inside).toBe(k <= 3));
  });

  it('a mask that fills the grid is unchanged by contraction', () => {
    const grid = createGrid({ size: [5, 5, 5], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const full = boxMask(grid, [0, 0, 0], [4, 4, 4]);
    expect(Array.from(contractMask(full, 2).data)).toEqual(Array.from(full.data));
  });

  it('expansion is clipped at the grid edge, or refused with clip: error', () => {
    const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
    const nearEdge = boxMask(grid, [1, 4, 4], [2, 5, 5]);
    const grown = expandMask(nearEdge, 4);
    expect(grown.data[0 + 10 * (4 + 10 * 4)]).toBe(1);
    expect(() => expandMask(nearEdge, 4, { clip: 'error', name: 'CTV' })).toThrow(GeometryError);
    expect(() => expandMask(nearEdge, 4, { clip: 'error', name: 'CTV' })).toThrow(
      /expected the 4 mm expansion along right-left \(x\) \(index axis i\) to stay inside the grid, found only 2 mm .*CTV/,
    );
    // Far enough from every edge: no error.
    const central = boxMask(grid, [4, 4, 4], [5, 5, 5]);
    expect(() => expandMask(central, 4, { clip: 'error' })).not.toThrow();
  });
});

describe('margin errors', () => {
  const grid = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
  const mask = boxMask(grid, [4, 4, 4], [5, 5, 5]);
  const empty = createMask(grid);

  it('an empty structure throws a GeometryError naming it', () => {
    for (const run of [
      () => expandMask(empty, 3, { name: 'CTV' }),
      () => contractMask(empty, 3, { name: 'CTV' }),
      () => ringMask(empty, 0, 3, { name: 'CTV' }),
      () => cropToMask(empty, mask, { name: 'CTV' }),
    ]) {
      expect(run).toThrow(GeometryError);
      expect(run).toThrow(/expected a non-empty structure, found no voxels.*"CTV"/);
    }
    expect(() => cropToMask(mask, empty, { bodyName: 'BODY' })).toThrow(/found no voxels.*"BODY"/);
  });

  it('a negative margin throws, pointing to contractMask', () => {
    expect(() => expandMask(mask, -2)).toThrow(GeometryError);
    expect(() => expandMask(mask, -2)).toThrow(/expected a finite margin >= 0 mm along right-left \(x\), found -2 mm \(use contractMask/);
    expect(() => expandMask(mask, { rightLeftMm: 1, anteriorPosteriorMm: -1, inferiorSuperiorMm: 1 })).toThrow(
      /anterior-posterior \(y\), found -1 mm/,
    );
    expect(() => contractMask(mask, Number.NaN)).toThrow(/found NaN mm/);
  });

  it('a margin larger than the grid extent throws with expected and found', () => {
    expect(() => expandMask(mask, 25)).toThrow(GeometryError);
    expect(() => expandMask(mask, 25)).toThrow(/expected a margin no larger than the grid's extent of 20 mm along right-left \(x\) \(index axis i\), found 25 mm/);
    expect(() => ringMask(mask, 1, 30)).toThrow(/extent of 20 mm/);
  });

  it('an anisotropic margin on an oblique grid throws', () => {
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const oblique = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2], originMm: [0, 0, 0], direction: [c, -s, 0, s, c, 0, 0, 0, 1] });
    const m = createMask(oblique, mask.data.slice());
    expect(() => expandMask(m, { rightLeftMm: 2, anteriorPosteriorMm: 2, inferiorSuperiorMm: 4 })).toThrow(
      /expected an isotropic margin on an oblique grid .*found right-left 2, anterior-posterior 2, inferior-superior 4 mm/,
    );
    // Equal components are an isotropic margin.
    expect(() => expandMask(m, { rightLeftMm: 2, anteriorPosteriorMm: 2, inferiorSuperiorMm: 2 })).not.toThrow();
  });

  it('masks on different grids throw with both grids described', () => {
    const other = createGrid({ size: [10, 10, 10], spacingMm: [2, 2, 2.5], originMm: [0, 0, 0] });
    expect(() => cropToMask(mask, createMask(other, mask.data.slice()))).toThrow(GeometryError);
    expect(() => cropToMask(mask, createMask(other, mask.data.slice()))).toThrow(/expected the same grid, found .* vs /);
  });

  it('a negative inset throws', () => {
    expect(() => cropToMask(mask, mask, { insetMm: -1 })).toThrow(/expected insetMm >= 0, found -1 mm/);
  });
});
