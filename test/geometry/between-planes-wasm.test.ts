/**
 * The WebAssembly fill between contour planes (assembly/between-planes.ts through
 * src/geometry/between-planes-wasm.ts), used when a structure is rasterised into the kernels' memory
 * for its DVH with the interpolated model, against between-planes.ts's JavaScript, used for every
 * other occupancy: the same occupancy to the last bit. Random structures whose planes come in runs
 * (gaps over the bridge limit, so caps at both ends of each run), with uneven spacings, several
 * contours a plane (nested ones make holes, tiny ones shrink to a point, where the line through the
 * nearest boundary point decides), shapes that move and tilt from plane to plane, and grids of other
 * pixel and depth spacings; the lattice's own case (a 15 mm sphere on 1 to 3 mm planes); and the
 * fall-back to the JavaScript when the room after the occupancy is too small.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scratchOccupancy } from '../../src/evaluate/dvh.js';
import { createGrid } from '../../src/geometry/grid.js';
import { rasterizeStructureWithWarnings, type RasterizeOptions } from '../../src/geometry/rasterize.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
import { kernelOccupancy } from '../../src/evaluate/dvh-wasm.js';
import type { Grid } from '../../src/geometry/grid.js';

/** A closed contour of m points at radii r(1 + wobble) around (cx, cy) on plane z, stretched by `squash` along y. */
function ring(cx: number, cy: number, r: number, squash: number, z: number, m: number, wobble: readonly number[]): PlanarContour {
  const pts: number[] = [];
  for (let i = 0; i < m; i++) {
    const a = (2 * Math.PI * i) / m;
    const rr = r * (1 + wobble[i % wobble.length]!);
    pts.push(cx + rr * Math.cos(a), cy + squash * rr * Math.sin(a), z);
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: Float64Array.from(pts) };
}

