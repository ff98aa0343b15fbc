/**
 * Beam arrangements for fluence optimisation: coplanar equispaced gantry angles (standing in for
 * arcs) or a user list with gantry, couch and collimator angles (IEC 61217, degrees), all sharing one
 * isocentre (LPS, mm), by default the centroid of the primary target.
 */

import { InputError, PlanError, fmt } from '../core/errors.js';
import type { Vec3 } from '../core/vec3.js';
import type { OperatorBeam } from '../dose/operator.js';

export interface BeamAngles {
  readonly gantryDeg: number;
  readonly couchDeg?: number;
  readonly collimatorDeg?: number;
  readonly name?: string;
}

/** `count` gantry angles from startDeg, 360 / count apart. */
export function equispacedAngles(count: number, startDeg = 0, couchDeg = 0, collimatorDeg = 0): BeamAngles[] {
  if (!Number.isInteger(count) || count < 1 || count > 360) throw new InputError(`beam count must be an integer from 1 to 360, found ${fmt(count)}`);
  return Array.from({ length: count }, (_, i) => ({
    gantryDeg: Number((((startDeg + (360 * i) / count) % 360 + 360) % 360).toFixed(6)),
    couchDeg,
    collimatorDeg,
  }));
}

/**
 * Parse a `--beams` option: "36" (equispaced), "0:40:320" (start:step:stop gantry angles), or a
 * comma-separated list of gantry[/couch[/collimator]] angles, e.g. "0,90/20,180/0/45".
 */
export function parseBeamOption(text: string): BeamAngles[] {
  const t = text.trim();
  if (/^\d+$/.test(t)) return equispacedAngles(Number(t));
  const range = /^(-?[\d.]+):([\d.]+):(-?[\d.]+)$/.exec(t);
  if (range !== null) {
    const [a, s, b] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!(s > 0) || !(b >= a) || (b - a) / s > 360) throw new InputError(`--beams: expected START:STEP:STOP with STEP > 0 and STOP >= START, found '${text}'`);
    const out: BeamAngles[] = [];
    for (let g = a; g <= b + 1e-9; g += s) out.push({ gantryDeg: ((g % 360) + 360) % 360 });
    return out;
  }
  return t.split(',').map((part) => {
    const nums = part.split('/').map((x) => Number(x.trim()));
    if (nums.length > 3 || nums.some((x) => !Number.isFinite(x)) || part.trim() === '') {
      throw new InputError(`--beams: expected a count, START:STEP:STOP or gantry[/couch[/collimator]] angles separated by commas, found '${part}'`);
    }
    return { gantryDeg: nums[0]!, couchDeg: nums[1] ?? 0, collimatorDeg: nums[2] ?? 0 };
  });
}

export function operatorBeams(angles: readonly BeamAngles[], isocenterLps: Vec3, sadMm: number): OperatorBeam[] {
  if (angles.length === 0) throw new PlanError('the plan needs at least one beam');
  return angles.map((a, i) => {
    for (const [what, v] of [['gantry', a.gantryDeg], ['couch', a.couchDeg ?? 0], ['collimator', a.collimatorDeg ?? 0]] as const) {
      if (!Number.isFinite(v)) throw new InputError(`beam ${i + 1}: ${what} angle must be a finite number of degrees, found ${fmt(v)}`);
    }
    const name = a.name ?? `G${fmt(a.gantryDeg)}${(a.couchDeg ?? 0) !== 0 ? ` T${fmt(a.couchDeg!)}` : ''}${(a.collimatorDeg ?? 0) !== 0 ? ` C${fmt(a.collimatorDeg!)}` : ''}`;
    return {
      name,
      geometry: { gantryDeg: a.gantryDeg, couchDeg: a.couchDeg ?? 0, collimatorDeg: a.collimatorDeg ?? 0, isocenterLps: [isocenterLps[0], isocenterLps[1], isocenterLps[2]], sadMm },
    };
  });
}
