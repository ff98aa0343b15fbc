import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GeometryError } from '../../src/core/errors.js';
import type { Mat3 } from '../../src/core/vec3.js';
import { createGrid, type Grid } from '../../src/geometry/grid.js';
import {
  rasterizeStructure,
  rasterizeStructureWithWarnings,
  rasterizeToMask,
  type RasterizeWarning,
} from '../../src/geometry/rasterize.js';
import type { PlanarContour } from '../../src/geometry/structure.js';

// ---- helpers written for the tests (independent of the code under test) ----

const closedContour = (pts: readonly number[]): PlanarContour => ({
  geometricType: 'CLOSED_PLANAR',
  pointsLps: Float64Array.from(pts),
});

/** Regular polygon with nPts vertices on a circle of radius r (mm) in the plane z, counter-clockwise. */
function circleContour(cx: number, cy: number, z: number, r: number, nPts: number): PlanarContour {
  const pts: number[] = [];
  for (let q = 0; q < nPts; q++) {
    const t = (2 * Math.PI * q) / nPts;
    pts.push(cx + r * Math.cos(t), cy + r * Math.sin(t), z);
  }
  return closedContour(pts);
}

/** Area of a regular nPts-gon inscribed in a circle of radius r: (n / 2) r^2 sin(2 pi / n). */
const regularPolygonArea = (r: number, nPts: number): number => (nPts / 2) * r * r * Math.sin((2 * Math.PI) / nPts);

/** Axis-aligned rectangle contour in plane z; clockwise when cw is true. */
function rectContour(x0: number, y0: number, x1: number, y1: number, z: number, cw = false): PlanarContour {
  const ccw = [x0, y0, z, x1, y0, z, x1, y1, z, x0, y1, z];
  const rev = [x0, y0, z, x0, y1, z, x1, y1, z, x1, y0, z];
  return closedContour(cw ? rev : ccw);
}

/** Sum of occupancy times voxel volume, mm^3. */
function occupiedMm3(occ: { grid: Grid; data: Float32Array }): number {
  let s = 0;
  for (let i = 0; i < occ.data.length; i++) s += occ.data[i]!;
  const sp = occ.grid.spacingMm;
  return s * sp[0] * sp[1] * sp[2];
}

const R_SPHERE = 7.5;
const V_SPHERE = (4 / 3) * Math.PI * R_SPHERE ** 3; // 1767.1 mm^3 = 1.767 cc
const N_CIRCLE = 128;

/**
 * A sphere of radius 7.5 mm centred at c, contoured on the planes z = p * planeMm (a fixed CT-like
 * lattice, so the sphere's centre falls between planes). Returns the contours and the slab sum
 * expected under the slab convention: every plane is a slab planeMm thick, so the volume is
 * planeMm * sum of the (regular 128-gon) cross-section areas.
 */
function sphereContours(c: readonly [number, number, number], planeMm: number): { contours: PlanarContour[]; slabSumMm3: number } {
  const contours: PlanarContour[] = [];
  let slabSumMm3 = 0;
  const pLo = Math.ceil((c[2] - R_SPHERE) / planeMm);
  const pHi = Math.floor((c[2] + R_SPHERE) / planeMm);
  for (let p = pLo; p <= pHi; p++) {
    const z = p * planeMm;
    const r2 = R_SPHERE ** 2 - (z - c[2]) ** 2;
    if (r2 <= 1e-6) continue; // a pole touching a plane has no cross-section
    const r = Math.sqrt(r2);
    contours.push(circleContour(c[0], c[1], z, r, N_CIRCLE));
    slabSumMm3 += planeMm * regularPolygonArea(r, N_CIRCLE);
  }
  return { contours, slabSumMm3 };
}

/** An identity-direction grid of the given spacing covering the cube [c - 12, c + 12] mm, with origin phase. */
function gridAround(c: readonly [number, number, number], spacingMm: number, phase: readonly [number, number, number]): Grid {
  const n = Math.ceil(26 / spacingMm) + 2;
  return createGrid({
    size: [n, n, n],
    spacingMm: [spacingMm, spacingMm, spacingMm],
    originMm: [c[0] - 13 + phase[0], c[1] - 13 + phase[1], c[2] - 13 + phase[2]],
  });
}

const CENTRES: readonly (readonly [number, number, number])[] = [
  [0.13, -0.29, 0.37],
  [0.5, 0.5, 0.5],
  [0.71, 0.23, 0.05],
  [-0.41, 0.87, -0.62],
];
const GRID_PHASES: readonly (readonly [number, number, number])[] = [
  [0, 0, 0],
  [0.31, 0.67, 0.19],
  [0.77, 0.11, 0.53],
  [0.45, 0.92, 0.88],
];

