/**
 * The browser viewer (issue 13 §1): first complete render of a lattice case in headless Chromium
 * (target < 2 s: navigation start to the three views, the DVH and the tables drawn) and slice
 * scrolling (target < 50 ms per frame: one axial step re-renders the three views, the dose sampled
 * on the new slice, isodose lines and outlines), measured in the page over 40 steps.
 * The case: LATTICE_VIEW_BENCH_DIR when set (e.g. the lattice-demo folder of `lattice demo`), else
 * the seed phantom at 2.5 mm with `lattice place` vertices and an analytic dose on the CT grid
 * (20 Gy bath plus 46.7 Gy Gaussian peaks at the vertices), written here. Needs `npm run build`
 * (dist/viewer) and Debian's chromium; without it the suite reports nothing.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { indexToLps } from '../src/geometry/grid.js';
import { createScalarVolume } from '../src/geometry/volume.js';
import { readDicomCase } from '../src/io/dicom/case.js';
import { writeRtDose } from '../src/io/dicom/write/rtdose.js';
import { loadViewData } from '../src/view/case-data.js';
import { startViewServer } from '../src/view/server.js';
import type { BenchSuite, Measurement } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';

async function quiet(args: string[]): Promise<void> {
  const log = console.log;
  console.log = () => undefined;
  try {
    const code = await main(['node', 'lattice', ...args]);
    if (code !== 0) throw new Error(`lattice ${args.join(' ')} exited ${code}`);
  } finally {
    console.log = log;
  }
}

async function makeCase(dir: string): Promise<void> {
  const phantom = join(dir, 'phantom'), plan = join(dir, 'plan');
  await quiet(['phantom', '--out', phantom, '--voxel', '2.5']);
  await quiet(['place', phantom, '--target', 'GTV', '--no-progress', '--out', plan]);
  const audit = JSON.parse(readFileSync(join(plan, 'vertices.json'), 'utf8')) as { target: { centroidLps: number[] }; vertices: { centreLps: number[] }[] };
  const c = readDicomCase(phantom);
  const grid = c.ct.hu.grid;
  const data = new Float32Array(c.ct.hu.data.length);
  const g0 = audit.target.centroidLps;
  let n = 0;
  for (let k = 0; k < grid.size[2]; k++) for (let j = 0; j < grid.size[1]; j++) for (let i = 0; i < grid.size[0]; i++) {
    const p = indexToLps(grid, [i, j, k]);
    let peak = 0;
    for (const v of audit.vertices) peak = Math.max(peak, Math.exp(-((p[0] - v.centreLps[0]!) ** 2 + (p[1] - v.centreLps[1]!) ** 2 + (p[2] - v.centreLps[2]!) ** 2) / 50));
    data[n++] = 20 * Math.exp(-((p[0] - g0[0]!) ** 2 + (p[1] - g0[1]!) ** 2 + (p[2] - g0[2]!) ** 2) / 3200) + 46.7 * peak;
  }
  writeRtDose(
    {
      patientId: c.ct.patientId, patientName: c.ct.patientName, studyInstanceUid: c.ct.studyInstanceUid,
      seriesInstanceUid: '2.25.313370000000000000000000000000000011', frameOfReferenceUid: c.ct.frameOfReferenceUid,
      dose: createScalarVolume(grid, data), summationType: 'PLAN', referencedPlanSopInstanceUid: '2.25.313370000000000000000000000000000012',
    },
    join(plan, 'RTDOSE.dcm'),
  );
  await quiet(['evaluate', dir, '--out', join(plan, 'eval'), '--fractions-planned', '5']);
}

export const suite: BenchSuite = {
  name: 'viewer',
  async run(): Promise<Measurement[]> {
    if (!existsSync(CHROMIUM)) {
      console.log(`viewer: ${CHROMIUM} missing (Debian package chromium): nothing measured`);
      return [];
    }
    const { chromium } = await import('playwright-core');
    const given = process.env.LATTICE_VIEW_BENCH_DIR;
    const work = given === undefined ? mkdtempSync(join(tmpdir(), 'lattice-view-bench-')) : undefined;
    const dir = given ?? join(work!, 'case');
    if (given === undefined) await makeCase(dir);
    const data = loadViewData(dir);
    const server = await startViewServer(data);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    try {
      const loads: number[] = [];
      let frames: number[] = [];
      for (let run = 0; run < 3; run++) {
        const page = await browser.newPage({ viewport: { width: 1500, height: 1300 } });
        await page.goto(server.url);
        await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 60_000 });
        loads.push((await page.evaluate('window.latticeViewer.readyAtMs')) as number);
        if (run === 2) {
          frames = (await page.evaluate(`(async () => {
            const app = window.latticeViewer.app;
            const n = app.c.ct.grid.size[2];
            const start = Math.max(0, app.state.pos[2] - 20);
            const out = [];
            for (let s = 0; s < 40 && start + s < n; s++) {
              const t0 = performance.now();
              app.setSlice('axial', start + s);
              await new Promise((r) => requestAnimationFrame(() => r()));
              out.push(performance.now() - t0);
            }
            return out;
          })()`)) as number[];
        }
        await page.close();
      }
      loads.sort((a, b) => a - b);
      frames.sort((a, b) => a - b);
      const size = data.caseJson.ct.grid.size.join(' x ');
      const median = (xs: number[]): number => xs[Math.floor(xs.length / 2)]!;
      const p95 = frames[Math.min(frames.length - 1, Math.floor(0.95 * frames.length))]!;
      return [
        { name: `first complete render, CT ${size} (median of 3)`, value: median(loads) / 1000, unit: 's', target: '< 2 s', pass: median(loads) < 2000 },
        { name: 'axial scroll, per frame (median of 40)', value: median(frames), unit: 'ms', target: '< 50 ms', pass: median(frames) < 50 },
        { name: 'axial scroll, per frame (95th percentile)', value: p95, unit: 'ms', target: '< 50 ms', pass: p95 < 50 },
      ];
    } finally {
      await browser.close();
      await server.close();
      if (work !== undefined) rmSync(work, { recursive: true, force: true });
    }
  },
};
