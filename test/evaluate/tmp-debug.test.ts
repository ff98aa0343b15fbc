import { it } from 'vitest';
import { sampleStructure } from '../../src/evaluate/dvh.js';
import { doseGridAround } from './analytic.js';
import { indexToLps } from '../../src/geometry/grid.js';
import type { PlanarContour } from '../../src/geometry/structure.js';
const C: [number, number, number] = [12.3, -40.7, 25.2];
function cyl(a: number, L: number, s: number, offset: number): PlanarContour[] {
  const out: PlanarContour[] = [];
  for (let p = -Math.ceil(a / s) - 1; p <= Math.ceil(a / s) + 1; p++) {
    const dz = offset + p * s; if (Math.abs(dz) >= a) continue;
    const hw = Math.sqrt(a * a - dz * dz);
    const [x0, x1, y0, y1] = [C[0] - L / 2, C[0] + L / 2, C[1] - hw, C[1] + hw];
    out.push({ geometricType: 'CLOSED_PLANAR', pointsLps: Float64Array.from([x0, y0, C[2] + dz, x1, y0, C[2] + dz, x1, y1, C[2] + dz, x0, y1, C[2] + dz]) });
  }
  return out;
}
it('dbg', () => {
  const grid = doseGridAround(C, 32, [2, 2, 2]);
  const smp = sampleStructure({ name: 'c', contours: cyl(12, 40, 3, 0) }, grid);
  const g = smp.info.grid; const nxy = g.size[0] * g.size[1];
  const per = new Float64Array(g.size[2]);
  for (let q = 0; q < smp.index.length; q++) per[Math.floor(smp.index[q]! / nxy)] += smp.weightCc[q]! * 1000;
  for (let k = 0; k < g.size[2]; k++) {
    const z = indexToLps(g, [0, 0, k])[2] - C[2];
    const tr = Math.abs(z) < 12 ? 2 * Math.sqrt(144 - z * z) * 40 * g.spacingMm[2] : 0;
    if (per[k]! > 0 || tr > 0) console.log(z.toFixed(2), per[k]!.toFixed(2), tr.toFixed(2));
  }
});
