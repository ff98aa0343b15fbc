/**
 * RT Dose -> DoseGrid, PS3.3 A.18 (RT Dose IOD) and C.8.8.3 (RT Dose module).
 *
 * Input: one RTDOSE file holding a multi-frame grid (one frame per plane), any supported transfer
 * syntax, BitsAllocated 16 or 32.
 * Output: dose = stored value x DoseGridScaling, in Gy when DoseUnits is GY (relative values when
 * RELATIVE), on a grid with origin = ImagePositionPatient (centre of voxel 0 of frame 0), i / j
 * along the row / column cosines, k along the slice normal n = row x column in the direction the
 * frames advance.
 *
 * GridFrameOffsetVector (C.8.8.3.2) gives the plane positions along n, either relative (first value
 * 0) or absolute (first value = ImagePositionPatient along n, the z coordinate for axial grids).
 * Offsets must be evenly spaced (within max(0.01 mm, 1 %)); otherwise a DicomError.
 */

import { fmt } from '../../../core/errors.js';
import { dot, type Vec3 } from '../../../core/vec3.js';
import { createScalarVolume } from '../../../geometry/volume.js';
import type { DoseGrid } from '../model.js';
import { SPACING_ABSOLUTE_TOLERANCE_MM, SPACING_RELATIVE_TOLERANCE, median } from './ct.js';
import { readIdentity, requireModality } from './identity.js';
import { imageStackGrid, readOrientation, readPixelSpacing, readPosition } from './image-plane.js';
import { parseDicom } from './parse.js';
import { assertDecodable, convertStored, convertStoredInPlace, readPixelLayout, storedPixels } from './pixels.js';
import { inputName, loadInputShared, type DicomInput } from './source.js';
import type { DicomView } from './view.js';

/** Slice spacing assumed for a single-frame grid that states none (reported as a warning). */
const DEFAULT_SINGLE_FRAME_SPACING_MM = 1;

interface FrameGeometry {
  /** Signed distance between consecutive frames along the normal (mm). */
  readonly stepMm: number;
  readonly warnings: string[];
}

/** Offsets of the frames along the normal, relative to frame 0, checked for even spacing. */
function frameGeometry(ds: DicomView, frames: number, positionAlongNormal: number): FrameGeometry {
  const warnings: string[] = [];
  const offsets = ds.numbers('GridFrameOffsetVector');
  if (frames === 1) {
    if (offsets !== undefined && offsets.length !== 1) {
      warnings.push(`GridFrameOffsetVector has ${offsets.length} values for a single frame; the first is used`);
    }
    const thickness = ds.number('SliceThickness');
    if (thickness !== undefined && thickness > 0) return { stepMm: thickness, warnings };
    if (offsets !== undefined && offsets.length >= 2 && Math.abs(offsets[1]! - offsets[0]!) > 0) {
      return { stepMm: offsets[1]! - offsets[0]!, warnings };
    }
    warnings.push(`single-frame dose grid states no slice thickness; ${DEFAULT_SINGLE_FRAME_SPACING_MM} mm assumed`);
    return { stepMm: DEFAULT_SINGLE_FRAME_SPACING_MM, warnings };
  }
  if (offsets === undefined) throw ds.error(`missing required attribute for a grid of ${frames} frames`, 'GridFrameOffsetVector');
  if (offsets.length !== frames) {
    throw ds.error(`expected ${frames} offsets (one per frame), found ${offsets.length}`, 'GridFrameOffsetVector');
  }
  const first = offsets[0]!;
  const isRelative = Math.abs(first) <= SPACING_ABSOLUTE_TOLERANCE_MM;
  const isAbsolute = Math.abs(first - positionAlongNormal) <= SPACING_ABSOLUTE_TOLERANCE_MM;
  if (!isRelative && !isAbsolute) {
    throw ds.error(
      `first offset ${fmt(first)} mm is neither 0 (relative offsets) nor ${fmt(positionAlongNormal)} mm, the ` +
        'ImagePositionPatient position along the slice normal (absolute offsets)',
      'GridFrameOffsetVector',
    );
  }
  const relative = offsets.map((o) => o - first);
  const steps = relative.slice(1).map((o, f) => o - relative[f]!);
  const typical = median(steps);
  const tol = Math.max(SPACING_ABSOLUTE_TOLERANCE_MM, SPACING_RELATIVE_TOLERANCE * Math.abs(typical));
  steps.forEach((s, f) => {
    if (Math.abs(s) <= SPACING_ABSOLUTE_TOLERANCE_MM) {
      throw ds.error(`frames ${f} and ${f + 1} are at the same offset ${fmt(offsets[f]!)} mm`, 'GridFrameOffsetVector');
    }
    if (Math.abs(s - typical) > tol) {
      throw ds.error(
        `uneven frame spacing: frames ${f} and ${f + 1} are ${fmt(s)} mm apart, the median step is ${fmt(typical)} mm ` +
          `(tolerance ${fmt(tol)} mm); offsets [${offsets.map(fmt).join(', ')}]`,
        'GridFrameOffsetVector',
      );
    }
  });
  // Even within tolerance: the mean step is the best estimate of the spacing.
  return { stepMm: (relative[frames - 1]! - relative[0]!) / (frames - 1), warnings };
}

