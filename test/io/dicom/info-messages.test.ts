/**
 * `lattice info` and the case readers on what users leave in folders (issue 11 §4, §2): nothing
 * readable is an error saying why; an ROI without a volume says why; lattice's own staging folders
 * (a run killed part-way) are never read as a series; several CT series are refused with the folders
 * that hold each, so the user can point the command at one. Also the DS fast path of decode.ts
 * against Number() (the correctly rounded reading of a decimal text).
 */

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { DicomError } from '../../../src/core/errors.js';
import { createGrid } from '../../../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../../../src/geometry/structure.js';
import { createMask, createScalarVolume } from '../../../src/geometry/volume.js';
import { readDicomCase, readRtCase } from '../../../src/io/dicom/case.js';
import { decodeDataset, decodeNumbers, NumberElement } from '../../../src/io/dicom/read/decode.js';
import { DicomView } from '../../../src/io/dicom/read/view.js';
import { describeDicom } from '../../../src/io/dicom/read/describe.js';
import { referencedCtOf, writeCase, writeStructureSet } from '../../../src/io/dicom/write/index.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(['node', 'lattice', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-info-msg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A 40 x 40 x 11 CT (2 mm) with a BODY, written as CT/ + RTSTRUCT.dcm under `into`. */
function writeSmallCase(into: string, seed: string) {
  const grid = createGrid({ size: [40, 40, 11], spacingMm: [2, 2, 2], originMm: [-39, -39, -10] });
  const n = 40 * 40 * 11;
  return writeCase(into, {
    ct: createScalarVolume(grid, new Float32Array(n)),
    structures: [{ name: 'BODY', interpretedType: 'EXTERNAL', colorRgb: [0, 255, 0], mask: createMask(grid, new Uint8Array(n).fill(1)) }],
    patientId: 'P',
    patientName: 'Info^Messages',
    structureSetLabel: 'TEST',
    seed,
  });
}

describe('lattice info exits non-zero when nothing could be read', () => {
  it('an empty folder: exit 1, one line saying it holds no files', async () => {
    const r = await run('info', dir);
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toBe(`lattice: DicomError: ${dir}: nothing could be read: the folder holds no files`);
    expect(r.out).toBe('');
  });

  it('a folder of files that are not DICOM: exit 1, one line naming them and why', async () => {
    writeFileSync(join(dir, 'notes.txt'), 'plan notes\n');
    writeFileSync(join(dir, 'scan.dcm'), Buffer.alloc(300, 7));
    const r = await run('info', dir);
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/: nothing could be read: none of the 2 files is a DICOM object/);
    expect(r.err).toContain('notes.txt: ');
    expect(r.err).toContain('scan.dcm: ');
  });

  it('a structure set that fails to read is the only object: exit 1 with its error', async () => {
    const w = writeSmallCase(dir, 'bad-rtstruct');
    rmSync(w.ctDir, { recursive: true });
    // Cut the file inside its contours: the header (read by the scan) is intact, the contours are not.
    expect(readdirSync(dir)).toEqual(['RTSTRUCT.dcm']);
    const whole = readFileSync(w.rtstructFile);
    writeFileSync(w.rtstructFile, whole.subarray(0, Math.floor(whole.length * 0.8)));
    const r = await run('info', dir);
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/nothing could be read: every DICOM object failed to read \(RTSTRUCT\.dcm: /);
  });

  it('one file that is not DICOM: exit 1, the line says so', async () => {
    writeFileSync(join(dir, 'plan.pdf'), '%PDF-1.4\n');
    const r = await run('info', join(dir, 'plan.pdf'));
    expect(r.code).toBe(1);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(/^lattice: DicomError: .*plan\.pdf: nothing could be read: the file is not a DICOM object .*\(not a DICOM file/);
  });

  it('a readable case exits 0', async () => {
    writeSmallCase(dir, 'good');
    const r = await run('info', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/BODY \(EXTERNAL\): 11 contours/);
  });
});

/** A square of side s (mm) centred on (cx, cy) on plane z, or tilted: z rising by `tilt` mm per mm of x. */
function square(cx: number, cy: number, z: number, s: number, tilt = 0): PlanarContour {
  const h = s / 2;
  const xy = [[-h, -h], [h, -h], [h, h], [-h, h]];
  return { geometricType: 'CLOSED_PLANAR', pointsLps: Float64Array.from(xy.flatMap(([x, y]) => [cx + x!, cy + y!, z + tilt * x!])) };
}

