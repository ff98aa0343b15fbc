/**
 * Worker-thread entry of sampling-threads.ts: waits for its work on the port, samples its tasks (whole
 * structures or a part of one) and their dose, posts the results (their buffers moved, not copied) and
 * reports completion in the control block (1 done, FAILED otherwise). A task that fails with anything but the GeometryError
 * sampleOne turns into a reason is posted as undefined: the caller redoes it and raises the error there.
 */

import { FAILED } from '../core/workers.js';
import { sampleOne, type Sampled, type SamplingWork, type SamplingWorkerData } from './sampling-threads.js';

export function runWorker(data: SamplingWorkerData): void {
  data.port.once('message', (work: SamplingWork) => run(data, work));
}

function run(data: SamplingWorkerData, work: SamplingWork): void {
  let state = FAILED;
  try {
    const results: (Sampled | undefined)[] = [];
    const buffers = new Set<ArrayBuffer>();
    for (const t of work.tasks) {
      let r: Sampled | undefined;
      try {
        r = sampleOne(t.structure, work.dose, t.options);
      } catch {
        r = undefined;
      }
      results.push(r);
      if (r !== undefined && 'samples' in r) {
        const s = r.samples;
        for (const a of [s.doseGy, s.loGy, s.hiGy, s.weightCc, s.core]) buffers.add(a.buffer as ArrayBuffer);
      }
    }
    data.port.postMessage(results, [...buffers]);
    state = 1;
  } catch {
    state = FAILED;
  }
  data.port.close();
  Atomics.store(data.ctrl, 0, state);
  Atomics.notify(data.ctrl, 0);
}
