/**
 * Worker threads started on a module of this package: the built `NAME.js` beside the calling module
 * (dist/), or, when the package runs from its TypeScript sources (vitest), `NAME.ts` loaded through a
 * module hook that compiles `.ts` files with esbuild (a vite dependency). The worker calls the entry's
 * `runWorker(workerData)`. A worker that fails to start stores WORKER_FAILED in its slot of the shared
 * control block `workerData.ctrl` and notifies it: the caller, often blocked in Atomics.wait, cannot
 * receive messages. Workers never keep the process alive (unref).
 * Used by the dose engine's beam threads (src/dose/beam-threads.ts) and the DVH pool
 * (src/evaluate/dvh-pool.ts).
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** Written by a worker to its control slot when its module cannot be loaded (or it fails). */
export const WORKER_FAILED = -2;

/**
 * The worker entry `name` beside the module at `base` (its import.meta.url): `NAME.cjs` (the bundled
 * command line's: required, as a worker loading an ES module first sets up the ES module loader, 20-30
 * ms of its start), else `NAME.js` (the library built by tsc), else `NAME.ts` (the sources, under vitest).
 */
function workerEntry(base: string, name: string): { url: URL; kind: 'cjs' | 'esm' | 'ts' } {
  const cjs = new URL(`./${name}.cjs`, base);
  if (existsSync(fileURLToPath(cjs))) return { url: cjs, kind: 'cjs' };
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return { url: js, kind: 'esm' };
  return { url: new URL(`./${name}.ts`, base), kind: 'ts' };
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
 * The boot's loader of a bundled entry (NAME.cjs): with its code cache (src/core/code-cache.ts
 * loadBundle, from the bundle's early.cjs beside it: the DVH worker's entry loads some 5 ms faster on
 * the 2-vCPU test machine, bench/README.md fifteenth session), or required where there is no early.cjs.
 * With LATTICE_WORKER_CODE_CACHE=write in its environment (scripts/warm-cli.mjs, at build) the worker
 * writes its entry's cache as it ends.
 */
const BUNDLED_ENTRY_LOADER = `
function loadEntry(file) {
  const early = require('node:path').join(require('node:path').dirname(file), 'early.cjs');
  if (!require('node:fs').existsSync(early)) return require(file);
  const { loadBundle, writeCodeCache } = require(early);
  const loaded = loadBundle(file);
  if (process.env.LATTICE_WORKER_CODE_CACHE === 'write') process.once('exit', () => writeCodeCache(loaded));
  return loaded.exports;
}`;

/**
 * Start a worker running `runWorker(data)` of the entry `name` beside the module at `base`; on a failed
 * start it stores WORKER_FAILED in data.ctrl[slot] and notifies that slot. `entry` overrides the entry
 * (a URL of a JavaScript module).
 */
export function spawnWorker(
  base: string,
  name: string,
  data: { readonly ctrl: Int32Array },
  slot: number,
  options: { readonly transferList?: readonly TransferListItem[]; readonly entry?: URL } = {},
): Worker {
  const entry = options.entry !== undefined ? { url: options.entry, kind: 'esm' as const } : workerEntry(base, name);
  const ts = entry.kind === 'ts';
  const esbuildUrl = ts ? pathToFileURL(createRequire(import.meta.url).resolve('esbuild')).href : '';
  const hook = ts ? 'data:text/javascript,' + encodeURIComponent(tsHookSource(esbuildUrl)) : '';
  const load = entry.kind === 'cjs' ? `loadEntry(${JSON.stringify(fileURLToPath(entry.url))})` : `await import(${JSON.stringify(entry.url.href)})`;
  // a CommonJS bootstrap: reports a failed start through the control block
  const boot = `
const { workerData } = require('node:worker_threads');
${entry.kind === 'cjs' ? BUNDLED_ENTRY_LOADER : ''}
(async () => {
  try {
    ${ts ? `require('node:module').register(${JSON.stringify(hook)});` : ''}
    const m = ${load};
    m.runWorker(workerData);
  } catch (e) {
    console.error('lattice worker failed to start:', e);
    Atomics.store(workerData.ctrl, ${slot}, ${WORKER_FAILED});
    Atomics.notify(workerData.ctrl, ${slot});
  }
})();`;
  const worker = new Worker(boot, { eval: true, workerData: data, ...(options.transferList !== undefined ? { transferList: [...options.transferList] } : {}) });
  worker.unref();
  return worker;
}
