/**
 * A small lattice case for the viewer tests, made by the CLI itself (in-process): the seed phantom
 * at 5 mm voxels, `lattice place` (one ROI per vertex: Vertex_01 ...), a synthetic RT Dose and
 * `lattice evaluate` (report.json). The dose is analytic, not planned (a plan takes too long for a
 * test): 20 Gy * exp(-r^2 / (2 * 40^2)) about the GTV centroid plus 46.7 Gy Gaussian peaks
 * (sigma 5 mm) at the vertex centres, on a grid that is the CT grid cropped by whole voxels (every
 * dose voxel centre is a CT voxel centre, so a readout at a CT voxel equals a stored dose value).
 *
 * Layout (as lattice demo's): DIR/phantom (CT, RTSTRUCT), DIR/plan (RTSTRUCT with the vertices,
 * vertices.json, RTDOSE.dcm), DIR/plan/eval (report.json, report.md, report.html).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import { createScalarVolume } from '../../src/geometry/volume.js';
import { readDicomCase } from '../../src/io/dicom/case.js';
import { writeRtDose } from '../../src/io/dicom/write/rtdose.js';

export interface ViewFixture {
  readonly dir: string;
  readonly doseFile: string;
  readonly vertexCentres: readonly (readonly [number, number, number])[];
}

async function lattice(...args: string[]): Promise<void> {
  const log = console.log, err = console.error;
  console.log = () => undefined;
  console.error = () => undefined;
  let code: number;
  try {
    code = await main(['node', 'lattice', ...args]);
  } finally {
    console.log = log;
    console.error = err;
  }
  if (code !== 0) throw new Error(`lattice ${args.join(' ')} exited ${code}`);
}

export async function makeViewFixture(dir: string): Promise<ViewFixture> {
  const phantom = join(dir, 'phantom'), plan = join(dir, 'plan');
  await lattice('phantom', '--out', phantom, '--voxel', '5');
  await lattice('place', phantom, '--target', 'GTV', '--vertex-rois', '--no-progress', '--out', plan);
  const audit = JSON.parse(readFileSync(join(plan, 'vertices.json'), 'utf8')) as {
    target: { centroidLps: [number, number, number] };
    vertices: { centreLps: [number, number, number] }[];
  };
  const centres = audit.vertices.map((v) => v.centreLps);
  const c = readDicomCase(phantom);
  const ct = c.ct.hu.grid;
  const crop = 2;
  const grid = createGrid({
    size: [ct.size[0] - 2 * crop, ct.size[1] - 2 * crop, ct.size[2] - 2 * crop],
    spacingMm: ct.spacingMm,
    originMm: indexToLps(ct, [crop, crop, crop]),
    direction: ct.direction,
  });
  const data = new Float32Array(grid.size[0] * grid.size[1] * grid.size[2]);
  const g0 = audit.target.centroidLps;
  let n = 0;
  for (let k = 0; k < grid.size[2]; k++) {
    for (let j = 0; j < grid.size[1]; j++) {
      for (let i = 0; i < grid.size[0]; i++) {
        const p = indexToLps(grid, [i, j, k]);
        const r2 = (p[0] - g0[0]) ** 2 + (p[1] - g0[1]) ** 2 + (p[2] - g0[2]) ** 2;
        let peak = 0;
        for (const v of centres) peak = Math.max(peak, Math.exp(-((p[0] - v[0]) ** 2 + (p[1] - v[1]) ** 2 + (p[2] - v[2]) ** 2) / (2 * 5 ** 2)));
        data[n++] = 20 * Math.exp(-r2 / (2 * 40 ** 2)) + 46.7 * peak;
      }
    }
  }
  const doseFile = join(plan, 'RTDOSE.dcm');
  writeRtDose(
    {
      patientId: c.ct.patientId,
      patientName: c.ct.patientName,
      studyInstanceUid: c.ct.studyInstanceUid,
      seriesInstanceUid: '2.25.313370000000000000000000000000000001',
      frameOfReferenceUid: c.ct.frameOfReferenceUid,
      dose: createScalarVolume(grid, data),
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: '2.25.313370000000000000000000000000000002',
    },
    doseFile,
  );
  await lattice('evaluate', dir, '--out', join(plan, 'eval'), '--fractions-planned', '5', '--prescription', 'PTV_2000=20');
  return { dir, doseFile, vertexCentres: centres };
}
