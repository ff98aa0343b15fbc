/**
 * Structure DVHs on several threads: a pool of worker threads started before the case is read (so
 * that their start overlaps the reading), each computing whole structures (rasterise + structureDvhs)
 * or parts of a large one (dvh.ts dvhParts: consecutive sampling slices of a BODY) while the calling
 * thread computes its own share; the caller waits for the rest synchronously (Atomics.wait on a shared
 * counter, receiveMessageOnPort), so evaluatePlan stays a plain function, and adds each large
 * structure's parts in their order (dvh.ts mergeDvhParts).
 *
 * Results are the same, to the bit, whichever thread computes a structure or a part: the same code on
 * the same inputs (the dose is shared, not converted; contours and maps are copied exactly), and the
 * parts are a function of the structure alone. The work is claimed, not assigned: each run's units
 * (whole tasks, parts), largest first (sampling points), are taken one at a time by whichever thread
 * is free (Atomics.compareExchange on a shared claim per unit), so a worker still loading takes nothing
 * and nobody waits for it, and a slow thread takes less. The interpolated shapes stay on the calling
 * thread (computed before it claims): while their fill was JavaScript, a worker compiled it again
 * (a cord of 0.1 million points 0.07 s in a worker, 0.03 s here); with the fill in WebAssembly
 * (between-planes-wasm.ts) claiming them like the rest measured the same (small stand-in, 12 pairs:
 * 1.004 x the wall time), so they stay. The split changes from run to run, the results do not.
 * Failures: a unit that throws in a worker (e.g. GeometryError) comes back undefined and the caller
 * computes its task again, meeting the same error itself; a worker that cannot start
 * (src/core/worker-spawn.ts marks it failed) claims nothing, and one that fails or is silent for
 * STALL_TIMEOUT_MS while it holds claimed units has them computed by the caller.
 * Control block (shared Int32Array): slot 0 counts the workers' messages (the caller waits on it), slot
 * 1 + w is worker w's state (0 starting, WORKER_READY, WORKER_FAILED).
 */

import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { spawnWorker, WORKER_FAILED } from '../core/worker-spawn.js';
import { voxelCount, type Grid } from '../geometry/grid.js';
import type { ScalarVolume } from '../geometry/volume.js';
import {
  dvhParts, mergeDvhParts, planDvhPart, planDvhs, planSampling, preparedSlabs,
  type DoseMap, type DvhPart, type NamedContours, type PreparedSlabs, type SampleStructureOptions, type SamplingPlan, type StructureDvhs, type StructureDvhsOptions,
} from './dvh.js';
import type { SliceRange } from './dvh-wasm.js';

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
 * slab model). releaseDvhScratch() lets that memory go after a batch. `plan`: the task's sampling
 * (planSampling), when the caller has it already.
 */
export function computeDvhTask(task: DvhTask, dose: ScalarVolume, plan?: SamplingPlan): StructureDvhs {
  return planDvhs(plan ?? planSampling(task.structure, dose.grid, task.sampling), dose, task.maps, task.options);
}

/**
 * Parts of one large task (dvh.ts dvhParts) computed on this thread, the task's sampling and slab fill
 * prepared once for them all. `key` names the task (a run and its index); `plan`: its sampling, when
 * the caller has it already.
 */
export class DvhPartComputer {
  private key: string | undefined;
  private prepared: { readonly plan: SamplingPlan; readonly slabs: PreparedSlabs } | undefined;

  compute(key: string, task: DvhTask, dose: ScalarVolume, range: SliceRange, plan?: SamplingPlan): DvhPart {
    if (this.key !== key || this.prepared === undefined) {
      this.key = undefined;
      const p = plan ?? planSampling(task.structure, dose.grid, task.sampling);
      this.prepared = { plan: p, slabs: preparedSlabs(p) };
      this.key = key;
    }
    const { plan: p, slabs } = this.prepared;
    return planDvhPart(p, dose, task.maps, task.options, range, undefined, slabs);
  }
}

/** Relative cost of a whole task: its sampling points (the order the units are claimed in, largest first). */
function planCost(plan: SamplingPlan | undefined): number {
  return plan === undefined ? 0 : voxelCount(plan.info.grid);
}

/** A worker silent this long while it holds work it claimed has that work computed by the caller (ms). */
export const STALL_TIMEOUT_MS = 120_000;

/** A worker's state in its control slot once it has loaded (WORKER_FAILED: it could not). */
export const WORKER_READY = -1;

/** What a worker is given: its port, the control block and its slot there. */
export interface DvhWorkerData {
  readonly port: MessagePort;
  readonly ctrl: Int32Array;
  readonly slot: number;
}

