/**
 * Consistency checks of a course. Each finding names the entry (label, field path, line) and says what
 * was found; none stops the analysis (a source's printed inconsistencies are kept and flagged, not
 * repaired). With month-precision dates, two dates are out of order only when every possible day of
 * the one is after every possible day of the other.
 *
 *   dates-out-of-order       end before start; fraction dates out of order or outside the treatment's
 *                            dates; a treatment starting before the diagnosis; an entry after the death;
 *                            a kinetics interval that ends before it starts
 *   starts-before-followed   a treatment said to follow another (follows: [id]) starting before that
 *                            one has ended
 *   fractions-exceed-planned fractions delivered > planned
 *   fraction-dates-count     a number of fraction dates different from the fractions delivered
 *   unit-mismatch            a unit that does not belong to the marker (AFP: ng/mL or IU/mL; PIVKA-II:
 *                            mAU/mL), or a kinetics pair whose units differ
 *   lesion-without-baseline  a lesion measured at a follow-up but not at the response baseline
 *   no-response-baseline     imaging after the origin with none at or before it to compare with
 *   flagged-in-source        a problem the file's author flagged in the source (flags: [...])
 */

import { certainlyBefore, describeDate, type CourseDate } from './dates.js';
import type { Course, Located, Treatment } from './model.js';

export type CheckKind =
  | 'dates-out-of-order'
  | 'starts-before-followed'
  | 'fractions-exceed-planned'
  | 'fraction-dates-count'
  | 'unit-mismatch'
  | 'lesion-without-baseline'
  | 'no-response-baseline'
  | 'reported-mismatch'
  | 'reported-origin-unstated'
  | 'flagged-in-source';

export interface CourseCheck {
  readonly check: CheckKind;
  readonly entry: string;
  readonly path: string;
  readonly line?: number;
  readonly message: string;
}

/** The units accepted for each known marker (compared without case or blanks). */
export const MARKER_UNITS: Readonly<Record<string, readonly string[]>> = {
  AFP: ['ng/mL', 'IU/mL'],
  'PIVKA-II': ['mAU/mL'],
};

const unitKey = (u: string): string => u.replace(/\s+/gu, '').toLowerCase();

export const where = (at: Located): string => `${at.label} (${at.path}${at.line !== undefined ? `, line ${at.line}` : ''})`;

export function finding(check: CheckKind, at: Located, message: string): CourseCheck {
  return { check, entry: at.label, path: at.path, ...(at.line !== undefined ? { line: at.line } : {}), message: `${where(at)}: ${message}` };
}

/** The last day a treatment is known to be given: its end, else its last fraction, else its start. */
export function treatmentEnd(t: Treatment): CourseDate {
  const last = t.fractions?.dates[t.fractions.dates.length - 1];
  return t.end ?? last ?? t.start;
}

const span = (t: Treatment): string => {
  const end = treatmentEnd(t);
  return end === t.start ? describeDate(t.start) : `${describeDate(t.start)} to ${describeDate(end)}`;
};

