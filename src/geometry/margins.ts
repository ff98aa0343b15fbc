/**
 * Margins on masks: expansion (CTV -> PTV), contraction, rings around a structure, cropping to a body.
 *
 * Input: masks on one grid; margins in mm, isotropic or per patient axis (right-left = LPS x,
 * anterior-posterior = y, inferior-superior = z). A per-axis margin is mapped to the index axes
 * through the grid's direction (flips and permutations allowed; an oblique grid takes only an
 * isotropic margin). Output: new masks on the same grid; inputs are never modified.
 *
 * A voxel joins the expansion when its centre lies within the margin of the structure's estimated
 * surface (sub-voxel, see distance.ts): for a margin (mx, my, mz), when the offset from the surface,
 * divided axis by axis by the margin, has length <= 1 (an ellipsoidal structuring element).
 * Contraction is expansion of the outside. The expansion stops at the grid edge (or, on request,
 * refuses to run past it); the grid edge is not a surface for contraction.
 */

import { GeometryError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import { assertSameGrid, patientAxisOfIndexAxes, type Grid } from './grid.js';
import { maskBounds, surfaceDistanceField, type IndexBox, type SurfaceSide } from './distance.js';
import { createMask, requireNonEmpty, type Mask } from './volume.js';

/** A margin in mm: one number for all directions, or one per patient axis. */
export type Margin =
  | number
  | {
      readonly rightLeftMm: number;
      readonly anteriorPosteriorMm: number;
      readonly inferiorSuperiorMm: number;
    };

export interface MarginOptions {
  /** Structure name for error messages. */
  readonly name?: string;
  /**
   * What to do when the expansion would run past the grid: 'allow' (default) clips it at the grid
   * edge; 'error' throws a GeometryError.
   */
  readonly clip?: 'allow' | 'error';
}

const PATIENT_AXIS_NAMES = ['right-left (x)', 'anterior-posterior (y)', 'inferior-superior (z)'] as const;

/** Relative slack when comparing a distance with a margin, for rounding only. */
const MARGIN_RELATIVE_SLACK = 1e-6;

/**
 * A margin as mm along the grid's index axes i, j, k. Throws GeometryError for a negative or
 * non-finite margin, an anisotropic margin on an oblique grid, or a margin larger than the grid's
 * extent along an axis.
 */
export function marginAlongIndexAxesMm(grid: Grid, margin: Margin, operation: string, name = 'mask'): Vec3 {
  const ctx = { structure: name };
  let perPatient: [number, number, number];
  if (typeof margin === 'number') perPatient = [margin, margin, margin];
  else perPatient = [margin.rightLeftMm, margin.anteriorPosteriorMm, margin.inferiorSuperiorMm];
  for (let p = 0; p < 3; p++) {
    const v = perPatient[p]!;
    if (!Number.isFinite(v) || v < 0) {
      throw new GeometryError(
        `${operation}: expected a finite margin >= 0 mm along ${PATIENT_AXIS_NAMES[p]}, found ${fmt(v)} mm` +
          (v < 0 ? ' (use contractMask to shrink a structure)' : ''),
        ctx,
      );
    }
  }
  const isotropic = perPatient[0] === perPatient[1] && perPatient[1] === perPatient[2];
  const axes = patientAxisOfIndexAxes(grid);
  const out: [number, number, number] = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    let m: number;
    let axisName: string;
    if (axes === undefined) {
      if (!isotropic) {
        throw new GeometryError(
          `${operation}: expected an isotropic margin on an oblique grid (axes not along the patient axes), found ` +
            `right-left ${fmt(perPatient[0])}, anterior-posterior ${fmt(perPatient[1])}, inferior-superior ${fmt(perPatient[2])} mm`,
          ctx,
        );
      }
      m = perPatient[0];
      axisName = `index axis ${'ijk'[a]}`;
    } else {
      const p = axes[a]!.axis;
      m = perPatient[p]!;
      axisName = `${PATIENT_AXIS_NAMES[p]} (index axis ${'ijk'[a]})`;
    }
    const extentMm = grid.size[a]! * grid.spacingMm[a]!;
    if (m > extentMm) {
      throw new GeometryError(
        `${operation}: expected a margin no larger than the grid's extent of ${fmt(extentMm)} mm along ${axisName}, found ${fmt(m)} mm`,
        ctx,
      );
    }
    out[a] = m;
  }
  return out;
}

