/**
 * What `lattice info PATH [--json]` shows: a JSON-able summary of the DICOM objects under a path
 * (patients > studies > series), with the CT grid, ROI list, dose grid and maximum, and plan
 * summary, plus `formatSummary` for the human-readable text.
 *
 * Input: a file or folder. Output: plain objects (numbers, strings, arrays), no typed arrays.
 * The CT grid comes from the slice headers only; dose and plan files are read whole (the maximum
 * dose needs the pixel data). An object that fails to read is reported in its series' `errors`
 * instead of stopping the summary. With `roiVolumes`, each ROI's volume (cc) is computed from the
 * contours read for the summary (contourVolumeCc, the rasteriser's slab convention), so the
 * structure set is decoded once; an ROI that can have no volume says why (`noVolumeReason`).
 */

import { DicomError, fmt } from '../../../core/errors.js';
import { PLANE_TOLERANCE_MM } from '../../../geometry/rasterize.js';
import { contourVolumeCc } from '../../../geometry/structure-set.js';
import type { ContourStructure } from '../../../geometry/structure.js';
import type { Vec3 } from '../../../core/vec3.js';
import type { Grid } from '../../../geometry/grid.js';
import { transferSyntaxName } from '../uid.js';
import { readCtGeometry } from './ct.js';
import { maxOf } from './pixels.js';
import { readRtDose } from './rtdose.js';
import { readRtPlan } from './rtplan.js';
import { readStructureSet } from './rtstruct.js';
import {
  relativeToRoot,
  scanDicom,
  type DicomInventory,
  type DicomPatientEntry,
  type DicomSeriesEntry,
  type DicomStudyEntry,
  type SkippedFile,
} from './scan.js';

export interface GridSummary {
  readonly size: readonly [number, number, number];
  readonly spacingMm: readonly [number, number, number];
  readonly originMm: readonly [number, number, number];
  /** Row-major 3x3, columns = directions of i, j, k. */
  readonly direction: readonly number[];
}

export interface CtSummary {
  readonly sliceCount: number;
  readonly grid: GridSummary;
}

export interface RoiSummary {
  readonly number: number;
  readonly name: string;
  /** '' when the file gives none. */
  readonly interpretedType: string;
  readonly contourCount: number;
  readonly pointCount: number;
  /** Filled in by the rasteriser (describeDicom with roiVolumes, lattice info), cc. */
  volumeCc?: number;
  /** Why the ROI can have no volume (no closed contour, contours off the slice planes), when so. */
  readonly noVolumeReason?: string;
}

export interface DescribeOptions {
  /** Compute each ROI's volume (cc) from its contours. */
  readonly roiVolumes?: boolean;
}

/**
 * Why a structure's contours enclose no volume, or undefined when they may: a volume needs
 * CLOSED_PLANAR contours of 3 or more points, all on axial planes (z constant within
 * PLANE_TOLERANCE_MM), the planes contourVolumeCc computes volumes on (sagittal or coronal contours
 * would give it a wrong volume, so none is computed for them).
 */
