/**
 * Every command that writes a folder (--out) refuses a file in its place, or a file above it, with
 * one typed error line naming the path and exit code 1: never "internal error: ENOTDIR" (issue 10 §6).
 * The check comes before any input is read or anything is computed, and creates nothing.
 */

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    return { code: await main(['node', 'lattice', ...args]), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

let dir: string;
let caseDir: string;
let file: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-out-errors-'));
  caseDir = join(dir, 'case');
  writePhantom(caseDir, buildSeedPhantom({ voxelSizeMm: 10 }), 'dicom');
  file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commands: [string, (out: string) => string[]][] = [
  ['phantom', (out) => ['phantom', '--out', out, '--voxel', '10']],
  ['place', (out) => ['place', caseDir, '--target', 'GTV', '--out', out]],
  ['plan', (out) => ['plan', caseDir, '--out', out, '--max-iterations', '1', '--delivery', 'fluence', '--no-progress']],
  ['evaluate', (out) => ['evaluate', caseDir, '--out', out]],
  ['dose', (out) => ['dose', caseDir, '--out', out]],
  ['demo', (out) => ['demo', '--out', out, '--no-progress']],
];

describe('--out that is a file, or lies under a file', () => {
  for (const [name, args] of commands) {
    it(`${name}: --out FILE is one typed error line naming FILE, exit code 1`, async () => {
      const r = await run(...args(file));
      expect(r.code).toBe(1);
      expect(r.err).toBe(`lattice: FormatError: output folder ${file}: exists and is a file, not a folder`);
      expect(r.out).toBe('');
    });

    it(`${name}: --out FILE/sub names the file in the way, exit code 1`, async () => {
      const r = await run(...args(join(file, 'sub')));
      expect(r.code).toBe(1);
      expect(r.err).toBe(`lattice: FormatError: output folder ${join(file, 'sub')}: cannot be created: ${file} is a file, not a folder`);
      expect(r.err).not.toMatch(/internal error|ENOTDIR:/);
    });
  }

  it('nothing was written beside the file', () => {
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'case']);
  });
});
