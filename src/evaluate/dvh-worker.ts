/**
 * A worker thread of the DVH pool (dvh-pool.ts), started by src/core/worker-spawn.ts: claims the units
 * of each run it is sent (whole tasks or parts of large ones) that no other thread has claimed yet, in
 * their order, and computes them on the run's dose, answering each on its port and counting every
 * answer in slot 0 of the control block, where the caller waits; likewise reads an RT Dose file it is
 * sent (DvhPool.readDose) unless the caller has taken it. Its own slot says it is ready.
 */

import type { ScalarVolume } from '../geometry/volume.js';
import type { DoseGrid } from '../io/dicom/model.js';
import { readRtDose } from '../io/dicom/read/rtdose.js';
import { claim, claimEach, computeDvhUnit, DvhPartComputer, partBuffers, WORKER_READY, type DvhWorkerData, type FromWorker, type ToWorker } from './dvh-pool.js';

export function runWorker({ port, ctrl, slot }: DvhWorkerData): void {
  const send = (message: FromWorker): void => {
    port.postMessage(message, message.kind === 'unit' && message.partResult !== undefined ? partBuffers(message.partResult) : []);
    Atomics.add(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  };
  const parts = new DvhPartComputer();
  port.on('message', (m: ToWorker) => {
    if (m.kind === 'close') {
      port.close();
      return;
    }
    if (m.kind === 'dose') {
      // unless the caller has taken it; an error is met again by the caller
      if (!claim(m.claim, 0, slot)) return;
      let dose: DoseGrid | undefined;
      try {
        dose = readRtDose(m.file);
      } catch {
        dose = undefined;
      }
      send({ kind: 'dose', id: m.id, ...(dose !== undefined ? { dose } : {}) });
      return;
    }
    // the run's units not yet claimed, in their order, each answered on its own
    const dose: ScalarVolume = { grid: m.grid, data: m.data };
    claimEach(m.claims, slot, m.units.length, (q) => {
      const unit = m.units[q]!;
      send({ kind: 'unit', run: m.run, unit: q, ...computeDvhUnit(m.run, unit, m.tasks[unit.task]!, dose, parts) });
    });
  });
  Atomics.store(ctrl, slot, WORKER_READY);
  Atomics.add(ctrl, 0, 1);
  Atomics.notify(ctrl, 0);
}
