import { describe, expect, it } from 'vitest';
import type { Mat3 } from '../../src/core/vec3.js';
import { maskToContours } from '../../src/geometry/contour.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import {
  insideEvenOdd,
  planarPolygonAreaMm2,
  removeCollinear,
  ringIntersectionFlags,
  signedRingArea,
  simplifyRing,
} from '../../src/geometry/polygon.js';
import { rasterizeStructure, rasterizeToMask } from '../../src/geometry/rasterize.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
import { createMask, createOccupancy, type Mask } from '../../src/geometry/volume.js';
import { maskWhere } from '../helpers/masks.js';

// ---- helpers written for the tests (independent of the code under test) ----

/** Signed shoelace area of a contour in LPS (x, y): > 0 counter-clockwise seen from +z. */
function signedAreaXy(c: PlanarContour): number {
  const p = c.pointsLps;
  const n = p.length / 3;
  let twice = 0;
  for (let q = 0; q < n; q++) {
    const r = (q + 1) % n;
    twice += p[3 * q]! * p[3 * r + 1]! - p[3 * r]! * p[3 * q + 1]!;
  }
  return twice / 2;
}

/** Brute-force check that no two non-adjacent edges of the given rings (x, y) cross or touch. */
function anyIntersection(contours: readonly PlanarContour[]): boolean {
  const segs: [number, number, number, number, number, number][] = []; // x0 y0 x1 y1 ring index
  contours.forEach((c, ring) => {
    const p = c.pointsLps;
    const n = p.length / 3;
    for (let q = 0; q < n; q++) {
      const r = (q + 1) % n;
      segs.push([p[3 * q]!, p[3 * q + 1]!, p[3 * r]!, p[3 * r + 1]!, ring, q]);
    }
  });
  const cross = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number =>
    (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const n = (ring: number): number => contours[ring]!.pointsLps.length / 3;
  for (let s = 0; s < segs.length; s++) {
    for (let t = s + 1; t < segs.length; t++) {
      const a = segs[s]!;
      const b = segs[t]!;
      if (a[4] === b[4] && (b[5] === (a[5] + 1) % n(a[4]) || a[5] === (b[5] + 1) % n(b[4]))) continue;
      const d1 = cross(b[0], b[1], b[2], b[3], a[0], a[1]);
      const d2 = cross(b[0], b[1], b[2], b[3], a[2], a[3]);
      const d3 = cross(a[0], a[1], a[2], a[3], b[0], b[1]);
      const d4 = cross(a[0], a[1], a[2], a[3], b[2], b[3]);
      if (d1 * d2 <= 0 && d3 * d4 <= 0) {
        // Collinear disjoint segments give all-zero products: check their boxes overlap.
        if (d1 === 0 && d2 === 0 && d3 === 0 && d4 === 0) {
          const ox = Math.min(Math.max(a[0], a[2]), Math.max(b[0], b[2])) >= Math.max(Math.min(a[0], a[2]), Math.min(b[0], b[2]));
          const oy = Math.min(Math.max(a[1], a[3]), Math.max(b[1], b[3])) >= Math.max(Math.min(a[1], a[3]), Math.min(b[1], b[3]));
          if (!(ox && oy)) continue;
        }
        return true;
      }
    }
  }
  return false;
}

const count = (m: Mask): number => m.data.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
function dice(a: Mask, b: Mask): number {
  let both = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== 0 && b.data[i] !== 0) both++;
  return (2 * both) / (count(a) + count(b));
}

/** Contours grouped by their z (axial slices). */
function bySlice(contours: readonly PlanarContour[]): Map<number, PlanarContour[]> {
  const out = new Map<number, PlanarContour[]>();
  for (const c of contours) {
    const z = Math.round(c.pointsLps[2]! * 1000) / 1000;
    out.set(z, [...(out.get(z) ?? []), c]);
  }
  return out;
}

