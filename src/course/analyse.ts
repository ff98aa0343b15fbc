/**
 * The computed course: response per time point (RECIST 1.1, mRECIST, WHO), PFS and OS from the origin
 * (and any alternative origins), tumour-marker kinetics, the source's reported figures set beside the
 * computed ones, and the consistency checks. Every computed block carries its rule and source.
 * Input: a validated Course (course-file.ts); output: a plain object, written as course.json.
 */

import { DISCLAIMER } from '../core/disclaimer.js';
import { FormatError } from '../core/errors.js';
import { certainlyBefore, DAYS_PER_MONTH, describeDate, interval, months, type CourseDate } from './dates.js';
import { checkCourse, finding, where, type CourseCheck } from './checks.js';
import { KINETICS_RULE, markerKinetics, type Kinetics } from './kinetics.js';
import type { Course, ImagingStudy, OriginSpec } from './model.js';
import { assessResponse, CRITERIA, type CriterionResponse } from './response.js';
import { resolveOrigin, survivalFrom, SURVIVAL_RULE, lastFollowUp, type ResolvedOrigin, type SurvivalEndpoint } from './survival.js';

export interface ReportedComparison {
  readonly kind: string;
  readonly text: string;
  readonly source?: string;
  readonly entry: string;
  readonly reported: string;
  readonly computed: string;
  readonly consistent: boolean;
  readonly message: string;
}

export interface CourseAnalysis {
  readonly disclaimer: string;
  readonly format: 'lattice-course/1';
  readonly file: string;
  readonly title?: string;
  readonly source?: string;
  readonly course: Course;
  readonly conventions: readonly string[];
  readonly response: {
    readonly baselineImaging: string | null;
    readonly baselineRule: string;
    readonly criteria: readonly CriterionResponse[];
  };
  readonly survival: {
    readonly rule: typeof SURVIVAL_RULE;
    readonly lastFollowUp: string;
    readonly origins: readonly { readonly origin: ResolvedOrigin; readonly primary: boolean; readonly endpoints: readonly SurvivalEndpoint[] }[];
  };
  readonly kinetics: { readonly rule: string; readonly source: string; readonly results: readonly Kinetics[] };
  readonly reported: readonly ReportedComparison[];
  readonly checks: readonly CourseCheck[];
}

const m1 = (v: number): string => v.toFixed(1);
const rangeText = (a: number, b: number): string => (Math.abs(a - b) < 1e-9 ? '' : ` (${m1(a)} to ${m1(b)})`);

/** Months tolerance when a reported figure is rounded to whole months. */
const MONTH_TOLERANCE = 0.5;

