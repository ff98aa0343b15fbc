/**
 * The readers against third-party files: pydicom's test files (Debian python3-pydicom), with the
 * expected values read by pydicom itself from the same files.
 */

import { describe, expect, it } from 'vitest';
import { parseDicom } from '../../../src/io/dicom/read/parse.js';
import { convertStored, readPixelLayout, storedPixels } from '../../../src/io/dicom/read/pixels.js';
import { readCtSeries } from '../../../src/io/dicom/read/ct.js';
import { readRtDose } from '../../../src/io/dicom/read/rtdose.js';
import { readRtPlan } from '../../../src/io/dicom/read/rtplan.js';
import { readStructureSet } from '../../../src/io/dicom/read/rtstruct.js';
import { scanDicom, listSeries } from '../../../src/io/dicom/read/scan.js';
import { loadInput } from '../../../src/io/dicom/read/source.js';
import { pydicomFile, pydicomTestFiles, python } from '../../fixtures/dicom-testdata.js';
import { expectDicomError } from '../../helpers/errors.js';
import { TOOLS, have } from '../../helpers/external.js';

/** Relative tolerance for float32 values compared with pydicom's float64. */
const F32_REL = 1e-6;

function expectClose(actual: ArrayLike<number>, expected: readonly number[], rel = F32_REL): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let n = 0; n < expected.length; n++) {
    const e = expected[n]!;
    const d = Math.abs(actual[n]! - e) / Math.max(1, Math.abs(e));
    if (d > worst) {
      worst = d;
      at = n;
    }
  }
  expect(worst, `largest relative difference at index ${at}`).toBeLessThanOrEqual(rel);
}

interface PyDose {
  size: [number, number, number];
  spacing: [number, number];
  origin: [number, number, number];
  offsets: number[];
  units: string;
  summation: string;
  frameOfReference: string;
  plan: string | null;
  max: number;
  values: number[];
}

const DOSE_PY = `
import sys, json, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
a = ds.pixel_array.astype(np.float64) * float(ds.DoseGridScaling)
if a.ndim == 2: a = a[None]
print(json.dumps({
  'size': [int(ds.Columns), int(ds.Rows), int(a.shape[0])],
  'spacing': [float(x) for x in ds.PixelSpacing],
  'origin': [float(x) for x in ds.ImagePositionPatient],
  'offsets': [float(x) for x in ds.GridFrameOffsetVector],
  'units': ds.DoseUnits, 'summation': ds.DoseSummationType,
  'frameOfReference': ds.FrameOfReferenceUID,
  'plan': ds.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID if 'ReferencedRTPlanSequence' in ds else None,
  'max': float(a.max()), 'values': a.ravel().tolist()}))
`;

/** Stored values * slope + intercept as pydicom decodes them (any frame count, flattened), by file. */
const PIXELS_PY = `
import sys, json, numpy as np, pydicom
out = {}
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f, force=True)
    a = ds.pixel_array.astype(np.float64) * float(ds.get('RescaleSlope', 1)) + float(ds.get('RescaleIntercept', 0))
    out[f] = a.ravel().tolist()
print(json.dumps(out))
`;

/** Our decoded pixel values (stored * slope + intercept) of a file, through the internal API. */
function ourPixels(file: string): Float32Array {
  const parsed = parseDicom(loadInput(file));
  const ds = parsed.dataset;
  const layout = readPixelLayout(ds, ds.integer('NumberOfFrames') ?? 1);
  const out = new Float32Array(layout.rows * layout.columns * layout.frames);
  convertStored(storedPixels(parsed, layout), ds.number('RescaleSlope') ?? 1, ds.number('RescaleIntercept') ?? 0, out);
  return out;
}

