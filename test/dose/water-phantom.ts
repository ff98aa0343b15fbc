/** Water and slab phantoms for the dose tests: a RED volume with water (1.0) for y >= surfaceMm
 * (beams at gantry 0 enter from anterior, -y), 1 mm voxels in depth, 10 mm laterally. */

import { createGrid } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';

export function slabPhantom(
  surfaceMm: number,
  depthMm: number,
  slab?: { fromDepthMm: number; toDepthMm: number; red: number },
  halfWidthMm = 250,
): ScalarVolume {
  const nLat = Math.round((2 * halfWidthMm) / 10);
  const ny = Math.round(depthMm);
  const grid = createGrid({
    size: [nLat, ny, nLat],
    spacingMm: [10, 1, 10],
    originMm: [-halfWidthMm + 5, surfaceMm + 0.5, -halfWidthMm + 5],
  });
  const data = new Float32Array(nLat * ny * nLat).fill(1);
  if (slab) {
    for (let k = 0; k < nLat; k++)
      for (let j = 0; j < ny; j++) {
        const d = j + 0.5;
        if (d > slab.fromDepthMm && d < slab.toDepthMm) for (let i = 0; i < nLat; i++) data[i + nLat * (j + ny * k)] = slab.red;
      }
  }
  return createScalarVolume(grid, data);
}

/** 3N coordinates of points. */
export function points(list: readonly (readonly [number, number, number])[]): Float64Array {
  const out = new Float64Array(3 * list.length);
  list.forEach((p, i) => out.set(p, 3 * i));
  return out;
}
