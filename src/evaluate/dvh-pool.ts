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
 * computes it again, meeting the same error itself; a worker that cannot start (the compiled worker
 * file missing, as when running from the TypeScript sources or a bundle: then no pool is made at all),
 * or that has not said it is ready within READY_TIMEOUT_MS, or that is silent for STALL_TIMEOUT_MS
 * while it holds tasks, has its tasks computed by the caller.
 */

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { voxelCount, type Grid } from '../geometry/grid.js';
import type { PlanarContour } from '../geometry/structure.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { planSampling, rasterizeForSampling, structureDvhs, type DoseMap, type SampleStructureOptions, type StructureDvhs, type StructureDvhsOptions } from './dvh.js';

/** One structure's DVHs to compute: what rasterizeForSampling and structureDvhs are given. */
export interface DvhTask {
  readonly structure: { readonly name: string; readonly contours: readonly PlanarContour[] };
  readonly sampling: SampleStructureOptions;
  readonly maps: readonly DoseMap[];
  readonly options: StructureDvhsOptions;
}

/** A task's DVHs on this thread (throws as rasterizeForSampling and structureDvhs do). */
export function computeDvhTask(task: DvhTask, dose: ScalarVolume): StructureDvhs {
  return structureDvhs(rasterizeForSampling(task.structure, dose.grid, task.sampling), dose, task.maps, task.options);
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

type ToWorker =
  | { readonly kind: 'dose'; readonly run: number; readonly grid: Grid; readonly data: Float32Array }
  | { readonly kind: 'task'; readonly run: number; readonly index: number; readonly task: DvhTask }
  | { readonly kind: 'close' };
export type FromWorker =
  | { readonly kind: 'ready' }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'result'; readonly run: number; readonly index: number; readonly result?: StructureDvhs };

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly startedAt: number;
  state: 'starting' | 'ready' | 'failed';
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
  /** Threads in all, the calling thread included (default: defaultThreads()). */
  readonly threads?: number;
  /** The worker's entry (default: dvh-worker.js beside this file, as compiled). */
  readonly entry?: URL;
}

/** The most threads a pool uses by default. */
export const MAX_DEFAULT_THREADS = 8;

/**
 * Threads by default on a machine with `cores` processors: one (no pool) up to two processors, else all
 * of them up to MAX_DEFAULT_THREADS. On two processors the second is already busy with V8's optimising
 * compiler and garbage collector: measured on a 2-vCPU machine, a worker made `lattice evaluate` no
 * faster (0.97-1.09 of one thread's time) and took 25 % more processor time (bench/README.md).
 */
export function defaultThreads(cores: number = availableParallelism()): number {
  return cores <= 2 ? 1 : Math.min(MAX_DEFAULT_THREADS, cores);
}

/**
 * Start a pool (returns at once; the workers load in the background). Undefined when one thread is
 * asked for or the machine has one, or when the worker file does not exist (the TypeScript sources, a
 * bundle): then the caller computes everything itself.
 */
export function startDvhPool(options: DvhPoolOptions = {}): DvhPool | undefined {
  const threads = options.threads ?? defaultThreads();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, found ${threads}`);
  if (threads === 1) return undefined;
  const entry = options.entry ?? new URL('./dvh-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(entry))) return undefined;
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const pool: PoolWorker[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(entry, { workerData: { port: port2, counter }, transferList: [port2] });
    worker.unref();
    // a worker that fails to start reports through its port (its entry catches); this is the rest
    worker.on('error', () => undefined);
    pool.push({ worker, port: port1, startedAt: performance.now(), state: 'starting' });
  }
  let runs = 0;
  let closed = false;
  let fromWorkers = 0;

  /** Messages waiting on every port, then (none) a wait on the counter until one comes or timeoutMs. */
  const drain = (handle: (w: PoolWorker, m: FromWorker) => void, timeoutMs: number): void => {
    const seen = Atomics.load(counter, 0);
    let any = false;
    for (const w of pool) {
      for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
        any = true;
        handle(w, m.message as FromWorker);
      }
    }
    if (!any && timeoutMs > 0) Atomics.wait(counter, 0, seen, timeoutMs);
  };
  const onStart = (w: PoolWorker, m: FromWorker): void => {
    if (m.kind === 'ready') w.state = 'ready';
    else if (m.kind === 'failed') w.state = 'failed';
  };

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
      drain(onStart, 0);
      const now = performance.now();
      const live = pool.filter((w) => w.state === 'ready' || (w.state === 'starting' && now - w.startedAt < READY_TIMEOUT_MS));
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
      if (live.some((_, k) => theirs[k]!.length > 0) && !(shared.buffer instanceof SharedArrayBuffer)) {
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
      const handle = (w: PoolWorker, m: FromWorker): void => {
        onStart(w, m);
        heard.set(w, performance.now());
        if (m.kind === 'result' && m.run === run && pending.get(w)?.delete(m.index) === true) {
          results[m.index] = m.result;
          if (m.result !== undefined) fromWorkers++;
        }
      };
      for (;;) {
        const t = performance.now();
        for (const [w, left] of pending) {
          const giveUp =
            w.state === 'failed' ||
            (w.state === 'starting' && t - w.startedAt > READY_TIMEOUT_MS) ||
            (w.state === 'ready' && t - heard.get(w)! > STALL_TIMEOUT_MS);
          if (left.size === 0 || giveUp) {
            for (const i of left) computeHere(i);
            pending.delete(w);
            if (giveUp) {
              w.state = 'failed';
              void w.worker.terminate();
            }
          }
        }
        if (pending.size === 0) break;
        drain(handle, 1000);
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
