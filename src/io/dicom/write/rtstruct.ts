/**
 * Write planar contour structures as a DICOM RT Structure Set, and add ROIs to an existing one.
 *
 * Input: contour structures (LPS, mm; src/geometry/structure.ts) and the CT they were drawn on
 * (identity, slice normal, and each slice's SOP Instance UID and position along the normal).
 * Output: one file, IMPLICIT VR little endian (ContourData can exceed the 64 KiB an explicit-VR DS
 * length field can hold), written atomically; the function returns the StructureSet model of it.
 *
 * Each contour whose points all lie within the tolerance of one CT slice's plane references that
 * slice (ContourImageSequence); a contour off every slice, or not parallel to them, references none.
 * A new SOP Instance UID is derived from the content unless given.
 *
 * Reference: DICOM PS3.3 A.19 (RT Structure Set IOD), C.8.8.5 (Structure Set), C.8.8.6 (ROI
 * Contour), C.8.8.8 (RT ROI Observations), C.8.8.1 (RT Series).
 */

import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { DicomError, fmt } from '../../../core/errors.js';
import type { Vec3 } from '../../../core/vec3.js';
import { column, norm } from '../../../core/vec3.js';
import type { ContourStructure, PlanarContour } from '../../../geometry/structure.js';
import { writeFileAtomic } from '../../atomic.js';
import { ctGridOf, type CtSeries, type CtSeriesGeometry, type DicomIdentity, type StructureSet } from '../model.js';
import { SOP_CLASS, TRANSFER_SYNTAX, assertValidUid, deriveUid, seriesInstanceUidFor } from '../uid.js';
import { identityOf, putCommonModules, type WriteOptions } from './common.js';
import { dataset, encodeFile, put, type Dataset } from './encode.js';
import { formatDA, formatDSList, formatIS, formatTM } from './values.js';

/** The CT series a structure set refers to. */
export interface ReferencedCt {
  readonly patientId: string;
  readonly patientName: string;
  readonly studyInstanceUid: string;
  readonly studyDescription?: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  /** Unit slice normal (LPS), the direction of increasing slice index: row cosines x column cosines. */
  readonly sliceNormal: Vec3;
  /** Every slice: its SOP Instance UID and its position along sliceNormal (mm). */
  readonly slices: readonly { readonly sopInstanceUid: string; readonly positionMm: number }[];
}

/** The ReferencedCt of a CT series (as read, or as returned by writeCtSeries). */
export function referencedCtOf(series: CtSeries | CtSeriesGeometry): ReferencedCt {
  return {
    patientId: series.patientId,
    patientName: series.patientName,
    studyInstanceUid: series.studyInstanceUid,
    ...(series.studyDescription !== undefined ? { studyDescription: series.studyDescription } : {}),
    seriesInstanceUid: series.seriesInstanceUid,
    frameOfReferenceUid: series.frameOfReferenceUid,
    sliceNormal: column(ctGridOf(series).direction, 2),
    slices: series.slices.map((s) => ({ sopInstanceUid: s.sopInstanceUid, positionMm: s.positionMm })),
  };
}

export interface StructureSetWriteInput {
  /** (3006,0002) Structure Set Label, at most 16 characters. */
  readonly label: string;
  /** (3006,0004) Structure Set Name. */
  readonly name?: string;
  /** (3006,0006) Structure Set Description. */
  readonly description?: string;
  readonly seriesDescription?: string;
  readonly structures: readonly ContourStructure[];
  readonly referencedCt: ReferencedCt;
  /** Default: derived from the study and the label. */
  readonly seriesInstanceUid?: string;
  /** Default: derived from the content. */
  readonly sopInstanceUid?: string;
}

export interface StructureSetWriteOptions extends WriteOptions {
  /**
   * Largest distance (mm) between a contour's points and a CT slice plane for the contour to
   * reference that slice. Default: a quarter of the smallest gap between slices, at most 0.5 mm.
   */
  readonly sliceToleranceMm?: number;
  /** (3006,0036) ROI Generation Algorithm (type 2). Default: empty. */
  readonly roiGenerationAlgorithm?: 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL' | '';
}

export interface AddRoisOptions extends StructureSetWriteOptions {
  /**
   * The CT the existing structure set refers to (same study and frame of reference). With it,
   * every contour references its CT slice; without it, the new file names only the frame of
   * reference and no contour references an image (the StructureSet model keeps no slice list).
   */
  readonly referencedCt?: ReferencedCt;
  /** Default: the existing label. */
  readonly label?: string;
  /** Default: a new series derived from the new instance. */
  readonly seriesInstanceUid?: string;
  /** Default: derived from the existing instance and the added ROIs. */
  readonly sopInstanceUid?: string;
}

