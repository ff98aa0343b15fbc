/** The JSON the server sends (src/view/case-data.ts), as the app reads it. */
export interface GridJson {
  readonly size: readonly [number, number, number];
  readonly spacingMm: readonly [number, number, number];
  readonly originMm: readonly [number, number, number];
  readonly direction: readonly number[];
}
export interface StructureJson {
  readonly name: string;
  readonly interpretedType: string;
  readonly colorRgb: readonly [number, number, number];
  readonly colorFromDicom: boolean;
  readonly contours: readonly (readonly number[])[];
}
export interface CaseJson {
  readonly disclaimer: string;
  readonly name: string;
  readonly patientId: string;
  readonly ct: { readonly grid: GridJson; readonly seriesInstanceUid: string };
  readonly dose: { readonly grid: GridJson; readonly maxGy: number; readonly units: string; readonly file: string } | null;
  readonly structures: readonly StructureJson[];
  readonly spheres: readonly { readonly name: string; readonly centreLps: readonly [number, number, number] }[];
  readonly prescriptionsGy: readonly { readonly structure: string; readonly gy: number }[];
  readonly hasReport: boolean;
  readonly hasVertices: boolean;
  readonly warnings: readonly string[];
}
export interface DvhJson {
  readonly source: 'report.json' | 'computed';
  readonly curves: readonly { readonly name: string; readonly doseGy: readonly number[]; readonly volumePct: readonly number[] }[];
}
