/**
 * `lattice place PATH --target GTV --out DIR`: place lattice vertices in a target of a DICOM case and
 * write RTSTRUCT.dcm (every input ROI plus the sphere union, the valley and, on request, each vertex
 * and an avoidance ring) and vertices.json (the audit) into DIR; print the summary (or the audit
 * as JSON with --json).
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { PATTERN_NAMES } from '../../src/lattice/patterns/registry.js';
import { rotationAngles, type ClearanceFrom, type PlacementParams } from '../../src/lattice/params.js';
import { runPlacementForCase, type LatticeOutputOptions } from '../../src/lattice/run-case.js';
import { DISCLAIMER, positiveNumber } from '../options.js';
import { withOutputFolder } from '../../src/io/atomic.js';
import { runCommand } from '../run-command.js';

/** What `place` writes; one run's set replaces another's as a whole. */
const PLACE_OUTPUTS = ['RTSTRUCT.dcm', 'vertices.json'];

function nonNegativeNumber(option: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${option} expects a number >= 0, found '${value}'`);
    return v;
  };
}

function fraction(option: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!(v > 0 && v <= 1)) throw new InvalidArgumentError(`${option} expects a fraction in (0, 1], found '${value}'`);
    return v;
  };
}

function ringOption(value: string): { innerMm: number; outerMm: number } {
  const parts = value.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || parts[0]! < 0 || !(parts[1]! > parts[0]!)) {
    throw new InvalidArgumentError(`--ring expects INNER,OUTER in mm with 0 <= INNER < OUTER, found '${value}'`);
  }
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
    .option('--union-name <name>', 'name of the sphere union (default from --boost-gy, e.g. PTV_6670)')
    .option('--boost-gy <gy>', 'boost dose level naming the union', positiveNumber('--boost-gy'), 66.7)
    .option('--vertex-rois', 'also write each vertex as its own ROI')
    .option('--valley-margin <mm>', 'valley = target minus spheres grown by this margin', nonNegativeNumber('--valley-margin'), 5)
    .option('--ring <inner,outer>', 'avoidance ring around each sphere, mm from its surface', ringOption)
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print the audit as JSON instead of the summary')
    .action(async (path: string, opts: PlaceOptions) => {
      setExit(
        await runCommand(() => withOutputFolder(opts.out, () => {
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
          const output: LatticeOutputOptions = {
            ...(opts.unionName !== undefined ? { unionName: opts.unionName } : {}),
            boostGy: opts.boostGy,
            vertexRois: opts.vertexRois === true,
            valleyMarginMm: opts.valleyMargin,
            ...(opts.ring !== undefined ? { ring: opts.ring } : {}),
          };
          const oars = opts.oars.trim().toLowerCase() === 'auto' ? 'auto' : opts.oars.split(',').map((s) => s.trim()).filter((s) => s !== '');
          const r = runPlacementForCase(path, { target: opts.target, oars, params, output, outDir: opts.out });
          if (opts.json === true) {
            console.log(JSON.stringify(r.audit, null, 2));
            return;
          }
          console.log(DISCLAIMER);
          for (const line of r.summary) console.log(line);
          console.log(r.rtstructFile !== undefined ? `wrote ${r.rtstructFile} and ${r.verticesFile}` : `wrote ${r.verticesFile} (no vertex, no RTSTRUCT)`);
        }, { replaces: PLACE_OUTPUTS })),
      );
    });
}
