/**
 * `lattice evaluate PATH`: DVHs, metrics, constraints, EQD2 and SFRT metrics for a DICOM case, written
 * as report.json, report.md and report.html in --out. Argument parsing and file I/O only; the
 * computation is src/evaluate/plan.ts.
 *
 * The case needs a structure set and a dose, nothing else: a CT, when present, is read from its
 * headers only and checked against them (readRtCase). The dose is the case's RT Dose (or --dose
 * FILE), read as the PLANNED total: a dose of summation type FRACTION is multiplied by the planned
 * fractions. Planned fractions come from --fractions-planned, else the RT Plan's first fraction
 * group; without either, DVHs and metrics are reported and EQD2 and the constraint checks are
 * skipped with one note naming --fractions-planned. Dose and structures must share one frame of
 * reference (readRtCase checks it; --dose is checked here).
 */

import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DicomError, InputError } from '../../src/core/errors.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import { evaluatePlan } from '../../src/evaluate/plan.js';
import { DEFAULT_THREADS, startDvhPool, type DvhPool } from '../../src/evaluate/dvh-pool.js';
import type { Started } from '../early.js';
import { BETWEEN_PLANES_CHOICES } from '../../src/geometry/between-planes.js';
import { renderHtml } from '../../src/evaluate/report/html.js';
import { printHtmlToPdf, requireChromium } from '../../src/evaluate/report/pdf.js';
import { evaluationSnapshotsSection, snapshotFactsOf, snapshotsSection } from '../../src/evaluate/report/snapshots.js';
import type { courseReportSection } from '../../src/course/report-section.js';
import { renderJson } from '../../src/evaluate/report/json.js';
import { renderMarkdown } from '../../src/evaluate/report/markdown.js';
import { matchTg263, type NameMapping } from '../../src/evaluate/constraints/names.js';
import type { ConstraintSet } from '../../src/evaluate/constraints/types.js';
import type { ScalarVolume } from '../../src/geometry/volume.js';
import { withOutputFolder, writeFileAtomic } from '../../src/io/atomic.js';
import { readRtCase } from '../../src/io/dicom/case.js';
import type { DoseGrid } from '../../src/io/dicom/model.js';
import { readCtPlanes, readRtDose } from '../../src/io/dicom/read/index.js';
import { decimalNumber } from '../options.js';
import { runCommand } from '../run-command.js';

interface EvaluateOptions {
  readonly dose?: string;
  readonly course?: string;
  readonly constraints?: string;
  readonly basis?: 'planned' | 'eqd2';
  readonly fractionsPlanned?: number;
  readonly fractionsDelivered?: number;
  readonly alphaBeta: Record<string, number>;
  readonly mapping?: string;
  readonly metrics?: string[];
  readonly prescription: Record<string, number>;
  readonly peak?: string[];
  readonly valley?: string;
  readonly betweenPlanes: 'auto' | 'interpolated' | 'slab';
  readonly out: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly pdf?: boolean;
  readonly snapshots: boolean;
  readonly threads?: number;
}

const integerOption = (option: string, min: number) => (value: string): number => {
  const v = decimalNumber(option, value);
  if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`${option} expects an integer >= ${min}, found '${value}'`);
  return v;
};

/** A number in decimal notation (options.ts decimalNumber), NaN for anything else ('0x10' is not 16). */
const decimalOrNaN = (text: string): number => {
  try {
    return decimalNumber('', text);
  } catch {
    return NaN;
  }
};

