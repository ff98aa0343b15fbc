/**
 * Dose-volume metrics read from a DVH (dvh.ts), plus plan-level conformity and gradient indices.
 *
 * Input: a `Dvh` (differential, cc per bin of width w, doses in Gy of whatever quantity the DVH
 * holds: physical or EQD2). Within a bin the volume is taken as spread uniformly, so Dx and Vx are
 * interpolated linearly inside the bin (error below w = 0.01 Gy by default).
 *
 * Definitions (physics reference §5.1, §3.2):
 * - Dx cc / Dx %: the minimum dose received by the hottest x cc / x % of the structure (relative to
 *   the part inside the dose grid). D100% is the minimum, D0 the maximum.
 * - Vx Gy: volume receiving >= x Gy, in cc or % ; volume receiving LESS than x Gy (critical-volume
 *   limits): the dosed volume minus V(>= x).
 * - Near-maximum doses, always labelled: 'Dmax' (maximum over the sampling points whose voxel
 *   centre is inside, dvh.ts), 'D0.03cc' (NRG trials), 'D0.035cc' (the usual reading of a TG-101
 *   "maximum point dose"), 'D2%' (ICRU 83).
 * - gEUD = (Σ vᵢ Dᵢᵃ)^(1/a), vᵢ relative volumes, Dᵢ bin centres; a < 0 for tumours, a = 1 is the
 *   mean, large a tends to the maximum [GEUD].
 * - Conformity: RTOG CI = V_RI / TV (prescription-isodose volume over target volume);
 *   Paddick CI = TV_PIV² / (TV x V_RI) (TV_PIV: target volume inside the prescription isodose).
 *   Gradient index (Paddick 2006) = V(50 % of Rx) / V(Rx). Homogeneity index: ICRU 83,
 *   HI = (D2% - D98%) / D50%.
 */

import { InputError, fmt } from '../core/errors.js';
import { voxelVolumeCc } from '../geometry/grid.js';
import type { Mask, Occupancy, ScalarVolume } from '../geometry/volume.js';
import type { Dvh } from './dvh.js';
import { dosesAtSortedVolumes } from './dvh-bins.js';

const ctx = (dvh: Dvh): { structure: string } => ({ structure: dvh.name });

/** Minimum dose (Gy) to the hottest `volumeCc` of the structure. */
export function doseAtVolumeCc(dvh: Dvh, volumeCc: number): number {
  return dosesAtVolumesCc(dvh, [volumeCc])[0]!;
}

/**
 * doseAtVolumeCc for each of `volumesCc`, from one pass down the bins (the volume above each bin is
 * summed in the same order for every query, so each result is doseAtVolumeCc's own): a report's
 * several Dx figures of one DVH without a scan of its bins for each.
 */
export function dosesAtVolumesCc(dvh: Dvh, volumesCc: readonly number[]): number[] {
  for (const v of volumesCc) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new InputError(`Dx: volume must be finite and >= 0 cc, found ${fmt(v)}`, ctx(dvh));
  }
  const out = volumesCc.map((v) => (dvh.dosedVolumeCc <= 0 ? NaN : v <= 0 ? dvh.maxGy : dvh.minGy));
  if (dvh.dosedVolumeCc <= 0) return out;
  // the queries still open, by volume ascending: the bins are met from the top, each query answered
  // at the first bin whose volume above reaches it
  const open = volumesCc.map((_, i) => i).filter((i) => volumesCc[i]! > 0).sort((a, b) => volumesCc[a]! - volumesCc[b]!);
  // the pass in the WebAssembly kernels (dvh-bins.ts): a query no bin reaches keeps the minimum
  const doses = dosesAtSortedVolumes(dvh.differentialCc, dvh.binWidthGy, open.map((i) => volumesCc[i]!));
  open.forEach((q, i) => {
    const d = doses[i];
    if (d !== undefined) out[q] = d;
  });
  return out;
}

/** Minimum dose (Gy) to the hottest `percent` % of the structure (inside the dose grid). */
export function doseAtVolumePercent(dvh: Dvh, percent: number): number {
  if (!(percent >= 0 && percent <= 100)) {
    throw new InputError(`Dx%: percentage must be in 0..100, found ${fmt(percent)}`, ctx(dvh));
  }
  if (percent === 100) return dvh.minGy;
  return doseAtVolumeCc(dvh, percentOfDosedCc(dvh, percent));
}

/** `percent` % of the structure's volume inside the dose grid (cc): what Dx% asks Dx(cc) for. */
export const percentOfDosedCc = (dvh: Dvh, percent: number): number => (percent / 100) * dvh.dosedVolumeCc;

