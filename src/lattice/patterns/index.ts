export { centresInBox, nearestNeighbourMm, planeSpacingOf, type LatticeCell, type Pattern } from './cell.js';
export { PATTERNS, PATTERN_NAMES, patternByName } from './registry.js';