describe('lattice info says why an ROI has no volume', () => {
  it('POINT and OPEN_PLANAR contours, and contours off the slice planes, get a reason; planar ones a volume', async () => {
    const w = writeSmallCase(dir, 'rois');
    const zs = [-4, -2, 0, 2, 4];
    const structures: ContourStructure[] = [
      // 20 x 20 mm squares on 5 planes 2 mm apart: 5 slabs of 2 mm, 20 * 20 * 10 mm^3 = 4 cc.
      { roiNumber: 1, name: 'Box', interpretedType: 'ORGAN', contours: zs.map((z) => square(0, 0, z, 20)) },
      { roiNumber: 2, name: 'Seeds', interpretedType: 'MARKER', contours: [0, 2].map((z) => ({ geometricType: 'POINT', pointsLps: new Float64Array([1, 2, z]) })) },
      {
        roiNumber: 3, name: 'Wire', interpretedType: 'ORGAN',
        contours: [{ geometricType: 'OPEN_PLANAR', pointsLps: new Float64Array([0, 0, 0, 10, 0, 0, 10, 10, 0]) }],
      },
      // Tilted 30 degrees about y (z rises 0.577 mm per mm of x): on no axial, sagittal or coronal plane.
      { roiNumber: 4, name: 'Oblique', interpretedType: 'ORGAN', contours: zs.map((z) => square(0, 0, z, 20, Math.tan(Math.PI / 6))) },
    ];
    writeStructureSet({ label: 'ROIS', structures, referencedCt: referencedCtOf(w.series) }, join(dir, 'RTSTRUCT.dcm'));
    const r = await run('info', dir);
    expect(r.code, r.err).toBe(0);
    const roiLine = (name: string): string => lines(r.out).find((l) => l.includes(` ${name} (`)) ?? '';
    expect(roiLine('Box')).toMatch(/, 4 cc$/);
    expect(roiLine('Seeds')).toMatch(/no volume: its contours are 2 POINT; only CLOSED_PLANAR contours of 3 or more points enclose a volume$/);
    expect(roiLine('Wire')).toMatch(/no volume: its contours are 1 OPEN_PLANAR;/);
    expect(roiLine('Oblique')).toMatch(/no volume: contour 0 is not on an axial plane \(its z spans 11.547 mm/);
    const json = await run('info', dir, '--json');
    const rois = (JSON.parse(json.out) as { patients: { studies: { series: { structureSets?: { rois: { name: string; volumeCc?: number; noVolumeReason?: string }[] }[] }[] }[] }[] })
      .patients[0]!.studies[0]!.series.flatMap((s) => s.structureSets ?? []).flatMap((ss) => ss.rois);
    expect(rois.find((x) => x.name === 'Box')).toMatchObject({ volumeCc: 4 });
    expect(rois.find((x) => x.name === 'Box')!.noVolumeReason).toBeUndefined();
    expect(rois.find((x) => x.name === 'Oblique')!.volumeCc).toBeUndefined();
    expect(rois.find((x) => x.name === 'Oblique')!.noVolumeReason).toMatch(/not on an axial plane/);
  });

  it('contours on sagittal planes get a reason, not a volume computed on axial slices', () => {
    const w = writeSmallCase(dir, 'sagittal');
    const xs = [-4, -2, 0, 2, 4];
    const sagittal = xs.map((x): PlanarContour => ({
      geometricType: 'CLOSED_PLANAR',
      pointsLps: new Float64Array([x, -10, -10, x, 10, -10, x, 10, 10, x, -10, 10]),
    }));
    writeStructureSet(
      { label: 'SAG', structures: [{ roiNumber: 1, name: 'Sag', interpretedType: 'ORGAN', contours: sagittal }], referencedCt: referencedCtOf(w.series) },
      join(dir, 'RTSTRUCT.dcm'),
    );
    const rois = describeDicom(dir, { roiVolumes: true }).patients[0]!.studies[0]!.series.flatMap((s) => s.structureSets ?? []).flatMap((ss) => ss.rois);
    expect(rois[0]!.volumeCc).toBeUndefined();
    expect(rois[0]!.noVolumeReason).toMatch(/^contour 0 is not on an axial plane \(its z spans 20 mm, more than 0.05 mm\)/);
  });
});

describe("lattice's staging folders are never read as a series", () => {
  /** A CT series of another case with its last 4 slices missing, as a run killed part-way leaves it. */
  function partialSeriesIn(folder: string): string {
    const other = writeSmallCase(join(dir, 'other'), 'interrupted');
    mkdirSync(folder, { recursive: true });
    for (const f of other.ctFiles.slice(0, other.ctFiles.length - 4)) cpSync(f, join(folder, f.split('/').pop()!));
    const uid = other.series.seriesInstanceUid;
    rmSync(join(dir, 'other'), { recursive: true });
    return uid;
  }

  it('info lists the staging folder as skipped and shows only the complete series', async () => {
    const w = writeSmallCase(dir, 'complete');
    const partialUid = partialSeriesIn(join(dir, '.lattice-staging-host-4242-0a1b2c3d', 'CT'));
    const summary = describeDicom(dir);
    const cts = summary.patients.flatMap((p) => p.studies.flatMap((s) => s.series)).filter((s) => s.modality === 'CT');
    expect(cts.map((s) => s.seriesInstanceUid)).toEqual([w.series.seriesInstanceUid]);
    expect(summary.skipped).toEqual([{ file: join(dir, '.lattice-staging-host-4242-0a1b2c3d'), reason: expect.stringMatching(/staging folder of an unfinished lattice run/) }]);
    const r = await run('info', dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain(partialUid);
    expect(r.out).toContain('.lattice-staging-host-4242-0a1b2c3d: staging folder of an unfinished lattice run');
  });

  it('the case readers read the complete series, also with a staging folder deeper down', () => {
    const w = writeSmallCase(dir, 'complete');
    partialSeriesIn(join(dir, 'CT', '.lattice-staging-host-77-ffff0000'));
    const c = readDicomCase(dir);
    expect(c.ct.seriesInstanceUid).toBe(w.series.seriesInstanceUid);
    expect(c.ct.hu.grid.size).toEqual([40, 40, 11]);
    expect(c.warnings.some((x) => x.includes('.lattice-staging-host-77-ffff0000') && x.includes('not read'))).toBe(true);
  });
});

describe("lattice's own files in an output folder", () => {
  it('the manifest, the lock and the reports it lists are left out of a scan; a foreign text file is still reported', () => {
    const w = writeSmallCase(dir, 'with-reports');
    writeFileSync(join(dir, 'report.json'), '{}');
    writeFileSync(join(dir, 'report.md'), '# report');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, '.lattice.lock'), '{}');
    // The manifest lists the reports (as src/io/atomic.ts writes it); notes.txt is not lattice's.
    writeFileSync(join(dir, '.lattice-outputs.json'), JSON.stringify({ files: { 'report.json': { size: 2, mtimeMs: 0 }, 'report.md': { size: 8, mtimeMs: 0 }, 'RTSTRUCT.dcm': { size: 1, mtimeMs: 0 } } }));
    const summary = describeDicom(dir);
    expect(summary.skipped.map((x) => x.file)).toEqual([join(dir, 'notes.txt')]);
    const c = readDicomCase(dir);
    expect(c.ct.seriesInstanceUid).toBe(w.series.seriesInstanceUid);
    expect(c.structureSet).toBeDefined(); // RTSTRUCT.dcm, listed but .dcm, is still read
    expect(c.warnings.filter((x) => x.includes('report.') || x.includes('.lattice'))).toEqual([]);
  });
});

