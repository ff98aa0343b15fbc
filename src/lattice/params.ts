/**
 * Placement parameters, validated once at the boundary (CLI, library callers), with the defaults of
 * the case report (physics reference §3.3, seed row): 15 mm vertices, 60 mm between vertices in a
 * plane, planes 30 mm apart, the seed pattern, no inset, 15 mm organ-at-risk clearance measured from
 * the sphere surface, partial vertices kept when at least half of the sphere lies in the target.
 *
 * Lengths in mm, angles in degrees.
 */

import { InputError, fmt } from '../core/errors.js';
import { nearestNeighbourMm, planeSpacingOf, type LatticeCell, type Pattern } from './patterns/cell.js';
import { patternByName } from './patterns/registry.js';

/** Where the organ-at-risk clearance is measured from: the sphere's surface or its centre. */
export type ClearanceFrom = 'surface' | 'centre';

export interface PlacementParams {
  /** Vertex (sphere) diameter, mm. */
  readonly diameterMm: number;
  /** In-plane centre-to-centre spacing, mm. */
  readonly spacingMm: number;
  /** Spacing between successive vertex planes, mm (patterns that fix their own ignore it). */
  readonly planeSpacingMm: number;
  /** Pattern name (patterns/registry.ts). */
  readonly pattern: string;
  /** How far an intact sphere must stay inside the target surface, mm. */
  readonly insetMm: number;
  /** Smallest distance to any organ at risk, mm, measured as clearanceFrom says. */
  readonly oarClearanceMm: number;
  readonly clearanceFrom: ClearanceFrom;
  /** Keep a sphere that is not intact when at least this fraction of it lies in the target (0..1]. */
  readonly partialMin: number;
  /** Keep partial spheres at all. */
  readonly allowPartial: boolean;
  /** Put every vertex plane on a CT slice position. */
  readonly snapToSlices: boolean;
  /**
   * Rotations of the pattern about the cranio-caudal axis to search, degrees. Default [0] (no
   * rotation search); see rotationAngles() for a step over the pattern's symmetry.
   */
  readonly rotationsDeg: readonly number[];
  /** Step of the translation search along each cell vector, mm (the search is exhaustive on it). */
  readonly offsetStepMm: number;
  /** Accept a pattern whose vertices would be closer than one diameter (overlapping spheres). */
  readonly allowOverlap: boolean;
}

export const DEFAULT_PLACEMENT_PARAMS: PlacementParams = Object.freeze({
  diameterMm: 15,
  spacingMm: 60,
  planeSpacingMm: 30,
  pattern: 'seed',
  insetMm: 0,
  oarClearanceMm: 15,
  clearanceFrom: 'surface',
  partialMin: 0.5,
  allowPartial: true,
  snapToSlices: false,
  rotationsDeg: Object.freeze([0]) as readonly number[],
  offsetStepMm: 1,
  allowOverlap: false,
});

/** Parameters after validation, with the resolved pattern and its cell. */
export interface ResolvedParams extends PlacementParams {
  readonly radiusMm: number;
  readonly patternImpl: Pattern;
  readonly cell: LatticeCell;
  /** Smallest centre-to-centre distance of the pattern, mm. */
  readonly nearestNeighbourMm: number;
  /** Distance between successive vertex planes of the pattern, mm. */
  readonly patternPlaneSpacingMm: number;
}

function positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new InputError(`${name} must be a positive number (mm), found ${fmt(v)}`);
}

function nonNegative(name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new InputError(`${name} must be a number >= 0 (mm), found ${fmt(v)}`);
}

/**
 * Angles 0, step, 2 step, ... below the pattern's rotational symmetry (rotations beyond it repeat
 * layouts already searched).
 */
export function rotationAngles(pattern: string, stepDeg: number, spacingMm = 60, planeSpacingMm = 30): number[] {
  if (!Number.isFinite(stepDeg) || stepDeg <= 0) throw new InputError(`rotation step must be a positive number of degrees, found ${fmt(stepDeg)}`);
  const sym = patternByName(pattern).cell(spacingMm, planeSpacingMm).rotationalSymmetryDeg;
  const out: number[] = [];
  for (let a = 0; a < sym - 1e-9; a += stepDeg) out.push(Number(a.toFixed(9)));
  return out;
}

/** Fill defaults and validate; throws InputError naming the parameter and the value found. */
export function resolvePlacementParams(input: Partial<PlacementParams> = {}): ResolvedParams {
  const p: PlacementParams = { ...DEFAULT_PLACEMENT_PARAMS, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
  positive('vertex diameter', p.diameterMm);
  positive('spacing', p.spacingMm);
  positive('plane spacing', p.planeSpacingMm);
  nonNegative('inset', p.insetMm);
  nonNegative('organ-at-risk clearance', p.oarClearanceMm);
  positive('offset step', p.offsetStepMm);
  if (p.clearanceFrom !== 'surface' && p.clearanceFrom !== 'centre') {
    throw new InputError(`clearance must be measured from 'surface' or 'centre', found '${String(p.clearanceFrom)}'`);
  }
  if (!(p.partialMin > 0 && p.partialMin <= 1)) {
    throw new InputError(`partial minimum must be a fraction in (0, 1], found ${fmt(p.partialMin)}`);
  }
  if (p.rotationsDeg.length === 0 || p.rotationsDeg.some((a) => !Number.isFinite(a))) {
    throw new InputError(`rotations must be one or more finite angles in degrees, found [${p.rotationsDeg.join(', ')}]`);
  }
  const patternImpl = patternByName(p.pattern);
  const cell = patternImpl.cell(p.spacingMm, p.planeSpacingMm);
  const nn = nearestNeighbourMm(cell);
  if (!p.allowOverlap) {
    if (p.spacingMm < p.diameterMm) {
      throw new InputError(
        `spacing ${fmt(p.spacingMm)} mm is smaller than the vertex diameter ${fmt(p.diameterMm)} mm: spheres would overlap (allow overlap explicitly to proceed)`,
      );
    }
    if (nn < p.diameterMm - 1e-9) {
      throw new InputError(
        `pattern ${p.pattern} with spacing ${fmt(p.spacingMm)} mm and plane spacing ${fmt(p.planeSpacingMm)} mm puts vertices ${fmt(nn)} mm apart, ` +
          `less than the vertex diameter ${fmt(p.diameterMm)} mm: spheres would overlap (allow overlap explicitly to proceed)`,
      );
    }
  }
  return {
    ...p,
    rotationsDeg: [...p.rotationsDeg],
    radiusMm: p.diameterMm / 2,
    patternImpl,
    cell,
    nearestNeighbourMm: nn,
    patternPlaneSpacingMm: planeSpacingOf(cell),
  };
}
