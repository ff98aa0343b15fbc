/**
 * Write a dose grid as a DICOM RT Dose: one multi-frame instance, explicit VR little endian,
 * unsigned integer pixels (32-bit by default, 16-bit on request) scaled by DoseGridScaling.
 *
 * Input: dose in Gy (or relative units) on a grid whose k axis is the slice normal; identity;
 * summation type and the plan it refers to. DoseGridScaling = max dose / (2^bits - 1), formatted
 * as a full-precision DS; each pixel is round(dose / scaling) with the scaling as written, so a
 * reader gets every dose back within half a quantum. GridFrameOffsetVector holds each frame's
 * distance from the first along the slice normal (first 0), with FrameIncrementPointer naming it.
 * Output: the file, written atomically, and the scaling used.
 *
 * Reference: DICOM PS3.3 A.18 (RT Dose IOD), C.8.8.3 (RT Dose module), C.7.6.6 (Multi-frame),
 * C.7.6.2 (Image Plane).
 */

import { createHash } from 'node:crypto';
import { DicomError, fmt } from '../../../core/errors.js';
import { voxelCount } from '../../../geometry/grid.js';
import type { ScalarVolume } from '../../../geometry/volume.js';
import { writeFileAtomic } from '../../atomic.js';
import type { DicomIdentity, DoseSummationType } from '../model.js';
import { SOP_CLASS, TRANSFER_SYNTAX, assertValidUid, deriveUid } from '../uid.js';
import {
  assertIdentityUids,
  imagePlane,
  putCommonModules,
  putContentDateTime,
  putGreyscalePixels,
  putImagePlane,
  sliceFrame,
  type WriteOptions,
} from './common.js';
import { dataset, encodeFile, put, type Dataset } from './encode.js';
import { formatDS, formatDSList, formatIS } from './values.js';

/** What writeRtDose needs: a DoseGrid read earlier fits. */
export interface RtDoseWriteInput extends DicomIdentity {
  /** Dose in Gy (units GY) or relative values (units RELATIVE); non-negative and finite. */
  readonly dose: ScalarVolume;
  /** Default "GY". */
  readonly units?: 'GY' | 'RELATIVE';
  /** (3004,000A) Dose Summation Type. */
  readonly summationType: DoseSummationType;
  /** (3004,0004) Dose Type. Default "PHYSICAL". */
  readonly doseType?: string;
  /** The RT Plan this dose belongs to (required for PLAN, FRACTION and BEAM). */
  readonly referencedPlanSopInstanceUid?: string;
  /** Default: derived from the series UID and the content. */
  readonly sopInstanceUid?: string;
}

export interface RtDoseWriteOptions extends WriteOptions {
  /** Bits per pixel. Default 32. */
  readonly bitsAllocated?: 16 | 32;
  /** The plans summed, for MULTI_PLAN (two or more). */
  readonly referencedPlanSopInstanceUids?: readonly string[];
  /** Fraction group of the plan (FRACTION and BEAM). */
  readonly referencedFractionGroupNumber?: number;
  /** Beam of the fraction group (BEAM). */
  readonly referencedBeamNumber?: number;
  /** (3004,0006) Dose Comment. */
  readonly doseComment?: string;
}

export interface WrittenRtDose {
  readonly file: string;
  readonly sopInstanceUid: string;
  /** DoseGridScaling as written (the value its DS text reads back as): Gy per stored unit. */
  readonly doseGridScaling: number;
  readonly bitsAllocated: 16 | 32;
}

/**
 * Summation types this writer supports and the references each requires (PS3.3 C.8.8.3):
 * a plan for PLAN, FRACTION, BEAM; two or more plans for MULTI_PLAN; a fraction group for
 * FRACTION and BEAM; a beam for BEAM; nothing for RECORD and PLAN_OVERVIEW.
 */
const SUPPORTED_SUMMATION = ['PLAN', 'MULTI_PLAN', 'FRACTION', 'BEAM', 'RECORD', 'PLAN_OVERVIEW'] as const;

function referencedPlans(input: RtDoseWriteInput, options: RtDoseWriteOptions, file: string): Dataset[] {
  const type = input.summationType;
  if (!(SUPPORTED_SUMMATION as readonly string[]).includes(type)) {
    throw new DicomError(
      `DoseSummationType: expected one of ${SUPPORTED_SUMMATION.join(', ')} (the types this writer can reference), found "${type}"`,
      { file, tag: '(3004,000A) DoseSummationType' },
    );
  }
  if (type === 'RECORD' || type === 'PLAN_OVERVIEW') return [];
  const plans =
    type === 'MULTI_PLAN'
      ? [...(options.referencedPlanSopInstanceUids ?? [])]
      : input.referencedPlanSopInstanceUid !== undefined
        ? [input.referencedPlanSopInstanceUid]
        : [];
  if (type === 'MULTI_PLAN' ? plans.length < 2 : plans.length !== 1) {
    throw new DicomError(
      type === 'MULTI_PLAN'
        ? `ReferencedRTPlanSequence: expected two or more plan UIDs (referencedPlanSopInstanceUids) for summation type MULTI_PLAN, found ${plans.length}`
        : `ReferencedRTPlanSequence: expected the plan's SOP Instance UID (referencedPlanSopInstanceUid) for summation type ${type}, found none`,
      { file, tag: '(300C,0002) ReferencedRTPlanSequence' },
    );
  }
  for (const uid of plans) assertValidUid(uid, 'referenced RT Plan SOP Instance UID');
  let fractionGroup: Dataset | undefined;
  if (type === 'FRACTION' || type === 'BEAM') {
    if (options.referencedFractionGroupNumber === undefined) {
      throw new DicomError(`ReferencedFractionGroupSequence: expected referencedFractionGroupNumber for summation type ${type}, found none`, {
        file,
      });
    }
    if (type === 'BEAM' && options.referencedBeamNumber === undefined) {
      throw new DicomError('ReferencedBeamSequence: expected referencedBeamNumber for summation type BEAM, found none', { file });
    }
    fractionGroup = dataset((f) => {
      put(f, 'ReferencedFractionGroupNumber', formatIS(options.referencedFractionGroupNumber!));
      if (type === 'BEAM') {
        put(f, 'ReferencedBeamSequence', [dataset((b) => put(b, 'ReferencedBeamNumber', formatIS(options.referencedBeamNumber!)))]);
      }
    });
  }
  return plans.map((uid) =>
    dataset((p) => {
      put(p, 'ReferencedSOPClassUID', SOP_CLASS.rtPlan);
      put(p, 'ReferencedSOPInstanceUID', uid);
      if (fractionGroup !== undefined) put(p, 'ReferencedFractionGroupSequence', [fractionGroup]);
    }),
  );
}

