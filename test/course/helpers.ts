/** Small builders for course tests: imaging studies by hand, and course files from YAML text. */

import { parseDay } from '../../src/course/dates.js';
import { parseCourseText } from '../../src/course/course-file.js';
import type { Course, ImagingStudy } from '../../src/course/model.js';

export interface LesionSpec {
  readonly longestMm: number;
  readonly perpendicularMm?: number;
  readonly enhancingMm?: number;
}

/** An imaging study on `date` with lesions by name: { L1: { longestMm: 60 }, ... }. */
export function study(id: string, date: string, lesions: Readonly<Record<string, LesionSpec>>, newLesions = false): ImagingStudy {
  return {
    id,
    date: parseDay(date)!,
    modality: 'CT',
    lesions: Object.entries(lesions).map(([lesion, m]) => ({ lesion, ...m, at: { path: `imaging.${id}`, label: `lesion '${lesion}'` } })),
    newLesions,
    at: { path: `imaging.${id}`, label: `imaging '${id}'` },
  };
}

/** The minimal head of a course file (patient, diagnosis), to which a test adds its own lines. */
export const HEAD = `patient: { id: TEST-01 }
diagnosis: { date: 2024-01-02, disease: hepatocellular carcinoma }
`;

export const course = (yaml: string, file = 'test-course.yaml'): Course => parseCourseText(yaml, file);
