/**
 * Structures: a named region of interest, as planar contours (what DICOM RTSTRUCT stores) and/or a
 * voxel mask on some grid (what the computations use).
 *
 * Contours are in DICOM patient coordinates (LPS, mm). A CLOSED_PLANAR contour is a polygon whose
 * last point joins its first; several contours on one plane combine by the even-odd rule (holes and
 * islands). POINT contours hold a single point.
 */

import type { Mask } from './volume.js';

/** DICOM (3006,0042) ContourGeometricType. */
export type ContourGeometricType = 'POINT' | 'OPEN_PLANAR' | 'OPEN_NONPLANAR' | 'CLOSED_PLANAR';

export interface PlanarContour {
  readonly geometricType: ContourGeometricType;
  /** x, y, z triples in LPS, mm (length = 3 * number of points). */
  readonly pointsLps: Float64Array;
}

/**
 * DICOM (3006,00A4) RTROIInterpretedType, plus '' for "not given" (plastimatch writes none).
 * Defined terms from PS3.3 C.8.8.8.
 */
export type RoiInterpretedType =
  | 'EXTERNAL'
  | 'PTV'
  | 'CTV'
  | 'GTV'
  | 'TREATED_VOLUME'
  | 'IRRAD_VOLUME'
  | 'BOLUS'
  | 'AVOIDANCE'
  | 'ORGAN'
  | 'MARKER'
  | 'REGISTRATION'
  | 'ISOCENTER'
  | 'CONTRAST_AGENT'
  | 'CAVITY'
  | 'BRACHY_CHANNEL'
  | 'BRACHY_ACCESSORY'
  | 'BRACHY_SRC_APP'
  | 'BRACHY_CHNL_SHLD'
  | 'SUPPORT'
  | 'FIXATION'
  | 'DOSE_REGION'
  | 'CONTROL'
  | '';

export type Rgb = readonly [number, number, number];

/** A structure as a mask on a grid (what the phantom generator and the margin tools produce). */
export interface MaskStructure {
  readonly name: string;
  readonly interpretedType: RoiInterpretedType;
  readonly colorRgb: Rgb;
  readonly mask: Mask;
  /**
   * Exact contours (LPS, mm) for structures made from analytic shapes (the lattice spheres): writers
   * use them instead of the mask's marching-squares outline; the mask is what they fill.
   */
  readonly contours?: readonly PlanarContour[];
}

/** A structure as planar contours (what an RTSTRUCT holds). */
export interface ContourStructure {
  /** (3006,0022) ROINumber. */
  readonly roiNumber: number;
  readonly name: string;
  readonly interpretedType: RoiInterpretedType;
  /** (3006,0085) ROIObservationLabel, if any. */
  readonly observationLabel?: string;
  readonly colorRgb?: Rgb;
  readonly contours: readonly PlanarContour[];
}
