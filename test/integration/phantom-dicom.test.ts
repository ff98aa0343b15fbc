/**
 * The seed-case phantom through DICOM and back: masks -> RTSTRUCT (marching squares) -> read ->
 * rasterise keeps every structure (Dice, volume), the CT keeps its HU, and plastimatch rasterises
 * our RTSTRUCT to the same volumes as we do (an independent rasteriser: voxel-centre test per slice,
 * contours XOR-ed so that holes count as holes).
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameGrid } from '../../src/geometry/grid.js';
import { rasterizeToMask } from '../../src/geometry/rasterize.js';
import { maskVolumeCc, type Mask } from '../../src/geometry/volume.js';
import { readCtSeries, readStructureSet } from '../../src/io/dicom/read/index.js';
import type { CtSeries, StructureSet } from '../../src/io/dicom/model.js';
import { readNrrd } from '../../src/io/nrrd.js';
import { buildSeedPhantom, writePhantom, type SeedPhantom } from '../../src/phantom/index.js';
import { have, runTool, TOOLS } from '../helpers/external.js';

function dice(a: Mask, b: Mask): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] !== 0;
    const y = b.data[i] !== 0;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return (2 * both) / (na + nb);
}

let dir: string;
let phantom: SeedPhantom;
let ct: CtSeries;
let ss: StructureSet;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lattice-phantom-dicom-'));
  phantom = buildSeedPhantom({ voxelSizeMm: 3 });
  writePhantom(dir, phantom, 'dicom');
  const ctDir = join(dir, 'CT');
  ct = readCtSeries(readdirSync(ctDir).map((f) => join(ctDir, f)));
  ss = readStructureSet(join(dir, 'RTSTRUCT.dcm'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('seed-case phantom as DICOM', () => {
  it('reads back the CT on the same grid with the same HU (rounded to integers)', () => {
    expect(sameGrid(ct.hu.grid, phantom.grid, 1e-4)).toBe(true);
    let worst = 0;
    for (let i = 0; i < ct.hu.data.length; i++) {
      worst = Math.max(worst, Math.abs(ct.hu.data[i]! - Math.round(phantom.ct.data[i]!)));
    }
    expect(worst).toBe(0);
    expect(ss.frameOfReferenceUid).toBe(ct.frameOfReferenceUid);
  });

  it('mask -> RTSTRUCT -> mask keeps Dice >= 0.98 and volume within 1 % for every structure over 10 cc', () => {
    expect(ss.structures.map((s) => s.name)).toEqual(phantom.structures.map((s) => s.name));
    for (const original of phantom.structures) {
      const roi = ss.structures.find((s) => s.name === original.name)!;
      expect(roi.interpretedType).toBe(original.interpretedType);
      const back = rasterizeToMask(roi.contours, ct.hu.grid, { name: roi.name });
      const v0 = maskVolumeCc(original.mask);
      if (v0 <= 10) continue;
      const d = dice(original.mask, back);
      const dv = Math.abs(maskVolumeCc(back) / v0 - 1);
      expect(d, `${original.name} Dice`).toBeGreaterThanOrEqual(0.98);
      expect(dv, `${original.name} volume`).toBeLessThan(0.01);
    }
  });

  it.runIf(have(TOOLS.plastimatch))(
    'plastimatch rasterises our RTSTRUCT to within 1 % of our volumes for every structure over 10 cc',
    () => {
      const out = join(dir, 'plastimatch-masks');
      const r = runTool('plastimatch', [
        'convert',
        '--input',
        join(dir, 'RTSTRUCT.dcm'),
        '--referenced-ct',
        join(dir, 'CT'),
        '--output-prefix',
        out,
        '--prefix-format',
        'nrrd',
        // Our contours carry holes as separate contours (even-odd rule); plastimatch ORs by default.
        '--xor-contours',
      ]);
      expect(r.status, r.stderr).toBe(0);
      let compared = 0;
      for (const roi of ss.structures) {
        const ours = rasterizeToMask(roi.contours, ct.hu.grid, { name: roi.name });
        const oursCc = maskVolumeCc(ours);
        if (oursCc <= 10) continue;
        const theirs = readNrrd(join(out, `${roi.name}.nrrd`));
        const voxelCc = theirs.grid.spacingMm[0] * theirs.grid.spacingMm[1] * theirs.grid.spacingMm[2] / 1000;
        let n = 0;
        for (let i = 0; i < theirs.data.length; i++) if (theirs.data[i] !== 0) n++;
        const theirsCc = n * voxelCc;
        expect(Math.abs(theirsCc / oursCc - 1), `${roi.name}: plastimatch ${theirsCc.toFixed(2)} cc vs ours ${oursCc.toFixed(2)} cc`).toBeLessThan(0.01);
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(15);
    },
  );
});
