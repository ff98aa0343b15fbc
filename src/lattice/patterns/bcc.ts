/**
 * Body-centred cubic: a cube of edge spacingMm with a vertex at every corner and one at its centre,
 * cube faces parallel to the axial plane; planes spacingMm / 2 apart (the plane-spacing parameter
 * is not used). Nearest neighbours sqrt(3)/2 * spacing apart.
 */

import type { Pattern } from './cell.js';

export const bccPattern: Pattern = {
  name: 'bcc',
  description: 'body-centred cubic, cube edge = spacing, planes spacing/2 apart',
  usesPlaneSpacing: false,
  cell: (s) => ({
    basisMm: [
      [s, 0, 0],
      [0, s, 0],
      [s / 2, s / 2, s / 2],
    ],
    motifMm: [[0, 0, 0]],
    rotationalSymmetryDeg: 90,
  }),
};
