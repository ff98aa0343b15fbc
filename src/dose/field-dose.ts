/**
 * Forward dose (Gy) of static fields (jaws, optional MLC, MU) at points in LPS: the fluence of each
 * aperture (src/dose/fluence.ts) through the pencil-beam engine (src/dose/pencil-beam.ts).
 */

import { PlanError, fmt } from '../core/errors.js';
import type { BeamGeometry } from './beam-geometry.js';
import { apertureFluence, regionCovering, type Aperture } from './fluence.js';
import type { PhotonMachine } from './machine.js';
import { addBeamDose, preparePencilBeam, type PencilBeamOptions } from './pencil-beam.js';
import type { ScalarVolume } from '../geometry/volume.js';

export interface StaticField {
  readonly geometry: BeamGeometry;
  readonly aperture: Aperture;
  readonly mu: number;
  readonly name?: string;
}

/** Dose (Gy) at the points (3N LPS coordinates) from the fields; default fluence pixel 1 mm. */
export function staticFieldDose(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  fields: readonly StaticField[],
  options: PencilBeamOptions = {},
): Float64Array {
  const h = options.pixelMm ?? 1;
  const beams = fields.map((f, i) => {
    const name = f.name ?? `field ${i + 1}`;
    if (!(f.mu >= 0) || !Number.isFinite(f.mu)) throw new PlanError(`${name}: MU must be finite and >= 0, found ${fmt(f.mu)}`);
    const [x1, x2] = f.aperture.jawXMm;
    const [y1, y2] = f.aperture.jawYMm;
    return { geometry: f.geometry, region: regionCovering(x1, x2, y1, y2, h), name };
  });
  const prep = preparePencilBeam(machine, density, pointsLps, beams, { ...options, pixelMm: h });
  const out = new Float64Array(prep.nPoints);
  fields.forEach((f, i) => {
    const fl = apertureFluence(machine, beams[i]!.region, h, f.aperture, f.mu, beams[i]!.name);
    addBeamDose(prep, i, fl, out);
  });
  return out;
}
