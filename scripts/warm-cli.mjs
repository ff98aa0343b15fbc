#!/usr/bin/env node
/**
 * Write the code cache of the bundled command line in DIR (DIR/main.cache beside DIR/main.cjs): load the
 * bundle without a cache, run `lattice evaluate` on a small case (cli/warm-up.ts; on one thread, then
 * two) so that V8 compiles what a run compiles, then save the compiled code (vm.Script createCachedData, after the source's
 * size, modification time and digest: bin/load-cli.js cacheFile). Run by
 * scripts/build-cli.mjs in a plain `node` process: V8 accepts a cache only under the flags it was made
 * with, and bin/lattice.js runs under none. The cache is written to a temporary file and renamed.
 * Usage: node scripts/warm-cli.mjs DIR
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleFiles, cacheFile, loadCli } from '../bin/load-cli.js';

const dir = resolve(process.argv[2] ?? '');
const { exports, script, sourceStamp, sourceBytes } = loadCli(dir, false);
const work = mkdtempSync(join(tmpdir(), 'lattice-warm-up-'));
try {
  await exports.writeWarmUpCase(join(work, 'case'));
  const log = console.log;
  console.log = () => undefined;
  try {
    // On one thread (every structure computed here), then with the DVH pool (its run on this thread),
    // so that the cache holds both paths whichever units a worker happens to claim.
    for (const threads of ['1', '2']) {
      const code = await exports.main(['node', 'lattice', 'evaluate', join(work, 'case'), '--fractions-planned', '5', '--threads', threads, '--out', join(work, `out-${threads}`)]);
      if (code !== 0) throw new Error(`lattice evaluate --threads ${threads} on the warm-up case exited with ${code}`);
    }
  } finally {
    console.log = log;
  }
  const { cache } = bundleFiles(dir);
  writeFileSync(`${cache}.tmp`, cacheFile(sourceStamp, sourceBytes, script.createCachedData()));
  renameSync(`${cache}.tmp`, cache);
} finally {
  rmSync(work, { recursive: true, force: true });
}
