/**
 * readCtPlanes (the CT planes a report's snapshots read, from the files as far as needed) against the
 * planes of readCtSeries's whole HU volume (volumePlanes): the same values, to the bit, for axial planes,
 * rows and columns of every slice, asked for one at a time or prepared together; the files given in
 * any order; and the DicomError of a slice without its rescale when a plane needs that slice.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGrid } from '../../../src/geometry/grid.js';
import { createScalarVolume, volumePlanes, type PlaneRef } from '../../../src/geometry/volume.js';
import { DicomError } from '../../../src/core/errors.js';
import { readCtPlanes, readCtSeries } from '../../../src/io/dicom/read/index.js';
import { writeCtSeries } from '../../../src/io/dicom/write/ct.js';

/** A CT whose every voxel differs from its neighbours (an index mix-up shows), 20 x 16 x 12, non-square pixels. */
function writeTestCt(dir: string): string[] {
  const grid = createGrid({ size: [20, 16, 12], spacingMm: [0.8, 1.1, 2.5], originMm: [-8, -9, -15] });
  const hu = createScalarVolume(grid);
  let p = 0;
  for (let k = 0; k < 12; k++) for (let j = 0; j < 16; j++) for (let i = 0; i < 20; i++, p++) hu.data[p] = ((i * 7 + j * 131 + k * 977) % 3000) - 1000;
  const written = writeCtSeries(
    {
      patientId: 'PLANES', patientName: 'Planes^Test', studyInstanceUid: '2.25.1', seriesInstanceUid: '2.25.2', frameOfReferenceUid: '2.25.3',
      seriesDescription: 'CT', hu,
    },
    dir,
  );
  return [...written.files];
}

describe('readCtPlanes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-ct-planes-'));
  const files = writeTestCt(dir);
  const reference = volumePlanes(readCtSeries(files).hu);
  const refs: PlaneRef[] = [
    { axis: 2, index: 0 }, { axis: 2, index: 7 }, { axis: 2, index: 11 },
    { axis: 1, index: 0 }, { axis: 1, index: 9 }, { axis: 0, index: 19 }, { axis: 0, index: 4 },
  ];

  it('gives readCtSeries\'s planes, one at a time or prepared together, the files in any order', () => {
    const single = readCtPlanes(files);
    const together = readCtPlanes([...files].reverse());
    together.prepare!(refs);
    expect(together.grid).toEqual(reference.grid);
    for (const r of refs) {
      const want = reference.plane(r.axis, r.index);
      expect(want.length).toBe(r.axis === 2 ? 320 : r.axis === 1 ? 240 : 192);
      expect(new Set(want).size).toBeGreaterThan(want.length / 2);
      expect(Array.from(single.plane(r.axis, r.index))).toEqual(Array.from(want));
      expect(Array.from(together.plane(r.axis, r.index))).toEqual(Array.from(want));
    }
  });

  it('throws the DicomError of a slice without its rescale when a plane needs that slice', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'lattice-ct-planes-bad-')), 'slice.dcm');
    const bytes = readFileSync(files[3]!);
    // RescaleSlope (0028,1053) renamed to a private tag: the slice has no slope
    const at = bytes.indexOf(Buffer.from([0x28, 0x00, 0x53, 0x10]));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1] = 0x00;
    bytes[at] = 0x29;
    writeFileSync(bad, bytes);
    const planes = readCtPlanes(files.map((f, n) => (n === 3 ? bad : f)));
    const k = readCtSeries(files).slices.find((s) => s.file === files[3])!.k;
    expect(() => planes.plane(2, k)).toThrow(DicomError);
    expect(() => planes.plane(2, k)).toThrow(/RescaleSlope/);
    expect(() => planes.plane(2, k === 0 ? 1 : 0)).not.toThrow();
  });
});
