/**
 * Every structure's DVH samples (geometry + dose at the sampling points), the work shared between the
 * calling thread and one worker. An evaluation's time is its sampling, and one structure (the BODY:
 * millions of points) usually dominates it, so the worker takes whole structures and, where that is not
 * enough to balance the two threads, the upper sub-slices of the largest structure (sampleStructure's
 * subSlices, slab model only: its parts concatenated are exactly the whole). The split changes the
 * time, never a number: every result is what sampling on one thread gives, in the same order, with
 * the same warnings.
 *
 * Synchronous API: the worker gets its tasks when it starts; the caller samples its own share, then
 * blocks (Atomics.wait) until the worker reports, and reads the results from a MessagePort
 * (receiveMessageOnPort). A worker that fails to start, or a task that fails in it with anything but
 * a GeometryError, is redone on the calling thread, so that errors are raised there, typed.
 *
 * Work estimate per structure: its sampling grid's nodes (rasterisation and compaction visit every
 * node; about 3/4 of a body's nodes are points), times INTERPOLATED_COST for the interpolated fill
 * between planes. Measured in bench/README.md ("evaluate as a whole process").
 */

import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { GeometryError } from '../core/errors.js';
import { FAILED, spawnWorker } from '../core/workers.js';
import type { BetweenPlanesChoice } from '../geometry/between-planes.js';
import type { Grid } from '../geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../geometry/structure.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { mergeDoseSamples, sampleDose, sampleStructure, type DoseSamples, type SampleStructureOptions } from './dvh.js';

export type SampledStructure = ContourStructure | { readonly name: string; readonly contours: readonly PlanarContour[] };

/** A structure's samples with its sampling-point count (inside and outside the dose grid), or why it
 * was not sampled (a sentence naming it). */
export type Sampled = { readonly samples: DoseSamples; readonly points: number } | { readonly skipped: string };

/** Below this many estimated sampling nodes in all, no worker is started. */
export const THREADED_MIN_NODES = 1_500_000;
/** Cost of a node of the interpolated fill relative to a slab node. */
export const INTERPOLATED_COST = 2.5;
/** The worker's start (thread, module loading) in slab-node equivalents (~40 ms). */
export const WORKER_START_NODES = 300_000;
/** When a worker is worth starting (tests set both to 0 to exercise it on small structures). */
export interface SamplingThresholds {
  /** Least estimated work in all (nodes; default THREADED_MIN_NODES). */
  readonly minNodes: number;
  /** The worker's start in nodes (default WORKER_START_NODES). */
  readonly workerStartNodes: number;
}
const DEFAULT_THRESHOLDS: SamplingThresholds = { minNodes: THREADED_MIN_NODES, workerStartNodes: WORKER_START_NODES };

/** Smallest share of the largest structure worth giving to the worker. */
const MIN_SHARE = 0.05;

const hasClosedContour = (s: SampledStructure): boolean => s.contours.some((c) => c.geometricType === 'CLOSED_PLANAR' && c.pointsLps.length >= 9);

/**
 * One structure (or one part: options.subSlices) sampled on this thread, with the reasons for leaving
 * a structure out that the evaluation reports. A part's outside-grid warning is left to the merge.
 */
export function sampleOne(s: SampledStructure, dose: ScalarVolume, options: SampleStructureOptions): Sampled {
  if (!hasClosedContour(s)) return { skipped: `structure "${s.name}" has no closed contour; not evaluated` };
  // A structure whose contours cannot be filled (all points on a line, oblique planes) is left out
  // with the reason; the others are still evaluated.
  let sampling;
  try {
    sampling = sampleStructure(s, dose.grid, options);
  } catch (e) {
    if (!(e instanceof GeometryError)) throw e;
    return { skipped: `structure "${s.name}" not evaluated: ${e.message.replace(/ \(structure "[^"]*"\)$/, '')}` };
  }
  const part = options.subSlices !== undefined;
  if (!part && sampling.volumeCc === 0) return { skipped: noVolume(s.name) };
  return { samples: sampleDose(sampling, dose, part ? { warnOutside: false } : {}), points: sampling.index.length };
}