/** Both fills of the same structure: the JavaScript's (a plain array) and the kernel's (the kernels' memory). */
function bothFills(contours: readonly PlanarContour[], grid: Grid, options: RasterizeOptions): { js: Float32Array; kernel: Float32Array } {
  const js = rasterizeStructureWithWarnings(contours, grid, options).occupancy.data;
  const kernel = rasterizeStructureWithWarnings(contours, grid, { ...options, into: scratchOccupancy }).occupancy.data;
  return { js: Float32Array.from(js), kernel: Float32Array.from(kernel) };
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const contourArb = fc.record({
  dx: fc.double({ min: -6, max: 6, noNaN: true }),
  dy: fc.double({ min: -6, max: 6, noNaN: true }),
  r: fc.double({ min: 0.2, max: 14, noNaN: true }),
  squash: fc.double({ min: 0.4, max: 1.6, noNaN: true }),
  m: fc.integer({ min: 3, max: 48 }),
  wobble: fc.array(fc.double({ min: -0.3, max: 0.3, noNaN: true }), { minLength: 1, maxLength: 5 }),
});

describe('WebAssembly fill between planes', () => {
  it('fills the occupancy of between-planes.ts, bit for bit: runs, caps, holes, shapes shrinking to a point', () => {
    fc.assert(
      fc.property(
        fc.record({
          h: fc.double({ min: 0.4, max: 2, noNaN: true }),
          hz: fc.double({ min: 0.4, max: 2.5, noNaN: true }),
          spacing: fc.double({ min: 0.8, max: 3.5, noNaN: true }),
          // per plane: its step from the last (in spacings: 1 mostly, uneven, or a gap that ends a run)
          planes: fc.array(
            fc.record({
              step: fc.oneof(fc.constant(1), fc.double({ min: 0.6, max: 1.4, noNaN: true }), fc.double({ min: 2.5, max: 4, noNaN: true })),
              drift: fc.double({ min: -2, max: 2, noNaN: true }),
              contours: fc.array(contourArb, { minLength: 1, maxLength: 3 }),
            }),
            { minLength: 1, maxLength: 9 },
          ),
          supersample: fc.integer({ min: 1, max: 8 }),
        }),
        (c) => {
          let z = 0, x = 0;
          const contours: PlanarContour[] = [];
          for (const p of c.planes) {
            z += p.step * c.spacing;
            x += p.drift;
            for (const r of p.contours) contours.push(ring(x + r.dx, r.dy, r.r, r.squash, z, r.m, r.wobble));
          }
          const n = Math.ceil(44 / c.h), nz = Math.ceil((z + 2 * c.spacing + 4) / c.hz);
          const grid = createGrid({ size: [n, n, nz], spacingMm: [c.h, c.h, c.hz], originMm: [-22 + x / 2, -22, -c.spacing - 2] });
          const { js, kernel } = bothFills(contours, grid, { supersample: c.supersample, planeSpacingMm: c.spacing, betweenPlanes: 'interpolated' });
          expect(sameBits(kernel, js)).toBe(true);
        },
      ),
      { numRuns: 120, seed: 20261205 },
    );
  });

  it('fills a 15 mm sphere on 1, 2 and 3 mm planes as the JavaScript does (the lattice spheres, issue 10 §2)', () => {
    for (const s of [1, 2, 3]) {
      const contours: PlanarContour[] = [];
      for (let z = -7.5 + s / 3; z < 7.5; z += s) contours.push(ring(0.3, -0.2, Math.sqrt(7.5 ** 2 - z * z), 1, z, 96, [0]));
      const grid = createGrid({ size: [40, 40, 50], spacingMm: [0.5, 0.5, 0.5], originMm: [-10, -10, -12] });
      const { js, kernel } = bothFills(contours, grid, { planeSpacingMm: s, betweenPlanes: 'interpolated' });
      expect(sameBits(kernel, js)).toBe(true);
      // and it is the sphere: 1.767 cc within the 1 % the model is held to
      const cc = (kernel.reduce((a, v) => a + v, 0) * 0.125) / 1000;
      expect(Math.abs(cc / ((4 / 3) * Math.PI * 7.5 ** 3 / 1000) - 1)).toBeLessThan(0.01);
    }
  });

  it('falls back to the JavaScript, with the same occupancy, when the room after the occupancy is too small', () => {
    // a wide thin ring on a fine grid: five planes' data need more than the 1 MiB kept by default
    const contours: PlanarContour[] = [];
    for (let p = 0; p < 6; p++) {
      contours.push(ring(0, 0, 60 - p, 1, 2 * p, 180, [0, 0.01]));
      contours.push(ring(0, 0, 57 - p, 1, 2 * p, 180, [0]));
    }
    const grid = createGrid({ size: [260, 260, 16], spacingMm: [0.5, 0.5, 1], originMm: [-65, -65, -3] });
    const options: RasterizeOptions = { planeSpacingMm: 2, betweenPlanes: 'interpolated' };
    const js = Float32Array.from(rasterizeStructureWithWarnings(contours, grid, options).occupancy.data);
    // with the room asked for: the kernel's fill
    let asked = 0;
    const roomy = Float32Array.from(
      rasterizeStructureWithWarnings(contours, grid, { ...options, into: (n, room) => ((asked = room), scratchOccupancy(n, room)) }).occupancy.data,
    );
    expect(asked).toBeGreaterThan(1 << 20);
    // an occupancy at the very end of the kernels' memory: no room at all
    const atEnd = (n: number): Float32Array => {
      const buffer = kernelOccupancy(n).buffer;
      return new Float32Array(buffer, buffer.byteLength - 4 * n, n).fill(0);
    };
    const tight = Float32Array.from(rasterizeStructureWithWarnings(contours, grid, { ...options, into: atEnd }).occupancy.data);
    expect(sameBits(tight, js)).toBe(true);
    expect(sameBits(roomy, js)).toBe(true);
    expect(js.reduce((a, v) => a + v, 0)).toBeGreaterThan(1000);
  });
});
