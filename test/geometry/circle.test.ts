import { describe, expect, it } from 'vitest';
import { circleRing, circleVertexCount } from '../../src/geometry/circle.js';
import { GeometryError } from '../../src/core/errors.js';

/** Shoelace area of an interleaved (x, y) ring, written out here. */
function shoelace(xy: Float64Array): number {
  let twice = 0;
  const n = xy.length / 2;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    twice += xy[2 * i]! * xy[2 * j + 1]! - xy[2 * j]! * xy[2 * i + 1]!;
  }
  return twice / 2;
}

/** Largest |distance from the centre - r| over the vertices and 20 points along each edge. */
function largestDeviation(xy: Float64Array, cx: number, cy: number, r: number): number {
  const n = xy.length / 2;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    for (let s = 0; s < 20; s++) {
      const t = s / 20;
      const x = xy[2 * i]! + t * (xy[2 * j]! - xy[2 * i]!);
      const y = xy[2 * i + 1]! + t * (xy[2 * j + 1]! - xy[2 * i + 1]!);
      worst = Math.max(worst, Math.abs(Math.hypot(x - cx, y - cy) - r));
    }
  }
  return worst;
}

describe('circle polygon', () => {
  it('has the area pi r² (well within 0.5 %) and stays within 0.01 mm of the circle, from 0.1 mm to 100 mm', () => {
    for (const r of [0.1, 0.5, 2, 4.33, 7.5, 30, 100]) {
      const xy = circleRing(12.5, -40.25, r);
      const exact = Math.PI * r * r;
      expect(Math.abs(shoelace(xy) / exact - 1), `r ${r}`).toBeLessThan(1e-9);
      expect(largestDeviation(xy, 12.5, -40.25, r), `r ${r}`).toBeLessThanOrEqual(0.01 + 1e-12);
    }
  });

  it('uses the fewest vertices (a multiple of 4, at least 12) that keep the deviation within 0.01 mm', () => {
    // With n vertices on radius R = r sqrt(2 pi / (n sin(2 pi / n))) (area pi r²), the polygon lies
    // between R cos(pi / n) (edge midpoints) and R (vertices); derived here, not read from the code.
    const deviation = (r: number, n: number): number => {
      const big = r * Math.sqrt((2 * Math.PI) / (n * Math.sin((2 * Math.PI) / n)));
      return Math.max(big - r, r - big * Math.cos(Math.PI / n));
    };
    for (const r of [0.1, 2, 7.5, 30]) {
      const n = circleVertexCount(r);
      expect(n % 4).toBe(0);
      expect(n).toBeGreaterThanOrEqual(12);
      expect(deviation(r, n)).toBeLessThanOrEqual(0.01);
      if (n > 12) expect(deviation(r, n - 4)).toBeGreaterThan(0.01);
      expect(circleRing(0, 0, r).length).toBe(2 * n);
    }
    // The 15 mm sphere's equator: 52 vertices; an inscribed 52-gon would lose 0.24 % of the area.
    expect(circleVertexCount(7.5)).toBe(52);
    expect(1 - (52 * Math.sin((2 * Math.PI) / 52)) / (2 * Math.PI)).toBeCloseTo(0.00243, 5);
  });

  it('runs counter-clockwise and refuses a radius that is not positive', () => {
    expect(shoelace(circleRing(0, 0, 3))).toBeGreaterThan(0);
    expect(() => circleRing(0, 0, 0)).toThrow(GeometryError);
    expect(() => circleVertexCount(Number.NaN)).toThrow(/circle: expected a positive radius \(mm\), found NaN/);
  });
});
