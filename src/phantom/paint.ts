/**
 * Voxelisation of implicit shapes into a label map, by priority.
 *
 * Input: a label canvas (an axis-aligned grid, a Uint8Array of labels in x-fastest order, and the
 * offset from patient LPS coordinates to the anatomy frame the shapes are written in, mm), a shape
 * (shapes.ts) and a label. A voxel takes the label when its *centre* is inside the shape
 * (f(centre) <= 0) and when the voxel's current label may be overwritten (a 256-entry table). Only
 * the voxels in the shape's bounding box are visited.
 *
 * Labels carry their priority in their value (labels.ts), so that where two shapes overlap the
 * higher-priority organ keeps the voxel, whatever the painting order: structures never overlap.
 */

import { GeometryError } from '../core/errors.js';
import { IDENTITY3, type Vec3 } from '../core/vec3.js';
import type { Grid } from '../geometry/grid.js';
import type { Shape } from './shapes.js';

export interface LabelCanvas {
  readonly grid: Grid;
  readonly labels: Uint8Array;
  /** Anatomy-frame position (mm) of the centre of voxel (0, 0, 0). */
  readonly firstCentreMm: Vec3;
}

/** A canvas over `grid`, whose patient position p maps to anatomy position p + offsetMm. */
export function createCanvas(grid: Grid, offsetMm: Vec3): LabelCanvas {
  for (let e = 0; e < 9; e++) {
    if (grid.direction[e] !== IDENTITY3[e]) {
      throw new GeometryError('phantom canvas: expected a grid with identity direction cosines');
    }
  }
  const [nx, ny, nz] = grid.size;
  const o = grid.originMm;
  return {
    grid,
    labels: new Uint8Array(nx * ny * nz),
    firstCentreMm: [o[0] + offsetMm[0], o[1] + offsetMm[1], o[2] + offsetMm[2]],
  };
}

/** Inclusive index range along axis a of the voxel centres in [lo, hi] (anatomy mm). */
function indexRange(canvas: LabelCanvas, a: number, lo: number, hi: number): [number, number] {
  const s = canvas.grid.spacingMm[a]!;
  const c0 = canvas.firstCentreMm[a]!;
  const first = Math.max(0, Math.ceil((lo - c0) / s - 1e-9));
  const last = Math.min(canvas.grid.size[a]! - 1, Math.floor((hi - c0) / s + 1e-9));
  return [first, last];
}

/** Inclusive index box [i0, i1, j0, j1, k0, k1] of the voxel centres in a shape's bounding box
 * (empty along an axis when first > last). */
export function shapeIndexBox(canvas: LabelCanvas, shape: Shape): [number, number, number, number, number, number] {
  const [i0, i1] = indexRange(canvas, 0, shape.min[0], shape.max[0]);
  const [j0, j1] = indexRange(canvas, 1, shape.min[1], shape.max[1]);
  const [k0, k1] = indexRange(canvas, 2, shape.min[2], shape.max[2]);
  return [i0, i1, j0, j1, k0, k1];
}

/** Table of the labels that `label` may overwrite: those listed. */
export function overwriteTable(labels: readonly number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const l of labels) t[l] = 1;
  return t;
}

/**
 * Paint `shape` with `label` where allowed. Returns the number of voxels painted.
 *
 * When the shape has row bounds (shapes.ts), each row is cut to its outer interval and the voxels in
 * its inner interval are decided without evaluating f (by the residual clip test alone, if any):
 * the same voxels as testing every centre in the box, since the bounds hold with a margin far above
 * floating-point rounding.
 */
export function paintShape(canvas: LabelCanvas, shape: Shape, label: number, overwritable: Uint8Array): number {
  const [nx, ny] = canvas.grid.size;
  const [sx, sy, sz] = canvas.grid.spacingMm;
  const [x0, y0, z0] = canvas.firstCentreMm;
  const [i0, i1, j0, j1, k0, k1] = shapeIndexBox(canvas, shape);
  const labels = canvas.labels;
  const f = shape.f;
  const rows = shape.rows;
  const residual = rows?.residual;
  const span = new Float64Array(2);
  let painted = 0;
  for (let k = k0; k <= k1; k++) {
    const z = z0 + k * sz;
    for (let j = j0; j <= j1; j++) {
      const y = y0 + j * sy;
      const row = nx * (j + ny * k);
      let a = i0;
      let b = i1;
      // Voxels a .. b may be inside; in c .. d (empty when c > d) f <= 0 holds, so only the residual
      // clip, if any, is left to test.
      let c = 1;
      let d = 0;
      if (rows !== undefined) {
        rows.outer(y, z, 0, span);
        if (!(span[0]! <= span[1]!)) continue;
        a = Math.max(a, Math.ceil((span[0]! - x0) / sx - 1e-9));
        b = Math.min(b, Math.floor((span[1]! - x0) / sx + 1e-9));
        rows.inner(y, z, 0, span);
        if (span[0]! <= span[1]!) {
          c = Math.ceil((span[0]! - x0) / sx + 1e-9);
          d = Math.floor((span[1]! - x0) / sx - 1e-9);
        }
      }
      for (let i = a; i <= b; i++) {
        const p = row + i;
        const current = labels[p]!;
        if (current === label || overwritable[current] === 0) continue;
        const x = x0 + i * sx;
        const inside =
          i >= c && i <= d ? residual === undefined || residual(x, y, z) <= 0 : f(x, y, z) <= 0;
        if (inside) {
          labels[p] = label;
          painted++;
        }
      }
    }
  }
  return painted;
}

/** Paint every shape of a list (a tube's capsules, say) with the same label. */
export function paintShapes(
  canvas: LabelCanvas,
  shapes: readonly Shape[],
  label: number,
  overwritable: Uint8Array,
): number {
  let painted = 0;
  for (const s of shapes) painted += paintShape(canvas, s, label, overwritable);
  return painted;
}

/**
 * Paint, slice by slice and row by row, a cross-section centred on x = 0 (anatomy frame): `halfWidth(y, z)`
 * returns the half-width in x of the section at that row (or a negative number to skip the row).
 * Much faster than an implicit test for the body outline and its layers.
 */
export function paintRows(
  canvas: LabelCanvas,
  halfWidth: (y: number, z: number) => number,
  label: number,
  overwritable: Uint8Array,
): number {
  const [nx, ny, nz] = canvas.grid.size;
  const sy = canvas.grid.spacingMm[1];
  const sz = canvas.grid.spacingMm[2];
  const y0 = canvas.firstCentreMm[1];
  const z0 = canvas.firstCentreMm[2];
  const labels = canvas.labels;
  let painted = 0;
  for (let k = 0; k < nz; k++) {
    const z = z0 + k * sz;
    for (let j = 0; j < ny; j++) {
      const h = halfWidth(y0 + j * sy, z);
      if (!(h >= 0)) continue;
      const [i0, i1] = indexRange(canvas, 0, -h, h);
      const row = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) {
        const p = row + i;
        if (labels[p] !== label && overwritable[labels[p]!] === 1) {
          labels[p] = label;
          painted++;
        }
      }
    }
  }
  return painted;
}
