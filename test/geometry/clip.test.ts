/**
 * Clipping a union of convex polygons (circle polygons) to even-odd rings: analytic areas for the
 * cases with a closed form, and GEOS (shapely, through Debian's python3) for random concave targets
 * with holes and islands and overlapping circles.
 */

import { describe, expect, it } from 'vitest';
import { circleRing } from '../../src/geometry/circle.js';
import { clipConvexUnion } from '../../src/geometry/clip.js';
import { ringIntersectionFlags } from '../../src/geometry/polygon.js';
import { have, runTool, type ExternalTool } from '../helpers/external.js';

const SHAPELY: ExternalTool = { command: '/usr/bin/python3', debianPackage: 'python3-shapely', probe: ['-c', 'import shapely.geometry'] };

/** Shoelace area (signed: > 0 counter-clockwise) of an interleaved (x, y) ring, written out here. */
function shoelace(xy: ArrayLike<number>): number {
  let twice = 0;
  const n = xy.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    twice += xy[2 * i]! * xy[2 * j + 1]! - xy[2 * j]! * xy[2 * i + 1]!;
  }
  return twice / 2;
}

/** Signed areas summed: the region's area when outer rings run counter-clockwise and holes clockwise. */
const regionArea = (rings: readonly Float64Array[]): number => rings.reduce((a, r) => a + shoelace(r), 0);

const rect = (x0: number, y0: number, x1: number, y1: number): Float64Array => new Float64Array([x0, y0, x1, y0, x1, y1, x0, y1]);

