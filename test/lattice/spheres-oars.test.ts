import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { countVoxels } from '../../src/geometry/volume.js';
import { isOrganLike, organMinusTarget, selectOars } from '../../src/lattice/oars.js';
import { avoidanceRingMask, idealSphereVolumeCc, minCentreDistanceMm, sphereMask, sphereUnionMask, sphereVolumes, valleyMask } from '../../src/lattice/spheres.js';
import { cubeGrid, inBox, inEllipsoid, maskOf, structureOf } from './shapes.js';

describe('sphere structures', () => {
  it('a 15 mm sphere holds 1.767 cc (4/3 pi 0.75^3), and its voxelised volume on a 0.5 mm grid is within 1 % of that', () => {
    expect(idealSphereVolumeCc(15)).toBeCloseTo((4 / 3) * Math.PI * 0.75 ** 3, 9);
    expect(idealSphereVolumeCc(15)).toBeCloseTo(1.767, 3);
    const grid = cubeGrid(41, 0.5);
    const v = sphereVolumes(grid, [[0.1, 0.2, -0.15]], 7.5)[0]!;
    expect(Math.abs(v.voxelCc - 1.767) / 1.767).toBeLessThan(0.01);
  });

  it('the union of two disjoint spheres is the sum of the two, and cropping to a target keeps only the part inside', () => {
    const grid = cubeGrid(61);
    const a = sphereMask(grid, [-12, 0, 0], 5);
    const b = sphereMask(grid, [12, 0, 0], 5);
    const u = sphereUnionMask(grid, [[-12, 0, 0], [12, 0, 0]], 5);
    expect(countVoxels(u)).toBe(countVoxels(a) + countVoxels(b));
    const half = maskOf(grid, (x) => x <= 0);
    expect(countVoxels(sphereUnionMask(grid, [[-12, 0, 0], [12, 0, 0]], 5, half))).toBe(countVoxels(a));
  });

  it('the valley is the target minus the spheres grown by the margin', () => {
    const grid = cubeGrid(61);
    const target = maskOf(grid, inBox([0, 0, 0], [25, 25, 25]));
    const valley = valleyMask(target, [[0, 0, 0]], 5, 3);
    const expected = maskOf(grid, (x, y, z) => inBox([0, 0, 0], [25, 25, 25])(x, y, z) && Math.hypot(x, y, z) > 8);
    expect(Array.from(valley.data)).toEqual(Array.from(expected.data));
  });

  it('the avoidance ring lies between radius + inner and radius + outer of the spheres', () => {
    const grid = cubeGrid(61);
    const ring = avoidanceRingMask(grid, [[0, 0, 0]], 5, 2, 10);
    const expected = maskOf(grid, (x, y, z) => Math.hypot(x, y, z) > 7 && Math.hypot(x, y, z) <= 15);
    expect(Array.from(ring.data)).toEqual(Array.from(expected.data));
  });

  it('minimum centre distance is that of the closest pair', () => {
    expect(minCentreDistanceMm([[0, 0, 0], [30, 0, 0], [0, 40, 0]])).toBe(30);
    expect(minCentreDistanceMm([[0, 0, 0]])).toBe(Infinity);
  });
});

describe('organs at risk', () => {
  const grid = cubeGrid(41);
  const gtv = structureOf('GTV', maskOf(grid, inEllipsoid([0, 0, 0], [8, 8, 8])), 'GTV');
  const liver = structureOf('Liver', maskOf(grid, inEllipsoid([0, 0, 0], [15, 15, 15])));
  const bowel = structureOf('Bowel', maskOf(grid, inBox([10, 0, 0], [3, 5, 5])));
  const far = structureOf('Kidney', maskOf(grid, inBox([-15, 0, 0], [3, 3, 3])), '');
  const body = structureOf('BODY', maskOf(grid, () => true), 'EXTERNAL');
  const ptv = structureOf('PTV_2000', gtv.mask, 'PTV');
  const untypedPtv = structureOf('PTV_high', gtv.mask, '');
  const all = [body, gtv, ptv, liver, bowel, far, untypedPtv];

  it("'auto' takes organs by interpreted type, or by name when untyped; never targets, the body or the target", () => {
    const sel = selectOars(all, gtv, 'auto');
    expect(sel.oars.map((o) => o.name)).toEqual(['Bowel', 'Kidney']);
    expect(isOrganLike({ name: 'External', interpretedType: '' })).toBe(false);
    expect(isOrganLike({ name: 'CTV_1', interpretedType: '' })).toBe(false);
  });

  it('an organ holding the target is reported and left out under auto; one overlapping it in part is reported and kept', () => {
    const sel = selectOars(all, gtv, 'auto');
    expect(sel.excluded.map((e) => e.name)).toEqual(['Liver']);
    expect(sel.excluded[0]!.reason).toMatch(/contains 100.0 % of target "GTV"/);
    const names = sel.overlapping.map((o) => [o.name, o.usedForClearance]);
    expect(names).toEqual([
      ['Liver', false],
      ['Bowel', true],
    ]);
    expect(sel.overlapping[1]!.overlapCc).toBeGreaterThan(0);
  });

  it("an organ minus a target ('Liver-GTV', 'Liver_minus_PTV') is reported and left out under auto, used when named", () => {
    // Liver minus GTV: a shell around the GTV by construction, no voxel shared with it.
    const shell = maskOf(grid, (x, y, z) => inEllipsoid([0, 0, 0], [15, 15, 15])(x, y, z) && !inEllipsoid([0, 0, 0], [8, 8, 8])(x, y, z));
    const minusGtv = structureOf('Liver-GTV', shell);
    const minusPtv = structureOf('Liver_minus_PTV', shell, '');
    const sel = selectOars([...all, minusGtv, minusPtv], gtv, 'auto');
    expect(sel.oars.map((o) => o.name)).toEqual(['Bowel', 'Kidney']);
    expect(sel.excluded.map((e) => e.name)).toEqual(['Liver', 'Liver-GTV', 'Liver_minus_PTV']);
    expect(sel.excluded[1]!.reason).toMatch(/organ minus target \("Liver" minus "GTV"\).*host organ rule applies \(see "Liver"\)/);
    expect(sel.excluded[2]!.reason).toMatch(/organ minus target \("Liver" minus "PTV"\)/);
    // Without its host organ in the set, it is still left out, and the reason says how to use it.
    const alone = selectOars([body, gtv, minusGtv, bowel], gtv, 'auto');
    expect(alone.oars.map((o) => o.name)).toEqual(['Bowel']);
    expect(alone.excluded[0]!.reason).toMatch(/name it in the organ list/);
    expect(selectOars([...all, minusGtv], gtv, ['Liver-GTV']).oars.map((o) => o.name)).toEqual(['Liver-GTV']);
    expect(organMinusTarget('Lung_L-ITV')).toEqual({ organ: 'Lung_L', target: 'ITV' });
    expect(organMinusTarget('Liver - PTV_2000')).toEqual({ organ: 'Liver', target: 'PTV_2000' });
    expect(organMinusTarget('PTV_2000')).toBeUndefined();
    expect(organMinusTarget('Ring-5mm')).toBeUndefined();
  });

  it('named organs are used as given; an unknown name lists the structures that exist', () => {
    expect(selectOars(all, gtv, ['Liver']).oars.map((o) => o.name)).toEqual(['Liver']);
    expect(() => selectOars(all, gtv, ['Spleen'])).toThrow(InputError);
    expect(() => selectOars(all, gtv, ['Spleen'])).toThrow(/"BODY", "GTV"/);
  });
});
