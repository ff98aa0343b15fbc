/**
 * Tumour response per imaging time point, from the raw lesion measurements (mm), by three criteria:
 *
 * - RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228-247): sum of the longest diameters of the
 *   target lesions. CR: all target lesions gone (sum 0). PR: sum <= -30 % from the baseline sum. PD: sum
 *   >= +20 % from the nadir AND >= 5 mm larger than the nadir in absolute terms, or new lesions. SD
 *   otherwise.
 * - mRECIST for HCC (Lencioni & Llovet 2010, Semin Liver Dis 30:52-60): the same thresholds on the sum of
 *   the diameters of the enhancing (viable, arterial-phase) part of the target lesions: CR when no
 *   target lesion enhances, PR <= -30 % from baseline, PD >= +20 % from the nadir (the 2010 paper has no
 *   5 mm absolute rule) or new lesions.
 * - WHO (Miller et al. 1981, Cancer 47:207-214): sum of the products of the bidimensional diameters
 *   (longest x perpendicular, mm2). CR: all gone. PR: <= -50 % from baseline. PD: >= +25 % from the
 *   nadir, or new lesions.
 *
 * Inputs: imaging studies in date order and the baseline study's id. Target lesions are those measured
 * at baseline (for mRECIST, those with an enhancing diameter at baseline). The nadir is the smallest
 * sum at the baseline or any earlier evaluated time point after it (not the current one). A time point
 * missing a target lesion's measurement is NE (not evaluable) unless new lesions make it PD. Lesions
 * measured at a follow-up but not at baseline do not enter the sums (checks.ts names them).
 * Categories are per time point, unconfirmed (the criteria's confirmation rules are not applied), and
 * from target lesions only (non-target lesions are not recorded in a course file).
 */

import type { ImagingStudy, LesionMeasurement } from './model.js';

export type Criterion = 'RECIST 1.1' | 'mRECIST' | 'WHO';
export type Category = 'CR' | 'PR' | 'SD' | 'PD' | 'NE';

export interface CriterionRule {
  readonly criterion: Criterion;
  readonly measure: string;
  readonly unit: 'mm' | 'mm2';
  readonly prFromBaseline: number;
  readonly pdFromNadir: number;
  readonly pdAbsoluteMm: number;
  readonly rule: string;
  readonly source: string;
}

export const CRITERIA: readonly CriterionRule[] = [
  {
    criterion: 'RECIST 1.1',
    measure: 'sum of longest diameters',
    unit: 'mm',
    prFromBaseline: -0.3,
    pdFromNadir: 0.2,
    pdAbsoluteMm: 5,
    rule: 'CR: all target lesions gone; PR: sum <= -30 % from baseline; PD: sum >= +20 % and >= 5 mm from the nadir, or new lesions; SD otherwise',
    source: 'Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised RECIST guideline (version 1.1). Eur J Cancer 2009;45:228-247',
  },
  {
    criterion: 'mRECIST',
    measure: 'sum of enhancing (viable) diameters',
    unit: 'mm',
    prFromBaseline: -0.3,
    pdFromNadir: 0.2,
    pdAbsoluteMm: 0,
    rule: 'CR: no enhancing target lesion; PR: sum of viable diameters <= -30 % from baseline; PD: >= +20 % from the nadir, or new lesions; SD otherwise',
    source: 'Lencioni R, Llovet JM. Modified RECIST (mRECIST) assessment for hepatocellular carcinoma. Semin Liver Dis 2010;30:52-60',
  },
  {
    criterion: 'WHO',
    measure: 'sum of products of bidimensional diameters',
    unit: 'mm2',
    prFromBaseline: -0.5,
    pdFromNadir: 0.25,
    pdAbsoluteMm: 0,
    rule: 'CR: all lesions gone; PR: sum of products <= -50 % from baseline; PD: >= +25 % from the nadir, or new lesions; SD otherwise',
    source: 'Miller AB et al. Reporting results of cancer treatment. Cancer 1981;47:207-214',
  },
];

/** Relative tolerance of the threshold comparisons (a change of exactly -30 % is PR). */
const EPS = 1e-9;

export interface TimePointResponse {
  readonly imaging: string;
  readonly date: string;
  readonly criterion: Criterion;
  /** Sum at this time point (mm, or mm2 for WHO); null when not evaluable. */
  readonly sum: number | null;
  readonly baseline: number | null;
  /** Reference for progression: the smallest sum before this time point (baseline included). */
  readonly nadir: number | null;
  readonly changeFromBaselinePct: number | null;
  readonly changeFromNadirPct: number | null;
  readonly category: Category;
  readonly reason: string;
}

export interface CriterionResponse {
  readonly criterion: Criterion;
  readonly rule: string;
  readonly source: string;
  readonly unit: 'mm' | 'mm2';
  readonly baselineImaging: string;
  readonly targetLesions: readonly string[];
  /** Why the criterion could not be applied at all (no enhancing diameters at baseline, ...). */
  readonly notEvaluable?: string;
  readonly timePoints: readonly TimePointResponse[];
}

/** The lesion's value under a criterion (undefined when that measurement is missing). */
function measure(criterion: Criterion, l: LesionMeasurement): number | undefined {
  if (criterion === 'RECIST 1.1') return l.longestMm;
  if (criterion === 'mRECIST') return l.enhancingMm;
  return l.perpendicularMm !== undefined ? l.longestMm * l.perpendicularMm : l.longestMm === 0 ? 0 : undefined;
}

