/**
 * `lattice evaluate` as a whole process (issue 10 §5): node start, imports, reading the DICOM files,
 * DVHs, metrics, constraints and the three reports, on two stand-in cases written here:
 * - prostate: a 512 x 512 x 92 CT (0.977 x 0.977 x 3 mm), 6 structures (BODY, PTV, CTV, Rectum,
 *   Bladder, Femoral_Heads) contoured on the CT slices, a 136 x 86 x 92 RT Dose (3 mm), 36.25 Gy in
 *   5 fractions (TG-101 5 fx checked); target <= 0.5 s;
 * - small: 8 structures on a 220 x 180 x 61 CT (2 x 2 x 2.5 mm), dose on the CT grid, 5 fractions;
 *   target <= 0.3 s;
 * and the prostate again without its CT files (RTSTRUCT + RTDOSE only, issue 10 §1), with and without
 * the fraction count. Each figure is the median of 3 runs after one warm-up (`node bin/lattice.js
 * evaluate DIR --fractions-planned 5 --out OUT`, wall time from spawn to exit), the two held to a
 * target of TARGET_RUNS; every tool runs without NODE_START_VARIABLES (below: work Node does at start
 * that lattice never uses), and Node's start with and without them is reported beside.
 * Needs `npm run build` (bin/ runs dist/).
 * The same files through dicompyler-core (every structure's DVH with dvhcalc.get_dvh, Debian's
 * python3) and through plastimatch's DVH pipeline (RTSTRUCT rasterised on the CT, RTDOSE converted,
 * `plastimatch dvh`), when those tools are installed, timed the same way.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGrid, indexToLps, type Grid } from '../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../src/geometry/structure.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import { deriveUid, frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../src/io/dicom/uid.js';
import { referencedCtOf, writeCtSeries, writeRtDose, writeStructureSet } from '../src/io/dicom/write/index.js';
import { underSeconds, type BenchSuite, type Measurement } from './harness.js';

/** An ellipse of semi-axes (a, b) about (cx, cy) on plane z, as an n-gon (optional radial ripple, mm). */
function ellipse(cx: number, cy: number, z: number, a: number, b: number, n: number, rippleMm = 0): PlanarContour {
  const p = new Float64Array(3 * n);
  for (let q = 0; q < n; q++) {
    const t = (2 * Math.PI * q) / n;
    const w = 1 + (rippleMm / Math.min(a, b)) * Math.sin(7 * t);
    p[3 * q] = cx + a * w * Math.cos(t);
    p[3 * q + 1] = cy + b * w * Math.sin(t);
    p[3 * q + 2] = z;
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
}

type Shape = { readonly c: readonly [number, number, number]; readonly r: readonly [number, number, number] };

/** Ellipsoids contoured on the given planes (one polygon per ellipsoid per plane it cuts). */
function ellipsoids(shapes: readonly Shape[], planesZ: readonly number[], n = 64): PlanarContour[] {
  const out: PlanarContour[] = [];
  for (const z of planesZ) {
    for (const { c, r } of shapes) {
      const t = 1 - ((z - c[2]) / r[2]) ** 2;
      if (t > 0.01) out.push(ellipse(c[0], c[1], z, r[0] * Math.sqrt(t), r[1] * Math.sqrt(t), n));
    }
  }
  return out;
}

interface StandIn {
  readonly ctGrid: Grid;
  readonly doseGrid: Grid;
  readonly structures: ContourStructure[];
  /** HU at a point (LPS mm). */
  readonly hu: (x: number, y: number, z: number) => number;
  /** Planned total dose (Gy) at a point. */
  readonly doseGy: (x: number, y: number, z: number) => number;
}

const roi = (roiNumber: number, name: string, interpretedType: ContourStructure['interpretedType'], contours: PlanarContour[]): ContourStructure => ({
  roiNumber,
  name,
  interpretedType,
  colorRgb: [(roiNumber * 70) % 256, (roiNumber * 130) % 256, (roiNumber * 200) % 256],
  contours,
});

const planesOf = (g: Grid): number[] => Array.from({ length: g.size[2] }, (_, k) => g.originMm[2] + k * g.spacingMm[2]);

/** A prostate SBRT stand-in: pelvis 360 x 240 mm, PTV = CTV + 7 mm, 36.25 Gy to the PTV. */
export function prostateStandIn(): StandIn {
  const ctGrid = createGrid({ size: [512, 512, 92], spacingMm: [500 / 512, 500 / 512, 3], originMm: [-249.5, -249.5, -136.5] });
  const doseGrid = createGrid({ size: [136, 86, 92], spacingMm: [3, 3, 3], originMm: [-202.5, -127.5, -136.5] });
  const planes = planesOf(ctGrid);
  const ctv: Shape = { c: [0, 20, -10], r: [22, 18, 20] };
  const ptv: Shape = { c: [0, 20, -10], r: [29, 25, 27] };
  const bladder: Shape = { c: [0, -15, 35], r: [40, 35, 30] };
  const heads: Shape[] = [{ c: [95, 20, -10], r: [24, 24, 24] }, { c: [-95, 20, -10], r: [24, 24, 24] }];
  const body = planes.map((z) => ellipse(0, 0, z, 180, 120, 400, 2));
  const rectum = planes.filter((z) => z > -70 && z < 30).map((z) => ellipse(0, 55, z, 18, 15, 48));
  const structures = [
    roi(1, 'BODY', 'EXTERNAL', body),
    roi(2, 'PTV', 'PTV', ellipsoids([ptv], planes)),
    roi(3, 'CTV_Prostate', 'CTV', ellipsoids([ctv], planes)),
    roi(4, 'Rectum', 'ORGAN', rectum),
    roi(5, 'Bladder', 'ORGAN', ellipsoids([bladder], planes)),
    roi(6, 'Femoral_Heads', 'ORGAN', ellipsoids(heads, planes)),
  ];
  const s = (x: number, y: number, z: number, e: Shape): number =>
    Math.sqrt(((x - e.c[0]) / e.r[0]) ** 2 + ((y - e.c[1]) / e.r[1]) ** 2 + ((z - e.c[2]) / e.r[2]) ** 2);
  return {
    ctGrid,
    doseGrid,
    structures,
    hu: (x, y, z) => ((x / 180) ** 2 + (y / 120) ** 2 > 1 ? -1000 : heads.some((h) => s(x, y, z, h) < 1) ? 700 : 30),
    doseGy: (x, y, z) => {
      if ((x / 185) ** 2 + (y / 125) ** 2 > 1) return 0;
      const d = s(x, y, z, ptv);
      // 38 Gy plateau in the PTV, falling off outside (about 8 mm per e-fold), a 4 Gy lateral bath.
      return 38 * (d <= 1 ? 1 - 0.03 * d * d : Math.exp(-(d - 1) * 3.2)) + 4 * Math.exp(-(((y - 20) / 40) ** 2 + ((z + 10) / 40) ** 2));
    },
  };
}

/** A small abdominal case: 8 structures on 220 x 180 x 61 at 2 x 2 x 2.5 mm, dose on the CT grid. */
export function smallStandIn(): StandIn {
  const ctGrid = createGrid({ size: [220, 180, 61], spacingMm: [2, 2, 2.5], originMm: [-219, -179, -75] });
  const planes = planesOf(ctGrid);
  const gtv: Shape = { c: [30, 0, 0], r: [18, 15, 16] };
  const ptv: Shape = { c: [30, 0, 0], r: [23, 20, 21] };
  const liver: Shape = { c: [-60, -10, 10], r: [70, 55, 55] };
  const kidneys: Shape[] = [{ c: [70, 60, -10], r: [25, 22, 45] }, { c: [-70, 60, -10], r: [25, 22, 45] }];
  const stomach: Shape = { c: [60, -40, 30], r: [35, 25, 30] };
  const cord = planes.map((z) => ellipse(0, 95, z, 5, 5, 32));
  const structures = [
    roi(1, 'BODY', 'EXTERNAL', planes.map((z) => ellipse(0, 0, z, 170, 130, 300, 2))),
    roi(2, 'GTV', 'GTV', ellipsoids([gtv], planes)),
    roi(3, 'PTV', 'PTV', ellipsoids([ptv], planes)),
    roi(4, 'Liver', 'ORGAN', ellipsoids([liver], planes)),
    roi(5, 'Kidney_L', 'ORGAN', ellipsoids([kidneys[0]!], planes)),
    roi(6, 'Kidney_R', 'ORGAN', ellipsoids([kidneys[1]!], planes)),
    roi(7, 'Stomach', 'ORGAN', ellipsoids([stomach], planes)),
    roi(8, 'SpinalCord', 'ORGAN', cord),
  ];
  const s = (x: number, y: number, z: number, e: Shape): number =>
    Math.sqrt(((x - e.c[0]) / e.r[0]) ** 2 + ((y - e.c[1]) / e.r[1]) ** 2 + ((z - e.c[2]) / e.r[2]) ** 2);
  return {
    ctGrid,
    doseGrid: ctGrid,
    structures,
    hu: (x, y) => ((x / 170) ** 2 + (y / 130) ** 2 > 1 ? -1000 : 40),
    doseGy: (x, y, z) => {
      if ((x / 175) ** 2 + (y / 135) ** 2 > 1) return 0;
      const d = s(x, y, z, ptv);
      return 42 * (d <= 1 ? 1 - 0.04 * d * d : Math.exp(-(d - 1) * 2.5));
    },
  };
}

export interface WrittenStandIn {
  readonly dir: string;
  readonly ctDir: string;
  readonly rtstructFile: string;
  readonly rtdoseFile: string;
}

/** Write a stand-in as DICOM: CT/ (one file per slice), RTSTRUCT.dcm, RTDOSE.dcm (PLAN, Gy). No RT Plan. */
export function writeStandIn(dir: string, c: StandIn, seed: string): WrittenStandIn {
  mkdirSync(dir, { recursive: true });
  const fill = (g: Grid, f: (x: number, y: number, z: number) => number) => {
    const v = createScalarVolume(g);
    const [nx, ny, nz] = g.size;
    let p = 0;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
      const [x, y, z] = indexToLps(g, [i, j, k]);
      v.data[p] = f(x, y, z);
    }
    return v;
  };
  const studyInstanceUid = studyInstanceUidFor(seed);
  const identity = {
    patientId: seed.toUpperCase(),
    patientName: `Bench^${seed}`,
    studyInstanceUid,
    frameOfReferenceUid: frameOfReferenceUidFor(seed),
  };
  const ctDir = join(dir, 'CT');
  const ct = writeCtSeries(
    { ...identity, seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'CT'), seriesDescription: 'CT', hu: fill(c.ctGrid, c.hu) },
    ctDir,
    { seriesNumber: 1 },
  );
  const rtstructFile = join(dir, 'RTSTRUCT.dcm');
  writeStructureSet({ label: seed.slice(0, 16), structures: c.structures, referencedCt: referencedCtOf(ct.series) }, rtstructFile, { seriesNumber: 2 });
  const rtdoseFile = join(dir, 'RTDOSE.dcm');
  writeRtDose(
    {
      ...identity,
      seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'RTDOSE'),
      dose: fill(c.doseGrid, c.doseGy),
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: deriveUid(seed, 'plan'),
    },
    rtdoseFile,
    { seriesNumber: 3 },
  );
  return { dir, ctDir, rtstructFile, rtdoseFile };
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Environment variables that make every Node.js process do work before any of its JavaScript runs,
 * work `lattice` never uses: NODE_EXTRA_CA_CERTS makes Node 20 parse its bundled and the extra TLS root
 * certificates at start (nodejs/node#40524; 55-95 ms a process on the 2-vCPU test VM, whose sandbox
 * sets it for its proxy; lattice opens no TLS connection), NODE_OPTIONS may add anything. The timed
 * processes run without them (every tool alike; Python and plastimatch do not read them); the bench
 * also reports Node's start with the environment as given, and one run of ours with it.
 */
