/**
 * A planning case read from a DICOM file or folder: a CT series (or, for a DVH, none) with the RT
 * objects that share its frame of reference (a structure set, doses, plans). The checks a physicist
 * expects before anything is computed happen here, once:
 * - `readDicomCase` (dose calculation, planning, placement): exactly one CT series (or the one asked
 *   for), read with its pixels; several are listed by UID;
 * - `readRtCase` (DVHs, `lattice evaluate`): the CT is optional and read from its headers only (a DVH
 *   needs contours and a dose grid, not HU values); without one, the structure set's frame of
 *   reference ties the objects together;
 * - a structure set, dose or plan whose frame of reference differs from the CT's (else the structure
 *   set's) is an error naming the file and both UIDs;
 * - several structure sets: the one referencing the CT series; among several, the one holding every
 *   ROI of the others (a derived set, e.g. written by `lattice place`); else an error listing them;
 * - a dose grid that does not cover a structure's contours: a warning naming both and the fraction
 *   of contour points outside;
 * - with a CT: contour points outside the CT, and a dose grid reaching more than 1 mm beyond it, are
 *   warnings naming the structure or file; a dose grid wholly outside the CT is an error.
 */

import { dirname } from 'node:path';
import { DicomError } from '../../core/errors.js';
import { cornerPointsLps, lpsToIndexAffine, type Grid } from '../../geometry/grid.js';
import { pointsOutsideGrid } from '../../geometry/points-wasm.js';
import type { ContourStructure } from '../../geometry/structure.js';
import { ctGridOf, type CtSeries, type CtSeriesGeometry, type DoseGrid, type RtPlan, type StructureSet } from './model.js';
import { readCtGeometry, readCtSeries } from './read/ct.js';
import { readRtDose } from './read/rtdose.js';
import { readRtPlan } from './read/rtplan.js';
import { readStructureSet } from './read/rtstruct.js';
import { listSeries, relativeToRoot, scanDicom } from './read/scan.js';

/** What every case holds apart from its CT. */
interface CaseObjects {
  /** The path read. */
  readonly root: string;
  /** The frame of reference every object shares: the CT's, else the structure set's, else the first dose's. */
  readonly frameOfReferenceUid: string;
  readonly structureSet?: StructureSet;
  readonly doses: readonly DoseGrid[];
  readonly plans: readonly RtPlan[];
  /** Things a physicist should know that did not stop the reading (each names what it concerns). */
  readonly warnings: readonly string[];
}

/** A case with its CT read whole (HU values): for dose calculation, planning and placement. */
export interface DicomCase extends CaseObjects {
  readonly ct: CtSeries;
}

/** A case for DVHs: the CT, when there is one, read from its headers only. */
export interface RtCase extends CaseObjects {
  readonly ct?: CtSeriesGeometry;
}

export interface ReadCaseOptions {
  /** The CT series to use when the folder holds several. */
  readonly ctSeriesInstanceUid?: string;
  /** The RTSTRUCT file to use when the folder holds several for the CT. */
  readonly structureSetFile?: string;
  /**
   * How the RT Dose files are read: started for each as soon as the folder is scanned, the function
   * returned giving its DoseGrid when the case needs it (after the CT and the structure sets), throwing
   * as readRtDose does. Default: readRtDose then. The DVH pool's readDose reads on a worker meanwhile.
   */
  readonly readDose?: (file: string) => () => DoseGrid;
}

/** Dose grid footprint beyond the CT's (mm) above which a warning is given. */
export const DOSE_BEYOND_CT_WARNING_MM = 1;

/**
 * Fraction of a structure's contour points outside a grid's footprint: beyond half a voxel past the
 * outer voxel centres along any index axis (the DVH's rule for what a dose grid covers).
 */
export function fractionOfContourOutside(structure: ContourStructure, grid: Grid): number {
  const b = lpsToIndexAffine(grid);
  let n = 0;
  let outside = 0;
  for (const c of structure.contours) {
    n += Math.ceil(c.pointsLps.length / 3);
    outside += pointsOutsideGrid(c.pointsLps, b, grid.size);
  }
  return n === 0 ? 0 : outside / n;
}

