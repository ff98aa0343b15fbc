/**
 * DVH sampling density against a fine reference (issue 10 §5: the same accuracy at less work).
 *
 * On the two stand-in cases of evaluate-cli.bench.ts (prostate: 3 mm planes, 3 mm dose grid; small:
 * 2.5 mm planes, dose on the 2 x 2 x 2.5 mm CT grid), each large structure's DVH is computed with the
 * default sampling (sampleStructure: 2.5 mm or the dose grid's spacing in plane, sub-slices of at most
 * LARGE_NORMAL_MM between contour planes), with 1.25 mm sub-slices (the default before) and 1 sub-slice
 * per plane, against a reference of 0.5 mm in plane and 0.25 mm sub-slices (1 mm and 0.5 mm for the
 * BODY, for memory). Reported per
 * structure: the largest difference from the reference over mean, D2 %, D50 %, D95 % and D98 %, as a
 * percentage of the reference's D2 % (a scale that does not blow up where a low-dose figure is near 0),
 * and the number of points.
 */

import { createScalarVolume, type ScalarVolume } from '../src/geometry/volume.js';
import { indexToLps } from '../src/geometry/grid.js';
import { computeDvh, LARGE_NORMAL_MM, sampleDose, sampleStructure, type SampleStructureOptions } from '../src/evaluate/dvh.js';
import { doseAtVolumePercent } from '../src/evaluate/metrics.js';
import { prostateStandIn, smallStandIn } from './evaluate-cli.bench.js';
import type { BenchSuite, Measurement } from './harness.js';

function doseOf(c: ReturnType<typeof prostateStandIn>): ScalarVolume {
  const v = createScalarVolume(c.doseGrid);
  const [nx, ny, nz] = c.doseGrid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(c.doseGrid, [i, j, k]);
    v.data[p] = c.doseGy(x[0], x[1], x[2]);
  }
  return v;
}

export const suite: BenchSuite = {
  name: 'dvh-sampling',
  run(): Measurement[] {
    const rows: Measurement[] = [];
    const cases = [
      { label: 'prostate', c: prostateStandIn(), names: ['BODY', 'Bladder', 'Rectum', 'PTV'] },
      { label: 'small', c: smallStandIn(), names: ['BODY', 'Liver', 'Stomach', 'PTV'] },
    ];
    for (const { label, c, names } of cases) {
      const dose = doseOf(c);
      for (const name of names) {
        const s = c.structures.find((x) => x.name === name)!;
        const figures = (o: SampleStructureOptions): { values: number[]; points: number } => {
          const smp = sampleStructure(s, dose.grid, o);
          const dvh = computeDvh(sampleDose(smp, dose));
          return { values: [dvh.meanGy, ...[2, 50, 95, 98].map((p) => doseAtVolumePercent(dvh, p))], points: smp.index.length };
        };
        // reference: 0.5 mm in plane and 0.25 mm sub-slices; 1 mm and 0.5 mm for the body (memory)
        const r = figures(name === 'BODY' ? { inPlaneSpacingMm: 1, normalSpacingMm: 0.5 } : { inPlaneSpacingMm: 0.5, normalSpacingMm: 0.25 });
        const scale = r.values[1]!;
        for (const [what, o] of [
          [`default (sub-slices <= ${LARGE_NORMAL_MM} mm)`, {}],
          ['sub-slices <= 1.25 mm (before)', { normalSpacingMm: 1.25 }],
          ['1 sub-slice per plane', { normalSpacingMm: 10 }],
        ] as const) {
          const f = figures(o);
          const worst = Math.max(...f.values.map((v, i) => Math.abs(v - r.values[i]!)));
          rows.push({ name: `${label} ${name}, ${what}: worst of mean/D2/D50/D95/D98 vs reference, % of D2 (${f.points} points, reference ${r.points})`, value: (100 * worst) / scale, unit: '%' });
        }
      }
    }
    return rows;
  },
};
