/**
 * The readers' building blocks on hand-made input whose expected values follow from the standard:
 * stored-value decoding (PS3.3 C.7.6.3.1: BitsStored, PixelRepresentation), RLE PackBits
 * (PS3.5 G.3.1), tag naming (PS3.6, cross-checked against dcmjs's dictionary), typed accessors,
 * and a bare dataset with no file meta (PS3.5 A.1: implicit VR little endian).
 */

import { describe, expect, it } from 'vitest';
import { DicomError } from '../../../src/core/errors.js';
import { dictionaryKeyword } from '../../../src/io/dicom/dcmjs.js';
import { parseDicom } from '../../../src/io/dicom/read/parse.js';
import { convertStored, convertStoredInPlace, type PixelLayout } from '../../../src/io/dicom/read/pixels.js';
import { decodeRleFrame } from '../../../src/io/dicom/read/rle.js';
import { DicomView } from '../../../src/io/dicom/read/view.js';
import { TAGS, formatTag, keywordOfTag, tagHex, tagLabel, type TagKeyword } from '../../../src/io/dicom/tags.js';

/** The values as 16-bit words (at byte `at` of their buffer: 1 puts them off a word boundary), decoded. */
function stored16(values: number[], bitsStored: number, signed: boolean, littleEndian = true, at = 0): Float32Array {
  const bytes = new Uint8Array(at + 2 * values.length).subarray(at);
  const dv = new DataView(bytes.buffer, at);
  values.forEach((v, n) => dv.setUint16(2 * n, v, littleEndian));
  const layout: PixelLayout = { rows: 1, columns: values.length, frames: 1, bitsAllocated: 16, bitsStored, signed };
  const out = new Float32Array(values.length);
  convertStored({ layout, bytes, littleEndian }, 1, 0, out);
  return out;
}

describe('stored pixel values', () => {
  it('unsigned 12 of 16 bits: the 4 high bits are not part of the value', () => {
    expect([...stored16([0xf123, 0x0fff, 0x0000], 12, false)]).toEqual([0x123, 4095, 0]);
  });

  it('signed 12 of 16 bits: bit 11 is the sign, high bits ignored', () => {
    expect([...stored16([0x0fff, 0xf800, 0x07ff, 0x0001], 12, true)]).toEqual([-1, -2048, 2047, 1]);
  });

  it('signed 16 bits is two\'s complement; big endian reads the same values', () => {
    expect([...stored16([0xfc18, 0x03e8], 16, true)]).toEqual([-1000, 1000]);
    expect([...stored16([0xfc18, 0x03e8], 16, true, false)]).toEqual([-1000, 1000]);
  });

  it('values that do not start on a word boundary read the same (odd byte offset, both byte orders)', () => {
    for (const le of [true, false]) {
      expect([...stored16([0xfc18, 0x03e8], 16, true, le, 1)]).toEqual([-1000, 1000]);
      expect([...stored16([0x0fff, 0xf800, 0x07ff], 12, true, le, 3)]).toEqual([-1, -2048, 2047]);
      expect([...stored16([0xf123, 0x0fff], 12, false, le, 1)]).toEqual([0x123, 4095]);
    }
  });

  it('32-bit unsigned values above 2^31 stay positive; slope and intercept apply after', () => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, 0xfffffffe, true);
    new DataView(bytes.buffer).setUint32(4, 3, true);
    const layout: PixelLayout = { rows: 1, columns: 2, frames: 1, bitsAllocated: 32, bitsStored: 32, signed: false };
    const out = new Float32Array(2);
    convertStored({ layout, bytes, littleEndian: true }, 0.5, -1, out);
    // as signed, the first word would be -2 (-2 x 0.5 - 1 = -2)
    expect([...out]).toEqual([Math.fround(0xfffffffe * 0.5 - 1), 0.5]);
    // the same words 2 bytes into their buffer, and as signed 32-bit values
    const shifted = new Uint8Array(10);
    shifted.set(bytes, 2);
    convertStored({ layout, bytes: shifted.subarray(2), littleEndian: true }, 0.5, -1, out);
    expect([...out]).toEqual([Math.fround(0xfffffffe * 0.5 - 1), 0.5]);
    convertStored({ layout: { ...layout, signed: true }, bytes: shifted.subarray(2), littleEndian: true }, 1, 0, out);
    expect([...out]).toEqual([-2, 3]);
  });

  it('32-bit values converted in their own memory: the float32 of value x slope + intercept, at every byte offset', () => {
    // an RT Dose of 32-bit words read from a file is converted where it lies (no second array)
    const words = [0, 1, 7, 0x7fffffff, 0xfffffffe, 123456789];
    const layout: PixelLayout = { rows: 2, columns: 3, frames: 1, bitsAllocated: 32, bitsStored: 32, signed: false };
    for (const at of [8, 9, 10, 11]) {
      const file = new Uint8Array(at + 4 * words.length);
      file.fill(0xee, 0, at);
      words.forEach((w, n) => new DataView(file.buffer).setUint32(at + 4 * n, w, true));
      const out = convertStoredInPlace({ layout, bytes: file.subarray(at), littleEndian: true }, 2.5e-6, 0)?.values;
      expect(out, `offset ${at}`).toBeDefined();
      expect(out!.byteOffset % 4).toBe(0);
      expect(out!.buffer).toBe(file.buffer);
      expect([...out!]).toEqual(words.map((w) => Math.fround(w * 2.5e-6)));
      // header bytes before the pixel element's own 8-byte header are untouched
      expect([...file.subarray(0, at - 3)].every((b) => b === 0xee)).toBe(true);
    }
    // signed with fewer bits stored: sign-extended as convertStored does
    const file = new Uint8Array(8);
    new DataView(file.buffer).setUint32(0, 0x0fffffff, true);
    new DataView(file.buffer).setUint32(4, 5, true);
    const out = convertStoredInPlace({ layout: { ...layout, columns: 2, rows: 1, bitsStored: 28, signed: true }, bytes: file, littleEndian: true }, 1, 0)?.values;
    expect([...out!]).toEqual([-1, 5]);
    // 16-bit and big-endian values are not converted in place
    expect(convertStoredInPlace({ layout: { ...layout, bitsAllocated: 16, bitsStored: 16 }, bytes: new Uint8Array(12), littleEndian: true }, 1, 0)).toBeUndefined();
    expect(convertStoredInPlace({ layout, bytes: new Uint8Array(24), littleEndian: false }, 1, 0)).toBeUndefined();
  });
});

