/**
 * Typed errors. Every error says what was expected and what was found, and names the file, tag,
 * structure or grid it concerns. Callers (the CLI) print `message`; they never need a stack trace.
 */

export interface ErrorContext {
  /** File the problem was found in, if any. */
  readonly file?: string;
  /** DICOM tag as (gggg,eeee) with its keyword, if any. */
  readonly tag?: string;
  /** Structure (ROI) name, if any. */
  readonly structure?: string;
}

/** Base class of every error lattice-rt throws on purpose. */
export class LatticeError extends Error {
  readonly context: ErrorContext;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    const where = [
      context.file !== undefined ? `file ${context.file}` : undefined,
      context.tag !== undefined ? `tag ${context.tag}` : undefined,
      context.structure !== undefined ? `structure "${context.structure}"` : undefined,
    ].filter((s): s is string => s !== undefined);
    // one printable line whatever the message quotes (a corrupted DICOM value, a file name)
    super(escapeControl(where.length > 0 ? `${message} (${where.join(', ')})` : message), options);
    this.name = new.target.name;
    this.context = context;
  }
}

/** Grids, volumes, masks, margins: mismatched grids, bad spacing, empty masks, margins too large. */
export class GeometryError extends LatticeError {}

/** DICOM reading and writing. */
export class DicomError extends LatticeError {}

/** Other file formats (NRRD, JSON, YAML) and file-system problems. */
export class FormatError extends LatticeError {}

/** Plans, beams, control points, prescriptions. */
export class PlanError extends LatticeError {}

/** Bad user-supplied parameters (CLI options, configuration values). */
export class InputError extends LatticeError {}

/** Format a number for an error message without noise (at most 6 significant digits). */
export function fmt(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
}

/** Values quoted in messages are cut to this many characters (a DICOM LO holds 64). */
export const QUOTED_MAX_CHARS = 64;

/**
 * The text with every control character (C0, DEL, C1, and the Unicode line and paragraph
 * separators) written as an escape (\x00, \x1b, \u2028), so that a message stays one printable line.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A value from a file, quoted for a message, cut when over `maxChars` characters (saying how long it
 * was): "ABC..." (300 characters). Control characters are left for the error to escape (escapeControl).
 */
export function elideValue(value: string, maxChars = QUOTED_MAX_CHARS): string {
  const chars = [...value];
  if (chars.length <= maxChars) return `"${value}"`;
  return `"${chars.slice(0, maxChars).join('')}..." (${chars.length} characters)`;
}

/** elideValue with the control characters escaped, for a message that is not a LatticeError's. */
export function quoteValue(value: string, maxChars = QUOTED_MAX_CHARS): string {
  return escapeControl(elideValue(value, maxChars));
}
