import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { contourVolumeCc, findStructure, rasterizeStructures } from '../../src/geometry/structure-set.js';
import type { ContourStructure } from '../../src/geometry/structure.js';
import { sampleStructure } from '../../src/evaluate/dvh.js';

/** A 10 x 10 mm square on each of the given planes. */
function squares(zs: readonly number[]): ContourStructure {
  return {
    roiNumber: 1,
    name: 'Box',
    interpretedType: 'ORGAN',
    contours: zs.map((z) => ({
      geometricType: 'CLOSED_PLANAR' as const,
      pointsLps: new Float64Array([0.3, 0.3, z, 10.3, 0.3, z, 10.3, 10.3, z, 0.3, 10.3, z]),
    })),
  };
}

describe('structure-set helpers', () => {
  it('gives uneven contour planes the slab volume of the rasteriser and of the DVH sampling', () => {
    // Planes at 0, 2, 4, 7, 10 mm: gaps 2, 2, 3, 3, median 2.5 mm. Every gap is bridged (<= 2.5 x 2.5
    // mm), the end planes are capped by 1.25 mm: 12.5 mm x 100 mm² = 1.25 cc.
    const box = squares([0, 2, 4, 7, 10]);
    expect(contourVolumeCc(box)).toBeCloseTo(1.25, 6);
    const dose = createGrid({ size: [20, 20, 20], spacingMm: [1, 1, 1], originMm: [-4, -4, -4] });
    expect(sampleStructure(box, dose).volumeCc).toBeCloseTo(1.25, 6);
  });

  it('finds a structure by name, case-insensitively, and lists the names when there is none', () => {
    const set = [{ name: 'GTV' }, { name: 'Liver' }];
    expect(findStructure(set, 'liver').name).toBe('Liver');
    expect(() => findStructure(set, 'PTV', 'target')).toThrow(InputError);
    expect(() => findStructure(set, 'PTV', 'target')).toThrow(/no target named "PTV"; the structure set holds "GTV", "Liver"/);
  });
});

describe('a structure reaching outside the grid', () => {
  it('is cut off at the edge with one warning giving the volume kept and the whole volume', () => {
    // Squares x -5.3..4.7, y 2.3..12.3 on planes z = 2..7 (1 mm): 100 mm² x 6 mm = 0.6 cc. The grid starts
    // at x = -0.5 mm: voxel columns x = 0..4 are inside (x = 5 holds 0.2 of a voxel: out by the 0.5
    // rule), y = 3..12 (y = 2 holds 0.2, y = 12 holds 0.8): 5 x 10 voxels x 6 planes = 0.3 cc kept.
    const sq = (z: number) => ({ geometricType: 'CLOSED_PLANAR' as const, pointsLps: new Float64Array([-5.3, 2.3, z, 4.7, 2.3, z, 4.7, 12.3, z, -5.3, 12.3, z]) });
    const s = { roiNumber: 1, name: 'Cut', interpretedType: 'GTV' as const, contours: [2, 3, 4, 5, 6, 7].map(sq) };
    const grid = createGrid({ size: [20, 20, 10], spacingMm: [1, 1, 1], originMm: [0, 0, 0] });
    const warnings: string[] = [];
    const [m] = rasterizeStructures([s], grid, (w) => warnings.push(w));
    expect(m!.mask.data.reduce((a, b) => a + b, 0)).toBe(300);
    expect(warnings).toEqual(['structure "Cut" reaches outside the CT: 0.3 of its 0.6 cc lie inside and are used; 0.3 cc outside are cut off']);
    // Wholly inside: no warning.
    const inside = { ...s, name: 'In', contours: s.contours.map((c) => ({ ...c, pointsLps: c.pointsLps.map((v, i) => (i % 3 === 0 ? v + 8 : v)) })) };
    const none: string[] = [];
    rasterizeStructures([inside], grid, (w) => none.push(w));
    expect(none).toEqual([]);
  });
});
