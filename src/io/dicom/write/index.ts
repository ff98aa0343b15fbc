/**
 * DICOM-RT writers: CT Image series, RT Structure Set (and adding ROIs to one), RT Dose, RT Plan,
 * with the value formatters and deterministic UIDs they rely on. Each consumes the shared models of
 * src/io/dicom/model.ts (the RT Plan writer its own input of beams and control points) and writes
 * atomically (src/io/atomic.ts).
 */

export { writeCtSeries, type CtWriteInput, type CtWriteOptions, type WrittenCtSeries } from './ct.js';
export {
  addRoisToStructureSet,
  referencedCtOf,
  writeStructureSet,
  type AddRoisOptions,
  type ReferencedCt,
  type StructureSetWriteInput,
  type StructureSetWriteOptions,
} from './rtstruct.js';
export { maskStructuresToContours, writeCase, type CaseWriteInput, type WrittenCase } from './case.js';
export { writeRtDose, type RtDoseWriteInput, type RtDoseWriteOptions, type WrittenRtDose } from './rtdose.js';
export type { WriteOptions } from './common.js';
export { formatDA, formatDS, formatDSList, formatIS, formatTM, DS_MAX_LENGTH } from './values.js';
export {
  RESEARCH_ONLY_DESCRIPTION,
  rtPlanWriteInputOf,
  writeRtPlan,
  type JawDevice,
  type PlanCtIdentity,
  type RtPlanBeamInput,
  type RtPlanControlPointInput,
  type RtPlanDoseReferenceInput,
  type RtPlanWriteContext,
  type RtPlanWriteInput,
  type RtPlanWriteOptions,
  type WrittenRtPlan,
} from './rtplan.js';