/** Everything one structure-set file holds: its identity (its own series) and content. */
interface StructureSetContent extends DicomIdentity {
  readonly ct: ReferencedCt | undefined;
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly name?: string;
  readonly description?: string;
  readonly structures: readonly ContourStructure[];
}

/** SHA-256 (hex) over everything that defines a list of structures. */
function structuresDigest(structures: readonly ContourStructure[]): string {
  const h = createHash('sha256');
  for (const s of structures) {
    h.update(JSON.stringify([s.roiNumber, s.name, s.interpretedType, s.observationLabel ?? null, s.colorRgb ?? null]));
    for (const c of s.contours) {
      h.update(`|${c.geometricType}|${c.pointsLps.length}|`);
      h.update(new Uint8Array(c.pointsLps.buffer, c.pointsLps.byteOffset, c.pointsLps.byteLength));
    }
  }
  return h.digest('hex');
}

function checkStructures(structures: readonly ContourStructure[]): void {
  const numbers = new Set<number>();
  for (const s of structures) {
    const ctx = { structure: s.name };
    if (!Number.isInteger(s.roiNumber) || s.roiNumber < 0 || s.roiNumber > 2147483647) {
      throw new DicomError(`ROI number: expected a non-negative integer, found ${fmt(s.roiNumber)}`, ctx);
    }
    if (numbers.has(s.roiNumber)) {
      throw new DicomError(`ROI number: expected unique ROI numbers, found ${s.roiNumber} twice`, ctx);
    }
    numbers.add(s.roiNumber);
    if (s.colorRgb !== undefined && s.colorRgb.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
      throw new DicomError(`ROI display colour: expected three integers in 0..255, found [${s.colorRgb.join(', ')}]`, ctx);
    }
    s.contours.forEach((c, n) => {
      const len = c.pointsLps.length;
      if (len === 0 || len % 3 !== 0) {
        throw new DicomError(`contour ${n}: expected x, y, z triples (a positive multiple of 3 numbers), found ${len} numbers`, ctx);
      }
      if (c.geometricType === 'POINT' && len !== 3) {
        throw new DicomError(`contour ${n}: expected one point for a POINT contour, found ${len / 3}`, ctx);
      }
      for (let i = 0; i < len; i++) {
        if (!Number.isFinite(c.pointsLps[i]!)) {
          throw new DicomError(`contour ${n}: expected finite coordinates (mm), found ${fmt(c.pointsLps[i]!)} at value ${i}`, ctx);
        }
      }
    });
  }
}

/** Index of the CT slice whose plane holds every point of the contour (within tol), if any. */
function matchSlice(contour: PlanarContour, ct: ReferencedCt, tolMm: number): number | undefined {
  if (contour.geometricType === 'OPEN_NONPLANAR') return undefined;
  const n = ct.sliceNormal;
  const pts = contour.pointsLps;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pts.length; i += 3) {
    const s = pts[i]! * n[0] + pts[i + 1]! * n[1] + pts[i + 2]! * n[2];
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  if (hi - lo > 2 * tolMm) return undefined;
  const mid = 0.5 * (lo + hi);
  let best: number | undefined;
  let bestDistance = Infinity;
  ct.slices.forEach((slice, index) => {
    const d = Math.max(Math.abs(slice.positionMm - lo), Math.abs(slice.positionMm - hi));
    if (d <= tolMm && Math.abs(slice.positionMm - mid) < bestDistance) {
      best = index;
      bestDistance = Math.abs(slice.positionMm - mid);
    }
  });
  return best;
}

function defaultTolerance(ct: ReferencedCt): number {
  const positions = ct.slices.map((s) => s.positionMm).sort((a, b) => a - b);
  let gap = Infinity;
  for (let i = 1; i < positions.length; i++) {
    const g = positions[i]! - positions[i - 1]!;
    if (g > 0) gap = Math.min(gap, g);
  }
  return Math.min(0.5, gap / 4);
}

function checkReferencedCt(ct: ReferencedCt): void {
  assertValidUid(ct.studyInstanceUid, 'referenced CT StudyInstanceUID');
  assertValidUid(ct.seriesInstanceUid, 'referenced CT SeriesInstanceUID');
  assertValidUid(ct.frameOfReferenceUid, 'referenced CT FrameOfReferenceUID');
  if (ct.slices.length === 0) {
    throw new DicomError('referenced CT: expected at least one slice (ContourImageSequence is type 1), found none');
  }
  if (Math.abs(norm(ct.sliceNormal) - 1) > 1e-4) {
    throw new DicomError(`referenced CT: expected a unit slice normal, found length ${fmt(norm(ct.sliceNormal))}`);
  }
  for (const s of ct.slices) assertValidUid(s.sopInstanceUid, 'referenced CT slice SOPInstanceUID');
}

