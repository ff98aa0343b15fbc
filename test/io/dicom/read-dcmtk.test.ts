/**
 * Transfer syntaxes on CT and dose: pydicom's CT_small.dcm and rtdose.dcm re-encoded by dcmtk
 * (dcmconv, dcmcrle, dcmcjpeg; Debian dcmtk) must read to the same grid and values as the
 * originals, or give the unsupported-syntax DicomError for JPEG.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCtSeries } from '../../../src/io/dicom/read/ct.js';
import { parseDicom } from '../../../src/io/dicom/read/parse.js';
import { readRtDose } from '../../../src/io/dicom/read/rtdose.js';
import { loadInput } from '../../../src/io/dicom/read/source.js';
import { pydicomFile, tempFolder } from '../../fixtures/dicom-testdata.js';
import { expectDicomError } from '../../helpers/errors.js';
import { TOOLS, have, runTool } from '../../helpers/external.js';

const SYNTAXES = [
  ['+ti', '1.2.840.10008.1.2'],
  ['+te', '1.2.840.10008.1.2.1'],
  ['+tb', '1.2.840.10008.1.2.2'],
  ['+td', '1.2.840.10008.1.2.1.99'],
] as const;

function dcmtk(tool: string, args: string[]): void {
  const r = runTool(tool, args);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${r.stderr}`);
}

describe.runIf(have(TOOLS.dcmdump) && have(TOOLS.pydicom))('transfer syntaxes written by dcmtk', () => {
  const tmp = tempFolder('read-dcmtk');
  const converted = (name: string, option: string): string => join(tmp.dir, `${option.replace('+', '')}-${name}`);

  beforeAll(() => {
    for (const name of ['CT_small.dcm', 'rtdose.dcm']) {
      for (const [option] of SYNTAXES) dcmtk('dcmconv', [option, pydicomFile(name), converted(name, option)]);
      dcmtk('dcmcrle', [pydicomFile(name), converted(name, 'rle')]);
    }
    dcmtk('dcmcjpeg', ['+e1', pydicomFile('CT_small.dcm'), converted('CT_small.dcm', 'jpeg')]);
  });
  afterAll(() => tmp.remove());

  it.each(SYNTAXES)('dcmconv %s (%s): CT and dose read as the originals', (option, uid) => {
    const ct = readCtSeries([pydicomFile('CT_small.dcm')]);
    const ctFile = converted('CT_small.dcm', option);
    expect(parseDicom(loadInput(ctFile)).transferSyntaxUid).toBe(uid);
    const ct2 = readCtSeries([ctFile]);
    expect(ct2.hu.grid).toEqual(ct.hu.grid);
    expect(ct2.hu.data).toEqual(ct.hu.data);
    const dose = readRtDose(pydicomFile('rtdose.dcm'));
    const dose2 = readRtDose(converted('rtdose.dcm', option));
    expect(dose2.dose.grid).toEqual(dose.dose.grid);
    if (option !== '+tb') expect(dose2.dose.data).toEqual(dose.dose.data);
  });

  it('big endian 32-bit dose: pydicom\'s convention (whole 32-bit values big endian), not dcmtk\'s (16-bit words swapped)', () => {
    // pydicom's rtdose_expb.dcm reads as rtdose.dcm (read-pydicom.test.ts). dcmtk treats OW as 16-bit
    // words, so its big-endian copy holds each 32-bit value with its 16-bit halves in little-endian
    // order: read with pydicom's convention, value v comes back as (low half << 16) | high half.
    const stored = (file: string): Uint32Array => {
      const parsed = parseDicom(loadInput(file));
      const px = parsed.pixelData!;
      if (px.encapsulated) throw new Error('expected native pixel data');
      const view = new DataView(px.bytes.buffer, px.bytes.byteOffset, px.bytes.byteLength);
      const le = parsed.transferSyntaxUid !== '1.2.840.10008.1.2.2';
      return Uint32Array.from({ length: px.bytes.byteLength / 4 }, (_, n) => view.getUint32(4 * n, le));
    };
    const original = stored(pydicomFile('rtdose.dcm'));
    const swappedHalves = original.map((v) => ((v & 0xffff) * 0x10000 + (v >>> 16)) >>> 0);
    expect(stored(converted('rtdose.dcm', '+tb'))).toEqual(swappedHalves);
    const scaling = 1e-6;
    const dose = readRtDose(converted('rtdose.dcm', '+tb')).dose.data;
    for (let n = 0; n < dose.length; n += 37) expect(dose[n]).toBeCloseTo(swappedHalves[n]! * scaling, 0);
  });

  it('dcmcrle (RLE lossless) of a signed 16-bit CT and a 32-bit multi-frame dose decodes to the originals', () => {
    const ctFile = converted('CT_small.dcm', 'rle');
    expect(parseDicom(loadInput(ctFile)).transferSyntaxUid).toBe('1.2.840.10008.1.2.5');
    expect(readCtSeries([ctFile]).hu.data).toEqual(readCtSeries([pydicomFile('CT_small.dcm')]).hu.data);
    // dcmcrle writes a Basic Offset Table (15 frames x 4 bytes): frames are located through it.
    const rle = parseDicom(loadInput(converted('rtdose.dcm', 'rle'))).pixelData;
    expect(rle?.encapsulated && [rle.offsetTable.length, rle.fragments.length]).toEqual([60, 15]);
    expect(readRtDose(converted('rtdose.dcm', 'rle')).dose.data).toEqual(readRtDose(pydicomFile('rtdose.dcm')).dose.data);
  });

  it('dcmcjpeg (JPEG lossless SV1) CT: DicomError naming the transfer syntax', () => {
    const file = converted('CT_small.dcm', 'jpeg');
    expectDicomError(() => readCtSeries([file]), '1.2.840.10008.1.2.4.70 (JPEG Lossless, Non-Hierarchical, First-Order Prediction', file);
  });
});