/**
 * How far a grid's footprint (its voxel centres +- half a voxel) reaches beyond another's, in mm
 * along the other's axes: 0 when it lies inside; `disjoint` when the two footprints do not overlap.
 */
export function footprintBeyond(grid: Grid, container: Grid): { readonly beyondMm: number; readonly disjoint: boolean } {
  const b = lpsToIndexAffine(container);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  // Footprint corners: the corner voxel centres moved half a voxel outwards along each index axis.
  const d = grid.direction;
  const h = grid.spacingMm;
  const corners = cornerPointsLps(grid);
  corners.forEach((p, c) => {
    const q = [p[0], p[1], p[2]];
    for (let a = 0; a < 3; a++) {
      const s = ((c >> a) & 1 ? 0.5 : -0.5) * h[a]!;
      for (let r = 0; r < 3; r++) q[r]! += s * d[3 * r + a]!;
    }
    for (let r = 0; r < 3; r++) {
      const ci = b[4 * r]! * q[0]! + b[4 * r + 1]! * q[1]! + b[4 * r + 2]! * q[2]! + b[4 * r + 3]!;
      lo[r] = Math.min(lo[r]!, ci);
      hi[r] = Math.max(hi[r]!, ci);
    }
  });
  let beyondMm = 0;
  let disjoint = false;
  for (let r = 0; r < 3; r++) {
    const n = container.size[r]!;
    const sp = container.spacingMm[r]!;
    beyondMm = Math.max(beyondMm, (-0.5 - lo[r]!) * sp, (hi[r]! - (n - 0.5)) * sp);
    if (hi[r]! <= -0.5 || lo[r]! >= n - 0.5) disjoint = true;
  }
  return { beyondMm, disjoint };
}


/** How the CT is read: whole (HU), from its headers (one series required), or optional (a DVH). */
type CtRead = 'pixels' | 'headers' | 'optional';

