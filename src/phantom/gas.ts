/**
 * Bowel gas in the seed phantom: a few gas pockets inside the stomach, small bowel and colon.
 *
 * Supine, gas rises to the non-dependent (anterior, -y) side of a loop, so each pocket is a sphere of
 * about half the local lumen radius, centred anterior to a point of the organ's centreline. The
 * points are drawn with the seeded generator (prng.ts); a pocket marks only voxels already labelled
 * as that organ, so gas changes the CT numbers but never a structure's mask.
 */

import { shapeIndexBox, type LabelCanvas } from './paint.js';
import { Label } from './labels.js';
import { COLON, STOMACH, smallBowel, type TubeSpec } from './organs.js';
import type { Prng } from './prng.js';
import { sphere, tubeSamples, type Shape } from './shapes.js';

/** Mark gas voxels (1) inside the hollow organs; returns the flags, one per voxel. */
export function bowelGas(canvas: LabelCanvas, prng: Prng): Uint8Array {
  const gas = new Uint8Array(canvas.labels.length);
  const organs: { tube: TubeSpec; label: number; pockets: number; stepMm: number }[] = [
    { tube: STOMACH, label: Label.STOMACH, pockets: 2, stepMm: 6 },
    { tube: COLON, label: Label.COLON, pockets: 6, stepMm: 6 },
    { tube: smallBowel(), label: Label.BOWEL_SMALL, pockets: 4, stepMm: 6 },
  ];
  for (const o of organs) {
    const samples = tubeSamples(o.tube.points, o.tube.radiiMm, o.stepMm);
    for (let n = 0; n < o.pockets; n++) {
      const s = samples[Math.floor(prng.next() * samples.length)]!;
      const r = s.radiusMm;
      const size = prng.uniform(0.4, 0.65);
      const c = s.point;
      markInside(canvas, gas, sphere([c[0], c[1] - 0.55 * r, c[2]], size * r), o.label);
    }
  }
  return gas;
}

function markInside(canvas: LabelCanvas, gas: Uint8Array, shape: Shape, label: number): void {
  const [nx, ny] = canvas.grid.size;
  const [sx, sy, sz] = canvas.grid.spacingMm;
  const [x0, y0, z0] = canvas.firstCentreMm;
  const [i0, i1, j0, j1, k0, k1] = shapeIndexBox(canvas, shape);
  const labels = canvas.labels;
  const f = shape.f;
  for (let k = k0; k <= k1; k++) {
    for (let j = j0; j <= j1; j++) {
      const row = nx * (j + ny * k);
      for (let i = i0; i <= i1; i++) {
        const p = row + i;
        if (labels[p] === label && f(x0 + i * sx, y0 + j * sy, z0 + k * sz) <= 0) gas[p] = 1;
      }
    }
  }
}
