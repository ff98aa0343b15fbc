import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import {
  classifyCentre,
  compareScores,
  createPlacementContext,
  evaluateLayout,
  placeVertices,
  searchLayouts,
  STATUS_INTACT,
  STATUS_PARTIAL,
  type LayoutScore,
} from '../../src/lattice/placement.js';
import { placeInStructures } from '../../src/lattice/run-case.js';
import { cubeGrid, distanceToMaskMm, inBox, inEllipsoid, maskOf, structureOf } from './shapes.js';

const kept = (c: { status: string }): boolean => c.status === 'intact' || c.status === 'partial';

/** Fraction of a ball of radius r on the inner side of a plane t mm from its centre (t > 0: centre inside): 1 - cap/V. */
function planeFraction(r: number, t: number): number {
  const h = r - t; // height of the cap outside
  if (h <= 0) return 1;
  if (h >= 2 * r) return 0;
  const cap = (Math.PI * h * h * (3 * r - h)) / 3;
  return 1 - cap / ((4 / 3) * Math.PI * r ** 3);
}

describe('fraction of a sphere inside the target', () => {
  // Box: voxel centres |x|, |y|, |z| <= 20 on a 1 mm grid, so the faces are at 20.5 mm.
  const grid = cubeGrid(61);
  const box = structureOf('box', maskOf(grid, inBox([0, 0, 0], [20.2, 20.2, 20.2])), 'GTV');
  const ctx = createPlacementContext(box, [], { diameterMm: 15, spacingMm: 60 });
  const out = new Float64Array(3);
  it.each([-6, -4, -2, 0, 2, 4, 6, 7.5, 10])('a 15 mm sphere whose centre is %f mm inside a flat face holds the spherical-cap fraction', (t) => {
    classifyCentre(ctx, 20.5 - t, 0, 0, out, true);
    expect(-out[0]!).toBeCloseTo(t, 0); // depth within 0.5 mm
    expect(Math.abs(out[1]! - planeFraction(7.5, t))).toBeLessThan(0.02);
  });
});

describe('placement on analytic targets', () => {
  it('a box whose inner region (minus the radius) is 45 mm wide holds 2 x 2 x 2 spheres of a 30 mm cubic lattice; the centroid-anchored grid holds 1', () => {
    // Faces at +-27.5 mm; sphere radius 5 mm: centres within +-22.5 mm; spacing 30 mm fits 2 per axis, not 3.
    const grid = cubeGrid(81);
    const target = structureOf('box', maskOf(grid, inBox([0, 0, 0], [27.2, 27.2, 27.2])), 'GTV');
    const r = placeVertices(target, [], { pattern: 'sc', spacingMm: 30, planeSpacingMm: 30, diameterMm: 10, allowPartial: false });
    expect(r.best.score.intact).toBe(8);
    expect(r.baseline.score.intact).toBe(1);
    expect(r.best.candidates.filter(kept)).toHaveLength(8);
  });

  it.each([
    // Ball target of radius R; centres within R - r = rho. Simple cubic spacing s: 2 vertices fit when
    // s/2 <= rho < s/sqrt(2), 4 (a tetrahedron of cube corners) when s/sqrt(2) <= rho < s sqrt(3)/2.
    [17, 2],
    [20.6, 4],
  ])('a ball of radius %f mm holds %i spheres of 10 mm on a 20 mm cubic lattice', (radius, count) => {
    const grid = cubeGrid(61);
    const target = structureOf('ball', maskOf(grid, inEllipsoid([0.3, -0.2, 0.1], [radius, radius, radius])), 'GTV');
    const r = placeVertices(target, [], { pattern: 'sc', spacingMm: 20, planeSpacingMm: 20, diameterMm: 10, allowPartial: false });
    expect(r.best.score.intact).toBe(count);
  });

  it('a target too small for any vertex gives an empty layout, not an error', () => {
    const grid = cubeGrid(41);
    const target = structureOf('tiny', maskOf(grid, inEllipsoid([0, 0, 0], [4, 4, 4])), 'GTV');
    const r = placeVertices(target, [], {});
    expect(r.best.score.intact + r.best.score.partial).toBe(0);
    expect(r.best.candidates.every((c) => !kept(c))).toBe(true);
    const placed = placeInStructures([target], 'tiny', 'auto');
    expect(placed.newStructures).toEqual([]);
    expect(placed.summary[0]).toMatch(/^no vertex fits: target "tiny" \([\d.]+ cc\) holds no 15 mm sphere/);
  });
});

