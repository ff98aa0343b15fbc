#!/usr/bin/env node
/**
 * Write the code caches of the bundled command line in DIR (DIR/main.cache beside DIR/main.cjs, and the
 * DVH worker's DIR/dvh-worker.cache): load the bundle without a cache, run `lattice evaluate` on a small
 * case (cli/warm-up.ts; on one thread, then two) so that V8 compiles what a run compiles, then save
 * the compiled code (src/core/code-cache.ts writeCodeCache: V8's cached data after the source's size,
 * modification time and digest). The DVH worker writes its own as it ends (LATTICE_WORKER_CODE_CACHE=write,
 * src/core/worker-spawn.ts), which this waits for. Run by scripts/build-cli.mjs in a plain `node`
 * process: V8 accepts a cache only under the flags it was made with, and bin/lattice.js runs under none.
 * Each cache is written to a temporary file and renamed.
 * Usage: node scripts/warm-cli.mjs DIR
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleFiles, loadCli } from '../bin/load-cli.js';

const dir = resolve(process.argv[2] ?? '');
const loaded = loadCli(dir, false);
const { exports } = loaded;
const early = createRequire(import.meta.url)(bundleFiles(dir).early);
const workerCache = early.codeCacheOf(join(dir, 'dvh-worker.cjs'));
process.env.LATTICE_WORKER_CODE_CACHE = 'write';
const work = mkdtempSync(join(tmpdir(), 'lattice-warm-up-'));
try {
  await exports.writeWarmUpCase(join(work, 'case'));
  const log = console.log;
  console.log = () => undefined;
  try {
    // On one thread (every structure computed here), then with the DVH pool (its run on this thread),
    // so that the cache holds both paths whichever units a worker happens to claim.
    for (const threads of ['1', '2']) {
      const argv = ['node', 'lattice', 'evaluate', join(work, 'case'), '--fractions-planned', '5', '--threads', threads, '--out', join(work, `out-${threads}`)];
      // the DVH threads started as the launcher starts them (early.cjs), and loaded before the command
      // runs, so that the worker reads the dose and claims units: what its cache is made of
      const started = early.prestart(argv);
      const ctrl = started.dvhThreads?.ctrl;
      const until = Date.now() + 20_000;
      while (ctrl !== undefined && started.dvhThreads.workers.some((w) => Atomics.load(ctrl, w.slot) === 0) && Date.now() < until) {
        Atomics.wait(ctrl, 0, Atomics.load(ctrl, 0), 20);
      }
      const code = await exports.main(argv, started);
      if (code !== 0) throw new Error(`lattice evaluate --threads ${threads} on the warm-up case exited with ${code}`);
    }
  } finally {
    console.log = log;
  }
  early.writeCodeCache(loaded);
  // the DVH worker of the two-thread run writes its cache as it ends (the command closed its pool)
  const until = Date.now() + 20_000;
  while (!existsSync(workerCache) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(workerCache)) console.warn('warm-cli: the DVH worker wrote no code cache (its entry compiles as it loads)');
} finally {
  rmSync(work, { recursive: true, force: true });
}
