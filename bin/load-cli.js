// Load the bundled command line (dist/bundle/main.cjs, built by scripts/build-cli.mjs) with V8's code
// cache (main.cache beside it, written at build by scripts/warm-cli.mjs): the functions a run needs
// are read already compiled instead of parsed and compiled again in every process (bench/README.md).
// V8 checks a cache against its own version and flags but the source only by its length, so the cache
// file starts with the SHA-256 of the source it was made from, and is used only for that source. A
// cache that does not match, or none, only costs the compile.
// CommonJS (bin/package.json), as bin/lattice.js: a process started on a CommonJS file does not set up
// the ES module loader, some 15 ms of a run.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

/** The bundle's file and its cache's in `dir`, and the launcher's early start (cli/early.ts). */
const bundleFiles = (dir) => ({ source: join(dir, 'main.cjs'), cache: join(dir, 'main.cache'), early: join(dir, 'early.cjs') });

/** The digest a cache file starts with: SHA-256 of the source file's bytes (32 bytes). */
const digest = (sourceBytes) => createHash('sha256').update(sourceBytes).digest();

/** The bytes of a cache file for the source file's bytes and V8's cached data. */
const cacheFile = (sourceBytes, cachedData) => Buffer.concat([digest(sourceBytes), cachedData]);

/** V8's cached data in the cache file `bytes` when it was made from `sourceBytes`, else undefined. */
function cachedDataFor(sourceBytes, bytes) {
  const d = digest(sourceBytes);
  return bytes.length > d.length && d.equals(bytes.subarray(0, d.length)) ? bytes.subarray(d.length) : undefined;
}

/**
 * Load the bundle in `dir` (a CommonJS module run in this context); `useCache` false ignores its cache.
 * Returns its exports, the compiled script (cacheFile(sourceBytes, script.createCachedData()) is its
 * cache), the source file's bytes, and whether a cache was used (present, made from this source,
 * accepted by V8).
 */
function loadCli(dir, useCache = true) {
  const files = bundleFiles(dir);
  const sourceBytes = readFileSync(files.source);
  const source = sourceBytes.toString('utf8');
  let cachedData;
  if (useCache) {
    try {
      cachedData = cachedDataFor(sourceBytes, readFileSync(files.cache));
    } catch {
      cachedData = undefined;
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: files.source,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(files.source), module, files.source, dirname(files.source));
  return { exports: module.exports, script, sourceBytes, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * Run the command line bundled in `dir` on process.argv-style `argv`; resolves to the exit code. What
 * the command will need is started first (early.cjs: the DVH threads of `lattice evaluate`), then the
 * bundle is loaded, meanwhile.
 */
function runCli(dir, argv) {
  const started = require(bundleFiles(dir).early).prestart(argv);
  return loadCli(dir).exports.main(argv, started);
}

exports.bundleFiles = bundleFiles;
exports.runCli = runCli;
exports.cacheFile = cacheFile;
exports.loadCli = loadCli;
