import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { centresInBox, nearestNeighbourMm, planeSpacingOf } from '../../src/lattice/patterns/cell.js';
import { PATTERN_NAMES, patternByName } from '../../src/lattice/patterns/registry.js';

describe('lattice patterns', () => {
  it('offer seed, hcp, sc, bcc and fcc', () => {
    expect([...PATTERN_NAMES].sort()).toEqual(['bcc', 'fcc', 'hcp', 'sc', 'seed']);
  });

  it('an unknown pattern name lists the known ones', () => {
    expect(() => patternByName('poisson')).toThrow(InputError);
    expect(() => patternByName('poisson')).toThrow(/seed, hcp, sc, bcc, fcc/);
  });

  // Expected nearest-neighbour distances from the crystal geometry (derived here):
  // seed 60/30: min(60 in plane, |(30, 30, 30)| = 30 sqrt 3); sc 60/30: 30 between planes;
  // bcc edge 60: 60 sqrt(3)/2; fcc and hcp: the spacing itself.
  it.each([
    ['seed', 30 * Math.sqrt(3), 30],
    ['sc', 30, 30],
    ['bcc', 30 * Math.sqrt(3), 30],
    ['fcc', 60, 60 * Math.sqrt(2 / 3)],
    ['hcp', 60, 60 * Math.sqrt(2 / 3)],
  ])('%s with spacing 60 mm and plane spacing 30 mm: nearest neighbours %f mm apart, planes %f mm apart', (name, nn, planes) => {
    const cell = patternByName(name).cell(60, 30);
    expect(nearestNeighbourMm(cell)).toBeCloseTo(nn, 9);
    expect(planeSpacingOf(cell)).toBeCloseTo(planes, 9);
  });

  it('the seed pattern is square grids 60 mm apart in planes 30 mm apart, each shifted by half a cell', () => {
    const cell = patternByName('seed').cell(60, 30);
    const pts = [...centresInBox(cell, [0, 0, 0], [0, 0, 0], 0, [-1, -1, -1], [121, 121, 61])];
    const key = (p: readonly number[]): string => p.map((v) => Math.round(v)).join(',');
    const got = new Set(pts.map(key));
    const expected = new Set<string>();
    for (let z = 0; z <= 60; z += 30) {
      const shift = (z / 30) % 2 === 1 ? 30 : 0;
      for (let x = shift; x <= 120; x += 60) for (let y = shift; y <= 120; y += 60) expected.add(`${x},${y},${z}`);
    }
    expect(got).toEqual(expected);
  });

  it.each(PATTERN_NAMES.map((n) => [n]))('%s maps onto a translate of itself when rotated by its symmetry angle', (name) => {
    const cell = patternByName(name).cell(40, 25);
    const sym = cell.rotationalSymmetryDeg;
    const box = 200;
    const pts = [...centresInBox(cell, [0, 0, 0], [0, 0, 0], 0, [-box, -box, -box], [box, box, box])];
    const rot = [...centresInBox(cell, [0, 0, 0], [0, 0, 0], sym, [-box, -box, -box], [box, box, box])];
    // Find the translation taking the rotated image of the origin vertex onto some vertex, then check all inner points.
    const key = (p: readonly number[]): string => p.map((v) => v.toFixed(3)).join(',');
    const set = new Set(pts.map(key));
    const inner = rot.filter((p) => Math.hypot(p[0], p[1], p[2]) < 100);
    const shiftCandidates = pts.filter((p) => Math.hypot(p[0], p[1], p[2]) < 60);
    const ok = shiftCandidates.some((s) => inner.every((p) => set.has(key([p[0] + s[0], p[1] + s[1], p[2] + s[2]]).replace(/-0\.000/g, '0.000'))));
    expect(ok).toBe(true);
  });
});