/** 'right-left (x) (index axis i)' for an axis-aligned grid, 'index axis i' for an oblique one. */
function axisLabel(grid: Grid, a: number): string {
  const axes = patientAxisOfIndexAxes(grid);
  return axes === undefined ? `index axis ${'ijk'[a]}` : `${PATIENT_AXIS_NAMES[axes[a]!.axis]} (index axis ${'ijk'[a]})`;
}

const copyMask = (mask: Mask): Mask => createMask(mask.grid, mask.data.slice());

/** The bounding box of a structure that must not be empty. */
function requireBox(mask: Mask, name: string, operation: string): IndexBox {
  const bb = maskBounds(mask);
  if (bb === undefined) {
    requireNonEmpty(mask, name, operation);
    throw new GeometryError(`${operation}: expected a non-empty structure, found no voxels`, { structure: name });
  }
  return bb;
}

/**
 * Mark (value 1) or clear (value 0) the voxels of `out` on `side` of the structure whose distance
 * to the surface, in units of unitMm, lies in (lower, upper]; lower < 0 means no lower bound.
 */
function applyField(
  out: Uint8Array,
  mask: Mask,
  side: SurfaceSide,
  unitMm: Vec3,
  reachMm: Vec3,
  lower: number,
  upper: number,
  value: 0 | 1,
  name: string,
  bounds: IndexBox,
): void {
  const field = surfaceDistanceField(mask, side, { unitMm, reachMm, name, bounds });
  const { box, size, distance } = field;
  const [nx, ny] = mask.grid.size;
  const hiBound = upper * (1 + MARGIN_RELATIVE_SLACK);
  const loBound = lower < 0 ? -Infinity : lower * (1 + MARGIN_RELATIVE_SLACK);
  for (let k = 0, b = 0; k < size[2]; k++) {
    for (let j = 0; j < size[1]; j++) {
      let g = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
      for (let i = 0; i < size[0]; i++, b++, g++) {
        const d = distance[b]!;
        // NaN (the other side) fails both comparisons.
        if (d <= hiBound && d > loBound) out[g] = value;
      }
    }
  }
}

/** Margin per index axis as (unit lengths, largest margin) for surfaceDistanceField. */
function unitsOf(m: Vec3): { unitMm: Vec3; largestMm: number } {
  const largest = Math.max(m[0], m[1], m[2]);
  return { unitMm: [m[0] / largest, m[1] / largest, m[2] / largest], largestMm: largest };
}

/**
 * The structure grown by a margin (mm). Throws GeometryError for an empty structure, a negative or
 * too-large margin, an anisotropic margin on an oblique grid, and (with clip: 'error') an expansion
 * that would run past the grid. A zero margin returns a copy.
 */
export function expandMask(mask: Mask, margin: Margin, options: MarginOptions = {}): Mask {
  const name = options.name ?? 'mask';
  const m = marginAlongIndexAxesMm(mask.grid, margin, 'expandMask', name);
  const bb = requireBox(mask, name, 'expandMask');
  if (m[0] === 0 && m[1] === 0 && m[2] === 0) return copyMask(mask);
  if ((options.clip ?? 'allow') === 'error') {
    const grid = mask.grid;
    for (let a = 0; a < 3; a++) {
      // Room between the structure's outermost voxel faces and the grid's outer faces.
      const s = grid.spacingMm[a]!;
      const roomLow = bb.lo[a]! * s;
      const roomHigh = (grid.size[a]! - 1 - bb.hi[a]!) * s;
      const room = Math.min(roomLow, roomHigh);
      if (m[a]! > room + 1e-9) {
        throw new GeometryError(
          `expandMask: expected the ${fmt(m[a]!)} mm expansion along ${axisLabel(grid, a)} to stay inside the grid, found only ${fmt(room)} mm between the structure and the grid edge`,
          { structure: name },
        );
      }
    }
  }
  const out = mask.data.slice();
  const { unitMm, largestMm } = unitsOf(m);
  applyField(out, mask, 'outside', unitMm, m, -1, largestMm, 1, name, bb);
  return createMask(mask.grid, out);
}

