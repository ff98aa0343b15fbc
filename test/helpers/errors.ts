/**
 * Assertions on the typed errors lattice-rt throws.
 */

import { expect } from 'vitest';
import { DicomError } from '../../src/core/errors.js';

/** Run fn, expect it to throw a DicomError whose message contains every fragment, and return the error. */
export function expectDicomError(fn: () => unknown, ...fragments: string[]): DicomError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DicomError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
  return caught as DicomError;
}
