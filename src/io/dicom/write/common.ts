/**
 * Modules every written object shares (PS3.3): Patient, General Study, (RT / General) Series,
 * Frame of Reference, General Equipment, SOP Common; and those of the image objects (CT, RT Dose):
 * the image-plane geometry of a grid and greyscale Image Pixel.
 *
 * Input: the identity from the shared models (src/io/dicom/model.ts) and the writer options below.
 * Dates: only when the caller passes `date` (UTC, with TimezoneOffsetFromUTC "+0000"); otherwise
 * the type 2 dates and times are written empty, so a file depends on its inputs alone.
 *
 * Reference: DICOM PS3.3 C.7.1.1 (Patient), C.7.2.1 (General Study), C.7.3.1 (General Series),
 * C.8.8.1 (RT Series), C.7.4.1 (Frame of Reference), C.7.5.1 (General Equipment),
 * C.7.6.2 (Image Plane), C.7.6.3 (Image Pixel), C.12.1 (SOP Common).
 */

import { DicomError, GeometryError, fmt } from '../../../core/errors.js';
import { column, cross, norm, type MutVec3 } from '../../../core/vec3.js';
import { indexToLps, type Grid } from '../../../geometry/grid.js';
import type { DicomIdentity } from '../model.js';
import { assertValidUid } from '../uid.js';
import { put, type Dataset, type SopInstance } from './encode.js';
import { formatDA, formatDSList, formatIS, formatTM } from './values.js';

/** Options every writer accepts. */
export interface WriteOptions {
  /** Study / series / content / instance-creation date and time, written in UTC. Default: none (type 2 dates left empty). */
  readonly date?: Date;
  /** (0008,0070) Manufacturer. Default "lattice-rt". */
  readonly manufacturer?: string;
  /** (0020,0011) Series Number. Default: empty (type 2). */
  readonly seriesNumber?: number;
  /** (0020,0010) Study ID. Default: empty. */
  readonly studyId?: string;
  /** (0008,0050) Accession Number. Default: empty. */
  readonly accessionNumber?: string;
  /** (0008,0090) Referring Physician's Name. Default: empty. */
  readonly referringPhysicianName?: string;
  /** (0010,0030) Patient's Birth Date as YYYYMMDD. Default: empty. */
  readonly patientBirthDate?: string;
  /** (0010,0040) Patient's Sex. Default: empty. */
  readonly patientSex?: 'M' | 'F' | 'O' | '';
  /** (0008,1070) Operators' Name (RT Series, type 2). Default: empty. */
  readonly operatorsName?: string;
}

export const DEFAULT_MANUFACTURER = 'lattice-rt';

type PatientStudy = Pick<DicomIdentity, 'patientId' | 'patientName' | 'studyInstanceUid' | 'studyDescription'>;

/** The identity fields of `x` and nothing else (absent descriptions left out), for the models returned. */
export function identityOf(x: DicomIdentity): DicomIdentity {
  return {
    patientId: x.patientId,
    patientName: x.patientName,
    studyInstanceUid: x.studyInstanceUid,
    seriesInstanceUid: x.seriesInstanceUid,
    frameOfReferenceUid: x.frameOfReferenceUid,
    ...(x.studyDescription !== undefined ? { studyDescription: x.studyDescription } : {}),
    ...(x.seriesDescription !== undefined ? { seriesDescription: x.seriesDescription } : {}),
  };
}

/** Throws DicomError unless the study, series and frame-of-reference UIDs are valid. */
export function assertIdentityUids(id: Pick<DicomIdentity, 'studyInstanceUid' | 'seriesInstanceUid' | 'frameOfReferenceUid'>): void {
  assertValidUid(id.studyInstanceUid, 'StudyInstanceUID');
  assertValidUid(id.seriesInstanceUid, 'SeriesInstanceUID');
  assertValidUid(id.frameOfReferenceUid, 'FrameOfReferenceUID');
}

/**
 * The modules every object starts with: SOP Common, Patient, General Study, General (CT) or RT
 * Series, Frame of Reference, General Equipment.
 */
