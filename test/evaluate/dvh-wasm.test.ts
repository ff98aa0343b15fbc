/**
 * The WebAssembly DVH kernel's build and memory (src/evaluate/dvh-wasm.ts). Its numbers are held to
 * the stored path's to the bit in dvh-fused.test.ts; here: the committed module (src/core/kernels-wasm.ts)
 * holds the bytes of assembly/ as the AssemblyScript compiler makes them, and a structure rasterised straight
 * into the kernel's memory (scratchOccupancy, as the CLI and the DVH pool do) gives the DVHs of the same
 * structure rasterised into its own array and copied in, in a sequence of structures whose sizes make
 * the memory grow between the rasterising and the pass.
 */

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createGrid, voxelCount } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
import {
  computeDvh,
  PHYSICAL_DOSE,
  planSampling,
  rasterizeForSampling,
  rasterizePlan,
  releaseDvhScratch,
  sampleDose,
  sampleStructure,
  scratchOccupancy,
  structureDvhs,
} from '../../src/evaluate/dvh.js';
import { eqd2Map } from '../../src/evaluate/radiobiology.js';
import { expectSameDvhs } from './same-dvhs.js';

/** A box of half-sizes (a, b) mm about (cx, cy), on planes z0 .. z1 every `spacing` mm. */
function box(name: string, cx: number, cy: number, a: number, b: number, z0: number, z1: number, spacing: number) {
  const contours: PlanarContour[] = [];
  for (let z = z0; z <= z1 + 1e-9; z += spacing) {
    contours.push({
      geometricType: 'CLOSED_PLANAR',
      pointsLps: Float64Array.from([cx - a, cy - b, z, cx + a, cy - b, z, cx + a, cy + b, z, cx - a, cy + b, z]),
    });
  }
  return { name, contours };
}


describe('WebAssembly DVH kernel', () => {
  it('the committed module holds the compiled bytes of assembly/ (the DVH and decimal kernels)', () => {
    const out = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toContain('up to date');
  }, 60_000);

  it('rasterised into the kernel memory or copied in: the same DVHs, while the memory grows', () => {
    const grid = createGrid({ size: [40, 40, 30], spacingMm: [3, 3, 3], originMm: [-60, -60, -45] });
    const dose = createScalarVolume(grid);
    let p = 0;
    for (let k = 0; k < 30; k++) for (let j = 0; j < 40; j++) for (let i = 0; i < 40; i++, p++) {
      dose.data[p] = 10 + 30 * Math.exp(-((i - 20) ** 2 + (j - 18) ** 2 + (k - 15) ** 2) / 60) + 0.2 * i;
    }
    const maps = [PHYSICAL_DOSE, eqd2Map(5, 3, 'S')];
    // small, large (the memory grows after the occupancy is filled: the histograms and dose block
    // come after it), small again, and a box partly beyond the dose grid
    const structures = [
      box('small', 0, 0, 4, 3, -3, 3, 2),
      box('large', 5, -5, 50, 40, -36, 36, 3),
      box('small again', -10, 8, 3, 5, -6, 6, 2),
      box('beyond', 50, 0, 20, 10, -9, 9, 3),
    ];
    releaseDvhScratch();
    for (const s of structures) {
      const plan = planSampling(s, grid);
      const inPlace = structureDvhs(rasterizePlan(plan, scratchOccupancy), dose, maps);
      const copied = structureDvhs(rasterizeForSampling(s, grid), dose, maps);
      expect(inPlace.points).toBeGreaterThan(0);
      expectSameDvhs(inPlace, copied);
    }
    // the box beyond the grid has part of its volume outside, counted as such
    const plan = planSampling(structures[3]!, grid);
    const beyond = structureDvhs(rasterizePlan(plan, scratchOccupancy), dose, maps);
    expect(beyond.outsideCc).toBeGreaterThan(0.1 * beyond.volumeCc);
    expect(beyond.outsideCc).toBeLessThan(0.9 * beyond.volumeCc);
  });

  it('an anisotropic sampling grid (0.4 mm in plane, 3 mm across) and a dose grid ending close to the structure: the stored path\'s DVH', () => {
    // the dose grid ends 1.5 mm beyond the structure; sampling 0.4 mm in plane, 3 mm across
    const grid = createGrid({ size: [12, 12, 8], spacingMm: [2, 2, 3], originMm: [-11, -11, -10.5] });
    const dose = createScalarVolume(grid);
    let p = 0;
    for (let k = 0; k < 8; k++) for (let j = 0; j < 12; j++) for (let i = 0; i < 12; i++, p++) dose.data[p] = 5 + 3 * i + 2 * j * j + k;
    const s = box('S', 0, 0, 8.9, 8.6, -6, 6, 3);
    const sampling = { inPlaneSpacingMm: 0.4, normalSpacingMm: 3 };
    const plan = planSampling(s, grid, sampling);
    const fused = structureDvhs(rasterizePlan(plan, scratchOccupancy), dose, [PHYSICAL_DOSE]);
    const stored = computeDvh(sampleDose(sampleStructure(s, grid, sampling), dose));
    const d = fused.dvhs[0]!;
    expect([d.minGy, d.maxGy, d.meanGy, d.dosedVolumeCc]).toEqual([stored.minGy, stored.maxGy, stored.meanGy, stored.dosedVolumeCc]);
    expect(Array.from(d.differentialCc)).toEqual(Array.from(stored.differentialCc));
  });
});