export function noVolumeReason(structure: ContourStructure): string | undefined {
  const contours = structure.contours;
  if (contours.length === 0) return 'it has no contours';
  const closed = contours.filter((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsLps.length >= 9);
  if (closed.length === 0) {
    const counts = new Map<string, number>();
    for (const c of contours) {
      const kind = c.geometricType === 'CLOSED_PLANAR' ? 'CLOSED_PLANAR with under 3 points' : c.geometricType;
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const listed = [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
    return `its contours are ${listed}; only CLOSED_PLANAR contours of 3 or more points enclose a volume`;
  }
  // Volumes are computed on axial slices: every closed contour must be flat in z.
  for (const c of closed) {
    const p = c.pointsLps;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 2; i < p.length; i += 3) {
      if (p[i]! < lo) lo = p[i]!;
      if (p[i]! > hi) hi = p[i]!;
    }
    if (!(hi - lo <= PLANE_TOLERANCE_MM)) {
      return (
        `contour ${contours.indexOf(c)} is not on an axial plane (its z spans ${fmt(hi - lo)} mm, more than ` +
        `${fmt(PLANE_TOLERANCE_MM)} mm); volumes are computed from contours on axial planes only`
      );
    }
  }
  return undefined;
}

export interface StructureSetSummary {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly frameOfReferenceUid: string;
  readonly referencedSeriesInstanceUid?: string;
  readonly rois: readonly RoiSummary[];
  readonly warnings?: readonly string[];
}

export interface DoseSummary {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly grid: GridSummary;
  readonly units: 'GY' | 'RELATIVE';
  readonly summationType: string;
  readonly doseType?: string;
  /** Largest value: Gy when units are GY, relative otherwise. */
  readonly maxDose: number;
  /** Same as maxDose when units are GY. */
  readonly maxDoseGy?: number;
  readonly referencedPlanSopInstanceUid?: string;
  readonly warnings?: readonly string[];
}

export interface BeamSummary {
  readonly number: number;
  readonly name: string;
  readonly type: string;
  readonly radiationType: string;
  readonly nominalEnergy?: number;
  readonly metersetMu?: number;
  readonly controlPointCount: number;
  readonly gantryStartDeg: number;
  readonly gantryEndDeg: number;
}

export interface PlanSummary {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly name?: string;
  /** Of the first fraction group. */
  readonly fractionsPlanned?: number;
  /** Largest TargetPrescriptionDose of the dose references, Gy. */
  readonly prescriptionGy?: number;
  readonly beams: readonly BeamSummary[];
}

export interface SummaryError {
  readonly file?: string;
  readonly message: string;
}

/** A series of the inventory (scan.ts) without its file list, with what its files hold. */
export interface SeriesSummary extends Omit<DicomSeriesEntry, 'instances' | 'files'> {
  readonly fileCount: number;
  /** Transfer syntax names used by the files of the series. */
  readonly transferSyntaxes: readonly string[];
  readonly ct?: CtSummary;
  readonly structureSets?: readonly StructureSetSummary[];
  readonly doses?: readonly DoseSummary[];
  readonly plans?: readonly PlanSummary[];
  readonly errors?: readonly SummaryError[];
}

export interface StudySummary extends Omit<DicomStudyEntry, 'series'> {
  readonly series: readonly SeriesSummary[];
}

export interface PatientSummary extends Omit<DicomPatientEntry, 'studies'> {
  readonly studies: readonly StudySummary[];
}

export interface DicomSummary {
  readonly path: string;
  readonly fileCount: number;
  readonly patients: readonly PatientSummary[];
  readonly skipped: readonly SkippedFile[];
}

const vec = (v: Vec3): [number, number, number] => [v[0], v[1], v[2]];

export function summariseGrid(grid: Grid): GridSummary {
  return {
    size: [grid.size[0], grid.size[1], grid.size[2]],
    spacingMm: vec(grid.spacingMm),
    originMm: vec(grid.originMm),
    direction: [...grid.direction],
  };
}

/** Run a reader, turning a DicomError into a SummaryError. */
function attempt<T>(errors: SummaryError[], file: string | undefined, read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof DicomError)) throw e;
    errors.push({ ...(file !== undefined ? { file } : {}), message: e.message });
    return undefined;
  }
}

