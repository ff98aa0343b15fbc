/**
 * Write a CT volume as a DICOM CT Image series: one file per slice (grid index k), explicit VR
 * little endian, signed 16-bit pixels with RescaleSlope 1 and RescaleIntercept 0 (stored value =
 * HU, rounded to the nearest integer).
 *
 * Input: the CT in HU on its grid (LPS, mm), whose k axis must be the slice normal (row x column
 * cosines), and the identity (patient, study, series, frame of reference). SOP Instance UIDs are
 * taken from `slices` when given, else derived from the series UID, the slice index and the
 * slice's content. Output: the files written (one per slice, in k order) and the CtSeries model of
 * what they hold. Each file is written atomically; if any fails, the files this call wrote are
 * removed again.
 *
 * Reference: DICOM PS3.3 A.3 (CT Image IOD), C.8.2.1 (CT Image module), C.7.6.2 (Image Plane),
 * C.7.6.3 (Image Pixel).
 */

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DicomError, fmt } from '../../../core/errors.js';
import { voxelCount } from '../../../geometry/grid.js';
import type { ScalarVolume } from '../../../geometry/volume.js';
import { removeWrittenFile, writeFileAtomic } from '../../atomic.js';
import type { CtSeries, CtSlice, DicomIdentity } from '../model.js';
import { SOP_CLASS, TRANSFER_SYNTAX, assertValidUid, sopInstanceUidFor } from '../uid.js';
import {
  assertIdentityUids,
  identityOf,
  imagePlane,
  putCommonModules,
  putContentDateTime,
  putGreyscalePixels,
  putImagePlane,
  sliceFrame,
  type WriteOptions,
} from './common.js';
import { dataset, encodeFile, put } from './encode.js';
import { formatDS, formatIS } from './values.js';

/** What writeCtSeries needs: a CtSeries read earlier fits, as does a new volume with its identity. */
export interface CtWriteInput extends DicomIdentity {
  /** CT in HU; its grid is the image grid. */
  readonly hu: ScalarVolume;
  /** SOP Instance UIDs to keep, one per slice in k order; derived when absent. */
  readonly slices?: readonly Pick<CtSlice, 'sopInstanceUid'>[];
}

export interface CtWriteOptions extends WriteOptions {
  /** (0018,0060) KVP in kV (type 2). Default: empty. */
  readonly kvp?: number;
  /** (0018,5100) Patient Position, e.g. "HFS". Default: inferred from an axial orientation, else empty. */
  readonly patientPosition?: string;
  /** File name of slice k (0-based) inside `dir`. Default "CT_0001.dcm" for k = 0. */
  readonly fileName?: (k: number) => string;
}

export interface WrittenCtSeries {
  /** Absolute or dir-relative paths as given, one per slice, in k order. */
  readonly files: readonly string[];
  /** The series as written (identity, the HU volume, slice UIDs and positions). */
  readonly series: CtSeries;
}

/** Stored values are int16 HU (slope 1, intercept 0). */
const HU_MIN = -32768;
const HU_MAX = 32767;

/**
 * HFS / FFS / HFP / FFP from an axial ImageOrientationPatient as scanners write it (row along
 * +-x, column along +-y); empty for any other orientation.
 */
function inferPatientPosition(row: readonly number[], col: readonly number[]): string {
  const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;
  if (!near(row[1]!, 0) || !near(row[2]!, 0) || !near(col[0]!, 0) || !near(col[2]!, 0)) return '';
  const rx = Math.sign(row[0]!);
  const cy = Math.sign(col[1]!);
  if (rx > 0 && cy > 0) return 'HFS';
  if (rx < 0 && cy > 0) return 'FFS';
  if (rx < 0 && cy < 0) return 'HFP';
  return 'FFP';
}

