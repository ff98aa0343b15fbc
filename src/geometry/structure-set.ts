/**
 * Structure-set helpers shared by every command that works on a case: look a structure up by name
 * (an unknown name lists the ones that exist), and turn contour structures into masks on a grid with
 * the rasterisation conventions of rasterize.ts.
 */

import { GeometryError, InputError } from '../core/errors.js';
import { createGrid, voxelVolumeCc, type Grid } from './grid.js';
import { contourPlaneSpacingMm, distinctPlanePositions, rasterizeStructure, rasterizeToMask } from './rasterize.js';
import { countVoxels, occupancyVolumeCc } from './volume.js';
import type { ContourStructure, MaskStructure, Rgb } from './structure.js';

/** Default display colour for a structure that carries none. */
const GREY: Rgb = [128, 128, 128];

/**
 * The structure called `name` (exact match first, then case-insensitive). Throws an InputError that
 * lists the names that exist when there is none, or when a case-insensitive match is ambiguous.
 */
export function findStructure<S extends { readonly name: string }>(structures: readonly S[], name: string, role = 'structure'): S {
  const exact = structures.filter((s) => s.name === name);
  if (exact.length === 1) return exact[0]!;
  const folded = structures.filter((s) => s.name.toLowerCase() === name.toLowerCase());
  if (exact.length === 0 && folded.length === 1) return folded[0]!;
  const names = structures.map((s) => `"${s.name}"`).join(', ');
  throw new InputError(
    exact.length + folded.length === 0
      ? `no ${role} named "${name}"; the structure set holds ${names || 'no structures'}`
      : `${role} name "${name}" is ambiguous; the structure set holds ${names}`,
  );
}

/**
 * Closed planar contours of each structure rasterised onto `grid` (voxel in where occupancy >= 0.5).
 * A structure reaching outside the grid is cut off there; `onWarning` then gets one line with the
 * volume kept and the volume of the whole contours (slab convention, contourVolumeCc).
 */
export function rasterizeStructures(
  structures: readonly ContourStructure[],
  grid: Grid,
  onWarning?: (message: string) => void,
): MaskStructure[] {
  return structures
    .filter((s) => s.contours.some((c) => c.geometricType === 'CLOSED_PLANAR'))
    .map((s) => {
      let outside = false;
      const mask = rasterizeToMask(s.contours, grid, {
        name: s.name,
        onWarning: (w) => {
          if (w.code === 'outside-grid') outside = true;
        },
      });
      if (outside && onWarning !== undefined) {
        const whole = contourVolumeCc(s);
        const kept = countVoxels(mask) * voxelVolumeCc(grid);
        onWarning(
          whole !== undefined
            ? `structure "${s.name}" reaches outside the CT: ${kept.toFixed(1)} of its ${whole.toFixed(1)} cc lie inside and are used; ${(whole - kept).toFixed(1)} cc outside are cut off`
            : `structure "${s.name}" reaches outside the CT; the part outside is cut off (${kept.toFixed(1)} cc inside are used)`,
        );
      }
      return { name: s.name, interpretedType: s.interpretedType, colorRgb: s.colorRgb ?? GREY, mask };
    });
}

/**
 * Volume (cc) of a contour structure in the slab convention of rasterize.ts, on its own axial grid:
 * in-plane spacing `inPlaneMm` (the rasteriser supersamples within each voxel), one slice per contour
 * plane. Undefined for a structure with no closed planar contour or whose planes are not axial.
 */
export function contourVolumeCc(structure: ContourStructure, inPlaneMm = 2): number | undefined {
  const closed = structure.contours.filter((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsLps.length >= 9);
  if (closed.length === 0) return undefined;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  const planes: number[] = [];
  for (const c of closed) {
    const p = c.pointsLps;
    for (let i = 0; i < p.length; i += 3) {
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a]!, p[i + a]!);
        max[a] = Math.max(max[a]!, p[i + a]!);
      }
    }
    planes.push(p[2]!);
  }
  const zs = distinctPlanePositions(planes);
  const planeGapMm = contourPlaneSpacingMm(zs) ?? 1;
  // One grid slice per contour-plane step: enough, since occupancy along the normal is the exact
  // overlap of each voxel with the slabs.
  const nz = Math.round((zs[zs.length - 1]! - zs[0]!) / planeGapMm) + 3;
  const nx = Math.ceil((max[0]! - min[0]!) / inPlaneMm) + 3;
  const ny = Math.ceil((max[1]! - min[1]!) / inPlaneMm) + 3;
  const grid = createGrid({
    size: [nx, ny, nz],
    spacingMm: [inPlaneMm, inPlaneMm, planeGapMm],
    originMm: [min[0]! - inPlaneMm, min[1]! - inPlaneMm, zs[0]! - planeGapMm],
  });
  try {
    return occupancyVolumeCc(rasterizeStructure(closed, grid, { name: structure.name, planeSpacingMm: planeGapMm }));
  } catch (e) {
    if (e instanceof GeometryError) return undefined;
    throw e;
  }
}
