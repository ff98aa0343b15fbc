/**
 * Report snapshots: axial, coronal and sagittal slices of the CT through chosen points (the
 * isocentre, the hottest sphere), each the CT in the abdomen window (W 400 / L 40 HU) as an inline
 * PNG, structure outlines in their DICOM colours and isodose lines, as one SVG per view so the
 * report stays one offline file.
 *
 * Inputs: the CT (HU, its grid), the dose (Gy, its own grid: sampled trilinearly at the CT pixel
 * centres, 0 outside), the RTSTRUCT contours (LPS, mm, axial planes), the points (LPS, mm).
 * Slices follow the CT grid's index axes through the voxel nearest the point: axial = fixed k
 * (rows j, columns i), coronal = fixed j (rows k, superior up), sagittal = fixed i (rows k, columns j).
 * Outlines: each structure filled row by row at the CT pixel centres (even-odd rule on the contour
 * plane nearest the row, within half a CT slice), then traced by marching squares at 0.5 (so within
 * half a pixel of the contour). Isodose lines: marching squares of the sampled dose at each level.
 * Pixel coordinates: sample (x, y) is the centre of image pixel x, y (x right, y down); in the SVG
 * (units mm) it lies at ((x + 0.5) * columnMm, (y + 0.5) * rowMm).
 */

import type { Vec3 } from '../../core/vec3.js';
import { indexToLps, lpsToContinuousIndex, type Grid } from '../../geometry/grid.js';
import { isolines } from '../../geometry/isolines.js';
import { interpolateAtIndex, targetToSourceIndexAffine } from '../../geometry/resample.js';
import type { ContourStructure, Rgb } from '../../geometry/structure.js';
import { planeOffset, type PlaneRef, type ScalarVolume, type VolumePlanes } from '../../geometry/volume.js';
import type { PlanEvaluation } from '../plan.js';
import { encodePng } from './png.js';

export type SnapshotView = 'axial' | 'coronal' | 'sagittal';

export interface SnapshotPoint {
  /** Short name used in captions and data attributes, e.g. 'isocentre', 'hottest sphere'. */
  readonly label: string;
  /** Why this point, for the caption (e.g. "the beams' isocentre", "Sphere_2, mean 45.1 Gy"). */
  readonly description: string;
  readonly pointLps: Vec3;
}

export interface IsodoseLevel {
  /** e.g. '100 %', '50 %', 'Rx low 20 Gy'. */
  readonly label: string;
  readonly gy: number;
  readonly colour: string;
}

export interface Snapshot {
  readonly view: SnapshotView;
  readonly point: SnapshotPoint;
  readonly width: number;
  readonly height: number;
  /** Pixel size: along columns (x), along rows (y), mm. */
  readonly columnMm: number;
  readonly rowMm: number;
  /** The CT, abdomen window, greyscale PNG. */
  readonly png: Buffer;
  /** LPS (mm) of the pixel-coordinate point (x, y) (fractional allowed). */
  readonly pixelToLps: (x: number, y: number) => Vec3;
  /** Segments x1, y1, x2, y2 in pixel coordinates. */
  readonly outlines: readonly { readonly name: string; readonly colorRgb: Rgb; readonly segments: readonly number[] }[];
  readonly isodoses: readonly { readonly level: IsodoseLevel; readonly segments: readonly number[] }[];
}

/** Abdomen window (HU). */
export const ABDOMEN_WINDOW = { centreHu: 40, widthHu: 400 } as const;
const FALLBACK_RGB: Rgb = [200, 200, 200];

/** The default isodose levels: 100 %, 50 %, 30 % of the peak (dose maximum) and the low prescription. */
export function isodoseLevels(peakGy: number, lowPrescriptionGy?: number): IsodoseLevel[] {
  const levels: IsodoseLevel[] = [
    { label: '100 %', gy: peakGy, colour: '#ff2020' },
    { label: '50 %', gy: 0.5 * peakGy, colour: '#ffd000' },
    { label: '30 %', gy: 0.3 * peakGy, colour: '#00a0ff' },
  ];
  if (lowPrescriptionGy !== undefined && lowPrescriptionGy > 0) {
    levels.push({ label: `Rx ${Number(lowPrescriptionGy.toFixed(2))} Gy`, gy: lowPrescriptionGy, colour: '#ff40ff' });
  }
  return levels.filter((l) => l.gy > 0);
}

