import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { DEFAULT_PLACEMENT_PARAMS, resolvePlacementParams, rotationAngles } from '../../src/lattice/params.js';

describe('placement parameters', () => {
  it('default to the case report: 15 mm spheres, 60 mm in plane, planes 30 mm apart, seed, no inset, 15 mm from the sphere surface, partial from 50 %', () => {
    expect(DEFAULT_PLACEMENT_PARAMS).toMatchObject({
      diameterMm: 15,
      spacingMm: 60,
      planeSpacingMm: 30,
      pattern: 'seed',
      insetMm: 0,
      oarClearanceMm: 15,
      clearanceFrom: 'surface',
      partialMin: 0.5,
      snapToSlices: false,
    });
    const r = resolvePlacementParams();
    expect(r.radiusMm).toBe(7.5);
    expect(r.nearestNeighbourMm).toBeCloseTo(30 * Math.sqrt(3), 9);
  });

  it('refuses a spacing smaller than the diameter unless overlap is allowed', () => {
    expect(() => resolvePlacementParams({ spacingMm: 12 })).toThrow(InputError);
    expect(() => resolvePlacementParams({ spacingMm: 12 })).toThrow(/smaller than the vertex diameter 15 mm/);
    expect(resolvePlacementParams({ spacingMm: 12, allowOverlap: true }).spacingMm).toBe(12);
  });

  it('refuses a plane spacing that brings vertices of successive planes closer than one diameter', () => {
    // sc with planes 10 mm apart: vertices 10 mm apart vertically, spheres of 15 mm overlap.
    expect(() => resolvePlacementParams({ pattern: 'sc', planeSpacingMm: 10 })).toThrow(/10 mm apart, less than the vertex diameter/);
  });

  it.each([
    [{ diameterMm: 0 }, /vertex diameter must be a positive/],
    [{ insetMm: -1 }, /inset must be a number >= 0/],
    [{ partialMin: 0 }, /partial minimum must be a fraction/],
    [{ partialMin: 1.5 }, /partial minimum must be a fraction/],
    [{ pattern: 'hexagon' }, /unknown lattice pattern "hexagon"/],
    [{ rotationsDeg: [] }, /rotations must be one or more/],
  ])('rejects %o', (input, message) => {
    expect(() => resolvePlacementParams(input as never)).toThrow(message);
  });

  it('rotation angles stop below the pattern symmetry (90 degrees for seed, 60 for hcp)', () => {
    expect(rotationAngles('seed', 30)).toEqual([0, 30, 60]);
    expect(rotationAngles('hcp', 20)).toEqual([0, 20, 40]);
  });
});