/** A piece of work: a whole task, or one part (dvh.ts dvhParts) of a large one. */
export interface DvhUnit {
  /** The task's index in the run. */
  readonly task: number;
  /** The part's number (-1: the whole task) and its slices. */
  readonly part: number;
  readonly range?: SliceRange;
}

/** The claim of the calling thread on a unit (a worker's is its slot, >= 1; 0: not claimed yet). */
export const CALLER_CLAIM = -1;

/**
 * A run as a worker gets it: the shared dose, the tasks its units refer to (null: none of them), the
 * units in the order they are to be claimed, and the claims (shared: one int32 a unit, set by
 * Atomics.compareExchange from 0 to the claiming thread's slot).
 */
export type ToWorker =
  | {
    readonly kind: 'run';
    readonly run: number;
    readonly grid: Grid;
    readonly data: Float32Array;
    readonly tasks: readonly (DvhTask | null)[];
    readonly units: readonly DvhUnit[];
    readonly claims: Int32Array;
  }
  | { readonly kind: 'close' };
export interface FromWorker {
  readonly run: number;
  /** The unit's index in the run's units. */
  readonly unit: number;
  readonly result?: StructureDvhs;
  readonly partResult?: DvhPart;
}

/** The buffers of a part's sums (sent, not copied, from a worker). */
export function partBuffers(p: DvhPart): ArrayBuffer[] {
  return [p.acc, ...p.diff, ...p.sumC, ...p.sumCt].map((a) => a.buffer as ArrayBuffer);
}

/**
 * A unit's DVHs on this thread: a whole task's (computeDvhTask) or a part's sums (`parts`,
 * keyed by the run); undefined where computing failed (whoever merges or evaluates meets the error
 * again). `plan`: the task's sampling, when the caller has it already.
 */
export function computeDvhUnit(
  run: number, unit: DvhUnit, task: DvhTask, dose: ScalarVolume, parts: DvhPartComputer, plan?: SamplingPlan,
): { readonly result?: StructureDvhs; readonly partResult?: DvhPart } {
  try {
    if (unit.part < 0) return { result: computeDvhTask(task, dose, plan) };
    return { partResult: parts.compute(`${run}:${unit.task}`, task, dose, unit.range!, plan) };
  } catch {
    return {};
  }
}

/**
 * Claim the units 0 .. n - 1 not yet claimed, in order, as thread `who` (a worker's slot, or
 * CALLER_CLAIM), computing each as it is claimed: how every thread takes its share of a run.
 */
export function claimEach(claims: Int32Array, who: number, n: number, compute: (unit: number) => void): void {
  for (let q = 0; q < n; q++) if (Atomics.compareExchange(claims, q, 0, who) === 0) compute(q);
}

interface PoolWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly slot: number;
}

