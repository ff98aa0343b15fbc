/**
 * Seed-case phantom generation: wall time of buildSeedPhantom() on the default 2.5 mm grid
 * (160 x 120 x 120 voxels, PTV_2000 expansion included), target < 2 s; plus the volumes that the
 * generator is tuned to (seed case, physics.md §0), so a drift shows up next to the timing.
 */

import { buildSeedPhantom } from '../src/phantom/seed-case.js';
import type { Mask } from '../src/geometry/volume.js';
import { timeIt, underSeconds, type BenchSuite, type Measurement } from './harness.js';

function volumeCc(mask: Mask, exclude?: Mask): number {
  let n = 0;
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0 && (exclude === undefined || exclude.data[i] === 0)) n++;
  const s = mask.grid.spacingMm;
  return (n * s[0] * s[1] * s[2]) / 1000;
}

function within(name: string, value: number, expected: number, relTol: number): Measurement {
  return {
    name,
    value,
    unit: 'cc',
    target: `${expected} ±${relTol * 100}%`,
    pass: Math.abs(value / expected - 1) <= relTol,
  };
}

export const suite: BenchSuite = {
  name: 'phantom',
  run(): Measurement[] {
    const fine = timeIt(() => buildSeedPhantom(), 3);
    const coarse = timeIt(() => buildSeedPhantom({ voxelSizeMm: 3 }), 3);
    // CT-like resolution, as the foundation issue's benchmark grid (0.98 x 0.98 x 2.5 mm).
    const ctLike = timeIt(() => buildSeedPhantom({ voxelSizeMm: [0.98, 0.98, 2.5] }), 1);
    const p = fine.result;
    const mask = (name: string): Mask => p.structures.find((s) => s.name === name)!.mask;
    return [
      underSeconds('buildSeedPhantom, 2.5 mm (160x120x120)', fine.seconds, 2),
      underSeconds('buildSeedPhantom, 3 mm', coarse.seconds, 2),
      underSeconds(`buildSeedPhantom, 0.98 x 0.98 x 2.5 mm (${ctLike.result.grid.size.join('x')})`, ctLike.seconds, 2),
      within('PTV_2000 volume (2.5 mm)', volumeCc(mask('PTV_2000')), 1639.97, 0.03),
      within('Liver minus GTV volume (2.5 mm)', volumeCc(mask('Liver'), mask('GTV')), 504.5, 0.05),
      within('Kidney_L volume (2.5 mm)', volumeCc(mask('Kidney_L')), 200.0, 0.05),
      within('Kidney_R volume (2.5 mm)', volumeCc(mask('Kidney_R')), 177.8, 0.05),
    ];
  },
};
