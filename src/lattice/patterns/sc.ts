/**
 * Simple cubic (SCP): square grids of spacingMm stacked straight, planeSpacingMm apart (cubic when
 * the two are equal). Reference: the HCP / SCP / Poisson-disk comparison (AAPM 2026, physics
 * reference §3.3).
 */

import type { Pattern } from './cell.js';

export const scPattern: Pattern = {
  name: 'sc',
  description: 'simple cubic: square grids stacked straight (cubic when plane spacing = spacing)',
  usesPlaneSpacing: true,
  cell: (s, h) => ({
    basisMm: [
      [s, 0, 0],
      [0, s, 0],
      [0, 0, h],
    ],
    motifMm: [[0, 0, 0]],
    rotationalSymmetryDeg: 90,
  }),
};
