/**
 * What the launcher starts before it loads the bundled CLI (cli/early.ts): the DVH threads of
 * `lattice evaluate`, as many as its --threads will ask for (read as the command line reads it:
 * `--threads N` or `--threads=N`, the last one given, a positive integer), none for other commands or
 * for a --threads the command line will refuse.
 */

import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { prestart, threadsArgument } from '../../cli/early.js';
import { endDvhThreads } from '../../src/evaluate/dvh-threads.js';

describe('the launcher\'s early start', () => {
  it('reads --threads as the command line does', () => {
    expect(threadsArgument(['case', '--out', 'o'])).toBeNull();
    expect(threadsArgument(['case', '--threads', '3'])).toBe(3);
    expect(threadsArgument(['case', '--threads=4', '--out', 'o'])).toBe(4);
    expect(threadsArgument(['--threads', '2', 'case', '--threads', '1'])).toBe(1);
    for (const bad of ['0', '-1', '1.5', 'x', '']) expect(threadsArgument(['case', '--threads', bad]), bad).toBeUndefined();
    expect(threadsArgument(['case', '--threads'])).toBeUndefined();
    // after '--' an argument is no option
    expect(threadsArgument(['--', '--threads', '3'])).toBeNull();
  });

  it('starts the DVH threads of lattice evaluate, and nothing for other commands', async () => {
    const argv = (...args: string[]): string[] => ['node', 'lattice', ...args];
    expect(prestart(argv('place', 'case', '--threads', '3'))).toEqual({});
    expect(prestart(argv('evaluate', 'case', '--threads', '1'))).toEqual({});
    expect(prestart(argv('evaluate', 'case', '--threads', 'many'))).toEqual({});
    const three = prestart(argv('evaluate', 'case', '--threads=3')).dvhThreads!;
    expect(three.workers.length).toBe(2);
    const byDefault = prestart(argv('evaluate', 'case'));
    expect(byDefault.dvhThreads?.workers.length ?? 0).toBe(Math.min(2, availableParallelism()) - 1);
    const workers = [...three.workers, ...(byDefault.dvhThreads?.workers ?? [])];
    const exits = workers.map((w) => once(w.worker, 'exit'));
    endDvhThreads(three);
    if (byDefault.dvhThreads !== undefined) endDvhThreads(byDefault.dvhThreads);
    await Promise.all(exits);
  }, 60_000);
});
