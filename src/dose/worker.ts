/**
 * Worker-thread entry (started by beam-threads.ts). Beamlet operator: waits on the shared control
 * block, runs its round-robin share of the beams (beamlet-work.ts) and reports completion. Plan dose:
 * computes its share of the fields once and reports completion.
 */

import { beamletAdjoint, beamletForward } from './beamlet-work.js';
import { CMD, CMD_ADJOINT, CMD_EXIT, CMD_FORWARD, FAILED, READY, SEQ, doneSlot, type PlanWorkerInit, type WorkerInit } from './beam-threads.js';
import { addFieldsDose } from './field-dose.js';

export function runWorker(init: WorkerInit | PlanWorkerInit): void {
  if (init.kind === 'plan') {
    try {
      addFieldsDose(init.machine, init.density, init.pointsLps, init.fields, init.options, init.out);
      Atomics.store(init.ctrl, 0, 1);
    } catch (e) {
      console.error('plan dose worker:', e);
      Atomics.store(init.ctrl, 0, FAILED);
    }
    Atomics.notify(init.ctrl, 0);
    return;
  }
  runOperatorWorker(init);
}

function runOperatorWorker(init: WorkerInit): void {
  const { ctrl, prepared, layouts, index, threads } = init;
  const slot = doneSlot(index);
  const maxPixels = Math.max(...layouts.map((l) => l.pixelBeamlet.length));
  const fluence = new Float64Array(maxPixels);
  let seen = Atomics.load(ctrl, SEQ);
  Atomics.store(ctrl, slot, READY);
  Atomics.notify(ctrl, slot);
  for (;;) {
    Atomics.wait(ctrl, SEQ, seen);
    const seq = Atomics.load(ctrl, SEQ);
    if (seq === seen) continue;
    seen = seq;
    const cmd = Atomics.load(ctrl, CMD);
    if (cmd === CMD_EXIT) return;
    try {
      if (cmd === CMD_FORWARD) {
        init.outForward.fill(0);
        for (let b = index; b < layouts.length; b += threads) beamletForward(prepared, layouts[b]!, b, init.w, init.outForward, fluence);
      } else if (cmd === CMD_ADJOINT) {
        for (let b = index; b < layouts.length; b += threads) beamletAdjoint(prepared, layouts[b]!, b, init.g, init.outAdjoint, fluence);
      }
      Atomics.store(ctrl, slot, seq);
    } catch (e) {
      console.error('dose worker:', e);
      Atomics.store(ctrl, slot, FAILED);
    }
    Atomics.notify(ctrl, slot);
  }
}
