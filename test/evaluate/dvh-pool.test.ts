/**
 * The DVH pool (src/evaluate/dvh-pool.ts): structures computed on worker threads give the evaluation
 * the calling thread alone gives, to the bit (the expectation is that single-thread evaluation); a
 * structure that fails in a worker, or a worker that cannot start, still ends as it does on one thread.
 * The workers run the TypeScript sources here (src/core/worker-spawn.ts compiles them with esbuild).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { computeDvhTask, DEFAULT_THREADS, startDvhPool, type DvhPool, type DvhTask } from '../../src/evaluate/dvh-pool.js';
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