export interface DvhPool {
  /** Worker threads (the calling thread computes too). */
  readonly workers: number;
  /** Tasks (or parts of a large task) whose DVHs came from a worker, over every run so far. */
  readonly computedInWorkers: number;
  /**
   * Every task's DVHs, in the tasks' order; undefined where computing failed (the caller computes that
   * task itself to meet the error). Synchronous: returns when every task is done.
   */
  run(tasks: readonly DvhTask[], dose: ScalarVolume): (StructureDvhs | undefined)[];
  /**
   * Waits (synchronously) until every worker has loaded or failed to, at most timeoutMs; returns the
   * workers ready. run() does not need it (a worker still loading claims nothing); tests do.
   */
  awaitWorkers(timeoutMs: number): number;
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
    pool.push({ worker, port: port1, slot: data.slot });
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
    awaitWorkers(timeoutMs) {
      const end = performance.now() + timeoutMs;
      for (;;) {
        const seen = Atomics.load(ctrl, 0);
        if (pool.every((w) => state(w) !== 0)) break;
        const left = end - performance.now();
        if (left <= 0) break;
        // a worker's ready or failed state is announced by a notify on slot 0 or on its own slot
        Atomics.wait(ctrl, 0, seen, Math.min(left, 50));
      }
      return pool.filter((w) => state(w) === WORKER_READY).length;
    },
    run(tasks, dose) {
      if (closed) throw new Error('DvhPool.run after close');
      const run = ++runs;
      const results: (StructureDvhs | undefined)[] = new Array(tasks.length).fill(undefined);
      // What is shared out: whole tasks, and the parts of the large ones (dvh.ts dvhParts: the same
      // parts whatever the threads, merged in their order).
      const plans = tasks.map((t) => {
        try {
          return planSampling(t.structure, dose.grid, t.sampling);
        } catch {
          return undefined; // fails at once, wherever it runs
        }
      });
      const workers = pool.filter((w) => state(w) !== WORKER_FAILED);
      const partsOf: (readonly SliceRange[] | undefined)[] = tasks.map((t, i) => {
        const plan = plans[i];
        if (plan === undefined || workers.length === 0) return undefined;
        try {
          return dvhParts(plan, dose, t.maps, t.options);
        } catch {
          return undefined;
        }
      });
      // The interpolated shapes stay here (see the header); the rest is claimed by whichever thread is
      // free first, largest first: a worker still loading takes nothing, so nobody waits for it.
      const here: DvhUnit[] = [];
      const costed: { readonly unit: DvhUnit; readonly cost: number }[] = [];
      tasks.forEach((_, i) => {
        const plan = plans[i];
        const parts = partsOf[i];
        if (parts !== undefined) {
          const [nx, ny] = plan!.info.grid.size;
          parts.forEach((range, q) => costed.push({ unit: { task: i, part: q, range }, cost: (range.k1 - range.k0) * nx * ny }));
        } else if (plan?.info.betweenPlanes === 'interpolated' || workers.length === 0) {
          here.push({ task: i, part: -1 });
        } else {
          costed.push({ unit: { task: i, part: -1 }, cost: planCost(plan) });
        }
      });
      const units = costed.sort((a, b) => b.cost - a.cost || a.unit.task - b.unit.task || a.unit.part - b.unit.part).map((c) => c.unit);
      const claims = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, units.length)));
      const partResults: (DvhPart | undefined)[][] = tasks.map((_, i) => new Array<DvhPart | undefined>(partsOf[i]?.length ?? 0).fill(undefined));
      const received = new Uint8Array(units.length);
      const take = (q: number, r: { readonly result?: StructureDvhs; readonly partResult?: DvhPart }): void => {
        const u = units[q]!;
        received[q] = 1;
        if (u.part < 0) results[u.task] = r.result;
        else partResults[u.task]![u.part] = r.partResult;
      };
      const parts = new DvhPartComputer();
      const computeHere = (q: number): void => take(q, computeDvhUnit(run, units[q]!, tasks[units[q]!.task]!, dose, parts, plans[units[q]!.task]));
      if (units.length > 0 && workers.length > 0) {
        // The dose once per run, shared: no copy per worker.
        let shared = dose.data;
        if (!(shared.buffer instanceof SharedArrayBuffer)) {
          shared = new Float32Array(new SharedArrayBuffer(dose.data.byteLength));
          shared.set(dose.data);
        }
        const needed = new Set(units.map((u) => u.task));
        const sent = tasks.map((t, i) => (needed.has(i) ? t : null));
        for (const w of workers) w.port.postMessage({ kind: 'run', run, grid: dose.grid, data: shared, tasks: sent, units, claims } satisfies ToWorker);
      }
      for (const u of here) {
        const r = computeDvhUnit(run, u, tasks[u.task]!, dose, parts, plans[u.task]);
        results[u.task] = r.result;
      }
      claimEach(claims, CALLER_CLAIM, units.length, computeHere);
      // What the workers claimed: their results; a worker that fails, or stalls, has its claims done here.
      const heard = new Map<number, number>(workers.map((w) => [w.slot, performance.now()]));
      for (;;) {
        const seen = Atomics.load(ctrl, 0);
        for (const w of workers) {
          for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
            heard.set(w.slot, performance.now());
            const r = m.message as FromWorker;
            if (r.run !== run || received[r.unit] === 1) continue;
            take(r.unit, r);
            if (r.result !== undefined || r.partResult !== undefined) fromWorkers++;
          }
        }
        let waiting = false;
        const t = performance.now();
        for (const w of workers) {
          const owed: number[] = [];
          for (let q = 0; q < units.length; q++) if (received[q] === 0 && Atomics.load(claims, q) === w.slot) owed.push(q);
          if (owed.length === 0) continue;
          const s = state(w);
          if (s === WORKER_FAILED || t - heard.get(w.slot)! > STALL_TIMEOUT_MS) {
            for (const q of owed) computeHere(q);
            Atomics.store(ctrl, w.slot, WORKER_FAILED);
            void w.worker.terminate();
          } else {
            waiting = true;
          }
        }
        if (!waiting) break;
        Atomics.wait(ctrl, 0, seen, 1000);
      }
      // A task in parts: its parts' sums added in order (a part that failed: the caller meets the error).
      tasks.forEach((t, i) => {
        const ps = partResults[i]!;
        if (partsOf[i] === undefined || ps.some((p) => p === undefined)) return;
        try {
          results[i] = mergeDvhParts(plans[i]!, dose, t.maps, t.options, ps as DvhPart[]);
        } catch {
          results[i] = undefined;
        }
      });
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