describe.runIf(have(TOOLS.pydicom))('DICOM readers on pydicom test files', () => {
  describe('RT Dose', () => {
    it('rtdose.dcm (implicit VR LE, 32-bit, RELATIVE) has the grid, scaling and values pydicom reads', () => {
      const file = pydicomFile('rtdose.dcm');
      const py = python<PyDose>(DOSE_PY, file);
      const dose = readRtDose(file);
      const g = dose.dose.grid;
      expect(g.size).toEqual(py.size);
      // PixelSpacing is (row spacing, column spacing): i (columns) uses the second value.
      expect(g.spacingMm).toEqual([py.spacing[1], py.spacing[0], py.offsets[1]! - py.offsets[0]!]);
      expect([...g.originMm]).toEqual(py.origin);
      expect([...g.direction]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      expect(dose.units).toBe(py.units);
      expect(dose.summationType).toBe(py.summation);
      expect(dose.frameOfReferenceUid).toBe(py.frameOfReference);
      expect(dose.referencedPlanSopInstanceUid).toBe(py.plan);
      expectClose(dose.dose.data, py.values);
      expect(Math.max(...dose.dose.data)).toBeCloseTo(py.max, 6);
      // checked as read: the values' maximum (what an evaluation would otherwise find in a pass of its own)
      expect(dose.maxGy).toBe(Math.max(...dose.dose.data));
      expect(dose.maxGy).toBeCloseTo(py.max, 6);
    });

    it('rtdose_expb.dcm (explicit VR big endian) reads the same values as rtdose.dcm', () => {
      const le = readRtDose(pydicomFile('rtdose.dcm'));
      const be = readRtDose(pydicomFile('rtdose_expb.dcm'));
      expect(be.dose.grid).toEqual(le.dose.grid);
      expect(be.dose.data).toEqual(le.dose.data);
      // big-endian words are converted in JavaScript, unchecked: no maximum given (an evaluation checks them)
      expect(be.maxGy).toBeUndefined();
    });

    it('rtdose_rle.dcm (RLE lossless, 15 frames) decodes to the same values as rtdose.dcm', () => {
      const plain = readRtDose(pydicomFile('rtdose.dcm'));
      const rle = readRtDose(pydicomFile('rtdose_rle.dcm'));
      expect(rle.dose.grid).toEqual(plain.dose.grid);
      expect(rle.dose.data).toEqual(plain.dose.data);
      expect(rle.maxGy).toBe(plain.maxGy);
    });

    it('single-frame rtdose_1frame.dcm and its RLE / big-endian copies agree with pydicom', () => {
      const py = python<PyDose>(DOSE_PY, pydicomFile('rtdose_1frame.dcm'));
      const one = readRtDose(pydicomFile('rtdose_1frame.dcm'));
      expect(one.dose.grid.size).toEqual([py.size[0], py.size[1], 1]);
      expectClose(one.dose.data, py.values);
      // The file keeps the 15-value offset vector of its multi-frame parent: reported, first used.
      expect(one.warnings?.join('\n')).toContain('GridFrameOffsetVector has 15 values for a single frame');
      expect(readRtDose(pydicomFile('rtdose_rle_1frame.dcm')).dose.data).toEqual(one.dose.data);
      expect(readRtDose(pydicomFile('rtdose_expb_1frame.dcm')).dose.data).toEqual(one.dose.data);
    });
  });

  describe('RT Structure Set', () => {
    it('rtstruct.dcm (no file meta) has the ROIs, colours, types and contour points pydicom reads', () => {
      const file = pydicomFile('rtstruct.dcm');
      const py = python<{
        frameOfReference: string;
        series: string;
        rois: { number: number; name: string }[];
        contours: Record<string, { color: number[]; contours: { type: string; points: number[] }[] }>;
        observations: Record<string, { type: string; label: string }>;
      }>(
        `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1], force=True)
ref = ds.ReferencedFrameOfReferenceSequence[0]
print(json.dumps({
  'frameOfReference': ref.FrameOfReferenceUID,
  'series': ref.RTReferencedStudySequence[0].RTReferencedSeriesSequence[0].SeriesInstanceUID,
  'rois': [{'number': int(r.ROINumber), 'name': r.ROIName} for r in ds.StructureSetROISequence],
  'contours': {str(int(c.ReferencedROINumber)): {'color': [int(x) for x in c.ROIDisplayColor],
     'contours': [{'type': x.ContourGeometricType, 'points': [float(v) for v in x.ContourData]} for x in c.ContourSequence]}
     for c in ds.ROIContourSequence},
  'observations': {str(int(o.ReferencedROINumber)): {'type': o.RTROIInterpretedType, 'label': o.ROIObservationLabel}
     for o in ds.RTROIObservationsSequence}}))
`,
        file,
      );
      const ss = readStructureSet(file);
      expect(ss.modality).toBe('RTSTRUCT');
      expect(ss.frameOfReferenceUid).toBe(py.frameOfReference);
      expect(ss.referencedSeriesInstanceUid).toBe(py.series);
      expect(ss.structures.map((s) => ({ number: s.roiNumber, name: s.name }))).toEqual(py.rois);
      for (const s of ss.structures) {
        const c = py.contours[String(s.roiNumber)]!;
        const o = py.observations[String(s.roiNumber)]!;
        expect(s.colorRgb).toEqual(c.color);
        expect(s.interpretedType).toBe(o.type);
        expect(s.observationLabel).toBe(o.label);
        expect(s.contours.map((x) => x.geometricType)).toEqual(c.contours.map((x) => x.type));
        s.contours.forEach((x, i) => expect([...x.pointsLps]).toEqual(c.contours[i]!.points));
      }
      // Two isocentre markers are POINT ROIs with one point each.
      expect(ss.structures.filter((s) => s.contours.length === 1 && s.contours[0]!.geometricType === 'POINT')).toHaveLength(2);
      expect(ss.warnings).toBeUndefined();
    });
  });

  describe('RT Plan', () => {
    it('rtplan.dcm has the fraction group, dose references, beams and control points pydicom reads', () => {
      const file = pydicomFile('rtplan.dcm');
      const py = python<{
        label: string;
        fractions: number;
        metersets: [number, number][];
        doseRefs: { number: number; type: string; target: number | null; max: number | null }[];
        beams: {
          number: number; name: string; type: string; radiation: string; sad: number; final: number;
          cps: { weight: number; energy: number | null; gantry: number | null; dir: string | null; coll: number | null;
                 couch: number | null; iso: number[] | null; jaws: Record<string, number[]> }[];
        }[];
        structureSet: string;
      }>(
        `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1])
f = lambda e, k: (float(e.get(k)) if e.get(k) is not None else None)
fg = ds.FractionGroupSequence[0]
print(json.dumps({
  'label': ds.RTPlanLabel,
  'fractions': int(fg.NumberOfFractionsPlanned),
  'metersets': [[int(b.ReferencedBeamNumber), float(b.BeamMeterset)] for b in fg.ReferencedBeamSequence],
  'doseRefs': [{'number': int(r.DoseReferenceNumber), 'type': r.DoseReferenceType,
                'target': f(r, 'TargetPrescriptionDose'), 'max': f(r, 'DeliveryMaximumDose')} for r in ds.DoseReferenceSequence],
  'beams': [{'number': int(b.BeamNumber), 'name': b.BeamName, 'type': b.BeamType, 'radiation': b.RadiationType,
             'sad': float(b.SourceAxisDistance), 'final': float(b.FinalCumulativeMetersetWeight),
             'cps': [{'weight': float(c.CumulativeMetersetWeight), 'energy': f(c, 'NominalBeamEnergy'),
                      'gantry': f(c, 'GantryAngle'), 'dir': c.get('GantryRotationDirection'),
                      'coll': f(c, 'BeamLimitingDeviceAngle'), 'couch': f(c, 'PatientSupportAngle'),
                      'iso': [float(v) for v in c.IsocenterPosition] if 'IsocenterPosition' in c else None,
                      'jaws': {p.RTBeamLimitingDeviceType: [float(v) for v in p.LeafJawPositions]
                               for p in c.get('BeamLimitingDevicePositionSequence', [])}}
                     for c in b.ControlPointSequence]} for b in ds.BeamSequence],
  'structureSet': ds.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID}))
`,
        file,
      );
      const plan = readRtPlan(file);
      expect(plan.label).toBe(py.label);
      expect(plan.referencedStructureSetSopInstanceUid).toBe(py.structureSet);
      expect(plan.fractionGroups).toHaveLength(1);
      expect(plan.fractionGroups[0]!.fractionsPlanned).toBe(py.fractions);
      expect(plan.fractionGroups[0]!.beamMetersets.map((b) => [b.beamNumber, b.metersetMu])).toEqual(py.metersets);
      expect(
        plan.doseReferences.map((r) => ({
          number: r.number,
          type: r.type,
          target: r.targetPrescriptionDoseGy ?? null,
          max: r.deliveryMaximumDoseGy ?? null,
        })),
      ).toEqual(py.doseRefs);
      expect(plan.beams).toHaveLength(py.beams.length);
      plan.beams.forEach((beam, b) => {
        const pb = py.beams[b]!;
        expect([beam.number, beam.name, beam.type, beam.radiationType]).toEqual([pb.number, pb.name, pb.type, pb.radiation]);
        expect(beam.sadMm).toBe(pb.sad);
        expect(beam.finalCumulativeMetersetWeight).toBe(pb.final);
        expect(beam.metersetMu).toBe(py.metersets.find(([n]) => n === pb.number)![1]);
        expect(beam.nominalEnergy).toBe(pb.cps[0]!.energy);
        expect(beam.controlPoints.map((c) => c.cumulativeMetersetWeight)).toEqual(pb.cps.map((c) => c.weight));
        // What a control point omits is carried forward from the one before (PS3.3 C.8.8.14.5).
        let last = pb.cps[0]!;
        beam.controlPoints.forEach((cp, i) => {
          const p = pb.cps[i]!;
          const carried = {
            gantry: p.gantry ?? last.gantry,
            dir: p.dir ?? last.dir,
            coll: p.coll ?? last.coll,
            couch: p.couch ?? last.couch,
            iso: p.iso ?? last.iso,
            jaws: { ...last.jaws, ...p.jaws },
          };
          expect(cp.index).toBe(i);
          expect(cp.gantryAngleDeg).toBe(carried.gantry);
          expect(cp.gantryRotationDirection).toBe(carried.dir);
          expect(cp.collimatorAngleDeg).toBe(carried.coll);
          expect(cp.couchAngleDeg).toBe(carried.couch);
          expect(cp.isocenterLps).toEqual(carried.iso);
          expect(Object.fromEntries(Object.entries(cp.jawsMm).map(([k, v]) => [k, [...v]]))).toEqual(carried.jaws);
          last = { ...p, ...carried };
        });
      });
    });

    it('rtplan_truncated.dcm gives a DicomError naming the file', () => {
      const file = pydicomFile('rtplan_truncated.dcm');
      const e = expectDicomError(() => readRtPlan(file), file);
      expect(e.context.file).toBe(file);
    });

    it('RT plans without file meta, explicit VR little and big endian, read like pydicom reads them', () => {
      const py = python<Record<string, { sop: string; study: string; frame: string; intent: string }>>(
        `
import sys, json, pydicom
out = {}
for f in sys.argv[1:]:
    ds = pydicom.dcmread(f, force=True)
    out[f] = {'sop': ds.SOPInstanceUID, 'study': ds.StudyInstanceUID, 'frame': ds.FrameOfReferenceUID, 'intent': ds.PlanIntent}
print(json.dumps(out))
`,
        pydicomFile('ExplVR_LitEndNoMeta.dcm'),
        pydicomFile('ExplVR_BigEndNoMeta.dcm'),
      );
      for (const [file, want] of Object.entries(py)) {
        const parsed = parseDicom(loadInput(file));
        expect(parsed.hasPreamble).toBe(false);
        expect(parsed.dataset.string('SOPInstanceUID')).toBe(want.sop);
        expect(parsed.dataset.string('StudyInstanceUID')).toBe(want.study);
        expect(parsed.dataset.string('FrameOfReferenceUID')).toBe(want.frame);
        expect(parsed.dataset.raw['300A000A']?.Value).toEqual([want.intent]);
      }
      expect(parseDicom(loadInput(pydicomFile('ExplVR_BigEndNoMeta.dcm'))).transferSyntaxUid).toBe('1.2.840.10008.1.2.2');
    });
  });

  describe('CT and pixel data', () => {
    it('CT_small.dcm: HU = pixel_array * slope + intercept as pydicom computes, grid from PixelSpacing (row, column)', () => {
      const file = pydicomFile('CT_small.dcm');
      const py = python<{ values: number[]; ipp: number[]; iop: number[]; spacing: number[]; thickness: number }>(
        `
import sys, json, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
a = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
print(json.dumps({'values': a.ravel().tolist(), 'ipp': [float(x) for x in ds.ImagePositionPatient],
  'iop': [float(x) for x in ds.ImageOrientationPatient], 'spacing': [float(x) for x in ds.PixelSpacing],
  'thickness': float(ds.SliceThickness)}))
`,
        file,
      );
      const ct = readCtSeries([file]);
      expect(ct.hu.grid.size).toEqual([128, 128, 1]);
      expect([...ct.hu.grid.originMm]).toEqual(py.ipp);
      expect(ct.hu.grid.spacingMm).toEqual([py.spacing[1], py.spacing[0], py.thickness]);
      const d = ct.hu.grid.direction;
      for (let a = 0; a < 3; a++) {
        expect(d[3 * a]).toBeCloseTo(py.iop[a]!, 5); // column 0 = row cosines
        expect(d[3 * a + 1]).toBeCloseTo(py.iop[3 + a]!, 5); // column 1 = column cosines
      }
      expectClose(ct.hu.data, py.values, 0);
      expect(ct.slices).toEqual([expect.objectContaining({ k: 0, file })]);
    });

    it('the same MR image decodes to pydicom values in explicit LE, implicit LE, big endian and RLE', () => {
      const names = ['MR_small.dcm', 'MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_expb.dcm', 'MR_small_RLE.dcm'];
      const py = python<Record<string, number[]>>(PIXELS_PY, ...names.map(pydicomFile));
      for (const name of names) expectClose(ourPixels(pydicomFile(name)), py[pydicomFile(name)]!, 0);
      expect(ourPixels(pydicomFile('MR_small_RLE.dcm'))).toEqual(ourPixels(pydicomFile('MR_small.dcm')));
    });

    it('a deflated dataset (image_dfl.dcm) decodes to pydicom values', () => {
      const file = pydicomFile('image_dfl.dcm');
      expect(parseDicom(loadInput(file)).transferSyntaxUid).toBe('1.2.840.10008.1.2.1.99');
      expectClose(ourPixels(file), python<Record<string, number[]>>(PIXELS_PY, file)[file]!, 0);
    });

    it.each([
      ['693_J2KI.dcm', '1.2.840.10008.1.2.4.91', 'JPEG 2000 Image Compression'],
      ['MR_small_jp2klossless.dcm', '1.2.840.10008.1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)'],
      ['MR_small_jpeg_ls_lossless.dcm', '1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'],
      ['JPEG-lossy.dcm', '1.2.840.10008.1.2.4.51', 'JPEG Extended'],
    ])('%s: compressed pixel data gives a DicomError naming %s (%s)', (name, uid, syntax) => {
      const file = pydicomFile(name);
      expectDicomError(() => ourPixels(file), uid, syntax, file, '(7FE0,0010) PixelData');
    });

    it('a JPEG 2000 CT slice is refused by readCtSeries with the transfer syntax named', () => {
      const file = pydicomFile('693_J2KI.dcm');
      expectDicomError(() => readCtSeries([file]), '1.2.840.10008.1.2.4.91', 'JPEG 2000', file);
    });

    it('MR_truncated.dcm (pixel data cut short) gives a DicomError naming the file and PixelData', () => {
      const file = pydicomFile('MR_truncated.dcm');
      const e = expectDicomError(() => parseDicom(loadInput(file)), file, '(7FE0,0010) PixelData', 'truncated');
      expect(e.context.file).toBe(file);
    });
  });

  describe('file meta variants', () => {
    it('a meta group without group length (no_meta_group_length.dcm) reads like pydicom reads it', () => {
      const file = pydicomFile('no_meta_group_length.dcm');
      const py = python<{ media: string; imageType: string[]; date: string; tags: number }>(
        `
import sys, json, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(json.dumps({'media': ds.file_meta.MediaStorageSOPInstanceUID, 'imageType': list(ds.ImageType),
  'date': ds.InstanceCreationDate, 'tags': len(ds)}))
`,
        file,
      );
      const parsed = parseDicom(loadInput(file));
      expect(parsed.transferSyntaxUid).toBe('1.2.840.10008.1.2');
      expect(parsed.meta.string('MediaStorageSOPInstanceUID')).toBe(py.media);
      expect(parsed.dataset.raw['00080008']?.Value).toEqual(py.imageType);
      expect(parsed.dataset.raw['00080012']?.Value).toEqual([py.date]);
      expect(Object.keys(parsed.dataset.raw)).toHaveLength(py.tags);
    });

    it('no_meta.dcm (starts one byte into a dataset, unreadable for pydicom too) and a meta without transfer syntax give DicomErrors', () => {
      expectDicomError(() => parseDicom(loadInput(pydicomFile('no_meta.dcm'))), 'not a DICOM file');
      expectDicomError(() => parseDicom(loadInput(pydicomFile('meta_missing_tsyntax.dcm'))), 'TransferSyntaxUID');
    });
  });

  it('scanDicom over the whole pydicom test folder lists or skips every file, never throws', () => {
    const root = pydicomTestFiles();
    const inventory = scanDicom(root);
    const listed = listSeries(inventory).flatMap((s) => s.series.files);
    expect(listed.length + inventory.skipped.length).toBe(inventory.fileCount);
    const skipped = new Map(inventory.skipped.map((s) => [s.file, s.reason]));
    expect(skipped.get(pydicomFile('README.txt'))).toContain('not a DICOM file');
    expect([...skipped.values()].some((r) => r.startsWith('DICOMDIR'))).toBe(true);
    const modalityOf = new Map(listSeries(inventory).flatMap((s) => s.series.instances.map((i) => [i.file, i.modality])));
    expect(modalityOf.get(pydicomFile('rtstruct.dcm'))).toBe('RTSTRUCT');
    expect(modalityOf.get(pydicomFile('rtplan.dcm'))).toBe('RTPLAN');
    expect(modalityOf.get(pydicomFile('CT_small.dcm'))).toBe('CT');
    // badVR.dcm is a copy of rtdose.dcm (same SOP instance) and sorts first: the copy is skipped.
    expect(modalityOf.get(pydicomFile('badVR.dcm'))).toBe('RTDOSE');
    expect(skipped.get(pydicomFile('rtdose.dcm'))).toBe(`same SOPInstanceUID as ${pydicomFile('badVR.dcm')} (a second copy of one object)`);
    // Compressed files are listed (their headers are fine); the JPEG error comes when reading pixels.
    expect(modalityOf.get(pydicomFile('693_J2KI.dcm'))).toBe('CT');
  });
});
