import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPlace } from '../../cli/commands/place.js';
import { readStructureSet } from '../../src/io/dicom/read/rtstruct.js';
import { rasterizeToMask } from '../../src/geometry/rasterize.js';
import type { Grid } from '../../src/geometry/grid.js';
import { maskVolumeCc } from '../../src/geometry/volume.js';
import { contourVolumeCc } from '../../src/geometry/structure-set.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';

let dir: string;
let caseDir: string;
const inputRois: string[] = [];
let ctGrid: Grid;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-place-'));
  caseDir = join(dir, 'phantom');
  const phantom = buildSeedPhantom();
  writePhantom(caseDir, phantom, 'dicom');
  inputRois.push(...phantom.structures.map((s) => s.name));
  ctGrid = phantom.grid;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `lattice place ...` through commander; returns the exit code and what was printed. */
async function place(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let code = 0;
  const program = new Command().exitOverride();
  registerPlace(program, (c) => (code = c));
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    await program.parseAsync(['node', 'lattice', 'place', ...args]);
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('lattice place', () => {
  it('writes an RTSTRUCT with every input ROI plus the sphere union, each vertex and the valley, and vertices.json', async () => {
    const outDir = join(dir, 'out');
    const r = await place([caseDir, '--target', 'GTV', '--vertex-rois', '--out', outDir]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/vertices kept: \d+ \(\d+ intact, \d+ partial\)/);
    expect(r.out).toMatch(/ideal 1\.767 cc/);
    expect(r.out).toMatch(/total peak volume [\d.]+ cc as written \(voxel centres [\d.]+ cc = [\d.]+ % of GTV/);
    expect(r.out).toMatch(/minimum centre-to-centre distance [\d.]+ mm/);
    expect(r.out).toMatch(/nearest organ at risk: \S+, [\d.]+ mm from a sphere surface/);
    const audit = JSON.parse(readFileSync(join(outDir, 'vertices.json'), 'utf8'));
    const kept = audit.summary.kept as number;
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThanOrEqual(18);
    expect(audit.parameters.clearanceMeasured).toMatch(/sphere surface/);
    const ss = readStructureSet(join(outDir, 'RTSTRUCT.dcm'));
    const names = ss.structures.map((s) => s.name);
    const vertexNames = Array.from({ length: kept }, (_, n) => `Vertex_${String(n + 1).padStart(2, '0')}`);
    expect(names).toEqual([...inputRois, 'PTV_6670', ...vertexNames, 'Valley_GTV']);
    // The union written as contours rasterises back to the peak volume the audit reports.
    const union = ss.structures.find((s) => s.name === 'PTV_6670')!;
    const back = maskVolumeCc(rasterizeToMask(union.contours, ctGrid));
    expect(Math.abs(back - audit.summary.peakVolumeCc) / audit.summary.peakVolumeCc).toBeLessThan(0.02);
    // The audit's "as written" volumes are those of the written contours (slab convention), and the
    // spheres, 60 mm apart, do not overlap: their sum is the union's.
    expect(audit.summary.peakContourCc).toBeCloseTo(contourVolumeCc(union)!, 3);
    const sum = (audit.summary.spheres as { contourCc: number }[]).reduce((a, sp) => a + sp.contourCc, 0);
    expect(Math.abs(sum - audit.summary.peakContourCc)).toBeLessThan(0.002 * kept);
    expect(r.out).toContain(`written ROI PTV_6670: ${audit.summary.peakContourCc} cc`);
    for (const c of audit.candidates) expect(Object.keys(c)).toEqual(expect.arrayContaining(['centreLps', 'kept', 'reason', 'fractionInside', 'nearestOar', 'oarDistanceFromSurfaceMm']));
  });

  it('an unknown target lists the ROIs that exist', async () => {
    const r = await place([caseDir, '--target', 'GTV_big', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no target named "GTV_big"; the structure set holds "BODY", "GTV", "PTV_2000", "Liver"/);
  });

  it('refuses a spacing smaller than the diameter unless overlap is allowed', async () => {
    const r = await place([caseDir, '--target', 'GTV', '--spacing', '10', '--out', join(dir, 'bad2')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/InputError: spacing 10 mm is smaller than the vertex diameter 15 mm/);
  });
});
