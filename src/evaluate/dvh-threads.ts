/**
 * The DVH pool's worker threads (dvh-pool.ts), spawned apart from the pool so that they can start
 * before the rest of a command has loaded: bin/lattice.js starts those of `lattice evaluate` (through
 * cli/early.ts) before it loads the bundled command line, and they load meanwhile. On the 2-vCPU test
 * machine the worker is then ready in time to read the RT Dose while the calling thread reads the rest
 * of the case (DvhPool.readDose; bench/README.md, twelfth session). A small module: the launcher's
 * bundle (dist/bundle/early.cjs) holds it and src/core/worker-spawn.ts only.
 */

import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { spawnWorker } from '../core/worker-spawn.js';

/**
 * Threads when none are asked for: two where the machine has two processors or more (one worker),
 * else one (no pool). Measured on the only machine at hand (2 vCPUs; bench/README.md, tenth session):
 * with large structures in parts and the interpolated shapes on the calling thread, a worker makes
 * `lattice evaluate` 0.93 and 0.90 (prostate and small stand-ins, against the code before the parts)
 * and 0.85 (the phantom plan folder, 35 structures) of one thread's wall time, for 9-18 % more
 * processor time and 20-45 MiB more memory. More threads
 * are not measured (no machine with more processors was at hand): there `--threads N` is the user's
 * choice.
 */
export const DEFAULT_THREADS = Math.min(2, availableParallelism());

/** A worker's state in its control slot once it has loaded (WORKER_FAILED: it could not). */
export const WORKER_READY = -1;

/** What a worker is given: its port, the control block and its slot there. */
export interface DvhWorkerData {
  readonly port: MessagePort;
  readonly ctrl: Int32Array;
  readonly slot: number;
}

/** One worker of a pool, and the calling thread's end of its port. */
export interface DvhThread {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly slot: number;
}

/**
 * The workers of a pool and their control block (shared Int32Array): slot 0 counts the workers'
 * messages (the caller waits on it), slot 1 + w is worker w's state (0 starting, WORKER_READY,
 * WORKER_FAILED).
 */
export interface DvhThreads {
  readonly ctrl: Int32Array;
  readonly workers: readonly DvhThread[];
}

/**
 * Spawn the workers of a pool of `threads` threads in all (the calling thread is one of them; returns
 * at once, the workers load in the background). `entry`: the workers' module (default: dvh-worker
 * beside this file, bundled, built or from the sources).
 */
export function spawnDvhThreads(threads: number, entry?: URL): DvhThreads {
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * threads));
  const workers: DvhThread[] = [];
  for (let w = 0; w < threads - 1; w++) {
    const { port1, port2 } = new MessageChannel();
    const data: DvhWorkerData = { port: port2, ctrl, slot: 1 + w };
    const worker = spawnWorker(import.meta.url, 'dvh-worker', data, data.slot, {
      transferList: [port2],
      ...(entry !== undefined ? { entry } : {}),
    });
    workers.push({ worker, port: port1, slot: data.slot });
  }
  return { ctrl, workers };
}

/** End workers that are not used. */
export function endDvhThreads(threads: DvhThreads): void {
  for (const w of threads.workers) {
    w.port.close();
    void w.worker.terminate();
  }
}
