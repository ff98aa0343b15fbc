/**
 * Atomic file output: write to a temporary name in the same folder, then rename, so that a failure
 * never leaves half a file under the final name. Input files are never opened for writing here.
 */

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError } from '../core/errors.js';

let counter = 0;

/** Write `data` to `path` atomically (temporary file + rename). Creates the folder if needed. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (cause) {
    rmSync(tmp, { force: true });
    throw new FormatError(`could not write ${path}: ${(cause as Error).message}`, { file: path }, { cause });
  }
}
