/**
 * Structure DVHs on several threads: a pool of worker threads (dvh-threads.ts) started before the case
 * is read (for `lattice evaluate`, by the launcher before the command line has loaded), so that their
 * start overlaps the reading, one of them reading the case's RT Dose while the calling thread reads the
 * rest (readDose); then each computing whole structures (rasterise + structureDvhs)
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
 * STALL_TIMEOUT_MS while it holds claimed units has them computed by the caller; likewise a dose.
 * The control block: dvh-threads.ts DvhThreads.
 */

import { receiveMessageOnPort } from 'node:worker_threads';
import { WORKER_FAILED } from '../core/worker-spawn.js';
import { createGrid, voxelCount, type Grid } from '../geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../geometry/volume.js';
import type { DoseGrid } from '../io/dicom/model.js';
import { readRtDose } from '../io/dicom/read/rtdose.js';
import {
  dvhParts, mergeDvhParts, planDvhPart, planDvhs, planSampling, preparedSlabs,
  type DoseMap, type DvhPart, type NamedContours, type PreparedSlabs, type SampleStructureOptions, type SamplingPlan, type StructureDvhs, type StructureDvhsOptions,
} from './dvh.js';
import type { SliceRange } from './dvh-wasm.js';
import { DEFAULT_THREADS, endDvhThreads, spawnDvhThreads, WORKER_READY, type DvhThread, type DvhThreads } from './dvh-threads.js';

export { DEFAULT_THREADS, WORKER_READY, type DvhWorkerData } from './dvh-threads.js';

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
  /** An RT Dose file to read (DvhPool.readDose), claimed as a unit is (0, then the reader's slot or CALLER_CLAIM). */
  | { readonly kind: 'dose'; readonly id: number; readonly file: string; readonly claim: Int32Array }
  | { readonly kind: 'close' };
/** A worker's answer: a unit's DVHs, or a dose it read (absent where reading failed). */
export type FromWorker =
  | {
    readonly kind: 'unit';
    readonly run: number;
    /** The unit's index in the run's units. */
    readonly unit: number;
    readonly result?: StructureDvhs;
    readonly partResult?: DvhPart;
  }
  | { readonly kind: 'dose'; readonly id: number; readonly dose?: DoseGrid };

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
  for (let q = 0; q < n; q++) if (claim(claims, q, who)) compute(q);
}

/** Claim slot q of `claims` as thread `who` (from 0, unclaimed); false when another thread has it. */
export function claim(claims: Int32Array, q: number, who: number): boolean {
  return Atomics.compareExchange(claims, q, 0, who) === 0;
}

export interface DvhPool {
  /** Worker threads (the calling thread computes too). */
  readonly workers: number;
  /** Tasks (or parts of a large task) whose DVHs came from a worker, over every run so far. */
  readonly computedInWorkers: number;
  /** RT Dose files read by a worker (readDose), so far. */
  readonly dosesReadInWorkers: number;
  /**
   * Every task's DVHs, in the tasks' order; undefined where computing failed (the caller computes that
   * task itself to meet the error). Synchronous: returns when every task is done.
   */
  run(tasks: readonly DvhTask[], dose: ScalarVolume): (StructureDvhs | undefined)[];
  /**
   * Start reading an RT Dose file (readRtDose: into shared memory) on a worker while this thread goes
   * on; the function returned gives its DoseGrid (synchronously), read here instead when no worker
   * took the file by then (none had loaded, or one failed or stalled), and throws as readRtDose does
   * (a worker that meets an error answers nothing; the file is read again here to meet it). The same
   * DoseGrid either way: the same code on the same file. Asked again, the function reads the file here.
   */
  readDose(file: string): () => DoseGrid;
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
  /**
   * Workers started already (spawnDvhThreads: the launcher's, cli/early.ts), used when they are as
   * many as this pool needs and ended otherwise.
   */
  readonly started?: DvhThreads;
}

/**
 * Start a pool (returns at once; the workers load in the background). Undefined when one thread is
 * asked for: then the caller computes everything itself.
 */
export function startDvhPool(options: DvhPoolOptions = {}): DvhPool | undefined {
  const threads = options.threads ?? DEFAULT_THREADS;
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, found ${threads}`);
  let started = options.started;
  if (threads === 1) {
    if (started !== undefined) endDvhThreads(started);
    return undefined;
  }
  if (started !== undefined && started.workers.length !== threads - 1) {
    endDvhThreads(started);
    started = undefined;
  }
  const { ctrl, workers: pool } = started ?? spawnDvhThreads(threads, options.entry);
  const state = (w: DvhThread): number => Atomics.load(ctrl, w.slot);
  let runs = 0;
  let closed = false;
  let fromWorkers = 0;
  let doseReads = 0;
  let dosesFromWorkers = 0;
  // doses answered while this thread waited for another (by id)
  const doseAnswers = new Map<number, DoseGrid | undefined>();
  /** Worker w's messages so far: doses kept in doseAnswers, units given to onUnit; whether there was any. */
  const drain = (w: DvhThread, onUnit: (r: Extract<FromWorker, { kind: 'unit' }>) => void): boolean => {
    let any = false;
    for (let m = receiveMessageOnPort(w.port); m !== undefined; m = receiveMessageOnPort(w.port)) {
      any = true;
      const r = m.message as FromWorker;
      if (r.kind === 'dose') doseAnswers.set(r.id, r.dose);
      else onUnit(r);
    }
    return any;
  };

  return {
    workers: pool.length,
    get computedInWorkers() {
      return fromWorkers;
    },
    get dosesReadInWorkers() {
      return dosesFromWorkers;
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
    readDose(file) {
      const w = closed ? undefined : pool.find((x) => state(x) !== WORKER_FAILED);
      if (w === undefined) return () => readRtDose(file);
      const id = ++doseReads;
      const claims = new Int32Array(new SharedArrayBuffer(4));
      w.port.postMessage({ kind: 'dose', id, file, claim: claims } satisfies ToWorker);
      let asked = false;
      return () => {
        // asked again, or not taken yet: read here
        if (asked) return readRtDose(file);
        asked = true;
        if (claim(claims, 0, CALLER_CLAIM)) return readRtDose(file);
        let heard = performance.now();
        while (!doseAnswers.has(id)) {
          const seen = Atomics.load(ctrl, 0);
          // no run is under way while a dose is awaited: a unit's answer here is a stale one
          if (drain(w, () => undefined)) heard = performance.now();
          if (doseAnswers.has(id)) break;
          if (state(w) === WORKER_FAILED || performance.now() - heard > STALL_TIMEOUT_MS) return readRtDose(file);
          Atomics.wait(ctrl, 0, seen, 1000);
        }
        const d = doseAnswers.get(id);
        doseAnswers.delete(id);
        if (d === undefined) return readRtDose(file);
        dosesFromWorkers++;
        // the grid frozen again, as readRtDose makes it (a copy between threads is not frozen)
        return { ...d, dose: createScalarVolume(createGrid(d.dose.grid), d.dose.data) };
      };
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
          const any = drain(w, (r) => {
            if (r.run !== run || received[r.unit] === 1) return;
            take(r.unit, r);
            if (r.result !== undefined || r.partResult !== undefined) fromWorkers++;
          });
          if (any) heard.set(w.slot, performance.now());
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
