/**
 * The photon beam model (machine) type, and helpers that evaluate it.
 *
 * A machine is data only: depth components (mu, beta_k), lateral basis rates b_j and the coefficient
 * matrix c_kj (src/dose/kernels.ts), the Gaussian source sigma at the isocentre plane, the in-air
 * off-axis primary fluence (horns), and the MU calibration. Lengths in mm, rates in 1/mm, dose in Gy.
 * The 6 MV parameters we ship are fitted by scripts/fit-beam-model.ts (src/dose/machine-6mv.ts).
 */

import { basisDepthWeights, squareIntegral } from './kernels.js';

export interface PhotonMachine {
  readonly name: string;
  readonly radiationType: 'PHOTON';
  /** Nominal energy, MV. */
  readonly energyMv: number;
  /** Source-axis distance, mm. */
  readonly sadMm: number;
  /** Attenuation coefficient of the depth components, 1/mm. */
  readonly muPerMm: number;
  /** Build-up coefficients beta_k of the depth components, 1/mm. */
  readonly betasPerMm: readonly number[];
  /** Rates b_j of the lateral basis kernels b exp(-b r) / (2 pi r), 1/mm. */
  readonly lateralRatesPerMm: readonly number[];
  /** c[k][j]: weight of depth component k in lateral basis j (dose per unit fluence, arbitrary unit). */
  readonly coefficients: readonly (readonly number[])[];
  /** Sigma of the Gaussian source penumbra at the isocentre plane, mm. */
  readonly sourceSigmaMm: number;
  /** In-air off-axis primary fluence psi(r) at the isocentre plane (radius mm, relative to the axis). */
  readonly primaryFluence: { readonly radiusMm: readonly number[]; readonly relative: readonly number[] };
  /** Gy per MU per unit model dose: 1 cGy/MU at dmax, 10 x 10 cm, SSD 1000 mm. */
  readonly gyPerMuPerUnit: number;
  /** Depth of maximum dose of the 10 x 10 field at SSD 1000 mm, mm (model). */
  readonly dmaxMm: number;
}

/** Off-axis primary fluence at iso-plane radius r (mm), linear interpolation, constant beyond the table. */
export function primaryFluenceAt(machine: PhotonMachine, rMm: number): number {
  const r = machine.primaryFluence.radiusMm;
  const v = machine.primaryFluence.relative;
  if (rMm <= r[0]!) return v[0]!;
  const n = r.length;
  if (rMm >= r[n - 1]!) return v[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (r[mid]! <= rMm) lo = mid;
    else hi = mid;
  }
  const t = (rMm - r[lo]!) / (r[hi]! - r[lo]!);
  return v[lo]! * (1 - t) + v[hi]! * t;
}

/** Number of lateral bases of a machine. */
export const basisCount = (machine: PhotonMachine): number => machine.lateralRatesPerMm.length;

/**
 * Semi-analytic central-axis dose (model units, per unit fluence) of a square field of side
 * fieldMm at the isocentre plane, at water-equivalent depth zMm, for a point whose distance from the
 * source along the axis is lMm (SSD setup: lMm = ssd + depth; SAD setup: lMm = sad). Source penumbra
 * is neglected (fine for fields of 2 cm and more). Used by the fit and the MU calibration.
 */
export function centralAxisDoseSquare(machine: PhotonMachine, fieldMm: number, zMm: number, lMm: number): number {
  const f = lMm / machine.sadMm;
  const e = new Float64Array(basisCount(machine));
  basisDepthWeights(zMm, machine.muPerMm, machine.betasPerMm, machine.coefficients, e);
  const psi = (r: number): number => primaryFluenceAt(machine, r);
  let d = 0;
  for (let j = 0; j < e.length; j++) d += e[j]! * squareIntegral(machine.lateralRatesPerMm[j]!, fieldMm / 2, f, psi);
  return d / (f * f);
}