const noVolume = (name: string): string => `structure "${name}" not evaluated: its contours enclose no volume`;

/** A worker's task: structure `index` of the list, whole or a part (options.subSlices). */
export interface SamplingTask {
  readonly index: number;
  readonly structure: SampledStructure;
  readonly options: SampleStructureOptions;
}

/** Who samples what: per structure 'main', 'worker' or 'split' (main: sub-slices 0 .. at). */
export interface SamplingPlan {
  readonly jobs: readonly ('main' | 'worker' | 'split')[];
  readonly split?: { readonly index: number; readonly at: number; readonly slices: number };
  readonly tasks: readonly SamplingTask[];
}

/** Shares the structures between the calling thread and a worker (undefined: not worth a worker). */
export function planSampling(
  structures: readonly SampledStructure[],
  grid: Grid,
  betweenPlanes: BetweenPlanesChoice,
  thresholds: SamplingThresholds = DEFAULT_THRESHOLDS,
): SamplingPlan | undefined {
  const costs = structures.map((s) => {
    if (!hasClosedContour(s)) return undefined;
    try {
      const info = sampleStructure(s, grid, { betweenPlanes, gridOnly: true }).info;
      const [nu, nv, nw] = info.grid.size;
      return { cost: nu * nv * nw * (info.betweenPlanes === 'interpolated' ? INTERPOLATED_COST : 1), slices: nw, slab: info.betweenPlanes === 'slab' };
    } catch (e) {
      if (e instanceof GeometryError) return undefined;
      throw e;
    }
  });
  const total = costs.reduce((a, c) => a + (c?.cost ?? 0), 0);
  if (total < thresholds.minNodes) return undefined;
  let largest = -1;
  costs.forEach((c, i) => {
    if (c !== undefined && (largest < 0 || c.cost > costs[largest]!.cost)) largest = i;
  });
  const target = Math.max(0, total - thresholds.workerStartNodes) / 2;
  const jobs: ('main' | 'worker' | 'split')[] = structures.map(() => 'main');
  let load = 0;
  const others = costs.map((c, i) => ({ c, i })).filter((x) => x.c !== undefined && x.i !== largest).sort((a, b) => b.c!.cost - a.c!.cost || a.i - b.i);
  for (const { c, i } of others) {
    if (load + c!.cost <= target) {
      jobs[i] = 'worker';
      load += c!.cost;
    }
  }
  const tasks: SamplingTask[] = [];
  let split: SamplingPlan['split'];
  const big = costs[largest]!;
  const share = (target - load) / big.cost;
  if (big.slab && share >= MIN_SHARE && big.slices >= 2) {
    const at = Math.min(big.slices - 1, Math.max(1, Math.round(big.slices * (1 - Math.min(share, 1)))));
    split = { index: largest, at, slices: big.slices };
    jobs[largest] = 'split';
  }
  jobs.forEach((j, i) => {
    if (j === 'worker') tasks.push({ index: i, structure: structures[i]!, options: { betweenPlanes } });
  });
  if (split !== undefined) tasks.push({ index: split.index, structure: structures[split.index]!, options: { betweenPlanes, subSlices: [split.at, split.slices] } });
  if (tasks.length === 0) return undefined;
  return { jobs, tasks, ...(split !== undefined ? { split } : {}) };
}

/**
 * Every structure's samples (or the reason it was left out), in order: on this thread only when
 * threads < 2 or the work is small, otherwise shared with one worker (planSampling): `worker` if given
 * (started earlier with startSamplingWorker, so that its start overlapped the reading of the case),
 * else one started here. A given worker is ended here, used or not.
 */
