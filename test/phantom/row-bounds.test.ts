import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/core/vec3.js';
import { mulberry32 } from '../../src/phantom/prng.js';
import {
  axesFromAngles,
  capsule,
  displaced,
  ellipsoid,
  intersect,
  smoothUnion,
  sphere,
  subtract,
  superellipsoid,
  type Shape,
} from '../../src/phantom/shapes.js';

// Row bounds (shapes.ts) promise: every x with f <= 0 lies in the outer interval; every x in the
// inner interval has f <= 0, or residual decides exactly. Checked by brute force on sampled rows.

function checkRows(shape: Shape, samplesPerAxis = 24): void {
  const rows = shape.rows!;
  expect(rows).toBeDefined();
  const out = new Float64Array(2);
  const inn = new Float64Array(2);
  const lo = shape.min;
  const hi = shape.max;
  let insideSeen = 0;
  let outerMisses = 0;
  let innerWrong = 0;
  for (let a = 0; a <= samplesPerAxis; a++) {
    const y = lo[1] + ((hi[1] - lo[1]) * a) / samplesPerAxis;
    for (let b = 0; b <= samplesPerAxis; b++) {
      const z = lo[2] + ((hi[2] - lo[2]) * b) / samplesPerAxis;
      rows.outer(y, z, 0, out);
      rows.inner(y, z, 0, inn);
      for (let i = 0; i <= 200; i++) {
        const x = lo[0] + ((hi[0] - lo[0]) * i) / 200;
        const inside = shape.f(x, y, z) <= 0;
        if (inside) {
          insideSeen++;
          if (!(x >= out[0]! && x <= out[1]!)) outerMisses++;
        }
        if (x >= inn[0]! && x <= inn[1]!) {
          const decided = rows.residual === undefined || rows.residual(x, y, z) <= 0;
          if (decided !== inside) innerWrong++;
        }
      }
    }
  }
  expect(insideSeen).toBeGreaterThan(0);
  expect(outerMisses).toBe(0);
  expect(innerWrong).toBe(0);
}

const c: Vec3 = [3, -7, 11];

describe('row bounds of implicit shapes', () => {
  it('a rotated ellipsoid and a sphere: outer holds every inside point, inner only inside points', () => {
    checkRows(ellipsoid(c, [40, 22, 31], axesFromAngles(37, 14)));
    checkRows(sphere(c, 17));
  });

  it('superellipsoids with exponents above and below 2', () => {
    checkRows(superellipsoid(c, [50, 25, 35], 2.6, axesFromAngles(126.87)));
    checkRows(superellipsoid(c, [30, 20, 25], 1.5, axesFromAngles(-20, 10)));
  });

  it('capsules, tapering either way and degenerate', () => {
    checkRows(capsule([0, 0, 0], [30, 10, -20], 12, 5));
    checkRows(capsule([0, 0, 0], [-4, 2, 3], 8, 14));
    checkRows(capsule([5, 5, 5], [5, 5, 5], 9, 9));
  });

  it('smooth unions of many close lobes, displaced by a bump field', () => {
    const lobes = [sphere([0, 0, 0], 20), sphere([15, 5, 0], 18), sphere([-12, 8, 6], 16), sphere([4, -10, 12], 15)];
    checkRows(smoothUnion(lobes, 12));
    const bump = (x: number, y: number, z: number): number => 2 * Math.sin(0.2 * x + 0.1 * y) * Math.cos(0.15 * z);
    checkRows(displaced(smoothUnion(lobes, 12), bump, 2));
  });

  it('clipped shapes decide inner points by the clip alone', () => {
    const slab = (x: number, y: number, z: number): number => z - 0.3 * x - 5;
    checkRows(intersect(intersect(ellipsoid(c, [40, 30, 30]), slab), (x) => -x - 10));
    checkRows(subtract(ellipsoid(c, [40, 30, 30]), sphere([10, 0, 10], 15).f));
  });
});

describe('seeded normal deviates', () => {
  it('normals(out, n) gives the same numbers as n calls of normal(), whatever the batch sizes', () => {
    const one = mulberry32(12345);
    const batched = mulberry32(12345);
    const expected: number[] = [];
    const got: number[] = [];
    const buf = new Float64Array(16);
    for (const n of [1, 2, 3, 0, 5, 16, 7, 1, 1, 4]) {
      for (let i = 0; i < n; i++) expected.push(one.normal());
      batched.normals(buf, n);
      for (let i = 0; i < n; i++) got.push(buf[i]!);
    }
    expect(got).toEqual(expected);
    expect(batched.next()).toBe(one.next());
  });
});