function encodeStructureSet(c: StructureSetContent, options: StructureSetWriteOptions): Uint8Array {
  const ct = c.ct;
  const tol = ct === undefined ? 0 : (options.sliceToleranceMm ?? defaultTolerance(ct));
  if (ct !== undefined && !(tol >= 0)) {
    throw new DicomError(`slice tolerance: expected a non-negative distance (mm), found ${fmt(tol)}`);
  }
  const imageRef = (sopInstanceUid: string): Dataset =>
    dataset((d) => {
      put(d, 'ReferencedSOPClassUID', SOP_CLASS.ctImage);
      put(d, 'ReferencedSOPInstanceUID', sopInstanceUid);
    });

  const sop = { sopClassUid: SOP_CLASS.rtStructureSet, sopInstanceUid: c.sopInstanceUid };
  const d = dataset((d) => {
    // Includes the Frame of Reference module: part of the RT Structure Set IOD since PS3.3 2021 (dciodvfy checks it).
    putCommonModules(d, sop, 'RTSTRUCT', c, options);

    // Structure Set module.
    put(d, 'InstanceNumber', '1');
    put(d, 'StructureSetLabel', c.label);
    if (c.name !== undefined && c.name !== '') put(d, 'StructureSetName', c.name);
    if (c.description !== undefined && c.description !== '') put(d, 'StructureSetDescription', c.description);
    put(d, 'StructureSetDate', options.date ? formatDA(options.date) : '');
    put(d, 'StructureSetTime', options.date ? formatTM(options.date) : '');
    put(d, 'ReferencedFrameOfReferenceSequence', [
      dataset((f) => {
        put(f, 'FrameOfReferenceUID', c.frameOfReferenceUid);
        if (ct !== undefined) {
          put(f, 'RTReferencedStudySequence', [
            dataset((st) => {
              put(st, 'ReferencedSOPClassUID', SOP_CLASS.detachedStudyManagement);
              put(st, 'ReferencedSOPInstanceUID', ct.studyInstanceUid);
              put(st, 'RTReferencedSeriesSequence', [
                dataset((se) => {
                  put(se, 'SeriesInstanceUID', ct.seriesInstanceUid);
                  put(se, 'ContourImageSequence', ct.slices.map((s) => imageRef(s.sopInstanceUid)));
                }),
              ]);
            }),
          ]);
        }
      }),
    ]);
    put(
      d,
      'StructureSetROISequence',
      c.structures.map((s) =>
        dataset((r) => {
          put(r, 'ROINumber', formatIS(s.roiNumber));
          put(r, 'ReferencedFrameOfReferenceUID', c.frameOfReferenceUid);
          put(r, 'ROIName', s.name);
          put(r, 'ROIGenerationAlgorithm', options.roiGenerationAlgorithm ?? '');
        }),
      ),
    );

    // ROI Contour module.
    put(
      d,
      'ROIContourSequence',
      c.structures.map((s) =>
        dataset((r) => {
          put(r, 'ReferencedROINumber', formatIS(s.roiNumber));
          if (s.colorRgb !== undefined) put(r, 'ROIDisplayColor', s.colorRgb.map((v) => formatIS(v)));
          if (s.contours.length > 0) {
            put(
              r,
              'ContourSequence',
              s.contours.map((contour, n) =>
                dataset((cd) => {
                  const slice = ct === undefined ? undefined : matchSlice(contour, ct, tol);
                  if (slice !== undefined) put(cd, 'ContourImageSequence', [imageRef(ct!.slices[slice]!.sopInstanceUid)]);
                  put(cd, 'ContourNumber', formatIS(n + 1));
                  put(cd, 'ContourGeometricType', contour.geometricType);
                  put(cd, 'NumberOfContourPoints', formatIS(contour.pointsLps.length / 3));
                  put(cd, 'ContourData', formatDSList(contour.pointsLps, 'ContourData'));
                }),
              ),
            );
          }
        }),
      ),
    );

    // RT ROI Observations module.
    put(
      d,
      'RTROIObservationsSequence',
      c.structures.map((s, index) =>
        dataset((o) => {
          put(o, 'ObservationNumber', formatIS(index + 1));
          put(o, 'ReferencedROINumber', formatIS(s.roiNumber));
          if (s.observationLabel !== undefined && s.observationLabel !== '') put(o, 'ROIObservationLabel', s.observationLabel);
          put(o, 'RTROIInterpretedType', s.interpretedType);
          put(o, 'ROIInterpreter', '');
        }),
      ),
    );
  });
  return encodeFile({ ...sop, transferSyntaxUid: TRANSFER_SYNTAX.implicitLittle }, d);
}

