/**
 * Planar contours -> fractional occupancy (and masks) on a voxel grid.
 *
 * Input: a structure's contours (DICOM RTSTRUCT semantics: LPS, mm; CLOSED_PLANAR polygons, the
 * last point joining the first) and a grid (grid.ts). The grid may have any origin, spacing and
 * flips/permutations of its axes, but one of its index axes (normally k) must be along the
 * contour planes' normal: its slice planes are then parallel to the contour planes. Otherwise
 * (an oblique grid, or contours that are not planar) a GeometryError is thrown.
 * Output: an Occupancy (Float32, 0..1) on that grid: the fraction of each voxel inside the
 * structure under the conventions below.
 *
 * Conventions (docs/conventions.md; physics reference §5.2–5.4):
 * 1. In-plane: each contour plane is filled by the EVEN-ODD rule over all the structure's contours
 *    on that plane, so a contour inside another makes a hole and one inside a hole an island,
 *    whatever their orientation. The fill is a scan-line algorithm: each voxel row is cut into n
 *    sub-rows (sample lines through the sub-row centres); on each sub-row the edge crossings are
 *    sorted and the covered intervals are added to the voxels EXACTLY along the row. This is the
 *    limit of n x n supersampling as the in-row count goes to infinity. Default n: adaptive,
 *    ceil(row spacing / 0.25 mm) clamped to 4..16 (4 at 1 mm, 10 at 2.5 mm); `supersample`
 *    overrides it. Area error per plane is at most 2 (spacing / n) times the structure's width
 *    (in practice far less: errors of opposite sign cancel).
 * 2. Along the normal (the SLAB / END-CAP convention): each contour plane stands for a slab
 *    centred on it. Let s be the structure's contour-plane spacing: the median gap between its
 *    distinct planes (or `planeSpacingMm`; for a single plane, the grid's slice spacing). A
 *    slab extends towards a neighbouring plane by half the gap when the gap is at most
 *    2.5 s (so one skipped plane is bridged, and unevenly spaced planes tile without gaps), and by
 *    s / 2 otherwise (a wide gap between two parts of a structure is not filled); end planes are
 *    capped by s / 2 beyond the plane. For uniform planes every slab is exactly s thick and
 *    centred on its plane. A voxel's occupancy is the sum over planes of (in-plane fraction) x
 *    (overlap length of the voxel's extent along the normal with the plane's slab) / (voxel
 *    thickness). Contours need not sit on grid slices, and the grid's slice thickness may differ
 *    from the contour spacing.
 *    This differs from dicompyler-core (voxel-centre test in plane, slabs as thick as the SMALLEST
 *    plane gap, no end caps) and from plastimatch (voxel centres in and out; a contour counts only
 *    on the slice it lies on). The slab sum is the midpoint rule for the volume: on a 15 mm
 *    sphere it is within -0.44..+0.22 % at 1 mm planes and -4.0..+2.0 % at 3 mm planes, depending
 *    on where the planes fall (physics reference §5.4).
 * 3. Contours with fewer than 3 points, and POINT / OPEN_PLANAR / OPEN_NONPLANAR contours, are
 *    ignored with a warning (returned by `rasterizeStructureWithWarnings`, or passed to
 *    `onWarning`) naming the structure and the plane. Parts of the structure outside the grid are
 *    cut off (also reported as a warning).
 * 4. Two contours belong to the same plane when their positions along the normal differ by at
 *    most 0.05 mm; a contour is accepted as lying in a grid slice plane when its points spread by
 *    at most 0.05 mm along that grid axis.
 * 5. `rasterizeToMask`: a voxel is in when its occupancy is >= 0.5 (with 1e-5 allowance for
 *    round-off), i.e. the partial-volume majority rule, not plastimatch's voxel-centre rule. For a
 *    contour through voxel boundaries both rules agree.
 */

