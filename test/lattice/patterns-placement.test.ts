import { describe, expect, it } from 'vitest';
import { centresInBox, nearestNeighbourMm } from '../../src/lattice/patterns/cell.js';
import { PATTERN_NAMES, patternByName } from '../../src/lattice/patterns/registry.js';
import { compareScores, createPlacementContext, placeVertices, searchLayouts, STATUS_INTACT, STATUS_PARTIAL } from '../../src/lattice/placement.js';
import { cubeGrid, inEllipsoid, maskOf, structureOf } from './shapes.js';

const grid = cubeGrid(81);
const target = structureOf(
  'GTV',
  maskOf(grid, (x, y, z) => inEllipsoid([0, 0, 0], [30, 22, 18])(x, y, z) || inEllipsoid([-12, 10, 8], [14, 14, 14])(x, y, z)),
  'GTV',
);
const params = { spacingMm: 20, planeSpacingMm: 12, diameterMm: 8 };

describe('placement with every pattern', () => {
  it.each(PATTERN_NAMES.map((n) => [n]))('%s: the search is no worse than the baseline and keeps the pattern spacing', (name) => {
    const r = placeVertices(target, [], { ...params, pattern: name });
    expect(compareScores(r.best.score, r.baseline.score)).toBeLessThanOrEqual(0);
    const c = r.best.candidates.filter((x) => x.status === 'intact' || x.status === 'partial').map((x) => x.centreLps);
    expect(c.length).toBeGreaterThan(3);
    const nn = nearestNeighbourMm(patternByName(name).cell(params.spacingMm, params.planeSpacingMm));
    for (let a = 0; a < c.length; a++) {
      for (let b = a + 1; b < c.length; b++) {
        expect(Math.hypot(c[a]![0] - c[b]![0], c[a]![1] - c[b]![1], c[a]![2] - c[b]![2])).toBeGreaterThanOrEqual(nn - 1e-6);
      }
    }
  });

  it('hcp (two vertices per cell): a brute-force scan of the same offsets finds no layout with more vertices', () => {
    const ctx = createPlacementContext(target, [], { ...params, pattern: 'hcp' });
    const found = searchLayouts(ctx);
    const cell = ctx.params.cell;
    const [n1, n2, n3] = ctx.steps;
    const [b1, b2, b3] = cell.basisMm;
    const out = new Float64Array(3);
    let best = [-1, -1];
    // Every offset of the refined cell, each layout generated from scratch with centresInBox.
    for (let i = 0; i < n1; i++) {
      for (let j = 0; j < n2; j++) {
        for (let k = 0; k < n3; k++) {
          const off = [0, 1, 2].map((a) => (i / n1) * b1[a]! + (j / n2) * b2[a]! + (k / n3) * b3[a]!) as [number, number, number];
          let intact = 0;
          let partial = 0;
          for (const p of centresInBox(cell, ctx.pivotLps, off, 0, [-40, -40, -40], [40, 40, 40])) {
            const st = ctx.classify(p[0], p[1], p[2], out, false);
            if (st === STATUS_INTACT) intact++;
            else if (st === STATUS_PARTIAL) partial++;
          }
          if (intact > best[0]! || (intact === best[0] && partial > best[1]!)) best = [intact, partial];
        }
      }
    }
    expect([found.score.intact, found.score.partial]).toEqual(best);
  }, 60_000);
});