/** Data checks (those that need no computed result). `baselineId`: the response baseline, if any. */
export function checkCourse(course: Course, baselineId: string | undefined, originDate: CourseDate | undefined): CourseCheck[] {
  const out: CourseCheck[] = [];
  const death = course.events.find((e) => e.kind === 'death');

  for (const t of course.treatments) {
    if (t.end !== undefined && certainlyBefore(t.end, t.start)) {
      out.push(finding('dates-out-of-order', t.at, `ends ${describeDate(t.end)}, before it starts (${describeDate(t.start)})`));
    }
    if (certainlyBefore(t.start, course.diagnosis.date)) {
      out.push(finding('dates-out-of-order', t.at, `starts ${describeDate(t.start)}, before the diagnosis (${describeDate(course.diagnosis.date)})`));
    }
    const f = t.fractions;
    if (f !== undefined) {
      if (f.delivered > f.planned) out.push(finding('fractions-exceed-planned', t.at, `${f.delivered} fractions delivered, more than the ${f.planned} planned`));
      if (f.dates.length > 0 && f.dates.length !== f.delivered) {
        out.push(finding('fraction-dates-count', t.at, `${f.dates.length} fraction date${f.dates.length === 1 ? '' : 's'} for ${f.delivered} fraction${f.delivered === 1 ? '' : 's'} delivered`));
      }
      f.dates.forEach((d, i) => {
        if (i > 0 && certainlyBefore(d, f.dates[i - 1]!)) {
          out.push(finding('dates-out-of-order', t.at, `fraction ${i + 1} (${describeDate(d)}) is dated before fraction ${i} (${describeDate(f.dates[i - 1]!)})`));
        }
        if (certainlyBefore(d, t.start) || (t.end !== undefined && certainlyBefore(t.end, d))) {
          out.push(finding('dates-out-of-order', t.at, `fraction ${i + 1} (${describeDate(d)}) is outside the treatment's dates (${span(t)})`));
        }
      });
    }
    for (const id of t.follows) {
      const before = course.treatments.find((x) => x.id === id)!;
      const end = treatmentEnd(before);
      if (certainlyBefore(t.start, end)) {
        const when = certainlyBefore(t.start, before.start) ? 'before' : 'before the end of';
        out.push(finding('starts-before-followed', t.at, `is said to follow ${before.at.label} but starts ${describeDate(t.start)}, ${when} it (${span(before)})`));
      }
    }
  }

  if (death !== undefined) {
    const after = (d: CourseDate): boolean => certainlyBefore(death.date, d);
    const late: { at: Located; date: CourseDate }[] = [];
    for (const t of course.treatments) for (const d of [t.start, ...(t.end !== undefined ? [t.end] : [])]) if (after(d)) late.push({ at: t.at, date: d });
    for (const l of course.labs) if (after(l.date)) late.push({ at: l.at, date: l.date });
    for (const m of course.imaging) if (after(m.date)) late.push({ at: m.at, date: m.date });
    for (const e of course.events) if (after(e.date)) late.push({ at: e.at, date: e.date });
    for (const s of course.staging) if (after(s.date)) late.push({ at: s.at, date: s.date });
    for (const l of late) out.push(finding('dates-out-of-order', l.at, `dated ${describeDate(l.date)}, after the death (${describeDate(death.date)})`));
  }

  for (const l of course.labs) {
    const units = MARKER_UNITS[l.marker];
    if (units !== undefined && !units.some((u) => unitKey(u) === unitKey(l.unit))) {
      out.push(finding('unit-mismatch', l.at, `${l.marker} in '${l.unit}'; expected ${units.join(' or ')}`));
    }
  }
  for (const k of course.kinetics) {
    if (certainlyBefore(k.to, k.from)) out.push(finding('dates-out-of-order', k.at, `ends ${describeDate(k.to)}, before it starts (${describeDate(k.from)})`));
  }

  const studies = course.imaging;
  if (baselineId !== undefined) {
    const b = studies.findIndex((s) => s.id === baselineId);
    const known = new Set(studies[b]!.lesions.map((l) => l.lesion));
    for (const s of studies.slice(b + 1)) {
      for (const l of s.lesions) {
        if (!known.has(l.lesion)) out.push(finding('lesion-without-baseline', l.at, `lesion '${l.lesion}' has no measurement at the response baseline (imaging '${baselineId}'); it is left out of the sums`));
      }
    }
  } else if (originDate !== undefined && studies.some((s) => s.date.day > originDate.day)) {
    const first = studies.find((s) => s.date.day > originDate.day)!;
    out.push(finding('no-response-baseline', first.at, `no imaging at or before the origin (${describeDate(originDate)}) to serve as the response baseline; give response.baseline`));
  }

  for (const f of course.flags) out.push(finding('flagged-in-source', f.at, f.text));
  return out;
}