import { GeometryError, InputError, fmt } from '../core/errors.js';
import { voxelCount, lpsToIndexAffine, type Grid } from './grid.js';
import type { PlanarContour } from './structure.js';
import { createMask, createOccupancy, type Mask, type Occupancy } from './volume.js';
import { createScanlineScratch, fillPlane, planeBounds, type Plane, type PlaneContour, PlaneSink, type ScanlineScratch } from './scanline.js';
import { kernelPlaneFill, type KernelPlaneFill } from './scanline-wasm.js';
import { betweenPlanesRoom, fillBetweenPlanes, type BetweenPlanesGrid, type BetweenPlanesModel } from './between-planes.js';
import { contourIndexRanges, contourProject } from './points-wasm.js';

/** Contours on planes closer than this (mm, along the normal) are one plane. */
export const PLANE_TOLERANCE_MM = 0.05;
/** A gap up to this many contour-plane spacings is bridged (half to each side). */
export const BRIDGE_GAP_FACTOR = 2.5;

/**
 * Distinct contour-plane positions (mm along the normal), ascending: positions within
 * PLANE_TOLERANCE_MM of the previous plane belong to it.
 */
export function distinctPlanePositions(positionsMm: readonly number[]): number[] {
  const sorted = [...positionsMm].sort((a, b) => a - b);
  const planes: number[] = [];
  for (const w of sorted) if (planes.length === 0 || w - planes[planes.length - 1]! > PLANE_TOLERANCE_MM) planes.push(w);
  return planes;
}

/**
 * A structure's contour-plane spacing s (mm) for the slab convention: the median gap between its
 * distinct planes (ascending positions), or undefined for a single plane.
 */
export function contourPlaneSpacingMm(distinctPlanesMm: readonly number[]): number | undefined {
  if (distinctPlanesMm.length < 2) return undefined;
  const gaps: number[] = [];
  for (let p = 1; p < distinctPlanesMm.length; p++) gaps.push(distinctPlanesMm[p]! - distinctPlanesMm[p - 1]!);
  gaps.sort((x, y) => x - y);
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}
/** Target sub-row spacing (mm) of the adaptive default supersampling. */
const SUB_ROW_TARGET_MM = 0.25;
const MIN_SUPERSAMPLE = 4;
const MAX_SUPERSAMPLE = 16;
/** Allowance below 0.5 for the occupancy -> mask rule. */
const MASK_THRESHOLD_SLACK = 1e-5;

export type RasterizeWarningCode = 'too-few-points' | 'not-closed-planar' | 'outside-grid';

export interface RasterizeWarning {
  readonly code: RasterizeWarningCode;
  readonly structure: string;
  /** Index of the contour in the input array (undefined for structure-wide warnings). */
  readonly contourIndex?: number;
  readonly message: string;
}

export interface RasterizeOptions {
  /** Sub-rows per voxel row (1..64). Default: adaptive, ceil(row spacing / 0.25 mm) in 4..16. */
  readonly supersample?: number;
  /** Structure name, for warnings and errors. */
  readonly name?: string;
  /** The structure's contour-plane spacing s (mm) for the slab convention; default: median gap. */
  readonly planeSpacingMm?: number;
  /** How the shape is filled between contour planes: 'slab' (default; each plane a slab, see the
   * header) or 'interpolated' (shape-based interpolation, src/geometry/between-planes.ts). */
  readonly betweenPlanes?: BetweenPlanesModel;
  /** Called once per warning (in addition to the list `rasterizeStructureWithWarnings` returns). */
  readonly onWarning?: (warning: RasterizeWarning) => void;
  /**
   * Where to put the occupancy: a function giving a buffer of at least `voxels` values, all zero, whose
   * first values become the occupancy (default: a new array). It is asked once the contours are checked
   * and projected (work that uses the WebAssembly kernels' memory, where such a buffer may lie). For a
   * caller that fills many grids in turn and is done with each before the next: fresh memory is slow
   * to touch. `roomBytes`: what the fill between planes may use after such a buffer in the kernels'
   * memory (the interpolated model; 0 for the slab model, whose plane fill needs little).
   */
  readonly into?: (voxels: number, roomBytes: number) => Float32Array;
}

