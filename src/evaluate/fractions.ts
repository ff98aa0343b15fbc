/**
 * Planned versus delivered fractions, and summation of courses in EQD2.
 *
 * Inputs: a planned dose (total over the planned fractions, Gy) and a schedule { fractionsPlanned,
 * fractionsDelivered }. With identical fractions the per-fraction dose of voxel i is
 * dᵢ = Dᵢ / n_planned, so (physics reference §1.4):
 *   delivered physical dose  = n_delivered dᵢ           (e.g. 2 of 5: 0.4 x planned)
 *   delivered EQD2           = n_delivered dᵢ (dᵢ + α/β) / (2 + α/β)
 * A limit belongs to its schedule: a 5-fraction TG-101 limit says nothing about 2 fractions. Check
 * either the planned schedule in physical dose (`basis: 'planned-physical'`), or convert dose AND
 * limit to EQD2 (`basis: 'eqd2'`, `limitToEqd2Gy`); constraints/evaluate.ts says which in every row.
 * Courses add voxel by voxel in EQD2 (same α/β) once on one grid; physical doses with different
 * fraction sizes are never summed.
 */

import { InputError, fmt } from '../core/errors.js';
import { sameGrid } from '../geometry/grid.js';
import { resampleTrilinear } from '../geometry/resample.js';
import type { ScalarVolume } from '../geometry/volume.js';
import { doseMapFunction, mapDoseSamples, type DoseMap, type DoseSamples } from './dvh.js';
import { checkAlphaBeta, checkFractions, eqd2Gy, eqd2Into, eqd2Label } from './radiobiology.js';

export interface Schedule {
  readonly fractionsPlanned: number;
  readonly fractionsDelivered: number;
}

/** Throws InputError naming the value on a bad schedule (delivered > planned, non-integers, < 0). */
export function checkSchedule(schedule: Schedule): void {
  checkFractions(schedule.fractionsPlanned, 'planned fractions');
  const n = schedule.fractionsDelivered;
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new InputError(`delivered fractions must be an integer >= 0, found ${fmt(n)}`);
  }
  if (n > schedule.fractionsPlanned) {
    throw new InputError(
      `delivered fractions (${fmt(n)}) cannot exceed planned fractions (${fmt(schedule.fractionsPlanned)})`,
    );
  }
}

/** Delivered physical dose (Gy) of a planned total: planned x delivered / planned. */
export function deliveredPhysicalGy(plannedTotalGy: number, schedule: Schedule): number {
  checkSchedule(schedule);
  if (!(plannedTotalGy >= 0 && plannedTotalGy < Infinity)) {
    throw new InputError(`planned dose must be finite and >= 0 Gy, found ${fmt(plannedTotalGy)}`);
  }
  return (plannedTotalGy * schedule.fractionsDelivered) / schedule.fractionsPlanned;
}

/** Delivered EQD2 (Gy) of a planned total: n_delivered d (d + α/β) / (2 + α/β), d = D / n_planned. */
export function deliveredEqd2Gy(plannedTotalGy: number, schedule: Schedule, alphaBetaGy: number): number {
  const delivered = deliveredPhysicalGy(plannedTotalGy, schedule);
  if (schedule.fractionsDelivered === 0) return 0;
  return eqd2Gy(delivered, schedule.fractionsDelivered, alphaBetaGy);
}

/** Planned-schedule EQD2 of a limit: a limit of L Gy in n fractions, in EQD2. */
export function limitToEqd2Gy(limitTotalGy: number, limitFractions: number, alphaBetaGy: number): number {
  return eqd2Gy(limitTotalGy, limitFractions, alphaBetaGy);
}

/** Delivered physical dose volume, voxel by voxel (a new volume). */
export function deliveredDoseVolume(planned: ScalarVolume, schedule: Schedule): ScalarVolume {
  checkSchedule(schedule);
  const f = schedule.fractionsDelivered / schedule.fractionsPlanned;
  const out = new Float32Array(planned.data.length);
  const src = planned.data;
  for (let i = 0; i < src.length; i++) {
    const D = src[i]!;
    if (!(D >= 0)) throw new InputError(`planned dose must be finite and >= 0 Gy, found ${fmt(D)} at voxel ${i}`);
    out[i] = D * f;
  }
  return { grid: planned.grid, data: out };
}