/** How a view's raster maps to the CT index axes. */
interface Layout {
  readonly fixed: 0 | 1 | 2;
  readonly col: 0 | 1;
  readonly row: 1 | 2;
  /** Row y -> index along `row`. */
  readonly rowIndex: (y: number) => number;
}

function layout(view: SnapshotView, grid: Grid): Layout {
  const nz = grid.size[2];
  // superior up: rows run against the k axis when z grows with k
  const zUp = indexToLps(grid, [0, 0, 1])[2] >= indexToLps(grid, [0, 0, 0])[2];
  const kOfRow = (y: number): number => (zUp ? nz - 1 - y : y);
  switch (view) {
    case 'axial':
      return { fixed: 2, col: 0, row: 1, rowIndex: (y) => y };
    case 'coronal':
      return { fixed: 1, col: 0, row: 2, rowIndex: kOfRow };
    case 'sagittal':
      return { fixed: 0, col: 1, row: 2, rowIndex: kOfRow };
  }
}

/**
 * The dose at CT voxel (i, j, k): trilinear at the voxel's position as a continuous index of the dose
 * grid (resample.ts targetToSourceIndexAffine and interpolateAtIndex: no array per pixel, a view has
 * 10^4 - 10^5 pixels); 0 beyond half a voxel outside the dose grid.
 */
export function doseAtCtVoxel(ct: Grid, dose: ScalarVolume): (i: number, j: number, k: number) => number {
  const m = targetToSourceIndexAffine(dose.grid, ct);
  const [nx, ny, nz] = dose.grid.size;
  const data = dose.data;
  return (i, j, k) =>
    interpolateAtIndex(
      data, nx, ny, nz,
      m[0]! * i + m[1]! * j + m[2]! * k + m[3]!,
      m[4]! * i + m[5]! * j + m[6]! * k + m[7]!,
      m[8]! * i + m[9]! * j + m[10]! * k + m[11]!,
      0,
    );
}

/** Closed contours grouped by plane z (mm). */
function planesOf(s: ContourStructure): { z: number; polys: Float64Array[] }[] {
  const byZ = new Map<number, Float64Array[]>();
  for (const c of s.contours) {
    if (c.geometricType !== 'CLOSED_PLANAR' || c.pointsLps.length < 9) continue;
    const z = Math.round(c.pointsLps[2]! * 1000) / 1000;
    const list = byZ.get(z);
    if (list) list.push(c.pointsLps);
    else byZ.set(z, [c.pointsLps]);
  }
  return [...byZ.entries()].map(([z, polys]) => ({ z, polys })).sort((a, b) => a.z - b.z);
}

/** The plane of CT voxels a view through a point shows (the voxels nearest the point along the view's normal). */
function viewPlane(view: SnapshotView, point: SnapshotPoint, grid: Grid): PlaneRef {
  const L = layout(view, grid);
  const ci = lpsToContinuousIndex(grid, point.pointLps);
  return { axis: L.fixed, index: Math.max(0, Math.min(grid.size[L.fixed] - 1, Math.round(ci[L.fixed]))) };
}