export function analyseCourse(course: Course): CourseAnalysis {
  const failAt = (path: string, line: number | undefined, message: string): never => {
    throw new FormatError(`course file: ${line !== undefined ? `line ${line}: ` : ''}field '${path}': ${message}`, { file: course.file });
  };
  // imaging in date order (a stable sort: same-day studies keep the file's order)
  const studies: ImagingStudy[] = [...course.imaging].sort((a, b) => a.date.day - b.date.day);
  const sorted: Course = { ...course, imaging: studies };

  const resolve = (spec: OriginSpec, path: string): ResolvedOrigin => {
    const r = resolveOrigin(sorted, spec);
    return typeof r === 'string' ? failAt(path, course.survival.at.line, r) : r;
  };
  const origin = resolve(course.survival.origin, 'survival.origin');
  const alternatives = course.survival.alternativeOrigins.map((o, i) => resolve(o, `survival.alternativeOrigins.${i}`));

  const baselineId = course.responseBaseline ?? [...studies].reverse().find((s) => s.date.day <= origin.date.day)?.id;
  const criteria = baselineId !== undefined ? assessResponse(studies, baselineId) : [];
  const recist = criteria.find((c) => c.criterion === 'RECIST 1.1')?.timePoints ?? [];

  const origins = [origin, ...alternatives].map((o, i) => ({ origin: o, primary: i === 0, endpoints: survivalFrom(sorted, o, recist) }));

  // kinetics: the requested pairs, else the first and last value of each marker and unit
  const results: Kinetics[] = [];
  if (course.kinetics.length > 0) {
    for (const k of course.kinetics) {
      const pick = (d: CourseDate, end: string) => {
        const found = course.labs.find((l) => l.marker === k.marker && l.date.text === d.text);
        return found ?? failAt(`${k.at.path}.${end}`, k.at.line, `no ${k.marker} value dated ${d.text} among the laboratory values`);
      };
      const a = pick(k.from, 'from');
      const b = pick(k.to, 'to');
      if (a.unit !== b.unit) continue; // reported by the unit check below
      results.push(markerKinetics(k.marker, a.unit, a.date, a.measured, b.date, b.measured));
    }
  } else {
    const series = new Map<string, typeof course.labs>();
    for (const l of course.labs) {
      const key = `${l.marker}\u0000${l.unit}`;
      series.set(key, [...(series.get(key) ?? []), l]);
    }
    for (const list of series.values()) {
      if (list.length < 2) continue;
      const s = [...list].sort((a, b) => a.date.day - b.date.day);
      const a = s[0]!;
      const b = s[s.length - 1]!;
      results.push(markerKinetics(a.marker, a.unit, a.date, a.measured, b.date, b.measured));
    }
  }

  const checks = checkCourse(sorted, baselineId, origin.date);
  const followUp = lastFollowUp(sorted);
  if (certainlyBefore(followUp, origin.date)) {
    checks.push(finding('dates-out-of-order', course.survival.at, `the last follow-up (${describeDate(followUp)}) is before the survival origin, the ${origin.description}`));
  }
  for (const k of course.kinetics) {
    const a = course.labs.find((l) => l.marker === k.marker && l.date.text === k.from.text);
    const b = course.labs.find((l) => l.marker === k.marker && l.date.text === k.to.text);
    if (a !== undefined && b !== undefined && a.unit !== b.unit) {
      checks.push(finding('unit-mismatch', k.at, `${k.marker} in '${a.unit}' at ${k.from.text} and '${b.unit}' at ${k.to.text}: no kinetics across units`));
    }
  }

  // reported figures against the computed ones
  const reported: ReportedComparison[] = [];
  const entryDate = (id: string): { date: CourseDate; label: string } => {
    const t = sorted.treatments.find((x) => x.id === id);
    if (t !== undefined) {
      const d = t.fractions?.dates[0] ?? t.start;
      return { date: d, label: `${t.at.label} (${t.kind === 'radiotherapy' && t.fractions?.dates[0] !== undefined ? 'first fraction' : 'start'} ${describeDate(d)})` };
    }
    const other = [...sorted.imaging, ...sorted.labs, ...sorted.events].find((x) => x.id === id)!;
    return { date: other.date, label: `${other.at.label} (${describeDate(other.date)})` };
  };
  const matchedOrigins = new Map<string, string[]>();
  for (const f of course.reported) {
    const base = { kind: f.kind, text: f.text, ...(f.source !== undefined ? { source: f.source } : {}), entry: where(f.at) };
    if (f.kind === 'interval') {
      const a = entryDate(f.from);
      const b = entryDate(f.to);
      const i = interval(a.date, b.date);
      const lo = months(i.minDays);
      const hi = months(i.maxDays);
      const ok = f.months >= lo - MONTH_TOLERANCE && f.months <= hi + MONTH_TOLERANCE;
      const computed = `${m1(months(i.days))} months (${i.days} days)${rangeText(lo, hi)}`;
      const message = `"${f.text}": reported ${f.months} month${f.months === 1 ? '' : 's'} from ${a.label} to ${b.label}; computed ${computed}${ok ? '' : ': inconsistent'}`;
      reported.push({ ...base, reported: `${f.months} month${f.months === 1 ? '' : 's'}`, computed, consistent: ok, message });
      if (!ok) checks.push(finding('reported-mismatch', f.at, message));
    } else if (f.kind === 'pfs' || f.kind === 'os') {
      const which = f.kind === 'pfs' ? 'PFS' : 'OS';
      const candidates = f.origin === 'as-computed' ? origins.filter((o) => o.primary) : origins;
      const parts: string[] = [];
      const matches: string[] = [];
      for (const o of candidates) {
        const e = o.endpoints.find((x) => x.endpoint === which)!;
        const ok = f.months >= e.monthsRange[0] - MONTH_TOLERANCE && f.months <= e.monthsRange[1] + MONTH_TOLERANCE;
        if (ok) matches.push(o.origin.rule);
        parts.push(`${m1(e.months)} months${rangeText(e.monthsRange[0], e.monthsRange[1])} from the ${o.origin.description}${ok ? ' (matches)' : ''}`);
      }
      matchedOrigins.set(which, matches);
      const ok = matches.length > 0;
      const computed = parts.join('; ');
      const message = `"${f.text}": reported ${which} ${f.months} months${f.origin === 'unstated' ? ' (origin not stated)' : ''}; computed ${computed}${ok ? '' : ': matches no origin'}`;
      reported.push({ ...base, reported: `${f.months} months`, computed, consistent: ok, message });
      if (!ok) checks.push(finding('reported-mismatch', f.at, message));
      else if (f.origin === 'unstated') {
        checks.push(finding('reported-origin-unstated', f.at, `the source gives ${which} ${f.months} months without its origin; it matches the origin${matches.length > 1 ? 's' : ''}: ${matches.join(', ')}`));
      }
    } else if (f.kind === 'change') {
      const a = studies.find((s) => s.id === f.from)!;
      const b = studies.find((s) => s.id === f.to)!;
      const parts: string[] = [];
      const matches: string[] = [];
      for (const rule of CRITERIA) {
        const value = (s: ImagingStudy, lesion: string): number | undefined => {
          const l = s.lesions.find((x) => x.lesion === lesion);
          if (l === undefined) return undefined;
          if (rule.criterion === 'RECIST 1.1') return l.longestMm;
          if (rule.criterion === 'mRECIST') return l.enhancingMm;
          return l.perpendicularMm !== undefined ? l.longestMm * l.perpendicularMm : undefined;
        };
        let s0 = 0;
        let s1 = 0;
        let complete = a.lesions.length > 0;
        for (const l of a.lesions) {
          const v0 = value(a, l.lesion);
          const v1 = value(b, l.lesion);
          if (v0 === undefined || v1 === undefined) complete = false;
          else {
            s0 += v0;
            s1 += v1;
          }
        }
        if (!complete || s0 <= 0) continue;
        const pct = (100 * (s1 - s0)) / s0;
        const ok = Math.abs(pct - f.percent) <= f.tolerancePercent;
        if (ok) matches.push(`${rule.criterion} (${rule.measure})`);
        parts.push(`${rule.criterion} ${rule.measure}: ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %${ok ? ' (matches)' : ''}`);
      }
      const ok = matches.length > 0;
      const computed = parts.join('; ');
      const message = `"${f.text}": reported ${f.percent} % from imaging '${a.id}' to '${b.id}'; computed ${computed}${ok ? '' : `: none within ${f.tolerancePercent} percentage points`}`;
      reported.push({ ...base, reported: `${f.percent} %`, computed, consistent: ok, message });
      if (!ok) checks.push(finding('reported-mismatch', f.at, message));
    }
  }
  const pfsOrigins = matchedOrigins.get('PFS');
  const osOrigins = matchedOrigins.get('OS');
  if (pfsOrigins !== undefined && osOrigins !== undefined && pfsOrigins.length > 0 && osOrigins.length > 0 && !pfsOrigins.some((o) => osOrigins.includes(o))) {
    const f = course.reported.find((r) => r.kind === 'os')!;
    checks.push(finding('reported-mismatch', f.at, `the reported PFS matches the origin ${pfsOrigins.join(', ')} and the reported OS the origin ${osOrigins.join(', ')}: the source's survival figures use different origins`));
  }

  return {
    disclaimer: DISCLAIMER,
    format: 'lattice-course/1',
    file: course.file,
    ...(course.title !== undefined ? { title: course.title } : {}),
    ...(course.source !== undefined ? { source: course.source } : {}),
    course: sorted,
    conventions: [
      'Dates are calendar days (UTC, no times); a month-precision date counts as the 15th, its interval ranges over the whole month.',
      `Months = days / ${DAYS_PER_MONTH} (365.25 / 12).`,
      'Diameters in mm, WHO products in mm2; laboratory values in the units given, censored values kept as bounds.',
      'Response categories are per time point, from target lesions only, without confirmation.',
      `Survival origin: ${origin.description}.`,
    ],
    response: {
      baselineImaging: baselineId ?? null,
      baselineRule: course.responseBaseline !== undefined ? 'response.baseline in the course file' : 'the last imaging at or before the survival origin',
      criteria,
    },
    survival: { rule: SURVIVAL_RULE, lastFollowUp: lastFollowUp(sorted).text, origins },
    kinetics: { rule: KINETICS_RULE.rule, source: KINETICS_RULE.source, results },
    reported,
    checks,
  };
}
