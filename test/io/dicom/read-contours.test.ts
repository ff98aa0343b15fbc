/**
 * Contour points (the ROIContourSequence, which read/decode.ts decodes instead of dcmjs) against
 * pydicom, in every encoding a structure set comes in: explicit VR little endian with defined
 * lengths (our writer), implicit VR little endian, explicit VR big endian, undefined-length sequences
 * and items, deflate (read by dcmjs), and decimal strings written in the forms DS allows (signs,
 * exponents, leading zeros, padding). The expected numbers are pydicom's float() of each value.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContourStructure } from '../../../src/geometry/structure.js';
import { readStructureSet } from '../../../src/io/dicom/read/rtstruct.js';
import { writeStructureSet } from '../../../src/io/dicom/write/rtstruct.js';
import { python, tempFolder } from '../../fixtures/dicom-testdata.js';
import { TOOLS, have } from '../../helpers/external.js';

/** Two ROIs: a 37-gon with coordinates that need 16 characters, and a point. */
function structures(): ContourStructure[] {
  const contours = [-7.5, -5, -2.5].map((z) => {
    const p = new Float64Array(3 * 37);
    for (let n = 0; n < 37; n++) p.set([12.345678 * Math.cos(n / 5.9), -98.7654321 + Math.sin(n / 5.9) / 3, z], 3 * n);
    return { geometricType: 'CLOSED_PLANAR' as const, pointsLps: p };
  });
  return [
    { roiNumber: 3, name: 'Ring', interpretedType: 'ORGAN', colorRgb: [10, 200, 30], contours },
    { roiNumber: 7, name: 'Mark', interpretedType: 'MARKER', contours: [{ geometricType: 'POINT', pointsLps: new Float64Array([1e-5, 0, 250]) }] },
  ];
}

describe.runIf(have(TOOLS.pydicom))('contour points against pydicom in every encoding', () => {
  const tmp = tempFolder('contours');
  let files: string[];
  beforeAll(() => {
    const original = join(tmp.dir, 'explicit-le.dcm');
    writeStructureSet(
      {
        label: 'ENC',
        structures: structures(),
        referencedCt: {
          patientId: 'P', patientName: 'Enc^Test', studyInstanceUid: '1.2.826.0.1.3680043.10.1.1', seriesInstanceUid: '1.2.826.0.1.3680043.10.1.2',
          frameOfReferenceUid: '1.2.826.0.1.3680043.10.1.3', sliceNormal: [0, 0, 1],
          slices: [-7.5, -5, -2.5].map((z, k) => ({ sopInstanceUid: `1.2.826.0.1.3680043.10.1.4.${k}`, positionMm: z })),
        },
      },
      original,
    );
    // pydicom re-encodes the file; the odd-text copy rewrites the first contour's numbers as DS allows them.
    files = python<string[]>(
      `
import sys, json, copy, os, pydicom
from pydicom.uid import ImplicitVRLittleEndian, ExplicitVRBigEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian
src, out = sys.argv[1], sys.argv[2]
ds = pydicom.dcmread(src)
made = [src]
def save(d, name, ts, implicit, little, undefined):
    d = copy.deepcopy(d)
    d.file_meta.TransferSyntaxUID = ts
    d.is_implicit_VR = implicit
    d.is_little_endian = little
    for el in d.iterall():
        if el.VR == 'SQ':
            el.is_undefined_length = undefined
            for item in el.value:
                item.is_undefined_length_sequence_item = undefined
    path = os.path.join(out, name)
    d.save_as(path, write_like_original=False)
    made.append(path)
save(ds, 'implicit-le.dcm', ImplicitVRLittleEndian, True, True, False)
save(ds, 'explicit-be.dcm', ExplicitVRBigEndian, False, False, False)
save(ds, 'explicit-le-undefined.dcm', ExplicitVRLittleEndian, False, True, True)
save(ds, 'implicit-le-undefined.dcm', ImplicitVRLittleEndian, True, True, True)
save(ds, 'deflated.dcm', DeflatedExplicitVRLittleEndian, False, True, False)
odd = copy.deepcopy(ds)
c = odd.ROIContourSequence[0].ContourSequence[0]
texts = ['+12.5', ' -0.0', '1E1', '007.250', '-1.5e-3 ', '3', '.5', '-98.765', '2.5E+2']
c.ContourData = texts + [str(v) for v in list(c.ContourData)[len(texts):]]
save(odd, 'odd-text.dcm', ExplicitVRLittleEndian, False, True, False)
save(odd, 'odd-text-implicit.dcm', ImplicitVRLittleEndian, True, True, True)
print(json.dumps(made))
`,
      original,
      tmp.dir,
    );
  });
  afterAll(() => tmp.remove());

  it('reads every contour point as the number pydicom reads', () => {
    expect(files).toHaveLength(8);
    for (const file of files) {
      const py = python<{ number: number; color: number[] | null; contours: { type: string; points: number[] }[] }[]>(
        `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(json.dumps([{'number': int(r.ReferencedROINumber), 'color': [int(x) for x in r.ROIDisplayColor] if 'ROIDisplayColor' in r else None,
  'contours': [{'type': c.ContourGeometricType, 'points': [float(v) for v in c.ContourData]} for c in r.ContourSequence]}
  for r in ds.ROIContourSequence]))
`,
        file,
      );
      const ss = readStructureSet(file);
      expect(ss.warnings, file).toBeUndefined();
      expect(ss.structures.map((s) => s.roiNumber), file).toEqual(py.map((r) => r.number));
      ss.structures.forEach((s, i) => {
        expect(s.colorRgb ?? null, file).toEqual(py[i]!.color);
        expect(s.contours.map((c) => ({ type: c.geometricType, points: [...c.pointsLps] })), file).toEqual(py[i]!.contours);
      });
    }
  });

  it('reads the odd decimal texts as their numbers', () => {
    const odd = readStructureSet(files.find((f) => f.endsWith('odd-text.dcm'))!);
    expect([...odd.structures[0]!.contours[0]!.pointsLps.subarray(0, 9)]).toEqual([12.5, -0, 10, 7.25, -0.0015, 3, 0.5, -98.765, 250]);
  });
});
