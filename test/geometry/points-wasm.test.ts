/**
 * The passes over contour points in WebAssembly (src/geometry/points-wasm.ts) against the JavaScript
 * they replaced, written out here as the reference (polygon.ts polygonAreaVector, still the library's
 * for any array of points, for the area vector): the same numbers to the bit on random contours
 * and affines (any 3 x 3 part, offsets), a NaN or an infinity among the coordinates, rings of
 * 1 to 400 points. Exactness matters: these numbers decide which voxels a structure fills.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contourAreaVector,
  contourFrameExtents,
  contourIndexRanges,
  contourProject,
  pointsOutsideGrid,
} from '../../src/geometry/points-wasm.js';
import { polygonAreaVector } from '../../src/geometry/polygon.js';

/** A contour: n points near (cx, cy) on a tilted plane, radius r, with a ripple. */
const contourArb = fc
  .record({
    n: fc.integer({ min: 1, max: 400 }),
    cx: fc.double({ min: -300, max: 300, noNaN: true }),
    cy: fc.double({ min: -300, max: 300, noNaN: true }),
    z: fc.double({ min: -300, max: 300, noNaN: true }),
    r: fc.double({ min: 0.1, max: 200, noNaN: true }),
    tilt: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
    ripple: fc.double({ min: 0, max: 0.3, noNaN: true }),
  })
  .map((c) => {
    const p = new Float64Array(3 * c.n);
    for (let i = 0; i < c.n; i++) {
      const t = (2 * Math.PI * i) / c.n;
      const w = c.r * (1 + c.ripple * Math.sin(7 * t));
      p[3 * i] = c.cx + w * Math.cos(t);
      p[3 * i + 1] = c.cy + w * Math.sin(t);
      p[3 * i + 2] = c.z + c.tilt * w * Math.cos(t);
    }
    return p;
  });

/** A 3 x 4 affine (row-major 12 numbers): any 3 x 3 part (no zeros to hide the order of a sum), offsets. */
const affineArb = fc
  .tuple(
    fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 9, maxLength: 9 }),
    fc.array(fc.double({ min: -500, max: 500, noNaN: true }), { minLength: 3, maxLength: 3 }),
  )
  // moved off the round numbers fast-check favours, on which every sum is exact whatever its order
  .map(([m0, t0]) => {
    const m = m0.map((x) => x + Math.SQRT1_2 / 3);
    const t = t0.map((x) => x + Math.PI);
    return Float64Array.from([m[0]!, m[1]!, m[2]!, t[0]!, m[3]!, m[4]!, m[5]!, t[1]!, m[6]!, m[7]!, m[8]!, t[2]!]);
  });

/** Some coordinate made NaN or infinite (or none). */
const spoil = (p: Float64Array, at: number | undefined, v: number): Float64Array => {
  const q = Float64Array.from(p);
  if (at !== undefined) q[at % q.length] = v;
  return q;
};

