/**
 * Lattice spheres as exact planar contours on the CT planes, for the RTSTRUCT: each sphere ROI and
 * their union (e.g. PTV_6670), clipped to the target where a sphere is partial.
 *
 * Input: the CT grid (its slice planes are the contour planes: plane k passes through the voxel
 * centres of slice k, normal along the grid's k axis, so any orthonormal orientation works), sphere
 * centres (LPS, mm) and radius r (mm), and optionally the target's sections (`targetSections`).
 * Output: CLOSED_PLANAR contours (LPS, mm) and the mask they fill on the CT grid.
 *
 * Rules:
 * - A sphere centred at c meets plane k when |dz| < r, dz = the distance of c from the plane along
 *   the normal; its section is the circle about c's projection with radius rho = sqrt(r² - dz²),
 *   written as a polygon with the circle's area exactly (circle.ts: vertices on a circle slightly
 *   larger than rho, at most 0.01 mm from the true circle; 52 vertices at rho = 7.5 mm).
 * - Sections with rho < MIN_SECTION_RADIUS_MM (0.1 mm) are skipped: each skipped cap would hold at
 *   most pi (0.1 mm)² x the slice spacing (0.08 mm³ at 2.5 mm, 1e-4 % of a 15 mm sphere), and such
 *   slivers only arise from round-off when a sphere's pole touches a plane.
 * - With a target, each plane's circles are clipped to the target's section on that plane; the
 *   circles of one plane are merged first (clip.ts), so overlapping spheres (spacing < diameter)
 *   give one outline and no area is counted twice.
 * - The target's section on plane k: its own closed contours lying on that plane (within
 *   PLANE_TOLERANCE_MM = 0.05 mm, e.g. an RTSTRUCT drawn on the CT slices), else the outline of its
 *   mask on slice k by marching squares (contour.ts; what the mask would be written as).
 * - Outer rings run counter-clockwise about the slice normal signed so that its largest LPS
 *   component is positive (as contour.ts writes them); coordinates are rounded to 1e-4 mm.
 * - The mask: the contours rasterised on the CT grid with the slab convention of rasterize.ts and
 *   one slab per CT slice (occupancy >= 0.5), i.e. the structure exactly as reading the written
 *   RTSTRUCT back gives it. It differs from the voxel-centre sphere masks of spheres.ts only in
 *   voxels whose centre lies within a few hundredths of a mm of the sphere surface.
 * Volume: the slab volume of the written ROI is sum over planes of (section area) x (slice spacing):
 * for a 15 mm sphere on 2.5 mm slices from 1.718 cc (centre on a plane) to 1.792 cc (centre midway
 * between planes), against 1.767 cc for the ball (the midpoint rule; physics reference §5.4).
 */

