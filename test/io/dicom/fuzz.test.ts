/**
 * Corrupt input never escapes as anything but a DicomError: valid files (pydicom's rtdose.dcm,
 * rtstruct.dcm, rtplan.dcm, CT_small.dcm, rtdose_rle.dcm) are mutated with a seeded PRNG (random bytes overwritten,
 * the file cut short, a chunk removed or duplicated) and handed to the reader for their kind, and
 * to the header parse that scanDicom uses. Each case must succeed or throw a DicomError.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DicomError } from '../../../src/core/errors.js';
import { readCtSeries } from '../../../src/io/dicom/read/ct.js';
import { parseDicom } from '../../../src/io/dicom/read/parse.js';
import { readRtDose } from '../../../src/io/dicom/read/rtdose.js';
import { readRtPlan } from '../../../src/io/dicom/read/rtplan.js';
import { readStructureSet } from '../../../src/io/dicom/read/rtstruct.js';
import type { DicomBytes } from '../../../src/io/dicom/read/source.js';
import { pydicomFile, prng } from '../../fixtures/dicom-testdata.js';
import { TOOLS, have } from '../../helpers/external.js';

const CASES_PER_FILE = 64;

type Mutation = (bytes: Uint8Array, rand: () => number) => Uint8Array;

const int = (rand: () => number, n: number): number => Math.floor(rand() * n);

const MUTATIONS: readonly { readonly name: string; readonly apply: Mutation }[] = [
  {
    name: 'overwrite 1-8 bytes',
    apply: (b, rand) => {
      const out = b.slice();
      const n = 1 + int(rand, 8);
      for (let k = 0; k < n; k++) out[int(rand, out.length)] = int(rand, 256);
      return out;
    },
  },
  {
    name: 'overwrite a 4-byte length-like word with an extreme value',
    apply: (b, rand) => {
      const out = b.slice();
      const p = int(rand, out.length - 4);
      const v = [0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0xfffe, 0xfffffffe][int(rand, 7)]!;
      new DataView(out.buffer).setUint32(p, v, true);
      return out;
    },
  },
  { name: 'cut short', apply: (b, rand) => b.slice(0, int(rand, b.length)) },
  {
    name: 'remove a chunk',
    apply: (b, rand) => {
      const start = int(rand, b.length);
      const end = Math.min(b.length, start + 1 + int(rand, 64));
      const out = new Uint8Array(b.length - (end - start));
      out.set(b.subarray(0, start));
      out.set(b.subarray(end), start);
      return out;
    },
  },
  {
    name: 'duplicate a chunk',
    apply: (b, rand) => {
      const start = int(rand, b.length);
      const chunk = b.subarray(start, Math.min(b.length, start + 1 + int(rand, 64)));
      const out = new Uint8Array(b.length + chunk.length);
      out.set(b.subarray(0, start));
      out.set(chunk, start);
      out.set(b.subarray(start), start + chunk.length);
      return out;
    },
  },
];

const TARGETS: readonly { readonly file: string; readonly seed: number; readonly read: (input: DicomBytes) => unknown }[] = [
  { file: 'rtdose.dcm', seed: 1, read: (i) => readRtDose(i) },
  { file: 'rtstruct.dcm', seed: 2, read: (i) => readStructureSet(i) },
  { file: 'rtplan.dcm', seed: 3, read: (i) => readRtPlan(i) },
  { file: 'CT_small.dcm', seed: 4, read: (i) => readCtSeries([i]) },
  { file: 'rtdose_rle.dcm', seed: 5, read: (i) => readRtDose(i) },
];

describe.runIf(have(TOOLS.pydicom))('fuzzed DICOM input', () => {
  it.each(TARGETS)('$file: every mutation reads or throws a DicomError', ({ file, seed, read }) => {
    const original = new Uint8Array(readFileSync(pydicomFile(file)));
    const rand = prng(seed);
    const outcomes = { ok: 0, dicomError: 0 };
    for (let c = 0; c < CASES_PER_FILE; c++) {
      const mutation = MUTATIONS[c % MUTATIONS.length]!;
      const input: DicomBytes = { name: `${file}#${c}`, bytes: mutation.apply(original, rand) };
      for (const attempt of [() => read(input), () => parseDicom(input, { stopAtTag: 0x00280000 })]) {
        try {
          attempt();
          outcomes.ok++;
        } catch (e) {
          if (!(e instanceof DicomError)) {
            throw new Error(`case ${c} (${mutation.name}) escaped as ${String(e)}`, { cause: e });
          }
          expect(e.message).toContain(input.name);
          outcomes.dicomError++;
        }
      }
    }
    expect(outcomes.ok + outcomes.dicomError).toBe(2 * CASES_PER_FILE);
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.dicomError).toBeGreaterThan(0);
  });
});
