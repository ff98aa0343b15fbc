/**
 * The WebAssembly plane fill (assembly/scanline.ts through src/geometry/scanline-wasm.ts), used when a
 * structure is rasterised into the kernels' memory for its DVH, against scanline.ts's fillPlane, used
 * for every other occupancy: the same occupancy to the last bit (the slab model; the interpolated model,
 * whose exact fill of each plane is the kernel's there, between-planes.ts), on random contours
 * (several per plane, self-intersecting ones, partly or wholly off the grid), random plane spacings
 * (a plane's slab spread over one to three voxel layers, with fractional weights), grids of other
 * in-plane sizes and sub-row counts; and the fall-back to scanline.ts when a plane's points do not fit
 * in the room after the occupancy.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scratchOccupancy } from '../../src/evaluate/dvh.js';
import { createGrid, voxelCount } from '../../src/geometry/grid.js';
import { rasterizeStructureWithWarnings } from '../../src/geometry/rasterize.js';
import type { PlanarContour } from '../../src/geometry/structure.js';

/** A closed contour of m points at radii r(1 + wobble) around (cx, cy) on plane z (an irregular star; with `twist`, self-intersecting). */
function ring(cx: number, cy: number, r: number, z: number, m: number, wobble: readonly number[], twist: boolean): PlanarContour {
  const pts: number[] = [];
  for (let i = 0; i < m; i++) {
    const a = ((twist ? 3 : 1) * 2 * Math.PI * i) / m;
    const rr = r * (1 + wobble[i % wobble.length]!);
    pts.push(cx + rr * Math.cos(a), cy + rr * Math.sin(a), z);
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: Float64Array.from(pts) };
}

const contourArb = fc.record({
  cx: fc.double({ min: -40, max: 40, noNaN: true }),
  cy: fc.double({ min: -40, max: 40, noNaN: true }),
  r: fc.double({ min: 0.3, max: 30, noNaN: true }),
  m: fc.integer({ min: 3, max: 60 }),
  wobble: fc.array(fc.double({ min: -0.6, max: 0.6, noNaN: true }), { minLength: 1, maxLength: 7 }),
  twist: fc.boolean(),
});

describe('WebAssembly plane fill', () => {
  it('fills the occupancy of scanline.ts, bit for bit (the slab model; the interpolated model\'s in-plane fill of each plane)', () => {
    fc.assert(
      fc.property(
        fc.record({
          nx: fc.integer({ min: 4, max: 40 }),
          ny: fc.integer({ min: 4, max: 40 }),
          nz: fc.integer({ min: 2, max: 12 }),
          h: fc.double({ min: 0.5, max: 3, noNaN: true }),
          hz: fc.double({ min: 0.5, max: 3, noNaN: true }),
          planeSpacing: fc.double({ min: 0.7, max: 4, noNaN: true }),
          supersample: fc.integer({ min: 1, max: 16 }),
          planes: fc.array(fc.array(contourArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
          model: fc.constantFrom('slab' as const, 'interpolated' as const),
        }),
        (c) => {
          const grid = createGrid({ size: [c.nx, c.ny, c.nz], spacingMm: [c.h, c.h, c.hz], originMm: [-c.nx * c.h / 2, -c.ny * c.h / 2, 0] });
          const contours = c.planes.flatMap((plane, p) =>
            plane.map((r) => ring(r.cx, r.cy, r.r, p * c.planeSpacing, r.m, r.wobble, r.twist)),
          );
          const options = { supersample: c.supersample, planeSpacingMm: c.planeSpacing, betweenPlanes: c.model };
          const js = rasterizeStructureWithWarnings(contours, grid, options).occupancy.data;
          const inKernel = rasterizeStructureWithWarnings(contours, grid, { ...options, into: scratchOccupancy }).occupancy.data;
          expect(inKernel.buffer).not.toBe(js.buffer);
          expect(Buffer.from(inKernel.buffer, inKernel.byteOffset, inKernel.byteLength).equals(Buffer.from(js.buffer, js.byteOffset, js.byteLength))).toBe(true);
        },
      ),
      { numRuns: 150, seed: 20261204 },
    );
  });

  it('falls back to scanline.ts for a plane whose points do not fit after the occupancy, with the same occupancy', () => {
    const grid = createGrid({ size: [30, 30, 4], spacingMm: [1, 1, 1], originMm: [-15, -15, 0] });
    // 80 000 points in one plane: 1.3 MB of coordinates, more than the room kept after an occupancy
    const big = ring(0, 0, 10, 1, 80_000, [0, 0.2, -0.1], false);
    const js = rasterizeStructureWithWarnings([big], grid, { planeSpacingMm: 1 }).occupancy.data;
    const inKernel = rasterizeStructureWithWarnings([big], grid, { planeSpacingMm: 1, into: scratchOccupancy }).occupancy.data;
    expect(Array.from(inKernel)).toEqual(Array.from(js));
    expect(js.reduce((s, v) => s + v, 0)).toBeGreaterThan(300);
  });
});
