/**
 * `lattice place PATH --target GTV --out DIR`: place lattice vertices in a target of a DICOM case and
 * write RTSTRUCT.dcm (every input ROI plus the sphere union, the valley and, on request, each vertex
 * and an avoidance ring) and vertices.json (the audit) into DIR; print the summary (or the audit
 * as JSON with --json). A search over several rotations shows its progress on stderr (--no-progress:
 * none).
 *
 * Options that make no sense are refused in one line naming the option, the value and the reason:
 * numbers not in decimal notation and empty or over-long ROI names (option parsers, cli/options.ts);
 * a diameter under two CT voxels and a rotation search too fine or too large (before placing, from
 * the CT headers and the target's contours); a valley margin that leaves no valley (after placing,
 * before the output folder receives anything).
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { InputError, fmt } from '../../src/core/errors.js';
import type { Grid } from '../../src/geometry/grid.js';
import { findStructure } from '../../src/geometry/structure-set.js';
import type { ContourStructure, MaskStructure } from '../../src/geometry/structure.js';
import { readRtCase } from '../../src/io/dicom/case.js';
import { PATTERN_NAMES, patternByName } from '../../src/lattice/patterns/registry.js';
import { DEFAULT_PLACEMENT_PARAMS, resolvePlacementParams, rotationAngles, type ClearanceFrom, type PlacementParams } from '../../src/lattice/params.js';
import type { SearchProgress } from '../../src/lattice/placement.js';
import { runPlacementForCase, type LatticeOutputOptions } from '../../src/lattice/run-case.js';
import { DISCLAIMER, decimalNumber, fraction, nonNegativeNumber, positiveNumber, roiName } from '../options.js';
import { withOutputFolder } from '../../src/io/atomic.js';
import { runCommand } from '../run-command.js';
import { progressDisplay, type ProgressDisplay } from './plan.js';

/** What `place` writes; one run's set replaces another's as a whole. */
const PLACE_OUTPUTS = ['RTSTRUCT.dcm', 'vertices.json'];

function ringOption(value: string): { innerMm: number; outerMm: number } {
  const expected = `--ring expects INNER,OUTER in mm with 0 <= INNER < OUTER, found '${value}'`;
  const parts = value.split(',').map((p) => {
    try {
      return decimalNumber('--ring', p);
    } catch {
      throw new InvalidArgumentError(expected);
    }
  });
  if (parts.length !== 2 || parts[0]! < 0 || !(parts[1]! > parts[0]!)) throw new InvalidArgumentError(expected);
  return { innerMm: parts[0]!, outerMm: parts[1]! };
}

interface PlaceOptions {
  target: string;
  oars: string;
  diameter: number;
  spacing: number;
  planeSpacing: number;
  pattern: string;
  inset: number;
  oarClearance: number;
  clearanceFrom: ClearanceFrom;
  partialMin: number;
  partial: boolean;
  snapSlices?: boolean;
  rotationStep?: number;
  allowOverlap?: boolean;
  unionName?: string;
  boostGy: number;
  vertexRois?: boolean;
  valleyMargin: number;
  ring?: { innerMm: number; outerMm: number };
  out: string;
  json?: boolean;
  progress: boolean;
  force?: boolean;
}

// ---- checks of the options against the case, before anything is placed ------------------------

/**
 * Smallest vertex diameter: two voxels along the CT's coarsest axis (pixel or slice spacing). A
 * sphere narrower than two voxels is sampled by at most a voxel or two per axis (its volume on the
 * grid can be zero) and the union, written as contours on the CT planes, may fall between two planes.
 */
export const MIN_DIAMETER_VOXELS = 2;

function checkDiameter(diameterMm: number, grid: Grid): void {
  const [sx, sy, sz] = grid.spacingMm;
  const inPlane = Math.max(sx, sy);
  const coarsest = Math.max(inPlane, sz);
  const minimum = MIN_DIAMETER_VOXELS * coarsest;
  if (diameterMm < minimum - 1e-9) {
    const which = sz > inPlane ? 'slice spacing' : 'pixel spacing';
    throw new InputError(
      `--diameter ${fmt(diameterMm)} mm is smaller than ${MIN_DIAMETER_VOXELS} voxels of the CT ` +
        `(${which} ${fmt(coarsest)} mm, so at least ${fmt(minimum)} mm): spheres would not be resolved`,
    );
  }
}

