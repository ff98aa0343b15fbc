/**
 * Scale (issue 11 §5): `lattice info` (and `lattice evaluate`) as a whole process on a large case
 * written here as DICOM:
 * - a 512 x 512 x 300 CT (0.977 x 0.977 x 2 mm, one file per slice, 150 MB of pixels);
 * - an RTSTRUCT with 5000-point contours on every slice: BODY (an outline with a ripple) on all 300
 *   slices, two lungs on 200 slices each, and a 5000-point PTV on 60 slices (760 contours, ~75 MB of
 *   decimal strings, like the issue's 74 MB);
 * - an RT Dose of 3 mm over the body (for `evaluate`).
 * Timed from spawn to exit (`node bin/lattice.js info DIR`, median of 3 after one warm-up), with the
 * peak RSS of one run (/usr/bin/time -v when present, else bench/child-rss.ts). Targets: info <= 3 s
 * and <= 1 GB (headers and contours only); evaluate <= 5 s and <= 1 GB; place --target PTV (reads the
 * structure set, writes it again with the new ROIs) <= 15 s and <= 1 GB. Needs `npm run build`.
 * `node dist/bench/scale.bench.js write DIR` writes the case only (for profiling by hand).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGrid, type Grid } from '../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../src/geometry/structure.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import { deriveUid, frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../src/io/dicom/uid.js';
import { referencedCtOf, writeCtSeries, writeRtDose, writeStructureSet } from '../src/io/dicom/write/index.js';
import type { BenchSuite, Measurement } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const GB = 2 ** 30;
const POINTS = 5000;

/** A closed n-gon ellipse (semi-axes a, b mm, radial ripple mm) about (cx, cy) on plane z. */
function ellipse(cx: number, cy: number, z: number, a: number, b: number, rippleMm: number): PlanarContour {
  const p = new Float64Array(3 * POINTS);
  for (let q = 0; q < POINTS; q++) {
    const t = (2 * Math.PI * q) / POINTS;
    const w = 1 + (rippleMm / Math.min(a, b)) * Math.sin(37 * t);
    p[3 * q] = cx + a * w * Math.cos(t);
    p[3 * q + 1] = cy + b * w * Math.sin(t);
    p[3 * q + 2] = z;
  }
  return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
}

export const scaleCtGrid = (): Grid =>
  createGrid({ size: [512, 512, 300], spacingMm: [500 / 512, 500 / 512, 2], originMm: [-249.5, -249.5, -299] });

/** Writes the case: CT/ (300 files), RTSTRUCT.dcm, RTDOSE.dcm. */
export function writeScaleCase(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const ctGrid = scaleCtGrid();
  const [nx, ny, nz] = ctGrid.size;
  const planes = Array.from({ length: nz }, (_, k) => ctGrid.originMm[2] + k * ctGrid.spacingMm[2]);
  const hu = createScalarVolume(ctGrid);
  for (let j = 0, p = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++, p++) {
      const x = ctGrid.originMm[0] + i * ctGrid.spacingMm[0];
      const y = ctGrid.originMm[1] + j * ctGrid.spacingMm[1];
      hu.data[p] = (x / 180) ** 2 + (y / 120) ** 2 > 1 ? -1000 : 30;
    }
  }
  for (let k = 1; k < nz; k++) hu.data.copyWithin(k * nx * ny, 0, nx * ny);
  const seed = 'scale-standin';
  const studyInstanceUid = studyInstanceUidFor(seed);
  const identity = { patientId: 'SCALE', patientName: 'Bench^Scale', studyInstanceUid, frameOfReferenceUid: frameOfReferenceUidFor(seed) };
  const ct = writeCtSeries(
    { ...identity, seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'CT'), seriesDescription: 'CT', hu },
    join(dir, 'CT'),
    { seriesNumber: 1 },
  );
  const mid = planes.filter((_, k) => k >= 50 && k < 250);
  const roi = (roiNumber: number, name: string, interpretedType: ContourStructure['interpretedType'], contours: PlanarContour[]): ContourStructure => ({
    roiNumber, name, interpretedType, colorRgb: [(roiNumber * 70) % 256, (roiNumber * 130) % 256, 200], contours,
  });
  const structures = [
    roi(1, 'BODY', 'EXTERNAL', planes.map((z) => ellipse(0, 0, z, 180, 120, 2))),
    roi(2, 'Lung_L', 'ORGAN', mid.map((z) => ellipse(80, 0, z, 60, 80, 1))),
    roi(3, 'Lung_R', 'ORGAN', mid.map((z) => ellipse(-80, 0, z, 60, 80, 1))),
    roi(4, 'PTV', 'PTV', planes.filter((_, k) => k >= 120 && k < 180).map((z) => ellipse(60, 10, z, 25, 20, 0.5))),
  ];
  writeStructureSet({ label: 'scale', structures, referencedCt: referencedCtOf(ct.series) }, join(dir, 'RTSTRUCT.dcm'), { seriesNumber: 2 });
  const doseGrid = createGrid({ size: [124, 84, 200], spacingMm: [3, 3, 3], originMm: [-184.5, -124.5, -299] });
  const dose = createScalarVolume(doseGrid);
  const [dx, dy, dz] = doseGrid.size;
  for (let k = 0, p = 0; k < dz; k++) {
    for (let j = 0; j < dy; j++) {
      for (let i = 0; i < dx; i++, p++) {
        const x = doseGrid.originMm[0] + i * 3 - 60;
        const y = doseGrid.originMm[1] + j * 3 - 10;
        const z = doseGrid.originMm[2] + k * 3 - 1; // the PTV's centre plane is z = 1 mm
        dose.data[p] = 40 * Math.exp(-(x * x + y * y + z * z) / (2 * 40 * 40));
      }
    }
  }
  writeRtDose(
    { ...identity, seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'RTDOSE'), dose, summationType: 'PLAN', referencedPlanSopInstanceUid: deriveUid(seed, 'plan') },
    join(dir, 'RTDOSE.dcm'),
    { seriesNumber: 3 },
  );
}

