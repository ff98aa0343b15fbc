/**
 * The DICOM-RT writers checked by outside tools: dciodvfy (dicom3tools) validates each IOD, pydicom
 * reads back what we wrote, dcmdump (dcmtk) parses it, and dicompyler-core computes a DVH from our
 * RTSTRUCT and RTDOSE. Every fixture is synthetic and built here.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DicomError, GeometryError, LatticeError } from '../../../src/core/errors.js';
import type { Mat3 } from '../../../src/core/vec3.js';
import { createGrid, indexToLps, type Grid } from '../../../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../../../src/geometry/structure.js';
import { createScalarVolume, type ScalarVolume } from '../../../src/geometry/volume.js';
import type { StructureSet } from '../../../src/io/dicom/model.js';
import { deriveUid, frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../../../src/io/dicom/uid.js';
import {
  addRoisToStructureSet,
  referencedCtOf,
  writeCtSeries,
  writeRtDose,
  writeStructureSet,
  type WrittenCtSeries,
  type WrittenRtDose,
} from '../../../src/io/dicom/write/index.js';
import { TOOLS, have, runTool } from '../../helpers/external.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const DATE = new Date(Date.UTC(2024, 4, 17, 9, 30, 0));
const OPTIONS = { date: DATE, studyId: 'LRT-1', seriesNumber: 1 } as const;

const HFS: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
/** Feet-first supine: rows run to patient right, slices run inferior (k = row x column). */
const FFS: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, -1];

/** CT 24 x 20 x 10, unequal in-plane spacing so that a PixelSpacing order mistake shows. */
const CT_SPEC = { size: [24, 20, 10] as const, spacingMm: [1.5, 2, 2.5] as const };
const huAt = (i: number, j: number, k: number): number => -1024 + ((i * 37 + j * 101 + k * 211) % 4096);

/** Dose grid for the DVH: 1 mm in plane (dicompyler-core 0.5.5 takes PixelSpacing[0] along x, so keep them equal). */
const DOSE_GRID_SPEC = { size: [41, 41, 10] as const, spacingMm: [1, 1, 2.5] as const, originMm: [-20, -20, -11.25] as const };
/** Largest dose: makes the 32-bit DoseGridScaling 1.6e-8 Gy, the value dcmjs would cut to "1.6". */
const MAX_DOSE_GY = 1.6e-8 * 4294967295;

const study = studyInstanceUidFor('lattice-rt write test');
const patient = { patientId: 'LRT-TEST-01', patientName: 'Phantom^Lattice', studyInstanceUid: study, studyDescription: 'synthetic write test' };
const planUid = deriveUid('lattice-rt write test', 'plan');

function ctVolume(direction: Mat3, originMm: readonly [number, number, number]): ScalarVolume {
  const grid = createGrid({ ...CT_SPEC, originMm, direction });
  const v = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  for (let k = 0, p = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) v.data[p] = huAt(i, j, k);
  return v;
}

function doseVolume(): ScalarVolume {
  const grid = createGrid(DOSE_GRID_SPEC);
  const v = createScalarVolume(grid);
  const [nx, ny, nz] = grid.size;
  for (let k = 0, p = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, p++) {
        const x = i - 20;
        const y = j - 20;
        // 2 Gy in |x|, |y| <= 12 mm (holds every ROI), a gradient outside, the maximum in one corner.
        v.data[p] = Math.abs(x) <= 12 && Math.abs(y) <= 12 ? 2 : 0.5 + 0.013 * (i + 2 * j + 3 * k);
      }
    }
  }
  v.data[0] = MAX_DOSE_GY;
  return v;
}

const square = (zMm: number, halfMm: number): PlanarContour => ({
  geometricType: 'CLOSED_PLANAR',
  pointsLps: new Float64Array([-halfMm, -halfMm, zMm, halfMm, -halfMm, zMm, halfMm, halfMm, zMm, -halfMm, halfMm, zMm]),
});

const circle = (zMm: number, radiusMm: number, n: number, cx = 0, cy = 0): PlanarContour => {
  const pts = new Float64Array(3 * n);
  for (let m = 0; m < n; m++) {
    const t = (2 * Math.PI * m) / n;
    pts.set([cx + radiusMm * Math.cos(t), cy + radiusMm * Math.sin(t), zMm], 3 * m);
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: pts };
};

/** Area of a regular n-gon inscribed in a circle of radius r: (n / 2) r^2 sin(2 pi / n). */
const ngonArea = (r: number, n: number): number => (n / 2) * r * r * Math.sin((2 * Math.PI) / n);

const BOX_HALF_MM = 10.5;
const RING_OUTER_MM = 8.3;
const RING_INNER_MM = 3.7;
const RING_VERTICES = 72;
const RING_SLICES = [2, 3, 4, 5, 6, 7];
const OUTLINE_POINTS = 3000;

