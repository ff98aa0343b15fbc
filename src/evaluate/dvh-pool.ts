/**
 * Structure DVHs on several threads: a pool of worker threads started before the case is read (so
 * that their start overlaps the reading), each computing whole structures (rasterise + structureDvhs)
 * while the calling thread computes its own share; the caller waits for the rest synchronously
 * (Atomics.wait on a shared counter, receiveMessageOnPort), so evaluatePlan stays a plain function.
 *
 * Results are the same, to the bit, whichever thread computes a structure: the same code on the same
 * inputs (the dose is shared, not converted; contours and maps are copied exactly). Tasks go to the
 * threads by estimated cost (sampling points, interpolated shapes weighted), largest first, each to the
 * least-loaded thread: the split changes with the thread count, the results do not.
 * Failures: a task that throws in a worker (e.g. GeometryError) comes back undefined and the caller
 * computes it again, meeting the same error itself; a worker that cannot start (src/core/worker-spawn.ts
 * marks it failed), or has not said it is ready within READY_TIMEOUT_MS, or is silent for
 * STALL_TIMEOUT_MS while it holds tasks, has its tasks computed by the caller.
 * Control block (shared Int32Array): slot 0 counts the workers' messages (the caller waits on it), slot
 * 1 + w is worker w's state (0 starting, WORKER_READY, WORKER_FAILED).
 */

import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { spawnWorker, WORKER_FAILED } from '../core/worker-spawn.js';
import { voxelCount, type Grid } from '../geometry/grid.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { planDvhs, planSampling, type DoseMap, type NamedContours, type SampleStructureOptions, type StructureDvhs, type StructureDvhsOptions } from './dvh.js';

/** One structure's DVHs to compute: what rasterizeForSampling and structureDvhs are given. */
export interface DvhTask {
  readonly structure: NamedContours;
  readonly sampling: SampleStructureOptions;
  readonly maps: readonly DoseMap[];
  readonly options: StructureDvhsOptions;
}

/**
 * A task's DVHs on this thread (throws as rasterizeForSampling and structureDvhs do): dvh.ts planDvhs,
 * in this thread's WebAssembly kernels' memory (the occupancy filled there, window by window for the
 * slab model). releaseDvhScratch() lets that memory go after a batch.
 */
export function computeDvhTask(task: DvhTask, dose: ScalarVolume): StructureDvhs {
  return planDvhs(planSampling(task.structure, dose.grid, task.sampling), dose, task.maps, task.options);
}

/** Relative cost of a task: its sampling points, an interpolated shape about 3.5 x a slab's per point
 * (measured on the stand-in organs: rasterising and histogramming together). */
function taskCost(task: DvhTask, doseGrid: Grid): number {
  try {
    const { info } = planSampling(task.structure, doseGrid, task.sampling);
    return voxelCount(info.grid) * (info.betweenPlanes === 'interpolated' ? 3.5 : 1);
  } catch {
    return 0; // fails at once, wherever it runs
  }
}

/** A worker that has not said it is ready this long after its start gets no tasks (ms). */
export const READY_TIMEOUT_MS = 10_000;
/** A worker silent this long while it holds tasks has them computed by the caller (ms). */
export const STALL_TIMEOUT_MS = 120_000;

/** A worker's state in its control slot once it has loaded (WORKER_FAILED: it could not). */
export const WORKER_READY = -1;

/** What a worker is given: its port, the control block and its slot there. */
export interface DvhWorkerData {
  readonly port: MessagePort;
  readonly ctrl: Int32Array;
  readonly slot: number;
}

export type ToWorker =
  | { readonly kind: 'dose'; readonly run: number; readonly grid: Grid; readonly data: Float32Array }
  | { readonly kind: 'task'; readonly run: number; readonly index: number; readonly task: DvhTask }
  | { readonly kind: 'close' };
export interface FromWorker {
  readonly run: number;
  readonly index: number;
  readonly result?: StructureDvhs;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly slot: number;
  readonly startedAt: number;
}

export interface DvhPool {
  /** Worker threads (the calling thread computes too). */
  readonly workers: number;
  /** Tasks whose DVHs came from a worker, over every run so far. */
  readonly computedInWorkers: number;
  /**
   * Every task's DVHs, in the tasks' order; undefined where computing failed (the caller computes that
   * task itself to meet the error). Synchronous: returns when every task is done.
   */
  run(tasks: readonly DvhTask[], dose: ScalarVolume): (StructureDvhs | undefined)[];
  /** Ends the workers (they also end with the process). */
  close(): void;
}

export interface DvhPoolOptions {
  /** Threads in all, the calling thread included (default DEFAULT_THREADS). */
  readonly threads?: number;
  /** The worker's entry module (default: dvh-worker beside this file, built or from the sources). */
  readonly entry?: URL;
}