/**
 * The structure shrunk by a margin (mm): the voxels farther than the margin from its surface.
 * Throws GeometryError for an empty structure or a negative or too-large margin. The grid edge
 * does not count as surface (a structure cut by the edge continues past it). A zero margin returns
 * a copy; a margin larger than the structure returns an empty mask.
 */
export function contractMask(mask: Mask, margin: Margin, options: Pick<MarginOptions, 'name'> = {}): Mask {
  const name = options.name ?? 'mask';
  const m = marginAlongIndexAxesMm(mask.grid, margin, 'contractMask', name);
  const bb = requireBox(mask, name, 'contractMask');
  if (m[0] === 0 && m[1] === 0 && m[2] === 0) return copyMask(mask);
  const out = mask.data.slice();
  const { unitMm, largestMm } = unitsOf(m);
  applyField(out, mask, 'inside', unitMm, m, -1, largestMm, 0, name, bb);
  return createMask(mask.grid, out);
}

/**
 * The shell between innerMm and outerMm from the structure's surface: expandMask(outer) minus
 * expandMask(inner). With innerMm = 0 the ring touches the structure. Requires
 * 0 <= innerMm < outerMm (GeometryError otherwise) and a non-empty structure.
 */
export function ringMask(mask: Mask, innerMm: number, outerMm: number, options: Pick<MarginOptions, 'name'> = {}): Mask {
  const name = options.name ?? 'mask';
  if (!Number.isFinite(innerMm) || !Number.isFinite(outerMm) || innerMm < 0 || !(innerMm < outerMm)) {
    throw new GeometryError(
      `ringMask: expected 0 <= inner < outer (mm), found inner ${fmt(innerMm)} mm and outer ${fmt(outerMm)} mm`,
      { structure: name },
    );
  }
  const m = marginAlongIndexAxesMm(mask.grid, outerMm, 'ringMask', name);
  const bb = requireBox(mask, name, 'ringMask');
  const out = new Uint8Array(mask.data.length);
  applyField(out, mask, 'outside', [1, 1, 1], m, innerMm === 0 ? -1 : innerMm, outerMm, 1, name, bb);
  return createMask(mask.grid, out);
}

export interface CropOptions {
  /** Crop to the body shrunk by this many mm (default 0). */
  readonly insetMm?: number;
  /** Names of the structure and of the body, for error messages. */
  readonly name?: string;
  readonly bodyName?: string;
}

/**
 * The part of a structure inside a body (e.g. a PTV cropped to the external contour), optionally
 * inside the body shrunk by insetMm. Throws GeometryError for different grids or empty inputs.
 */
export function cropToMask(mask: Mask, body: Mask, options: CropOptions = {}): Mask {
  const name = options.name ?? 'mask';
  const bodyName = options.bodyName ?? 'body';
  assertSameGrid(mask.grid, body.grid, `cropToMask (${name} vs ${bodyName})`);
  requireNonEmpty(mask, name, 'cropToMask');
  const inset = options.insetMm ?? 0;
  if (!Number.isFinite(inset) || inset < 0) {
    throw new GeometryError(`cropToMask: expected insetMm >= 0, found ${fmt(inset)} mm`, { structure: bodyName });
  }
  const limit = inset > 0 ? contractMask(body, inset, { name: bodyName }) : body;
  if (inset === 0) requireNonEmpty(body, bodyName, 'cropToMask');
  const a = mask.data;
  const b = limit.data;
  const out = new Uint8Array(a.length);
  for (let g = 0; g < a.length; g++) out[g] = a[g] !== 0 && b[g] !== 0 ? 1 : 0;
  return createMask(mask.grid, out);
}
