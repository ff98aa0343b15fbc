/** Leaf-position refinement: the delivered beam fluence moves toward the optimised one, and every control
 * point stays within the machine's rules. */

import { describe, expect, test } from 'vitest';
import type { BeamletMap, OperatorBeam } from '../../src/dose/operator.js';
import { refineLeaves } from '../../src/deliver/leaf-refine.js';
import { sequenceArcs } from '../../src/deliver/sequence.js';
import { TEST_AGILITY } from './agility.js';

const AGILITY = TEST_AGILITY;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Delivered fluence of one beam's row, computed here independently: intervals inside the beam's sectors,
 * leaves linear within an interval (200 samples), open length per 5 mm beamlet / 5 x dMU. */
function deliveredRow(arcs: ReturnType<typeof sequenceArcs>['arcs'], sectors: ReturnType<typeof sequenceArcs>['sectors'], beam: number, pair: number, x0: number, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (const s of sectors) {
    if (s.beam !== beam) continue;
    const cps = arcs[s.arc]!.controlPoints;
    for (let q = s.firstCp; q + 1 < s.firstCp + s.count; q++) {
      const a = cps[q]!, b = cps[q + 1]!;
      const mu = b.cumulativeMu - a.cumulativeMu;
      for (let k = 0; k < 200; k++) {
        const t = (k + 0.5) / 200;
        const l = a.bankAMm[pair]! + t * (b.bankAMm[pair]! - a.bankAMm[pair]!);
        const r = a.bankBMm[pair]! + t * (b.bankBMm[pair]! - a.bankBMm[pair]!);
        for (let j = 0; j < n; j++) out[j]! += (mu / 200) * Math.max(0, Math.min(r, x0 + 5 * (j + 1)) - Math.max(l, x0 + 5 * j)) / 5;
      }
    }
  }
  return out;
}

describe('refineLeaves', () => {
  const rnd = lcg(11);
  const beams: OperatorBeam[] = [0, 90, 180, 270].map((g) => ({ geometry: { gantryDeg: g, collimatorDeg: 0, couchDeg: 0, isocenterLps: [0, 0, 0], sadMm: 1000 }, name: `G${g}` }));
  const maps: BeamletMap[] = beams.map(() => ({ i0: -4, j0: -2, nbu: 8, nbv: 4, active: new Uint8Array(32).fill(1) }));
  const weightsMu = Float64Array.from({ length: 4 * 32 }, () => (rnd() < 0.2 ? 0 : 10 * rnd()));
  const input = { beams, maps, beamletMm: 5, weightsMu };
  const seq = sequenceArcs(input, AGILITY, { cpSpacingDeg: 2, sampling: 'sliding' });
  const r = refineLeaves(seq, input, AGILITY);

  test('the squared difference between delivered and optimised beam fluence falls by more than half', () => {
    expect(r.residualAfter).toBeLessThan(0.5 * r.residualBefore);
    // the reported residual is the one computed independently here, summed over beams and rows
    let mine = 0;
    for (let b = 0; b < 4; b++) {
      for (let c = 0; c < 4; c++) {
        const g = deliveredRow(r.arcs, seq.sectors, b, 38 + c, -20, 8);
        for (let j = 0; j < 8; j++) mine += (g[j]! - weightsMu[b * 32 + c * 8 + j]!) ** 2;
      }
    }
    // in-field gaps widened after the refinement add a little; the refinement's own figure is within 5 %
    expect(mine).toBeLessThan(1.05 * r.residualAfter + 1e-6);
    expect(mine).toBeGreaterThan(0.95 * r.residualAfter - 1e-6);
  });

  test('every control point keeps leaves in range, uncrossed, and no closed pair inside the diaphragm opening; MU unchanged', () => {
    const bd = AGILITY.mlc.leafBoundariesMm;
    r.arcs.forEach((arc, ai) => {
      arc.controlPoints.forEach((cp, i) => {
        expect(cp.cumulativeMu).toBe(seq.arcs[ai]!.controlPoints[i]!.cumulativeMu);
        expect(cp.gantryDeg).toBe(seq.arcs[ai]!.controlPoints[i]!.gantryDeg);
        for (let p = 0; p < 80; p++) {
          expect(cp.bankAMm[p]!).toBeGreaterThanOrEqual(-200);
          expect(cp.bankBMm[p]!).toBeLessThanOrEqual(200);
          expect(cp.bankBMm[p]! - cp.bankAMm[p]!).toBeGreaterThanOrEqual(0);
          const inOpening = Math.min(bd[p + 1]!, cp.jawYMm[1]) - Math.max(bd[p]!, cp.jawYMm[0]) > 1e-9;
          if (inOpening) expect(cp.bankBMm[p]! - cp.bankAMm[p]!).toBeGreaterThan(1e-6);
        }
      });
    });
  });
});