export function putCommonModules(
  d: Dataset,
  sop: SopInstance,
  modality: 'CT' | 'RTSTRUCT' | 'RTDOSE' | 'RTPLAN',
  id: DicomIdentity,
  options: WriteOptions,
): void {
  putSopCommon(d, sop.sopClassUid, sop.sopInstanceUid, options);
  putPatientAndStudy(d, id, options);
  putSeries(d, modality, id.seriesInstanceUid, id.seriesDescription, options);
  putFrameOfReference(d, id.frameOfReferenceUid);
  putEquipment(d, options);
}

/** Patient and General Study modules. */
function putPatientAndStudy(d: Dataset, id: PatientStudy, options: WriteOptions): void {
  put(d, 'PatientName', id.patientName);
  put(d, 'PatientID', id.patientId);
  put(d, 'PatientBirthDate', options.patientBirthDate ?? '');
  put(d, 'PatientSex', options.patientSex ?? '');
  put(d, 'StudyInstanceUID', id.studyInstanceUid);
  put(d, 'StudyDate', options.date ? formatDA(options.date) : '');
  put(d, 'StudyTime', options.date ? formatTM(options.date) : '');
  put(d, 'ReferringPhysicianName', options.referringPhysicianName ?? '');
  put(d, 'StudyID', options.studyId ?? '');
  put(d, 'AccessionNumber', options.accessionNumber ?? '');
  if (id.studyDescription !== undefined && id.studyDescription !== '') put(d, 'StudyDescription', id.studyDescription);
}

/** General Series (CT) or RT Series module. */
function putSeries(
  d: Dataset,
  modality: 'CT' | 'RTSTRUCT' | 'RTDOSE' | 'RTPLAN',
  seriesInstanceUid: string,
  seriesDescription: string | undefined,
  options: WriteOptions,
): void {
  put(d, 'Modality', modality);
  put(d, 'SeriesInstanceUID', seriesInstanceUid);
  put(d, 'SeriesNumber', options.seriesNumber === undefined ? '' : formatIS(options.seriesNumber, 'SeriesNumber'));
  if (seriesDescription !== undefined && seriesDescription !== '') put(d, 'SeriesDescription', seriesDescription);
  if (options.date) {
    put(d, 'SeriesDate', formatDA(options.date));
    put(d, 'SeriesTime', formatTM(options.date));
  }
  // Laterality is type 2C (paired body parts); written empty since no body part is known.
  if (modality === 'CT') put(d, 'Laterality', '');
  else put(d, 'OperatorsName', options.operatorsName ?? '');
}

/** Frame of Reference module. */
function putFrameOfReference(d: Dataset, frameOfReferenceUid: string): void {
  put(d, 'FrameOfReferenceUID', frameOfReferenceUid);
  put(d, 'PositionReferenceIndicator', '');
}

/** General Equipment module. */
function putEquipment(d: Dataset, options: WriteOptions): void {
  put(d, 'Manufacturer', options.manufacturer ?? DEFAULT_MANUFACTURER);
  put(d, 'ManufacturerModelName', 'lattice-rt');
}

/** SOP Common module (SpecificCharacterSet is added by encodeFile when needed). */
function putSopCommon(d: Dataset, sopClassUid: string, sopInstanceUid: string, options: WriteOptions): void {
  put(d, 'SOPClassUID', sopClassUid);
  put(d, 'SOPInstanceUID', sopInstanceUid);
  if (options.date) {
    put(d, 'InstanceCreationDate', formatDA(options.date));
    put(d, 'InstanceCreationTime', formatTM(options.date));
    put(d, 'TimezoneOffsetFromUTC', '+0000');
  }
}

/** Content date and time (General Image / RT Dose), empty when no date is given. */
export function putContentDateTime(d: Dataset, options: WriteOptions): void {
  put(d, 'ContentDate', options.date ? formatDA(options.date) : '');
  put(d, 'ContentTime', options.date ? formatTM(options.date) : '');
}

/** Largest |k axis - row x column| accepted: the grid's k axis must be the DICOM slice normal. */
const NORMAL_TOLERANCE = 1e-4;

