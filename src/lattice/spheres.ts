/**
 * The structures a lattice plan is built on, as masks on the CT grid (voxel centre inside):
 * each vertex sphere, their union (the boost volume, e.g. PTV_6670), the valley (target minus the
 * spheres grown by a margin: physics reference §3.2) and an avoidance ring around the spheres.
 * Spheres are analytic (centre LPS mm, radius mm), so grown spheres are exact balls rather than
 * margins on a voxelised sphere. Volumes in cc; the ideal 15 mm sphere holds 1.767 cc (§0).
 * The sphere ROIs written to the RTSTRUCT (each vertex and the union) are exact circles on the CT
 * planes instead (sphere-contours.ts); their masks differ from these only at the sphere surface.
 */

import { GeometryError, fmt } from '../core/errors.js';
import { mm3ToCc, type Cc } from '../core/units.js';
import type { Vec3 } from '../core/vec3.js';
import { assertSameGrid, lpsToContinuousIndex, voxelVolumeMm3, type Grid } from '../geometry/grid.js';
import { createMask, type Mask } from '../geometry/volume.js';

/** Volume of a sphere of the given diameter, cc: pi d^3 / 6. */
export const idealSphereVolumeCc = (diameterMm: number): Cc => mm3ToCc((Math.PI * diameterMm ** 3) / 6);

/**
 * Call visit(g, distanceMm) for every voxel of `grid` whose centre lies within maxMm of `centre`
 * (LPS), g its linear index. The grid's direction is orthonormal, so index offsets scaled by the
 * spacing give patient distances.
 */
function forVoxelsNear(grid: Grid, centre: Vec3, maxMm: number, visit: (g: number, dMm: number) => void): void {
  const c = lpsToContinuousIndex(grid, centre);
  const [nx, ny, nz] = grid.size;
  const [sx, sy, sz] = grid.spacingMm;
  const lo = [Math.max(0, Math.ceil(c[0] - maxMm / sx)), Math.max(0, Math.ceil(c[1] - maxMm / sy)), Math.max(0, Math.ceil(c[2] - maxMm / sz))];
  const hi = [Math.min(nx - 1, Math.floor(c[0] + maxMm / sx)), Math.min(ny - 1, Math.floor(c[1] + maxMm / sy)), Math.min(nz - 1, Math.floor(c[2] + maxMm / sz))];
  const max2 = maxMm * maxMm;
  for (let k = lo[2]!; k <= hi[2]!; k++) {
    const dz = (k - c[2]) * sz;
    for (let j = lo[1]!; j <= hi[1]!; j++) {
      const dy = (j - c[1]) * sy;
      const dyz = dy * dy + dz * dz;
      if (dyz > max2) continue;
      let g = lo[0]! + nx * (j + ny * k);
      for (let i = lo[0]!; i <= hi[0]!; i++, g++) {
        const dx = (i - c[0]) * sx;
        const d2 = dx * dx + dyz;
        if (d2 <= max2) visit(g, Math.sqrt(d2));
      }
    }
  }
}

function checkRadius(radiusMm: number, what: string): void {
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) throw new GeometryError(`${what}: expected a positive radius (mm), found ${fmt(radiusMm)}`);
}

/** One sphere as a mask; with clipTo, only voxels inside that mask. */
export function sphereMask(grid: Grid, centreLps: Vec3, radiusMm: number, clipTo?: Mask): Mask {
  checkRadius(radiusMm, 'sphere');
  if (clipTo !== undefined) assertSameGrid(grid, clipTo.grid, 'sphere vs clip mask');
  const m = createMask(grid);
  const clip = clipTo?.data;
  forVoxelsNear(grid, centreLps, radiusMm, (g) => {
    if (clip === undefined || clip[g] !== 0) m.data[g] = 1;
  });
  return m;
}

/** The union of spheres of one radius; with clipTo, only voxels inside that mask. */
export function sphereUnionMask(grid: Grid, centresLps: readonly Vec3[], radiusMm: number, clipTo?: Mask): Mask {
  checkRadius(radiusMm, 'sphere union');
  if (clipTo !== undefined) assertSameGrid(grid, clipTo.grid, 'sphere union vs clip mask');
  const m = createMask(grid);
  const clip = clipTo?.data;
  for (const c of centresLps) {
    forVoxelsNear(grid, c, radiusMm, (g) => {
      if (clip === undefined || clip[g] !== 0) m.data[g] = 1;
    });
  }
  return m;
}

/** The valley: target voxels farther than radius + marginMm from every centre. */
export function valleyMask(target: Mask, centresLps: readonly Vec3[], radiusMm: number, marginMm: number): Mask {
  if (!(marginMm >= 0) || !Number.isFinite(marginMm)) throw new GeometryError(`valley: expected a margin >= 0 mm, found ${fmt(marginMm)}`);
  const m = createMask(target.grid, target.data.slice());
  for (const c of centresLps) forVoxelsNear(target.grid, c, radiusMm + marginMm, (g) => (m.data[g] = 0));
  return m;
}

/**
 * The avoidance ring: voxels between radius + innerMm (exclusive) and radius + outerMm (inclusive)
 * of some centre and not within radius + innerMm of any; with clipTo, only voxels inside it (e.g.
 * the body).
 */
export function avoidanceRingMask(grid: Grid, centresLps: readonly Vec3[], radiusMm: number, innerMm: number, outerMm: number, clipTo?: Mask): Mask {
  if (!(innerMm >= 0 && outerMm > innerMm && Number.isFinite(outerMm))) {
    throw new GeometryError(`avoidance ring: expected 0 <= inner < outer (mm), found inner ${fmt(innerMm)} and outer ${fmt(outerMm)}`);
  }
  if (clipTo !== undefined) assertSameGrid(grid, clipTo.grid, 'avoidance ring vs clip mask');
  const m = createMask(grid);
  for (const c of centresLps) forVoxelsNear(grid, c, radiusMm + outerMm, (g) => (m.data[g] = 1));
  for (const c of centresLps) forVoxelsNear(grid, c, radiusMm + innerMm, (g) => (m.data[g] = 0));
  if (clipTo !== undefined) for (let g = 0; g < m.data.length; g++) if (clipTo.data[g] === 0) m.data[g] = 0;
  return m;
}

export interface SphereVolume {
  /** Volume of the voxels whose centre lies in the sphere, cc (what a structure on this grid holds). */
  readonly voxelCc: number;
  /** Of those, the part inside the clip mask (the target), cc. */
  readonly voxelInClipCc: number;
}

/** Voxelised volume of each sphere on a grid, whole and inside a clip mask (the target). */
export function sphereVolumes(grid: Grid, centresLps: readonly Vec3[], radiusMm: number, clipTo?: Mask): SphereVolume[] {
  checkRadius(radiusMm, 'sphere volumes');
  const vv = voxelVolumeMm3(grid);
  return centresLps.map((c) => {
    let n = 0;
    let inClip = 0;
    forVoxelsNear(grid, c, radiusMm, (g) => {
      n++;
      if (clipTo === undefined || clipTo.data[g] !== 0) inClip++;
    });
    return { voxelCc: mm3ToCc(n * vv), voxelInClipCc: mm3ToCc(inClip * vv) };
  });
}

/** Smallest distance between two centres, mm (Infinity for fewer than two). */
export function minCentreDistanceMm(centresLps: readonly Vec3[]): number {
  let best = Infinity;
  for (let a = 0; a < centresLps.length; a++) {
    for (let b = a + 1; b < centresLps.length; b++) {
      const p = centresLps[a]!;
      const q = centresLps[b]!;
      best = Math.min(best, Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]));
    }
  }
  return best;
}
