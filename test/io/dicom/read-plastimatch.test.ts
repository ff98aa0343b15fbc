/**
 * The readers on a CT + RTSTRUCT + RTDOSE set written by another program's DICOM writer
 * (`plastimatch synth`, Debian plastimatch), with the expected values read by pydicom.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { indexToLps } from '../../../src/geometry/grid.js';
import { readCtGeometry, readCtSeries } from '../../../src/io/dicom/read/ct.js';
import { describeDicom, formatSummary } from '../../../src/io/dicom/read/describe.js';
import { readRtDose } from '../../../src/io/dicom/read/rtdose.js';
import { readStructureSet } from '../../../src/io/dicom/read/rtstruct.js';
import { readHeader, scanDicom } from '../../../src/io/dicom/read/scan.js';
import { python, shuffled, tempFolder } from '../../fixtures/dicom-testdata.js';
import { TOOLS, have, runTool } from '../../helpers/external.js';

interface PyCt {
  files: string[];
  positions: number[];
  ipp: number[][];
  iop: number[];
  normal: number[];
  spacing: [number, number];
  rows: number;
  columns: number;
  hu: number[];
}

/** pydicom's view of a CT series: slices sorted along the normal (row x column cosines), HU stacked. */
const CT_PY = `
import sys, json, numpy as np, pydicom
ds = [pydicom.dcmread(f) for f in sys.argv[1:]]
iop = np.array(ds[0].ImageOrientationPatient, dtype=float)
n = np.cross(iop[:3], iop[3:])
pos = lambda d: float(np.dot(np.array(d.ImagePositionPatient, dtype=float), n))
ds.sort(key=pos)
hu = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in ds])
print(json.dumps({'files': [d.filename for d in ds], 'positions': [pos(d) for d in ds],
  'ipp': [[float(x) for x in d.ImagePositionPatient] for d in ds], 'iop': iop.tolist(), 'normal': n.tolist(),
  'spacing': [float(x) for x in ds[0].PixelSpacing], 'rows': int(ds[0].Rows), 'columns': int(ds[0].Columns),
  'hu': hu.ravel().tolist()}))
`;

function synth(dir: string, args: string[]): void {
  const r = runTool(TOOLS.plastimatch.command, ['synth', '--output-dicom', dir, ...args]);
  if (r.status !== 0) throw new Error(`plastimatch synth failed: ${r.stderr}`);
}

