/**
 * Folder (or file) -> inventory of the DICOM objects in it, grouped patient > study > series, the
 * way PS3.3 C.7 organises them (Patient ID, Study / Series Instance UID), so the caller can pick the
 * CT series, structure set, plan and dose of one study.
 *
 * Only the header of each file is parsed (top-level elements below (0028,0100), i.e. up to the image
 * size and pixel spacing, from the first 8 or 64 KiB when that holds them), so scanning a CT folder does
 * not decode pixel data; the parsed headers are kept (`headers`), enough for a CT series' geometry
 * (readCtGeometry) without reading its files again. Files that are
 * not DICOM, or that cannot be parsed, are listed in `skipped` with the reason; so are DICOMDIR
 * files and second copies of an already-seen SOP instance. Folders named `.lattice-staging-*` (where
 * an output run stages its files, src/io/atomic.ts; left behind by a run killed part-way) are not
 * read: their files may be an incomplete series; each is listed in `skipped`.
 */

import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { LOCK_NAME, MANIFEST_NAME, STAGING_PREFIX } from '../../atomic.js';
import { DicomError } from '../../../core/errors.js';
import { SOP_CLASS } from '../uid.js';
import { parseDicom, type ParsedDicom } from './parse.js';
import { loadInput, readFilePrefix } from './source.js';
import { datasetEncoding } from './transfer-syntax.js';

export interface DicomInstanceEntry {
  readonly file: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly modality: string;
  readonly transferSyntaxUid: string;
  readonly instanceNumber?: number;
}

export interface DicomSeriesEntry {
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  /** Top-level FrameOfReferenceUID of the first instance (RTSTRUCT and RTPLAN usually have none). */
  readonly frameOfReferenceUid?: string;
  /** Ordered by InstanceNumber, then file name. */
  readonly instances: readonly DicomInstanceEntry[];
  /** The instances' files, same order. */
  readonly files: readonly string[];
}

export interface DicomStudyEntry {
  readonly studyInstanceUid: string;
  readonly studyDescription?: string;
  readonly studyDate?: string;
  /** CT first, then RTSTRUCT, RTPLAN, RTDOSE, then other modalities. */
  readonly series: readonly DicomSeriesEntry[];
}