function structuresOn(ct: WrittenCtSeries): ContourStructure[] {
  const z = (k: number): number => indexToLps(ct.series.hu.grid, [0, 0, k])[2];
  return [
    {
      roiNumber: 1,
      name: 'Box',
      interpretedType: 'ORGAN',
      colorRgb: [255, 0, 0],
      contours: ct.series.slices.map((s) => square(z(s.k), BOX_HALF_MM)),
    },
    {
      roiNumber: 2,
      name: 'Ring',
      interpretedType: 'PTV',
      observationLabel: 'ring',
      colorRgb: [0, 255, 0],
      contours: RING_SLICES.flatMap((k) => [circle(z(k), RING_OUTER_MM, RING_VERTICES), circle(z(k), RING_INNER_MM, RING_VERTICES)]),
    },
    {
      roiNumber: 3,
      name: 'Marker',
      interpretedType: 'MARKER',
      colorRgb: [0, 0, 255],
      // Between two slices (1.25 mm from each): references no image.
      contours: [{ geometricType: 'POINT', pointsLps: new Float64Array([1, 2, z(0) + 1.25]) }],
    },
    {
      roiNumber: 4,
      name: 'Outline',
      interpretedType: 'EXTERNAL',
      colorRgb: [128, 128, 128],
      // 3000 points: ContourData of about 130 KiB, more than an explicit-VR DS length can hold.
      contours: [circle(z(5), 15.123456789, OUTLINE_POINTS, 0.000123456789, -0.987654321)],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// External tools
// ---------------------------------------------------------------------------------------------

function dciodvfy(path: string): { errors: string[]; warnings: string[] } {
  const r = runTool('dciodvfy', [path]);
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim());
  return { errors: lines.filter((l) => l.startsWith('Error')), warnings: lines.filter((l) => l.startsWith('Warning')) };
}

/** Warnings we accept, with the reason in the test that meets them. */
const ACCEPTED_WARNINGS = [
  // Laterality (type 2C) is written empty: the body part of a synthetic CT is unknown, which is
  // exactly when PS3.3 allows it empty; absent, dciodvfy reports an Error instead.
  /^Warning - is only permitted to be empty when actually unknown.*<Laterality>$/,
];

function expectValid(path: string): void {
  const { errors, warnings } = dciodvfy(path);
  expect(errors, path).toEqual([]);
  expect(
    warnings.filter((w) => !ACCEPTED_WARNINGS.some((re) => re.test(w))),
    path,
  ).toEqual([]);
}

const PYDUMP = String.raw`
import json, sys
import numpy as np
import pydicom

def floats(v):
    return [float(x) for x in v]

out = []
for path in sys.argv[1:]:
    d = pydicom.dcmread(path)
    r = {'path': path, 'modality': d.Modality, 'sopClassUid': d.SOPClassUID, 'sopInstanceUid': d.SOPInstanceUID,
         'studyInstanceUid': d.StudyInstanceUID, 'seriesInstanceUid': d.SeriesInstanceUID,
         'transferSyntax': str(d.file_meta.TransferSyntaxUID), 'implementationClassUid': str(d.file_meta.ImplementationClassUID),
         'patientName': str(d.PatientName),
         'patientId': d.PatientID, 'frameOfReferenceUid': d.get('FrameOfReferenceUID')}
    if d.Modality in ('CT', 'RTDOSE'):
        ipp, iop, ps = floats(d.ImagePositionPatient), floats(d.ImageOrientationPatient), floats(d.PixelSpacing)
        row, col = np.array(iop[:3]), np.array(iop[3:])
        # PS3.3 C.7.6.2.1.1: P = S + X * column_index * column_spacing + Y * row_index * row_spacing
        r.update(ipp=ipp, iop=iop, pixelSpacing=ps, rows=d.Rows, columns=d.Columns,
                 pixelRow5Col3=(np.array(ipp) + row * 3 * ps[1] + col * 5 * ps[0]).tolist(),
                 normal=np.cross(row, col).tolist(), bitsAllocated=d.BitsAllocated)
    if d.Modality == 'CT':
        a = d.pixel_array
        r.update(hu=(a.astype(np.float64) * float(d.RescaleSlope) + float(d.RescaleIntercept)).ravel().tolist(),
                 dtype=str(a.dtype), sliceThickness=float(d.SliceThickness), instanceNumber=int(d.InstanceNumber),
                 imageType=list(d.ImageType), patientPosition=d.PatientPosition)
    if d.Modality == 'RTDOSE':
        a = d.pixel_array
        r.update(dose=(a.astype(np.float64) * float(d.DoseGridScaling)).ravel().tolist(), dtype=str(a.dtype),
                 frames=int(d.NumberOfFrames), doseGridScalingText=str(d['DoseGridScaling'].value),
                 doseGridScaling=float(d.DoseGridScaling), gridFrameOffsetVector=floats(d.GridFrameOffsetVector),
                 frameIncrementPointer='%08X' % int(d.FrameIncrementPointer), doseUnits=d.DoseUnits,
                 doseType=d.DoseType, summationType=d.DoseSummationType,
                 plans=[[p.ReferencedSOPClassUID, p.ReferencedSOPInstanceUID] for p in d.get('ReferencedRTPlanSequence', [])])
    if d.Modality == 'RTSTRUCT':
        obs = {int(o.ReferencedROINumber): o for o in d.RTROIObservationsSequence}
        rcs = {int(c.ReferencedROINumber): c for c in d.ROIContourSequence}
        rois = []
        for s in d.StructureSetROISequence:
            n = int(s.ROINumber)
            c, o = rcs.get(n), obs.get(n)
            contours = []
            for ct in (c.ContourSequence if c is not None and 'ContourSequence' in c else []):
                contours.append({'type': ct.ContourGeometricType, 'n': int(ct.NumberOfContourPoints),
                                 'vr': ct['ContourData'].VR, 'data': floats(ct.ContourData),
                                 'images': [i.ReferencedSOPInstanceUID for i in ct.get('ContourImageSequence', [])]})
            rois.append({'number': n, 'name': s.ROIName, 'frameOfReferenceUid': s.ReferencedFrameOfReferenceUID,
                         'color': [int(v) for v in c.ROIDisplayColor] if c is not None and 'ROIDisplayColor' in c else None,
                         'contours': contours, 'interpretedType': o.RTROIInterpretedType if o is not None else None,
                         'observationLabel': o.get('ROIObservationLabel') if o is not None else None,
                         'hasInterpreter': o is not None and 'ROIInterpreter' in o})
        f = d.ReferencedFrameOfReferenceSequence[0]
        studies = f.get('RTReferencedStudySequence', [])
        r.update(label=d.StructureSetLabel, rois=rois, referencedFrameOfReferenceUid=f.FrameOfReferenceUID,
                 referencedStudies=[s.ReferencedSOPInstanceUID for s in studies],
                 referencedSeries=[se.SeriesInstanceUID for s in studies for se in s.RTReferencedSeriesSequence],
                 referencedImages=[i.ReferencedSOPInstanceUID for s in studies for se in s.RTReferencedSeriesSequence
                                   for i in se.ContourImageSequence])
    out.append(r)
print(json.dumps(out))
`;

/** A file as pydicom read it (JSON from the script above). */
type Dump = Record<string, any>;

/** pydicom's reading of each file; one Python process reads every file not read before. */
const pydumpCache = new Map<string, Dump>();
let pydumpPending: readonly string[] = [];
function pydump(paths: readonly string[]): Dump[] {
  const missing = [...new Set([...pydumpPending, ...paths])].filter((p) => !pydumpCache.has(p) && existsSync(p));
  pydumpPending = [];
  if (missing.length > 0) {
    const r = runTool(TOOLS.pydicom.command, ['-c', PYDUMP, ...missing]);
    if (r.status !== 0) throw new Error(`pydicom failed: ${r.stderr}`);
    for (const d of JSON.parse(r.stdout) as Dump[]) pydumpCache.set(d.path as string, d);
  }
  return paths.map((p) => pydumpCache.get(p)!);
}

const DVH = String.raw`
import json, sys
from dicompylercore import dvhcalc
out = {}
for roi in sys.argv[3:]:
    d = dvhcalc.get_dvh(sys.argv[1], sys.argv[2], int(roi))
    out[roi] = {'mean': float(d.mean), 'volume': float(d.volume), 'min': float(d.min), 'max': float(d.max)}
print(json.dumps(out))
`;

const expectClose = (actual: readonly number[], expected: readonly number[], tol: number, what: string): void => {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, n) => expect(Math.abs(a - expected[n]!), `${what}[${n}]`).toBeLessThanOrEqual(tol));
};