describe.runIf(have(TOOLS.plastimatch) && have(TOOLS.pydicom))('DICOM readers on plastimatch synth output', () => {
  const tmp = tempFolder('read-plastimatch');
  const axial = join(tmp.dir, 'sphere');
  const oblique = join(tmp.dir, 'oblique');
  const files = (dir: string, prefix: string): string[] =>
    readdirSync(dir).filter((f) => f.startsWith(prefix)).sort().map((f) => join(dir, f));

  beforeAll(() => {
    // 40 x 40 x 30 voxels of 2 x 2 x 3 mm, a 20 mm sphere of 40 HU in air: CT, RTSTRUCT and RTDOSE.
    synth(axial, ['--pattern', 'sphere', '--dim', '40 40 30', '--spacing', '2 2 3', '--origin', '-39 -39 -43.5',
      '--radius', '20', '--background', '-1000', '--foreground', '40', '--output-type', 'short']);
    // Non-square pixels (2 mm between columns, 2.5 mm between rows) in a rotated image plane.
    synth(oblique, ['--pattern', 'sphere', '--dim', '20 24 10', '--spacing', '2 2.5 3', '--origin', '-20 -30 -15',
      '--radius', '15', '--background', '-1000', '--foreground', '40', '--direction-cosines', 'rotated-1',
      '--output-type', 'short']);
  });
  afterAll(() => tmp.remove());

  it('scanDicom groups the CT slices, structure set and dose into one patient and one study', () => {
    const inv = scanDicom(axial);
    expect(inv.skipped).toEqual([]);
    expect(inv.patients).toHaveLength(1);
    expect(inv.patients[0]!.studies).toHaveLength(1);
    const series = inv.patients[0]!.studies[0]!.series;
    expect(series.map((s) => [s.modality, s.files.length])).toEqual([
      ['CT', 30],
      ['RTSTRUCT', 1],
      ['RTDOSE', 1],
    ]);
    expect(series[0]!.files).toEqual(files(axial, 'image'));
  });

  it('readCtSeries orders shuffled slices along the normal and matches pydicom grid and HU', () => {
    const ctFiles = files(axial, 'image');
    const py = python<PyCt>(CT_PY, ...ctFiles);
    const ct = readCtSeries(shuffled(ctFiles, 42));
    const g = ct.hu.grid;
    expect(g.size).toEqual([py.columns, py.rows, py.files.length]);
    expect(g.spacingMm[0]).toBe(py.spacing[1]);
    expect(g.spacingMm[1]).toBe(py.spacing[0]);
    expect(g.spacingMm[2]).toBeCloseTo(py.positions[1]! - py.positions[0]!, 9);
    expect([...g.originMm]).toEqual(py.ipp[0]);
    expect(ct.slices.map((s) => s.file)).toEqual(py.files);
    ct.slices.forEach((s, k) => {
      expect(s.k).toBe(k);
      expect(s.positionMm).toBeCloseTo(py.positions[k]!, 9);
    });
    expect(Array.from(ct.hu.data)).toEqual(py.hu);
    expect(readCtGeometry(ctFiles).grid).toEqual(g);
  });

  it('an oblique series with non-square pixels: every slice corner lies where pydicom puts it', () => {
    const ctFiles = files(oblique, 'image');
    const py = python<PyCt>(CT_PY, ...ctFiles);
    const { grid } = readCtGeometry(ctFiles);
    const [rowSpacing, columnSpacing] = py.spacing;
    const row = py.iop.slice(0, 3);
    const col = py.iop.slice(3, 6);
    for (const k of [0, py.files.length - 1]) {
      for (const [i, j] of [[0, 0], [py.columns - 1, 0], [0, py.rows - 1], [py.columns - 1, py.rows - 1]] as const) {
        // PS3.3 C.7.6.2.1.1: P = S + X * column spacing * i + Y * row spacing * j.
        const want = py.ipp[k]!.map((s, a) => s + row[a]! * columnSpacing * i + col[a]! * rowSpacing * j);
        const got = indexToLps(grid, [i, j, k]);
        for (let a = 0; a < 3; a++) expect(got[a]).toBeCloseTo(want[a]!, 4);
      }
    }
  });

  it('the plastimatch structure set (no interpreted type) reads ROI numbers, names and contours like pydicom', () => {
    const [file] = files(axial, 'rtss');
    const py = python<{ rois: [number, string][]; contours: Record<string, number[][]>; types: string[] }>(
      `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(json.dumps({'rois': [[int(r.ROINumber), r.ROIName] for r in ds.StructureSetROISequence],
  'contours': {str(int(c.ReferencedROINumber)): [[float(v) for v in x.ContourData] for x in c.ContourSequence]
     for c in ds.ROIContourSequence},
  'types': [o.get('RTROIInterpretedType', '') for o in ds.RTROIObservationsSequence]}))
`,
      file!,
    );
    const ss = readStructureSet(file!);
    expect(ss.structures.map((s) => [s.roiNumber, s.name])).toEqual(py.rois);
    expect(py.types).toEqual(['']);
    expect(ss.structures.map((s) => s.interpretedType)).toEqual(['']);
    for (const s of ss.structures) {
      expect(s.contours.map((c) => [...c.pointsLps])).toEqual(py.contours[String(s.roiNumber)]);
      expect(s.contours.every((c) => c.geometricType === 'CLOSED_PLANAR')).toBe(true);
    }
    const ctHeader = readHeader(files(axial, 'image')[0]!).dataset;
    expect(ss.frameOfReferenceUid).toBe(ctHeader.string('FrameOfReferenceUID'));
    expect(ss.referencedSeriesInstanceUid).toBe(ctHeader.string('SeriesInstanceUID'));
  });

  it('the plastimatch dose reads the grid and maximum pydicom reads', () => {
    const [file] = files(axial, 'dose');
    const py = python<{ size: number[]; spacing: number[]; origin: number[]; step: number; max: number; units: string }>(
      `
import sys, json, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
a = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
print(json.dumps({'size': [int(ds.Columns), int(ds.Rows), int(ds.NumberOfFrames)],
  'spacing': [float(x) for x in ds.PixelSpacing], 'origin': [float(x) for x in ds.ImagePositionPatient],
  'step': float(ds.GridFrameOffsetVector[1]) - float(ds.GridFrameOffsetVector[0]), 'max': float(a.max()),
  'units': ds.DoseUnits}))
`,
      file!,
    );
    const dose = readRtDose(file!);
    expect(dose.dose.grid.size).toEqual(py.size);
    expect(dose.dose.grid.spacingMm).toEqual([py.spacing[1], py.spacing[0], py.step]);
    expect([...dose.dose.grid.originMm]).toEqual(py.origin);
    expect(dose.units).toBe(py.units);
    expect(Math.max(...dose.dose.data)).toBeCloseTo(py.max, 4);
    const ct = readCtGeometry(files(axial, 'image'));
    expect(dose.frameOfReferenceUid).not.toBe('');
    expect(dose.studyInstanceUid).toBe(readStructureSet(files(axial, 'rtss')[0]!).studyInstanceUid);
    expect(ct.grid.size).toEqual(dose.dose.grid.size);
  });

  it('describeDicom summarises the folder as JSON-able data and formatSummary prints it', () => {
    const summary = describeDicom(axial);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
    const study = summary.patients[0]!.studies[0]!;
    const [ct, rtstruct, rtdose] = study.series;
    expect(ct!.ct?.sliceCount).toBe(30);
    expect(ct!.ct?.grid.size).toEqual([40, 40, 30]);
    expect(ct!.ct?.grid.spacingMm).toEqual([2, 2, 3]);
    expect(rtstruct!.structureSets?.[0]?.rois.map((r) => [r.number, r.name, r.interpretedType])).toEqual([[1, 'Foreground', '']]);
    const dose = readRtDose(files(axial, 'dose')[0]!);
    expect(rtdose!.doses?.[0]?.maxDoseGy).toBe(Math.max(...dose.dose.data));
    expect(summary.skipped).toEqual([]);
    const text = formatSummary(summary);
    expect(text).toContain('30 slices, grid 40 x 40 x 30 voxels, spacing [2, 2, 3] mm, origin [-39, -39, -43.5] mm');
    expect(text).toContain('#1 Foreground (no type)');
    expect(text).toMatch(/dose PLAN .*: max [\d.]+ Gy/u);
  });
});
