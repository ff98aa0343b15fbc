/**
 * A CT volume and mask structures written as DICOM: a CT series (one file per slice, under `CT/`) and
 * an RT Structure Set (`RTSTRUCT.dcm`) that references it. Masks become closed planar contours on the
 * CT slices by marching squares (src/geometry/contour.ts), unless a structure carries exact contours
 * (lattice spheres); reading the RTSTRUCT back and rasterising it (src/geometry/rasterize.ts) returns
 * the same masks.
 *
 * UIDs derive from `seed`, so the same input writes the same files.
 */

import { join } from 'node:path';
import { maskToContours } from '../../../geometry/contour.js';
import type { ContourStructure, MaskStructure, PlanarContour } from '../../../geometry/structure.js';
import type { ScalarVolume } from '../../../geometry/volume.js';
import type { CtSeries, StructureSet } from '../model.js';
import { frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../uid.js';
import type { WriteOptions } from './common.js';
import { writeCtSeries } from './ct.js';
import { referencedCtOf, writeStructureSet } from './rtstruct.js';

export interface CaseWriteInput {
  /** CT in HU. */
  readonly ct: ScalarVolume;
  readonly structures: readonly MaskStructure[];
  readonly patientId: string;
  readonly patientName: string;
  readonly studyDescription?: string;
  /** Structure Set Label (at most 16 characters). */
  readonly structureSetLabel: string;
  /** Seed of every derived UID (e.g. a case name): the same seed and input give the same files. */
  readonly seed: string;
  /** Douglas-Peucker tolerance (mm) for the contours; default 0 (exact marching-squares outlines). */
  readonly simplifyToleranceMm?: number;
}

export interface WrittenCase {
  readonly ctDir: string;
  readonly ctFiles: readonly string[];
  readonly rtstructFile: string;
  readonly series: CtSeries;
  readonly structureSet: StructureSet;
}

/** The contours to write for a mask structure: its exact contours when it has them, else its mask's outline. */
export function contoursToWrite(s: MaskStructure, simplifyToleranceMm = 0): readonly PlanarContour[] {
  return s.contours ?? maskToContours(s.mask, { simplifyToleranceMm });
}

/** Masks as RTSTRUCT ROIs, numbered from 1 in the given order (exact contours where a structure has them). */
export function maskStructuresToContours(structures: readonly MaskStructure[], simplifyToleranceMm = 0): ContourStructure[] {
  return structures.map((s, n) => ({
    roiNumber: n + 1,
    name: s.name,
    interpretedType: s.interpretedType,
    colorRgb: s.colorRgb,
    contours: contoursToWrite(s, simplifyToleranceMm),
  }));
}

export function writeCase(dir: string, input: CaseWriteInput, options: WriteOptions = {}): WrittenCase {
  const studyInstanceUid = studyInstanceUidFor(input.seed);
  const ctDir = join(dir, 'CT');
  const written = writeCtSeries(
    {
      patientId: input.patientId,
      patientName: input.patientName,
      studyInstanceUid,
      seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'CT'),
      frameOfReferenceUid: frameOfReferenceUidFor(input.seed),
      ...(input.studyDescription !== undefined ? { studyDescription: input.studyDescription } : {}),
      seriesDescription: 'CT',
      hu: input.ct,
    },
    ctDir,
    { seriesNumber: 1, ...options },
  );
  const rtstructFile = join(dir, 'RTSTRUCT.dcm');
  const structureSet = writeStructureSet(
    {
      label: input.structureSetLabel,
      seriesDescription: 'Structures',
      structures: maskStructuresToContours(input.structures, input.simplifyToleranceMm),
      referencedCt: referencedCtOf(written.series),
    },
    rtstructFile,
    { seriesNumber: 2, roiGenerationAlgorithm: 'AUTOMATIC', ...options },
  );
  return { ctDir, ctFiles: written.files, rtstructFile, series: written.series, structureSet };
}