describe('RLE PackBits', () => {
  it('a 2 x 2 frame of 16-bit values: MSB segment first, literal and replicate runs, -128 ignored', () => {
    // Values 0x0102, 0x0304, 0xFF00, 0x0000. Segment 0 (high bytes) 01 03 FF 00 as one literal run;
    // segment 1 (low bytes) 02 04 00 00 as a literal run of 2, a no-op (-128), a replicate run of 2.
    const seg0 = [0x03, 0x01, 0x03, 0xff, 0x00];
    const seg1 = [0x01, 0x02, 0x04, 0x80, 0xff, 0x00];
    const frame = new Uint8Array(64 + seg0.length + seg1.length);
    const dv = new DataView(frame.buffer);
    dv.setUint32(0, 2, true);
    dv.setUint32(4, 64, true);
    dv.setUint32(8, 64 + seg0.length, true);
    frame.set(seg0, 64);
    frame.set(seg1, 64 + seg0.length);
    expect([...decodeRleFrame(frame, 4, 2, 'f', 0)]).toEqual([0x02, 0x01, 0x04, 0x03, 0x00, 0xff, 0x00, 0x00]);
  });

  it('a segment that decodes short, or a header with the wrong segment count, is a DicomError', () => {
    const frame = new Uint8Array(64 + 2);
    new DataView(frame.buffer).setUint32(0, 1, true);
    new DataView(frame.buffer).setUint32(4, 64, true);
    frame.set([0x00, 0x07], 64); // one literal byte, 4 expected
    expect(() => decodeRleFrame(frame, 4, 1, 'short.dcm', 3)).toThrow(/RLE frame 3: segment 0 decodes to 1 bytes, expected 4.*short\.dcm/u);
    expect(() => decodeRleFrame(frame, 4, 2, 'x.dcm', 0)).toThrow(DicomError);
  });
});

