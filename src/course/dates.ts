/**
 * Calendar dates of a clinical course, as day numbers (days since 1970-01-01, UTC: no time zones,
 * no hours). A date is either a day ('YYYY-MM-DD') or, where the source gives no day, a month
 * ('YYYY-MM', precision 'month'): its nominal day is the 15th and its range the whole month, so that
 * an interval computed from it carries its uncertainty (earliest and latest possible day).
 *
 * Months for survival and intervals: days / 30.4375 (the mean Gregorian month, 365.25 / 12).
 */

export const DAYS_PER_MONTH = 30.4375;

export type DatePrecision = 'day' | 'month';

export interface CourseDate {
  /** As written: '2024-10-08', or '2024-09' for a month. */
  readonly text: string;
  readonly precision: DatePrecision;
  /** Nominal day number (the 15th of a month-precision date). */
  readonly day: number;
  /** First and last possible day numbers (equal to `day` for a day-precision date). */
  readonly earliest: number;
  readonly latest: number;
  /** The source's own words where they say more than the month ("end of September"). */
  readonly note?: string;
}

const MS_PER_DAY = 86_400_000;

/** Day number of a calendar day, or undefined when it is no real date (2025-02-30). */
export function dayNumber(year: number, month: number, day: number): number | undefined {
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31)) return undefined;
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return Math.round(ms / MS_PER_DAY);
}

/** 'YYYY-MM-DD' of a day number. */
export function isoDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** A day-precision date from 'YYYY-MM-DD'; undefined when malformed or not a real day. */
export function parseDay(text: string, note?: string): CourseDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/u.exec(text);
  if (m === null) return undefined;
  const day = dayNumber(Number(m[1]), Number(m[2]), Number(m[3]));
  if (day === undefined) return undefined;
  return { text, precision: 'day', day, earliest: day, latest: day, ...(note !== undefined ? { note } : {}) };
}

/** A month-precision date from 'YYYY-MM'; undefined when malformed. */
export function parseMonth(text: string, note?: string): CourseDate | undefined {
  const m = /^(\d{4})-(\d{2})$/u.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const first = dayNumber(year, month, 1);
  if (first === undefined) return undefined;
  const next = month === 12 ? dayNumber(year + 1, 1, 1)! : dayNumber(year, month + 1, 1)!;
  return { text, precision: 'month', day: first + 14, earliest: first, latest: next - 1, ...(note !== undefined ? { note } : {}) };
}

/** Interval from `a` to `b` in days: nominal, and the shortest and longest the precisions allow. */
export interface Interval {
  readonly days: number;
  readonly minDays: number;
  readonly maxDays: number;
  readonly exact: boolean;
}

export function interval(a: CourseDate, b: CourseDate): Interval {
  return {
    days: b.day - a.day,
    minDays: b.earliest - a.latest,
    maxDays: b.latest - a.earliest,
    exact: a.precision === 'day' && b.precision === 'day',
  };
}

/** Months from days (30.4375 days per month). */
export const months = (days: number): number => days / DAYS_PER_MONTH;

/** Whether `a` is certainly before `b` (every possible day of a precedes every possible day of b). */
export const certainlyBefore = (a: CourseDate, b: CourseDate): boolean => a.latest < b.earliest;

/** The date as written, with its precision when not a day: '2024-09 (month; end of September)'. */
export function describeDate(d: CourseDate): string {
  if (d.precision === 'day') return d.text;
  return `${d.text} (month${d.note !== undefined ? `; ${d.note}` : ''})`;
}
