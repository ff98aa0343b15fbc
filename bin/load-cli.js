// Load the bundled command line (dist/bundle/main.cjs, built by scripts/build-cli.mjs) with V8's code
// cache (main.cache beside it, written at build by scripts/warm-cli.mjs): the functions a run needs
// are read already compiled instead of parsed and compiled again in every process (bench/README.md).
// How a cache is checked and used: src/core/code-cache.ts, bundled into early.cjs, which the launcher
// loads first anyway (the DVH threads it starts load their entry the same way).
// CommonJS (bin/package.json), as bin/lattice.js: a process started on a CommonJS file does not set up
// the ES module loader, some 15 ms of a run.
'use strict';
const { join } = require('node:path');

/** The bundle's file in `dir` (its cache beside it: src/core/code-cache.ts codeCacheOf), and the launcher's early start (cli/early.ts). */
const bundleFiles = (dir) => ({ source: join(dir, 'main.cjs'), early: join(dir, 'early.cjs') });

/**
 * Load the bundle in `dir` (a CommonJS module run in this context); `useCache` false ignores its cache.
 * Returns src/core/code-cache.ts LoadedBundle: its exports, the compiled script (writeCodeCache saves
 * its cache), the source file's stamp and bytes, and whether a cache was used.
 */
function loadCli(dir, useCache = true) {
  const files = bundleFiles(dir);
  return require(files.early).loadBundle(files.source, useCache);
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

/**
 * End the process with `code` once what it wrote to stdout and stderr has been handed to the system:
 * at once when nothing is pending (Linux writes to files and pipes synchronously), else on the streams'
 * 'drain'. For the launcher, once the command has finished (main resolves only then: a viewer's server
 * after its SIGINT), so that the process does not wait for Node's own teardown of a finished run: the
 * DVH pool's worker thread and each thread's heap, some 10 ms of a `lattice evaluate` on the 2-vCPU
 * test machine (bench/README.md, thirteenth session). A stream that fails never drains: the process
 * then ends as Node ends it, with process.exitCode set.
 */
function exitWhenWritten(code) {
  process.exitCode = code;
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  let left = pending.length;
  if (left === 0) process.exit(code);
  for (const s of pending) s.once('drain', () => --left === 0 && process.exit(code));
}

/** Output errors that mean the reader has gone (`lattice ... | head`): the rest of the output is dropped. */
const READER_GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/**
 * What bin/lattice.js does: the command line bundled in `dir` run on process.argv-style `argv`, the
 * process ended with the command's exit code once its output is written (exitWhenWritten). Output that
 * has no reader any more is dropped and the command goes on (its files are written, its exit code
 * kept), where Node would end on an unhandled EPIPE with a stack trace. The handlers are added once
 * runCli has started the command (the streams are made on first use; the command prints nothing
 * before its first await).
 */
function launch(dir, argv) {
  const done = runCli(dir, argv);
  for (const s of [process.stdout, process.stderr]) {
    s.on('error', (e) => {
      if (!READER_GONE.has(e.code)) throw e;
    });
  }
  done.then(exitWhenWritten);
}

exports.bundleFiles = bundleFiles;
exports.launch = launch;
exports.runCli = runCli;
exports.loadCli = loadCli;