describe('several CT series: the message names the folder of each', () => {
  const caught = (f: () => unknown): DicomError => {
    try {
      f();
    } catch (e) {
      if (e instanceof DicomError) return e;
      throw e;
    }
    throw new Error('expected a DicomError');
  };

  it('series in folders of their own: one line with each UID and folder; pointing at one folder works', () => {
    const a = writeSmallCase(join(dir, 'a'), 'series-a');
    const b = writeSmallCase(join(dir, 'b'), 'series-b');
    const e = caught(() => readDicomCase(dir));
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`${a.series.seriesInstanceUid} (11 slices, in ${join('a', 'CT')})`);
    expect(e.message).toContain(`${b.series.seriesInstanceUid} (11 slices, in ${join('b', 'CT')})`);
    expect(e.message).toContain('give the command the folder of the series to use');
    expect(e.message).not.toContain('by its series UID');
    expect(readDicomCase(join(dir, 'a')).ct.seriesInstanceUid).toBe(a.series.seriesInstanceUid);
  });

  it('two series in one folder: the message says to move them apart', () => {
    const a = writeSmallCase(join(dir, 'a'), 'series-a');
    const b = writeSmallCase(join(dir, 'b'), 'series-b');
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    for (const [k, f] of [...a.ctFiles, ...b.ctFiles].entries()) cpSync(f, join(mixed, `${k}.dcm`));
    const e = caught(() => readDicomCase(mixed));
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`${a.series.seriesInstanceUid} (11 slices, in ${mixed})`);
    expect(e.message).toContain(`${mixed} holds more than one series: move each series into a folder of its own`);
  });
});

