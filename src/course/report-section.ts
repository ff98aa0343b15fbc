/**
 * The clinical course as a section of a plan's report (issue 14 §3): `lattice evaluate PATH --course FILE`
 * and `lattice plan PATH --course FILE` include it in report.html. The course is read and analysed before
 * the plan's own work (a bad file fails at once); a course that links no plan folder at PATH or at the
 * report's folder is still included, with a warning saying so.
 *
 * Input: the course file, the folders of the plan (the evaluated or planned PATH and the output folder).
 * Output: the HTML fragment (render.ts renderCourseSection) and the warnings.
 */

import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { analyseCourse } from './analyse.js';
import { readCourseFile } from './course-file.js';
import { renderCourseSection } from './render.js';

export interface CourseReportSection {
  readonly html: string;
  readonly warnings: readonly string[];
}

const canonical = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

export function courseReportSection(file: string, planFolders: readonly string[]): CourseReportSection {
  const analysis = analyseCourse(readCourseFile(file));
  const wanted = new Set(planFolders.map(canonical));
  const linked = analysis.course.treatments.some(
    (t) => t.planFolder !== undefined && wanted.has(canonical(isAbsolute(t.planFolder) ? t.planFolder : resolve(dirname(file), t.planFolder))),
  );
  const warnings = linked
    ? []
    : [`the course ${file} links no plan folder at ${planFolders.join(' or ')} (planFolder of a radiotherapy entry, relative to the course file); its course is included as given`];
  return { html: renderCourseSection(analysis), warnings };
}
