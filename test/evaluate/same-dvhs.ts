/** Two StructureDvhs the same to the bit: counts, volumes, and every DVH's extremes, mean and bins. */

import { expect } from 'vitest';
import type { StructureDvhs } from '../../src/evaluate/dvh.js';

export function expectSameDvhs(a: StructureDvhs, b: StructureDvhs): void {
  expect(a.points).toBe(b.points);
  expect(a.pointsInside).toBe(b.pointsInside);
  expect(a.volumeCc).toBe(b.volumeCc);
  expect(a.outsideCc).toBe(b.outsideCc);
  a.dvhs.forEach((d, t) => {
    const e = b.dvhs[t]!;
    expect([d.minGy, d.maxGy, d.meanGy, d.dosedVolumeCc]).toEqual([e.minGy, e.maxGy, e.meanGy, e.dosedVolumeCc]);
    expect(Array.from(d.differentialCc)).toEqual(Array.from(e.differentialCc));
  });
}
