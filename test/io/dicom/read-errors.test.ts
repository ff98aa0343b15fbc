/**
 * Bad and unusual inputs, built in a temporary folder from valid pydicom test files (the originals
 * are never touched): each must give the documented result or a DicomError that names the file,
 * the tag and what was wrong. Expected geometry is derived by hand from the positions written.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { indexToLps } from '../../../src/geometry/grid.js';
import type { RawDataset } from '../../../src/io/dicom/dcmjs.js';
import { readCtSeries } from '../../../src/io/dicom/read/ct.js';
import { readRtDose } from '../../../src/io/dicom/read/rtdose.js';
import { readRtPlan } from '../../../src/io/dicom/read/rtplan.js';
import { readStructureSet } from '../../../src/io/dicom/read/rtstruct.js';
import { scanDicom } from '../../../src/io/dicom/read/scan.js';
import { pydicomFile, rewriteDicom, setValue, shuffled, tempFolder } from '../../fixtures/dicom-testdata.js';
import { expectDicomError } from '../../helpers/errors.js';
import { TOOLS, have } from '../../helpers/external.js';

/** Items of a sequence in a dcmjs dataset. */
const items = (ds: RawDataset, tag: string): RawDataset[] => (ds[tag]?.Value ?? []) as RawDataset[];

describe('reader input errors without external files', () => {
  const tmp = tempFolder('read-errors-local');
  afterAll(() => tmp.remove());

  it('a missing file is a DicomError naming it', () => {
    const file = join(tmp.dir, 'absent.dcm');
    const e = expectDicomError(() => readRtDose(file), 'cannot read file: no such file', file);
    expect(e.context.file).toBe(file);
  });

  it('an empty file and a text file are "not a DICOM file"', () => {
    const empty = join(tmp.dir, 'empty.dcm');
    const text = join(tmp.dir, 'notes.txt');
    writeFileSync(empty, '');
    writeFileSync(text, 'lattice plan notes\n'.repeat(20));
    expectDicomError(() => readStructureSet(empty), 'not a DICOM file', empty);
    expectDicomError(() => readRtPlan(text), 'not a DICOM file', text);
    expectDicomError(() => readCtSeries([]), 'no files given');
  });

  it('scanDicom of a missing path is a DicomError; of a folder without DICOM lists the skipped files', () => {
    expectDicomError(() => scanDicom(join(tmp.dir, 'nowhere')), 'no such file or folder');
    const inv = scanDicom(tmp.dir);
    expect(inv.patients).toEqual([]);
    expect(inv.skipped.map((s) => s.reason)).toEqual(expect.arrayContaining([expect.stringContaining('not a DICOM file')]));
  });
});

