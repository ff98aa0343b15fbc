/**
 * The DVH pool (src/evaluate/dvh-pool.ts): structures computed on worker threads give the evaluation
 * the calling thread alone gives, to the bit (the expectation is that single-thread evaluation); a
 * structure that fails in a worker, or a worker that cannot start, still ends as it does on one thread.
 * An RT Dose read on a worker (readDose) is the one readRtDose reads on the calling thread, to the bit,
 * with its errors; workers spawned beforehand (dvh-threads.ts, as the launcher does) are taken or ended.
 * The workers run the TypeScript sources here (src/core/worker-spawn.ts compiles them with esbuild).
 */

import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDvhTask, DEFAULT_THREADS, startDvhPool, type DvhPool, type DvhTask } from '../../src/evaluate/dvh-pool.js';
import { spawnDvhThreads } from '../../src/evaluate/dvh-threads.js';
import { readRtDose } from '../../src/io/dicom/read/rtdose.js';
import type { DoseGrid } from '../../src/io/dicom/model.js';
import { writeEvaluationCase } from './dicom-case.js';
import { dvhParts, PHYSICAL_DOSE, planSampling } from '../../src/evaluate/dvh.js';
import { eqd2Map } from '../../src/evaluate/radiobiology.js';
import { evaluatePlan } from '../../src/evaluate/plan.js';
import { renderJson } from '../../src/evaluate/report/json.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import type { ContourStructure } from '../../src/geometry/structure.js';
import { latticeCase, latticeDose } from './lattice-case.js';
import { expectSameDvhs } from './same-dvhs.js';