export interface MaskRasterizeOptions extends RasterizeOptions {
  /** Occupancy threshold for a voxel to be in (default 0.5). */
  readonly threshold?: number;
}

export interface RasterizeResult {
  readonly occupancy: Occupancy;
  readonly warnings: readonly RasterizeWarning[];
}

/** Fractional occupancy of a contoured structure on a grid (see the file header for the rules). */
export function rasterizeStructure(
  contours: readonly PlanarContour[],
  grid: Grid,
  options: RasterizeOptions = {},
): Occupancy {
  return rasterizeStructureWithWarnings(contours, grid, options).occupancy;
}

/** Mask of a contoured structure: occupancy >= threshold (default 0.5). */
export function rasterizeToMask(contours: readonly PlanarContour[], grid: Grid, options: MaskRasterizeOptions = {}): Mask {
  const threshold = options.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new InputError(`mask threshold must be in (0, 1], found ${fmt(threshold)}`, structureContext(options.name));
  }
  const occ = rasterizeStructureWithWarnings(contours, grid, options).occupancy.data;
  const mask = createMask(grid);
  const out = mask.data;
  const cut = threshold - MASK_THRESHOLD_SLACK;
  for (let i = 0; i < occ.length; i++) if (occ[i]! >= cut) out[i] = 1;
  return mask;
}

const structureContext = (name: string | undefined): { structure?: string } =>
  name === undefined ? {} : { structure: name };

/** As rasterizeStructure, also returning the warnings. */
export function rasterizeStructureWithWarnings(
  contours: readonly PlanarContour[],
  grid: Grid,
  options: RasterizeOptions = {},
): RasterizeResult {
  const prepared = preparePlanes(contours, grid, options);
  const { planes } = prepared;
  const room = options.betweenPlanes === 'interpolated' && options.into !== undefined ? betweenPlanesRoom(planes, prepared.g) : 0;
  const occupancy = createOccupancy(grid, options.into?.(voxelCount(grid), room).subarray(0, voxelCount(grid)));
  if (planes.length === 0) return { occupancy, warnings: prepared.warnings };
  if (options.betweenPlanes === 'interpolated') {
    const result = fillBetweenPlanes(planes, prepared.g, occupancy.data);
    let clipped = result.clipped;
    for (const plane of planes) if (planeClipped(prepared, plane)) clipped = true;
    if (clipped) warnOutside(prepared);
  } else {
    slabsOf(prepared).fill(occupancy.data, 0, 0, prepared.g.nw);
  }
  return { occupancy, warnings: prepared.warnings };
}

/**
 * The slab model's fill of a structure (rasterizeStructureWithWarnings with betweenPlanes 'slab'),
 * prepared once and run over any range of the grid's layers along the contour normal: a caller can
 * fill a few layers at a time into a small buffer (evaluate/dvh.ts: a structure's DVH pass over a
 * window of its sampling grid). Each voxel gets the same sum, in the same order, as a fill of the whole
 * grid.
 */
export interface SlabFill {
  /** The warnings (those of rasterizeStructureWithWarnings; onWarning has seen them). */
  readonly warnings: readonly RasterizeWarning[];
  /** The grid axis along the contour normal (0, 1 or 2). */
  readonly wAxis: number;
  /**
   * Add the occupancy of layers w0 <= w < w1 along the normal into occ, where layer w starts at
   * (w - wBase) x its stride (occ holds layers wBase .. at least w1 - 1; zero where not yet filled).
   */
  fill(occ: Float32Array, wBase: number, w0: number, w1: number): void;
}

/** The slab model's fill of a structure on a grid (see SlabFill); throws as rasterizeStructure does. */
export function slabFill(contours: readonly PlanarContour[], grid: Grid, options: RasterizeOptions = {}): SlabFill {
  return slabsOf(preparePlanes(contours, grid, options));
}