/** The category from a sum and its references (all in the criterion's unit), and the reason. */
export function categorise(
  rule: CriterionRule,
  sum: number,
  baseline: number,
  nadir: number,
  newLesions: boolean,
): { category: Category; reason: string } {
  const fromBaseline = baseline > 0 ? (sum - baseline) / baseline : sum > 0 ? Infinity : 0;
  const fromNadir = nadir > 0 ? (sum - nadir) / nadir : sum > 0 ? Infinity : 0;
  const pct = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)} %`;
  if (newLesions) return { category: 'PD', reason: 'new lesions' };
  const growth = fromNadir >= rule.pdFromNadir - EPS && sum - nadir >= rule.pdAbsoluteMm - EPS;
  if (growth && sum > 0) {
    const abs = rule.pdAbsoluteMm > 0 ? ` and ${(sum - nadir).toFixed(1)} mm >= ${rule.pdAbsoluteMm} mm` : '';
    return { category: 'PD', reason: `${pct(fromNadir)} from the nadir >= +${100 * rule.pdFromNadir} %${abs}` };
  }
  if (sum === 0) return { category: 'CR', reason: rule.criterion === 'mRECIST' ? 'no target lesion enhances' : 'all target lesions gone' };
  if (fromBaseline <= rule.prFromBaseline + EPS) return { category: 'PR', reason: `${pct(fromBaseline)} from baseline <= ${100 * rule.prFromBaseline} %` };
  const why = fromNadir >= rule.pdFromNadir - EPS ? ` (+${(sum - nadir).toFixed(1)} mm from the nadir, under the ${rule.pdAbsoluteMm} mm rule)` : '';
  return { category: 'SD', reason: `${pct(fromBaseline)} from baseline, ${pct(fromNadir)} from the nadir${why}` };
}

/** Response by one criterion for the studies after the baseline (studies in date order). */
export function criterionResponse(rule: CriterionRule, studies: readonly ImagingStudy[], baselineId: string): CriterionResponse {
  const b = studies.findIndex((s) => s.id === baselineId);
  if (b < 0) throw new Error(`criterionResponse: no imaging '${baselineId}'`);
  const base = studies[b]!;
  const targets = base.lesions.filter((l) => measure(rule.criterion, l) !== undefined).map((l) => l.lesion);
  const head = { criterion: rule.criterion, rule: rule.rule, source: rule.source, unit: rule.unit, baselineImaging: baselineId, targetLesions: targets };
  const after = studies.slice(b + 1);
  const missing =
    targets.length === 0
      ? rule.criterion === 'mRECIST'
        ? 'no enhancing (viable) diameter recorded at baseline'
        : rule.criterion === 'WHO'
          ? 'no perpendicular diameter recorded at baseline'
          : 'no target lesion measured at baseline'
      : undefined;
  if (missing !== undefined) {
    return {
      ...head,
      notEvaluable: missing,
      timePoints: after.map((s) => ({
        imaging: s.id, date: s.date.text, criterion: rule.criterion, sum: null, baseline: null, nadir: null, changeFromBaselinePct: null, changeFromNadirPct: null,
        category: s.newLesions ? 'PD' : 'NE',
        reason: s.newLesions ? `new lesions (sums not evaluable: ${missing})` : missing,
      })),
    };
  }
  const sumOf = (s: ImagingStudy): { sum: number | null; lacking: string[] } => {
    let sum = 0;
    const lacking: string[] = [];
    for (const t of targets) {
      const l = s.lesions.find((x) => x.lesion === t);
      const v = l !== undefined ? measure(rule.criterion, l) : undefined;
      if (v === undefined) lacking.push(t);
      else sum += v;
    }
    return { sum: lacking.length > 0 ? null : sum, lacking };
  };
  const baseline = sumOf(base).sum!;
  let nadir = baseline;
  const timePoints: TimePointResponse[] = [];
  for (const s of after) {
    const { sum, lacking } = sumOf(s);
    if (sum === null) {
      timePoints.push({
        imaging: s.id, date: s.date.text, criterion: rule.criterion, sum: null, baseline, nadir, changeFromBaselinePct: null, changeFromNadirPct: null,
        category: s.newLesions ? 'PD' : 'NE',
        reason: `${s.newLesions ? 'new lesions; ' : ''}target lesion${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')} not measured`,
      });
      continue;
    }
    const { category, reason } = categorise(rule, sum, baseline, nadir, s.newLesions);
    timePoints.push({
      imaging: s.id,
      date: s.date.text,
      criterion: rule.criterion,
      sum,
      baseline,
      nadir,
      changeFromBaselinePct: baseline > 0 ? (100 * (sum - baseline)) / baseline : null,
      changeFromNadirPct: nadir > 0 ? (100 * (sum - nadir)) / nadir : null,
      category,
      reason,
    });
    nadir = Math.min(nadir, sum);
  }
  return { ...head, timePoints };
}

/** Response by RECIST 1.1, mRECIST and WHO. */
export function assessResponse(studies: readonly ImagingStudy[], baselineId: string): CriterionResponse[] {
  return CRITERIA.map((rule) => criterionResponse(rule, studies, baselineId));
}
