/**
 * HU -> relative electron density (RED, water = 1) by a piecewise-linear table.
 *
 * Input: CT in HU (Float32, any grid). Output: RED on the same grid. The default table is a generic
 * bilinear calibration of our own choosing (air 0, water 1 at 0 HU; above 0 HU a bone line reaching
 * RED 1.53 at 1000 HU and 2.6 at 3000 HU), close to published phantom inserts (lung ~0.2 at -800 HU,
 * cortical bone 1.78 near 1500 HU). Clinical use needs the scanner's own table: pass it as `table`.
 */

import { InputError, fmt } from '../core/errors.js';
import { createScalarVolume, type ScalarVolume } from '../geometry/volume.js';

export interface Hlut {
  /** Strictly increasing HU values. */
  readonly hu: readonly number[];
  /** RED at each HU point (>= 0). */
  readonly red: readonly number[];
}

export const DEFAULT_HLUT: Hlut = {
  hu: [-1024, -1000, 0, 1000, 3000],
  red: [0, 0.001, 1.0, 1.53, 2.6],
};

export function validateHlut(table: Hlut): void {
  if (table.hu.length < 2 || table.hu.length !== table.red.length) {
    throw new InputError(`HU-to-density table needs >= 2 matching HU and RED points, found ${table.hu.length} and ${table.red.length}`);
  }
  for (let i = 0; i < table.hu.length; i++) {
    if (!Number.isFinite(table.hu[i]!) || !Number.isFinite(table.red[i]!) || table.red[i]! < 0) {
      throw new InputError(`HU-to-density table point ${i} must be finite with RED >= 0, found (${fmt(table.hu[i]!)}, ${fmt(table.red[i]!)})`);
    }
    if (i > 0 && !(table.hu[i]! > table.hu[i - 1]!)) {
      throw new InputError(`HU-to-density table HU values must increase, found ${fmt(table.hu[i - 1]!)} then ${fmt(table.hu[i]!)}`);
    }
  }
}

/** RED of one HU value (clamped to the table ends). */
export function huToRed(hu: number, table: Hlut = DEFAULT_HLUT): number {
  const h = table.hu;
  const r = table.red;
  const n = h.length;
  if (hu <= h[0]!) return r[0]!;
  if (hu >= h[n - 1]!) return r[n - 1]!;
  let i = 0;
  while (hu > h[i + 1]!) i++;
  const t = (hu - h[i]!) / (h[i + 1]! - h[i]!);
  return r[i]! * (1 - t) + r[i + 1]! * t;
}

/** RED volume of a CT (HU) volume, same grid. */
export function redVolumeOfCt(ct: ScalarVolume, table: Hlut = DEFAULT_HLUT): ScalarVolume {
  validateHlut(table);
  const out = new Float32Array(ct.data.length);
  for (let i = 0; i < out.length; i++) out[i] = huToRed(ct.data[i]!, table);
  return createScalarVolume(ct.grid, out);
}
