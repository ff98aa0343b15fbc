/**
 * Per-beam work of the beamlet operator, shared by the calling thread and the worker threads
 * (src/dose/operator.ts, src/dose/worker.ts).
 *
 * Input: a prepared dose (pencil-beam.ts), a beam's beamlet layout (per fluence pixel: global beamlet
 * index or -1, and the off-axis primary fluence psi), beamlet weights (MU) or a dose gradient (per
 * point). Output: the beam's dose added to `out` (Gy at the points), or its beamlet gradient added to
 * `out` (the beam's own beamlet entries only, so beams never write the same entries).
 */

import type { FluenceRegion, PreparedDose } from './pencil-beam.js';
import { addBeamAdjoint, addBeamDose } from './pencil-beam.js';

export interface BeamLayout {
  readonly region: FluenceRegion;
  /** Per fluence pixel: beamlet index (global) or -1, and psi. */
  readonly pixelBeamlet: Int32Array;
  readonly pixelPsi: Float64Array;
}

/** out += D_b w for beam bi; `fluence` is scratch of at least the beam's pixel count. */
export function beamletForward(prep: PreparedDose, l: BeamLayout, bi: number, w: Float64Array, out: Float64Array, fluence: Float64Array): void {
  const n = l.pixelBeamlet.length;
  const fl = fluence.subarray(0, n);
  for (let q = 0; q < n; q++) {
    const id = l.pixelBeamlet[q]!;
    fl[q] = id < 0 ? 0 : w[id]! * l.pixelPsi[q]!;
  }
  addBeamDose(prep, bi, fl, out);
}

/** out[beam's beamlets] += (D_b^T g); `fluence` is scratch of at least the beam's pixel count. */
export function beamletAdjoint(prep: PreparedDose, l: BeamLayout, bi: number, g: Float64Array, out: Float64Array, fluence: Float64Array): void {
  const n = l.pixelBeamlet.length;
  const fl = fluence.subarray(0, n);
  fl.fill(0);
  addBeamAdjoint(prep, bi, g, fl);
  for (let q = 0; q < n; q++) {
    const id = l.pixelBeamlet[q]!;
    if (id >= 0) out[id] = out[id]! + fl[q]! * l.pixelPsi[q]!;
  }
}
