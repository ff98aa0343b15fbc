/**
 * Text encodings of DICOM numeric, date and time values, done here rather than by dcmjs (dcmjs cuts
 * a DS given as a JS number to 16 characters, losing an exponent: 1.6e-8 would become "1.6").
 *
 * - formatDS: Decimal String (PS3.5 6.2), at most 16 characters, the most significant digits that
 *   fit, fixed or exponent notation (ANSI X3.9 "1.6e-8"), shortest exact form when it fits.
 * - formatIS: Integer String, -2^31 .. 2^31-1.
 * - formatDA / formatTM: a JS Date as UTC "YYYYMMDD" / "HHMMSS" (writers add TimezoneOffsetFromUTC).
 *
 * Reference: DICOM PS3.5 section 6.2 (value representations).
 */

import { DicomError, fmt } from '../../../core/errors.js';

/** Longest DS value (PS3.5 table 6.2-1). */
export const DS_MAX_LENGTH = 16;

/** Drop trailing zeros of a mantissa's fraction ("1.2300" -> "1.23", "2.000" -> "2"). */
function trimFraction(mantissa: string): string {
  if (!mantissa.includes('.')) return mantissa;
  return mantissa.replace(/0+$/, '').replace(/\.$/, '');
}

/** Normalise JS exponent text: trim the mantissa, drop "+" from the exponent ("1.50e+21" -> "1.5e21"). */
function tidy(text: string): string {
  const e = text.indexOf('e');
  if (e < 0) return trimFraction(text);
  const exponent = text.slice(e + 1).replace(/^\+/, '');
  return `${trimFraction(text.slice(0, e))}e${exponent}`;
}

/** Exponent form with `digits` significant digits, cut rather than rounded. */
function truncatedExponential(value: number, digits: number): string {
  const text = value.toExponential(20);
  const e = text.indexOf('e');
  const signLength = value < 0 ? 1 : 0;
  const mantissa = text.slice(0, signLength + (digits > 1 ? digits + 1 : 1));
  return tidy(`${mantissa}${text.slice(e)}`);
}

/**
 * A finite number as a DS value of at most 16 characters, keeping as many significant digits as
 * fit (15 or more for most values, 10 or more for any finite double). Throws DicomError for
 * NaN or infinities, which DS cannot hold. `what` names the attribute for the message.
 */
export function formatDS(value: number, what = 'DS value'): string {
  if (!Number.isFinite(value)) {
    throw new DicomError(`${what}: expected a finite number for a decimal string, found ${fmt(value)}`);
  }
  if (Object.is(value, -0)) return '0';
  // The shortest text that reads back as exactly this double, when it fits.
  const exact = tidy(String(value));
  if (exact.length <= DS_MAX_LENGTH) return exact;
  for (let digits = 17; digits >= 1; digits--) {
    // Rounded fixed and exponent forms; a truncated exponent form only for values so close to the
    // largest double that rounding up overflows to infinity.
    const fits = (s: string): boolean => s.length <= DS_MAX_LENGTH && Number.isFinite(Number(s));
    let candidates = [tidy(value.toPrecision(digits)), tidy(value.toExponential(digits - 1))].filter(fits);
    if (candidates.length === 0) candidates = [truncatedExponential(value, digits)].filter(fits);
    if (candidates.length > 0) return candidates.reduce((a, b) => (b.length < a.length ? b : a));
  }
  // Unreachable: "-1.7976931e308" style text always fits with few digits.
  throw new DicomError(`${what}: could not format ${fmt(value)} in ${DS_MAX_LENGTH} characters`);
}

/** Several DS values (a multi-valued attribute), each formatted by formatDS. */
export const formatDSList = (values: ArrayLike<number>, what = 'DS value'): string[] =>
  Array.from(values, (v) => formatDS(v, what));

/** An integer as an IS value; throws DicomError outside -2^31 .. 2^31-1 or for a non-integer. */
export function formatIS(value: number, what = 'IS value'): string {
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) {
    throw new DicomError(`${what}: expected an integer in -2^31 .. 2^31-1 for an integer string, found ${fmt(value)}`);
  }
  return String(value);
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** DA "YYYYMMDD" of a Date, in UTC. */
export const formatDA = (date: Date): string =>
  `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}`;

/** TM "HHMMSS" of a Date, in UTC. */
export const formatTM = (date: Date): string =>
  `${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}`;