function structureSetSummary(file: string, options: DescribeOptions): StructureSetSummary {
  const s = readStructureSet(file);
  // The volume (rounded to 0.001 cc) when asked for and possible, else why it is not possible.
  const volumeOf = (r: ContourStructure): { volumeCc?: number; noVolumeReason?: string } => {
    const reason = noVolumeReason(r);
    if (reason !== undefined) return { noVolumeReason: reason };
    const v = options.roiVolumes === true ? contourVolumeCc(r) : undefined;
    return v !== undefined ? { volumeCc: Number(v.toFixed(3)) } : {};
  };
  return {
    file,
    sopInstanceUid: s.sopInstanceUid,
    label: s.label,
    frameOfReferenceUid: s.frameOfReferenceUid,
    ...(s.referencedSeriesInstanceUid !== undefined ? { referencedSeriesInstanceUid: s.referencedSeriesInstanceUid } : {}),
    rois: s.structures.map((r) => ({
      number: r.roiNumber,
      name: r.name,
      interpretedType: r.interpretedType,
      contourCount: r.contours.length,
      pointCount: r.contours.reduce((n, c) => n + c.pointsLps.length / 3, 0),
      ...volumeOf(r),
    })),
    ...(s.warnings !== undefined ? { warnings: s.warnings } : {}),
  };
}

function doseSummary(file: string): DoseSummary {
  const d = readRtDose(file);
  const max = maxOf(d.dose.data);
  return {
    file,
    sopInstanceUid: d.sopInstanceUid,
    grid: summariseGrid(d.dose.grid),
    units: d.units,
    summationType: d.summationType,
    ...(d.doseType !== undefined ? { doseType: d.doseType } : {}),
    maxDose: max,
    ...(d.units === 'GY' ? { maxDoseGy: max } : {}),
    ...(d.referencedPlanSopInstanceUid !== undefined ? { referencedPlanSopInstanceUid: d.referencedPlanSopInstanceUid } : {}),
    ...(d.warnings !== undefined ? { warnings: d.warnings } : {}),
  };
}

function planSummary(file: string): PlanSummary {
  const p = readRtPlan(file);
  const fractions = p.fractionGroups[0]?.fractionsPlanned;
  const prescriptions = p.doseReferences.flatMap((r) => (r.targetPrescriptionDoseGy !== undefined ? [r.targetPrescriptionDoseGy] : []));
  return {
    file,
    sopInstanceUid: p.sopInstanceUid,
    label: p.label,
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(fractions !== undefined ? { fractionsPlanned: fractions } : {}),
    ...(prescriptions.length > 0 ? { prescriptionGy: Math.max(...prescriptions) } : {}),
    beams: p.beams.map((b) => ({
      number: b.number,
      name: b.name,
      type: b.type,
      radiationType: b.radiationType,
      ...(b.nominalEnergy !== undefined ? { nominalEnergy: b.nominalEnergy } : {}),
      ...(b.metersetMu !== undefined ? { metersetMu: b.metersetMu } : {}),
      controlPointCount: b.controlPoints.length,
      gantryStartDeg: b.controlPoints[0]!.gantryAngleDeg,
      gantryEndDeg: b.controlPoints[b.controlPoints.length - 1]!.gantryAngleDeg,
    })),
  };
}

/** Summarise the DICOM objects under a file or folder. */
export function describeDicom(path: string, options: DescribeOptions = {}): DicomSummary {
  const inventory: DicomInventory = scanDicom(path);
  return {
    path,
    fileCount: inventory.fileCount,
    skipped: inventory.skipped,
    patients: inventory.patients.map(({ studies, ...patient }) => ({
      ...patient,
      studies: studies.map(({ series: seriesList, ...study }) => ({
        ...study,
        series: seriesList.map(({ instances, files, ...series }): SeriesSummary => {
          const errors: SummaryError[] = [];
          let details: Partial<SeriesSummary> = {};
          if (series.modality === 'CT') {
            const geometry = attempt(errors, undefined, () => readCtGeometry(files, inventory.headers));
            if (geometry !== undefined) details = { ct: { sliceCount: geometry.slices.length, grid: summariseGrid(geometry.grid) } };
          } else if (series.modality === 'RTSTRUCT') {
            details = { structureSets: files.flatMap((f) => attempt(errors, f, () => structureSetSummary(f, options)) ?? []) };
          } else if (series.modality === 'RTDOSE') {
            details = { doses: files.flatMap((f) => attempt(errors, f, () => doseSummary(f)) ?? []) };
          } else if (series.modality === 'RTPLAN') {
            details = { plans: files.flatMap((f) => attempt(errors, f, () => planSummary(f)) ?? []) };
          }
          return {
            ...series,
            fileCount: files.length,
            transferSyntaxes: [...new Set(instances.map((i) => transferSyntaxName(i.transferSyntaxUid)))],
            ...details,
            ...(errors.length > 0 ? { errors } : {}),
          };
        }),
      })),
    })),
  };
}

