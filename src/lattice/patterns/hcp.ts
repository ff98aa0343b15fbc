/**
 * Hexagonal close packed: triangular layers ABAB with nearest neighbours spacingMm apart in and
 * between layers; layers sqrt(2/3) * spacing apart (the plane-spacing parameter is not used). Not a
 * Bravais lattice: two vertices per cell. Symmetric (up to translation) under 60 degree rotations
 * about z (its 6-fold screw axis).
 */

import type { Pattern } from './cell.js';

export const hcpPattern: Pattern = {
  name: 'hcp',
  description: 'hexagonal close packed (ABAB triangular layers), nearest neighbours = spacing',
  usesPlaneSpacing: false,
  cell: (s) => {
    const c = s * Math.sqrt(2 / 3);
    return {
      basisMm: [
        [s, 0, 0],
        [s / 2, (s * Math.sqrt(3)) / 2, 0],
        [0, 0, 2 * c],
      ],
      motifMm: [
        [0, 0, 0],
        [s / 2, s / (2 * Math.sqrt(3)), c],
      ],
      rotationalSymmetryDeg: 60,
    };
  },
};
