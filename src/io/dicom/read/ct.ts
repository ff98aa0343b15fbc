/**
 * CT image series -> CtSeries (HU volume on the CT grid), PS3.3 A.3 (CT Image IOD), C.7.6.2
 * (Image Plane), C.8.2.1 (CT Image: RescaleSlope / RescaleIntercept).
 *
 * Input: the files of one series (single-frame CT slices, any order, any supported transfer syntax).
 * Output: slices ordered along the slice normal n = row cosines x column cosines; the grid has
 * origin = ImagePositionPatient of the first slice (the centre of voxel 0), direction columns
 * (row cosines, column cosines, n), spacing (PixelSpacing[1], PixelSpacing[0], slice gap) in mm.
 *
 * HU = stored value x RescaleSlope + RescaleIntercept, per slice; both are required (no default).
 * Refused with a DicomError naming the files: mixed series, frames of reference, orientations or
 * matrix sizes; duplicate slice positions; uneven slice gaps (beyond max(0.01 mm, 1 %)); gantry-
 * tilted series (ImagePositionPatient stepping across the slice plane, not along n).
 */

import { DicomError, fmt } from '../../../core/errors.js';
import { dot, sub, type Vec3 } from '../../../core/vec3.js';
import type { Grid } from '../../../geometry/grid.js';
import { createScalarVolume, type PlaneRef, type VolumePlanes } from '../../../geometry/volume.js';
import type { CtSeries, CtSeriesGeometry, CtSlice } from '../model.js';
import { TAGS, tagLabel } from '../tags.js';
import { readIdentity, requireModality } from './identity.js';
import { imageStackGrid, readOrientation, readPixelSpacing, readPosition, sameOrientation, type ImagePlaneOrientation } from './image-plane.js';
import { parseDicom, type ParsedDicom } from './parse.js';
import { assertDecodable, convertStored, readPixelLayout, storedPixels, type StoredPixels } from './pixels.js';
import { readHeader } from './scan.js';
import { inputName, loadInput, loadInputReusing, type DicomInput } from './source.js';

/** Slice gaps may differ by max(this, SPACING_RELATIVE_TOLERANCE x gap). */
export const SPACING_ABSOLUTE_TOLERANCE_MM = 0.01;
export const SPACING_RELATIVE_TOLERANCE = 0.01;

interface SliceHeader {
  readonly parsed: ParsedDicom;
  readonly file: string;
  readonly position: Vec3;
  readonly orientation: ImagePlaneOrientation;
  readonly spacing: { readonly alongIMm: number; readonly alongJMm: number };
  readonly rows: number;
  readonly columns: number;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
}

function sliceHeader(parsed: ParsedDicom): SliceHeader {
  assertDecodable(parsed);
  const ds = parsed.dataset;
  requireModality(ds, 'CT', 'a CT image');
  const frames = ds.integer('NumberOfFrames') ?? 1;
  if (frames !== 1) {
    throw ds.error(`expected single-frame CT slices, found ${frames} frames (enhanced multi-frame CT is not read)`, 'NumberOfFrames');
  }
  return {
    parsed,
    file: parsed.file,
    position: readPosition(ds),
    orientation: readOrientation(ds),
    spacing: readPixelSpacing(ds),
    rows: ds.requireInteger('Rows'),
    columns: ds.requireInteger('Columns'),
    sopInstanceUid: ds.requireString('SOPInstanceUID'),
    seriesInstanceUid: ds.requireString('SeriesInstanceUID'),
    frameOfReferenceUid: ds.requireString('FrameOfReferenceUID'),
  };
}

/**
 * Slices of one series naming several frames of reference (e.g. one corrupted FrameOfReferenceUID):
 * a DicomError saying which slices hold which UID and what to do.
 */
function checkOneFrame(slices: readonly SliceHeader[]): void {
  const byFrame = new Map<string, SliceHeader[]>();
  for (const s of slices) {
    const list = byFrame.get(s.frameOfReferenceUid);
    if (list === undefined) byFrame.set(s.frameOfReferenceUid, [s]);
    else list.push(s);
  }
  if (byFrame.size < 2) return;
  const groups = [...byFrame.entries()].sort((x, y) => y[1].length - x[1].length);
  const describe = ([uid, list]: [string, SliceHeader[]]): string => {
    const files = list.slice(0, 3).map((s) => s.file).join(', ') + (list.length > 3 ? `, ... (${list.length - 3} more)` : '');
    return `${uid} (${list.length} slice${list.length === 1 ? '' : 's'}: ${files})`;
  };
  const minority = groups.slice(1);
  throw new DicomError(
    `the slices of series ${slices[0]!.seriesInstanceUid} name ${groups.length} frames of reference: ${groups.map(describe).join('; ')}. ` +
      `One series has one frame of reference: repair the FrameOfReferenceUID of the ${minority.reduce((n, g) => n + g[1].length, 0)} ` +
      `slice(s) outside ${groups[0]![0]} (or remove them), or keep each frame's slices in a folder of their own`,
    { file: minority[0]![1][0]!.file, tag: tagLabel('FrameOfReferenceUID') },
  );
}

