/**
 * A planning case read from a DICOM file or folder: one CT series with the RT objects that share its
 * frame of reference (a structure set, doses, plans). The checks a physicist expects before anything
 * is computed happen here, once:
 * - exactly one CT series (or the one asked for); several are listed by UID;
 * - a structure set, dose or plan whose frame of reference differs from the CT's is an error naming
 *   the file and both UIDs;
 * - several structure sets: the one referencing the CT series; among several, the one holding every
 *   ROI of the others (a derived set, e.g. written by `lattice place`); else an error listing them;
 * - a dose grid that does not cover a structure's contours: a warning naming both and the fraction
 *   of contour points outside.
 */

import { DicomError } from '../../core/errors.js';
import { lpsToIndexAffine, type Grid } from '../../geometry/grid.js';
import type { ContourStructure } from '../../geometry/structure.js';
import type { CtSeries, DoseGrid, RtPlan, StructureSet } from './model.js';
import { readCtSeries } from './read/ct.js';
import { readRtDose } from './read/rtdose.js';
import { readRtPlan } from './read/rtplan.js';
import { readStructureSet } from './read/rtstruct.js';
import { listSeries, scanDicom } from './read/scan.js';

export interface DicomCase {
  /** The path read. */
  readonly root: string;
  readonly ct: CtSeries;
  readonly structureSet?: StructureSet;
  readonly doses: readonly DoseGrid[];
  readonly plans: readonly RtPlan[];
  /** Things a physicist should know that did not stop the reading (each names what it concerns). */
  readonly warnings: readonly string[];
}

export interface ReadCaseOptions {
  /** The CT series to use when the folder holds several. */
  readonly ctSeriesInstanceUid?: string;
  /** The RTSTRUCT file to use when the folder holds several for the CT. */
  readonly structureSetFile?: string;
}

function checkFrame(what: string, file: string | undefined, frameUid: string, ct: CtSeries): void {
  if (frameUid !== ct.frameOfReferenceUid) {
    throw new DicomError(
      `${what} is in frame of reference ${frameUid || '(none)'}, expected the CT's ${ct.frameOfReferenceUid}; ` +
        'register the two first',
      file !== undefined ? { file } : {},
    );
  }
}

/**
 * Fraction of a structure's contour points outside a grid's footprint: beyond half a voxel past the
 * outer voxel centres along any index axis (the DVH's rule for what a dose grid covers).
 */
export function fractionOfContourOutside(structure: ContourStructure, grid: Grid): number {
  const b = lpsToIndexAffine(grid);
  const [nx, ny, nz] = grid.size;
  const eps = 1e-6;
  let n = 0;
  let outside = 0;
  for (const c of structure.contours) {
    const p = c.pointsLps;
    for (let i = 0; i < p.length; i += 3) {
      n++;
      const x = p[i]!, y = p[i + 1]!, z = p[i + 2]!;
      const ci = b[0]! * x + b[1]! * y + b[2]! * z + b[3]!;
      const cj = b[4]! * x + b[5]! * y + b[6]! * z + b[7]!;
      const ck = b[8]! * x + b[9]! * y + b[10]! * z + b[11]!;
      const inside =
        ci >= -0.5 - eps && ci <= nx - 0.5 + eps && cj >= -0.5 - eps && cj <= ny - 0.5 + eps && ck >= -0.5 - eps && ck <= nz - 0.5 + eps;
      if (!inside) outside++;
    }
  }
  return n === 0 ? 0 : outside / n;
}

export function readDicomCase(path: string, options: ReadCaseOptions = {}): DicomCase {
  const inventory = scanDicom(path);
  const all = listSeries(inventory);
  const cts = all.filter((s) => s.series.modality === 'CT');
  const chosen =
    options.ctSeriesInstanceUid !== undefined
      ? cts.filter((s) => s.series.seriesInstanceUid === options.ctSeriesInstanceUid)
      : cts;
  if (chosen.length !== 1) {
    const listed = cts.map((s) => `${s.series.seriesInstanceUid} (${s.series.files.length} slices)`).join('; ');
    throw new DicomError(
      chosen.length === 0
        ? `expected a CT series${options.ctSeriesInstanceUid !== undefined ? ` with UID ${options.ctSeriesInstanceUid}` : ''}, found ${cts.length === 0 ? 'none' : listed}`
        : `expected one CT series, found ${chosen.length}: ${listed}; choose one by its series UID`,
      { file: path },
    );
  }
  const ct = readCtSeries(chosen[0]!.series.files);
  const warnings: string[] = inventory.skipped.map((s) => `skipped ${s.file}: ${s.reason}`);

  const filesOf = (modality: string): string[] =>
    all.filter((s) => s.series.modality === modality).flatMap((s) => s.series.files);

  let structureSets = filesOf('RTSTRUCT').map((f) => readStructureSet(f));
  if (options.structureSetFile !== undefined) {
    structureSets = structureSets.filter((s) => s.file === options.structureSetFile);
    if (structureSets.length === 0) structureSets = [readStructureSet(options.structureSetFile)];
  }
  for (const s of structureSets) checkFrame('structure set', s.file, s.frameOfReferenceUid, ct);
  if (structureSets.length > 1) {
    let referencing = structureSets.filter((s) => s.referencedSeriesInstanceUid === ct.seriesInstanceUid);
    // A structure set derived from another (ROIs added, as `lattice place` writes) holds every ROI of
    // the others: it supersedes them.
    const names = (s: StructureSet): Set<string> => new Set(s.structures.map((r) => r.name));
    const superset = referencing.filter((a) =>
      referencing.every((b) => a === b || ([...names(b)].every((n) => names(a).has(n)) && names(a).size > names(b).size)),
    );
    if (referencing.length > 1 && superset.length === 1) {
      warnings.push(
        `${referencing.length} structure sets reference the CT; using ${superset[0]!.file ?? superset[0]!.sopInstanceUid}, ` +
          'which holds every ROI of the others',
      );
      referencing = superset;
    }
    if (referencing.length !== 1) {
      throw new DicomError(
        `expected one structure set for CT series ${ct.seriesInstanceUid}, found ${structureSets.length}: ` +
          `${structureSets.map((s) => `${s.file ?? s.sopInstanceUid} (label ${s.label})`).join('; ')}; choose one`,
        { file: path },
      );
    }
    structureSets = referencing;
  }
  const structureSet = structureSets[0];
  if (structureSet?.warnings !== undefined) warnings.push(...structureSet.warnings);

  const doses = filesOf('RTDOSE').map((f) => readRtDose(f));
  for (const d of doses) {
    checkFrame('dose', d.file, d.frameOfReferenceUid, ct);
    if (d.warnings !== undefined) warnings.push(...d.warnings);
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
    if (p.frameOfReferenceUid !== '') checkFrame('plan', p.file, p.frameOfReferenceUid, ct);
    else if (structureSet !== undefined && p.referencedStructureSetSopInstanceUid !== undefined &&
      p.referencedStructureSetSopInstanceUid !== structureSet.sopInstanceUid) {
      warnings.push(`plan ${p.file ?? p.sopInstanceUid} references structure set ${p.referencedStructureSetSopInstanceUid}, not the one read (${structureSet.sopInstanceUid})`);
    }
  }

  return {
    root: inventory.root,
    ct,
    ...(structureSet !== undefined ? { structureSet } : {}),
    doses,
    plans,
    warnings,
  };
}
