/**
 * Plan evaluation (public API of src/evaluate): DVHs, dose-volume metrics, radiobiology (BED,
 * EQD2, voxel-wise), planned vs delivered fractions and course summation, TG-101 and custom
 * constraints with TG-263 name matching, SFRT metrics, the whole-plan evaluation and its reports.
 */

export * from './dvh.js';
export * from './metrics.js';
export * from './radiobiology.js';
export * from './fractions.js';
export * from './sfrt.js';
export * from './plan.js';
export { DEFAULT_THREADS, startDvhPool, type DvhPool, type DvhPoolOptions } from './dvh-pool.js';
export * from './constraints/types.js';
export { TG101_PARALLEL, TG101_SERIAL, tg101Set, type Tg101Fractions } from './constraints/tg101.js';
export { TG263_SYNONYMS, matchStructures, matchTg263, normaliseName, type NameMapping, type NameMatch } from './constraints/names.js';
export { readNameMapping } from './constraints/name-mapping-file.js';
export { parseConstraintSet, readConstraintSet, resolveConstraintSet } from './constraints/custom.js';
export {
  evaluateConstraints,
  type ConstraintBasis,
  type ConstraintEvaluation,
  type EvaluateConstraintsOptions,
  type PlanStructure,
} from './constraints/evaluate.js';
export { renderJson } from './report/json.js';
export { renderMarkdown } from './report/markdown.js';
export { renderHtml, dvhSvg } from './report/html.js';
