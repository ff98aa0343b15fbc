/**
 * DICOM-RT reading: scan a folder, read CT series, structure sets, dose grids and plans into the
 * models of ../model.ts, and summarise a folder for `lattice info`. Every failure is a DicomError
 * naming the file (and the tag, when one is at fault).
 */

export { readCtGeometry, readCtPlanes, readCtSeries } from './ct.js';
export {
  describeDicom,
  formatSummary,
  summariseGrid,
  type BeamSummary,
  type CtSummary,
  type DicomSummary,
  type DoseSummary,
  type GridSummary,
  type PatientSummary,
  type PlanSummary,
  type RoiSummary,
  type SeriesSummary,
  type StructureSetSummary,
  type StudySummary,
  type SummaryError,
} from './describe.js';
export { parseDicom, TruncatedDicomError, type ParseOptions, type ParsedDicom } from './parse.js';
export { readRtDose } from './rtdose.js';
export { readRtPlan } from './rtplan.js';
export { readStructureSet } from './rtstruct.js';
export {
  listSeries,
  readHeader,
  scanDicom,
  type DicomInstanceEntry,
  type DicomInventory,
  type DicomPatientEntry,
  type DicomSeriesEntry,
  type DicomStudyEntry,
  type SkippedFile,
} from './scan.js';
export type { DicomBytes, DicomInput } from './source.js';
export { describeTransferSyntax, transferSyntaxName } from '../uid.js';
export { DicomView } from './view.js';
