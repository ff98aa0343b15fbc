/**
 * Wraps a command's action so that every failure prints one clear line (a typed LatticeError's
 * message, which names the file, tag or structure) instead of a stack trace, and sets the exit code.
 */

import { LatticeError } from '../src/core/errors.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_INTERNAL = 70;

export async function runCommand(action: () => Promise<void> | void): Promise<number> {
  try {
    await action();
    return EXIT_OK;
  } catch (err) {
    if (err instanceof LatticeError) {
      console.error(`lattice: ${err.name}: ${err.message}`);
      return EXIT_ERROR;
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`lattice: internal error: ${message}`);
    if (process.env.LATTICE_DEBUG === '1' && err instanceof Error) console.error(err.stack);
    else console.error('(this is a bug in lattice-rt; set LATTICE_DEBUG=1 for details and please report it)');
    return EXIT_INTERNAL;
  }
}