describe('maskToContours: marching squares on binary masks', () => {
  const grid = createGrid({ size: [12, 10, 3], spacingMm: [2, 1.5, 3], originMm: [-10, 5, 30] });
  const maskOf = (voxels: readonly [number, number, number][]): Mask => {
    const m = createMask(grid);
    for (const [i, j, k] of voxels) m.data[i + 12 * (j + 10 * k)] = 1;
    return m;
  };

  it('one voxel gives a diamond through the four edge midpoints (half the voxel area), counter-clockwise', () => {
    const cs = maskToContours(maskOf([[4, 3, 1]]));
    expect(cs).toHaveLength(1);
    const c = cs[0]!;
    expect(c.geometricType).toBe('CLOSED_PLANAR');
    expect(c.pointsLps.length / 3).toBe(4);
    // Centre at x = -10 + 4 * 2 = -2, y = 5 + 3 * 1.5 = 9.5, z = 33; half-spacings 1 and 0.75.
    const xs = [0, 1, 2, 3].map((q) => c.pointsLps[3 * q]!).sort((a, b) => a - b);
    expect(xs[0]).toBeCloseTo(-3, 9);
    expect(xs[3]).toBeCloseTo(-1, 9);
    for (let q = 0; q < 4; q++) expect(c.pointsLps[3 * q + 2]).toBe(33);
    expect(signedAreaXy(c)).toBeCloseTo(0.5 * 2 * 1.5, 9);
  });

  it('a 3 x 2 block gives an octagon: the rectangle through the boundary midpoints less four corner triangles', () => {
    const cs = maskToContours(maskOf([[2, 2, 0], [3, 2, 0], [4, 2, 0], [2, 3, 0], [3, 3, 0], [4, 3, 0]]));
    expect(cs).toHaveLength(1);
    expect(cs[0]!.pointsLps.length / 3).toBe(8); // collinear midpoints removed
    expect(signedAreaXy(cs[0]!)).toBeCloseTo((6 - 4 / 8) * 2 * 1.5, 9);
  });

  it('a block with a hole gives an outer contour and a separate hole contour of opposite winding', () => {
    const vox: [number, number, number][] = [];
    for (let i = 2; i <= 6; i++) for (let j = 2; j <= 6; j++) if (!(i === 4 && j === 4)) vox.push([i, j, 2]);
    const cs = maskToContours(maskOf(vox));
    expect(cs).toHaveLength(2);
    const areas = cs.map(signedAreaXy).sort((a, b) => a - b);
    const vox2 = 2 * 1.5;
    expect(areas[0]).toBeCloseTo(-0.5 * vox2, 9); // hole: diamond around the missing voxel
    expect(areas[1]).toBeCloseTo((25 - 0.5) * vox2, 9);
    // Even-odd over both contours reproduces the mask at every voxel centre of the slice.
    const rings = cs.map((c) => Float64Array.from({ length: (c.pointsLps.length / 3) * 2 }, (_, q) => c.pointsLps[3 * (q >> 1) + (q & 1)]!));
    for (let i = 0; i < 12; i++)
      for (let j = 0; j < 10; j++) {
        const p = indexToLps(grid, [i, j, 2]);
        const want = i >= 2 && i <= 6 && j >= 2 && j <= 6 && !(i === 4 && j === 4);
        expect(insideEvenOdd(rings, p[0], p[1])).toBe(want);
      }
  });

  it('a mask touching the grid border still closes (the grid is padded with outside voxels)', () => {
    const vox: [number, number, number][] = [];
    for (let i = 0; i < 12; i++) for (let j = 0; j < 10; j++) vox.push([i, j, 0]);
    const cs = maskToContours(maskOf(vox));
    expect(cs).toHaveLength(1);
    expect(signedAreaXy(cs[0]!)).toBeCloseTo((120 - 0.5) * 2 * 1.5, 9);
  });

  it('an empty mask has no contours', () => {
    expect(maskToContours(createMask(grid))).toEqual([]);
  });

  it('outer contours stay counter-clockwise in LPS on grids with flipped or swapped axes', () => {
    const dirs: Mat3[] = [
      [-1, 0, 0, 0, 1, 0, 0, 0, 1],
      [1, 0, 0, 0, -1, 0, 0, 0, -1],
      [0, 1, 0, 1, 0, 0, 0, 0, 1],
    ];
    for (const direction of dirs) {
      const g = createGrid({ size: [8, 8, 2], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction });
      const m = createMask(g);
      for (let i = 2; i <= 5; i++) for (let j = 2; j <= 4; j++) m.data[i + 8 * (j + 8)] = 1;
      const cs = maskToContours(m);
      expect(cs).toHaveLength(1);
      expect(signedAreaXy(cs[0]!)).toBeCloseTo(12 - 0.5, 9);
    }
  });

  it('contours of an oblique grid lie in its k planes', () => {
    const t = 0.3;
    const direction: Mat3 = [Math.cos(t), 0, Math.sin(t), 0, 1, 0, -Math.sin(t), 0, Math.cos(t)];
    const g = createGrid({ size: [8, 8, 3], spacingMm: [1, 1, 2], originMm: [1, 2, 3], direction });
    const m = createMask(g);
    for (let i = 2; i <= 5; i++) for (let j = 2; j <= 4; j++) m.data[i + 8 * (j + 8)] = 1;
    const [c] = maskToContours(m);
    const kDir = [direction[2], direction[5], direction[8]] as const;
    const p = c!.pointsLps;
    for (let q = 0; q < p.length / 3; q++) {
      const along = (p[3 * q]! - 1) * kDir[0] + (p[3 * q + 1]! - 2) * kDir[1] + (p[3 * q + 2]! - 3) * kDir[2];
      expect(along).toBeCloseTo(2, 9); // slice k = 1 at 2 mm
    }
    expect(planarPolygonAreaMm2(p)).toBeCloseTo(12 - 0.5, 9);
  });
});