/** Reasons listed in full by nothingReadReason; the rest are counted. */
const REASONS_LISTED = 3;

/**
 * Why nothing under the summarised path could be read (the caller names the path), or undefined
 * when something could: no files,
 * no file that is DICOM with the identifiers of a listed object, or every object listed failing to
 * read (an object of a modality lattice does not read further, e.g. MR, counts as read).
 */
export function nothingReadReason(summary: DicomSummary): string | undefined {
  const series = summary.patients.flatMap((p) => p.studies.flatMap((st) => st.series));
  const readOne = series.some(
    (s) =>
      s.errors === undefined ||
      s.ct !== undefined ||
      (s.structureSets?.length ?? 0) > 0 ||
      (s.doses?.length ?? 0) > 0 ||
      (s.plans?.length ?? 0) > 0,
  );
  if (readOne) return undefined;
  const listed = (items: readonly { file?: string; reason: string }[]): string => {
    const shown = items
      .slice(0, REASONS_LISTED)
      .map((i) => (i.file !== undefined && i.file !== summary.path ? `${shortPath(summary, i.file)}: ${i.reason}` : i.reason))
      .join('; ');
    return items.length > REASONS_LISTED ? `${shown}; and ${items.length - REASONS_LISTED} more` : shown;
  };
  if (series.length === 0) {
    if (summary.fileCount === 0 && summary.skipped.length === 0) return 'nothing could be read: the folder holds no files';
    const which = summary.fileCount === 1 ? 'the file is not' : `none of the ${summary.fileCount} files is`;
    return (
      `nothing could be read: ${which} a DICOM object with SOPInstanceUID, StudyInstanceUID, ` +
      `SeriesInstanceUID and Modality (${listed(summary.skipped)})`
    );
  }
  const errors = series.flatMap((s) => (s.errors ?? []).map((e) => ({ ...(e.file !== undefined ? { file: e.file } : {}), reason: e.message })));
  return `nothing could be read: every DICOM object failed to read (${listed(errors)})`;
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

function gridText(g: GridSummary): string {
  const v = (x: readonly number[]): string => `[${x.map(fmt).join(', ')}]`;
  const text = `${g.size.join(' x ')} voxels, spacing ${v(g.spacingMm)} mm, origin ${v(g.originMm)} mm`;
  const axial = g.direction.every((v, i) => Math.abs(v - (i % 4 === 0 ? 1 : 0)) < 1e-6);
  return axial ? text : `${text}, direction [${g.direction.map(fmt).join(', ')}]`;
}

function shortPath(summary: DicomSummary, file: string): string {
  return relativeToRoot({ root: summary.path }, file);
}

function seriesLines(summary: DicomSummary, s: SeriesSummary): string[] {
  const head =
    `${s.modality} series ${s.seriesNumber !== undefined ? `#${s.seriesNumber} ` : ''}${s.seriesInstanceUid}` +
    `${s.seriesDescription !== undefined ? ` "${s.seriesDescription}"` : ''}: ${plural(s.fileCount, 'file')}` +
    ` (${s.transferSyntaxes.join(', ')})`;
  const lines = [head];
  if (s.ct !== undefined) lines.push(`  ${plural(s.ct.sliceCount, 'slice')}, grid ${gridText(s.ct.grid)}`);
  for (const ss of s.structureSets ?? []) {
    lines.push(`  structure set "${ss.label}" (${shortPath(summary, ss.file)}): ${plural(ss.rois.length, 'ROI')}`);
    for (const r of ss.rois) {
      const type = r.interpretedType === '' ? 'no type' : r.interpretedType;
      const volume =
        r.volumeCc !== undefined ? `, ${fmt(r.volumeCc)} cc` : r.noVolumeReason !== undefined ? `, no volume: ${r.noVolumeReason}` : '';
      lines.push(`    #${r.number} ${r.name} (${type}): ${plural(r.contourCount, 'contour')}, ${plural(r.pointCount, 'point')}${volume}`);
    }
    for (const w of ss.warnings ?? []) lines.push(`    warning: ${w}`);
  }
  for (const d of s.doses ?? []) {
    const max = d.units === 'GY' ? `${fmt(d.maxDose)} Gy` : `${fmt(d.maxDose)} (relative)`;
    lines.push(`  dose ${d.summationType}${d.doseType !== undefined ? ` ${d.doseType}` : ''} (${shortPath(summary, d.file)}): max ${max}`);
    lines.push(`    grid ${gridText(d.grid)}`);
    for (const w of d.warnings ?? []) lines.push(`    warning: ${w}`);
  }
  for (const p of s.plans ?? []) {
    const fx = p.fractionsPlanned !== undefined ? `, ${plural(p.fractionsPlanned, 'fraction')}` : '';
    const rx = p.prescriptionGy !== undefined ? `, prescription ${fmt(p.prescriptionGy)} Gy` : '';
    lines.push(`  plan "${p.label}" (${shortPath(summary, p.file)})${fx}${rx}, ${plural(p.beams.length, 'beam')}`);
    for (const b of p.beams) {
      const energy = b.nominalEnergy !== undefined ? ` ${fmt(b.nominalEnergy)}${b.radiationType === 'PHOTON' ? ' MV' : ''}` : '';
      const mu = b.metersetMu !== undefined ? `, ${fmt(b.metersetMu)} MU` : '';
      const gantry = b.gantryStartDeg === b.gantryEndDeg ? `gantry ${fmt(b.gantryStartDeg)}` : `gantry ${fmt(b.gantryStartDeg)} -> ${fmt(b.gantryEndDeg)}`;
      lines.push(
        `    beam ${b.number} "${b.name}": ${b.type} ${b.radiationType}${energy}${mu}, ${plural(b.controlPointCount, 'control point')}, ${gantry} deg`,
      );
    }
  }
  for (const e of s.errors ?? []) lines.push(`  error: ${e.message}`);
  return lines;
}

/** Human-readable text of a summary. */
export function formatSummary(summary: DicomSummary): string {
  const patientCount = summary.patients.length;
  const lines = [
    `${summary.path}: ${plural(summary.fileCount, 'file')}, ${plural(patientCount, 'patient')}, ${summary.skipped.length} skipped`,
  ];
  for (const p of summary.patients) {
    lines.push(`Patient ${p.patientId === '' ? '(no ID)' : p.patientId}${p.patientName !== '' ? ` (${p.patientName})` : ''}`);
    for (const st of p.studies) {
      const desc = st.studyDescription !== undefined ? ` "${st.studyDescription}"` : '';
      const date = st.studyDate !== undefined ? ` ${st.studyDate}` : '';
      lines.push(`  Study ${st.studyInstanceUid}${desc}${date}: ${plural(st.series.length, 'series', 'series')}`);
      for (const se of st.series) for (const l of seriesLines(summary, se)) lines.push(`    ${l}`);
    }
  }
  if (summary.skipped.length > 0) {
    lines.push(`Skipped ${plural(summary.skipped.length, 'file')}:`);
    for (const s of summary.skipped) lines.push(`  ${shortPath(summary, s.file)}: ${s.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
