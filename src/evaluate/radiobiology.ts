/**
 * Linear-quadratic radiobiology: BED and EQD2, for a schedule and voxel by voxel.
 *
 * Inputs: a total physical dose D (Gy) given in n equal fractions (d = D / n), and α/β (Gy).
 * Formulas (physics reference §1.1, [EQD2]):
 *   BED  = D (1 + d / (α/β))
 *   EQD2 = BED / (1 + 2 / (α/β)) = D (d + α/β) / (2 + α/β)
 * Voxel-wise (§1.3): each voxel has its own dose per fraction dᵢ = Dᵢ / n, so each voxel (or DVH
 * sampling point) is converted on its own; mean dose, gEUD and Vx must be recomputed from the
 * converted values, which is what converting the DVH's samples (`eqd2Samples`) does.
 * The LQ model is disputed at the large doses per fraction of lattice peaks (13.34 Gy per fraction
 * in the seed case); every output is labelled with the model and α/β (`eqd2Label`).
 *
 * Default α/β (§1.2): 10 Gy for tumour (GTV / CTV / PTV and lattice spheres), 3 Gy for
 * late-responding normal tissue; per-structure overrides by name.
 */

import { InputError, fmt } from '../core/errors.js';
import type { RoiInterpretedType } from '../geometry/structure.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { doseMapFunction, mapDoseSamples, type DoseMap, type DoseSamples } from './dvh.js';

export const DEFAULT_ALPHA_BETA_TUMOUR_GY = 10;
export const DEFAULT_ALPHA_BETA_LATE_NORMAL_GY = 3;

/** Throws InputError unless α/β is finite and > 0; `what` names the structure or option. */
export function checkAlphaBeta(alphaBetaGy: number, what = 'α/β'): void {
  if (!(Number.isFinite(alphaBetaGy) && alphaBetaGy > 0)) {
    throw new InputError(`${what}: α/β must be a finite number > 0 Gy, found ${fmt(alphaBetaGy)}`);
  }
}

/** Throws InputError unless n is an integer >= 1. */
export function checkFractions(fractions: number, what = 'number of fractions'): void {
  if (!(Number.isInteger(fractions) && fractions >= 1)) {
    throw new InputError(`${what} must be an integer >= 1, found ${fmt(fractions)}`);
  }
}

function checkDose(totalGy: number, what: string): void {
  if (!(Number.isFinite(totalGy) && totalGy >= 0)) {
    throw new InputError(`${what}: dose must be finite and >= 0 Gy, found ${fmt(totalGy)}`);
  }
}

/** BED (Gy) of D Gy in n equal fractions. */
export function bedGy(totalGy: number, fractions: number, alphaBetaGy: number): number {
  checkDose(totalGy, 'BED');
  checkFractions(fractions);
  checkAlphaBeta(alphaBetaGy);
  return totalGy * (1 + totalGy / fractions / alphaBetaGy);
}

/** EQD2 (Gy) of D Gy in n equal fractions. */
export function eqd2Gy(totalGy: number, fractions: number, alphaBetaGy: number): number {
  checkDose(totalGy, 'EQD2');
  checkFractions(fractions);
  checkAlphaBeta(alphaBetaGy);
  return (totalGy * (totalGy / fractions + alphaBetaGy)) / (2 + alphaBetaGy);
}

/** Label of an EQD2 quantity, e.g. 'EQD2 (LQ, α/β = 10 Gy)'. */
export const eqd2Label = (alphaBetaGy: number): string => `EQD2 (LQ, α/β = ${fmt(alphaBetaGy)} Gy)`;
export const bedLabel = (alphaBetaGy: number): string => `BED (LQ, α/β = ${fmt(alphaBetaGy)} Gy)`;

/**
 * Voxel-wise EQD2 of a dose array delivered in n fractions, written into `out` (may be `dose`
 * itself). α/β is one value or one per voxel. Throws InputError on a negative dose or α/β <= 0.
 */
