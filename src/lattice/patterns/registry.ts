/**
 * The lattice patterns by name. A new pattern is one module exporting a Pattern, listed here.
 */

import { InputError } from '../../core/errors.js';
import { bccPattern } from './bcc.js';
import type { Pattern } from './cell.js';
import { fccPattern } from './fcc.js';
import { hcpPattern } from './hcp.js';
import { scPattern } from './sc.js';
import { seedPattern } from './seed.js';

export const PATTERNS: readonly Pattern[] = [seedPattern, hcpPattern, scPattern, bccPattern, fccPattern];

export const PATTERN_NAMES: readonly string[] = PATTERNS.map((p) => p.name);

/** The pattern called `name`; an InputError listing the known patterns otherwise. */
export function patternByName(name: string): Pattern {
  const p = PATTERNS.find((q) => q.name === name.toLowerCase());
  if (p === undefined) {
    throw new InputError(`unknown lattice pattern "${name}"; expected one of ${PATTERN_NAMES.join(', ')}`);
  }
  return p;
}
