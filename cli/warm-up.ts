/**
 * A small case the bundle's code cache is made on (scripts/warm-cli.mjs, at build): a 48 x 48 x 20 CT
 * of 2.5 mm voxels, a BODY ball (a large structure: the slab model), a GTV and a SpinalCord ball (small:
 * the interpolated model) and an RT Dose on the CT grid. `lattice evaluate` on it runs the code a
 * whole-process evaluation runs, so that V8 has compiled it when the cache is written. Nothing here
 * is read for its numbers.
 */

import { join } from 'node:path';
import { createGrid, indexToLps } from '../src/geometry/grid.js';
import type { MaskStructure } from '../src/geometry/structure.js';
import { createMask, createScalarVolume } from '../src/geometry/volume.js';
import { writeCase } from '../src/io/dicom/write/case.js';
import { writeRtDose } from '../src/io/dicom/write/rtdose.js';
import { deriveUid, frameOfReferenceUidFor, seriesInstanceUidFor, studyInstanceUidFor } from '../src/io/dicom/uid.js';

/** Write the case (CT/, RTSTRUCT.dcm, RTDOSE.dcm) into dir. */
export function writeWarmUpCase(dir: string): void {
  const seed = 'lattice-warm-up';
  const grid = createGrid({ size: [48, 48, 20], spacingMm: [2.5, 2.5, 2.5], originMm: [-58.75, -58.75, -23.75] });
  const ct = createScalarVolume(grid);
  const dose = createScalarVolume(grid);
  const balls = [
    { name: 'BODY', type: 'EXTERNAL', c: [0, 0, 0], r: 55 },
    { name: 'GTV', type: 'GTV', c: [0, 0, 0], r: 12 },
    { name: 'SpinalCord', type: 'ORGAN', c: [0, 35, 0], r: 6 },
  ] as const;
  const masks = balls.map(() => createMask(grid));
  const [nx, ny, nz] = grid.size;
  let p = 0;
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++, p++) {
    const [x, y, z] = indexToLps(grid, [i, j, k]);
    balls.forEach((b, n) => {
      if ((x - b.c[0]) ** 2 + (y - b.c[1]) ** 2 + (z - b.c[2]) ** 2 <= b.r * b.r) masks[n]!.data[p] = 1;
    });
    ct.data[p] = masks[0]!.data[p] === 1 ? 0 : -1000;
    dose.data[p] = 8 * Math.exp(-(x * x + y * y + z * z) / (2 * 15 * 15));
  }
  const structures: MaskStructure[] = balls.map((b, n) => ({ name: b.name, interpretedType: b.type, colorRgb: [255, 0, 0], mask: masks[n]! }));
  const patient = { patientId: 'WARM-UP', patientName: 'Warm^Up' };
  writeCase(dir, { ct, structures, ...patient, structureSetLabel: 'WARM-UP', seed });
  const studyInstanceUid = studyInstanceUidFor(seed);
  writeRtDose(
    {
      ...patient,
      studyInstanceUid,
      seriesInstanceUid: seriesInstanceUidFor(studyInstanceUid, 'RTDOSE'),
      frameOfReferenceUid: frameOfReferenceUidFor(seed),
      dose,
      summationType: 'PLAN',
      referencedPlanSopInstanceUid: deriveUid(seed, 'plan'),
    },
    join(dir, 'RTDOSE.dcm'),
  );
}