export interface SliceFrame {
  /** Unit LPS direction of increasing column index (grid axis i). */
  readonly rowCosines: MutVec3;
  /** Unit LPS direction of increasing row index (grid axis j). */
  readonly columnCosines: MutVec3;
  /** rowCosines x columnCosines, which is also the grid's k axis. */
  readonly normal: MutVec3;
}

/**
 * The image frame of a grid written as a stack of DICOM slices. Rows and Columns are US, so a grid
 * wider than 65535 voxels is a DicomError. DICOM has no field for the slice direction: readers take
 * it as row x column (ImageOrientationPatient) and order slices by position along it, so the grid's
 * k axis must equal that cross product. Throws GeometryError otherwise (a left-handed grid: flip
 * it, or reverse k, before writing).
 */
export function sliceFrame(grid: Grid, what: string): SliceFrame {
  checkImageSize(grid, what);
  const rowCosines = column(grid.direction, 0);
  const columnCosines = column(grid.direction, 1);
  const k = column(grid.direction, 2);
  const normal = cross(rowCosines, columnCosines);
  const dev = norm([k[0] - normal[0], k[1] - normal[1], k[2] - normal[2]]);
  if (dev > NORMAL_TOLERANCE) {
    throw new GeometryError(
      `${what}: expected the grid's k axis to be the slice normal (column 0 x column 1 of the direction = [${normal.map(fmt).join(', ')}]), found k axis [${k.map(fmt).join(', ')}] (a left-handed grid cannot be written as DICOM slices)`,
    );
  }
  return { rowCosines, columnCosines, normal };
}

export interface ImagePlane {
  readonly imagePositionPatient: string[];
  readonly imageOrientationPatient: string[];
  readonly pixelSpacing: string[];
  /** Position along the slice normal (mm). */
  readonly positionMm: number;
}

/** Image Plane values of slice k: ImagePositionPatient, ImageOrientationPatient, PixelSpacing. */
export function imagePlane(grid: Grid, k: number, frame: SliceFrame): ImagePlane {
  const p = indexToLps(grid, [0, 0, k]);
  return {
    imagePositionPatient: formatDSList(p, 'ImagePositionPatient'),
    imageOrientationPatient: formatDSList([...frame.rowCosines, ...frame.columnCosines], 'ImageOrientationPatient'),
    // PixelSpacing is (row spacing, column spacing): the distance between rows (along j) first.
    pixelSpacing: formatDSList([grid.spacingMm[1], grid.spacingMm[0]], 'PixelSpacing'),
    positionMm: p[0] * frame.normal[0] + p[1] * frame.normal[1] + p[2] * frame.normal[2],
  };
}

/** Image Plane module (the slice thickness and location are the caller's). */
export function putImagePlane(d: Dataset, plane: ImagePlane): void {
  put(d, 'ImagePositionPatient', plane.imagePositionPatient);
  put(d, 'ImageOrientationPatient', plane.imageOrientationPatient);
  put(d, 'PixelSpacing', plane.pixelSpacing);
}

/**
 * Image Pixel module of greyscale pixels, one frame or several (frames of `grid.size[1]` rows of
 * `grid.size[0]` columns), every allocated bit stored: `pixelBytes` in little-endian order.
 */
export function putGreyscalePixels(d: Dataset, grid: Grid, bits: 16 | 32, signed: boolean, pixelBytes: Uint8Array): void {
  put(d, 'SamplesPerPixel', 1);
  put(d, 'PhotometricInterpretation', 'MONOCHROME2');
  put(d, 'Rows', grid.size[1]);
  put(d, 'Columns', grid.size[0]);
  put(d, 'BitsAllocated', bits);
  put(d, 'BitsStored', bits);
  put(d, 'HighBit', bits - 1);
  put(d, 'PixelRepresentation', signed ? 1 : 0);
  put(d, 'PixelData', pixelBytes);
}

/** Rows and Columns are US: a grid wider than 65535 voxels cannot be written. */
function checkImageSize(grid: Grid, what: string): void {
  if (grid.size[0] > 0xffff || grid.size[1] > 0xffff) {
    throw new DicomError(`${what}: expected at most 65535 rows and columns, found ${grid.size[1]} x ${grid.size[0]}`);
  }
}