/**
 * Threads when none are asked for: one (no pool). Measured on the only machine at hand (2 vCPUs), a
 * worker made `lattice evaluate` no faster (1.01-1.17 of one thread's wall time, medians of 8 pairs on
 * the bench cases and the phantom plan) for 24-28 % more processor time: the second processor is busy
 * with V8's optimising compiler and garbage collector, and the worker compiles everything again
 * (bench/README.md). Machines with more processors are not measured yet: there `--threads N` is the
 * user's choice.
 */
export const DEFAULT_THREADS = 1;

/**
 * Start a pool (returns at once; the workers load in the background). Undefined when one thread is
 * asked for: then the caller computes everything itself.
 */
export function startDvhPool(options: DvhPoolOptions = {}): DvhPool | undefined {
  const threads = options.threads ?? DEFAULT_THREADS;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, found ${threads}`);
  if (threads === 1) return undefined;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * threads));
  const pool: PoolWorker[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const { port1, port2 } = new MessageChannel();
    const data: DvhWorkerData = { port: port2, ctrl, slot: 1 + w };
    const worker = spawnWorker(import.meta.url, 'dvh-worker', data, data.slot, {
      transferList: [port2],
      ...(options.entry !== undefined ? { entry: options.entry } : {}),
    });
    pool.push({ worker, port: port1, slot: data.slot, startedAt: performance.now() });
  }
  const state = (w: PoolWorker): number => Atomics.load(ctrl, w.slot);
  let runs = 0;
  let closed = false;
  let fromWorkers = 0;

  return {
    workers: pool.length,
    get computedInWorkers() {
      return fromWorkers;
    },
    run(tasks, dose) {
      if (closed) throw new Error('DvhPool.run after close');
      const run = ++runs;
      const results: (StructureDvhs | undefined)[] = new Array(tasks.length).fill(undefined);
      // Started workers, and those still starting (their tasks wait in their port), share the tasks.
      const now = performance.now();
      const live = pool.filter((w) => state(w) === WORKER_READY || (state(w) === 0 && now - w.startedAt < READY_TIMEOUT_MS));
      // Largest first, each to the least-loaded thread (thread 0: this one).
      const order = tasks.map((t, i) => ({ i, cost: taskCost(t, dose.grid) })).sort((a, b) => b.cost - a.cost || a.i - b.i);
      const load = new Float64Array(live.length + 1);
      const mine: number[] = [];
      const theirs: number[][] = live.map(() => []);
      for (const { i, cost } of order) {
        let t = 0;
        for (let k = 1; k < load.length; k++) if (load[k]! < load[t]!) t = k;
        load[t]! += cost;
        if (t === 0) mine.push(i);
        else theirs[t - 1]!.push(i);
      }
      // The dose once per run, shared: no copy per worker.
      let shared = dose.data;
      if (theirs.some((list) => list.length > 0) && !(shared.buffer instanceof SharedArrayBuffer)) {
        shared = new Float32Array(new SharedArrayBuffer(dose.data.byteLength));
        shared.set(dose.data);
      }
      const pending = new Map<PoolWorker, Set<number>>();
      live.forEach((w, k) => {
        const list = theirs[k]!;
        if (list.length === 0) return;
        w.port.postMessage({ kind: 'dose', run, grid: dose.grid, data: shared } satisfies ToWorker);
        for (const index of list) w.port.postMessage({ kind: 'task', run, index, task: tasks[index]! } satisfies ToWorker);
        pending.set(w, new Set(list));
      });
      const computeHere = (i: number): void => {
        try {
          results[i] = computeDvhTask(tasks[i]!, dose);
        } catch {
          results[i] = undefined; // the caller meets the error itself
        }
      };
      for (const i of mine) computeHere(i);
      // The workers' results; a worker that failed to start, or stalls, has its tasks done here.
      const heard = new Map<PoolWorker, number>([...pending.keys()].map((w) => [w, performance.now()]));
      for (;;) {
        const seen = Atomics.load(ctrl, 0);
        let any = false;
        for (const [w, left] of pending) {
          for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
            any = true;
            heard.set(w, performance.now());
            const r = m.message as FromWorker;
            if (r.run === run && left.delete(r.index)) {
              results[r.index] = r.result;
              if (r.result !== undefined) fromWorkers++;
            }
          }
        }
        const t = performance.now();
        for (const [w, left] of pending) {
          const s = state(w);
          const giveUp = s === WORKER_FAILED || (s === 0 && t - w.startedAt > READY_TIMEOUT_MS) || (s === WORKER_READY && t - heard.get(w)! > STALL_TIMEOUT_MS);
          if (left.size === 0 || giveUp) {
            for (const i of left) computeHere(i);
            pending.delete(w);
            if (giveUp) {
              Atomics.store(ctrl, w.slot, WORKER_FAILED);
              void w.worker.terminate();
            }
          }
        }
        if (pending.size === 0) break;
        if (!any) Atomics.wait(ctrl, 0, seen, 1000);
      }
      return results;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const w of pool) {
        w.port.postMessage({ kind: 'close' } satisfies ToWorker);
        w.port.close();
      }
    },
  };
}
