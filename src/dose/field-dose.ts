/**
 * Forward dose (Gy) of static fields (jaws, optional MLC, MU) at points in LPS: the fluence of each
 * aperture (src/dose/fluence.ts) through the pencil-beam engine (src/dose/pencil-beam.ts).
 */

import { PlanError, fmt } from '../core/errors.js';
import type { BeamGeometry } from './beam-geometry.js';
import { apertureFluence, regionCovering, type Aperture } from './fluence.js';
import type { PhotonMachine } from './machine.js';
import type { BevDepthOptions } from './bev-depth.js';
import { addBeamDose, preparePencilBeam, type KernelCache, type PencilBeamOptions } from './pencil-beam.js';
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

export interface FieldBatchOptions {
  readonly pixelMm: number;
  /** Fields computed together (memory vs. set-up cost). */
  readonly batchSize: number;
  readonly bevDepth?: BevDepthOptions;
}

/** Adds the dose (Gy) of many fields to `out`, in batches that share kernel spectra. */
export function addFieldsDose(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  fields: readonly StaticField[],
  options: FieldBatchOptions,
  out: Float64Array,
): void {
  const kernelCache: KernelCache = new Map();
  const b = Math.max(1, options.batchSize);
  for (let s = 0; s < fields.length; s += b) {
    const part = staticFieldDose(machine, density, pointsLps, fields.slice(s, s + b), {
      pixelMm: options.pixelMm, kernelCache, ...(options.bevDepth !== undefined ? { bevDepth: options.bevDepth } : {}),
    });
    for (let q = 0; q < part.length; q++) out[q] = out[q]! + part[q]!;
  }
}
