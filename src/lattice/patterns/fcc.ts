/**
 * Face-centred cubic (cubic close packing), stacked along z as triangular layers ABCABC with
 * nearest neighbours spacingMm apart in and between layers; layers sqrt(2/3) * spacing apart (the
 * plane-spacing parameter is not used). Symmetric under 120 degree rotations about z.
 */

import type { Pattern } from './cell.js';

export const fccPattern: Pattern = {
  name: 'fcc',
  description: 'face-centred cubic (ABC close packing of triangular layers), nearest neighbours = spacing',
  usesPlaneSpacing: false,
  cell: (s) => ({
    basisMm: [
      [s, 0, 0],
      [s / 2, (s * Math.sqrt(3)) / 2, 0],
      [s / 2, s / (2 * Math.sqrt(3)), s * Math.sqrt(2 / 3)],
    ],
    motifMm: [[0, 0, 0]],
    rotationalSymmetryDeg: 120,
  }),
};