function readUnits(ds: DicomView): 'GY' | 'RELATIVE' {
  const units = ds.requireString('DoseUnits').toUpperCase();
  if (units !== 'GY' && units !== 'RELATIVE') {
    throw ds.error(`expected GY or RELATIVE, found ${units}`, 'DoseUnits');
  }
  return units;
}

/** Read an RTDOSE file. */
export function readRtDose(input: DicomInput): DoseGrid {
  // Read into shared memory: the dose values are converted in place below, and shared as they are
  // with the DVH pool's threads.
  const parsed = parseDicom(loadInputShared(input));
  const ds = parsed.dataset;
  requireModality(ds, 'RTDOSE', 'an RT Dose');
  assertDecodable(parsed);
  const frames = ds.integer('NumberOfFrames') ?? 1;
  if (frames < 1) throw ds.error(`expected a positive number of frames, found ${frames}`, 'NumberOfFrames');
  const position = readPosition(ds);
  const orientation = readOrientation(ds);
  const spacing = readPixelSpacing(ds);
  const units = readUnits(ds);
  const summationType = ds.requireString('DoseSummationType');
  const frameOfReferenceUid = ds.requireString('FrameOfReferenceUID');
  const scaling = ds.requireNumber('DoseGridScaling');
  if (scaling < 0) throw ds.error(`expected a non-negative scaling, found ${fmt(scaling)}`, 'DoseGridScaling');
  const { stepMm, warnings } = frameGeometry(ds, frames, dot(position, orientation.normal));
  const n = orientation.normal;
  const sign = stepMm > 0 ? 1 : -1;
  const kDirection: Vec3 = [sign * n[0], sign * n[1], sign * n[2]];
  const layout = readPixelLayout(ds, frames, [16, 32]);
  const grid = imageStackGrid(
    {
      columns: layout.columns,
      rows: layout.rows,
      planes: frames,
      spacing,
      stepMm: Math.abs(stepMm),
      position,
      row: orientation.row,
      column: orientation.column,
      kAxis: kDirection,
    },
    'dose',
    parsed.file,
  );
  const stored = storedPixels(parsed, layout);
  // Bytes read from a file here are ours to convert in place; bytes given by a caller are never written.
  // The values checked as they are converted (a dose's maximum, every value finite and non-negative):
  // an evaluation then need not pass over them again.
  const inPlace = typeof input === 'string' ? convertStoredInPlace(stored, scaling, 0, true) : undefined;
  let dose = inPlace?.values;
  let maxGy = inPlace?.checkedMax;
  if (dose === undefined) {
    dose = new Float32Array(layout.columns * layout.rows * frames);
    maxGy = convertStored(stored, scaling, 0, dose, 0, true);
  }
  const doseType = ds.string('DoseType');
  const planRef = ds.sequence('ReferencedRTPlanSequence')[0]?.string('ReferencedSOPInstanceUID');
  return {
    ...readIdentity(ds, frameOfReferenceUid),
    modality: 'RTDOSE',
    sopInstanceUid: ds.requireString('SOPInstanceUID'),
    dose: createScalarVolume(grid, dose),
    ...(maxGy !== undefined ? { maxGy } : {}),
    units,
    summationType,
    ...(doseType !== undefined ? { doseType } : {}),
    ...(planRef !== undefined ? { referencedPlanSopInstanceUid: planRef } : {}),
    file: inputName(input),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
