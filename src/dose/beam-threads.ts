/**
 * A small persistent pool of worker threads for the beamlet operator's per-beam work, with a
 * synchronous API: the calling thread posts a command through a control block in shared memory
 * (Atomics.notify), does its own share of the beams, and blocks in Atomics.wait until every worker
 * has finished. The prepared dose lives in SharedArrayBuffers (pencil-beam.ts sharePreparedDose), so
 * the workers read the same per-beam data; each thread has its own scratch.
 *
 * Beams are dealt round-robin: thread t (0 = caller) takes beams t, t + T, t + 2T, ... Forward: each
 * worker sums its beams' doses into its own shared buffer and the caller adds them after its own;
 * adjoint: beams own disjoint beamlet ranges, so workers write the shared output directly.
 *
 * Worker script: `worker.js` next to this module, started by src/core/worker-spawn.ts (from the
 * TypeScript sources under vitest too). Workers never keep the process alive (unref); close() ends them.
 */

import type { Worker } from 'node:worker_threads';
import { spawnWorker, WORKER_FAILED } from '../core/worker-spawn.js';
import type { BeamLayout } from './beamlet-work.js';
import type { FieldBatchOptions, StaticField } from './field-dose.js';
import type { PhotonMachine } from './machine.js';
import type { PreparedDose } from './pencil-beam.js';
import type { ScalarVolume } from '../geometry/volume.js';

/** Control block slots. */
export const SEQ = 0;
export const CMD = 1;
/** Slot of worker t's completion: the sequence number it finished, or an error code. */
export const doneSlot = (t: number): number => 2 + t;
export const CMD_FORWARD = 1;
export const CMD_ADJOINT = 2;
export const CMD_EXIT = 3;
/** Written by a worker to its done slot: -1 ready (modules loaded), -2 failed. */
export const READY = -1;
export const FAILED = WORKER_FAILED;

export interface WorkerInit {
  readonly kind: 'operator';
  readonly index: number;
  readonly threads: number;
  readonly prepared: PreparedDose;
  readonly layouts: readonly BeamLayout[];
  readonly ctrl: Int32Array;
  readonly w: Float64Array;
  readonly g: Float64Array;
  readonly outForward: Float64Array;
  readonly outAdjoint: Float64Array;
}

export interface BeamThreads {
  /** Threads in use, the caller included. */
  readonly threads: number;
  readonly w: Float64Array;
  readonly g: Float64Array;
  readonly outAdjoint: Float64Array;
  /** Starts command `cmd` on every worker (inputs already in w / g). */
  start(cmd: number): number;
  /** Waits for every worker to finish command `seq`; forward: adds their doses to `out`. */
  finish(seq: number, out?: Float64Array): void;
  close(): void;
}

/** A one-shot plan-dose worker: adds the dose of `fields` at the points to `out` (plan-dose.ts). */
export interface PlanWorkerInit {
  readonly kind: 'plan';
  readonly ctrl: Int32Array;
  readonly machine: PhotonMachine;
  readonly density: ScalarVolume;
  readonly pointsLps: Float64Array;
  readonly fields: readonly StaticField[];
  readonly options: FieldBatchOptions;
  readonly out: Float64Array;
}

/**
 * Runs `work` on the calling thread while one worker per entry of `inits` runs its own share; blocks
 * until all are done. Each init's ctrl[0] starts at 0; the worker writes 1 when done, FAILED on error.
 */
export function runPlanWorkers(inits: readonly PlanWorkerInit[], work: () => void): void {
  const workers = inits.map((d) => spawn(d, 0));
  try {
    work();
    for (const d of inits) {
      let v = Atomics.load(d.ctrl, 0);
      while (v === 0) {
        Atomics.wait(d.ctrl, 0, 0, 1000);
        v = Atomics.load(d.ctrl, 0);
      }
      if (v === FAILED) throw new Error('plan dose worker failed');
    }
  } finally {
    for (const w of workers) void w.terminate();
  }
}

function spawn(init: WorkerInit | PlanWorkerInit, slot: number): Worker {
  return spawnWorker(import.meta.url, 'worker', init, slot);
}

/** Waits (blocking) until slot holds a value other than `from`; returns it, or undefined on timeout. */
function waitChange(ctrl: Int32Array, slot: number, from: number, timeoutMs: number): number | undefined {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = Atomics.load(ctrl, slot);
    if (v !== from) return v;
    const left = end - Date.now();
    if (left <= 0) return undefined;
    Atomics.wait(ctrl, slot, from, Math.min(left, 1000));
  }
}

/**
 * Starts threads - 1 workers on the shared prepared dose; returns undefined (the caller then works
 * alone) when threads < 2 or the workers fail to start within `startTimeoutMs`.
 */
export function startBeamThreads(
  threads: number,
  prepared: PreparedDose,
  layouts: readonly BeamLayout[],
  nBeamlets: number,
  startTimeoutMs = 60_000,
): BeamThreads | undefined {
  const T = Math.min(threads, prepared.beams.length);
  if (!(T >= 2)) return undefined;
  const shared = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * n));
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (2 + T)));
  const w = shared(nBeamlets), g = shared(prepared.nPoints), outAdjoint = shared(nBeamlets);
  const outs: Float64Array[] = [];
  const workers: Worker[] = [];
  for (let t = 1; t < T; t++) {
    const outForward = shared(prepared.nPoints);
    outs.push(outForward);
    workers.push(spawn({ kind: 'operator', index: t, threads: T, prepared, layouts, ctrl, w, g, outForward, outAdjoint }, doneSlot(t)));
  }
  const close = (): void => {
    Atomics.store(ctrl, CMD, CMD_EXIT);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    for (const wk of workers) void wk.terminate();
    workers.length = 0;
  };
  for (let t = 1; t < T; t++) {
    if (waitChange(ctrl, doneSlot(t), 0, startTimeoutMs) !== READY) {
      close();
      return undefined;
    }
  }
  return {
    threads: T, w, g, outAdjoint,
    start(cmd: number): number {
      if (workers.length === 0) throw new Error('beam threads are closed');
      Atomics.store(ctrl, CMD, cmd);
      const seq = Atomics.add(ctrl, SEQ, 1) + 1;
      Atomics.notify(ctrl, SEQ);
      return seq;
    },
    finish(seq: number, out?: Float64Array): void {
      for (let t = 1; t < T; t++) {
        for (;;) {
          const v = Atomics.load(ctrl, doneSlot(t));
          if (v === seq) break;
          if (v === FAILED) { close(); throw new Error(`dose worker ${t} failed`); }
          Atomics.wait(ctrl, doneSlot(t), v, 1000);
        }
        if (out !== undefined) {
          const o = outs[t - 1]!;
          for (let p = 0; p < out.length; p++) out[p] = out[p]! + o[p]!;
        }
      }
    },
    close,
  };
}
