/**
 * `lattice plan PATH --out DIR [--template seed-case|imrt|FILE] [--target GTV] [--beams ...]`: an
 * optimised plan from a DICOM CT + structure set (src/plan/run-case.ts). Progress on stderr; the
 * summary on stdout (or as JSON with --json). Argument parsing and printing only.
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { InputError } from '../../src/core/errors.js';
import { parseBeamOption, type BeamAngles } from '../../src/plan/beams.js';
import { planCase, type PlanCaseResult, type PlanProgress } from '../../src/plan/run-case.js';
import { loadMachine } from '../../src/deliver/machine-file.js';
import { courseReportSection } from '../../src/course/report-section.js';
import type { ReferenceRow } from '../../src/plan/seed-case-reference.js';
import { decimalNumber, DISCLAIMER, positiveNumber } from '../options.js';
import { withOutputFolder } from '../../src/io/atomic.js';
import { runCommand } from '../run-command.js';

/** What `plan` writes (vertices.json only when it places vertices); one run's set replaces another's as a whole. */
export const PLAN_OUTPUTS = ['RTSTRUCT.dcm', 'RTDOSE.dcm', 'RTPLAN.dcm', 'plan.json', 'report.json', 'report.md', 'report.html', 'report.pdf', 'vertices.json'];

interface PlanOptions {
  readonly out: string;
  readonly template: string;
  readonly target?: string;
  readonly beams?: BeamAngles[];
  readonly peaks?: string[];
  readonly isocentre?: [number, number, number];
  readonly gridMm: number;
  readonly maxIterations?: number;
  readonly threads?: number;
  readonly json?: boolean;
  readonly pdf?: boolean;
  readonly progress: boolean;
  readonly force?: boolean;
  readonly delivery?: 'fluence' | 'vmat' | 'imrt';
  readonly course?: string;
  readonly machine?: string;
}

const beamsOption = (value: string): BeamAngles[] => {
  // every angle (and count) in decimal notation: '0x10' is not 16, '90/' has no couch angle
  for (const part of value.trim().split(/[,:/]/u)) decimalNumber('--beams', part);
  try {
    return parseBeamOption(value);
  } catch (e) {
    // parseBeamOption's refusals name the option; anything else is a bug, reported as one (main.ts)
    if (e instanceof InputError) throw new InvalidArgumentError(e.message);
    throw e;
  }
};

const isocentreOption = (value: string): [number, number, number] => {
  const parts = value.split(',');
  if (parts.length !== 3) throw new InvalidArgumentError(`--isocentre expects x,y,z in mm (LPS), found '${value}'`);
  const v = parts.map((x) => decimalNumber('--isocentre', x));
  return [v[0]!, v[1]!, v[2]!];
};

/** Parse an integer option >= 1 (decimal notation), with a message naming the option. */
export const positiveInteger = (option: string) => (value: string): number => {
  const v = decimalNumber(option, value);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`${option} expects an integer >= 1, found '${value}'`);
  return v;
};

