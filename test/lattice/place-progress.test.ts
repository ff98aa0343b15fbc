/**
 * Progress of a rotation search (issue 11 §3: "`place --rotation-step 0.001` runs for minutes with
 * no output"): the layout search reports once per rotation (rotations searched, best layout so far)
 * and `lattice place` shows it on stderr, never on stdout, when it searches more than one rotation,
 * unless --no-progress. The CLI runs as a real process (the TypeScript bundled with esbuild, as in
 * place-concurrent.test.ts), so stderr is a pipe: a line per tenth of the rotations.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { progressDisplay } from '../../cli/commands/plan.js';
import { compareScores, placeVertices, type SearchProgress } from '../../src/lattice/placement.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { cubeGrid, inEllipsoid, maskOf, structureOf } from './shapes.js';
import { bundleCli } from '../helpers/bundle.js';

describe('progress of the layout search', () => {
  // An ellipsoid of 24 x 18 x 15 mm semi-axes on a 2 mm grid; 14 mm spheres on a 20 mm cubic lattice.
  const grid = cubeGrid(31, 2);
  const target = structureOf('ellipsoid', maskOf(grid, inEllipsoid([0.4, -0.3, 0.2], [24, 18, 15])), 'GTV');
  const params = { pattern: 'sc', spacingMm: 20, planeSpacingMm: 20, diameterMm: 14 } as const;
  const angles = [0, 20, 45, 70];

  it('is reported once per rotation, counting 1, 2, 3, 4 of 4, with the best layout of the rotations searched so far', () => {
    const reports: SearchProgress[] = [];
    const r = placeVertices(target, [], { ...params, rotationsDeg: angles }, { onProgress: (p) => reports.push(p) });
    expect(reports.map((p) => p.rotationsDone)).toEqual([1, 2, 3, 4]);
    expect(reports.every((p) => p.rotations === 4)).toBe(true);
    // After k rotations the best so far is what a search of those k rotations alone finds.
    for (let k = 1; k <= angles.length; k++) {
      const alone = placeVertices(target, [], { ...params, rotationsDeg: angles.slice(0, k) });
      expect(reports[k - 1]!.bestKey).toEqual(alone.best.key);
      expect(compareScores(reports[k - 1]!.bestScore, alone.best.score)).toBe(0);
    }
    // The best so far never gets worse, and the last report is the search's result.
    for (let k = 1; k < reports.length; k++) expect(compareScores(reports[k]!.bestScore, reports[k - 1]!.bestScore)).toBeLessThanOrEqual(0);
    expect(reports.at(-1)!.bestKey).toEqual(r.best.key);
    // (the best moves from one angle to another, so a report of the first or the last rotation alone would fail)
    expect(new Set(reports.map((p) => p.bestKey.angleDeg)).size).toBeGreaterThan(1);
  });

  it('is reported once, 1 of 1, for a search without rotation', () => {
    const reports: SearchProgress[] = [];
    placeVertices(target, [], params, { onProgress: (p) => reports.push(p) });
    expect(reports.map((p) => [p.rotationsDone, p.rotations])).toEqual([[1, 1]]);
  });
});

describe('progress display on a terminal', () => {
  it('rewrites one line in place with \\r, padded over the longer line before it, and ends it with a newline', () => {
    const writes: string[] = [];
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (writes.push(String(s)), true));
    try {
      const bar = progressDisplay<string>(true, (line) => ({ line, key: line }));
      bar.update('rotation 1/3 searched');
      bar.update('rotation 2/3');
      bar.done();
    } finally {
      write.mockRestore();
      if (tty !== undefined) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(writes).toEqual(['\rrotation 1/3 searched', `\r${'rotation 2/3'.padEnd('rotation 1/3 searched'.length)}`, '\n']);
  });
});

describe('lattice place shows the search on stderr', () => {
  let dir: string;
  let bundle: string;
  let caseDir: string;

  let removeBundle: () => void;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lattice-place-progress-'));
    ({ bundle, remove: removeBundle } = await bundleCli('place-progress'));
    caseDir = join(dir, 'case');
    writePhantom(caseDir, buildSeedPhantom({ voxelSizeMm: 10 }), 'dicom');
  }, 60_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    removeBundle();
  });

  function lattice(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((done, fail) => {
      const p = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr.on('data', (b: Buffer) => (err += b.toString()));
      p.on('error', fail);
      p.on('close', (code) => done({ code, out, err }));
    });
  }

  const progressLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('lattice place: rotation'));

  it('--rotation-step 30 (seed pattern, quarter-turn symmetry: 0, 30, 60 deg): a line per rotation on stderr, none on stdout', async () => {
    const r = await lattice(['place', caseDir, '--target', 'GTV', '--diameter', '20', '--rotation-step', '30', '--out', join(dir, 'out')]);
    expect(r.code, r.err).toBe(0);
    const lines = progressLines(r.err);
    // Three rotations: each is a third, so each passes a tenth of the search and gets its line.
    expect(lines.map((l) => /rotation (\d+)\/(\d+) searched/.exec(l)?.slice(1))).toEqual([['1', '3'], ['2', '3'], ['3', '3']]);
    expect(lines.at(-1)).toMatch(/\(100 %\), (best so far \d+ intact \+ \d+ partial at (0|30|60) deg|no vertex yet) \[[\d.]+ s\]$/);
    expect(r.err.includes('\r')).toBe(false);
    expect(r.out).not.toMatch(/lattice place: rotation/);
    expect(r.out).toMatch(/^vertices kept: /m);
  }, 60_000);

  it('--no-progress, or a search of one rotation, prints no progress', async () => {
    const quiet = await lattice(['place', caseDir, '--target', 'GTV', '--diameter', '20', '--rotation-step', '30', '--no-progress', '--out', join(dir, 'quiet')]);
    expect(quiet.code, quiet.err).toBe(0);
    expect(progressLines(quiet.err)).toEqual([]);
    const one = await lattice(['place', caseDir, '--target', 'GTV', '--diameter', '20', '--out', join(dir, 'one')]);
    expect(one.code, one.err).toBe(0);
    expect(one.err).toBe('');
  }, 60_000);
});
