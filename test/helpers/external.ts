/**
 * External tools the tests compare against (dciodvfy, dcmtk, plastimatch, Debian's python3 with
 * pydicom / dicompyler-core). A test that needs one runs whenever it is present. With CI=true a
 * missing tool is a failure; elsewhere the test is skipped with a message naming the Debian package.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface ExternalTool {
  /** Command to run (absolute path for Debian's python3). */
  readonly command: string;
  /** Debian package that provides it. */
  readonly debianPackage: string;
  /** Arguments of a cheap call that succeeds when the tool works. */
  readonly probe: readonly string[];
}

export const TOOLS = {
  dciodvfy: { command: 'dciodvfy', debianPackage: 'dicom3tools', probe: ['-'] },
  dcmdump: { command: 'dcmdump', debianPackage: 'dcmtk', probe: ['--version'] },
  plastimatch: { command: 'plastimatch', debianPackage: 'plastimatch', probe: ['--version'] },
  pydicom: { command: '/usr/bin/python3', debianPackage: 'python3-pydicom', probe: ['-c', 'import pydicom'] },
  dicompylercore: {
    command: '/usr/bin/python3',
    debianPackage: 'python3-dicompylercore',
    probe: ['-c', 'import dicompylercore.dvhcalc'],
  },
  scipy: { command: '/usr/bin/python3', debianPackage: 'python3-scipy', probe: ['-c', 'import scipy.optimize'] },
} as const satisfies Record<string, ExternalTool>;

const cache = new Map<string, boolean>();

function works(tool: ExternalTool): boolean {
  const key = `${tool.command} ${tool.probe.join(' ')}`;
  let ok = cache.get(key);
  if (ok === undefined) {
    if (tool.command.startsWith('/') && !existsSync(tool.command)) ok = false;
    else {
      const r = spawnSync(tool.command, [...tool.probe], { stdio: 'ignore', timeout: 20_000 });
      // dciodvfy exits non-zero on a bad argument but exists; only ENOENT means missing.
      ok = r.error === undefined && (tool.command === 'dciodvfy' || r.status === 0);
    }
    cache.set(key, ok);
  }
  return ok;
}

/**
 * Whether the tool is available. Missing: throws under CI=true, otherwise prints why and returns
 * false so the caller can skip (`it.skipIf(!have(TOOLS.x))` or `describe.runIf(have(TOOLS.x))`).
 */
export function have(tool: ExternalTool): boolean {
  if (works(tool)) return true;
  const msg = `external tool '${tool.command} ${tool.probe.join(' ')}' is missing: install Debian package ${tool.debianPackage}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: a missing tool is a failure)`);
  console.warn(`skipping: ${msg}`);
  return false;
}

/** Run a tool and return stdout/stderr/status (no shell). */
export function runTool(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number } = {},
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(command, [...args], {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}
