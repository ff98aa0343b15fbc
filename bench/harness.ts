/**
 * Benchmark harness: every `bench/*.bench.ts` exports `suite: BenchSuite`. `npm run bench` builds
 * and runs them all (or those named on the command line) and prints one table. Speed and memory
 * targets live here, not in unit tests; bench/README.md records the measured figures.
 */

import { performance } from 'node:perf_hooks';

export interface Measurement {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The issue's target, in words (e.g. "< 1.5 s"). */
  readonly target?: string;
  /** Whether the value meets the target, when there is one. */
  readonly pass?: boolean;
}

export interface BenchSuite {
  readonly name: string;
  run(): Promise<Measurement[]> | Measurement[];
}

/** Median wall time in seconds of `repeats` calls of fn (after one warm-up call), and the last result. */
export function timeIt<T>(fn: () => T, repeats = 3): { seconds: number; result: T } {
  let result = fn();
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    result = fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, result };
}

/** A timing measurement against an upper bound in seconds. */
export function underSeconds(name: string, seconds: number, limitS: number): Measurement {
  return { name, value: seconds, unit: 's', target: `< ${limitS} s`, pass: seconds < limitS };
}
