/**
 * Independent dose recalculation of a DICOM RT plan on its CT: the dose grid, the dose per fraction
 * and the planned total (Gy), ready to be written as an RT Dose and compared with a planning
 * system's dose by gamma (gamma.ts).
 *
 * Input: the CT series (HU, LPS) and an RtPlan in its frame of reference. The dose grid has the CT's
 * axes, covers the CT's voxel centres and has `gridSpacingMm` (default 3 mm) along every axis.
 */

import { availableParallelism } from 'node:os';
import { PlanError, fmt } from '../core/errors.js';
import { createGrid, indexToLps, type Grid } from '../geometry/grid.js';
import { createScalarVolume, type ScalarVolume } from '../geometry/volume.js';
import type { CtSeries, RtPlan } from '../io/dicom/model.js';
import type { Hlut } from './hlut.js';
import { PHOTON_6MV } from './machine-6mv.js';
import type { PhotonMachine } from './machine.js';
import { planDose } from './plan-dose.js';

export interface RecalculationOptions {
  /** Dose grid spacing, mm (default 3). */
  readonly gridSpacingMm?: number;
  readonly machine?: PhotonMachine;
  readonly hlut?: Hlut;
  /** Worker threads for the control-point segments (default: the machine's available parallelism). */
  readonly threads?: number;
}

export interface Recalculation {
  readonly doseGrid: Grid;
  readonly dosePerFractionGy: ScalarVolume;
  /** dosePerFractionGy x fractionsPlanned. */
  readonly totalDoseGy: ScalarVolume;
  readonly fractionsPlanned: number;
  readonly warnings: readonly string[];
}

/** A grid with the CT's axes and origin covering all its voxel centres, `spacingMm` apart. */
export function doseGridForCt(ct: CtSeries, spacingMm: number): Grid {
  if (!(spacingMm > 0) || !Number.isFinite(spacingMm)) {
    throw new PlanError(`dose grid spacing must be a positive number of mm, found ${fmt(spacingMm)}`);
  }
  const g = ct.hu.grid;
  const size = [0, 1, 2].map((a) => Math.max(1, Math.floor(((g.size[a]! - 1) * g.spacingMm[a]!) / spacingMm + 1e-9) + 1)) as [
    number,
    number,
    number,
  ];
  return createGrid({ size, spacingMm: [spacingMm, spacingMm, spacingMm], originMm: indexToLps(g, [0, 0, 0]), direction: g.direction });
}

export function recalculatePlan(ct: CtSeries, plan: RtPlan, options: RecalculationOptions = {}): Recalculation {
  const group = plan.fractionGroups[0];
  if (group === undefined || !(group.fractionsPlanned > 0)) {
    throw new PlanError('plan: expected a fraction group with the number of planned fractions, found none', plan.file !== undefined ? { file: plan.file } : {});
  }
  const warnings: string[] = [];
  if (plan.fractionGroups.length > 1) {
    warnings.push(`plan has ${plan.fractionGroups.length} fraction groups; the dose is that of fraction group ${group.number}`);
  }
  const doseGrid = doseGridForCt(ct, options.gridSpacingMm ?? 3);
  const computed = planDose(options.machine ?? PHOTON_6MV, plan, ct, doseGrid, {
    ...(options.hlut !== undefined ? { hlut: options.hlut } : {}),
    threads: options.threads ?? availableParallelism(),
  });
  warnings.push(...computed.warnings);
  const perFraction = computed.dosePerFractionGy;
  const total = createScalarVolume(doseGrid);
  for (let i = 0; i < total.data.length; i++) total.data[i] = perFraction.data[i]! * group.fractionsPlanned;
  return { doseGrid, dosePerFractionGy: perFraction, totalDoseGy: total, fractionsPlanned: group.fractionsPlanned, warnings };
}
