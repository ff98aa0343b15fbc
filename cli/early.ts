/**
 * What bin/lattice.js starts before it loads the bundled command line (this module is bundled apart
 * as dist/bundle/early.cjs, a few kB, by scripts/build-cli.mjs): for `lattice evaluate`, the DVH pool's
 * worker threads (src/evaluate/dvh-threads.ts), which then load while the command line loads (some 20
 * ms on the 2-vCPU test machine), in time to read the RT Dose while the case's other files are read.
 * The command takes them (main's `started`) when its pool has as many, and ends them otherwise; any
 * other command, or arguments this does not read as the command line will, start nothing. It also
 * holds the loader of the bundle's files with their code caches (src/core/code-cache.ts), which
 * bin/load-cli.js loads main.cjs with and the worker threads their entries.
 */

import { DEFAULT_THREADS, spawnDvhThreads, type DvhThreads } from '../src/evaluate/dvh-threads.js';

export { codeCacheOf, loadBundle, writeCodeCache } from '../src/core/code-cache.js';

/** What was started before the command line loaded. */
export interface Started {
  readonly dvhThreads?: DvhThreads;
}

/** The value of --threads in `lattice evaluate` arguments (after the command), when it is a positive integer; null when absent; undefined when unreadable. */
export function threadsArgument(args: readonly string[]): number | null | undefined {
  let value: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a === '--threads') value = args[++i] ?? '';
    else if (a.startsWith('--threads=')) value = a.slice('--threads='.length);
  }
  if (value === null) return null;
  return /^[0-9]+$/.test(value) && Number(value) >= 1 ? Number(value) : undefined;
}

/** Start what the command in process.argv-style `argv` will need (see the header). */
export function prestart(argv: readonly string[]): Started {
  if (argv[2] !== 'evaluate') return {};
  const asked = threadsArgument(argv.slice(3));
  const threads = asked === null ? DEFAULT_THREADS : asked;
  return threads !== undefined && threads > 1 ? { dvhThreads: spawnDvhThreads(threads) } : {};
}