function readCase(path: string, options: ReadCaseOptions, mode: CtRead): CaseObjects & { readonly ct?: CtSeries | CtSeriesGeometry } {
  const inventory = scanDicom(path);
  const all = listSeries(inventory);
  const cts = all.filter((s) => s.series.modality === 'CT');
  let chosen =
    options.ctSeriesInstanceUid !== undefined
      ? cts.filter((s) => s.series.seriesInstanceUid === options.ctSeriesInstanceUid)
      : cts;
  const notes: string[] = [];
  // For a DVH (no pixels) among several CT series: the one the structure set references, else none
  // (the CT only checks the contours there); the structure sets read here are used below.
  let preRead: StructureSet[] | undefined;
  if (mode === 'optional' && options.ctSeriesInstanceUid === undefined && cts.length > 1) {
    preRead = all.filter((s) => s.series.modality === 'RTSTRUCT').flatMap((s) => s.series.files).map((f) => readStructureSet(f));
    const referenced = new Set(preRead.map((ss) => ss.referencedSeriesInstanceUid).filter((u): u is string => u !== undefined));
    const match = cts.filter((c) => referenced.has(c.series.seriesInstanceUid));
    chosen = match.length === 1 ? match : [];
    notes.push(
      match.length === 1
        ? `${cts.length} CT series here; using ${match[0]!.series.seriesInstanceUid}, the one the structure set references`
        : `${cts.length} CT series here and none is the one structure set's reference: no CT is used (a DVH needs none; the contours are not checked against a CT)`,
    );
  }
  // A CT is needed for its pixels; for a DVH one is optional, but one asked for must be there.
  const ctOptional = mode === 'optional' && options.ctSeriesInstanceUid === undefined && (cts.length === 0 || preRead !== undefined);
  if (chosen.length !== 1 && !ctOptional) {
    // Which folders hold which series: the commands take a folder, so the way to choose one series
    // is to point the command at a folder that holds only it.
    const foldersOf = cts.map((s) => [...new Set(s.series.files.map((f) => relativeToRoot(inventory, dirname(f))))]);
    const shared = [...new Set(foldersOf.flat())].filter((d) => foldersOf.filter((fs) => fs.includes(d)).length > 1);
    const listed = cts
      .map((s, i) => `${s.series.seriesInstanceUid} (${s.series.files.length} slices, in ${foldersOf[i]!.join(', ')})`)
      .join('; ');
    const hint =
      shared.length > 0
        ? `${shared.join(', ')} ${shared.length === 1 ? 'holds' : 'hold'} more than one series: move each series into a folder of its own and give the command that folder`
        : 'give the command the folder of the series to use';
    throw new DicomError(
      chosen.length === 0
        ? `expected a CT series${options.ctSeriesInstanceUid !== undefined ? ` with UID ${options.ctSeriesInstanceUid}` : ''}, found ${cts.length === 0 ? 'none' : listed}`
        : `expected one CT series, found ${chosen.length}: ${listed}; ${hint}`,
      { file: path },
    );
  }
  const filesOf = (modality: string): string[] =>
    all.filter((s) => s.series.modality === modality).flatMap((s) => s.series.files);
  const startRead = options.readDose ?? ((f: string) => () => readRtDose(f));
  const doseReads = filesOf('RTDOSE').map((f) => startRead(f));

  const ctFiles = chosen[0]?.series.files;
  const ct = ctFiles === undefined ? undefined : mode === 'pixels' ? readCtSeries(ctFiles) : readCtGeometry(ctFiles, inventory.headers);
  const warnings: string[] = [...inventory.skipped.map((s) => `skipped ${s.file}: ${s.reason}`), ...notes];

  let structureSets = preRead ?? filesOf('RTSTRUCT').map((f) => readStructureSet(f));
  if (options.structureSetFile !== undefined) {
    structureSets = structureSets.filter((s) => s.file === options.structureSetFile);
    if (structureSets.length === 0) structureSets = [readStructureSet(options.structureSetFile)];
  }
  // The frame every object must share, and whose it is (for messages).
  const reference =
    ct !== undefined
      ? { uid: ct.frameOfReferenceUid, whose: "the CT's" }
      : structureSets.length > 0
        ? { uid: structureSets[0]!.frameOfReferenceUid, whose: `the structure set's (${structureSets[0]!.file ?? structureSets[0]!.sopInstanceUid})` }
        : undefined;
  const checkFrame = (what: string, file: string | undefined, frameUid: string): void => {
    if (reference !== undefined && frameUid !== reference.uid) {
      throw new DicomError(
        `${what} is in frame of reference ${frameUid || '(none)'}, expected ${reference.whose} ${reference.uid}; register the two first`,
        file !== undefined ? { file } : {},
      );
    }
  };
  for (const s of structureSets) checkFrame('structure set', s.file, s.frameOfReferenceUid);
  if (structureSets.length > 1) {
    let referencing = ct !== undefined ? structureSets.filter((s) => s.referencedSeriesInstanceUid === ct.seriesInstanceUid) : structureSets;
    // A structure set derived from another (ROIs added, as `lattice place` writes) holds every ROI of
    // the others: it supersedes them.
    const names = (s: StructureSet): Set<string> => new Set(s.structures.map((r) => r.name));
    const superset = referencing.filter((a) =>
      referencing.every((b) => a === b || ([...names(b)].every((n) => names(a).has(n)) && names(a).size > names(b).size)),
    );
    const scope = ct !== undefined ? 'reference the CT' : 'are here (no CT)';
    if (referencing.length > 1 && superset.length === 1) {
      warnings.push(
        `${referencing.length} structure sets ${scope}; using ${superset[0]!.file ?? superset[0]!.sopInstanceUid}, ` +
          'which holds every ROI of the others',
      );
      referencing = superset;
    }
    if (referencing.length !== 1) {
      throw new DicomError(
        `expected one structure set${ct !== undefined ? ` for CT series ${ct.seriesInstanceUid}` : ''}, found ${structureSets.length}: ` +
          `${structureSets.map((s) => `${s.file ?? s.sopInstanceUid} (label ${s.label})`).join('; ')}; choose one`,
        { file: path },
      );
    }
    structureSets = referencing;
  }
  const structureSet = structureSets[0];
  if (structureSet?.warnings !== undefined) warnings.push(...structureSet.warnings);
  const ctGrid = ct !== undefined ? ctGridOf(ct) : undefined;
  if (ctGrid !== undefined) {
    for (const s of structureSet?.structures ?? []) {
      const f = fractionOfContourOutside(s, ctGrid);
      if (f > 0) warnings.push(`structure "${s.name}": ${(100 * f).toFixed(1)} % of its contour points lie outside the CT`);
    }
  }

  const doses = doseReads.map((read) => read());
  for (const d of doses) {
    checkFrame('dose', d.file, d.frameOfReferenceUid);
    if (d.warnings !== undefined) warnings.push(...d.warnings);
    if (ctGrid !== undefined) {
      const beyond = footprintBeyond(d.dose.grid, ctGrid);
      if (beyond.disjoint) {
        throw new DicomError(
          'dose grid lies wholly outside the CT although both are in one frame of reference: the dose does not belong to this CT',
          d.file !== undefined ? { file: d.file } : {},
        );
      }
      if (beyond.beyondMm > DOSE_BEYOND_CT_WARNING_MM) {
        warnings.push(`dose ${d.file ?? d.sopInstanceUid} reaches ${beyond.beyondMm.toFixed(1)} mm beyond the CT`);
      }
    }
    for (const s of structureSet?.structures ?? []) {
      const f = fractionOfContourOutside(s, d.dose.grid);
      if (f > 0) {
        warnings.push(
          `dose ${d.file ?? d.sopInstanceUid} does not cover structure "${s.name}": ` +
            `${(100 * f).toFixed(1)} % of its contour points lie outside the dose grid`,
        );
      }
    }
  }
  const plans = filesOf('RTPLAN').map((f) => readRtPlan(f));
  for (const p of plans) {
    // RT Plan's Frame of Reference module is optional; a plan without one is tied to the case by its
    // structure set reference instead.
    if (p.frameOfReferenceUid !== '') checkFrame('plan', p.file, p.frameOfReferenceUid);
    else if (structureSet !== undefined && p.referencedStructureSetSopInstanceUid !== undefined &&
      p.referencedStructureSetSopInstanceUid !== structureSet.sopInstanceUid) {
      warnings.push(`plan ${p.file ?? p.sopInstanceUid} references structure set ${p.referencedStructureSetSopInstanceUid}, not the one read (${structureSet.sopInstanceUid})`);
    }
  }

  return {
    root: inventory.root,
    ...(ct !== undefined ? { ct } : {}),
    frameOfReferenceUid: reference?.uid ?? doses[0]?.frameOfReferenceUid ?? '',
    ...(structureSet !== undefined ? { structureSet } : {}),
    doses,
    plans,
    warnings,
  };
}

/** A case whose CT is read whole (HU): a folder without exactly one CT series is an error. */
export function readDicomCase(path: string, options: ReadCaseOptions = {}): DicomCase {
  const c = readCase(path, options, 'pixels');
  return { ...c, ct: c.ct as CtSeries };
}

/**
 * A case whose CT is read from its headers only (grid, slices, identity), as for DicomCase one CT
 * series being required: what vertex placement needs (it works on the contours and the CT grid,
 * never on HU), without the 4 bytes per CT voxel of the pixels.
 */
export function readCaseWithCtHeaders(path: string, options: ReadCaseOptions = {}): CaseObjects & { readonly ct: CtSeriesGeometry } {
  const c = readCase(path, options, 'headers');
  return { ...c, ct: c.ct as CtSeriesGeometry };
}

/**
 * A case for DVHs and plan evaluation: the CT is optional and read from its headers only; the
 * structure set and doses are read whole.
 */
export function readRtCase(path: string, options: ReadCaseOptions = {}): RtCase {
  const { ct, ...rest } = readCase(path, options, 'optional');
  return { ...rest, ...(ct !== undefined ? { ct: ct as CtSeriesGeometry } : {}) };
}
