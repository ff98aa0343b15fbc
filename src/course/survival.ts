/**
 * Progression-free and overall survival of one patient, from an explicit origin, with censoring.
 *
 * Origin: the first radiotherapy fraction by default (the first delivered fraction date of the
 * earliest radiotherapy treatment; its start date when no fraction dates are given), or the
 * diagnosis, a treatment's start, or a date.
 * OS: origin to death (event), else censored at the last follow-up.
 * PFS: origin to the earliest of: a progression after the origin (an imaging time point with RECIST 1.1
 * PD, or an event of kind 'progression'), or death; else censored at the last follow-up.
 * Last follow-up: survival.lastFollowUp, else the latest date in the course file.
 * Days are calendar-day differences; months = days / 30.4375 (365.25 / 12). With month-precision
 * dates the interval's shortest and longest possible values are given too.
 * Sources: the definitions are the usual ones (e.g. the FDA guidance "Clinical Trial Endpoints for
 * the Approval of Cancer Drugs and Biologics", 2018: PFS = time from randomisation to progression or
 * death; OS = time to death from any cause), with the origin made explicit for a single patient.
 */

import { DAYS_PER_MONTH, describeDate, interval, months, type CourseDate } from './dates.js';
import type { Course, OriginSpec } from './model.js';
import type { TimePointResponse } from './response.js';

export interface ResolvedOrigin {
  readonly rule: string;
  readonly description: string;
  readonly date: CourseDate;
}

export interface SurvivalEndpoint {
  readonly endpoint: 'PFS' | 'OS';
  readonly origin: ResolvedOrigin;
  /** true: the event happened; false: censored at `endDate`. */
  readonly event: boolean;
  readonly endDate: string;
  readonly endReason: string;
  readonly days: number;
  readonly months: number;
  /** Shortest and longest possible values when a date has month precision (else equal to days/months). */
  readonly daysRange: readonly [number, number];
  readonly monthsRange: readonly [number, number];
  readonly exact: boolean;
}

export const SURVIVAL_RULE = {
  os: 'OS: origin to death from any cause; censored at the last follow-up when alive',
  pfs: 'PFS: origin to the earliest progression after the origin (RECIST 1.1 PD at an imaging time point, or a progression event) or death; censored at the last follow-up',
  daysPerMonth: DAYS_PER_MONTH,
  months: `months = days / ${DAYS_PER_MONTH} (365.25 / 12)`,
  source: 'FDA guidance, Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics (2018): PFS and OS definitions; origin made explicit for one patient',
} as const;

/** The origin's date, or a reason it cannot be resolved. */
export function resolveOrigin(course: Course, spec: OriginSpec): ResolvedOrigin | string {
  switch (spec.rule) {
    case 'first-rt-fraction': {
      const rt = course.treatments.filter((t) => t.kind === 'radiotherapy');
      if (rt.length === 0) return 'no radiotherapy treatment in the course (give survival.origin)';
      const firsts = rt.map((t) => ({ t, d: t.fractions?.dates[0] ?? t.start }));
      firsts.sort((a, b) => a.d.day - b.d.day);
      const { t, d } = firsts[0]!;
      return { rule: 'first-rt-fraction', description: `first radiotherapy fraction (${t.at.label}, ${describeDate(d)})`, date: d };
    }
    case 'diagnosis':
      return { rule: 'diagnosis', description: `diagnosis (${describeDate(course.diagnosis.date)})`, date: course.diagnosis.date };
    case 'treatment': {
      const t = course.treatments.find((x) => x.id === spec.treatment)!;
      return { rule: 'treatment', description: `start of ${t.at.label} (${describeDate(t.start)})`, date: t.start };
    }
    case 'date':
      return { rule: 'date', description: `date ${describeDate(spec.date)}`, date: spec.date };
  }
}

/** Every date in the course (for the default last follow-up). */
export function allDates(course: Course): CourseDate[] {
  const out: CourseDate[] = [course.diagnosis.date];
  for (const s of course.staging) out.push(s.date);
  for (const t of course.treatments) {
    out.push(t.start);
    if (t.end !== undefined) out.push(t.end);
    out.push(...(t.fractions?.dates ?? []));
  }
  for (const l of course.labs) out.push(l.date);
  for (const m of course.imaging) out.push(m.date);
  for (const e of course.events) out.push(e.date);
  if (course.survival.lastFollowUp !== undefined) out.push(course.survival.lastFollowUp);
  return out;
}

export function lastFollowUp(course: Course): CourseDate {
  if (course.survival.lastFollowUp !== undefined) return course.survival.lastFollowUp;
  return allDates(course).reduce((a, b) => (b.day > a.day ? b : a));
}

function endpoint(which: 'PFS' | 'OS', origin: ResolvedOrigin, end: CourseDate, event: boolean, endReason: string): SurvivalEndpoint {
  const i = interval(origin.date, end);
  return {
    endpoint: which,
    origin,
    event,
    endDate: end.text,
    endReason,
    days: i.days,
    months: months(i.days),
    daysRange: [i.minDays, i.maxDays],
    monthsRange: [months(i.minDays), months(i.maxDays)],
    exact: i.exact,
  };
}

/**
 * PFS and OS from one origin. `recist`: the RECIST 1.1 time points (a PD among them after the origin
 * is a progression).
 */
export function survivalFrom(course: Course, origin: ResolvedOrigin, recist: readonly TimePointResponse[]): SurvivalEndpoint[] {
  const death = course.events.find((e) => e.kind === 'death');
  const followUp = lastFollowUp(course);
  const os = death !== undefined
    ? endpoint('OS', origin, death.date, true, `death (${death.at.label})`)
    : endpoint('OS', origin, followUp, false, 'censored: alive at the last follow-up');

  const candidates: { date: CourseDate; reason: string }[] = [];
  for (const tp of recist) {
    if (tp.category !== 'PD') continue;
    const study = course.imaging.find((m) => m.id === tp.imaging)!;
    candidates.push({ date: study.date, reason: `progression: RECIST 1.1 PD at imaging '${study.id}' (${tp.reason})` });
  }
  for (const e of course.events) if (e.kind === 'progression') candidates.push({ date: e.date, reason: `progression: ${e.at.label} (${e.text})` });
  if (death !== undefined) candidates.push({ date: death.date, reason: `death without earlier progression (${death.at.label})` });
  const after = candidates.filter((c) => c.date.day > origin.date.day).sort((a, b) => a.date.day - b.date.day);
  const first = after[0];
  const pfs = first !== undefined
    ? endpoint('PFS', origin, first.date, true, first.reason)
    : endpoint('PFS', origin, followUp, false, 'censored: no progression or death by the last follow-up');
  return [pfs, os];
}