/** Every slice must match the first in series, frame of reference, orientation, size and spacing. */
function checkConsistent(slices: readonly SliceHeader[]): void {
  if (slices.every((s) => s.seriesInstanceUid === slices[0]!.seriesInstanceUid)) checkOneFrame(slices);
  const a = slices[0]!;
  for (const b of slices.slice(1)) {
    const both = `${a.file} and ${b.file}`;
    if (b.seriesInstanceUid !== a.seriesInstanceUid) {
      throw new DicomError(`slices of different series (${a.seriesInstanceUid} vs ${b.seriesInstanceUid}) given as one CT series: ${both}`, {
        file: b.file,
        tag: tagLabel('SeriesInstanceUID'),
      });
    }
    if (b.frameOfReferenceUid !== a.frameOfReferenceUid) {
      throw new DicomError(`slices in different frames of reference: ${both}`, { file: b.file, tag: tagLabel('FrameOfReferenceUID') });
    }
    if (!sameOrientation(a.orientation, b.orientation)) {
      throw new DicomError(`slices with different orientations: ${both}`, { file: b.file, tag: tagLabel('ImageOrientationPatient') });
    }
    if (a.rows !== b.rows || a.columns !== b.columns) {
      throw new DicomError(`slices of different sizes (${a.rows} x ${a.columns} vs ${b.rows} x ${b.columns}): ${both}`, {
        file: b.file,
        tag: tagLabel('Rows'),
      });
    }
    const ds = Math.max(Math.abs(a.spacing.alongIMm - b.spacing.alongIMm), Math.abs(a.spacing.alongJMm - b.spacing.alongJMm));
    if (ds > 1e-4 * Math.max(a.spacing.alongIMm, a.spacing.alongJMm)) {
      throw new DicomError(`slices with different pixel spacings: ${both}`, { file: b.file, tag: tagLabel('PixelSpacing') });
    }
  }
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Slices sorted along the normal, checked for duplicates, even gaps and tilt; returns the gap. */
function orderSlices(slices: readonly SliceHeader[]): { ordered: SliceHeader[]; positions: number[]; gapMm: number | undefined } {
  const n = slices[0]!.orientation.normal;
  const withPos = slices.map((s) => ({ s, p: dot(s.position, n) }));
  withPos.sort((x, y) => x.p - y.p);
  const ordered = withPos.map((x) => x.s);
  const positions = withPos.map((x) => x.p);
  if (ordered.length === 1) return { ordered, positions, gapMm: undefined };
  const gaps = positions.slice(1).map((p, k) => p - positions[k]!);
  gaps.forEach((g, k) => {
    if (g <= SPACING_ABSOLUTE_TOLERANCE_MM) {
      throw new DicomError(
        `duplicate slice position ${fmt(positions[k]!)} mm along the slice normal: ${ordered[k]!.file} and ${ordered[k + 1]!.file}`,
        { file: ordered[k + 1]!.file, tag: tagLabel('ImagePositionPatient') },
      );
    }
  });
  const ref = median(gaps);
  const tol = Math.max(SPACING_ABSOLUTE_TOLERANCE_MM, SPACING_RELATIVE_TOLERANCE * ref);
  const bad = gaps.findIndex((g) => Math.abs(g - ref) > tol);
  if (bad >= 0) {
    const counts = new Map<string, number>();
    for (const g of gaps) counts.set(fmt(g), (counts.get(fmt(g)) ?? 0) + 1);
    const summary = [...counts].map(([g, c]) => `${g} mm (${c}x)`).join(', ');
    throw new DicomError(
      `uneven slice spacing: slices ${bad} (${ordered[bad]!.file}) and ${bad + 1} (${ordered[bad + 1]!.file}) are ` +
        `${fmt(gaps[bad]!)} mm apart, the median gap is ${fmt(ref)} mm (tolerance ${fmt(tol)} mm); gaps found: ${summary}. ` +
        'A slice may be missing; lattice-rt needs evenly spaced slices',
      { file: ordered[bad + 1]!.file, tag: tagLabel('ImagePositionPatient') },
    );
  }
  for (let k = 0; k + 1 < ordered.length; k++) {
    const d = sub(ordered[k + 1]!.position, ordered[k]!.position);
    const along = dot(d, n);
    const across = Math.hypot(d[0] - along * n[0], d[1] - along * n[1], d[2] - along * n[2]);
    if (across > Math.max(SPACING_ABSOLUTE_TOLERANCE_MM, SPACING_RELATIVE_TOLERANCE * Math.abs(along))) {
      const tiltDeg = (Math.atan2(across, Math.abs(along)) * 180) / Math.PI;
      throw new DicomError(
        `gantry-tilted series: from slice ${k} (${ordered[k]!.file}) to slice ${k + 1} (${ordered[k + 1]!.file}) ` +
          `ImagePositionPatient moves ${fmt(along)} mm along the slice normal and ${fmt(across)} mm within the ` +
          `slice plane (tilt about ${fmt(tiltDeg)} degrees); lattice-rt needs slices stacked along their normal: ` +
          'resample the series to an untilted grid first',
        { file: ordered[k + 1]!.file, tag: tagLabel('ImagePositionPatient') },
      );
    }
  }
  return { ordered, positions, gapMm: (positions[positions.length - 1]! - positions[0]!) / (positions.length - 1) };
}

function singleSliceGap(s: SliceHeader): number {
  const ds = s.parsed.dataset;
  const between = ds.number('SpacingBetweenSlices');
  if (between !== undefined && between > 0) return between;
  const thickness = ds.number('SliceThickness');
  if (thickness !== undefined && thickness > 0) return thickness;
  throw ds.error(
    'a single-slice series needs (0018,0088) SpacingBetweenSlices or (0018,0050) SliceThickness for its slice spacing',
    'SliceThickness',
  );
}

interface CtGeometry {
  readonly grid: Grid;
  readonly ordered: readonly SliceHeader[];
  readonly slices: readonly CtSlice[];
}

function geometry(headers: readonly SliceHeader[]): CtGeometry {
  checkConsistent(headers);
  const { ordered, positions, gapMm } = orderSlices(headers);
  const first = ordered[0]!;
  const o = first.orientation;
  const grid = imageStackGrid(
    {
      columns: first.columns,
      rows: first.rows,
      planes: ordered.length,
      spacing: first.spacing,
      stepMm: gapMm ?? singleSliceGap(first),
      position: first.position,
      row: o.row,
      column: o.column,
      kAxis: o.normal,
    },
    'CT',
    first.file,
  );
  const slices = ordered.map((s, k) => ({ sopInstanceUid: s.sopInstanceUid, positionMm: positions[k]!, k, file: s.file }));
  return { grid, ordered, slices };
}

function requireFiles(files: readonly DicomInput[]): void {
  if (files.length === 0) throw new DicomError('no files given for the CT series');
}

/** A slice's rescale to HU. Type 1 in the CT Image module: without it stored values are not HU, so no default is assumed. */
function rescaleOf(ds: ParsedDicom['dataset']): { slope: number; intercept: number } {
  const slope = ds.requireNumber('RescaleSlope');
  const intercept = ds.requireNumber('RescaleIntercept');
  if (slope === 0) throw ds.error('RescaleSlope is 0: every HU value would be the intercept', 'RescaleSlope');
  return { slope, intercept };
}

/** Read a CT series: HU volume (rescale applied) on the grid the slices define. */
export function readCtSeries(files: readonly DicomInput[]): CtSeries {
  requireFiles(files);
  const headers = files.map((f) => sliceHeader(parseDicom(loadInput(f))));
  const { grid, ordered, slices } = geometry(headers);
  const perSlice: { stored: StoredPixels; slope: number; intercept: number }[] = ordered.map((s) => {
    const ds = s.parsed.dataset;
    return { stored: storedPixels(s.parsed, readPixelLayout(ds, 1)), ...rescaleOf(ds) };
  });
  const sliceValues = grid.size[0] * grid.size[1];
  const hu = new Float32Array(sliceValues * grid.size[2]);
  perSlice.forEach((p, k) => convertStored(p.stored, p.slope, p.intercept, hu, k * sliceValues));
  const first = ordered[0]!;
  const patientPosition = first.parsed.dataset.string('PatientPosition');
  return {
    ...readIdentity(first.parsed.dataset, first.frameOfReferenceUid),
    modality: 'CT',
    ...(patientPosition !== undefined && patientPosition !== '' ? { patientPosition } : {}),
    hu: createScalarVolume(grid, hu),
    slices,
  };
}

/** The stored values of a slice's row (axis 1) or column (axis 0) `index`, as a one-line StoredPixels. */
function storedLine(stored: StoredPixels, axis: 0 | 1, index: number): StoredPixels {
  const { columns, rows, bitsAllocated } = stored.layout;
  const b = bitsAllocated / 8;
  if (axis === 1) {
    return { ...stored, layout: { ...stored.layout, rows: 1 }, bytes: stored.bytes.subarray(index * columns * b, (index + 1) * columns * b) };
  }
  const bytes = new Uint8Array(rows * b);
  for (let j = 0; j < rows; j++) bytes.set(stored.bytes.subarray((j * columns + index) * b, (j * columns + index + 1) * b), j * b);
  return { ...stored, layout: { ...stored.layout, columns: 1 }, bytes };
}

/**
 * The HU planes of a CT series (VolumePlanes) read from its files only as far as the planes asked for
 * need: the grid from the headers (as readCtGeometry), then, for the planes prepared together, each
 * slice that holds part of them read and converted once (one slice's values at a time), as readCtSeries
 * converts it. What a report's snapshots read: one axial plane, one row and one column of each slice,
 * for each view point, where readCtSeries makes the whole HU volume (96 MB for a 512 x 512 x 92 CT).
 * Throws DicomError as readCtSeries does, when a plane is first read. `geometry`: the series' geometry
 * when already read from these files' headers (readCtGeometry's), else it is read here.
 */
export function readCtPlanes(files: readonly DicomInput[], geometry?: CtSeriesGeometry): VolumePlanes {
  const geometry0 = geometry ?? readCtGeometry(files);
  const grid = geometry0.grid;
  const [nx, ny, nz] = grid.size;
  const byName = new Map(files.map((f) => [inputName(f), f]));
  const fileOfSlice = geometry0.slices.map((s) => byName.get(s.file!)!);
  const cache = new Map<string, Float32Array>();
  const key = (r: PlaneRef): string => `${r.axis}:${r.index}`;
  const prepare = (refs: readonly PlaneRef[]): void => {
    const todo = refs.filter((r, n) => !cache.has(key(r)) && refs.findIndex((q) => key(q) === key(r)) === n);
    if (todo.length === 0) return;
    const out = todo.map((r) => new Float32Array(r.axis === 2 ? nx * ny : (r.axis === 1 ? nx : ny) * nz));
    const line = new Float32Array(Math.max(nx, ny));
    const reuse = { buffer: Buffer.alloc(0) };
    for (let k = 0; k < nz; k++) {
      if (!todo.some((r) => r.axis !== 2 || r.index === k)) continue;
      const parsed = parseDicom(loadInputReusing(fileOfSlice[k]!, reuse));
      const ds = sliceHeader(parsed).parsed.dataset;
      const { slope, intercept } = rescaleOf(ds);
      const stored = storedPixels(parsed, readPixelLayout(ds, 1));
      todo.forEach((r, t) => {
        if (r.axis === 2) {
          if (r.index === k) convertStored(stored, slope, intercept, out[t]!);
          return;
        }
        // a row or a column of the slice: its stored values alone, converted as the whole slice would be
        convertStored(storedLine(stored, r.axis, r.index), slope, intercept, line);
        if (r.axis === 1) out[t]!.set(line.subarray(0, nx), nx * k);
        else out[t]!.set(line.subarray(0, ny), ny * k);
      });
    }
    todo.forEach((r, t) => cache.set(key(r), out[t]!));
  };
  return {
    grid,
    prepare,
    plane(axis, index) {
      prepare([{ axis, index }]);
      return cache.get(key({ axis, index }))!;
    },
  };
}

/**
 * A CT series from its headers alone (each file read only up to its pixel data, from a prefix when
 * that holds the header): identity, grid and slice order, as `lattice info` shows them and as
 * `lattice evaluate` checks contours and doses against. Same checks as readCtSeries.
 * `parsedHeaders`: headers already parsed up to at least (0028,0100), by file (scanDicom's).
 */
export function readCtGeometry(files: readonly DicomInput[], parsedHeaders?: ReadonlyMap<string, ParsedDicom>): CtSeriesGeometry {
  requireFiles(files);
  const headers = files.map((f) =>
    sliceHeader(
      typeof f === 'string'
        ? (parsedHeaders?.get(f) ?? readHeader(f, TAGS.PixelData))
        : parseDicom(f, { stopAtTag: TAGS.PixelData }),
    ),
  );
  const { grid, ordered, slices } = geometry(headers);
  const first = ordered[0]!;
  return { ...readIdentity(first.parsed.dataset, first.frameOfReferenceUid), modality: 'CT', grid, slices };
}

