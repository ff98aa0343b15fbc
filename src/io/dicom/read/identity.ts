/**
 * The identity every object shares (patient, study, series, frame of reference), PS3.3 C.7.1.1,
 * C.7.2.1, C.7.3.1, C.7.4.1, and the modality check every reader starts with.
 */

import type { DicomIdentity } from '../model.js';
import type { DicomView } from './view.js';

/**
 * Patient ID and name are Type 2 (may be empty: ''); study and series instance UIDs are Type 1.
 * The frame of reference UID is passed in because where it lives depends on the object.
 */
export function readIdentity(ds: DicomView, frameOfReferenceUid: string): DicomIdentity {
  const studyDescription = ds.string('StudyDescription');
  const seriesDescription = ds.string('SeriesDescription');
  return {
    patientId: ds.string('PatientID') ?? '',
    patientName: ds.string('PatientName') ?? '',
    studyInstanceUid: ds.requireString('StudyInstanceUID'),
    seriesInstanceUid: ds.requireString('SeriesInstanceUID'),
    frameOfReferenceUid,
    ...(studyDescription !== undefined ? { studyDescription } : {}),
    ...(seriesDescription !== undefined ? { seriesDescription } : {}),
  };
}

/** Throws unless (0008,0060) Modality is the expected one. */
export function requireModality(ds: DicomView, expected: string, what: string): void {
  const modality = ds.requireString('Modality');
  if (modality !== expected) {
    throw ds.error(`expected ${what} (Modality ${expected}), found Modality ${modality}`, 'Modality');
  }
}