/** A structure's contour planes on a grid, ready to fill: steps 1-5 of the rasterisation. */
interface PreparedPlanes {
  readonly name: string;
  readonly warnings: RasterizeWarning[];
  readonly onWarning: ((w: RasterizeWarning) => void) | undefined;
  /** The planes along the normal, ascending (none: nothing to fill). */
  readonly planes: readonly Plane[];
  /** The grid axis along the normal. */
  readonly wAxis: number;
  /** The grid in the (u, v, w) axes, with the structure's plane spacing and the sub-rows per voxel row. */
  readonly g: BetweenPlanesGrid;
}

function warnOutside(p: PreparedPlanes): void {
  const w: RasterizeWarning = {
    code: 'outside-grid',
    structure: p.name,
    message: `structure "${p.name}" extends outside the grid; the part outside is cut off`,
  };
  p.warnings.push(w);
  p.onWarning?.(w);
}

/** Whether a plane's contours reach beyond the grid in the plane. */
function planeClipped(p: PreparedPlanes, plane: Plane): boolean {
  const { minU, maxU, minV, maxV } = planeBounds(plane);
  return minU < -0.5 || maxU > p.g.nu - 0.5 || minV < -0.5 || maxV > p.g.nv - 0.5;
}

/**
 * The slab model's layers of every plane (voxels w whose extent [w - 0.5, w + 0.5] overlaps the
 * plane's slab, with the overlap as weight), and the outside-grid warning where it applies.
 */
function slabsOf(p: PreparedPlanes): SlabFill {
  const { planes } = p;
  const { nu, nv, nw, su, sv, sw, spacingW, planeSpacingMm: spacingS, bridgeGapMm, supersample: n } = p.g;
  const half = (gap: number | undefined): number => (gap !== undefined && gap <= bridgeGapMm ? gap / 2 : spacingS / 2);
  const first = new Int32Array(planes.length + 1);
  const layerW: number[] = [];
  const layerWeight: number[] = [];
  let clipped = false;
  for (let q = 0; q < planes.length; q++) {
    const plane = planes[q]!;
    const below = q > 0 ? plane.wMm - planes[q - 1]!.wMm : undefined;
    const above = q + 1 < planes.length ? planes[q + 1]!.wMm - plane.wMm : undefined;
    const loW = (plane.wMm - half(below)) / spacingW;
    const hiW = (plane.wMm + half(above)) / spacingW;
    if (loW < -0.5 - 1e-9 || hiW > nw - 0.5 + 1e-9) clipped = true;
    const w0 = Math.max(0, Math.floor(loW + 0.5));
    const w1 = Math.min(nw - 1, Math.ceil(hiW - 0.5));
    const before = layerW.length;
    for (let w = w0; w <= w1; w++) {
      const overlap = Math.min(hiW, w + 0.5) - Math.max(loW, w - 0.5);
      if (overlap > 1e-12) {
        layerW.push(w);
        layerWeight.push(overlap);
      }
    }
    if (layerW.length > before && planeClipped(p, plane)) clipped = true;
    first[q + 1] = layerW.length;
  }
  if (clipped) warnOutside(p);
  let filler: { occ: Float32Array; inKernel: KernelPlaneFill | undefined; scratch: ScanlineScratch | undefined; sink: PlaneSink } | undefined;
  return {
    warnings: p.warnings,
    wAxis: p.wAxis,
    fill(occ, wBase, w0, w1) {
      if (planes.length === 0) return;
      // An occupancy in the WebAssembly kernels' memory (a structure's DVH sampling) is filled there by
      // the kernel, with the same numbers (scanline-wasm.ts); any other by scanline.ts. Set up once per
      // buffer: a DVH pass fills the same window buffer again and again.
      if (filler?.occ !== occ) {
        const inKernel = kernelPlaneFill(occ, planes, nu, nv, n, su, sv, sw, nw);
        filler = {
          occ,
          inKernel,
          scratch: inKernel === undefined ? createScanlineScratch(planes, nu) : undefined,
          sink: new PlaneSink(occ, su, sv, sw, nw),
        };
      }
      const { inKernel, scratch, sink } = filler;
      const { layerW: sinkW, layerWeight: sinkWeight } = sink;
      for (let q = 0; q < planes.length; q++) {
        let m = 0;
        for (let l = first[q]!; l < first[q + 1]!; l++) {
          const w = layerW[l]!;
          if (w < w0 || w >= w1) continue;
          sinkW[m] = w - wBase;
          sinkWeight[m] = layerWeight[l]!;
          m++;
        }
        if (m === 0) continue;
        sink.nLayers = m;
        if (inKernel !== undefined) inKernel.fill(planes[q]!, sinkW, sinkWeight, m);
        else fillPlane(planes[q]!, nu, nv, n, scratch!, sink);
      }
    },
  };
}

