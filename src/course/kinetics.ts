/**
 * Tumour-marker kinetics between two values of one marker: fold change c1 / c0 and, assuming a
 * log-linear (first-order) change between the two dates, the half-life of a fall
 *   t1/2 = dt ln2 / ln(c0 / c1)
 * or the doubling time of a rise, dt ln2 / ln(c1 / c0) (dt in days).
 * A censored value ('> 300000': above the assay range) makes the result a bound, said so: with c0 > v0,
 * the fold change c1/c0 is an upper bound and a half-life an upper bound (the fall was at least as
 * fast); when the bounds leave the direction of change open, the half-life is not determinable.
 * Source: first-order kinetics, c(t) = c0 exp(-k t), t1/2 = ln2 / k, fitted through the two values
 * (the usual definition of a serum marker's half-life; no clinical threshold is applied).
 */

import { interval, type CourseDate } from './dates.js';
import type { MeasuredValue } from './model.js';

/** '>' : the true value is larger than given; '<' : smaller; 'exact'; 'undetermined': no bound. */
export type Bound = 'exact' | '>' | '<' | 'undetermined';

export interface Kinetics {
  readonly marker: string;
  readonly unit: string;
  readonly from: string;
  readonly to: string;
  readonly days: number;
  readonly exactDates: boolean;
  readonly c0: MeasuredValue;
  readonly c1: MeasuredValue;
  /** c1 / c0 (computed from the stated values) and whether it is exact or a bound. */
  readonly foldChange: number;
  readonly foldChangeBound: Bound;
  /** Of a fall (null when the marker rose, or when not determinable). */
  readonly halfLifeDays: number | null;
  /** Of a rise (null when the marker fell, or when not determinable). */
  readonly doublingTimeDays: number | null;
  /** Bound on the half-life or doubling time given: '<' an upper bound, '>' a lower bound. */
  readonly timeBound: Bound;
  readonly text: string;
}

export const KINETICS_RULE = {
  rule: 'fold change = c1 / c0; log-linear: half-life t1/2 = dt ln2 / ln(c0/c1) for a fall, doubling time dt ln2 / ln(c1/c0) for a rise; a censored value makes the result a bound',
  source: 'first-order kinetics c(t) = c0 exp(-k t) through the two values, t1/2 = ln2 / k (no clinical threshold applied)',
} as const;

/** Direction in which the true ratio c1/c0 may differ from the stated one. */
function ratioBound(c0: MeasuredValue, c1: MeasuredValue): Bound {
  const dirs = new Set<'>' | '<'>();
  if (c1.censor !== undefined) dirs.add(c1.censor);
  if (c0.censor !== undefined) dirs.add(c0.censor === '>' ? '<' : '>');
  if (dirs.size === 0) return 'exact';
  if (dirs.size === 2) return 'undetermined';
  return [...dirs][0]!;
}

const fmtDays = (d: number): string => `${d.toFixed(1)} days`;
const fmtValue = (v: MeasuredValue): string => `${v.censor !== undefined ? `${v.censor} ` : ''}${v.value}`;

export function markerKinetics(marker: string, unit: string, d0: CourseDate, c0: MeasuredValue, d1: CourseDate, c1: MeasuredValue): Kinetics {
  const span = interval(d0, d1);
  const dt = span.days;
  const r = c0.value > 0 ? c1.value / c0.value : NaN;
  const bound = ratioBound(c0, c1);
  let halfLife: number | null = null;
  let doubling: number | null = null;
  let timeBound: Bound = 'exact';
  let what: string;
  if (!(dt > 0) || !Number.isFinite(r) || r <= 0) {
    timeBound = 'undetermined';
    what = !(dt > 0) ? 'no time between the values' : 'a zero value: no log-linear rate';
  } else if (bound === 'exact') {
    if (r < 1) halfLife = (dt * Math.LN2) / Math.log(1 / r);
    else if (r > 1) doubling = (dt * Math.LN2) / Math.log(r);
    what = halfLife !== null ? `half-life ${fmtDays(halfLife)}` : doubling !== null ? `doubling time ${fmtDays(doubling)}` : 'no change';
  } else if (bound === '<' && r < 1) {
    // the true ratio is smaller: a faster fall, a shorter half-life
    halfLife = (dt * Math.LN2) / Math.log(1 / r);
    timeBound = '<';
    what = `half-life < ${fmtDays(halfLife)} (an upper bound: a censored value)`;
  } else if (bound === '>' && r > 1) {
    doubling = (dt * Math.LN2) / Math.log(r);
    timeBound = '<';
    what = `doubling time < ${fmtDays(doubling)} (an upper bound: a censored value)`;
  } else {
    timeBound = 'undetermined';
    what = 'half-life not determinable: a censored value leaves the direction of change open';
  }
  const fold = bound === 'exact' ? `fold change ${r.toPrecision(3)}` : bound === 'undetermined' ? 'fold change not determinable (censored at both ends)' : `fold change ${bound} ${r.toPrecision(3)} (a bound: a censored value)`;
  return {
    marker,
    unit,
    from: d0.text,
    to: d1.text,
    days: dt,
    exactDates: span.exact,
    c0,
    c1,
    foldChange: r,
    foldChangeBound: bound,
    halfLifeDays: halfLife,
    doublingTimeDays: doubling,
    timeBound,
    text: `${marker} ${fmtValue(c0)} -> ${fmtValue(c1)} ${unit} over ${dt} days${span.exact ? '' : ` (${span.minDays} to ${span.maxDays}: month-precision dates)`}: ${fold}; ${what}`,
  };
}
