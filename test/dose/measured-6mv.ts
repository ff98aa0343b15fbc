/**
 * The measured Synergy 6 MV data (fixtures/synergy-6mv-measured.ts) as functions of depth and field
 * size, and the standard TPR -> PDD conversion, for the depth-dose tests.
 *
 * tsar(z, s, r): relative dose per MU at depth z (mm) on the axis of a field of side s (mm, at the
 * isocentre) with the point at distance r (mm) from the source: TPR(z, s_r) OF(s_r) (1000 / r)^2,
 * s_r = s r / 1000 the field side at the point (Khan ch. 10, with the total scatter factor OF in place
 * of Sp: our kernels carry head scatter too). Normalised so that 1 = 10 x 10 cm, depth 100 mm, r = 1000.
 */

import { MEASURED_DEPTHS_MM, MEASURED_OF, MEASURED_TPR } from './fixtures/synergy-6mv-measured.js';

const fieldsWithTpr = Object.keys(MEASURED_TPR).map(Number).sort((a, b) => a - b);

/** Measured TPR at integer depth z (mm) for any field side s by linear interpolation between columns. */
export function tpr(z: number, s: number): number {
  const i = MEASURED_DEPTHS_MM.indexOf(z);
  if (i < 0) throw new Error(`no measured depth ${z}`);
  let k = 0;
  while (k + 2 < fieldsWithTpr.length && fieldsWithTpr[k + 1]! < s) k++;
  const s0 = fieldsWithTpr[k]!, s1 = fieldsWithTpr[k + 1]!;
  const t = (s - s0) / (s1 - s0);
  return MEASURED_TPR[s0]![i]! * (1 - t) + MEASURED_TPR[s1]![i]! * t;
}

/** Measured output factor, linear in log(field) between measured sides. */
export function of(s: number): number {
  const ks = Object.keys(MEASURED_OF).map(Number).sort((a, b) => a - b);
  let k = 0;
  while (k + 2 < ks.length && ks[k + 1]! < s) k++;
  const t = (Math.log(s) - Math.log(ks[k]!)) / (Math.log(ks[k + 1]!) - Math.log(ks[k]!));
  return MEASURED_OF[ks[k]!]! * (1 - t) + MEASURED_OF[ks[k + 1]!]! * t;
}

/** Relative axis dose per MU at depth z (mm, integer), field side s at the isocentre, source distance r (mm). */
export function axisDosePerMu(z: number, s: number, r: number): number {
  const sr = (s * r) / 1000;
  return tpr(z, sr) * of(sr) * (1000 / r) ** 2;
}

/** Measured-data PDD (%) at depth z (mm) for field side s at the isocentre and SSD ssdMm, normalised at
 * the depth of maximum dmMm. */
export function pdd(z: number, s: number, ssdMm: number, dmMm: number): number {
  return (100 * axisDosePerMu(z, s, ssdMm + z)) / axisDosePerMu(dmMm, s, ssdMm + dmMm);
}