export function sampleStructures(
  structures: readonly SampledStructure[],
  dose: ScalarVolume,
  options: {
    readonly betweenPlanes: BetweenPlanesChoice;
    readonly threads: number;
    readonly thresholds?: SamplingThresholds;
    readonly worker?: SamplingWorker;
  },
): Sampled[] {
  const betweenPlanes = options.betweenPlanes;
  const given = options.worker;
  // a worker already started costs nothing more to use
  const thresholds = options.thresholds ?? (given !== undefined ? { ...DEFAULT_THRESHOLDS, workerStartNodes: 0 } : DEFAULT_THRESHOLDS);
  const plan = options.threads >= 2 ? planSampling(structures, dose.grid, betweenPlanes, thresholds) : undefined;
  if (plan === undefined) {
    given?.end();
    return structures.map((s) => sampleOne(s, dose, { betweenPlanes }));
  }
  const worker = given ?? startSamplingWorker();
  try {
    worker.post(plan.tasks, dose);
    const out: (Sampled | undefined)[] = structures.map((s, i) => (plan.jobs[i] === 'main' ? sampleOne(s, dose, { betweenPlanes }) : undefined));
    const split = plan.split;
    const mine = split !== undefined ? sampleOne(structures[split.index]!, dose, { betweenPlanes, subSlices: [0, split.at] }) : undefined;
    const results = worker.finish();
    plan.tasks.forEach((t, k) => {
      const r = results?.[k] ?? sampleOne(t.structure, dose, t.options);
      if (t.options.subSlices === undefined) {
        out[t.index] = r;
        return;
      }
      // the split structure: a reason from either part stands for the whole
      if ('skipped' in mine!) out[t.index] = mine;
      else if ('skipped' in r) out[t.index] = r;
      else {
        const samples = mergeDoseSamples([mine!.samples, r.samples]);
        out[t.index] = samples.volumeCc === 0 ? { skipped: noVolume(t.structure.name) } : { samples, points: mine!.points + r.points };
      }
    });
    return out as Sampled[];
  } finally {
    worker.end();
  }
}

/** What the worker gets when it starts; its tasks and the dose follow on `port`. */
export interface SamplingWorkerData {
  readonly ctrl: Int32Array;
  readonly port: MessagePort;
}

/** The message with the work. */
export interface SamplingWork {
  readonly tasks: readonly SamplingTask[];
  readonly dose: ScalarVolume;
}

/** Per task: its result, or undefined when it failed in the worker (to be redone by the caller). */
export type SamplingWorkerResult = readonly (Sampled | undefined)[];

/** A started sampling worker, waiting for its work. */
export interface SamplingWorker {
  /** Sends the work (once). */
  post(tasks: readonly SamplingTask[], dose: ScalarVolume): void;
  /** Blocks until the worker is done; undefined when it failed as a whole (the caller redoes its tasks). */
  finish(): SamplingWorkerResult | undefined;
  /** Ends the worker without waiting (idempotent). */
  end(): void;
}

/**
 * Starts a sampling worker (module loading takes it tens of ms): e.g. before reading a case, to give
 * sampleStructures later through evaluatePlan's samplingWorker option.
 */
export function startSamplingWorker(): SamplingWorker {
  const ctrl = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker | undefined;
  try {
    const data: SamplingWorkerData = { ctrl, port: port2 };
    worker = spawnWorker(new URL('./sampling-worker.js', import.meta.url), data, { ctrl, slot: 0, label: 'DVH sampling worker' }, [port2]);
  } catch {
    worker = undefined;
    Atomics.store(ctrl, 0, FAILED);
  }
  const end = (): void => {
    if (worker !== undefined) void worker.terminate();
    worker = undefined;
    port1.close();
  };
  return {
    post(tasks: readonly SamplingTask[], dose: ScalarVolume): void {
      if (worker !== undefined) port1.postMessage({ tasks, dose } satisfies SamplingWork);
    },
    finish(): SamplingWorkerResult | undefined {
      let v = Atomics.load(ctrl, 0);
      while (v === 0) {
        Atomics.wait(ctrl, 0, 0, 1000);
        v = Atomics.load(ctrl, 0);
      }
      const message = v === 1 ? receiveMessageOnPort(port1) : undefined;
      end();
      return message?.message as SamplingWorkerResult | undefined;
    },
    end,
  };
}