export function eqd2Into(
  out: Float32Array,
  doseGy: Float32Array,
  fractions: number,
  alphaBetaGy: number | Float32Array,
): Float32Array {
  checkFractions(fractions);
  if (out.length !== doseGy.length) throw new InputError(`EQD2: output length ${out.length} differs from dose length ${doseGy.length}`);
  const inv = 1 / fractions;
  if (typeof alphaBetaGy === 'number') {
    checkAlphaBeta(alphaBetaGy);
    const k = 1 / (2 + alphaBetaGy);
    for (let i = 0; i < doseGy.length; i++) {
      const D = doseGy[i]!;
      if (!(D >= 0)) throw new InputError(`EQD2: dose must be finite and >= 0 Gy, found ${fmt(D)} at voxel ${i}`);
      out[i] = D * (D * inv + alphaBetaGy) * k;
    }
    return out;
  }
  if (alphaBetaGy.length !== doseGy.length) {
    throw new InputError(`EQD2: α/β map length ${alphaBetaGy.length} differs from dose length ${doseGy.length}`);
  }
  for (let i = 0; i < doseGy.length; i++) {
    const D = doseGy[i]!;
    const ab = alphaBetaGy[i]!;
    if (!(D >= 0)) throw new InputError(`EQD2: dose must be finite and >= 0 Gy, found ${fmt(D)} at voxel ${i}`);
    if (!(ab > 0 && ab < Infinity)) throw new InputError(`EQD2: α/β must be > 0 Gy, found ${fmt(ab)} at voxel ${i}`);
    out[i] = (D * (D * inv + ab)) / (2 + ab);
  }
  return out;
}

/** Voxel-wise EQD2 volume of a physical dose given in n fractions (a new volume on the same grid). */
export function eqd2Volume(dose: ScalarVolume, fractions: number, alphaBetaGy: number | Float32Array): ScalarVolume {
  return { grid: dose.grid, data: eqd2Into(new Float32Array(dose.data.length), dose.data, fractions, alphaBetaGy) };
}

/** Voxel-wise BED volume. */
export function bedVolume(dose: ScalarVolume, fractions: number, alphaBetaGy: number): ScalarVolume {
  // BED = EQD2 (1 + 2 / (α/β))
  const v = eqd2Volume(dose, fractions, alphaBetaGy);
  const f = 1 + 2 / alphaBetaGy;
  for (let i = 0; i < v.data.length; i++) v.data[i]! *= f;
  return v;
}

/** Physical dose in n fractions -> EQD2, point by point (for mapDoseSamples / structureDvhs). */
export function eqd2Map(fractions: number, alphaBetaGy: number, structure: string): DoseMap {
  checkFractions(fractions);
  checkAlphaBeta(alphaBetaGy, `structure "${structure}"`);
  return { quantity: eqd2Label(alphaBetaGy), kind: 1, a: 1 / fractions, b: alphaBetaGy, c: 1 / (2 + alphaBetaGy), d: 0 };
}

/** A structure's DVH samples converted point by point to EQD2 (physical dose in n fractions). */
export function eqd2Samples(samples: DoseSamples, fractions: number, alphaBetaGy: number): DoseSamples {
  const m = eqd2Map(fractions, alphaBetaGy, samples.name);
  return mapDoseSamples(samples, m.quantity, doseMapFunction(m));
}

/** Interpreted types that default to the tumour α/β. */
const TUMOUR_TYPES: ReadonlySet<RoiInterpretedType> = new Set(['GTV', 'CTV', 'PTV', 'TREATED_VOLUME']);
const TUMOUR_NAME = /^(gtv|ctv|ptv|itv|sphere|vertex|vertices|lattice|peak|valley)/i;

export interface AlphaBetaChoice {
  readonly alphaBetaGy: number;
  /** Where the value came from. */
  readonly source: 'override' | 'default (tumour)' | 'default (late normal tissue)';
}

/**
 * α/β for a structure: an override by exact name (then case-insensitive), else 10 Gy for targets
 * (interpreted type GTV / CTV / PTV, or a name starting GTV, CTV, PTV, ITV, sphere, vertex,
 * lattice, peak, valley), else 3 Gy.
 */
export function alphaBetaFor(
  structure: { readonly name: string; readonly interpretedType?: RoiInterpretedType },
  overrides: Readonly<Record<string, number>> = {},
): AlphaBetaChoice {
  let v = overrides[structure.name];
  if (v === undefined) {
    const lower = structure.name.toLowerCase();
    for (const [k, val] of Object.entries(overrides)) if (k.toLowerCase() === lower) v = val;
  }
  if (v !== undefined) {
    checkAlphaBeta(v, `α/β override for structure "${structure.name}"`);
    return { alphaBetaGy: v, source: 'override' };
  }
  const tumour =
    (structure.interpretedType !== undefined && TUMOUR_TYPES.has(structure.interpretedType)) || TUMOUR_NAME.test(structure.name);
  return tumour
    ? { alphaBetaGy: DEFAULT_ALPHA_BETA_TUMOUR_GY, source: 'default (tumour)' }
    : { alphaBetaGy: DEFAULT_ALPHA_BETA_LATE_NORMAL_GY, source: 'default (late normal tissue)' };
}
