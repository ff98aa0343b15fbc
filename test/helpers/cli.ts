/**
 * The `lattice` command line run in-process, as a test sees it: the exit code and what the command
 * printed on stdout (console.log) and stderr (console.error), each joined by newlines.
 */

import { vi } from 'vitest';
import { main } from '../../cli/main.js';

export async function runLattice(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
