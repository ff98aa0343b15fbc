/**
 * A CT with its structures as a folder of NRRD files plus `structures.json`:
 *   ct.nrrd                      CT in HU (int16, gzip)
 *   structures/<name>.nrrd       one uint8 mask per structure (gzip)
 *   structures.json              name, RT ROI interpreted type, colour, file and volume (cc) of each
 * Every file is written atomically (temporary name, then rename).
 */

import { join } from 'node:path';
import { FormatError } from '../core/errors.js';
import type { Grid } from '../geometry/grid.js';
import type { MaskStructure } from '../geometry/structure.js';
import { maskVolumeCc, type ScalarVolume } from '../geometry/volume.js';
import { writeFileAtomic } from './atomic.js';
import { writeNrrd } from './nrrd.js';

export interface VolumeSetEntry {
  readonly name: string;
  readonly interpretedType: string;
  readonly colorRgb: readonly [number, number, number];
  readonly file: string;
  readonly volumeCc: number;
}

export interface VolumeSetIndex {
  readonly format: 'lattice-rt volume set';
  readonly version: 1;
  readonly coordinates: 'DICOM LPS, mm; origin = centre of voxel 0';
  readonly grid: Grid;
  readonly ct: string;
  readonly structures: readonly VolumeSetEntry[];
}

/** A file-system-safe name for a structure (letters, digits, _ - . kept). */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]+/g, '_');
  return s.length > 0 && s !== '.' && s !== '..' ? s : 'structure';
}

/** Round a HU volume to int16 (HU fits in -32768..32767). */
function huToInt16(ct: ScalarVolume): Int16Array {
  const out = new Int16Array(ct.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(ct.data[i]!);
    out[i] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
  }
  return out;
}

export function writeVolumeSet(dir: string, ct: ScalarVolume, structures: readonly MaskStructure[]): VolumeSetIndex {
  const seen = new Set<string>();
  const entries: VolumeSetEntry[] = [];
  for (const s of structures) {
    const file = `structures/${safeFileName(s.name)}.nrrd`;
    if (seen.has(file)) {
      throw new FormatError(`two structures map to the same file name ${file}; rename one`, { structure: s.name });
    }
    seen.add(file);
    entries.push({
      name: s.name,
      interpretedType: s.interpretedType,
      colorRgb: s.colorRgb,
      file,
      volumeCc: Number(maskVolumeCc(s.mask).toFixed(3)),
    });
  }
  writeNrrd(join(dir, 'ct.nrrd'), { grid: ct.grid, data: huToInt16(ct) }, { gzip: true, content: 'CT (HU)' });
  structures.forEach((s, n) => {
    writeNrrd(join(dir, entries[n]!.file), s.mask, { gzip: true, content: s.name });
  });
  const index: VolumeSetIndex = {
    format: 'lattice-rt volume set',
    version: 1,
    coordinates: 'DICOM LPS, mm; origin = centre of voxel 0',
    grid: ct.grid,
    ct: 'ct.nrrd',
    structures: entries,
  };
  writeFileAtomic(join(dir, 'structures.json'), `${JSON.stringify(index, null, 2)}\n`);
  return index;
}