/** Delivered EQD2 volume, voxel by voxel from the planned per-fraction dose (a new volume). */
export function deliveredEqd2Volume(planned: ScalarVolume, schedule: Schedule, alphaBetaGy: number | Float32Array): ScalarVolume {
  const delivered = deliveredDoseVolume(planned, schedule);
  if (schedule.fractionsDelivered === 0) return delivered;
  eqd2Into(delivered.data, delivered.data, schedule.fractionsDelivered, alphaBetaGy);
  return delivered;
}

/** Planned physical dose -> delivered physical dose, point by point (for mapDoseSamples / structureDvhs). */
export function deliveredMap(schedule: Schedule): DoseMap {
  checkSchedule(schedule);
  return {
    quantity: `delivered physical dose (${schedule.fractionsDelivered} of ${schedule.fractionsPlanned} fractions)`,
    kind: 2,
    a: schedule.fractionsDelivered / schedule.fractionsPlanned,
    b: 0,
    c: 0,
    d: 0,
  };
}

/** Planned physical dose -> delivered EQD2, point by point from the planned dose per fraction. */
export function deliveredEqd2Map(schedule: Schedule, alphaBetaGy: number, structure: string): DoseMap {
  checkSchedule(schedule);
  checkAlphaBeta(alphaBetaGy, `structure "${structure}"`);
  const nP = schedule.fractionsPlanned;
  const nD = schedule.fractionsDelivered;
  return { quantity: `delivered ${eqd2Label(alphaBetaGy)} (${nD} of ${nP} fractions)`, kind: 3, a: nP, b: nD, c: alphaBetaGy, d: 1 / (2 + alphaBetaGy) };
}

/** DVH samples of a planned dose, converted point by point to delivered physical dose. */
export function deliveredSamples(samples: DoseSamples, schedule: Schedule): DoseSamples {
  const m = deliveredMap(schedule);
  return mapDoseSamples(samples, m.quantity, doseMapFunction(m));
}

/** DVH samples of a planned dose, converted point by point to delivered EQD2. */
export function deliveredEqd2Samples(samples: DoseSamples, schedule: Schedule, alphaBetaGy: number): DoseSamples {
  const m = deliveredEqd2Map(schedule, alphaBetaGy, samples.name);
  return mapDoseSamples(samples, m.quantity, doseMapFunction(m));
}

export interface Course {
  /** Physical dose of the course as delivered (total over its delivered fractions), Gy. */
  readonly dose: ScalarVolume;
  /** Number of fractions the dose was delivered in. */
  readonly fractions: number;
  readonly label?: string;
}

/**
 * Sum of courses in EQD2, voxel by voxel, on the first course's grid (other courses resampled
 * trilinearly; where a course's grid does not reach, it adds 0 and is reported in `uncovered`).
 * The courses must already be in one frame of reference (registered).
 */
export function sumCoursesEqd2(
  courses: readonly Course[],
  alphaBetaGy: number | Float32Array,
): { readonly eqd2: ScalarVolume; readonly quantity: string; readonly uncovered: readonly { label: string; voxels: number }[] } {
  if (courses.length === 0) throw new InputError('course summation: expected at least one course, found none');
  const grid = courses[0]!.dose.grid;
  const total = new Float32Array(courses[0]!.dose.data.length);
  const scratch = new Float32Array(total.length);
  const uncovered: { label: string; voxels: number }[] = [];
  courses.forEach((c, idx) => {
    const label = c.label ?? `course ${idx + 1}`;
    checkFractions(c.fractions, `${label}: fractions`);
    const onGrid = sameGrid(c.dose.grid, grid) ? c.dose : resampleTrilinear(c.dose, grid, { outsideValue: NaN });
    let missing = 0;
    const src = onGrid.data;
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (v !== v) {
        missing++;
        scratch[i] = 0;
      } else scratch[i] = v;
    }
    if (missing > 0) uncovered.push({ label, voxels: missing });
    eqd2Into(scratch, scratch, c.fractions, alphaBetaGy);
    for (let i = 0; i < total.length; i++) total[i]! += scratch[i]!;
  });
  const q = typeof alphaBetaGy === 'number' ? eqd2Label(alphaBetaGy) : 'EQD2 (LQ, α/β per voxel)';
  return { eqd2: { grid, data: total }, quantity: `summed ${q}`, uncovered };
}
