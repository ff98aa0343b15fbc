/**
 * The seed-case pattern: vertex planes planeSpacingMm apart, each a square grid of spacingMm, every
 * plane's grid shifted by half a cell (along both in-plane axes) against the next (the WashU rule
 * the 2025 case report follows: 6 cm between high-dose spheres in plane, planes 3 cm apart;
 * physics reference §3.3). A body-centred tetragonal lattice.
 */

import type { Pattern } from './cell.js';

export const seedPattern: Pattern = {
  name: 'seed',
  description: 'square grids in planes a fixed distance apart, each shifted by half a cell against the next (case report)',
  usesPlaneSpacing: true,
  cell: (s, h) => ({
    basisMm: [
      [s, 0, 0],
      [0, s, 0],
      [s / 2, s / 2, h],
    ],
    motifMm: [[0, 0, 0]],
    rotationalSymmetryDeg: 90,
  }),
};