/** Volume (cc) receiving >= doseGy. */
export function volumeAtDoseCc(dvh: Dvh, doseGy: number): number {
  if (!Number.isFinite(doseGy)) throw new InputError(`Vx: dose must be finite (Gy), found ${fmt(doseGy)}`, ctx(dvh));
  if (doseGy <= 0) return dvh.dosedVolumeCc;
  const diff = dvh.differentialCc;
  const w = dvh.binWidthGy;
  const b = Math.floor(doseGy / w);
  if (b >= diff.length) return 0;
  let acc = 0;
  for (let q = diff.length - 1; q > b; q--) acc += diff[q]!;
  return acc + (diff[b]! * ((b + 1) * w - doseGy)) / w;
}

/** Volume (%) receiving >= doseGy, relative to the part inside the dose grid. */
export function volumeAtDosePercent(dvh: Dvh, doseGy: number): number {
  return dvh.dosedVolumeCc > 0 ? (100 * volumeAtDoseCc(dvh, doseGy)) / dvh.dosedVolumeCc : NaN;
}

/** Volume (cc) receiving LESS than doseGy (critical-volume limits). Parts outside the dose grid are
 * not counted (their dose is unknown). */
export function volumeBelowDoseCc(dvh: Dvh, doseGy: number): number {
  return Math.max(0, dvh.dosedVolumeCc - volumeAtDoseCc(dvh, doseGy));
}

export interface NearMaxima {
  /** Maximum over the sampling points of voxels at least half inside (occupancy >= 0.5) (Gy). */
  readonly DmaxGy: number;
  readonly D0_03ccGy: number;
  readonly D0_035ccGy: number;
  readonly D2pctGy: number;
}

/** The volumes (cc) of nearMaxima's figures, in its order: 0.03 cc, 0.035 cc, 2 %. */
export const nearMaximaVolumesCc = (dvh: Dvh): number[] => [0.03, 0.035, percentOfDosedCc(dvh, 2)];

/**
 * Every near-maximum definition, each labelled (see the header). `doses`: dosesAtVolumesCc's answers
 * for nearMaximaVolumesCc, when the caller asked for them with others in one pass.
 */
export function nearMaxima(dvh: Dvh, doses: readonly number[] = dosesAtVolumesCc(dvh, nearMaximaVolumesCc(dvh))): NearMaxima {
  return {
    DmaxGy: dvh.maxGy,
    D0_03ccGy: doses[0]!,
    D0_035ccGy: doses[1]!,
    D2pctGy: doses[2]!,
  };
}

/** Generalised equivalent uniform dose (Gy) with volume-effect parameter a (a != 0). */
export function gEUD(dvh: Dvh, a: number): number {
  if (!Number.isFinite(a) || a === 0) throw new InputError(`gEUD: a must be finite and non-zero, found ${fmt(a)}`, ctx(dvh));
  const diff = dvh.differentialCc;
  const w = dvh.binWidthGy;
  const total = dvh.dosedVolumeCc;
  if (total <= 0) return NaN;
  let s = 0;
  for (let b = 0; b < diff.length; b++) {
    const v = diff[b]!;
    if (v > 0) s += (v / total) * Math.pow((b + 0.5) * w, a);
  }
  return Math.pow(s, 1 / a);
}

/** ICRU 83 homogeneity index (D2% - D98%) / D50%. */
export function homogeneityIndexIcru83(dvh: Dvh): number {
  return (doseAtVolumePercent(dvh, 2) - doseAtVolumePercent(dvh, 98)) / doseAtVolumePercent(dvh, 50);
}

/**
 * Volume (cc) of a dose grid at or above `levelGy`, optionally only where `within` (a mask or
 * occupancy on the SAME grid, e.g. the body) is set: voxel counting, occupancy-weighted.
 */
export function isodoseVolumeCc(dose: ScalarVolume, levelGy: number, within?: Mask | Occupancy): number {
  if (!Number.isFinite(levelGy)) throw new InputError(`isodose level must be finite (Gy), found ${fmt(levelGy)}`);
  const d = dose.data;
  if (within !== undefined && within.data.length !== d.length) {
    throw new InputError(`isodose volume: expected 'within' on the dose grid (${d.length} voxels), found ${within.data.length}`);
  }
  let n = 0;
  if (within === undefined) {
    for (let i = 0; i < d.length; i++) if (d[i]! >= levelGy) n++;
  } else {
    const m = within.data;
    for (let i = 0; i < d.length; i++) if (d[i]! >= levelGy) n += m[i]! > 1 ? 1 : m[i]!;
  }
  return n * voxelVolumeCc(dose.grid);
}

export interface ConformityInput {
  /** Target volume TV (cc). */
  readonly targetCc: number;
  /** Target volume receiving >= the prescription, TV_PIV (cc). */
  readonly targetCoveredCc: number;
  /** Prescription isodose volume V_RI (cc), whole patient. */
  readonly prescriptionIsodoseCc: number;
  /** Volume of the 50 % prescription isodose (cc), for the gradient index. */
  readonly halfPrescriptionIsodoseCc?: number;
}