function modelOf(c: StructureSetContent, path: string): StructureSet {
  return {
    modality: 'RTSTRUCT',
    ...identityOf(c),
    sopInstanceUid: c.sopInstanceUid,
    label: c.label,
    ...(c.ct !== undefined ? { referencedSeriesInstanceUid: c.ct.seriesInstanceUid } : {}),
    structures: c.structures,
    file: path,
  };
}

/** Write an RT Structure Set of `input.structures` on `input.referencedCt` to `path`. */
export function writeStructureSet(
  input: StructureSetWriteInput,
  path: string,
  options: StructureSetWriteOptions = {},
): StructureSet {
  const ct = input.referencedCt;
  checkReferencedCt(ct);
  checkStructures(input.structures);
  const seriesInstanceUid = input.seriesInstanceUid ?? seriesInstanceUidFor(ct.studyInstanceUid, `RTSTRUCT ${input.label}`);
  const sopInstanceUid =
    input.sopInstanceUid ??
    deriveUid('lattice-rt', 'rtstruct', seriesInstanceUid, ct.seriesInstanceUid, ct.frameOfReferenceUid, input.label, structuresDigest(input.structures));
  assertValidUid(seriesInstanceUid, 'RT Structure Set SeriesInstanceUID');
  assertValidUid(sopInstanceUid, 'RT Structure Set SOPInstanceUID');
  const content: StructureSetContent = {
    // The CT's patient, study and frame of reference; a series of its own.
    ...identityOf({ ...ct, seriesInstanceUid, seriesDescription: input.seriesDescription }),
    ct,
    sopInstanceUid,
    label: input.label,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    structures: input.structures,
  };
  writeFileAtomic(path, encodeStructureSet(content, options));
  return modelOf(content, path);
}

/**
 * Write a NEW structure set holding every ROI of `existing` followed by `newRois`: a new SOP
 * Instance UID (and by default a new series), the same patient, study and frame of reference.
 * The existing file is never opened for writing; writing to its path is refused. New ROIs must
 * not reuse an existing ROI number or name.
 */
export function addRoisToStructureSet(
  existing: StructureSet,
  newRois: readonly ContourStructure[],
  path: string,
  options: AddRoisOptions = {},
): StructureSet {
  if (existing.file !== undefined && resolve(existing.file) === resolve(path)) {
    throw new DicomError('adding ROIs: expected an output path other than the input structure set (input files are never modified)', {
      file: path,
    });
  }
  const ct = options.referencedCt;
  if (ct !== undefined) {
    checkReferencedCt(ct);
    if (ct.studyInstanceUid !== existing.studyInstanceUid || ct.frameOfReferenceUid !== existing.frameOfReferenceUid) {
      throw new DicomError(
        `adding ROIs: expected the referenced CT to share the structure set's study ${existing.studyInstanceUid} and frame of reference ${existing.frameOfReferenceUid}, found ${ct.studyInstanceUid} and ${ct.frameOfReferenceUid}`,
        { file: existing.file },
      );
    }
  }
  const numbers = new Map(existing.structures.map((s) => [s.roiNumber, s.name]));
  const names = new Set(existing.structures.map((s) => s.name));
  const next = Math.max(0, ...existing.structures.map((s) => s.roiNumber)) + 1;
  for (const roi of newRois) {
    if (numbers.has(roi.roiNumber)) {
      throw new DicomError(
        `adding ROIs: ROI number ${roi.roiNumber} is already used by "${numbers.get(roi.roiNumber)}"; expected a new number (free from ${next})`,
        { structure: roi.name, file: existing.file },
      );
    }
    if (names.has(roi.name)) {
      throw new DicomError('adding ROIs: expected a new ROI name, found one the structure set already has', {
        structure: roi.name,
        file: existing.file,
      });
    }
  }
  const structures = [...existing.structures, ...newRois];
  checkStructures(structures);
  const sopInstanceUid =
    options.sopInstanceUid ?? deriveUid('lattice-rt', 'rtstruct-add-rois', existing.sopInstanceUid, structuresDigest(newRois));
  const seriesInstanceUid = options.seriesInstanceUid ?? deriveUid('lattice-rt', 'series-of', sopInstanceUid);
  assertValidUid(sopInstanceUid, 'RT Structure Set SOPInstanceUID');
  assertValidUid(seriesInstanceUid, 'RT Structure Set SeriesInstanceUID');
  if (sopInstanceUid === existing.sopInstanceUid) {
    throw new DicomError('adding ROIs: expected a new SOP Instance UID, found the existing one', { file: existing.file });
  }
  const content: StructureSetContent = {
    ...identityOf({ ...existing, seriesInstanceUid }),
    ct,
    sopInstanceUid,
    label: options.label ?? existing.label,
    structures,
  };
  writeFileAtomic(path, encodeStructureSet(content, options));
  return modelOf(content, path);
}