describe('maskToContours: occupancy input', () => {
  it('places vertices by linear interpolation of the 0.5 level', () => {
    const g = createGrid({ size: [10, 10, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const occ = createOccupancy(g);
    // Columns 2..4 full, column 5 at 0.8, then 0: the right edge crosses 0.5 at 5 + (0.5 - 0.8) / (0 - 0.8) = 5.375.
    for (let j = 3; j <= 6; j++) {
      for (let i = 2; i <= 4; i++) occ.data[i + 10 * j] = 1;
      occ.data[5 + 10 * j] = 0.8;
    }
    const [c] = maskToContours(occ);
    const xs = Array.from({ length: c!.pointsLps.length / 3 }, (_, q) => c!.pointsLps[3 * q]!);
    expect(Math.max(...xs)).toBeCloseTo(5.375, 6); // 0.8 is stored as Float32
    expect(Math.min(...xs)).toBeCloseTo(1.5, 9);
  });

  it('the 0.5 level of a rasterised circle encloses the circle area within 1 %', () => {
    // Circle r = 6.3 mm on 1 mm voxels: occupancy = covered fraction; its 0.5 level runs close to the circle.
    const g = createGrid({ size: [24, 24, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const r = 6.3;
    const pts: number[] = [];
    for (let q = 0; q < 256; q++) pts.push(11.37 + r * Math.cos((2 * Math.PI * q) / 256), 11.81 + r * Math.sin((2 * Math.PI * q) / 256), 0);
    const occ = rasterizeStructure([{ geometricType: 'CLOSED_PLANAR', pointsLps: Float64Array.from(pts) }], g, { supersample: 16 });
    const cs = maskToContours(occ);
    expect(cs).toHaveLength(1);
    expect(Math.abs(signedAreaXy(cs[0]!) / (Math.PI * r * r) - 1)).toBeLessThan(0.01);
  });
});

describe('mask -> contours -> mask round trip (structures over 10 cc, 1.5 x 1.5 x 3 mm voxels)', () => {
  const grid = createGrid({ size: [56, 56, 28], spacingMm: [1.5, 1.5, 3], originMm: [-41.3, -40.9, -40.6] });
  const shapes: readonly [string, (x: number, y: number, z: number) => boolean, number][] = [
    // [name, inside test, analytic volume mm^3]
    ['a sphere of 20 mm radius', (x, y, z) => x * x + y * y + z * z <= 400, (4 / 3) * Math.PI * 8000],
    [
      'a torus (R 20 mm, r 8 mm) with a hole on every axial slice',
      (x, y, z) => (Math.hypot(x, y) - 20) ** 2 + z * z <= 64,
      2 * Math.PI * Math.PI * 20 * 64,
    ],
    [
      'a lobulated shape',
      (x, y, z) => {
        const rr = Math.hypot(x, y, z);
        const phi = Math.atan2(y, x);
        const cosT = rr > 0 ? z / rr : 0;
        return rr <= 22 * (1 + 0.25 * Math.cos(3 * phi) * (1 - cosT * cosT));
      },
      Number.NaN,
    ],
  ];

  for (const [name, inside, volumeMm3] of shapes) {
    for (const tol of [0, 0.5]) {
      it(`${name}${tol > 0 ? `, simplified at ${tol} mm,` : ''} keeps Dice >= 0.98 and volume within 1 %`, () => {
        const mask = maskWhere(grid, inside);
        const voxMm3 = 1.5 * 1.5 * 3;
        expect(count(mask) * voxMm3).toBeGreaterThan(10_000);
        if (!Number.isNaN(volumeMm3)) expect(Math.abs((count(mask) * voxMm3) / volumeMm3 - 1)).toBeLessThan(0.03);
        const contours = maskToContours(mask, { simplifyToleranceMm: tol });
        for (const c of contours) {
          expect(c.geometricType).toBe('CLOSED_PLANAR');
          expect(c.pointsLps.length / 3).toBeGreaterThanOrEqual(3);
        }
        for (const slice of bySlice(contours).values()) expect(anyIntersection(slice)).toBe(false);
        const back = rasterizeToMask(contours, grid, { name });
        expect(dice(mask, back)).toBeGreaterThanOrEqual(0.98);
        expect(Math.abs(count(back) / count(mask) - 1)).toBeLessThan(0.01);
        if (tol === 0) expect(dice(mask, back)).toBe(1); // unsimplified: the exact mask comes back
      });
    }
  }

  it('the torus slices come out as an outer contour and a separate hole of opposite winding', () => {
    const mask = maskWhere(grid, shapes[1]![1]);
    const slices = bySlice(maskToContours(mask));
    let withHole = 0;
    for (const cs of slices.values()) {
      if (cs.length !== 2) continue;
      const [a, b] = cs.map(signedAreaXy);
      expect(Math.sign(a!)).toBe(-Math.sign(b!));
      expect(Math.max(a!, b!)).toBeGreaterThan(0);
      withHole++;
    }
    expect(withHole).toBeGreaterThanOrEqual(5); // |z| < 8 mm on 3 mm slices
  });
});

describe('polygon helpers', () => {
  it('removeCollinear keeps the corners of a square sampled along its sides', () => {
    const ring = Float64Array.from([0, 0, 1, 0, 2, 0, 2, 1, 2, 2, 1, 2, 0, 2, 0, 1]);
    expect(Array.from(removeCollinear(ring))).toEqual([0, 0, 2, 0, 2, 2, 0, 2]);
  });

  it('simplifyRing keeps every dropped vertex within the tolerance and at least 3 points', () => {
    const n = 200;
    const ring = new Float64Array(2 * n);
    for (let q = 0; q < n; q++) {
      const t = (2 * Math.PI * q) / n;
      const r = 10 * (1 + 0.2 * Math.cos(5 * t));
      ring[2 * q] = r * Math.cos(t);
      ring[2 * q + 1] = r * Math.sin(t);
    }
    for (const tol of [0.05, 0.5, 2, 50]) {
      const s = simplifyRing(ring, tol);
      expect(s.length / 2).toBeGreaterThanOrEqual(3);
      expect(s.length).toBeLessThan(ring.length);
      // Distance from each original vertex to the simplified ring (brute force).
      for (let q = 0; q < n && tol < 50; q++) {
        let best = Infinity;
        const m = s.length / 2;
        for (let e = 0; e < m; e++) {
          const f = (e + 1) % m;
          const ax = s[2 * e]!, ay = s[2 * e + 1]!, bx = s[2 * f]!, by = s[2 * f + 1]!;
          const dx = bx - ax, dy = by - ay;
          const u = Math.max(0, Math.min(1, ((ring[2 * q]! - ax) * dx + (ring[2 * q + 1]! - ay) * dy) / (dx * dx + dy * dy)));
          best = Math.min(best, Math.hypot(ax + u * dx - ring[2 * q]!, ay + u * dy - ring[2 * q + 1]!));
        }
        expect(best).toBeLessThanOrEqual(tol + 1e-9);
      }
    }
  });

  it('signedRingArea is positive counter-clockwise; ringIntersectionFlags finds a bow tie and nested rings are clean', () => {
    expect(signedRingArea(Float64Array.from([0, 0, 3, 0, 3, 2, 0, 2]))).toBe(6);
    expect(signedRingArea(Float64Array.from([0, 0, 0, 2, 3, 2, 3, 0]))).toBe(-6);
    const bowTie = Float64Array.from([0, 0, 2, 2, 2, 0, 0, 2]);
    const outer = Float64Array.from([-5, -5, 5, -5, 5, 5, -5, 5]);
    const inner = Float64Array.from([-1, -1, -1, 1, 1, 1, 1, -1]);
    expect(Array.from(ringIntersectionFlags([bowTie]))).toEqual([1]);
    expect(Array.from(ringIntersectionFlags([outer, inner]))).toEqual([0, 0]);
    expect(Array.from(ringIntersectionFlags([outer, Float64Array.from([4, 4, 6, 4, 6, 6])]))).toEqual([1, 1]);
  });
});
