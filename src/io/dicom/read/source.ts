/**
 * Where DICOM bytes come from: a file path (read here, the only file-system access of the readers
 * apart from the folder scan) or bytes already in memory with a name for messages (the viewer,
 * tests).
 */

import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { DicomError } from '../../../core/errors.js';

/** Bytes of one DICOM file plus the name that messages use for it. */
export interface DicomBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A file path, or bytes with a name. */
export type DicomInput = string | DicomBytes;

export const inputName = (input: DicomInput): string => (typeof input === 'string' ? input : input.name);

function fsReason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return e instanceof Error ? e.message : String(e);
}

/** The whole content of an input. */
export function loadInput(input: DicomInput): DicomBytes {
  if (typeof input !== 'string') return input;
  try {
    return { name: input, bytes: readFileSync(input) };
  } catch (e) {
    throw new DicomError(`cannot read file: ${fsReason(e)}`, { file: input }, { cause: e });
  }
}

/**
 * As loadInput, a file read into a SharedArrayBuffer: for an RT Dose, whose values are converted in
 * place (rtdose.ts) and so end up in shared memory, which the DVH pool's threads read as it is
 * (src/evaluate/dvh-pool.ts copies a dose held in an ordinary ArrayBuffer into shared memory first:
 * some 9 ms for the 2.4 M values of a 220 x 180 x 61 grid on the 2-vCPU test machine).
 */
export function loadInputShared(input: DicomInput): DicomBytes {
  if (typeof input !== 'string') return input;
  let fd: number | undefined;
  try {
    fd = openSync(input, 'r');
    const size = fstatSync(fd).size;
    const bytes = Buffer.from(new SharedArrayBuffer(size));
    let got = 0;
    while (got < size) {
      const n = readSync(fd, bytes, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { name: input, bytes: bytes.subarray(0, got) };
  } catch (e) {
    throw new DicomError(`cannot read file: ${fsReason(e)}`, { file: input }, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * As loadInput, a file read into `reuse.buffer` (grown to the largest file): the bytes are valid until
 * the next call with the same `reuse`. For a series read one file at a time, whose fresh buffers would
 * each be faulted in anew (some 11 µs a page on the 2-vCPU test machine: 0.13 s for the 48 MB of a
 * 512 x 512 x 92 CT).
 */
export function loadInputReusing(input: DicomInput, reuse: { buffer: Buffer }): DicomBytes {
  if (typeof input !== 'string') return input;
  let fd: number | undefined;
  try {
    fd = openSync(input, 'r');
    const size = statSync(input).size;
    if (reuse.buffer.length < size) reuse.buffer = Buffer.allocUnsafe(size); // not zeroed: only the bytes read are used
    let got = 0;
    while (got < size) {
      const n = readSync(fd, reuse.buffer, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return { name: input, bytes: reuse.buffer.subarray(0, got) };
  } catch (e) {
    throw new DicomError(`cannot read file: ${fsReason(e)}`, { file: input }, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** At most maxBytes from the start of a file; `complete` when that is the whole file. */
export function readFilePrefix(path: string, maxBytes: number): { readonly bytes: Uint8Array; readonly complete: boolean } {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    if (size <= maxBytes) return { bytes: readFileSync(path), complete: true };
    fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(maxBytes); // not zeroed: only the bytes read are returned
    let got = 0;
    while (got < maxBytes) {
      const n = readSync(fd, buf, got, maxBytes - got, got);
      if (n === 0) break;
      got += n;
    }
    return { bytes: buf.subarray(0, got), complete: false };
  } catch (e) {
    throw new DicomError(`cannot read file: ${fsReason(e)}`, { file: path }, { cause: e });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
