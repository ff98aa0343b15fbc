/**
 * `lattice plan`'s report.html gains the snapshots through the beams' isocentre (issue 13 §2): a
 * short plan (4 beams, 3 iterations) of the seed case on the 5 mm phantom; the isocentre is the
 * primary target's centroid (planCase's default), read here with the same maskCentroidLps.
 */

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskCentroidLps } from '../../src/geometry/volume.js';
import { buildSeedPhantom, writePhantom } from '../../src/phantom/index.js';
import { equispacedAngles } from '../../src/plan/beams.js';
import { planCase, type PlanCaseResult } from '../../src/plan/run-case.js';

let r: PlanCaseResult;
let html: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-report-plan-'));
  const caseDir = join(dir, 'phantom');
  writePhantom(caseDir, buildSeedPhantom({ voxelSizeMm: 5 }), 'dicom');
  r = planCase(caseDir, { outDir: join(dir, 'out'), beams: equispacedAngles(4), maxIterations: 3, threads: 1, gridMm: 5, delivery: 'fluence' });
  html = readFileSync(r.files.reportHtml, 'utf8');
}, 60_000);

describe('lattice plan report.html', () => {
  it("has the three views through the beams' isocentre and through the hottest sphere", () => {
    const figs = [...html.matchAll(/<figure class="snapshot" data-view="(\w+)" data-through="([^"]+)">([\s\S]*?)<\/figure>/g)];
    expect(figs.map((m) => `${m[1]}@${m[2]}`)).toEqual([
      'axial@isocentre', 'coronal@isocentre', 'sagittal@isocentre',
      'axial@hottest sphere', 'coronal@hottest sphere', 'sagittal@hottest sphere',
    ]);
    expect(html.match(/<image [^>]*href="data:image\/png;base64,/g)?.length).toBe(6);
    const iso = maskCentroidLps(r.structures.primary.mask)!;
    expect(figs[0]![3]).toContain(`the beams' isocentre; LPS ${[iso[0], iso[1], iso[2]].map((v) => v.toFixed(1)).join(', ')} mm`);
    // the low prescription (the template's 20 Gy to PTV_2000) is one of the isodose lines
    expect(html).toMatch(/data-level="Rx 20 Gy"/);
    // the per-sphere table lists every sphere of the evaluation
    for (const p of r.evaluation.sfrt!.planned.physical.perSphere) expect(html).toContain(`<td class="">${p.name}</td><td class="">${p.volumeCc.toFixed(3)}</td>`);
  });
});
