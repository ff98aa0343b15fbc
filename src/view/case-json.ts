/**
 * The JSON the viewer's server sends (src/view/case-data.ts builds it) and the browser app reads
 * (viewer/src): types only, with no import, so that both sides compile them from this one file.
 */

/** A grid as JSON: size, spacingMm, originMm (centre of voxel 0, LPS), direction (row-major 3x3). */
export interface GridJson {
  readonly size: readonly [number, number, number];
  readonly spacingMm: readonly [number, number, number];
  readonly originMm: readonly [number, number, number];
  readonly direction: readonly number[];
}

export interface StructureJson {
  readonly name: string;
  readonly interpretedType: string;
  /** DICOM ROI Display Color, or a fallback grey when the file gives none. */
  readonly colorRgb: readonly [number, number, number];
  readonly colorFromDicom: boolean;
  /** Closed planar contours: x, y, z triples in LPS, mm. */
  readonly contours: readonly (readonly number[])[];
}

export interface SphereJson {
  readonly name: string;
  /** Centre (LPS, mm): the mean of the structure's contour points, plane-area weighted. */
  readonly centreLps: readonly [number, number, number];
}

export interface DvhCurveJson {
  readonly name: string;
  readonly doseGy: readonly number[];
  /** Percent of the structure's volume receiving at least doseGy. */
  readonly volumePct: readonly number[];
}

export interface DvhJson {
  /** Where the curves come from: 'report.json' (as written by lattice plan / evaluate) or 'computed'. */
  readonly source: 'report.json' | 'computed';
  readonly curves: readonly DvhCurveJson[];
}

/** The case description the app loads first (/api/case.json). */
export interface CaseJson {
  readonly disclaimer: string;
  readonly name: string;
  readonly patientId: string;
  readonly ct: { readonly grid: GridJson; readonly seriesInstanceUid: string };
  readonly dose: { readonly grid: GridJson; readonly maxGy: number; readonly units: string; readonly file: string } | null;
  readonly structures: readonly StructureJson[];
  readonly spheres: readonly SphereJson[];
  /** Target prescriptions from report.json's conformity table (Gy, planned total), low first. */
  readonly prescriptionsGy: readonly { readonly structure: string; readonly gy: number }[];
  readonly hasReport: boolean;
  readonly hasVertices: boolean;
  readonly warnings: readonly string[];
}
