/**
 * Option parsers and texts shared by the commands. Each parser refuses a bad value with commander's
 * InvalidArgumentError, whose message names the option, the value found and what was expected.
 */

import { InvalidArgumentError } from 'commander';

export { DISCLAIMER } from '../src/core/disclaimer.js';

/**
 * Plain decimal notation, optionally signed, with an optional exponent: 15, -2, 2.5, .5, 5., 1e1,
 * 1.5E-3. Not accepted (JavaScript's Number() reads them): hexadecimal, binary and octal literals
 * (0x10 is 16), '', blanks, Infinity, NaN, digit separators.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A finite number in decimal notation from an option's value (surrounding blanks ignored); refuses
 * anything else with a message naming the option and the value.
 */
export function decimalNumber(option: string, value: string): number {
  const text = value.trim();
  const v = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) {
    throw new InvalidArgumentError(`${option} expects a decimal number (e.g. 2.5 or 1e1), found '${value}'`);
  }
  return v;
}

/** Parse a positive number option (mm, Gy, ...), with a message naming the option. */
export function positiveNumber(option: string): (value: string) => number {
  return (value: string) => {
    const v = decimalNumber(option, value);
    if (v <= 0) throw new InvalidArgumentError(`${option} expects a positive number, found '${value}'`);
    return v;
  };
}

/** Parse a number >= 0 (mm, ...), with a message naming the option. */
export function nonNegativeNumber(option: string): (value: string) => number {
  return (value: string) => {
    const v = decimalNumber(option, value);
    if (v < 0) throw new InvalidArgumentError(`${option} expects a number >= 0, found '${value}'`);
    return v;
  };
}

/** Parse a fraction in (0, 1], with a message naming the option. */
export function fraction(option: string): (value: string) => number {
  return (value: string) => {
    const v = decimalNumber(option, value);
    if (!(v > 0 && v <= 1)) throw new InvalidArgumentError(`${option} expects a fraction in (0, 1], found '${value}'`);
    return v;
  };
}

/** DICOM ROI Name (3006,0026) is an LO value: at most 64 characters (PS3.5 Table 6.2-1). */
export const ROI_NAME_MAX_CHARS = 64;

/**
 * Parse the name of an ROI to be written: not empty or blank, at most 64 characters, no backslash
 * (the value delimiter of LO) and no control characters (LO excludes them). The name is kept as given.
 */
export function roiName(option: string): (value: string) => string {
  return (value: string) => {
    const chars = [...value].length;
    if (value.trim() === '') throw new InvalidArgumentError(`${option} expects an ROI name, found an empty one ('${value}')`);
    if (chars > ROI_NAME_MAX_CHARS) {
      throw new InvalidArgumentError(
        `${option} expects an ROI name of at most ${ROI_NAME_MAX_CHARS} characters (DICOM LO), found ${chars}: '${value}'`,
      );
    }
    // eslint-disable-next-line no-control-regex
    if (/[\\\u0000-\u001f\u007f]/.test(value)) {
      throw new InvalidArgumentError(`${option} expects an ROI name without backslash or control characters (DICOM LO), found '${JSON.stringify(value).slice(1, -1)}'`);
    }
    return value;
  };
}
