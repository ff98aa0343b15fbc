#!/usr/bin/env node
/**
 * Bundle the command line (cli/main.ts and the library code it loads) into dist/bundle/, the code that
 * bin/lattice.js runs. Why: a whole-process command spends tens of milliseconds finding and loading
 * some sixty modules one by one (0.04-0.07 s of a 0.6-0.9 s `lattice evaluate` on the 2-vCPU test
 * machine, bench/README.md); a bundle is a few files. The split stays: each command's code is its own
 * chunk, loaded when that command runs (cli/main.ts imports them on demand). The packages in
 * package.json's dependencies are not bundled (loaded from node_modules as before).
 * The worker threads' entries (the DVH pool's and the dose engine's) are entries of the bundle too,
 * named as src/core/worker-spawn.ts looks for them beside the calling module: dvh-worker.js, worker.js.
 * The modules that find the package's files (templates/, machines/, dist/viewer/) search upwards from
 * their own folder, so dist/bundle/ finds them as dist/src/ does. The library (dist/src/, from tsc)
 * is unchanged. Usage: node scripts/build-cli.mjs [OUTDIR]
 */
import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundle the CLI into `outDir` (default dist/bundle; emptied first: the chunks' names change with their
 * content); resolves to the folder. Its main.js exports main(argv).
 */
export async function buildCli(outDir = join(root, 'dist', 'bundle')) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: {
      main: join(root, 'cli', 'main.ts'),
      'dvh-worker': join(root, 'src', 'evaluate', 'dvh-worker.ts'),
      worker: join(root, 'src', 'dose', 'worker.ts'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    outdir: outDir,
    logLevel: 'warning',
  });
  return outDir;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildCli(process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined);
  console.log(`built the command line into ${out}`);
}
