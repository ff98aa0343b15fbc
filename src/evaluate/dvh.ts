/**
 * Dose-volume histograms: structure sampling, dose sampling and binning.
 *
 * Inputs: a structure as planar contours (DICOM RTSTRUCT semantics, LPS mm) or as a mask /
 * occupancy on any grid, and a dose ScalarVolume (Gy) on any grid (any spacing, origin, direction).
 * Output: a `Dvh` (differential histogram in cc per dose bin, plus exact min / max / mean) from which
 * metrics.ts reads Dx, Vx and the rest.
 *
 * The three steps, kept apart so that geometry is computed once and reused for several doses
 * (physical, EQD2, delivered, summed courses):
 * 1. `sampleStructure` (contours) / `sampleOccupancy` (mask or occupancy) -> `StructureSampling`:
 *    the structure's fractional occupancy on a SAMPLING GRID, compacted to the occupied points.
 *    Contours are rasterised by src/geometry/rasterize.ts with its conventions (even-odd fill in the
 *    plane, exact partial volume in the plane). Between contour planes: the slab model (each plane a
 *    slab, end caps of half the plane spacing) or the interpolated model (src/geometry/between-planes.ts,
 *    exact for spheres, cones and cylinders); by default ('auto') interpolated for the structures
 *    sampled finely (below), slab for the others. The sampling grid has one axis along the contour
 *    normal and:
 *    - along the normal, m sub-slices per contour-plane spacing s (spacing s / m, aligned so the
 *      sub-slices tile each slab): the shape is constant across a slab, but the dose is sampled at
 *      m depths, so a DVH in a dose gradient along the slice direction is not a staircase of s.
 *      m = ceil(s / 0.5 mm) for small structures, ceil(s / 1.5 mm) otherwise (2 sub-slices on 2.5 and
 *      3 mm planes: against a 0.5 x 0.5 x 0.25 mm reference as close as 3 on 3 mm planes, and 1 sub-slice
 *      per plane was not; bench/README.md "evaluate as a whole process");
 *    - in the plane, for small structures (estimated volume < 20 cc, the 1.77 cc lattice spheres) 0.5 mm,
 *      or 1/13 of the radius of their cross-sections where that is more (up to 1 mm: a compact GTV of
 *      18 cc; SMALL_RADIUS_POINTS), otherwise the dose grid's finer in-plane spacing capped at 2.5 mm.
 *    A partial point (occupancy f < 1) is sampled not at its voxel centre but about at the centroid
 *    of its occupied part: moved along the occupancy gradient by (1 - f) w / 2, w the box's extent
 *    along that direction (exact for a plane cutting the box across an axis), so the dose of a
 *    boundary voxel is read inside the structure.
 * 2. `sampleDose` -> `DoseSamples`: the dose at every sampling point by trilinear interpolation
 *    (src/geometry/resample.ts; constant over the outer half voxel of the dose grid). Dose SPREAD
 *    (default on): the dose is taken as linear across each point's sampling box rather than
 *    constant, so the point's volume is spread uniformly over an interval centred on its dose whose
 *    variance is that of the box in the local gradient (half-width 1/2 sqrt(Σ ΔDₐ²), ΔDₐ the dose
 *    change across the box along sampling axis a, from the gradient of the trilinear interpolant at
 *    the point, read off the same 8 dose values). For a gradient
 *    along one axis this is exact; it removes the staircase that point sampling leaves in any
 *    gradient (steps of gradient x spacing). Points beyond
 *    the dose grid's footprint are left out and their volume reported (`outsideCc`); when more than
 *    half the structure is outside, a warning gives the fraction. Negative or non-finite doses throw
 *    InputError.
 * 3. `computeDvh` -> `Dvh`: differential histogram with bins [b w, (b + 1) w), w = 0.01 Gy by
 *    default, each point weighted by its occupied volume (spread over its interval). min / max are over the points whose
 *    occupancy is >= 0.5 (partial-volume majority; all points if there are none), mean over all points
 *    weighted by volume: both exact, not from the bins.
 *
 * Conventions: cumulative V(D) = volume receiving >= D (physics reference §5.1). Relative volumes
 * are relative to the part of the structure inside the dose grid (`dosedVolumeCc`).
 * References: physics reference §5 (dicompyler-core and plastimatch conventions, small-structure
 * errors [SRS-DVH], [DVH-PREC]); Nelms et al. 2015 for the split of DVH errors.
 */

import { GeometryError, InputError, fmt } from '../core/errors.js';
import { column, cross, dot, norm, type Mat3, type Vec3 } from '../core/vec3.js';
import { createGrid, voxelCount, voxelVolumeCc, type Grid } from '../geometry/grid.js';
import { pointSetNormal } from '../geometry/polygon.js';
import { contourAreaVector, contourFrameExtents } from '../geometry/points-wasm.js';
import { contourPlaneSpacingMm, distinctPlanePositions, rasterizeStructureWithWarnings, slabFill, type RasterizeOptions } from '../geometry/rasterize.js';
import { targetToSourceIndexAffine } from '../geometry/resample.js';
import type { PlanarContour } from '../geometry/structure.js';
import type { BetweenPlanesChoice, BetweenPlanesModel } from '../geometry/between-planes.js';
import type { Mask, Occupancy, ScalarVolume } from '../geometry/volume.js';
import { releaseKernels } from '../core/wasm-kernels.js';
import { addRamps, cumulativeBins, finishHistogram, sumParts } from './dvh-bins.js';
import { kernelOccupancy, runDvhKernel, type KernelOccupancySource, type KernelResult, type SliceRange } from './dvh-wasm.js';

/**
 * Default shape model between contour planes: 'auto', the interpolated model for the structures
 * sampled finely (estimated under SMALL_STRUCTURE_CC: lattice spheres, small targets, where the
 * slab model errs by up to 3-4 % in volume and D95 at 3 mm planes) and the slab model above (where
 * the two agree within 0.1 % on the stand-in organs and the interpolated fill costs 1.5-2 x the
 * time). Measured in bench/README.md "Shapes between contour planes".
 */
export const DEFAULT_BETWEEN_PLANES: BetweenPlanesChoice = 'auto';
/** Default dose bin width (Gy). */
export const DEFAULT_BIN_WIDTH_GY = 0.01;
/** Most bins in one DVH; beyond, the bin width doubles until the dose range fits. */
export const MAX_DVH_BINS = 2 ** 17;
/** Structures with an estimated volume below this (cc) are sampled finely. */
export const SMALL_STRUCTURE_CC = 20;
/** In-plane sampling spacing for small structures (mm): the finest, for those of a small cross-section. */
export const SMALL_IN_PLANE_MM = 0.5;
/**
 * A small structure of one contour a plane is sampled in plane with at least this many points across
 * the radius of its cross-sections (2 A / P of its contours, a circle's radius): 0.5 mm up to a radius
 * of 6.5 mm (a 15 mm lattice sphere's 6.4 mm; a spinal cord's ~5 mm), coarser above, up to
 * SMALL_IN_PLANE_MAX_MM (at 13 mm and over); one with holes or islands (the spheres' union) at 0.5 mm.
 * Measured (bench/README.md, thirteenth session): an 18 cc GTV of the small stand-in, against a 0.25 mm
 * reference, is within 0.007 % in volume and 0.013 % of D2 in mean, D2, D50, D95 and D98 at 1 mm
 * (0.017 % and 0.004 % at 0.5 mm), with a quarter of the points.
 */
export const SMALL_RADIUS_POINTS = 13;
/** Largest in-plane sampling spacing for small structures (mm). */
export const SMALL_IN_PLANE_MAX_MM = 1;
/** Largest in-plane sampling spacing for other structures (mm). */
export const LARGE_IN_PLANE_MAX_MM = 2.5;
/** Target spacing of the sub-slices between contour planes: small / other structures (mm). */
export const SMALL_NORMAL_MM = 0.5;
export const LARGE_NORMAL_MM = 1.5;
/** Fraction of a structure outside the dose grid above which a warning is given. */
export const OUTSIDE_WARNING_FRACTION = 0.5;
/** Tolerance for "axis along the contour normal" (cosine). */
const AXIS_COS_TOL = 1e-6;

export interface SamplingInfo {
  /** 'contours' (rasterised here) or 'occupancy' (given on a grid). */
  readonly source: 'contours' | 'occupancy';
  readonly grid: Grid;
  readonly inPlaneSpacingMm: number;
  readonly normalSpacingMm: number;
  /** Contour-plane spacing s (mm) used for the slabs; undefined for an occupancy. */
  readonly planeSpacingMm?: number;
  /** Sub-slices per contour-plane spacing. */
  readonly subSlicesPerPlane: number;
  /** True when the small-structure (fine) sampling was used. */
  readonly fine: boolean;
  /** How the shape was filled between contour planes (undefined for an occupancy). */
  readonly betweenPlanes?: BetweenPlanesModel;
}

