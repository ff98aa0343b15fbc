/**
 * A small DICOM case for the evaluate command and the dicompyler-core comparison, written by code
 * (never a stored binary): a 64 x 64 x 32 water CT of 2.5 mm voxels, mask structures (GTV ball
 * R 20 mm, two 15 mm spheres, a valley, a 'Liver' ball R 35 mm and a 'Small Bowel' ball R 10 mm)
 * written as RTSTRUCT contours on the CT slices, and an RT Dose (PLAN, Gy) on the CT grid:
 * 20 Gy in the GTV falling off outside, plus Gaussian peaks of 46.7 Gy at the two spheres.
 */

import { join } from 'node:path';
import { createGrid, indexToLps } from '../../src/geometry/grid.js';
import type { MaskStructure } from '../../src/geometry/structure.js';
import { createMask, createScalarVolume, type ScalarVolume } from '../../src/geometry/volume.js';
import { writeCase } from '../../src/io/dicom/write/case.js';
import { writeRtDose } from '../../src/io/dicom/write/rtdose.js';
import { deriveUid, frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../../src/io/dicom/uid.js';

export interface WrittenEvaluationCase {
  readonly dir: string;
  readonly rtstructFile: string;
  readonly rtdoseFile: string;
  /** The same dose in another frame of reference, written outside `dir`. */
  readonly foreignDoseFile: string;
}

export function writeEvaluationCase(dir: string): WrittenEvaluationCase {
  const seed = 'evaluate-test-case';
  const grid = createGrid({ size: [64, 64, 32], spacingMm: [2.5, 2.5, 2.5], originMm: [-78.75, -78.75, -38.75] });
  const ct = createScalarVolume(grid);
  const balls: { name: string; type: MaskStructure['interpretedType']; c: [number, number, number]; r: number }[] = [
    { name: 'GTV', type: 'GTV', c: [0, 0, 0], r: 20 },
    { name: 'Sphere_1', type: 'PTV', c: [10, 0, 0], r: 7.5 },
    { name: 'Sphere_2', type: 'PTV', c: [-10, 0, 0], r: 7.5 },
    { name: 'Liver', type: 'ORGAN', c: [0, 0, 0], r: 35 },
    { name: 'Small Bowel', type: 'ORGAN', c: [0, 50, 0], r: 10 },
  ];
  const masks = balls.map(() => createMask(grid));
  const valley = createMask(grid);
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const x = indexToLps(grid, [i, j, k]);
    balls.forEach((b, n) => {
      if ((x[0] - b.c[0]) ** 2 + (x[1] - b.c[1]) ** 2 + (x[2] - b.c[2]) ** 2 <= b.r * b.r) masks[n]!.data[p] = 1;
    });
    valley.data[p] = masks[0]!.data[p]! === 1 && masks[1]!.data[p] === 0 && masks[2]!.data[p] === 0 ? 1 : 0;
  }
  const structures: MaskStructure[] = balls.map((b, n) => ({ name: b.name, interpretedType: b.type, colorRgb: [255, 0, 0], mask: masks[n]! }));
  structures.push({ name: 'Valley', interpretedType: 'CTV', colorRgb: [0, 0, 255], mask: valley });
  const written = writeCase(dir, {
    ct,
    structures,
    patientId: 'EVAL-1',
    patientName: 'Evaluate^Test',
    structureSetLabel: 'EVAL',
    seed,
  });
  const dose = createScalarVolume(grid);
  p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const [x, y, z] = indexToLps(grid, [i, j, k]);
    const peak = (cx: number): number => 46.7 * Math.exp(-((x - cx) ** 2 + y * y + z * z) / (2 * 4 * 4));
    dose.data[p] = 20 * Math.exp(-Math.max(0, Math.hypot(x, y, z) - 20) / 12) + peak(10) + peak(-10);
  }
  const rtdoseFile = writePlanDose(join(dir, 'RTDOSE.dcm'), { seed, patientId: 'EVAL-1', patientName: 'Evaluate^Test' }, dose);
  const foreignDoseFile = writePlanDose(`${dir}-foreign-RTDOSE.dcm`, { seed, patientId: 'EVAL-1', patientName: 'Evaluate^Test' }, dose, {
    series: 'RTDOSE-foreign',
    frameSeed: 'another-frame',
  });
  return { dir, rtstructFile: written.rtstructFile, rtdoseFile, foreignDoseFile };
}

/**
 * A PLAN RT Dose (Gy) of a case written by writeCase with `seed`: its study, frame of reference and
 * patient, a series of its own (`series`, default 'RTDOSE'), a referenced plan derived from the seed;
 * `frameSeed` puts it in another frame of reference. Returns the file.
 */
export function writePlanDose(
  file: string,
  c: { readonly seed: string; readonly patientId: string; readonly patientName: string },
  dose: ScalarVolume,
  options: { readonly series?: string; readonly frameSeed?: string } = {},
): string {
  const studyInstanceUid = studyInstanceUidFor(c.seed);
  writeRtDose(
    {
      patientId: c.patientId,
      patientName: c.patientName,
      studyInstanceUid,
      seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, options.series ?? 'RTDOSE'),
      frameOfReferenceUid: frameOfReferenceUidFor(options.frameSeed ?? c.seed),
      dose,
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: deriveUid(c.seed, 'plan'),
    },
    file,
  );
  return file;
}
