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
import { createGrid, sameGrid } from '../../src/geometry/grid.js';
import type { ContourStructure, PlanarContour } from '../../src/geometry/structure.js';
import { rasterizeStructure, rasterizeToMask } from '../../src/geometry/rasterize.js';
import { createScalarVolume, maskVolumeCc, occupancyVolumeCc, type Mask } from '../../src/geometry/volume.js';
import { readCtSeries, readStructureSet } from '../../src/io/dicom/read/index.js';
import type { CtSeries, StructureSet } from '../../src/io/dicom/model.js';
import { readNrrd } from '../../src/io/nrrd.js';
import { referencedCtOf, writeCase, writeStructureSet } from '../../src/io/dicom/write/index.js';
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

describe('analytic structures through plastimatch', () => {
  it.runIf(have(TOOLS.plastimatch))(
    'plastimatch and lattice-rt rasterise sphere, ellipsoid and cylinder contours to within 1 % of each other',
    () => {
      const adir = mkdtempSync(join(tmpdir(), 'lattice-analytic-'));
      try {
        // CT: 2.5 mm voxels; contours are exact 128-gon sections on every CT slice, centres off-grid.
        const grid = createGrid({ size: [60, 60, 40], spacingMm: [2.5, 2.5, 2.5], originMm: [-74.3, -73.1, -50] });
        const ct = createScalarVolume(grid);
        const section = (cx: number, cy: number, ax: number, ay: number, z: number): PlanarContour => {
          const p = new Float64Array(128 * 3);
          for (let n = 0; n < 128; n++) {
            const t = (2 * Math.PI * n) / 128;
            p.set([cx + ax * Math.cos(t), cy + ay * Math.sin(t), z], 3 * n);
          }
          return { geometricType: 'CLOSED_PLANAR', pointsLps: p };
        };
        const slicesZ = Array.from({ length: 40 }, (_, k) => -50 + 2.5 * k);
        const shape = (name: string, f: (z: number) => [number, number] | undefined, cx: number, cy: number): ContourStructure => ({
          roiNumber: 0,
          name,
          interpretedType: 'ORGAN',
          contours: slicesZ.flatMap((z) => {
            const r = f(z);
            return r === undefined || r[0] < 1 ? [] : [section(cx, cy, r[0], r[1], z)];
          }),
        });
        const sphere = shape('Sphere', (z) => (Math.abs(z + 2.1) < 21 ? [Math.sqrt(21 ** 2 - (z + 2.1) ** 2), Math.sqrt(21 ** 2 - (z + 2.1) ** 2)] : undefined), -30.7, 20.2);
        const ellipsoid = shape('Ellipsoid', (z) => {
          const u = 1 - ((z - 5.3) / 30) ** 2;
          return u > 0 ? [28 * Math.sqrt(u), 16 * Math.sqrt(u)] : undefined;
        }, 25.4, -22.9);
        const cylinder = shape('Cylinder', (z) => (z > -30 && z < 20 ? [17.3, 17.3] : undefined), 28.1, 33.6);
        const structures = [sphere, ellipsoid, cylinder].map((s, n) => ({ ...s, roiNumber: n + 1 }));
        const w = writeCase(adir, {
          ct,
          structures: [],
          patientId: 'A',
          patientName: 'Analytic^Shapes',
          structureSetLabel: 'ANALYTIC',
          seed: 'analytic',
        });
        writeStructureSet({ label: 'ANALYTIC', structures, referencedCt: referencedCtOf(w.series) }, join(adir, 'RTSTRUCT.dcm'));
        const out = join(adir, 'plm');
        const r = runTool('plastimatch', ['convert', '--input', join(adir, 'RTSTRUCT.dcm'), '--referenced-ct', join(adir, 'CT'),
          '--output-prefix', out, '--prefix-format', 'nrrd', '--xor-contours']);
        expect(r.status, r.stderr).toBe(0);
        // Ours against geometry: the cylinder's 19 planes (z = -27.5 .. 17.5 mm, every 2.5 mm) are slabs
        // of 2.5 mm, so its occupancy volume is 19 x 2.5 mm x the 128-gon area 64 r² sin(2π/128).
        const cylinderCc = (19 * 2.5 * 64 * 17.3 ** 2 * Math.sin((2 * Math.PI) / 128)) / 1000;
        expect(cylinder.contours).toHaveLength(19);
        const oursCylinder = occupancyVolumeCc(rasterizeStructure(cylinder.contours, grid));
        expect(Math.abs(oursCylinder / cylinderCc - 1)).toBeLessThan(0.002);
        for (const s of structures) {
          const ours = maskVolumeCc(rasterizeToMask(s.contours, grid, { name: s.name }));
          const theirs = readNrrd(join(out, `${s.name}.nrrd`));
          let n = 0;
          for (let i = 0; i < theirs.data.length; i++) if (theirs.data[i] !== 0) n++;
          const theirsCc = (n * 2.5 ** 3) / 1000;
          expect(ours, s.name).toBeGreaterThan(10);
          expect(Math.abs(theirsCc / ours - 1), `${s.name}: plastimatch ${theirsCc.toFixed(2)} cc vs ours ${ours.toFixed(2)} cc`).toBeLessThan(0.01);
        }
      } finally {
        rmSync(adir, { recursive: true, force: true });
      }
    },
  );
});
