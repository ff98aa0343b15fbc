/**
 * The patient's body: the structure set's EXTERNAL ROI (or a ROI named BODY, External, Skin, Outer
 * contour or Patient), else the CT voxels above -500 HU (air, couch-free CT assumed). One rule for
 * planning (the normal-tissue region) and for dose computation (dose is computed inside the body even
 * in gas pockets, and in every non-air voxel).
 */

import type { ScalarVolume } from './volume.js';
import { countVoxels, createMask, type Mask } from './volume.js';

const BODY_NAME = /^(body|external|skin|outer[_ ]?contour|patient)$/i;

/** CT number above which a voxel belongs to the body when no body ROI exists. */
export const BODY_THRESHOLD_HU = -500;

/** The body ROI of a structure set: by RT ROI Interpreted Type EXTERNAL, else by name. */
export function findBodyRoi<S extends { readonly name: string; readonly interpretedType: string }>(structures: readonly S[]): S | undefined {
  return structures.find((s) => s.interpretedType === 'EXTERNAL') ?? structures.find((s) => BODY_NAME.test(s.name.trim()));
}

/** The CT voxels above BODY_THRESHOLD_HU, on the CT grid. */
export function bodyMaskFromCt(ct: ScalarVolume): Mask {
  const m = createMask(ct.grid);
  for (let i = 0; i < m.data.length; i++) m.data[i] = ct.data[i]! > BODY_THRESHOLD_HU ? 1 : 0;
  return m;
}

export const isEmptyMask = (m: Mask): boolean => countVoxels(m) === 0;