describe('tags', () => {
  it('every keyword in TAGS names the same tag in dcmjs\'s data dictionary', () => {
    for (const keyword of Object.keys(TAGS) as TagKeyword[]) {
      expect(dictionaryKeyword(formatTag(TAGS[keyword])), keyword).toBe(keyword);
    }
  });

  it('labels tags as "(gggg,eeee) Keyword", from TAGS or the dictionary', () => {
    expect(tagLabel('ImagePositionPatient')).toBe('(0020,0032) ImagePositionPatient');
    expect(tagLabel(0x300a011e)).toBe('(300A,011E) GantryAngle');
    expect(tagLabel(0x00080008)).toBe('(0008,0008) ImageType');
    expect(tagLabel(0x00091001)).toBe('(0009,1001)');
    expect(tagHex('StudyInstanceUID')).toBe('0020000D');
    expect(keywordOfTag('7FE00010')).toBe('PixelData');
  });
});

describe('DicomView', () => {
  const item = { '300A011E': { vr: 'DS', Value: [90] } };
  const ds = new DicomView(
    {
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
      '00200032': { vr: 'DS', Value: [1, 2] },
      '0020000D': { vr: 'UI', Value: ['1.2.3\0'] },
      '00281053': { vr: 'DS', Value: [Number.NaN] },
      '300A0111': { vr: 'SQ', Value: [item, {}] },
    },
    'v.dcm',
  );

  it('reads names, trims UIDs, and walks sequences with their path', () => {
    expect(ds.string('PatientName')).toBe('Doe^Jane');
    expect(ds.string('StudyInstanceUID')).toBe('1.2.3');
    const cps = ds.sequence('ControlPointSequence');
    expect(cps.map((c) => c.path)).toEqual(['ControlPointSequence[0]', 'ControlPointSequence[1]']);
    expect(cps[0]!.requireNumber('GantryAngle')).toBe(90);
  });

  it('errors name the file, the sequence path and the tag', () => {
    expect(() => ds.requireNumbers('ImagePositionPatient', 3)).toThrow(
      'expected 3 values, found 2 (file v.dcm, tag (0020,0032) ImagePositionPatient)',
    );
    expect(() => ds.number('RescaleSlope')).toThrow('expected a finite number, found NaN');
    expect(() => ds.sequence('ControlPointSequence')[1]!.requireNumber('GantryAngle')).toThrow(
      'ControlPointSequence[1]: missing required attribute (file v.dcm, tag (300A,011E) GantryAngle)',
    );
  });
});

describe('bare dataset without file meta', () => {
  /** One implicit VR little endian element. */
  function implicit(tag: number, value: string): number[] {
    const v = [...value].map((c) => c.charCodeAt(0));
    if (v.length % 2 === 1) v.push(0);
    const n = v.length;
    return [(tag >>> 16) & 0xff, tag >>> 24, tag & 0xff, (tag >>> 8) & 0xff, n & 0xff, (n >>> 8) & 0xff, 0, 0, ...v];
  }

  it('is read as implicit VR little endian', () => {
    const bytes = new Uint8Array([
      ...implicit(TAGS.SOPInstanceUID, '1.2.3.4'),
      ...implicit(TAGS.Modality, 'RTSTRUCT'),
      ...implicit(TAGS.PatientID, 'P1'),
    ]);
    const parsed = parseDicom({ name: 'bare', bytes });
    expect(parsed.hasPreamble).toBe(false);
    expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2');
    expect(parsed.dataset.string('Modality')).toBe('RTSTRUCT');
    expect(parsed.dataset.string('SOPInstanceUID')).toBe('1.2.3.4');
    expect(parsed.dataset.string('PatientID')).toBe('P1');
  });

  it('an element running past the end is a truncation DicomError naming the tag', () => {
    const bytes = new Uint8Array([...implicit(TAGS.SOPInstanceUID, '1.2.3.4'), ...implicit(TAGS.Modality, 'RTSTRUCT').slice(0, 12)]);
    expect(() => parseDicom({ name: 'cut', bytes })).toThrow(
      'element value of 8 bytes runs past the end of the file (4 bytes left): truncated or corrupt (file cut, tag (0008,0060) Modality)',
    );
  });
});