interface ChildRun {
  readonly seconds: number;
  readonly maxRssBytes: number;
}

/** `node ARGS` in the repository root, timed, with its peak RSS; throws when it fails. */
export function runNode(args: readonly string[], work: string): ChildRun {
  const useTime = existsSync('/usr/bin/time');
  const rssFile = join(work, 'rss.txt');
  rmSync(rssFile, { force: true });
  const cmd = useTime ? '/usr/bin/time' : process.execPath;
  const argv = useTime ? ['-v', '-o', rssFile, process.execPath, ...args] : ['--import', pathToFileURL(join(here, 'child-rss.js')).href, ...args];
  const env = useTime ? process.env : { ...process.env, LATTICE_BENCH_RSS_FILE: rssFile };
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: root, env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`node ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').slice(-1500)}`);
  }
  const stats = existsSync(rssFile) ? readFileSync(rssFile, 'utf8') : '';
  const kb = useTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stats)?.[1] ?? NaN) : Number(stats.trim());
  return { seconds, maxRssBytes: kb * 1024 };
}

/** Median seconds of `runs` runs after a warm-up, and the largest peak RSS seen. */
function measure(args: readonly string[], work: string, runs = 3): ChildRun {
  const times: number[] = [];
  let rss = 0;
  for (let r = 0; r <= runs; r++) {
    const run = runNode(args, work);
    rss = Math.max(rss, run.maxRssBytes);
    if (r > 0) times.push(run.seconds);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, maxRssBytes: rss };
}

const atMost = (name: string, value: number, unit: string, limit: number): Measurement => ({
  name, value, unit, target: `<= ${limit} ${unit}`, pass: value <= limit,
});

export const suite: BenchSuite = {
  name: 'scale',
  run(): Measurement[] {
    const tmp = mkdtempSync(join(tmpdir(), 'lattice-bench-scale-'));
    try {
      const dir = join(tmp, 'case');
      writeScaleCase(dir);
      const lattice = join(root, 'bin', 'lattice.js');
      const info = measure([lattice, 'info', dir], tmp);
      const evaluate = measure([lattice, 'evaluate', dir, '--fractions-planned', '5', '--out', join(tmp, 'out')], tmp, 1);
      const place = measure([lattice, 'place', dir, '--target', 'PTV', '--out', join(tmp, 'place'), '--force'], tmp, 1);
      return [
        atMost('info 512x512x300 CT, 5000-point contours (whole process)', info.seconds, 's', 3),
        atMost('  info peak memory (max RSS)', info.maxRssBytes / GB, 'GB', 1),
        atMost('evaluate, same case + 3 mm dose (whole process)', evaluate.seconds, 's', 5),
        atMost('  evaluate peak memory (max RSS)', evaluate.maxRssBytes / GB, 'GB', 1),
        atMost('place --target PTV, same case (whole process)', place.seconds, 's', 15),
        atMost('  place peak memory (max RSS)', place.maxRssBytes / GB, 'GB', 1),
      ];
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

if (process.argv[2] === 'write' && process.argv[3] !== undefined && import.meta.url === pathToFileURL(process.argv[1]!).href) {
  writeScaleCase(process.argv[3]);
}