describe('clipping circles to a target', () => {
  it('keeps a circle wholly inside the target whole (area pi r²) and drops one wholly outside', () => {
    const target = [rect(-50, -50, 50, 50)];
    const inside = clipConvexUnion([circleRing(3.3, -4.1, 7.5)], target);
    expect(inside).toHaveLength(1);
    expect(Math.abs(regionArea(inside) / (Math.PI * 7.5 ** 2) - 1)).toBeLessThan(1e-9);
    expect(clipConvexUnion([circleRing(70, 0, 7.5)], target)).toEqual([]);
    expect(clipConvexUnion([circleRing(0, 0, 7.5)], [])).toEqual([]);
  });

  it('cuts a circle through its centre into exactly half and a chord into the circular segment', () => {
    const r = 7.5;
    // The boundary x = 0 passes through two opposite vertices (the vertex count is a multiple of 4),
    // and every centre sector of the polygon holds pi r² / n: exactly half.
    const half = clipConvexUnion([circleRing(0, 3, r)], [rect(0, -50, 50, 50)]);
    expect(Math.abs(regionArea(half) / ((Math.PI * r * r) / 2) - 1)).toBeLessThan(1e-9);
    for (const d of [-6.2, -2.5, 1.7, 5.9]) {
      const seg = clipConvexUnion([circleRing(0, 0, r)], [rect(d, -50, 50, 50)]);
      // Segment beyond the chord x = d: r² acos(d / r) - d sqrt(r² - d²); the polygon stays within
      // 0.01 mm of the arc, so the area within 0.01 mm x the arc length 2 r acos(d / r).
      const exact = r * r * Math.acos(d / r) - d * Math.sqrt(r * r - d * d);
      expect(Math.abs(regionArea(seg) - exact), `d ${d}`).toBeLessThanOrEqual(0.01 * 2 * r * Math.acos(d / r));
    }
  });

  it('merges overlapping circles into one outline whose area is the union (two circles minus their lens)', () => {
    const r = 5;
    for (const d of [1, 6, 9.5]) {
      const rings = clipConvexUnion([circleRing(0, 0, r), circleRing(d, 0, r)]);
      expect(rings, `d ${d}`).toHaveLength(1);
      expect(shoelace(rings[0]!)).toBeGreaterThan(0);
      const lens = 2 * r * r * Math.acos(d / (2 * r)) - (d / 2) * Math.sqrt(4 * r * r - d * d);
      const exact = 2 * Math.PI * r * r - lens;
      expect(Math.abs(regionArea(rings) - exact), `d ${d}`).toBeLessThanOrEqual(0.01 * 4 * Math.PI * r);
    }
  });

  it('leaves a hole where six circles ring an uncovered centre (outer counter-clockwise, hole clockwise)', () => {
    const circles = Array.from({ length: 6 }, (_, q) => circleRing(8 * Math.cos((q * Math.PI) / 3), 8 * Math.sin((q * Math.PI) / 3), 5));
    const rings = clipConvexUnion(circles);
    expect(rings).toHaveLength(2);
    expect(rings.map((r) => Math.sign(shoelace(r))).sort()).toEqual([-1, 1]);
    expect([...ringIntersectionFlags(rings)]).toEqual([0, 0]);
  });

  it("keeps the target's hole and a target section lying wholly inside the circle", () => {
    const r = 5;
    const withHole = clipConvexUnion([circleRing(0, 0, r)], [rect(-20, -20, 20, 20), rect(-2, -2, 2, 2)]);
    expect(withHole).toHaveLength(2);
    expect(Math.abs(regionArea(withHole) - (Math.PI * r * r - 16))).toBeLessThan(1e-9);
    const small = clipConvexUnion([circleRing(0, 0, r)], [rect(-1, -1.5, 1, 1.5)]);
    expect(small).toHaveLength(1);
    expect(Math.abs(regionArea(small) - 6)).toBeLessThan(1e-12);
  });

  it('handles shared edges, identical pieces and vertices lying on edges', () => {
    const area = (rings: Float64Array[]): number => regionArea(rings);
    // Two squares sharing the edge x = 2: one outline of area 8 (4 corners once collinear points go).
    const joined = clipConvexUnion([rect(0, 0, 2, 2), rect(2, 0, 4, 2)]);
    expect(joined).toHaveLength(1);
    expect(joined[0]!.length).toBe(8);
    expect(area(joined)).toBe(8);
    expect(area(clipConvexUnion([rect(0, 0, 2, 2), rect(0, 0, 2, 2)]))).toBe(4);
    expect(area(clipConvexUnion([rect(0, 0, 2, 2)], [rect(0, 0, 2, 2)]))).toBe(4);
    expect(area(clipConvexUnion([rect(1, 1, 3, 3)], [rect(0, 0, 2, 2)]))).toBe(1);
    // A triangle whose apex lies on the target's edge y = 2, and one whose base lies along it.
    expect(area(clipConvexUnion([new Float64Array([0.5, 0, 1.5, 0, 1, 2])], [rect(0, -1, 2, 2)]))).toBe(1);
    expect(area(clipConvexUnion([new Float64Array([0.5, 2, 1.5, 2, 1, 4])], [rect(0, -1, 2, 2)]))).toBe(0);
  });

  it('splits a circle crossing both arms of a U-shaped target into two pieces', () => {
    // U: [-10, 10] x [-10, 10] minus the notch [-4, 4] x [-4, 10]; a circle of radius 6 at (0, 6)
    // covers the notch's top and reaches into both arms but not below y = 0.
    const u = new Float64Array([-10, -10, 10, -10, 10, 10, 4, 10, 4, -4, -4, -4, -4, 10, -10, 10]);
    const rings = clipConvexUnion([circleRing(0, 6, 6)], [u]);
    expect(rings).toHaveLength(2);
    for (const r of rings) expect(shoelace(r)).toBeGreaterThan(0);
  });
});

/** Deterministic pseudo-random numbers (mulberry32), written out here. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A star-shaped (concave) ring about (cx, cy) with radii in [r0, r1]. */
function star(rand: () => number, cx: number, cy: number, r0: number, r1: number, n: number): Float64Array {
  const xy = new Float64Array(2 * n);
  for (let q = 0; q < n; q++) {
    const t = (2 * Math.PI * (q + 0.3 * rand())) / n;
    const r = r0 + (r1 - r0) * rand();
    xy[2 * q] = cx + r * Math.cos(t);
    xy[2 * q + 1] = cy + r * Math.sin(t);
  }
  return xy;
}

