/**
 * A worker thread of the DVH pool (dvh-pool.ts), started by src/core/worker-spawn.ts: computes the
 * tasks it is sent on the dose it is sent, answering each on its port and counting every answer in
 * slot 0 of the control block, where the caller waits. Its own slot says it is ready.
 */

import type { ScalarVolume } from '../geometry/volume.js';
import { computeDvhTask, WORKER_READY, type DvhWorkerData, type FromWorker, type ToWorker } from './dvh-pool.js';

export function runWorker({ port, ctrl, slot }: DvhWorkerData): void {
  const send = (message: FromWorker): void => {
    port.postMessage(message);
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  };
  let dose: { readonly run: number; readonly volume: ScalarVolume } | undefined;
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'close') {
      port.close();
      return;
    }
    if (m.kind === 'dose') {
      dose = { run: m.run, volume: { grid: m.grid, data: m.data } };
      return;
    }
    let result;
    try {
      if (dose?.run === m.run) result = computeDvhTask(m.task, dose.volume);
    } catch {
      result = undefined; // the caller computes it again and meets the error itself
    }
    send({ run: m.run, index: m.index, ...(result !== undefined ? { result } : {}) });
  });
  Atomics.store(ctrl, slot, WORKER_READY);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
}
