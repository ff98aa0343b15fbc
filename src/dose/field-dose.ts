/**
 * Forward dose (Gy) of static fields (jaws, optional MLC, MU) at points in LPS: the fluence of each
 * aperture (src/dose/fluence.ts) through the pencil-beam engine (src/dose/pencil-beam.ts).
 */

import { PlanError, fmt } from '../core/errors.js';
import { sourceKey, type BeamGeometry } from './beam-geometry.js';
import { aperturesFluence, regionCovering, type Aperture } from './fluence.js';
import type { PhotonMachine } from './machine.js';
import type { BevDepthOptions } from './bev-depth.js';
import { addBeamDose, preparePencilBeam, type FluenceRegion, type KernelCache, type PencilBeamOptions } from './pencil-beam.js';
import { scratchArray, type ScratchPool } from './scratch.js';
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

/** Exact identity of a field's geometry (gantry, collimator, couch, isocentre, SAD). */
const geometryKey = (g: BeamGeometry): string =>
  `${g.gantryDeg}|${g.collimatorDeg}|${g.couchDeg}|${g.isocenterLps[0]}|${g.isocenterLps[1]}|${g.isocenterLps[2]}|${g.sadMm}`;

/**
 * The fields in groups computed as one pencil-beam field: aperture fields with the same geometry
 * (two arcs over the same gantry angles with the same collimator, repeated static beams), whose
 * fluences add (the dose is linear in the fluence, and the pixels of every region lie on the same
 * multiples of the pixel side). A fluence-map field is a group of its own. Groups keep the order of
 * their first field, except that groups with the same source position (collimator angles apart)
 * follow each other, so that they fall in one batch and share their depths (preparePencilBeam).
 */
export function fieldGroups(fields: readonly StaticField[]): StaticField[][] {
  const bySource = new Map<string, Map<string, StaticField[]>>();
  let own = 0;
  for (const f of fields) {
    const s = sourceKey(f.geometry);
    const g = f.fluence !== undefined ? `fluence ${own++}` : geometryKey(f.geometry);
    let groups = bySource.get(s);
    if (groups === undefined) bySource.set(s, (groups = new Map()));
    let members = groups.get(g);
    if (members === undefined) groups.set(g, (members = []));
    members.push(f);
  }
  const out: StaticField[][] = [];
  for (const groups of bySource.values()) out.push(...groups.values());
  return out;
}

/** Dose (Gy) at the points (3N LPS coordinates) from the fields; default fluence pixel 1 mm. Aperture
 * fields with the same geometry are computed as one (fieldGroups). */
export function staticFieldDose(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  fields: readonly StaticField[],
  options: PencilBeamOptions = {},
): Float64Array {
  const h = options.pixelMm ?? 1;
  const groups = fieldGroups(fields);
  const named = new Map<StaticField, string>();
  fields.forEach((f, i) => named.set(f, f.name ?? `field ${i + 1}`));
  const beams = groups.map((members) => {
    const f = members[0]!;
    const name = named.get(f)! + (members.length > 1 ? ` (with ${members.length - 1} more of the same geometry)` : '');
    for (const m of members) {
      if (!(m.mu >= 0) || !Number.isFinite(m.mu)) throw new PlanError(`${named.get(m)!}: MU must be finite and >= 0, found ${fmt(m.mu)}`);
    }
    if (f.fluence !== undefined) {
      const m = f.fluence;
      if (Math.abs(m.pixelMm - h) > 1e-9 || m.values.length !== m.region.nu * m.region.nv) {
        throw new PlanError(`${name}: fluence map of ${m.region.nu} x ${m.region.nv} pixels of ${fmt(m.pixelMm)} mm does not fit the ${fmt(h)} mm computation (${m.values.length} values)`);
      }
      return { geometry: f.geometry, region: m.region, name };
    }
    let x1 = Infinity, x2 = -Infinity, y1 = Infinity, y2 = -Infinity;
    for (const m of members) {
      if (m.aperture === undefined) throw new PlanError(`${named.get(m)!}: a field needs an aperture or a fluence map`);
      for (const s of [m.aperture, ...(m.apertureSteps ?? [])]) {
        x1 = Math.min(x1, s.jawXMm[0]); x2 = Math.max(x2, s.jawXMm[1]);
        y1 = Math.min(y1, s.jawYMm[0]); y2 = Math.max(y2, s.jawYMm[1]);
      }
    }
    return { geometry: f.geometry, region: regionCovering(x1, x2, y1, y2, h), name };
  });
  const prep = preparePencilBeam(machine, density, pointsLps, beams, { ...options, pixelMm: h });
  const out = scratchArray(options.scratch, 'field dose', Float64Array, prep.nPoints);
  out.fill(0);
  groups.forEach((members, i) => {
    const f = members[0]!;
    let fl: Float64Array;
    if (f.fluence !== undefined) {
      fl = f.mu === 1 ? f.fluence.values : f.fluence.values.map((v) => v * f.mu);
    } else {
      fl = new Float64Array(0);
      for (const m of members) {
        const steps = m.apertureSteps !== undefined && m.apertureSteps.length > 0 ? m.apertureSteps : [m.aperture!];
        const one = aperturesFluence(machine, beams[i]!.region, h, steps, m.mu, named.get(m)!);
        if (fl.length === 0) fl = one;
        else for (let q = 0; q < fl.length; q++) fl[q] = fl[q]! + one[q]!;
      }
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

/** Adds the dose (Gy) of many fields to `out`, in batches of `batchSize` field groups (fieldGroups)
 * that share kernel spectra. */
export function addFieldsDose(
  machine: PhotonMachine,
  density: ScalarVolume,
  pointsLps: Float64Array,
  fields: readonly StaticField[],
  options: FieldBatchOptions,
  out: Float64Array,
): void {
  const kernelCache: KernelCache = new Map();
  const scratch: ScratchPool = new Map();
  const b = Math.max(1, options.batchSize);
  const groups = fieldGroups(fields);
  for (let s = 0; s < groups.length; s += b) {
    const part = staticFieldDose(machine, density, pointsLps, groups.slice(s, s + b).flat(), {
      pixelMm: options.pixelMm, kernelCache, scratch, ...(options.bevDepth !== undefined ? { bevDepth: options.bevDepth } : {}),
    });
    for (let q = 0; q < part.length; q++) out[q] = out[q]! + part[q]!;
  }
}
