/** The command line: exit codes, one-line typed errors, and the phantom / info round trip. */

import { mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const writeOut = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  try {
    const code = await main(['node', 'lattice', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
    writeOut.mockRestore();
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lattice CLI', () => {
  it('writes the phantom as NRRD with a structure list whose volumes match the printed table', async () => {
    const out = join(dir, 'nrrd');
    const r = await run('phantom', '--out', out, '--format', 'nrrd', '--voxel', '5');
    expect(r.code, r.err).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'structures.json'), 'utf8')) as {
      structures: { name: string; volumeCc: number; file: string }[];
    };
    const gtv = index.structures.find((s) => s.name === 'GTV')!;
    expect(r.out).toMatch(new RegExp(`GTV\\s+GTV\\s+${gtv.volumeCc.toFixed(2)}`));
    expect(readdirSync(join(out, 'structures'))).toContain('GTV.nrrd');
  });

  it('writes the phantom as DICOM by default and `info` lists its ROIs with volumes', async () => {
    const out = join(dir, 'dicom');
    expect((await run('phantom', '--out', out, '--voxel', '5')).code).toBe(0);
    const r = await run('info', out, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as { patients: { studies: { series: { modality: string; structureSets?: { rois: { name: string; volumeCc?: number }[] }[] }[] }[] }[] };
    const series = summary.patients[0]!.studies[0]!.series;
    expect(series.map((s) => s.modality)).toEqual(['CT', 'RTSTRUCT']);
    const rois = series[1]!.structureSets![0]!.rois;
    expect(rois.map((x) => x.name)).toContain('PTV_2000');
    expect(rois.every((x) => x.volumeCc !== undefined && x.volumeCc > 0)).toBe(true);
  });

  it('reports a missing input as one typed error line and exit code 1', async () => {
    const r = await run('info', join(dir, 'does-not-exist'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^lattice: DicomError: .*does-not-exist/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('rejects a bad option value naming the option', async () => {
    const r = await run('phantom', '--out', join(dir, 'x'), '--voxel', '-1');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--voxel expects a positive number, found '-1'/);
  });
});
