/**
 * Write the seed-case phantom to a folder, as DICOM (CT series + RTSTRUCT, the default) or as NRRD
 * volumes plus structures.json. Both forms are written file by file through temporary names.
 */

import { writeCase, type WrittenCase } from '../io/dicom/write/case.js';
import { writeVolumeSet, type VolumeSetIndex } from '../io/volume-set.js';
import type { SeedPhantom } from './seed-case.js';

export type PhantomFormat = 'dicom' | 'nrrd';

export const PHANTOM_FORMATS: readonly PhantomFormat[] = ['dicom', 'nrrd'];

export type WrittenPhantom =
  | { readonly format: 'dicom'; readonly written: WrittenCase }
  | { readonly format: 'nrrd'; readonly written: VolumeSetIndex };

export function writePhantom(dir: string, phantom: SeedPhantom, format: PhantomFormat = 'dicom'): WrittenPhantom {
  if (format === 'nrrd') return { format, written: writeVolumeSet(dir, phantom.ct, phantom.structures) };
  const d = phantom.description;
  return {
    format,
    written: writeCase(dir, {
      ct: phantom.ct,
      structures: phantom.structures,
      patientId: 'LATTICE-PHANTOM',
      patientName: 'Phantom^SeedCase',
      studyDescription: "lattice-rt seed-case phantom (research use only)",
      structureSetLabel: 'SEED_CASE',
      seed: `seed-case phantom ${d.voxelSizeMm.join('x')} mm, seed ${d.seed}`,
    }, { studyId: 'SEEDCASE' }),
  };
}
