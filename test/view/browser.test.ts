/**
 * The viewer in a real browser (Debian's Chromium, headless, driven by playwright-core): a small
 * lattice case made by the CLI (fixture.ts) is served by `lattice view`'s server and the app is
 * checked as a physicist would look at it. Screenshots are kept under a temporary folder (printed).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctGridOf } from '../../src/io/dicom/model.js';
import { indexToLps, lpsToContinuousIndex } from '../../src/geometry/grid.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import { readRtDose } from '../../src/io/dicom/read/index.js';
import { courseReportSection } from '../../src/course/report-section.js';
import { seedCourseFile } from '../../src/course/index.js';
import { loadViewData } from '../../src/view/case-data.js';
import { startViewServer, type ViewServer } from '../../src/view/server.js';
// @ts-expect-error a plain ESM build script without type declarations
import { buildViewer } from '../../scripts/build-viewer.mjs';
import { haveChromium, launchChromium } from './chromium.js';
import { makeViewFixture, type ViewFixture } from './fixture.js';

type Rgb = readonly [number, number, number];

/** In-page access to the app (window.latticeViewer), typed loosely: the page has its own types. */
const APP = 'window.latticeViewer.app';

describe.runIf(haveChromium())('lattice view in Chromium', () => {
  let fixture: ViewFixture;
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  /** Console errors and uncaught exceptions of the page (a CSP violation is reported there too). */
  const errors: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), 'lattice-view-screenshots-'));
  let assetsDir: string;
  let work: string | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lattice-view-case-'));
    [fixture, assetsDir, browser] = await Promise.all([
      makeViewFixture(join(work, 'lattice-demo')),
      buildViewer(join(work, 'assets')) as Promise<string>,
      launchChromium(),
    ]);
    // the seed case's clinical course below the plan (lattice view --course)
    server = await startViewServer(loadViewData(fixture.dir), { assetsDir, courseHtml: courseReportSection(seedCourseFile(), [fixture.dir]).html });
    page = await browser.newPage({ viewport: { width: 1500, height: 1300 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready]', { state: 'attached', timeout: 20_000 });
    console.log(`lattice view screenshots: ${shots}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** A view's RGBA pixels (sent as base64: an array of numbers is slow to pass). */
  const pixels = async (view: string): Promise<Uint8Array> => {
    const b64 = (await page.evaluate(`(() => {
      const c = document.getElementById('view-${view}');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let s = '';
      for (let q = 0; q < d.length; q += 0x8000) s += String.fromCharCode(...d.subarray(q, q + 0x8000));
      return btoa(s);
    })()`)) as string;
    return new Uint8Array(Buffer.from(b64, 'base64'));
  };

  const countColour = (px: Uint8Array, rgb: Rgb, tol = 10): number => {
    let n = 0;
    for (let q = 0; q < px.length; q += 4) if (Math.abs(px[q]! - rgb[0]) <= tol && Math.abs(px[q + 1]! - rgb[1]) <= tol && Math.abs(px[q + 2]! - rgb[2]) <= tol) n++;
    return n;
  };

  it('renders the case: the views are not blank and a structure\'s DICOM colour lies along its contour', async () => {
    expect(await page.evaluate('document.body.dataset.ready')).toBe('true');
    await page.screenshot({ path: join(shots, 'viewer.png'), fullPage: true });
    const data = loadViewData(fixture.dir);
    for (const v of ['axial', 'coronal', 'sagittal']) {
      const px = await pixels(v);
      const greys = new Set<number>();
      for (let q = 0; q < px.length; q += 4) greys.add(px[q]! * 65536 + px[q + 1]! * 256 + px[q + 2]!);
      expect(greys.size, v).toBeGreaterThan(50);
    }
    // BODY's outline on the axial view: its colour is there, and goes when the structure is hidden
    const body = data.caseJson.structures.find((s) => s.name === 'BODY')!;
    const before = countColour(await pixels('axial'), body.colorRgb);
    expect(before).toBeGreaterThan(100);
    await page.click('input[data-structure="BODY"]');
    const after = countColour(await pixels('axial'), body.colorRgb);
    expect(after).toBeLessThan(before / 5);
    await page.click('input[data-structure="BODY"]');
    // and the colour sits where the contour is: at the contour points of the displayed slice
    const k = await page.evaluate(`${APP}.state.pos[2]`) as number;
    const onSlice = await page.evaluate(`${APP}.prepared.find((p) => p.s.name === 'BODY').byK.get(${k}).map((poly) => Array.from(poly))`) as number[][];
    const poly = onSlice[0]!;
    let hits = 0, tried = 0;
    const px = await pixels('axial');
    const width = (await page.evaluate("document.getElementById('view-axial').width")) as number;
    const layout = await page.evaluate(`${APP}.layout('axial')`) as { sx: number; sy: number };
    for (let q = 0; q < poly.length; q += 2 * 8) {
      tried++;
      const cx = Math.round((poly[q]! + 0.5) * layout.sx), cy = Math.round((poly[q + 1]! + 0.5) * layout.sy);
      // a 5 x 5 neighbourhood of the contour point holds the colour
      let found = false;
      for (let dy = -2; dy <= 2 && !found; dy++) for (let dx = -2; dx <= 2 && !found; dx++) {
        const o = 4 * (cx + dx + width * (cy + dy));
        if (Math.abs(px[o]! - body.colorRgb[0]) <= 10 && Math.abs(px[o + 1]! - body.colorRgb[1]) <= 10 && Math.abs(px[o + 2]! - body.colorRgb[2]) <= 10) found = true;
      }
      if (found) hits++;
    }
    expect(tried).toBeGreaterThan(5);
    expect(hits / tried).toBeGreaterThan(0.8);
  });

  it('every structure has a DVH curve, and the legend toggles one', async () => {
    const data = loadViewData(fixture.dir);
    const series = await page.evaluate(`${APP}.dvhPlot.series.slice(1).map((s) => s.label)`) as string[];
    expect(series.sort()).toEqual(data.caseJson.structures.map((s) => s.name).sort());
    const maxima = await page.evaluate(`${APP}.dvhPlot.data.slice(1).map((ys) => Math.max(...ys))`) as number[];
    for (const m of maxima) expect(m).toBeGreaterThan(99);
    expect(await page.textContent('#dvh-source')).toContain('report.json');
    await page.click('.u-legend .u-series:nth-child(1) th');
    expect(await page.evaluate(`${APP}.dvhPlot.series[1].show`)).toBe(false);
    await page.click('.u-legend .u-series:nth-child(1) th');
  });

  it('a click on a sphere moves the three views to its centre', async () => {
    const c = readDicomCase(join(fixture.dir, 'phantom'));
    const grid = ctGridOf(c.ct);
    const data = loadViewData(fixture.dir);
    expect(data.caseJson.spheres.length).toBe(fixture.vertexCentres.length);
    const startK = await page.evaluate(`${APP}.state.pos[2]`) as number;
    // a sphere off the current axial slice
    const sphere = data.caseJson.spheres.find((s) => Math.round(lpsToContinuousIndex(grid, s.centreLps)[2]) !== startK)!;
    const label = await page.textContent('#slice-axial');
    await page.click(`button[data-sphere="${sphere.name}"]`);
    const expected = lpsToContinuousIndex(grid, sphere.centreLps).map((x) => Math.round(x));
    expect(await page.evaluate(`${APP}.state.pos`)).toEqual(expected);
    expect(await page.textContent('#slice-axial')).not.toBe(label);
    // the centre shown is the vertex audit's centre (to the contour's precision)
    const nearest = Math.min(...fixture.vertexCentres.map((v) => Math.hypot(v[0] - sphere.centreLps[0], v[1] - sphere.centreLps[1], v[2] - sphere.centreLps[2])));
    expect(nearest).toBeLessThan(1);
    await page.screenshot({ path: join(shots, `sphere-${sphere.name}.png`) });
  });

  it('the readout under the cursor shows the RTDOSE value and the CT HU at a known voxel', async () => {
    const rt = readRtDose(fixture.doseFile);
    const d = rt.dose;
    let best = 0;
    for (let n = 1; n < d.data.length; n++) if (d.data[n]! > d.data[best]!) best = n;
    const [nx, ny] = d.grid.size;
    const ijkDose = [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))] as const;
    const lps = indexToLps(d.grid, ijkDose);
    const c = readDicomCase(join(fixture.dir, 'phantom'));
    const grid = ctGridOf(c.ct);
    const ci = lpsToContinuousIndex(grid, lps);
    const ijk = ci.map((x) => Math.round(x));
    ci.forEach((x, r) => expect(x).toBeCloseTo(ijk[r]!, 6)); // the fixture's dose voxels sit on CT voxel centres
    await page.evaluate(`${APP}.goTo([${lps.join(',')}])`);
    const at = await page.evaluate(`${APP}.voxelToClient('axial', [${ijk.join(',')}])`) as { x: number; y: number };
    await page.mouse.move(at.x, at.y);
    expect(await page.textContent('#readout-ijk')).toBe(`voxel (${ijk.join(', ')})`);
    expect(await page.textContent('#readout-dose')).toBe(`${d.data[best]!.toFixed(3)} Gy`);
    const hu = c.ct.hu.data[ijk[0]! + grid.size[0] * (ijk[1]! + grid.size[1] * ijk[2]!)]!;
    expect(await page.textContent('#readout-hu')).toBe(`${Math.round(hu)} HU`);
    expect(await page.textContent('#readout-lps')).toBe(`LPS (${lps.map((x) => x.toFixed(1)).join(', ')}) mm`);
    // the window presets change the CT's grey levels
    const abdomen = await pixels('axial');
    await page.click('button[data-preset="lung"]');
    expect(await pixels('axial')).not.toEqual(abdomen);
    await page.click('button[data-preset="abdomen"]');
  });

  it('scrolling over the axial view moves one slice per wheel step', async () => {
    const k = await page.evaluate(`${APP}.state.pos[2]`) as number;
    const at = await page.evaluate(`${APP}.voxelToClient('axial', [10, 10, 0])`) as { x: number; y: number };
    await page.mouse.move(at.x, at.y);
    await page.mouse.wheel(0, -100);
    await expect.poll(() => page.evaluate(`${APP}.state.pos[2]`)).toBe(k + 1);
  });

  it('shows the clinical course given to the server: its timeline and marker charts and the response table', async () => {
    const course = (await page.evaluate(`(() => {
      const s = document.querySelector('#course section.lattice-course');
      return s === null ? null : { text: s.textContent || '', svgs: s.querySelectorAll('svg').length, tables: s.querySelectorAll('table').length };
    })()`)) as { text: string; svgs: number; tables: number } | null;
    expect(course).not.toBeNull();
    // the seed course's pseudonymous patient id and its RECIST 1.1 partial response (seed-case.md: -32.1 %)
    expect(course!.text).toContain('SEED-HCC-01');
    expect(course!.text).toMatch(/-32\.1/);
    expect(course!.svgs).toBe(2);
    expect(course!.tables).toBeGreaterThan(0);
  });

  it('no request leaves the machine, and the CSP blocks one the page would try', async () => {
    expect(errors).toEqual([]);
    const blocked = await page.evaluate(async () => {
      try {
        await fetch('http://192.0.2.1/x');
        return 'fetched';
      } catch {
        return 'blocked';
      }
    });
    expect(blocked).toBe('blocked');
    expect(requests.length).toBeGreaterThan(5);
    for (const u of requests) expect(new URL(u).origin).toBe(server.origin);
  });

  it('on a non-loopback host the app works through the token URL, and nothing without it', async () => {
    const s = await startViewServer(loadViewData(fixture.dir), { assetsDir, host: '0.0.0.0' });
    try {
      const local = (u: string): string => u.replace('0.0.0.0', '127.0.0.1');
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      const denied = await p.goto(local(s.origin + '/'));
      expect(denied?.status()).toBe(403);
      await p.goto(local(s.url));
      await p.waitForSelector('body[data-ready]', { state: 'attached', timeout: 20_000 });
      expect(await p.evaluate('document.body.dataset.ready')).toBe('true');
      await ctx.close();
      const fresh = await browser.newContext();
      const q = await fresh.newPage();
      const r = await q.goto(local(`${s.origin}/api/case.json`));
      expect(r?.status()).toBe(403);
      await fresh.close();
    } finally {
      await s.close();
    }
  });
});