describe('rasterizeStructure: 15 mm spheres (physics reference 5.4)', () => {
  [1, 2, 2.5].forEach((spacing, gi) => {
    it(`a 15 mm sphere contoured at 1 mm is within 1 % of 4/3 pi 7.5^3 and 0.5 % of its slab sum on a ${spacing} mm grid`, () => {
      CENTRES.forEach((c, q) => {
        const { contours, slabSumMm3 } = sphereContours(c, 1);
        const grid = gridAround(c, spacing, GRID_PHASES[(q + gi) % GRID_PHASES.length]!);
        const v = occupiedMm3(rasterizeStructure(contours, grid));
        expect(Math.abs(v / slabSumMm3 - 1)).toBeLessThan(0.005);
        expect(Math.abs(v / V_SPHERE - 1)).toBeLessThan(0.01);
      });
    });
  });

  [1, 2, 2.5].forEach((spacing, gi) => {
    it(`a 15 mm sphere contoured at 3 mm is within 3 % of the sphere and 0.5 % of its slab sum on a ${spacing} mm grid`, () => {
      // The centres lie 0.05..0.62 mm from a plane; there the slab sum itself is within 1..2 % of the sphere.
      CENTRES.forEach((c, q) => {
        const { contours, slabSumMm3 } = sphereContours(c, 3);
        const grid = gridAround(c, spacing, GRID_PHASES[(q + gi) % GRID_PHASES.length]!);
        const v = occupiedMm3(rasterizeStructure(contours, grid));
        expect(Math.abs(v / slabSumMm3 - 1)).toBeLessThan(0.005);
        expect(Math.abs(v / V_SPHERE - 1)).toBeLessThan(0.03);
      });
    });
  });

  it('with the poles on 3 mm planes the slab convention loses the caps: 4 % low, as the slab sum predicts', () => {
    // Planes at 0, +-3, +-6 mm around a centre at z = 1.5 + 3 m: the cross-sections at +-1.5 and +-4.5
    // mm from the centre, slabs covering |dz| <= 6 mm; the caps 6..7.5 mm (2 x 49.5 mm^3) are missing.
    // Slab sum = 3 * 2 pi (56.25 - 2.25 + 56.25 - 20.25) = 540 pi = 1696.5 mm^3 = V * 0.960.
    const c = [0.2, -0.3, 1.5] as const;
    const { contours, slabSumMm3 } = sphereContours(c, 3);
    expect(slabSumMm3 / (540 * Math.PI)).toBeCloseTo(1, 3); // 128-gons: -0.04 %
    const v = occupiedMm3(rasterizeStructure(contours, gridAround(c, 2.5, [0.3, 0.6, 0.1])));
    expect(Math.abs(v / slabSumMm3 - 1)).toBeLessThan(0.005);
    expect(v / V_SPHERE).toBeGreaterThan(0.955);
    expect(v / V_SPHERE).toBeLessThan(0.965);
  });
});

