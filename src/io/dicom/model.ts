/**
 * In-memory models of the DICOM-RT objects lattice-rt reads and writes. Readers produce them,
 * writers consume them; the rest of the library sees only these (never dcmjs datasets).
 *
 * All positions are DICOM patient coordinates (LPS, mm); dose in Gy; CT in HU (rescale applied).
 */

import type { Grid } from '../../geometry/grid.js';
import type { ContourStructure } from '../../geometry/structure.js';
import type { ScalarVolume } from '../../geometry/volume.js';

/** Identity shared by every object: who, which study, which frame of reference. */
export interface DicomIdentity {
  readonly patientId: string;
  readonly patientName: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  /** Study / series descriptions, when present. */
  readonly studyDescription?: string;
  readonly seriesDescription?: string;
}

export interface CtSlice {
  readonly sopInstanceUid: string;
  /** Position of the slice along the slice normal (mm), i.e. dot(ImagePositionPatient, normal). */
  readonly positionMm: number;
  /** Index of the slice along the grid's k axis. */
  readonly k: number;
  readonly file?: string;
}

export interface CtSeries extends DicomIdentity {
  readonly modality: 'CT';
  /** (0018,5100) PatientPosition of the first slice (HFS, FFS, HFP, ...), when given. */
  readonly patientPosition?: string;
  /** HU, rescale slope and intercept applied; its grid is the CT grid. */
  readonly hu: ScalarVolume;
  /** One entry per slice, in k order. */
  readonly slices: readonly CtSlice[];
}

/** A CT series read from its headers alone (no pixel data): what a DVH needs of a CT, if anything. */
/** The grid of a CT series, read whole or from its headers. */
export const ctGridOf = (ct: CtSeries | CtSeriesGeometry): Grid => ('hu' in ct ? ct.hu.grid : ct.grid);

export interface CtSeriesGeometry extends DicomIdentity {
  readonly modality: 'CT';
  /** The CT grid (as CtSeries.hu.grid would be). */
  readonly grid: Grid;
  /** One entry per slice, in k order. */
  readonly slices: readonly CtSlice[];
}

export interface StructureSet extends DicomIdentity {
  readonly modality: 'RTSTRUCT';
  readonly sopInstanceUid: string;
  readonly label: string;
  /** Series the contours reference (from ReferencedFrameOfReferenceSequence), if given. */
  readonly referencedSeriesInstanceUid?: string;
  readonly structures: readonly ContourStructure[];
  readonly file?: string;
  /** Problems the reader worked around (e.g. a CLOSED_PLANAR contour with < 3 points, dropped). */
  readonly warnings?: readonly string[];
}

export type DoseSummationType = 'PLAN' | 'MULTI_PLAN' | 'FRACTION' | 'BEAM' | 'BRACHY' | 'CONTROL_PT' | 'RECORD' | string;

export interface DoseGrid extends DicomIdentity {
  readonly modality: 'RTDOSE';
  readonly sopInstanceUid: string;
  /** Dose in Gy when units are 'GY'; relative values when 'RELATIVE'. */
  readonly dose: ScalarVolume;
  /**
   * The largest value of dose.data, in its units (Gy when units are 'GY'; relative values when
   * 'RELATIVE'), present when the reader checked every value finite and non-negative
   * (src/io/dicom/read/rtdose.ts, as it converts them): src/evaluate/plan.ts checkDoseVolume's result,
   * which evaluatePlan then takes (its doseMaxGy) instead of a pass of its own.
   */
  readonly maxGy?: number;
  readonly units: 'GY' | 'RELATIVE';
  readonly summationType: DoseSummationType;
  readonly doseType?: string;
  readonly referencedPlanSopInstanceUid?: string;
  readonly file?: string;
  /** Problems the reader worked around (e.g. a single frame with no stated slice thickness). */
  readonly warnings?: readonly string[];
}

export interface ControlPoint {
  readonly index: number;
  /** Cumulative meterset weight (0..final). */
  readonly cumulativeMetersetWeight: number;
  readonly gantryAngleDeg: number;
  readonly gantryRotationDirection: 'CW' | 'CC' | 'NONE';
  readonly collimatorAngleDeg: number;
  readonly couchAngleDeg: number;
  readonly isocenterLps?: readonly [number, number, number];
  /** Jaw pairs (mm at the isocentre plane) by device type, e.g. ASYMX, ASYMY, X, Y. */
  readonly jawsMm: Readonly<Record<string, readonly [number, number]>>;
  /** MLC leaf positions (mm at the isocentre plane): first bank then second bank, by device type. */
  readonly mlcMm?: Readonly<Record<string, Float64Array>>;
}

export interface Beam {
  readonly number: number;
  readonly name: string;
  readonly type: 'STATIC' | 'DYNAMIC';
  readonly radiationType: string;
  /** Nominal energy of the first control point (MV for photons). */
  readonly nominalEnergy?: number;
  readonly sadMm?: number;
  /** Beam meterset (MU) from the fraction group. */
  readonly metersetMu?: number;
  readonly finalCumulativeMetersetWeight: number;
  /** Leaf boundaries (mm) of each MLC device, by device type. */
  readonly leafBoundariesMm: Readonly<Record<string, Float64Array>>;
  readonly controlPoints: readonly ControlPoint[];
}

export interface FractionGroup {
  readonly number: number;
  readonly fractionsPlanned: number;
  readonly beamMetersets: readonly { readonly beamNumber: number; readonly metersetMu: number }[];
}

export interface DoseReference {
  readonly number: number;
  readonly description?: string;
  readonly structureType?: string;
  readonly type?: string;
  readonly targetPrescriptionDoseGy?: number;
  readonly deliveryMaximumDoseGy?: number;
}

export interface RtPlan extends DicomIdentity {
  readonly modality: 'RTPLAN';
  readonly sopInstanceUid: string;
  readonly label: string;
  readonly name?: string;
  readonly fractionGroups: readonly FractionGroup[];
  readonly doseReferences: readonly DoseReference[];
  readonly beams: readonly Beam[];
  readonly referencedStructureSetSopInstanceUid?: string;
  /** The PatientPosition of each PatientSetupSequence item (HFS, FFS, ...), in order. */
  readonly patientPositions?: readonly string[];
  readonly file?: string;
}

export type { Grid };
