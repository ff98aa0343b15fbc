/**
 * decode.ts's whole-dataset decoder (decodeDataset, the path that spares `lattice evaluate` loading
 * dcmjs) against dcmjs, the reference: on every file of pydicom's test folder (third-party files:
 * implicit and explicit VR, big endian, no meta, private tags, person names, character sets) and on
 * the files lattice-rt writes (CT, RTSTRUCT, RTDOSE), whole and as scanned (headers only), every
 * element must read the same through DicomView's rules: text trimmed, person names by their
 * alphabetic group, numbers as numbers, bytes as bytes, sequences item by item. Where decode.ts
 * declines a dataset, dcmjs reads it (decodedBy says which), so the files it takes are counted too.
 */

import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawDataset } from '../../../src/io/dicom/dcmjs.js';
import { parseDicom, type ParseOptions } from '../../../src/io/dicom/read/parse.js';
import { loadInput } from '../../../src/io/dicom/read/source.js';
import { DicomError } from '../../../src/core/errors.js';
import { writeEvaluationCase } from '../../evaluate/dicom-case.js';
import { pydicomTestFiles, tempFolder } from '../../fixtures/dicom-testdata.js';
import { TOOLS, have } from '../../helpers/external.js';

/** A value as DicomView reads it (view.ts toText / toNumber and the empty-value rule). */
function readAs(x: unknown): unknown {
  if (typeof x === 'string') return x.replace(/[\0\s]+$/u, '').replace(/^\s+/u, '');
  if (typeof x === 'number' || x === null || x === undefined) return x ?? null;
  if (x instanceof ArrayBuffer) return `${x.byteLength} bytes, sha1 ${createHash('sha1').update(new Uint8Array(x)).digest('hex')}`;
  if (Array.isArray(x)) return x.map(readAs);
  const o = x as Record<string, unknown>;
  if (Object.keys(o).every((k) => /^[0-9A-F]{8}$/.test(k)) && Object.keys(o).length > 0 && !('Alphabetic' in o)) return dataset(o as RawDataset);
  // a person name: its groups, trimmed
  return Object.fromEntries(Object.entries(o).filter(([k]) => ['Alphabetic', 'Ideographic', 'Phonetic'].includes(k)).map(([k, v]) => [k, String(v).trim()]));
}

function dataset(d: RawDataset): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(d).sort()) {
    const v = d[key]!.Value;
    const values = Array.isArray(v) ? v : [];
    // view.ts: an element whose values are all empty reads as absent
    const empty = values.length === 0 || values.every((x) => x === null || x === undefined || x === '');
    out[key] = { vr: d[key]!.vr, values: empty ? [] : values.map(readAs) };
  }
  return out;
}

let compared = 0;
let byDecodeTs = 0;

/** Parse both ways and compare; true when decode.ts read it. */
function same(file: string, options: ParseOptions = {}): void {
  const input = loadInput(file);
  let ours;
  try {
    ours = parseDicom(input, options);
  } catch (e) {
    if (!(e instanceof DicomError)) throw e;
    // unreadable files must stay unreadable for both
    expect(() => parseDicom(input, { ...options, dcmjsOnly: true }), file).toThrow(DicomError);
    return;
  }
  const reference = parseDicom(input, { ...options, dcmjsOnly: true });
  expect(reference.decodedBy).toBe('dcmjs');
  expect(dataset(ours.dataset.raw), file).toEqual(dataset(reference.dataset.raw));
  expect(dataset(ours.meta.raw), `${file} (meta)`).toEqual(dataset(reference.meta.raw));
  expect(ours.partial).toBe(reference.partial);
  expect(ours.pixelData?.encapsulated).toBe(reference.pixelData?.encapsulated);
  compared++;
  if (ours.decodedBy === 'decode.ts') byDecodeTs++;
}

describe('decodeDataset reads what dcmjs reads', () => {
  const tmp = tempFolder('decode-dataset');
  afterAll(() => tmp.remove());

  it('lattice-rt\'s own CT, RTSTRUCT and RTDOSE: decoded here, the same values', () => {
    const c = writeEvaluationCase(join(tmp.dir, 'case'));
    const ctDir = readdirSync(c.dir).map((n) => join(c.dir, n)).find((p) => statSync(p).isDirectory());
    const files = [c.rtstructFile, c.rtdoseFile, ...(ctDir !== undefined ? readdirSync(ctDir).slice(0, 3).map((n) => join(ctDir, n)) : [])];
    const before = byDecodeTs;
    for (const f of files) {
      same(f);
      same(f, { stopAtTag: 0x00280100 }); // as the folder scan reads headers
    }
    same(c.rtstructFile, { decodeHere: [0x30060039] }); // as readStructureSet reads it
    expect(byDecodeTs - before).toBe(2 * files.length + 1);
  });

  it.runIf(have(TOOLS.pydicom))('every file of pydicom\'s test folder (third-party encodings)', () => {
    const root = pydicomTestFiles();
    const before = { compared, byDecodeTs };
    for (const name of readdirSync(root).sort()) {
      const f = join(root, name);
      if (!statSync(f).isFile() || !name.endsWith('.dcm')) continue;
      same(f);
      same(f, { stopAtTag: 0x00280100 });
    }
    // Most of them are plain enough for decode.ts; the rest (big endian, deflated, other character
    // sets, tags only dcmjs's dictionary knows) went to dcmjs and compared equal trivially.
    console.log(`decode-dataset: ${compared - before.compared} reads compared, ${byDecodeTs - before.byDecodeTs} by decode.ts`);
    expect(compared - before.compared).toBeGreaterThan(100);
    expect(byDecodeTs - before.byDecodeTs).toBeGreaterThan(20);
  });
});
