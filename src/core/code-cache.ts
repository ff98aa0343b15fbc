/**
 * The bundled command line's files (dist/bundle/*.cjs, scripts/build-cli.mjs) loaded with V8's code
 * cache, NAME.cache beside NAME.cjs: the functions a run needs are read already compiled instead of
 * parsed and compiled again in every process. bin/load-cli.js loads main.cjs so (through early.cjs,
 * which bundles this module), and a worker thread started on a bundled entry (src/core/worker-spawn.ts)
 * its entry, dvh-worker.cjs. The caches are written at build by scripts/warm-cli.mjs after a run of
 * `lattice evaluate` (the DVH worker's by the worker itself as it ends, when the run's environment has
 * LATTICE_WORKER_CODE_CACHE=write).
 *
 * V8 checks a cache against its own version and flags but the source only by its length, so a cache
 * file starts with the size and modification time of the source file it was made from and the SHA-256
 * of its bytes: a source file of that size and time is taken as the one (no hash, node:crypto not
 * loaded: some 5 ms of every run on the 2-vCPU test machine, bench/README.md fourteenth session);
 * another (a copy of the folder, with new times) is used only if its bytes have that digest, so an
 * edited or rebuilt bundle never runs on an old cache. A cache that does not match, or none, only
 * costs the compile.
 */

import { closeSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { threadId } from 'node:worker_threads';

/** A bundled file's code cache: NAME.cache beside NAME.cjs. */
export const codeCacheOf = (source: string): string => `${source.replace(/\.cjs$/, '')}.cache`;

/** A cache file's header: the source file's stamp (sourceStamp, 16 bytes), then its digest (32 bytes). */
const STAMP_BYTES = 16;
const HEADER_BYTES = STAMP_BYTES + 32;

/** A source file's size and modification time (ms, fs.Stats), float64 each: how a cache file starts. */
function sourceStamp(stats: Stats): Buffer {
  const stamp = Buffer.alloc(STAMP_BYTES);
  stamp.writeDoubleLE(stats.size, 0);
  stamp.writeDoubleLE(stats.mtimeMs, 8);
  return stamp;
}

/** The SHA-256 of a source file's bytes (32 bytes), after its stamp in a cache file. node:crypto is loaded only here. */
function digest(sourceBytes: Buffer): Buffer {
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(sourceBytes).digest();
}

/**
 * V8's cached data in the cache file `bytes` when it was made for this source file, else undefined:
 * the same size and modification time, or else (a copy) the same digest of its bytes.
 */
function cachedDataFor(stamp: Buffer, sourceBytes: Buffer, bytes: Buffer): Buffer | undefined {
  if (bytes.length <= HEADER_BYTES) return undefined;
  const same = stamp.equals(bytes.subarray(0, STAMP_BYTES)) || digest(sourceBytes).equals(bytes.subarray(STAMP_BYTES, HEADER_BYTES));
  return same ? bytes.subarray(HEADER_BYTES) : undefined;
}

/** A bundled file loaded by loadBundle. */
export interface LoadedBundle {
  /** The file's module.exports. */
  readonly exports: Record<string, unknown>;
  /** Its source file. */
  readonly source: string;
  /** The compiled script: writeCodeCache saves what it has compiled so far. */
  readonly script: Script;
  /** The source file's stamp and bytes (read from one open file). */
  readonly sourceStamp: Buffer;
  readonly sourceBytes: Buffer;
  /** Whether a cache was used (present, made for this source file, accepted by V8). */
  readonly cacheUsed: boolean;
}

/**
 * Load a bundled CommonJS file (run in this context, as Node runs a CommonJS module) with its code
 * cache (codeCacheOf); `useCache` false ignores the cache.
 */
export function loadBundle(source: string, useCache = true): LoadedBundle {
  const fd = openSync(source, 'r');
  let sourceBytes: Buffer, stamp: Buffer;
  try {
    stamp = sourceStamp(fstatSync(fd));
    sourceBytes = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  let cachedData: Buffer | undefined;
  if (useCache) {
    try {
      cachedData = cachedDataFor(stamp, sourceBytes, readFileSync(codeCacheOf(source)));
    } catch {
      cachedData = undefined;
    }
  }
  // the bundles are ASCII (esbuild escapes the rest): read as Latin-1, which needs no UTF-8 decoding
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${sourceBytes.toString('latin1')}\n})`, {
    filename: source,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...a: unknown[]) => void)(module.exports, createRequire(source), module, source, dirname(source));
  return { exports: module.exports, source, script, sourceStamp: stamp, sourceBytes, cacheUsed: cachedData !== undefined && script.cachedDataRejected !== true };
}

/**
 * Write a loaded bundle's code cache (what its script has compiled so far) beside it: a temporary file
 * of this process and thread (several workers on one entry may write at once), then renamed.
 */
export function writeCodeCache(loaded: LoadedBundle): void {
  const cache = codeCacheOf(loaded.source);
  const temporary = `${cache}.${process.pid}-${threadId}.tmp`;
  writeFileSync(temporary, Buffer.concat([loaded.sourceStamp, digest(loaded.sourceBytes), loaded.script.createCachedData()]));
  renameSync(temporary, cache);
}
