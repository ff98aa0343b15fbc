/**
 * Forward dose (Gy) of static fields (jaws, optional MLC, MU) at points in LPS: the fluence of each
 * aperture (src/dose/fluence.ts) through the pencil-beam engine (src/dose/pencil-beam.ts).
 */

import { PlanError, fmt } from '../core/errors.js';
import type { BeamGeometry } from './beam-geometry.js';
import { aperturesFluence, regionCovering, type Aperture } from './fluence.js';
import type { PhotonMachine } from './machine.js';
import type { BevDepthOptions } from './bev-depth.js';
import { addBeamDose, preparePencilBeam, type FluenceRegion, type KernelCache, type PencilBeamOptions } from './pencil-beam.js';
import type { ScalarVolume } from '../geometry/volume.js';

/** A fluence map at the isocentre plane: pixel (a, b) centred at (u0Mm + a h, v0Mm + b h), h the
 * computation's pixel side; values in MU units (1 = the on-axis primary fluence of 1 MU), psi included. */
export interface FluenceMap {
  readonly region: FluenceRegion;
  readonly pixelMm: number;
  readonly values: Float64Array;
}

/** A static field: an aperture (jaws, optional MLC) delivering `mu`, or an optimised fluence map
 * (then `mu` scales the map; 1 keeps it as it is). With `apertureSteps`, those apertures share `mu`
 * equally at the field's angles (leaves moving within a sub-arc) and `aperture` is only their mean. */
export interface StaticField {
  readonly geometry: BeamGeometry;
  readonly aperture?: Aperture;
  readonly apertureSteps?: readonly Aperture[];
  readonly fluence?: FluenceMap;
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
    if (f.fluence !== undefined) {
      const m = f.fluence;
      if (Math.abs(m.pixelMm - h) > 1e-9 || m.values.length !== m.region.nu * m.region.nv) {
        throw new PlanError(`${name}: fluence map of ${m.region.nu} x ${m.region.nv} pixels of ${fmt(m.pixelMm)} mm does not fit the ${fmt(h)} mm computation (${m.values.length} values)`);
      }
      return { geometry: f.geometry, region: m.region, name };
    }
    if (f.aperture === undefined) throw new PlanError(`${name}: a field needs an aperture or a fluence map`);
    let [x1, x2] = f.aperture.jawXMm;
    let [y1, y2] = f.aperture.jawYMm;
    for (const s of f.apertureSteps ?? []) {
      x1 = Math.min(x1, s.jawXMm[0]); x2 = Math.max(x2, s.jawXMm[1]);
      y1 = Math.min(y1, s.jawYMm[0]); y2 = Math.max(y2, s.jawYMm[1]);
    }
    return { geometry: f.geometry, region: regionCovering(x1, x2, y1, y2, h), name };
  });
  const prep = preparePencilBeam(machine, density, pointsLps, beams, { ...options, pixelMm: h });
  const out = new Float64Array(prep.nPoints);
  fields.forEach((f, i) => {
    let fl: Float64Array;
    if (f.fluence !== undefined) {
      fl = f.mu === 1 ? f.fluence.values : f.fluence.values.map((v) => v * f.mu);
    } else {
      const steps = f.apertureSteps !== undefined && f.apertureSteps.length > 0 ? f.apertureSteps : [f.aperture!];
      fl = aperturesFluence(machine, beams[i]!.region, h, steps, f.mu, beams[i]!.name);
    }
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