describe.runIf(have(TOOLS.pydicom))('reader errors on altered copies of pydicom files', () => {
  const tmp = tempFolder('read-errors');
  afterAll(() => tmp.remove());
  let counter = 0;
  const out = (name: string): string => join(tmp.dir, `${counter++}-${name}`);

  // ---------------------------------------------------------------- CT series from CT_small.dcm
  /** CT_small.dcm copies at the given ImagePositionPatient (null: attribute removed). */
  function ctSeries(
    positions: readonly (readonly number[] | null)[],
    edit: (ds: RawDataset, n: number) => void = () => {},
  ): string[] {
    const series = counter++;
    return positions.map((p, n) =>
      rewriteDicom(pydicomFile('CT_small.dcm'), out(`ct${n}.dcm`), (ds, meta) => {
        if (p === null) delete ds['00200032'];
        else setValue(ds, '00200032', 'DS', [...p]);
        const uid = `1.2.826.0.1.3680043.8.498.77.${series}.${n + 1}`;
        setValue(ds, '00080018', 'UI', [uid]);
        setValue(meta, '00020003', 'UI', [uid]);
        edit(ds, n);
      }),
    );
  }
  const x0 = -158.135803;
  const y0 = -179.035797;
  const at = (z: number, dy = 0): number[] => [x0, y0 + dy, z];

  it('shuffled slices are ordered along the normal with the gap as k spacing and every slice keeps its HU', () => {
    const files = ctSeries([at(-10), at(-7), at(-4), at(-1), at(2)]);
    const one = readCtSeries([files[0]!]);
    const ct = readCtSeries(shuffled(files, 7));
    expect(ct.slices.map((s) => s.file)).toEqual(files);
    expect(ct.slices.map((s) => s.positionMm)).toEqual([-10, -7, -4, -1, 2]);
    expect(ct.hu.grid.size).toEqual([128, 128, 5]);
    expect(ct.hu.grid.spacingMm[2]).toBeCloseTo(3, 12);
    expect([...ct.hu.grid.originMm]).toEqual(at(-10));
    const n = 128 * 128;
    for (let k = 0; k < 5; k++) expect(ct.hu.data.subarray(k * n, (k + 1) * n)).toEqual(one.hu.data);
  });

  it('with column cosines (0, -1, 0) the normal is -z: k runs towards -z from the highest slice', () => {
    const files = ctSeries([at(0), at(5), at(10)], (ds) => setValue(ds, '00200037', 'DS', [1, 0, 0, 0, -1, 0]));
    const ct = readCtSeries(files);
    expect(ct.slices.map((s) => s.file)).toEqual([files[2], files[1], files[0]]);
    expect([...ct.hu.grid.originMm]).toEqual(at(10));
    expect([...ct.hu.grid.direction]).toEqual([1, 0, 0, 0, -1, 0, 0, 0, -1]);
    expect([...indexToLps(ct.hu.grid, [0, 0, 2])]).toEqual(at(0).map((v, a) => (a === 2 ? 0 : v)));
  });

  it('two slices at one position: DicomError naming both files', () => {
    const files = ctSeries([at(0), at(3), at(3), at(6)]);
    expectDicomError(() => readCtSeries(files), 'duplicate slice position 3 mm', files[1]!, files[2]!, '(0020,0032) ImagePositionPatient');
  });

  it('a missing slice (uneven gaps): DicomError naming the two slices and the gaps', () => {
    const files = ctSeries([at(0), at(3), at(6), at(12), at(15)]);
    expectDicomError(
      () => readCtSeries(files),
      'uneven slice spacing',
      `slices 2 (${files[2]}) and 3 (${files[3]})`,
      'are 6 mm apart',
      'median gap is 3 mm',
      'gaps found: 3 mm (3x), 6 mm (1x)',
    );
  });

  it('gaps within 1 % are accepted and the mean gap is used', () => {
    const files = ctSeries([at(0), at(3.01), at(6), at(9)]);
    expect(readCtSeries(files).hu.grid.spacingMm[2]).toBeCloseTo(3, 12);
  });

  it('ImagePositionPatient stepping across the slice plane: gantry-tilted DicomError', () => {
    const files = ctSeries([at(0, 0), at(3, 0.5), at(6, 1), at(9, 1.5)]);
    expectDicomError(() => readCtSeries(files), 'gantry-tilted series', 'tilt about 9.46232 degrees', files[0]!, files[1]!);
  });

  it('a slice without ImagePositionPatient: DicomError naming the tag and the file', () => {
    const files = ctSeries([at(0), null, at(6)]);
    const e = expectDicomError(() => readCtSeries(files), 'missing required attribute', '(0020,0032) ImagePositionPatient', files[1]!);
    expect(e.context).toEqual({ file: files[1], tag: '(0020,0032) ImagePositionPatient' });
  });

  it('a slice without RescaleIntercept is refused (stored values are not HU without it)', () => {
    const files = ctSeries([at(0), at(3)], (ds, n) => {
      if (n === 1) delete ds['00281052'];
    });
    expectDicomError(() => readCtSeries(files), 'missing required attribute', '(0028,1052) RescaleIntercept', files[1]!);
  });

  it('slices of two series, or of different orientations or sizes, are refused', () => {
    const mixed = ctSeries([at(0), at(3)], (ds, n) => {
      if (n === 1) setValue(ds, '0020000E', 'UI', ['1.2.826.0.1.3680043.8.498.77.999']);
    });
    expectDicomError(() => readCtSeries(mixed), 'different series');
    const turned = ctSeries([at(0), at(3)], (ds, n) => {
      if (n === 1) setValue(ds, '00200037', 'DS', [0, 1, 0, 1, 0, 0]);
    });
    expectDicomError(() => readCtSeries(turned), 'different orientations', '(0020,0037) ImageOrientationPatient');
    const spacing = ctSeries([at(0), at(3)], (ds, n) => {
      if (n === 1) setValue(ds, '00280030', 'DS', [0.7, 0.661468]);
    });
    expectDicomError(() => readCtSeries(spacing), 'different pixel spacings');
  });

  it('one slice with a corrupted FrameOfReferenceUID: the message says which slices name which frame and what to do', () => {
    const files = ctSeries([at(0), at(3), at(6), at(9)], (ds, n) => {
      if (n === 2) setValue(ds, '00200052', 'UI', ['1.2.826.0.1.3680043.8.498.77.666']);
    });
    expectDicomError(() => readCtSeries(files), 'name 2 frames of reference', '(0020,0052) FrameOfReferenceUID');
    try {
      readCtSeries(files);
    } catch (e) {
      const m = (e as Error).message;
      // The majority (3 slices) first, then the odd one, by file; the remedy names the tag.
      expect(m).toMatch(/: \S+ \(3 slices: .*\); 1\.2\.826\.0\.1\.3680043\.8\.498\.77\.666 \(1 slice: \S+ct2\.dcm\)\. One series has one frame of reference: repair the FrameOfReferenceUID of the 1 slice\(s\)/);
    }
  });

  it('ImageOrientationPatient that is not two orthogonal unit vectors is refused', () => {
    const files = ctSeries([at(0)], (ds) => setValue(ds, '00200037', 'DS', [1, 0, 0, 0.5, 1, 0]));
    expectDicomError(() => readCtSeries(files), 'expected two orthogonal unit vectors', '(0020,0037) ImageOrientationPatient');
  });

  it('an RT Dose file is not a CT slice', () => {
    const file = pydicomFile('rtdose.dcm');
    expectDicomError(() => readCtSeries([file]), 'expected a CT image (Modality CT), found Modality RTDOSE', file);
  });

  // ---------------------------------------------------------------- RT Dose from rtdose.dcm
  const z0 = -761.87;
  const doseCopy = (edit: (ds: RawDataset) => void): string => rewriteDicom(pydicomFile('rtdose.dcm'), out('dose.dcm'), edit);
  const offsets = (f: (k: number) => number): number[] => Array.from({ length: 15 }, (_, k) => f(k));

  it('pixel data shorter than rows x columns x frames: DicomError with both sizes', () => {
    const file = doseCopy((ds) => {
      const px = ds['7FE00010']!.Value![0] as ArrayBuffer;
      ds['7FE00010'] = { vr: 'OW', Value: [px.slice(0, 5000)] };
    });
    expectDicomError(
      () => readRtDose(file),
      'pixel data holds 5000 bytes, expected 10 rows x 10 columns x 15 frame(s) x 4 bytes = 6000',
      '(7FE0,0010) PixelData',
      file,
    );
  });

  it('absolute offsets (first = ImagePositionPatient z) give the same grid as relative ones', () => {
    const relative = readRtDose(pydicomFile('rtdose.dcm'));
    const absolute = readRtDose(doseCopy((ds) => setValue(ds, '3004000C', 'DS', offsets((k) => z0 + 5 * k))));
    expect(absolute.dose.grid).toEqual(relative.dose.grid);
    expect(absolute.dose.data).toEqual(relative.dose.data);
  });

  it('a dose read from a file is in shared memory (for the DVH pool\'s threads, no copy), the same values as from bytes', () => {
    const fromFile = readRtDose(pydicomFile('rtdose.dcm'));
    expect(fromFile.dose.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const fromBytes = readRtDose({ name: 'rtdose.dcm', bytes: readFileSync(pydicomFile('rtdose.dcm')) });
    expect(fromBytes.dose.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...fromFile.dose.data]).toEqual([...fromBytes.dose.data]);
  });

  it('decreasing offsets put frame k at z0 - 5k: the k axis points to -z', () => {
    const dose = readRtDose(doseCopy((ds) => setValue(ds, '3004000C', 'DS', offsets((k) => -5 * k))));
    expect(dose.dose.grid.spacingMm[2]).toBe(5);
    expect(indexToLps(dose.dose.grid, [0, 0, 14])[2]).toBeCloseTo(z0 - 70, 9);
  });

  it('uneven or unanchored offsets and bad units are DicomErrors naming the tag', () => {
    const uneven = doseCopy((ds) => setValue(ds, '3004000C', 'DS', offsets((k) => (k < 10 ? 5 * k : 5 * k + 2))));
    expectDicomError(() => readRtDose(uneven), 'uneven frame spacing: frames 9 and 10 are 7 mm apart', '(3004,000C) GridFrameOffsetVector', uneven);
    const shifted = doseCopy((ds) => setValue(ds, '3004000C', 'DS', offsets((k) => 3 + 5 * k)));
    expectDicomError(() => readRtDose(shifted), 'first offset 3 mm is neither 0', 'GridFrameOffsetVector');
    const short = doseCopy((ds) => setValue(ds, '3004000C', 'DS', [0, 5, 10]));
    expectDicomError(() => readRtDose(short), 'expected 15 offsets (one per frame), found 3');
    const cgy = doseCopy((ds) => setValue(ds, '30040002', 'CS', ['CGY']));
    expectDicomError(() => readRtDose(cgy), 'expected GY or RELATIVE, found CGY', '(3004,0002) DoseUnits');
    const noScaling = doseCopy((ds) => delete ds['3004000E']);
    expectDicomError(() => readRtDose(noScaling), 'missing required attribute', '(3004,000E) DoseGridScaling');
  });

  it('GY dose is stored value x DoseGridScaling, in Gy', () => {
    const relative = readRtDose(pydicomFile('rtdose.dcm'));
    const gy = readRtDose(
      doseCopy((ds) => {
        setValue(ds, '30040002', 'CS', ['GY']);
        setValue(ds, '3004000E', 'DS', [2e-5]);
      }),
    );
    expect(gy.units).toBe('GY');
    for (let n = 0; n < gy.dose.data.length; n += 97) expect(gy.dose.data[n]).toBeCloseTo(relative.dose.data[n]! * 20, 3);
  });

  it('a plan is not a dose', () => {
    const file = pydicomFile('rtplan.dcm');
    expectDicomError(() => readRtDose(file), 'expected an RT Dose (Modality RTDOSE), found Modality RTPLAN', '(0008,0060) Modality', file);
  });

  // ---------------------------------------------------------------- RT Structure Set from rtstruct.dcm
  const structCopy = (edit: (ds: RawDataset) => void): string => rewriteDicom(pydicomFile('rtstruct.dcm'), out('rs.dcm'), edit);
  const firstContour = (ds: RawDataset): RawDataset => items(items(ds, '30060039')[0]!, '30060040')[0]!;

  it('a CLOSED_PLANAR contour of 2 points is dropped with a warning naming the structure and contour', () => {
    const file = structCopy((ds) => {
      setValue(firstContour(ds), '30060050', 'DS', [0, 0, 0, 10, 0, 0]);
      setValue(firstContour(ds), '30060046', 'IS', [2]);
    });
    const ss = readStructureSet(file);
    expect(ss.structures[0]!.contours).toHaveLength(2);
    expect(ss.warnings).toEqual([
      'structure "patient", contour 0: CLOSED_PLANAR contour with 2 point(s), a polygon needs at least 3; dropped',
    ]);
  });

  it('ContourData that is not x, y, z triples is a DicomError naming the structure', () => {
    const file = structCopy((ds) => setValue(firstContour(ds), '30060050', 'DS', [0, 0, 0, 10, 0, 0, 5]));
    const e = expectDicomError(() => readStructureSet(file), 'expected x, y, z triples, found 7 numbers', '(3006,0050) ContourData');
    expect(e.context.structure).toBe('patient');
  });

  it('plastimatch style: ROI number 0 and no observations read with interpreted type ""', () => {
    const file = structCopy((ds) => {
      setValue(items(ds, '30060020')[0]!, '30060022', 'IS', [0]);
      setValue(items(ds, '30060039')[0]!, '30060084', 'IS', [0]);
      delete ds['30060080'];
    });
    const ss = readStructureSet(file);
    expect(ss.structures.map((s) => [s.roiNumber, s.name, s.interpretedType])).toEqual([
      [0, 'patient', ''],
      [2, 'Isocenter 1', ''],
      [3, 'Isocenter 2', ''],
    ]);
    expect(ss.structures[0]!.contours).toHaveLength(3);
  });

  it('two ROIs with one number is a DicomError', () => {
    const file = structCopy((ds) => setValue(items(ds, '30060020')[1]!, '30060022', 'IS', [1]));
    expectDicomError(() => readStructureSet(file), 'ROI number 1 is used by both "patient" and "Isocenter 1"', '(3006,0022) ROINumber');
  });

  // ---------------------------------------------------------------- RT Plan from rtplan.dcm
  const planCopy = (edit: (ds: RawDataset) => void): string => rewriteDicom(pydicomFile('rtplan.dcm'), out('plan.dcm'), edit);
  const beam0 = (ds: RawDataset): RawDataset => items(ds, '300A00B0')[0]!;
  const cp = (ds: RawDataset, i: number): RawDataset => items(beam0(ds), '300A0111')[i]!;

  it('a first control point without GantryAngle is a DicomError naming the tag and the control point', () => {
    const file = planCopy((ds) => delete cp(ds, 0)['300A011E']);
    expectDicomError(
      () => readRtPlan(file),
      'BeamSequence[0] > ControlPointSequence[0]: missing required attribute',
      '(300A,011E) GantryAngle',
      file,
    );
  });

  it('an MLC stated at the first control point only is carried to the next; leaf boundaries are kept', () => {
    const boundaries = [-15, -5, 5, 15];
    const leaves = [-10, -20, -30, 11, 21, 31];
    const file = planCopy((ds) => {
      items(beam0(ds), '300A00B6').push({
        '300A00B8': { vr: 'CS', Value: ['MLCX'] },
        '300A00BC': { vr: 'IS', Value: [3] },
        '300A00BE': { vr: 'DS', Value: boundaries },
      });
      items(cp(ds, 0), '300A011A').push({ '300A00B8': { vr: 'CS', Value: ['MLCX'] }, '300A011C': { vr: 'DS', Value: leaves } });
      setValue(cp(ds, 1), '300A011E', 'DS', [90]);
    });
    const beam = readRtPlan(file).beams[0]!;
    expect([...beam.leafBoundariesMm.MLCX!]).toEqual(boundaries);
    expect([...beam.controlPoints[0]!.mlcMm!.MLCX!]).toEqual(leaves);
    expect([...beam.controlPoints[1]!.mlcMm!.MLCX!]).toEqual(leaves);
    expect(beam.controlPoints.map((c) => c.gantryAngleDeg)).toEqual([0, 90]);
    expect(beam.controlPoints[1]!.jawsMm).toEqual({ X: [-100, 100], Y: [-100, 100] });
  });

  it('MLC positions not matching the leaf pairs, decreasing meterset weights and unknown beam types are DicomErrors', () => {
    const wrongCount = planCopy((ds) => {
      items(beam0(ds), '300A00B6').push({ '300A00B8': { vr: 'CS', Value: ['MLCX'] }, '300A00BC': { vr: 'IS', Value: [3] } });
      items(cp(ds, 0), '300A011A').push({ '300A00B8': { vr: 'CS', Value: ['MLCX'] }, '300A011C': { vr: 'DS', Value: [1, 2, 3, 4] } });
    });
    expectDicomError(() => readRtPlan(wrongCount), 'expected 6 positions for 3 MLCX pair(s), found 4', '(300A,011C) LeafJawPositions');
    const decreasing = planCopy((ds) => setValue(cp(ds, 1), '300A0134', 'DS', [-0.5]));
    expectDicomError(() => readRtPlan(decreasing), 'cumulative meterset weight decreases from 0 to -0.5');
    const arc = planCopy((ds) => setValue(beam0(ds), '300A00C4', 'CS', ['ARC']));
    expectDicomError(() => readRtPlan(arc), 'expected STATIC or DYNAMIC, found ARC', '(300A,00C4) BeamType');
  });

  // ---------------------------------------------------------------- scan
  it('scanDicom lists a second copy of an object and a non-DICOM file as skipped, with reasons', () => {
    const dir = tempFolder('scan');
    try {
      const a = rewriteDicom(pydicomFile('CT_small.dcm'), join(dir.dir, 'a.dcm'), () => {});
      rewriteDicom(pydicomFile('CT_small.dcm'), join(dir.dir, 'b.dcm'), () => {});
      writeFileSync(join(dir.dir, 'c.txt'), 'hello');
      const inv = scanDicom(dir.dir);
      expect(inv.fileCount).toBe(3);
      expect(inv.patients[0]!.studies[0]!.series[0]!.files).toEqual([a]);
      expect(inv.skipped).toEqual([
        { file: join(dir.dir, 'b.dcm'), reason: `same SOPInstanceUID as ${a} (a second copy of one object)` },
        { file: join(dir.dir, 'c.txt'), reason: 'not a DICOM file: no "DICM" marker at byte 128 and no DICOM data element at the start' },
      ]);
    } finally {
      dir.remove();
    }
  });
});