describe('rasterizeStructure: in-plane even-odd fill', () => {
  // 1 mm voxels with boundaries at half-integers; one plane on slice k = 2 (its slab is that slice).
  const grid = createGrid({ size: [40, 40, 5], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
  const area = (contours: PlanarContour[]): number => occupiedMm3(rasterizeStructure(contours, grid));

  it('a ring (outer square minus inner square) has the exact area 400 - 100, whatever the winding', () => {
    expect(area([rectContour(4.5, 4.5, 24.5, 24.5, 2), rectContour(9.5, 9.5, 19.5, 19.5, 2)])).toBeCloseTo(300, 4);
    expect(area([rectContour(4.5, 4.5, 24.5, 24.5, 2), rectContour(9.5, 9.5, 19.5, 19.5, 2, true)])).toBeCloseTo(300, 4);
  });

  it('an island inside the hole counts again: 400 - 100 + 16', () => {
    const c = [rectContour(4.5, 4.5, 24.5, 24.5, 2), rectContour(9.5, 9.5, 19.5, 19.5, 2), rectContour(12.5, 12.5, 16.5, 16.5, 2)];
    expect(area(c)).toBeCloseTo(316, 4);
  });

  it('two disjoint islands add up: 10 x 10 + 5 x 8', () => {
    expect(area([rectContour(2.5, 2.5, 12.5, 12.5, 2), rectContour(20.5, 25.5, 25.5, 33.5, 2, true)])).toBeCloseTo(140, 4);
  });

  it('two overlapping squares are XOR-ed: 100 + 100 - 2 x 25', () => {
    expect(area([rectContour(2.5, 2.5, 12.5, 12.5, 2), rectContour(7.5, 7.5, 17.5, 17.5, 2)])).toBeCloseTo(150, 4);
  });

  it('a rectangle off the voxel boundaries is within the sub-row error of its area', () => {
    // Sides along y are exact; each side along x is off by at most half a sub-row times its length.
    const n = 8;
    const w = 13.3;
    const h = 7.7;
    const got = occupiedMm3(rasterizeStructure([rectContour(3.17, 5.41, 3.17 + w, 5.41 + h, 2)], grid, { supersample: n }));
    expect(Math.abs(got - w * h)).toBeLessThanOrEqual(2 * (1 / (2 * n)) * w + 1e-6);
  });

  it('places partial voxels exactly along the row: a voxel half covered has occupancy 0.5', () => {
    const occ = rasterizeStructure([rectContour(4.5, 4.5, 10.0, 8.5, 2)], grid);
    const at = (i: number, j: number, k: number): number => occ.data[i + 40 * (j + 40 * k)]!;
    expect(at(6, 6, 2)).toBeCloseTo(1, 6);
    expect(at(10, 6, 2)).toBeCloseTo(0.5, 6);
    expect(at(11, 6, 2)).toBe(0);
    expect(at(6, 6, 1)).toBe(0);
  });

  it('property: the area of a random convex polygon matches its shoelace area within the sub-row error', () => {
    fc.assert(
      fc.property(
        fc.record({
          cx: fc.double({ min: 12, max: 28, noNaN: true }),
          cy: fc.double({ min: 12, max: 28, noNaN: true }),
          a: fc.double({ min: 0.5, max: 9, noNaN: true }),
          b: fc.double({ min: 0.5, max: 9, noNaN: true }),
          rot: fc.double({ min: 0, max: Math.PI, noNaN: true }),
          angles: fc.uniqueArray(fc.integer({ min: 0, max: 3599 }), { minLength: 3, maxLength: 24 }),
          n: fc.integer({ min: 1, max: 16 }),
        }),
        ({ cx, cy, a, b, rot, angles, n }) => {
          // Vertices on an ellipse in increasing angle: a convex polygon.
          const ts = [...angles].sort((p, q) => p - q).map((d) => (d / 3600) * 2 * Math.PI);
          const pts: number[] = [];
          let minX = Infinity;
          let maxX = -Infinity;
          for (const t of ts) {
            const ex = a * Math.cos(t);
            const ey = b * Math.sin(t);
            const x = cx + ex * Math.cos(rot) - ey * Math.sin(rot);
            const y = cy + ex * Math.sin(rot) + ey * Math.cos(rot);
            pts.push(x, y, 2);
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
          }
          let twice = 0;
          for (let q = 0; q < ts.length; q++) {
            const r = (q + 1) % ts.length;
            twice += pts[3 * q]! * pts[3 * r + 1]! - pts[3 * r]! * pts[3 * q + 1]!;
          }
          const shoelace = Math.abs(twice) / 2;
          const got = occupiedMm3(rasterizeStructure([closedContour(pts)], grid, { supersample: n }));
          // Area = integral of the row width w(y); the midpoint rule on sub-rows of height 1/n mm errs by
          // at most (1/n) x total variation of w = (1/n) x 2 max w <= 2 (maxX - minX) / n.
          expect(Math.abs(got - shoelace)).toBeLessThanOrEqual((2 * (maxX - minX)) / n + 1e-4);
        },
      ),
      { seed: 20240611, numRuns: 200 },
    );
  });
});

describe('rasterizeStructure: the slab convention along the normal', () => {
  // A 10 x 10 mm square prism (sides on 1 mm voxel boundaries) contoured on 4 planes every 2.5 mm.
  const prism = (zs: readonly number[]): PlanarContour[] => zs.map((z) => rectContour(4.5, 4.5, 14.5, 14.5, z));
  const column = (occ: { data: Float32Array; grid: Grid }): number[] => {
    const [nx, ny, nz] = occ.grid.size;
    const out: number[] = [];
    for (let k = 0; k < nz; k++) out.push(occ.data[8 + nx * (8 + ny * k)]!);
    return out;
  };

  it('planes half a slice off the grid slices give half-filled end voxels', () => {
    // Planes 1.25, 3.75, 6.25, 8.75 mm: slabs tile [0, 10] mm. Grid slices at 0, 2.5, ..., 12.5 mm
    // have extents [z - 1.25, z + 1.25]: overlaps 0.5, 1, 1, 1, 0.5, 0.
    const grid = createGrid({ size: [20, 20, 6], spacingMm: [1, 1, 2.5], originMm: [0, 0, 0] });
    const occ = rasterizeStructure(prism([1.25, 3.75, 6.25, 8.75]), grid);
    const col = column(occ);
    [0.5, 1, 1, 1, 0.5, 0].forEach((v, k) => expect(col[k]).toBeCloseTo(v, 6));
    expect(occupiedMm3(occ)).toBeCloseTo(100 * 10, 3);
  });

  it('a dose grid with a different slice thickness sees the same slabs', () => {
    // 1 mm slices at 0..11 mm: extents [z - 0.5, z + 0.5] against [0, 10]: 0.5, 1 x 9, 0.5, 0.
    const grid = createGrid({ size: [20, 20, 12], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const col = column(rasterizeStructure(prism([1.25, 3.75, 6.25, 8.75]), grid));
    [0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5, 0].forEach((v, k) => expect(col[k]).toBeCloseTo(v, 6));
  });

  it('a grid whose k axis runs feet-first gives the same occupancy profile, reversed', () => {
    // k axis = -z, origin at z = 12.5: slice k is at z = 12.5 - 2.5 k.
    const grid = createGrid({
      size: [20, 20, 6],
      spacingMm: [1, 1, 2.5],
      originMm: [0, 19, 12.5],
      direction: [1, 0, 0, 0, -1, 0, 0, 0, -1],
    });
    const col = column(rasterizeStructure(prism([1.25, 3.75, 6.25, 8.75]), grid));
    [0, 0.5, 1, 1, 1, 0.5].forEach((v, k) => expect(col[k]).toBeCloseTo(v, 6));
  });

  it('a single plane is a slab one grid slice thick', () => {
    // Plane z = 1 on 2 mm slices at 0, 2, 4: slab [0, 2] covers half of slices 0 and 1.
    const grid = createGrid({ size: [20, 20, 3], spacingMm: [1, 1, 2], originMm: [0, 0, 0] });
    const col = column(rasterizeStructure(prism([1]), grid));
    [0.5, 0.5, 0].forEach((v, k) => expect(col[k]).toBeCloseTo(v, 6));
  });

  it('one skipped plane is bridged; a wide gap between two parts is not', () => {
    const grid = createGrid({ size: [20, 20, 40], spacingMm: [1, 1, 1], originMm: [0, 0, -2] });
    // Planes 0, 2.5, 5, 10 (7.5 skipped): slabs tile [-1.25, 11.25] = 12.5 mm.
    expect(occupiedMm3(rasterizeStructure(prism([0, 2.5, 5, 10]), grid))).toBeCloseTo(100 * 12.5, 2);
    // Planes 0, 2.5, 5 and 25, 27.5, 30: [-1.25, 6.25] and [23.75, 31.25] = 15 mm.
    expect(occupiedMm3(rasterizeStructure(prism([0, 2.5, 5, 25, 27.5, 30]), grid))).toBeCloseTo(100 * 15, 2);
  });

  it('an explicit plane spacing sets the end caps', () => {
    const grid = createGrid({ size: [20, 20, 12], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    // One plane at z = 5 with s = 3 mm: slab [3.5, 6.5] = 3 mm.
    expect(occupiedMm3(rasterizeStructure(prism([5]), grid, { planeSpacingMm: 3 }))).toBeCloseTo(300, 3);
  });
});

describe('rasterizeStructure: grid orientation', () => {
  const c = [0.37, -0.21, 0.44] as const;
  const { contours, slabSumMm3 } = sphereContours(c, 1);
  const gridWith = (direction: Mat3): Grid => {
    // Origin chosen so that the grid, whatever its axes, covers c +- 13 mm.
    const s = 1.25;
    const n = 24;
    const origin = [0, 1, 2].map((r) => {
      let o = c[r]!;
      for (let a = 0; a < 3; a++) o -= direction[3 * r + a]! * s * (n - 1) * 0.5;
      return o + 0.17 * (r + 1);
    });
    return createGrid({ size: [n, n, n], spacingMm: [s, s, s], originMm: [origin[0]!, origin[1]!, origin[2]!], direction });
  };
  const cases: readonly [string, Mat3][] = [
    ['identity', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
    ['i flipped (i = -x)', [-1, 0, 0, 0, 1, 0, 0, 0, 1]],
    ['j and k flipped (feet first)', [1, 0, 0, 0, -1, 0, 0, 0, -1]],
    ['i and j swapped (i = y, j = x)', [0, 1, 0, 1, 0, 0, 0, 0, 1]],
    ['i = y, j = -x, k = -z', [0, -1, 0, 1, 0, 0, 0, 0, -1]],
    ['sagittal: i = z, j = x, k = y (contour normal along i)', [0, 1, 0, 0, 0, 1, 1, 0, 0]],
    ['coronal: i = x, j = z, k = y (contour normal along j)', [1, 0, 0, 0, 0, 1, 0, 1, 0]],
  ];
  for (const [label, direction] of cases) {
    it(`a grid with ${label} gives the same volume`, () => {
      const v = occupiedMm3(rasterizeStructure(contours, gridWith(direction)));
      expect(Math.abs(v / slabSumMm3 - 1)).toBeLessThan(0.005);
    });
  }

  it('a grid oblique to the contour planes is a GeometryError naming the structure', () => {
    const t = (10 * Math.PI) / 180;
    const rotX: Mat3 = [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
    expect(() => rasterizeStructure(contours, gridWith(rotX), { name: 'GTV_1' })).toThrow(GeometryError);
    expect(() => rasterizeStructure(contours, gridWith(rotX), { name: 'GTV_1' })).toThrow(/oblique.*GTV_1/);
  });

  it('a non-planar contour is a GeometryError', () => {
    const bent = closedContour([0, 0, 0, 5, 0, 0, 5, 5, 1, 0, 5, 1]);
    expect(() => rasterizeStructure([bent], gridWith([1, 0, 0, 0, 1, 0, 0, 0, 1]))).toThrow(GeometryError);
  });
});

describe('rasterizeStructure: ignored contours and warnings', () => {
  const grid = createGrid({ size: [20, 20, 10], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });

  it('a contour with fewer than 3 points is ignored with a warning naming the structure and plane', () => {
    const seen: RasterizeWarning[] = [];
    const { occupancy, warnings } = rasterizeStructureWithWarnings(
      [rectContour(2.5, 2.5, 6.5, 6.5, 5), closedContour([1, 1, 5, 3, 3, 5])],
      grid,
      { name: 'PTV', onWarning: (w) => seen.push(w) },
    );
    expect(warnings).toHaveLength(1);
    expect(seen).toEqual(warnings);
    expect(warnings[0]!.code).toBe('too-few-points');
    expect(warnings[0]!.contourIndex).toBe(1);
    expect(warnings[0]!.message).toContain('PTV');
    expect(warnings[0]!.message).toContain('z = 5 mm');
    expect(occupiedMm3(occupancy)).toBeCloseTo(16, 4);
  });

  it('POINT and OPEN_PLANAR contours are ignored with a warning', () => {
    const { occupancy, warnings } = rasterizeStructureWithWarnings(
      [
        { geometricType: 'POINT', pointsLps: Float64Array.from([5, 5, 3]) },
        { geometricType: 'OPEN_PLANAR', pointsLps: Float64Array.from([1, 1, 3, 8, 1, 3, 8, 8, 3]) },
      ],
      grid,
      { name: 'Marker' },
    );
    expect(warnings.map((w) => w.code)).toEqual(['not-closed-planar', 'not-closed-planar']);
    expect(occupiedMm3(occupancy)).toBe(0);
  });

  it('a structure reaching outside the grid is cut off, with a warning', () => {
    const { occupancy, warnings } = rasterizeStructureWithWarnings([rectContour(-5.5, 2.5, 4.5, 6.5, 5)], grid, { name: 'Body' });
    expect(warnings.map((w) => w.code)).toEqual(['outside-grid']);
    expect(occupiedMm3(occupancy)).toBeCloseTo(5 * 4, 4); // x from -0.5 (grid edge) to 4.5
  });
});

describe('rasterizeToMask', () => {
  const grid = createGrid({ size: [20, 20, 3], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });

  it('takes voxels with occupancy >= 0.5', () => {
    // x from 2.5 to 7.0: voxel 7 is half covered (in); y from 2.5 to 3.9: row 4 is 0.4 covered (out).
    const m = rasterizeToMask([rectContour(2.5, 2.5, 7.0, 3.9, 1)], grid, { supersample: 10 });
    const at = (i: number, j: number): number => m.data[i + 20 * (j + 20)]!;
    expect(at(3, 3)).toBe(1);
    expect(at(7, 3)).toBe(1);
    expect(at(8, 3)).toBe(0);
    expect(at(3, 4)).toBe(0);
    let count = 0;
    for (const v of m.data) count += v;
    expect(count).toBe(5); // i = 3..7 on row j = 3
  });
});