export function registerPlan(program: Command, setExit: (code: number) => void): void {
  program
    .command('plan')
    .description('optimise a plan (lattice SIB or IMRT) on a DICOM CT + structure set; writes RTSTRUCT, RTDOSE, plan.json and the evaluation report')
    .argument('<path>', 'DICOM folder with the CT and the RTSTRUCT')
    .requiredOption('--out <dir>', 'output folder')
    .option('--template <name|file>', 'plan template: seed-case, imrt or a YAML/JSON file', 'seed-case')
    .option('--target <name>', 'the structure the plan is built around (lattice target and source of PTV = target + margin)')
    .option('--beams <spec>', 'beams: a count (36: equispaced), START:STEP:STOP gantry angles (0:40:320), or gantry[/couch[/collimator]] angles separated by commas', beamsOption)
    .option('--peaks <names>', 'use these sphere ROIs (comma-separated) instead of placing vertices', (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .option('--isocentre <x,y,z>', 'isocentre in patient coordinates (LPS, mm; default: the centre of the primary target)', isocentreOption)
    .option('--grid-mm <mm>', 'final dose grid spacing, mm; the grid covers the patient (CT voxels above air and the body, plus one dose voxel)', positiveNumber('--grid-mm'), 2.5)
    .option('--max-iterations <n>', 'cap on optimiser iterations (default: the template\'s, else 300)', positiveInteger('--max-iterations'))
    .option('--threads <n>', 'threads for the dose operator (default: every core)', positiveInteger('--threads'))
    .addOption(
      new Option(
        '--delivery <mode>',
        "fluence: the optimised fluence of static beams; vmat: two arcs sequenced from it, apertures and control-point MU optimised; imrt: step-and-shoot segments of the static beams; vmat and imrt are written as RTPLAN.dcm (docs/delivery.md); default: the template's delivery (seed-case: vmat), else fluence",
      ).choices(['fluence', 'vmat', 'imrt']),
    )
    .option('--machine <name|file>', 'delivery machine of --delivery vmat or imrt (default agility: the shipped Elekta Agility)')
    .option('--course <file>', 'a clinical course file (lattice course, docs/course.md) whose course report.html includes')
    .option('--json', 'print the summary as JSON')
    .option('--pdf', 'also print report.html to report.pdf with headless Chromium (Debian package chromium)')
    .option('--no-progress', 'no progress line on stderr')
    .option('--force', 'replace files in the output folder that lattice did not write')
    .action(async (path: string, opts: PlanOptions) => {
      setExit(await runCommand(() => withOutputFolder(opts.out, () => runPlan(path, opts), { replaces: PLAN_OUTPUTS, force: opts.force === true })));
    });
}

/** A progress display of one command: update with each report, done when the work ends (or fails). */
export interface ProgressDisplay<P> {
  update(p: P): void;
  done(): void;
}

/**
 * A one-line progress display on stderr. `describe` turns a report into its line and a key: on a
 * terminal the line is rewritten in place (\r) at every report; otherwise (a log, a pipe) a new line
 * is printed when the key changes (plan: each step; place: each tenth of the rotations) and, with
 * `everyMs`, when that long has passed since the last printed line. Nothing when not enabled.
 */
export function progressDisplay<P>(enabled: boolean, describe: (p: P) => { line: string; key: string }, everyMs = Infinity): ProgressDisplay<P> {
  const tty = process.stderr.isTTY === true;
  let last = '';
  let lastKey: string | undefined;
  let lastPrinted = 0;
  return {
    update(p: P): void {
      if (!enabled) return;
      const { line, key } = describe(p);
      const now = performance.now();
      if (tty) {
        process.stderr.write(`\r${line.padEnd(Math.max(last.length, line.length))}`);
      } else if (key !== lastKey || now - lastPrinted > everyMs) {
        process.stderr.write(`${line}\n`);
        lastPrinted = now;
      }
      last = line;
      lastKey = key;
    },
    done(): void {
      if (enabled && tty && last !== '') process.stderr.write('\n');
    },
  };
}

/** `lattice plan`'s progress: step, iteration, objective, elapsed time; when not on a terminal, one line per step and every 5 s while optimising. */
export function progressLine(enabled: boolean): ProgressDisplay<PlanProgress> {
  return progressDisplay<PlanProgress>(
    enabled,
    (p) => {
      const it = p.iteration !== undefined ? ` iteration ${p.iteration}` : '';
      const val = p.value !== undefined ? ` objective ${p.value.toExponential(4)}` : '';
      return { line: `lattice plan: ${p.step}${it}${val} [${(p.elapsedMs / 1000).toFixed(1)} s]`, key: p.step };
    },
    5000,
  );
}

/** The case-report-style summary: goals, then the constraint table (organ, limit, achieved), with
 * the reference case's Table 1 beside it when given (the demo). */
export function printPlanSummary(r: PlanCaseResult, indent = '', reference?: readonly ReferenceRow[]): void {
  const c = r.evaluation.constraints;
  console.log(`${indent}Plan goals (final dose, recomputed on the full grid):`);
  for (const g of r.goals) {
    const v = Number.isFinite(g.value) ? g.value.toFixed(2) : 'n/a';
    console.log(`${indent}  ${g.met ? 'met ' : 'MISS'}  ${g.goal}: ${v} ${g.unit} (${g.target})`);
  }
  const sfrt = r.evaluation.sfrt?.planned.physical;
  if (sfrt !== undefined) {
    const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(2));
    console.log(
      `${indent}Peak / valley (${sfrt.vertexCount} spheres): peak mean ${f(sfrt.peak?.meanGy)} Gy, peak D95 ${f(sfrt.peak?.D95Gy)} Gy; ` +
        `valley mean ${f(sfrt.valley?.meanGy)} Gy, median ${f(sfrt.valley?.D50Gy)} Gy; GTV D10 ${f(sfrt.gtv.D10Gy)} / D90 ${f(sfrt.gtv.D90Gy)} Gy; ` +
        `PVDR ${f(sfrt.pvdrStruct)} (mean peak / mean valley), ${f(sfrt.pvdrDvh)} (GTV D10 / D90)`,
    );
  }
  if (c !== undefined) {
    console.log(`${indent}${c.set} (planned physical dose):`);
    const refOf = (x: (typeof c.results)[number]): string => {
      if (reference === undefined) return '';
      const ref = reference.find((f) => f.organs.join(' + ') === x.organ);
      if (ref === undefined) return '';
      if (ref.metric === 'Dmax' && x.metric.startsWith('D0.03')) return `Dmax ${ref.value.toFixed(2)} Gy`;
      if (ref.metric === 'volume below' && x.metric.startsWith('V(<')) return `${ref.value.toFixed(1)} cc`;
      return '';
    };
    const head = ['organ', 'metric', 'limit', 'achieved', 'result', ...(reference !== undefined ? ['case report'] : [])];
    const rows = c.results.map((x) => [x.label, x.metric, `${x.comparison} ${x.limit.toFixed(2)} ${x.unit}`, `${x.value.toFixed(2)} ${x.unit}`, x.status, ...(reference !== undefined ? [refOf(x)] : [])]);
    const widths = head.map((h, i) => Math.max(...rows.map((row) => row[i]!.length), h.length));
    console.log(`${indent}  ${head.map((h, i) => h.padEnd(widths[i]!)).join('  ').trimEnd()}`);
    for (const row of rows) console.log(`${indent}  ${row.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  }
  for (const l of r.limitsNotMet) console.log(`${indent}  ${l.label}: ${l.status}: ${l.reason}`);
  const d = r.optimisedVsFinal;
  console.log(`${indent}Optimised vs final dose at the optimisation points: mean |diff| ${d.meanAbsGy.toFixed(3)} Gy, max ${d.maxAbsGy.toFixed(3)} Gy`);
  const v = r.delivered;
  if (v !== undefined) {
    const beams = v.beams.map((b) => `${b.name} ${b.mu.toFixed(0)} MU in ${b.deliverySeconds.toFixed(0)} s`).join(', ');
    console.log(`${indent}${v.mode === 'vmat' ? 'VMAT' : 'Step-and-shoot IMRT'} (${v.machine}): ${beams}; ${v.muPerFraction.toFixed(0)} MU per fraction; ${v.violations.length === 0 ? 'every control point deliverable' : `${v.violations.length} deliverability violations`}`);
    for (let i = 0; i < r.goals.length; i++) {
      const g = r.goals[i]!, f = v.fluenceGoals[i];
      if (f !== undefined) console.log(`${indent}  ${g.goal}: fluence plan ${f.value.toFixed(2)}, delivered ${g.value.toFixed(2)} ${g.unit}`);
    }
  }
}

function runPlan(path: string, opts: PlanOptions): void {
  if (opts.machine !== undefined && opts.delivery === 'fluence') throw new InputError('--machine applies to --delivery vmat or imrt');
  // the machine file is read before the case: a bad one fails at once (without --machine, planCase
  // takes the shipped Agility when the delivery is vmat or imrt)
  const machine = opts.machine !== undefined ? loadMachine(opts.machine) : undefined;
  const course = opts.course !== undefined ? courseReportSection(opts.course, [path, opts.out]) : undefined;
  const bar = progressLine(opts.progress);
  let r: PlanCaseResult;
  try {
    r = planCase(path, {
      template: opts.template,
      outDir: opts.out,
      ...(opts.target !== undefined ? { target: opts.target } : {}),
      ...(opts.beams !== undefined ? { beams: opts.beams } : {}),
      ...(opts.peaks !== undefined ? { peaks: opts.peaks } : {}),
      ...(opts.isocentre !== undefined ? { isocentreLps: opts.isocentre } : {}),
      gridMm: opts.gridMm,
      ...(opts.maxIterations !== undefined ? { maxIterations: opts.maxIterations } : {}),
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      onProgress: bar.update,
      ...(opts.delivery !== undefined ? { delivery: opts.delivery } : {}),
      ...(machine !== undefined ? { machine } : {}),
      ...(course !== undefined ? { reportAppendixHtml: [course.html] } : {}),
      ...(opts.pdf === true ? { reportPdf: true } : {}),
    });
  } finally {
    bar.done();
  }
  for (const w of [...r.warnings, ...(course?.warnings ?? [])]) console.error(`lattice: warning: ${w}`);
  if (opts.json === true) {
    const o = r.optimised;
    process.stdout.write(
      `${JSON.stringify(
        {
          disclaimer: DISCLAIMER,
          template: r.template.name,
          files: r.files,
          goals: r.goals,
          constraints: r.evaluation.constraints?.results.map((c) => ({ label: c.label, metric: c.metric, value: c.value, unit: c.unit, limit: c.limit, comparison: c.comparison, status: c.status })) ?? [],
          sfrt: r.evaluation.sfrt?.planned.physical ?? null,
          optimisation: { beams: o.beams.length, beamlets: o.nBeamlets, points: o.cloud.count, iterations: o.solver.iterations, evaluations: o.solver.evaluations, stopReason: o.solver.stopReason, objective: o.objective },
          optimisedVsFinal: r.optimisedVsFinal,
          skippedConstraints: r.skippedConstraints,
          limitsNotMet: r.limitsNotMet,
          timingsMs: r.timingsMs,
          warnings: r.warnings,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  console.log(DISCLAIMER);
  const o = r.optimised;
  console.log(
    `plan "${r.template.name}": ${o.beams.length} beams, ${o.nBeamlets} beamlets, ${o.cloud.count} optimisation points; ` +
      `${o.solver.iterations} iterations (${o.solver.stopReason}), ${(r.timingsMs.total! / 1000).toFixed(1)} s`,
  );
  printPlanSummary(r);
  console.log(`wrote ${Object.values(r.files).join(', ')}`);
}
