/**
 * `lattice dose PATH [--plan RTPLAN] --out DIR [--grid-mm 3] [--grid-region ROI[:MM]] [--compare RTDOSE]
 * [--gamma 3/3]`: recalculate a plan's dose on its CT with lattice-rt's 6 MV pencil-beam engine (an
 * independent dose check), write it as RTDOSE.dcm (the planned total, summation type PLAN), and with
 * --compare report the 3D gamma pass rate of our dose against the given one (gamma.json). The dose grid
 * covers the patient (the CT's non-air voxels plus one dose voxel; src/dose/recalculate.ts
 * patientDoseGrid), or with --grid-region a structure's bounding box grown by a margin, within the
 * patient. A grid whose calculation would not fit in memory (checkDoseGridMemory) is refused before
 * anything grid-sized is allocated, with the memory it would need and the finest spacing that fits.
 */

import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError } from '../../src/core/errors.js';
import { gamma3d } from '../../src/dose/gamma.js';
import { readFluencePlan, recalculateFluencePlan, type FluencePlan } from '../../src/dose/fluence-plan.js';
import {
  checkDoseGridMemory,
  DEFAULT_GRID_REGION_MARGIN_MM,
  recalculatePlan,
  structureGridRegion,
  type GridRegion,
} from '../../src/dose/recalculate.js';
import { indexToLpsAffine, lpsToIndexAffine, type Grid } from '../../src/geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import type { DicomCase } from '../../src/io/dicom/case.js';
import type { RtPlan } from '../../src/io/dicom/model.js';
import { withOutputFolder, writeFileAtomic } from '../../src/io/atomic.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import { readRtDose, readRtPlan } from '../../src/io/dicom/read/index.js';
import { deriveUid, seriesInstanceUidFor } from '../../src/io/dicom/uid.js';
import { loadMachine } from '../../src/deliver/machine-file.js';
import { writeRtDose } from '../../src/io/dicom/write/index.js';
import { decimalNumber, DISCLAIMER, positiveNumber } from '../options.js';
import { runCommand } from '../run-command.js';

interface DoseOptions {
  readonly plan?: string;
  readonly fluence?: string;
  readonly out: string;
  readonly gridMm?: number;
  readonly gridRegion?: GridRegionSpec;
  readonly machine?: string;
  readonly mlcTransmission?: number;
  readonly compare?: string;
  readonly gamma: readonly [number, number];
  readonly local?: boolean;
  readonly threshold: number;
  readonly force?: boolean;
}

/** A transmission in [0, 1) for `option` (options.ts fraction is (0, 1]: 0, no leakage, is allowed here). */
function transmissionFraction(option: string): (value: string) => number {
  return (value: string): number => {
    const v = decimalNumber(option, value);
    if (!(v >= 0 && v < 1)) throw new InvalidArgumentError(`${option} expects a fraction from 0 to below 1 (e.g. 0.004), found '${value}'`);
    return v;
  };
}

/** A number in decimal notation (options.ts decimalNumber), NaN for anything else. */
function decimalOrNaN(text: string | undefined): number {
  try {
    return text === undefined ? NaN : decimalNumber('', text);
  } catch {
    return NaN;
  }
}

/** `--grid-region ROI[:MARGIN_MM]` as given: the structure and the margin around its bounding box. */
export interface GridRegionSpec {
  readonly roi: string;
  readonly marginMm: number;
  /** The option's value, to name it in messages. */
  readonly text: string;
}

/**
 * Parse `ROI[:MARGIN_MM]`: the ROI name, then optionally a colon and a margin in mm >= 0 (default
 * DEFAULT_GRID_REGION_MARGIN_MM). A name may itself hold colons: only a number after the last one is a
 * margin.
 */
export function gridRegionOption(value: string): GridRegionSpec {
  const colon = value.lastIndexOf(':');
  const margin = colon >= 0 ? decimalOrNaN(value.slice(colon + 1)) : NaN;
  const roi = Number.isNaN(margin) ? value : value.slice(0, colon);
  if (roi.trim() === '') throw new InvalidArgumentError(`--grid-region expects an ROI name, optionally with :MARGIN_MM (e.g. PTV:20), found '${value}'`);
  if (margin < 0) throw new InvalidArgumentError(`--grid-region expects a margin of 0 mm or more after the ROI name, found '${value}'`);
  return { roi, marginMm: Number.isNaN(margin) ? DEFAULT_GRID_REGION_MARGIN_MM : margin, text: value };
}