export const NODE_START_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'] as const;

/** This process's environment without NODE_START_VARIABLES. */
export function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of NODE_START_VARIABLES) delete env[name];
  return env;
}

/**
 * Median wall seconds of a command (run without a shell) over `runs` runs after one warm-up, in the
 * environment `env` (default: cleanEnvironment()).
 */
export function timeProcess(command: string, args: readonly string[], runs = 3, env: NodeJS.ProcessEnv = cleanEnvironment()): number {
  const times: number[] = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    const p = spawnSync(command, [...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env });
    const t = (performance.now() - t0) / 1000;
    if (p.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${p.status}): ${p.stderr}`);
    if (r > 0) times.push(t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Median wall seconds of `node bin/lattice.js evaluate DIR ... --out OUT` over `runs` runs after a warm-up. */
export const timeEvaluate = (dir: string, out: string, extra: readonly string[] = [], runs = 3, env?: NodeJS.ProcessEnv): number =>
  timeProcess(process.execPath, [join(root, 'bin', 'lattice.js'), 'evaluate', dir, ...extra, '--out', out], runs, env);

/** Runs of the figure held to a target: a median of 3 moved by 0.05-0.1 s between minutes on the 2-vCPU test machine. */
const TARGET_RUNS = 9;

/** dicompyler-core: every structure's DVH from the RTSTRUCT and the RTDOSE (dvhcalc.get_dvh). */
const DICOMPYLER = [
  'import sys',
  'from dicompylercore import dicomparser, dvhcalc',
  'for n in dicomparser.DicomParser(sys.argv[1]).GetStructures():',
  '    dvhcalc.get_dvh(sys.argv[1], sys.argv[2], n)',
].join('\n');

/** plastimatch: structures rasterised on the CT grid, the dose converted, then `plastimatch dvh`. */
const PLASTIMATCH = [
  'set -e; o=$(mktemp -d)',
  'plastimatch convert --input "$1/RTSTRUCT.dcm" --referenced-ct "$1/CT" --output-ss-img "$o/ss.nrrd" --output-ss-list "$o/ss.txt" >/dev/null',
  'plastimatch convert --input "$1/RTDOSE.dcm" --output-dose-img "$o/dose.nrrd" >/dev/null',
  'plastimatch dvh --input-ss-img "$o/ss.nrrd" --input-ss-list "$o/ss.txt" --input-dose "$o/dose.nrrd" --output-csv "$o/dvh.csv" >/dev/null',
  'rm -rf "$o"',
].join('\n');

const works = (command: string, args: readonly string[]): boolean => spawnSync(command, [...args], { stdio: 'ignore' }).status === 0;

export const suite: BenchSuite = {
  name: 'evaluate-cli',
  run(): Measurement[] {
    const tmp = mkdtempSync(join(tmpdir(), 'lattice-bench-eval-'));
    try {
      const prostate = writeStandIn(join(tmp, 'prostate'), prostateStandIn(), 'prostate-standin');
      const small = writeStandIn(join(tmp, 'small'), smallStandIn(), 'small-standin');
      const out = join(tmp, 'out');
      // DVHs, metrics and constraints as dicompyler-core and plastimatch compute them: without the report's CT
      // snapshots (issue 13), which decode every CT image; their cost is measured apart below
      const fx = ['--fractions-planned', '5', '--no-snapshots'];
      const rows: Measurement[] = [];
      // Node's own start (no JavaScript of ours), without and with the variables the timed runs go without
      const given = NODE_START_VARIABLES.filter((name) => process.env[name] !== undefined);
      rows.push({ name: 'node -e 0 (Node.js start alone)', value: timeProcess(process.execPath, ['-e', '0'], TARGET_RUNS), unit: 's' });
      if (given.length > 0) {
        rows.push({ name: `node -e 0 with this environment's ${given.join(', ')}`, value: timeProcess(process.execPath, ['-e', '0'], TARGET_RUNS, process.env), unit: 's' });
      }
      const cases = [
        { label: 'prostate 512x512x92 CT, 6 structures, 136x86x92 dose', written: prostate, limit: 0.5 },
        { label: 'small 220x180x61 CT, 8 structures', written: small, limit: 0.3 },
      ];
      const haveDicompyler = works('/usr/bin/python3', ['-c', 'import dicompylercore.dvhcalc']);
      const havePlastimatch = works('plastimatch', ['--version']);
      for (const c of cases) {
        const ours = timeEvaluate(c.written.dir, out, fx, TARGET_RUNS);
        rows.push(underSeconds(`${c.label} (whole process)`, ours, c.limit));
        if (given.length > 0) {
          rows.push({ name: `  the same with this environment's ${given.join(', ')}`, value: timeEvaluate(c.written.dir, out, fx, 3, process.env), unit: 's' });
        }
        // The default interpolated model against the slab model between contour planes (issue 10 §2).
        rows.push({ name: '  the same with --between-planes slab', value: timeEvaluate(c.written.dir, out, [...fx, '--between-planes', 'slab']), unit: 's' });
        rows.push({ name: '  the same with the CT snapshots in report.html (the default)', value: timeEvaluate(c.written.dir, out, ['--fractions-planned', '5']), unit: 's' });
        // DVHs on the calling thread alone (the default is two threads where there are two processors)
        rows.push({ name: '  the same with --threads 1', value: timeEvaluate(c.written.dir, out, [...fx, '--threads', '1']), unit: 's' });
        if (haveDicompyler) {
          const t = timeProcess('/usr/bin/python3', ['-c', DICOMPYLER, c.written.rtstructFile, c.written.rtdoseFile]);
          rows.push({ name: `  dicompyler-core, same RTSTRUCT + RTDOSE`, value: t, unit: 's' });
          rows.push({ name: `  lattice-rt faster by`, value: t / ours, unit: 'x' });
        }
        if (havePlastimatch) {
          const t = timeProcess('sh', ['-c', PLASTIMATCH, 'plastimatch-dvh', c.written.dir]);
          rows.push({ name: `  plastimatch pipeline, same files`, value: t, unit: 's' });
          rows.push({ name: `  lattice-rt faster by`, value: t / ours, unit: 'x' });
        }
      }
      rmSync(prostate.ctDir, { recursive: true });
      rows.push({ name: 'prostate, RTSTRUCT + RTDOSE only (no CT)', value: timeEvaluate(prostate.dir, out, fx), unit: 's' });
      rows.push({ name: 'prostate, no CT, no fraction count (DVHs + metrics only)', value: timeEvaluate(prostate.dir, out), unit: 's' });
      return rows;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