// A small irregular case: two overlapping ellipsoids, an organ at risk (a slab) beside them.
const smallGrid = cubeGrid(81);
const twoLobes = (rot: (x: number, y: number) => [number, number]) => (x: number, y: number, z: number): boolean => {
  const [u, v] = rot(x, y);
  return inEllipsoid([0, 0, 0], [22, 16, 14])(u, v, z) || inEllipsoid([14, 8, 6], [12, 12, 12])(u, v, z);
};
const slab = (rot: (x: number, y: number) => [number, number]) => (x: number, y: number, z: number): boolean => {
  const [u, v] = rot(x, y);
  return inBox([35, 0, 0], [5, 20, 20])(u, v, z);
};
const identity = (x: number, y: number): [number, number] => [x, y];
// Rotating the anatomy by +90 degrees about z: a point (x, y) of the rotated case comes from (y, -x).
const back90 = (x: number, y: number): [number, number] => [y, -x];
const smallTarget = structureOf('GTV', maskOf(smallGrid, twoLobes(identity)), 'GTV');
const smallOar = structureOf('Bowel', maskOf(smallGrid, slab(identity)));
const SMALL_PARAMS = { pattern: 'seed', spacingMm: 20, planeSpacingMm: 10, diameterMm: 8, oarClearanceMm: 4, partialMin: 0.5 } as const;

const better = (a: LayoutScore, b: LayoutScore): boolean =>
  a.intact > b.intact || (a.intact === b.intact && a.partial > b.partial);