/** A structure's occupied sampling points: geometry only, reusable for any dose. */
export interface StructureSampling {
  readonly name: string;
  readonly info: SamplingInfo;
  /** Linear indices (x fastest) of the occupied points on info.grid, ascending. */
  readonly index: Uint32Array;
  /** Volume (cc) each point stands for: occupancy x voxel volume. */
  readonly weightCc: Float32Array;
  /** 1 where the occupancy is >= 0.5 (partial-volume majority, as rasterizeToMask). */
  readonly core: Uint8Array;
  /** Sum of weightCc: the structure's volume (cc). */
  readonly volumeCc: number;
  /** The partial points (positions in `index`, ascending) that are sampled away from their voxel
   * centre; absent for a mask. */
  readonly partial?: Uint32Array;
  /** Per partial point (x, y, z in sampling-index units): where it is sampled, relative to its voxel
   * centre (the approximate centroid of its occupied part). */
  readonly offset?: Float32Array;
  readonly warnings: readonly string[];
}

/** Dose at a structure's sampling points inside the dose grid. */
export interface DoseSamples {
  readonly name: string;
  /** What the values are, e.g. 'physical dose' or 'EQD2 (α/β = 10 Gy)'. */
  readonly quantity: string;
  /** Dose at each point (Gy). */
  readonly doseGy: Float32Array;
  /** Dose interval each point's volume is spread over (Gy): the range of the dose across the
   * point's sampling box (see the header); equal to doseGy when spreading is off. */
  readonly loGy: Float32Array;
  readonly hiGy: Float32Array;
  readonly weightCc: Float32Array;
  readonly core: Uint8Array;
  /** Whole structure volume (cc), inside and outside the dose grid. */
  readonly volumeCc: number;
  /** Volume of the points beyond the dose grid's footprint (cc), not in doseGy. */
  readonly outsideCc: number;
  readonly info: SamplingInfo;
  readonly warnings: readonly string[];
}

export interface Dvh {
  readonly name: string;
  readonly quantity: string;
  readonly binWidthGy: number;
  /** Volume (cc) with dose in [b w, (b + 1) w) for bin b. */
  readonly differentialCc: Float64Array;
  /** Whole structure volume (cc). */
  readonly volumeCc: number;
  /** Volume inside the dose grid (cc): the total of the histogram. */
  readonly dosedVolumeCc: number;
  readonly outsideCc: number;
  /** outsideCc / volumeCc (0 for an empty structure). */
  readonly outsideFraction: number;
  /** Exact minimum and maximum over the sampling points of voxels at least half inside (occupancy >= 0.5) (Gy). */
  readonly minGy: number;
  readonly maxGy: number;
  /** Exact volume-weighted mean (Gy). */
  readonly meanGy: number;
  readonly info: SamplingInfo;
  readonly warnings: readonly string[];
}

export interface SampleStructureOptions {
  /** In-plane sampling spacing (mm); default by size (see the header). */
  readonly inPlaneSpacingMm?: number;
  /** Target spacing of the sub-slices between contour planes (mm); default by size. */
  readonly normalSpacingMm?: number;
  /** Volume (cc) below which the fine sampling is used (default 20). */
  readonly smallStructureCc?: number;
  /** Contour-plane spacing s (mm) for the slabs; default the median gap between planes. */
  readonly planeSpacingMm?: number;
  /** Shape between contour planes: 'auto' (default: see DEFAULT_BETWEEN_PLANES), 'interpolated' or
   * 'slab' (src/geometry/between-planes.ts). */
  readonly betweenPlanes?: BetweenPlanesChoice;
}

export interface DvhOptions {
  readonly binWidthGy?: number;
}

const ctx = (name: string): { structure: string } => ({ structure: name });

function checkPositive(value: number | undefined, what: string, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new InputError(`${what} must be positive and finite, found ${fmt(value)}`, ctx(name));
  }
}

/** Column c of a row-major 3x3 matrix. */

