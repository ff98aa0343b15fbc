import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { createGrid } from '../../src/geometry/grid.js';
import { contourVolumeCc, findStructure } from '../../src/geometry/structure-set.js';
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