/** Collect repeated NAME=VALUE pairs (Gy, > 0) for an option. */
const namedGy = (option: string, what: string) => (value: string, previous: Record<string, number>): Record<string, number> => {
  const m = /^(.+)=([^=]+)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`${option} expects NAME=VALUE (Gy), found '${value}'`);
  const v = decimalOrNaN(m[2]!);
  if (!Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${option} ${m[1]}: ${what} must be a number > 0 Gy, found '${m[2]}'`);
  return { ...previous, [m[1]!.trim()]: v };
};

export function registerEvaluate(program: Command, setExit: (code: number) => void, started: Started = {}): void {
  program
    .command('evaluate')
    .description('evaluate a plan: DVHs, metrics, TG-101 or custom constraints, EQD2, delivered fractions, SFRT metrics')
    .argument('<path>', 'DICOM file or folder with the RTSTRUCT and RTDOSE (a CT and an RT Plan are optional)')
    .option('--dose <file>', 'RT Dose file to evaluate (default: the one in PATH)')
    .option('--constraints <set>', 'tg101-1fx, tg101-3fx, tg101-5fx or a YAML/JSON constraint file (default: the TG-101 table of the planned fractions, for 1, 3 or 5)')
    .addOption(
      new Option('--basis <basis>', 'check constraints on the planned physical dose or in delivered EQD2 (default: planned when the set matches the planned fractions, else eqd2)').choices(['planned', 'eqd2']),
    )
    .option('--fractions-planned <n>', 'planned fractions (default: from the RT Plan)', integerOption('--fractions-planned', 1))
    .option('--fractions-delivered <n>', 'delivered fractions (default: all planned)', integerOption('--fractions-delivered', 0))
    .option('--alpha-beta <name=value>', 'α/β in Gy for a structure or TG-263 organ (repeatable)', namedGy('--alpha-beta', 'α/β'), {})
    .option('--prescription <name=gy>', 'prescription (planned total, Gy) of a target, for CI / Paddick / GI / HI (repeatable)', namedGy('--prescription', 'the prescription'), {})
    .option('--course <file>', 'a clinical course file (lattice course, docs/course.md) whose course report.html includes')
    .option('--mapping <file>', 'YAML/JSON mapping of structure names to TG-263 names')
    .option('--metrics <list>', 'extra metrics per structure, comma-separated (e.g. D95%,V20Gy,V<21Gy)', (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .option('--peak <names>', 'peak (sphere) structures, comma-separated (default: ROIs named Sphere* or Vertex*; e.g. PTV_6670)', (v: string) => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .option('--valley <name>', 'valley structure (default: the first ROI whose name contains "valley")')
    .addOption(
      new Option('--between-planes <model>', 'shape between contour planes: interpolated (exact for spheres, cones and cylinders), slab (each plane a slab, as most planning systems) or auto (interpolated under 20 cc, slab above)')
        .choices([...BETWEEN_PLANES_CHOICES])
        .default('auto'),
    )
    .requiredOption('--out <dir>', 'output folder for report.json, report.md, report.html (and report.pdf with --pdf)')
    .option('--json', 'also print report.json to standard output')
    .option('--pdf', 'also print report.html to report.pdf with headless Chromium (Debian package chromium)')
    .option('--no-snapshots', 'no CT snapshots in report.html: the CT images are then not decoded (DVHs and metrics need only the CT headers)')
    .option('--force', 'replace files in the output folder that lattice did not write')
    .option('--threads <n>', `threads computing the DVHs, sharing the structures and the parts of large ones (default ${DEFAULT_THREADS}: two where there are two processors); the results do not depend on it`, integerOption('--threads', 1))
    .action(async (path: string, opts: EvaluateOptions) => {
      // The DVH threads start first (or were started by the launcher): they load while the case is read.
      const pool = startDvhPool({
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        ...(started.dvhThreads !== undefined ? { started: started.dvhThreads } : {}),
      });
      // Constraint, name-mapping and course files are read with the YAML and schema libraries: loaded
      // only when such a file is given (loading them takes 50-150 ms).
      const readers: FileReaders = {
        ...(opts.course !== undefined ? { courseReportSection: (await import('../../src/course/report-section.js')).courseReportSection } : {}),
        ...(opts.constraints !== undefined ? { resolveConstraintSet: (await import('../../src/evaluate/constraints/custom.js')).resolveConstraintSet } : {}),
        ...(opts.mapping !== undefined ? { readNameMapping: (await import('../../src/evaluate/constraints/name-mapping-file.js')).readNameMapping } : {}),
      };
      try {
        setExit(await runCommand(() => withOutputFolder(opts.out, () => runEvaluate(path, opts, readers, pool), { force: opts.force === true })));
      } finally {
        pool?.close();
      }
    });
}

/** `given`: the --dose file, read before the case; else the one RT Dose in PATH. */
function pickDose(path: string, opts: EvaluateOptions, given: DoseGrid | undefined, frameOfReferenceUid: string, doses: readonly DoseGrid[]): DoseGrid {
  if (given !== undefined && opts.dose !== undefined) {
    const d = given;
    if (d.frameOfReferenceUid !== frameOfReferenceUid) {
      throw new DicomError(
        `dose is in frame of reference ${d.frameOfReferenceUid || '(none)'}, expected the structures' ${frameOfReferenceUid}; register the two first`,
        { file: opts.dose },
      );
    }
    return d;
  }
  if (doses.length === 0) throw new InputError(`no RT Dose found in ${path}; give one with --dose`);
  if (doses.length > 1) {
    throw new InputError(`${doses.length} RT Doses found in ${path} (${doses.map((d) => d.file ?? d.sopInstanceUid).join(', ')}); choose one with --dose`);
  }
  return doses[0]!;
}

/** Readers of --constraints, --mapping and --course files, present when the option is given. */
interface FileReaders {
  readonly resolveConstraintSet?: (spec: string) => ConstraintSet;
  readonly readNameMapping?: (file: string) => NameMapping;
  readonly courseReportSection?: typeof courseReportSection;
}

/**
 * Every --alpha-beta name must name a structure of the case (any case) or the TG-263 organ a
 * structure matches; one that names neither would be silently ignored.
 */
