/**
 * The DVH pool (src/evaluate/dvh-pool.ts): structures computed on worker threads give the evaluation
 * the calling thread alone gives, to the bit (the expectation is that single-thread evaluation); a
 * structure that fails in a worker, or a worker that cannot start, still ends as it does on one thread.
 * The worker runs from an esbuild bundle of src/evaluate/dvh-worker.ts (Node cannot load the
 * TypeScript sources in a worker).
 */

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultThreads, MAX_DEFAULT_THREADS, startDvhPool, type DvhPool } from '../../src/evaluate/dvh-pool.js';
import { evaluatePlan } from '../../src/evaluate/plan.js';
import { renderJson } from '../../src/evaluate/report/json.js';
import { tg101Set } from '../../src/evaluate/constraints/tg101.js';
import type { ContourStructure } from '../../src/geometry/structure.js';
import { bundleModule, repositoryRoot } from '../helpers/bundle.js';
import { latticeCase, latticeDose } from './lattice-case.js';

let entry: URL;
let remove: () => void;
const pools: DvhPool[] = [];
const pool = (threads: number, at: URL = entry): DvhPool => {
  const p = startDvhPool({ threads, entry: at });
  expect(p).toBeDefined();
  pools.push(p!);
  return p!;
};

beforeAll(async () => {
  const worker = join(repositoryRoot, 'src', 'evaluate', 'dvh-worker.ts');
  ({ bundle: entry, remove } = await bundleModule('dvh-pool', `import ${JSON.stringify(worker)};\n`, 'dvh-worker.mjs').then((b) => ({ ...b, bundle: pathToFileURL(b.bundle) })));
}, 60_000);
afterAll(() => {
  for (const p of pools) p.close();
  remove?.();
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
  }, 60_000);

  it('a worker that cannot load: the calling thread computes its share, same evaluation', () => {
    const broken = join(dirname(entry.pathname), 'broken-worker.mjs');
    writeFileSync(broken, `import { workerData } from 'node:worker_threads';\nconst { port, counter } = workerData;\nport.postMessage({ kind: 'failed', message: 'cannot load' });\nAtomics.add(counter, 0, 1);\nAtomics.notify(counter, 0);\n`);
    const p = pool(3, pathToFileURL(broken));
    expect(renderJson(evaluatePlan(structures, dose, { ...options, pool: p }))).toBe(alone);
    expect(p.computedInWorkers).toBe(0);
  }, 60_000);

  it('by default one thread on 1 or 2 processors (measured: a worker gains nothing there), else one per processor up to 8', () => {
    expect([1, 2, 3, 4, 8, 16, 64].map((cores) => defaultThreads(cores))).toEqual([1, 1, 3, 4, 8, 8, 8]);
    expect(MAX_DEFAULT_THREADS).toBe(8);
  });

  it('one thread, or no compiled worker file: no pool; a thread count that is not a positive integer is refused', () => {
    expect(startDvhPool({ threads: 1, entry })).toBeUndefined();
    expect(startDvhPool({ threads: 4, entry: pathToFileURL(join(dirname(entry.pathname), 'missing.mjs')) })).toBeUndefined();
    for (const threads of [0, 1.5, -2]) expect(() => startDvhPool({ threads, entry })).toThrow(/threads must be a positive integer/);
  });
});