/** One snapshot of `view` through `point`. */
export function renderSnapshot(
  view: SnapshotView,
  point: SnapshotPoint,
  ct: VolumePlanes,
  dose: ScalarVolume | undefined,
  structures: readonly ContourStructure[],
  levels: readonly IsodoseLevel[],
): Snapshot {
  const grid = ct.grid;
  const L = layout(view, grid);
  const w = grid.size[L.col];
  const h = grid.size[L.row];
  const fixedIndex = viewPlane(view, point, grid).index;
  const huPlane = ct.plane(L.fixed, fixedIndex);
  const ijk = (x: number, y: number): [number, number, number] => {
    const p: [number, number, number] = [0, 0, 0];
    p[L.fixed] = fixedIndex;
    p[L.col] = x;
    p[L.row] = L.rowIndex(y);
    return p;
  };
  const pixelToLps = (x: number, y: number): Vec3 => {
    const p = indexToLps(grid, ijk(x, y));
    return [p[0], p[1], p[2]];
  };

  // CT in the abdomen window, and the dose at the same pixel centres
  const grey = new Uint8Array(w * h);
  const doseField = new Float32Array(w * h);
  const lo = ABDOMEN_WINDOW.centreHu - ABDOMEN_WINDOW.widthHu / 2;
  const doseAt = dose !== undefined ? doseAtCtVoxel(grid, dose) : undefined;
  const at: [number, number, number] = [0, 0, 0]; // ijk(x, y), without an array per pixel
  at[L.fixed] = fixedIndex;
  for (let y = 0; y < h; y++) {
    at[L.row] = L.rowIndex(y);
    for (let x = 0; x < w; x++) {
      at[L.col] = x;
      const i = at[0], j = at[1], k = at[2];
      const hu = huPlane[planeOffset(grid, L.fixed, i, j, k)]!;
      grey[x + w * y] = Math.max(0, Math.min(255, Math.round((255 * (hu - lo)) / ABDOMEN_WINDOW.widthHu)));
      if (doseAt !== undefined) doseField[x + w * y] = doseAt(i, j, k);
    }
  }

  // outlines: even-odd fill row by row on the nearest contour plane, traced at 0.5
  const halfSliceMm = grid.spacingMm[2] / 2 + 1e-3;
  const fill = new Float32Array(w * h); // one buffer for every structure's fill (fresh memory is slow to touch)
  const outlines = structures.map((s) => {
    const planes = planesOf(s);
    fill.fill(0);
    if (planes.length > 0) {
      for (let y = 0; y < h; y++) {
        const p0 = pixelToLps(0, y);
        const p1 = pixelToLps(1, y);
        const z = p0[2];
        let best: { z: number; polys: Float64Array[] } | undefined;
        for (const pl of planes) if (Math.abs(pl.z - z) <= halfSliceMm && (best === undefined || Math.abs(pl.z - z) < Math.abs(best.z - z))) best = pl;
        if (best === undefined) continue;
        const dx = p1[0] - p0[0], dy = p1[1] - p0[1];
        const d2 = dx * dx + dy * dy;
        const cross: number[] = [];
        for (const poly of best.polys) {
          const n = poly.length / 3;
          for (let a = 0; a < n; a++) {
            const b = (a + 1) % n;
            const ax = poly[3 * a]! - p0[0], ay = poly[3 * a + 1]! - p0[1];
            const bx = poly[3 * b]! - p0[0], by = poly[3 * b + 1]! - p0[1];
            const sa = -dy * ax + dx * ay, sb = -dy * bx + dx * by; // signed distance from the row line
            if (sa > 0 === sb > 0) continue;
            const t = sa / (sa - sb);
            cross.push(((ax + t * (bx - ax)) * dx + (ay + t * (by - ay)) * dy) / d2);
          }
        }
        cross.sort((a, b) => a - b);
        for (let c = 0; c + 1 < cross.length; c += 2) {
          const from = Math.max(0, Math.ceil(cross[c]!)), to = Math.min(w - 1, Math.floor(cross[c + 1]!));
          for (let x = from; x <= to; x++) fill[x + w * y] = 1;
        }
      }
    }
    return { name: s.name, colorRgb: s.colorRgb ?? FALLBACK_RGB, segments: isolines(fill, w, h, 0.5) };
  }).filter((o) => o.segments.length > 0);

  const isodoses = dose === undefined ? [] : levels.map((level) => ({ level, segments: isolines(doseField, w, h, level.gy) }));
  return {
    view,
    point,
    width: w,
    height: h,
    columnMm: grid.spacingMm[L.col],
    rowMm: grid.spacingMm[L.row],
    png: encodePng(w, h, grey, 1),
    pixelToLps,
    outlines,
    isodoses,
  };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const rgb = (c: Rgb): string => `rgb(${c[0]},${c[1]},${c[2]})`;

/** Marching-squares segments joined into polylines: neighbouring cells compute a shared edge point
 * from the same two samples, so joined ends are equal numbers. Each polyline: x, y, x, y, ... */
export function chainSegments(segments: readonly number[]): number[][] {
  const key = (x: number, y: number): string => `${x},${y}`;
  const n = segments.length / 4;
  const ends = new Map<string, number[]>(); // point -> segments touching it
  for (let s = 0; s < n; s++) {
    for (const e of [0, 2]) {
      const k = key(segments[4 * s + e]!, segments[4 * s + e + 1]!);
      const list = ends.get(k);
      if (list) list.push(s);
      else ends.set(k, [s]);
    }
  }
  const used = new Uint8Array(n);
  const next = (x: number, y: number): number | undefined => ends.get(key(x, y))?.find((t) => used[t] === 0);
  const lines: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (used[s]) continue;
    used[s] = 1;
    const line = [segments[4 * s]!, segments[4 * s + 1]!, segments[4 * s + 2]!, segments[4 * s + 3]!];
    // extend forwards from the last point, then backwards from the first
    for (const forward of [true, false]) {
      for (;;) {
        const x = forward ? line[line.length - 2]! : line[0]!, y = forward ? line[line.length - 1]! : line[1]!;
        const t = next(x, y);
        if (t === undefined) break;
        used[t] = 1;
        const sx = segments[4 * t]!, sy = segments[4 * t + 1]!;
        const [ox, oy] = sx === x && sy === y ? [segments[4 * t + 2]!, segments[4 * t + 3]!] : [sx, sy];
        if (forward) line.push(ox, oy);
        else line.unshift(ox, oy);
      }
    }
    lines.push(line);
  }
  return lines;
}