describe('passes over contour points in WebAssembly: the JavaScript\'s numbers', () => {
  it('points outside a grid footprint (case.ts): the count, also with a non-finite coordinate and a short last point', () => {
    fc.assert(
      fc.property(contourArb, affineArb, fc.tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 300 })), fc.option(fc.nat(), { nil: undefined }), fc.constantFrom(NaN, Infinity, -Infinity), fc.boolean(), (p0, b, size, at, v, short) => {
        let p = spoil(p0, at, v);
        if (short) p = Float64Array.from([...p, 1]);
        let expected = 0;
        const eps = 1e-6;
        const hx = size[0] - 0.5, hy = size[1] - 0.5, hz = size[2] - 0.5;
        for (let i = 0; i < p.length; i += 3) {
          const x = p[i]!, y = p[i + 1]!, z = p[i + 2]!;
          const ci = b[0]! * x + b[1]! * y + b[2]! * z + b[3]!;
          const cj = b[4]! * x + b[5]! * y + b[6]! * z + b[7]!;
          const ck = b[8]! * x + b[9]! * y + b[10]! * z + b[11]!;
          if (!(Math.max(-0.5 - ci, ci - hx, -0.5 - cj, cj - hy, -0.5 - ck, ck - hz) <= eps)) expected++;
        }
        expect(pointsOutsideGrid(p, b, size)).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('Newell area vector (polygon.ts polygonAreaVector\'s numbers) and the frame extents of planSampling', () => {
    fc.assert(
      fc.property(contourArb, affineArb, (p, m) => {
        const n = p.length / 3;
        expect(contourAreaVector(p)).toEqual(polygonAreaVector(p));
        // frame: the affine's rows without their offsets, a box already holding something
        const e0 = [m[0]!, m[1]!, m[2]!], e1 = [m[4]!, m[5]!, m[6]!], e2 = [m[8]!, m[9]!, m[10]!];
        const box = Float64Array.from([p[1]!, p[1]! + 1, -Infinity, Infinity]);
        const refBox = Float64Array.from(box);
        let wSum = 0;
        for (let i = 0; i < p.length; i += 3) {
          const x = p[i]!, y = p[i + 1]!, z = p[i + 2]!;
          const u = e0[0]! * x + e0[1]! * y + e0[2]! * z;
          const v = e1[0]! * x + e1[1]! * y + e1[2]! * z;
          wSum += e2[0]! * x + e2[1]! * y + e2[2]! * z;
          if (u < refBox[0]!) refBox[0] = u;
          if (u > refBox[1]!) refBox[1] = u;
          if (v < refBox[2]!) refBox[2] = v;
          if (v > refBox[3]!) refBox[3] = v;
        }
        expect(contourFrameExtents(p, e0, e1, e2, box)).toBe(wSum / n);
        expect(Array.from(box)).toEqual(Array.from(refBox));
      }),
      { numRuns: 200 },
    );
  });

  it('rasterize.ts: the first non-finite coordinate, index ranges per axis, the projection and mean w', () => {
    fc.assert(
      fc.property(contourArb, affineArb, fc.option(fc.nat(), { nil: undefined }), fc.constantFrom(NaN, Infinity, -Infinity), fc.constantFrom([0, 1, 2], [1, 2, 0], [2, 0, 1]), (p0, a, at, v, axes) => {
        const p = spoil(p0, at, v);
        const ranges = new Float64Array(6).fill(7);
        const bad = contourIndexRanges(p, a, ranges);
        let firstBad = -1;
        for (let i = 0; i < p.length && firstBad < 0; i++) if (!Number.isFinite(p[i]!)) firstBad = i;
        expect(bad).toBe(firstBad);
        if (firstBad >= 0) return;
        for (let axis = 0; axis < 3; axis++) {
          let lo = Infinity, hi = -Infinity;
          for (let i = 0; i < p.length; i += 3) {
            const q = a[4 * axis]! * p[i]! + a[4 * axis + 1]! * p[i + 1]! + a[4 * axis + 2]! * p[i + 2]! + a[4 * axis + 3]!;
            if (q < lo) lo = q;
            if (q > hi) hi = q;
          }
          expect([ranges[2 * axis], ranges[2 * axis + 1]]).toEqual([lo, hi]);
        }
        const [u, w2, w] = axes as [number, number, number];
        const m = p.length / 3;
        const uv = new Float64Array(2 * m);
        const refUv = new Float64Array(2 * m);
        let wSum = 0;
        for (let i = 0; i < m; i++) {
          const x = p[3 * i]!, y = p[3 * i + 1]!, z = p[3 * i + 2]!;
          refUv[2 * i] = a[4 * u]! * x + a[4 * u + 1]! * y + a[4 * u + 2]! * z + a[4 * u + 3]!;
          refUv[2 * i + 1] = a[4 * w2]! * x + a[4 * w2 + 1]! * y + a[4 * w2 + 2]! * z + a[4 * w2 + 3]!;
          wSum += a[4 * w]! * x + a[4 * w + 1]! * y + a[4 * w + 2]! * z + a[4 * w + 3]!;
        }
        expect(contourProject(p, a, u, w2, w, uv)).toBe(wSum / m);
        expect(Array.from(uv)).toEqual(Array.from(refUv));
        // rasterize.ts gives each plane contour its in-plane box from these ranges (scanline.ts planeBounds
        // reads it instead of the points): the projected points' own extremes, to the bit
        let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
        for (let i = 0; i < m; i++) {
          const pu = uv[2 * i]!, pv = uv[2 * i + 1]!;
          if (pu < minU) minU = pu;
          if (pu > maxU) maxU = pu;
          if (pv < minV) minV = pv;
          if (pv > maxV) maxV = pv;
        }
        expect([ranges[2 * u], ranges[2 * u + 1], ranges[2 * w2], ranges[2 * w2 + 1]]).toEqual([minU, maxU, minV, maxV]);
      }),
      { numRuns: 200 },
    );
  });
});
