// Load the bundled command line (dist/bundle/main.cjs, built by scripts/build-cli.mjs) with V8's code
// cache (main.cache beside it, written at build by scripts/warm-cli.mjs): the functions a run needs
// are read already compiled instead of parsed and compiled again in every process (bench/README.md).
// V8 checks a cache against its own version and flags but the source only by its length, so the cache
// file starts with the size and modification time of the source file it was made from and the SHA-256
// of its bytes: a source file of that size and time is taken as the one (no hash, node:crypto not
// loaded: some 5 ms of every run on the 2-vCPU test machine, bench/README.md fourteenth session);
// another (a copy of the folder, with new times) is used only if its bytes have that digest, so an
// edited or rebuilt bundle never runs on an old cache. A cache that does not match, or none, only
// costs the compile.
// CommonJS (bin/package.json), as bin/lattice.js: a process started on a CommonJS file does not set up
// the ES module loader, some 15 ms of a run.
'use strict';
const { closeSync, fstatSync, openSync, readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

/** The bundle's file and its cache's in `dir`, and the launcher's early start (cli/early.ts). */
const bundleFiles = (dir) => ({ source: join(dir, 'main.cjs'), cache: join(dir, 'main.cache'), early: join(dir, 'early.cjs') });

/** A cache file's header: the source file's stamp (sourceStamp, 16 bytes), then its digest (32 bytes). */
const STAMP_BYTES = 16;
const HEADER_BYTES = STAMP_BYTES + 32;

/** A source file's size and modification time (ms, fs.Stats), float64 each: how a cache file starts. */
function sourceStamp(stats) {
  const stamp = Buffer.alloc(STAMP_BYTES);
  stamp.writeDoubleLE(stats.size, 0);
  stamp.writeDoubleLE(stats.mtimeMs, 8);
  return stamp;
}

/** The SHA-256 of a source file's bytes (32 bytes), after its stamp in a cache file. node:crypto is loaded only here. */
const digest = (sourceBytes) => require('node:crypto').createHash('sha256').update(sourceBytes).digest();

/** The bytes of a cache file for a source file (its stamp and bytes, as loadCli read them) and V8's cached data. */
const cacheFile = (stamp, sourceBytes, cachedData) => Buffer.concat([stamp, digest(sourceBytes), cachedData]);

/**
 * V8's cached data in the cache file `bytes` when it was made for this source file, else undefined:
 * the same size and modification time, or else (a copy) the same digest of its bytes.
 */
function cachedDataFor(stamp, sourceBytes, bytes) {
  if (bytes.length <= HEADER_BYTES) return undefined;
  const same = stamp.equals(bytes.subarray(0, STAMP_BYTES)) || digest(sourceBytes).equals(bytes.subarray(STAMP_BYTES, HEADER_BYTES));
  return same ? bytes.subarray(HEADER_BYTES) : undefined;
}

/**
 * Load the bundle in `dir` (a CommonJS module run in this context); `useCache` false ignores its cache.
 * Returns its exports, the compiled script (cacheFile(sourceStamp, sourceBytes, script.createCachedData())
 * is its cache), the source file's stamp and bytes (read from one open file), and whether a cache was
 * used (present, made for this source file, accepted by V8).
 */
function loadCli(dir, useCache = true) {
  const files = bundleFiles(dir);
  // the bytes and their stamp from one open file
  const fd = openSync(files.source, 'r');
  let sourceBytes, stamp;
  try {
    stamp = sourceStamp(fstatSync(fd));
    sourceBytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  const source = sourceBytes.toString('utf8');
  let cachedData;
  if (useCache) {
    try {
      cachedData = cachedDataFor(stamp, sourceBytes, readFileSync(files.cache));
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
  return { exports: module.exports, script, sourceStamp: stamp, sourceBytes, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
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
exports.cacheFile = cacheFile;
exports.loadCli = loadCli;
