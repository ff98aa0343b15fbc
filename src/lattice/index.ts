/**
 * Lattice vertex placement (public API of src/lattice): patterns, parameters, the placement search,
 * the audit, sphere/valley/ring structures (the spheres also as exact contours), organ-at-risk
 * selection, and the case-level runner.
 */

export * from './patterns/index.js';
export { DEFAULT_PLACEMENT_PARAMS, resolvePlacementParams, rotationAngles, type ClearanceFrom, type PlacementParams, type ResolvedParams } from './params.js';
export { isOrganLike, selectOars, type OarSelection, type OverlapReport } from './oars.js';
export { buildPlacementFields, targetSdAt, type PlacementFields } from './fields.js';
export {
  BASELINE_KEY,
  classifyCentre,
  compareScores,
  createPlacementContext,
  evaluateLayout,
  placeVertices,
  searchLayouts,
  type Candidate,
  type CandidateStatus,
  type Layout,
  type LayoutKey,
  type LayoutScore,
  type PlacementContext,
  type PlacementResult,
} from './placement.js';
export { buildAudit, summaryLines, type AuditCandidate, type PlacementSummary, type SphereReport, type VertexAudit } from './audit.js';
export { avoidanceRingMask, idealSphereVolumeCc, minCentreDistanceMm, sphereMask, sphereUnionMask, sphereVolumes, valleyMask } from './spheres.js';
export { MIN_SECTION_RADIUS_MM, sphereUnionContours, sphereUnionRoi, targetSections, type SphereRoi, type TargetSections } from './sphere-contours.js';
export { placeInStructures, runPlacementForCase, unionNameForDose, type CasePlacementOptions, type CasePlacementResult, type LatticeOutputOptions, type StructurePlacement } from './run-case.js';
