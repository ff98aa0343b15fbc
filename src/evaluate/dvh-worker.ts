/**
 * A worker thread of the DVH pool (dvh-pool.ts): computes the tasks it is sent on the dose it is sent,
 * answering each on its port and counting every message on the shared counter the caller waits on.
 * It says 'ready' once loaded, or 'failed' when loading fails, so the caller never waits on a worker
 * that cannot work.
 */

import { workerData, type MessagePort } from 'node:worker_threads';
import type { ScalarVolume } from '../geometry/volume.js';
import type { FromWorker } from './dvh-pool.js';

const { port, counter } = workerData as { readonly port: MessagePort; readonly counter: Int32Array };

function send(message: FromWorker): void {
  port.postMessage(message);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

try {
  const { computeDvhTask } = await import('./dvh-pool.js');
  let dose: { readonly run: number; readonly volume: ScalarVolume } | undefined;
  port.on('message', (m: { kind: string; run: number; index: number; grid: ScalarVolume['grid']; data: Float32Array; task: Parameters<typeof computeDvhTask>[0] }) => {
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
    send({ kind: 'result', run: m.run, index: m.index, ...(result !== undefined ? { result } : {}) });
  });
  send({ kind: 'ready' });
} catch (e) {
  send({ kind: 'failed', message: e instanceof Error ? e.message : String(e) });
}
