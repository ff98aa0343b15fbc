/**
 * Starting a worker thread on one of our modules, for the synchronous thread pools of the dose engine
 * (src/dose/beam-threads.ts) and the DVH sampling (src/evaluate/sampling-threads.ts).
 *
 * The entry module (e.g. `worker.js` next to the caller) must export `runWorker(workerData)`. When the
 * caller runs from its TypeScript source (vitest) the `.js` file does not exist: the worker then
 * registers a module hook that compiles `.ts` files with esbuild (a vite dependency) before loading the
 * `.ts` entry. A failed start is reported through shared memory (`fail.ctrl[fail.slot] = FAILED`),
 * because the caller is typically blocked in Atomics.wait and cannot receive messages.
 *
 * Workers never keep the process alive (unref).
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** Written by a worker into its slot of the control block when it failed. */
export const FAILED = -2;

/** URL of the worker entry and whether it is TypeScript source. */
function workerEntry(entryJs: URL): { url: URL; ts: boolean } {
  if (existsSync(fileURLToPath(entryJs))) return { url: entryJs, ts: false };
  return { url: new URL(entryJs.href.replace(/\.js$/, '.ts')), ts: true };
}

/** Module hook that loads .ts files (and .js specifiers that name .ts files) through esbuild. */
function tsHookSource(esbuildUrl: string): string {
  return `
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
let esbuild;
export async function resolve(spec, ctx, next) {
  try { return await next(spec, ctx); } catch (e) {
    if (spec.endsWith('.js') && (spec.startsWith('.') || spec.startsWith('file:'))) return next(spec.slice(0, -3) + '.ts', ctx);
    throw e;
  }
}
export async function load(url, ctx, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    esbuild ??= (await import(${JSON.stringify(esbuildUrl)})).default;
    const file = fileURLToPath(url);
    const out = await esbuild.transform(await readFile(file, 'utf8'), { loader: 'ts', format: 'esm', sourcefile: file, target: 'node20' });
    return { format: 'module', source: out.code, shortCircuit: true };
  }
  return next(url, ctx);
}`;
}

/**
 * Starts a worker running `runWorker(data)` of the module `entryJs` (its `.ts` twin under vitest).
 * `data` must carry `fail.ctrl` (an Int32Array on a SharedArrayBuffer) so that a failed start can be
 * reported; `transfer` lists objects moved rather than copied (e.g. a MessagePort).
 */
export function spawnWorker(
  entryJs: URL,
  data: unknown,
  fail: { readonly ctrl: Int32Array; readonly slot: number; readonly label: string },
  transfer: readonly TransferListItem[] = [],
): Worker {
  const entry = workerEntry(entryJs);
  const esbuildUrl = entry.ts ? pathToFileURL(createRequire(import.meta.url).resolve('esbuild')).href : '';
  const hook = entry.ts ? 'data:text/javascript,' + encodeURIComponent(tsHookSource(esbuildUrl)) : '';
  const boot = `
const { workerData } = require('node:worker_threads');
(async () => {
  try {
    ${entry.ts ? `require('node:module').register(${JSON.stringify(hook)});` : ''}
    const m = await import(${JSON.stringify(entry.url.href)});
    m.runWorker(workerData);
  } catch (e) {
    console.error(${JSON.stringify(fail.label + ' failed to start:')}, e);
    Atomics.store(workerData.${ctrlKey(data, fail.ctrl)}, ${fail.slot}, ${FAILED});
    Atomics.notify(workerData.${ctrlKey(data, fail.ctrl)}, ${fail.slot});
  }
})();`;
  const worker = new Worker(boot, { eval: true, workerData: data, transferList: [...transfer] });
  worker.unref();
  return worker;
}

/** The key of `data` that holds `ctrl` (the boot script reaches it through workerData). */
function ctrlKey(data: unknown, ctrl: Int32Array): string {
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) if (v === ctrl && /^[A-Za-z_$][\w$]*$/.test(k)) return k;
  throw new Error('spawnWorker: the control block must be a top-level field of the worker data');
}
