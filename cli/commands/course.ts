/**
 * `lattice course FILE --out DIR` (or `lattice course --example --out DIR`, the seed case's course):
 * reads a clinical course file (YAML/JSON, docs/course.md), computes response (RECIST 1.1, mRECIST,
 * WHO), PFS and OS, marker kinetics and the consistency checks, and writes course.json, timeline.svg,
 * markers.svg, course.md and course.html into DIR, together (each through a temporary file). Prints a
 * summary and every consistency finding. Exit 0 when the course was read (findings are warnings),
 * 1 with a one-line typed error on a bad file or option.
 */

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../src/core/errors.js';
import { analyseCourse, COURSE_OUTPUTS, courseOutputs, readCourseFile, seedCourseFile, type CourseAnalysis } from '../../src/course/index.js';
import { withOutputFolder, writeFileAtomic } from '../../src/io/atomic.js';
import { DISCLAIMER } from '../options.js';
import { runCommand } from '../run-command.js';

interface CourseOptions {
  readonly out: string;
  readonly example?: boolean;
  readonly json?: boolean;
  readonly force?: boolean;
}

/** The summary printed after the files are written. */
export function formatCourseSummary(a: CourseAnalysis, out: string): string {
  const lines = [`course of ${a.course.patient.id} (${a.file}) -> ${out}: ${COURSE_OUTPUTS.join(', ')}`];
  for (const r of a.response.criteria) {
    const points = r.timePoints.map((p) => `${p.imaging} ${p.category}${p.changeFromBaselinePct !== null ? ` (${p.changeFromBaselinePct >= 0 ? '+' : ''}${p.changeFromBaselinePct.toFixed(1)} %)` : ''}`);
    lines.push(`${r.criterion} from baseline '${r.baselineImaging}': ${points.length > 0 ? points.join(', ') : 'no later imaging'}${r.notEvaluable !== undefined ? ` (not evaluable: ${r.notEvaluable})` : ''}`);
  }
  for (const o of a.survival.origins) {
    const parts = o.endpoints.map((e) => `${e.endpoint} ${e.months.toFixed(1)} months (${e.days} days, ${e.event ? 'event' : 'censored'})`);
    lines.push(`from the ${o.origin.description}: ${parts.join(', ')}`);
  }
  for (const k of a.kinetics.results) lines.push(k.text);
  lines.push(a.checks.length === 0 ? 'consistency checks: no findings' : `consistency checks: ${a.checks.length} finding${a.checks.length === 1 ? '' : 's'}`);
  for (const c of a.checks) lines.push(`  warning [${c.check}] ${c.message}`);
  return lines.join('\n');
}

function runCourse(file: string | undefined, opts: CourseOptions): void {
  if (file !== undefined && opts.example === true) throw new InputError('course: give a course file or --example, not both');
  if (file === undefined && opts.example !== true) throw new InputError('course: expected a course file (YAML or JSON, docs/course.md), or --example for the built-in seed case');
  const path = file ?? seedCourseFile();
  const analysis = analyseCourse(readCourseFile(path));
  const outputs = courseOutputs(analysis);
  withOutputFolder(
    opts.out,
    () => {
      for (const name of COURSE_OUTPUTS) writeFileAtomic(join(opts.out, name), outputs[name]);
    },
    { replaces: [...COURSE_OUTPUTS], force: opts.force === true },
  );
  if (opts.json === true) {
    console.log(outputs['course.json'].trimEnd());
    return;
  }
  const notes: string[] = [];
  for (const t of analysis.course.treatments) {
    if (t.planFolder === undefined) continue;
    // relative to the course file; for the built-in example, to the working folder (where lattice demo writes)
    const folder = isAbsolute(t.planFolder) ? t.planFolder : resolve(file !== undefined ? dirname(path) : process.cwd(), t.planFolder);
    if (!existsSync(folder)) notes.push(`note: ${t.at.label} links the plan folder ${t.planFolder}, not found at ${folder}`);
  }
  console.log([DISCLAIMER, formatCourseSummary(analysis, opts.out), ...notes].join('\n'));
}

export function registerCourse(program: Command, setExit: (code: number) => void): void {
  program
    .command('course')
    .description(
      'the clinical course beside the plan: response per time point (RECIST 1.1, mRECIST, WHO), PFS and OS from an explicit origin, ' +
        'tumour-marker kinetics and consistency checks from a course file; writes course.json, timeline.svg, markers.svg, course.md, course.html',
    )
    .argument('[file]', 'a course file, YAML or JSON (docs/course.md)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--example', 'use the built-in example: the seed case report\'s course (templates/seed-course.yaml)')
    .option('--json', 'print course.json to standard output instead of the summary')
    .option('--force', 'replace files in the output folder that lattice did not write')
    .addHelpText('after', '\nExit status: 0 when the course was read (consistency findings are warnings), 1 on a bad file or option.')
    .action(async (file: string | undefined, opts: CourseOptions) => {
      setExit(await runCommand(() => runCourse(file, opts)));
    });
}
