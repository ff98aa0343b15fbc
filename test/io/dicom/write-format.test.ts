import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DicomError } from '../../../src/core/errors.js';
import {
  deriveUid,
  frameOfReferenceUidFor,
  isValidUid,
  seriesInstanceUidFor,
  sopInstanceUidFor,
  studyInstanceUidFor,
} from '../../../src/io/dicom/uid.js';
import { dataset, put } from '../../../src/io/dicom/write/encode.js';
import { formatDA, formatDS, formatIS, formatTM } from '../../../src/io/dicom/write/values.js';

/** PS3.5 6.2 DS syntax: fixed or floating point text, at most 16 characters. */
const DS_SYNTAX = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

describe('formatDS', () => {
  it('keeps the exponent of 1.6e-8 (dcmjs would cut it to "1.6")', () => {
    expect(formatDS(1.6e-8)).toBe('1.6e-8');
    expect(Number(formatDS(1.6e-8))).toBe(1.6e-8);
  });

  it('writes integers as integers and small decimals as they read', () => {
    expect(formatDS(0)).toBe('0');
    expect(formatDS(-0)).toBe('0');
    expect(formatDS(42)).toBe('42');
    expect(formatDS(-7)).toBe('-7');
    expect(formatDS(2.5)).toBe('2.5');
    expect(formatDS(0.1)).toBe('0.1');
    expect(formatDS(1e15)).toBe('1000000000000000');
    expect(formatDS(1e16)).toBe('1e16');
  });

  it('writes negative values with their sign, within 16 characters', () => {
    expect(formatDS(-0.5)).toBe('-0.5');
    expect(formatDS(-1.6e-8)).toBe('-1.6e-8');
    const s = formatDS(-123.45678901234567);
    expect(s.length).toBeLessThanOrEqual(16);
    expect(s).toBe('-123.45678901235');
  });

  it('keeps 12 significant digits of 2 Gy / 65535 in 16 characters', () => {
    const v = 2 / 65535;
    const s = formatDS(v);
    expect(s.length).toBeLessThanOrEqual(16);
    expect(Math.abs(Number(s) - v) / v).toBeLessThan(5e-12);
  });

  it('any finite double becomes valid DS text of at most 16 characters within 1e-8 relative error', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatDS(v);
        expect(s.length).toBeLessThanOrEqual(16);
        expect(s).toMatch(DS_SYNTAX);
        const back = Number(s);
        if (v === 0) expect(back).toBe(0);
        else expect(Math.abs(back - v) / Math.abs(v)).toBeLessThanOrEqual(1e-8);
      }),
      { numRuns: 2000 },
    );
  });

  it('values between 1e-3 and 1e6 in magnitude keep at least 11 significant digits', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.boolean(), (m, negative) => {
        const v = negative ? -m : m;
        const back = Number(formatDS(v));
        expect(Math.abs(back - v) / Math.abs(v)).toBeLessThanOrEqual(5e-11);
      }),
      { numRuns: 2000 },
    );
  });

  it('values whose shortest exact text fits in 16 characters read back exactly', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        if (String(v).replace('e+', 'e').length <= 16) expect(Number(formatDS(v))).toBe(v === 0 ? 0 : v);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses NaN and infinities with a DicomError naming the attribute', () => {
    expect(() => formatDS(Number.NaN, 'DoseGridScaling')).toThrow(DicomError);
    expect(() => formatDS(Number.POSITIVE_INFINITY, 'DoseGridScaling')).toThrow(/DoseGridScaling/);
  });
});

describe('formatIS, formatDA, formatTM', () => {
  it('IS takes 32-bit signed integers only', () => {
    expect(formatIS(5)).toBe('5');
    expect(formatIS(-2147483648)).toBe('-2147483648');
    expect(() => formatIS(2.5)).toThrow(DicomError);
    expect(() => formatIS(2147483648)).toThrow(DicomError);
  });

  it('DA and TM are UTC', () => {
    const d = new Date(Date.UTC(2024, 4, 7, 9, 3, 5));
    expect(formatDA(d)).toBe('20240507');
    expect(formatTM(d)).toBe('090305');
  });
});

describe('deterministic UIDs under 2.25', () => {
  it('the same inputs give the same UID', () => {
    expect(studyInstanceUidFor('case-1')).toBe(studyInstanceUidFor('case-1'));
    expect(deriveUid('a', 1, 'b')).toBe(deriveUid('a', 1, 'b'));
  });

  it('different purposes and seeds give different UIDs', () => {
    const study = studyInstanceUidFor('case-1');
    const uids = [
      study,
      studyInstanceUidFor('case-2'),
      seriesInstanceUidFor(study, 'CT'),
      seriesInstanceUidFor(study, 'RTDOSE'),
      frameOfReferenceUidFor('case-1'),
      sopInstanceUidFor(seriesInstanceUidFor(study, 'CT'), 0),
      sopInstanceUidFor(seriesInstanceUidFor(study, 'CT'), 1),
      deriveUid('ab', 'c'),
      deriveUid('a', 'bc'),
      deriveUid('1'),
      deriveUid(1),
    ];
    expect(new Set(uids).size).toBe(uids.length);
  });

  it('every UID is "2.25." plus a UUID (version 8, variant 10) in decimal, at most 64 characters', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 1, maxLength: 4 }), (parts) => {
        const uid = deriveUid(...parts);
        expect(isValidUid(uid)).toBe(true);
        expect(uid.length).toBeLessThanOrEqual(64);
        expect(uid.startsWith('2.25.')).toBe(true);
        const n = BigInt(uid.slice(5));
        expect(n < 1n << 128n).toBe(true);
        const hex = n.toString(16).padStart(32, '0');
        expect(hex[12]).toBe('8');
        expect(['8', '9', 'a', 'b']).toContain(hex[16]);
      }),
      { numRuns: 300 },
    );
  });

  it('deriveUid with no parts is an error', () => {
    expect(() => deriveUid()).toThrow(DicomError);
  });
});

describe('element values are checked against their VR', () => {
  it('refuses a structure set label longer than SH allows, a lower-case CS and a DS that is not DS text', () => {
    const d = dataset(() => undefined);
    expect(() => put(d, 'StructureSetLabel', 'a label of more than 16 characters')).toThrow(/\(3006,0002\) StructureSetLabel/);
    expect(() => put(d, 'Modality', 'ct')).toThrow(DicomError);
    expect(() => put(d, 'SliceThickness', '2.5 mm')).toThrow(DicomError);
    expect(() => put(d, 'ROIName', 'a\\b')).toThrow(/backslash/);
    expect(() => put(d, 'Rows', 70000)).toThrow(DicomError);
    expect(() => put(d, 'SOPInstanceUID', '1.02.3')).toThrow(DicomError);
  });
});