export interface DicomPatientEntry {
  readonly patientId: string;
  readonly patientName: string;
  readonly studies: readonly DicomStudyEntry[];
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

export interface DicomInventory {
  /** The path scanned. */
  readonly root: string;
  readonly patients: readonly DicomPatientEntry[];
  readonly skipped: readonly SkippedFile[];
  /** Number of files looked at. */
  readonly fileCount: number;
  /** The parsed header of every listed instance, by file. */
  readonly headers: ReadonlyMap<string, ParsedDicom>;
}

/** Header bytes read first (8 KiB holds most headers, lattice-rt's own CT's in 2 KiB), then 64 KiB; a file whose header is longer is read whole. */
const PREFIX_BYTES = [8 * 1024, 64 * 1024];
/**
 * Top-level elements from this tag on are not read: (0028,0100) BitsAllocated, the image pixel
 * description after Rows, Columns and PixelSpacing.
 */
const HEADER_END_TAG = 0x00280100;

const MODALITY_ORDER = ['CT', 'RTSTRUCT', 'RTPLAN', 'RTDOSE'];

/** Lattice's bookkeeping in an output folder (src/io/atomic.ts): the manifest, the lock, and their temporary or stale copies. */
const isBookkeeping = (name: string): boolean =>
  [MANIFEST_NAME, LOCK_NAME].some((n) => name === n || name.startsWith(`${n}.`)) || name.startsWith(`.${MANIFEST_NAME}.`);

/**
 * The reports lattice wrote into a folder (its manifest, src/io/atomic.ts, lists them): files not
 * ending in .dcm (report.json, report.md, plan.json, vertices.json, ...), which are not DICOM and
 * are left out of a scan without a "not a DICOM file" note.
 */
function latticeReports(folder: string, names: readonly string[]): Set<string> {
  if (!names.includes(MANIFEST_NAME)) return new Set();
  try {
    const manifest = JSON.parse(readFileSync(join(folder, MANIFEST_NAME), 'utf8')) as { files?: Record<string, unknown> };
    return new Set(Object.keys(manifest.files ?? {}).filter((n) => !n.includes('/') && !/\.dcm$/i.test(n) && names.includes(n)));
  } catch {
    return new Set();
  }
}

/**
 * Files under root (sorted, symlinks followed once); unreadable folders and lattice's staging
 * folders go to `skipped`; lattice's bookkeeping and reports are left out.
 */
function listFiles(root: string, skipped: SkippedFile[]): string[] {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const visit = (path: string): void => {
    let st;
    try {
      st = statSync(path);
    } catch {
      out.push(path); // a dangling link: reported as unreadable by the header read
      return;
    }
    if (st.isDirectory()) {
      if (basename(path).startsWith(STAGING_PREFIX)) {
        skipped.push({ file: path, reason: 'staging folder of an unfinished lattice run (interrupted?); its files are not read' });
        return;
      }
      let names: string[];
      try {
        const real = realpathSync(path);
        if (seenDirs.has(real)) return;
        seenDirs.add(real);
        names = readdirSync(path).sort();
      } catch (e) {
        skipped.push({ file: path, reason: `cannot read folder: ${e instanceof Error ? e.message : String(e)}` });
        return;
      }
      const own = latticeReports(path, names);
      for (const name of names) if (!own.has(name)) visit(join(path, name));
    } else if (st.isFile()) {
      // lattice's own bookkeeping in an output folder (src/io/atomic.ts): not data, not reported.
      if (isBookkeeping(basename(path)) && path !== root) return;
      out.push(path);
    }
  };
  visit(root);
  return out;
}

/**
 * Parse the top-level elements of a file below `stopAtTag` (default: (0028,0100)), from a prefix
 * when that suffices, else from the whole file.
 */
export function readHeader(file: string, stopAtTag: number = HEADER_END_TAG): ParsedDicom {
  for (const bytes of PREFIX_BYTES) {
    const prefix = readFilePrefix(file, bytes);
    if (prefix.complete) return parseDicom({ name: file, bytes: prefix.bytes }, { stopAtTag });
    try {
      const parsed = parseDicom({ name: file, bytes: prefix.bytes }, { stopAtTag });
      // A prefix that ends exactly between elements looks complete: trust it only when the walk reached
      // the stop tag (a deflated dataset cannot be walked, so it is always read whole).
      if (parsed.partial && !datasetEncoding(parsed.transferSyntaxUid).deflated) return parsed;
    } catch (e) {
      if (!(e instanceof DicomError)) throw e;
    }
  }
  return parseDicom(loadInput(file), { stopAtTag });
}

function modalityRank(m: string): number {
  const i = MODALITY_ORDER.indexOf(m);
  return i < 0 ? MODALITY_ORDER.length : i;
}

interface MutableSeries {
  entry: Omit<DicomSeriesEntry, 'instances' | 'files'>;
  instances: DicomInstanceEntry[];
}

/** Scan a file or a folder (recursively). Throws DicomError only when the path itself cannot be read. */
export function scanDicom(path: string): DicomInventory {
  try {
    statSync(path);
  } catch (e) {
    throw new DicomError('cannot scan: no such file or folder', { file: path }, { cause: e });
  }
  const skipped: SkippedFile[] = [];
  const files = listFiles(path, skipped);
  const patients = new Map<string, { patientId: string; patientName: string; studies: Map<string, { entry: Omit<DicomStudyEntry, 'series'>; series: Map<string, MutableSeries> }> }>();
  const seenInstances = new Map<string, string>();
  const headers = new Map<string, ParsedDicom>();

  for (const file of files) {
    let parsed: ParsedDicom;
    try {
      parsed = readHeader(file);
    } catch (e) {
      if (!(e instanceof DicomError)) throw e;
      skipped.push({ file, reason: reasonOf(e, file) });
      continue;
    }
    const ds = parsed.dataset;
    const mediaClass = parsed.meta.string('MediaStorageSOPClassUID');
    if (mediaClass === SOP_CLASS.mediaStorageDirectory || ds.has('DirectoryRecordSequence')) {
      skipped.push({ file, reason: 'DICOMDIR (a media directory, not an image or RT object)' });
      continue;
    }
    let ids: { sopInstanceUid: string; sopClassUid: string; studyUid: string; seriesUid: string; modality: string };
    try {
      ids = {
        sopInstanceUid: ds.requireString('SOPInstanceUID'),
        sopClassUid: ds.string('SOPClassUID') ?? mediaClass ?? '',
        studyUid: ds.requireString('StudyInstanceUID'),
        seriesUid: ds.requireString('SeriesInstanceUID'),
        modality: ds.requireString('Modality'),
      };
    } catch (e) {
      if (!(e instanceof DicomError)) throw e;
      skipped.push({ file, reason: reasonOf(e, file) });
      continue;
    }
    const earlier = seenInstances.get(ids.sopInstanceUid);
    if (earlier !== undefined) {
      skipped.push({ file, reason: `same SOPInstanceUID as ${earlier} (a second copy of one object)` });
      continue;
    }
    seenInstances.set(ids.sopInstanceUid, file);

    const patientId = ds.string('PatientID') ?? '';
    const patientName = ds.string('PatientName') ?? '';
    const patientKey = `${patientId}\u0000${patientName}`;
    let patient = patients.get(patientKey);
    if (patient === undefined) {
      patient = { patientId, patientName, studies: new Map() };
      patients.set(patientKey, patient);
    }
    let study = patient.studies.get(ids.studyUid);
    if (study === undefined) {
      const studyDescription = ds.string('StudyDescription');
      const studyDate = ds.string('StudyDate');
      study = {
        entry: {
          studyInstanceUid: ids.studyUid,
          ...(studyDescription !== undefined ? { studyDescription } : {}),
          ...(studyDate !== undefined ? { studyDate } : {}),
        },
        series: new Map(),
      };
      patient.studies.set(ids.studyUid, study);
    }
    const seriesKey = `${ids.seriesUid}\u0000${ids.modality}`;
    let series = study.series.get(seriesKey);
    if (series === undefined) {
      const seriesNumber = optionalInteger(() => ds.integer('SeriesNumber'));
      const seriesDescription = ds.string('SeriesDescription');
      const frameOfReferenceUid = ds.string('FrameOfReferenceUID');
      series = {
        entry: {
          seriesInstanceUid: ids.seriesUid,
          modality: ids.modality,
          ...(seriesNumber !== undefined ? { seriesNumber } : {}),
          ...(seriesDescription !== undefined ? { seriesDescription } : {}),
          ...(frameOfReferenceUid !== undefined ? { frameOfReferenceUid } : {}),
        },
        instances: [],
      };
      study.series.set(seriesKey, series);
    }
    const instanceNumber = optionalInteger(() => ds.integer('InstanceNumber'));
    headers.set(file, parsed);
    series.instances.push({
      file,
      sopClassUid: ids.sopClassUid,
      sopInstanceUid: ids.sopInstanceUid,
      modality: ids.modality,
      transferSyntaxUid: parsed.transferSyntaxUid,
      ...(instanceNumber !== undefined ? { instanceNumber } : {}),
    });
  }

  const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const out: DicomPatientEntry[] = [...patients.values()]
    .sort((a, b) => byText(a.patientId, b.patientId) || byText(a.patientName, b.patientName))
    .map((p) => ({
      patientId: p.patientId,
      patientName: p.patientName,
      studies: [...p.studies.values()]
        .sort((a, b) => byText(a.entry.studyDate ?? '', b.entry.studyDate ?? '') || byText(a.entry.studyInstanceUid, b.entry.studyInstanceUid))
        .map((s) => ({
          ...s.entry,
          series: [...s.series.values()]
            .sort(
              (a, b) =>
                modalityRank(a.entry.modality) - modalityRank(b.entry.modality) ||
                byText(a.entry.modality, b.entry.modality) ||
                (a.entry.seriesNumber ?? 0) - (b.entry.seriesNumber ?? 0) ||
                byText(a.entry.seriesInstanceUid, b.entry.seriesInstanceUid),
            )
            .map((se) => {
              const instances = [...se.instances].sort(
                (a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || byText(a.file, b.file),
              );
              return { ...se.entry, instances, files: instances.map((i) => i.file) };
            }),
        })),
    }));
  return { root: path, patients: out, skipped, fileCount: files.length, headers };
}

/** An error message without the file name (the skipped list names the file already). */
function reasonOf(e: DicomError, file: string): string {
  return e.message.replace(` (file ${file})`, '').replace(`(file ${file}, `, '(');
}

/** A malformed optional number (e.g. InstanceNumber "abc") is left out rather than failing the scan. */
function optionalInteger(read: () => number | undefined): number | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof DicomError) return undefined;
    throw e;
  }
}

/** Every series of an inventory, with its patient and study, in inventory order. */
export function listSeries(inventory: DicomInventory): {
  readonly patient: DicomPatientEntry;
  readonly study: DicomStudyEntry;
  readonly series: DicomSeriesEntry;
}[] {
  return inventory.patients.flatMap((patient) =>
    patient.studies.flatMap((study) => study.series.map((series) => ({ patient, study, series }))),
  );
}

/** Path of a file relative to the scanned root, for display. */
export const relativeToRoot = (inventory: Pick<DicomInventory, 'root'>, file: string): string =>
  file === inventory.root ? file : relative(inventory.root, file) || file;