/**
 * Finest rotation step, degrees. The translation search moves the pattern in 1 mm steps; a rotation
 * by 0.5 degrees moves a vertex 115 mm from the pivot by 1 mm (115 mm x 0.5 x pi / 180), so a finer
 * step only adds layouts within one translation step of layouts already searched, for any target
 * less than 23 cm across.
 */
export const MIN_ROTATION_STEP_DEG = 0.5;

/**
 * Most candidate positions a rotation search may classify (rotations x positions of the refined
 * lattice in the target's box): 1e9 take about a minute on one core (about 50 ns each, measured
 * on the seed phantom); beyond it the command would run for minutes with no output.
 */
export const MAX_CANDIDATE_POSITIONS = 1e9;

/** Above this many candidate positions (a few seconds of search) the search is announced on stderr. */
export const ANNOUNCE_POSITIONS = 5e7;

interface RotationSearch {
  readonly rotations: number;
  /** Offsets of the translation search per rotation (the layouts of one rotation). */
  readonly offsets: number;
  /** Refined lattice positions per unit volume (per mm^3), each classified once per rotation. */
  readonly positionsPerMm3: number;
}

/** The size of a rotation search, from the options alone (the same refinement as placement.ts). */
function rotationSearch(opts: PlaceOptions, stepDeg: number): RotationSearch {
  const cell = patternByName(opts.pattern).cell(opts.spacing, opts.planeSpacing);
  const stepMm = DEFAULT_PLACEMENT_PARAMS.offsetStepMm;
  const along = (b: readonly number[]): number => Math.max(1, Math.ceil(Math.max(...b.map(Math.abs)) / stepMm - 1e-9));
  const offsets = cell.basisMm.reduce((n, b) => n * along(b), 1);
  const [a, b, c] = cell.basisMm;
  const cellMm3 = Math.abs(
    a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]),
  );
  // The angles rotationAngles() yields: 0, step, ... below the pattern's symmetry (counted, not listed).
  const rotations = Math.max(1, Math.ceil((cell.rotationalSymmetryDeg - 1e-9) / stepDeg));
  return { rotations, offsets, positionsPerMm3: (cell.motifMm.length * offsets) / cellMm3 };
}

/** A count for a message: in full below a million, else to three significant digits (9.72e9). */
const sci = (v: number): string => (v < 1e6 ? String(Math.round(v)) : Number(v.toPrecision(3)).toExponential().replace('e+', 'e'));

function describeSearch(stepDeg: number, s: RotationSearch): string {
  return `--rotation-step ${fmt(stepDeg)} deg searches ${sci(s.rotations)} rotations x ${sci(s.offsets)} offsets (${sci(s.rotations * s.offsets)} layouts)`;
}

/** Refuse a rotation step finer than MIN_ROTATION_STEP_DEG, with the size of the search. */
function checkRotationStep(opts: PlaceOptions): RotationSearch | undefined {
  if (opts.rotationStep === undefined) return undefined;
  const s = rotationSearch(opts, opts.rotationStep);
  if (opts.rotationStep < MIN_ROTATION_STEP_DEG) {
    throw new InputError(
      `${describeSearch(opts.rotationStep, s)}: a step under ${fmt(MIN_ROTATION_STEP_DEG)} deg moves a vertex less than the 1 mm ` +
        `translation step within 115 mm of the pivot, so it adds no distinct layouts; use a step of at least ${fmt(MIN_ROTATION_STEP_DEG)} deg`,
    );
  }
  return s;
}

/**
 * Box (LPS, mm) of the centres whose sphere can touch the target: the target contours' box grown
 * by the radius plus half a voxel diagonal (as the placement fields do).
 */
function candidateBoxMm3(target: ContourStructure, radiusMm: number, grid: Grid): number {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const c of target.contours) {
    for (let n = 0; n < c.pointsLps.length; n++) {
      const a = n % 3;
      const v = c.pointsLps[n]!;
      if (v < lo[a]!) lo[a] = v;
      if (v > hi[a]!) hi[a] = v;
    }
  }
  if (!(lo[0]! <= hi[0]!)) return 0;
  const grow = radiusMm + 0.5 * Math.hypot(...grid.spacingMm);
  return (hi[0]! - lo[0]! + 2 * grow) * (hi[1]! - lo[1]! + 2 * grow) * (hi[2]! - lo[2]! + 2 * grow);
}