/** Write `input.dose` as an RT Dose file at `path`. */
export function writeRtDose(input: RtDoseWriteInput, path: string, options: RtDoseWriteOptions = {}): WrittenRtDose {
  const { dose } = input;
  const grid = dose.grid;
  const [nx, ny, nz] = grid.size;
  const bits = options.bitsAllocated ?? 32;
  if (bits !== 16 && bits !== 32) {
    throw new DicomError(`BitsAllocated: expected 16 or 32, found ${String(bits)}`, { file: path });
  }
  const n = voxelCount(grid);
  if (dose.data.length !== n) {
    throw new DicomError(`dose volume: expected ${n} values for its grid, found ${dose.data.length}`, { file: path });
  }
  assertIdentityUids(input);
  const frame = sliceFrame(grid, 'RT Dose');
  const plans = referencedPlans(input, options, path);

  let max = 0;
  for (let p = 0; p < n; p++) {
    const v = dose.data[p]!;
    if (!(v >= 0) || !Number.isFinite(v)) {
      const i = p % nx;
      const rest = (p - i) / nx;
      throw new DicomError(
        `dose voxel (${i}, ${rest % ny}, ${Math.floor(rest / ny)}): expected a finite, non-negative dose, found ${fmt(v)}`,
        { file: path },
      );
    }
    if (v > max) max = v;
  }
  const maxStored = bits === 32 ? 0xffffffff : 0xffff;
  const scalingText = formatDS(max > 0 ? max / maxStored : 1, 'DoseGridScaling');
  const scaling = Number(scalingText);
  const stored = bits === 32 ? new Uint32Array(n) : new Uint16Array(n);
  for (let p = 0; p < n; p++) stored[p] = Math.min(maxStored, Math.round(dose.data[p]! / scaling));
  const pixelBytes = new Uint8Array(stored.buffer);

  const first = imagePlane(grid, 0, frame);
  const offsets = Array.from({ length: nz }, (_, k) => k * grid.spacingMm[2]);
  const sopInstanceUid =
    input.sopInstanceUid ??
    deriveUid(
      'lattice-rt',
      'rtdose',
      input.seriesInstanceUid,
      createHash('sha256')
        .update(pixelBytes)
        .update([scalingText, ...first.imagePositionPatient, ...first.imageOrientationPatient, ...first.pixelSpacing, ...offsets.map(String), input.summationType].join('\\'))
        .digest('hex'),
    );
  assertValidUid(sopInstanceUid, 'RT Dose SOPInstanceUID');

  const sop = { sopClassUid: SOP_CLASS.rtDose, sopInstanceUid };
  const d = dataset((d) => {
    putCommonModules(d, sop, 'RTDOSE', input, options);
    // General Image, Image Plane, Multi-frame.
    put(d, 'InstanceNumber', '1');
    putContentDateTime(d, options);
    putImagePlane(d, first);
    put(d, 'SliceThickness', nz > 1 ? formatDS(grid.spacingMm[2], 'SliceThickness') : '');
    put(d, 'NumberOfFrames', formatIS(nz));
    put(d, 'FrameIncrementPointer', 'GridFrameOffsetVector');
    // Image Pixel and RT Dose.
    putGreyscalePixels(d, grid, bits, false, pixelBytes);
    put(d, 'DoseUnits', input.units ?? 'GY');
    put(d, 'DoseType', input.doseType ?? 'PHYSICAL');
    if (options.doseComment !== undefined && options.doseComment !== '') put(d, 'DoseComment', options.doseComment);
    put(d, 'DoseSummationType', input.summationType);
    if (plans.length > 0) put(d, 'ReferencedRTPlanSequence', plans);
    put(d, 'GridFrameOffsetVector', formatDSList(offsets, 'GridFrameOffsetVector'));
    put(d, 'DoseGridScaling', scalingText);
  });
  writeFileAtomic(path, encodeFile({ ...sop, transferSyntaxUid: TRANSFER_SYNTAX.explicitLittle }, d));
  return { file: path, sopInstanceUid, doseGridScaling: scaling, bitsAllocated: bits };
}