describe('placement search', () => {
  it('is exhaustive: a brute-force scan of every 1 mm offset finds no layout with more vertices', () => {
    const ctx = createPlacementContext(smallTarget, [smallOar], SMALL_PARAMS);
    const found = searchLayouts(ctx);
    // Brute force, written independently: every integer offset (x, y, z) in [0, 20) x [0, 20) x [0, 10),
    // every lattice point pivot + offset + i (20, 0, 0) + j (0, 20, 0) + k (10, 10, 10), classified alone.
    const out = new Float64Array(3);
    const c0 = ctx.pivotLps;
    let best = { intact: -1, partial: -1, minOarDistanceMm: 0, centreOffsetMm: 0 };
    let layouts = 0;
    for (let x = 0; x < 20; x++) {
      for (let y = 0; y < 20; y++) {
        for (let z = 0; z < 10; z++) {
          layouts++;
          let intact = 0;
          let partial = 0;
          for (let k = -6; k <= 6; k++) {
            for (let j = -6; j <= 6; j++) {
              for (let i = -6; i <= 6; i++) {
                const px = c0[0] + x + 20 * i + 10 * k;
                const py = c0[1] + y + 20 * j + 10 * k;
                const pz = c0[2] + z + 10 * k;
                if (Math.abs(px) > 40 || Math.abs(py) > 40 || Math.abs(pz) > 40) continue;
                const st = classifyCentre(ctx, px, py, pz, out);
                if (st === STATUS_INTACT) intact++;
                else if (st === STATUS_PARTIAL) partial++;
              }
            }
          }
          const s = { intact, partial, minOarDistanceMm: 0, centreOffsetMm: 0 };
          if (better(s, best)) best = s;
        }
      }
    }
    expect(layouts).toBe(found.layoutsSearched);
    expect([found.score.intact, found.score.partial]).toEqual([best.intact, best.partial]);
    expect(found.score.intact).toBeGreaterThan(0);
  });

  it('the score the search reports is the score of the layout it returns, and no worse than the baseline', () => {
    const r = placeVertices(smallTarget, [smallOar], SMALL_PARAMS);
    const again = evaluateLayout(r.context, r.best.key);
    expect(again.score).toEqual(r.best.score);
    expect(compareScores(r.best.score, r.baseline.score)).toBeLessThanOrEqual(0);
  });

  it('every intact vertex lies inside the target minus the inset (checked on the analytic shape)', () => {
    const inset = 3;
    const r = placeVertices(smallTarget, [smallOar], { ...SMALL_PARAMS, insetMm: inset });
    const inside = twoLobes(identity);
    const intact = r.best.candidates.filter((c) => c.status === 'intact');
    expect(intact.length).toBeGreaterThan(2);
    // Fibonacci points on the sphere of radius r + inset, less half a voxel for rasterisation.
    const rad = 4 + inset - 0.5;
    for (const c of intact) {
      for (let n = 0; n < 200; n++) {
        const zz = 1 - (2 * (n + 0.5)) / 200;
        const rho = Math.sqrt(1 - zz * zz);
        const phi = n * Math.PI * (3 - Math.sqrt(5));
        const [x, y, z] = c.centreLps;
        expect(inside(x + rad * rho * Math.cos(phi), y + rad * rho * Math.sin(phi), z + rad * zz)).toBe(true);
      }
    }
  });

  it.each(['surface', 'centre'] as const)('every kept vertex keeps its clearance from the organ (measured from the %s; brute force over organ voxels)', (from) => {
    const clearance = from === 'surface' ? 4 : 9;
    const r = placeVertices(smallTarget, [smallOar], { ...SMALL_PARAMS, oarClearanceMm: clearance, clearanceFrom: from });
    const keptC = r.best.candidates.filter(kept);
    expect(keptC.length).toBeGreaterThan(0);
    for (const c of keptC) {
      const d = distanceToMaskMm(smallOar.mask, c.centreLps) - (from === 'surface' ? 4 : 0);
      expect(d).toBeGreaterThanOrEqual(clearance - 0.1);
    }
    const removed = r.best.candidates.filter((c) => c.status === 'oar-clearance');
    for (const c of removed) expect(c.nearestOars).toEqual(['Bowel']);
  });

  it('rotating the seed pattern by 0, 90, 180 and 360 degrees gives the same best score (the pattern is square)', () => {
    const params = { ...SMALL_PARAMS, spacingMm: 20, planeSpacingMm: 10 };
    const scores = [0, 90, 180, 360].map((a) => placeVertices(smallTarget, [smallOar], { ...params, rotationsDeg: [a] }).best.score);
    for (const s of scores) expect(s).toEqual(scores[0]);
    const searched = placeVertices(smallTarget, [smallOar], { ...params, rotationsDeg: [0, 30, 60] }).best.score;
    expect(compareScores(searched, scores[0]!)).toBeLessThanOrEqual(0);
  });

  it('rotating the anatomy by 90 degrees about the cranio-caudal axis leaves the vertex counts unchanged', () => {
    const t90 = structureOf('GTV', maskOf(smallGrid, twoLobes(back90)), 'GTV');
    const o90 = structureOf('Bowel', maskOf(smallGrid, slab(back90)));
    const a = placeVertices(smallTarget, [smallOar], SMALL_PARAMS).best.score;
    const b = placeVertices(t90, [o90], SMALL_PARAMS).best.score;
    expect([b.intact, b.partial]).toEqual([a.intact, a.partial]);
  });

  it('is deterministic', () => {
    const a = placeVertices(smallTarget, [smallOar], SMALL_PARAMS);
    const b = placeVertices(smallTarget, [smallOar], SMALL_PARAMS);
    expect(b.best.key).toEqual(a.best.key);
    expect(b.best.candidates).toEqual(a.best.candidates);
  });

  it('snapping puts every vertex plane on a CT slice position', () => {
    const grid = createGrid({ size: [81, 81, 33], spacingMm: [1, 1, 2.5], originMm: [-40, -40, -40.3] });
    const target = structureOf('GTV', maskOf(grid, twoLobes(identity)), 'GTV');
    const r = placeVertices(target, [], { ...SMALL_PARAMS, snapToSlices: true });
    expect(r.best.candidates.filter(kept).length).toBeGreaterThan(0);
    for (const c of r.best.candidates) {
      const k = (c.centreLps[2] + 40.3) / 2.5;
      expect(Math.abs(k - Math.round(k))).toBeLessThan(1e-6);
    }
    expect(() => placeVertices(target, [], { ...SMALL_PARAMS, planeSpacingMm: 11, snapToSlices: true })).toThrow(InputError);
  });
});