/** Segments as an SVG path in mm (pixel centres at +0.5), joined into polylines, 0.01 mm. */
function pathOf(segments: readonly number[], su: number, sv: number): string {
  const f = (v: number): string => Number(v.toFixed(2)).toString();
  return chainSegments(segments)
    .map((l) => {
      const pts: string[] = [];
      for (let i = 0; i + 1 < l.length; i += 2) pts.push(`${i === 0 ? 'M' : 'L'}${f((l[i]! + 0.5) * su)} ${f((l[i + 1]! + 0.5) * sv)}`);
      return pts.join('');
    })
    .join('');
}

/** One snapshot as an inline SVG (units mm) inside a figure with its caption. */
export function snapshotFigure(s: Snapshot): string {
  const W = s.width * s.columnMm, H = s.height * s.rowMm;
  const p = s.point.pointLps;
  const paths = [
    ...s.outlines.map((o) => `<path class="outline" data-structure="${esc(o.name)}" fill="none" stroke="${rgb(o.colorRgb)}" stroke-width="1.2" vector-effect="non-scaling-stroke" d="${pathOf(o.segments, s.columnMm, s.rowMm)}"/>`),
    ...s.isodoses
      .filter((i) => i.segments.length > 0)
      .map((i) => `<path class="isodose" data-level="${esc(i.level.label)}" data-gy="${i.level.gy}" fill="none" stroke="${i.level.colour}" stroke-width="1.5" vector-effect="non-scaling-stroke" d="${pathOf(i.segments, s.columnMm, s.rowMm)}"/>`),
  ];
  const uri = `data:image/png;base64,${s.png.toString('base64')}`;
  return `<figure class="snapshot" data-view="${s.view}" data-through="${esc(s.point.label)}">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${Number(W.toFixed(3))} ${Number(H.toFixed(3))}" width="100%" role="img" aria-label="${s.view} slice through the ${esc(s.point.label)}">
<image x="0" y="0" width="${Number(W.toFixed(3))}" height="${Number(H.toFixed(3))}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${uri}"/>
${paths.join('\n')}
</svg>
<figcaption>${s.view[0]!.toUpperCase()}${s.view.slice(1)} through the ${esc(s.point.label)} (${esc(s.point.description)}; LPS ${p.map((v) => v.toFixed(1)).join(', ')} mm)</figcaption>
</figure>`;
}