const pools: DvhPool[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'lattice-dvh-pool-'));
const pool = (threads: number, entry?: URL): DvhPool => {
  const p = startDvhPool({ threads, ...(entry !== undefined ? { entry } : {}) });
  expect(p).toBeDefined();
  pools.push(p!);
  // a worker still loading claims nothing: wait for them here, so that they take part
  expect(p!.awaitWorkers(60_000)).toBe(entry === undefined ? threads - 1 : 0);
  return p!;
};
afterAll(() => {
  for (const p of pools) p.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('DVH pool', () => {
  const dose = latticeDose();
  // a structure that cannot be filled: its contour's points on one line
  const flat: ContourStructure = {
    roiNumber: 9, name: 'Flat', interpretedType: 'ORGAN',
    contours: [{ geometricType: 'CLOSED_PLANAR', pointsLps: new Float64Array([0, 0, 0, 5, 0, 0, 10, 0, 0]) }],
  };
  const structures = [...latticeCase(), flat];
  const options = {
    schedule: { fractionsPlanned: 5, fractionsDelivered: 2 },
    constraintSet: tg101Set(5),
    prescriptions: [{ structure: 'GTV', doseGy: 20 }],
  };
  const alone = renderJson(evaluatePlan(structures, dose, options));

  it('workers and the calling thread give the single-thread evaluation to the bit, for any thread count', () => {
    expect((JSON.parse(alone) as { warnings: string[] }).warnings).toContain('structure "Flat" not evaluated: contours enclose no area: every contour\'s points lie on one line');
    for (const threads of [2, 3, 5]) {
      const p = pool(threads);
      expect(p.workers).toBe(threads - 1);
      expect(renderJson(evaluatePlan(structures, dose, { ...options, pool: p }))).toBe(alone);
      // the workers did take structures (the largest go first, each to the least-loaded thread)
      expect(p.computedInWorkers).toBeGreaterThan(0);
      // a second run on the same pool (a new dose: here the same values)
      const before = p.computedInWorkers;
      expect(renderJson(evaluatePlan(structures, { grid: dose.grid, data: Float32Array.from(dose.data) }, { ...options, pool: p }))).toBe(alone);
      expect(p.computedInWorkers).toBeGreaterThan(before);
    }
  }, 120_000);

  it('large structures in parts (dvh.ts dvhParts) shared among the threads: each structure\'s DVHs as one thread computes them, to the bit', () => {
    const tasks: DvhTask[] = latticeCase()
      .filter((s) => s.contours.some((c) => c.geometricType === 'CLOSED_PLANAR'))
      .map((s) => ({
        structure: s,
        sampling: { betweenPlanes: 'slab' },
        maps: [PHYSICAL_DOSE, eqd2Map(5, 3, s.name)],
        options: { partPoints: 12_000 },
      }));
    const parted = tasks.filter((t) => dvhParts(planSampling(t.structure, dose.grid, t.sampling), dose, t.maps, t.options) !== undefined);
    expect(parted.length).toBeGreaterThanOrEqual(5); // all six but (perhaps) one, the Liver in 7 parts
    const one = tasks.map((t) => computeDvhTask(t, dose));
    for (const threads of [2, 3]) {
      const p = pool(threads);
      const shared = p.run(tasks, dose);
      expect(p.computedInWorkers).toBeGreaterThan(0);
      shared.forEach((r, i) => {
        expect(r).toBeDefined();
        expectSameDvhs(r!, one[i]!);
        expect(r!.warnings).toEqual(one[i]!.warnings);
      });
    }
  }, 120_000);

  it('workers that cannot load: the calling thread computes their share, same evaluation', () => {
    const broken = join(tmp, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('cannot load');\n");
    const p = pool(3, pathToFileURL(broken));
    expect(renderJson(evaluatePlan(structures, dose, { ...options, pool: p }))).toBe(alone);
    expect(p.computedInWorkers).toBe(0);
    // and a missing entry file
    const q = pool(2, pathToFileURL(join(tmp, 'missing.mjs')));
    expect(renderJson(evaluatePlan(structures, dose, { ...options, pool: q }))).toBe(alone);
    expect(q.computedInWorkers).toBe(0);
  }, 120_000);

  it('by default two threads where there are two processors (one worker), else none; a thread count that is not a positive integer is refused', () => {
    expect(DEFAULT_THREADS).toBe(Math.min(2, availableParallelism()));
    const byDefault = startDvhPool();
    if (availableParallelism() >= 2) {
      expect(byDefault?.workers).toBe(1);
      byDefault!.close();
    } else {
      expect(byDefault).toBeUndefined();
    }
    expect(startDvhPool({ threads: 1 })).toBeUndefined();
    for (const threads of [0, 1.5, -2]) expect(() => startDvhPool({ threads })).toThrow(/threads must be a positive integer/);
  });
});

describe('DVH pool: an RT Dose read on a worker, workers spawned beforehand', () => {
  const written = writeEvaluationCase(join(tmp, 'case'));
  const here = readRtDose(written.rtdoseFile);
  const bytes = (d: DoseGrid): Buffer => Buffer.from(d.dose.data.buffer, d.dose.data.byteOffset, d.dose.data.byteLength);
  /** The file read by a worker: asked for, then taken only after the idle worker has had time to claim it (the calling thread reads it itself when the worker has not). */
  const readByWorker = (p: DvhPool, file: string): DoseGrid => {
    const get = p.readDose(file);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    return get();
  };
  const expectSameDose = (got: DoseGrid): void => {
    expect(bytes(got).equals(bytes(here))).toBe(true);
    expect(got.dose.grid).toEqual(here.dose.grid);
    expect(Object.isFrozen(got.dose.grid)).toBe(true);
    expect({ ...got, dose: null }).toEqual({ ...here, dose: null });
  };

  it('readDose gives the DoseGrid readRtDose reads here, to the bit, read by the worker; a file it refuses, the same error', () => {
    const p = pool(2);
    const first = p.readDose(written.rtdoseFile);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    expectSameDose(first());
    expect(p.dosesReadInWorkers).toBe(1);
    // asked again: read here, the same
    expectSameDose(first());
    expect(p.dosesReadInWorkers).toBe(1);
    // two reads asked before either is taken: each its own answer
    const a = p.readDose(written.rtdoseFile);
    const b = p.readDose(written.rtdoseFile);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    expectSameDose(b());
    expectSameDose(a());
    expect(p.dosesReadInWorkers).toBe(3);
    // not an RT Dose: readRtDose's error, met here again
    const bad = join(tmp, 'not-a-dose.dcm');
    writeFileSync(bad, 'not DICOM at all');
    let want: unknown;
    try {
      readRtDose(bad);
    } catch (e) {
      want = e;
    }
    expect(want).toBeInstanceOf(Error);
    let got: unknown;
    try {
      p.readDose(bad)();
    } catch (e) {
      got = e;
    }
    expect(got).toBeInstanceOf((want as Error).constructor);
    expect((got as Error).message).toBe((want as Error).message);
  }, 60_000);

  it('with no worker that loads, readDose reads here', () => {
    const q = pool(2, pathToFileURL(join(tmp, 'missing.mjs')));
    expectSameDose(q.readDose(written.rtdoseFile)());
    expect(q.dosesReadInWorkers).toBe(0);
  }, 60_000);

  it('workers spawned beforehand are the pool\'s when as many as it needs, and ended otherwise', async () => {
    const started = spawnDvhThreads(2);
    const p = startDvhPool({ threads: 2, started })!;
    pools.push(p);
    expect(p.workers).toBe(1);
    expect(p.awaitWorkers(60_000)).toBe(1);
    expectSameDose(readByWorker(p, written.rtdoseFile));
    expect(p.dosesReadInWorkers).toBe(1);
    // three threads spawned, two asked for: those three's workers end, one is spawned anew
    const other = spawnDvhThreads(3);
    const exits = other.workers.map((w) => once(w.worker, 'exit'));
    const q = startDvhPool({ threads: 2, started: other })!;
    pools.push(q);
    expect(q.workers).toBe(1);
    await Promise.all(exits);
    expect(q.awaitWorkers(60_000)).toBe(1);
    // one thread asked for: no pool, the spawned workers end
    const lone = spawnDvhThreads(2);
    const ended = lone.workers.map((w) => once(w.worker, 'exit'));
    expect(startDvhPool({ threads: 1, started: lone })).toBeUndefined();
    await Promise.all(ended);
  }, 60_000);
});