/**
 * Refuse a rotation search whose estimated count of candidate positions exceeds
 * MAX_CANDIDATE_POSITIONS, naming the estimate and the coarsest step within the limit; announce a
 * long one on stderr.
 */
function checkRotationWork(opts: PlaceOptions, s: RotationSearch, target: ContourStructure, grid: Grid): void {
  const perRotation = s.positionsPerMm3 * candidateBoxMm3(target, opts.diameter / 2, grid);
  const positions = s.rotations * perRotation;
  const step = opts.rotationStep!;
  if (positions > MAX_CANDIDATE_POSITIONS) {
    const sym = patternByName(opts.pattern).cell(opts.spacing, opts.planeSpacing).rotationalSymmetryDeg;
    const within = Math.floor(MAX_CANDIDATE_POSITIONS / perRotation);
    const advice = within >= 2
      ? `use a step of at least ${fmt(Math.ceil((sym / within) * 10) / 10)} deg`
      : 'search no rotation (omit --rotation-step)';
    throw new InputError(
      `${describeSearch(step, s)} over target "${target.name}": about ${sci(positions)} candidate positions to classify, ` +
        `more than the limit of ${sci(MAX_CANDIDATE_POSITIONS)} (about a minute); ${advice}`,
    );
  }
  if (positions > ANNOUNCE_POSITIONS) {
    console.error(`lattice place: ${describeSearch(step, s)}, about ${sci(positions)} candidate positions; this may take a while`);
  }
}

/**
 * The options checked against the case before placing: the diameter against the CT grid, the
 * rotation search against the target's size. The case is read from its headers and contours only.
 */
function checkAgainstCase(path: string, opts: PlaceOptions, search: RotationSearch | undefined): void {
  const rc = readRtCase(path);
  // Without a CT or a structure set, runPlacementForCase says what is missing.
  if (rc.ct === undefined || rc.structureSet === undefined) return;
  checkDiameter(opts.diameter, rc.ct.grid);
  if (search !== undefined) checkRotationWork(opts, search, findStructure(rc.structureSet.structures, opts.target, 'target'), rc.ct.grid);
}

/**
 * Refuse a valley that came out empty (the spheres grown by the margin cover the whole target). Runs
 * inside the output folder's staging, so nothing is written to the folder.
 */
function checkValley(newStructures: readonly MaskStructure[], marginMm: number): void {
  const valley = newStructures.find((s) => s.interpretedType === 'CONTROL' && s.name.startsWith('Valley_'));
  if (valley !== undefined && !valley.mask.data.some((v) => v !== 0)) {
    throw new InputError(
      `--valley-margin ${fmt(marginMm)} mm: the valley ${valley.name} (the target minus the spheres grown by ${fmt(marginMm)} mm) would be empty; use a smaller margin`,
    );
  }
}

/**
 * Progress of a rotation search on stderr (more than one rotation, unless --no-progress): rotations
 * searched of all, and the best layout so far. Rewritten in place on a terminal, else a line at
 * every tenth of the rotations.
 */
function searchProgress(enabled: boolean): ProgressDisplay<SearchProgress> {
  const t0 = performance.now();
  return progressDisplay<SearchProgress>(enabled, (p) => {
    const b = p.bestScore;
    const best = b.intact + b.partial === 0 ? 'no vertex yet' : `best so far ${b.intact} intact + ${b.partial} partial at ${fmt(p.bestKey.angleDeg)} deg`;
    return {
      line: `lattice place: rotation ${p.rotationsDone}/${p.rotations} searched (${Math.floor((100 * p.rotationsDone) / p.rotations)} %), ${best} [${((performance.now() - t0) / 1000).toFixed(1)} s]`,
      key: String(Math.floor((10 * p.rotationsDone) / p.rotations)),
    };
  });
}