export interface Conformity {
  /** RTOG CI = V_RI / TV. */
  readonly rtogCi: number;
  /** Paddick CI = TV_PIV² / (TV x V_RI). */
  readonly paddickCi: number;
  /** Paddick gradient index V_50% / V_RI, when the 50 % isodose volume is given. */
  readonly gradientIndex?: number;
}

export function conformity(input: ConformityInput): Conformity {
  const { targetCc, targetCoveredCc, prescriptionIsodoseCc } = input;
  for (const [k, v] of Object.entries(input)) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
      throw new InputError(`conformity: ${k} must be a finite volume >= 0 cc, found ${fmt(v as number)}`);
    }
  }
  const out: { rtogCi: number; paddickCi: number; gradientIndex?: number } = {
    rtogCi: prescriptionIsodoseCc / targetCc,
    paddickCi: (targetCoveredCc * targetCoveredCc) / (targetCc * prescriptionIsodoseCc),
  };
  if (input.halfPrescriptionIsodoseCc !== undefined) {
    out.gradientIndex = input.halfPrescriptionIsodoseCc / prescriptionIsodoseCc;
  }
  return out;
}

/**
 * A metric named as in clinical protocols, parsed once:
 * 'Dmean', 'Dmax', 'Dmin', 'D95%', 'D0.035cc', 'V20Gy' (cc), 'V20Gy%' (%), 'VL21Gy' / 'V<21Gy'
 * (cc receiving less than 21 Gy), 'gEUD(a=-10)'.
 */
export type MetricSpec =
  | { readonly kind: 'mean' | 'max' | 'min' }
  | { readonly kind: 'dose-at-volume'; readonly volume: number; readonly unit: 'cc' | '%' }
  | { readonly kind: 'volume-at-dose'; readonly doseGy: number; readonly unit: 'cc' | '%' }
  | { readonly kind: 'volume-below-dose'; readonly doseGy: number }
  | { readonly kind: 'geud'; readonly a: number };

const NUM = '(\\d+(?:\\.\\d+)?)';
const RE_DX = new RegExp(`^D${NUM}(cc|%)$`);
const RE_VX = new RegExp(`^V${NUM}Gy(%)?$`);
const RE_VBELOW = new RegExp(`^V(?:<|L)${NUM}Gy$`);
const RE_GEUD = /^gEUD\(a=(-?\d+(?:\.\d+)?)\)$/;

/** Parse a metric name (see MetricSpec); InputError naming the text otherwise. */
export function parseMetric(text: string): MetricSpec {
  const t = text.replace(/\s+/g, '');
  if (t === 'Dmean') return { kind: 'mean' };
  if (t === 'Dmax') return { kind: 'max' };
  if (t === 'Dmin') return { kind: 'min' };
  let m = RE_DX.exec(t);
  if (m) return { kind: 'dose-at-volume', volume: Number(m[1]), unit: m[2] === 'cc' ? 'cc' : '%' };
  m = RE_VX.exec(t);
  if (m) return { kind: 'volume-at-dose', doseGy: Number(m[1]), unit: m[2] === '%' ? '%' : 'cc' };
  m = RE_VBELOW.exec(t);
  if (m) return { kind: 'volume-below-dose', doseGy: Number(m[1]) };
  m = RE_GEUD.exec(t);
  if (m && Number(m[1]) !== 0) return { kind: 'geud', a: Number(m[1]) };
  throw new InputError(
    `unknown metric '${text}': expected Dmean, Dmax, Dmin, D<x>% , D<x>cc, V<x>Gy, V<x>Gy%, V<<x>Gy or gEUD(a=<a>)`,
  );
}

/** Value of a metric: Gy for doses, cc or % for volumes. */
export function evaluateMetric(dvh: Dvh, spec: MetricSpec): { readonly value: number; readonly unit: 'Gy' | 'cc' | '%' } {
  switch (spec.kind) {
    case 'mean':
      return { value: dvh.meanGy, unit: 'Gy' };
    case 'max':
      return { value: dvh.maxGy, unit: 'Gy' };
    case 'min':
      return { value: dvh.minGy, unit: 'Gy' };
    case 'dose-at-volume':
      return {
        value: spec.unit === 'cc' ? doseAtVolumeCc(dvh, spec.volume) : doseAtVolumePercent(dvh, spec.volume),
        unit: 'Gy',
      };
    case 'volume-at-dose':
      return spec.unit === 'cc'
        ? { value: volumeAtDoseCc(dvh, spec.doseGy), unit: 'cc' }
        : { value: volumeAtDosePercent(dvh, spec.doseGy), unit: '%' };
    case 'volume-below-dose':
      return { value: volumeBelowDoseCc(dvh, spec.doseGy), unit: 'cc' };
    case 'geud':
      return { value: gEUD(dvh, spec.a), unit: 'Gy' };
  }
}