/** The region of --grid-region in the case, or undefined; InputError naming the option for an unknown ROI. */
export function gridRegionOf(spec: GridRegionSpec | undefined, dicomCase: DicomCase): GridRegion | undefined {
  return spec === undefined ? undefined : structureGridRegion(dicomCase.ct, dicomCase.structureSet, spec.roi, spec.marginMm, `--grid-region ${spec.text}`);
}

/**
 * The reference dose with its voxels beyond `grid`'s footprint (half a voxel past its outer nodes) set
 * to 0, below any low-dose threshold: a gamma comparison over a --grid-region grid compares the region
 * only (the normalisation stays the whole reference's maximum, passed explicitly).
 */
function referenceWithin(reference: ScalarVolume, grid: Grid): ScalarVolume {
  const a = indexToLpsAffine(reference.grid);
  const b = lpsToIndexAffine(grid);
  const [nx, ny, nz] = reference.grid.size;
  const n = grid.size;
  const data = Float32Array.from(reference.data);
  const eps = 1e-6;
  for (let k = 0, v = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, v++) {
    const x = a[0]! * i + a[1]! * j + a[2]! * k + a[3]!;
    const y = a[4]! * i + a[5]! * j + a[6]! * k + a[7]!;
    const z = a[8]! * i + a[9]! * j + a[10]! * k + a[11]!;
    const ci = b[0]! * x + b[1]! * y + b[2]! * z + b[3]!;
    const cj = b[4]! * x + b[5]! * y + b[6]! * z + b[7]!;
    const ck = b[8]! * x + b[9]! * y + b[10]! * z + b[11]!;
    if (!(ci >= -0.5 - eps && ci <= n[0] - 0.5 + eps && cj >= -0.5 - eps && cj <= n[1] - 0.5 + eps && ck >= -0.5 - eps && ck <= n[2] - 0.5 + eps)) data[v] = 0;
  }
  return createScalarVolume(reference.grid, data);
}

function gammaCriteria(value: string): [number, number] {
  const m = /^([0-9.]+)\s*%?\s*\/\s*([0-9.]+)\s*(mm)?$/.exec(value);
  const dd = decimalOrNaN(m?.[1]);
  const dta = decimalOrNaN(m?.[2]);
  if (m === null || !(dd > 0) || !(dta > 0)) throw new InvalidArgumentError(`--gamma expects DOSE%/DTAmm such as 3/2, found '${value}'`);
  return [dd, dta];
}

function percent(value: string): number {
  const v = decimalNumber('--threshold', value);
  if (!(v >= 0 && v < 100)) throw new InvalidArgumentError(`--threshold expects a percentage in [0, 100), found '${value}'`);
  return v;
}

export function registerDose(program: Command, setExit: (code: number) => void): void {
  program
    .command('dose')
    .description('recalculate a plan (static fields or VMAT) on its CT with the 6 MV pencil-beam engine; optionally gamma-compare with another dose')
    .argument('<path>', 'DICOM folder with the CT (and the plan)')
    .option('--plan <file>', 'RT Plan file (default: the one plan in PATH)')
    .option('--fluence <plan.json>', 'recompute a fluence plan written by `lattice plan` (instead of an RT Plan)')
    .requiredOption('--out <dir>', 'output folder: RTDOSE.dcm, gamma.json')
    .option('--grid-mm <mm>', 'dose grid spacing in mm (default 3; 2.5 with --fluence, as lattice plan); the grid covers the patient (CT voxels above air, plus one dose voxel)', positiveNumber('--grid-mm'))
    .option(
      '--grid-region <roi[:mm]>',
      `bound the dose grid to an ROI's bounding box grown by a margin in mm (default ${DEFAULT_GRID_REGION_MARGIN_MM}), within the patient: a fine grid where it matters; dose outside it is not computed`,
      gridRegionOption,
    )
    .option('--machine <name|file>', 'delivery machine (e.g. agility, or a machine file: docs/delivery.md): its MLC transmission leaks through closed leaves of an RT Plan')
    .option('--mlc-transmission <fraction>', 'fraction of the open fluence passing closed MLC leaves of an RT Plan (default: the --machine\'s, else 0: no leakage)', transmissionFraction('--mlc-transmission'))
    .option('--compare <rtdose>', 'reference RT Dose (e.g. the planning system\'s) for a 3D gamma comparison')
    .option('--gamma <criteria>', 'dose difference (%) / distance to agreement (mm)', gammaCriteria, [3, 2] as [number, number])
    .option('--local', 'local dose-difference normalisation (default global, to the reference maximum)')
    .option('--threshold <pct>', 'low-dose threshold, percent of the reference maximum', percent, 10)
    .option('--force', 'replace files in the output folder that lattice did not write')
    .action(async (path: string, opts: DoseOptions) => {
      // gamma.json of an earlier --compare run would not describe this dose: it goes too
      setExit(await runCommand(() => withOutputFolder(opts.out, () => runDose(path, opts), { replaces: ['RTDOSE.dcm', 'gamma.json'], force: opts.force === true })));
    });
}

