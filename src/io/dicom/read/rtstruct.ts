/**
 * RT Structure Set -> StructureSet, PS3.3 A.19 (RT Structure Set IOD), C.8.8.5 (Structure Set),
 * C.8.8.6 (ROI Contour), C.8.8.8 (RT ROI Observations).
 *
 * Input: one RTSTRUCT file. Output: one ContourStructure per StructureSetROISequence item, in file
 * order, with its colour and contours from ROIContourSequence and its interpreted type / label from
 * RTROIObservationsSequence (both matched by ROI number). Contour points are LPS mm as stored.
 *
 * Lenient where real files differ and nothing is lost (plastimatch writes no RTROIInterpretedType:
 * read as ''); every workaround is listed in `warnings`: a CLOSED_PLANAR contour with fewer than 3
 * points is dropped, NumberOfContourPoints disagreeing with ContourData is ignored (the data wins),
 * an unknown interpreted type reads as ''. Malformed geometry (ContourData not a multiple of 3
 * numbers, an unknown ContourGeometricType, duplicate ROI numbers) is a DicomError.
 */

import { DicomError } from '../../../core/errors.js';
import type { ContourGeometricType, ContourStructure, PlanarContour, RoiInterpretedType, Rgb } from '../../../geometry/structure.js';
import type { StructureSet } from '../model.js';
import { TAGS, tagLabel, type TagKeyword } from '../tags.js';
import { readIdentity, requireModality } from './identity.js';
import { parseDicom } from './parse.js';
import { inputName, loadInput, type DicomInput } from './source.js';
import type { DicomView } from './view.js';

const GEOMETRIC_TYPES: ReadonlySet<string> = new Set<ContourGeometricType>(['POINT', 'OPEN_PLANAR', 'OPEN_NONPLANAR', 'CLOSED_PLANAR']);

const INTERPRETED_TYPES: ReadonlySet<string> = new Set<RoiInterpretedType>([
  'EXTERNAL', 'PTV', 'CTV', 'GTV', 'TREATED_VOLUME', 'IRRAD_VOLUME', 'BOLUS', 'AVOIDANCE', 'ORGAN', 'MARKER',
  'REGISTRATION', 'ISOCENTER', 'CONTRAST_AGENT', 'CAVITY', 'BRACHY_CHANNEL', 'BRACHY_ACCESSORY', 'BRACHY_SRC_APP',
  'BRACHY_CHNL_SHLD', 'SUPPORT', 'FIXATION', 'DOSE_REGION', 'CONTROL', '',
]);

interface RoiContours {
  readonly colorRgb?: Rgb;
  readonly contours: PlanarContour[];
}

function structureError(ds: DicomView, structure: string, message: string, keyword: TagKeyword): DicomError {
  return new DicomError(ds.path === '' ? message : `${ds.path}: ${message}`, {
    file: ds.file,
    tag: tagLabel(keyword),
    structure,
  });
}

function readColor(item: DicomView, name: string, warnings: string[]): Rgb | undefined {
  const c = item.numbers('ROIDisplayColor');
  if (c === undefined) return undefined;
  if (c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    warnings.push(`structure "${name}": ROIDisplayColor [${c.join(', ')}] is not three integers 0-255; ignored`);
    return undefined;
  }
  return [c[0]!, c[1]!, c[2]!];
}

function readContours(item: DicomView, name: string, warnings: string[]): PlanarContour[] {
  const out: PlanarContour[] = [];
  item.sequence('ContourSequence').forEach((c, index) => {
    const where = `structure "${name}", contour ${index}`;
    const type = c.string('ContourGeometricType');
    if (type === undefined) throw structureError(c, name, `contour ${index}: missing required attribute`, 'ContourGeometricType');
    if (!GEOMETRIC_TYPES.has(type)) {
      throw structureError(c, name, `contour ${index}: expected POINT, OPEN_PLANAR, OPEN_NONPLANAR or CLOSED_PLANAR, found ${type}`, 'ContourGeometricType');
    }
    const data = c.float64s('ContourData');
    if (data === undefined) {
      warnings.push(`${where}: ${type} contour with no ContourData; dropped`);
      return;
    }
    if (data.length % 3 !== 0) {
      throw structureError(c, name, `contour ${index}: expected x, y, z triples, found ${data.length} numbers`, 'ContourData');
    }
    const points = data.length / 3;
    const stated = c.integer('NumberOfContourPoints');
    if (stated !== undefined && stated !== points) {
      warnings.push(`${where}: NumberOfContourPoints is ${stated} but ContourData holds ${points} points; the data is used`);
    }
    if (type === 'CLOSED_PLANAR' && points < 3) {
      warnings.push(`${where}: CLOSED_PLANAR contour with ${points} point(s), a polygon needs at least 3; dropped`);
      return;
    }
    if (type === 'POINT' && points !== 1) warnings.push(`${where}: POINT contour with ${points} points`);
    if (type.startsWith('OPEN') && points < 2) warnings.push(`${where}: ${type} contour with ${points} point(s)`);
    out.push({ geometricType: type as ContourGeometricType, pointsLps: data });
  });
  return out;
}

