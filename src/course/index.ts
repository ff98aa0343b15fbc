/**
 * The clinical course beside the plan (issue 14): read a course file, compute response (RECIST 1.1,
 * mRECIST, WHO), survival, marker kinetics and consistency checks, and render them (course.json,
 * timeline.svg, markers.svg, course.md, course.html; an HTML section for the plan report).
 * The built-in example is the seed case's course (templates/seed-course.yaml).
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError } from '../core/errors.js';
import { analyseCourse, type CourseAnalysis } from './analyse.js';
import { markersSvg, timelineSvg } from './charts.js';
import { renderCourseHtml, renderCourseMarkdown } from './render.js';

export { analyseCourse, type CourseAnalysis, type ReportedComparison } from './analyse.js';
export { checkCourse, MARKER_UNITS, type CheckKind, type CourseCheck } from './checks.js';
export { parseCourse, parseCourseText, readCourseFile, normaliseMarker } from './course-file.js';
export { DAYS_PER_MONTH, parseDay, parseMonth, interval, months, type CourseDate } from './dates.js';
export { markerKinetics, KINETICS_RULE, type Kinetics } from './kinetics.js';
export type * from './model.js';
export { assessResponse, categorise, criterionResponse, CRITERIA, type Category, type Criterion, type CriterionResponse, type TimePointResponse } from './response.js';
export { courseTables, renderCourseHtml, renderCourseMarkdown, renderCourseSection } from './render.js';
export { markersSvg, timelineSvg } from './charts.js';
export { courseReportSection, type CourseReportSection } from './report-section.js';
export { resolveOrigin, survivalFrom, SURVIVAL_RULE, type SurvivalEndpoint } from './survival.js';

/** The files `lattice course` writes, by name. */
export const COURSE_OUTPUTS = ['course.json', 'timeline.svg', 'markers.svg', 'course.md', 'course.html'] as const;

export function courseOutputs(a: CourseAnalysis): Record<(typeof COURSE_OUTPUTS)[number], string> {
  return {
    'course.json': `${JSON.stringify(a, null, 1)}\n`,
    'timeline.svg': `${timelineSvg(a)}\n`,
    'markers.svg': `${markersSvg(a)}\n`,
    'course.md': renderCourseMarkdown(a),
    'course.html': renderCourseHtml(a),
  };
}

export const SEED_COURSE_NAME = 'seed-course.yaml';

/** The built-in example course: templates/seed-course.yaml, found above this module (src/ or dist/src/). */
export function seedCourseFile(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'templates', SEED_COURSE_NAME))) return join(dir, 'templates', SEED_COURSE_NAME);
    if (dirname(dir) === dir) break;
  }
  throw new FormatError(`cannot find the built-in example course (templates/${SEED_COURSE_NAME}) in any folder above ${start}`);
}