/** How a refusal of the dose grid names it: the option as given, or the default. */
function gridLabel(given: number | undefined, used: number): string {
  return given !== undefined ? `--grid-mm ${given}` : `the default dose grid (--grid-mm ${used})`;
}

/** What was computed: the planned total on its grid, where it came from, for the RT Dose and the summary. */
interface Computed {
  readonly totalDoseGy: ScalarVolume;
  readonly doseGrid: Grid;
  readonly fractions: number;
  readonly label: string;
  readonly beams: number;
  readonly planUid: string;
  readonly warnings: readonly string[];
}

/** `given`: the --plan file, read before the case; else the one plan in PATH. */
function computeFromRtPlan(path: string, dicomCase: DicomCase, given: RtPlan | undefined, opts: DoseOptions): Computed {
  let plan = given ?? dicomCase.plans[0];
  if (given === undefined && dicomCase.plans.length !== 1) {
    throw new InputError(
      dicomCase.plans.length === 0
        ? `no RT Plan in ${path}; give one with --plan (or a fluence plan with --fluence)`
        : `${dicomCase.plans.length} RT Plans in ${path}; choose one with --plan`,
    );
  }
  plan = plan!;
  const gridMm = opts.gridMm ?? 3;
  // refused before anything grid-sized is allocated when the calculation would not fit in memory
  const region = gridRegionOf(opts.gridRegion, dicomCase);
  const mlcTransmission = opts.mlcTransmission ?? 0;
  const r = recalculatePlan(dicomCase.ct, plan, {
    gridSpacingMm: gridMm,
    gridLabel: gridLabel(opts.gridMm, gridMm),
    mlcTransmission,
    ...(region !== undefined ? { gridRegion: region } : {}),
  });
  return { totalDoseGy: r.totalDoseGy, doseGrid: r.doseGrid, fractions: r.fractionsPlanned, label: `plan "${plan.label}"`, beams: plan.beams.length, planUid: plan.sopInstanceUid, warnings: r.warnings };
}

function computeFromFluence(file: string, plan: FluencePlan, dicomCase: DicomCase, opts: DoseOptions): Computed {
  if (plan.frameOfReferenceUid !== dicomCase.ct.frameOfReferenceUid) {
    throw new InputError(`the fluence plan is in frame of reference ${plan.frameOfReferenceUid}, expected the CT's ${dicomCase.ct.frameOfReferenceUid}`, { file });
  }
  const gridMm = opts.gridMm ?? 2.5;
  const threads = availableParallelism();
  // one static field per beam (fluence-plan.ts fluenceFields); refused before anything grid-sized is allocated
  const region = gridRegionOf(opts.gridRegion, dicomCase);
  const bounded = region !== undefined ? { region } : {};
  checkDoseGridMemory(dicomCase.ct, gridMm, { fields: plan.beams.length, threads }, { label: gridLabel(opts.gridMm, gridMm), ...bounded });
  const r = recalculateFluencePlan(dicomCase.ct, dicomCase.structureSet, plan, { gridSpacingMm: gridMm, threads, ...(region !== undefined ? { gridRegion: region } : {}) });
  const uid = typeof plan.planUid === 'string' ? plan.planUid : deriveUid('lattice-rt', 'fluence-plan-file', file);
  return { totalDoseGy: r.totalDoseGy, doseGrid: r.doseGrid, fractions: plan.fractions, label: `fluence plan ${file}`, beams: plan.beams.length, planUid: uid, warnings: r.warnings };
}