/** Read an RTSTRUCT file. */
export function readStructureSet(input: DicomInput): StructureSet {
  // The contours (most of the file) are decoded by decode.ts, far faster than by dcmjs.
  const parsed = parseDicom(loadInput(input), { decodeHere: [TAGS.ROIContourSequence] });
  const ds = parsed.dataset;
  requireModality(ds, 'RTSTRUCT', 'an RT Structure Set');
  const warnings: string[] = [];

  const roiItems = ds.sequence('StructureSetROISequence');
  const rois = roiItems.map((item) => ({
    number: item.requireInteger('ROINumber'),
    name: item.string('ROIName') ?? '',
    frameOfReferenceUid: item.string('ReferencedFrameOfReferenceUID'),
  }));
  const byNumber = new Map<number, (typeof rois)[number]>();
  rois.forEach((r, i) => {
    const other = byNumber.get(r.number);
    if (other !== undefined) {
      throw roiItems[i]!.error(`ROI number ${r.number} is used by both "${other.name}" and "${r.name}"`, 'ROINumber');
    }
    byNumber.set(r.number, r);
  });

  const contoursByNumber = new Map<number, RoiContours>();
  for (const item of ds.sequence('ROIContourSequence')) {
    const number = item.requireInteger('ReferencedROINumber');
    const roi = byNumber.get(number);
    if (roi === undefined) {
      warnings.push(`ROIContourSequence refers to ROI number ${number}, which StructureSetROISequence does not define; ignored`);
      continue;
    }
    if (contoursByNumber.has(number)) {
      throw item.error(`ROI number ${number} ("${roi.name}") has two ROIContourSequence items`, 'ReferencedROINumber');
    }
    const colorRgb = readColor(item, roi.name, warnings);
    contoursByNumber.set(number, {
      ...(colorRgb !== undefined ? { colorRgb } : {}),
      contours: readContours(item, roi.name, warnings),
    });
  }

  const observations = new Map<number, { type: RoiInterpretedType; label?: string }>();
  for (const item of ds.sequence('RTROIObservationsSequence')) {
    const number = item.integer('ReferencedROINumber');
    if (number === undefined || !byNumber.has(number)) continue;
    const raw = (item.string('RTROIInterpretedType') ?? '').toUpperCase();
    let type: RoiInterpretedType = '';
    if (INTERPRETED_TYPES.has(raw)) type = raw as RoiInterpretedType;
    else warnings.push(`structure "${byNumber.get(number)!.name}": unknown RTROIInterpretedType "${raw}"; read as ''`);
    const label = item.string('ROIObservationLabel');
    observations.set(number, { type, ...(label !== undefined ? { label } : {}) });
  }

  const structures: ContourStructure[] = rois.map((r) => {
    const c = contoursByNumber.get(r.number);
    const o = observations.get(r.number);
    return {
      roiNumber: r.number,
      name: r.name,
      interpretedType: o?.type ?? '',
      ...(o?.label !== undefined ? { observationLabel: o.label } : {}),
      ...(c?.colorRgb !== undefined ? { colorRgb: c.colorRgb } : {}),
      contours: c?.contours ?? [],
    };
  });

  const frameRef = ds.sequence('ReferencedFrameOfReferenceSequence')[0];
  const frameOfReferenceUid =
    frameRef?.string('FrameOfReferenceUID') ?? rois.find((r) => r.frameOfReferenceUid !== undefined)?.frameOfReferenceUid ?? '';
  const referencedSeries = frameRef
    ?.sequence('RTReferencedStudySequence')[0]
    ?.sequence('RTReferencedSeriesSequence')[0]
    ?.string('SeriesInstanceUID');

  return {
    ...readIdentity(ds, frameOfReferenceUid),
    modality: 'RTSTRUCT',
    sopInstanceUid: ds.requireString('SOPInstanceUID'),
    label: ds.string('StructureSetLabel') ?? '',
    ...(referencedSeries !== undefined ? { referencedSeriesInstanceUid: referencedSeries } : {}),
    structures,
    file: inputName(input),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