const AREAS_PY = `
import json, sys
from shapely.geometry import Polygon
from shapely.ops import unary_union
def poly(xy): return Polygon([(xy[i], xy[i + 1]) for i in range(0, len(xy), 2)])
def evenodd(rings):
    g = Polygon()
    for r in rings: g = g.symmetric_difference(poly(r))
    return g
out = []
for case in json.load(sys.stdin):
    want = unary_union([poly(c) for c in case['circles']])
    if case['target'] is not None: want = want.intersection(evenodd(case['target']))
    got = evenodd(case['ours'])
    out.append([want.area, got.area, want.symmetric_difference(got).area])
print(json.dumps(out))
`;

describe.runIf(have(SHAPELY))('clipping against GEOS (shapely)', () => {
  it('matches GEOS on 200 random concave targets with holes and islands and 1-5 overlapping circles', () => {
    const rand = prng(20240517);
    const cases: { circles: number[][]; target: number[][] | null; ours: number[][] }[] = [];
    const outputs: Float64Array[][] = [];
    for (let c = 0; c < 200; c++) {
      const target: Float64Array[] = [star(rand, 0, 0, 12, 30, 7 + Math.floor(rand() * 30))];
      if (rand() < 0.7) target.push(star(rand, 2 * rand(), 2 * rand(), 2, 6, 5 + Math.floor(rand() * 10))); // hole
      if (rand() < 0.3) target.push(star(rand, 45, 0, 4, 9, 6)); // island
      const spread = c % 2 === 0 ? 35 : 15;
      const circles = Array.from({ length: 1 + Math.floor(rand() * 5) }, () =>
        circleRing(spread * (2 * rand() - 1) + (c % 2 === 0 ? 8 : 0), spread * (2 * rand() - 1), 1 + 12 * rand()),
      );
      if (c % 3 === 0) circles.push(circleRing(4 * rand() - 2, 4 * rand() - 2, 7 + 6 * rand())); // over the hole
      const useTarget = c % 10 !== 0;
      const ours = clipConvexUnion(circles, useTarget ? target : undefined);
      outputs.push(ours);
      cases.push({ circles: circles.map((r) => [...r]), target: useTarget ? target.map((r) => [...r]) : null, ours: ours.map((r) => [...r]) });
    }
    const r = runTool(SHAPELY.command, ['-c', AREAS_PY], { input: JSON.stringify(cases) });
    expect(r.status, r.stderr).toBe(0);
    const areas = JSON.parse(r.stdout) as [number, number, number][];
    let nonEmpty = 0;
    areas.forEach(([want, got, symDiff], c) => {
      expect(Math.abs(got - want), `case ${c}`).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
      expect(symDiff, `case ${c}`).toBeLessThanOrEqual(1e-7 * Math.max(1, want));
      // Outer rings counter-clockwise, holes clockwise: the signed areas sum to the region's area.
      expect(Math.abs(regionArea(outputs[c]!) - want), `case ${c}`).toBeLessThanOrEqual(1e-9 * Math.max(1, want));
      expect([...ringIntersectionFlags(outputs[c]!)].every((f) => f === 0), `case ${c}: rings cross or touch`).toBe(true);
      if (want > 0) nonEmpty++;
    });
    // The cases exercise what they should: clipped and empty results, several pieces, holes.
    expect(nonEmpty).toBeGreaterThan(150);
    expect(outputs.filter((o) => o.length > 1).length).toBeGreaterThan(40);
    expect(outputs.filter((o) => o.some((ring) => shoelace(ring) < 0)).length).toBeGreaterThan(20);
  });
});