/** The snapshots section of report.html: `notes` explain the choice of points (or why there are none). */
export function snapshotsSection(snapshots: readonly Snapshot[], levels: readonly IsodoseLevel[], notes: readonly string[]): string {
  const legend = levels.map((l) => `<span style="border-bottom:3px solid ${l.colour};margin-right:12px">${esc(l.label)} (${l.gy.toFixed(2)} Gy)</span>`).join('');
  const body = snapshots.length > 0 ? `<div class="snapshots">\n${snapshots.map(snapshotFigure).join('\n')}\n</div>` : '';
  return `<h2>Snapshots</h2>
${notes.length > 0 ? `<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${snapshots.length > 0 ? `<p>CT: abdomen window (W ${ABDOMEN_WINDOW.widthHu} / L ${ABDOMEN_WINDOW.centreHu} HU); structures in their DICOM colours; isodose lines: ${legend}</p>` : ''}
${body}`;
}

/** The three views through each point. */
export function renderSnapshots(
  points: readonly SnapshotPoint[],
  ct: VolumePlanes,
  dose: ScalarVolume | undefined,
  structures: readonly ContourStructure[],
  levels: readonly IsodoseLevel[],
): Snapshot[] {
  const views: SnapshotView[] = ['axial', 'coronal', 'sagittal'];
  ct.prepare?.(points.flatMap((p) => views.map((v) => viewPlane(v, p, ct.grid))));
  return points.flatMap((p) => views.map((v) => renderSnapshot(v, p, ct, dose, structures, levels)));
}

/** Centre of a structure's closed contours: the middle of their bounding box (LPS, mm). */
export function contourBoxCentre(s: ContourStructure): Vec3 | undefined {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (const c of s.contours) {
    for (let p = 0; p + 2 < c.pointsLps.length; p += 3) {
      for (let a = 0; a < 3; a++) {
        lo[a] = Math.min(lo[a]!, c.pointsLps[p + a]!);
        hi[a] = Math.max(hi[a]!, c.pointsLps[p + a]!);
      }
    }
  }
  if (!Number.isFinite(lo[0]!)) return undefined;
  return [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2, (lo[2]! + hi[2]!) / 2];
}

/** The dose maximum's voxel centre (LPS, mm). */
function doseMaximum(dose: ScalarVolume): { readonly pointLps: Vec3; readonly gy: number } {
  let best = 0, gy = -Infinity;
  for (let i = 0; i < dose.data.length; i++) if (dose.data[i]! > gy) (gy = dose.data[i]!), (best = i);
  const [nx, ny] = dose.grid.size;
  const p = indexToLps(dose.grid, [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))]);
  return { pointLps: [p[0], p[1], p[2]], gy };
}

export interface EvaluationSnapshotInput {
  /** The CT in HU, as the views read it (volumePlanes of a volume in memory, or ct.ts readCtPlanes of
   * the files); undefined (RTSTRUCT + RTDOSE only): no snapshots, a note says so. */
  readonly ct?: VolumePlanes;
  /** The evaluated (planned total) dose, Gy. */
  readonly dose: ScalarVolume;
  readonly structures: readonly ContourStructure[];
  /** The beams' isocentre (a plan); without it the primary target's centre, else the dose maximum. */
  readonly isocentreLps?: Vec3;
  /** Structure names evaluated as the lattice spheres with their planned mean dose (Gy). */
  readonly spheres?: readonly { readonly name: string; readonly meanGy: number }[];
  /** The primary target, when known (a prescription's target, the SFRT GTV). */
  readonly primaryTarget?: string;
  /** The low prescription (Gy, planned total), drawn as an isodose line when given. */
  readonly lowPrescriptionGy?: number;
}

/** The points, isodose levels and snapshots of a report, and the notes saying how they were chosen. */
export function evaluationSnapshots(input: EvaluationSnapshotInput): { readonly snapshots: Snapshot[]; readonly levels: IsodoseLevel[]; readonly notes: string[] } {
  const max = doseMaximum(input.dose);
  const levels = isodoseLevels(max.gy, input.lowPrescriptionGy);
  if (input.ct === undefined) {
    return { snapshots: [], levels, notes: ['Snapshots skipped: no CT in the case (RTSTRUCT + RTDOSE only); they need the CT images.'] };
  }
  const notes: string[] = [`Isodose levels are percentages of the dose maximum, ${max.gy.toFixed(2)} Gy.`];
  const points: SnapshotPoint[] = [];
  const byName = (n: string): ContourStructure | undefined => input.structures.find((s) => s.name === n);
  if (input.isocentreLps !== undefined) {
    points.push({ label: 'isocentre', description: "the beams' isocentre", pointLps: input.isocentreLps });
  } else {
    const sphereNames = new Set((input.spheres ?? []).map((s) => s.name));
    const target =
      (input.primaryTarget !== undefined ? byName(input.primaryTarget) : undefined) ??
      ['PTV', 'CTV', 'GTV'].map((t) => input.structures.find((s) => s.interpretedType === t && !sphereNames.has(s.name))).find((s) => s !== undefined);
    const centre = target !== undefined ? contourBoxCentre(target) : undefined;
    if (target !== undefined && centre !== undefined) {
      points.push({ label: 'target centre', description: `centre of the primary target ${target.name}`, pointLps: centre });
      notes.push(`No beam isocentre is known: the first views go through the centre of the primary target "${target.name}" (the middle of its contours' bounding box).`);
    } else {
      points.push({ label: 'dose maximum', description: `dose maximum, ${max.gy.toFixed(2)} Gy`, pointLps: max.pointLps });
      notes.push('No beam isocentre and no target are known: the first views go through the dose maximum.');
    }
  }
  const hottest = [...(input.spheres ?? [])].sort((a, b) => b.meanGy - a.meanGy)[0];
  const hottestStructure = hottest !== undefined ? byName(hottest.name) : undefined;
  const hottestCentre = hottestStructure !== undefined ? contourBoxCentre(hottestStructure) : undefined;
  if (hottest !== undefined && hottestCentre !== undefined) {
    points.push({ label: 'hottest sphere', description: `${hottest.name}, mean ${hottest.meanGy.toFixed(2)} Gy, the highest of the spheres`, pointLps: hottestCentre });
  } else {
    notes.push('No lattice spheres evaluated: no views through the hottest sphere.');
  }
  return { snapshots: renderSnapshots(points, input.ct, input.dose, input.structures, levels), levels, notes };
}

/** The snapshots section of a report (evaluationSnapshots, then snapshotsSection). */
export function evaluationSnapshotsSection(input: EvaluationSnapshotInput): string {
  const r = evaluationSnapshots(input);
  return snapshotsSection(r.snapshots, r.levels, r.notes);
}

/** What an evaluation says about the snapshots: the spheres with their planned mean, the primary
 * target (the first prescribed target, else the SFRT GTV) and the low prescription. */
export function snapshotFactsOf(ev: PlanEvaluation): Pick<EvaluationSnapshotInput, 'spheres' | 'primaryTarget' | 'lowPrescriptionGy'> {
  const spheres = ev.sfrt?.planned.physical.perSphere.map((p) => ({ name: p.name, meanGy: p.meanGy })) ?? [];
  const primaryTarget = ev.conformity?.[0]?.structure ?? ev.sfrt?.gtv;
  const rx = (ev.conformity ?? []).map((c) => c.prescriptionGy).filter((g) => g > 0);
  return {
    spheres,
    ...(primaryTarget !== undefined ? { primaryTarget } : {}),
    ...(rx.length > 0 ? { lowPrescriptionGy: Math.min(...rx) } : {}),
  };
}