function unit(v: Vec3): Vec3 {
  const n = norm(v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** What the sampling reads of a structure: its name and contours (a ContourStructure of src/geometry/structure.ts is one). */
export interface NamedContours {
  readonly name: string;
  readonly contours: readonly PlanarContour[];
}

/** A structure's occupancy on its sampling grid: sampleStructure's geometry before the points are listed. */
export interface StructureRaster {
  readonly name: string;
  readonly info: SamplingInfo;
  readonly occupancy: Occupancy;
  readonly warnings: string[];
}

/**
 * Geometry of a structure's contours on a dose grid: sampling points with their volumes.
 * Throws GeometryError when the structure has no closed contour with 3 or more points.
 */
export function sampleStructure(
  structure: NamedContours,
  doseGrid: Grid,
  options: SampleStructureOptions = {},
): StructureSampling {
  const r = rasterizeForSampling(structure, doseGrid, options);
  return compact(r.name, r.occupancy, r.info, r.warnings);
}

/**
 * The sampling grid sampleStructure chooses for a structure (see the header) and the structure's
 * occupancy on it. Throws GeometryError as sampleStructure does.
 */
export function rasterizeForSampling(
  structure: NamedContours,
  doseGrid: Grid,
  options: SampleStructureOptions = {},
): StructureRaster {
  return rasterizePlan(planSampling(structure, doseGrid, options));
}

/**
 * The occupancy of a planned sampling (planSampling). `into`: rasterizeStructureWithWarnings's option,
 * the buffer to fill for a voxel count (scratchOccupancy; default a new array).
 */
export function rasterizePlan(plan: SamplingPlan, into?: (voxels: number, roomBytes: number) => Float32Array): StructureRaster {
  const warnings: string[] = [];
  const { occupancy } = rasterizeStructureWithWarnings(plan.contours, plan.info.grid, {
    ...rasterizeOptions(plan, warnings),
    ...(into !== undefined ? { into } : {}),
  });
  return { name: plan.name, info: plan.info, occupancy, warnings };
}

/** The rasteriser's options for a planned sampling: its warnings but 'outside-grid' go into `warnings`. */
function rasterizeOptions(plan: SamplingPlan, warnings: string[]): RasterizeOptions {
  return {
    name: plan.name,
    planeSpacingMm: plan.info.planeSpacingMm!,
    betweenPlanes: plan.info.betweenPlanes!,
    onWarning: (w) => {
      if (w.code !== 'outside-grid') warnings.push(w.message);
    },
  };
}

/** What rasterizeForSampling fills: a structure's closed contours and its sampling grid and model. */
export interface SamplingPlan {
  readonly name: string;
  /** The CLOSED_PLANAR contours of 3 or more points. */
  readonly contours: readonly PlanarContour[];
  readonly info: SamplingInfo;
}

/**
 * rasterizeForSampling's choices before any filling (cheap: one pass over the contour points): the
 * sampling grid, spacings and model between planes. Throws GeometryError as sampleStructure does.
 */
export function planSampling(
  structure: NamedContours,
  doseGrid: Grid,
  options: SampleStructureOptions = {},
): SamplingPlan {
  const name = structure.name;
  checkPositive(options.inPlaneSpacingMm, 'inPlaneSpacingMm', name);
  checkPositive(options.normalSpacingMm, 'normalSpacingMm', name);
  checkPositive(options.smallStructureCc, 'smallStructureCc', name);
  checkPositive(options.planeSpacingMm, 'planeSpacingMm', name);
  const closed = structure.contours.filter((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsLps.length >= 9);
  if (closed.length === 0) {
    throw new GeometryError('expected at least one CLOSED_PLANAR contour with 3 or more points, found none', ctx(name));
  }

  // Contour normal: that of the largest contour.
  let best: Vec3 = [0, 0, 1];
  let bestArea = 0;
  const areas = closed.map((c) => contourAreaVector(c.pointsLps));
  for (const a of areas) {
    const area = norm(a);
    if (area > bestArea) {
      bestArea = area;
      best = a;
    }
  }
  let normal: Vec3;
  if (bestArea > 0) normal = unit(best);
  else {
    // Signed areas that cancel (a self-intersecting "bow-tie" ring, filled by the even-odd rule like
    // every other contour): the plane of the points gives the normal.
    const planeNormal = closed.map((c) => pointSetNormal(c.pointsLps)).find((v) => v !== undefined);
    if (planeNormal === undefined) throw new GeometryError('contours enclose no area: every contour\'s points lie on one line', ctx(name));
    normal = planeNormal;
  }

  // Sampling frame: the dose grid's axes when one lies along the normal, else one built on the normal.
  let e0: Vec3, e1: Vec3, e2: Vec3;
  let normalAxisOfDose = -1;
  for (let a = 0; a < 3; a++) {
    if (Math.abs(Math.abs(dot(column(doseGrid.direction, a), normal)) - 1) <= AXIS_COS_TOL) normalAxisOfDose = a;
  }
  if (normalAxisOfDose >= 0) {
    const a = normalAxisOfDose;
    e2 = column(doseGrid.direction, a);
    e0 = column(doseGrid.direction, (a + 1) % 3);
    e1 = cross(e2, e0);
    normal = e2;
  } else {
    if (dot(normal, [0, 0, 1]) < 0) normal = [-normal[0], -normal[1], -normal[2]];
    e2 = normal;
    const seed: Vec3 = Math.abs(normal[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const d = dot(seed, e2);
    e0 = unit([seed[0] - d * e2[0], seed[1] - d * e2[1], seed[2] - d * e2[2]]);
    e1 = cross(e2, e0);
  }

  // Extents in the frame; contour planes along the normal.
  const box = new Float64Array([Infinity, -Infinity, Infinity, -Infinity]);
  const ws = closed.map((c) => contourFrameExtents(c.pointsLps, e0, e1, e2, box));
  const [u0, u1, v0, v1] = box as unknown as [number, number, number, number];
  let areaSum = 0;
  for (const a of areas) areaSum += norm(a);
  const planes = distinctPlanePositions(ws);
  const s =
    options.planeSpacingMm ??
    contourPlaneSpacingMm(planes) ??
    (normalAxisOfDose >= 0 ? doseGrid.spacingMm[normalAxisOfDose]! : Math.min(...doseGrid.spacingMm));

  // Sampling density by size.
  const estimateCc = (areaSum * s) / 1000;
  const fine = estimateCc < (options.smallStructureCc ?? SMALL_STRUCTURE_CC);
  let doseInPlane = Infinity;
  for (let a = 0; a < 3; a++) if (a !== normalAxisOfDose) doseInPlane = Math.min(doseInPlane, doseGrid.spacingMm[a]!);
  // one contour a plane (no hole, no island, whose areas would not add up to the section's)
  const fineInPlane = fine && planes.length === closed.length
    ? Math.min(SMALL_IN_PLANE_MAX_MM, Math.max(SMALL_IN_PLANE_MM, sectionRadiusMm(closed, areaSum) / SMALL_RADIUS_POINTS))
    : SMALL_IN_PLANE_MM;
  const hIn =
    options.inPlaneSpacingMm ?? (fine ? Math.min(fineInPlane, doseInPlane) : Math.min(LARGE_IN_PLANE_MAX_MM, doseInPlane));
  const target = options.normalSpacingMm ?? (fine ? SMALL_NORMAL_MM : LARGE_NORMAL_MM);
  const m = Math.max(1, Math.ceil(s / target - 1e-9));
  const hN = s / m;

  // Grid: in-plane box padded by one point; along the normal from the first slab's start.
  const nu = Math.ceil((u1 - u0) / hIn) + 3;
  const nv = Math.ceil((v1 - v0) / hIn) + 3;
  // The interpolated model may close a dome up to one spacing beyond an end plane.
  // Whole sub-slices are added beyond the slab ends, so that the sub-slices still tile each slab.
  const choice = options.betweenPlanes ?? DEFAULT_BETWEEN_PLANES;
  const betweenPlanes: BetweenPlanesModel = choice === 'auto' ? (fine ? 'interpolated' : 'slab') : choice;
  const reach = betweenPlanes === 'interpolated' ? s / 2 + Math.ceil(m / 2 - 1e-9) * hN : s / 2;
  const wStart = planes[0]! - reach;
  const wEnd = planes[planes.length - 1]! + reach;
  const nw = Math.max(1, Math.ceil((wEnd - wStart) / hN - 1e-6));
  const ou = u0 - hIn;
  const ov = v0 - hIn;
  const ow = wStart + hN / 2;
  const origin: Vec3 = [
    ou * e0[0] + ov * e1[0] + ow * e2[0],
    ou * e0[1] + ov * e1[1] + ow * e2[1],
    ou * e0[2] + ov * e1[2] + ow * e2[2],
  ];
  const direction: Mat3 = [e0[0], e1[0], e2[0], e0[1], e1[1], e2[1], e0[2], e1[2], e2[2]];
  const grid = createGrid({ size: [nu, nv, nw], spacingMm: [hIn, hIn, hN], originMm: origin, direction });
  const info: SamplingInfo = {
    source: 'contours',
    grid,
    inPlaneSpacingMm: hIn,
    normalSpacingMm: hN,
    planeSpacingMm: s,
    subSlicesPerPlane: m,
    fine,
    betweenPlanes,
  };
  return { name, contours: closed, info };
}

/**
 * The radius of a structure's cross-sections as its in-plane sampling sees it, for one contour a plane:
 * 2 A / P over its contours (A their areas, P their perimeters), a circle's radius, about half an
 * ellipse's short axis or more (a long thin shape's width): the scale the sampling must resolve.
 */
function sectionRadiusMm(contours: readonly PlanarContour[], areaSum: number): number {
  let perimeter = 0;
  for (const c of contours) {
    const p = c.pointsLps;
    const n = Math.floor(p.length / 3);
    for (let i = 0, j = n - 1; i < n; j = i++) perimeter += Math.hypot(p[3 * i]! - p[3 * j]!, p[3 * i + 1]! - p[3 * j + 1]!, p[3 * i + 2]! - p[3 * j + 2]!);
  }
  return perimeter > 0 ? (2 * areaSum) / perimeter : 0;
}

/**
 * Sampling points of a structure given as a mask or occupancy on its own grid (e.g. a phantom or
 * lattice sphere structure): one point per occupied voxel, at the voxel centre, weighted by its
 * occupancy. No sub-voxel sampling: pass a finer occupancy for small structures.
 */
export function sampleOccupancy(name: string, volume: Mask | Occupancy): StructureSampling {
  const g = volume.grid;
  return compact(
    name,
    volume,
    {
      source: 'occupancy',
      grid: g,
      inPlaneSpacingMm: Math.min(g.spacingMm[0], g.spacingMm[1]),
      normalSpacingMm: g.spacingMm[2],
      subSlicesPerPlane: 1,
      fine: false,
    },
    [],
  );
}

/**
 * Where a partial point (occupancy f < 1) at sampling index (i, j, k), linear index p, is sampled,
 * relative to its voxel centre, in index units, into out: about the centroid of its occupied part.
 * The inward normal is the occupancy gradient (mm⁻¹); a plane cutting the box across n leaves the
 * part inside with its centroid (1 - f) w / 2 from the centre, w the box's extent along n. Zero where
 * the gradient vanishes.
 */
function partialOffset(
  occ: Float32Array, p: number, i: number, j: number, k: number, nx: number, ny: number, nz: number, hx: number, hy: number, hz: number, f: number, out: Float64Array,
): void {
  const nxy = nx * ny;
  const gx = ((i + 1 < nx ? occ[p + 1]! : 0) - (i > 0 ? occ[p - 1]! : 0)) / hx;
  const gy = ((j + 1 < ny ? occ[p + nx]! : 0) - (j > 0 ? occ[p - nx]! : 0)) / hy;
  const gz = ((k + 1 < nz ? occ[p + nxy]! : 0) - (k > 0 ? occ[p - nxy]! : 0)) / hz;
  const gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
  if (!(gn > 0)) {
    out[0] = 0;
    out[1] = 0;
    out[2] = 0;
    return;
  }
  const ux = gx / gn, uy = gy / gn, uz = gz / gn;
  const w = Math.abs(ux) * hx + Math.abs(uy) * hy + Math.abs(uz) * hz;
  const dist = 0.5 * (1 - f) * w;
  out[0] = (ux * dist) / hx;
  out[1] = (uy * dist) / hy;
  out[2] = (uz * dist) / hz;
}

function compact(name: string, volume: Mask | Occupancy, info: SamplingInfo, warnings: string[]): StructureSampling {
  const d = volume.data;
  const isMask = d instanceof Uint8Array;
  let n = 0, nPartial = 0;
  for (let i = 0; i < d.length; i++) {
    const o = d[i]!;
    if (o > 0) {
      n++;
      if (o < 1 - 1e-6) nPartial++;
    }
  }
  const index = new Uint32Array(n);
  const weightCc = new Float32Array(n);
  const core = new Uint8Array(n);
  const vcc = voxelVolumeCc(info.grid);
  const partial = isMask ? undefined : new Uint32Array(nPartial);
  const offset = isMask ? undefined : new Float32Array(3 * nPartial);
  let r = 0;
  const [nx, ny, nz] = info.grid.size;
  const [hx, hy, hz] = info.grid.spacingMm;
  let q = 0;
  let total = 0;
  let p = 0;
  const shift = new Float64Array(3);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const o = d[p]!;
        if (o <= 0) continue;
        const f = isMask ? 1 : o > 1 ? 1 : o;
        index[q] = p;
        weightCc[q] = f * vcc;
        core[q] = f >= 0.5 - 1e-5 ? 1 : 0;
        total += f * vcc;
        if (offset !== undefined && f < 1 - 1e-6) {
          partial![r] = q;
          partialOffset(d as Float32Array, p, i, j, k, nx, ny, nz, hx, hy, hz, f, shift);
          offset[3 * r] = shift[0]!;
          offset[3 * r + 1] = shift[1]!;
          offset[3 * r + 2] = shift[2]!;
          r++;
        }
        q++;
      }
    }
  }
  if (n === 0) warnings.push(`structure "${name}" is empty on its sampling grid`);
  return { name, info, index, weightCc, core, volumeCc: total, warnings, ...(offset !== undefined ? { partial: partial!, offset } : {}) };
}

export interface SampleDoseOptions {
  /** What the dose is (default 'physical dose'). */
  readonly quantity?: string;
  /** Spread each point's volume over the dose range of its sampling box (default true). */
  readonly spread?: boolean;
}

/**
 * Min / max of the dose nodes floor(x - bx) .. ceil(x + bx) along the first index axis (clamped to
 * 0 .. n - 1), likewise y and z, into out[0], out[1]. x, y, z >= 0 (continuous dose indices).
 */
function boxNodeRange(
  src: Float32Array, nx: number, ny: number, nz: number, x: number, y: number, z: number, bx: number, by: number, bz: number, out: Float64Array,
): void {
  const iLo = Math.max(0, Math.floor(x - bx)), iHi = Math.min(nx - 1, Math.ceil(x + bx));
  const jLo = Math.max(0, Math.floor(y - by)), jHi = Math.min(ny - 1, Math.ceil(y + by));
  const kLo = Math.max(0, Math.floor(z - bz)), kHi = Math.min(nz - 1, Math.ceil(z + bz));
  let cMin = Infinity;
  let cMax = -Infinity;
  for (let kc = kLo; kc <= kHi; kc++) {
    for (let jc = jLo; jc <= jHi; jc++) {
      const row = nx * (jc + ny * kc);
      for (let ic = iLo; ic <= iHi; ic++) {
        const w = src[row + ic]!;
        if (w < cMin) cMin = w;
        if (w > cMax) cMax = w;
      }
    }
  }
  out[0] = cMin;
  out[1] = cMax;
}

/**
 * What pointDose needs of a dose grid and a sampling grid, set up once per structure: the dose values,
 * the sampling-index -> dose-index affine (row-major 3 x 4), the footprint rule of
 * src/geometry/resample.ts (constant over the outer half voxel, outside beyond it) and a sampling
 * box's half-extent along each dose axis.
 */
interface PointDoseSetup {
  readonly src: Float32Array;
  readonly nx: number; readonly ny: number; readonly nz: number;
  readonly m00: number; readonly m01: number; readonly m02: number; readonly t0: number;
  readonly m10: number; readonly m11: number; readonly m12: number; readonly t1: number;
  readonly m20: number; readonly m21: number; readonly m22: number; readonly t2: number;
  readonly loI: number; readonly hiI: number; readonly maxI: number; readonly topI: number;
  readonly loJ: number; readonly hiJ: number; readonly maxJ: number; readonly topJ: number;
  readonly loK: number; readonly hiK: number; readonly maxK: number; readonly topK: number;
  readonly di: number; readonly dj: number; readonly dk: number;
  readonly boxI: number; readonly boxJ: number; readonly boxK: number;
  readonly boxed: boolean;
  readonly spread: boolean;
  /** Scratch for boxNodeRange. */
  readonly range: Float64Array;
  /** Scratch for pointDose's two dose columns (columnAt). */
  readonly pair: Float64Array;
}

function pointDoseSetup(src: Float32Array, doseSize: readonly [number, number, number], m: Float64Array, spread: boolean): PointDoseSetup {
  const [nx, ny, nz] = doseSize;
  const eps = 1e-6;
  const boxI = 0.5 * (Math.abs(m[0]!) + Math.abs(m[1]!) + Math.abs(m[2]!));
  const boxJ = 0.5 * (Math.abs(m[4]!) + Math.abs(m[5]!) + Math.abs(m[6]!));
  const boxK = 0.5 * (Math.abs(m[8]!) + Math.abs(m[9]!) + Math.abs(m[10]!));
  return {
    src, nx, ny, nz,
    m00: m[0]!, m01: m[1]!, m02: m[2]!, t0: m[3]!,
    m10: m[4]!, m11: m[5]!, m12: m[6]!, t1: m[7]!,
    m20: m[8]!, m21: m[9]!, m22: m[10]!, t2: m[11]!,
    loI: -0.5 - eps, hiI: nx - 0.5 + eps, maxI: nx - 1, topI: Math.max(nx - 2, 0),
    loJ: -0.5 - eps, hiJ: ny - 0.5 + eps, maxJ: ny - 1, topJ: Math.max(ny - 2, 0),
    loK: -0.5 - eps, hiK: nz - 0.5 + eps, maxK: nz - 1, topK: Math.max(nz - 2, 0),
    di: nx > 1 ? 1 : 0, dj: ny > 1 ? nx : 0, dk: nz > 1 ? nx * ny : 0,
    boxI, boxJ, boxK,
    boxed: boxI > 0 && boxJ > 0 && boxK > 0,
    spread,
    range: new Float64Array(2),
    pair: new Float64Array(2 * COLUMN),
  };
}

/** Values columnAt writes per dose column. */
const COLUMN = 5;

/**
 * The dose column at index b (node (i, j0, k0)) read at fractions fy, fz of the way to its j0 + 1,
 * k0 + 1 neighbours (dj, dk their index steps), into out[o .. o + 4]: the bilinear value there, its
 * change per j step and per k step, and the least and greatest of the column's four nodes. The
 * trilinear interpolant at (i0 + fx, j0 + fy, k0 + fz) is the linear interpolation in fx between the
 * columns at i0 and i0 + 1 (pointDose). The WebAssembly kernel (assembly/dvh-kernel.ts) has the same
 * arithmetic, and reads each column once per sampling row on a grid aligned with the dose grid.
 */
function columnAt(src: Float32Array, b: number, dj: number, dk: number, fy: number, fz: number, out: Float64Array, o: number): void {
  const v00 = src[b]!, v10 = src[b + dj]!, v01 = src[b + dk]!, v11 = src[b + dk + dj]!;
  const e0 = v10 - v00, e1 = v11 - v01;
  const b0 = v00 + fy * e0, b1 = v01 + fy * e1;
  out[o] = b0 + fz * (b1 - b0);
  out[o + 1] = e0 + fz * (e1 - e0);
  out[o + 2] = b1 - b0;
  const n0 = v00 < v10 ? v00 : v10, n1 = v01 < v11 ? v01 : v11;
  const x0 = v00 > v10 ? v00 : v10, x1 = v01 > v11 ? v01 : v11;
  out[o + 3] = n0 < n1 ? n0 : n1;
  out[o + 4] = x0 > x1 ? x0 : x1;
}

/**
 * The dose at sampling index (i, j, k) (fractional for a partial point), into out: out[0] the dose,
 * out[1], out[2] the interval its volume is spread over (both the dose when spreading is off).
 * Returns 0 when the point lies beyond the dose grid's footprint, 1 when inside, -1 when the dose is
 * negative or not finite (out[0] holds it). The stored path's per-point dose (sampleDose); the
 * one-pass WebAssembly kernel computes the same numbers, operation for operation.
 */
function pointDose(s: PointDoseSetup, i: number, j: number, k: number, out: Float64Array): number {
  const ci = s.m00 * i + s.m01 * j + s.m02 * k + s.t0;
  const cj = s.m10 * i + s.m11 * j + s.m12 * k + s.t1;
  const ck = s.m20 * i + s.m21 * j + s.m22 * k + s.t2;
  if (!(ci >= s.loI && ci <= s.hiI && cj >= s.loJ && cj <= s.hiJ && ck >= s.loK && ck <= s.hiK)) return 0;
  // Clamped to the outer voxel centres (the constant outer half voxel).
  const maxI = s.maxI, maxJ = s.maxJ, maxK = s.maxK;
  const xc = ci > 0 ? ci : 0, yc = cj > 0 ? cj : 0, zc = ck > 0 ? ck : 0;
  const x = xc < maxI ? xc : maxI, y = yc < maxJ ? yc : maxJ, z = zc < maxK ? zc : maxK;
  let i0 = x | 0, j0 = y | 0, k0 = z | 0;
  if (i0 > s.topI) i0 = s.topI;
  if (j0 > s.topJ) j0 = s.topJ;
  if (k0 > s.topK) k0 = s.topK;
  const fx = x - i0, fy = y - j0, fz = z - k0;
  const b = i0 + s.nx * (j0 + s.ny * k0);
  const c = s.pair;
  columnAt(s.src, b, s.dj, s.dk, fy, fz, c, 0);
  columnAt(s.src, b + s.di, s.dj, s.dk, fy, fz, c, COLUMN);
  const a0 = c[0]!, a1 = c[COLUMN]!;
  const v = a0 + fx * (a1 - a0);
  out[0] = v;
  if (!(v >= 0) || v === Infinity) return -1;
  if (!s.spread) {
    out[1] = v;
    out[2] = v;
    return 1;
  }
  // Gradient per dose-grid index step (0 along an axis where the point is in the constant outer
  // half voxel), then the dose change across the sampling box along each sampling axis; the
  // spread has the variance of the box in that linear dose: half-width 1/2 sqrt(Σ ΔDₐ²).
  const gI = ci < 0 || ci > maxI ? 0 : a1 - a0;
  const gJ = cj < 0 || cj > maxJ ? 0 : c[1]! + fx * (c[COLUMN + 1]! - c[1]!);
  const gK = ck < 0 || ck > maxK ? 0 : c[2]! + fx * (c[COLUMN + 2]! - c[2]!);
  const dA = gI * s.m00 + gJ * s.m10 + gK * s.m20;
  const dB = gI * s.m01 + gJ * s.m11 + gK * s.m21;
  const dC = gI * s.m02 + gJ * s.m12 + gK * s.m22;
  const half = 0.5 * Math.sqrt(dA * dA + dB * dB + dC * dC);
  // The trilinear field never leaves the range of the grid values at the nodes of the cells it
  // is read from. Clamp the spread to the range over the nodes of every cell the sampling box
  // touches: a linear field is untouched, while at a dose maximum or minimum the linear model no
  // longer overshoots (a near-maximum such as D0.035cc never exceeds the highest dose value there).
  const lo = v - half;
  const hi = v + half;
  // Those nodes include the interpolation cell's (the box is wider than a point): when the interval
  // lies within the cell's node range (most points), the clamp cannot act and the box is not read.
  const n0 = c[3]!, n1 = c[COLUMN + 3]!, x0 = c[4]!, x1 = c[COLUMN + 4]!;
  let cMin = n0 < n1 ? n0 : n1;
  let cMax = x0 > x1 ? x0 : x1;
  if (!(s.boxed && lo >= cMin && hi <= cMax)) {
    boxNodeRange(s.src, s.nx, s.ny, s.nz, x, y, z, s.boxI, s.boxJ, s.boxK, s.range);
    cMin = s.range[0]!;
    cMax = s.range[1]!;
  }
  out[1] = lo < cMin ? cMin : lo > 0 ? lo : 0;
  out[2] = hi > cMax ? cMax : hi;
  return 1;
}

/**
 * sampleDose's loop over the points: dose, spread interval and inside flag per point into the output
 * arrays (pointDose); result[0] = points inside, result[1] = volume outside (cc), result[2] = index of
 * a point with a negative or non-finite dose (-1 if none), result[3] = its dose.
 */
function sampleDoseKernel(
  s: PointDoseSetup,
  samplingSize: readonly [number, number, number],
  index: Uint32Array,
  partial: Uint32Array | undefined,
  off: Float32Array | undefined,
  weightCc: Float32Array,
  doseOut: Float32Array,
  loOut: Float32Array,
  hiOut: Float32Array,
  inside: Uint8Array,
  result: Float64Array,
): void {
  const sx = samplingSize[0];
  const sxy = samplingSize[0] * samplingSize[1];
  const point = new Float64Array(3);
  const n = index.length;
  let nIn = 0;
  let outsideCc = 0;
  // the next partial point (moved off its voxel centre), by a cursor over the ascending list
  const nPartial = partial !== undefined && off !== undefined ? partial.length : 0;
  let np = 0;
  let nextPartial = nPartial > 0 ? partial![0]! : -1;
  for (let q = 0; q < n; q++) {
    const p = index[q]!;
    const kk = (p / sxy) | 0;
    const r = p - kk * sxy;
    const jj = (r / sx) | 0;
    let i = r - jj * sx;
    let j = jj;
    let k = kk;
    if (q === nextPartial) {
      i += off![3 * np]!;
      j += off![3 * np + 1]!;
      k += off![3 * np + 2]!;
      np++;
      nextPartial = np < nPartial ? partial![np]! : -1;
    }
    const at = pointDose(s, i, j, k, point);
    if (at === 0) {
      outsideCc += weightCc[q]!;
      inside[q] = 0;
      continue;
    }
    if (at < 0) {
      result[2] = q;
      result[3] = point[0]!;
      break;
    }
    inside[q] = 1;
    doseOut[q] = point[0]!;
    loOut[q] = point[1]!;
    hiOut[q] = point[2]!;
    nIn++;
  }
  result[0] = nIn;
  result[1] = outsideCc;
}

/**
 * Dose (Gy) at a structure's sampling points by trilinear interpolation. Points beyond the dose
 * grid's footprint are dropped and counted in outsideCc. Throws InputError on a negative or
 * non-finite dose.
 */
export function sampleDose(sampling: StructureSampling, dose: ScalarVolume, options: SampleDoseOptions = {}): DoseSamples {
  const name = sampling.name;
  const spread = options.spread ?? true;
  const src = dose.data;
  if (src.length !== voxelCount(dose.grid)) {
    throw new InputError(`dose: expected ${voxelCount(dose.grid)} values for its grid, found ${src.length}`, ctx(name));
  }
  // Sampling index -> dose continuous index.
  const m = targetToSourceIndexAffine(dose.grid, sampling.info.grid);
  const g = sampling.info.grid;
  const n = sampling.index.length;
  const doseAll = new Float32Array(n);
  const loAll = spread ? new Float32Array(n) : doseAll;
  const hiAll = spread ? new Float32Array(n) : doseAll;
  const inside = new Uint8Array(n);
  const result = new Float64Array([0, 0, -1, 0]);
  sampleDoseKernel(
    pointDoseSetup(dose.data, dose.grid.size, m, spread), g.size, sampling.index, sampling.partial, sampling.offset, sampling.weightCc,
    doseAll, loAll, hiAll, inside, result,
  );
  if (result[2]! >= 0) {
    throw new InputError(`dose must be finite and non-negative (Gy), found ${fmt(result[3]!)} Gy inside the structure`, ctx(name));
  }
  const nIn = result[0]!;
  const outsideCc = result[1]!;
  let doseGy = doseAll;
  let loGy = loAll;
  let hiGy = hiAll;
  let weightCc = sampling.weightCc;
  let core = sampling.core;
  if (nIn < n) {
    doseGy = new Float32Array(nIn);
    loGy = spread ? new Float32Array(nIn) : doseGy;
    hiGy = spread ? new Float32Array(nIn) : doseGy;
    weightCc = new Float32Array(nIn);
    core = new Uint8Array(nIn);
    let o = 0;
    for (let q = 0; q < n; q++) {
      if (inside[q] === 0) continue;
      doseGy[o] = doseAll[q]!;
      loGy[o] = loAll[q]!;
      hiGy[o] = hiAll[q]!;
      weightCc[o] = sampling.weightCc[q]!;
      core[o] = sampling.core[q]!;
      o++;
    }
  }
  const warnings = [...sampling.warnings];
  const fraction = sampling.volumeCc > 0 ? outsideCc / sampling.volumeCc : 0;
  if (fraction > OUTSIDE_WARNING_FRACTION) {
    warnings.push(
      `structure "${name}": ${(100 * fraction).toFixed(1)} % of its volume (${fmt(outsideCc)} of ` +
        `${fmt(sampling.volumeCc)} cc) is outside the dose grid; its DVH covers only the part inside`,
    );
  }
  return {
    name,
    quantity: options.quantity ?? 'physical dose',
    doseGy,
    loGy,
    hiGy,
    weightCc,
    core,
    volumeCc: sampling.volumeCc,
    outsideCc,
    info: sampling.info,
    warnings,
  };
}

/**
 * The same points with every dose replaced by f(dose) (e.g. EQD2), the spread intervals mapped end
 * to end. f must be non-decreasing and map non-negative doses to non-negative values.
 */
export function mapDoseSamples(samples: DoseSamples, quantity: string, f: (doseGy: number) => number): DoseSamples {
  const n = samples.doseGy.length;
  const d = new Float32Array(n);
  const lo = new Float32Array(n);
  const hi = new Float32Array(n);
  for (let q = 0; q < n; q++) {
    d[q] = f(samples.doseGy[q]!);
    lo[q] = f(samples.loGy[q]!);
    hi[q] = f(samples.hiGy[q]!);
  }
  return { ...samples, quantity, doseGy: d, loGy: lo, hiGy: hi };
}

/** Histogram of dose samples (see the header for bins and the exact min / max / mean). */
export function computeDvh(samples: DoseSamples, options: DvhOptions = {}): Dvh {
  const w0 = options.binWidthGy ?? DEFAULT_BIN_WIDTH_GY;
  if (!(Number.isFinite(w0) && w0 > 0)) {
    throw new InputError(`DVH bin width must be positive (Gy), found ${fmt(w0)}`, ctx(samples.name));
  }
  const d = samples.doseGy;
  const lo = samples.loGy;
  const hi = samples.hiGy;
  const wt = samples.weightCc;
  const core = samples.core;
  const n = d.length;
  let top = 0, max = -Infinity, min = Infinity, coreMax = -Infinity, coreMin = Infinity, nCore = 0;
  let sum = 0, vol = 0;
  for (let q = 0; q < n; q++) {
    const v = d[q]!;
    if (!(v >= 0) || v === Infinity || !(lo[q]! >= 0) || !(hi[q]! < Infinity)) {
      throw new InputError(`dose must be finite and non-negative (Gy), found ${fmt(v)}`, ctx(samples.name));
    }
    if (v > max) max = v;
    if (v < min) min = v;
    if (hi[q]! > top) top = hi[q]!;
    if (core[q] === 1) {
      nCore++;
      if (v > coreMax) coreMax = v;
      if (v < coreMin) coreMin = v;
    }
    sum += v * wt[q]!;
    vol += wt[q]!;
  }
  // The histogram's cost must not grow with the dose: above MAX_DVH_BINS bins the width doubles
  // (0.01 Gy covers 1310 Gy; a dose in cGy labelled Gy would otherwise need millions of bins).
  let w = w0;
  while (n > 0 && Math.floor(Math.max(top, max) / w) + 1 > MAX_DVH_BINS) w *= 2;
  const nBins = n === 0 ? 0 : Math.floor(Math.max(top, max) / w) + 1;
  // Point masses go straight into bins. A point spread uniformly over [lo, hi] adds
  // c (max(0, D - lo) - max(0, D - hi)), c = weight / (hi - lo), to the volume BELOW dose D; each
  // ramp c max(0, D - t) is c (b w) - c t at every edge b w > t, so two prefix sums (of c and of
  // c t) give the volume below every bin edge: O(1) per point.
  const diff = new Float64Array(nBins);
  const sumC = new Float64Array(nBins + 2);
  const sumCt = new Float64Array(nBins + 2);
  const inv = 1 / w;
  const minSpread = 1e-6 * w;
  for (let q = 0; q < n; q++) {
    const a = lo[q]!, b = hi[q]!;
    if (b - a <= minSpread) {
      let bin = Math.floor(d[q]! * inv);
      if (bin >= nBins) bin = nBins - 1;
      diff[bin]! += wt[q]!;
      continue;
    }
    const c = wt[q]! / (b - a);
    let ea = Math.floor(a * inv) + 1;
    let eb = Math.floor(b * inv) + 1;
    if (ea > nBins + 1) ea = nBins + 1;
    if (eb > nBins + 1) eb = nBins + 1;
    sumC[ea]! += c;
    sumCt[ea]! += c * a;
    sumC[eb]! -= c;
    sumCt[eb]! -= c * b;
  }
  addRamps(diff, sumC, sumCt, nBins, w);
  const outsideFraction = samples.volumeCc > 0 ? samples.outsideCc / samples.volumeCc : 0;
  return {
    name: samples.name,
    quantity: samples.quantity,
    binWidthGy: w,
    differentialCc: diff,
    volumeCc: samples.volumeCc,
    dosedVolumeCc: vol,
    outsideCc: samples.outsideCc,
    outsideFraction,
    minGy: n === 0 ? NaN : nCore > 0 ? coreMin : min,
    maxGy: n === 0 ? NaN : nCore > 0 ? coreMax : max,
    meanGy: vol > 0 ? sum / vol : NaN,
    info: samples.info,
    warnings: samples.warnings,
  };
}

/**
 * A quantity derived point by point from the planned physical dose D: a non-decreasing map of D that
 * maps non-negative doses to non-negative values. `kind` picks the formula of mapDoseValue, `a`..`d`
 * are its numbers: 0 the dose itself; 1 EQD2 of D in n fractions, D (D a + b) c with a = 1 / n,
 * b = α/β, c = 1 / (2 + α/β) (radiobiology.ts eqd2Map); 2 D a (fractions.ts deliveredMap); 3 delivered
 * EQD2 from the planned dose per fraction δ = D / a, b δ (δ + c) d with a, b the planned and delivered
 * fractions, c = α/β, d = 1 / (2 + α/β) (fractions.ts deliveredEqd2Map). Numbers rather than a
 * function, so that the one-pass kernel computes them inline, with the same arithmetic as the stored
 * path (doseMapFunction).
 */
export interface DoseMap {
  readonly quantity: string;
  readonly kind: 0 | 1 | 2 | 3;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

/** The physical dose itself, as a DoseMap. */
export const PHYSICAL_DOSE: DoseMap = { quantity: 'physical dose', kind: 0, a: 0, b: 0, c: 0, d: 0 };

/** A DoseMap's value at dose D (Gy): the one formula both paths use (see DoseMap). */
export function mapDoseValue(kind: number, a: number, b: number, c: number, d: number, D: number): number {
  if (kind === 1) return D * (D * a + b) * c;
  if (kind === 2) return D * a;
  if (kind === 3) {
    const perFraction = D / a;
    return b * perFraction * (perFraction + c) * d;
  }
  return D;
}

/** A DoseMap as a function of the dose (for mapDoseSamples). */
export const doseMapFunction = (m: DoseMap): ((doseGy: number) => number) => (D) => mapDoseValue(m.kind, m.a, m.b, m.c, m.d, D);

/** What structureDvhs returns: a structure's DVHs of several dose maps, and its sampling. */
export interface StructureDvhs {
  readonly name: string;
  readonly info: SamplingInfo;
  /** Occupied sampling points, inside and outside the dose grid. */
  readonly points: number;
  /** Sampling points inside the dose grid (those the DVHs hold). */
  readonly pointsInside: number;
  readonly volumeCc: number;
  readonly outsideCc: number;
  /** One DVH per map, in the maps' order (the physical-dose map's DVH is computeDvh of the samples). */
  readonly dvhs: readonly Dvh[];
  /** The samples of the planned physical dose, with StructureDvhsOptions.keepSamples. */
  readonly samples?: DoseSamples;
  readonly warnings: readonly string[];
}

export interface StructureDvhsOptions extends DvhOptions, SampleDoseOptions {
  /** The dose grid's largest value (Gy), if the caller has it (e.g. from checkDoseVolume). */
  readonly doseMaxGy?: number;
  /** Also return the samples (the stored path, for structures whose samples are needed later). */
  readonly keepSamples?: boolean;
  /** Sampling points of a part of a large slab-model structure (dvhParts; default PART_POINTS). */
  readonly partPoints?: number;
}

/**
 * The DVHs of several maps of the dose over a rasterised structure (rasterizeForSampling), in one
 * pass over its sampling grid that stores no per-point arrays: the same DVHs as sampleStructure ->
 * sampleDose -> mapDoseSamples -> computeDvh (each per-point value rounded to float32 where those
 * steps store it, the points in the same order), in less time and memory: for the large structures
 * (a BODY of millions of points) whose samples nothing else needs. The histograms are laid out for
 * the dose grid's maximum and cut to each structure's own range at the end (computeDvh's layout).
 * Where that layout would exceed MAX_DVH_BINS (a dose of thousands of Gy), it takes the stored path.
 * The pass is WebAssembly (assembly/dvh-kernel.ts through dvh-wasm.ts: compiled before it runs, where
 * a JavaScript loop ran its first large structure unoptimised), with this module's arithmetic
 * operation for operation (test/evaluate/dvh-fused.test.ts holds it to the stored path to the bit).
 */
export function structureDvhs(raster: StructureRaster, dose: ScalarVolume, maps: readonly DoseMap[], options: StructureDvhsOptions = {}): StructureDvhs {
  const name = raster.name;
  const bins = binLayout(name, dose, maps, options);
  if (options.keepSamples === true || !bins.fits) {
    // The stored path: the samples are wanted, or doses beyond any plan (computeDvh widens the bins).
    const sampling = compact(name, raster.occupancy, raster.info, [...raster.warnings]);
    const samples = sampleDose(sampling, dose, options);
    const dvhs = maps.map((m) => computeDvh(m.kind === 0 ? { ...samples, quantity: m.quantity } : mapDoseSamples(samples, m.quantity, doseMapFunction(m)), options));
    return {
      name,
      info: raster.info,
      points: sampling.index.length,
      pointsInside: samples.doseGy.length,
      volumeCc: sampling.volumeCc,
      outsideCc: samples.outsideCc,
      dvhs,
      samples,
      warnings: samples.warnings,
    };
  }
  const run = runKernel(raster.info, raster.occupancy.data, dose, maps, bins, options.spread ?? true);
  return finishKernelDvhs(name, raster.info, run, raster.warnings, maps, bins);
}

/**
 * Sampling slices the slab model fills and the DVH pass reads at a time in planDvhs (with their two
 * neighbours, about 1 MiB of the kernels' memory for a BODY's sampling grid): touched again and again,
 * instead of the whole grid's occupancy once (fresh memory is slow to touch, and a window stays in
 * the processor's cache).
 */
const WINDOW_POINTS = 1 << 18;

/**
 * The DVHs of a planned sampling (planSampling): rasterizePlan then structureDvhs, the same numbers to
 * the bit for a structure computed whole. A structure of the slab model is filled a window of sampling
 * slices at a time (slabFill) just before the DVH pass reads it, instead of into a buffer of its whole
 * sampling grid. A large one (dvhParts) is computed in parts of consecutive slices, whose sums are
 * added in order (mergeDvhParts): the same points and the same arithmetic per point, the sums in another
 * order (within rounding of the whole pass: test/evaluate/dvh-fused.test.ts), and the same parts and
 * numbers whichever threads compute them (dvh-pool.ts shares the parts out).
 * `windowSlices` (tests): slices a window holds besides the two it shares with its neighbours.
 */
export function planDvhs(
  plan: SamplingPlan,
  dose: ScalarVolume,
  maps: readonly DoseMap[],
  options: StructureDvhsOptions = {},
  windowSlices?: number,
): StructureDvhs {
  const parts = dvhParts(plan, dose, maps, options);
  if (parts !== undefined) {
    const slabs = preparedSlabs(plan);
    // the dose's maximum found once for all the parts (binLayout's scan), not once a part
    const opts = options.doseMaxGy !== undefined ? options : { ...options, doseMaxGy: doseMaximum(dose.data) };
    return mergeDvhParts(plan, dose, maps, opts, parts.map((range) => planDvhPart(plan, dose, maps, opts, range, windowSlices, slabs)));
  }
  const { grid } = plan.info;
  if (plan.info.betweenPlanes === 'slab' && options.keepSamples !== true) {
    const bins = binLayout(plan.name, dose, maps, options);
    const slabs = bins.fits ? preparedSlabs(plan) : undefined;
    if (slabs !== undefined && slabs.fill.wAxis === 2) {
      const run = runKernel(plan.info, { slices: windowSlicesFor(grid, windowSlices), fill: slabs.fill.fill }, dose, maps, bins, options.spread ?? true);
      return finishKernelDvhs(plan.name, plan.info, run, slabs.warnings, maps, bins);
    }
  }
  return structureDvhs(rasterizePlan(plan, scratchOccupancy), dose, maps, options);
}

/**
 * A slab-model structure of more sampling points than this (its sampling grid's) is computed in
 * parts of about as many points (consecutive sampling slices): parts that threads can share (a BODY
 * of two million points in four or more), each filled and passed over on its own.
 */
export const PART_POINTS = 1 << 19;

/**
 * The slices of the parts planDvhs computes a structure in (dvh-pool.ts shares them out), or undefined
 * where it computes the structure whole: below 2 partPoints sampling points (options.partPoints,
 * default PART_POINTS), or not the slab model's one pass (the interpolated model, samples kept, bins
 * beyond MAX_DVH_BINS). A function of the structure's sampling grid and the options alone (never of
 * the threads), so that the sums are added in one order.
 */
export function dvhParts(plan: SamplingPlan, dose: ScalarVolume, maps: readonly DoseMap[], options: StructureDvhsOptions = {}): readonly SliceRange[] | undefined {
  const partPoints = options.partPoints ?? PART_POINTS;
  checkPositive(partPoints, 'partPoints', plan.name);
  if (plan.info.betweenPlanes !== 'slab' || options.keepSamples === true) return undefined;
  const [nx, ny, nz] = plan.info.grid.size;
  const n = Math.min(nz, Math.floor((nx * ny * nz) / partPoints));
  if (n < 2 || !binLayout(plan.name, dose, maps, options).fits) return undefined;
  return Array.from({ length: n }, (_, q) => ({ k0: Math.floor((q * nz) / n), k1: Math.floor(((q + 1) * nz) / n) }));
}

/** The sums of one part of a structure's DVH pass (planDvhPart), to be added in order (mergeDvhParts). */
export interface DvhPart extends KernelResult {
  readonly range: SliceRange;
  /** The rasteriser's warnings (every part's are the same: they come from the planes' preparation). */
  readonly warnings: readonly string[];
}

/** A structure's slab fill on its sampling grid, and the rasteriser's warnings: what each part fills from. */
export interface PreparedSlabs {
  readonly fill: ReturnType<typeof slabFill>;
  readonly warnings: readonly string[];
}

/** The slab fill of a structure computed in parts (planDvhPart's `slabs`: prepared once for all the parts a thread computes). */
export function preparedSlabs(plan: SamplingPlan): PreparedSlabs {
  const warnings: string[] = [];
  return { fill: slabFill(plan.contours, plan.info.grid, rasterizeOptions(plan, warnings)), warnings };
}

/**
 * One part (dvhParts) of a structure's DVH pass: the slices `range` filled and passed over (the same
 * points and arithmetic as the whole pass), the sums copied out of the kernels' memory. `slabs`: the
 * structure's fill, when this thread has prepared it already.
 */
export function planDvhPart(
  plan: SamplingPlan,
  dose: ScalarVolume,
  maps: readonly DoseMap[],
  options: StructureDvhsOptions,
  range: SliceRange,
  windowSlices?: number,
  slabs: PreparedSlabs = preparedSlabs(plan),
): DvhPart {
  const bins = binLayout(plan.name, dose, maps, options);
  const { grid } = plan.info;
  const spread = options.spread ?? true;
  let run: KernelResult;
  if (slabs.fill.wAxis === 2) {
    run = runKernel(plan.info, { slices: windowSlicesFor(grid, windowSlices), fill: slabs.fill.fill }, dose, maps, bins, spread, range);
  } else {
    // not laid out by slices along the normal (planSampling's grids are): the whole occupancy, read by slices
    run = runKernel(plan.info, rasterizePlan(plan, scratchOccupancy).occupancy.data, dose, maps, bins, spread, range);
  }
  const copy = (a: readonly Float64Array[]): Float64Array[] => a.map((h) => h.slice());
  return { ...run, diff: copy(run.diff), sumC: copy(run.sumC), sumCt: copy(run.sumCt), range, warnings: slabs.warnings };
}

/**
 * A structure's DVHs from its parts' sums (planDvhPart, the parts of dvhParts in their order): sums
 * added part by part, extremes taken, the first part's dose error met; then the whole pass's DVHs.
 */
export function mergeDvhParts(plan: SamplingPlan, dose: ScalarVolume, maps: readonly DoseMap[], options: StructureDvhsOptions, parts: readonly DvhPart[]): StructureDvhs {
  const first = parts[0];
  if (first === undefined) throw new RangeError(`mergeDvhParts: structure "${plan.name}" has no parts`);
  const bad = parts.find((p) => p.bad);
  const acc = Float64Array.from(first.acc);
  // the histograms' sums part by part, in order (the same additions as adding each part into the first)
  const diff = maps.map((_, t) => sumParts(parts.map((p) => p.diff[t]!)));
  const sumC = maps.map((_, t) => sumParts(parts.map((p) => p.sumC[t]!)));
  const sumCt = maps.map((_, t) => sumParts(parts.map((p) => p.sumCt[t]!)));
  let points = first.points, inside = first.inside, volumeCc = first.volumeCc, outsideCc = first.outsideCc;
  for (let q = 1; q < parts.length; q++) {
    const p = parts[q]!;
    points += p.points;
    inside += p.inside;
    volumeCc += p.volumeCc;
    outsideCc += p.outsideCc;
    for (let t = 0; t < maps.length; t++) {
      // accumulators: top, max, min, coreMax, coreMin, nCore, sum, volume
      const a = 8 * t;
      acc[a] = Math.max(acc[a]!, p.acc[a]!);
      acc[a + 1] = Math.max(acc[a + 1]!, p.acc[a + 1]!);
      acc[a + 2] = Math.min(acc[a + 2]!, p.acc[a + 2]!);
      acc[a + 3] = Math.max(acc[a + 3]!, p.acc[a + 3]!);
      acc[a + 4] = Math.min(acc[a + 4]!, p.acc[a + 4]!);
      for (let e = 5; e < 8; e++) acc[a + e]! += p.acc[a + e]!;
    }
  }
  const run: KernelResult = { diff, sumC, sumCt, acc, points, inside, volumeCc, outsideCc, bad: bad !== undefined, badDose: bad?.badDose ?? 0 };
  return finishKernelDvhs(plan.name, plan.info, run, first.warnings, maps, binLayout(plan.name, dose, maps, options));
}

/** Slices of a window of the slab fill (WINDOW_POINTS), or the tests' `windowSlices`. */
function windowSlicesFor(grid: Grid, windowSlices: number | undefined): number {
  return windowSlices ?? Math.max(2, Math.floor(WINDOW_POINTS / Math.max(1, grid.size[0] * grid.size[1])));
}

/** The largest dose value, 0 at least (binLayout's top when none is given). */
function doseMaximum(src: Float32Array): number {
  let doseMax = 0;
  for (let i = 0; i < src.length; i++) if (src[i]! > doseMax) doseMax = src[i]!;
  return doseMax;
}

/** The histograms' layout for a dose and maps (checked bin width; bins per map up to the dose grid's maximum). */
interface BinLayout {
  readonly w: number;
  readonly nBins: readonly number[];
  /** Whether every map's bins are within MAX_DVH_BINS (else the stored path). */
  readonly fits: boolean;
}

function binLayout(name: string, dose: ScalarVolume, maps: readonly DoseMap[], options: StructureDvhsOptions): BinLayout {
  const w = options.binWidthGy ?? DEFAULT_BIN_WIDTH_GY;
  if (!(Number.isFinite(w) && w > 0)) {
    throw new InputError(`DVH bin width must be positive (Gy), found ${fmt(w)}`, ctx(name));
  }
  const src = dose.data;
  if (src.length !== voxelCount(dose.grid)) {
    throw new InputError(`dose: expected ${voxelCount(dose.grid)} values for its grid, found ${src.length}`, ctx(name));
  }
  const doseMax = options.doseMaxGy ?? doseMaximum(src);
  const nBins = maps.map((m) => {
    const top = m.kind === 0 ? doseMax : Math.fround(mapDoseValue(m.kind, m.a, m.b, m.c, m.d, Math.fround(doseMax)));
    return Math.floor(top / w) + 1;
  });
  return { w, nBins, fits: nBins.every((n) => n <= MAX_DVH_BINS) };
}

/** structureDvhs's one pass (the WebAssembly kernel) over an occupancy, whole or filled window by window (or its slices `range`). */
function runKernel(
  info: SamplingInfo,
  occupancy: KernelOccupancySource,
  dose: ScalarVolume,
  maps: readonly DoseMap[],
  bins: BinLayout,
  spread: boolean,
  range?: SliceRange,
): KernelResult {
  return runDvhKernel(
    occupancy, info.grid, voxelVolumeCc(info.grid), dose.data, dose.grid,
    targetToSourceIndexAffine(dose.grid, info.grid), spread,
    { kinds: Int32Array.from(maps, (m) => m.kind), params: Float64Array.from(maps.flatMap((m) => [m.a, m.b, m.c, m.d])), nBins: Int32Array.from(bins.nBins), binWidthGy: bins.w },
    range,
  );
}

/** The DVHs of a kernel pass's sums (runKernel, or parts merged): computeDvh's layout and checks. */
function finishKernelDvhs(
  name: string,
  info: SamplingInfo,
  run: KernelResult,
  rasterWarnings: readonly string[],
  maps: readonly DoseMap[],
  bins: BinLayout,
): StructureDvhs {
  const { w } = bins;
  const { diff, sumC, sumCt, acc, points, inside: pointsInside, volumeCc, outsideCc } = run;
  if (run.bad) {
    throw new InputError(`dose must be finite and non-negative (Gy), found ${fmt(run.badDose)} Gy inside the structure`, ctx(name));
  }
  const warnings = [...rasterWarnings];
  if (points === 0) warnings.push(`structure "${name}" is empty on its sampling grid`);
  const fraction = volumeCc > 0 ? outsideCc / volumeCc : 0;
  if (fraction > OUTSIDE_WARNING_FRACTION) {
    warnings.push(
      `structure "${name}": ${(100 * fraction).toFixed(1)} % of its volume (${fmt(outsideCc)} of ` +
        `${fmt(volumeCc)} cc) is outside the dose grid; its DVH covers only the part inside`,
    );
  }
  const dvhs = maps.map((m, t): Dvh => {
    const a = 8 * t;
    const top = acc[a]!, max = acc[a + 1]!, min = acc[a + 2]!, coreMax = acc[a + 3]!, coreMin = acc[a + 4]!, nCore = acc[a + 5]!;
    const sum = acc[a + 6]!, vol = acc[a + 7]!;
    const n = pointsInside;
    // computeDvh's layout: bins up to the structure's own largest dose, point masses beyond folded
    // into the last bin (its clamp), ramps summed to the last edge.
    const nb = n === 0 ? 0 : Math.floor(Math.max(top, max) / w) + 1;
    const out = finishHistogram(diff[t]!, sumC[t]!, sumCt[t]!, nb, w);
    return {
      name,
      quantity: m.quantity,
      binWidthGy: w,
      differentialCc: out,
      volumeCc,
      dosedVolumeCc: vol,
      outsideCc,
      outsideFraction: fraction,
      minGy: n === 0 ? NaN : nCore > 0 ? coreMin : min,
      maxGy: n === 0 ? NaN : nCore > 0 ? coreMax : max,
      meanGy: vol > 0 ? sum / vol : NaN,
      info,
      warnings,
    };
  });
  return { name, info, points, pointsInside, volumeCc, outsideCc, dvhs, warnings };
}

/**
 * A zeroed buffer of n values for rasterizePlan's occupancy, valid until the next call of this, of
 * structureDvhs or of another WebAssembly kernel (a DICOM decimal string decoded, a pass over a
 * contour's points: planSampling, rasterisation's checks) on this thread: the
 * kernels' own memory (src/core/wasm-kernels.ts), so that structureDvhs reads it where it was filled.
 * Reused from structure to structure: fresh memory is slow to touch (each new page is a fault: about
 * 13 µs a page on the 2-vCPU test machine). roomBytes: what the fill may use after it (rasterize.ts into).
 */
export function scratchOccupancy(n: number, roomBytes = 0): Float32Array {
  return kernelOccupancy(n, roomBytes);
}

/** Let this thread's reused buffers go (after a batch of structures). */
export function releaseDvhScratch(): void {
  releaseKernels();
}

/** Contours + dose -> DVH in one call (geometry is not kept; use the steps to reuse it). */
export function structureDvh(
  structure: NamedContours,
  dose: ScalarVolume,
  options: SampleStructureOptions & DvhOptions & SampleDoseOptions = {},
): Dvh {
  return computeDvh(sampleDose(sampleStructure(structure, dose.grid, options), dose, options), options);
}

/** Cumulative DVH at the bin edges: doseGy[b] = b w, volumeCc[b] = volume receiving >= b w. */
export function cumulativeDvh(dvh: Dvh): { readonly doseGy: Float64Array; readonly volumeCc: Float64Array } {
  return cumulativeBins(dvh.differentialCc, dvh.binWidthGy);
}

/**
 * Sum of DVHs of disjoint structures (e.g. left + right lung or kidney, or all lattice spheres):
 * volumes add bin by bin; min / max / mean combine exactly. Bin widths and quantities must match.
 */
export function combineDvhs(name: string, dvhs: readonly Dvh[]): Dvh {
  if (dvhs.length === 0) throw new InputError('combineDvhs: expected at least one DVH, found none', ctx(name));
  // Widths may differ by a power of two (computeDvh widens the bins of very high doses): the finer
  // histograms are summed into the widest bins, whose edges they share.
  const w = Math.max(...dvhs.map((d) => d.binWidthGy));
  const quantity = dvhs[0]!.quantity;
  const ratioOf = (d: Dvh): number => Math.round(w / d.binWidthGy);
  for (const d of dvhs) {
    const r = ratioOf(d);
    if (Math.abs(r * d.binWidthGy - w) > 1e-9 * w || (r & (r - 1)) !== 0 || d.quantity !== quantity) {
      throw new InputError(
        `combineDvhs: expected DVHs of one quantity with bin widths a power of two apart (${quantity}, ${fmt(w)} Gy), found ` +
          `"${d.name}" with ${d.quantity}, ${fmt(d.binWidthGy)} Gy`,
        ctx(name),
      );
    }
  }
  const nb = Math.max(...dvhs.map((d) => Math.ceil(d.differentialCc.length / ratioOf(d))));
  const diff = new Float64Array(nb);
  let volumeCc = 0, dosed = 0, outside = 0, sum = 0;
  let min = Infinity, max = -Infinity;
  for (const d of dvhs) {
    const r = ratioOf(d);
    for (let b = 0; b < d.differentialCc.length; b++) diff[Math.floor(b / r)]! += d.differentialCc[b]!;
    volumeCc += d.volumeCc;
    dosed += d.dosedVolumeCc;
    outside += d.outsideCc;
    if (d.dosedVolumeCc > 0) {
      sum += d.meanGy * d.dosedVolumeCc;
      min = Math.min(min, d.minGy);
      max = Math.max(max, d.maxGy);
    }
  }
  return {
    name,
    quantity,
    binWidthGy: w,
    differentialCc: diff,
    volumeCc,
    dosedVolumeCc: dosed,
    outsideCc: outside,
    outsideFraction: volumeCc > 0 ? outside / volumeCc : 0,
    minGy: dosed > 0 ? min : NaN,
    maxGy: dosed > 0 ? max : NaN,
    meanGy: dosed > 0 ? sum / dosed : NaN,
    info: dvhs[0]!.info,
    warnings: dvhs.flatMap((d) => d.warnings),
  };
}
