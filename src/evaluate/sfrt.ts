/**
 * Lattice / SFRT dose metrics, each with an explicit name because the literature uses the words
 * loosely (physics reference §3.2; [MISA], [EUD-LRT], [SEOL], [AAPM26-1985]).
 *
 * Inputs: DVH samples (dvh.ts) of the GTV, of every lattice sphere (vertex), and optionally of a
 * valley structure (GTV minus spheres plus margin), all of one quantity: physical dose, or EQD2
 * after radiobiology.ts / fractions.ts. `sfrtMetrics` reads one quantity; `sfrtPhysicalAndEqd2`
 * gives both side by side (physical; EQD2 with α/β = 10 Gy by default, tumour).
 *
 * Names and definitions:
 * - peak: over ALL spheres together (their DVHs added): mean, D50 and D95; and the same per sphere.
 * - valley: mean and D50 of the valley structure, when one is given; GTV D90 is always reported as
 *   the surrogate valley dose ('valleyGtvD90Gy').
 * - PVDR_DVH = GTV D10% / GTV D90%.
 * - PVDR_struct = mean peak dose / mean valley dose (valley structure needed).
 * - VPDR_struct = mean valley / mean peak = 1 / PVDR_struct (goal VPDR < 0.4 [SEOL]); VPDR_DVH = 1 / PVDR_DVH.
 * - vertexCount: number of spheres; peakVolumeFraction = Σ sphere volumes / GTV volume
 *   (V_lattice / V_GTV, [AAPM26-1985]).
 */

import { InputError } from '../core/errors.js';
import { combineDvhs, computeDvh, type DoseSamples, type Dvh } from './dvh.js';
import { deliveredEqd2Samples, type Schedule } from './fractions.js';
import { doseAtVolumePercent } from './metrics.js';
import { DEFAULT_ALPHA_BETA_TUMOUR_GY, checkFractions, eqd2Samples } from './radiobiology.js';

export interface SfrtInput {
  readonly gtv: DoseSamples;
  readonly spheres: readonly DoseSamples[];
  readonly valley?: DoseSamples;
}

export interface PeakDoseSummary {
  readonly name: string;
  readonly volumeCc: number;
  readonly meanGy: number;
  readonly D50Gy: number;
  readonly D95Gy: number;
}

export interface SfrtMetrics {
  readonly quantity: string;
  readonly vertexCount: number;
  /** All spheres together. */
  readonly peak: PeakDoseSummary | undefined;
  readonly perSphere: readonly PeakDoseSummary[];
  readonly valley: { readonly name: string; readonly volumeCc: number; readonly meanGy: number; readonly D50Gy: number } | undefined;
  /** GTV D90%, the valley surrogate. */
  readonly valleyGtvD90Gy: number;
  readonly gtv: { readonly volumeCc: number; readonly meanGy: number; readonly D10Gy: number; readonly D50Gy: number; readonly D90Gy: number };
  /** GTV D10 / D90. */
  readonly pvdrDvh: number;
  /** Mean peak / mean valley; undefined without a valley structure or spheres. */
  readonly pvdrStruct: number | undefined;
  /** 1 / PVDR_DVH. */
  readonly vpdrDvh: number;
  /** Mean valley / mean peak; undefined without a valley structure or spheres. */
  readonly vpdrStruct: number | undefined;
  /** Σ sphere volume / GTV volume. */
  readonly peakVolumeFraction: number;
}

const summary = (d: Dvh): PeakDoseSummary => ({
  name: d.name,
  volumeCc: d.volumeCc,
  meanGy: d.meanGy,
  D50Gy: doseAtVolumePercent(d, 50),
  D95Gy: doseAtVolumePercent(d, 95),
});

/** SFRT metrics in the quantity of the samples (see the header for the definitions). */
export function sfrtMetrics(input: SfrtInput, options: { readonly binWidthGy?: number } = {}): SfrtMetrics {
  const opts = options.binWidthGy !== undefined ? { binWidthGy: options.binWidthGy } : {};
  const quantity = input.gtv.quantity;
  for (const s of [...input.spheres, ...(input.valley ? [input.valley] : [])]) {
    if (s.quantity !== quantity) {
      throw new InputError(`SFRT metrics: expected every structure in ${quantity}, found "${s.name}" in ${s.quantity}`);
    }
  }
  const gtv = computeDvh(input.gtv, opts);
  const sphereDvhs = input.spheres.map((s) => computeDvh(s, opts));
  const perSphere = sphereDvhs.map(summary);
  const peak = sphereDvhs.length > 0 ? summary(combineDvhs('all spheres', sphereDvhs)) : undefined;
  const valleyDvh = input.valley ? computeDvh(input.valley, opts) : undefined;
  const valley = valleyDvh
    ? { name: valleyDvh.name, volumeCc: valleyDvh.volumeCc, meanGy: valleyDvh.meanGy, D50Gy: doseAtVolumePercent(valleyDvh, 50) }
    : undefined;
  const D10 = doseAtVolumePercent(gtv, 10);
  const D50 = doseAtVolumePercent(gtv, 50);
  const D90 = doseAtVolumePercent(gtv, 90);
  const pvdrStruct = peak && valley ? peak.meanGy / valley.meanGy : undefined;
  const sphereVolume = perSphere.reduce((s, p) => s + p.volumeCc, 0);
  return {
    quantity,
    vertexCount: input.spheres.length,
    peak,
    perSphere,
    valley,
    valleyGtvD90Gy: D90,
    gtv: { volumeCc: gtv.volumeCc, meanGy: gtv.meanGy, D10Gy: D10, D50Gy: D50, D90Gy: D90 },
    pvdrDvh: D10 / D90,
    pvdrStruct,
    vpdrDvh: D90 / D10,
    vpdrStruct: peak && valley ? valley.meanGy / peak.meanGy : undefined,
    peakVolumeFraction: gtv.volumeCc > 0 ? sphereVolume / gtv.volumeCc : NaN,
  };
}

export interface SfrtEqd2Options {
  /** Planned fractions of the (planned) physical dose. */
  readonly fractions: number;
  /** α/β for the GTV, spheres and valley (default 10 Gy). */
  readonly alphaBetaGy?: number;
  /** When given, the EQD2 figures are for the delivered fractions. */
  readonly schedule?: Schedule;
  readonly binWidthGy?: number;
}

/** SFRT metrics in physical dose and in EQD2, side by side. */
export function sfrtPhysicalAndEqd2(
  input: SfrtInput,
  options: SfrtEqd2Options,
): { readonly physical: SfrtMetrics; readonly eqd2: SfrtMetrics } {
  checkFractions(options.fractions, 'SFRT metrics: planned fractions');
  const ab = options.alphaBetaGy ?? DEFAULT_ALPHA_BETA_TUMOUR_GY;
  const conv = (s: DoseSamples): DoseSamples =>
    options.schedule ? deliveredEqd2Samples(s, options.schedule, ab) : eqd2Samples(s, options.fractions, ab);
  const eqInput: SfrtInput = {
    gtv: conv(input.gtv),
    spheres: input.spheres.map(conv),
    ...(input.valley ? { valley: conv(input.valley) } : {}),
  };
  const o = options.binWidthGy !== undefined ? { binWidthGy: options.binWidthGy } : {};
  return { physical: sfrtMetrics(input, o), eqd2: sfrtMetrics(eqInput, o) };
}
