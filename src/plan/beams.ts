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
    gantryDeg: normaliseDeg(startDeg + (360 * i) / count),
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
    if (b - a > 360 + 1e-9) throw new InputError(`--beams: a range covers at most one turn (STOP - START <= 360 degrees), found '${text}'`);
    const out: BeamAngles[] = [];
    // A full turn (0:10:360) ends where it started: the closing angle is the first beam again, so it is left out.
    for (let k = 0, g = a; g <= b + 1e-9 && g < a + 360 - 1e-9; k += 1, g = a + k * s) out.push({ gantryDeg: normaliseDeg(g) });
    return out;
  }
  const list = t.split(',').map((part) => {
    const nums = part.split('/').map((x) => Number(x.trim()));
    if (nums.length > 3 || nums.some((x) => !Number.isFinite(x)) || part.trim() === '') {
      throw new InputError(`--beams: expected a count, START:STEP:STOP or gantry[/couch[/collimator]] angles separated by commas, found '${part}'`);
    }
    return { gantryDeg: normaliseDeg(nums[0]!), couchDeg: normaliseDeg(nums[1] ?? 0), collimatorDeg: normaliseDeg(nums[2] ?? 0) };
  });
  const seen = new Map<string, number>();
  list.forEach((b, i) => {
    const key = `${b.gantryDeg}/${b.couchDeg}/${b.collimatorDeg}`;
    const first = seen.get(key);
    if (first !== undefined) throw new InputError(`--beams: beam ${i + 1} repeats beam ${first + 1} (gantry/couch/collimator ${key} degrees)`);
    seen.set(key, i);
  });
  return list;
}

/** An angle in [0, 360) degrees, rounded to 1e-6 degree so that 0.1 * 3 and 0.3 name the same beam. */
function normaliseDeg(deg: number): number {
  const r = Math.round((((deg % 360) + 360) % 360) * 1e6) / 1e6;
  return r === 360 ? 0 : r;
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