/** Write `input.hu` as one CT Image file per slice into `dir`. */
export function writeCtSeries(input: CtWriteInput, dir: string, options: CtWriteOptions = {}): WrittenCtSeries {
  const { hu } = input;
  const grid = hu.grid;
  const [nx, ny, nz] = grid.size;
  if (hu.data.length !== voxelCount(grid)) {
    throw new DicomError(`CT volume: expected ${voxelCount(grid)} values for its grid, found ${hu.data.length}`);
  }
  if (input.slices !== undefined && input.slices.length !== nz) {
    throw new DicomError(`CT series: expected ${nz} slice UIDs (one per slice), found ${input.slices.length}`);
  }
  assertIdentityUids(input);
  const frame = sliceFrame(grid, 'CT series');
  const patientPosition =
    options.patientPosition ?? inferPatientPosition(frame.rowCosines, frame.columnCosines);
  const fileName = options.fileName ?? ((k: number) => `CT_${String(k + 1).padStart(4, '0')}.dcm`);

  // Encode every slice first, so invalid data fails before anything is written.
  const encoded: { path: string; bytes: Uint8Array; slice: CtSlice }[] = [];
  const perSlice = nx * ny;
  for (let k = 0; k < nz; k++) {
    const pixels = new Int16Array(perSlice);
    const base = k * perSlice;
    for (let p = 0; p < perSlice; p++) {
      const v = hu.data[base + p]!;
      const stored = Math.round(v);
      if (!(stored >= HU_MIN && stored <= HU_MAX)) {
        const i = p % nx;
        throw new DicomError(
          `CT voxel (${i}, ${(p - i) / nx}, ${k}): expected a finite HU value in ${HU_MIN}..${HU_MAX} (int16 pixels, slope 1, intercept 0), found ${fmt(v)}`,
        );
      }
      pixels[p] = stored;
    }
    const pixelBytes = new Uint8Array(pixels.buffer);
    const plane = imagePlane(grid, k, frame);
    const sopInstanceUid =
      input.slices?.[k]?.sopInstanceUid ??
      sopInstanceUidFor(
        input.seriesInstanceUid,
        k,
        createHash('sha256').update(pixelBytes).update(plane.imagePositionPatient.join('\\')).update(plane.imageOrientationPatient.join('\\')).update(plane.pixelSpacing.join('\\')).digest('hex'),
      );
    assertValidUid(sopInstanceUid, `SOPInstanceUID of CT slice ${k}`);

    const sop = { sopClassUid: SOP_CLASS.ctImage, sopInstanceUid };
    const d = dataset((d) => {
      putCommonModules(d, sop, 'CT', input, options);
      put(d, 'PatientPosition', patientPosition);
      // General Image, Image Plane.
      put(d, 'ImageType', ['DERIVED', 'SECONDARY', 'AXIAL']);
      put(d, 'InstanceNumber', formatIS(k + 1));
      putContentDateTime(d, options);
      put(d, 'AcquisitionNumber', '');
      putImagePlane(d, plane);
      put(d, 'SliceThickness', formatDS(grid.spacingMm[2], 'SliceThickness'));
      put(d, 'SliceLocation', formatDS(plane.positionMm, 'SliceLocation'));
      // CT Image, Image Pixel.
      put(d, 'KVP', options.kvp === undefined ? '' : formatDS(options.kvp, 'KVP'));
      putGreyscalePixels(d, grid, 16, true, pixelBytes);
      put(d, 'RescaleIntercept', '0');
      put(d, 'RescaleSlope', '1');
    });
    const path = join(dir, fileName(k));
    encoded.push({
      path,
      bytes: encodeFile({ ...sop, transferSyntaxUid: TRANSFER_SYNTAX.explicitLittle }, d),
      slice: { sopInstanceUid, positionMm: plane.positionMm, k, file: path },
    });
  }
  if (new Set(encoded.map((e) => e.path)).size !== encoded.length) {
    throw new DicomError('CT series: expected a distinct file name for every slice, found repeats', { file: dir });
  }
  if (new Set(encoded.map((e) => e.slice.sopInstanceUid)).size !== encoded.length) {
    throw new DicomError('CT series: expected a distinct SOP Instance UID for every slice, found repeats', { file: dir });
  }

  const written: string[] = [];
  try {
    for (const e of encoded) {
      writeFileAtomic(e.path, e.bytes);
      written.push(e.path);
    }
  } catch (cause) {
    for (const path of written) removeWrittenFile(path);
    throw cause;
  }
  return {
    files: written,
    series: {
      modality: 'CT',
      ...identityOf(input),
      hu,
      slices: encoded.map((e) => e.slice),
    },
  };
}
