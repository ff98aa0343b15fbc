/**
 * The periodic cell of a lattice pattern, and the geometry every pattern shares.
 *
 * A pattern's vertex centres are { lambda + m : lambda in L, m in motif }, where L is the lattice of
 * integer combinations of three primitive vectors b1, b2, b3 (mm, pattern frame). The pattern frame
 * is the patient frame (LPS) before the pattern is rotated about the cranio-caudal (z) axis: b1 and b2
 * lie in the z = 0 plane, so vertices lie in axial planes. Every translation of the pattern is, up
 * to L, an offset in the fundamental cell { u b1 + v b2 + w b3 : u, v, w in [0, 1) }; that cell is
 * what the placement search scans (placement.ts).
 */

import type { Vec3 } from '../../core/vec3.js';

export interface LatticeCell {
  /** Primitive translation vectors b1, b2, b3 (mm, pattern frame); b1 and b2 have z = 0. */
  readonly basisMm: readonly [Vec3, Vec3, Vec3];
  /** Offsets (mm) of the vertices of one cell from its lattice point; [[0, 0, 0]] for a Bravais lattice. */
  readonly motifMm: readonly Vec3[];
  /** Smallest rotation about z (degrees) that maps the pattern onto a translate of itself. */
  readonly rotationalSymmetryDeg: number;
}

/** A pattern: one small module that yields the periodic cell, hence candidate centres. */
export interface Pattern {
  readonly name: string;
  /** One line for help texts and reports. */
  readonly description: string;
  /** Whether the plane-spacing parameter shapes the pattern (false: the pattern fixes its own). */
  readonly usesPlaneSpacing: boolean;
  /** The cell for an in-plane centre-to-centre spacing and a spacing between vertex planes (mm). */
  cell(spacingMm: number, planeSpacingMm: number): LatticeCell;
}

/** Smallest distance (mm) between two distinct vertices of the pattern. */
export function nearestNeighbourMm(cell: LatticeCell): number {
  const [b1, b2, b3] = cell.basisMm;
  let best = Infinity;
  const R = 3;
  for (const ma of cell.motifMm) {
    for (const mb of cell.motifMm) {
      for (let i = -R; i <= R; i++) {
        for (let j = -R; j <= R; j++) {
          for (let k = -R; k <= R; k++) {
            const x = i * b1[0] + j * b2[0] + k * b3[0] + mb[0] - ma[0];
            const y = i * b1[1] + j * b2[1] + k * b3[1] + mb[1] - ma[1];
            const z = i * b1[2] + j * b2[2] + k * b3[2] + mb[2] - ma[2];
            const d = Math.hypot(x, y, z);
            if (d > 1e-9 && d < best) best = d;
          }
        }
      }
    }
  }
  return best;
}

/** Distance (mm) between successive vertex planes: the smallest positive z step between vertices. */
export function planeSpacingOf(cell: LatticeCell): number {
  const zs: number[] = [];
  for (let k = -2; k <= 2; k++) for (const m of cell.motifMm) zs.push(k * cell.basisMm[2][2] + m[2]);
  let best = Infinity;
  for (const a of zs) for (const b of zs) if (b - a > 1e-9 && b - a < best) best = b - a;
  return best;
}

/**
 * Every vertex centre of the pattern, translated by offsetMm (pattern frame) and rotated by angleDeg
 * about the z axis through pivotLps, whose LPS position lies in the box [minLps, maxLps]. For
 * inspection, figures and tests; the placement search enumerates centres itself.
 */
export function* centresInBox(
  cell: LatticeCell,
  pivotLps: Vec3,
  offsetMm: Vec3,
  angleDeg: number,
  minLps: Vec3,
  maxLps: Vec3,
): Generator<[number, number, number]> {
  const [b1, b2, b3] = cell.basisMm;
  const a = (angleDeg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  // Generous index range: the box's half-diagonal over the shortest basis-vector component scale.
  const half = Math.hypot(maxLps[0] - minLps[0], maxLps[1] - minLps[1], maxLps[2] - minLps[2]) / 2 + Math.hypot(...offsetMm);
  const mid = [(minLps[0] + maxLps[0]) / 2 - pivotLps[0], (minLps[1] + maxLps[1]) / 2 - pivotLps[1], (minLps[2] + maxLps[2]) / 2 - pivotLps[2]];
  const reach = Math.ceil((half + Math.hypot(mid[0]!, mid[1]!, mid[2]!)) / Math.min(b3[2], Math.abs(b1[0]), Math.abs(b2[1]))) + 2;
  for (let k = -reach; k <= reach; k++) {
    for (let j = -reach; j <= reach; j++) {
      for (let i = -reach; i <= reach; i++) {
        for (const m of cell.motifMm) {
          const x = offsetMm[0] + i * b1[0] + j * b2[0] + k * b3[0] + m[0];
          const y = offsetMm[1] + i * b1[1] + j * b2[1] + k * b3[1] + m[1];
          const z = offsetMm[2] + i * b1[2] + j * b2[2] + k * b3[2] + m[2];
          const p: [number, number, number] = [pivotLps[0] + c * x - s * y, pivotLps[1] + s * x + c * y, pivotLps[2] + z];
          if (p[0] >= minLps[0] && p[0] <= maxLps[0] && p[1] >= minLps[1] && p[1] <= maxLps[1] && p[2] >= minLps[2] && p[2] <= maxLps[2]) {
            yield p;
          }
        }
      }
    }
  }
}