describe('several CT series where a DVH needs none (readRtCase, lattice evaluate)', () => {
  it('uses the series the structure set references, with a note', () => {
    const a = writeSmallCase(join(dir, 'case'), 'series-a');
    // Another CT series in the same case folder (a second scan), referenced by nothing.
    const b = writeSmallCase(join(dir, 'other'), 'series-b');
    cpSync(b.ctDir, join(dir, 'case', 'CT2'), { recursive: true });
    expect(() => readDicomCase(join(dir, 'case'))).toThrow(/expected one CT series, found 2/);
    const rt = readRtCase(join(dir, 'case'));
    expect(rt.ct?.seriesInstanceUid).toBe(a.series.seriesInstanceUid);
    expect(rt.warnings).toContain(`2 CT series here; using ${a.series.seriesInstanceUid}, the one the structure set references`);
    // With the other scan's structure set instead, the other series is the one used.
    rmSync(a.rtstructFile);
    cpSync(b.rtstructFile, join(dir, 'case', 'RTSTRUCT_b.dcm'));
    const other = readRtCase(join(dir, 'case'));
    expect(other.ct?.seriesInstanceUid).toBe(b.series.seriesInstanceUid);
  });
});

describe('decimal strings decoded from the bytes (decode.ts fast path)', () => {
  const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
  /** The expected values: JavaScript's Number() of each trimmed value, '' as null. */
  const expected = (text: string): (number | null)[] => text.split('\\').map((v) => (v.trim() === '' ? null : Number(v.trim())));

  it('plain decimal texts read as Number() reads them, bit for bit', () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const value = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        digits(0, 18),
        fc.option(digits(0, 18)),
        fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), digits(1, 3))),
        fc.nat(2),
        fc.nat(2),
      )
      .filter(([, i, f]) => i.length + (f?.length ?? 0) > 0)
      .map(([s, i, f, e, lead, trail]) => `${' '.repeat(lead)}${s}${i}${f !== null ? `.${f}` : ''}${e !== null ? e.join('') : ''}${' '.repeat(trail)}`);
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 6 }), (values) => {
        const text = values.join('\\');
        const got = decodeNumbers(bytesOf(text), 0, text.length);
        const want = expected(text);
        expect(got.length).toBe(want.length);
        got.forEach((g, i) => expect(Object.is(g, want[i]), `${values[i]}: ${g} vs ${want[i]}`).toBe(true));
      }),
      { numRuns: 2000 },
    );
  });

  /** An explicit-VR little-endian dataset of one ContourData (3006,0050) DS element holding text. */
  const contourData = (text: string): Uint8Array => {
    const padded = text.length % 2 === 0 ? text : `${text} `;
    const out = new Uint8Array(8 + padded.length);
    out.set([0x06, 0x30, 0x50, 0x00, 0x44, 0x53, padded.length & 0xff, padded.length >> 8]);
    out.set(bytesOf(padded), 8);
    return out;
  };

  it('a DS element of finite numbers is read as a Float64Array (fast path or not), others as before', () => {
    // a value beyond the fast path (exponent -24) among plain ones, as a contour point often is
    const text = '180\\0\\-136.5\\1.0838124172e-14\\180.306956167023\\-3.361655464e-14';
    const bytes = contourData(text);
    const el = decodeDataset(bytes, 0, bytes.length, true, true)!['30060050']!;
    expect(el).toBeInstanceOf(NumberElement);
    const view = new DicomView(decodeDataset(bytes, 0, bytes.length, true, true)!, 'f.dcm');
    const got = view.float64s('ContourData')!;
    const want = expected(text);
    expect(Array.from(got)).toEqual(want);
    got.forEach((g, i) => expect(Object.is(g, want[i])).toBe(true));
    expect(view.numbers('ContourData')).toEqual(want);
    // a blank or a value that is not finite: the array dcmjs gives, and DicomView's checks on it
    const blank = contourData('1\\\\2');
    const withBlank = decodeDataset(blank, 0, blank.length, true, true)!['30060050']!;
    expect(withBlank).not.toBeInstanceOf(NumberElement);
    expect(withBlank.Value).toEqual([1, null, 2]);
    const huge = contourData('1\\1e400\\2');
    expect(() => new DicomView(decodeDataset(huge, 0, huge.length, true, true)!, 'f.dcm').float64s('ContourData')).toThrow(/ContourData/);
  });

  it('values beyond the fast path (long mantissas, large exponents, -0, blanks) read as before', () => {
    const text = '12345678901234567890\\1.5e-30\\-1e400\\-0\\.5\\5.\\  \\0.1000000000000000055511151231257827';
    const got = decodeNumbers(bytesOf(text), 0, text.length);
    expect(got).toEqual([12345678901234567890, 1.5e-30, -Infinity, -0, 0.5, 5, null, 0.1]);
    expect(Object.is(got[3], -0)).toBe(true);
  });
});
