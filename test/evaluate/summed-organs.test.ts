/** Limits that add organs up (both kidneys, both lungs) with per-organ α/β. */

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { createMask } from '../../src/geometry/volume.js';
import { sampleDose, sampleOccupancy } from '../../src/evaluate/dvh.js';
import { evaluateConstraints, type PlanStructure } from '../../src/evaluate/constraints/evaluate.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import { linearDose } from './analytic.js';

describe('summed organs', () => {
  // Two 80 cc kidneys (2 mm voxels, 10 000 voxels each) in a uniform 10 Gy field.
  const grid = createGrid({ size: [50, 20, 20], spacingMm: [2, 2, 2], originMm: [0, 0, 0] });
  const dose = linearDose(grid, 10, [0, 0, 0], [0, 0, 0]);
  const kidney = (name: string, i0: number): PlanStructure => {
    const m = createMask(grid);
    for (let k = 0; k < 20; k++) for (let j = 0; j < 20; j++) for (let i = i0; i < i0 + 25; i++) m.data[i + 50 * (j + 20 * k)] = 1;
    return { name, samples: sampleDose(sampleOccupancy(name, m), dose) };
  };
  const plan = [kidney('Kidney_L', 0), kidney('Kidney_R', 25)];
  const schedule = { fractionsPlanned: 5, fractionsDelivered: 5 };

  it('adds both kidneys: 160 cc below 17.5 Gy is under the 200 cc critical volume', () => {
    const r = evaluateConstraints(tg101Set(5), plan).results.find((x) => x.organ === 'Kidney_L + Kidney_R')!;
    expect(r.value).toBeCloseTo(160, 3);
    expect(r.status).toBe('not achievable');
  });

  it('converts each kidney with its own α/β, and refuses unequal ones in EQD2 naming both', () => {
    const same = evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule, alphaBeta: { Kidney_L: 2, Kidney_R: 2 } });
    expect(same.results.find((x) => x.organ === 'Kidney_L + Kidney_R')!.basis).toMatch(/α\/β = 2 Gy/);
    expect(() => evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule, alphaBeta: { Kidney_L: 2, Kidney_R: 5 } })).toThrow(InputError);
    expect(() => evaluateConstraints(tg101Set(5), plan, { basis: 'eqd2', schedule, alphaBeta: { Kidney_L: 2, Kidney_R: 5 } })).toThrow(
      /sums Kidney_L \(α\/β 2 Gy\) and Kidney_R \(α\/β 5 Gy\): expected one α\/β/,
    );
  });
});
