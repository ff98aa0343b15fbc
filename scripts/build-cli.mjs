#!/usr/bin/env node
/**
 * Bundle the command line (cli/main.ts and the library code it loads) into dist/bundle/, the code that
 * bin/lattice.js runs. Why: a whole-process command spends tens of milliseconds finding and loading
 * some sixty modules one by one (0.04-0.07 s of a 0.6-0.9 s `lattice evaluate` on the 2-vCPU test
 * machine, bench/README.md), and compiling the functions it runs; a bundle is one file, and its code
 * cache spares the compile.
 * - main.cjs: cli/bundle-entry.ts (the CLI, and the case the cache is made on) as one CommonJS
 *   module, which bin/load-cli.js compiles with V8's code cache. Each command's modules are still
 *   initialised only when that command runs (cli/main.ts imports them on demand); a function that
 *   never runs is never compiled. import.meta.url is the file's own URL.
 * - main.cache: that code cache, written by scripts/warm-cli.mjs after a run of `lattice evaluate`
 *   on a small case (option `cache: false` leaves it out: the bundle then compiles as it runs).
 * - dvh-worker.cjs, worker.cjs: the worker threads' entries (the DVH pool's and the dose engine's) as
 *   CommonJS modules, named as src/core/worker-spawn.ts looks for them beside the calling module.
 * - early.cjs: cli/early.ts, what bin/lattice.js starts before it loads main.cjs (bin/load-cli.js runCli).
 * The packages in package.json's dependencies are not bundled (loaded from node_modules), but for
 * commander in main.cjs. The modules
 * that find the package's files (templates/, machines/, dist/viewer/) search upwards from their own
 * folder, so dist/bundle/ finds them as dist/src/ does. The library (dist/src/, from tsc) is
 * unchanged. Usage: node scripts/build-cli.mjs [OUTDIR]
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Bundle the CLI into `outDir` (default dist/bundle; emptied first: the chunks' names change with their
 * content); resolves to the folder. Its main.cjs exports main(argv) (load it with bin/load-cli.js).
 */
export async function buildCli(outDir = join(root, 'dist', 'bundle'), { cache = true } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const common = { bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning' };
  // CommonJS, each file its own module: import.meta.url is the file's own URL
  const commonJs = {
    format: 'cjs',
    define: { 'import.meta.url': '__lattice_module_url' },
    banner: { js: 'const __lattice_module_url = require("node:url").pathToFileURL(__filename).href;' },
  };
  // The workers' entries as CommonJS too: a worker that loads an ES module first sets up the ES module
  // loader, some 20-30 ms of its start on the 2-vCPU test machine (bench/README.md, twelfth session).
  await build({
    ...common,
    ...commonJs,
    entryPoints: {
      'dvh-worker': join(root, 'src', 'evaluate', 'dvh-worker.ts'),
      worker: join(root, 'src', 'dose', 'worker.ts'),
      // what the launcher starts before it loads main.cjs (bin/load-cli.js runCli)
      early: join(root, 'cli', 'early.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
  });
  await build({
    ...common,
    ...commonJs,
    entryPoints: [join(root, 'cli', 'bundle-entry.ts')],
    // commander, which every run loads, is bundled too (compiled with the rest: its code is in the cache)
    packages: undefined,
    external: Object.keys(dependencies).filter((name) => name !== 'commander'),
    outfile: join(outDir, 'main.cjs'),
  });
  if (cache) {
    // The cache only spares compile time: a build whose warm-up run fails still gives a working CLI.
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'warm-cli.mjs'), outDir], { stdio: ['ignore', 'inherit', 'pipe'] });
    } catch (e) {
      const why = String(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ');
      console.warn(`build-cli: the code cache was not written (the CLI compiles as it runs): ${why}`);
    }
  }
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildCli(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  console.log(`built the command line into ${out}`);
}