export function registerPlace(program: Command, setExit: (code: number) => void): void {
  program
    .command('place')
    .description('place lattice vertices (high-dose spheres) in a target; write RTSTRUCT.dcm and vertices.json')
    .argument('<path>', 'DICOM file or folder holding the CT and its RTSTRUCT')
    .requiredOption('--target <name>', 'target ROI (e.g. GTV)')
    .option('--oars <auto|names>', "organs at risk: 'auto' or comma-separated ROI names", 'auto')
    .option('--diameter <mm>', 'vertex diameter', positiveNumber('--diameter'), 15)
    .option('--spacing <mm>', 'in-plane centre-to-centre spacing', positiveNumber('--spacing'), 60)
    .option('--plane-spacing <mm>', 'spacing between vertex planes', positiveNumber('--plane-spacing'), 30)
    .addOption(new Option('--pattern <name>', 'lattice pattern').choices([...PATTERN_NAMES]).default('seed'))
    .option('--inset <mm>', 'how far an intact sphere stays inside the target surface', nonNegativeNumber('--inset'), 0)
    .option('--oar-clearance <mm>', 'smallest distance to any organ at risk', nonNegativeNumber('--oar-clearance'), 15)
    .addOption(new Option('--clearance-from <where>', 'measure clearance from the sphere surface or its centre').choices(['surface', 'centre']).default('surface'))
    .option('--partial-min <fraction>', 'keep a partial sphere with at least this fraction in the target', fraction('--partial-min'), 0.5)
    .option('--no-partial', 'keep intact spheres only')
    .option('--snap-slices', 'put vertex planes on CT slice positions')
    .option('--rotation-step <deg>', 'also search rotations about the cranio-caudal axis in this step', positiveNumber('--rotation-step'))
    .option('--allow-overlap', 'accept a spacing smaller than the diameter')
    .option('--union-name <name>', 'name of the sphere union (default from --boost-gy, e.g. PTV_6670)', roiName('--union-name'))
    .option('--boost-gy <gy>', 'boost dose level naming the union', positiveNumber('--boost-gy'), 66.7)
    .option('--vertex-rois', 'also write each vertex as its own ROI')
    .option('--valley-margin <mm>', 'valley = target minus spheres grown by this margin', nonNegativeNumber('--valley-margin'), 5)
    .option('--ring <inner,outer>', 'avoidance ring around each sphere, mm from its surface', ringOption)
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print the audit as JSON instead of the summary')
    .option('--no-progress', 'no progress line on stderr during a rotation search')
    .option('--force', 'replace files in the output folder that lattice did not write')
    .action(async (path: string, opts: PlaceOptions) => {
      setExit(
        await runCommand(() => withOutputFolder(opts.out, () => {
          // Parameters first (bad input fails before the case is read), then against the case.
          const search = checkRotationStep(opts);
          const params: Partial<PlacementParams> = {
            diameterMm: opts.diameter,
            spacingMm: opts.spacing,
            planeSpacingMm: opts.planeSpacing,
            pattern: opts.pattern,
            insetMm: opts.inset,
            oarClearanceMm: opts.oarClearance,
            clearanceFrom: opts.clearanceFrom,
            partialMin: opts.partialMin,
            allowPartial: opts.partial,
            snapToSlices: opts.snapSlices === true,
            allowOverlap: opts.allowOverlap === true,
            ...(opts.rotationStep !== undefined
              ? { rotationsDeg: rotationAngles(opts.pattern, opts.rotationStep, opts.spacing, opts.planeSpacing) }
              : {}),
          };
          resolvePlacementParams(params);
          checkAgainstCase(path, opts, search);
          const output: LatticeOutputOptions = {
            ...(opts.unionName !== undefined ? { unionName: opts.unionName } : {}),
            boostGy: opts.boostGy,
            vertexRois: opts.vertexRois === true,
            valleyMarginMm: opts.valleyMargin,
            ...(opts.ring !== undefined ? { ring: opts.ring } : {}),
          };
          const oars = opts.oars.trim().toLowerCase() === 'auto' ? 'auto' : opts.oars.split(',').map((s) => s.trim()).filter((s) => s !== '');
          const bar = searchProgress(opts.progress && (params.rotationsDeg?.length ?? 1) > 1);
          let r: ReturnType<typeof runPlacementForCase>;
          try {
            r = runPlacementForCase(path, { target: opts.target, oars, params, output, outDir: opts.out, onProgress: bar.update });
          } finally {
            bar.done();
          }
          checkValley(r.newStructures, opts.valleyMargin);
          if (opts.json === true) {
            console.log(JSON.stringify(r.audit, null, 2));
            return;
          }
          console.log(DISCLAIMER);
          for (const line of r.summary) console.log(line);
          console.log(r.rtstructFile !== undefined ? `wrote ${r.rtstructFile} and ${r.verticesFile}` : `wrote ${r.verticesFile} (no vertex, no RTSTRUCT)`);
        }, { replaces: PLACE_OUTPUTS, force: opts.force === true })),
      );
    });
}