function runDose(path: string, opts: DoseOptions): void {
  if (opts.plan !== undefined && opts.fluence !== undefined) throw new InputError('give either --plan (an RT Plan) or --fluence (a fluence plan), not both');
  // every input file given is read and checked before the case (the largest read) and before
  // anything is computed or written: a missing or unreadable --compare, --plan or --fluence fails at once
  const reference = opts.compare !== undefined ? readRtDose(opts.compare) : undefined;
  const rtPlan = opts.plan !== undefined ? readRtPlan(opts.plan) : undefined;
  const fluencePlan = opts.fluence !== undefined ? readFluencePlan(opts.fluence) : undefined;
  if (opts.machine !== undefined) {
    if (fluencePlan !== undefined) throw new InputError('--machine applies to an RT Plan (its MLC); a fluence plan has no leaves');
    const machine = loadMachine(opts.machine);
    opts = { ...opts, mlcTransmission: opts.mlcTransmission ?? machine.mlc.transmission };
  }
  const dicomCase = readDicomCase(path);
  for (const w of dicomCase.warnings) console.error(`lattice: warning: ${w}`);
  if (reference !== undefined) {
    if (reference.frameOfReferenceUid !== dicomCase.ct.frameOfReferenceUid) {
      throw new InputError(
        `the dose to compare is in frame of reference ${reference.frameOfReferenceUid}, expected the CT's ${dicomCase.ct.frameOfReferenceUid}`,
        { file: opts.compare },
      );
    }
    if (reference.units !== 'GY') throw new InputError(`the dose to compare must be in GY, found ${reference.units}`, { file: opts.compare });
  }
  const t0 = performance.now();
  const r = opts.fluence !== undefined ? computeFromFluence(opts.fluence, fluencePlan!, dicomCase, opts) : computeFromRtPlan(path, dicomCase, rtPlan, opts);
  for (const w of r.warnings) console.error(`lattice: warning: ${w}`);
  const doseFile = join(opts.out, 'RTDOSE.dcm');
  writeRtDose(
    {
      patientId: dicomCase.ct.patientId,
      patientName: dicomCase.ct.patientName,
      studyInstanceUid: dicomCase.ct.studyInstanceUid,
      ...(dicomCase.ct.studyDescription !== undefined ? { studyDescription: dicomCase.ct.studyDescription } : {}),
      seriesInstanceUid: seriesInstanceUidFor(dicomCase.ct.studyInstanceUid, `lattice-rt dose of ${r.planUid}`),
      seriesDescription: 'lattice-rt recalculation',
      frameOfReferenceUid: dicomCase.ct.frameOfReferenceUid,
      dose: r.totalDoseGy,
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: r.planUid,
    },
    doseFile,
    { doseComment: 'lattice-rt 6 MV pencil beam (research use only)' },
  );
  let max = 0;
  for (const v of r.totalDoseGy.data) if (v > max) max = v;
  console.log(DISCLAIMER);
  console.log(
    `${r.label}: ${r.beams} beam(s), ${r.fractions} fraction(s); dose grid ${r.doseGrid.size.join(' x ')} at ${r.doseGrid.spacingMm[0]} mm ` +
      `(${opts.gridRegion !== undefined ? `--grid-region ${opts.gridRegion.text}` : 'the patient'}); ` +
      `maximum ${max.toFixed(3)} Gy (planned total); ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`wrote ${doseFile}`);
  if (reference !== undefined) {
    const [dd, dta] = opts.gamma;
    // with --grid-region, over the region only: reference points beyond our grid would meet no dose
    const region = opts.gridRegion !== undefined;
    let refMax = 0;
    for (const v of reference.dose.data) if (v > refMax) refMax = v;
    const g = gamma3d(region ? referenceWithin(reference.dose, r.doseGrid) : reference.dose, r.totalDoseGy, {
      doseDiffPct: dd,
      dtaMm: dta,
      local: opts.local === true,
      lowDoseThresholdPct: opts.threshold,
      ...(region ? { normalisationGy: refMax } : {}),
    });
    const summary = {
      reference: opts.compare,
      evaluated: doseFile,
      criteria:
        `${dd} % / ${dta} mm, ${opts.local === true ? 'local' : 'global'}, low-dose threshold ${opts.threshold} %` +
        (region ? `, within --grid-region ${opts.gridRegion!.text}` : ''),
      evaluatedPoints: g.evaluated,
      passRatePct: Number(g.passRatePct.toFixed(3)),
      meanGamma: Number(g.meanGamma.toFixed(4)),
      maxGamma: Number(g.maxGamma.toFixed(4)),
      disclaimer: DISCLAIMER,
    };
    writeFileAtomic(join(opts.out, 'gamma.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`gamma ${summary.criteria}: ${summary.passRatePct} % of ${g.evaluated} points pass (mean ${summary.meanGamma}, max ${summary.maxGamma})`);
  }
}