import { GeometryError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { circleRing } from '../geometry/circle.js';
import { clipConvexUnion } from '../geometry/clip.js';
import { maskToContours } from '../geometry/contour.js';
import { assertSameGrid, type Grid } from '../geometry/grid.js';
import { PLANE_TOLERANCE_MM, rasterizeToMask } from '../geometry/rasterize.js';
import type { PlanarContour } from '../geometry/structure.js';
import { createMask, type Mask } from '../geometry/volume.js';

/** Sections of smaller radius (mm) are not written: see the file header. */
export const MIN_SECTION_RADIUS_MM = 0.1;
/** The slice planes of a grid: origin, unit in-plane axes u, v (the i, j axes) and normal w (k axis). */
interface SlicePlanes {
  readonly grid: Grid;
  readonly o: Vec3;
  readonly u: Vec3;
  readonly v: Vec3;
  readonly w: Vec3;
  /**
   * Write rings in reverse order, so that counter-clockwise in (u, v) becomes counter-clockwise about
   * the reference normal (w signed so that its largest LPS component is positive, as in contour.ts).
   */
  readonly reverse: boolean;
}

function slicePlanes(grid: Grid): SlicePlanes {
  const d = grid.direction;
  const u: Vec3 = [d[0], d[3], d[6]];
  const v: Vec3 = [d[1], d[4], d[7]];
  const w: Vec3 = [d[2], d[5], d[8]];
  let big = 0;
  for (let r = 1; r < 3; r++) if (Math.abs(w[r]!) > Math.abs(w[big]!)) big = r;
  const sign = w[big]! < 0 ? -1 : 1;
  const uxv = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  const reverse = sign * (uxv[0]! * w[0] + uxv[1]! * w[1] + uxv[2]! * w[2]) < 0;
  return { grid, o: grid.originMm, u, v, w, reverse };
}

/** In-plane coordinates (mm along u, v from the origin) and plane coordinate (mm along w) of an LPS point. */
function toPlane(p: SlicePlanes, x: number, y: number, z: number): [number, number, number] {
  const dx = x - p.o[0], dy = y - p.o[1], dz = z - p.o[2];
  return [dx * p.u[0] + dy * p.u[1] + dz * p.u[2], dx * p.v[0] + dy * p.v[1] + dz * p.v[2], dx * p.w[0] + dy * p.w[1] + dz * p.w[2]];
}

/** The target on each CT plane, as closed rings in in-plane coordinates (see the file header). */
export interface TargetSections {
  readonly grid: Grid;
  readonly name: string;
  /** Rings of the target on plane k (even-odd rule); empty where the target does not reach the plane. */
  readonly rings: (k: number) => readonly Float64Array[];
  /** How many planes use the target's own contours (the others use its mask's outline). */
  readonly planesFromContours: number;
}

/**
 * The target's sections on the CT planes: its own contours where they lie on a plane, else the
 * marching-squares outline of its mask (on the CT grid) there.
 */
export function targetSections(mask: Mask, name: string, contours: readonly PlanarContour[] = []): TargetSections {
  const grid = mask.grid;
  const planes = slicePlanes(grid);
  const sz = grid.spacingMm[2];
  const nz = grid.size[2];
  const own = new Map<number, Float64Array[]>();
  const toRings = (list: readonly PlanarContour[], into: Map<number, Float64Array[]>): void => {
    for (const c of list) {
      const pts = c.pointsLps;
      const n = Math.floor(pts.length / 3);
      if (c.geometricType !== 'CLOSED_PLANAR' || n < 3) continue;
      const ring = new Float64Array(2 * n);
      let wMin = Infinity;
      let wMax = -Infinity;
      for (let q = 0; q < n; q++) {
        const [a, b, w] = toPlane(planes, pts[3 * q]!, pts[3 * q + 1]!, pts[3 * q + 2]!);
        ring[2 * q] = a;
        ring[2 * q + 1] = b;
        wMin = Math.min(wMin, w);
        wMax = Math.max(wMax, w);
      }
      const k = Math.round((wMin + wMax) / 2 / sz);
      if (k < 0 || k >= nz || wMax - k * sz > PLANE_TOLERANCE_MM || k * sz - wMin > PLANE_TOLERANCE_MM) continue;
      const group = into.get(k);
      if (group === undefined) into.set(k, [ring]);
      else group.push(ring);
    }
  };
  toRings(contours, own);
  let outline: Map<number, Float64Array[]> | undefined;
  const none: readonly Float64Array[] = [];
  return {
    grid,
    name,
    planesFromContours: own.size,
    rings: (k) => {
      const mine = own.get(k);
      if (mine !== undefined) return mine;
      if (outline === undefined) {
        outline = new Map();
        toRings(maskToContours(mask), outline);
      }
      return outline.get(k) ?? none;
    },
  };
}

/** A written sphere structure: its contours and the mask they fill on the CT grid. */
export interface SphereRoi {
  readonly contours: PlanarContour[];
  readonly mask: Mask;
}

/**
 * The union of spheres of one radius as contours on the CT planes, clipped to the target when given;
 * one centre gives one sphere. See the file header.
 */
export function sphereUnionContours(grid: Grid, centresLps: readonly Vec3[], radiusMm: number, target?: TargetSections): PlanarContour[] {
  if (!(radiusMm > 0) || !Number.isFinite(radiusMm)) throw new GeometryError(`sphere contours: expected a positive radius (mm), found ${fmt(radiusMm)}`);
  if (target !== undefined) assertSameGrid(grid, target.grid, `sphere contours vs target "${target.name}"`);
  const planes = slicePlanes(grid);
  const sz = grid.spacingMm[2];
  const nz = grid.size[2];
  // Circles per plane.
  const byPlane = new Map<number, Float64Array[]>();
  for (const c of centresLps) {
    const [a, b, w] = toPlane(planes, c[0], c[1], c[2]);
    const k0 = Math.max(0, Math.ceil((w - radiusMm) / sz));
    const k1 = Math.min(nz - 1, Math.floor((w + radiusMm) / sz));
    for (let k = k0; k <= k1; k++) {
      const dz = k * sz - w;
      const rho2 = radiusMm * radiusMm - dz * dz;
      if (!(rho2 >= MIN_SECTION_RADIUS_MM * MIN_SECTION_RADIUS_MM)) continue;
      const ring = circleRing(a, b, Math.sqrt(rho2));
      const list = byPlane.get(k);
      if (list === undefined) byPlane.set(k, [ring]);
      else list.push(ring);
    }
  }
  const out: PlanarContour[] = [];
  for (const k of [...byPlane.keys()].sort((x, y) => x - y)) {
    const within = target?.rings(k);
    if (within !== undefined && within.length === 0) continue;
    let rings: Float64Array[];
    try {
      rings = clipConvexUnion(byPlane.get(k)!, within);
    } catch (e) {
      if (e instanceof GeometryError) {
        throw new GeometryError(`sphere contours on CT plane ${k}: ${e.message}`, target !== undefined ? { structure: target.name } : {});
      }
      throw e;
    }
    for (const ring of rings) out.push(toContour(planes, ring, k * sz));
  }
  return out;
}

/** The union of spheres as written contours and the mask they fill on the CT grid (see the file header). */
export function sphereUnionRoi(grid: Grid, centresLps: readonly Vec3[], radiusMm: number, name: string, target?: TargetSections): SphereRoi {
  const contours = sphereUnionContours(grid, centresLps, radiusMm, target);
  const mask = contours.length === 0 ? createMask(grid) : rasterizeToMask(contours, grid, { name, planeSpacingMm: grid.spacingMm[2] });
  return { contours, mask };
}

/** A 2-D ring of plane w (mm along the normal) as an LPS contour, oriented and rounded. */
function toContour(p: SlicePlanes, ring: Float64Array, w: number): PlanarContour {
  const n = ring.length / 2;
  const pts = new Float64Array(3 * n);
  const ox = p.o[0] + w * p.w[0], oy = p.o[1] + w * p.w[1], oz = p.o[2] + w * p.w[2];
  let m = 0;
  for (let q = 0; q < n; q++) {
    const s = p.reverse ? n - 1 - q : q;
    const a = ring[2 * s]!, b = ring[2 * s + 1]!;
    const x = round(ox + a * p.u[0] + b * p.v[0]);
    const y = round(oy + a * p.u[1] + b * p.v[1]);
    const z = round(oz + a * p.u[2] + b * p.v[2]);
    // Rounding may merge neighbours: drop repeats.
    if (m > 0 && pts[3 * m - 3] === x && pts[3 * m - 2] === y && pts[3 * m - 1] === z) continue;
    pts[3 * m] = x;
    pts[3 * m + 1] = y;
    pts[3 * m + 2] = z;
    m++;
  }
  if (m > 1 && pts[0] === pts[3 * m - 3] && pts[1] === pts[3 * m - 2] && pts[2] === pts[3 * m - 1]) m--;
  return { geometricType: 'CLOSED_PLANAR', pointsLps: pts.slice(0, 3 * m) };
}

/** To COORDINATE_STEP_MM (1e-4 mm), as the double nearest that decimal (short DS text); -0 becomes 0. */
const round = (x: number): number => Number(x.toFixed(4)) + 0;