function preparePlanes(contours: readonly PlanarContour[], grid: Grid, options: RasterizeOptions): PreparedPlanes {
  const name = options.name ?? 'unnamed structure';
  const ctx = { structure: name };
  const warnings: RasterizeWarning[] = [];
  const warn = (w: RasterizeWarning): void => {
    warnings.push(w);
    options.onWarning?.(w);
  };

  if (options.supersample !== undefined) {
    const n = options.supersample;
    if (!Number.isInteger(n) || n < 1 || n > 64) {
      throw new InputError(`supersample must be an integer from 1 to 64, found ${fmt(n)}`, ctx);
    }
  }
  if (options.planeSpacingMm !== undefined && !(options.planeSpacingMm > 0 && Number.isFinite(options.planeSpacingMm))) {
    throw new InputError(`planeSpacingMm must be positive and finite, found ${fmt(options.planeSpacingMm)}`, ctx);
  }

  // 1. Keep closed contours with >= 3 points; check coordinates.
  const a = lpsToIndexAffine(grid);
  const ranges = new Float64Array(6 * contours.length);
  const closed: number[] = [];
  const skipped: { index: number; code: RasterizeWarningCode; what: string }[] = [];
  for (let c = 0; c < contours.length; c++) {
    const contour = contours[c]!;
    const pts = contour.pointsLps;
    if (pts.length % 3 !== 0) {
      throw new GeometryError(
        `contour ${c}: expected x, y, z triples, found ${pts.length} coordinates (not a multiple of 3)`,
        ctx,
      );
    }
    // the check and the contour's index ranges in one pass (points-wasm.ts)
    const bad = contourIndexRanges(pts, a, ranges.subarray(6 * c, 6 * c + 6));
    if (bad >= 0) throw new GeometryError(`contour ${c}: expected finite coordinates (mm), found ${pts[bad]} at value ${bad}`, ctx);
    if (contour.geometricType !== 'CLOSED_PLANAR') {
      skipped.push({ index: c, code: 'not-closed-planar', what: `is ${contour.geometricType}, not CLOSED_PLANAR` });
    } else if (pts.length < 9) {
      skipped.push({ index: c, code: 'too-few-points', what: `has ${pts.length / 3} point(s), fewer than 3` });
    } else {
      closed.push(c);
    }
  }

  // 2. Which grid axis is normal to the contour planes (prefer k).
  const spread = (c: number, axis: number): number => (ranges[6 * c + 2 * axis + 1]! - ranges[6 * c + 2 * axis]!) * grid.spacingMm[axis]!;
  let wAxis = -1;
  let worst = { axis: 2, contour: -1, mm: 0 };
  for (const axis of [2, 0, 1]) {
    let maxSpread = 0;
    let at = -1;
    for (const c of closed) {
      const s = spread(c, axis);
      if (s > maxSpread) {
        maxSpread = s;
        at = c;
      }
    }
    if (maxSpread <= PLANE_TOLERANCE_MM) {
      wAxis = axis;
      break;
    }
    if (axis === 2) worst = { axis, contour: at, mm: maxSpread };
  }
  if (wAxis < 0) {
    throw new GeometryError(
      `contour planes must be parallel to the grid's slice planes (one grid axis along the contour normal): ` +
        `contour ${worst.contour} spans ${fmt(worst.mm)} mm along the grid's k axis ` +
        `(tolerance ${PLANE_TOLERANCE_MM} mm), and no other grid axis fits; the grid is oblique to the contours ` +
        `or the contour is not planar`,
      ctx,
    );
  }
  const uAxis = wAxis === 0 ? 1 : 0;
  const vAxis = wAxis === 2 ? 1 : 2;

  // Name planes in warnings by the LPS coordinate most aligned with the normal.
  let lpsAxis = 0;
  for (let r = 0; r < 3; r++) {
    if (Math.abs(grid.direction[3 * r + wAxis]!) > Math.abs(grid.direction[3 * lpsAxis + wAxis]!)) lpsAxis = r;
  }
  const planeName = (c: number): string => {
    const pts = contours[c]!.pointsLps;
    return pts.length >= 3 ? `on plane ${'xyz'[lpsAxis]} = ${fmt(pts[lpsAxis]!)} mm` : 'on an unknown plane (no points)';
  };
  for (const s of skipped) {
    warn({
      code: s.code,
      structure: name,
      contourIndex: s.index,
      message: `structure "${name}": contour ${s.index} ${planeName(s.index)} ${s.what}; ignored for rasterisation`,
    });
  }

  const [nx, ny] = grid.size;
  const stride = [1, nx, nx * ny] as const;
  const nu = grid.size[uAxis]!;
  const nv = grid.size[vAxis]!;
  const nw = grid.size[wAxis]!;
  const su = stride[uAxis]!;
  const sv = stride[vAxis]!;
  const sw = stride[wAxis]!;
  const spacingW = grid.spacingMm[wAxis]!;
  const spacingV = grid.spacingMm[vAxis]!;
  const n =
    options.supersample ??
    Math.min(MAX_SUPERSAMPLE, Math.max(MIN_SUPERSAMPLE, Math.ceil(spacingV / SUB_ROW_TARGET_MM - 1e-9)));

  const prepared = (planes: readonly Plane[], spacingS: number): PreparedPlanes => ({
    name,
    warnings,
    onWarning: options.onWarning,
    planes,
    wAxis,
    g: {
      nu, nv, nw, su, sv, sw,
      spacingU: grid.spacingMm[uAxis]!,
      spacingV,
      spacingW,
      planeSpacingMm: spacingS,
      bridgeGapMm: BRIDGE_GAP_FACTOR * spacingS,
      supersample: n,
    },
  });
  if (closed.length === 0 || voxelCount(grid) === 0) return prepared([], options.planeSpacingMm ?? spacingW);

  // 3. Project the contours to continuous index coordinates.
  const planeContours: PlaneContour[] = [];
  for (const c of closed) {
    const pts = contours[c]!.pointsLps;
    const uv = new Float64Array((2 * pts.length) / 3);
    // its in-plane box: the index ranges of step 1 (the same affine rows and arithmetic as the projection)
    const box = { minU: ranges[6 * c + 2 * uAxis]!, maxU: ranges[6 * c + 2 * uAxis + 1]!, minV: ranges[6 * c + 2 * vAxis]!, maxV: ranges[6 * c + 2 * vAxis + 1]! };
    planeContours.push({ index: c, uv, w: contourProject(pts, a, uAxis, vAxis, wAxis, uv), box });
  }

  // 4. Group into planes along the normal.
  planeContours.sort((p, q) => p.w - q.w);
  const planes: Plane[] = [];
  for (const pc of planeContours) {
    const wMm = pc.w * spacingW;
    const last = planes[planes.length - 1];
    if (last !== undefined && wMm - last.wMm <= PLANE_TOLERANCE_MM) {
      last.contours.push(pc);
      // Plane position: mean of its contours.
      last.wMm += (wMm - last.wMm) / last.contours.length;
    } else {
      planes.push({ wMm, contours: [pc] });
    }
  }

  // 5. The structure's contour-plane spacing.
  return prepared(planes, options.planeSpacingMm ?? contourPlaneSpacingMm(planes.map((pl) => pl.wMm)) ?? spacingW);
}