const column = (m: Mat3, c: number): number[] => [m[c], m[3 + c], m[6 + c]];

// ---------------------------------------------------------------------------------------------

describe('DICOM-RT writers, checked by dciodvfy, pydicom, dcmdump and dicompyler-core', () => {
  let dir: string;
  let ct: WrittenCtSeries;
  let ctFfs: WrittenCtSeries;
  let structures: ContourStructure[];
  let rs: StructureSet;
  let rsFfs: StructureSet;
  let dose: ScalarVolume;
  let rd32: WrittenRtDose;
  let rd16: WrittenRtDose;
  const doseIdentity = {
    ...patient,
    seriesInstanceUid: seriesInstanceUidFor(study, 'RTDOSE'),
    frameOfReferenceUid: frameOfReferenceUidFor('write test HFS'),
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-write-'));
    ct = writeCtSeries(
      {
        ...patient,
        seriesInstanceUid: seriesInstanceUidFor(study, 'CT HFS'),
        frameOfReferenceUid: frameOfReferenceUidFor('write test HFS'),
        seriesDescription: 'synthetic CT HFS',
        hu: ctVolume(HFS, [-17.25, -19, -11.25]),
      },
      join(dir, 'ct'),
      { ...OPTIONS, kvp: 120 },
    );
    ctFfs = writeCtSeries(
      {
        ...patient,
        seriesInstanceUid: seriesInstanceUidFor(study, 'CT FFS'),
        frameOfReferenceUid: frameOfReferenceUidFor('write test FFS'),
        hu: ctVolume(FFS, [17.25, -19, 11.25]),
      },
      join(dir, 'ct-ffs'),
      { ...OPTIONS, seriesNumber: 2 },
    );
    structures = structuresOn(ct);
    rs = writeStructureSet(
      { label: 'LATTICE', name: 'write test', structures, referencedCt: referencedCtOf(ct.series) },
      join(dir, 'rs.dcm'),
      { ...OPTIONS, seriesNumber: 3 },
    );
    rsFfs = writeStructureSet(
      {
        label: 'FFS',
        structures: [{ ...structuresOn(ctFfs)[0]!, name: 'Box FFS' }],
        referencedCt: referencedCtOf(ctFfs.series),
      },
      join(dir, 'rs-ffs.dcm'),
      { ...OPTIONS, seriesNumber: 4 },
    );
    dose = doseVolume();
    const doseInput = { ...doseIdentity, dose, summationType: 'PLAN', referencedPlanSopInstanceUid: planUid };
    rd32 = writeRtDose(doseInput, join(dir, 'rd32.dcm'), { ...OPTIONS, seriesNumber: 5 });
    rd16 = writeRtDose(doseInput, join(dir, 'rd16.dcm'), { ...OPTIONS, seriesNumber: 5, bitsAllocated: 16 });
    // Read by pydicom in one process when the first test asks (Python start-up dominates).
    pydumpPending = [...ct.files, ...ctFfs.files, rs.file!, rsFfs.file!, rd32.file, rd16.file];
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('CT Image series', () => {
    it('writes one file per slice with its slice UID and its position along the normal', () => {
      expect(ct.files).toHaveLength(10);
      expect(ct.series.slices.map((s) => s.k)).toEqual([...Array(10).keys()]);
      expectClose(
        ct.series.slices.map((s) => s.positionMm),
        ct.series.slices.map((s) => -11.25 + 2.5 * s.k),
        1e-9,
        'HFS positions',
      );
      // Feet first: k runs inferior, so the position along the normal (0, 0, -1) is -z and increases with k.
      expectClose(
        ctFfs.series.slices.map((s) => s.positionMm),
        ctFfs.series.slices.map((s) => -(11.25 - 2.5 * s.k)),
        1e-9,
        'FFS positions',
      );
      expect(new Set(ct.series.slices.map((s) => s.sopInstanceUid)).size).toBe(10);
    });

    it('is deterministic: writing the same CT again gives byte-identical files', () => {
      const again = writeCtSeries({ ...ct.series, hu: ct.series.hu }, join(dir, 'ct-again'), { ...OPTIONS, kvp: 120 });
      again.files.forEach((f, n) => expect(readFileSync(f).equals(readFileSync(ct.files[n]!)), f).toBe(true));
      rmSync(join(dir, 'ct-again'), { recursive: true });
    });

    it.skipIf(!have(TOOLS.dciodvfy))('every slice (head first and feet first) passes dciodvfy without errors', () => {
      for (const f of [...ct.files, ...ctFfs.files]) expectValid(f);
    });

    it.skipIf(!have(TOOLS.pydicom))('pydicom reads back the grid, the HU values and the slice order', () => {
      for (const written of [ct, ctFfs]) {
        const grid = written.series.hu.grid;
        const dumps = pydump(written.files);
        dumps.forEach((d, k) => {
          expect(d.modality).toBe('CT');
          expect(d.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.2');
          expect(d.sopInstanceUid).toBe(written.series.slices[k]!.sopInstanceUid);
          expect(d.transferSyntax).toBe('1.2.840.10008.1.2.1');
          // the writer's own UID (derived on first use, uid.ts): what it states, the same in every file
          expect(d.implementationClassUid).toBe(deriveUid('lattice-rt', 'implementation-class', 'dicom-writer-1'));
          expect([d.patientName, d.patientId]).toEqual([patient.patientName, patient.patientId]);
          expect(d.frameOfReferenceUid).toBe(written.series.frameOfReferenceUid);
          expect([d.rows, d.columns]).toEqual([20, 24]);
          expect(d.pixelSpacing).toEqual([2, 1.5]);
          expect(d.sliceThickness).toBe(2.5);
          expect(d.instanceNumber).toBe(k + 1);
          expect(d.dtype).toBe('int16');
          expectClose(d.ipp, indexToLps(grid, [0, 0, k]), 1e-9, 'ImagePositionPatient');
          expectClose(d.iop, [...column(grid.direction, 0), ...column(grid.direction, 1)], 1e-12, 'ImageOrientationPatient');
          // The DICOM pixel-position formula lands on our voxel (i = 3, j = 5, k).
          expectClose(d.pixelRow5Col3, indexToLps(grid, [3, 5, k]), 1e-9, 'pixel (row 5, column 3)');
          expectClose(d.normal, column(grid.direction, 2), 1e-12, 'slice normal');
          const hu = d.hu as number[];
          expect(hu).toHaveLength(24 * 20);
          for (let j = 0, p = 0; j < 20; j++) for (let i = 0; i < 24; i++, p++) if (hu[p] !== huAt(i, j, k)) expect(hu[p]).toBe(huAt(i, j, k));
        });
        // Sorted by position along row x column, the slices come out in our k order.
        const order = dumps
          .map((d, k) => ({ k, s: d.ipp[0] * d.normal[0] + d.ipp[1] * d.normal[1] + d.ipp[2] * d.normal[2] }))
          .sort((a, b) => a.s - b.s)
          .map((e) => e.k);
        expect(order).toEqual([...Array(10).keys()]);
      }
      expect(pydump([ct.files[0]!, ctFfs.files[0]!]).map((d) => d.patientPosition)).toEqual(['HFS', 'FFS']);
    });

    it.skipIf(!have(TOOLS.dcmdump))('dcmdump parses every slice', () => {
      for (const f of [ct.files[0]!, ct.files[9]!, ctFfs.files[0]!]) {
        const r = runTool('dcmdump', ['-q', f]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain('(0028,0030) DS [2\\1.5]');
      }
    });

    it('refuses a grid whose k axis is not row x column (left-handed), before writing anything', () => {
      const grid = createGrid({ ...CT_SPEC, originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, -1] });
      const out = join(dir, 'ct-left');
      expect(() =>
        writeCtSeries(
          { ...patient, seriesInstanceUid: '2.25.1', frameOfReferenceUid: '2.25.2', hu: createScalarVolume(grid) },
          out,
        ),
      ).toThrow(GeometryError);
      expect(() => readdirSync(out)).toThrow();
    });

    it('refuses HU values that int16 cannot hold, naming the voxel', () => {
      const hu = ctVolume(HFS, [0, 0, 0]);
      hu.data[24 * 20 * 3 + 24 * 2 + 5] = 40000;
      expect(() => writeCtSeries({ ...patient, seriesInstanceUid: '2.25.1', frameOfReferenceUid: '2.25.2', hu }, join(dir, 'ct-bad'))).toThrow(
        /CT voxel \(5, 2, 3\).*40000/,
      );
    });
  });

  describe('RT Structure Set', () => {
    it.skipIf(!have(TOOLS.dciodvfy))('passes dciodvfy without errors or warnings', () => {
      expectValid(rs.file!);
      expectValid(rsFfs.file!);
    });

    it.skipIf(!have(TOOLS.pydicom))('pydicom reads back the ROIs, colours, point counts, contour data and image references', () => {
      const [d] = pydump([rs.file!]);
      expect(d!.transferSyntax).toBe('1.2.840.10008.1.2');
      expect(d!.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.481.3');
      expect(d!.label).toBe('LATTICE');
      expect(d!.studyInstanceUid).toBe(ct.series.studyInstanceUid);
      expect(d!.referencedFrameOfReferenceUid).toBe(ct.series.frameOfReferenceUid);
      expect(d!.referencedStudies).toEqual([ct.series.studyInstanceUid]);
      expect(d!.referencedSeries).toEqual([ct.series.seriesInstanceUid]);
      expect(d!.referencedImages).toEqual(ct.series.slices.map((s) => s.sopInstanceUid));
      const rois = d!.rois as Dump[];
      expect(rois.map((r) => [r.number, r.name, r.interpretedType, r.color])).toEqual(
        structures.map((s) => [s.roiNumber, s.name, s.interpretedType, s.colorRgb]),
      );
      expect(rois.every((r) => r.frameOfReferenceUid === ct.series.frameOfReferenceUid && r.hasInterpreter)).toBe(true);
      expect(rois[1]!.observationLabel).toBe('ring');
      const uidOfK = (k: number): string => ct.series.slices[k]!.sopInstanceUid;

      rois.forEach((r, n) => {
        const s = structures[n]!;
        expect(r.contours).toHaveLength(s.contours.length);
        (r.contours as Dump[]).forEach((c, m) => {
          const mine = s.contours[m]!;
          expect(c.type).toBe(mine.geometricType);
          expect(c.n).toBe(mine.pointsLps.length / 3);
          expect(c.vr).toBe('DS');
          const rel = (c.data as number[]).reduce((w, v, q) => Math.max(w, Math.abs(v - mine.pointsLps[q]!) / Math.max(1, Math.abs(mine.pointsLps[q]!))), 0);
          expect(rel, `${s.name} contour ${m}`).toBeLessThan(1e-12);
        });
      });
      // Box: contour k on slice k; Ring: both contours of slice k reference slice k.
      expect(rois[0]!.contours.map((c: Dump) => c.images)).toEqual(ct.series.slices.map((s) => [s.sopInstanceUid]));
      expect(rois[1]!.contours.map((c: Dump) => c.images)).toEqual(RING_SLICES.flatMap((k) => [[uidOfK(k)], [uidOfK(k)]]));
      // Marker: 1.25 mm from the nearest slice, beyond the default tolerance (0.5 mm): no reference.
      expect(rois[2]!.contours[0].images).toEqual([]);
      expect(rois[3]!.contours[0].n).toBe(OUTLINE_POINTS);
      expect(rois[3]!.contours[0].images).toEqual([uidOfK(5)]);
    });

    it.skipIf(!have(TOOLS.pydicom))('on a feet-first CT, each contour references the slice whose plane it lies in', () => {
      const [d] = pydump([rsFfs.file!]);
      const slices = pydump(ctFfs.files);
      const zOf = new Map(slices.map((s) => [s.sopInstanceUid as string, s.ipp[2] as number]));
      const contours = (d!.rois as Dump[])[0]!.contours as Dump[];
      expect(contours).toHaveLength(10);
      for (const c of contours) {
        expect(c.images).toHaveLength(1);
        expect(Math.abs(zOf.get(c.images[0])! - c.data[2])).toBeLessThan(1e-9);
      }
    });

    it.skipIf(!have(TOOLS.dcmdump))('dcmdump parses it, with ContourData as DS (implicit VR, never UN)', () => {
      const r = runTool('dcmdump', ['-q', '+L', rs.file!]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\(3006,0050\) DS \[/);
      expect(r.stdout).not.toMatch(/\(3006,0050\) UN/);
    });

    it('adds ROIs in a new instance that keeps every existing ROI, leaving the input byte-identical', () => {
      const before = readFileSync(rs.file!);
      const mtime = statSync(rs.file!).mtimeMs;
      const z = (k: number): number => indexToLps(ct.series.hu.grid, [0, 0, k])[2];
      const added: ContourStructure = {
        roiNumber: 7,
        name: 'Vertices',
        interpretedType: 'PTV',
        colorRgb: [255, 255, 0],
        contours: [4, 5].map((k) => circle(z(k), 2, 24, 5, 5)),
      };
      const out = join(dir, 'rs-added.dcm');
      const result = addRoisToStructureSet(rs, [added], out, { ...OPTIONS, seriesNumber: 6, referencedCt: referencedCtOf(ct.series) });
      expect(readFileSync(rs.file!).equals(before)).toBe(true);
      expect(statSync(rs.file!).mtimeMs).toBe(mtime);
      expect(result.sopInstanceUid).not.toBe(rs.sopInstanceUid);
      expect(result.structures.map((s) => s.name)).toEqual(['Box', 'Ring', 'Marker', 'Outline', 'Vertices']);
      if (have(TOOLS.pydicom)) {
        const [o, n] = pydump([rs.file!, out]);
        expect(n!.sopInstanceUid).toBe(result.sopInstanceUid);
        expect(n!.sopInstanceUid).not.toBe(o!.sopInstanceUid);
        expect(n!.studyInstanceUid).toBe(o!.studyInstanceUid);
        expect(n!.frameOfReferenceUid).toBe(o!.frameOfReferenceUid);
        expect(n!.referencedFrameOfReferenceUid).toBe(o!.referencedFrameOfReferenceUid);
        const summary = (r: Dump): unknown[] => [r.number, r.name, r.color, r.interpretedType, r.contours.map((c: Dump) => [c.n, c.images])];
        expect((n!.rois as Dump[]).slice(0, 4).map(summary)).toEqual((o!.rois as Dump[]).map(summary));
        expect(summary((n!.rois as Dump[])[4]!)).toEqual([7, 'Vertices', [255, 255, 0], 'PTV', [[24, [ct.series.slices[4]!.sopInstanceUid]], [24, [ct.series.slices[5]!.sopInstanceUid]]]]);
      }
      if (have(TOOLS.dciodvfy)) expectValid(out);
    });

    it('refuses to add ROIs onto the input file itself, or with a number or name already used', () => {
      const before = readFileSync(rs.file!);
      const roi = (roiNumber: number, name: string): ContourStructure => ({ roiNumber, name, interpretedType: 'ORGAN', contours: [] });
      expect(() => addRoisToStructureSet(rs, [roi(9, 'New')], rs.file!)).toThrow(DicomError);
      expect(() => addRoisToStructureSet(rs, [roi(2, 'New')], join(dir, 'x.dcm'))).toThrow(/ROI number 2 is already used by "Ring".*free from 5/);
      expect(() => addRoisToStructureSet(rs, [roi(9, 'Box')], join(dir, 'x.dcm'))).toThrow(/structure "Box"/);
      expect(readFileSync(rs.file!).equals(before)).toBe(true);
      expect(readdirSync(dir)).not.toContain('x.dcm');
    });

    it('a contour with a malformed point list fails with the structure named, and leaves no file', () => {
      const bad: ContourStructure = {
        roiNumber: 1,
        name: 'Broken',
        interpretedType: 'ORGAN',
        contours: [{ geometricType: 'CLOSED_PLANAR', pointsLps: new Float64Array([0, 0, 0, 1, 1]) }],
      };
      const out = join(dir, 'rs-bad.dcm');
      expect(() => writeStructureSet({ label: 'BAD', structures: [bad], referencedCt: referencedCtOf(ct.series) }, out)).toThrow(
        /multiple of 3.*structure "Broken"/,
      );
      expect(readdirSync(dir)).not.toContain('rs-bad.dcm');
    });
  });

  describe('RT Dose', () => {
    it('writes DoseGridScaling 1.6e-8 for the 32-bit file and max / 65535 for the 16-bit one', () => {
      // The dose volume is Float32, so the maximum is MAX_DOSE_GY rounded to single precision.
      const maxGy = Math.fround(MAX_DOSE_GY);
      expect(Math.abs(rd32.doseGridScaling - maxGy / 4294967295) / rd32.doseGridScaling).toBeLessThan(1e-11);
      expect(Math.abs(rd32.doseGridScaling - 1.6e-8) / 1.6e-8).toBeLessThan(1e-7);
      expect(Math.abs(rd16.doseGridScaling - maxGy / 65535) / rd16.doseGridScaling).toBeLessThan(1e-11);
    });

    it.skipIf(!have(TOOLS.dciodvfy))('the 16-bit file passes dciodvfy without errors or warnings (dciodvfy aborts on 32-bit pixels)', () => {
      expectValid(rd16.file);
    });

    it.skipIf(!have(TOOLS.pydicom))('pydicom reads back grid, frame offsets, scaling, plan reference and every dose within one quantum', () => {
      const grid: Grid = dose.grid;
      for (const [written, bits] of [
        [rd32, 32],
        [rd16, 16],
      ] as const) {
        const [d] = pydump([written.file]);
        expect(d!.sopClassUid).toBe('1.2.840.10008.5.1.4.1.1.481.2');
        expect(d!.transferSyntax).toBe('1.2.840.10008.1.2.1');
        expect(d!.bitsAllocated).toBe(bits);
        expect(d!.dtype).toBe(bits === 32 ? 'uint32' : 'uint16');
        expect([d!.frames, d!.rows, d!.columns]).toEqual([10, 41, 41]);
        expect(d!.frameIncrementPointer).toBe('3004000C');
        expect([d!.doseUnits, d!.doseType, d!.summationType]).toEqual(['GY', 'PHYSICAL', 'PLAN']);
        expect(d!.plans).toEqual([['1.2.840.10008.5.1.4.1.1.481.5', planUid]]);
        expect(d!.frameOfReferenceUid).toBe(doseIdentity.frameOfReferenceUid);
        expectClose(d!.ipp, grid.originMm, 1e-12, 'ImagePositionPatient');
        expectClose(d!.iop, [1, 0, 0, 0, 1, 0], 0, 'ImageOrientationPatient');
        expectClose(d!.gridFrameOffsetVector, [...Array(10).keys()].map((k) => 2.5 * k), 0, 'GridFrameOffsetVector');
        expect(d!.doseGridScaling).toBe(written.doseGridScaling);
        if (bits === 32) {
          expect(d!.doseGridScalingText).toMatch(/e-0?8$/);
          expect(Math.abs(d!.doseGridScaling - 1.6e-8) / 1.6e-8).toBeLessThan(1e-7);
        }
        const back = d!.dose as number[];
        expect(back).toHaveLength(dose.data.length);
        let worst = 0;
        for (let p = 0; p < back.length; p++) worst = Math.max(worst, Math.abs(back[p]! - dose.data[p]!));
        expect(worst).toBeLessThanOrEqual(d!.doseGridScaling);
      }
    });

    it.skipIf(!have(TOOLS.dcmdump))('dcmdump parses both files', () => {
      for (const f of [rd32.file, rd16.file]) {
        const r = runTool('dcmdump', ['-q', f]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain('(3004,000c) DS [0\\2.5\\5\\7.5');
      }
    });

    it('refuses summation type PLAN without a plan, and types it cannot reference', () => {
      expect(() => writeRtDose({ ...doseIdentity, dose, summationType: 'PLAN' }, join(dir, 'rd-x.dcm'))).toThrow(
        /ReferencedRTPlanSequence.*PLAN/,
      );
      expect(() => writeRtDose({ ...doseIdentity, dose, summationType: 'BRACHY', referencedPlanSopInstanceUid: planUid }, join(dir, 'rd-x.dcm'))).toThrow(
        DicomError,
      );
      expect(readdirSync(dir)).not.toContain('rd-x.dcm');
    });

    it('a failed rewrite (a NaN dose) leaves the earlier file at that path untouched', () => {
      const path = join(dir, 'rd-keep.dcm');
      writeRtDose({ ...doseIdentity, dose, summationType: 'RECORD' }, path, { bitsAllocated: 16 });
      const before = readFileSync(path);
      const bad = createScalarVolume(dose.grid, dose.data.slice());
      bad.data[1234] = Number.NaN;
      expect(() => writeRtDose({ ...doseIdentity, dose: bad, summationType: 'RECORD' }, path)).toThrow(/dose voxel \(4, 30, 0\)/);
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  });

  describe('a failure in the middle of writing a CT series', () => {
    it('removes the slices already written and leaves no temporary files', () => {
      const out = join(dir, 'ct-fail');
      // Slice 6's name is taken by a folder, so its rename fails after slices 1-5 are in place.
      mkdirSync(join(out, 'CT_0006.dcm', 'occupied'), { recursive: true });
      writeFileSync(join(out, 'CT_0006.dcm', 'occupied', 'f'), 'x');
      let error: unknown;
      try {
        writeCtSeries({ ...ct.series, hu: ct.series.hu }, out, OPTIONS);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LatticeError);
      expect(readdirSync(out)).toEqual(['CT_0006.dcm']);
    });
  });

  describe.runIf(have(TOOLS.dicompylercore))('dicompyler-core DVH from our RTSTRUCT and RTDOSE', () => {
    it('a uniform 2 Gy over each ROI gives mean 2 Gy and the slab volume of its polygons', () => {
      const r = runTool(TOOLS.dicompylercore.command, ['-c', DVH, rs.file!, rd32.file, '1', '2']);
      expect(r.status, r.stderr).toBe(0);
      const dvh = JSON.parse(r.stdout) as Record<string, { mean: number; volume: number; min: number; max: number }>;
      // dicompyler-core bins dose in 1 cGy steps and reports bin centres, so 2 Gy reads as 2.00-2.01.
      for (const roi of ['1', '2']) {
        expect(Math.abs(dvh[roi]!.mean - 2), `mean dose of ROI ${roi}`).toBeLessThanOrEqual(0.01);
      }
      // Its slab convention: every contour plane is a slab as thick as the smallest gap between the
      // ROI's planes (2.5 mm), no end caps; a slab's area is the number of dose-grid points (1 mm
      // apart) inside the polygons (even-odd), times 1 mm^2.
      // Box: a 21 mm square with edges half-way between grid points holds exactly 21 x 21 points,
      // = its area 441 mm^2, on 10 planes: 10 x 441 x 2.5 mm^3 = 11.025 cc.
      const boxCc = (10 * (2 * BOX_HALF_MM) ** 2 * 2.5) / 1000;
      expect(boxCc).toBeCloseTo(11.025, 12);
      expect(Math.abs(dvh['1']!.volume - boxCc) / boxCc).toBeLessThan(1e-9);
      // Ring: 72-gon of radius 8.3 mm minus one of radius 3.7 mm, area (n/2)(R^2 - r^2) sin(2 pi / n),
      // on 6 planes. Counting grid points approximates a curved area to about a perimeter times a
      // quarter spacing, a few percent at this size: allow 3 %.
      const ringCc = (RING_SLICES.length * (ngonArea(RING_OUTER_MM, RING_VERTICES) - ngonArea(RING_INNER_MM, RING_VERTICES)) * 2.5) / 1000;
      expect(Math.abs(dvh['2']!.volume - ringCc) / ringCc).toBeLessThan(0.03);
    });
  });
});
