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
    super(where.length > 0 ? `${message} (${where.join(', ')})` : message, options);
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
