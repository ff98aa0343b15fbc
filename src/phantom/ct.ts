/**
 * CT numbers for the seed phantom: from the label map (labels.ts) and the gas flags (gas.ts) to a
 * Float32 volume in Hounsfield units.
 *
 * - Each label takes its tissue value (hu.ts); gas voxels inside bowel take the gas value.
 * - Vertebral bone: voxels with a face neighbour outside the bone are cortex, the rest cancellous.
 * - The tumour gets a mild, smooth texture (three plane waves with seeded directions and phases,
 *   +-6 HU in all), the liver a fainter one (+-3 HU).
 * - Every voxel inside the body gets white Gaussian noise (sigma 5 HU), from the seeded generator;
 *   air outside the body stays exactly -1000 HU.
 * Same label map and seed -> same bytes.
 */

import { Label } from './labels.js';
import { huByLabel, TISSUE_HU } from './hu.js';
import type { LabelCanvas } from './paint.js';
import type { Prng } from './prng.js';

export const NOISE_SIGMA_HU = 5;
const TUMOUR_TEXTURE_HU = 2;
const LIVER_TEXTURE_HU = 1;

/** A smooth field: the sum of three plane waves with random directions, wavelengths and phases. */
function planeWaves(prng: Prng): Float64Array {
  const w = new Float64Array(12);
  for (let n = 0; n < 3; n++) {
    const theta = prng.uniform(0, Math.PI);
    const phi = prng.uniform(0, 2 * Math.PI);
    const k = (2 * Math.PI) / prng.uniform(18, 40);
    w[4 * n] = k * Math.sin(theta) * Math.cos(phi);
    w[4 * n + 1] = k * Math.sin(theta) * Math.sin(phi);
    w[4 * n + 2] = k * Math.cos(theta);
    w[4 * n + 3] = prng.uniform(0, 2 * Math.PI);
  }
  return w;
}

function waveSum(w: Float64Array, x: number, y: number, z: number): number {
  return (
    Math.sin(w[0]! * x + w[1]! * y + w[2]! * z + w[3]!) +
    Math.sin(w[4]! * x + w[5]! * y + w[6]! * z + w[7]!) +
    Math.sin(w[8]! * x + w[9]! * y + w[10]! * z + w[11]!)
  );
}

export function synthesiseCt(canvas: LabelCanvas, gas: Uint8Array, prng: Prng): Float32Array {
  const [nx, ny, nz] = canvas.grid.size;
  const [sx, sy, sz] = canvas.grid.spacingMm;
  const [x0, y0, z0] = canvas.firstCentreMm;
  const labels = canvas.labels;
  const table = huByLabel();
  const hu = new Float32Array(labels.length);
  const tumourWaves = planeWaves(prng);
  const liverWaves = planeWaves(prng);
  const plane = nx * ny;
  const noise = new Float64Array(nx);
  let p = 0;
  for (let k = 0; k < nz; k++) {
    const z = z0 + k * sz;
    for (let j = 0; j < ny; j++) {
      const y = y0 + j * sy;
      // The row's noise in one batch: one deviate per voxel inside the body, in raster order.
      let inBody = 0;
      for (let i = 0; i < nx; i++) if (labels[p + i] !== Label.AIR) inBody++;
      if (inBody === 0) {
        hu.fill(TISSUE_HU.AIR, p, p + nx);
        p += nx;
        continue;
      }
      prng.normals(noise, inBody);
      let n = 0;
      for (let i = 0; i < nx; i++, p++) {
        const l = labels[p]!;
        if (l === Label.AIR) {
          hu[p] = TISSUE_HU.AIR;
          continue;
        }
        let v = table[l]!;
        if (gas[p] === 1) {
          v = TISSUE_HU.BOWEL_GAS;
        } else if (l === Label.VERTEBRA) {
          const cortex =
            (i > 0 && labels[p - 1] !== l) ||
            (i < nx - 1 && labels[p + 1] !== l) ||
            (j > 0 && labels[p - nx] !== l) ||
            (j < ny - 1 && labels[p + nx] !== l) ||
            (k > 0 && labels[p - plane] !== l) ||
            (k < nz - 1 && labels[p + plane] !== l);
          if (cortex) v = TISSUE_HU.BONE_CORTICAL;
        } else if (l === Label.GTV) {
          v += TUMOUR_TEXTURE_HU * waveSum(tumourWaves, x0 + i * sx, y, z);
        } else if (l === Label.LIVER) {
          v += LIVER_TEXTURE_HU * waveSum(liverWaves, x0 + i * sx, y, z);
        }
        hu[p] = v + NOISE_SIGMA_HU * noise[n++]!;
      }
    }
  }
  return hu;
}