function checkAlphaBetaNames(
  alphaBeta: Readonly<Record<string, number>>,
  structures: readonly { readonly name: string }[],
  mapping: NameMapping | undefined,
): void {
  const known = new Set<string>();
  for (const s of structures) {
    known.add(s.name.toLowerCase());
    const m = matchTg263(s.name, mapping);
    if (m !== undefined) known.add(m.tg263.toLowerCase());
  }
  for (const name of Object.keys(alphaBeta)) {
    if (!known.has(name.toLowerCase())) {
      const names = structures.map((s) => `"${s.name}"`).join(', ');
      throw new InputError(
        `--alpha-beta ${name}=${alphaBeta[name]}: "${name}" names no structure of the case and no TG-263 organ one matches; the structure set holds ${names || 'no structures'}`,
      );
    }
  }
}

function runEvaluate(path: string, opts: EvaluateOptions, readers: FileReaders, pool: DvhPool | undefined): void {
  // --pdf without Chromium fails before any work
  const chromium = opts.pdf === true ? requireChromium() : undefined;
  // the files named by options are read first: a missing or malformed one fails before the case is read
  const givenDose = opts.dose !== undefined ? readRtDose(opts.dose) : undefined;
  for (const w of givenDose?.warnings ?? []) console.error(`lattice: warning: ${w}`);
  const givenConstraints = opts.constraints !== undefined ? readers.resolveConstraintSet!(opts.constraints) : undefined;
  const mapping = opts.mapping !== undefined ? readers.readNameMapping!(opts.mapping) : undefined;
  const course = opts.course !== undefined ? readers.courseReportSection!(opts.course, [path, opts.out]) : undefined;
  // the RT Dose read on a DVH thread while this one reads the rest
  const dicomCase = readRtCase(path, pool !== undefined ? { readDose: (f) => pool.readDose(f) } : {});
  for (const w of dicomCase.warnings) console.error(`lattice: warning: ${w}`);
  const structureSet = dicomCase.structureSet;
  if (structureSet === undefined) throw new InputError(`no RT Structure Set found in ${path}`);
  const doseGrid = pickDose(path, opts, givenDose, dicomCase.frameOfReferenceUid, dicomCase.doses);
  if (doseGrid.units !== 'GY') {
    throw new InputError(`dose units must be GY to evaluate, found ${doseGrid.units}`, doseGrid.file !== undefined ? { file: doseGrid.file } : {});
  }
  if (doseGrid.summationType !== 'PLAN' && doseGrid.summationType !== 'FRACTION') {
    throw new InputError(
      `expected a dose of summation type PLAN (the planned total) or FRACTION (one fraction), found ${doseGrid.summationType || '(none)'}`,
      doseGrid.file !== undefined ? { file: doseGrid.file } : {},
    );
  }
  // The planned fractions come from the plan the dose references (or the only plan here).
  const plan =
    dicomCase.plans.find((p) => p.sopInstanceUid === doseGrid.referencedPlanSopInstanceUid) ??
    (dicomCase.plans.length === 1 ? dicomCase.plans[0] : undefined);
  const planFractions = plan?.fractionGroups[0]?.fractionsPlanned;
  const fractionsPlanned = opts.fractionsPlanned ?? planFractions;
  // Without a fraction count: DVHs and metrics only, and one note saying what was skipped and why.
  const unknownWhy =
    dicomCase.plans.length > 1
      ? `${dicomCase.plans.length} RT Plans here and the dose references none of them`
      : dicomCase.plans.length === 1
        ? 'the RT Plan here gives no fraction count'
        : 'no RT Plan here';
  if (fractionsPlanned === undefined) {
    const needing = [
      ...(doseGrid.summationType === 'FRACTION' ? ['a dose of summation type FRACTION (to make the planned total)'] : []),
      ...(opts.constraints !== undefined ? ['--constraints'] : []),
      ...(opts.basis !== undefined ? ['--basis'] : []),
      ...(opts.fractionsDelivered !== undefined ? ['--fractions-delivered'] : []),
    ];
    if (needing.length > 0) {
      throw new InputError(`${needing.join(', ')} need${needing.length === 1 ? 's' : ''} the number of planned fractions (${unknownWhy}); give --fractions-planned`);
    }
  }
  const schedule =
    fractionsPlanned !== undefined ? { fractionsPlanned, fractionsDelivered: opts.fractionsDelivered ?? fractionsPlanned } : undefined;
  const noScheduleNote =
    `constraint checks, EQD2 and delivered-dose figures skipped: the number of planned fractions is not known (${unknownWhy}); ` +
    'give --fractions-planned N to run them';
  let dose: ScalarVolume = doseGrid.dose;
  if (doseGrid.summationType === 'FRACTION' && fractionsPlanned !== undefined) {
    const data = new Float32Array(dose.data.length);
    for (let i = 0; i < data.length; i++) data[i] = dose.data[i]! * fractionsPlanned;
    dose = { grid: dose.grid, data };
  }
  // Default: the TG-101 table of the planned schedule, where TG-101 has one (1, 3 or 5 fractions).
  const constraintSet =
    givenConstraints !== undefined
      ? givenConstraints
      : fractionsPlanned !== undefined && [1, 3, 5].includes(fractionsPlanned)
        ? tg101Set(fractionsPlanned)
        : undefined;
  checkAlphaBetaNames(opts.alphaBeta, structureSet.structures, mapping);
  const evaluation = evaluatePlan(structureSet.structures, dose, {
    ...(schedule !== undefined ? { schedule } : { noScheduleNote }),
    ...(constraintSet !== undefined ? { constraintSet } : {}),
    ...(opts.basis !== undefined ? { constraintBasis: opts.basis === 'planned' ? 'planned-physical' : 'eqd2' } : {}),
    alphaBeta: opts.alphaBeta,
    ...(mapping !== undefined ? { mapping } : {}),
    ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
    prescriptions: Object.entries(opts.prescription).map(([structure, doseGy]) => ({ structure, doseGy })),
    ...(opts.peak !== undefined ? { peakStructures: opts.peak } : {}),
    ...(opts.valley !== undefined ? { valleyStructure: opts.valley } : {}),
    betweenPlanes: opts.betweenPlanes,
    ...(pool !== undefined ? { pool } : {}),
    // checked as it was read, unless scaled since
    ...(dose === doseGrid.dose && doseGrid.maxGy !== undefined ? { doseMaxGy: doseGrid.maxGy } : {}),
  });
  // The DVHs are done: the pool's worker thread ends now, its teardown overlapping the reports here,
  // rather than at exit, where the process waits for it (some 5 ms on the 2-vCPU test machine)
  pool?.close();
  const json = renderJson(evaluation, {
    input: {
      path,
      doseFile: doseGrid.file ?? null,
      doseSummationType: doseGrid.summationType,
      frameOfReferenceUid: dicomCase.frameOfReferenceUid,
      ctSeriesInstanceUid: dicomCase.ct?.seriesInstanceUid ?? null,
      structureSetLabel: structureSet.label,
      constraintSet: constraintSet?.name ?? null,
    },
  });
  const title = `Plan evaluation: ${structureSet.patientName || structureSet.patientId} (${structureSet.label})`;
  writeFileAtomic(join(opts.out, 'report.json'), json);
  writeFileAtomic(join(opts.out, 'report.md'), renderMarkdown(evaluation, title));
  // Snapshots need the CT images (readRtCase read its headers only): read as far as the views need
  // (readCtPlanes: one axial plane, one row and one column of each slice per view point); without a
  // CT, a note instead.
  let snapshots: string;
  if (!opts.snapshots) snapshots = snapshotsSection([], [], ['Snapshots not made (--no-snapshots).']);
  else {
    try {
      const ct = dicomCase.ct !== undefined ? readCtPlanes(dicomCase.ct.slices.map((sl) => sl.file).filter((f): f is string => f !== undefined), dicomCase.ct) : undefined;
      snapshots = evaluationSnapshotsSection({ ...(ct !== undefined ? { ct } : {}), dose, structures: structureSet.structures, ...snapshotFactsOf(evaluation) });
    } catch (err) {
      if (!(err instanceof DicomError)) throw err;
      snapshots = snapshotsSection([], [], [`Snapshots skipped: the CT images could not be read (${err.message}).`]);
    }
  }
  const html = renderHtml(evaluation, title, [], course !== undefined ? [course.html] : [], [snapshots]);
  writeFileAtomic(join(opts.out, 'report.html'), html);
  if (chromium !== undefined) printHtmlToPdf(html, join(opts.out, 'report.pdf'), { chromium });
  for (const w of [...evaluation.warnings, ...(course?.warnings ?? [])]) console.error(`lattice: warning: ${w}`);
  for (const n of evaluation.notes) console.error(`lattice: note: ${n}`);
  if (opts.json === true) process.stdout.write(json);
  else {
    console.log(evaluation.disclaimer);
    const c = evaluation.constraints;
    if (c !== undefined) {
      const fails = c.results.filter((r) => r.status === 'fail' || r.status === 'not achievable');
      console.log(`${c.set}: ${c.results.length} checks, ${fails.length} failed or not achievable`);
      for (const r of fails) console.log(`  ${r.label} ${r.metric}: ${r.status} (${r.value.toFixed(2)} ${r.unit}, limit ${r.comparison} ${r.limit.toFixed(2)} ${r.unit})`);
    }
    console.log(`wrote ${join(opts.out, 'report.json')}, report.md, report.html${chromium !== undefined ? ', report.pdf' : ''}`);
  }
}
