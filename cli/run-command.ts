/**
 * Wraps a command's action so that every failure prints one clear line (a typed LatticeError's
 * message, which names the file, tag or structure) instead of a stack trace, and sets the exit code.
 */

import { escapeControl, LatticeError } from '../src/core/errors.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_INTERNAL = 70;

export async function runCommand(action: () => Promise<void> | void): Promise<number> {
  try {
    await action();
    return EXIT_OK;
  } catch (err) {
    return reportError(err);
  }
}

/**
 * Print a failure as one line and return its exit code: a LatticeError's message (EXIT_ERROR), or
 * anything else as an internal error that asks for a report (EXIT_INTERNAL), with its stack only
 * under LATTICE_DEBUG=1.
 */
export function reportError(err: unknown): number {
  if (err instanceof LatticeError) {
    console.error(`lattice: ${err.name}: ${err.message}`);
    return EXIT_ERROR;
  }
  const message = escapeControl(err instanceof Error ? err.message : String(err));
  // one line, as every error; the stack only when asked for
  if (process.env.LATTICE_DEBUG === '1' && err instanceof Error) {
    console.error(`lattice: internal error: ${message}`);
    console.error(err.stack);
  } else {
    console.error(`lattice: internal error: ${message} (this is a bug in lattice-rt; set LATTICE_DEBUG=1 for details and please report it)`);
  }
  return EXIT_INTERNAL;
}
